//! The committed `openapi.yaml` is what the code generates.

#[test]
fn openapi_yaml_at_the_root_matches_the_code() {
    let generated = api::openapi::openapi().to_yaml().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    if std::env::var_os("BOUTIQUE_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml differs from the code: run `cargo run -p api -- openapi > openapi.yaml` \
         (or BOUTIQUE_UPDATE_OPENAPI=1 cargo test -p tests openapi) and commit it"
    );
}

#[test]
fn every_error_response_is_a_documented_problem() {
    let doc = serde_json::to_value(api::openapi::openapi()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                // HEAD answers have no body.
                if method != "head" && (status.starts_with('4') || status.starts_with('5')) {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        schema.as_str(),
                        Some(format!("#/components/schemas/Problem{status}").as_str()),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

// What a team reads: examples, units, enum values, names (issue 14, item 7).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::helpers::spawn_app;

fn document() -> Value {
    serde_json::to_value(api::openapi::openapi()).unwrap()
}

fn component_schemas(doc: &Value) -> &Map<String, Value> {
    doc["components"]["schemas"].as_object().unwrap()
}

/// The parts a schema is composed of (`allOf`, `oneOf`, `anyOf`), itself first.
fn parts(schema: &Value) -> Vec<&Value> {
    let mut all = vec![schema];
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            all.extend(parts(part));
        }
    }
    all
}

/// Whether a component schema describes a JSON object (directly or composed).
fn is_object(schema: &Value) -> bool {
    parts(schema)
        .iter()
        .any(|p| p["type"] == "object" || p.get("properties").is_some())
}

/// A schema's own examples: `example` and the items of `examples`.
fn examples_of(schema: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = schema.get("example").into_iter().collect();
    all.extend(schema["examples"].as_array().into_iter().flatten());
    all
}

/// Every operation: (method, path, operation).
fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((method.as_str(), path.as_str(), op));
        }
    }
    all
}

/// The examples of a media type (`example`, and `examples` with their
/// `$ref`s to `components/examples` resolved).
fn media_examples<'a>(doc: &'a Value, media: &'a Value) -> Vec<&'a Value> {
    let mut all: Vec<&Value> = media.get("example").into_iter().collect();
    for example in media["examples"]
        .as_object()
        .into_iter()
        .flat_map(Map::values)
    {
        let example = match example["$ref"].as_str() {
            Some(r) => doc
                .pointer(r.strip_prefix('#').unwrap())
                .unwrap_or_else(|| panic!("unresolved {r}")),
            None => example,
        };
        all.push(&example["value"]);
    }
    all
}

/// Every media type of every request body and response: (where, media).
fn media_types(doc: &Value) -> Vec<(String, &Value)> {
    let mut all = Vec::new();
    for (method, path, op) in operations(doc) {
        for (content_type, media) in op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            all.push((format!("{method} {path} request {content_type}"), media));
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            for (content_type, media) in response["content"].as_object().into_iter().flatten() {
                all.push((format!("{method} {path} {status} {content_type}"), media));
            }
        }
    }
    all
}

#[test]
fn every_object_schema_has_an_example() {
    let doc = document();
    for (name, schema) in component_schemas(&doc) {
        if is_object(schema) {
            assert!(!examples_of(schema).is_empty(), "{name} has no example");
        }
    }
}

#[test]
fn every_body_has_an_example() {
    let doc = document();
    for (place, media) in media_types(&doc) {
        let schema = &media["schema"];
        let component = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(|name| &doc["components"]["schemas"][name]);
        assert!(
            !media_examples(&doc, media).is_empty()
                || !examples_of(schema).is_empty()
                || component.is_some_and(|c| !examples_of(c).is_empty()),
            "{place} has no example"
        );
    }
}

/// The examples are what the API accepts or answers: each one passes the
/// checks the API runs on request bodies (types, required fields, enums,
/// formats, bounds, patterns).
#[test]
fn every_example_matches_its_schema() {
    let doc = document();
    let schemas = api::schema_check::Schemas::api();
    let mut checked = 0;
    for (name, schema) in component_schemas(&doc) {
        for example in examples_of(schema) {
            let errors = schemas.check(name, example);
            assert!(errors.0.is_empty(), "the example of {name}: {errors:?}");
            checked += 1;
        }
    }
    for (place, media) in media_types(&doc) {
        let Some(name) = media["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            continue;
        };
        for example in media_examples(&doc, media) {
            let errors = schemas.check(name, example);
            assert!(errors.0.is_empty(), "the example of {place}: {errors:?}");
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked} examples checked");
}

/// Every enumerated value is explained in its schema's description (or in
/// the description of the property or parameter it belongs to), quoted as
/// code. Country codes are the ISO 3166-1 list, which the description names.
#[test]
fn every_enum_value_is_explained() {
    fn walk(schema: &Value, context: Option<&str>, place: &str, checked: &mut usize) {
        let description = schema["description"].as_str().or(context);
        if let Some(values) = schema["enum"].as_array() {
            let text =
                description.unwrap_or_else(|| panic!("{place}: an enum without description"));
            if !text.contains("ISO 3166-1") {
                for value in values.iter().filter_map(Value::as_str) {
                    assert!(
                        text.contains(&format!("`{value}`")),
                        "{place}: the description does not explain `{value}`: {text}"
                    );
                    *checked += 1;
                }
            }
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let own = property["description"].as_str();
            walk(property, own, &format!("{place}.{name}"), checked);
        }
        for key in ["items", "propertyNames", "additionalProperties"] {
            if schema[key].is_object() {
                walk(
                    &schema[key],
                    description,
                    &format!("{place}[{key}]"),
                    checked,
                );
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema[key].as_array().into_iter().flatten() {
                walk(part, description, place, checked);
            }
        }
    }
    let doc = document();
    let mut checked = 0;
    for (name, schema) in component_schemas(&doc) {
        walk(schema, None, name, &mut checked);
    }
    for (method, path, op) in operations(&doc) {
        for param in op["parameters"].as_array().into_iter().flatten() {
            let place = format!("{method} {path} {}", param["name"]);
            walk(
                &param["schema"],
                param["description"].as_str(),
                &place,
                &mut checked,
            );
        }
    }
    // Styles, format kinds, roles, languages, sort keys, problem types...
    assert!(checked > 100, "{checked} values checked");
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Generated clients name their own types after operations (hey-api:
/// `LoginData`, `LoginResponse`, `LoginErrors`...; openapi-typescript:
/// `operations["login"]`): no schema may take such a name, and none carries
/// a `Dto`, `Request` or `Response` suffix.
#[test]
fn schema_names_do_not_clash_with_generated_client_types() {
    let doc = document();
    let mut generated = BTreeSet::new();
    for (_, _, op) in operations(&doc) {
        let id = pascal(op["operationId"].as_str().unwrap());
        for suffix in ["Data", "Error", "Errors", "Response", "Responses"] {
            generated.insert(format!("{id}{suffix}"));
        }
    }
    for name in component_schemas(&doc).keys() {
        for suffix in ["Dto", "DTO", "Request", "Response"] {
            assert!(!name.ends_with(suffix), "schema {name} ends in {suffix}");
        }
        assert!(
            !generated.contains(name),
            "schema {name} is the name of an operation's generated type"
        );
    }
}

/// Lower-case words of a text.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every property says what it is, not just its name again (`city: City.`,
/// `id: Id.`), and gives the unit or format its type leaves open: times are
/// RFC 3339 UTC, ids UUIDs, surfaces m², lengths metres, amounts cents.
#[test]
fn every_property_says_more_than_its_name() {
    let doc = document();
    let filler: BTreeSet<String> = ["the", "a", "an", "its", "of", "this", "it"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut checked = 0;
    for (schema_name, schema) in component_schemas(&doc) {
        for part in parts(schema) {
            for (name, property) in part["properties"].as_object().into_iter().flatten() {
                let place = format!("{schema_name}.{name}");
                // utoipa writes an optional enum's description on its
                // `oneOf` branch: `oneOf: [{$ref, description}, {type: null}]`.
                let description = parts(property)
                    .iter()
                    .find_map(|p| p["description"].as_str())
                    .unwrap_or_default()
                    .trim();
                assert!(!description.is_empty(), "{place} has no description");
                let plain = |s: &str| s.trim_end_matches('.').replace('_', " ").to_lowercase();
                assert_ne!(plain(description), plain(name), "{place} repeats its name");
                let said: BTreeSet<String> =
                    words(description).difference(&filler).cloned().collect();
                let named = words(&name.replace('_', " "));
                assert!(
                    !said.is_subset(&named),
                    "{place}: {description:?} only repeats the name"
                );
                let needs = |what: &str| {
                    assert!(
                        description.contains(what),
                        "{place} does not say {what:?}: {description}"
                    );
                };
                if property["format"] == "date-time" {
                    needs("RFC 3339");
                    needs("UTC");
                }
                if property["format"] == "uuid" {
                    needs("UUID");
                }
                if name.ends_with("_m2") {
                    needs("m²");
                }
                if name.ends_with("_m") {
                    needs("metres");
                }
                if name == "amount" || name.ends_with("_amount") {
                    needs("cents");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "{checked} properties checked");
}

/// The document's own search example finds something in the demo catalogue.
#[tokio::test]
async fn the_search_example_finds_demo_plans() {
    let doc = document();
    let q = doc["paths"]["/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "q")
        .and_then(|p| p["example"].as_str())
        .expect("the q parameter has an example")
        .to_owned();
    let app = spawn_app().await;
    app.seed_demo().await;
    let encoded: String = q
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let res = app.get(&format!("/v1/products?q={encoded}")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["total"].as_u64().is_some_and(|t| t > 0),
        "q={q} finds nothing in the demo catalogue: {body}"
    );
}

/// Every `$ref` of the document resolves: a schema used only by a query
/// parameter is not registered by itself, and generators stop on a dangling
/// reference.
#[test]
fn every_reference_resolves() {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    out.push(r);
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let doc = document();
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap_or(r);
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}
