//! A cacheable catalogue (issue 14, item 5): entity tags and 304s, HEAD,
//! `total`, facets, multi-valued filters, cursors bound to their listing.

use domain::catalogue::{Editor, Style};
use reqwest::Response;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, plan, spawn_app};

/// A small catalogue: three styles, two to four bedrooms, prices in three bands.
async fn catalogue(app: &TestApp) {
    let plans = [
        ("modern-2", Style::Modern, 2, 45_000),
        ("modern-3", Style::Modern, 3, 60_000),
        ("modern-4", Style::Modern, 4, 80_000),
        ("chalet-3", Style::Chalet, 3, 62_000),
        ("chalet-4", Style::Chalet, 4, 90_000),
        ("cottage-3", Style::Cottage, 3, 48_000),
        ("cottage-2", Style::Cottage, 2, 120_000),
    ];
    for (slug, style, bedrooms, price) in plans {
        let mut p = plan(slug, bedrooms, 100, price);
        p.style = style;
        app.add_plan(p).await;
    }
}

fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

async fn with_header(app: &TestApp, path: &str, name: &str, value: &str) -> Response {
    app.client
        .get(app.url(path))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

async fn json(app: &TestApp, path: &str) -> Value {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn etag(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    header(&res, "etag").to_owned()
}

fn slugs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_and_detail_answers_carry_a_strong_etag_and_their_cache_headers() {
    let app = spawn_app().await;
    catalogue(&app).await;
    for path in ["/v1/products", "/v1/products/modern-3"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        let tag = header(&res, "etag");
        assert!(
            tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'),
            "a strong tag: {tag}"
        );
        assert_eq!(header(&res, "cache-control"), "public, max-age=30");
        let vary = header(&res, "vary").to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{vary}");
        assert!(vary.contains("origin"), "{vary}");
    }
    // One answer, one tag: asking twice gives the same.
    assert_eq!(
        etag(&app, "/v1/products").await,
        etag(&app, "/v1/products").await
    );
}

#[tokio::test]
async fn if_none_match_naming_the_current_answer_is_a_304_without_a_body() {
    let app = spawn_app().await;
    catalogue(&app).await;
    for path in [
        "/v1/products?style=modern&sort=price",
        "/v1/products/chalet-3",
    ] {
        let first = app.get(path).await;
        let tag = header(&first, "etag").to_owned();
        let vary = header(&first, "vary").to_owned();
        for condition in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"stale\", {tag}"),
            "*".to_owned(),
        ] {
            let res = with_header(&app, path, "if-none-match", &condition).await;
            assert_eq!(res.status(), 304, "{path} If-None-Match: {condition}");
            assert_eq!(header(&res, "etag"), tag);
            assert_eq!(header(&res, "cache-control"), "public, max-age=30");
            assert_eq!(header(&res, "vary"), vary);
            assert!(res.bytes().await.unwrap().is_empty());
        }
        for condition in ["\"stale\"", "W/\"stale\", \"other\""] {
            let res = with_header(&app, path, "if-none-match", condition).await;
            assert_eq!(res.status(), 200, "{path} If-None-Match: {condition}");
            assert_eq!(header(&res, "etag"), tag);
            assert!(!res.bytes().await.unwrap().is_empty());
        }
    }
}

#[tokio::test]
async fn a_changed_catalogue_changes_the_etag() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let list = "/v1/products?sort=price";
    let before = etag(&app, list).await;
    let chalet = etag(&app, "/v1/products/chalet-3").await;
    let modern = etag(&app, "/v1/products/modern-3").await;

    // A new plan: another list answer, the same plans' details.
    app.add_plan(plan("nouvelle", 3, 100, 70_000)).await;
    let after = etag(&app, list).await;
    assert_ne!(before, after);
    let res = with_header(&app, list, "if-none-match", &before).await;
    assert_eq!(res.status(), 200, "the old tag is stale");
    assert_eq!(etag(&app, "/v1/products/chalet-3").await, chalet);

    // A plan edited: its detail and every list change, other details do not.
    let id = app
        .app
        .catalogue
        .index()
        .get("chalet-3")
        .map(|p| p.id)
        .unwrap();
    let mut edited = plan("chalet-3", 3, 100, 62_000);
    edited.style = Style::Chalet;
    edited.title = "Chalet rénové".into();
    app.app
        .catalogue
        .replace(id, edited, &Editor::system())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(etag(&app, "/v1/products/chalet-3").await, chalet);
    assert_ne!(etag(&app, list).await, after);
    assert_eq!(etag(&app, "/v1/products/modern-3").await, modern);
    let res = with_header(&app, "/v1/products/chalet-3", "if-none-match", &chalet).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn one_query_however_spelled_has_one_etag_and_other_queries_others() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let tag = etag(&app, "/v1/products?style=modern&style=chalet&bedrooms=3").await;
    for same in [
        "/v1/products?bedrooms=3&style=chalet&style=modern",
        "/v1/products?style=chalet&bedrooms=3&style=modern&style=chalet&sort=newest&order=desc&limit=20&cursor=",
        "/v1/products?style=modern&style=chalet&bedrooms=3&utm_source=newsletter",
    ] {
        assert_eq!(etag(&app, same).await, tag, "{same}");
    }
    for other in [
        "/v1/products?style=modern&bedrooms=3",
        "/v1/products?style=modern&style=chalet&bedrooms=3&limit=5",
        "/v1/products?style=modern&style=chalet&bedrooms=3&facets=true",
        "/v1/products?style=modern&style=chalet&bedrooms=3&order=asc",
    ] {
        assert_ne!(etag(&app, other).await, tag, "{other}");
    }
}

#[tokio::test]
async fn head_answers_the_headers_of_get_without_a_body() {
    let app = spawn_app().await;
    catalogue(&app).await;
    for path in [
        "/v1/products?bedrooms=3&facets=true",
        "/v1/products/modern-4",
    ] {
        let get = app.get(path).await;
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "{path}");
        for name in ["etag", "cache-control", "vary", "content-type"] {
            assert_eq!(header(&head, name), header(&get, name), "{path} {name}");
        }
        assert!(head.bytes().await.unwrap().is_empty());
        let tag = header(&get, "etag").to_owned();
        let head = app
            .client
            .head(app.url(path))
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 304, "{path}");
        assert_eq!(header(&head, "etag"), tag);
    }
    let missing = app
        .client
        .head(app.url("/v1/products/no-such-plan"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bad = app
        .client
        .head(app.url("/v1/products?limit=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_etag_names_the_content_coding_it_is_sent_in() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let path = "/v1/products?limit=100";
    let plain = app.get(path).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_tag = header(&plain, "etag").to_owned();
    let gzip = with_header(&app, path, "accept-encoding", "gzip").await;
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    let gzip_tag = header(&gzip, "etag").to_owned();
    assert_ne!(gzip_tag, plain_tag, "gzip bytes are another representation");
    let revalidate = |tag: String| {
        app.client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .header("if-none-match", tag)
            .send()
    };
    assert_eq!(revalidate(gzip_tag).await.unwrap().status(), 304);
    assert_eq!(revalidate(plain_tag).await.unwrap().status(), 200);
}

#[tokio::test]
async fn total_counts_every_matching_plan_on_every_page() {
    let app = spawn_app().await;
    catalogue(&app).await;
    assert_eq!(json(&app, "/v1/products").await["total"], 7);
    let mut next = "/v1/products?bedrooms=3&sort=price&limit=2".to_owned();
    let mut seen = 0;
    loop {
        let page = json(&app, &next).await;
        assert_eq!(page["total"], 3, "{next}");
        seen += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("/v1/products?bedrooms=3&sort=price&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, 3);
    assert_eq!(
        json(&app, "/v1/products?q=nothing-like-this").await["total"],
        0
    );
}

#[tokio::test]
async fn style_and_bedrooms_match_any_of_their_repeated_values() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let mut found = slugs(&json(&app, "/v1/products?style=modern&style=chalet&sort=price").await);
    found.sort();
    assert_eq!(
        found,
        ["chalet-3", "chalet-4", "modern-2", "modern-3", "modern-4"]
    );
    let mut found = slugs(
        &json(
            &app,
            "/v1/products?bedrooms=2&bedrooms=4&style=cottage&style=modern",
        )
        .await,
    );
    found.sort();
    assert_eq!(found, ["cottage-2", "modern-2", "modern-4"]);
    let body = assert_problem(
        app.get("/v1/products?style=modern&style=castle").await,
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "style");
}

#[tokio::test]
async fn a_repeated_single_valued_parameter_is_a_400_naming_it() {
    let app = spawn_app().await;
    for name in ["limit", "sort", "q", "min_price", "cursor", "facets"] {
        let res = app
            .get(&format!("/v1/products?{name}=1&style=modern&{name}=2"))
            .await;
        let body = assert_problem(res, 400, "/problems/bad-request").await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("`{name}`")), "{detail}");
    }
}

#[tokio::test]
async fn facets_count_each_value_over_the_plans_matching_the_other_filters() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let filters = "style=modern&bedrooms=3&max_price=99999";
    let body = json(&app, &format!("/v1/products?{filters}&facets=true&limit=1")).await;
    assert_eq!(
        body["facets"],
        serde_json::json!({
            // Every style with 3 bedrooms under 1000 €.
            "style": {"modern": 1, "chalet": 1, "cottage": 1},
            // Modern plans of any bedrooms under 1000 €.
            "bedrooms": {"2": 1, "3": 1, "4": 1},
            // Modern plans with 3 bedrooms at any price.
            "price_band": {"50000-75000": 1}
        })
    );
    // The same counts as asking for each value.
    for (style, n) in body["facets"]["style"].as_object().unwrap() {
        let total = json(
            &app,
            &format!("/v1/products?style={style}&bedrooms=3&max_price=99999"),
        )
        .await["total"]
            .clone();
        assert_eq!(&total, n, "{style}");
    }
    let only = json(&app, "/v1/products?facets=price_band,bedrooms").await;
    assert_eq!(
        only["facets"],
        serde_json::json!({
            "bedrooms": {"2": 2, "3": 3, "4": 2},
            "price_band": {"0-50000": 2, "50000-75000": 2, "75000-100000": 2, "100000-150000": 1}
        })
    );
    assert!(json(&app, "/v1/products").await.get("facets").is_none());
    assert!(
        json(&app, "/v1/products?facets=false")
            .await
            .get("facets")
            .is_none()
    );
    assert_problem(
        app.get("/v1/products?facets=colour").await,
        400,
        "/problems/validation-failed",
    )
    .await;
}

#[tokio::test]
async fn a_cursor_used_with_other_filters_sort_or_order_is_a_cursor_mismatch_problem() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let first = json(
        &app,
        "/v1/products?bedrooms=3&style=modern&style=chalet&sort=price&limit=1",
    )
    .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    for other in [
        "bedrooms=2&style=modern&style=chalet&sort=price",
        "bedrooms=3&style=modern&sort=price",
        "bedrooms=3&style=modern&style=chalet&sort=surface",
        "bedrooms=3&style=modern&style=chalet&sort=price&order=desc",
        "bedrooms=3&style=modern&style=chalet&sort=price&q=maison",
        "bedrooms=3&style=modern&style=chalet&sort=price&min_price=1",
    ] {
        let res = app
            .get(&format!("/v1/products?{other}&cursor={cursor}"))
            .await;
        let body = assert_problem(res, 400, "/problems/cursor-mismatch").await;
        assert_eq!(body["instance"], "/v1/products");
    }
    // The same listing, spelled otherwise, with another page size and facets.
    let next = json(
        &app,
        &format!("/v1/products?style=chalet&sort=price&style=modern&bedrooms=3&limit=5&facets=style&cursor={cursor}"),
    )
    .await;
    assert_eq!(slugs(&next), ["chalet-3"]);
    // A cursor that is not one is still a field error.
    let body = assert_problem(
        app.get("/v1/products?cursor=not-a-cursor").await,
        400,
        "/problems/validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn the_document_describes_etags_304_head_and_the_new_fields() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let paths = &doc["paths"];
    for (path, get_id, head_id) in [
        ("/v1/products", "list_products", "head_products"),
        ("/v1/products/{id_or_slug}", "get_product", "head_product"),
    ] {
        assert_eq!(paths[path]["get"]["operationId"], get_id);
        assert_eq!(paths[path]["head"]["operationId"], head_id);
        for method in ["get", "head"] {
            let op = &paths[path][method];
            for status in ["200", "304"] {
                let headers = &op["responses"][status]["headers"];
                for name in ["ETag", "Cache-Control", "Vary"] {
                    assert!(headers[name].is_object(), "{method} {path} {status} {name}");
                }
            }
            assert!(
                op["responses"]["304"].get("content").is_none(),
                "{method} {path}: a 304 has no body"
            );
            assert!(
                op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "If-None-Match" && p["in"] == "header"),
                "{method} {path}"
            );
        }
    }
    let params = paths["/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["style", "bedrooms"] {
        let p = params.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(p["schema"]["type"], "array", "{name}");
        assert_eq!(p["explode"], true, "{name}");
    }
    let style = params.iter().find(|p| p["name"] == "style").unwrap();
    assert!(
        style["schema"]["items"]["enum"]
            .as_array()
            .unwrap()
            .contains(&"modern".into())
    );
    let page = &doc["components"]["schemas"]["ProductPage"];
    assert!(
        page["required"]
            .as_array()
            .unwrap()
            .contains(&"total".into())
    );
    assert!(page["properties"]["facets"].is_object());
    // The facets' keys are typed, and the price bands are the domain's.
    let facets = &doc["components"]["schemas"]["Facets"]["properties"];
    let keys = |facet: &str| -> Vec<String> {
        facets[facet]["propertyNames"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let bands: Vec<&str> = domain::catalogue::PRICE_BANDS
        .iter()
        .map(|b| b.key)
        .collect();
    assert_eq!(keys("price_band"), bands);
    let described = facets["price_band"]["description"].as_str().unwrap();
    for band in bands {
        assert!(described.contains(&format!("`{band}`")), "{band}");
    }
    assert!(keys("style").contains(&"wood_frame".to_owned()));
    assert!(
        doc["components"]["schemas"]["ProblemType"]["enum"]
            .as_array()
            .unwrap()
            .contains(&"/problems/cursor-mismatch".into())
    );
}
