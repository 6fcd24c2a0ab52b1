//! Every bad request answers a problem+json, never HTML or plain text.

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    for path in [
        "/nowhere",
        "/v1",
        "/v1/products/",
        "/v1/products/a/b",
        "/docs/no-such-file.js",
    ] {
        let body = assert_problem(app.get(path).await, 404, "/problems/not-found").await;
        assert_eq!(body["instance"], path);
    }
}

#[tokio::test]
async fn wrong_methods_are_405_problems_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::POST, "/v1/products", "GET, HEAD"),
        (
            reqwest::Method::DELETE,
            "/v1/products/some-plan",
            "GET, HEAD",
        ),
        (reqwest::Method::PUT, "/healthz", "GET"),
        (reqwest::Method::PATCH, "/openapi.json", "GET"),
        (reqwest::Method::OPTIONS, "/v1/products", "GET, HEAD"),
        // A concrete path is not answered by a template that also matches it.
        (reqwest::Method::PUT, "/v1/admin/products/import", "POST"),
        (reqwest::Method::DELETE, "/v1/admin/products/export", "GET"),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers().get("allow").unwrap(),
            allow,
            "{method} {path}"
        );
        assert_problem(res, 405, "/problems/method-not-allowed").await;
    }
}

#[tokio::test]
async fn a_repeated_query_parameter_is_a_400_problem() {
    let app = spawn_app().await;
    let res = app.get("/v1/products?limit=1&limit=2").await;
    assert_problem(res, 400, "/problems/bad-request").await;
}

#[tokio::test]
async fn oversized_request_heads_never_yield_a_500() {
    let app = spawn_app().await;
    let long = "a".repeat(6000);
    let res = app.get(&format!("/v1/products?q={long}")).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app.get(&format!("/v1/products/{long}")).await;
    assert!(res.status().is_client_error());
}
