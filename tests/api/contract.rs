//! The contract a frontend team builds on (issue 14): typed problems, no
//! ban for being logged out, sessions that renew, link tokens checked first.

use chrono::Duration;
use domain::clock::Clock as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, link_token, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_problem_type_is_in_the_document_and_resolves_to_its_explanation() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let listed: Vec<&str> = spec["components"]["schemas"]["ProblemType"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for kind in api::problem::PROBLEM_TYPES {
        assert!(listed.contains(kind), "{kind} is not in the document");
        let res = app.get(kind).await;
        assert_eq!(res.status(), 200, "{kind} does not resolve");
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["type"], *kind);
        assert!(doc["description"].as_str().unwrap().len() > 10);
    }
    assert_problem(
        app.get("/problems/no-such-thing").await,
        404,
        "/problems/not-found",
    )
    .await;
    // Every error response names the types its status can carry.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                // HEAD answers have no body.
                if method == "head" || (!status.starts_with('4') && !status.starts_with('5')) {
                    continue;
                }
                let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    schema.as_str(),
                    Some(format!("#/components/schemas/Problem{status}").as_str()),
                    "{method} {path} {status}"
                );
                let typed = &spec["components"]["schemas"][format!("Problem{status}")]["allOf"][1]
                    ["properties"]["type"]["enum"];
                for t in typed.as_array().unwrap() {
                    assert!(listed.contains(&t.as_str().unwrap()));
                }
            }
        }
    }
}

#[tokio::test]
async fn a_429_says_which_limit_and_when_to_retry() {
    let app = spawn_app().await;
    app.register("locked@example.fr", "Locked", Some(PASSWORD))
        .await;
    let wrong = json!({"email": "locked@example.fr", "password": "pas le bon mot de passe"});
    let mut last = None;
    for _ in 0..5 {
        last = Some(app.post_json("/v1/auth/login", &wrong).await);
    }
    let res = last.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    assert_eq!(res.headers()["ratelimit-policy"], "\"account\";q=5;w=60");
    assert_eq!(res.headers()["ratelimit"], "\"account\";r=0;t=60");
    let body = assert_problem(res, 429, "/problems/too-many-requests").await;
    assert_eq!(body["reason"], "account_locked");
    assert_eq!(body["retry_after"], 60);
}

async fn login_with_ip(app: &TestApp, email: &str, ip: &str) -> Value {
    app.client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn sec_2_an_expired_or_ended_session_is_a_401_that_never_bans() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.register("visitor@example.fr", "Visitor", Some(PASSWORD))
        .await;
    let old = login_with_ip(&app, "visitor@example.fr", "203.0.113.5").await;
    let old = old["access_token"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::days(3));
    let fresh = login_with_ip(&app, "visitor@example.fr", "203.0.113.5").await;
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    // An SPA retrying with its expired token, 25 times.
    for _ in 0..25 {
        let res = app
            .client
            .get(app.url("/v1/me"))
            .header("x-forwarded-for", "203.0.113.5")
            .bearer_auth(&old)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
    }
    let res = app
        .client
        .get(app.url("/v1/me"))
        .header("x-forwarded-for", "203.0.113.5")
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the household is not banned");
    // Forged tokens still count: 20 of them ban the source.
    for _ in 0..20 {
        app.client
            .get(app.url("/v1/me"))
            .header("x-forwarded-for", "203.0.113.99")
            .bearer_auth("forged.token.value")
            .send()
            .await
            .unwrap();
    }
    let res = app
        .client
        .get(app.url("/v1/me"))
        .header("x-forwarded-for", "203.0.113.99")
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 429, "/problems/too-many-requests").await;
    assert_eq!(body["reason"], "source_banned");
}

#[tokio::test]
async fn acc_4_a_session_is_renewed_by_refresh_up_to_its_absolute_limit() {
    let app = spawn_app().await;
    let token = app.customer("renew@example.fr").await;
    let start = app.clock.now();
    app.clock.advance(Duration::days(1));
    let res = app
        .with(Method::POST, "/v1/auth/refresh", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let renewed: Value = res.json().await.unwrap();
    let new_token = renewed["access_token"].as_str().unwrap().to_owned();
    let expires: chrono::DateTime<chrono::Utc> =
        renewed["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, start + Duration::days(3));
    // Past the first end, the renewed token works and the old one does not.
    app.clock.advance(Duration::days(1) + Duration::hours(1));
    assert_eq!(app.get_as("/v1/me", &new_token).await.status(), 200);
    assert_eq!(app.get_as("/v1/me", &token).await.status(), 401);
    // Renewing every day never goes past 30 days after login.
    let mut current = new_token;
    for _ in 0..40 {
        app.clock.advance(Duration::days(1));
        let res = app
            .with(Method::POST, "/v1/auth/refresh", &current)
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            assert_eq!(res.status(), 401);
            break;
        }
        let body: Value = res.json().await.unwrap();
        let end: chrono::DateTime<chrono::Utc> =
            body["expires_at"].as_str().unwrap().parse().unwrap();
        assert!(end <= start + Duration::days(30), "{end}");
        current = body["access_token"].as_str().unwrap().to_owned();
    }
    assert!(app.clock.now() <= start + Duration::days(31));
    assert_eq!(app.get_as("/v1/me", &current).await.status(), 401);
}

#[tokio::test]
async fn acc_4_log_out_every_other_device_in_one_call() {
    let app = spawn_app().await;
    let here = app.customer("devices@example.fr").await;
    let phone = app.login("devices@example.fr", PASSWORD).await;
    let tablet = app.login("devices@example.fr", PASSWORD).await;
    let res = app
        .with(Method::DELETE, "/v1/me/sessions", &here)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me", &phone).await.status(), 401);
    assert_eq!(app.get_as("/v1/me", &tablet).await.status(), 401);
    assert_eq!(app.get_as("/v1/me", &here).await.status(), 200);
    let sessions: Value = app
        .get_as("/v1/me/sessions", &here)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn acc_2_a_link_token_can_be_checked_before_the_form_without_using_it() {
    let app = spawn_app().await;
    app.register("link@example.fr", "Link", None).await;
    let mail = app.mails_to("link@example.fr").await.pop().unwrap();
    let token = link_token(&mail);
    let res = app
        .post_json("/v1/auth/password/check", &json!({"token": token}))
        .await;
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["purpose"], "set_password");
    let ends: chrono::DateTime<chrono::Utc> = info["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ends, app.clock.now() + Duration::hours(48));
    // Still usable.
    let res = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_json("/v1/auth/password/check", &json!({"token": token}))
        .await;
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "token");
}

#[tokio::test]
async fn acc_1_only_assigned_iso_country_codes_are_accepted() {
    let app = spawn_app().await;
    let token = app.customer("pays@example.fr").await;
    for bad in ["XX", "EU", "fr"] {
        let res = app
            .with(Method::POST, "/v1/me/addresses", &token)
            .json(&json!({"kind": "billing", "full_name": "Jeanne Dupont", "line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": bad}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 400, "/problems/validation-failed").await;
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "country"),
            "{bad}: {body}"
        );
    }
    let res = app
        .with(Method::POST, "/v1/me/addresses", &token)
        .json(&json!({"kind": "billing", "full_name": "Jeanne Dupont", "line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "BE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}
