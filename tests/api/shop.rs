//! The shop (SHOP-1, SHOP-3, SHOP-4, SHOP-5): carts only their holder
//! reaches, prices from the catalogue, estimates with the destination's
//! VAT and shipping, an idempotent checkout that makes one order per cart,
//! and orders that move only along their state machine.

use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, plan, spawn_app};

const SECRET: &str = "X-Cart-Secret";
const ORDER_SECRET: &str = "X-Order-Secret";

/// Cents of a money value (`{"amount": .., "currency": ..}`).
fn cents(v: &Value) -> i64 {
    v["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("not money: {v}"))
}

/// A published plan: PDF at `price` cents, printed set at `price` + 150.00.
/// Returns (product id, pdf format id, printed set format id).
pub(crate) async fn plan_for_sale(
    app: &TestApp,
    slug: &str,
    price: u32,
) -> (String, String, String) {
    let p = app.add_plan(plan(slug, 3, 120, price)).await;
    let pdf = p
        .formats
        .iter()
        .find(|f| f.kind == domain::catalogue::FormatKind::Pdf)
        .unwrap();
    let printed = p
        .formats
        .iter()
        .find(|f| f.kind == domain::catalogue::FormatKind::PrintedSet)
        .unwrap();
    (p.id.to_string(), pdf.id.to_string(), printed.id.to_string())
}

/// A new guest cart: (id, secret).
pub(crate) async fn guest_cart(app: &TestApp) -> (String, String) {
    let res = app.post_json("/v1/carts", &json!({})).await;
    assert_eq!(res.status(), 201);
    assert!(
        res.headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("/v1/carts/")
    );
    let body: Value = res.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

fn as_guest(app: &TestApp, method: Method, path: &str, secret: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header(SECRET, secret)
}

pub(crate) async fn add(
    app: &TestApp,
    cart: &str,
    secret: &str,
    body: &Value,
) -> reqwest::Response {
    as_guest(
        app,
        Method::POST,
        &format!("/v1/carts/{cart}/items"),
        secret,
    )
    .json(body)
    .send()
    .await
    .unwrap()
}

pub(crate) fn buyer(email: &str, country: &str, printed: bool) -> Value {
    let address = json!({
        "full_name": "Jeanne Martin", "line1": "Friedrichstraße 12",
        "postal_code": "10117", "city": "Berlin", "country": country
    });
    let mut body = json!({
        "email": email,
        "name": "Jeanne Martin",
        "phone": "+49 30 1234567",
        "billing_address": address,
        "accept_terms": true,
        "privacy_policy_version": 1,
        "payment_method": "bank_transfer"
    });
    if printed {
        body["shipping_address"] = address;
    }
    body
}

async fn checkout(
    app: &TestApp,
    cart: &str,
    secret: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    as_guest(
        app,
        Method::POST,
        &format!("/v1/carts/{cart}/checkout"),
        secret,
    )
    .header("Idempotency-Key", key)
    .json(body)
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn shop_1_a_guest_cart_is_reached_only_with_its_secret_and_never_takes_a_price() {
    let app = spawn_app().await;
    let (product, pdf, printed) = plan_for_sale(&app, "maison-a", 24_000).await;
    let (cart, secret) = guest_cart(&app).await;

    // Prices come from the catalogue: a price field is refused, not used.
    let tampered = add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": pdf, "quantity": 1, "price": {"amount": 1, "currency": "EUR"}}),
    )
    .await;
    assert_eq!(tampered.status(), 400);
    for quantity in [json!(0), json!(1_000_000_000), json!(-1), json!(100)] {
        let res = add(
            &app,
            &cart,
            &secret,
            &json!({"product_id": product, "format_id": pdf, "quantity": quantity}),
        )
        .await;
        let body = assert_problem(res, 400, "/problems/validation-failed").await;
        assert_eq!(body["errors"][0]["field"], "quantity", "{body}");
    }
    let unknown = add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": uuid::Uuid::now_v7(), "quantity": 1}),
    )
    .await;
    let body = assert_problem(unknown, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "format_id");

    let res = add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": pdf, "quantity": 2}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": pdf}),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["lines"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["lines"][0]["quantity"], 3);
    assert_eq!(cents(&body["subtotal"]), 72_000);
    let res = add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": printed, "quantity": 1}),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(cents(&body["subtotal"]), 72_000 + 39_000);
    assert_eq!(body["requires_shipping"], true);
    let printed_line = body["lines"][1]["id"].as_str().unwrap().to_owned();

    // Nobody else reaches it: no secret, a wrong one, another customer.
    let path = format!("/v1/carts/{cart}");
    assert_problem(app.get(&path).await, 401, "/problems/unauthorized").await;
    let wrong = as_guest(
        &app,
        Method::GET,
        &path,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .send()
    .await
    .unwrap();
    assert_problem(wrong, 401, "/problems/unauthorized").await;
    let other = app.customer("autre@example.com").await;
    assert_problem(app.get_as(&path, &other).await, 404, "/problems/not-found").await;
    let other_add = app
        .with(Method::POST, &format!("{path}/items"), &other)
        .json(&json!({"product_id": product, "format_id": pdf}))
        .send()
        .await
        .unwrap();
    assert_problem(other_add, 404, "/problems/not-found").await;

    // Quantity changes and removal.
    let res = as_guest(
        &app,
        Method::PATCH,
        &format!("{path}/items/{printed_line}"),
        &secret,
    )
    .json(&json!({"quantity": 2}))
    .send()
    .await
    .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(cents(&body["subtotal"]), 72_000 + 78_000);
    let res = as_guest(
        &app,
        Method::DELETE,
        &format!("{path}/items/{printed_line}"),
        &secret,
    )
    .send()
    .await
    .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["lines"].as_array().unwrap().len(), 1);
    assert_eq!(body["requires_shipping"], false);

    // A plan taken off sale stays in the cart, marked, out of the total.
    let admin = app.staff("admin@boutique.test", Role::Admin).await;
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/products/{product}/unpublish"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let body: Value = as_guest(&app, Method::GET, &path, &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["lines"][0]["available"], false, "{body}");
    assert_eq!(cents(&body["subtotal"]), 0);
    let res = checkout(
        &app,
        &cart,
        &secret,
        "k-1",
        &buyer("a@example.de", "DE", false),
    )
    .await;
    assert_problem(res, 409, "/problems/items-unavailable").await;
}

#[tokio::test]
async fn shop_1_a_guest_cart_merges_into_the_customers_cart_after_login() {
    let app = spawn_app().await;
    let (product, pdf, printed) = plan_for_sale(&app, "maison-b", 30_000).await;
    let token = app.customer("jeanne@example.com").await;
    let mine: Value = app
        .with(Method::POST, "/v1/carts", &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        mine["secret"].is_null(),
        "a customer's cart needs no secret"
    );
    let my_cart = mine["id"].as_str().unwrap().to_owned();
    let res = app
        .with(Method::POST, &format!("/v1/carts/{my_cart}/items"), &token)
        .json(&json!({"product_id": product, "format_id": pdf}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Asking again gives the same open cart.
    let again = app
        .with(Method::POST, "/v1/carts", &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], my_cart.as_str());

    let (guest, secret) = guest_cart(&app).await;
    add(
        &app,
        &guest,
        &secret,
        &json!({"product_id": product, "format_id": pdf}),
    )
    .await;
    add(
        &app,
        &guest,
        &secret,
        &json!({"product_id": product, "format_id": printed}),
    )
    .await;
    // Without the secret nothing merges.
    let res = app
        .with(Method::POST, &format!("/v1/carts/{guest}/merge"), &token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "/problems/not-found").await;
    let res = app
        .with(Method::POST, &format!("/v1/carts/{guest}/merge"), &token)
        .header(SECRET, &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let merged: Value = res.json().await.unwrap();
    assert_eq!(merged["id"], my_cart.as_str());
    let quantities: Vec<i64> = merged["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(quantities, [2, 1], "{merged}");
    // The guest cart is closed.
    let res = add(
        &app,
        &guest,
        &secret,
        &json!({"product_id": product, "format_id": pdf}),
    )
    .await;
    assert_problem(res, 409, "/problems/cart-closed").await;
}

#[tokio::test]
async fn shop_3_shop_4_estimates_tax_at_destination_and_ship_printed_sets_by_zone() {
    let app = spawn_app().await;
    let (product, pdf, printed) = plan_for_sale(&app, "maison-c", 24_000).await;
    let (cart, secret) = guest_cart(&app).await;
    add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": pdf}),
    )
    .await;
    let estimate = |body: Value| {
        let req = as_guest(
            &app,
            Method::POST,
            &format!("/v1/carts/{cart}/estimate"),
            &secret,
        )
        .json(&body);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };

    // A file bought from the United States: no VAT, no shipping.
    let us = estimate(json!({"country": "US"})).await;
    assert_eq!(cents(&us["totals"]["vat"]), 0, "{us}");
    assert_eq!(cents(&us["totals"]["gross"]), 20_000);
    assert!(us["shipping_options"].as_array().unwrap().is_empty());
    // Without a country: France, at the catalogue price.
    let fr = estimate(json!({})).await;
    assert_eq!(fr["country"], "FR");
    assert_eq!(cents(&fr["totals"]["gross"]), 24_000);
    assert_eq!(cents(&fr["totals"]["vat"]), 4_000);

    // A printed set to Germany: German VAT on the set and its shipping.
    add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": printed}),
    )
    .await;
    let de = estimate(json!({"country": "DE", "postal_code": "10117"})).await;
    assert_eq!(de["zone"], "eu", "{de}");
    let options = de["shipping_options"].as_array().unwrap();
    assert_eq!(options.len(), 2);
    assert_eq!(cents(&options[0]["net"]), 1_800);
    // PDF 200.00 + set 325.00 + shipping 18.00 net, 19 % on all of it.
    assert_eq!(cents(&de["totals"]["net"]), 54_300);
    assert_eq!(cents(&de["totals"]["vat"]), 3_800 + 6_175 + 342);
    assert_eq!(cents(&de["totals"]["gross"]), 54_300 + 3_800 + 6_175 + 342);
    for line in de["lines"].as_array().unwrap() {
        assert_eq!(line["vat_rate_bp"], 1900, "{line}");
    }
    let bad = as_guest(
        &app,
        Method::POST,
        &format!("/v1/carts/{cart}/estimate"),
        &secret,
    )
    .json(&json!({"country": "Germany"}))
    .send()
    .await
    .unwrap();
    assert_problem(bad, 400, "/problems/validation-failed").await;
}

pub(crate) async fn raw_dump(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(app.storage.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "db" || e == "db-wal") {
            all.extend(std::fs::read(p).unwrap());
        }
    }
    all
}

#[tokio::test]
async fn shop_5_a_guest_buys_a_printed_set_shipped_to_germany_once_whatever_the_retries() {
    let app = spawn_app().await;
    let (product, _, printed) = plan_for_sale(&app, "maison-d", 24_000).await;
    let (cart, secret) = guest_cart(&app).await;
    add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": printed}),
    )
    .await;

    // No key, no order; a box not ticked, no order; no shipping address
    // for a printed set, no order.
    let res = as_guest(
        &app,
        Method::POST,
        &format!("/v1/carts/{cart}/checkout"),
        &secret,
    )
    .json(&buyer("greta@example.de", "DE", true))
    .send()
    .await
    .unwrap();
    assert_problem(res, 400, "/problems/bad-request").await;
    let mut unticked = buyer("greta@example.de", "DE", true);
    unticked["accept_terms"] = json!("true");
    let res = checkout(&app, &cart, &secret, "k-0", &unticked).await;
    assert_problem(res, 400, "/problems/validation-failed").await;
    let res = checkout(
        &app,
        &cart,
        &secret,
        "k-0",
        &buyer("greta@example.de", "DE", false),
    )
    .await;
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "shipping_address", "{body}");

    let body = buyer("greta@example.de", "DE", true);
    let res = checkout(&app, &cart, &secret, "k-1", &body).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/orders/{}", order["id"].as_str().unwrap())
    );
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["country"], "DE");
    // Set 325.00 + shipping 18.00 net; German VAT 61.75 + 3.42.
    assert_eq!(cents(&order["totals"]["vat"]), 6_175 + 342, "{order}");
    assert_eq!(cents(&order["totals"]["total"]), 34_300 + 6_517);
    assert_eq!(order["lines"][0]["vat_rate_bp"], 1900);
    let order_secret = order["access_secret"].as_str().unwrap().to_owned();
    let id = order["id"].as_str().unwrap().to_owned();

    // The same request again answers the same order; another body with
    // that key is a conflict; another key finds the cart checked out.
    let retry = checkout(&app, &cart, &secret, "k-1", &body).await;
    assert_eq!(retry.status(), 200);
    let again: Value = retry.json().await.unwrap();
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["access_secret"], order_secret.as_str());
    let mut other = body.clone();
    other["name"] = json!("Someone Else");
    let res = checkout(&app, &cart, &secret, "k-1", &other).await;
    assert_problem(res, 409, "/problems/idempotency-key-conflict").await;
    let res = checkout(&app, &cart, &secret, "k-2", &body).await;
    assert_problem(res, 409, "/problems/cart-closed").await;

    // The guest reads it with the order's secret, nobody else does.
    let path = format!("/v1/orders/{id}");
    let res = app
        .client
        .get(app.url(&path))
        .header(ORDER_SECRET, &order_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["buyer"]["email"], "greta@example.de");
    assert!(read["buyer"]["ip"].is_null(), "the source stays inside");
    assert_problem(app.get(&path).await, 401, "/problems/unauthorized").await;
    let stranger = app.customer("stranger@example.com").await;
    assert_problem(
        app.get_as(&path, &stranger).await,
        404,
        "/problems/not-found",
    )
    .await;
    let forged = app
        .client
        .get(app.url(&path))
        .header(ORDER_SECRET, &secret)
        .send()
        .await
        .unwrap();
    assert_problem(forged, 401, "/problems/unauthorized").await;

    // The confirmation went out with the guest's link; the acceptance is in
    // the ledger; nothing of the buyer is in the database in clear.
    let mails = app.mails_to("greta@example.de").await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains(order["number"].as_str().unwrap()));
    assert!(mails[0].contains(&order_secret), "{}", mails[0]);
    if std::env::var("TEST_DATABASE_URL").map_or(true, |v| v.is_empty()) {
        let dump = raw_dump(&app).await;
        for needle in [
            "greta@example.de",
            "Jeanne Martin",
            "Friedrichstra",
            "+49 30",
        ] {
            assert!(
                !dump.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear"
            );
        }
    }
}

#[tokio::test]
async fn shop_5_twenty_concurrent_checkouts_of_one_cart_make_one_order() {
    let app = spawn_app().await;
    let (product, pdf, _) = plan_for_sale(&app, "maison-e", 24_000).await;
    let (cart, secret) = guest_cart(&app).await;
    add(
        &app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": pdf}),
    )
    .await;
    let body = buyer("hans@example.de", "DE", false);
    // Half retry one key, half use keys of their own.
    let results = futures_util::future::join_all((0..20).map(|i| {
        let key = if i % 2 == 0 {
            "same".to_owned()
        } else {
            format!("own-{i}")
        };
        let req = as_guest(
            &app,
            Method::POST,
            &format!("/v1/carts/{cart}/checkout"),
            &secret,
        )
        .header("Idempotency-Key", key)
        .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    }))
    .await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .filter(|(s, _)| *s == 200 || *s == 201)
        .map(|(_, b)| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1);
    for (status, body) in &results {
        assert!([200, 201, 409].contains(status), "{status} {body}");
    }
    let admin = app.staff("admin@boutique.test", Role::Admin).await;
    let list: Value = app
        .get_as("/v1/admin/orders?email=hans@example.de", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn shop_5_orders_move_only_along_their_state_machine_and_staff_reads_are_audited() {
    let app = spawn_app().await;
    let (product, pdf, _) = plan_for_sale(&app, "maison-f", 24_000).await;
    let token = app.customer("claire@example.com").await;
    let place = |n: u32| {
        let app = &app;
        let token = token.clone();
        let product = product.clone();
        let pdf = pdf.clone();
        async move {
            let id = customer_cart(app, &token, &product, &pdf).await;
            let res = app
                .with(Method::POST, &format!("/v1/carts/{id}/checkout"), &token)
                .header("Idempotency-Key", format!("order-{n}"))
                .json(&buyer("claire@example.com", "FR", false))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };
    let first = place(1).await;
    let second = place(2).await;
    assert!(first["access_secret"].is_null() || first["access_secret"].is_string());
    assert_eq!(cents(&first["totals"]["total"]), 24_000);

    let mine: Value = app
        .get_as("/v1/me/orders", &token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            second["id"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ]
    );

    // The customer cancels one still waiting for payment; not twice.
    let cancel = format!("/v1/orders/{}/cancel", second["id"].as_str().unwrap());
    let res = app
        .with(Method::POST, &cancel, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");
    let res = app
        .with(Method::POST, &cancel, &token)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 409, "/problems/illegal-transition").await;
    assert_eq!(body["from"], "cancelled");

    // Staff: the transfer arrived; a file-only order is then completed.
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let id = first["id"].as_str().unwrap();
    let act = |action: &'static str| {
        app.with(
            Method::POST,
            &format!("/v1/admin/orders/{id}/actions"),
            &manager,
        )
        .json(&json!({"action": action}))
        .send()
    };
    let res = act("mark_paid").await.unwrap();
    assert_eq!(res.status(), 200);
    let paid: Value = res.json().await.unwrap();
    assert_eq!(paid["status"], "completed");
    assert!(paid["paid_at"].is_string());
    for action in ["mark_paid", "cancel", "release"] {
        let res = act(action).await.unwrap();
        assert_problem(res, 409, "/problems/illegal-transition").await;
    }
    let events: Vec<&str> = paid["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["pending_payment", "completed"]);

    // Reading the buyer's details needs a reason, and is audited.
    let path = format!("/v1/admin/orders/{id}");
    let res = app.get_as(&path, &manager).await;
    assert_eq!(res.status(), 400);
    let res = app
        .with(Method::GET, &path, &manager)
        .header("X-Access-Reason", "customer asked about the transfer")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let admin = app.staff("admin@boutique.test", Role::Admin).await;
    let audit: Value = app
        .get_as("/v1/admin/audit-log?action=personal_data_accessed", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit.to_string().contains(&format!("order:{id}")),
        "{audit}"
    );
    // Lists name no one.
    let list: Value = app
        .get_as("/v1/admin/orders?status=completed", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("claire@example.com"));
    // A customer is not staff.
    let res = app.get_as("/v1/admin/orders", &token).await;
    assert_problem(res, 403, "/problems/forbidden").await;
    let mail = app.mails_to("claire@example.com").await;
    assert!(mail.len() >= 3, "two confirmations and a status change");
}

#[tokio::test]
async fn shop_5_coupons_apply_within_their_rules_and_per_person_limits() {
    let app = spawn_app().await;
    let (product, pdf, _) = plan_for_sale(&app, "maison-coupon", 24_000).await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let create = |body: Value| {
        app.with(Method::POST, "/v1/admin/coupons", &manager)
            .json(&body)
            .send()
    };
    let res = create(json!({"code": "dix", "percent_bp": 1000, "max_uses_per_person": 1}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let dix: Value = res.json().await.unwrap();
    assert_eq!(dix["code"], "DIX");
    let res = create(json!({"code": "DIX", "amount": 500})).await.unwrap();
    assert_problem(res, 409, "/problems/conflict").await;
    let res = create(json!({"code": "both", "amount": 500, "percent_bp": 10}))
        .await
        .unwrap();
    assert_problem(res, 400, "/problems/validation-failed").await;
    let res = create(json!({"code": "big", "amount": 5000, "min_basket_amount": 50000}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = create(json!({"code": "once", "amount": 1000, "max_uses": 1}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let new_cart = || async {
        let (cart, secret) = guest_cart(&app).await;
        add(
            &app,
            &cart,
            &secret,
            &json!({"product_id": product, "format_id": pdf}),
        )
        .await;
        (cart, secret)
    };
    let (cart, secret) = new_cart().await;
    let estimate = |code: &'static str| {
        as_guest(
            &app,
            Method::POST,
            &format!("/v1/carts/{cart}/estimate"),
            &secret,
        )
        .json(&json!({"coupon_code": code}))
        .send()
    };
    // 10 % of 200.00 net: 20.00 off, the French VAT on what remains.
    let est: Value = estimate("dix").await.unwrap().json().await.unwrap();
    assert_eq!(cents(&est["totals"]["discount_net"]), 2_000, "{est}");
    assert_eq!(cents(&est["totals"]["gross"]), 21_600);
    let body = assert_problem(
        estimate("nope").await.unwrap(),
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "coupon_code");
    assert_problem(
        estimate("big").await.unwrap(),
        400,
        "/problems/validation-failed",
    )
    .await;

    let mut with = buyer("coupon@example.fr", "FR", false);
    with["coupon_code"] = json!("DIX");
    let res = checkout(&app, &cart, &secret, "c-1", &with).await;
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    assert_eq!(cents(&order["totals"]["total"]), 21_600);
    // Once per person: the same address cannot use it again.
    let (cart2, secret2) = new_cart().await;
    let res = checkout(&app, &cart2, &secret2, "c-2", &with).await;
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "coupon_code");
    // Nothing was written: the cart is still open and checks out without it.
    let res = checkout(
        &app,
        &cart2,
        &secret2,
        "c-3",
        &buyer("coupon@example.fr", "FR", false),
    )
    .await;
    assert_eq!(res.status(), 201);

    // A coupon with one use left, two buyers at once: one gets it.
    let (a, sa) = new_cart().await;
    let (b, sb) = new_cart().await;
    let mut first = buyer("first@example.fr", "FR", false);
    first["coupon_code"] = json!("once");
    let mut second = buyer("second@example.fr", "FR", false);
    second["coupon_code"] = json!("once");
    let (ra, rb) = tokio::join!(
        checkout(&app, &a, &sa, "o-1", &first),
        checkout(&app, &b, &sb, "o-2", &second)
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 400]);
    let list: Value = app
        .get_as("/v1/admin/coupons", &manager)
        .await
        .json()
        .await
        .unwrap();
    let once = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "ONCE")
        .unwrap();
    assert_eq!(once["uses"], 1);
}

#[tokio::test]
async fn shop_3_shop_5_the_country_database_locates_estimates_and_flags_checkouts_for_staff() {
    let db = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/geo-test.mmdb");
    let app = crate::helpers::spawn_app_with(move |c| {
        c.trust_proxy = true;
        c.geoip_db = Some(db);
    })
    .await;
    let (product, pdf, _) = plan_for_sale(&app, "maison-geo", 24_000).await;
    let from = |ip: &'static str| {
        let app = &app;
        let product = product.clone();
        let pdf = pdf.clone();
        async move {
            let cart: Value = app
                .client
                .post(app.url("/v1/carts"))
                .header("x-forwarded-for", ip)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = cart["id"].as_str().unwrap().to_owned();
            let secret = cart["secret"].as_str().unwrap().to_owned();
            as_guest(app, Method::POST, &format!("/v1/carts/{id}/items"), &secret)
                .header("x-forwarded-for", ip)
                .json(&json!({"product_id": product, "format_id": pdf}))
                .send()
                .await
                .unwrap();
            (id, secret)
        }
    };
    // Estimates without a country use the caller's.
    let (cart, secret) = from("192.0.2.7").await;
    let est: Value = as_guest(
        &app,
        Method::POST,
        &format!("/v1/carts/{cart}/estimate"),
        &secret,
    )
    .header("x-forwarded-for", "192.0.2.7")
    .json(&json!({}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(est["country"], "DE", "{est}");
    assert_eq!(est["country_source"], "geoip");

    // A checkout from the United States billed to France waits for staff.
    let (cart, secret) = from("198.51.100.7").await;
    let res = as_guest(
        &app,
        Method::POST,
        &format!("/v1/carts/{cart}/checkout"),
        &secret,
    )
    .header("x-forwarded-for", "198.51.100.7")
    .header("Idempotency-Key", "geo-1")
    .json(&buyer("far@example.fr", "FR", false))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let held: Value = res.json().await.unwrap();
    assert_eq!(held["status"], "on_hold");
    assert!(held["fraud_signals"].is_null(), "the buyer is not told");
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let staff_view: Value = app
        .with(
            Method::GET,
            &format!("/v1/admin/orders/{}", held["id"].as_str().unwrap()),
            &manager,
        )
        .header("X-Access-Reason", "fraud review")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        staff_view["fraud_signals"],
        json!(["source_country_differs"])
    );

    // From France: the first orders pass, the fourth within the hour waits.
    let mut statuses = Vec::new();
    for n in 0..4 {
        let (cart, secret) = from("203.0.113.5").await;
        let res = as_guest(
            &app,
            Method::POST,
            &format!("/v1/carts/{cart}/checkout"),
            &secret,
        )
        .header("x-forwarded-for", "203.0.113.5")
        .header("Idempotency-Key", format!("fr-{n}"))
        .json(&buyer(&format!("fr{n}@example.fr"), "FR", false))
        .send()
        .await
        .unwrap();
        statuses.push(res.json::<Value>().await.unwrap()["status"].clone());
    }
    assert_eq!(
        statuses,
        [
            "pending_payment",
            "pending_payment",
            "pending_payment",
            "on_hold"
        ]
    );
}

/// A guest's checkout of one PDF of a new plan, with `extra` fields in the
/// body: the answer's JSON.
pub(crate) async fn guest_buys(app: &TestApp, slug: &str, email: &str, extra: &Value) -> Value {
    let (cart, secret) = cart_with_pdf(app, slug).await;
    let mut body = buyer(email, "FR", false);
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let res = checkout(app, &cart, &secret, &format!("k-{slug}"), &body).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// A guest cart holding the PDF of a new plan `slug`: (id, secret).
pub(crate) async fn cart_with_pdf(app: &TestApp, slug: &str) -> (String, String) {
    let (product, pdf, _) = plan_for_sale(app, slug, 9_000).await;
    guest_cart_with(app, &product, &pdf).await
}

/// A guest cart holding one `format` of `product`: (id, secret).
pub(crate) async fn guest_cart_with(
    app: &TestApp,
    product: &str,
    format: &str,
) -> (String, String) {
    let (cart, secret) = guest_cart(app).await;
    add(
        app,
        &cart,
        &secret,
        &json!({"product_id": product, "format_id": format}),
    )
    .await;
    (cart, secret)
}

/// A signed-in customer's cart holding one format: its id.
pub(crate) async fn customer_cart(
    app: &TestApp,
    token: &str,
    product: &str,
    format: &str,
) -> String {
    let cart: Value = app
        .with(Method::POST, "/v1/carts", token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = cart["id"].as_str().unwrap().to_owned();
    let res = app
        .with(Method::POST, &format!("/v1/carts/{id}/items"), token)
        .json(&json!({"product_id": product, "format_id": format}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    id
}

/// The orders a token's customer lists.
pub(crate) async fn my_orders(app: &TestApp, token: &str) -> Vec<String> {
    let res = app.get_as("/v1/me/orders", token).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn reset_with(app: &TestApp, mail: &str) {
    let res = app
        .post_json(
            "/v1/auth/password/reset",
            &json!({"token": crate::helpers::link_token(mail), "new_password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn acc_2_an_account_asked_for_at_checkout_comes_with_the_order_and_a_set_password_link() {
    let app = spawn_app().await;
    let placed = guest_buys(
        &app,
        "maison-acc",
        "nouvelle@example.fr",
        &json!({"create_account": true}),
    )
    .await;
    // Not signed in: the buyer reads the order with its secret, and the
    // answer says nothing of the account.
    assert!(placed["access_secret"].is_string());
    assert!(placed["customer_id"].is_null());
    let order = placed["id"].as_str().unwrap();
    let mails = app.mails_to("nouvelle@example.fr").await;
    assert_eq!(mails.len(), 2, "the confirmation and the account's link");
    let link = mails
        .iter()
        .find(|m| m.contains("set-password?token=") || m.contains("reset-password?token="))
        .expect("a set-password link");
    reset_with(&app, link).await;
    let token = app
        .login("nouvelle@example.fr", crate::helpers::PASSWORD)
        .await;
    assert_eq!(my_orders(&app, &token).await, vec![order.to_owned()]);
    let res = app.get_as(&format!("/v1/orders/{order}"), &token).await;
    assert_eq!(res.status(), 200);

    // The same box ticked with an address that has an account: the same
    // answer, no second account, no link; the order is that account's.
    let again = guest_buys(
        &app,
        "maison-acc-2",
        "nouvelle@example.fr",
        &json!({"create_account": true}),
    )
    .await;
    assert!(again["access_secret"].is_string());
    assert!(again["customer_id"].is_null());
    let mails = app.mails_to("nouvelle@example.fr").await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.contains("set-password?token="))
            .count(),
        1
    );
    let listed = my_orders(&app, &token).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&again["id"].as_str().unwrap().to_owned()));
}

#[tokio::test]
async fn shop_5_a_guests_orders_join_the_account_once_its_owner_proves_the_address() {
    let app = spawn_app().await;
    let placed = guest_buys(&app, "maison-avant", "plus-tard@example.fr", &json!({})).await;
    let order = placed["id"].as_str().unwrap().to_owned();
    // Registering with a password proves nothing about the address: the
    // guest's order stays apart.
    let token = app.customer("plus-tard@example.fr").await;
    assert!(my_orders(&app, &token).await.is_empty());
    assert_problem(
        app.get_as(&format!("/v1/orders/{order}"), &token).await,
        404,
        "/problems/not-found",
    )
    .await;
    // A reset link reached the address: the order is now the account's.
    let res = app
        .post_json(
            "/v1/auth/password/forgot",
            &json!({"email": "plus-tard@example.fr"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let mail = app.mails_to("plus-tard@example.fr").await;
    let link = mail
        .iter()
        .rev()
        .find(|m| m.contains("reset-password?token="))
        .unwrap();
    reset_with(&app, link).await;
    let token = app
        .login("plus-tard@example.fr", crate::helpers::PASSWORD)
        .await;
    assert_eq!(my_orders(&app, &token).await, vec![order.clone()]);
    // The guest's secret still reads it.
    let res = app
        .client
        .get(app.url(&format!("/v1/orders/{order}")))
        .header(ORDER_SECRET, placed["access_secret"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["customer_id"].is_null(),
        "a secret's holder learns nothing of the account"
    );
}
