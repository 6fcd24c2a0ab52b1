//! A populated shop for the tests generated from the document: a
//! customer with things of each kind (holders.rs), the things the
//! document's creating operations make from their own examples, and the
//! means to call any operation as a caller it admits, on those things.

use reqwest::Method;
use serde_json::{Value, json};

use domain::clock::Clock as _;
use domain::identity::Role;

use crate::holders::{Fixture, Holding};
use crate::roles::{MATRIX, Who, fill};
use crate::shop::plan_for_sale;

pub(crate) const STRIPE_SECRET: &str = "whsec_hostile_sweep";

/// Makes the fields that must be unique (slugs, codes, e-mail addresses,
/// purpose keys) differ from one request to the next, so that the text
/// under test is not refused as a duplicate before it is stored.
/// Ids in an example body are the example's: these are real ones.
pub(crate) fn unique(value: &mut Value, n: u32, real: &[(&str, String)]) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match (k.as_str(), v.as_str()) {
                    ("slug" | "sku", Some(s)) => *v = json!(format!("{s}-{n}")),
                    ("key", Some(s)) => *v = json!(format!("{s}_{n}")),
                    ("code", Some(s)) => *v = json!(format!("{s}{n}")),
                    ("email", Some(s)) => *v = json!(format!("n{n}.{s}")),
                    (name, Some(_)) if real.iter().any(|(r, _)| *r == name) => {
                        *v = json!(real.iter().find(|(r, _)| *r == name).unwrap().1);
                    }
                    _ => unique(v, n, real),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| unique(v, n, real)),
        _ => {}
    }
}

/// Every string leaf of a JSON value, as JSON pointers.
pub(crate) fn string_leaves(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(at.to_owned()),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                string_leaves(v, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                string_leaves(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// One operation with a JSON body, as the document describes it.
pub(crate) struct BodyOperation {
    pub(crate) id: String,
    pub(crate) method: Method,
    pub(crate) template: String,
    pub(crate) example: Value,
}

pub(crate) fn body_operations(doc: &Value) -> Vec<BodyOperation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let content = &op["requestBody"]["content"]["application/json"];
            if content.is_null() {
                continue;
            }
            let example = content.get("example").cloned().or_else(|| {
                let name = content["schema"]["$ref"].as_str()?.rsplit('/').next()?;
                doc["components"]["schemas"][name].get("example").cloned()
            });
            ops.push(BodyOperation {
                id: op["operationId"].as_str().unwrap().to_owned(),
                method,
                template: path.clone(),
                example: example.unwrap_or_else(|| panic!("{path}: no example body")),
            });
        }
    }
    ops
}

/// The populated shop.
pub(crate) struct World {
    pub(crate) f: Fixture,
    pub(crate) doc: Value,
    pub(crate) admin: String,
    pub(crate) customer: String,
    pub(crate) customer_email: &'static str,
    pub(crate) holding: Holding,
    /// Ids of things the creating operations made, by their collection's
    /// path: `/v1/admin/coupons` -> `{coupon_id}` below it.
    pub(crate) made: Vec<(String, String)>,
    /// Things whose collection is elsewhere than their creation's path.
    pub(crate) named: Vec<(&'static str, String)>,
    /// Real ids for the body fields of these names.
    pub(crate) real: Vec<(&'static str, String)>,
    /// The operations with a JSON body.
    pub(crate) ops: Vec<BodyOperation>,
    /// What each creating operation answered, by operation id.
    pub(crate) created: Vec<(String, Value)>,
}

impl World {
    pub(crate) async fn new() -> Self {
        // Stripe's webhook is signed (`send`), so its payloads reach the
        // parser; the API address is one nothing listens on.
        let app = crate::helpers::spawn_app_with(|c| {
            c.trust_proxy = true;
            c.stripe_secret_key = Some("sk_test_sweep".into());
            c.stripe_webhook_secret = Some(STRIPE_SECRET.into());
            c.stripe_api_url = "http://127.0.0.1:9".into();
        })
        .await;
        // After the dates the document's examples give (a breach discovered
        // on 1 December cannot be recorded before it).
        app.clock
            .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 10, 12, 0, 0).unwrap());
        let (product, pdf, _) = plan_for_sale(&app, "maison-du-monde", 9_000).await;
        let manager = app
            .staff("manager@boutique.example", Role::ShopManager)
            .await;
        let admin = app.staff("admin@boutique.example", Role::Admin).await;
        let customer_email = "cible@example.fr";
        let customer = app.customer(customer_email).await;
        let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
        let f = Fixture {
            app,
            product,
            pdf,
            manager,
            n: 0,
        };
        let holding = f.customer(&customer, customer_email).await;
        let mut ops = body_operations(&doc);
        // A new policy version would make every later consent's example
        // version stale: those go last.
        ops.sort_by_key(|o| o.id == "admin_publish_legal_version");
        let me: Value = f
            .app
            .get_as("/v1/me", &customer)
            .await
            .json()
            .await
            .unwrap();
        let real = vec![
            ("customer_id", me["id"].as_str().unwrap().to_owned()),
            ("product_id", f.product.clone()),
            ("format_id", f.pdf.clone()),
        ];
        let named = vec![("product_id", f.product.clone())];
        let mut world = Self {
            f,
            doc,
            admin,
            customer,
            customer_email,
            holding,
            made: Vec::new(),
            named,
            real,
            ops,
            created: Vec::new(),
        };
        world.create().await;
        world
    }

    /// The creating operations (POST on a path without parameters) with
    /// their examples, real ids in them.
    async fn create(&mut self) {
        let creators: Vec<usize> = (0..self.ops.len())
            .filter(|&i| self.ops[i].method == Method::POST && !self.ops[i].template.contains('{'))
            .collect();
        for i in creators {
            let mut body = self.ops[i].example.clone();
            unique(&mut body, 0, &self.real);
            let template = self.ops[i].template.clone();
            let res = self.send(i, &template, &body).await;
            if res.status() == 201 {
                let body: Value = res.json().await.unwrap_or(Value::Null);
                self.created.push((self.ops[i].id.clone(), body.clone()));
                if let Some(id) = body["id"].as_str() {
                    self.made.push((template, id.to_owned()));
                    match self.ops[i].id.as_str() {
                        "send_contact_message" => self.named.push(("message_id", id.to_owned())),
                        "admin_create_article" => self
                            .named
                            .push(("slug", body["slug"].as_str().unwrap_or_default().to_owned())),
                        _ => {}
                    }
                }
            }
        }
    }

    /// A token the operation admits, by the role matrix: none where it is
    /// public, the customer's where a customer goes, the admin's for staff.
    pub(crate) fn token_for(&self, id: &str) -> Option<String> {
        match MATRIX.iter().find(|(o, _)| *o == id).unwrap().1 {
            Who::Public => None,
            Who::Holder | Who::SignedIn | Who::Customer => Some(self.customer.clone()),
            Who::Staff | Who::Admin => Some(self.admin.clone()),
        }
    }

    /// The template with real ids: things made here first (the
    /// collection's own), then the customer's, then the others by name;
    /// ids of nothing where none is known.
    pub(crate) fn path(&self, template: &str) -> String {
        let mut path = template.to_owned();
        for (collection, id) in &self.made {
            if let Some(rest) = path.strip_prefix(&format!("{collection}/{{"))
                && let Some(end) = rest.find('}')
            {
                path = format!("{collection}/{id}{}", &rest[end + 1..]);
            }
        }
        for (name, id) in self
            .holding
            .ids
            .iter()
            .map(|(n, i)| (*n, i))
            .chain(self.named.iter().map(|(n, i)| (*n, i)))
        {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        fill(&path)
    }

    /// Sends `body` to the `i`th operation at `path`, as a caller it admits.
    pub(crate) async fn send(&mut self, i: usize, path: &str, body: &Value) -> reqwest::Response {
        let token = self.token_for(&self.ops[i].id);
        let op = &self.ops[i];
        let (method, stripe) = (op.method.clone(), op.id == "stripe_webhook");
        let mut req = self
            .f
            .request(method, path)
            .header("x-access-reason", "a test generated from the document")
            .header("content-type", "application/json");
        let bytes = serde_json::to_vec(body).unwrap();
        if stripe {
            let t = self.f.app.clock.now().timestamp();
            req = req.header(
                "stripe-signature",
                format!("t={t},v1={}", api::stripe::sign(STRIPE_SECRET, t, &bytes)),
            );
        }
        req = req.body(bytes);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }
}
