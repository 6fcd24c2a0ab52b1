//! Several instances, one database: two `serve` processes on one
//! PostgreSQL (`TEST_DATABASE_URL`), jobs on in both. A lockout through one
//! holds on the other, a logout through one ends the token on the other,
//! the retention and campaign jobs run once, and every outbox message goes
//! once.

use std::time::Duration;

use domain::clock::Clock as _;
use domain::identity::Role;
use serde_json::{Value, json};

use crate::consent::{send_campaign, subscribe};
use crate::helpers::{PASSWORD, fresh_storage, spawn_app_on, start_time};
use crate::processes::ServerProcess;

#[tokio::test]
async fn two_instances_on_one_postgresql_share_locks_sessions_jobs_and_the_outbox() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: two instances share a PostgreSQL (TEST_DATABASE_URL; CI sets it)");
        return;
    }
    let storage = fresh_storage().await;
    let setup = spawn_app_on(&storage, start_time(), |_| {}).await;
    let admin = setup.staff("admin@boutique.example", Role::Admin).await;
    setup.customer("camille@example.fr").await;
    // Confirmed subscribers for the campaign below.
    let subscribers = 5;
    for i in 0..subscribers {
        subscribe(&setup, &format!("lecteur{i}@example.fr"), "en").await;
    }
    let now = setup.clock.now();
    let a = ServerProcess::start(&storage, now, true).await;
    let b = ServerProcess::start(&storage, now, true).await;
    let http = reqwest::Client::new();
    let login = |base: &str, password: &str, source: &str| {
        http.post(format!("{base}/v1/auth/login"))
            .header("X-Forwarded-For", source)
            .json(&json!({"email": "camille@example.fr", "password": password}))
            .send()
    };

    // Five failures through A lock the account for that source on B.
    for _ in 0..5 {
        let res = login(&a.base, "pas le bon mot de passe", "198.51.100.7")
            .await
            .unwrap();
        // The fifth failure is answered with the lock itself.
        assert!(
            res.status() == 401 || res.status() == 429,
            "{}",
            res.status()
        );
    }
    let res = login(&b.base, PASSWORD, "198.51.100.7").await.unwrap();
    assert_eq!(res.status(), 429);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["reason"], "account_locked");

    // A logout through A ends the token on B.
    let res = login(&a.base, PASSWORD, "203.0.113.9").await.unwrap();
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = |base: &str| {
        http.get(format!("{base}/v1/me"))
            .header("X-Forwarded-For", "203.0.113.9")
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(me(&b.base).await.unwrap().status(), 200);
    let res = http
        .post(format!("{}/v1/auth/logout", a.base))
        .header("X-Forwarded-For", "203.0.113.9")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(me(&b.base).await.unwrap().status(), 401);

    // Mail queued through both goes once, whichever instance sends it.
    let n = 10;
    for i in 0..n {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let res = http
            .post(format!("{base}/v1/auth/register"))
            .header("X-Forwarded-For", format!("192.0.2.{}", i + 1))
            .json(&json!({
                "email": format!("twice{i}@example.fr"), "name": "Deux Instances",
                "password": PASSWORD, "accept_privacy_policy": true, "privacy_policy_version": 1
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    // A campaign, queued once: whichever instance's job takes it, each
    // subscriber gets one letter.
    let campaign = send_campaign(&setup, &admin).await;
    let outbox = storage.dir.path().join("outbox");
    let count = |to: &str, containing: &str| {
        std::fs::read_dir(&outbox)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        std::fs::read_to_string(e.path()).is_ok_and(|m| {
                            m.contains(&format!("To: {to}")) && m.contains(containing)
                        })
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let registered = |i: usize| count(&format!("twice{i}@example.fr"), "");
    let letters = |i: usize| count(&format!("lecteur{i}@example.fr"), "Discover our houses");
    for _ in 0..300 {
        if (0..n).all(|i| registered(i) >= 1) && (0..subscribers).all(|i| letters(i) >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Two more ticks of both job runners: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for i in 0..n {
        assert_eq!(registered(i), 1, "twice{i} got {} messages", registered(i));
    }
    for i in 0..subscribers {
        assert_eq!(letters(i), 1, "lecteur{i} got {} letters", letters(i));
    }
    let sent: Value = setup
        .get_as(
            &format!("/v1/admin/newsletter/campaigns/{campaign}"),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["enqueued"], subscribers, "{sent}");

    // The retention job ran at start on one instance only.
    let mut log = Value::Null;
    for _ in 0..100 {
        log = setup
            .get_as("/v1/admin/audit-log?action=retention_run", &admin)
            .await
            .json()
            .await
            .unwrap();
        if !log["items"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        log["items"].as_array().unwrap().len(),
        1,
        "retention ran on both instances: {log}"
    );
}
