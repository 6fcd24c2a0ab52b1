//! What the benchmarks share: percentiles, and catalogue readers that run
//! until told to stop.
#![allow(dead_code)] // each benchmark uses part of it

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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
