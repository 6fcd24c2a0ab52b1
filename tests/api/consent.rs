//! The consent ledger, policy versions, the newsletter and the contact
//! form (CON-1, LAW-1, NEWS-1, NEWS-2, CONT-1).

use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, link_token, spawn_app};

async fn put_consent(app: &TestApp, token: &str, purpose: &str, body: &Value) -> reqwest::Response {
    app.with(Method::PUT, &format!("/v1/me/consents/{purpose}"), token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get_as("/v1/me", token).await.json().await.unwrap()
}

#[tokio::test]
async fn law_1_the_policy_is_versioned_and_a_publication_flags_stale_consents() {
    let app = spawn_app().await;
    let v1: Value = app
        .get("/v1/legal/privacy-policy")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["published_at"], "2019-03-06T00:00:00Z");
    assert!(
        v1["text_fr"]
            .as_str()
            .unwrap()
            .starts_with("Politique de Confidentialité")
    );
    assert!(
        v1["text_en"]
            .as_str()
            .unwrap()
            .starts_with("Privacy Policy")
    );
    let hash = v1["text_hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    assert_eq!(
        hash,
        domain::legal::document_hash(
            v1["text_fr"].as_str().unwrap(),
            v1["text_en"].as_str().unwrap()
        )
    );
    assert_eq!(
        app.get("/v1/legal/terms").await.status(),
        404,
        "no terms yet"
    );
    assert_eq!(app.get("/v1/legal/cookies").await.status(), 404);

    let customer = app.customer("jeanne@example.fr").await;
    assert_eq!(me(&app, &customer).await["consent_required"], false);

    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let new =
        json!({"text_fr": "Politique v2", "text_en": "Policy v2", "summary": "Deuxième version."});
    for token in [&customer, &manager] {
        let res = app
            .with(
                Method::POST,
                "/v1/admin/legal/privacy-policy/versions",
                token,
            )
            .json(&new)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    let res = app
        .with(
            Method::POST,
            "/v1/admin/legal/privacy-policy/versions",
            &admin,
        )
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["version"], 2);

    // Version 1 is still there, unchanged; the history lists both.
    let old: Value = app
        .get("/v1/legal/privacy-policy?version=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old["text_hash"], hash.as_str());
    let history: Value = app
        .get("/v1/legal/privacy-policy/versions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["current_version"], 2);
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/v1/legal/privacy-policy?version=9").await.status(),
        404
    );

    // The customer accepted version 1: asked again, until they accept 2.
    assert_eq!(me(&app, &customer).await["consent_required"], true);
    let stale = put_consent(
        &app,
        &customer,
        "terms_and_privacy",
        &json!({"given": true, "policy_version": 1}),
    )
    .await;
    assert_problem(stale, 400, "/problems/validation-failed").await;
    let res = put_consent(
        &app,
        &customer,
        "terms_and_privacy",
        &json!({"given": true, "policy_version": 2}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let profile = me(&app, &customer).await;
    assert_eq!(profile["consent_required"], false);
    assert_eq!(profile["privacy_policy_version"], 2);

    // Registration now needs version 2.
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "late@example.fr", "name": "Late", "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await;
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "privacy_policy_version");
}

#[tokio::test]
async fn con_1_no_consent_without_an_explicit_true_and_the_ledger_proves_what_was_shown() {
    let app = spawn_app().await;
    let customer = app.customer("jeanne@example.fr").await;
    for body in [
        json!({"given": "true", "policy_version": 1}),
        json!({"given": 1, "policy_version": 1}),
        json!({"policy_version": 1}),
        json!({"given": null, "policy_version": 1}),
        json!({"given": true}),
    ] {
        let res = put_consent(&app, &customer, "marketing_email", &body).await;
        assert_problem(res, 400, "/problems/validation-failed").await;
    }
    let res = put_consent(&app, &customer, "unknown_purpose", &json!({"given": false})).await;
    assert_problem(res, 404, "/problems/not-found").await;
    let res = put_consent(
        &app,
        &customer,
        "terms_and_privacy",
        &json!({"given": false}),
    )
    .await;
    assert_problem(res, 409, "/problems/conflict").await;

    let res = put_consent(
        &app,
        &customer,
        "marketing_email",
        &json!({"given": true, "policy_version": 1}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let state: Value = res.json().await.unwrap();
    assert_eq!(state["given"], true);
    // The same decision again records nothing new.
    put_consent(
        &app,
        &customer,
        "marketing_email",
        &json!({"given": true, "policy_version": 1}),
    )
    .await;
    // Withdrawing is one call.
    let res = put_consent(&app, &customer, "marketing_email", &json!({"given": false})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["given"], false);

    let hash = app
        .get("/v1/legal/privacy-policy")
        .await
        .json::<Value>()
        .await
        .unwrap()["text_hash"]
        .clone();
    let consents: Value = app
        .get_as("/v1/me/consents", &customer)
        .await
        .json()
        .await
        .unwrap();
    let history = consents["history"].as_array().unwrap();
    assert_eq!(history.len(), 3, "{history:#?}");
    assert_eq!(history[0]["purpose"], "marketing_email");
    assert_eq!(history[0]["given"], false);
    assert_eq!(history[1]["given"], true);
    assert_eq!(history[1]["channel"], "account_page");
    assert_eq!(history[2]["purpose"], "terms_and_privacy");
    assert_eq!(history[2]["channel"], "registration");
    assert_eq!(history[2]["policy_version"], 1);
    assert_eq!(history[2]["policy_hash"], hash);
    let purposes = consents["purposes"].as_array().unwrap();
    assert!(
        purposes
            .iter()
            .any(|p| p["purpose"]["key"] == "newsletter" && p["state"].is_null())
    );

    // The source address is in the ledger only sealed.
    let other = app.customer("other@example.fr").await;
    let theirs: Value = app
        .get_as("/v1/me/consents", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        theirs["history"].as_array().unwrap().len(),
        1,
        "only their own"
    );
}

fn header(mail: &str, name: &str) -> Option<String> {
    let lower = format!("{}:", name.to_lowercase());
    mail.lines()
        .find(|l| l.to_lowercase().starts_with(&lower))
        .map(|l| l[lower.len()..].trim().to_owned())
}

pub(crate) async fn subscribe(app: &TestApp, email: &str, language: &str) {
    let res = app
        .post_json(
            "/v1/newsletter/subscriptions",
            &json!({"email": email, "language": language, "consent": true}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let mails = app.mails_to(email).await;
    let confirmation = mails.last().expect("a confirmation mail");
    let res = app
        .post_json(
            "/v1/newsletter/confirmations",
            &json!({"token": link_token(confirmation)}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

pub(crate) async fn send_campaign(app: &TestApp, staff: &str) -> String {
    let res = app
        .with(Method::POST, "/v1/admin/newsletter/campaigns", staff)
        .json(&json!({"subject_fr": "Nos nouveaux plans", "subject_en": "Our new plans", "body_fr": "Découvrez nos maisons.", "body_en": "Discover our houses."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/newsletter/campaigns/{id}/send"),
            staff,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    id
}

#[tokio::test]
async fn news_1_double_opt_in_and_one_click_unsubscribe_by_post_while_get_changes_nothing() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/v1/newsletter/subscriptions",
            &json!({"email": "x@example.fr", "consent": false}),
        )
        .await;
    assert_problem(res, 400, "/problems/validation-failed").await;

    // Unconfirmed: nothing is sent.
    app.post_json(
        "/v1/newsletter/subscriptions",
        &json!({"email": "pending@example.fr", "consent": true}),
    )
    .await;
    subscribe(&app, "anne@example.fr", "fr").await;
    subscribe(&app, "bob@example.com", "en").await;
    let confirmation = app.mails_to("bob@example.com").await.remove(0);
    assert!(
        confirmation.contains("Confirm your subscription"),
        "{confirmation}"
    );
    assert!(confirmation.contains("MIME-Version: 1.0"));
    assert!(confirmation.contains("Content-Type: text/plain; charset=utf-8"));

    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let id = send_campaign(&app, &manager).await;
    api::jobs::run_newsletter(&app.app).await.unwrap();
    let campaign: Value = app
        .get_as(&format!("/v1/admin/newsletter/campaigns/{id}"), &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(campaign["status"], "sent");
    assert_eq!(campaign["enqueued"], 2);
    assert!(
        app.mails_to("pending@example.fr").await.len() == 1,
        "only the confirmation"
    );

    let letter = app.mails_to("anne@example.fr").await.pop().unwrap();
    assert!(letter.contains("Nos nouveaux plans"), "{letter}");
    assert!(letter.contains("Découvrez nos maisons."));
    assert_eq!(
        header(&letter, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let list_unsubscribe = header(&letter, "List-Unsubscribe").unwrap();
    assert!(list_unsubscribe.starts_with("<http"), "{list_unsubscribe}");
    let english = app.mails_to("bob@example.com").await.pop().unwrap();
    assert!(english.contains("Our new plans") && english.contains("unsubscribe"));

    let token = link_token(&letter);
    let state = format!("/v1/newsletter/unsubscribe?token={token}");
    for _ in 0..3 {
        let res: Value = app.get(&state).await.json().await.unwrap();
        assert_eq!(res["subscribed"], true, "a GET changes nothing");
    }
    // What a mail client sends (RFC 8058), with no login.
    let res = app
        .client
        .post(app.url(&state))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res: Value = app.get(&state).await.json().await.unwrap();
    assert_eq!(res["subscribed"], false);
    // A forged token is refused.
    // The last MAC digit changed: anything else than the shop's own MAC.
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..64]);
    let res = app
        .get(&format!("/v1/newsletter/unsubscribe?token={forged}"))
        .await;
    assert_eq!(res.status(), 400);

    // The next campaign skips her.
    send_campaign(&app, &manager).await;
    api::jobs::run_newsletter(&app.app).await.unwrap();
    assert_eq!(app.mails_to("anne@example.fr").await.len(), 2);
    assert_eq!(app.mails_to("bob@example.com").await.len(), 3);
}

#[tokio::test]
async fn news_2_a_campaign_sent_right_after_a_withdrawal_skips_that_person() {
    let app = spawn_app().await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let customer = app.customer("carla@example.fr").await;
    let res = put_consent(
        &app,
        &customer,
        "newsletter",
        &json!({"given": true, "policy_version": 1}),
    )
    .await;
    assert_eq!(res.status(), 200);
    subscribe(&app, "dan@example.fr", "fr").await;

    // Queued for both, then Carla withdraws before delivery: she gets nothing.
    send_campaign(&app, &manager).await;
    api::jobs::run_newsletter(&app.app).await.unwrap();
    put_consent(&app, &customer, "newsletter", &json!({"given": false})).await;
    let carla = app.mails_to("carla@example.fr").await;
    assert!(
        carla.iter().all(|m| !m.contains("Nos nouveaux plans")),
        "no letter after withdrawal"
    );
    assert_eq!(app.mails_to("dan@example.fr").await.len(), 2);

    // A staff member records Dan's objection: the next campaign skips him.
    let res = app
        .with(Method::POST, "/v1/admin/newsletter/objections", &manager)
        .json(&json!({"email": "dan@example.fr", "reason": "asked by phone"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["found"], true);
    send_campaign(&app, &manager).await;
    api::jobs::run_newsletter(&app.app).await.unwrap();
    assert_eq!(app.mails_to("dan@example.fr").await.len(), 2);
}

#[tokio::test]
async fn cont_1_contact_messages_are_limited_acknowledged_and_read_only_by_audited_staff() {
    let app = spawn_app().await;
    let message = |email: &str| json!({"name": "Jeanne Dupont", "email": email, "topic": "order_question", "message": "Je n'ai pas reçu mon lien de téléchargement.", "order_number": "2026-0042", "accept_privacy_policy": true});
    let mut no_ack = message("a@example.fr");
    no_ack["accept_privacy_policy"] = false.into();
    let res = app.post_json("/v1/contact-messages", &no_ack).await;
    assert_problem(res, 400, "/problems/validation-failed").await;

    for _ in 0..3 {
        let res = app
            .post_json("/v1/contact-messages", &message("jeanne@example.fr"))
            .await;
        assert_eq!(res.status(), 202);
    }
    let res = app
        .post_json("/v1/contact-messages", &message("jeanne@example.fr"))
        .await;
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, 429, "/problems/too-many-requests").await;

    let acks = app.mails_to("jeanne@example.fr").await;
    assert_eq!(acks.len(), 3);
    assert!(acks[0].contains("Nous avons bien reçu votre question sur une commande"));

    let customer = app.customer("nosy@example.fr").await;
    let res = app.get_as("/v1/admin/contact-messages", &customer).await;
    assert_problem(res, 403, "/problems/forbidden").await;

    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let list: Value = app
        .get_as("/v1/admin/contact-messages", &manager)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        !list.to_string().contains("jeanne@example.fr"),
        "the list names no one"
    );
    let id = items[0]["id"].as_str().unwrap();
    let path = format!("/v1/admin/contact-messages/{id}");
    assert_eq!(app.get_as(&path, &customer).await.status(), 403);
    assert_eq!(
        app.get_as(&path, &manager).await.status(),
        400,
        "a reason is required"
    );
    let read: Value = app
        .with(Method::GET, &path, &manager)
        .header("X-Access-Reason", "answering the customer")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["email"], "jeanne@example.fr");
    assert_eq!(read["order_number"], "2026-0042");
    let audit: Value = app
        .get_as(
            "/v1/admin/audit-log?action=personal_data_accessed",
            &app.staff("admin@boutique.example", Role::Admin).await,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit.to_string().contains(&format!("contact_message:{id}")),
        "{audit}"
    );

    let res = app
        .with(Method::POST, &format!("{path}/answers"), &manager)
        .json(&json!({"body": "Le lien vient de vous être renvoyé."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mails = app.mails_to("jeanne@example.fr").await;
    assert!(
        mails
            .last()
            .unwrap()
            .contains("Le lien vient de vous être renvoyé.")
    );
    let res = app
        .with(
            Method::POST,
            &format!("{path}/data-subject-request"),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "/problems/conflict").await;

    // The trap field: answered the same, kept nowhere.
    let mut bot = message("bot@example.fr");
    bot["fax"] = "0102030405".into();
    assert_eq!(
        app.post_json("/v1/contact-messages", &bot).await.status(),
        202
    );
    assert!(app.mails_to("bot@example.fr").await.is_empty());
}

#[tokio::test]
async fn comm_1_comments_wait_for_moderation_and_never_show_an_email() {
    let app = spawn_app().await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let customer = app.customer("reader@example.fr").await;
    let article = json!({"slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "body_fr": "Avant d'acheter…", "body_en": "Before buying…", "status": "published"});
    let res = app
        .with(Method::POST, "/v1/admin/articles", &customer)
        .json(&article)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .with(Method::POST, "/v1/admin/articles", &manager)
        .json(&article)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut draft = article.clone();
    draft["slug"] = "brouillon".into();
    draft["status"] = "draft".into();
    app.with(Method::POST, "/v1/admin/articles", &manager)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.get("/v1/articles/brouillon").await.status(),
        404,
        "drafts are hidden"
    );
    let list: Value = app.get("/v1/articles").await.json().await.unwrap();
    assert_eq!(list["total"], 1);

    let path = "/v1/articles/bien-choisir-son-terrain/comments";
    let comment = json!({"name": "Paul Martin", "email": "paul.secret@example.fr", "website": "https://paul.example", "text": "Merci, très utile !", "accept_privacy_policy": true});
    let mut unacknowledged = comment.clone();
    unacknowledged["accept_privacy_policy"] = false.into();
    assert_problem(
        app.post_json(path, &unacknowledged).await,
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(app.post_json(path, &comment).await.status(), 202);
    let mut bot = comment.clone();
    bot["fax"] = "x".into();
    bot["email"] = "bot@example.fr".into();
    assert_eq!(app.post_json(path, &bot).await.status(), 202);
    let signed_in = app
        .with(Method::POST, path, &customer)
        .json(&json!({"name": "Lectrice", "email": "reader@example.fr", "text": "Et pour un terrain en pente ?", "accept_privacy_policy": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 202);

    // Nothing is shown before moderation.
    let page: Value = app
        .get("/v1/articles/bien-choisir-son-terrain")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["comments"].as_array().unwrap().len(), 0);

    // Moderation reads personal data: a reason, audited.
    assert_eq!(
        app.get_as("/v1/admin/comments", &manager).await.status(),
        400
    );
    assert_eq!(
        app.get_as("/v1/admin/comments", &customer).await.status(),
        403
    );
    let queue: Value = app
        .with(Method::GET, "/v1/admin/comments?status=pending", &manager)
        .header("X-Access-Reason", "moderation")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the trapped comment was dropped: {queue}");
    let paul = items.iter().find(|c| c["name"] == "Paul Martin").unwrap();
    assert_eq!(paul["email"], "paul.secret@example.fr");
    let reader = items.iter().find(|c| c["name"] == "Lectrice").unwrap();
    assert!(reader["customer_id"].is_string(), "linked to the account");
    let res = app
        .with(
            Method::POST,
            &format!(
                "/v1/admin/comments/{}/approve",
                paul["id"].as_str().unwrap()
            ),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    app.with(
        Method::POST,
        &format!("/v1/admin/comments/{}/spam", reader["id"].as_str().unwrap()),
        &manager,
    )
    .send()
    .await
    .unwrap();

    let res = app.get("/v1/articles/bien-choisir-son-terrain").await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let page: Value = res.json().await.unwrap();
    let shown = page["comments"].as_array().unwrap();
    assert_eq!(shown.len(), 1, "approved only");
    assert_eq!(shown[0]["name"], "Paul Martin");
    assert_eq!(shown[0]["website"], "https://paul.example");
    let whole = page.to_string();
    assert!(
        !whole.contains("paul.secret@example.fr") && !whole.contains('@'),
        "{whole}"
    );
    let again = app
        .client
        .get(app.url("/v1/articles/bien-choisir-son-terrain"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let list: Value = app.get("/v1/articles").await.json().await.unwrap();
    assert_eq!(list["items"][0]["comment_count"], 1);
    assert!(!list.to_string().contains('@'));
}
