//! Staff roles and customer isolation (STAFF-1, SEC-7) through HTTP.

use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, link_token, spawn_app};

async fn me_id(app: &crate::helpers::TestApp, token: &str) -> String {
    let me: Value = app.get_as("/v1/me", token).await.json().await.unwrap();
    me["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn staff_1_a_customer_never_reaches_another_customers_addresses_or_sessions() {
    let app = spawn_app().await;
    let alice = app.customer("alice@example.fr").await;
    let bob = app.customer("bob@example.fr").await;
    let address = json!({"kind": "billing", "full_name": "Alice", "line1": "1 rue A", "postal_code": "75001", "city": "Paris", "country": "FR"});
    let created: Value = app
        .with(Method::POST, "/v1/me/addresses", &alice)
        .json(&address)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let addr = format!("/v1/me/addresses/{}", created["id"].as_str().unwrap());
    assert_problem(app.get_as(&addr, &bob).await, 404, "/problems/not-found").await;
    let res = app
        .with(Method::PUT, &addr, &bob)
        .json(&address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.with(Method::DELETE, &addr, &bob)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let bob_list: Value = app
        .get_as("/v1/me/addresses", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert!(bob_list["items"].as_array().unwrap().is_empty());

    let sessions: Value = app
        .get_as("/v1/me/sessions", &alice)
        .await
        .json()
        .await
        .unwrap();
    let alice_session = sessions["items"][0]["id"].as_str().unwrap();
    let res = app
        .with(
            Method::DELETE,
            &format!("/v1/me/sessions/{alice_session}"),
            &bob,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(app.get_as("/v1/me", &alice).await.status(), 200);
    // Customers have no staff tools.
    let alice_id = me_id(&app, &alice).await;
    let res = app
        .with(
            Method::GET,
            &format!("/v1/admin/customers/{alice_id}"),
            &bob,
        )
        .header("x-access-reason", "curious")
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "/problems/forbidden").await;
}

#[tokio::test]
async fn staff_1_staff_reads_of_customer_data_need_a_reason_and_are_audited() {
    let app = spawn_app().await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let admin = app.staff("boss@boutique.example", Role::Admin).await;
    let customer = app.customer("client@example.fr").await;
    let customer_id = me_id(&app, &customer).await;
    let manager_id = me_id(&app, &manager).await;

    let res = app
        .get_as(&format!("/v1/admin/customers/{customer_id}"), &manager)
        .await;
    let problem = assert_problem(res, 400, "/problems/validation-failed").await;
    assert_eq!(problem["errors"][0]["field"], "X-Access-Reason");

    let record: Value = app
        .with(
            Method::GET,
            &format!("/v1/admin/customers/{customer_id}"),
            &manager,
        )
        .header("x-access-reason", "refund of order 42")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["email"], "client@example.fr");
    let found: Value = app
        .with(
            Method::GET,
            "/v1/admin/customers?email=CLIENT@example.fr",
            &manager,
        )
        .header("x-access-reason", "customer called about delivery")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"][0]["id"], customer_id.as_str());

    let log: Value = app
        .get_as(
            &format!(
                "/v1/admin/audit-log?action=personal_data_accessed&target=customer:{customer_id}"
            ),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let reasons: Vec<&str> = entries
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"refund of order 42"));
    assert!(entries.iter().all(|e| e["actor"] == manager_id.as_str()));
}

#[tokio::test]
async fn staff_1_a_shop_manager_manages_the_catalogue_but_not_staff() {
    let app = spawn_app().await;
    let manager = app.staff("shop@boutique.example", Role::ShopManager).await;
    let res = app.get_as("/v1/admin/staff", &manager).await;
    assert_problem(res, 403, "/problems/forbidden").await;
    let res = app
        .with(Method::POST, "/v1/admin/staff", &manager)
        .json(&json!({"email": "new@boutique.example", "name": "New", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let plan = json!({
        "slug": "maison-test-100", "title": "Maison test 100 m²", "description": "Une maison de test.",
        "style": "modern", "living_area_m2": 100, "bedrooms": 3, "bathrooms": 1, "levels": 1, "garage_spaces": 0,
        "lot_width_m": 12.5, "lot_depth_m": 20.0, "image_urls": ["https://images.example/p.jpg"],
        "formats": [{"kind": "pdf", "sku": "TEST-100-PDF", "price_amount": 39000, "currency": "EUR"}],
        "published": false
    });
    let res = app
        .with(Method::POST, "/v1/admin/products", &manager)
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["published"], false);
    assert_eq!(created["lot_width_m"], 12.5);
    assert_eq!(
        app.get("/v1/products/maison-test-100").await.status(),
        404,
        "not published yet"
    );

    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/products/{id}/publish"),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let public: Value = app
        .get("/v1/products/maison-test-100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["from_price"]["amount"], 39000);

    let mut changed = plan.clone();
    changed["formats"][0]["price_amount"] = 35000.into();
    changed["published"] = true.into();
    let res = app
        .with(Method::PUT, &format!("/v1/admin/products/{id}"), &manager)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let public: Value = app
        .get("/v1/products/maison-test-100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["from_price"]["amount"], 35000);
    assert_eq!(
        public["formats"][0]["id"], created["formats"][0]["id"],
        "a format keeps its id across edits"
    );

    let dup = app
        .with(Method::POST, "/v1/admin/products", &manager)
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_problem(dup, 409, "/problems/slug-taken").await;

    let res = app
        .with(
            Method::DELETE,
            &format!("/v1/admin/products/{id}"),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/v1/products/maison-test-100").await.status(), 404);

    let customer = app.customer("buyer@example.fr").await;
    let res = app
        .with(Method::POST, "/v1/admin/products", &customer)
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn staff_1_admins_create_staff_with_a_set_password_link_and_change_roles() {
    let app = spawn_app().await;
    let admin = app.staff("root@boutique.example", Role::Admin).await;
    let res = app
        .with(Method::POST, "/v1/admin/staff", &admin)
        .json(&json!({"email": "marc@boutique.example", "name": "Marc", "role": "shop_manager"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let marc: Value = res.json().await.unwrap();
    let token = link_token(&app.mails_to("marc@boutique.example").await.pop().unwrap());
    assert_eq!(
        app.post_json(
            "/v1/auth/password/reset",
            &json!({"token": token, "new_password": PASSWORD})
        )
        .await
        .status(),
        204
    );
    let marc_token = app.login("marc@boutique.example", PASSWORD).await;
    assert_eq!(
        app.get_as("/v1/admin/products", &marc_token).await.status(),
        200
    );

    let res = app
        .with(
            Method::PUT,
            &format!("/v1/admin/staff/{}/role", marc["id"].as_str().unwrap()),
            &admin,
        )
        .json(&json!({"role": "customer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The role change applies to live sessions at once.
    assert_eq!(
        app.get_as("/v1/admin/products", &marc_token).await.status(),
        403
    );
    let staff: Value = app
        .get_as("/v1/admin/staff", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff["items"].as_array().unwrap().len(), 1);

    let log: Value = app
        .get_as("/v1/admin/audit-log?action=role_changed", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"] == "shop_manager -> customer")
    );

    let admin_id = me_id(&app, &admin).await;
    let res = app
        .with(
            Method::PUT,
            &format!("/v1/admin/staff/{admin_id}/role"),
            &admin,
        )
        .json(&json!({"role": "customer"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "/problems/self-demotion").await;
}

/// A plan and the audit entry that records its creation commit together:
/// when the audit append fails, no plan is left behind (SEC-3).
#[tokio::test]
async fn sec_3_a_plan_whose_audit_entry_cannot_be_written_is_not_created() {
    let app = spawn_app().await;
    let manager = app
        .staff("catalogue@boutique.example", Role::ShopManager)
        .await;
    let plan = json!({
        "slug": "maison-sans-trace", "title": "Maison sans trace", "description": "Une maison.",
        "style": "modern", "living_area_m2": 100, "bedrooms": 3, "bathrooms": 1, "levels": 1, "garage_spaces": 0,
        "lot_width_m": 12.5, "lot_depth_m": 20.0, "image_urls": [],
        "formats": [{"kind": "pdf", "sku": "TRACE-PDF", "price_amount": 39000, "currency": "EUR"}],
        "published": true
    });
    let before = app
        .app
        .db
        .query_strings("SELECT CAST(revision AS TEXT) FROM catalogue_revision")
        .await
        .unwrap();
    // Someone with database access breaks the audit log: appends now fail.
    app.raw_sql("ALTER TABLE audit_log RENAME TO audit_log_away")
        .await;
    let res = app
        .with(Method::POST, "/v1/admin/products", &manager)
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    app.raw_sql("ALTER TABLE audit_log_away RENAME TO audit_log")
        .await;

    let slugs = app
        .app
        .db
        .query_strings("SELECT slug FROM products WHERE slug = 'maison-sans-trace'")
        .await
        .unwrap();
    assert!(
        slugs.is_empty(),
        "the plan was written without its audit entry"
    );
    let formats = app
        .app
        .db
        .query_strings("SELECT sku FROM product_formats WHERE sku = 'TRACE-PDF'")
        .await
        .unwrap();
    assert!(formats.is_empty());
    let after = app
        .app
        .db
        .query_strings("SELECT CAST(revision AS TEXT) FROM catalogue_revision")
        .await
        .unwrap();
    assert_eq!(before, after, "the catalogue revision did not move");
    assert_eq!(
        app.get("/v1/products/maison-sans-trace").await.status(),
        404
    );

    // With the log back, the same request succeeds, audited.
    let res = app
        .with(Method::POST, "/v1/admin/products", &manager)
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let log: Value = app
        .get_as(
            "/v1/admin/audit-log?action=catalogue_changed",
            &app.staff("admin@boutique.example", Role::Admin).await,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
}
