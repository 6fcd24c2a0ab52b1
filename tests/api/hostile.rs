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

const STRIPE_SECRET: &str = "whsec_hostile_sweep";

/// Makes the fields that must be unique (slugs, codes, e-mail addresses,
/// purpose keys) differ from one request to the next, so that the text
/// under test is not refused as a duplicate before it is stored.
/// Ids in an example body are the example's: these are real ones.
fn unique(value: &mut Value, n: u32, real: &[(&str, String)]) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match (k.as_str(), v.as_str()) {
                    ("slug" | "sku", Some(s)) => *v = json!(format!("{s}-{n}")),
                    ("key", Some(s)) => *v = json!(format!("{s}_{n}")),
                    ("code", Some(s)) => *v = json!(format!("{s}{n}")),
                    ("email", Some(s)) => *v = json!(format!("n{n}.{s}")),
                    (name, Some(_)) if real.iter().any(|(r, _)| *r == name) => {
                        *v = json!(real.iter().find(|(r, _)| *r == name).unwrap().1);
                    }
                    _ => unique(v, n, real),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| unique(v, n, real)),
        _ => {}
    }
}

/// Every string leaf of a JSON value, as JSON pointers.
fn string_leaves(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(at.to_owned()),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                string_leaves(v, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                string_leaves(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// One operation with a JSON body, as the document describes it.
struct BodyOperation {
    id: String,
    method: Method,
    template: String,
    example: Value,
}

fn body_operations(doc: &Value) -> Vec<BodyOperation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let content = &op["requestBody"]["content"]["application/json"];
            if content.is_null() {
                continue;
            }
            let example = content.get("example").cloned().or_else(|| {
                let name = content["schema"]["$ref"].as_str()?.rsplit('/').next()?;
                doc["components"]["schemas"][name].get("example").cloned()
            });
            ops.push(BodyOperation {
                id: op["operationId"].as_str().unwrap().to_owned(),
                method,
                template: path.clone(),
                example: example.unwrap_or_else(|| panic!("{path}: no example body")),
            });
        }
    }
    ops
}

/// SEC-4, SEC-5: every string field of every operation's JSON body (from
/// the document's examples, so a new operation is swept too) gets each
/// hostile text in turn, sent by a caller the operation admits, on real
/// things where the path names some. Nothing answers 5xx, every refusal is
/// a problem, a field the answer echoes comes back exactly as sent, and
/// afterwards the audit chain verifies and the accounts still work.
#[tokio::test]
async fn sec_4_every_string_field_of_every_operation_takes_hostile_text() {
    use crate::holders::Fixture;
    use crate::roles::{MATRIX, Who, fill};
    use crate::shop::{customer_cart, plan_for_sale};
    use domain::clock::Clock as _;
    use domain::identity::Role;

    // Stripe's webhook is signed below, so its payloads reach the parser;
    // the API address is one nothing listens on (nothing leaves the machine).
    let app = crate::helpers::spawn_app_with(|c| {
        c.trust_proxy = true;
        c.stripe_secret_key = Some("sk_test_sweep".into());
        c.stripe_webhook_secret = Some(STRIPE_SECRET.into());
        c.stripe_api_url = "http://127.0.0.1:9".into();
    })
    .await;
    // After the dates the document's examples give (a breach discovered
    // on 1 December cannot be recorded before it).
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 10, 12, 0, 0).unwrap());
    let (product, pdf, _) = plan_for_sale(&app, "maison-hostile", 9_000).await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let customer = app.customer("cible@example.fr").await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut f = Fixture {
        app,
        product,
        pdf,
        manager,
        n: 0,
    };
    let holding = f.customer(&customer, "cible@example.fr").await;
    let mut ops = body_operations(&doc);
    // A new policy version would make every later consent's example
    // version stale: those go last.
    ops.sort_by_key(|o| o.id == "admin_publish_legal_version");
    assert!(ops.len() >= 50, "{} operations with a JSON body", ops.len());

    let who = |id: &str| MATRIX.iter().find(|(o, _)| *o == id).unwrap().1;
    let token_for = |id: &str| match who(id) {
        Who::Public => None,
        Who::Holder | Who::SignedIn | Who::Customer => Some(customer.clone()),
        Who::Staff | Who::Admin => Some(admin.clone()),
    };
    // Ids of things made by the operations that create them, by their
    // collection's path: `/v1/admin/coupons` -> `{coupon_id}` below it.
    let mut made: Vec<(String, String)> = Vec::new();
    // Things whose collection is elsewhere than their creation's path.
    let mut named: Vec<(&str, String)> = vec![("product_id", f.product.clone())];
    // Things made in this test first (the collection's own), then the
    // customer's, then the others by name.
    let fill_real = |template: &str, made: &[(String, String)], named: &[(&str, String)]| {
        let mut path = template.to_owned();
        for (collection, id) in made {
            if let Some(rest) = path.strip_prefix(&format!("{collection}/{{"))
                && let Some(end) = rest.find('}')
            {
                path = format!("{collection}/{id}{}", &rest[end + 1..]);
            }
        }
        for (name, id) in holding
            .ids
            .iter()
            .map(|(n, i)| (*n, i))
            .chain(named.iter().map(|(n, i)| (*n, i)))
        {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        fill(&path)
    };
    let send = |f: &mut Fixture, op: &BodyOperation, path: &str, body: &Value| {
        let mut req = f
            .request(op.method.clone(), path)
            .header("x-access-reason", "the hostile-text sweep")
            .header("content-type", "application/json");
        let bytes = serde_json::to_vec(body).unwrap();
        if op.id == "stripe_webhook" {
            let t = f.app.clock.now().timestamp();
            req = req.header(
                "stripe-signature",
                format!("t={t},v1={}", api::stripe::sign(STRIPE_SECRET, t, &bytes)),
            );
        }
        req = req.body(bytes);
        if let Some(token) = token_for(&op.id) {
            req = req.bearer_auth(token);
        }
        req.send()
    };

    let me: Value = f
        .app
        .get_as("/v1/me", &customer)
        .await
        .json()
        .await
        .unwrap();
    let real = [
        ("customer_id", me["id"].as_str().unwrap().to_owned()),
        ("product_id", f.product.clone()),
        ("format_id", f.pdf.clone()),
    ];
    // The creations first, with their examples (and real ids).
    for op in ops
        .iter()
        .filter(|o| o.method == Method::POST && !o.template.contains('{'))
    {
        let mut body = op.example.clone();
        unique(&mut body, 0, &real);
        let res = send(&mut f, op, &op.template, &body).await.unwrap();
        if res.status() == 201 {
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if let Some(id) = body["id"].as_str() {
                made.push((op.template.clone(), id.to_owned()));
                match op.id.as_str() {
                    "send_contact_message" => named.push(("message_id", id.to_owned())),
                    "admin_create_article" => {
                        named.push(("slug", body["slug"].as_str().unwrap_or_default().to_owned()));
                    }
                    _ => {}
                }
            }
        }
    }

    let mut failures = Vec::new();
    let mut stored = 0;
    let mut accepted = std::collections::BTreeMap::<&str, usize>::new();
    for op in &ops {
        let mut path = fill_real(&op.template, &made, &named);
        let mut leaves = Vec::new();
        string_leaves(&op.example, "", &mut leaves);
        for leaf in &leaves {
            for text in HOSTILE {
                let mut body = op.example.clone();
                unique(&mut body, f.n, &real);
                *body.pointer_mut(leaf).unwrap() = json!(text);
                if op.id == "checkout_cart" {
                    // A checkout closes its cart: each try gets its own.
                    let cart = customer_cart(&f.app, &customer, &f.product, &f.pdf).await;
                    path = format!("/v1/carts/{cart}/checkout");
                }
                let res = send(&mut f, op, &path, &body).await.unwrap();
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
                        op.id, answer["type"], answer["errors"]
                    );
                }
                if status >= 500 {
                    failures.push(format!("{} {leaf} = {text:?}: {status} {answer}", op.id));
                } else if status >= 400 && content_type != "application/problem+json" {
                    failures.push(format!("{} {leaf}: {status} as {content_type}", op.id));
                } else if status < 300 {
                    *accepted.entry(op.id.as_str()).or_default() += 1;
                    // A field the answer echoes at the same place is the
                    // text that was sent.
                    if let Some(Value::String(echoed)) = answer.pointer(leaf) {
                        stored += 1;
                        if echoed != text {
                            failures
                                .push(format!("{} {leaf}: sent {text:?}, got {echoed:?}", op.id));
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "hostile sweep: {} operations, {stored} texts echoed; 2xx per operation: {accepted:?}",
        ops.len()
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
    let verified: Value = f
        .app
        .get_as("/v1/admin/audit-log/verify", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(f.app.get_as("/v1/me", &customer).await.status(), 200);
    assert_eq!(f.app.get("/v1/products").await.status(), 200);
    f.app.login("cible@example.fr", PASSWORD).await;
}
