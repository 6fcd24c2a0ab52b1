//! `Idempotency-Key` (issue 14, item 6): the operations that create
//! something answer a retried request with the first answer instead of
//! creating twice; another body with the key is a 422, a key still being
//! processed a 409; keys belong to their caller and are kept 24 hours.

use chrono::Duration;
use domain::identity::Role;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::privacy::{contains, raw_dump};

const STREET: &str = "9 allée des Rejeux";

fn address(city: &str) -> Value {
    json!({"kind": "shipping", "full_name": "Jeanne Rejeu", "line1": STREET,
           "postal_code": "69003", "city": city, "country": "FR"})
}

/// Status, `Location`, `Idempotent-Replayed` and body of an answer.
struct Seen {
    status: u16,
    location: Option<String>,
    replayed: Option<String>,
    body: Value,
}

async fn seen(res: reqwest::Response) -> Seen {
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (status, location, replayed) = (
        res.status().as_u16(),
        header("location"),
        header("idempotent-replayed"),
    );
    Seen {
        status,
        location,
        replayed,
        body: res.json().await.unwrap(),
    }
}

async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.with(Method::POST, path, token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn address_count(app: &TestApp, token: &str) -> usize {
    let list: Value = app
        .get_as("/v1/me/addresses", token)
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn an_address_posted_twice_with_one_key_is_created_once_and_the_answer_replayed() {
    let app = spawn_app().await;
    let token = app.customer("rejeu@example.fr").await;
    let key = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"";
    let first =
        seen(post_with_key(&app, "/v1/me/addresses", &token, key, &address("Lyon")).await).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.replayed, None, "the first answer is no replay");
    let location = first.location.clone().unwrap();
    assert!(location.starts_with("/v1/me/addresses/"), "{location}");

    app.clock.advance(Duration::minutes(3));
    let again =
        seen(post_with_key(&app, "/v1/me/addresses", &token, key, &address("Lyon")).await).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.location.as_deref(), Some(location.as_str()));
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!(
        again.body, first.body,
        "the very same answer, timestamps included"
    );
    assert_eq!(address_count(&app, &token).await, 1);

    // The bare form of a key is the same key as its quoted form.
    let bare = key.trim_matches('"');
    let res = post_with_key(&app, "/v1/me/addresses", &token, bare, &address("Lyon")).await;
    assert_eq!(seen(res).await.replayed.as_deref(), Some("true"));
    assert_eq!(address_count(&app, &token).await, 1);

    // The recorded answer holds the address: it is sealed, like the address.
    assert!(!contains(&raw_dump(&app.storage), STREET));
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_problem() {
    let app = spawn_app().await;
    let token = app.customer("rejeu@example.fr").await;
    let res = post_with_key(&app, "/v1/me/addresses", &token, "k-1", &address("Lyon")).await;
    assert_eq!(res.status(), 201);
    let res = post_with_key(&app, "/v1/me/addresses", &token, "k-1", &address("Paris")).await;
    assert_problem(res, 422, "/problems/idempotency-key-reused").await;
    // Even a byte of difference is another body.
    let res = app
        .with(Method::POST, "/v1/me/addresses", &token)
        .header("idempotency-key", "k-1")
        .header("content-type", "application/json")
        .body(format!("{} ", address("Lyon")))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "/problems/idempotency-key-reused").await;
    assert_eq!(address_count(&app, &token).await, 1);
}

#[tokio::test]
async fn a_key_is_free_again_24_hours_later() {
    let app = spawn_app().await;
    let token = app.customer("rejeu@example.fr").await;
    let res = post_with_key(&app, "/v1/me/addresses", &token, "daily", &address("Lyon")).await;
    assert_eq!(res.status(), 201);
    app.clock
        .advance(Duration::hours(24) - Duration::seconds(1));
    let res = post_with_key(&app, "/v1/me/addresses", &token, "daily", &address("Paris")).await;
    assert_problem(res, 422, "/problems/idempotency-key-reused").await;

    app.clock.advance(Duration::seconds(1));
    let later =
        seen(post_with_key(&app, "/v1/me/addresses", &token, "daily", &address("Paris")).await)
            .await;
    assert_eq!(later.status, 201);
    assert_eq!(later.replayed, None);
    assert_eq!(later.body["city"], "Paris");
    assert_eq!(address_count(&app, &token).await, 2);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = spawn_app().await;
    let jeanne = app.customer("jeanne@example.fr").await;
    let paul = app.customer("paul@example.fr").await;
    let a = seen(
        post_with_key(
            &app,
            "/v1/me/addresses",
            &jeanne,
            "shared",
            &address("Lyon"),
        )
        .await,
    )
    .await;
    let b = seen(post_with_key(&app, "/v1/me/addresses", &paul, "shared", &address("Lyon")).await)
        .await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(b.replayed, None, "Paul's request is his own");
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(address_count(&app, &jeanne).await, 1);
    assert_eq!(address_count(&app, &paul).await, 1);
    // And another body from Paul is his own key's business.
    let res = post_with_key(&app, "/v1/me/addresses", &paul, "shared", &address("Paris")).await;
    assert_problem(res, 422, "/problems/idempotency-key-reused").await;
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_address() {
    let app = spawn_app().await;
    let token = app.customer("rejeu@example.fr").await;
    let body = address("Lyon");
    let answers = join_all((0..10).map(|_| async {
        seen(post_with_key(&app, "/v1/me/addresses", &token, "burst", &body).await).await
    }))
    .await;
    let created: Vec<&Seen> = answers.iter().filter(|s| s.status == 201).collect();
    let originals = created.iter().filter(|s| s.replayed.is_none()).count();
    assert_eq!(originals, 1, "exactly one request did the work");
    for s in &answers {
        match s.status {
            201 => assert_eq!(s.body, created[0].body),
            409 => assert_eq!(s.body["type"], "/problems/idempotency-key-in-use"),
            other => panic!("unexpected {other}: {}", s.body),
        }
    }
    assert_eq!(address_count(&app, &token).await, 1);
    // Once the first has finished, everyone gets its answer.
    let after = seen(post_with_key(&app, "/v1/me/addresses", &token, "burst", &body).await).await;
    assert_eq!(
        (after.status, after.replayed.as_deref()),
        (201, Some("true"))
    );
    assert_eq!(after.body, created[0].body);
}

#[tokio::test]
async fn admin_creations_are_replayed_without_a_second_plan_or_staff_member() {
    let app = spawn_app().await;
    let admin = app.staff("root@boutique.example", Role::Admin).await;
    let plan = json!({
        "slug": "maison-rejeu", "title": "Maison rejeu", "description": "Une maison de test.",
        "style": "modern", "living_area_m2": 100, "bedrooms": 3, "bathrooms": 1, "levels": 1, "garage_spaces": 0,
        "lot_width_m": 12.5, "lot_depth_m": 20.0, "image_urls": ["https://images.example/p.jpg"],
        "formats": [{"kind": "pdf", "sku": "REJEU-PDF", "price_amount": 39000, "currency": "EUR"}],
        "published": false
    });
    let first =
        seen(post_with_key(&app, "/v1/admin/products", &admin, "plan-1", &plan).await).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again =
        seen(post_with_key(&app, "/v1/admin/products", &admin, "plan-1", &plan).await).await;
    assert_eq!(again.status, 201, "a replay, not a slug-taken conflict");
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!((again.location, again.body), (first.location, first.body));
    let list: Value = app
        .get_as("/v1/admin/products", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let member =
        json!({"email": "marc@boutique.example", "name": "Marc Rejeu", "role": "shop_manager"});
    let first =
        seen(post_with_key(&app, "/v1/admin/staff", &admin, "staff-1", &member).await).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again =
        seen(post_with_key(&app, "/v1/admin/staff", &admin, "staff-1", &member).await).await;
    assert_eq!(
        (again.status, again.replayed.as_deref()),
        (201, Some("true"))
    );
    assert_eq!(again.body, first.body);
    assert_eq!(
        app.mails_to("marc@boutique.example").await.len(),
        1,
        "one account, one set-password link"
    );
    assert!(!contains(&raw_dump(&app.storage), "marc@boutique.example"));
}

#[tokio::test]
async fn a_registration_retried_with_its_key_is_replayed_without_a_second_mail() {
    let app = spawn_app().await;
    let body = json!({"email": "nouvelle@example.fr", "name": "Nouvelle Cliente", "password": crate::helpers::PASSWORD,
                      "accept_privacy_policy": true, "privacy_policy_version": 1});
    let register = || {
        app.client
            .post(app.url("/v1/auth/register"))
            .header("idempotency-key", "signup-1")
            .json(&body)
            .send()
    };
    let first = seen(register().await.unwrap()).await;
    assert_eq!((first.status, first.replayed), (202, None));
    let again = seen(register().await.unwrap()).await;
    assert_eq!(
        (again.status, again.replayed.as_deref()),
        (202, Some("true"))
    );
    assert_eq!(again.body, first.body);
    // Without the key the second attempt would have told the owner by mail.
    assert_eq!(app.mails_to("nouvelle@example.fr").await.len(), 1);
    let other = json!({"email": "autre@example.fr", "name": "Autre", "password": crate::helpers::PASSWORD,
                       "accept_privacy_policy": true, "privacy_policy_version": 1});
    let res = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("idempotency-key", "signup-1")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "/problems/idempotency-key-reused").await;
}

#[tokio::test]
async fn a_failed_request_records_nothing_and_frees_its_key() {
    let app = spawn_app().await;
    let admin = app.staff("root@boutique.example", Role::Admin).await;
    let taken = json!({"email": "root@boutique.example", "name": "Root Again", "role": "admin"});
    for _ in 0..2 {
        let res = post_with_key(&app, "/v1/admin/staff", &admin, "retry-me", &taken).await;
        assert_problem(res, 409, "/problems/email-taken").await;
    }
    let free = json!({"email": "lea@boutique.example", "name": "Léa", "role": "admin"});
    let res = post_with_key(&app, "/v1/admin/staff", &admin, "retry-me", &free).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_malformed_key_is_a_400_problem_and_creates_nothing() {
    let app = spawn_app().await;
    let token = app.customer("rejeu@example.fr").await;
    let long = "k".repeat(256);
    let quoted_long = format!("\"{}\"", "k".repeat(256));
    let cases: Vec<(&str, Vec<&[u8]>)> = vec![
        ("empty quoted string", vec![b"\"\""]),
        ("256 characters", vec![long.as_bytes()]),
        ("256 characters quoted", vec![quoted_long.as_bytes()]),
        ("not ASCII", vec!["clé".as_bytes()]),
        ("unterminated string", vec![b"\"abc"]),
        ("bad escape", vec![b"\"a\\bc\""]),
        ("control character", vec![b"a\tb"]),
        ("two keys", vec![b"a", b"b"]),
    ];
    for (what, values) in cases {
        let mut req = app
            .with(Method::POST, "/v1/me/addresses", &token)
            .json(&address("Lyon"));
        for v in values {
            req = req.header(
                "idempotency-key",
                reqwest::header::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        let res = req.send().await.unwrap();
        let body = assert_problem(res, 400, "/problems/bad-request").await;
        assert!(
            body["detail"].as_str().unwrap().contains("Idempotency-Key"),
            "{what}: {body}"
        );
    }
    assert_eq!(address_count(&app, &token).await, 0);
    let longest = "k".repeat(255);
    let res = post_with_key(&app, "/v1/me/addresses", &token, &longest, &address("Lyon")).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn the_idempotency_migration_goes_down_and_up_again() {
    let storage = crate::helpers::fresh_storage().await;
    let db = persistence::Db::connect(&storage.database_url, 2)
        .await
        .unwrap();
    db.migrate_up().await.unwrap();
    let name = "m20261128_000001_idempotency";
    let status = db.migration_status().await.unwrap();
    let at = status.iter().position(|(n, _)| n == name).unwrap();
    // Down to just before it, whatever came after.
    db.migrate_down(u32::try_from(status.len() - at).unwrap())
        .await
        .unwrap();
    let status = db.migration_status().await.unwrap();
    assert_eq!(status[at], (name.to_owned(), false));
    assert!(status[..at].iter().all(|(_, up)| *up));
    db.migrate_up().await.unwrap();
    assert!(
        db.migration_status()
            .await
            .unwrap()
            .iter()
            .all(|(_, up)| *up)
    );
}
