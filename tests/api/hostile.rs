//! Hostile text (SEC-5): SQL metacharacters and Unicode edge cases in the
//! string fields a customer, a search and staff send are stored and read
//! back exactly, and never break a statement: every statement is
//! parameterised, so text stays text.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app};

const HOSTILE: &[&str] = &[
    "O'Brien\"; DROP TABLE customers; --",
    "x' OR '1'='1",
    "100% _sale_ \\ back\\slash",
    "Zoë Ŝtraße 東京 🏠",
    "\u{202e}drowssap\u{202c} and a zero\u{200b}width",
    "e\u{301}le\u{300}ve (combining marks)",
];

#[tokio::test]
async fn sec_5_sql_metacharacters_and_unicode_are_stored_and_read_back_intact() {
    let app = spawn_app().await;
    let token = app.customer("hostile@example.fr").await;
    for (i, text) in HOSTILE.iter().enumerate() {
        // The profile's name.
        let res = app
            .with(Method::PATCH, "/v1/me", &token)
            .json(&json!({"name": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "name {i}: {}", res.text().await.unwrap());
        let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
        assert_eq!(me["name"], *text, "name {i}");

        // An address, sealed and opened again.
        let res = app
            .with(Method::POST, "/v1/me/addresses", &token)
            .json(
                &json!({"kind": "shipping", "full_name": text, "line1": text,
                          "postal_code": "69003", "city": text, "country": "FR"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            201,
            "address {i}: {}",
            res.text().await.unwrap()
        );
        let created: Value = res.json().await.unwrap();
        let read: Value = app
            .get_as(
                &format!("/v1/me/addresses/{}", created["id"].as_str().unwrap()),
                &token,
            )
            .await
            .json()
            .await
            .unwrap();
        for field in ["full_name", "line1", "city"] {
            assert_eq!(read[field], *text, "address {i}.{field}");
        }

        // A catalogue search finds nothing, and fails nothing.
        let mut url = reqwest::Url::parse(&app.url("/v1/products")).unwrap();
        url.query_pairs_mut().append_pair("q", text);
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "search {i}");
        let found: Value = res.json().await.unwrap();
        assert!(found["items"].as_array().unwrap().is_empty(), "search {i}");
    }
    // The tables are all there: the account still logs in.
    let again = app.login("hostile@example.fr", PASSWORD).await;
    assert_eq!(app.get_as("/v1/me", &again).await.status(), 200);
}
