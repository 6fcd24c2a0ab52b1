//! OWASP API Security Top 10 checks generated from the document, on a
//! populated shop (world.rs): mass assignment (API3/API6) on every
//! operation with a JSON body, and no secret, key or password hash in any
//! answer of any readable operation (API3), on real things.

use serde_json::{Value, json};

use crate::world::{World, unique};

/// Fields a caller might slip in to raise itself or change what is not
/// theirs to change.
fn extras() -> Value {
    json!({
        "id": "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60",
        "role": "admin",
        "is_admin": true,
        "status": "completed",
        "price_cents": 1,
        "unit_price": {"amount": 1, "currency": "EUR"},
        "customer_id": "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f61",
        "created_at": "2020-01-01T00:00:00Z",
        "email_verified": true,
        "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
    })
}

#[tokio::test]
async fn sec_4_no_operation_takes_a_field_its_document_does_not_declare() {
    let mut w = World::new().await;
    let mut failures = Vec::new();
    for i in 0..w.ops.len() {
        let id = w.ops[i].id.clone();
        let mut body = w.ops[i].example.clone();
        unique(&mut body, w.f.n + 1, &w.real);
        let Some(fields) = body.as_object_mut() else {
            continue;
        };
        let mut added = Vec::new();
        for (k, v) in extras().as_object().unwrap() {
            if !fields.contains_key(k) {
                fields.insert(k.clone(), v.clone());
                added.push(k.clone());
            }
        }
        let mut path = w.path(&w.ops[i].template);
        if id == "checkout_cart" {
            let cart =
                crate::shop::customer_cart(&w.f.app, &w.customer, &w.f.product, &w.f.pdf).await;
            path = format!("/v1/carts/{cart}/checkout");
        }
        let res = w.send(i, &path, &body).await;
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        if id == "stripe_webhook" {
            // Stripe's events carry many fields Boutique does not read, and
            // Stripe adds more over time: they are ignored, never applied.
            continue;
        }
        let named: Vec<&str> = answer["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["code"] == "unknown_field")
            .filter_map(|e| e["field"].as_str())
            .collect();
        if status != 400 || added.iter().any(|a| !named.contains(&a.as_str())) {
            failures.push(format!(
                "{id}: {status}, unknown fields named {named:?} of {added:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// What must never be in an answer: password hashes, the server's keys,
/// an API key's secret after its creation, a password.
fn secrets(w: &World) -> Vec<String> {
    let mut secrets = vec!["$argon2".to_owned(), crate::helpers::PASSWORD.to_owned()];
    let dev: Value = serde_json::from_slice(
        &std::fs::read(w.f.app.storage.dir.path().join("dev-secrets.json")).unwrap(),
    )
    .unwrap();
    for value in dev.as_object().unwrap().values() {
        if let Some(s) = value.as_str() {
            secrets.push(s.to_owned());
        }
    }
    // Shown once, at creation: an API key's and a webhook endpoint's.
    for (id, body) in &w.created {
        if id.starts_with("admin_create_")
            && let Some(secret) = body["secret"].as_str()
        {
            secrets.push(secret.to_owned());
        }
    }
    assert!(secrets.len() >= 7, "{} secrets to look for", secrets.len());
    secrets
}

#[tokio::test]
async fn sec_4_no_answer_of_any_read_holds_a_secret_or_a_hash() {
    use crate::roles::{MATRIX, Who};

    let w = World::new().await;
    let secrets = secrets(&w);
    let mut read = 0;
    let mut failures = Vec::new();
    for (template, item) in w.doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else {
            continue;
        };
        let id = op["operationId"].as_str().unwrap();
        let who = MATRIX.iter().find(|(o, _)| *o == id).unwrap().1;
        let path = w.path(template);
        // Staff reads as the admin (who sees the most); the rest as the
        // customer who owns the things, and anonymously.
        let tokens: Vec<Option<&str>> = match who {
            Who::Staff | Who::Admin => vec![Some(&w.admin)],
            Who::Public => vec![None, Some(&w.customer)],
            Who::Holder | Who::SignedIn | Who::Customer => vec![Some(&w.customer)],
        };
        for token in tokens {
            let mut req =
                w.f.app
                    .client
                    .get(w.f.app.url(&path))
                    .header("x-access-reason", "the secret scan");
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let headers = format!("{:?}", res.headers());
            let body = String::from_utf8_lossy(&res.bytes().await.unwrap()).into_owned();
            if status == 200 {
                read += 1;
            }
            for secret in &secrets {
                if body.contains(secret.as_str()) || headers.contains(secret.as_str()) {
                    failures.push(format!(
                        "{id} ({status}) shows {}...",
                        &secret[..6.min(secret.len())]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    eprintln!(
        "secret scan: {read} reads answered 200, {} secrets looked for",
        secrets.len()
    );
    assert!(read >= 60, "only {read} reads answered 200");
}
