//! Accounts and sessions (ACC-1..5) through HTTP.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, link_token, spawn_app, spawn_app_with};

#[tokio::test]
async fn acc_1_an_account_keeps_name_email_phone_and_addresses() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "Jeanne@Example.fr", "name": "Jeanne Dupont", "phone": "+33 6 12 34 56 78", "password": PASSWORD,
                    "accept_privacy_policy": true, "privacy_policy_version": 1, "preferred_language": "en"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let token = app.login("jeanne@example.fr", PASSWORD).await;
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["email"], "Jeanne@Example.fr");
    assert_eq!(me["name"], "Jeanne Dupont");
    assert_eq!(me["phone"], "+33612345678");
    assert_eq!(me["preferred_language"], "en");
    assert_eq!(me["privacy_policy_version"], 1);
    assert_eq!(me["consent_required"], false);

    let address = json!({"kind": "shipping", "full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon", "country": "FR"});
    let res = app
        .with(Method::POST, "/v1/me/addresses", &token)
        .json(&address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["country"], "FR");
    let fetched: Value = app.get_as(&location, &token).await.json().await.unwrap();
    assert_eq!(fetched["line1"], "12 rue des Lilas");

    let mut changed = address.clone();
    changed["kind"] = "billing".into();
    changed["city"] = "Villeurbanne".into();
    let res = app
        .with(Method::PUT, &location, &token)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = app
        .get_as("/v1/me/addresses", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["city"], "Villeurbanne");
    assert_eq!(list["items"][0]["kind"], "billing");

    let res = app
        .with(Method::DELETE, &location, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get_as(&location, &token).await,
        404,
        "/problems/not-found",
    )
    .await;
}

#[tokio::test]
async fn acc_1_personal_answers_are_never_cached() {
    let app = spawn_app().await;
    let token = app.customer("cache@example.fr").await;
    let res = app.get_as("/v1/me", &token).await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn con_1_registration_refuses_a_consent_not_actively_given_and_weak_passwords() {
    let app = spawn_app().await;
    let base = json!({"email": "a@example.fr", "name": "A", "password": PASSWORD, "accept_privacy_policy": true, "privacy_policy_version": 1});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"accept_privacy_policy": false}),
            "accept_privacy_policy",
        ),
        (
            json!({"privacy_policy_version": 2}),
            "privacy_policy_version",
        ),
        (json!({"password": "short"}), "password"),
        (json!({"password": "123456789012"}), "password"),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"name": ""}), "name"),
    ];
    for (patch, field) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let problem = assert_problem(
            app.post_json("/v1/auth/register", &body).await,
            400,
            "/problems/validation-failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert!(
            !problem.to_string().contains("123456789012"),
            "the rejected password is never echoed"
        );
    }
    // The box must be there: an absent acceptance is not an acceptance.
    let mut body = base.clone();
    body.as_object_mut()
        .unwrap()
        .remove("accept_privacy_policy");
    assert_problem(
        app.post_json("/v1/auth/register", &body).await,
        400,
        "/problems/validation-failed",
    )
    .await;
}

#[tokio::test]
async fn acc_2_without_a_password_a_single_use_set_password_link_is_emailed() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("link@example.fr", "Lien", None).await.status(),
        202
    );
    let mails = app.mails_to("link@example.fr").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("Subject: Votre compte Boutique"),
        "French by default"
    );
    let token = link_token(&mails[0]);
    let res = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
    app.login("link@example.fr", PASSWORD).await;
    // Single use.
    let res = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": "encore un autre mot de passe"}),
        )
        .await;
    assert_problem(res, 400, "/problems/validation-failed").await;
}

#[tokio::test]
async fn acc_2_a_generated_password_is_emailed_and_must_be_changed_at_first_login() {
    let app =
        spawn_app_with(|c| c.account_setup = api::config::AccountSetup::GeneratedPassword).await;
    assert_eq!(
        app.register("gen@example.fr", "Gen", None).await.status(),
        202
    );
    let mail = app.mails_to("gen@example.fr").await.remove(0);
    let password = mail
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 20 && l.chars().all(|c| c.is_ascii_alphanumeric()))
        .expect("the generated password in the message")
        .to_owned();
    let res = app.login_response("gen@example.fr", &password, false).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["must_change_password"], true);
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_problem(
        app.get_as("/v1/me", &token).await,
        403,
        "/problems/password-change-required",
    )
    .await;
    let res = app
        .with(Method::PUT, "/v1/me/password", &token)
        .json(&json!({"current_password": password, "new_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["must_change_password"], false);
    // The generated password is stored only as a hash.
    assert_eq!(
        app.login_response("gen@example.fr", &password, false)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn acc_3_a_reset_link_is_single_use_and_the_old_password_works_until_it_is_used() {
    let app = spawn_app().await;
    app.customer("reset@example.fr").await;
    let res = app
        .post_json(
            "/v1/auth/password/forgot",
            &json!({"email": "reset@example.fr"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let mail = app.mails_to("reset@example.fr").await.pop().unwrap();
    assert!(mail.contains("reset-password?token="));
    // Until the link is used, the old password keeps working.
    app.login("reset@example.fr", PASSWORD).await;
    let token = link_token(&mail);
    let new = "un nouveau mot de passe solide";
    assert_eq!(
        app.post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": new})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.login_response("reset@example.fr", PASSWORD, false)
            .await
            .status(),
        401
    );
    app.login("reset@example.fr", new).await;
    let again = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": "et encore un autre mot"}),
        )
        .await;
    assert_problem(again, 400, "/problems/validation-failed").await;
}

#[tokio::test]
async fn acc_3_a_reset_link_expires_after_an_hour() {
    let app = spawn_app().await;
    app.customer("late@example.fr").await;
    app.post_json(
        "/v1/auth/password/forgot",
        &json!({"email": "late@example.fr"}),
    )
    .await;
    let token = link_token(&app.mails_to("late@example.fr").await.pop().unwrap());
    app.clock.advance(Duration::minutes(61));
    let res = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": "un nouveau mot de passe"}),
        )
        .await;
    assert_problem(res, 400, "/problems/validation-failed").await;
}

#[tokio::test]
async fn acc_3_answers_never_reveal_whether_an_email_has_an_account() {
    let app = spawn_app().await;
    app.customer("known@example.fr").await;
    for (path, known, unknown) in [
        (
            "/v1/auth/register",
            json!({"email": "known@example.fr", "name": "X", "password": PASSWORD, "accept_privacy_policy": true, "privacy_policy_version": 1}),
            json!({"email": "unknown@example.fr", "name": "X", "password": PASSWORD, "accept_privacy_policy": true, "privacy_policy_version": 1}),
        ),
        (
            "/v1/auth/password/forgot",
            json!({"email": "known@example.fr"}),
            json!({"email": "unknown@example.fr"}),
        ),
        (
            "/v1/auth/login",
            json!({"email": "known@example.fr", "password": "a wrong password!!"}),
            json!({"email": "unknown@example.fr", "password": "a wrong password!!"}),
        ),
    ] {
        let a = app.post_json(path, &known).await;
        let b = app.post_json(path, &unknown).await;
        assert_eq!(a.status(), b.status(), "{path}");
        let mut a: Value = a.json().await.unwrap();
        let mut b: Value = b.json().await.unwrap();
        for v in [&mut a, &mut b] {
            v.as_object_mut().unwrap().remove("request_id");
        }
        assert_eq!(a, b, "{path}");
    }
    // The owner of the known address is told someone tried to register.
    let mails = app.mails_to("known@example.fr").await;
    assert!(mails.iter().any(|m| m.contains("Tentative d'inscription")));
}

#[tokio::test]
async fn acc_4_a_session_lasts_2_days() {
    let app = spawn_app().await;
    let token = app.customer("two@example.fr").await;
    app.clock.advance(Duration::days(2) - Duration::minutes(1));
    assert_eq!(app.get_as("/v1/me", &token).await.status(), 200);
    app.clock.advance(Duration::minutes(2));
    let res = app.get_as("/v1/me", &token).await;
    assert!(res.headers().get("www-authenticate").is_some());
    assert_problem(res, 401, "/problems/unauthorized").await;
}

#[tokio::test]
async fn acc_4_remember_me_makes_a_session_last_14_days() {
    let app = spawn_app().await;
    app.customer("fourteen@example.fr").await;
    let body: Value = app
        .login_response("fourteen@example.fr", PASSWORD, true)
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::days(13));
    assert_eq!(app.get_as("/v1/me", &token).await.status(), 200);
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert_eq!(app.get_as("/v1/me", &token).await.status(), 401);
}

#[tokio::test]
async fn acc_4_logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let token = app.customer("bye@example.fr").await;
    let res = app
        .with(Method::POST, "/v1/auth/logout", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get_as("/v1/me", &token).await,
        401,
        "/problems/unauthorized",
    )
    .await;
}

#[tokio::test]
async fn acc_4_changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    let first = app.customer("multi@example.fr").await;
    let second = app.login("multi@example.fr", PASSWORD).await;
    let sessions: Value = app
        .get_as("/v1/me/sessions", &first)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2);
    let new = "un mot de passe tout neuf";
    let res = app
        .with(Method::PUT, "/v1/me/password", &first)
        .json(&json!({"current_password": PASSWORD, "new_password": new}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get_as("/v1/me", &first).await.status(),
        200,
        "the session that changed it stays"
    );
    assert_eq!(app.get_as("/v1/me", &second).await.status(), 401);
    let mails = app.mails_to("multi@example.fr").await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("vos autres sessions ont été fermées")),
        "{mails:?}"
    );
}

#[tokio::test]
async fn acc_4_a_customer_can_end_one_of_their_sessions() {
    let app = spawn_app().await;
    let first = app.customer("ends@example.fr").await;
    let second = app.login("ends@example.fr", PASSWORD).await;
    let sessions: Value = app
        .get_as("/v1/me/sessions", &first)
        .await
        .json()
        .await
        .unwrap();
    let other = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .with(Method::DELETE, &format!("/v1/me/sessions/{other}"), &first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/v1/me", &second).await.status(), 401);
}

#[tokio::test]
async fn acc_5_display_preferences_are_stored_and_profile_fields_change() {
    let app = spawn_app().await;
    let token = app.customer("prefs@example.fr").await;
    let res = app
        .with(Method::PATCH, "/v1/me", &token)
        .json(&json!({"name": "Nouveau Nom", "display_preferences": {"catalogue_view": "list", "per_page": 40}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["name"], "Nouveau Nom");
    assert_eq!(me["display_preferences"]["per_page"], 40);
}

#[tokio::test]
async fn unknown_or_forbidden_fields_in_a_profile_change_are_refused() {
    let app = spawn_app().await;
    let token = app.customer("sneaky@example.fr").await;
    for body in [
        json!({"role": "admin"}),
        json!({"id": "x"}),
        json!({"email": "other@example.fr"}),
    ] {
        let res = app
            .with(Method::PATCH, "/v1/me", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "/problems/validation-failed").await;
    }
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["role"], "customer");
}

#[tokio::test]
async fn changing_the_email_needs_the_password() {
    let app = spawn_app().await;
    let token = app.customer("old@example.fr").await;
    let res = app
        .with(Method::PUT, "/v1/me/email", &token)
        .json(&json!({"new_email": "new@example.fr", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "/problems/validation-failed").await;
    let res = app
        .with(Method::PUT, "/v1/me/email", &token)
        .json(&json!({"new_email": "new@example.fr", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.login("new@example.fr", PASSWORD).await;
    assert_eq!(
        app.login_response("old@example.fr", PASSWORD, false)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn bad_bodies_are_problems_on_a_real_endpoint() {
    let app = spawn_app().await;
    let url = app.url("/v1/auth/login");
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "/problems/malformed-json").await;
    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "/problems/unsupported-media-type").await;
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(format!("{{\"email\":\"{}\"}}", "a".repeat(70_000)))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "/problems/payload-too-large").await;
}
