//! Data-subject rights (DSR-1, DSR-2): a customer downloads everything held
//! about them, and erases their account with a receipt; afterwards no
//! seeded personal value can be read anywhere in the database, except
//! what the law keeps.

use domain::clock::Clock;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};
use crate::shop::{buyer, cart_with_pdf, customer_cart, plan_for_sale};

const EMAIL: &str = "camille.export@example.fr";

/// Distinctive values the customer leaves in every corner of the shop.
const SEEDED: &[&str] = &[
    EMAIL,
    "Camille Exportée",
    "17 rue de l'Exportation",
    "99 avenue Singulière",
    "Mon plan ne s'ouvre pas, message unique",
    "Texte du formulaire singulier",
    "Titre d'avis singulier",
];

/// A customer who registered, saved an address, bought and paid a plan,
/// complained, wrote through the contact form, subscribed to the
/// newsletter, reviewed the plan and viewed it. Returns their token.
async fn seeded_customer(app: &TestApp) -> String {
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": EMAIL, "name": "Camille Exportée", "phone": "+33 6 98 76 54 32",
                    "password": PASSWORD, "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let token = app.login(EMAIL, PASSWORD).await;
    let res = app
        .with(Method::POST, "/v1/me/addresses", &token)
        .json(&json!({"kind": "shipping", "full_name": "Camille Exportée", "line1": "17 rue de l'Exportation",
                      "postal_code": "69003", "city": "Lyon", "country": "FR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // An order, as a signed-in customer.
    let (product, pdf, _) = plan_for_sale(app, "maison-exportee", 9_000).await;
    let cart = customer_cart(app, &token, &product, &pdf).await;
    let mut body = buyer(EMAIL, "FR", false);
    body["name"] = json!("Camille Exportée");
    body["billing_address"]["line1"] = json!("99 avenue Singulière");
    let res = app
        .with(Method::POST, &format!("/v1/carts/{cart}/checkout"), &token)
        .header("Idempotency-Key", "export-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    let order = order["id"].as_str().unwrap().to_owned();
    let manager = app.staff("gerant@boutique.test", Role::ShopManager).await;
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/orders/{order}/actions"),
            &manager,
        )
        .json(&json!({"action": "mark_paid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .with(
            Method::POST,
            &format!("/v1/orders/{order}/complaints"),
            &token,
        )
        .json(&json!({"kind": "complaint", "message": "Mon plan ne s'ouvre pas, message unique"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .with(Method::POST, "/v1/contact-messages", &token)
        .json(
            &json!({"name": "Camille Exportée", "email": EMAIL, "topic": "order_question",
                      "message": "Texte du formulaire singulier", "accept_privacy_policy": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let res = app
        .post_json(
            "/v1/newsletter/subscriptions",
            &json!({"email": EMAIL, "language": "fr", "consent": true}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let res = app
        .with(
            Method::POST,
            &format!("/v1/products/{product}/reviews"),
            &token,
        )
        .json(&json!({"rating": 5, "title": "Titre d'avis singulier", "text": "Très bien."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    app.get_as("/v1/products/maison-exportee", &token).await;
    app.app.background.idle().await;
    // Another customer's data must stay out of the export.
    let other = cart_with_pdf(app, "maison-autre").await;
    drop(other);
    token
}

#[tokio::test]
async fn dsr_1_the_export_holds_every_seeded_value_and_nobody_else_s() {
    let app = spawn_app().await;
    let token = seeded_customer(&app).await;
    let res = app.get_as("/v1/me/export", &token).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let export: Value = res.json().await.unwrap();
    assert_eq!(export["format"], "boutique-export/1");
    let text = export.to_string();
    for value in SEEDED {
        let escaped = serde_json::to_string(value).unwrap();
        assert!(
            text.contains(escaped.trim_matches('"')),
            "{value} missing from the export"
        );
    }
    let tables = export["tables"].as_object().unwrap();
    for t in [
        "customers",
        "customer_addresses",
        "sessions",
        "consent_events",
        "consent_state",
        "orders",
        "order_events",
        "invoices",
        "complaints",
        "complaint_messages",
        "contact_messages",
        "newsletter_subscribers",
        "reviews",
        "recently_viewed",
        "outbox",
        "audit_log",
    ] {
        assert!(
            !tables[t].as_array().unwrap().is_empty(),
            "{t} is empty in the export"
        );
    }
    // No keyed hash or password hash leaves.
    assert!(!text.contains("password_hash"));
    assert!(!text.contains("$argon2"));
    assert!(!text.contains("email_bidx"));
    // Only this customer's carts.
    assert_eq!(tables["carts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn dsr_2_an_erasure_needs_the_password_leaves_nothing_readable_and_keeps_the_invoice() {
    let app = spawn_app().await;
    let token = seeded_customer(&app).await;
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    let id: uuid::Uuid = me["id"].as_str().unwrap().parse().unwrap();
    let erase = |password: &str| {
        app.with(Method::DELETE, "/v1/me", &token)
            .json(&json!({"password": password}))
            .send()
    };
    let res = erase("pas le bon mot de passe").await.unwrap();
    assert_eq!(res.status(), 400);
    let res = erase(PASSWORD).await.unwrap();
    assert_eq!(res.status(), 200);
    let receipt: Value = res.json().await.unwrap();
    let erased: Vec<&str> = receipt["erased"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["category"].as_str().unwrap())
        .collect();
    for t in ["customers", "orders", "reviews", "contact_messages"] {
        assert!(erased.contains(&t), "{t} not in {erased:?}");
    }
    let kept: Vec<&str> = receipt["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["category"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["invoices", "security_log", "consent_proofs"]);
    assert!(receipt["kept"][0]["until"].as_str().unwrap() > "2036");

    // The session is gone with the account.
    assert_problem(
        app.get_as("/v1/me", &token).await,
        401,
        "/problems/unauthorized",
    )
    .await;
    // The data key is gone: what any copy of the database still holds of
    // theirs is noise; and nothing seeded is in the database in clear.
    assert!(app.app.keys.get(id).await.unwrap().is_none());
    let dump = crate::shop::raw_dump(&app).await;
    let dump = String::from_utf8_lossy(&dump);
    for value in SEEDED {
        assert!(!dump.contains(value), "{value} is still readable");
    }
    assert_eq!(
        app.app
            .db
            .query_strings("SELECT CAST(COUNT(*) AS TEXT) FROM invoices")
            .await
            .unwrap(),
        ["1"]
    );
    // The address can register again.
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": EMAIL, "name": "Camille", "password": PASSWORD,
                    "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await;
    assert_eq!(res.status(), 202);
    app.login(EMAIL, PASSWORD).await;
}

/// The path of the export link in a mail.
fn export_path(mail: &str) -> String {
    let start = mail.find("/v1/privacy/exports/").expect("an export link");
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect()
}

#[tokio::test]
async fn dsr_4_a_guest_gets_a_copy_then_an_erasure_confirmed_by_e_mail() {
    let app = spawn_app().await;
    let guest = "invitee.sans.compte@example.fr";
    let placed = crate::shop::guest_buys(&app, "maison-invitee", guest, &json!({})).await;
    app.customer("a.un.compte@example.fr").await;
    let ask = |email: &str, kind: &str| {
        app.client
            .post(app.url("/v1/privacy/requests"))
            .json(&json!({"email": email, "kind": kind}))
            .send()
    };
    // The same answer whatever is held.
    for email in [guest, "personne@example.fr", "a.un.compte@example.fr"] {
        let res = ask(email, "export").await.unwrap();
        assert_eq!(res.status(), 202);
    }
    app.app.background.idle().await;
    assert!(app.mails_to("personne@example.fr").await.is_empty());
    let account = app.mails_to("a.un.compte@example.fr").await.pop().unwrap();
    assert!(account.contains("votre compte"), "{account}");
    let link = app.mails_to(guest).await.pop().unwrap();
    assert!(link.contains("/privacy/confirm?token="), "{link}");

    // Nothing is sent before the link is used; then a single-use download.
    let confirm = |token: String| {
        app.client
            .post(app.url("/v1/privacy/requests/confirmations"))
            .json(&json!({"token": token}))
            .send()
    };
    let token = crate::helpers::link_token(&link);
    let res = confirm(token.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "export_sent");
    assert_problem(
        confirm(token).await.unwrap(),
        400,
        "/problems/validation-failed",
    )
    .await;
    let ready = app.mails_to(guest).await.pop().unwrap();
    let path = export_path(&ready);
    let res = app.get(&path).await;
    assert_eq!(res.status(), 200);
    let export: Value = res.json().await.unwrap();
    let text = export.to_string();
    assert!(text.contains(guest));
    assert!(text.contains(placed["id"].as_str().unwrap()));
    assert!(!text.contains("a.un.compte@example.fr"));
    assert_problem(app.get(&path).await, 410, "/problems/download-link-expired").await;

    // The erasure, confirmed the same way; the receipt is mailed.
    app.clock.advance(chrono::Duration::minutes(30));
    assert_eq!(ask(guest, "erasure").await.unwrap().status(), 202);
    app.app.background.idle().await;
    let link = app.mails_to(guest).await.pop().unwrap();
    let res = confirm(crate::helpers::link_token(&link)).await.unwrap();
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "erased");
    assert!(
        done["receipt"]["erased"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["category"] == "orders")
    );
    let receipt = app.mails_to(guest).await.pop().unwrap();
    assert!(receipt.contains("orders: 1"), "{receipt}");
    let res = app
        .client
        .get(app.url(&format!("/v1/orders/{}", placed["id"].as_str().unwrap())))
        .header("X-Order-Secret", placed["access_secret"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn account_id(app: &TestApp, token: &str) -> String {
    let me: Value = app.get_as("/v1/me", token).await.json().await.unwrap();
    me["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn dsr_3_the_dpo_answers_requests_on_time_once_the_identity_is_verified() {
    let app = spawn_app().await;
    let admin = app.staff("dpo@boutique.test", Role::Admin).await;
    let alice = app.customer("dpo-acces@example.fr").await;
    let bob = app.customer("dpo-gel@example.fr").await;
    let (alice_id, bob_id) = (account_id(&app, &alice).await, account_id(&app, &bob).await);
    let now = app.clock.now();
    let record = |customer: &str, kind: &str, days_ago: i64| {
        app.with(Method::POST, "/v1/admin/privacy/requests", &admin)
            .json(
                &json!({"customer_id": customer, "kind": kind, "channel": "email",
                          "received_at": (now - chrono::Duration::days(days_ago)).to_rfc3339()}),
            )
            .send()
    };
    let post = |path: String, body: Value| app.with(Method::POST, &path, &admin).json(&body).send();

    // An access request: answered with the export once verified.
    let res = record(&alice_id, "access", 2).await.unwrap();
    assert_eq!(res.status(), 201);
    let access: Value = res.json().await.unwrap();
    let access_path = format!(
        "/v1/admin/privacy/requests/{}",
        access["id"].as_str().unwrap()
    );
    assert_eq!(access["overdue"], false);
    let res = post(
        format!("{access_path}/fulfilment"),
        json!({"note": "export sent by e-mail"}),
    )
    .await
    .unwrap();
    assert_problem(res, 409, "/problems/conflict").await;
    let res = post(
        format!("{access_path}/verification"),
        json!({"note": "replied from the account's address"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let res = post(
        format!("{access_path}/fulfilment"),
        json!({"note": "export sent by e-mail"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["request"]["status"], "fulfilled");
    assert!(
        answer["export"]
            .to_string()
            .contains("dpo-acces@example.fr")
    );
    assert_eq!(
        answer["request"]["verification"],
        "replied from the account's address"
    );

    // A request received 40 days ago is overdue, first in the list, until
    // extended (once).
    let late: Value = record(&alice_id, "rectification", 40)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let late_path = format!(
        "/v1/admin/privacy/requests/{}",
        late["id"].as_str().unwrap()
    );
    let list: Value = app
        .get_as("/v1/admin/privacy/requests", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["overdue"], 1);
    assert_eq!(list["items"][0]["id"], late["id"]);
    let res = post(
        format!("{late_path}/extension"),
        json!({"note": "complex: several systems"}),
    )
    .await
    .unwrap();
    let extended: Value = res.json().await.unwrap();
    assert_eq!(extended["overdue"], false);
    let res = post(format!("{late_path}/extension"), json!({"note": "again"}))
        .await
        .unwrap();
    assert_problem(res, 409, "/problems/conflict").await;

    // A restriction freezes Bob's data until it is lifted.
    let freeze: Value = record(&bob_id, "restriction", 1)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let freeze_path = format!(
        "/v1/admin/privacy/requests/{}",
        freeze["id"].as_str().unwrap()
    );
    post(
        format!("{freeze_path}/verification"),
        json!({"note": "phone call back"}),
    )
    .await
    .unwrap();
    let res = post(
        format!("{freeze_path}/fulfilment"),
        json!({"note": "data frozen"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let change = || {
        app.with(Method::PATCH, "/v1/me", &bob)
            .json(&json!({"name": "Bob Changé"}))
            .send()
    };
    assert_problem(change().await.unwrap(), 423, "/problems/data-restricted").await;
    let res = post(format!("{freeze_path}/lift"), json!({}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(change().await.unwrap().status(), 200);

    // An erasure request erases the account and answers the receipt.
    let erase: Value = record(&bob_id, "erasure", 1)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let erase_path = format!(
        "/v1/admin/privacy/requests/{}",
        erase["id"].as_str().unwrap()
    );
    post(
        format!("{erase_path}/verification"),
        json!({"note": "signed letter"}),
    )
    .await
    .unwrap();
    let res = post(
        format!("{erase_path}/fulfilment"),
        json!({"note": "erased"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert!(
        answer["receipt"]["erased"]
            .to_string()
            .contains("customers")
    );
    assert!(
        answer["request"]["outcome"].is_null(),
        "the notes die with the key"
    );
    assert_eq!(
        app.login_response("dpo-gel@example.fr", PASSWORD, false)
            .await
            .status(),
        401
    );
}
