//! Campaign benchmark (NEWS-2 at scale): seeds N confirmed subscribers,
//! each with their own data key, then times the newsletter job computing
//! and queuing a campaign's letters, while catalogue reads run against the
//! same server; prints the catalogue's latency before and during.
//!
//!   bash bench/campaign.sh             # throwaway PostgreSQL, 100,000 subscribers
//!   SUBSCRIBERS=10000 cargo bench -p tests --bench campaign   # SQLite
//!
//! `BENCH_DATABASE_URL` / `BENCH_KEYSTORE_URL` name PostgreSQL databases;
//! without them the embedded SQLite files are used.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use domain::identity::{BlindIndex, Email, Language};
use domain::ids::{CampaignId, SubscriberId};
use domain::newsletter::{Audience, Campaign, CampaignContent, CampaignStatus};
use domain::subject::SubjectId;

#[path = "common/mod.rs"]
mod common;
use common::{load, percentile};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("SUBSCRIBERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let bench = common::start(|_| {}).await?;
    let (state, base, clock) = (
        bench.state.clone(),
        bench.base.clone(),
        std::sync::Arc::clone(&bench.clock),
    );
    let backend = bench.backend;

    eprintln!("seeding {n} confirmed subscribers on {backend}...");
    let seeding = Instant::now();
    let now = clock.now();
    let mut done = 0;
    while done < n {
        let uow = state.store.begin().await.context("begin")?;
        for i in done..(done + 1000).min(n) {
            let subject = SubjectId::from_uuid(uuid::Uuid::now_v7());
            uow.keys().create(subject, now).await?;
            let email = Email::parse(&format!("subscriber{i}@example.org"))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let language = if i % 3 == 0 {
                Language::En
            } else {
                Language::Fr
            };
            uow.newsletter()
                .upsert_confirmed(
                    SubscriberId::new(),
                    subject,
                    &email,
                    &state.index.email(&email),
                    language,
                    now,
                )
                .await?;
        }
        uow.commit().await?;
        done = (done + 1000).min(n);
    }
    eprintln!("seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    let clients = 8;
    let stop = Arc::new(AtomicBool::new(false));
    let before = tokio::spawn(load(base.clone(), clients, Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop.store(true, Ordering::Relaxed);
    let before = before.await?;

    let id = CampaignId::new();
    let uow = state.store.begin().await?;
    uow.newsletter()
        .insert_campaign(&Campaign {
            id,
            content: CampaignContent {
                audience: Audience::Newsletter,
                subject_fr: "Nos nouveaux plans".into(),
                subject_en: "Our new plans".into(),
                body_fr: "Découvrez nos maisons.".into(),
                body_en: "Discover our houses.".into(),
                scheduled_at: None,
            },
            status: CampaignStatus::Sending,
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
            audience_size: None,
            enqueued: 0,
            cursor: None,
        })
        .await?;
    uow.commit().await?;

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(load(base.clone(), clients, Arc::clone(&stop)));
    let started = Instant::now();
    let queued = api::jobs::run_newsletter(&state)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = during.await?;
    let campaign = state
        .store
        .reader()
        .newsletter()
        .campaign(id)
        .await?
        .context("campaign")?;

    println!("| {backend}, {n} confirmed subscribers | value |");
    println!("|---|---|");
    println!(
        "| compute and queue the campaign | {:.1} s ({queued} letters, {:.0} letters/s, status {}) |",
        took.as_secs_f64(),
        queued as f64 / took.as_secs_f64(),
        campaign.status.as_str()
    );
    println!(
        "| catalogue reads before, {clients} clients | {} requests, p50 {:.2} ms, p99 {:.2} ms |",
        before.len(),
        percentile(&before, 0.5),
        percentile(&before, 0.99)
    );
    println!(
        "| catalogue reads during the campaign, {clients} clients | {} requests, p50 {:.2} ms, p99 {:.2} ms |",
        during.len(),
        percentile(&during, 0.5),
        percentile(&during, 0.99)
    );
    assert_eq!(
        campaign.enqueued as usize, n,
        "every subscriber got a letter"
    );
    Ok(())
}
