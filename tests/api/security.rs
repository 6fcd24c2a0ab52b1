//! Tokens, lockdown, bans and the audit log (SEC-1..3) through HTTP.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

fn forge(token: &str, header: &str, claims_patch: Option<Value>) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    if let Some(p) = claims_patch {
        for (k, v) in p.as_object().unwrap() {
            claims[k] = v.clone();
        }
    }
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

#[tokio::test]
async fn forged_none_and_foreign_tokens_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let token = app.customer("tok@example.fr").await;
    let hs = r#"{"alg":"HS256","typ":"JWT"}"#;
    let parts: Vec<&str> = token.split('.').collect();
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let bad_sig = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode([7u8; 32])
    );
    for bad in [
        none,
        bad_sig,
        forge(&token, hs, Some(json!({"role": "admin"}))),
        forge(&token, hs, Some(json!({"aud": "another-api"}))),
        forge(&token, r#"{"alg":"HS512","typ":"JWT"}"#, None),
        "not.a.jwt".to_owned(),
    ] {
        let res = app.get_as("/v1/me", &bad).await;
        assert!(
            res.headers()
                .get("www-authenticate")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert_problem(res, 401, "/problems/unauthorized").await;
    }
    let res = app.get("/v1/me").await;
    assert!(res.headers().get("www-authenticate").is_some());
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn sec_1_five_failures_lock_the_account_for_that_source_with_backoff() {
    let app = spawn_app().await;
    app.customer("locked@example.fr").await;
    app.customer("other@example.fr").await;
    for _ in 0..4 {
        assert_eq!(
            app.login_response("locked@example.fr", "a wrong password!", false)
                .await
                .status(),
            401
        );
    }
    let res = app
        .login_response("locked@example.fr", "a wrong password!", false)
        .await;
    assert_eq!(res.headers().get("retry-after").unwrap(), "60");
    assert_problem(res, 429, "/problems/too-many-requests").await;
    // Locked even with the right password, but only this account.
    assert_eq!(
        app.login_response("locked@example.fr", PASSWORD, false)
            .await
            .status(),
        429
    );
    app.login("other@example.fr", PASSWORD).await;
    // After the lock, one more failure locks for twice as long.
    app.clock.advance(Duration::seconds(61));
    let res = app
        .login_response("locked@example.fr", "a wrong password!", false)
        .await;
    assert_eq!(res.headers().get("retry-after").unwrap(), "120");
    app.clock.advance(Duration::seconds(121));
    app.login("locked@example.fr", PASSWORD).await;
}

#[tokio::test]
async fn sec_1_unknown_accounts_lock_the_same_way() {
    let app = spawn_app().await;
    for _ in 0..4 {
        assert_eq!(
            app.login_response("ghost@example.fr", "a wrong password!", false)
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.login_response("ghost@example.fr", "a wrong password!", false)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn sec_1_twenty_failures_across_accounts_ban_the_source_for_an_hour() {
    let app = spawn_app().await;
    app.customer("victim@example.fr").await;
    for i in 0..20 {
        let res = app
            .login_response(&format!("spray{i}@example.fr"), "a wrong password!", false)
            .await;
        assert!(matches!(res.status().as_u16(), 401 | 429));
    }
    let res = app
        .login_response("victim@example.fr", PASSWORD, false)
        .await;
    let retry: i64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry), "{retry}");
    assert_eq!(res.status(), 429);
    app.clock.advance(Duration::minutes(61));
    app.login("victim@example.fr", PASSWORD).await;
}

#[tokio::test]
async fn sec_2_repeated_unauthenticated_hits_on_private_areas_ban_the_source() {
    let app = spawn_app().await;
    let token = app.customer("probe@example.fr").await;
    for path in ["/v1/me", "/v1/admin/staff"].iter().cycle().take(20) {
        assert_eq!(app.get(path).await.status(), 401);
    }
    // Banned: even valid credentials from this source are refused for a while.
    let res = app.get_as("/v1/me", &token).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, 429, "/problems/too-many-requests").await;
    assert_eq!(
        app.login_response("probe@example.fr", PASSWORD, false)
            .await
            .status(),
        429
    );
    // The public catalogue stays open.
    assert_eq!(app.get("/v1/products").await.status(), 200);
}

#[tokio::test]
async fn sec_1_admins_list_and_lift_locks_and_bans() {
    let app = spawn_app().await;
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    app.customer("stuck@example.fr").await;
    for _ in 0..5 {
        app.login_response("stuck@example.fr", "a wrong password!", false)
            .await;
    }
    let blocks: Value = app
        .get_as("/v1/admin/security/blocks", &admin)
        .await
        .json()
        .await
        .unwrap();
    let items = blocks["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "account_source_lock");
    assert_eq!(items[0]["source"], "127.0.0.0/24");
    let id = items[0]["id"].as_str().unwrap();
    let res = app
        .with(
            Method::DELETE,
            &format!("/v1/admin/security/blocks/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    app.login("stuck@example.fr", PASSWORD).await;
    let blocks: Value = app
        .get_as("/v1/admin/security/blocks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(blocks["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn acc_3_a_password_reset_works_while_the_account_is_locked_and_lifts_the_lock() {
    let app = spawn_app().await;
    app.customer("forgetful@example.fr").await;
    for _ in 0..5 {
        app.login_response("forgetful@example.fr", "a wrong password!", false)
            .await;
    }
    app.post_json(
        "/v1/auth/password/forgot",
        &json!({"email": "forgetful@example.fr"}),
    )
    .await;
    let token =
        crate::helpers::link_token(&app.mails_to("forgetful@example.fr").await.pop().unwrap());
    let res = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": "enfin un mot de passe retenu"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    app.login("forgetful@example.fr", "enfin un mot de passe retenu")
        .await;
}

#[tokio::test]
async fn sec_3_the_audit_log_records_security_events_in_a_verified_chain() {
    let app = spawn_app().await;
    let admin = app.staff("audit@boutique.example", Role::Admin).await;
    app.customer("someone@example.fr").await;
    app.login_response("someone@example.fr", "a wrong password!", false)
        .await;
    let log: Value = app
        .get_as("/v1/admin/audit-log?limit=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "account_created",
        "role_changed",
        "login_succeeded",
        "login_failed",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let failed: Value = app
        .get_as("/v1/admin/audit-log?action=login_failed", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        failed["items"][0]["source"], "127.0.0.0/24",
        "addresses are truncated"
    );
    let v: Value = app
        .get_as("/v1/admin/audit-log/verify", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], true);
    assert!(v["checked"].as_i64().unwrap() >= 5);
    // Pagination walks the log newest first.
    let page: Value = app
        .get_as("/v1/admin/audit-log?limit=2", &admin)
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    let next: Value = app
        .get_as(
            &format!("/v1/admin/audit-log?limit=2&cursor={cursor}"),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(next["items"][0]["seq"].as_i64() < page["items"][1]["seq"].as_i64());
}

#[tokio::test]
async fn sec_3_altering_or_deleting_an_entry_in_the_database_breaks_verification() {
    let app = spawn_app().await;
    let admin = app.staff("chain@boutique.example", Role::Admin).await;
    app.customer("c1@example.fr").await;
    app.customer("c2@example.fr").await;
    app.raw_sql("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3")
        .await;
    let v: Value = app
        .get_as("/v1/admin/audit-log/verify", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["first_broken_seq"], 3);

    let app = spawn_app().await;
    let admin = app.staff("chain2@boutique.example", Role::Admin).await;
    app.customer("c3@example.fr").await;
    app.raw_sql("DELETE FROM audit_log WHERE seq = 2").await;
    let v: Value = app
        .get_as("/v1/admin/audit-log/verify", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["first_broken_seq"], 2);
}

#[tokio::test]
async fn sec_3_no_endpoint_edits_or_deletes_audit_entries() {
    let app = spawn_app().await;
    let admin = app.staff("ro@boutique.example", Role::Admin).await;
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let res = app
            .with(method.clone(), "/v1/admin/audit-log", &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method}");
    }
}

#[tokio::test]
async fn sec_1_x_forwarded_for_is_believed_only_behind_a_trusted_proxy() {
    let wrong = json!({"email": "xff@example.fr", "password": "a wrong password!"});
    let right = json!({"email": "xff@example.fr", "password": PASSWORD});
    // Not trusted: forging the header does not spread failures over sources.
    let app = spawn_app().await;
    app.customer("xff@example.fr").await;
    let mut last = 0;
    for i in 0..5 {
        let res = app
            .client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&wrong)
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
    }
    assert_eq!(last, 429);

    // Trusted: the client address the proxy reports is the source.
    let app = crate::helpers::spawn_app_with(|c| c.trust_proxy = true).await;
    app.customer("xff@example.fr").await;
    for _ in 0..5 {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", "10.0.0.1, 198.51.100.7")
            .json(&wrong)
            .send()
            .await
            .unwrap();
    }
    let locked = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", "198.51.100.7")
        .json(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    let elsewhere = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", "192.0.2.9")
        .json(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200);
    let admin = app.staff("proxy-admin@boutique.example", Role::Admin).await;
    let blocks: Value = app
        .get_as("/v1/admin/security/blocks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(blocks["items"][0]["source"], "198.51.100.0/24");
}
