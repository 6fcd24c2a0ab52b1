//! Every body error is a field error: missing fields, wrong types, unknown
//! values and fields, `null` and bounds are all `validation-failed` with
//! `errors[{field, code, message}]`, all at once, in English or French.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

/// The `(field, code)` pairs of a validation problem, sorted.
fn codes(problem: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors in {problem}"))
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect();
    v.sort();
    v
}

fn message<'a>(problem: &'a Value, field: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("{field} in {problem}"))
}

async fn patch_me(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.with(Method::PATCH, "/v1/me", token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn invalid(res: reqwest::Response) -> Value {
    assert_problem(res, 400, "/problems/validation-failed").await
}

#[tokio::test]
async fn a_profile_change_lists_every_refused_field_at_once_with_its_code() {
    let app = spawn_app().await;
    let token = app.customer("all-at-once@example.fr").await;
    let res = patch_me(
        &app,
        &token,
        &json!({"name": "", "phone": "12", "preferred_language": "de"}),
    )
    .await;
    assert_eq!(res.headers()["content-language"], "en");
    let problem = invalid(res).await;
    assert_eq!(
        codes(&problem),
        expect(&[
            ("name", "too_short"),
            ("phone", "invalid_format"),
            ("preferred_language", "unknown_value"),
        ])
    );
    assert_eq!(problem["detail"], "3 fields were refused; see errors.");
    assert_eq!(message(&problem, "name"), "must be at least 1 character");
    assert_eq!(
        message(&problem, "preferred_language"),
        "must be one of: fr, en"
    );
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["name"], "Client Test", "nothing was changed");
}

#[tokio::test]
async fn missing_required_fields_are_each_reported_as_required() {
    let app = spawn_app().await;
    let problem = invalid(app.post_json("/v1/auth/register", &json!({})).await).await;
    assert_eq!(
        codes(&problem),
        expect(&[
            ("accept_privacy_policy", "required"),
            ("email", "required"),
            ("name", "required"),
            ("privacy_policy_version", "required"),
        ])
    );
    assert_eq!(message(&problem, "email"), "is required");
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_invalid_type() {
    let app = spawn_app().await;
    let problem = invalid(
        app.post_json(
            "/v1/auth/login",
            &json!({"email": 5, "password": ["x"], "remember_me": "yes"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        codes(&problem),
        expect(&[
            ("email", "invalid_type"),
            ("password", "invalid_type"),
            ("remember_me", "invalid_type"),
        ])
    );
    assert_eq!(message(&problem, "remember_me"), "must be a boolean");
}

#[tokio::test]
async fn an_unknown_enumerated_value_is_unknown_value() {
    let app = spawn_app().await;
    let token = app.customer("enum@example.fr").await;
    let res = app
        .with(Method::POST, "/v1/me/addresses", &token)
        .json(
            &json!({"kind": "castle", "full_name": "Jeanne Dupont", "line1": "1 rue de la Paix",
            "postal_code": "75002", "city": "Paris", "country": "FR"}),
        )
        .send()
        .await
        .unwrap();
    let problem = invalid(res).await;
    assert_eq!(codes(&problem), expect(&[("kind", "unknown_value")]));
    assert_eq!(
        message(&problem, "kind"),
        "must be one of: billing, shipping"
    );
}

#[tokio::test]
async fn an_unknown_field_is_unknown_field_and_changes_nothing() {
    let app = spawn_app().await;
    let token = app.customer("sneaky-field@example.fr").await;
    let problem = invalid(
        patch_me(
            &app,
            &token,
            &json!({"name": "Nouveau Nom", "role": "admin", "email": "x@example.fr"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        codes(&problem),
        expect(&[("email", "unknown_field"), ("role", "unknown_field")])
    );
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["name"], "Client Test");
    assert_eq!(me["role"], "customer");
}

#[tokio::test]
async fn null_is_refused_where_a_value_is_needed_and_a_null_phone_removes_it() {
    let app = spawn_app().await;
    let token = app.customer("null@example.fr").await;
    for field in ["name", "preferred_language", "display_preferences"] {
        let mut body = json!({});
        body[field] = Value::Null;
        let problem = invalid(patch_me(&app, &token, &body).await).await;
        assert_eq!(
            codes(&problem),
            expect(&[(field, "null_not_allowed")]),
            "{field}"
        );
    }
    let res = patch_me(&app, &token, &json!({"phone": "+33 6 12 34 56 78"})).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert!(me["phone"].is_string());
    let res = patch_me(&app, &token, &json!({"phone": null})).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert!(me["phone"].is_null(), "{me}");
    assert_eq!(me["name"], "Client Test");
    // A required field sent as null is null_not_allowed, not a type error.
    let problem = invalid(
        app.post_json(
            "/v1/auth/login",
            &json!({"email": null, "password": PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(codes(&problem), expect(&[("email", "null_not_allowed")]));
}

#[tokio::test]
async fn nested_fields_are_named_by_their_json_path() {
    let app = spawn_app().await;
    let admin = app
        .staff("paths@boutique.example", domain::identity::Role::Admin)
        .await;
    let body = json!({
        "slug": "Not A Slug",
        "description": "Plain-pied.",
        "style": "castle",
        "living_area_m2": 120, "bedrooms": 99, "bathrooms": 1, "levels": 1, "garage_spaces": 1.5,
        "lot_width_m": 14.5, "lot_depth_m": "22",
        "image_urls": ["https://images.boutique.example/1.jpg", 7],
        "formats": [
            {"kind": "pdf", "sku": "MAI-120-PDF", "price_amount": 49000, "currency": "EUR"},
            {"kind": "zip", "sku": "ab", "price_amount": -1, "currency": "USD", "extra": 1},
            {"sku": "MAI-120-CAD", "price_amount": 1000, "currency": "EUR"}
        ]
    });
    let res = app
        .with(Method::POST, "/v1/admin/products", &admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = invalid(res).await;
    assert_eq!(
        codes(&problem),
        expect(&[
            ("bedrooms", "too_large"),
            ("formats[1].currency", "unknown_value"),
            ("formats[1].extra", "unknown_field"),
            ("formats[1].kind", "unknown_value"),
            ("formats[1].price_amount", "too_small"),
            ("formats[1].sku", "too_short"),
            ("formats[2].kind", "required"),
            ("garage_spaces", "invalid_type"),
            ("image_urls[1]", "invalid_type"),
            ("lot_depth_m", "invalid_type"),
            ("slug", "invalid_format"),
            ("style", "unknown_value"),
            ("title", "required"),
        ])
    );
    assert_eq!(message(&problem, "bedrooms"), "must be at most 20");
    let list: Value = app
        .get_as("/v1/admin/products", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn messages_title_and_detail_follow_accept_language() {
    let app = spawn_app().await;
    let token = app.customer("francais@example.fr").await;
    let body = json!({"name": "", "phone": "12", "preferred_language": "de", "colour": "blue"});
    let res = app
        .with(Method::PATCH, "/v1/me", &token)
        .header("accept-language", "fr-FR,fr;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "fr");
    let vary: Vec<String> = res
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("accept-language")),
        "{vary:?}"
    );
    let problem = invalid(res).await;
    assert_eq!(problem["title"], "La requête contient des champs invalides");
    assert_eq!(problem["detail"], "4 champs ont été refusés ; voir errors.");
    assert_eq!(codes(&problem).len(), 4);
    assert_eq!(
        message(&problem, "name"),
        "doit compter au moins 1 caractère"
    );
    assert_eq!(
        message(&problem, "preferred_language"),
        "doit être l'une de ces valeurs : fr, en"
    );
    assert_eq!(
        message(&problem, "colour"),
        "n'est pas un champ de cette requête"
    );
    // A rule's own message is translated too (after the shape is right).
    let res = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("accept-language", "fr")
        .json(
            &json!({"email": "regle@example.fr", "name": "Règle", "password": "123456789012",
            "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .send()
        .await
        .unwrap();
    let problem = invalid(res).await;
    assert_eq!(codes(&problem), expect(&[("password", "invalid")]));
    assert_eq!(
        message(&problem, "password"),
        "est trop courant ; choisissez une phrase de passe moins prévisible"
    );
    // English when it is preferred, or when nothing is said.
    for accept in ["en-US,en;q=0.9,fr;q=0.8", "de"] {
        let res = app
            .with(Method::PATCH, "/v1/me", &token)
            .header("accept-language", accept)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-language"], "en", "{accept}");
        let problem = invalid(res).await;
        assert_eq!(problem["title"], "The request has invalid fields");
        assert_eq!(
            message(&problem, "colour"),
            "is not a field of this request"
        );
    }
}

#[tokio::test]
async fn a_refused_password_never_appears_in_the_answer() {
    let app = spawn_app().await;
    let token = app.customer("secret@example.fr").await;
    // Too short for a new password, so every request below is refused.
    let secret = "hunter2-x";
    let answers = [
        app.post_json(
            "/v1/auth/register",
            &json!({"email": "new-secret@example.fr", "name": "S", "password": secret,
                "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await,
        app.post_json(
            "/v1/auth/login",
            &json!({"email": "secret@example.fr", "password": [secret]}),
        )
        .await,
        app.post_json(
            "/v1/auth/login",
            &json!({"email": "secret@example.fr", "password": {secret: secret}}),
        )
        .await,
        app.with(Method::PUT, "/v1/me/password", &token)
            .header("accept-language", "fr")
            .json(&json!({"current_password": PASSWORD, "new_password": secret}))
            .send()
            .await
            .unwrap(),
        app.with(Method::PUT, "/v1/me/password", &token)
            .json(&json!({"current_password": 12, "new_password": secret.repeat(20)}))
            .send()
            .await
            .unwrap(),
    ];
    for res in answers {
        assert_eq!(res.status(), 400);
        let text = res.text().await.unwrap();
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["type"], "/problems/validation-failed", "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[tokio::test]
async fn only_a_body_that_is_not_json_is_malformed_json() {
    let app = spawn_app().await;
    let post = |body: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for not_json in ["{\"email\":", "", "{'email': 'a'}", "[1,]"] {
        assert_problem(
            post(not_json).await.unwrap(),
            400,
            "/problems/malformed-json",
        )
        .await;
    }
    // JSON that is not an object: the body as a whole is the field.
    for not_object in ["[1, 2]", "\"text\"", "42", "true"] {
        let problem = invalid(post(not_object).await.unwrap()).await;
        assert_eq!(codes(&problem), expect(&[("body", "invalid_type")]));
        assert_eq!(message(&problem, "body"), "must be an object");
    }
    let problem = invalid(post("null").await.unwrap()).await;
    assert_eq!(codes(&problem), expect(&[("body", "null_not_allowed")]));
    // A key given twice is refused rather than silently taking one value.
    let problem = invalid(
        post(r#"{"email": "a@example.fr", "email": "b@example.fr", "password": "x"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(codes(&problem), expect(&[("email", "invalid")]));
    assert_eq!(message(&problem, "email"), "appears more than once");
}

#[tokio::test]
async fn once_the_shape_is_right_every_rule_error_is_listed_with_its_code() {
    let app = spawn_app().await;
    let problem = invalid(
        app.post_json(
            "/v1/auth/register",
            &json!({"email": "a;b:c@example.com", "name": "Règle", "password": "123456789012",
                "accept_privacy_policy": false, "privacy_policy_version": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(
        codes(&problem),
        expect(&[
            ("accept_privacy_policy", "invalid"),
            ("email", "invalid_format"),
            ("password", "invalid"),
        ])
    );
}
