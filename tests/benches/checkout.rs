//! Checkout load generator (issue 9): `CLIENTS` guests (16) each loop on
//! new carts: create a cart, add a plan's PDF, check out with an
//! Idempotency-Key (a bank transfer, so no payment provider is in the
//! measure). Meanwhile one client reads the catalogue. Prints orders per
//! second, the whole flow's p50/p99, errors, and the catalogue's p99.
//!
//!   bash bench/checkout.sh                       # release server, SQLite then PostgreSQL
//!   BENCH_URL=http://127.0.0.1:8080 cargo bench -p tests --bench checkout
//!
//! The server must have published plans (`serve --demo`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

#[path = "common/mod.rs"]
mod common;
use common::percentile;

/// One guest's purchase: three calls; the order's id.
async fn purchase(
    client: &reqwest::Client,
    base: &str,
    item: &Value,
    n: u64,
) -> anyhow::Result<()> {
    let cart: Value = client
        .post(format!("{base}/v1/carts"))
        .json(&json!({}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = cart["id"].as_str().context("cart id")?;
    let secret = cart["secret"].as_str().context("cart secret")?;
    client
        .post(format!("{base}/v1/carts/{id}/items"))
        .header("X-Cart-Secret", secret)
        .json(item)
        .send()
        .await?
        .error_for_status()?;
    let res = client
        .post(format!("{base}/v1/carts/{id}/checkout"))
        .header("X-Cart-Secret", secret)
        .header("Idempotency-Key", format!("bench-{n}"))
        .json(&json!({
            "email": format!("guest{n}@bench.example"),
            "name": "Bench Guest",
            "billing_address": {"full_name": "Bench Guest", "line1": "1 rue du Test",
                "postal_code": "69001", "city": "Lyon", "country": "FR"},
            "accept_terms": true,
            "privacy_policy_version": 1,
            "payment_method": "bank_transfer"
        }))
        .send()
        .await?;
    if res.status() != reqwest::StatusCode::CREATED {
        bail!("checkout answered {}", res.status());
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let base = std::env::var("BENCH_URL").context("BENCH_URL names the server")?;
    let clients: usize = std::env::var("CLIENTS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(16);
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(15);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        api::stripe::install_crypto_provider();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?;
        let page: Value = client
            .get(format!("{base}/v1/products?limit=20"))
            .send()
            .await?
            .json()
            .await?;
        let mut items: Vec<Value> = Vec::new();
        for p in page["items"].as_array().context("a catalogue page")? {
            // Lists show summaries; a plan's formats are in its detail.
            let detail: Value = client
                .get(format!("{base}/v1/products/{}", p["id"].as_str().unwrap_or_default()))
                .send()
                .await?
                .json()
                .await?;
            if let Some(pdf) = detail["formats"]
                .as_array()
                .and_then(|f| f.iter().find(|f| f["kind"] == "pdf"))
            {
                items.push(json!({"product_id": detail["id"], "format_id": pdf["id"]}));
            }
        }
        if items.is_empty() {
            bail!("no plan with a PDF format: start the server with --demo");
        }
        let items = Arc::new(items);
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (client, base, items, stop, counter, errors) = (
                client.clone(),
                base.clone(),
                Arc::clone(&items),
                Arc::clone(&stop),
                Arc::clone(&counter),
                Arc::clone(&errors),
            );
            tasks.push(tokio::spawn(async move {
                let mut took = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let item = &items[(n as usize) % items.len()];
                    let started = Instant::now();
                    match purchase(&client, &base, item, n).await {
                        Ok(()) => took.push(started.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("error: {e:#}");
                            }
                        }
                    }
                }
                took
            }));
        }
        let reader = {
            let (client, base, stop) = (client.clone(), base.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut took = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    if let Ok(r) = client
                        .get(format!("{base}/v1/products?limit=20&sort=price"))
                        .send()
                        .await
                    {
                        let _ = r.bytes().await;
                        took.push(started.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                took
            })
        };
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut flows = Vec::new();
        for t in tasks {
            flows.extend(t.await?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let mut reads = reader.await?;
        flows.sort_by(f64::total_cmp);
        reads.sort_by(f64::total_cmp);
        println!(
            "orders {} in {elapsed:.1} s: {:.1} orders/s with {clients} clients; flow p50 {:.1} ms, p99 {:.1} ms; errors {}; catalogue during: p50 {:.2} ms, p99 {:.2} ms ({} reads)",
            flows.len(),
            flows.len() as f64 / elapsed,
            percentile(&flows, 0.5),
            percentile(&flows, 0.99),
            errors.load(Ordering::Relaxed),
            percentile(&reads, 0.5),
            percentile(&reads, 0.99),
            reads.len()
        );
        Ok(())
    })
}
