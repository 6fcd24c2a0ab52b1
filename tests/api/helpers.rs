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
    pub storage: Storage,
}

/// Starts the application on port 0 with its own database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Where a test's data lives: databases and data directory.
pub struct Storage {
    pub dir: Arc<tempfile::TempDir>,
    pub database_url: String,
    pub keystore_url: String,
}

/// Fresh databases: SQLite files, or new PostgreSQL databases when
/// `TEST_DATABASE_URL` names a server.
pub async fn fresh_storage() -> Storage {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, keystore_url) = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let (data_template, keys_template) = postgres_templates(&admin).await;
            let name = format!("boutique_test_{}", uuid::Uuid::now_v7().simple());
            let keys = format!("{name}_keys");
            // Each clone is a file copy on the server; the two can overlap.
            tokio::join!(
                clone_database(&admin, &name, data_template),
                clone_database(&admin, &keys, keys_template)
            )
        }
        _ => (
            format!("sqlite://{}/test.db", dir.path().display()),
            format!("sqlite://{}/keystore.db", dir.path().display()),
        ),
    };
    Storage {
        dir: Arc::new(dir),
        database_url,
        keystore_url,
    }
}

/// The names of two migrated template databases (data, key store), made once
/// per test process: cloning one is much faster than migrating.
async fn postgres_templates(admin: &str) -> &'static (String, String) {
    static TEMPLATES: tokio::sync::OnceCell<(String, String)> = tokio::sync::OnceCell::const_new();
    TEMPLATES
        .get_or_init(|| async {
            let name = format!("boutique_tpl_{}", uuid::Uuid::now_v7().simple());
            let keys = format!("{name}_keys");
            tokio::join!(
                make_template(admin, &name, false),
                make_template(admin, &keys, true)
            );
            // Only the names leave: this runs on the first caller's runtime,
            // which ends with its test.
            (name, keys)
        })
        .await
}

/// Creates and migrates one template database, then closes its pool, since
/// PostgreSQL refuses to clone a database that has connections.
async fn make_template(admin: &str, name: &str, keystore: bool) {
    let url = persistence::create_postgres_database(admin, name)
        .await
        .unwrap();
    let db = persistence::Db::connect(&url, 2).await.unwrap();
    if keystore {
        db.migrate_keystore_up().await.unwrap();
    } else {
        db.migrate_up().await.unwrap();
    }
    db.close().await;
}

/// Creates database `name` from `template`, retrying while the server still
/// sees a session on the template (concurrent clones, a closing backend).
async fn clone_database(admin: &str, name: &str, template: &str) -> String {
    let mut attempt = 0;
    loop {
        match persistence::create_postgres_database_from_template(admin, name, template).await {
            Ok(url) => return url,
            Err(e) if attempt < 5 && error_chain(&e).contains("being accessed by other users") => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => panic!("cannot create {name} from {template}: {}", error_chain(&e)),
        }
    }
}

/// An error and its sources on one line (the server's message is a source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// The instant every test starts at.
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

/// Starts the application, letting the test adjust the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(&fresh_storage().await, start_time(), adjust).await
}

/// Every log line written by any test of this binary, as the production
/// formatter renders them (for the test that no personal data is logged).
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

fn logs() -> &'static Arc<std::sync::Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info,api=debug,persistence=debug,domain=debug,sqlx=warn")
            .with_ansi(false)
            .with_writer(move || LogSink(Arc::clone(&sink)))
            .try_init();
        buffer
    })
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts the application on existing storage (a restart), its clock at `now`.
pub async fn spawn_app_on(
    storage: &Storage,
    now: chrono::DateTime<Utc>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::for_tests(
        storage.database_url.clone(),
        storage.dir.path().to_path_buf(),
    );
    config.keystore_url = Some(storage.keystore_url.clone());
    // Tests deliver mail explicitly (`deliver_mail`) unless they test the job itself.
    config.jobs = false;
    adjust(&mut config);
    logs();
    let clock = Arc::new(ManualClock::new(now));
    let db = api::open_database(&config, true).await.unwrap();
    let app = Application::build(config, db, Arc::clone(&clock) as Arc<dyn Clock>)
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: {
            api::stripe::install_crypto_provider();
            reqwest::Client::builder()
        }
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap(),
        app: state,
        clock,
        storage: Storage {
            dir: Arc::clone(&storage.dir),
            database_url: storage.database_url.clone(),
            keystore_url: storage.keystore_url.clone(),
        },
    }
}

/// A password that meets the policy.
pub const PASSWORD: &str = "un long mot de passe de test";

/// Decodes quoted-printable enough to read our messages.
pub fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'='
            && let Some(Ok(b)) = hex.map(|h| u8::from_str_radix(h, 16))
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of the first link in a message.
pub fn link_token(mail: &str) -> String {
    let start = mail.find("token=").expect("a link with a token") + 6;
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
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
        self.app
            .catalogue
            .create(new, &domain::catalogue::Editor::system())
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub fn with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// Registers a customer with a password; returns nothing (the answer is always 202).
    pub async fn register(
        &self,
        email: &str,
        name: &str,
        password: Option<&str>,
    ) -> reqwest::Response {
        let mut body = serde_json::json!({
            "email": email, "name": name, "accept_privacy_policy": true, "privacy_policy_version": 1
        });
        if let Some(p) = password {
            body["password"] = p.into();
        }
        self.post_json("/v1/auth/register", &body).await
    }

    pub async fn login_response(
        &self,
        email: &str,
        password: &str,
        remember_me: bool,
    ) -> reqwest::Response {
        self.post_json(
            "/v1/auth/login",
            &serde_json::json!({"email": email, "password": password, "remember_me": remember_me}),
        )
        .await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self.login_response(email, password, false).await;
        assert_eq!(res.status(), 200, "login of {email}");
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A registered, logged-in customer: returns the token.
    pub async fn customer(&self, email: &str) -> String {
        assert_eq!(
            self.register(email, "Client Test", Some(PASSWORD))
                .await
                .status(),
            202
        );
        self.login(email, PASSWORD).await
    }

    /// A staff member created as `boutique staff create` does; returns the token.
    pub async fn staff(&self, email: &str, role: domain::identity::Role) -> String {
        let password = domain::identity::Password::parse(PASSWORD).unwrap();
        let state = &self.app;
        domain::identity::create_staff(
            state.store.as_ref(),
            &state.hasher,
            &state.random,
            state.clock.as_ref(),
            &state.identity,
            domain::audit::Actor::System,
            domain::identity::NewStaff {
                email: domain::identity::Email::parse(email).unwrap(),
                name: domain::identity::PersonName::parse("Staff Member").unwrap(),
                role,
                password: Some(password),
            },
            &domain::identity::Origin::local("test"),
        )
        .await
        .unwrap();
        self.login(email, PASSWORD).await
    }

    /// Runs the outbox job once.
    pub async fn deliver_mail(&self) -> usize {
        // Work answered first and done after (forgotten passwords) ends first.
        self.app.background.idle().await;
        api::jobs::deliver_outbox(&self.app).await.unwrap()
    }

    /// The decoded messages delivered to `to`, oldest first.
    pub async fn mails_to(&self, to: &str) -> Vec<String> {
        self.deliver_mail().await;
        let dir = self.storage.dir.path().join("outbox");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| decode_qp(&std::fs::read_to_string(p).unwrap()))
            .filter(|m| {
                m.lines()
                    .any(|l| l.eq_ignore_ascii_case(&format!("To: {to}")))
            })
            .collect()
    }

    /// Runs SQL on the data database, as an attacker or a DBA with direct access would.
    pub async fn raw_sql(&self, sql: &str) {
        self.app.db.execute_sql(sql).await.unwrap();
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
