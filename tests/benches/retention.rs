//! Retention benchmark (RET-6 at scale): seeds 1,000,000 expired records
//! (500,000 abandoned carts and their 500,000 lines) on PostgreSQL, then
//! times one retention run (bounded batches, as the hourly job makes it)
//! while catalogue reads run against the same server, and prints the
//! catalogue's latency before and during.
//!
//!   bash bench/retention.sh            # throwaway PostgreSQL 15
//!   CARTS=100000 bash bench/retention.sh
//!
//! `BENCH_DATABASE_URL` / `BENCH_KEYSTORE_URL` name the PostgreSQL databases.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

#[path = "common/mod.rs"]
mod common;
use common::{load, percentile};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let carts: u64 = std::env::var("CARTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    // Its SQL seeds are PostgreSQL's.
    std::env::var("BENCH_DATABASE_URL").context("BENCH_DATABASE_URL names PostgreSQL")?;
    std::env::var("BENCH_KEYSTORE_URL").context("BENCH_KEYSTORE_URL")?;
    let bench = common::start(|_| {}).await?;
    let (state, base) = (bench.state.clone(), bench.base.clone());

    eprintln!("seeding {carts} abandoned carts and their lines...");
    let seeding = Instant::now();
    state
        .db
        .execute_sql(&format!(
            "INSERT INTO carts (id, customer_id, subject_id, email_enc, email_bidx, status, created_at, updated_at, last_activity_at) \
             SELECT gen_random_uuid(), NULL, NULL, NULL, NULL, 'open', t, t, t \
             FROM generate_series(1, {carts}), (SELECT now() - interval '40 days' AS t) AS x; \
             INSERT INTO cart_lines (id, cart_id, product_id, format_id, quantity, added_at) \
             SELECT gen_random_uuid(), id, gen_random_uuid(), gen_random_uuid(), 1, last_activity_at FROM carts; \
             ANALYZE carts; ANALYZE cart_lines;"
        ))
        .await?;
    let records = carts * 2;
    eprintln!(
        "seeded {records} records in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let clients = 8;
    let stop = Arc::new(AtomicBool::new(false));
    let before = tokio::spawn(load(base.clone(), clients, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop.store(true, Ordering::Relaxed);
    let before = before.await?;

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(load(base.clone(), clients, Arc::clone(&stop)));
    let started = Instant::now();
    let report = domain::retention::run(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.retention,
        domain::retention::Mode::Apply,
        state.config.retention_batch,
        domain::audit::Actor::System,
    )
    .await?;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = during.await?;
    let left = state
        .db
        .query_strings(
            "SELECT CAST((SELECT COUNT(*) FROM carts) + (SELECT COUNT(*) FROM cart_lines) AS TEXT)",
        )
        .await?;

    println!("| PostgreSQL, {records} expired records ({carts} carts and their lines) | value |");
    println!("|---|---|");
    println!(
        "| one retention run, batches of {} | {:.1} s ({} carts purged with their lines, {:.0} records/s; {} left) |",
        state.config.retention_batch,
        took.as_secs_f64(),
        report.total(),
        records as f64 / took.as_secs_f64(),
        left.join("")
    );
    println!(
        "| catalogue reads before, {clients} clients | {} requests, p50 {:.2} ms, p99 {:.2} ms |",
        before.len(),
        percentile(&before, 0.5),
        percentile(&before, 0.99)
    );
    println!(
        "| catalogue reads during the run, {clients} clients | {} requests, p50 {:.2} ms, p99 {:.2} ms |",
        during.len(),
        percentile(&during, 0.5),
        percentile(&during, 0.99)
    );
    Ok(())
}
