//! Paying (SHOP-5): invoices numbered without gaps whatever the
//! concurrency, Stripe's webhook applied once and only when signed and
//! fresh, and the whole purchase through localstripe (a fake, stateful
//! Stripe) when `TEST_STRIPE_URL` names one (CI starts it).

use std::collections::BTreeSet;

use domain::clock::Clock as _;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, assert_problem, plan, spawn_app, spawn_app_with};

const WEBHOOK_SECRET: &str = "whsec_test_boutique";

fn cents(v: &Value) -> i64 {
    v["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("not money: {v}"))
}

fn buyer(email: &str, payment: &str) -> Value {
    json!({
        "email": email,
        "name": "Jeanne Martin",
        "billing_address": {
            "full_name": "Jeanne Martin", "line1": "12 rue des Lilas",
            "postal_code": "69003", "city": "Lyon", "country": "FR"
        },
        "accept_terms": true,
        "privacy_policy_version": 1,
        "payment_method": payment
    })
}

/// A guest's order of one PDF: (order, its secret).
async fn guest_order(
    app: &TestApp,
    format: &[String; 2],
    email: &str,
    payment: &str,
) -> (Value, String) {
    let cart: Value = app
        .post_json("/v1/carts", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let id = cart["id"].as_str().unwrap();
    let secret = cart["secret"].as_str().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/v1/carts/{id}/items")))
        .header("X-Cart-Secret", secret)
        .json(&json!({"product_id": format[0], "format_id": format[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .post(app.url(&format!("/v1/carts/{id}/checkout")))
        .header("X-Cart-Secret", secret)
        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
        .json(&buyer(email, payment))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    let secret = order["access_secret"].as_str().unwrap().to_owned();
    (order, secret)
}

async fn pdf_for_sale(app: &TestApp, slug: &str) -> [String; 2] {
    let p = app.add_plan(plan(slug, 3, 120, 24_000)).await;
    let pdf = p
        .formats
        .iter()
        .find(|f| f.kind == domain::catalogue::FormatKind::Pdf)
        .unwrap();
    [p.id.to_string(), pdf.id.to_string()]
}

async fn invoice(app: &TestApp, order: &str, secret: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/orders/{order}/invoice")))
        .header("X-Order-Secret", secret)
        .header("Accept", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn shop_5_invoices_are_numbered_without_gaps_under_concurrent_payments() {
    let app = spawn_app().await;
    let format = pdf_for_sale(&app, "maison-facture").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let mut orders = Vec::new();
    for n in 0..8 {
        orders.push(
            guest_order(
                &app,
                &format,
                &format!("buyer{n}@example.fr"),
                "bank_transfer",
            )
            .await,
        );
    }
    let unpaid = guest_order(&app, &format, "late@example.fr", "bank_transfer").await;
    assert_problem(
        invoice(
            &app,
            unpaid.0["id"].as_str().unwrap(),
            &unpaid.1,
            "application/json",
        )
        .await,
        404,
        "/problems/not-found",
    )
    .await;

    // Eight transfers recorded at once.
    let paid = futures_util::future::join_all(orders.iter().map(|(o, _)| {
        app.with(
            Method::POST,
            &format!("/v1/admin/orders/{}/actions", o["id"].as_str().unwrap()),
            &manager,
        )
        .json(&json!({"action": "mark_paid"}))
        .send()
    }))
    .await;
    for res in paid {
        assert_eq!(res.unwrap().status(), 200);
    }
    let mut numbers = BTreeSet::new();
    for (o, secret) in &orders {
        let res = invoice(&app, o["id"].as_str().unwrap(), secret, "application/json").await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let inv = &body["invoice"];
        assert_eq!(cents(&inv["totals"]["gross"]), cents(&o["totals"]["total"]));
        assert_eq!(inv["buyer_name"], "Jeanne Martin");
        numbers.insert(inv["number"].as_str().unwrap().to_owned());
    }
    let year = crate::helpers::start_time().format("%Y").to_string();
    let expected: BTreeSet<String> = (1..=8).map(|n| format!("F-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected, "gap-free and unique");

    // The PDF, with its number in it.
    let (o, secret) = &orders[0];
    let res = invoice(&app, o["id"].as_str().unwrap(), secret, "application/pdf").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // Nobody else reads it.
    let stranger = app.customer("stranger@example.fr").await;
    let res = app
        .get_as(
            &format!("/v1/orders/{}/invoice", o["id"].as_str().unwrap()),
            &stranger,
        )
        .await;
    assert_problem(res, 404, "/problems/not-found").await;
}

/// A Stripe that answers payment intents: just enough for the webhook
/// tests, which do not need localstripe.
async fn fake_stripe() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            n += 1;
            let new_id = format!("pi_fake{n}");
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16_384];
                let mut read = 0;
                loop {
                    let Ok(k) = socket.read(&mut buf[read..]).await else {
                        return;
                    };
                    read += k;
                    if k == 0 || buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf[..read]).to_string();
                // GET /v1/payment_intents/{id} reads one back.
                let id = head
                    .strip_prefix("GET /v1/payment_intents/")
                    .and_then(|rest| rest.split(' ').next())
                    .map_or(new_id, str::to_owned);
                let amount = head
                    .split("amount=")
                    .nth(1)
                    .and_then(|a| a.split('&').next())
                    .and_then(|a| a.trim().parse::<i64>().ok())
                    .unwrap_or(24_000);
                let body = json!({
                    "id": id, "object": "payment_intent", "amount": amount,
                    "currency": "eur", "status": "requires_payment_method",
                    "client_secret": format!("{id}_secret_abc")
                })
                .to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    address
}

async fn stripe_app(api_url: &str) -> TestApp {
    let api_url = api_url.to_owned();
    spawn_app_with(move |c| {
        c.stripe_secret_key = Some("sk_test_boutique".into());
        c.stripe_webhook_secret = Some(WEBHOOK_SECRET.into());
        c.stripe_api_url = api_url;
    })
    .await
}

fn event(id: &str, kind: &str, intent: &str, amount: i64) -> Vec<u8> {
    json!({
        "id": id, "object": "event", "type": kind,
        "data": {"object": {"object": "payment_intent", "id": intent, "amount": amount, "amount_received": amount, "currency": "eur"}}
    })
    .to_string()
    .into_bytes()
}

async fn post_event(app: &TestApp, body: &[u8], signature: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/payments/stripe/webhook"))
        .header("content-type", "application/json")
        .header("Stripe-Signature", signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

fn signed(app: &TestApp, body: &[u8], offset_seconds: i64) -> String {
    let t = app.clock.now().timestamp() + offset_seconds;
    format!("t={t},v1={}", api::stripe::sign(WEBHOOK_SECRET, t, body))
}

async fn status(app: &TestApp, order: &str, secret: &str) -> String {
    let o: Value = app
        .client
        .get(app.url(&format!("/v1/orders/{order}")))
        .header("X-Order-Secret", secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    o["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn shop_5_a_replayed_stale_or_badly_signed_webhook_changes_nothing() {
    let stripe = fake_stripe().await;
    let app = stripe_app(&stripe).await;
    let format = pdf_for_sale(&app, "maison-carte").await;
    let (order, secret) = guest_order(&app, &format, "carte@example.fr", "stripe").await;
    let id = order["id"].as_str().unwrap().to_owned();
    let payment = &order["payment"];
    let intent = payment["intent_id"].as_str().unwrap().to_owned();
    assert!(
        payment["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&intent)
    );
    assert_eq!(cents(&payment["amount"]), 24_000);
    // Asking again gives the same intent.
    let again: Value = app
        .client
        .post(app.url(&format!("/v1/orders/{id}/payment")))
        .header("X-Order-Secret", &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["intent_id"], intent.as_str());

    let body = event("evt_1", "payment_intent.succeeded", &intent, 24_000);
    // Forged, stale, missing: refused, nothing changes.
    let forged = format!(
        "t={},v1={}",
        app.clock.now().timestamp(),
        api::stripe::sign("whsec_someone_else", app.clock.now().timestamp(), &body)
    );
    assert_problem(
        post_event(&app, &body, &forged).await,
        400,
        "/problems/bad-request",
    )
    .await;
    assert_problem(
        post_event(&app, &body, &signed(&app, &body, -301)).await,
        400,
        "/problems/bad-request",
    )
    .await;
    assert_problem(
        post_event(&app, &body, "").await,
        400,
        "/problems/bad-request",
    )
    .await;
    let tampered = event("evt_1", "payment_intent.succeeded", &intent, 1);
    assert_problem(
        post_event(&app, &tampered, &signed(&app, &body, 0)).await,
        400,
        "/problems/bad-request",
    )
    .await;
    assert_eq!(status(&app, &id, &secret).await, "pending_payment");

    // Signed and fresh: paid once, however often Stripe sends it.
    let res = post_event(&app, &body, &signed(&app, &body, 0)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "applied");
    assert_eq!(status(&app, &id, &secret).await, "completed");
    let res = post_event(&app, &body, &signed(&app, &body, 0)).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "duplicate");
    // Another event for the same intent does not pay twice; a failure after
    // the payment changes nothing; an unknown intent is recorded and ignored.
    for (evt, kind, pi) in [
        ("evt_2", "payment_intent.succeeded", intent.as_str()),
        ("evt_3", "payment_intent.payment_failed", intent.as_str()),
        ("evt_4", "payment_intent.succeeded", "pi_unknown"),
        ("evt_5", "charge.refunded", intent.as_str()),
    ] {
        let b = event(evt, kind, pi, 24_000);
        let res = post_event(&app, &b, &signed(&app, &b, 0)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Value>().await.unwrap()["outcome"],
            "ignored",
            "{evt}"
        );
    }
    let inv: Value = invoice(&app, &id, &secret, "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert!(inv["invoice"]["number"].as_str().unwrap().starts_with("F-"));
    assert_eq!(inv["credit_notes"], json!([]));

    // A failed payment: the order fails; an amount that does not match is
    // not taken as the payment.
    let (failing, failing_secret) = guest_order(&app, &format, "echec@example.fr", "stripe").await;
    let fid = failing["id"].as_str().unwrap();
    let fintent = failing["payment"]["intent_id"].as_str().unwrap();
    let wrong = event("evt_6", "payment_intent.succeeded", fintent, 100);
    let res = post_event(&app, &wrong, &signed(&app, &wrong, 0)).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "ignored");
    let failed = event("evt_7", "payment_intent.payment_failed", fintent, 24_000);
    post_event(&app, &failed, &signed(&app, &failed, 0)).await;
    assert_eq!(status(&app, fid, &failing_secret).await, "failed");

    // Without Stripe configured, card payments are refused at checkout.
    let plain = spawn_app().await;
    let format = pdf_for_sale(&plain, "maison-virement").await;
    let cart: Value = plain
        .post_json("/v1/carts", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let cid = cart["id"].as_str().unwrap();
    let cs = cart["secret"].as_str().unwrap();
    plain
        .client
        .post(plain.url(&format!("/v1/carts/{cid}/items")))
        .header("X-Cart-Secret", cs)
        .json(&json!({"product_id": format[0], "format_id": format[1]}))
        .send()
        .await
        .unwrap();
    let res = plain
        .client
        .post(plain.url(&format!("/v1/carts/{cid}/checkout")))
        .header("X-Cart-Secret", cs)
        .header("Idempotency-Key", "k")
        .json(&buyer("x@example.fr", "stripe"))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "payment_method");
}

/// Browse, cart, estimate, checkout, a card payment through localstripe
/// and its signed webhook, the confirmation mail, the invoice PDF, and the
/// order seen by the customer and the staff desk. Needs localstripe
/// (`TEST_STRIPE_URL`; `.ci/run` starts one).
#[tokio::test]
async fn shop_5_end_to_end_purchase_paid_by_card_through_localstripe() {
    let Ok(stripe) = std::env::var("TEST_STRIPE_URL") else {
        eprintln!("skipped: set TEST_STRIPE_URL to a localstripe (CI does)");
        return;
    };
    let app = stripe_app(&stripe).await;
    // localstripe signs with the real time.
    app.clock.set(chrono::Utc::now());
    let http = reqwest::Client::new();
    let sk = ("sk_test_boutique", Some(""));
    // localstripe posts its events to this server's webhook, signed.
    let hook = format!("boutique-{}", uuid::Uuid::now_v7().simple());
    let res = http
        .post(format!("{stripe}/_config/webhooks/{hook}"))
        .form(&[
            ("url", app.url("/v1/payments/stripe/webhook")),
            ("secret", WEBHOOK_SECRET.to_owned()),
            ("events[]", "payment_intent.succeeded".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    let format = pdf_for_sale(&app, "maison-bout-en-bout").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let res = app
        .with(Method::POST, "/v1/admin/coupons", &manager)
        .json(&json!({"code": "BIENVENUE", "percent_bp": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let listed: Value = app.get("/v1/products?q=bout").await.json().await.unwrap();
    assert!(listed.to_string().contains("maison-bout-en-bout"));
    let token = app.customer("claire@example.fr").await;
    let cart: Value = app
        .with(Method::POST, "/v1/carts", &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = cart["id"].as_str().unwrap();
    app.with(Method::POST, &format!("/v1/carts/{cid}/items"), &token)
        .json(&json!({"product_id": format[0], "format_id": format[1]}))
        .send()
        .await
        .unwrap();
    let estimate: Value = app
        .with(Method::POST, &format!("/v1/carts/{cid}/estimate"), &token)
        .json(&json!({"country": "FR", "coupon_code": "bienvenue"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cents(&estimate["totals"]["gross"]), 21_600);
    let mut body = buyer("claire@example.fr", "stripe");
    body["coupon_code"] = json!("bienvenue");
    let res = app
        .with(Method::POST, &format!("/v1/carts/{cid}/checkout"), &token)
        .header("Idempotency-Key", "e2e-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    assert_eq!(cents(&order["totals"]["total"]), 21_600);
    assert_eq!(cents(&order["payment"]["amount"]), 21_600);
    let id = order["id"].as_str().unwrap().to_owned();
    let intent = order["payment"]["intent_id"].as_str().unwrap().to_owned();

    // What Stripe.js does in the browser: a card, then the confirmation.
    let pm: Value = http
        .post(format!("{stripe}/v1/payment_methods"))
        .basic_auth(sk.0, sk.1)
        .form(&[
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    http.post(format!("{stripe}/v1/payment_intents/{intent}"))
        .basic_auth(sk.0, sk.1)
        .form(&[("payment_method", pm["id"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    let confirmed: Value = http
        .post(format!("{stripe}/v1/payment_intents/{intent}/confirm"))
        .basic_auth(sk.0, sk.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(confirmed["status"], "succeeded", "{confirmed}");

    // The webhook arrives on its own.
    let mut status = String::new();
    for _ in 0..100 {
        let o: Value = app
            .get_as(&format!("/v1/orders/{id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        status = o["status"].as_str().unwrap().to_owned();
        if status == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "completed");
    let mails = app.mails_to("claire@example.fr").await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(order["number"].as_str().unwrap())),
        "confirmation mail"
    );
    let res = app
        .with(Method::GET, &format!("/v1/orders/{id}/invoice"), &token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
    let mine: Value = app
        .get_as("/v1/me/orders", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["id"], id.as_str());
    let desk: Value = app
        .get_as("/v1/admin/orders?status=completed", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(desk["items"][0]["id"], id.as_str());
}
