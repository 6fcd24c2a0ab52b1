//! What operators watch, in the Prometheus text format: requests by route
//! pattern and status with latency histograms, job runs and failures,
//! items purged by retention, and, read at each scrape, the outbox and
//! webhook backlogs and the locks and bans in force. Labels are route
//! patterns, methods, statuses, job and category names: never a path, a
//! query or any personal value.
//!
//! Served on its own address (`BOUTIQUE_METRICS_ADDR`), never on the
//! public one, and only with `BOUTIQUE_METRICS_TOKEN` as a bearer token
//! when one is set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters kept in this process since it started.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    jobs: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    purged: Mutex<BTreeMap<&'static str, u64>>,
}

pub use persistence::metrics::Backlog;

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts a request: its method, its route pattern (`<unmatched>` when
    /// none), its status and how long it took.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let mut latency = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        let h = latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Counts a job's run.
    pub fn job(&self, job: &'static str, ok: bool) {
        *self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((job, if ok { "ok" } else { "failed" }))
            .or_default() += 1;
    }

    /// Counts what a retention run purged.
    pub fn purged(&self, report: &domain::retention::Report) {
        let mut purged = self.purged.lock().unwrap_or_else(PoisonError::into_inner);
        for (category, n) in &report.purged {
            *purged.entry(category.as_str()).or_default() += n;
        }
    }

    /// The text format (version 0.0.4).
    #[must_use]
    pub fn render(&self, backlog: &Backlog) -> String {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("# HELP boutique_http_requests_total Requests answered, by method, route pattern and status.\n");
        out.push_str("# TYPE boutique_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "boutique_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        out.push_str("# HELP boutique_http_request_duration_seconds Time to answer, by method and route pattern.\n");
        out.push_str("# TYPE boutique_http_request_duration_seconds histogram\n");
        for ((method, route), h) in self
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "boutique_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "boutique_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "boutique_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "boutique_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str("# HELP boutique_job_runs_total Background job runs in this instance, by job and outcome.\n");
        out.push_str("# TYPE boutique_job_runs_total counter\n");
        for ((job, outcome), n) in self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "boutique_job_runs_total{{job=\"{job}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP boutique_retention_purged_total Items purged by retention runs of this instance, by category.\n");
        out.push_str("# TYPE boutique_retention_purged_total counter\n");
        for (category, n) in self
            .purged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "boutique_retention_purged_total{{category=\"{category}\"}} {n}"
            );
        }
        for (name, help, value) in [
            (
                "boutique_outbox_backlog",
                "Mail waiting to be sent.",
                backlog.outbox,
            ),
            (
                "boutique_webhook_backlog",
                "Webhook deliveries waiting to be sent.",
                backlog.webhooks,
            ),
            (
                "boutique_webhook_failed",
                "Webhook deliveries that failed every attempt, kept 30 days.",
                backlog.webhooks_failed,
            ),
            (
                "boutique_webhook_endpoints_disabled",
                "Webhook endpoints disabled.",
                backlog.endpoints_disabled,
            ),
            (
                "boutique_account_locks",
                "Account locks in force (an account and a source).",
                backlog.locks,
            ),
            (
                "boutique_source_bans",
                "Source addresses banned now.",
                backlog.bans,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// `GET /metrics` on the metrics address.
pub async fn scrape(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(token) = state.config.metrics_token.as_deref() {
        let sent = crate::auth::bearer(&req).unwrap_or_default();
        let ok: bool = subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), token.as_bytes()).into();
        if !ok {
            return HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", "Bearer realm=\"metrics\""))
                .finish();
        }
    }
    match persistence::metrics::backlog(&state.db, state.clock.now()).await {
        Ok(b) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(state.metrics.render(&b)),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_are_patterns() {
        let m = Metrics::default();
        m.request("GET", "/v1/products/{id_or_slug}", 200, 0.003);
        m.request("GET", "/v1/products/{id_or_slug}", 200, 0.2);
        m.job("outbox", true);
        let text = m.render(&Backlog::default());
        assert!(text.contains(
            "boutique_http_requests_total{method=\"GET\",route=\"/v1/products/{id_or_slug}\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("boutique_job_runs_total{job=\"outbox\",outcome=\"ok\"} 1"));
    }
}
