//! Refunds and complaints (SHOP-5): staff refund fully or in part, never
//! above what was paid, through Stripe when the order was paid there, each
//! refund with its credit note; customers and guests open complaints and
//! refund requests on their orders, and both sides see the thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::clock::Clock as _;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, assert_problem, plan, spawn_app, spawn_app_with};

const WEBHOOK_SECRET: &str = "whsec_test_boutique";
const ORDER_SECRET: &str = "X-Order-Secret";

fn cents(v: &Value) -> i64 {
    v["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("not money: {v}"))
}

fn year() -> String {
    crate::helpers::start_time().format("%Y").to_string()
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

async fn pdf_for_sale(app: &TestApp, slug: &str) -> [String; 2] {
    let p = app.add_plan(plan(slug, 3, 120, 24_000)).await;
    let pdf = p
        .formats
        .iter()
        .find(|f| f.kind == domain::catalogue::FormatKind::Pdf)
        .unwrap();
    [p.id.to_string(), pdf.id.to_string()]
}

/// A guest's order of one PDF (240.00 EUR): (order, its secret).
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

/// A signed-in customer's order of one PDF, paid by bank transfer.
async fn customer_order(app: &TestApp, token: &str, format: &[String; 2], email: &str) -> Value {
    let cart: Value = app
        .with(Method::POST, "/v1/carts", token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = cart["id"].as_str().unwrap();
    let res = app
        .with(Method::POST, &format!("/v1/carts/{cid}/items"), token)
        .json(&json!({"product_id": format[0], "format_id": format[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .with(Method::POST, &format!("/v1/carts/{cid}/checkout"), token)
        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
        .json(&buyer(email, "bank_transfer"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn mark_paid(app: &TestApp, staff: &str, order: &str) {
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/orders/{order}/actions"),
            staff,
        )
        .json(&json!({"action": "mark_paid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn refund(app: &TestApp, staff: &str, order: &str, body: &Value) -> reqwest::Response {
    app.with(
        Method::POST,
        &format!("/v1/admin/orders/{order}/refunds"),
        staff,
    )
    .json(body)
    .send()
    .await
    .unwrap()
}

async fn refunds(app: &TestApp, staff: &str, order: &str) -> Vec<Value> {
    let res = app
        .get_as(&format!("/v1/admin/orders/{order}/refunds"), staff)
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn order_status(app: &TestApp, order: &str, secret: &str) -> String {
    let o: Value = app
        .client
        .get(app.url(&format!("/v1/orders/{order}")))
        .header(ORDER_SECRET, secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    o["status"].as_str().unwrap().to_owned()
}

async fn documents(app: &TestApp, order: &str, secret: &str) -> Value {
    let res = app
        .client
        .get(app.url(&format!("/v1/orders/{order}/invoice")))
        .header(ORDER_SECRET, secret)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn audit(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let log: Value = app
        .get_as(&format!("/v1/admin/audit-log?{query}"), admin)
        .await
        .json()
        .await
        .unwrap();
    log["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn shop_5_refunds_never_exceed_what_was_paid_and_issue_credit_notes() {
    let app = spawn_app().await;
    let format = pdf_for_sale(&app, "maison-avoir").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let admin = app.staff("admin@boutique.test", Role::Admin).await;
    let (order, secret) = guest_order(&app, &format, "avoir@example.fr", "bank_transfer").await;
    let id = order["id"].as_str().unwrap().to_owned();
    let number = order["number"].as_str().unwrap().to_owned();
    let y = year();

    // An unpaid order cannot be refunded.
    let body = assert_problem(
        refund(
            &app,
            &manager,
            &id,
            &json!({"reason": "client a changé d'avis"}),
        )
        .await,
        409,
        "/problems/illegal-transition",
    )
    .await;
    assert_eq!(body["from"], "pending_payment");
    assert!(refunds(&app, &manager, &id).await.is_empty());
    mark_paid(&app, &manager, &id).await;
    assert_eq!(order_status(&app, &id, &secret).await, "completed");

    // A customer (even the order's own) cannot refund; a reason is needed.
    let customer = app.customer("client@example.fr").await;
    let res = refund(
        &app,
        &customer,
        &id,
        &json!({"amount": 100, "reason": "je me rembourse"}),
    )
    .await;
    assert_problem(res, 403, "/problems/forbidden").await;
    let body = assert_problem(
        refund(&app, &manager, &id, &json!({"amount": 5000})).await,
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "reason");
    let body = assert_problem(
        refund(
            &app,
            &manager,
            &id,
            &json!({"amount": 5000, "currency": "USD", "reason": "geste commercial"}),
        )
        .await,
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "currency");

    // A partial refund (sent twice with one Idempotency-Key: made once).
    let key = uuid::Uuid::now_v7().to_string();
    let partial = json!({"amount": 5000, "currency": "EUR", "reason": "livraison tardive : geste commercial"});
    let mut answers = Vec::new();
    for _ in 0..2 {
        let res = app
            .with(
                Method::POST,
                &format!("/v1/admin/orders/{id}/refunds"),
                &manager,
            )
            .header("Idempotency-Key", &key)
            .json(&partial)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(
            res.headers()["location"].to_str().unwrap(),
            format!("/v1/admin/orders/{id}/refunds")
        );
        let replayed = res.headers().contains_key("idempotent-replayed");
        answers.push((replayed, res.json::<Value>().await.unwrap()));
    }
    assert_eq!((answers[0].0, answers[1].0), (false, true));
    let first = &answers[0].1;
    assert_eq!(first["order"]["status"], "partially_refunded");
    assert_eq!(first["order"]["buyer"]["email"], "avoir@example.fr");
    let made = &first["refunds"][0];
    assert_eq!(cents(&made["amount"]), 5000);
    assert_eq!(made["method"], "bank_transfer");
    assert_eq!(made["status"], "succeeded");
    assert_eq!(made["provider_refund_id"], Value::Null);
    assert_eq!(made["credit_note_number"], format!("A-{y}-000001"));
    assert_eq!(first["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(refunds(&app, &manager, &id).await.len(), 1);
    assert_eq!(order_status(&app, &id, &secret).await, "partially_refunded");

    // The credit note is with the invoice, for the buyer.
    let docs = documents(&app, &id, &secret).await;
    let invoice_number = docs["invoice"]["number"].as_str().unwrap().to_owned();
    assert_eq!(invoice_number, format!("F-{y}-000001"));
    let notes = docs["credit_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["number"], format!("A-{y}-000001"));
    assert_eq!(notes[0]["kind"], "credit_note");
    assert_eq!(notes[0]["credit_note_of"], invoice_number.as_str());
    assert_eq!(cents(&notes[0]["totals"]["gross"]), 5000);
    assert_eq!(notes[0]["reason"], "livraison tardive : geste commercial");

    // Above what is left: refused, nothing changes.
    let body = assert_problem(
        refund(
            &app,
            &manager,
            &id,
            &json!({"amount": 19_001, "reason": "trop"}),
        )
        .await,
        409,
        "/problems/refund-exceeds-payment",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("190.00 EUR"),
        "{body}"
    );
    assert_eq!(order_status(&app, &id, &secret).await, "partially_refunded");
    assert_eq!(refunds(&app, &manager, &id).await.len(), 1);
    assert_eq!(
        documents(&app, &id, &secret).await["credit_notes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The rest: refunded, a second credit note.
    let res = refund(
        &app,
        &manager,
        &id,
        &json!({"reason": "commande annulée à la demande du client"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let rest: Value = res.json().await.unwrap();
    assert_eq!(rest["order"]["status"], "refunded");
    assert_eq!(cents(&rest["refunds"][1]["amount"]), 19_000);
    assert_eq!(
        rest["refunds"][1]["credit_note_number"],
        format!("A-{y}-000002")
    );
    let docs = documents(&app, &id, &secret).await;
    let gross: i64 = docs["credit_notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| cents(&n["totals"]["gross"]))
        .sum();
    assert_eq!(gross, 24_000, "credit notes add up to the invoice");

    // A second full refund: nothing is left.
    let body = assert_problem(
        refund(&app, &manager, &id, &json!({"reason": "encore"})).await,
        409,
        "/problems/refund-exceeds-payment",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("Nothing is left"));
    let body = assert_problem(
        refund(
            &app,
            &manager,
            &id,
            &json!({"amount": 1, "reason": "encore"}),
        )
        .await,
        409,
        "/problems/refund-exceeds-payment",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("Nothing is left"));
    assert_eq!(refunds(&app, &manager, &id).await.len(), 2);
    assert_problem(
        refund(
            &app,
            &manager,
            "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60",
            &json!({"reason": "inconnue"}),
        )
        .await,
        404,
        "/problems/not-found",
    )
    .await;

    // The history, the audit log and the buyer's mails say so.
    let staff_view: Value = app
        .with(Method::GET, &format!("/v1/admin/orders/{id}"), &manager)
        .header("x-access-reason", "refund check")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let moves: Vec<&str> = staff_view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        moves,
        [
            "pending_payment",
            "completed",
            "partially_refunded",
            "refunded"
        ]
    );
    let logged = audit(&app, &admin, "action=order_refunded").await;
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0]["target"], format!("order:{id}"));
    assert!(
        logged[1]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("A-{y}-000001")),
        "{logged:?}"
    );
    let mails = app.mails_to("avoir@example.fr").await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&number) && m.contains("50.00 EUR") && m.contains("rembours")),
        "{mails:?}"
    );
    assert!(mails.iter().any(|m| m.contains("190.00 EUR")));
}

#[tokio::test]
async fn shop_5_concurrent_full_refunds_make_exactly_one() {
    let app = spawn_app().await;
    let format = pdf_for_sale(&app, "maison-concurrente").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let other = app.staff("other@boutique.test", Role::Admin).await;
    for n in 0..3 {
        let (order, secret) = guest_order(
            &app,
            &format,
            &format!("double{n}@example.fr"),
            "bank_transfer",
        )
        .await;
        let id = order["id"].as_str().unwrap().to_owned();
        mark_paid(&app, &manager, &id).await;
        let answers = futures_util::future::join_all([&manager, &other].into_iter().map(|t| {
            app.with(Method::POST, &format!("/v1/admin/orders/{id}/refunds"), t)
                .json(&json!({"reason": "remboursement intégral"}))
                .send()
        }))
        .await;
        let mut statuses: Vec<u16> = answers
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "exactly one refund is made");
        let made = refunds(&app, &manager, &id).await;
        assert_eq!(made.len(), 1);
        assert_eq!(cents(&made[0]["amount"]), 24_000);
        assert_eq!(order_status(&app, &id, &secret).await, "refunded");
        let docs = documents(&app, &id, &secret).await;
        assert_eq!(docs["credit_notes"].as_array().unwrap().len(), 1);
    }
}

/// What the fake Stripe was asked: (method and path, headers, body).
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// A Stripe that answers payment intents and refunds, remembers every
/// request, makes one refund per `Idempotency-Key`, and refuses a refund
/// of 666 cents (as Stripe does when the balance is short).
async fn fake_stripe() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let keys: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            n += 1;
            let log = log.clone();
            let keys = keys.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = vec![0u8; 16_384];
                let (head, body) = loop {
                    let Ok(k) = socket.read(&mut chunk).await else {
                        return;
                    };
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        while buf.len() < end + 4 + length {
                            let Ok(k) = socket.read(&mut chunk).await else {
                                return;
                            };
                            if k == 0 {
                                break;
                            }
                            buf.extend_from_slice(&chunk[..k]);
                        }
                        let body = String::from_utf8_lossy(&buf[end + 4..]).to_string();
                        break (head, body);
                    }
                    if k == 0 {
                        return;
                    }
                };
                let line = head.lines().next().unwrap_or_default().to_owned();
                let headers = head.to_ascii_lowercase();
                log.lock()
                    .unwrap()
                    .push((line.clone(), headers.clone(), body.clone()));
                let amount = body
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("amount="))
                    .and_then(|a| a.parse::<i64>().ok())
                    .unwrap_or(24_000);
                let (status, answer) = if line.starts_with("POST /v1/refunds") {
                    let key = headers
                        .lines()
                        .find_map(|l| l.strip_prefix("idempotency-key:"))
                        .map(|k| k.trim().to_owned())
                        .unwrap_or_default();
                    if amount == 666 {
                        (
                            "402 Payment Required",
                            json!({"error": {"type": "invalid_request_error", "message": "insufficient balance"}}),
                        )
                    } else {
                        let id = keys
                            .lock()
                            .unwrap()
                            .entry(key)
                            .or_insert_with(|| format!("re_fake{n}"))
                            .clone();
                        (
                            "200 OK",
                            json!({"id": id, "object": "refund", "amount": amount, "status": "succeeded"}),
                        )
                    }
                } else {
                    let id = line
                        .strip_prefix("GET /v1/payment_intents/")
                        .and_then(|rest| rest.split(' ').next())
                        .map_or_else(|| format!("pi_fake{n}"), str::to_owned);
                    (
                        "200 OK",
                        json!({
                            "id": id, "object": "payment_intent", "amount": amount,
                            "currency": "eur", "status": "requires_payment_method",
                            "client_secret": format!("{id}_secret_abc")
                        }),
                    )
                };
                let answer = answer.to_string();
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (address, seen)
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

async fn pay_by_card(app: &TestApp, intent: &str, event_id: &str) {
    let body = json!({
        "id": event_id, "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"object": "payment_intent", "id": intent, "amount": 24_000, "amount_received": 24_000, "currency": "eur"}}
    })
    .to_string()
    .into_bytes();
    let t = app.clock.now().timestamp();
    let signature = format!("t={t},v1={}", api::stripe::sign(WEBHOOK_SECRET, t, &body));
    let res = app
        .client
        .post(app.url("/v1/payments/stripe/webhook"))
        .header("content-type", "application/json")
        .header("Stripe-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn shop_5_a_card_order_is_refunded_through_stripe() {
    let (stripe, seen) = fake_stripe().await;
    let app = stripe_app(&stripe).await;
    let format = pdf_for_sale(&app, "maison-carte-remboursee").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let (order, secret) = guest_order(&app, &format, "carte@example.fr", "stripe").await;
    let id = order["id"].as_str().unwrap().to_owned();
    let intent = order["payment"]["intent_id"].as_str().unwrap().to_owned();
    pay_by_card(&app, &intent, "evt_paid").await;
    assert_eq!(order_status(&app, &id, &secret).await, "completed");

    // Through Stripe: the intent, the amount, one refund per key.
    let res = refund(
        &app,
        &manager,
        &id,
        &json!({"amount": 5000, "reason": "fichier CAO manquant"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["order"]["status"], "partially_refunded");
    let made = &body["refunds"][0];
    assert_eq!(made["method"], "stripe");
    assert_eq!(made["status"], "succeeded");
    assert!(
        made["provider_refund_id"]
            .as_str()
            .unwrap()
            .starts_with("re_fake")
    );
    let refund_id = made["id"].as_str().unwrap();
    {
        let asked = seen.lock().unwrap();
        let calls: Vec<_> = asked
            .iter()
            .filter(|(line, _, _)| line.starts_with("POST /v1/refunds"))
            .collect();
        assert_eq!(calls.len(), 1);
        let (_, headers, form) = calls[0];
        assert!(form.contains(&format!("payment_intent={intent}")), "{form}");
        assert!(form.contains("amount=5000"), "{form}");
        assert!(
            headers.contains(&format!("idempotency-key: boutique-refund-{refund_id}")),
            "{headers}"
        );
    }

    // Stripe refuses: nothing refunded, the order unchanged, the amount free.
    let body = assert_problem(
        refund(
            &app,
            &manager,
            &id,
            &json!({"amount": 666, "reason": "essai"}),
        )
        .await,
        503,
        "/problems/payment-provider-unavailable",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was refunded")
    );
    assert_eq!(order_status(&app, &id, &secret).await, "partially_refunded");
    let listed = refunds(&app, &manager, &id).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["status"], "failed");
    assert_eq!(listed[1]["credit_note_number"], Value::Null);
    assert_eq!(
        documents(&app, &id, &secret).await["credit_notes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Never above what was paid, even through Stripe: it is not asked.
    assert_problem(
        refund(
            &app,
            &manager,
            &id,
            &json!({"amount": 19_001, "reason": "trop"}),
        )
        .await,
        409,
        "/problems/refund-exceeds-payment",
    )
    .await;
    let res = refund(
        &app,
        &manager,
        &id,
        &json!({"reason": "remboursement du solde"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["order"]["status"], "refunded");
    assert_eq!(cents(&body["refunds"][2]["amount"]), 19_000);
    let asked: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(line, _, _)| line.starts_with("POST /v1/refunds"))
        .map(|(_, _, form)| form.clone())
        .collect();
    assert_eq!(
        asked.len(),
        3,
        "the refused one, and no call above the payment"
    );
    assert!(asked[2].contains("amount=19000"));

    // Without Stripe configured, a card order cannot be refunded.
    let plain = spawn_app().await;
    let format = pdf_for_sale(&plain, "maison-sans-stripe").await;
    let manager = plain
        .staff("manager@boutique.test", Role::ShopManager)
        .await;
    let (order, _) = guest_order(&plain, &format, "virement@example.fr", "bank_transfer").await;
    let id = order["id"].as_str().unwrap();
    mark_paid(&plain, &manager, id).await;
    // As if Stripe had been configured when it was paid.
    plain
        .raw_sql(&format!(
            "UPDATE orders SET payment_method = 'stripe' WHERE number = '{}'",
            order["number"].as_str().unwrap()
        ))
        .await;
    assert_problem(
        refund(&plain, &manager, id, &json!({"reason": "sans stripe"})).await,
        503,
        "/problems/payment-provider-unavailable",
    )
    .await;
}

fn as_holder(
    app: &TestApp,
    method: Method,
    path: &str,
    secret: Option<&str>,
    token: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut req = app.client.request(method, app.url(path));
    if let Some(s) = secret {
        req = req.header(ORDER_SECRET, s);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req
}

#[tokio::test]
async fn shop_5_complaints_are_a_thread_both_sides_see() {
    let app = spawn_app().await;
    let format = pdf_for_sale(&app, "maison-reclamation").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let admin = app.staff("admin@boutique.test", Role::Admin).await;
    let (order, secret) = guest_order(&app, &format, "invite@example.fr", "bank_transfer").await;
    let gid = order["id"].as_str().unwrap().to_owned();
    let gnumber = order["number"].as_str().unwrap().to_owned();
    let path = format!("/v1/orders/{gid}/complaints");

    // A guest with the order's secret opens a complaint.
    let res = as_holder(&app, Method::POST, &path, Some(&secret), None)
        .json(&json!({"kind": "complaint", "message": "Le PDF du plan ne s'ouvre pas du tout."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let opened: Value = res.json().await.unwrap();
    let cid = opened["id"].as_str().unwrap().to_owned();
    assert_eq!(opened["status"], "open");
    assert_eq!(opened["kind"], "complaint");
    assert_eq!(opened["order_id"], gid.as_str());
    assert_eq!(opened["messages"][0]["author"], "customer");
    // A refund cannot be requested before the order is paid; no one
    // without the secret reaches it.
    assert_problem(
        as_holder(&app, Method::POST, &path, Some(&secret), None)
            .json(&json!({"kind": "refund_request", "message": "Remboursez-moi, s'il vous plaît."}))
            .send()
            .await
            .unwrap(),
        409,
        "/problems/conflict",
    )
    .await;
    assert_problem(
        as_holder(&app, Method::GET, &path, Some("not-the-secret"), None)
            .send()
            .await
            .unwrap(),
        401,
        "/problems/unauthorized",
    )
    .await;
    assert_problem(
        as_holder(&app, Method::GET, &path, None, None)
            .send()
            .await
            .unwrap(),
        401,
        "/problems/unauthorized",
    )
    .await;
    let body = assert_problem(
        as_holder(&app, Method::POST, &path, Some(&secret), None)
            .json(&json!({"kind": "complaint", "message": "court"}))
            .send()
            .await
            .unwrap(),
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "message");

    // A customer asks for a refund of their paid order; another customer
    // reaches neither the order's complaints nor the guest's.
    let customer = app.customer("cliente@example.fr").await;
    let corder = customer_order(&app, &customer, &format, "cliente@example.fr").await;
    let coid = corder["id"].as_str().unwrap().to_owned();
    mark_paid(&app, &manager, &coid).await;
    let cpath = format!("/v1/orders/{coid}/complaints");
    let res = app
        .with(Method::POST, &cpath, &customer)
        .json(&json!({"kind": "refund_request", "message": "Je me suis trompée de plan, puis-je être remboursée ?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let request: Value = res.json().await.unwrap();
    let rid = request["id"].as_str().unwrap().to_owned();
    let stranger = app.customer("intrus@example.fr").await;
    for p in [&cpath, &path] {
        assert_problem(app.get_as(p, &stranger).await, 404, "/problems/not-found").await;
        assert_problem(
            app.with(Method::POST, p, &stranger)
                .json(&json!({"kind": "complaint", "message": "Je ne suis pas le client."}))
                .send()
                .await
                .unwrap(),
            404,
            "/problems/not-found",
        )
        .await;
    }
    assert_problem(
        app.with(Method::POST, &format!("{cpath}/{rid}/messages"), &stranger)
            .json(&json!({"message": "Intrusion"}))
            .send()
            .await
            .unwrap(),
        404,
        "/problems/not-found",
    )
    .await;
    // A complaint of another order is not found through this one.
    assert_problem(
        app.with(Method::POST, &format!("{cpath}/{cid}/messages"), &customer)
            .json(&json!({"message": "Pas ma réclamation"}))
            .send()
            .await
            .unwrap(),
        404,
        "/problems/not-found",
    )
    .await;
    let mine: Value = app.get_as(&cpath, &customer).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["kind"], "refund_request");

    // Staff's inbox names no one; a customer cannot see it.
    assert_problem(
        app.get_as("/v1/admin/complaints", &customer).await,
        403,
        "/problems/forbidden",
    )
    .await;
    let inbox: Value = app
        .get_as("/v1/admin/complaints", &manager)
        .await
        .json()
        .await
        .unwrap();
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], rid.as_str(), "newest first");
    let text = inbox.to_string();
    for private in ["ouvre pas", "trompée", "invite@", "cliente@", "Jeanne"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let page: Value = app
        .get_as("/v1/admin/complaints?limit=1", &manager)
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let next: Value = app
        .get_as(
            &format!("/v1/admin/complaints?limit=1&cursor={cursor}"),
            &manager,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["id"], cid.as_str());
    assert_eq!(next["next_cursor"], Value::Null);
    let refunds_asked: Value = app
        .get_as(
            "/v1/admin/complaints?kind=refund_request&status=open",
            &manager,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refunds_asked["items"].as_array().unwrap().len(), 1);

    // Reading a thread needs a reason, and is audited.
    let one = format!("/v1/admin/complaints/{cid}");
    assert_problem(
        app.get_as(&one, &manager).await,
        400,
        "/problems/validation-failed",
    )
    .await;
    let res = app
        .with(Method::GET, &one, &manager)
        .header("x-access-reason", "answering the complaint")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let thread: Value = res.json().await.unwrap();
    assert_eq!(
        thread["messages"][0]["body"],
        "Le PDF du plan ne s'ouvre pas du tout."
    );
    let reads = audit(&app, &admin, "action=personal_data_accessed").await;
    assert!(
        reads
            .iter()
            .any(|e| e["target"] == format!("complaint:{cid}")
                && e["reason"] == "answering the complaint"),
        "{reads:?}"
    );

    // Staff answer: the guest is mailed, and sees the answer as `staff`.
    let res = app
        .with(Method::POST, &format!("{one}/answers"), &manager)
        .json(&json!({"body": "Bonjour, le fichier est corrigé : téléchargez-le de nouveau."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let answered: Value = res.json().await.unwrap();
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["messages"][1]["author"], "staff");
    assert!(answered["messages"][1]["staff_id"].is_string());
    let seen: Value = as_holder(&app, Method::GET, &path, Some(&secret), None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = seen["items"][0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["author"], "staff");
    assert_eq!(messages[1]["staff_id"], Value::Null);
    assert_eq!(
        messages[1]["body"],
        "Bonjour, le fichier est corrigé : téléchargez-le de nouveau."
    );
    let mails = app.mails_to("invite@example.fr").await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&gnumber) && m.contains("le fichier est corrig")),
        "{mails:?}"
    );

    // The guest writes back: it waits for staff again.
    let res = as_holder(
        &app,
        Method::POST,
        &format!("{path}/{cid}/messages"),
        Some(&secret),
        None,
    )
    .json(&json!({"message": "Merci, il s'ouvre maintenant."}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let back: Value = res.json().await.unwrap();
    assert_eq!(back["status"], "open");
    assert_eq!(back["messages"].as_array().unwrap().len(), 3);

    // Closed: no more messages, from either side.
    let res = app
        .with(Method::POST, &format!("{one}/close"), &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    assert!(closed["closed_at"].is_string());
    assert!(
        closed.get("messages").is_none(),
        "no thread without a reason"
    );
    assert_problem(
        as_holder(
            &app,
            Method::POST,
            &format!("{path}/{cid}/messages"),
            Some(&secret),
            None,
        )
        .json(&json!({"message": "Encore une question"}))
        .send()
        .await
        .unwrap(),
        409,
        "/problems/conflict",
    )
    .await;
    assert_problem(
        app.with(Method::POST, &format!("{one}/answers"), &manager)
            .json(&json!({"body": "Trop tard"}))
            .send()
            .await
            .unwrap(),
        409,
        "/problems/conflict",
    )
    .await;
    assert_eq!(
        audit(&app, &admin, "action=complaint_answered").await.len(),
        1
    );
    let changed = audit(&app, &admin, "action=complaint_changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["target"], format!("complaint:{cid}"));
    assert_problem(
        app.with(
            Method::GET,
            "/v1/admin/complaints/0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60",
            &manager,
        )
        .header("x-access-reason", "checking")
        .send()
        .await
        .unwrap(),
        404,
        "/problems/not-found",
    )
    .await;
}
