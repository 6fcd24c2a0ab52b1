//! What an attacker's review of accounts and sessions found (issue 7): each
//! test failed before its fix.

use chrono::Duration;
use domain::identity::Role;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with};

/// A test app that believes `X-Forwarded-For`, so one test can speak from
/// many sources.
async fn proxied() -> TestApp {
    spawn_app_with(|c| c.trust_proxy = true).await
}

async fn post_from(app: &TestApp, from: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("x-forwarded-for", from)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn audit_count(app: &TestApp, admin: &str, action: &str) -> usize {
    let log: Value = app
        .get_as(
            &format!("/v1/admin/audit-log?action={action}&limit=100"),
            admin,
        )
        .await
        .json()
        .await
        .unwrap();
    log["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn sec_4_made_up_reset_tokens_count_against_the_source_and_end_in_a_ban() {
    let app = proxied().await;
    let body = json!({"token": "made-up-token-made-up-token-made-up-token-00", "new_password": "un mot de passe très long et neuf"});
    for _ in 0..20 {
        let res = post_from(&app, "203.0.113.9", "/v1/auth/password/reset", &body).await;
        assert_problem(res, 400, "/problems/validation-failed").await;
    }
    let res = post_from(&app, "203.0.113.9", "/v1/auth/password/reset", &body).await;
    assert_problem(res, 429, "/problems/too-many-requests").await;
    // Another source is not affected.
    let res = post_from(&app, "203.0.113.10", "/v1/auth/password/reset", &body).await;
    assert_problem(res, 400, "/problems/validation-failed").await;
}

#[tokio::test]
async fn sec_4_forgot_password_sends_one_mail_per_recipient_and_limits_each_source() {
    let app = proxied().await;
    assert_eq!(
        app.register("victim@example.fr", "Victime", Some(PASSWORD))
            .await
            .status(),
        202
    );
    app.deliver_mail().await;
    // 60 requests from 60 sources: one reset mail.
    for i in 0..60 {
        let res = post_from(
            &app,
            &format!("198.51.100.{i}"),
            "/v1/auth/password/forgot",
            &json!({"email": "victim@example.fr"}),
        )
        .await;
        assert_eq!(res.status(), 202);
    }
    let resets = app
        .mails_to("victim@example.fr")
        .await
        .into_iter()
        .filter(|m| m.contains("reset-password?token="))
        .count();
    assert_eq!(resets, 1);
    // Ten minutes later, a new link may go.
    app.clock.advance(Duration::minutes(11));
    post_from(
        &app,
        "198.51.100.200",
        "/v1/auth/password/forgot",
        &json!({"email": "victim@example.fr"}),
    )
    .await;
    let resets = app
        .mails_to("victim@example.fr")
        .await
        .into_iter()
        .filter(|m| m.contains("reset-password?token="))
        .count();
    assert_eq!(resets, 2);
    // One source: 20 requests an hour, for any addresses, known or not.
    for i in 0..20 {
        let res = post_from(
            &app,
            "192.0.2.1",
            "/v1/auth/password/forgot",
            &json!({"email": format!("x{i}@example.fr")}),
        )
        .await;
        assert_eq!(res.status(), 202);
    }
    let res = post_from(
        &app,
        "192.0.2.1",
        "/v1/auth/password/forgot",
        &json!({"email": "victim@example.fr"}),
    )
    .await;
    let body = assert_problem(res, 429, "/problems/too-many-requests").await;
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn sec_4_registering_a_taken_address_notifies_its_owner_once_per_ten_minutes() {
    let app = proxied().await;
    app.register("owner@example.fr", "Owner", Some(PASSWORD))
        .await;
    for i in 0..30 {
        let res = post_from(
            &app,
            &format!("198.51.100.{i}"),
            "/v1/auth/register",
            &json!({"email": "owner@example.fr", "name": "Intrus", "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await;
        assert_eq!(res.status(), 202);
    }
    let notices = app
        .mails_to("owner@example.fr")
        .await
        .into_iter()
        .filter(|m| m.contains("register") || m.contains("inscription"))
        .count();
    assert_eq!(notices, 1);
    // A source registering many addresses is limited, whatever they are.
    for i in 0..20 {
        let res = post_from(
            &app,
            "192.0.2.7",
            "/v1/auth/register",
            &json!({"email": format!("new{i}@example.fr"), "name": "Nouveau", "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await;
        assert_eq!(res.status(), 202);
    }
    let res = post_from(
        &app,
        "192.0.2.7",
        "/v1/auth/register",
        &json!({"email": "one-more@example.fr", "name": "Nouveau", "accept_privacy_policy": true, "privacy_policy_version": 1}),
    )
    .await;
    assert_problem(res, 429, "/problems/too-many-requests").await;
}

#[tokio::test]
async fn sec_1_ipv6_sources_are_counted_by_their_64() {
    let app = proxied().await;
    app.register("six@example.fr", "Six", Some(PASSWORD)).await;
    let wrong = json!({"email": "six@example.fr", "password": "pas le bon mot de passe"});
    let mut statuses = vec![];
    for i in 0..40 {
        let res = post_from(
            &app,
            &format!("2001:db8:1:2::{:x}", i + 1),
            "/v1/auth/login",
            &wrong,
        )
        .await;
        statuses.push(res.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let right = json!({"email": "six@example.fr", "password": PASSWORD});
    let res = post_from(&app, "2001:db8:1:2:ffff::1", "/v1/auth/login", &right).await;
    assert_problem(res, 429, "/problems/too-many-requests").await;
    // Another /64 is another source.
    let res = post_from(&app, "2001:db8:1:3::1", "/v1/auth/login", &right).await;
    assert_eq!(res.status(), 200);

    // Unauthenticated probes of private areas from one /64 end in a ban.
    let mut last = 0;
    for i in 0..60 {
        let res = app
            .client
            .get(app.url("/v1/me"))
            .header("x-forwarded-for", format!("2001:db8:9:9::{:x}", i + 1))
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn sec_1_the_lockout_threshold_holds_under_41_concurrent_logins() {
    let app = proxied().await;
    app.register("race@example.fr", "Race", Some(PASSWORD))
        .await;
    let wrong = json!({"email": "race@example.fr", "password": "pas le bon mot de passe"});
    let answers =
        join_all((0..41).map(|_| post_from(&app, "203.0.113.77", "/v1/auth/login", &wrong))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let unauthorised = statuses.iter().filter(|s| **s == 401).count();
    assert!(unauthorised <= 4, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let checked = audit_count(&app, &admin, "login_failed").await;
    assert!(checked <= 5, "{checked} wrong passwords were checked");
}

#[tokio::test]
async fn sec_5_preflight_answers_carry_the_security_headers() {
    // Behind a proxy that terminated TLS, so HSTS is due too.
    let app = spawn_app_with(|c| {
        c.cors_origins = vec!["https://shop.example".into()];
        c.trust_proxy = true;
    })
    .await;
    for origin in ["https://shop.example", "https://evil.example"] {
        let res = app
            .client
            .request(Method::OPTIONS, app.url("/v1/me"))
            .header("x-forwarded-proto", "https")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        for h in [
            "strict-transport-security",
            "content-security-policy",
            "x-content-type-options",
            "cache-control",
        ] {
            assert!(
                res.headers().contains_key(h),
                "{origin}: {h} missing on {}",
                res.status()
            );
        }
    }
}

#[tokio::test]
async fn staff_1_a_shop_manager_cannot_read_staff_records() {
    let app = proxied().await;
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let me: Value = app.get_as("/v1/me", &admin).await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap();
    let res = app
        .with(
            Method::GET,
            &format!("/v1/admin/customers/{admin_id}"),
            &manager,
        )
        .header("x-access-reason", "curiosity test")
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "/problems/not-found").await;
    let found: Value = app
        .with(
            Method::GET,
            "/v1/admin/customers?email=admin@boutique.example",
            &manager,
        )
        .header("x-access-reason", "curiosity test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 0);
    // Customers stay readable, and an admin still reads staff.
    app.register("client@example.fr", "Client", Some(PASSWORD))
        .await;
    let found: Value = app
        .with(
            Method::GET,
            "/v1/admin/customers?email=client@example.fr",
            &manager,
        )
        .header("x-access-reason", "order follow-up")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let res = app
        .with(
            Method::GET,
            &format!("/v1/admin/customers/{admin_id}"),
            &admin,
        )
        .header("x-access-reason", "own record")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Every secured operation of the document decides who the caller is
/// before it reads the body: no token is 401, a customer's token on a staff
/// operation is 403, whatever the body.
#[tokio::test]
async fn sec_2_the_caller_is_judged_before_the_body_on_every_secured_operation() {
    let app = proxied().await;
    let customer = app.customer("someone@example.fr").await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut checked = 0;
    let mut n = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            if !secured {
                continue;
            }
            let concrete = path
                .replace("{product_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{account_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{customer_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{address_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{session_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{block_id}", "x")
                .replace("{cart_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{item_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60")
                .replace("{order_id}", "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let staff_only = path.starts_with("/v1/admin");
            for token in [None, Some(customer.as_str())] {
                if token.is_some() && !staff_only {
                    continue;
                }
                n += 1;
                // A source per request: the probes must not ban the test.
                let mut req = app
                    .client
                    .request(m.clone(), app.url(&concrete))
                    .header("x-forwarded-for", format!("10.9.{}.{}", n / 250, n % 250))
                    .header("content-type", "application/json")
                    .body("{\"not\": \"valid\"");
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let res = req.send().await.unwrap();
                let expected = if token.is_some() { 403 } else { 401 };
                assert_eq!(
                    res.status().as_u16(),
                    expected,
                    "{method} {path} with {token:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "{checked}");
}

/// SEC-7: personal data are only for the company's staff: anonymous callers
/// and customers never reach another person's data, and every staff read is
/// audited with its reason.
#[tokio::test]
async fn sec_7_personal_data_reach_staff_only_and_every_read_is_audited() {
    let app = proxied().await;
    let customer = app.customer("privee@example.fr").await;
    let other = app.customer("autre@example.fr").await;
    let me: Value = app.get_as("/v1/me", &customer).await.json().await.unwrap();
    let id = me["id"].as_str().unwrap();
    let path = format!("/v1/admin/customers/{id}");
    let res = app
        .client
        .get(app.url(&path))
        .header("x-access-reason", "no reason")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .with(Method::GET, &path, &other)
        .header("x-access-reason", "no reason")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let res = app
        .with(Method::GET, &path, &manager)
        .header("x-access-reason", "refund of order 42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let log: Value = app
        .get_as("/v1/admin/audit-log?action=personal_data_accessed", &admin)
        .await
        .json()
        .await
        .unwrap();
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target"], format!("customer:{id}"));
    assert_eq!(entries[0]["reason"], "refund of order 42");
}

/// SEC-4: bodies are bounded, but never below what the document allows.
/// An article may hold 20,000 characters in each language: written in
/// emoji and sent with every character escaped, as Python's `json.dumps`
/// does by default, that is nearly half a megabyte, well over the 64 KiB
/// default limit, and it is taken. A body past its schema's largest is
/// refused with 413 before it is read to the end.
#[tokio::test]
async fn sec_4_a_body_as_large_as_its_schema_allows_is_taken_and_a_larger_one_refused() {
    let app = spawn_app().await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let post = |path: &'static str, method: Method, body: String| {
        app.with(method, path, &manager)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let escaped = "\\ud83c\\udfe0".repeat(20_000);
    let body = format!(
        r#"{{"slug": "tres-long", "title_fr": "Long", "title_en": "Long", "body_fr": "{escaped}", "body_en": "{escaped}", "status": "draft"}}"#
    );
    assert!(body.len() > 450_000, "{}", body.len());
    let res = post("/v1/admin/articles", Method::POST, body)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let article: Value = res.json().await.unwrap();
    assert_eq!(
        article["body_fr"].as_str().map(|s| s.chars().count()),
        Some(20_000)
    );

    // One character more is a field error, not a size problem.
    let over = format!(
        r#"{{"slug": "trop-long", "title_fr": "Long", "title_en": "Long", "body_fr": "{}", "body_en": "x", "status": "draft"}}"#,
        "é".repeat(20_001)
    );
    let res = post("/v1/admin/articles", Method::POST, over)
        .await
        .unwrap();
    assert_problem(res, 400, "/problems/validation-failed").await;

    // Past any body the schema allows: 413, as on every operation.
    let huge = format!(r#"{{"slug": "{}"}}"#, "a".repeat(2 << 20));
    let res = post("/v1/admin/articles", Method::POST, huge)
        .await
        .unwrap();
    assert_problem(res, 413, "/problems/payload-too-large").await;
    // Where the schema is small, the configured limit holds.
    let res = post(
        "/v1/me",
        Method::PATCH,
        format!(r#"{{"name": "{}"}}"#, "a".repeat(70_000)),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 413);
}
