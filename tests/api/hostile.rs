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

/// SEC-4, SEC-5: every string field of every operation's JSON body (from
/// the document's examples, so a new operation is swept too) gets each
/// hostile text in turn, sent by a caller the operation admits, on real
/// things where the path names some. Nothing answers 5xx, every refusal is
/// a problem, a field the answer echoes comes back exactly as sent, and
/// afterwards the audit chain verifies and the accounts still work.
#[tokio::test]
async fn sec_4_every_string_field_of_every_operation_takes_hostile_text() {
    use crate::shop::customer_cart;
    use crate::world::{World, string_leaves, unique};

    let mut w = World::new().await;
    assert!(
        w.ops.len() >= 50,
        "{} operations with a JSON body",
        w.ops.len()
    );
    let mut failures = Vec::new();
    let mut stored = 0;
    let mut accepted = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..w.ops.len() {
        let op_id = w.ops[i].id.clone();
        let example = w.ops[i].example.clone();
        let mut path = w.path(&w.ops[i].template);
        let mut leaves = Vec::new();
        string_leaves(&example, "", &mut leaves);
        for leaf in &leaves {
            for text in HOSTILE {
                let mut body = example.clone();
                unique(&mut body, w.f.n, &w.real);
                *body.pointer_mut(leaf).unwrap() = json!(text);
                if op_id == "checkout_cart" {
                    // A checkout closes its cart: each try gets its own.
                    let cart = customer_cart(&w.f.app, &w.customer, &w.f.product, &w.f.pdf).await;
                    path = format!("/v1/carts/{cart}/checkout");
                }
                let res = w.send(i, &path, &body).await;
                let status = res.status().as_u16();
                let content_type = res
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                // SWEEP_DEBUG=1 shows why each refusal was refused.
                if std::env::var("SWEEP_DEBUG").is_ok() && status >= 400 {
                    eprintln!(
                        "SWEEP {} {leaf} {status} {} {}",
                        op_id, answer["type"], answer["errors"]
                    );
                }
                if status >= 500 {
                    failures.push(format!("{} {leaf} = {text:?}: {status} {answer}", op_id));
                } else if status >= 400 && content_type != "application/problem+json" {
                    failures.push(format!("{} {leaf}: {status} as {content_type}", op_id));
                } else if status < 300 {
                    *accepted.entry(op_id.clone()).or_default() += 1;
                    // A field the answer echoes at the same place is the
                    // text that was sent.
                    if let Some(Value::String(echoed)) = answer.pointer(leaf) {
                        stored += 1;
                        if echoed != text {
                            failures
                                .push(format!("{} {leaf}: sent {text:?}, got {echoed:?}", op_id));
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "hostile sweep: {} operations, {stored} texts echoed; 2xx per operation: {accepted:?}",
        w.ops.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(stored > 200, "only {stored} hostile texts were echoed back");
    // Where personal data come in, the texts were taken (not all refused).
    for id in [
        "register",
        "update_me",
        "create_address",
        "checkout_cart",
        "open_order_complaint",
        "send_contact_message",
        "create_privacy_request",
        "admin_create_product",
        "admin_record_breach",
    ] {
        assert!(
            accepted.get(id).copied().unwrap_or(0) > 0,
            "{id} took no hostile text: {accepted:?}"
        );
    }

    // The tables are whole: the chain verifies, the accounts work.
    let verified: Value =
        w.f.app
            .get_as("/v1/admin/audit-log/verify", &w.admin)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(w.f.app.get_as("/v1/me", &w.customer).await.status(), 200);
    assert_eq!(w.f.app.get("/v1/products").await.status(), 200);
    w.f.app.login(w.customer_email, PASSWORD).await;
}
