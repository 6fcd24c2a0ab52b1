//! What the benchmarks share: percentiles, and catalogue readers that run
//! until told to stop.
#![allow(dead_code)] // each benchmark uses part of it

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::app::{Application, SharedState};
use api::config::Config;
use domain::clock::{Clock, SystemClock};
use serde_json::{Value, json};

/// The value at quantile `p` of sorted latencies.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Catalogue reads from `clients` loops until `stop`; latencies in ms.
pub async fn load(base: String, clients: usize, stop: Arc<AtomicBool>) -> Vec<f64> {
    api::stripe::install_crypto_provider();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let client = client.clone();
        let base = base.clone();
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let paths = [
                "/v1/products?limit=20",
                "/v1/products?sort=price&bedrooms=3",
            ];
            let mut k = i;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                if let Ok(r) = client.get(format!("{base}{}", paths[k % 2])).send().await {
                    let _ = r.bytes().await;
                    out.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                k += 1;
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_by(f64::total_cmp);
    all
}

/// One guest's purchase: create a cart, add `item`, check out (a bank
/// transfer); the checkout call's own time in ms.
pub async fn purchase(
    client: &reqwest::Client,
    base: &str,
    item: &Value,
    n: u64,
) -> anyhow::Result<f64> {
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
    let started = Instant::now();
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
        anyhow::bail!("checkout answered {}", res.status());
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

/// The cart items of the demo catalogue's first page: each plan's PDF.
pub async fn pdf_items(client: &reqwest::Client, base: &str) -> anyhow::Result<Vec<Value>> {
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
            .get(format!(
                "{base}/v1/products/{}",
                p["id"].as_str().unwrap_or_default()
            ))
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
        anyhow::bail!("no plan with a PDF format: start the server with --demo");
    }
    Ok(items)
}

/// A server in this process on `BENCH_DATABASE_URL` / `BENCH_KEYSTORE_URL`
/// (PostgreSQL), or on SQLite files in a temporary folder, with the demo
/// catalogue, jobs off and the system clock.
pub struct Bench {
    /// Its state (store, jobs...).
    pub state: SharedState,
    /// Its base URL.
    pub base: String,
    /// Its clock.
    pub clock: Arc<dyn Clock>,
    /// `PostgreSQL` or `SQLite`.
    pub backend: &'static str,
    /// Its data folder, removed at the end.
    pub dir: tempfile::TempDir,
}

/// Starts the [`Bench`] server; `adjust` changes its configuration.
pub async fn start(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Bench> {
    let dir = tempfile::tempdir()?;
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/boutique.db?mode=rwc", dir.path().display()));
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut config = Config::for_tests(database_url, dir.path().to_path_buf());
    if let Ok(k) = std::env::var("BENCH_KEYSTORE_URL") {
        config.keystore_url = Some(k);
    }
    config.jobs = false;
    adjust(&mut config);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let db = api::open_database(&config, true).await?;
    let app = Application::build(config, db, Arc::clone(&clock)).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    api::demo::seed(&state.catalogue).await?;
    api::stripe::install_crypto_provider();
    Ok(Bench {
        state,
        base,
        clock,
        backend,
        dir,
    })
}

/// What [`checkouts`] measured.
pub struct Checkouts {
    /// Orders per second.
    pub rate: f64,
    /// Each whole purchase (cart, item, checkout), ms, sorted.
    pub flows: Vec<f64>,
    /// Each checkout call alone, ms, sorted.
    pub checkouts: Vec<f64>,
    /// Failed purchases.
    pub errors: u64,
    /// Seconds measured.
    pub elapsed: f64,
}

/// `clients` guests buying `items` in turn for `seconds`; their
/// Idempotency-Keys and addresses count from `from`.
pub async fn checkouts(
    client: &reqwest::Client,
    base: &str,
    items: &Arc<Vec<Value>>,
    clients: usize,
    seconds: u64,
    from: u64,
) -> Checkouts {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(from));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, items, stop, counter, errors) = (
            client.clone(),
            base.to_owned(),
            Arc::clone(items),
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
                    Ok(ms) => took.push((started.elapsed().as_secs_f64() * 1000.0, ms)),
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
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut flows, mut calls) = (Vec::new(), Vec::new());
    for t in tasks {
        for (flow, call) in t.await.unwrap_or_default() {
            flows.push(flow);
            calls.push(call);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    flows.sort_by(f64::total_cmp);
    calls.sort_by(f64::total_cmp);
    Checkouts {
        rate: flows.len() as f64 / elapsed,
        flows,
        checkouts: calls,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
    }
}
