//! Webhook benchmark (issue 11), one process, release build:
//!
//! 1. the checkout's added latency: `CLIENTS` guests (16) buy for
//!    `BENCH_SECONDS` (10) with no webhook endpoint, then again with one
//!    endpoint subscribed to `order.created` (each checkout then writes a
//!    delivery in its unit of work), then with it disabled again (the
//!    control for a database that grew); orders/s and the checkout call's
//!    p50/p99 for each;
//! 2. the delivery job's throughput: `EVENTS` (5,000) more events queued,
//!    then the job drains every pending delivery to a local receiver (an
//!    HTTP server answering 204), `BOUTIQUE_WEBHOOK_CONCURRENCY` (16) at a
//!    time; deliveries per second.
//!
//!   cargo bench -p tests --bench webhooks                 # SQLite
//!   BENCH_DATABASE_URL=postgres://... BENCH_KEYSTORE_URL=postgres://... \
//!     cargo bench -p tests --bench webhooks               # PostgreSQL
//!   bash bench/webhooks.sh                                # both, PostgreSQL throwaway

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::{App, HttpResponse, HttpServer, web};
use domain::identity::Origin;
use domain::ids::ApiKeyId;
use domain::integration::webhooks::{self, EndpointInput};
use domain::integration::{EventType, KeyPrincipal, Scope};
use serde_json::json;

#[path = "common/mod.rs"]
mod common;
use common::percentile;

struct Plain;
impl domain::identity::BlindIndex for Plain {
    fn index(&self, _: &str, value: &str) -> Vec<u8> {
        value.as_bytes().to_vec()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (clients, seconds, events) = (
        env("CLIENTS", 16) as usize,
        env("BENCH_SECONDS", 10),
        env("EVENTS", 5_000),
    );
    let bench = common::start(|c| c.trust_proxy = true).await?;
    let (state, base, clock, backend) = (&bench.state, &bench.base, &bench.clock, bench.backend);

    // The receiver: takes every delivery with a 204.
    let received = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&received);
    let receiver = HttpServer::new(move || {
        let counted = Arc::clone(&counted);
        App::new().route(
            "/hook",
            web::post().to(move |_body: web::Bytes| {
                counted.fetch_add(1, Ordering::Relaxed);
                async { HttpResponse::NoContent().finish() }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))?;
    let hook = format!("http://127.0.0.1:{}/hook", receiver.addrs()[0].port());
    tokio::spawn(receiver.run());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let items = Arc::new(common::pdf_items(&client, base).await?);
    let before = common::checkouts(&client, base, &items, clients, seconds, 0).await;

    let by = KeyPrincipal {
        id: ApiKeyId::new(),
        name: "bench".into(),
        purpose: None,
        scopes: vec![Scope::WebhooksManage],
        rate_per_minute: 1,
        origin: Origin::new(None, None, &Plain),
    };
    let endpoint = webhooks::create_endpoint(
        state.store.as_ref(),
        clock.as_ref(),
        &by,
        EndpointInput {
            url: hook,
            description: "bench receiver".into(),
            events: vec![EventType::OrderCreated, EventType::ProductPublished],
            personal_purpose: None,
            enabled: true,
        },
    )
    .await?;
    let after = common::checkouts(&client, base, &items, clients, seconds, 1_000_000).await;
    // The control: the endpoint disabled again, on the database as it now is.
    let switch = |enabled: bool| {
        webhooks::update_endpoint(
            state.store.as_ref(),
            clock.as_ref(),
            &by,
            endpoint.id,
            EndpointInput {
                url: endpoint.url.clone(),
                description: endpoint.description.clone(),
                events: endpoint.events.clone(),
                personal_purpose: None,
                enabled,
            },
        )
    };
    switch(false).await?;
    let control = common::checkouts(&client, base, &items, clients, seconds, 2_000_000).await;
    switch(true).await?;
    println!(
        "{backend} control, the endpoint disabled again: {:.1} orders/s, checkout p50 {:.1} ms p99 {:.1} ms (errors {})",
        control.rate,
        percentile(&control.checkouts, 0.5),
        percentile(&control.checkouts, 0.99),
        control.errors
    );
    println!(
        "{backend}, {clients} clients, {seconds} s each: no endpoint {:.1} orders/s, checkout p50 {:.1} ms p99 {:.1} ms (errors {}); one subscribed endpoint {:.1} orders/s, checkout p50 {:.1} ms p99 {:.1} ms (errors {}); orders/s ratio {:.2}, checkout p50 ratio {:.2}",
        before.rate,
        percentile(&before.checkouts, 0.5),
        percentile(&before.checkouts, 0.99),
        before.errors,
        after.rate,
        percentile(&after.checkouts, 0.5),
        percentile(&after.checkouts, 0.99),
        after.errors,
        after.rate / before.rate,
        percentile(&after.checkouts, 0.5) / percentile(&before.checkouts, 0.5)
    );

    // More events, queued as the catalogue would queue them.
    let now = clock.now();
    let mut queued = 0;
    while queued < events {
        let uow = state.store.begin().await?;
        for _ in 0..500.min(events - queued) {
            webhooks::emit(
                uow.as_ref(),
                EventType::ProductPublished,
                json!({"product_id": uuid::Uuid::now_v7().to_string(), "slug": "bench"}),
                None,
                now,
            )
            .await?;
            queued += 1;
        }
        uow.commit().await?;
    }
    let before = received.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut delivered = 0;
    loop {
        let n = api::jobs::deliver_webhooks(state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        delivered += n;
        if n == 0 {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let got = received.load(Ordering::Relaxed) - before;
    println!(
        "{backend}: the job delivered {delivered} deliveries ({got} received) in {elapsed:.2} s: {:.0} deliveries/s, {} at a time",
        delivered as f64 / elapsed,
        state.config.webhook_concurrency
    );
    Ok(())
}
