//! Health checks, request ids, security headers, CORS, documentation page.

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_well_formed_one() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    let generated = res.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok());

    let res = app
        .client
        .get(app.url("/v1/products/nope"))
        .header("x-request-id", "client-req-12345")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("x-request-id").unwrap(),
        "client-req-12345"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], "client-req-12345");

    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(
        res.headers().get("x-request-id").unwrap(),
        "bad id with spaces"
    );
}

#[tokio::test]
async fn sec_5_security_headers_are_on_every_response() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/v1/products",
        "/v1/products/unknown",
        "/nowhere",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer", "{path}");
        // Over plain HTTP HSTS means nothing (tls.rs: it is on every HTTPS one).
        assert!(h.get("strict-transport-security").is_none(), "{path}");
        assert!(h.get("content-security-policy").is_some(), "{path}");
        assert!(h.get("cache-control").is_some(), "{path}");
        assert!(h.get("set-cookie").is_none(), "SEC-6: no cookie, {path}");
    }
    // Anything not explicitly public is never stored by caches.
    assert_eq!(
        app.get("/healthz")
            .await
            .headers()
            .get("cache-control")
            .unwrap(),
        "no-store"
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(|c| c.cors_origins = vec!["https://shop.example".into()]).await;
    let allowed = app
        .client
        .get(app.url("/v1/products"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://shop.example"
    );

    let other = app
        .client
        .get(app.url("/v1/products"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/products"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "https://shop.example"
    );
}

#[tokio::test]
async fn the_docs_page_is_served_by_the_binary_with_a_strict_csp() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 301);
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "the page is Swagger UI");
    // Its assets come from this server, not a CDN.
    assert!(!html.contains("https://"), "no external asset");
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/openapi.json"));
    let js = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status(), 200);
}

#[tokio::test]
async fn the_spec_is_served_as_json_and_yaml() {
    let app = spawn_app().await;
    let json: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    let yaml = app.get("/openapi.yaml").await.text().await.unwrap();
    let parsed: serde_json::Value = yaml_serde::from_str(&yaml).unwrap();
    assert_eq!(parsed, json);
}
