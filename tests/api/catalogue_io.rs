//! Bulk import and export of the catalogue (issue 13).

use domain::identity::Role;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, spawn_app};

const HEADER: &str = "slug,title,description,style,living_area_m2,bedrooms,bathrooms,levels,garage_spaces,lot_width_m,lot_depth_m,image_urls,formats,published";

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    app.with(
        Method::POST,
        &format!("/v1/admin/products/import{query}"),
        token,
    )
    .header("content-type", content_type)
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn export(app: &TestApp, token: &str, format: &str) -> String {
    let res = app
        .get_as(&format!("/v1/admin/products/export?format={format}"), token)
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    res.text().await.unwrap()
}

fn row(i: usize, sku: &str) -> String {
    format!(
        "maison-import-{i},Maison importée {i},\"Plain-pied, lumineuse.\",contemporary,{},3,1,1,1,14.5,22,https://images.example/p/{i}.jpg,pdf:{sku}:49000:EUR|printed_set:{sku}-PRT:64000:EUR,true",
        100 + i
    )
}

#[tokio::test]
async fn an_import_with_one_bad_row_writes_nothing_and_names_the_line_and_field() {
    let app = spawn_app().await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let mut csv = format!("{HEADER}\n");
    for i in 1..=5 {
        csv.push_str(&row(i, &format!("IMP-{i:03}-PDF")));
        csv.push('\n');
    }
    // Line 5 of the file (the header is line 1): a bedroom count out of range.
    let bad = csv.replace(
        "maison-import-4,Maison importée 4,\"Plain-pied, lumineuse.\",contemporary,104,3",
        "maison-import-4,Maison importée 4,\"Plain-pied, lumineuse.\",contemporary,104,99",
    );
    assert_ne!(bad, csv);
    let res = import(&app, &manager, "", "text/csv", bad).await;
    let problem = assert_problem(res, 400, "/problems/validation-failed").await;
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["field"], "lines[5].bedrooms");
    let list: Value = app.get("/v1/products").await.json().await.unwrap();
    assert_eq!(list["total"], 0, "nothing was written");

    // The same slug or SKU twice in a file is refused too.
    let twice = format!(
        "{HEADER}\n{}\n{}\n",
        row(1, "DUP-001-PDF"),
        row(2, "DUP-001-PDF")
    );
    let problem = assert_problem(
        import(&app, &manager, "", "text/csv", twice).await,
        400,
        "/problems/validation-failed",
    )
    .await;
    assert!(
        problem.to_string().contains("lines[3].formats[0].sku"),
        "{problem}"
    );

    let res = import(&app, &manager, "", "text/csv", csv.clone()).await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["created"], 5);
    // Visible at once.
    let plan: Value = app
        .get("/v1/products/maison-import-3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["bedrooms"], 3);
    // Importing the same file again: the slugs are taken, unless upserting.
    let again = import(&app, &manager, "", "text/csv", csv.clone()).await;
    assert_eq!(again.status(), 400);
    let upsert = import(&app, &manager, "?mode=upsert", "text/csv", csv).await;
    assert_eq!(upsert.json::<Value>().await.unwrap()["updated"], 5);

    let customer = app.customer("buyer@example.fr").await;
    let res = import(&app, &customer, "", "text/csv", format!("{HEADER}\n")).await;
    assert_eq!(res.status(), 403);
    let res = import(&app, &manager, "", "application/pdf", "x".into()).await;
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn export_then_import_round_trips_in_both_formats() {
    let source = spawn_app().await;
    source.seed_demo().await;
    let admin = source.staff("admin@boutique.example", Role::Admin).await;
    let jsonl = export(&source, &admin, "jsonl").await;
    let csv = export(&source, &admin, "csv").await;
    assert!(jsonl.lines().count() >= 40);
    assert_eq!(csv.lines().next().unwrap(), HEADER);

    for (format, content_type, file) in [
        ("jsonl", "application/x-ndjson", &jsonl),
        ("csv", "text/csv", &csv),
    ] {
        let target = spawn_app().await;
        let admin = target.staff("admin@boutique.example", Role::Admin).await;
        let res = import(&target, &admin, "", content_type, file.clone()).await;
        assert_eq!(res.status(), 200, "{format}: {}", res.text().await.unwrap());
        assert_eq!(
            &export(&target, &admin, format).await,
            file,
            "{format} round-trips"
        );
        assert_eq!(
            export(&target, &admin, "jsonl").await,
            jsonl,
            "{format} gives the same catalogue"
        );
    }

    // Upserting the export into its own catalogue changes nothing.
    let res = import(
        &source,
        &admin,
        "?mode=upsert",
        "application/x-ndjson",
        jsonl.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(export(&source, &admin, "jsonl").await, jsonl);
}
