//! `spawn_app()` and typed helpers.

use std::sync::Arc;

use api::{Application, Config};
use chrono::{TimeZone, Utc};
use domain::catalogue::{FormatKind, NewFormat, NewPlan, Plan, PlanSpecs, Slug, Style};
use domain::clock::{Clock, ManualClock};
use domain::money::{Currency, Money};
use serde_json::Value;

/// A running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub app: api::app::SharedState,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// Starts the application on port 0 with its own database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application, letting the test adjust the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("boutique_test_{}", uuid::Uuid::now_v7().simple());
            persistence::create_postgres_database(&admin, &name)
                .await
                .unwrap()
        }
        _ => format!("sqlite://{}/test.db", dir.path().display()),
    };
    let mut config = Config::for_tests(url, dir.path().to_path_buf());
    adjust(&mut config);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
    ));
    let db = api::open_database(&config, true).await.unwrap();
    let app = Application::build(config, db, Arc::clone(&clock) as Arc<dyn Clock>)
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        app: state,
        clock,
        _dir: dir,
    }
}

/// A valid plan to create, varied by the arguments.
pub fn plan(slug: &str, bedrooms: u8, surface: u32, price_cents: u32) -> NewPlan {
    NewPlan {
        slug: Slug::parse(slug).unwrap(),
        title: format!("Maison {slug}"),
        description: "Maison de plain-pied lumineuse.".into(),
        style: Style::Contemporary,
        specs: PlanSpecs {
            living_area_m2: surface,
            bedrooms,
            bathrooms: 1,
            levels: 1,
            garage_spaces: 1,
            lot_width_cm: 1500,
            lot_depth_cm: 2500,
        },
        images: vec![],
        formats: vec![
            NewFormat {
                kind: FormatKind::Pdf,
                sku: format!("{}-PDF", slug.to_uppercase()),
                price: Money::from_minor(price_cents, Currency::EUR),
            },
            NewFormat {
                kind: FormatKind::PrintedSet,
                sku: format!("{}-PRT", slug.to_uppercase()),
                price: Money::from_minor(price_cents + 15_000, Currency::EUR),
            },
        ],
        published: true,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Creates a plan through the catalogue service, as staff will.
    pub async fn add_plan(&self, new: NewPlan) -> Plan {
        self.clock.advance(chrono::Duration::seconds(1));
        self.app.catalogue.create(new).await.unwrap()
    }

    /// Loads the demo catalogue.
    pub async fn seed_demo(&self) {
        api::demo::seed(&self.app.catalogue).await.unwrap();
    }
}

/// Asserts that `res` is a problem+json with `status` and `type`, and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16, kind: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], kind, "{body}");
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert!(body["request_id"].is_string(), "{body}");
    body
}
