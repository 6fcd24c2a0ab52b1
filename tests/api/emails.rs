//! Which e-mail addresses make an account, and when two addresses are the
//! same account (issue 7, item 8): only addresses the mailer can deliver to
//! are accepted; identity ignores case (in every script, the Kelvin sign
//! included) and nothing else.

use domain::identity::Role;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

/// Another password that meets the policy.
const OTHER_PASSWORD: &str = "une autre phrase de passe assez longue";

/// `GET /v1/me` as `token`.
async fn me(app: &TestApp, token: &str) -> Value {
    let res = app.get_as("/v1/me", token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Staff search by exact address: the ids found.
async fn search(app: &TestApp, staff: &str, email: &str) -> Vec<String> {
    let url = reqwest::Url::parse_with_params(&app.url("/v1/admin/customers"), &[("email", email)])
        .unwrap();
    let res = app
        .client
        .get(url)
        .bearer_auth(staff)
        .header("x-access-reason", "customer called about an order")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "search for {email:?}");
    let found: Value = res.json().await.unwrap();
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn acc_1_undeliverable_addresses_are_refused_at_registration() {
    let app = spawn_app().await;
    for email in ["a;b:c@example.com", r#""quoted\"local"@example.com"#] {
        // Without a password, an account would be sent a set-password link.
        let problem = assert_problem(
            app.register(email, "Client Test", None).await,
            400,
            "/problems/validation-failed",
        )
        .await;
        let errors = problem["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{problem}");
        assert_eq!(errors[0]["field"], "email", "{problem}");
        let text = problem.to_string();
        assert!(
            !text.contains("a;b") && !text.contains("quoted"),
            "the refused address is never echoed: {problem}"
        );
    }
    // Nothing was created: no mail was queued, and the audit log holds no
    // account but the admin's own.
    assert_eq!(app.deliver_mail().await, 0);
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let created: Value = app
        .get_as("/v1/admin/audit-log?action=account_created", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["items"].as_array().unwrap().len(), 1, "{created}");
}

#[tokio::test]
async fn acc_1_an_address_is_kept_as_typed_and_logs_in_in_any_case() {
    let app = spawn_app().await;
    let res = app
        .register("Jeanne.Dupont@Example.fr", "Jeanne Dupont", Some(PASSWORD))
        .await;
    assert_eq!(res.status(), 202);
    let token = app.login("jeanne.dupont@example.fr", PASSWORD).await;
    let profile = me(&app, &token).await;
    assert_eq!(profile["email"], "Jeanne.Dupont@Example.fr");
    let again = app.login("JEANNE.DUPONT@EXAMPLE.FR", PASSWORD).await;
    assert_eq!(me(&app, &again).await["id"], profile["id"]);
    // The welcome mail goes to the address as typed.
    assert_eq!(app.mails_to("Jeanne.Dupont@Example.fr").await.len(), 1);
}

#[tokio::test]
async fn acc_1_a_kelvin_sign_variant_is_the_same_account_as_the_ascii_k() {
    let app = spawn_app().await;
    let kate = app.customer("kate@example.fr").await;
    let kate_id = me(&app, &kate).await["id"].clone();
    let kelvin = "\u{212A}ate@example.fr";

    // Registering the variant makes no account: the owner is told instead.
    let res = app
        .register(kelvin, "Someone Else", Some(OTHER_PASSWORD))
        .await;
    assert_eq!(res.status(), 202);
    let mails = app.mails_to("kate@example.fr").await;
    assert!(
        mails.iter().any(|m| m.contains("Tentative d'inscription")),
        "the owner is told someone tried to register"
    );
    assert_problem(
        app.login_response(kelvin, OTHER_PASSWORD, false).await,
        401,
        "/problems/invalid-credentials",
    )
    .await;

    // The variant logs into the existing account.
    let token = app.login(kelvin, PASSWORD).await;
    let profile = me(&app, &token).await;
    assert_eq!(profile["id"], kate_id);
    assert_eq!(profile["email"], "kate@example.fr");
}

#[tokio::test]
async fn acc_1_plus_tags_and_look_alikes_are_distinct_accounts() {
    let app = spawn_app().await;
    let addresses = [
        "jeanne@example.fr",
        "jeanne+shop@example.fr",
        // Cyrillic е (U+0435) in place of the Latin e.
        "j\u{435}anne@example.fr",
    ];
    let mut ids = vec![];
    for email in addresses {
        let token = app.customer(email).await;
        let profile = me(&app, &token).await;
        assert_eq!(profile["email"], email);
        ids.push(profile["id"].as_str().unwrap().to_owned());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three accounts");
    // Each got its own welcome mail, the Cyrillic one included: the mailer
    // takes every address registration accepts.
    assert_eq!(app.deliver_mail().await, 3);
}

#[tokio::test]
async fn staff_1_staff_search_finds_a_customer_by_any_case_variant_of_the_address() {
    let app = spawn_app().await;
    let customer = app.customer("Jeanne.Dupont@Example.fr").await;
    let id = me(&app, &customer).await["id"].as_str().unwrap().to_owned();
    app.customer("jeanne.dupont+shop@example.fr").await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    for variant in [
        "Jeanne.Dupont@Example.fr",
        "jeanne.dupont@example.fr",
        "JEANNE.DUPONT@EXAMPLE.FR",
        " jEANNE.dUPONT@eXAMPLE.fR ",
    ] {
        assert_eq!(
            search(&app, &manager, variant).await,
            std::slice::from_ref(&id),
            "{variant:?}"
        );
    }
    // Look-alikes find nobody.
    assert!(
        search(&app, &manager, "j\u{435}anne.dupont@example.fr")
            .await
            .is_empty()
    );

    let kate = app.customer("kate@example.fr").await;
    let kate_id = me(&app, &kate).await["id"].as_str().unwrap().to_owned();
    assert_eq!(
        search(&app, &manager, "\u{212A}ATE@example.fr").await,
        [kate_id]
    );
}
