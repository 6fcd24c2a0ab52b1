//! The OpenAPI document, generated from the same registrations as the router
//! (see [`crate::routes::configure`]), and the route table derived from it.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::AppExt;

use crate::problem::{FieldProblem, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Boutique API",
        description = "Privacy-first headless API of a shop selling house plans.\n\n\
Errors are RFC 9457 `application/problem+json` bodies; branch on their `type`. \
Lists take `limit` (1-100, default 20) and an opaque `cursor`, and answer \
`{\"items\": [...], \"next_cursor\": ...}`. Money is integer minor units plus \
an ISO 4217 currency. Ids are UUID v7; times are RFC 3339 UTC.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "catalogue", description = "The public catalogue of house plans"),
        (name = "auth", description = "Registration, login, logout and passwords. Log in with `POST /v1/auth/login`, then send `Authorization: Bearer <access_token>`."),
        (name = "me", description = "The signed-in customer's own account, addresses, sessions, consents and orders"),
        (name = "carts", description = "Carts of guests (used with their secret, `X-Cart-Secret`) and of signed-in customers, estimates of taxes and shipping, and checkout. Prices always come from the catalogue: a client never sends one."),
        (name = "orders", description = "An order, read or cancelled by its customer, or by a guest with its secret (`X-Order-Secret`)"),
        (name = "payments", description = "Card payments through Stripe: its webhook. The frontend starts a payment with `POST /v1/orders/{order_id}/payment`."),
        (name = "admin", description = "Staff tools: catalogue, customers (audited), orders (audited), staff, locks, audit log"),
        (name = "legal", description = "The privacy policy and the terms, versioned; the purposes consent is asked for"),
        (name = "newsletter", description = "Double opt-in subscription and one-click unsubscribe (RFC 8058)"),
        (name = "contact", description = "The contact form"),
        (name = "articles", description = "The shop's blog: articles and their moderated comments"),
        (name = "integrations", description = "Third-party systems: API keys (send `Authorization: Bearer bq_live_...`; each operation lists the scope it needs under `api_key`) and outgoing webhooks signed as Standard Webhooks specifies (`webhook-id`, `webhook-timestamp`, `webhook-signature`)"),
        (name = "meta", description = "Health checks and this API description"),
    ),
    servers((url = "/", description = "This server")),
    components(schemas(Problem, FieldProblem)),
    modifiers(&Security),
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let description = format!(
            "Every problem `type` the API answers with; the `type` of a Problem is one of \
these. Specific types (`email-taken`, `slug-taken`, `invalid-credentials`...) name what \
a client can act on; the others follow the HTTP status. Each type URI resolves to its \
explanation (`GET /problems/{{slug}}`):\n\n{}",
            problem_list(crate::problem::PROBLEM_TYPES, true)
        );
        components.schemas.insert(
            "ProblemType".to_owned(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .enum_values(Some(crate::problem::PROBLEM_TYPES.iter().copied()))
                .examples([serde_json::json!("/problems/validation-failed")])
                .into(),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bq_live_...")
                    .description(Some(
                        "An API key of a third-party system, made by an admin (`POST /v1/admin/api-keys`), sent as `Authorization: Bearer bq_live_...`. Each operation open to keys names the scope it needs (`catalogue:read`, `catalogue:write`, `orders:read`, `orders:write`, `customers:read`, `webhooks:manage`); other operations answer a key 403. Reads of personal data are audited under the key's name; each key has a rate per minute (429 with `Retry-After` beyond it).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cart_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Cart-Secret",
                "A guest cart's secret, as `POST /v1/carts` answered it (`secret`): whoever holds it uses the cart, so keep it like a password. A signed-in customer's cart needs the bearer token instead.",
            ))),
        );
        components.add_security_scheme(
            "order_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Order-Secret",
                "An order's secret, as the checkout answered it (`access_secret`) and as the confirmation e-mail's link carries it: how a guest reads or cancels their order. A customer's order needs the bearer token instead.",
            ))),
        );
    }
}

/// The OpenAPI document of every registered route.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    crate::links::declare(shared_problem_examples(typed_problems(api)))
}

/// Moves the examples of problem responses to `components/examples`, each
/// named after its problem type (and `reason`), and refers to them: many
/// operations answer the same problems, and one copy of each example keeps
/// the document readable.
fn shared_problem_examples(api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use serde_json::{Map, Value, json};
    let Ok(mut doc) = serde_json::to_value(&api) else {
        return api;
    };
    let mut shared = Map::new();
    let mut share = |value: Value, summary: Option<Value>| -> String {
        let kind = value["type"].as_str().unwrap_or("problem");
        let mut base = kind.rsplit('/').next().unwrap_or(kind).to_owned();
        if let Some(reason) = value["reason"].as_str() {
            base = format!("{base}-{}", reason.replace('_', "-"));
        }
        let mut name = base.clone();
        let mut n = 1;
        loop {
            match shared.get(&name) {
                Some(existing) if existing["value"] == value => return name,
                Some(_) => {
                    n += 1;
                    name = format!("{base}-{n}");
                }
                None => break,
            }
        }
        let summary = summary
            .or_else(|| value.get("title").cloned())
            .unwrap_or_else(|| json!(kind));
        shared.insert(name.clone(), json!({"summary": summary, "value": value}));
        name
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                    continue;
                };
                for response in responses.values_mut() {
                    let Some(media) = response
                        .pointer_mut("/content/application~1problem+json")
                        .and_then(Value::as_object_mut)
                    else {
                        continue;
                    };
                    let mut refs = Map::new();
                    if let Some(value) = media.remove("example") {
                        let name = share(value, None);
                        refs.insert(
                            name.clone(),
                            json!({"$ref": format!("#/components/examples/{name}")}),
                        );
                    }
                    if let Some(Value::Object(examples)) = media.remove("examples") {
                        for (_, example) in examples {
                            let name =
                                share(example["value"].clone(), example.get("summary").cloned());
                            refs.insert(
                                name.clone(),
                                json!({"$ref": format!("#/components/examples/{name}")}),
                            );
                        }
                    }
                    if !refs.is_empty() {
                        media.insert("examples".to_owned(), Value::Object(refs));
                    }
                }
            }
        }
    }
    if !shared.is_empty() {
        doc["components"]["examples"] = Value::Object(shared);
    }
    serde_json::from_value(doc).unwrap_or(api)
}

/// Gives each error response the problem types its status can carry: a
/// `Problem{status}` schema (`Problem` with `type` narrowed to an enum), so a
/// generated client switches on a closed union per response.
fn typed_problems(api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use serde_json::{Value, json};
    let Ok(mut doc) = serde_json::to_value(&api) else {
        return api;
    };
    let mut statuses = std::collections::BTreeSet::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                // Public operations say so: no credentials needed.
                op.entry("security").or_insert_with(|| json!([]));
                let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                    continue;
                };
                for (status, response) in responses.iter_mut() {
                    let Ok(code) = status.parse::<u16>() else {
                        continue;
                    };
                    let schema = response
                        .pointer_mut("/content/application~1problem+json/schema")
                        .filter(|s| {
                            s.get("$ref").and_then(Value::as_str)
                                == Some("#/components/schemas/Problem")
                        });
                    if let Some(schema) = schema
                        && crate::problem::PROBLEM_DOCS
                            .iter()
                            .any(|(_, s, _)| *s == code)
                    {
                        *schema = json!({"$ref": format!("#/components/schemas/Problem{code}")});
                        statuses.insert(code);
                    }
                }
            }
        }
    }
    if let Some(kind) = doc.pointer_mut("/components/schemas/Problem/properties/type") {
        // The Problem's `type` is one of ProblemType's values.
        let description = kind.get("description").cloned();
        *kind = json!({"$ref": "#/components/schemas/ProblemType"});
        if let Some(d) = description {
            kind["description"] = d;
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for code in statuses {
            let kinds: Vec<&str> = crate::problem::PROBLEM_DOCS
                .iter()
                .filter(|(_, s, _)| *s == code)
                .map(|(k, _, _)| *k)
                .collect();
            let mut schema = json!({
                "description": format!("A problem answered with status {code}: its `type` is one of these."),
                "allOf": [
                    {"$ref": "#/components/schemas/Problem"},
                    {"type": "object", "properties": {"type": {
                        "type": "string",
                        "description": format!("The problem types answered with status {code}:\n\n{}", problem_list(&kinds, false)),
                        "enum": kinds
                    }}}
                ]
            });
            if let Some(example) =
                crate::problem::example_problem(code).and_then(|p| serde_json::to_value(p).ok())
            {
                schema["example"] = example;
            }
            schemas.insert(format!("Problem{code}"), schema);
        }
    }
    serde_json::from_value(doc).unwrap_or(api)
}

/// A Markdown list of problem types, each with its meaning (and its status,
/// when `with_status`).
fn problem_list(kinds: &[&str], with_status: bool) -> String {
    kinds
        .iter()
        .filter_map(|kind| {
            crate::problem::problem_doc(kind).map(|(status, text)| {
                if with_status {
                    format!("- `{kind}` ({status}): {text}")
                } else {
                    format!("- `{kind}`: {text}")
                }
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The document rendered once at start-up, and the routes it declares.
#[derive(Debug)]
pub struct Spec {
    /// As JSON.
    pub json: String,
    /// As YAML.
    pub yaml: String,
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl Spec {
    /// Renders the document.
    ///
    /// # Errors
    /// When serialisation fails (a bug).
    pub fn build() -> anyhow::Result<Self> {
        let api = openapi();
        let json = api.to_pretty_json()?;
        let yaml = api.to_yaml()?;
        let mut routes = Vec::new();
        for (path, item) in &api.paths.paths {
            let value = serde_json::to_value(item)?;
            let mut methods: Vec<String> = value
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter(|k| {
                            [
                                "get", "put", "post", "delete", "patch", "options", "head", "trace",
                            ]
                            .contains(&k.as_str())
                        })
                        .map(|k| k.to_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            methods.sort();
            routes.push((segments(path), methods));
        }
        routes.push((segments("/docs"), vec!["GET".into()]));
        routes.push((segments("/docs/{file}"), vec!["GET".into()]));
        Ok(Self { json, yaml, routes })
    }

    /// The methods allowed on `path`, if some documented route matches it.
    #[must_use]
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<String>> {
        let parts = segments(path);
        let matching: Vec<(usize, &Vec<String>)> = self
            .routes
            .iter()
            .filter(|(pattern, _)| {
                pattern.len() == parts.len()
                    && pattern
                        .iter()
                        .zip(&parts)
                        .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
            })
            .map(|(pattern, methods)| {
                (
                    pattern.iter().filter(|p| !p.starts_with('{')).count(),
                    methods,
                )
            })
            .collect();
        // A concrete path wins over a template that also matches it
        // (`/products/import` over `/products/{product_id}`), as in OpenAPI.
        let best = matching.iter().map(|(literal, _)| *literal).max()?;
        let mut allowed: Vec<String> = matching
            .into_iter()
            .filter(|(literal, _)| *literal == best)
            .flat_map(|(_, m)| m.iter().cloned())
            .collect();
        allowed.sort();
        allowed.dedup();
        (!allowed.is_empty()).then_some(allowed)
    }
}

fn segments(path: &str) -> Vec<String> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {

    /// The post-processing steps read the document back from JSON and fall
    /// back to it unchanged when they cannot: a schema utoipa writes but
    /// cannot read (an untyped `serde_json::Value` body) would silently
    /// drop the typed problems and shared examples.
    #[test]
    fn the_generated_document_reads_back_from_json() {
        let (_, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(crate::routes::configure)
            .split_for_parts();
        let json = serde_json::to_value(&api).unwrap();
        if let Err(e) = serde_json::from_value::<utoipa::openapi::OpenApi>(json) {
            panic!("the document does not read back: {e}");
        }
    }

    use super::*;

    #[test]
    fn allowed_methods_follow_the_documented_paths() {
        let spec = Spec::build().unwrap();
        assert_eq!(
            spec.allowed_methods("/v1/products").unwrap(),
            ["GET", "HEAD"]
        );
        assert_eq!(
            spec.allowed_methods("/v1/products/abc").unwrap(),
            ["GET", "HEAD"]
        );
        assert!(spec.allowed_methods("/v1/products/").is_none());
        assert_eq!(
            spec.allowed_methods("/v1/admin/products/import").unwrap(),
            ["POST"]
        );
        assert_eq!(
            spec.allowed_methods("/v1/admin/products/abc").unwrap(),
            ["DELETE", "GET", "PUT"]
        );
        assert!(spec.allowed_methods("/v1/nothing").is_none());
    }

    #[test]
    fn every_operation_has_a_snake_case_id_a_tag_and_a_summary() {
        let doc = serde_json::to_value(openapi()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(
                    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{method} {path}: operationId {id:?}"
                );
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{method} {path}: tag"
                );
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}: summary"
                );
            }
        }
    }
}
