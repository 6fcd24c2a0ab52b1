//! What operators watch: `GET /metrics` on its own address, in the
//! Prometheus text format as the `prometheus-client` parser (PyPI) reads
//! it, behind its token, with route patterns and never a personal value.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn metrics_are_prometheus_text_behind_a_token_with_no_personal_value() {
    let app = spawn_app_with(|c| {
        c.metrics_addr = Some("127.0.0.1:0".into());
        c.metrics_token = Some("a scrape token for the test".into());
    })
    .await;
    // Traffic that carries personal values in its body and path.
    app.post_json(
        "/v1/auth/login",
        &json!({"email": "secret.person@example.fr", "password": "not the password at all"}),
    )
    .await;
    assert_eq!(app.get("/v1/products").await.status(), 200);
    assert_eq!(
        app.get("/v1/products/maison-de-jeanne-dupont")
            .await
            .status(),
        404
    );
    // Not on the public address.
    assert_eq!(app.get("/metrics").await.status(), 404);

    let port = app.app.metrics_port.get().copied().unwrap();
    let url = format!("http://127.0.0.1:{port}/metrics");
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 401);
    let res = app
        .client
        .get(&url)
        .bearer_auth("a scrape token for the test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    for personal in ["secret.person", "jeanne", "dupont"] {
        assert!(!text.contains(personal), "{personal} in the metrics");
    }
    assert!(text.contains(
        "boutique_http_requests_total{method=\"GET\",route=\"/v1/products/{id_or_slug}\",status=\"404\"} 1"
    ));
    assert!(text.contains("route=\"/v1/auth/login\",status=\"401\"}"));

    // A Prometheus text parser from a registry reads every family.
    let Ok(python) = std::env::var("TEST_PYTHON") else {
        eprintln!(
            "parser check skipped: set TEST_PYTHON to a Python with prometheus-client (CI does)"
        );
        return;
    };
    let mut child = Command::new(python)
        .args([
            "-c",
            "import sys, json; \
             from prometheus_client.parser import text_string_to_metric_families as families; \
             print(json.dumps({f.name: {'type': f.type, 'samples': len(f.samples)} \
             for f in families(sys.stdin.read())}))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the parser refused the text");
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (family, kind) in [
        ("boutique_http_requests", "counter"),
        ("boutique_http_request_duration_seconds", "histogram"),
        ("boutique_job_runs", "counter"),
        ("boutique_retention_purged", "counter"),
        ("boutique_outbox_backlog", "gauge"),
        ("boutique_webhook_backlog", "gauge"),
        ("boutique_account_locks", "gauge"),
        ("boutique_source_bans", "gauge"),
    ] {
        assert_eq!(parsed[family]["type"], kind, "{family}: {parsed}");
    }
    assert!(
        parsed["boutique_http_requests"]["samples"]
            .as_u64()
            .unwrap()
            >= 3
    );
}
