//! The breach register (BR-1): admins record a breach, the register shows
//! the 72 hours for the supervisory authority and whether they were met,
//! and the customers concerned receive a notice in their language.

use chrono::Duration;
use domain::clock::Clock;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

fn report(discovered: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "nature": "Une copie de la table des clients est restée lisible six heures.",
        "data_categories": ["adresses e-mail", "noms"],
        "people_categories": ["clients"],
        "approx_people": 2,
        "approx_records": 2,
        "consequences": "Des messages d'hameçonnage.",
        "measures": "Accès fermé, copie supprimée.",
        "discovered_at": discovered.to_rfc3339()
    })
}

#[tokio::test]
async fn br_1_a_breach_is_registered_against_its_72_hours_and_customers_are_told() {
    let app = spawn_app().await;
    let admin = app.staff("dpo@boutique.test", Role::Admin).await;
    let manager = app.staff("gerant@boutique.test", Role::ShopManager).await;
    app.customer("touchee@example.fr").await;
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": "reader@example.com", "name": "Reader", "password": crate::helpers::PASSWORD,
                    "accept_privacy_policy": true, "privacy_policy_version": 1, "preferred_language": "en"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let now = app.clock.now();
    let record = |body: Value, token: &str| {
        app.with(Method::POST, "/v1/admin/breaches", token)
            .json(&body)
            .send()
    };

    // A shop manager cannot; a discovery in the future is refused.
    assert_eq!(record(report(now), &manager).await.unwrap().status(), 403);
    let res = record(report(now + Duration::hours(1)), &admin)
        .await
        .unwrap();
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(body["errors"][0]["field"], "discovered_at");

    // Discovered two days ago: 24 hours are left.
    let res = record(report(now - Duration::hours(48)), &admin)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let b: Value = res.json().await.unwrap();
    let id = b["id"].as_str().unwrap().to_owned();
    assert!(b["deadline_met"].is_null());
    assert_eq!(
        b["authority_deadline"].as_str().unwrap()[..16],
        (now + Duration::hours(24)).to_rfc3339()[..16]
    );
    // Another, discovered four days ago and never reported: late.
    let late: Value = record(report(now - Duration::hours(96)), &admin)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(late["deadline_met"], false);

    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/breaches/{id}/authority-notification"),
            &admin,
        )
        .json(&json!({"notified_at": now.to_rfc3339(), "reference": "CNIL-2026-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["deadline_met"], true);

    // Every customer is told, once, in their language, even when the
    // notice is asked for several times at once; staff are not customers.
    let notify = || {
        app.with(
            Method::POST,
            &format!("/v1/admin/breaches/{id}/notifications"),
            &admin,
        )
        .json(&json!({"audience": "all_customers",
                      "message_fr": "Changez votre mot de passe par prudence.",
                      "message_en": "Change your password to be safe."}))
        .send()
    };
    let answers = futures_util::future::join_all((0..5).map(|_| notify())).await;
    let mut sent = 0;
    for res in answers {
        let res = res.unwrap();
        match res.status().as_u16() {
            200 => {
                sent += 1;
                let b: Value = res.json().await.unwrap();
                assert_eq!(b["people_notified"], 2);
            }
            409 => {}
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(sent, 1);
    let fr = app.mails_to("touchee@example.fr").await.pop().unwrap();
    assert!(
        fr.contains("Changez votre mot de passe par prudence."),
        "{fr}"
    );
    let en = app.mails_to("reader@example.com").await.pop().unwrap();
    assert!(en.contains("Change your password to be safe."), "{en}");
    assert!(
        app.mails_to("gerant@boutique.test")
            .await
            .iter()
            .all(|m| !m.contains("incident"))
    );

    let list: Value = app
        .get_as("/v1/admin/breaches", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_problem(
        app.get_as("/v1/admin/breaches/not-an-id", &admin).await,
        404,
        "/problems/not-found",
    )
    .await;
    let audit: Value = app
        .get_as("/v1/admin/audit-log?action=breach_notified", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
}
