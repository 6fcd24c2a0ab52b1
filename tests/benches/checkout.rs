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
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;

#[path = "common/mod.rs"]
mod common;
use common::percentile;

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
        let items = Arc::new(common::pdf_items(&client, &base).await?);
        let stop = Arc::new(AtomicBool::new(false));
        let reader = tokio::spawn(common::load(base.clone(), 1, Arc::clone(&stop)));
        let run = common::checkouts(&client, &base, &items, clients, seconds, 0).await;
        stop.store(true, Ordering::Relaxed);
        let reads = reader.await?;
        println!(
            "orders {} in {:.1} s: {:.1} orders/s with {clients} clients; flow p50 {:.1} ms, p99 {:.1} ms; errors {}; catalogue during: p50 {:.2} ms, p99 {:.2} ms ({} reads)",
            run.flows.len(),
            run.elapsed,
            run.rate,
            percentile(&run.flows, 0.5),
            percentile(&run.flows, 0.99),
            run.errors,
            percentile(&reads, 0.5),
            percentile(&reads, 0.99),
            reads.len()
        );
        Ok(())
    })
}
