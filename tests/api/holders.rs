//! The holder columns of the authorisation matrix (STAFF-1, SEC-7):
//! every operation of the document whose path names something a customer
//! or a guest owns (a cart, its line, an order, its complaint, an address,
//! a session, a review) is called on real things, by their holder and by
//! everyone else: customer B, a shop manager, nobody, a guest holding
//! another cart's or order's secret. Only the holder gets past the door;
//! the others get 401 without credentials and 404 with any others (ids
//! cannot be probed), and nothing they tried changed a thing. The
//! operations come from the document, so a new one cannot escape.

use std::collections::{BTreeMap, BTreeSet};

use domain::identity::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app_with};
use crate::shop::{buyer, guest_cart_with, plan_for_sale};

/// Path parameters naming something owned; any other parameter outside
/// `/v1/admin` must be in `PUBLIC_PARAMETERS`, or this test fails.
const OWNED: [&str; 7] = [
    "cart_id",
    "item_id",
    "order_id",
    "complaint_id",
    "address_id",
    "session_id",
    "review_id",
];
/// Parameters naming public things (or, for `token`, a credential itself).
const PUBLIC_PARAMETERS: [&str; 6] = [
    "slug",
    "document",
    "id_or_slug",
    "product_id",
    "token",
    "purpose",
];

/// One operation of the document that acts on an owned thing.
struct Owned {
    id: String,
    method: Method,
    template: String,
    /// The secret header a guest may use instead of a token, if any.
    secret_header: Option<&'static str>,
    /// Whether the token and the secret are both needed (merging a guest's
    /// cart into the customer's).
    needs_both: bool,
    body: Option<Value>,
}

fn owned_operations(doc: &Value) -> Vec<Owned> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/admin") {
            continue;
        }
        let parameters: Vec<&str> = path
            .split('{')
            .skip(1)
            .map(|p| p.split('}').next().unwrap())
            .collect();
        for p in &parameters {
            assert!(
                OWNED.contains(p) || PUBLIC_PARAMETERS.contains(p),
                "{path}: is {{{p}}} owned by someone? Say so in holders.rs"
            );
        }
        if !parameters.iter().any(|p| OWNED.contains(p)) {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let schemes: Vec<Vec<&str>> = op["security"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_object().unwrap().keys().map(String::as_str).collect())
                .collect();
            let flat: BTreeSet<&str> = schemes.iter().flatten().copied().collect();
            let secret_header = if flat.contains("cart_secret") {
                Some("X-Cart-Secret")
            } else if flat.contains("order_secret") {
                Some("X-Order-Secret")
            } else {
                None
            };
            let body = op["requestBody"]["content"]["application/json"]
                .as_object()
                .and_then(|c| c.get("example").cloned())
                .or_else(|| {
                    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                    let name = schema["$ref"].as_str()?.rsplit('/').next()?;
                    let example = doc["components"]["schemas"][name]["example"].clone();
                    (!example.is_null()).then_some(example)
                });
            ops.push(Owned {
                id: op["operationId"].as_str().unwrap().to_owned(),
                method,
                template: path.clone(),
                secret_header,
                needs_both: schemes.iter().any(|r| r.len() > 1),
                body,
            });
        }
    }
    ops
}

/// The things one holder owns, by path parameter, and their secrets.
#[derive(Default, Clone)]
pub(crate) struct Holding {
    pub(crate) ids: BTreeMap<&'static str, String>,
    cart_secret: Option<String>,
    order_secret: Option<String>,
}

impl Holding {
    fn path(&self, template: &str) -> Option<String> {
        let mut path = template.to_owned();
        for (name, id) in &self.ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        (!path.contains('{')).then_some(path)
    }

    fn secret(&self, header: &str) -> Option<&str> {
        match header {
            "X-Cart-Secret" => self.cart_secret.as_deref(),
            _ => self.order_secret.as_deref(),
        }
    }
}

/// Who calls: a token, a secret (from some holding), or nothing.
struct Caller<'a> {
    name: &'static str,
    token: Option<&'a str>,
    secrets: Option<&'a Holding>,
}

pub(crate) struct Fixture {
    pub(crate) app: TestApp,
    pub(crate) product: String,
    pub(crate) pdf: String,
    /// A shop manager's token (marks orders paid).
    pub(crate) manager: String,
    pub(crate) n: u32,
}

impl Fixture {
    /// A request from a source of its own (so no probe bans the test),
    /// with a fresh `Idempotency-Key`.
    pub(crate) fn request(&mut self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.n += 1;
        let n = self.n;
        self.app
            .client
            .request(method, self.app.url(path))
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", n / 62500, n / 250 % 250, n % 250 + 1),
            )
            .header("idempotency-key", format!("fixture-{n}"))
    }

    async fn call(&mut self, op: &Owned, path: &str, caller: &Caller<'_>) -> u16 {
        let mut req = self.request(op.method.clone(), path);
        if let Some(token) = caller.token {
            req = req.bearer_auth(token);
        }
        if let (Some(header), Some(holding)) = (op.secret_header, caller.secrets)
            && let Some(secret) = holding.secret(header)
        {
            req = req.header(header, secret);
        }
        if let Some(body) = &op.body {
            let mut body = body.clone();
            if op.id == "add_cart_item" {
                body = json!({"product_id": self.product, "format_id": self.pdf, "quantity": 1});
            }
            req = req.json(&body);
        }
        req.send().await.unwrap().status().as_u16()
    }

    async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        secret: Option<(&str, &str)>,
        body: &Value,
    ) -> Value {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(path))
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((h, s)) = secret {
            req = req.header(h, s);
        }
        let res = req
            .header("idempotency-key", uuid::Uuid::now_v7().to_string())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    async fn mark_paid(&self, order: &str) {
        let res = self
            .app
            .with(
                Method::POST,
                &format!("/v1/admin/orders/{order}/actions"),
                &self.manager,
            )
            .header("x-access-reason", "the holders test pays its orders")
            .json(&json!({"action": "mark_paid"}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "mark_paid: {}", res.status());
    }

    /// What the holders read of their things.
    async fn snapshot(&self, token: &str, alice: &Holding, guest: &Holding) -> Vec<Value> {
        let mut all = Vec::new();
        for path in [
            format!("/v1/carts/{}", alice.ids["cart_id"]),
            format!("/v1/orders/{}", alice.ids["order_id"]),
            format!("/v1/orders/{}/complaints", alice.ids["order_id"]),
            format!("/v1/me/addresses/{}", alice.ids["address_id"]),
            "/v1/me/reviews".to_owned(),
            "/v1/me/sessions".to_owned(),
        ] {
            let res = self.app.get_as(&path, token).await;
            assert_eq!(res.status(), 200, "{path}");
            all.push(res.json().await.unwrap());
        }
        for (path, header, secret) in [
            (
                format!("/v1/carts/{}", guest.ids["cart_id"]),
                "X-Cart-Secret",
                &guest.cart_secret,
            ),
            (
                format!("/v1/orders/{}", guest.ids["order_id"]),
                "X-Order-Secret",
                &guest.order_secret,
            ),
            (
                format!("/v1/orders/{}/complaints", guest.ids["order_id"]),
                "X-Order-Secret",
                &guest.order_secret,
            ),
        ] {
            let res = self
                .app
                .client
                .get(self.app.url(&path))
                .header(header, secret.as_deref().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            all.push(res.json().await.unwrap());
        }
        all
    }

    /// A customer's holding: an open cart with a line, a paid order with a
    /// complaint, an address, a second session, a review.
    pub(crate) async fn customer(&self, token: &str, email: &str) -> Holding {
        let mut h = Holding::default();
        // The order first: the checkout ends the cart it is made from.
        let cart = self
            .json(Method::POST, "/v1/carts", Some(token), None, &json!({}))
            .await;
        let cart_id = cart["id"].as_str().unwrap().to_owned();
        self.json(
            Method::POST,
            &format!("/v1/carts/{cart_id}/items"),
            Some(token),
            None,
            &json!({"product_id": self.product, "format_id": self.pdf}),
        )
        .await;
        let order = self
            .json(
                Method::POST,
                &format!("/v1/carts/{cart_id}/checkout"),
                Some(token),
                None,
                &buyer(email, "FR", false),
            )
            .await;
        let order_id = order["id"].as_str().unwrap().to_owned();
        self.mark_paid(&order_id).await;
        let complaint = self
            .json(
                Method::POST,
                &format!("/v1/orders/{order_id}/complaints"),
                Some(token),
                None,
                &json!({"kind": "complaint", "message": "Le plan ne s'ouvre pas du tout."}),
            )
            .await;
        let review = self
            .json(
                Method::POST,
                &format!("/v1/products/{}/reviews", self.product),
                Some(token),
                None,
                &json!({"rating": 4, "title": "Clair", "text": "Des plans clairs et complets."}),
            )
            .await;
        let address = self.json(Method::POST, "/v1/me/addresses", Some(token), None, &json!({"kind": "shipping", "full_name": "Jeanne Martin", "line1": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon", "country": "FR"})).await;
        let cart = self
            .json(Method::POST, "/v1/carts", Some(token), None, &json!({}))
            .await;
        let open = cart["id"].as_str().unwrap().to_owned();
        let cart = self
            .json(
                Method::POST,
                &format!("/v1/carts/{open}/items"),
                Some(token),
                None,
                &json!({"product_id": self.product, "format_id": self.pdf}),
            )
            .await;
        // A second session, the one `revoke_session` is tried on.
        self.app.login(email, PASSWORD).await;
        let sessions = self
            .app
            .get_as("/v1/me/sessions", token)
            .await
            .json::<Value>()
            .await
            .unwrap();
        let other = sessions["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] != true)
            .unwrap();
        h.ids.insert("cart_id", open);
        h.ids.insert(
            "item_id",
            cart["lines"][0]["id"].as_str().unwrap().to_owned(),
        );
        h.ids.insert("order_id", order_id);
        h.ids
            .insert("complaint_id", complaint["id"].as_str().unwrap().to_owned());
        h.ids
            .insert("review_id", review["id"].as_str().unwrap().to_owned());
        h.ids
            .insert("address_id", address["id"].as_str().unwrap().to_owned());
        h.ids
            .insert("session_id", other["id"].as_str().unwrap().to_owned());
        h
    }

    /// A guest's holding: a cart with a line, a paid order with a
    /// complaint, and their secrets.
    async fn guest(&self, email: &str) -> Holding {
        let mut h = Holding::default();
        let (cart, secret) = guest_cart_with(&self.app, &self.product, &self.pdf).await;
        let order = self
            .json(
                Method::POST,
                &format!("/v1/carts/{cart}/checkout"),
                None,
                Some(("X-Cart-Secret", &secret)),
                &buyer(email, "FR", false),
            )
            .await;
        let order_id = order["id"].as_str().unwrap().to_owned();
        let order_secret = order["access_secret"].as_str().unwrap().to_owned();
        self.mark_paid(&order_id).await;
        let complaint = self
            .json(
                Method::POST,
                &format!("/v1/orders/{order_id}/complaints"),
                None,
                Some(("X-Order-Secret", &order_secret)),
                &json!({"kind": "complaint", "message": "Le plan ne s'ouvre pas du tout."}),
            )
            .await;
        let (cart, secret) = guest_cart_with(&self.app, &self.product, &self.pdf).await;
        let lines = self
            .app
            .client
            .get(self.app.url(&format!("/v1/carts/{cart}")))
            .header("X-Cart-Secret", &secret)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        h.ids.insert("cart_id", cart);
        h.ids.insert(
            "item_id",
            lines["lines"][0]["id"].as_str().unwrap().to_owned(),
        );
        h.ids.insert("order_id", order_id);
        h.ids
            .insert("complaint_id", complaint["id"].as_str().unwrap().to_owned());
        h.cart_secret = Some(secret);
        h.order_secret = Some(order_secret);
        h
    }
}

/// The order the holder's own calls go in: reads, then changes, then
/// deletions, then what ends the thing (a checkout, a cancellation, a
/// merge), so each call still finds what it acts on.
fn rank(op: &Owned) -> u8 {
    match (op.id.as_str(), &op.method) {
        ("checkout_cart" | "cancel_order" | "merge_cart", _) => 3,
        (_, &Method::GET) => 0,
        (_, &Method::DELETE) => 2,
        _ => 1,
    }
}

#[tokio::test]
async fn staff_1_owned_things_answer_their_holder_only() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let (product, pdf, _) = plan_for_sale(&app, "maison-des-titulaires", 9_000).await;
    let manager = app
        .staff("manager@boutique.example", Role::ShopManager)
        .await;
    let a_token = app.customer("alice@example.fr").await;
    let b_token = app.customer("bruno@example.fr").await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut ops = owned_operations(&doc);
    let mut f = Fixture {
        app,
        product,
        pdf,
        manager,
        n: 0,
    };
    let alice = f.customer(&a_token, "alice@example.fr").await;
    // Bruno owns things too, so a wrong id is one that exists.
    let bruno = f.customer(&b_token, "bruno@example.fr").await;
    let guest = f.guest("gaelle@example.fr").await;
    let other_guest = f.guest("gilles@example.fr").await;
    assert!(ops.len() >= 20, "{} operations on owned things", ops.len());
    // Ids of nothing: everyone but a holder must get the same answers as
    // on real things.
    let mut nobodys = Holding::default();
    for name in OWNED {
        nobodys.ids.insert(name, uuid::Uuid::now_v7().to_string());
    }
    assert_ne!(bruno.ids["cart_id"], alice.ids["cart_id"]);

    let before = f.snapshot(&a_token, &alice, &guest).await;
    let mut failures = Vec::new();
    let mut tried = BTreeSet::new();
    let manager = f.manager.clone();
    // Everyone but the holder, first: none of it may change a thing.
    for op in &ops {
        for (holding, whose) in [
            (&alice, "customer A"),
            (&guest, "a guest"),
            (&nobodys, "nobody"),
        ] {
            let Some(path) = holding.path(&op.template) else {
                continue;
            };
            tried.insert(op.id.clone());
            let mut others = vec![
                (
                    Caller {
                        name: "customer B",
                        token: Some(&b_token),
                        secrets: None,
                    },
                    404,
                ),
                (
                    Caller {
                        name: "a shop manager",
                        token: Some(&manager),
                        secrets: None,
                    },
                    404,
                ),
                (
                    Caller {
                        name: "nobody",
                        token: None,
                        secrets: None,
                    },
                    401,
                ),
            ];
            if op.secret_header.is_some() {
                // A secret is a keyed hash of its id: a wrong one is a
                // forged credential (401), found without looking anything
                // up, so it tells nothing of whether the id exists.
                others.push((
                    Caller {
                        name: "another guest's secret",
                        token: None,
                        secrets: Some(&other_guest),
                    },
                    401,
                ));
                others.push((
                    Caller {
                        name: "customer B with another guest's secret",
                        token: Some(&b_token),
                        secrets: Some(&other_guest),
                    },
                    401,
                ));
            }
            for (caller, expected) in &others {
                let status = f.call(op, &path, caller).await;
                // Staff tokens may be refused as such where only customers go.
                // Merging answers a wrong secret with the 404 it gives
                // every caller that does not hold the guest's cart.
                let expected = if op.needs_both && caller.token.is_some() {
                    &404
                } else {
                    expected
                };
                let ok = status == *expected || (caller.name == "a shop manager" && status == 403);
                if !ok {
                    failures.push(format!(
                        "{} on {}'s {path} by {}: {status}, not {expected}",
                        op.id, whose, caller.name
                    ));
                }
            }
        }
    }
    let untried: Vec<_> = ops
        .iter()
        .filter(|o| !tried.contains(&o.id))
        .map(|o| o.id.as_str())
        .collect();
    assert!(untried.is_empty(), "no holding fills {untried:?}");

    assert_eq!(
        f.snapshot(&a_token, &alice, &guest).await,
        before,
        "a refused call changed something"
    );

    // Then the holders, who pass the door.
    ops.sort_by_key(rank);
    for op in &ops {
        for (holding, caller) in [
            (
                &alice,
                Caller {
                    name: "customer A",
                    token: Some(&a_token),
                    secrets: None,
                },
            ),
            (
                &guest,
                Caller {
                    name: "the guest",
                    token: op.needs_both.then_some(a_token.as_str()),
                    secrets: Some(&guest),
                },
            ),
        ] {
            let Some(path) = holding.path(&op.template) else {
                continue;
            };
            if caller.name == "the guest" && op.secret_header.is_none() {
                continue;
            }
            if caller.name == "customer A" && op.needs_both {
                continue;
            }
            let status = f.call(op, &path, &caller).await;
            // No card provider is configured here: starting a payment is
            // the documented 503 once the caller is through the door.
            let unavailable = op.id == "start_order_payment" && status == 503;
            if matches!(status, 401 | 403 | 404) || (status >= 500 && !unavailable) {
                failures.push(format!("{} on {path} by {}: {status}", op.id, caller.name));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
