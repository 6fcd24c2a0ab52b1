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

async fn eventually_status(app: &TestApp, path: &str, status: u16) {
    for _ in 0..60 {
        if app.get(path).await.status().as_u16() == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} never answered {status}");
}

#[tokio::test]
async fn a_write_is_visible_at_once_here_and_within_the_refresh_period_on_another_instance() {
    let a = spawn_app().await;
    let b = crate::helpers::spawn_app_on(&a.storage, crate::helpers::start_time(), |_| {}).await;
    for i in 0..20 {
        a.add_plan(crate::helpers::plan(
            &format!("base-{i}"),
            3,
            100 + i,
            40_000,
        ))
        .await;
    }
    eventually_status(&b, "/v1/products/base-19", 200).await;
    let base_before = std::sync::Arc::clone(b.app.catalogue.index().base());

    let created = a
        .add_plan(crate::helpers::plan("nouvelle-maison", 4, 150, 55_000))
        .await;
    assert_eq!(
        a.get("/v1/products/nouvelle-maison").await.status(),
        200,
        "at once on the writer"
    );
    eventually_status(&b, "/v1/products/nouvelle-maison", 200).await;

    let mut changed = crate::helpers::plan("nouvelle-maison", 5, 150, 61_000);
    changed.published = true;
    a.app
        .catalogue
        .replace(created.id, changed, &domain::catalogue::Editor::system())
        .await
        .unwrap();
    let on_a: Value = a
        .get("/v1/products/nouvelle-maison")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on_a["bedrooms"], 5, "at once on the writer");
    for _ in 0..60 {
        let on_b: Value = b
            .get("/v1/products/nouvelle-maison")
            .await
            .json()
            .await
            .unwrap();
        if on_b["bedrooms"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let on_b: Value = b
        .get("/v1/products/nouvelle-maison")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        on_b["bedrooms"], 5,
        "within the refresh period on the other"
    );

    a.app
        .catalogue
        .delete(created.id, &domain::catalogue::Editor::system())
        .await
        .unwrap();
    assert_eq!(a.get("/v1/products/nouvelle-maison").await.status(), 404);
    eventually_status(&b, "/v1/products/nouvelle-maison", 404).await;
    let list: Value = b.get("/v1/products?limit=100").await.json().await.unwrap();
    assert_eq!(list["total"], 20);
    // The other instance applied the changes, it did not reload everything.
    assert!(std::sync::Arc::ptr_eq(
        &base_before,
        b.app.catalogue.index().base()
    ));
}

#[tokio::test]
async fn pages_neither_repeat_nor_skip_across_a_write() {
    let app = spawn_app().await;
    let mut originals = std::collections::BTreeSet::new();
    for i in 0..30u32 {
        let p = app
            .add_plan(crate::helpers::plan(
                &format!("plan-{i}"),
                3,
                100 + i,
                40_000 + i * 1000,
            ))
            .await;
        originals.insert(p.id.to_string());
    }
    let mut seen = Vec::new();
    let mut path = "/v1/products?sort=price&limit=7".to_owned();
    for page in 0.. {
        let body: Value = app.get(&path).await.json().await.unwrap();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        if page == 1 {
            // Writes in the pages already read, and further on.
            app.add_plan(crate::helpers::plan("cheaper", 3, 90, 10_000))
                .await;
            app.add_plan(crate::helpers::plan("dearer", 3, 90, 900_000))
                .await;
            let first = app.app.catalogue.index().get("plan-0").unwrap().id;
            app.app
                .catalogue
                .delete(first, &domain::catalogue::Editor::system())
                .await
                .unwrap();
        }
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/products?sort=price&limit=7&cursor={c}"),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no plan twice");
    for id in &originals {
        assert!(seen.contains(id), "no plan skipped");
    }
    let dearer = app
        .app
        .catalogue
        .index()
        .get("dearer")
        .unwrap()
        .id
        .to_string();
    assert!(seen.contains(&dearer), "a plan added further on is reached");
}
