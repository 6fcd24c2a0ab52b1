//! Plan downloads (SHOP-5): staff put a file on a format; once an order is
//! paid, its holder lists signed, expiring links; each link streams the
//! file at most the configured number of times per order, whatever the
//! concurrency; a link is refused once expired, forged, or once its order
//! is cancelled or refunded; nobody reaches another's downloads; every
//! download is logged with its source sealed.

use chrono::Duration;
use domain::catalogue::{FormatKind, NewFormat};
use domain::identity::Role;
use domain::money::{Currency, Money};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, plan, spawn_app_with};

const ORDER_SECRET: &str = "X-Order-Secret";

/// The formats of a plan for sale: (product, pdf, cad, printed set).
struct ForSale {
    product: String,
    pdf: String,
    cad: String,
    printed: String,
}

/// A published plan sold as PDF (240 €), CAD (540 €) and printed set.
async fn plan_for_sale(app: &TestApp, slug: &str) -> ForSale {
    let mut new = plan(slug, 3, 120, 24_000);
    new.formats.push(NewFormat {
        kind: FormatKind::Cad,
        sku: format!("{}-CAD", slug.to_uppercase()),
        price: Money::from_minor(54_000, Currency::EUR),
    });
    let p = app.add_plan(new).await;
    let id = |kind: FormatKind| {
        p.formats
            .iter()
            .find(|f| f.kind == kind)
            .unwrap()
            .id
            .to_string()
    };
    ForSale {
        product: p.id.to_string(),
        pdf: id(FormatKind::Pdf),
        cad: id(FormatKind::Cad),
        printed: id(FormatKind::PrintedSet),
    }
}

/// A PDF of `len` bytes whose content depends on `seed`.
fn pdf_bytes(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..len).map(|i| u8::try_from(i % 251).unwrap() ^ seed));
    bytes
}

fn file_path(s: &ForSale, format: &str) -> String {
    format!("/v1/admin/products/{}/formats/{format}/file", s.product)
}

async fn upload(
    app: &TestApp,
    staff: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.with(Method::PUT, path, staff)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn buyer(email: &str, printed: bool) -> Value {
    let address = json!({
        "full_name": "Jeanne Martin", "line1": "12 rue des Lilas",
        "postal_code": "69003", "city": "Lyon", "country": "FR"
    });
    let mut body = json!({
        "email": email,
        "name": "Jeanne Martin",
        "billing_address": address,
        "accept_terms": true,
        "privacy_policy_version": 1,
        "payment_method": "bank_transfer"
    });
    if printed {
        body["shipping_address"] = address;
    }
    body
}

/// Places an order of `formats` as the customer `token`, or as a guest;
/// returns (order id, its secret for a guest).
async fn order(
    app: &TestApp,
    token: Option<&str>,
    email: &str,
    product: &str,
    formats: &[&str],
    printed: bool,
) -> (String, Option<String>) {
    let req = |method: Method, path: &str, secret: Option<&str>| {
        let mut r = app.client.request(method, app.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(s) = secret {
            r = r.header("X-Cart-Secret", s);
        }
        r
    };
    let cart: Value = req(Method::POST, "/v1/carts", None)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = cart["id"].as_str().unwrap().to_owned();
    let secret = cart["secret"].as_str().map(str::to_owned);
    for f in formats {
        let res = req(
            Method::POST,
            &format!("/v1/carts/{id}/items"),
            secret.as_deref(),
        )
        .json(&json!({"product_id": product, "format_id": f}))
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = req(
        Method::POST,
        &format!("/v1/carts/{id}/checkout"),
        secret.as_deref(),
    )
    .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
    .json(&buyer(email, printed))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["access_secret"].as_str().map(str::to_owned),
    )
}

async fn act(app: &TestApp, staff: &str, order: &str, action: &str) -> Value {
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/orders/{order}/actions"),
            staff,
        )
        .json(&json!({"action": action}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{action}");
    res.json().await.unwrap()
}

/// The downloads of an order, read with a token or a secret.
async fn downloads_with(
    app: &TestApp,
    order: &str,
    token: Option<&str>,
    secret: Option<&str>,
) -> reqwest::Response {
    let mut r = app
        .client
        .get(app.url(&format!("/v1/orders/{order}/downloads")));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(s) = secret {
        r = r.header(ORDER_SECRET, s);
    }
    r.send().await.unwrap()
}

async fn downloads(app: &TestApp, order: &str, token: &str) -> Value {
    let res = downloads_with(app, order, Some(token), None).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The entry of a format in a downloads answer.
fn entry<'a>(list: &'a Value, format: &str) -> &'a Value {
    list["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["format_id"] == format)
        .unwrap_or_else(|| panic!("{format} in {list}"))
}

/// The path of a download link (links carry the public base URL).
fn link(app: &TestApp, entry: &Value) -> String {
    let url = entry["url"]
        .as_str()
        .unwrap_or_else(|| panic!("a link in {entry}"));
    let base = &app.app.config.public_url;
    url.strip_prefix(base.as_str())
        .unwrap_or_else(|| panic!("{url} starts with {base}"))
        .to_owned()
}

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("x-forwarded-for", "203.0.113.77")
        .header("user-agent", "DownloadAgent/7.3")
        .send()
        .await
        .unwrap()
}

async fn log_count(app: &TestApp) -> usize {
    app.app
        .db
        .query_strings("SELECT CAST(COUNT(*) AS TEXT) FROM download_log")
        .await
        .unwrap()[0]
        .parse()
        .unwrap()
}

/// Refunds an order in full, as staff do.
async fn refund(app: &TestApp, staff: &str, order: &str) {
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/orders/{order}/refunds"),
            staff,
        )
        .json(&json!({"reason": "plan not suited to the lot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn shop_5_downloads_follow_payment_limits_and_expiry() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let s = plan_for_sale(&app, "maison-dl").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;

    // Staff put the PDF: only accepted types, never on a printed set.
    let bytes = pdf_bytes(300_000, 0);
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.pdf),
        "text/plain",
        vec![1],
    )
    .await;
    assert_problem(res, 415, "/problems/unsupported-media-type").await;
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.printed),
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_problem(res, 409, "/problems/conflict").await;
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &uuid::Uuid::now_v7().to_string()),
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_problem(res, 404, "/problems/not-found").await;
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.pdf),
        "application/pdf",
        vec![],
    )
    .await;
    assert_problem(res, 400, "/problems/validation-failed").await;
    let res = upload(
        &app,
        &manager,
        &format!("{}?extension=PDF", file_path(&s, &s.pdf)),
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_problem(res, 400, "/problems/validation-failed").await;
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.pdf),
        "application/pdf",
        pdf_bytes(10, 9),
    )
    .await;
    assert_eq!(res.status(), 201);
    // Replaced by the real one.
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.pdf),
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let put: Value = res.json().await.unwrap();
    assert_eq!(put["size"], bytes.len());
    assert_eq!(put["content_type"], "application/pdf");
    assert_eq!(put["extension"], "pdf");
    assert_eq!(put["sha256"].as_str().unwrap().len(), 64);
    let got: Value = app
        .get_as(&file_path(&s, &s.pdf), &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, put);
    // One file on disk: the replaced one is gone; no client name is used.
    let files_dir = app.app.config.files_dir();
    let on_disk: Vec<String> = std::fs::read_dir(&files_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    assert_eq!(on_disk[0].len(), 32);

    // A customer orders the PDF and the CAD drawings.
    let claire = app.customer("claire@example.com").await;
    let (id, _) = order(
        &app,
        Some(&claire),
        "claire@example.com",
        &s.product,
        &[&s.pdf, &s.cad],
        false,
    )
    .await;
    // Before payment: no links.
    let list = downloads(&app, &id, &claire).await;
    assert_eq!(list["status"], "pending_payment");
    assert_eq!(list["downloads"], json!([]));
    assert_eq!(list["download_limit"], 5);

    // Nobody else reaches them.
    let other = app.customer("autre@example.com").await;
    let res = downloads_with(&app, &id, Some(&other), None).await;
    assert_problem(res, 404, "/problems/not-found").await;
    let res = downloads_with(
        &app,
        &id,
        None,
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await;
    assert_problem(res, 401, "/problems/unauthorized").await;
    let res = downloads_with(&app, &id, None, None).await;
    assert_problem(res, 401, "/problems/unauthorized").await;

    // Paid: a link for the PDF; the CAD file is not there yet.
    assert_eq!(
        act(&app, &manager, &id, "mark_paid").await["status"],
        "completed"
    );
    let list = downloads(&app, &id, &claire).await;
    assert_eq!(list["status"], "completed");
    assert_eq!(list["downloads"].as_array().unwrap().len(), 2, "{list}");
    let cad = entry(&list, &s.cad);
    assert_eq!(cad["available"], false);
    assert!(cad["url"].is_null() && cad["expires_at"].is_null());
    let pdf = entry(&list, &s.pdf);
    assert_eq!(pdf["available"], true);
    assert_eq!(pdf["kind"], "pdf");
    assert_eq!(pdf["slug"], "maison-dl");
    assert_eq!(pdf["file_name"], "maison-dl-pdf.pdf");
    assert_eq!(pdf["size"], bytes.len());
    assert_eq!(
        (
            pdf["downloads_used"].as_u64(),
            pdf["downloads_remaining"].as_u64()
        ),
        (Some(0), Some(5))
    );
    assert!(
        pdf["url"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:8080/v1/downloads/")
    );
    let first = link(&app, pdf);
    // Other customers' links are not theirs to make: the other customer
    // lists nothing, and a forged token is refused.
    let mut forged = first.clone().into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_problem(
        fetch(&app, &forged).await,
        410,
        "/problems/download-link-expired",
    )
    .await;
    assert_problem(
        fetch(&app, "/v1/downloads/not-a-token").await,
        410,
        "/problems/download-link-expired",
    )
    .await;
    assert_problem(
        fetch(&app, "/v1/downloads/not.a.token").await,
        404,
        "/problems/not-found",
    )
    .await;

    // The file, as sent, as an attachment, never cached nor recompressed.
    let res = app
        .client
        .get(app.url(&first))
        .header("x-forwarded-for", "203.0.113.77")
        .header("user-agent", "DownloadAgent/7.3")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"maison-dl-pdf.pdf\""
    );
    assert_eq!(h["content-length"], bytes.len().to_string().as_str());
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("content-encoding").is_none_or(|e| *e == "identity"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(log_count(&app).await, 1);

    // A listed link expires; listing again gives a fresh one.
    let list = downloads(&app, &id, &claire).await;
    assert_eq!(entry(&list, &s.pdf)["downloads_remaining"], 4);
    let second = link(&app, entry(&list, &s.pdf));
    app.clock.advance(Duration::hours(24));
    // A day later, sessions are new too.
    let claire = app.login("claire@example.com", PASSWORD).await;
    let manager = app.login("manager@boutique.test", PASSWORD).await;
    assert_problem(
        fetch(&app, &second).await,
        410,
        "/problems/download-link-expired",
    )
    .await;
    assert_problem(
        fetch(&app, &first).await,
        410,
        "/problems/download-link-expired",
    )
    .await;
    let list = downloads(&app, &id, &claire).await;
    assert_eq!(
        entry(&list, &s.pdf)["downloads_used"],
        1,
        "expired tries do not count"
    );
    let fresh = link(&app, entry(&list, &s.pdf));

    // The limit: 5 downloads of the file for the order, then refused.
    for _ in 0..4 {
        let res = fetch(&app, &fresh).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().len(), bytes.len());
    }
    assert_problem(
        fetch(&app, &fresh).await,
        410,
        "/problems/download-limit-reached",
    )
    .await;
    let list = downloads(&app, &id, &claire).await;
    let pdf = entry(&list, &s.pdf);
    assert_eq!(
        (
            pdf["downloads_used"].as_u64(),
            pdf["downloads_remaining"].as_u64()
        ),
        (Some(5), Some(0))
    );
    assert!(pdf["url"].is_null());
    assert_eq!(log_count(&app).await, 5);

    // The CAD drawings arrive (other bytes: saved as .dwg).
    let dwg = b"AC1032 drawing".to_vec();
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.cad),
        "application/octet-stream",
        dwg.clone(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let list = downloads(&app, &id, &claire).await;
    let cad = entry(&list, &s.cad);
    assert_eq!(cad["file_name"], "maison-dl-cad.dwg");
    let res = fetch(&app, &link(&app, cad)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"maison-dl-cad.dwg\""
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), dwg.as_slice());

    // The source of a download is sealed: neither the address nor the
    // browser is in the database in clear.
    let dump = crate::privacy::raw_dump(&app.storage);
    assert!(!crate::privacy::contains(&dump, "203.0.113.77"));
    assert!(!crate::privacy::contains(&dump, "DownloadAgent/7.3"));

    // A guest, with the order's secret: links once paid, revoked by a
    // refund (the link listed before stops working).
    let (guest_order, secret) = order(
        &app,
        None,
        "invite@example.fr",
        &s.product,
        &[&s.pdf],
        false,
    )
    .await;
    let secret = secret.unwrap();
    act(&app, &manager, &guest_order, "mark_paid").await;
    let res = downloads_with(&app, &guest_order, None, Some(&secret)).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    let guest_link = link(&app, entry(&list, &s.pdf));
    assert_eq!(fetch(&app, &guest_link).await.status(), 200);
    // Claire's token does not read the guest's order.
    let res = downloads_with(&app, &guest_order, Some(&claire), None).await;
    assert_problem(res, 404, "/problems/not-found").await;
    // A partial refund (a commercial gesture) keeps the files; refunding
    // the rest ends them.
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/orders/{guest_order}/refunds"),
            &manager,
        )
        .json(&json!({"amount": 1000, "reason": "commercial gesture"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = downloads_with(&app, &guest_order, None, Some(&secret)).await;
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["status"], "partially_refunded");
    assert_eq!(list["downloads"].as_array().unwrap().len(), 1);
    refund(&app, &manager, &guest_order).await;
    let res = downloads_with(&app, &guest_order, None, Some(&secret)).await;
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["status"], "refunded");
    assert_eq!(list["downloads"], json!([]));
    assert_problem(
        fetch(&app, &guest_link).await,
        410,
        "/problems/download-link-expired",
    )
    .await;

    // Cancelled after payment (a printed set was being prepared): revoked.
    let (mixed, _) = order(
        &app,
        Some(&claire),
        "claire@example.com",
        &s.product,
        &[&s.pdf, &s.printed],
        true,
    )
    .await;
    assert_eq!(
        act(&app, &manager, &mixed, "mark_paid").await["status"],
        "processing"
    );
    let list = downloads(&app, &mixed, &claire).await;
    let mixed_link = link(&app, entry(&list, &s.pdf));
    assert_eq!(
        list["downloads"].as_array().unwrap().len(),
        1,
        "printed sets are shipped"
    );
    act(&app, &manager, &mixed, "cancel").await;
    let list = downloads(&app, &mixed, &claire).await;
    assert_eq!(list["downloads"], json!([]));
    assert_problem(
        fetch(&app, &mixed_link).await,
        410,
        "/problems/download-link-expired",
    )
    .await;

    // Staff remove a file: its downloads stop (404: not available).
    let (later, _) = order(
        &app,
        Some(&claire),
        "claire@example.com",
        &s.product,
        &[&s.pdf],
        false,
    )
    .await;
    act(&app, &manager, &later, "mark_paid").await;
    let list = downloads(&app, &later, &claire).await;
    let later_link = link(&app, entry(&list, &s.pdf));
    let res = app
        .with(Method::DELETE, &file_path(&s, &s.pdf), &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(fetch(&app, &later_link).await, 404, "/problems/not-found").await;
    let res = app
        .with(Method::DELETE, &file_path(&s, &s.pdf), &manager)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "/problems/not-found").await;
    assert_eq!(
        entry(&downloads(&app, &later, &claire).await, &s.pdf)["available"],
        false
    );

    // Every file change is audited.
    let admin = app.staff("admin@boutique.test", Role::Admin).await;
    let audit: Value = app
        .get_as("/v1/admin/audit-log?action=catalogue_changed", &admin)
        .await
        .json()
        .await
        .unwrap();
    let reasons = audit.to_string();
    assert!(
        reasons.contains(&format!("file of format {} set", s.pdf)),
        "{audit}"
    );
    assert!(
        reasons.contains(&format!("file of format {} removed", s.pdf)),
        "{audit}"
    );
}

#[tokio::test]
async fn shop_5_forty_concurrent_downloads_never_pass_the_limit() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let s = plan_for_sale(&app, "maison-ruee").await;
    let manager = app.staff("manager@boutique.test", Role::ShopManager).await;
    let bytes = pdf_bytes(70_000, 3);
    let res = upload(
        &app,
        &manager,
        &file_path(&s, &s.pdf),
        "application/pdf",
        bytes.clone(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let token = app.customer("ruee@example.com").await;
    let (id, _) = order(
        &app,
        Some(&token),
        "ruee@example.com",
        &s.product,
        &[&s.pdf],
        false,
    )
    .await;
    act(&app, &manager, &id, "mark_paid").await;
    let list = downloads(&app, &id, &token).await;
    let path = link(&app, entry(&list, &s.pdf));

    let results = futures_util::future::join_all((0..40).map(|_| {
        let app = &app;
        let path = path.clone();
        async move {
            let res = fetch(app, &path).await;
            let status = res.status().as_u16();
            let body = res.bytes().await.unwrap();
            (status, body)
        }
    }))
    .await;
    let ok: Vec<_> = results.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(
        ok.len(),
        5,
        "{:?}",
        results.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    for (_, body) in &ok {
        assert_eq!(body.as_ref(), bytes.as_slice());
    }
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 410, "{}", String::from_utf8_lossy(body));
        let problem: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
        assert_eq!(problem["type"], "/problems/download-limit-reached");
    }
    let list = downloads(&app, &id, &token).await;
    assert_eq!(entry(&list, &s.pdf)["downloads_used"], 5);
    assert_eq!(log_count(&app).await, 5);
}
