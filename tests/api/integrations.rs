//! Integrations: API keys (scoped, audited, rate limited, rotated with a
//! grace period, revoked at once, never stored in clear) and outgoing
//! webhooks, checked by a receiver that verifies each delivery with the
//! Standard Webhooks specification's own library (`standardwebhooks`, run
//! by the Python of `TEST_PYTHON`; `.ci/run` installs it).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use domain::clock::Clock as _;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_problem, fresh_storage, spawn_app, spawn_app_on, start_time,
};
use crate::processes::ServerProcess;
use crate::shop::{buyer, cart_with_pdf, customer_cart, guest_buys, plan_for_sale, raw_dump};

const PURPOSE: &str = "prints and ships the printed sets of paid orders";

async fn admin(app: &TestApp) -> String {
    app.staff("admin@boutique.example", Role::Admin).await
}

async fn new_key(app: &TestApp, admin: &str, body: &Value) -> (Value, String) {
    let res = app.post_json_as("/v1/admin/api-keys", admin, body).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let v: Value = res.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap().to_owned();
    (v["key"].clone(), secret)
}

async fn orders_key(app: &TestApp, admin: &str) -> (Value, String) {
    new_key(
        app,
        admin,
        &json!({"name": "Print shop", "purpose": PURPOSE, "scopes": ["orders:read"]}),
    )
    .await
}

#[tokio::test]
async fn a_key_is_shown_once_kept_as_a_keyed_hash_and_recognisable_by_its_prefix() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (key, secret) = orders_key(&app, &admin).await;
    assert!(
        secret.starts_with("bq_live_") && secret.len() > 40,
        "{secret}"
    );
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert_eq!(key["status"], "active");

    // It works, and its use is recorded.
    let res = app.get_as("/v1/admin/orders", &secret).await;
    assert_eq!(res.status(), 200);
    let listed: Value = app
        .get_as("/v1/admin/api-keys", &admin)
        .await
        .json()
        .await
        .unwrap();
    let text = listed.to_string();
    assert!(
        !text.contains(&secret),
        "the secret is never returned twice"
    );
    assert!(listed["items"][0]["last_used_at"].is_string());
    let one = app
        .get_as(
            &format!("/v1/admin/api-keys/{}", key["id"].as_str().unwrap()),
            &admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!one.contains(&secret));

    // Neither the secret nor its random part is anywhere in the database.
    let dump = raw_dump(&app).await;
    let random = secret.trim_start_matches("bq_live_");
    assert!(
        !dump.windows(random.len()).any(|w| w == random.as_bytes()),
        "the secret is stored in clear"
    );

    // A key is not a person: where keys are not accepted, 403; an unknown
    // key is a bad credential.
    let res = app.get_as("/v1/me", &secret).await;
    assert_problem(res, 403, "/problems/forbidden").await;
    let res = app
        .get_as(
            "/v1/admin/orders",
            "bq_live_notakeyatallnotakeyatall00000000000",
        )
        .await;
    assert_problem(res, 401, "/problems/unauthorized").await;
}

#[tokio::test]
async fn a_revoked_or_expired_key_is_refused_at_once() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (key, secret) = orders_key(&app, &admin).await;
    assert_eq!(app.get_as("/v1/admin/orders", &secret).await.status(), 200);
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/api-keys/{}/revoke", key["id"].as_str().unwrap()),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(app.get_as("/v1/admin/orders", &secret).await.status(), 401);

    let expires = app.clock.now() + chrono::Duration::hours(1);
    let (_, secret) = new_key(
        &app,
        &admin,
        &json!({"name": "CRM", "scopes": ["catalogue:read"], "expires_at": expires}),
    )
    .await;
    assert_eq!(
        app.get_as("/v1/admin/products", &secret).await.status(),
        200
    );
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        app.get_as("/v1/admin/products", &secret).await.status(),
        401
    );
}

#[tokio::test]
async fn a_rotated_keys_old_secret_works_only_during_its_grace_period() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (key, old) = orders_key(&app, &admin).await;
    let id = key["id"].as_str().unwrap();
    let res = app
        .post_json_as(
            &format!("/v1/admin/api-keys/{id}/rotate"),
            &admin,
            &json!({"grace_seconds": 3600}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["key"]["previous_prefix"], key["prefix"]);
    assert_eq!(app.get_as("/v1/admin/orders", &old).await.status(), 200);
    assert_eq!(app.get_as("/v1/admin/orders", &new).await.status(), 200);
    app.clock.advance(chrono::Duration::seconds(3600));
    assert_eq!(app.get_as("/v1/admin/orders", &old).await.status(), 401);
    assert_eq!(app.get_as("/v1/admin/orders", &new).await.status(), 200);

    // Without grace, the old secret stops at once.
    let res = app
        .post_json_as(
            &format!("/v1/admin/api-keys/{id}/rotate"),
            &admin,
            &json!({"grace_seconds": 0}),
        )
        .await;
    let newest = res.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get_as("/v1/admin/orders", &new).await.status(), 401);
    assert_eq!(app.get_as("/v1/admin/orders", &newest).await.status(), 200);
}

#[tokio::test]
async fn personal_scopes_need_a_purpose_and_each_read_is_audited_under_the_keys_name() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let res = app
        .post_json_as(
            "/v1/admin/api-keys",
            &admin,
            &json!({"name": "CRM", "scopes": ["customers:read"]}),
        )
        .await;
    let problem = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(problem["errors"][0]["field"], "purpose");

    let (key, secret) = orders_key(&app, &admin).await;
    let placed = guest_buys(&app, "maison-api", "jeanne@example.fr", &json!({})).await;
    let order = placed["id"].as_str().unwrap();
    // A key states why it reads, as staff do; its purpose goes with it.
    let res = app
        .get_as(&format!("/v1/admin/orders/{order}"), &secret)
        .await;
    assert_eq!(res.status(), 400, "X-Access-Reason is required of keys too");
    let res = app
        .with(Method::GET, &format!("/v1/admin/orders/{order}"), &secret)
        .header("X-Access-Reason", "print the paid order")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["buyer"]["email"], "jeanne@example.fr");

    let log: Value = app
        .get_as(
            &format!(
                "/v1/admin/audit-log?action=personal_data_accessed&actor=key:{}",
                key["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let entry = &log["items"][0];
    assert_eq!(entry["target"], format!("order:{order}"));
    let reason = entry["reason"].as_str().unwrap();
    assert!(
        reason.contains("Print shop") && reason.contains(PURPOSE),
        "{reason}"
    );

    // The record of processing names the key as a recipient.
    let register = app
        .get("/v1/privacy/processing-register")
        .await
        .text()
        .await
        .unwrap();
    assert!(register.contains("Print shop") && register.contains(PURPOSE));
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (_, secret) = new_key(
        &app,
        &admin,
        &json!({"name": "Feed", "scopes": ["catalogue:read"], "rate_per_minute": 3}),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.get_as("/v1/admin/products", &secret).await.status(),
            200
        );
    }
    let res = app.get_as("/v1/admin/products", &secret).await;
    assert!(res.headers().contains_key("retry-after"));
    let p = assert_problem(res, 429, "/problems/too-many-requests").await;
    assert_eq!(p["reason"], "key_rate_limited");
    app.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(
        app.get_as("/v1/admin/products", &secret).await.status(),
        200
    );
}

/// A receiver process, verifying with `standardwebhooks`.
struct Receiver {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Receiver {
    /// `None` (the test is skipped) when `TEST_PYTHON` is unset.
    fn start(secret: &str, fail_first: u32, port: u16) -> Option<Self> {
        let Ok(python) = std::env::var("TEST_PYTHON") else {
            eprintln!("skipped: set TEST_PYTHON to a Python with standardwebhooks (CI does)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/webhooks/receiver.py");
        let mut child = Command::new(python)
            .args([
                script,
                secret,
                &fail_first.to_string(),
                port_file.to_str().unwrap(),
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                return Some(Self {
                    child,
                    url: format!("http://127.0.0.1:{}", p.trim()),
                    _dir: dir,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the receiver did not start");
    }

    async fn state(&self) -> Value {
        reqwest::get(&self.url).await.unwrap().json().await.unwrap()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Registers an endpoint at a free local port, then starts the receiver
/// there with the endpoint's secret.
async fn endpoint(
    app: &TestApp,
    token: &str,
    events: &[&str],
    purpose: Option<&str>,
    fail_first: u32,
) -> Option<(String, Receiver)> {
    std::env::var("TEST_PYTHON").ok()?;
    let port = free_port();
    let res = app
        .post_json_as(
            "/v1/admin/webhooks",
            token,
            &json!({
                "url": format!("http://127.0.0.1:{port}/hook"),
                "description": "test receiver",
                "events": events,
                "personal_purpose": purpose,
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let receiver = Receiver::start(secret, fail_first, port)?;
    Some((v["endpoint"]["id"].as_str().unwrap().to_owned(), receiver))
}

async fn deliver(app: &TestApp) -> usize {
    api::jobs::deliver_webhooks(&app.app).await.unwrap()
}

async fn deliveries(app: &TestApp, token: &str, endpoint: &str) -> Vec<Value> {
    let v: Value = app
        .get_as(&format!("/v1/admin/webhooks/{endpoint}/deliveries"), token)
        .await
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn deliveries_verify_with_the_specifications_library_and_carry_personal_data_only_when_opted_in()
 {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    // A key may manage webhooks too.
    let (_, manager) = new_key(
        &app,
        &admin,
        &json!({"name": "Accounting", "scopes": ["webhooks:manage"]}),
    )
    .await;
    let Some((plain, plain_rx)) = endpoint(&app, &manager, &["order.created"], None, 0).await
    else {
        return;
    };
    let Some((_, personal_rx)) = endpoint(
        &app,
        &admin,
        &["order.created", "order.status_changed"],
        Some(PURPOSE),
        0,
    )
    .await
    else {
        return;
    };
    let placed = guest_buys(&app, "maison-hook", "jeanne@example.fr", &json!({})).await;
    let order = placed["id"].as_str().unwrap();
    assert_eq!(deliver(&app).await, 2);

    let got = plain_rx.state().await;
    assert_eq!(got["refused"], 0);
    let v = &got["verified"].as_array().unwrap()[0];
    assert_eq!(v["payload"]["type"], "order.created");
    assert_eq!(v["payload"]["data"]["order_id"], order);
    let text = v.to_string();
    assert!(
        !text.contains("jeanne"),
        "no personal data without a purpose: {text}"
    );

    let got = personal_rx.state().await;
    let v = &got["verified"].as_array().unwrap()[0];
    assert_eq!(v["payload"]["data"]["buyer"]["email"], "jeanne@example.fr");
    // The same event, the same id, at both endpoints.
    assert_eq!(
        v["id"],
        plain_rx.state().await["verified"][0]["id"],
        "one webhook-id per event"
    );

    // The delivery table keeps no personal data either.
    let dump = raw_dump(&app).await;
    assert!(!dump.windows(5).any(|w| w == b"jeanne"));

    let log = deliveries(&app, &admin, &plain).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 204);

    // Replayed by hand: the same event id again.
    let res = app
        .with(
            Method::POST,
            &format!(
                "/v1/admin/webhooks/{plain}/deliveries/{}/replay",
                log[0]["id"].as_str().unwrap()
            ),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(deliver(&app).await, 1);
    let got = plain_rx.state().await["verified"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["id"], got[1]["id"]);
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_the_event_once_more_and_it_is_delivered() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let Some((id, rx)) = endpoint(&app, &admin, &["order.created"], None, 3).await else {
        return;
    };
    guest_buys(&app, "maison-retry", "paul@example.fr", &json!({})).await;
    for round in 0..4 {
        deliver(&app).await;
        let d = &deliveries(&app, &admin, &id).await[0];
        assert_eq!(d["attempts"], round + 1);
        // Later than any wait of the first retries.
        app.clock.advance(chrono::Duration::hours(3));
    }
    let got = rx.state().await;
    assert_eq!(got["failed_on_purpose"], 3);
    assert_eq!(got["verified"].as_array().unwrap().len(), 1);
    let d = &deliveries(&app, &admin, &id).await[0];
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 4);
    // Nothing more goes out.
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(rx.state().await["verified"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_stopped_receiver_gets_its_endpoint_disabled_and_admins_told() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let Some((id, mut rx)) = endpoint(&app, &admin, &["order.created"], None, 0).await else {
        return;
    };
    rx.stop();
    guest_buys(&app, "maison-stop", "lea@example.fr", &json!({})).await;
    for _ in 0..8 {
        deliver(&app).await;
        // Past the longest wait (10 hours, plus a fifth of jitter).
        app.clock.advance(chrono::Duration::hours(13));
    }
    // Days went by: the admin's session ended.
    let admin = app.login("admin@boutique.example", PASSWORD).await;
    let e: Value = app
        .get_as(&format!("/v1/admin/webhooks/{id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["enabled"], false);
    assert!(
        e["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("8 attempts")
    );
    let d = &deliveries(&app, &admin, &id).await[0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 8);
    assert_eq!(d["last_status_code"], Value::Null);
    let mails = app.mails_to("admin@boutique.example").await;
    assert!(
        mails.iter().any(|m| m.contains(&id)),
        "the admins are told which endpoint"
    );
    // A disabled endpoint gets nothing new, and a replay waits for it.
    let res = app
        .with(
            Method::POST,
            &format!(
                "/v1/admin/webhooks/{id}/deliveries/{}/replay",
                d["id"].as_str().unwrap()
            ),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "/problems/conflict").await;
}

#[tokio::test]
async fn an_erasure_tells_the_integrations_which_ids_to_forget() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let Some((_, rx)) = endpoint(&app, &admin, &["customer.erased"], None, 0).await else {
        return;
    };
    let token = app.customer("oublie@example.fr").await;
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    let (product, pdf, _) = plan_for_sale(&app, "maison-oubli", 9_000).await;
    let cart = customer_cart(&app, &token, &product, &pdf).await;
    let res = app
        .with(Method::POST, &format!("/v1/carts/{cart}/checkout"), &token)
        .header("Idempotency-Key", "k-oubli")
        .json(&buyer("oublie@example.fr", "FR", false))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    let res = app
        .with(Method::DELETE, "/v1/me", &token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(deliver(&app).await, 1);
    let got = rx.state().await;
    let data = &got["verified"][0]["payload"]["data"];
    assert_eq!(got["verified"][0]["payload"]["type"], "customer.erased");
    assert_eq!(data["customer_id"], me["id"]);
    assert_eq!(data["order_ids"], json!([order["id"]]));
}

#[tokio::test]
async fn a_delivery_survives_a_sigkill_between_the_order_and_its_delivery() {
    let storage = fresh_storage().await;
    let app = spawn_app_on(&storage, start_time(), |_| {}).await;
    let admin = admin(&app).await;
    let Some((id, rx)) = endpoint(&app, &admin, &["order.created"], None, 0).await else {
        return;
    };
    let (cart, secret) = cart_with_pdf(&app, "maison-kill").await;

    // A second server process on the same storage takes the order.
    let mut child = ServerProcess::start(&storage, app.clock.now(), false).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v1/carts/{cart}/checkout", child.base))
        .header("X-Cart-Secret", &secret)
        .header("Idempotency-Key", "k-kill")
        .json(&buyer("kill@example.fr", "FR", false))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    // SIGKILL: no shutdown, no job ran there.
    child.kill();
    assert_eq!(rx.state().await["verified"].as_array().unwrap().len(), 0);

    // The server starts again on the same storage, and delivers.
    let again = spawn_app_on(&storage, app.clock.now(), |_| {}).await;
    assert_eq!(deliver(&again).await, 1);
    let got = rx.state().await;
    assert_eq!(
        got["verified"][0]["payload"]["data"]["order_id"],
        order["id"]
    );
    let d = &deliveries(&again, &admin, &id).await[0];
    assert_eq!(d["status"], "delivered");
}
