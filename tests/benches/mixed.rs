//! Mixed traffic (issue 12): `CLIENTS` clients (32) for `BENCH_SECONDS`
//! (20), each request drawn from a realistic mix: 80 % catalogue reads (a
//! page, a filtered search, a plan), 10 % cart changes (a new cart with a
//! plan's PDF), 5 % logins (argon2id), 5 % checkouts (a guest's cart and
//! its bank-transfer checkout). Prints a table per endpoint: requests,
//! requests/s, p50, p99, errors.
//!
//!   bash bench/mixed.sh                 # release server, SQLite then PostgreSQL
//!   BENCH_URL=http://127.0.0.1:8080 cargo bench -p tests --bench mixed
//!
//! The server must have published plans (`serve --demo`) and believe
//! `X-Forwarded-For` (`BOUTIQUE_TRUST_PROXY=true`): each login and
//! registration comes from its own address, as real visitors do.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};

#[path = "common/mod.rs"]
mod common;
use common::percentile;

const USERS: u64 = 20;
const PASSWORD: &str = "un long mot de passe pour le banc";

fn source(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// One request of the mix: its endpoint's name and whether it succeeded.
async fn one(
    client: &reqwest::Client,
    base: &str,
    items: &[Value],
    n: u64,
) -> (&'static str, bool) {
    let item = &items[(n as usize) % items.len()];
    let ok = |r: Result<reqwest::Response, reqwest::Error>| {
        r.ok()
            .is_some_and(|r| r.status().is_success() || r.status() == 304)
    };
    match n % 100 {
        0..40 => ("GET /v1/products", ok(client.get(format!("{base}/v1/products?limit=20")).send().await)),
        40..60 => (
            "GET /v1/products (search)",
            ok(client
                .get(format!("{base}/v1/products?bedrooms=3&sort=price&q=maison"))
                .send()
                .await),
        ),
        60..80 => (
            "GET /v1/products/{id}",
            ok(client
                .get(format!("{base}/v1/products/{}", item["product_id"].as_str().unwrap_or_default()))
                .send()
                .await),
        ),
        80..90 => {
            let cart = async {
                let cart: Value = client
                    .post(format!("{base}/v1/carts"))
                    .header("X-Forwarded-For", source(n))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                client
                    .post(format!("{base}/v1/carts/{}/items", cart["id"].as_str().unwrap_or_default()))
                    .header("X-Cart-Secret", cart["secret"].as_str().unwrap_or_default())
                    .json(item)
                    .send()
                    .await?
                    .error_for_status()?;
                anyhow::Ok(())
            };
            ("cart: create + add", cart.await.is_ok())
        }
        90..95 => (
            "POST /v1/auth/login",
            ok(client
                .post(format!("{base}/v1/auth/login"))
                .header("X-Forwarded-For", source(n))
                .json(&json!({"email": format!("mixed{}@bench.example", n % USERS), "password": PASSWORD}))
                .send()
                .await),
        ),
        _ => (
            "checkout: cart + add + checkout",
            common::purchase(client, base, item, n).await.is_ok(),
        ),
    }
}

fn main() -> anyhow::Result<()> {
    let base = std::env::var("BENCH_URL").context("BENCH_URL names the server")?;
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (clients, seconds) = (env("CLIENTS", 32) as usize, env("BENCH_SECONDS", 20));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        api::stripe::install_crypto_provider();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(128)
            .build()?;
        let items = Arc::new(common::pdf_items(&client, &base).await?);
        for u in 0..USERS {
            let res = client
                .post(format!("{base}/v1/auth/register"))
                .header("X-Forwarded-For", source(1_000_000 + u))
                .json(&json!({"email": format!("mixed{u}@bench.example"), "name": "Banc Mixte",
                    "password": PASSWORD, "accept_privacy_policy": true, "privacy_policy_version": 1}))
                .send()
                .await?;
            anyhow::ensure!(res.status() == 202, "registration answered {}", res.status());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (client, base, items, stop, counter) = (
                client.clone(),
                base.clone(),
                Arc::clone(&items),
                Arc::clone(&stop),
                Arc::clone(&counter),
            );
            tasks.push(tokio::spawn(async move {
                let mut seen: Vec<(&'static str, f64, bool)> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let started = Instant::now();
                    let (name, ok) = one(&client, &base, &items, n).await;
                    seen.push((name, started.elapsed().as_secs_f64() * 1000.0, ok));
                }
                seen
            }));
        }
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut by: BTreeMap<&str, (Vec<f64>, u64)> = BTreeMap::new();
        for t in tasks {
            for (name, ms, ok) in t.await? {
                let e = by.entry(name).or_default();
                e.0.push(ms);
                if !ok {
                    e.1 += 1;
                }
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let total: usize = by.values().map(|(l, _)| l.len()).sum();
        let errors: u64 = by.values().map(|(_, e)| e).sum();
        println!(
            "mixed: {total} requests in {elapsed:.1} s with {clients} clients: {:.0} requests/s, {errors} errors",
            total as f64 / elapsed
        );
        println!("| endpoint | requests | req/s | p50 ms | p99 ms | errors |");
        println!("|---|---|---|---|---|---|");
        for (name, (mut l, e)) in by {
            l.sort_by(f64::total_cmp);
            println!(
                "| {name} | {} | {:.1} | {:.2} | {:.2} | {e} |",
                l.len(),
                l.len() as f64 / elapsed,
                percentile(&l, 0.5),
                percentile(&l, 0.99)
            );
        }
        Ok(())
    })
}
