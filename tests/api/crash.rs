//! Crash safety: checkouts under load on a server process killed with
//! SIGKILL. After a restart every order acknowledged with 201 exists
//! whole, retries with the same Idempotency-Key answer the same orders
//! (and never make a second one), and the outbox sends each confirmation
//! once. On SQLite and on PostgreSQL (`TEST_DATABASE_URL`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use domain::clock::Clock as _;
use domain::identity::Role;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::helpers::{fresh_storage, spawn_app_on, start_time};
use crate::processes::ServerProcess;
use crate::shop::{buyer, guest_cart_with, plan_for_sale};

const CARTS: usize = 120;

#[tokio::test]
async fn shop_crash_acknowledged_orders_survive_a_sigkill_whole_and_once() {
    let storage = fresh_storage().await;
    let app = spawn_app_on(&storage, start_time(), |c| c.trust_proxy = true).await;
    let (product, pdf, _) = plan_for_sale(&app, "maison-crash", 9_000).await;
    let mut carts = Vec::new();
    for _ in 0..CARTS {
        carts.push(guest_cart_with(&app, &product, &pdf).await);
    }

    let mut server = ServerProcess::start(&storage, app.clock.now(), false).await;
    let queue = Arc::new(Mutex::new(carts.clone().into_iter().enumerate()));
    let acknowledged = Arc::new(Mutex::new(BTreeMap::new()));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (queue, acknowledged, base) = (
            Arc::clone(&queue),
            Arc::clone(&acknowledged),
            server.base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let Some((i, (cart, secret))) = queue.lock().await.next() else {
                    return;
                };
                let res = client
                    .post(format!("{base}/v1/carts/{cart}/checkout"))
                    .header("X-Cart-Secret", &secret)
                    .header("Idempotency-Key", format!("crash-{i}"))
                    .header("X-Forwarded-For", format!("198.51.100.{}", worker + 1))
                    .json(&buyer(&format!("crash{i}@example.fr"), "FR", false))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap_or_default();
                        if v["id"].is_string() {
                            acknowledged.lock().await.insert(i, v);
                        }
                    }
                    // The server is gone: the rest is never answered.
                    Err(_) => return,
                    Ok(r) => panic!("checkout {i} answered {}", r.status()),
                }
            }
        }));
    }
    // Kill it while checkouts are in flight.
    for _ in 0..400 {
        if acknowledged.lock().await.len() >= CARTS / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    for t in tasks {
        t.await.unwrap();
    }
    let acknowledged = acknowledged.lock().await.clone();
    assert!(
        !acknowledged.is_empty() && acknowledged.len() < CARTS,
        "the kill came during the load ({} of {CARTS} acknowledged)",
        acknowledged.len()
    );

    // The server starts again on the same storage.
    let again = spawn_app_on(&storage, app.clock.now(), |c| c.trust_proxy = true).await;
    let admin = again.staff("admin@boutique.example", Role::Admin).await;
    for (i, placed) in &acknowledged {
        let id = placed["id"].as_str().unwrap();
        let res = again
            .client
            .get(again.url(&format!("/v1/orders/{id}")))
            .header("X-Order-Secret", placed["access_secret"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "acknowledged order {i} is gone");
        let order: Value = res.json().await.unwrap();
        assert_eq!(order["lines"].as_array().unwrap().len(), 1, "order {i}");
        assert_eq!(order["totals"], placed["totals"], "order {i}");
    }

    // Every cart retried with its key: the acknowledged ones answer their
    // order; the others make theirs now; none makes a second.
    let mut orders_by_cart = BTreeMap::new();
    for (i, (cart, secret)) in carts.iter().enumerate() {
        let res = again
            .client
            .post(again.url(&format!("/v1/carts/{cart}/checkout")))
            .header("X-Cart-Secret", secret)
            .header("Idempotency-Key", format!("crash-{i}"))
            .header("X-Forwarded-For", format!("203.0.113.{}", i % 200 + 1))
            .json(&buyer(&format!("crash{i}@example.fr"), "FR", false))
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 200 || res.status() == 201,
            "retry {i}: {}",
            res.status()
        );
        let v: Value = res.json().await.unwrap();
        if let Some(first) = acknowledged.get(&i) {
            assert_eq!(v["id"], first["id"], "retry {i} made another order");
        }
        orders_by_cart.insert(i, v["id"].as_str().unwrap().to_owned());
    }
    let listed: Value = again
        .get_as("/v1/admin/orders?limit=100", &admin)
        .await
        .json()
        .await
        .unwrap();
    let mut all: Vec<Value> = listed["items"].as_array().unwrap().clone();
    let mut cursor = listed["next_cursor"].clone();
    while let Some(c) = cursor.as_str() {
        let page: Value = again
            .get_as(&format!("/v1/admin/orders?limit=100&cursor={c}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        all.extend(page["items"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].clone();
    }
    assert_eq!(all.len(), CARTS, "one order per cart, no more");

    // The outbox resumes: each buyer's confirmation goes once.
    again.deliver_mail().await;
    again.deliver_mail().await;
    for i in [0, CARTS / 2, CARTS - 1] {
        let mails = again.mails_to(&format!("crash{i}@example.fr")).await;
        assert_eq!(mails.len(), 1, "buyer {i} got {} mails", mails.len());
    }
}
