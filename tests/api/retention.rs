//! Retention (RET-1..6): what the privacy policy promises about time
//! happens on its own. The clock moves; the retention job runs (as the
//! admin's `POST /v1/admin/retention/runs`, the same run `serve` makes
//! hourly); what is past its period is gone, what is not stays, and every
//! run is in the audit log.

use chrono::Duration;
use domain::clock::Clock;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_on};
use crate::shop::{cart_with_pdf, guest_buys, guest_cart};

const ADMIN: &str = "dpo@boutique.test";

/// Asks for a retention run as an admin (logging in again: the clock moved).
async fn start_run(app: &TestApp) -> reqwest::Response {
    let token = app.login(ADMIN, PASSWORD).await;
    app.with(Method::POST, "/v1/admin/retention/runs", &token)
        .send()
        .await
        .unwrap()
}

/// Runs retention as an admin, and answers the count per category.
async fn run(app: &TestApp) -> Value {
    let res = start_run(app).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn count(report: &Value, category: &str) -> u64 {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == category)
        .unwrap_or_else(|| panic!("no {category} in {report}"))["count"]
        .as_u64()
        .unwrap()
}

async fn rows(app: &TestApp, table: &str) -> u64 {
    app.app
        .db
        .query_strings(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
        .await
        .unwrap()[0]
        .parse()
        .unwrap()
}

async fn with_admin() -> TestApp {
    let app = spawn_app().await;
    app.staff(ADMIN, Role::Admin).await;
    app
}

async fn read_order(app: &TestApp, placed: &Value) -> u16 {
    app.client
        .get(app.url(&format!("/v1/orders/{}", placed["id"].as_str().unwrap())))
        .header("X-Order-Secret", placed["access_secret"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn ret_5_a_cart_is_kept_29_days_and_gone_at_31() {
    let app = with_admin().await;
    let (cart, secret) = cart_with_pdf(&app, "maison-oubliee").await;
    app.client
        .put(app.url(&format!("/v1/carts/{cart}/email")))
        .header("X-Cart-Secret", &secret)
        .json(&json!({"email": "panier@example.fr"}))
        .send()
        .await
        .unwrap();
    let read = || {
        app.client
            .get(app.url(&format!("/v1/carts/{cart}")))
            .header("X-Cart-Secret", &secret)
            .send()
    };
    app.clock.advance(Duration::days(29));
    assert_eq!(count(&run(&app).await, "carts"), 0);
    assert_eq!(read().await.unwrap().status(), 200);

    app.clock.advance(Duration::days(2));
    let token = app.login(ADMIN, PASSWORD).await;
    let preview: Value = app
        .get_as("/v1/admin/retention/preview", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(count(&preview, "carts"), 1);
    assert_eq!(
        read().await.unwrap().status(),
        200,
        "a preview changes nothing"
    );
    let report = run(&app).await;
    assert_eq!(count(&report, "carts"), 1);
    assert_problem(read().await.unwrap(), 404, "/problems/not-found").await;
    assert_eq!(rows(&app, "cart_lines").await, 0);

    // The run is in the audit log, with its counts.
    let audit: Value = app
        .get_as("/v1/admin/audit-log?action=retention_run", &token)
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("carts=1")), "{reasons:?}");
}

#[tokio::test]
async fn ret_3_ret_4_unpaid_orders_go_after_7_days_and_cancelled_ones_after_48_hours() {
    let app = with_admin().await;
    let unpaid = guest_buys(&app, "maison-impayee", "impaye@example.fr", &json!({})).await;
    // A card payment that failed (as the provider's webhook leaves it).
    let failed = guest_buys(&app, "maison-echouee", "echec@example.fr", &json!({})).await;
    app.raw_sql(&format!(
        "UPDATE orders SET status = 'failed' WHERE number = '{}'",
        failed["number"].as_str().unwrap()
    ))
    .await;
    let cancelled = guest_buys(&app, "maison-annulee", "annule@example.fr", &json!({})).await;
    let res = app
        .client
        .post(app.url(&format!(
            "/v1/orders/{}/cancel",
            cancelled["id"].as_str().unwrap()
        )))
        .header(
            "X-Order-Secret",
            cancelled["access_secret"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    app.clock.advance(Duration::hours(47));
    run(&app).await;
    assert_eq!(read_order(&app, &cancelled).await, 200);
    app.clock.advance(Duration::hours(2));
    let report = run(&app).await;
    assert_eq!(count(&report, "cancelled_orders"), 1);
    assert_eq!(read_order(&app, &cancelled).await, 404);
    assert_eq!(read_order(&app, &unpaid).await, 200);

    app.clock.advance(Duration::days(6) - Duration::hours(49));
    run(&app).await;
    assert_eq!(read_order(&app, &unpaid).await, 200, "6 days: kept");
    assert_eq!(read_order(&app, &failed).await, 200, "6 days: kept");
    app.clock.advance(Duration::days(2));
    let report = run(&app).await;
    assert_eq!(count(&report, "unpaid_orders"), 2);
    assert_eq!(read_order(&app, &unpaid).await, 404, "8 days: gone");
    assert_eq!(read_order(&app, &failed).await, 404, "8 days: gone");
    for table in [
        "orders",
        "order_events",
        "carts",
        "cart_lines",
        "coupon_uses",
    ] {
        assert_eq!(rows(&app, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn ret_1_a_closed_order_leaves_at_one_year_and_its_invoice_after_ten() {
    let app = with_admin().await;
    let placed = guest_buys(&app, "maison-payee", "payeur@example.fr", &json!({})).await;
    let admin = app.login(ADMIN, PASSWORD).await;
    let res = app
        .with(
            Method::POST,
            &format!(
                "/v1/admin/orders/{}/actions",
                placed["id"].as_str().unwrap()
            ),
            &admin,
        )
        .json(&json!({"action": "mark_paid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(rows(&app, "invoices").await, 1);

    app.clock.advance(Duration::days(364));
    run(&app).await;
    assert_eq!(read_order(&app, &placed).await, 200, "within its year");
    app.clock.advance(Duration::days(2));
    let report = run(&app).await;
    assert_eq!(count(&report, "closed_orders"), 1);
    assert_eq!(read_order(&app, &placed).await, 404);
    assert_eq!(rows(&app, "orders").await, 0);
    assert_eq!(rows(&app, "payments").await, 0);
    // The invoice stays in the legal archive, under its own key, readable
    // by an admin with a stated reason.
    assert_eq!(rows(&app, "invoices").await, 1);
    let number = app
        .app
        .db
        .query_strings("SELECT number FROM invoices")
        .await
        .unwrap()
        .remove(0);
    let admin = app.login(ADMIN, PASSWORD).await;
    let path = format!("/v1/admin/legal-archive/{number}");
    assert_problem(
        app.get_as(&path, &admin).await,
        400,
        "/problems/validation-failed",
    )
    .await;
    let res = app
        .with(Method::GET, &path, &admin)
        .header("X-Access-Reason", "tax audit")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let invoice: Value = res.json().await.unwrap();
    assert_eq!(invoice["number"], number.as_str());
    assert_eq!(invoice["buyer_name"], "Jeanne Martin", "{invoice}");

    app.clock.advance(Duration::days(365 * 9));
    assert_eq!(
        count(&run(&app).await, "legal_archive"),
        0,
        "10 years not yet"
    );
    app.clock.advance(Duration::days(5));
    assert_eq!(count(&run(&app).await, "legal_archive"), 1);
    assert_eq!(rows(&app, "invoices").await, 0);
}

#[tokio::test]
async fn ret_2_an_inactive_account_is_warned_then_erased_and_a_login_keeps_one() {
    let app = with_admin().await;
    app.customer("dormant@example.fr").await;
    app.customer("revient@example.fr").await;
    let staff = app.staff("vendeur@boutique.test", Role::ShopManager).await;
    drop(staff);

    // 5.5 months: both are warned, once; staff never are.
    app.clock.advance(Duration::days(170));
    let report = run(&app).await;
    assert_eq!(report["warned"], 2);
    assert_eq!(count(&report, "inactive_accounts"), 0);
    let warning = app.mails_to("dormant@example.fr").await.pop().unwrap();
    assert!(warning.contains("supprim"), "{warning}");
    assert!(app.mails_to("vendeur@boutique.test").await.is_empty());
    assert_eq!(run(&app).await["warned"], 0, "warned once");

    // One of them signs in: their account is kept.
    app.clock.advance(Duration::days(1));
    app.login("revient@example.fr", PASSWORD).await;

    // 6 months and the warning's 14 days: the other is erased.
    app.clock.advance(Duration::days(15));
    let report = run(&app).await;
    assert_eq!(count(&report, "inactive_accounts"), 1);
    let res = app
        .login_response("dormant@example.fr", PASSWORD, false)
        .await;
    assert_problem(res, 401, "/problems/invalid-credentials").await;
    app.login("revient@example.fr", PASSWORD).await;
    app.login("vendeur@boutique.test", PASSWORD).await;
    // The address can register again.
    assert_eq!(
        app.register("dormant@example.fr", "De retour", Some(PASSWORD))
            .await
            .status(),
        202
    );
    app.login("dormant@example.fr", PASSWORD).await;
    // The key was destroyed, and that is audited.
    let token = app.login(ADMIN, PASSWORD).await;
    let audit: Value = app
        .get_as("/v1/admin/audit-log?action=subject_key_destroyed", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn ret_6_old_audit_entries_go_after_12_months_and_the_chain_still_verifies() {
    let app = with_admin().await;
    app.customer("trace@example.fr").await;
    app.clock.advance(Duration::days(400));
    let report = run(&app).await;
    assert!(count(&report, "audit_log") > 0);
    assert!(count(&report, "sessions") > 0, "ended sessions go too");
    let token = app.login(ADMIN, PASSWORD).await;
    let verify = || async {
        let v: Value = app
            .get_as("/v1/admin/audit-log/verify", &token)
            .await
            .json()
            .await
            .unwrap();
        v
    };
    assert_eq!(verify().await["valid"], true);
    // Removing a kept entry is still caught.
    app.raw_sql("DELETE FROM audit_log WHERE seq = (SELECT MIN(seq) FROM audit_log)")
        .await;
    assert_eq!(verify().await["valid"], false);
}

#[tokio::test]
async fn ret_two_servers_running_retention_at_once_purge_once() {
    let one = with_admin().await;
    let now = one.clock.now();
    let two = spawn_app_on(&one.storage, now, |_| {}).await;
    for _ in 0..3 {
        guest_cart(&one).await;
    }
    one.clock.advance(Duration::days(31));
    two.clock.advance(Duration::days(31));
    let (a, b) = tokio::join!(start_run(&one), start_run(&two));
    let mut purged = 0;
    for res in [a, b] {
        match res.status().as_u16() {
            200 => purged += count(&res.json::<Value>().await.unwrap(), "carts"),
            409 => {}
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(purged, 3);
    assert_eq!(rows(&one, "carts").await, 0);
}

#[tokio::test]
async fn ret_6_the_record_of_processing_follows_the_configuration() {
    let app = crate::helpers::spawn_app_with(|c| c.retention = "carts=15d".into()).await;
    let res = app.get("/v1/privacy/processing-register").await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    let orders = r["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "orders")
        .unwrap();
    assert!(
        orders["retention"]
            .as_array()
            .unwrap()
            .contains(&json!("carts: 15d")),
        "{orders}"
    );
    assert!(r["tables"].is_null(), "the public form has no table list");
    for name in ["newsletter", "marketing_email"] {
        assert!(
            r["activities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == name && a["legal_basis"] == "consent"),
            "{name}"
        );
    }
    app.staff(ADMIN, Role::Admin).await;
    let token = app.login(ADMIN, PASSWORD).await;
    let admin: Value = app
        .get_as("/v1/admin/privacy/processing-register", &token)
        .await
        .json()
        .await
        .unwrap();
    let tables = admin["tables"].as_array().unwrap();
    assert!(tables.iter().any(|t| {
        t["table"] == "orders"
            && t["encrypted_columns"]
                .as_array()
                .unwrap()
                .contains(&json!("buyer_enc"))
    }));
}
