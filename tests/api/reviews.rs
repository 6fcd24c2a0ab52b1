//! Reviews of plans (SHOP-6) and recently viewed plans (SHOP-2).

use domain::clock::Clock as _;
use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, plan, spawn_app};

fn buyer(email: &str) -> Value {
    let address = json!({
        "full_name": "Jeanne Martin", "line1": "12 rue des Lilas",
        "postal_code": "69003", "city": "Lyon", "country": "FR"
    });
    json!({
        "email": email,
        "name": "Jeanne Martin",
        "billing_address": address,
        "accept_terms": true,
        "privacy_policy_version": 1,
        "payment_method": "bank_transfer"
    })
}

/// A registered customer with this name, logged in.
async fn customer(app: &TestApp, email: &str, name: &str) -> String {
    assert_eq!(
        app.register(email, name, Some(PASSWORD)).await.status(),
        202
    );
    app.login(email, PASSWORD).await
}

/// Orders the plan's PDF as `token`'s customer; the order's id.
async fn order(app: &TestApp, token: &str, email: &str, product: &str, format: &str) -> String {
    let cart: Value = app
        .with(Method::POST, "/v1/carts", token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = cart["id"].as_str().unwrap().to_owned();
    let res = app
        .with(Method::POST, &format!("/v1/carts/{id}/items"), token)
        .json(&json!({"product_id": product, "format_id": format}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let res = app
        .with(Method::POST, &format!("/v1/carts/{id}/checkout"), token)
        .header("Idempotency-Key", format!("review-{id}"))
        .json(&buyer(email))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.unwrap();
    placed["id"].as_str().unwrap().to_owned()
}

async fn review(app: &TestApp, token: &str, product: &str, body: &Value) -> reqwest::Response {
    app.with(
        Method::POST,
        &format!("/v1/products/{product}/reviews"),
        token,
    )
    .json(body)
    .send()
    .await
    .unwrap()
}

async fn json_of(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn shop_6_only_buyers_review_once_and_only_approved_reviews_show_with_a_first_name() {
    let app = spawn_app().await;
    let sold = app.add_plan(plan("maison-avis", 3, 110, 30_000)).await;
    let product = sold.id.to_string();
    let pdf = sold.formats[0].id.to_string();
    let jeanne = customer(&app, "jeanne@example.fr", "Jeanne Marie Martin").await;
    let paul = customer(&app, "paul@example.fr", "Paul Durand").await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let good = json!({"rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris.\nMerci !"});

    // Nobody reviews before buying, nor with an order still unpaid.
    let res = review(&app, &jeanne, &product, &good).await;
    assert_problem(res, 409, "/problems/conflict").await;
    let order_id = order(&app, &jeanne, "jeanne@example.fr", &product, &pdf).await;
    let res = review(&app, &jeanne, &product, &good).await;
    assert_problem(res, 409, "/problems/conflict").await;
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/orders/{order_id}/actions"),
            &manager,
        )
        .json(&json!({"action": "mark_paid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Bad fields are refused one by one; an unknown plan is a 404.
    let res = review(
        &app,
        &jeanne,
        &product,
        &json!({"rating": 6, "title": "", "text": "x"}),
    )
    .await;
    let body = assert_problem(res, 400, "/problems/validation-failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"rating") && fields.contains(&"title"),
        "{body}"
    );
    let res = review(&app, &jeanne, "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60", &good).await;
    assert_problem(res, 404, "/problems/not-found").await;

    // The buyer reviews once: it waits for moderation, unseen.
    let res = review(&app, &jeanne, &product, &good).await;
    assert_eq!(res.status(), 201);
    let written: Value = res.json().await.unwrap();
    assert_eq!(written["status"], "pending");
    assert_eq!(written["author_first_name"], "Jeanne");
    let review_id = written["id"].as_str().unwrap().to_owned();
    let res = review(&app, &jeanne, &product, &good).await;
    assert_problem(res, 409, "/problems/conflict").await;
    // Another customer, who did not buy it, cannot review it.
    let res = review(&app, &paul, &product, &good).await;
    assert_problem(res, 409, "/problems/conflict").await;

    let public = json_of(app.get(&format!("/v1/products/{product}/reviews")).await).await;
    assert_eq!(public["items"], json!([]));
    assert!(public["rating"].is_null());
    let plan_json = json_of(app.get(&format!("/v1/products/{product}")).await).await;
    assert!(plan_json["rating"].is_null(), "{plan_json}");
    let mine = json_of(app.get_as("/v1/me/reviews", &jeanne).await).await;
    assert_eq!(mine["items"][0]["id"], review_id.as_str());
    assert_eq!(mine["items"][0]["status"], "pending");
    assert_eq!(
        json_of(app.get_as("/v1/me/reviews", &paul).await).await["items"],
        json!([])
    );

    // Staff see the text and the author's id, never the name.
    let queue = json_of(
        app.get_as("/v1/admin/reviews?status=pending", &manager)
            .await,
    )
    .await;
    let queued = &queue["items"][0];
    assert_eq!(queued["id"], review_id.as_str());
    assert_eq!(queued["title"], "Des plans très clairs");
    assert!(queued.get("author_first_name").is_none(), "{queued}");
    let res = app.get_as("/v1/admin/reviews?status=lost", &manager).await;
    assert_eq!(res.status(), 400);

    // Approved: shown with the first name only, counted in the catalogue.
    let approve = format!("/v1/admin/reviews/{review_id}/approve");
    let res = app
        .with(Method::POST, &approve, &jeanne)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "/problems/forbidden").await;
    let res = app
        .with(Method::POST, &approve, &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Approving twice changes nothing.
    let res = app
        .with(Method::POST, &approve, &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let public = json_of(app.get(&format!("/v1/products/{product}/reviews")).await).await;
    let items = public["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{public}");
    assert_eq!(items[0]["author_first_name"], "Jeanne");
    assert_eq!(items[0]["rating"], 5);
    assert_eq!(
        items[0]["text"],
        "Notre constructeur a tout compris.\nMerci !"
    );
    let text = public.to_string();
    assert!(
        !text.contains("Martin") && !text.contains("jeanne@"),
        "{text}"
    );
    assert_eq!(public["rating"], json!({"average": 5.0, "count": 1}));
    let plan_json = json_of(app.get(&format!("/v1/products/{product}")).await).await;
    assert_eq!(plan_json["rating"], json!({"average": 5.0, "count": 1}));
    let listed = json_of(app.get("/v1/products").await).await;
    assert_eq!(
        listed["items"][0]["rating"],
        json!({"average": 5.0, "count": 1})
    );

    // Paul buys it too and gives 2: the average is 3.5 once approved.
    let order_id = order(&app, &paul, "paul@example.fr", &product, &pdf).await;
    app.with(
        Method::POST,
        &format!("/v1/admin/orders/{order_id}/actions"),
        &manager,
    )
    .json(&json!({"action": "mark_paid"}))
    .send()
    .await
    .unwrap();
    let res = review(
        &app,
        &paul,
        &product,
        &json!({"rating": 2, "title": "Bof", "text": "Il manque une cave."}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let pauls: Value = res.json().await.unwrap();
    let pauls = pauls["id"].as_str().unwrap();
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/reviews/{pauls}/approve"),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let plan_json = json_of(app.get(&format!("/v1/products/{product}")).await).await;
    assert_eq!(plan_json["rating"], json!({"average": 3.5, "count": 2}));
    // Newest first, one page at a time.
    let page = json_of(
        app.get(&format!("/v1/products/{product}/reviews?limit=1"))
            .await,
    )
    .await;
    assert_eq!(page["items"][0]["author_first_name"], "Paul");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = json_of(
        app.get(&format!(
            "/v1/products/{product}/reviews?limit=1&cursor={cursor}"
        ))
        .await,
    )
    .await;
    assert_eq!(next["items"][0]["author_first_name"], "Jeanne");
    assert!(next["next_cursor"].is_null());

    // Rejected: gone from the list and from the rating.
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/reviews/{pauls}/reject"),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let plan_json = json_of(app.get(&format!("/v1/products/{product}")).await).await;
    assert_eq!(plan_json["rating"], json!({"average": 5.0, "count": 1}));
    let mine = json_of(app.get_as("/v1/me/reviews", &paul).await).await;
    assert_eq!(mine["items"][0]["status"], "rejected");

    // Moderation is audited.
    let log = json_of(
        app.get_as("/v1/admin/audit-log?action=review_moderated", &admin)
            .await,
    )
    .await;
    let targets: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            format!("review:{pauls}"),
            format!("review:{pauls}"),
            format!("review:{review_id}")
        ]
    );

    // The author deletes theirs: it leaves the rating; no one else can.
    let mine = format!("/v1/me/reviews/{review_id}");
    let res = app.with(Method::DELETE, &mine, &paul).send().await.unwrap();
    assert_problem(res, 404, "/problems/not-found").await;
    let res = app
        .with(Method::DELETE, &mine, &jeanne)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let plan_json = json_of(app.get(&format!("/v1/products/{product}")).await).await;
    assert!(plan_json["rating"].is_null(), "{plan_json}");
    let public = json_of(app.get(&format!("/v1/products/{product}/reviews")).await).await;
    assert_eq!(public["items"], json!([]));

    // An erased author's review vanishes from the list (its text no
    // longer opens); the plan's count is an anonymous figure.
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/reviews/{pauls}/approve"),
            &manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let public = json_of(app.get(&format!("/v1/products/{product}/reviews")).await).await;
    assert_eq!(public["items"][0]["author_first_name"], "Paul");
    let me = json_of(app.get_as("/v1/me", &paul).await).await;
    let paul_id: uuid::Uuid = me["id"].as_str().unwrap().parse().unwrap();
    app.app
        .keys
        .destroy(paul_id, app.clock.now())
        .await
        .unwrap();
    let public = json_of(app.get(&format!("/v1/products/{product}/reviews")).await).await;
    assert_eq!(public["items"], json!([]), "{public}");
    assert_eq!(public["rating"], json!({"average": 2.0, "count": 1}));
}

#[tokio::test]
async fn shop_6_concurrent_reviews_of_one_plan_by_one_buyer_make_one() {
    let app = spawn_app().await;
    let sold = app.add_plan(plan("maison-course", 2, 90, 20_000)).await;
    let product = sold.id.to_string();
    let pdf = sold.formats[0].id.to_string();
    let token = customer(&app, "rapide@example.fr", "Rapide").await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let order_id = order(&app, &token, "rapide@example.fr", &product, &pdf).await;
    app.with(
        Method::POST,
        &format!("/v1/admin/orders/{order_id}/actions"),
        &manager,
    )
    .json(&json!({"action": "mark_paid"}))
    .send()
    .await
    .unwrap();
    let body = json!({"rating": 4, "title": "Bien", "text": "Très bien."});
    let tries = (0..8).map(|_| review(&app, &token, &product, &body));
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    let mine = json_of(app.get_as("/v1/me/reviews", &token).await).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

/// Reads a plan as `token`'s customer, a minute after the previous read.
async fn read_plan(app: &TestApp, slug: &str, headers: &[(&str, &str)]) {
    app.clock.advance(chrono::Duration::minutes(1));
    let mut req = app.client.get(app.url(&format!("/v1/products/{slug}")));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    assert_eq!(req.send().await.unwrap().status(), 200);
}

fn slugs(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn shop_2_recently_viewed_keeps_the_last_15_distinct_plans() {
    let app = spawn_app().await;
    let mut plans = Vec::new();
    for i in 0..18 {
        plans.push(
            app.add_plan(plan(&format!("maison-vue-{i}"), 3, 100 + i, 30_000))
                .await,
        );
    }
    let token = app.customer("curieuse@example.fr").await;
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    // Read 0..18, then 2 again: the last 15 distinct, newest first.
    for p in &plans {
        read_plan(&app, p.slug.as_str(), &auth).await;
    }
    read_plan(&app, "maison-vue-2", &auth).await;
    read_plan(&app, "maison-vue-17", &auth).await;
    // Recorded after the answers.
    app.app.background.idle().await;
    let list = json_of(app.get_as("/v1/me/recently-viewed", &token).await).await;
    let mut expected: Vec<String> = (3..17).rev().map(|i| format!("maison-vue-{i}")).collect();
    expected.insert(0, "maison-vue-2".into());
    expected.insert(0, "maison-vue-17".into());
    expected.truncate(15);
    assert_eq!(slugs(&list), expected);
    let first = &list["items"][0];
    assert_eq!(first["id"], plans[17].id.to_string());
    assert_eq!(first["title"], "Maison maison-vue-17");
    assert_eq!(first["from_price"]["amount"], 30_000);
    assert!(first["viewed_at"].is_string());
    let rows = app
        .app
        .db
        .query_strings("SELECT CAST(COUNT(*) AS TEXT) FROM recently_viewed")
        .await
        .unwrap();
    assert_eq!(rows, ["15"], "only 15 rows are kept per person");

    // An unpublished plan is left out; an invalid token records nothing.
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let res = app
        .with(
            Method::POST,
            &format!("/v1/admin/products/{}/unpublish", plans[17].id),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    read_plan(&app, "maison-vue-0", &[("authorization", "Bearer forged")]).await;
    app.app.background.idle().await;
    let list = json_of(app.get_as("/v1/me/recently-viewed", &token).await).await;
    assert_eq!(slugs(&list)[0], "maison-vue-2");
    assert_eq!(slugs(&list).len(), 14);

    // A guest's views follow their cart, read with its secret only.
    let cart: Value = app
        .post_json("/v1/carts", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let (cart_id, secret) = (
        cart["id"].as_str().unwrap().to_owned(),
        cart["secret"].as_str().unwrap().to_owned(),
    );
    let guest = [
        ("x-cart-id", cart_id.as_str()),
        ("x-cart-secret", secret.as_str()),
    ];
    read_plan(&app, "maison-vue-5", &guest).await;
    read_plan(&app, "maison-vue-6", &guest).await;
    read_plan(
        &app,
        "maison-vue-7",
        &[("x-cart-id", cart_id.as_str()), ("x-cart-secret", "wrong")],
    )
    .await;
    app.app.background.idle().await;
    let path = format!("/v1/carts/{cart_id}/recently-viewed");
    let list = json_of(
        app.client
            .get(app.url(&path))
            .header("x-cart-secret", &secret)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(slugs(&list), ["maison-vue-6", "maison-vue-5"]);
    let res = app
        .client
        .get(app.url(&path))
        .header("x-cart-secret", "wrong")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, "/problems/unauthorized").await;
    let res = app.get(&path).await;
    assert_problem(res, 401, "/problems/unauthorized").await;
    // The customer's list did not change.
    let list = json_of(app.get_as("/v1/me/recently-viewed", &token).await).await;
    assert_eq!(slugs(&list).len(), 14);
}
