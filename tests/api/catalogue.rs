//! The public catalogue through HTTP.

use serde_json::Value;

use crate::helpers::{assert_problem, plan, spawn_app};

#[tokio::test]
async fn list_filters_by_bedrooms_and_sorts_cheapest_first() {
    let app = spawn_app().await;
    app.add_plan(plan("three-dear", 3, 120, 59_000)).await;
    app.add_plan(plan("three-cheap", 3, 110, 39_000)).await;
    app.add_plan(plan("two-cheaper", 2, 90, 29_000)).await;

    let body: Value = app
        .get("/v1/products?bedrooms=3&sort=price")
        .await
        .json()
        .await
        .unwrap();
    let slugs: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["three-cheap", "three-dear"]);
    assert_eq!(
        body["items"][0]["from_price"],
        serde_json::json!({"amount": 39_000, "currency": "EUR"})
    );
    assert!(body["next_cursor"].is_null());
}

#[tokio::test]
async fn the_demo_catalogue_loads_twice_without_duplicates() {
    let app = spawn_app().await;
    app.seed_demo().await;
    app.seed_demo().await;
    let body: Value = app
        .get("/v1/products?limit=100")
        .await
        .json()
        .await
        .unwrap();
    // 48 demo plans, 3 of them unpublished.
    assert_eq!(body["items"].as_array().unwrap().len(), 45);
}

#[tokio::test]
async fn pagination_walks_every_plan_once_with_the_cursor() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.add_plan(plan(
            &format!("plan-{i}"),
            3,
            100 + i,
            30_000 + (i % 3) * 1000,
        ))
        .await;
    }
    let mut seen = vec![];
    let mut next = "/v1/products?sort=price&limit=3".to_owned();
    loop {
        let body: Value = app.get(&next).await.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|p| p["slug"].as_str().unwrap().to_owned()));
        match body["next_cursor"].as_str() {
            Some(c) => next = format!("/v1/products?sort=price&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7);
}

#[tokio::test]
async fn default_page_size_is_20() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let body: Value = app.get("/v1/products").await.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 20);
    assert!(body["next_cursor"].is_string());
}

#[tokio::test]
async fn text_search_style_and_ranges_filter_the_list() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let body: Value = app
        .get("/v1/products?q=PLAIN-PIED&style=bungalow&min_surface=80&max_surface=200&min_price=10000&max_price=200000&limit=100")
        .await
        .json()
        .await
        .unwrap();
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for p in items {
        assert_eq!(p["style"], "bungalow");
        let s = p["living_area_m2"].as_u64().unwrap();
        assert!((80..=200).contains(&s));
        let price = p["from_price"]["amount"].as_i64().unwrap();
        assert!((10_000..=200_000).contains(&price));
    }
}

#[tokio::test]
async fn surface_sort_descending_is_largest_first() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let body: Value = app
        .get("/v1/products?sort=surface&order=desc&limit=100")
        .await
        .json()
        .await
        .unwrap();
    let surfaces: Vec<u64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["living_area_m2"].as_u64().unwrap())
        .collect();
    assert!(surfaces.windows(2).all(|w| w[0] >= w[1]), "{surfaces:?}");
}

#[tokio::test]
async fn a_plan_is_found_by_slug_or_id_with_its_formats() {
    let app = spawn_app().await;
    let created = app.add_plan(plan("maison-a", 3, 120, 49_000)).await;
    let by_slug: Value = app.get("/v1/products/maison-a").await.json().await.unwrap();
    let by_id: Value = app
        .get(&format!("/v1/products/{}", created.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_slug, by_id);
    assert_eq!(by_slug["formats"].as_array().unwrap().len(), 2);
    assert_eq!(by_slug["formats"][0]["kind"], "pdf");
    assert_eq!(by_slug["formats"][0]["requires_shipping"], false);
    assert_eq!(by_slug["formats"][1]["requires_shipping"], true);
    // RFC 3339 UTC timestamps and a UUID v7 id.
    let created_at = by_slug["created_at"].as_str().unwrap();
    assert!(created_at.ends_with('Z'), "{created_at}");
    let id = uuid::Uuid::parse_str(by_slug["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 7);
}

#[tokio::test]
async fn unknown_and_unpublished_plans_are_404_problems() {
    let app = spawn_app().await;
    let mut hidden = plan("hidden-plan", 3, 120, 49_000);
    hidden.published = false;
    let hidden = app.add_plan(hidden).await;
    for path in [
        "/v1/products/hidden-plan".to_owned(),
        format!("/v1/products/{}", hidden.id),
        "/v1/products/does-not-exist".to_owned(),
        format!("/v1/products/{}", uuid::Uuid::now_v7()),
    ] {
        assert_problem(app.get(&path).await, 404, "/problems/not-found").await;
    }
    let body: Value = app.get("/v1/products").await.json().await.unwrap();
    assert!(body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_filters_are_400_problems_naming_each_parameter() {
    let app = spawn_app().await;
    let table: &[(&str, &[&str])] = &[
        ("min_surface=-5", &["min_surface"]),
        ("min_surface=200&max_surface=100", &["min_surface"]),
        ("min_price=900&max_price=100", &["min_price"]),
        ("sort=colour", &["sort"]),
        ("order=sideways", &["order"]),
        ("style=castle", &["style"]),
        ("bedrooms=many", &["bedrooms"]),
        ("limit=0", &["limit"]),
        ("limit=101", &["limit"]),
        ("cursor=not-a-cursor", &["cursor"]),
        ("limit=abc&sort=colour", &["sort", "limit"]),
    ];
    for (query, fields) in table {
        let res = app.get(&format!("/v1/products?{query}")).await;
        let body = assert_problem(res, 400, "/problems/validation-failed").await;
        let got: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(got, *fields, "{query}");
        assert_eq!(body["instance"], "/v1/products");
    }
}

#[tokio::test]
async fn a_cursor_from_another_sort_is_refused() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.add_plan(plan(&format!("p-{i}"), 2, 100, 30_000)).await;
    }
    let body: Value = app
        .get("/v1/products?sort=price&limit=1")
        .await
        .json()
        .await
        .unwrap();
    let cursor = body["next_cursor"].as_str().unwrap();
    let res = app
        .get(&format!(
            "/v1/products?sort=surface&limit=1&cursor={cursor}"
        ))
        .await;
    assert_problem(res, 400, "/problems/cursor-mismatch").await;
}

#[tokio::test]
async fn the_catalogue_is_public_and_cacheable() {
    let app = spawn_app().await;
    app.add_plan(plan("maison-b", 3, 120, 49_000)).await;
    for path in ["/v1/products", "/v1/products/maison-b"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get("cache-control").unwrap(),
            "public, max-age=30"
        );
    }
}
