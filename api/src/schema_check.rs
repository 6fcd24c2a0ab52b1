//! Request bodies checked against the schemas of the OpenAPI document the
//! API publishes, so what is refused is exactly what the document says, all
//! of it at once, each refusal a field error with a stable code.
//!
//! The document's component schemas are compiled once (patterns included)
//! into a tree of [`Node`]s; a body is walked against its operation's
//! schema, covering `type` (and `null` in type arrays or `oneOf`), `enum`,
//! `required`, `properties`, `additionalProperties`, `minLength` and
//! `maxLength` (in Unicode code points, as JSON Schema counts), `pattern`,
//! `format` (`date-time`, `date`, `uuid` and integer ranges), `minimum`,
//! `maximum` (and their exclusive forms), `items`, `minItems`, `maxItems`,
//! `allOf`, `oneOf`, `anyOf` and `$ref`. Fields are named by their JSON
//! path (`formats[0].sku`); the body as a whole is `body`.

use std::collections::HashMap;
use std::sync::OnceLock;

use domain::{FieldCode, FieldError, FieldErrors};
use regex::Regex;
use serde_json::Value;

use crate::i18n::{Lang, for_code};

/// The field name of the body as a whole (when it is not an object).
pub const BODY: &str = "body";

/// At most this many errors are listed: enough for any form, bounded for
/// a body crafted to have thousands.
const MAX_ERRORS: usize = 100;

/// How deep `$ref`s may nest when deciding whether a schema admits `null`.
const MAX_REF_DEPTH: usize = 32;

#[derive(Debug, Default)]
enum Additional {
    /// Any other property is accepted.
    #[default]
    Any,
    /// No other property (`additionalProperties: false`).
    Refused,
    /// Other properties must match this schema.
    Schema(Box<Node>),
}

/// One compiled schema.
#[derive(Debug, Default)]
struct Node {
    reference: Option<String>,
    types: Option<Vec<String>>,
    enumeration: Option<Vec<Value>>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Regex>,
    format: Option<String>,
    minimum: Option<(f64, bool)>,
    maximum: Option<(f64, bool)>,
    items: Option<Box<Node>>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    properties: Vec<(String, Node)>,
    required: Vec<String>,
    additional: Additional,
    all_of: Vec<Node>,
    any_of: Vec<Node>,
    /// `x-max-bytes`: the most bytes the value takes once serialised.
    max_bytes: Option<u64>,
}

impl Node {
    fn compile(schema: &Value, bad_patterns: &mut Vec<String>) -> Self {
        let Some(s) = schema.as_object() else {
            // `true` or an absent schema accepts anything.
            return Self::default();
        };
        let number = |k: &str| s.get(k).and_then(Value::as_f64);
        let count = |k: &str| s.get(k).and_then(Value::as_u64);
        let list = |k: &str, bad: &mut Vec<String>| -> Vec<Node> {
            s.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|n| Self::compile(n, bad)).collect())
                .unwrap_or_default()
        };
        let pattern = s.get("pattern").and_then(Value::as_str).and_then(|p| {
            Regex::new(p)
                .inspect_err(|_| bad_patterns.push(p.to_owned()))
                .ok()
        });
        let mut any_of = list("oneOf", bad_patterns);
        any_of.extend(list("anyOf", bad_patterns));
        Self {
            reference: s
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .map(str::to_owned),
            types: match s.get("type") {
                Some(Value::String(t)) => Some(vec![t.clone()]),
                Some(Value::Array(ts)) => Some(
                    ts.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                ),
                _ => None,
            },
            enumeration: s
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .or_else(|| s.get("const").map(|c| vec![c.clone()])),
            min_length: count("minLength"),
            max_length: count("maxLength"),
            pattern,
            format: s.get("format").and_then(Value::as_str).map(str::to_owned),
            minimum: number("exclusiveMinimum")
                .map(|m| (m, true))
                .or_else(|| number("minimum").map(|m| (m, false))),
            maximum: number("exclusiveMaximum")
                .map(|m| (m, true))
                .or_else(|| number("maximum").map(|m| (m, false))),
            items: s
                .get("items")
                .map(|i| Box::new(Self::compile(i, bad_patterns))),
            min_items: count("minItems"),
            max_items: count("maxItems"),
            properties: s
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .map(|(k, v)| (k.clone(), Self::compile(v, bad_patterns)))
                        .collect()
                })
                .unwrap_or_default(),
            required: s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            additional: match s.get("additionalProperties") {
                Some(Value::Bool(false)) => Additional::Refused,
                Some(v @ Value::Object(_)) => {
                    Additional::Schema(Box::new(Self::compile(v, bad_patterns)))
                }
                _ => Additional::Any,
            },
            all_of: list("allOf", bad_patterns),
            any_of,
            max_bytes: count("x-max-bytes"),
        }
    }

    /// Whether this schema is `{"type": "null"}` and nothing else.
    fn only_null(&self) -> bool {
        self.types.as_deref() == Some(&["null".to_owned()][..])
    }
}

/// The document's component schemas, compiled.
#[derive(Debug)]
pub struct Schemas {
    nodes: HashMap<String, Node>,
    bad_patterns: Vec<String>,
    /// [`Schemas::max_bytes`] of each schema, computed once (bodies ask
    /// for it on every request).
    max_bytes: HashMap<String, Option<u64>>,
}

impl Schemas {
    /// Compiles the component schemas of an OpenAPI document (as JSON).
    #[must_use]
    pub fn from_document(doc: &Value) -> Self {
        let mut bad_patterns = Vec::new();
        let nodes = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|s| {
                s.iter()
                    .map(|(name, schema)| (name.clone(), Node::compile(schema, &mut bad_patterns)))
                    .collect()
            })
            .unwrap_or_default();
        let mut schemas = Self {
            nodes,
            bad_patterns,
            max_bytes: HashMap::new(),
        };
        schemas.max_bytes = schemas
            .nodes
            .iter()
            .map(|(name, node)| (name.clone(), schemas.node_max_bytes(node, 0)))
            .collect();
        schemas
    }

    /// The schemas of the API's own document, compiled on first use.
    pub fn api() -> &'static Self {
        static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
        SCHEMAS.get_or_init(|| {
            let doc = serde_json::to_value(crate::openapi::openapi()).unwrap_or_default();
            Self::from_document(&doc)
        })
    }

    /// Whether the document has a component schema of this name.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.nodes.contains_key(name)
    }

    /// The patterns that did not compile (they are not checked).
    #[must_use]
    pub fn bad_patterns(&self) -> &[String] {
        &self.bad_patterns
    }

    /// Every way `value` breaks the component schema `name` (nothing when
    /// the document has no such schema).
    #[must_use]
    pub fn check(&self, name: &str, value: &Value) -> FieldErrors {
        let mut walk = Walk {
            schemas: self,
            errors: FieldErrors::default(),
        };
        if let Some(node) = self.nodes.get(name) {
            walk.node(node, value, "");
        }
        walk.errors
    }

    /// The most bytes a compact JSON document valid against the component
    /// schema `name` can take, every character escaped at its longest
    /// (`\ud83c\udfe0`, 12 bytes); `None` when the schema sets no bound
    /// (a string without `maxLength`, an array without `maxItems`, an
    /// object open to other properties). A body limit below it would
    /// refuse bodies the document allows.
    #[must_use]
    pub fn max_bytes(&self, name: &str) -> Option<u64> {
        self.max_bytes.get(name).copied().flatten()
    }

    fn node_max_bytes(&self, node: &Node, depth: usize) -> Option<u64> {
        if depth > MAX_REF_DEPTH {
            return None;
        }
        if let Some(r) = &node.reference {
            return self
                .nodes
                .get(r)
                .and_then(|n| self.node_max_bytes(n, depth + 1));
        }
        if let Some(bytes) = node.max_bytes {
            // Each serialised byte may come as a `\u00XX` escape.
            return Some(bytes * 6);
        }
        if let Some(values) = &node.enumeration {
            return values
                .iter()
                .map(|v| serde_json::to_string(v).ok().map(|s| s.len() as u64))
                .try_fold(0, |max, len| len.map(|l| max.max(l)));
        }
        if !node.any_of.is_empty() {
            return node
                .any_of
                .iter()
                .map(|n| self.node_max_bytes(n, depth + 1))
                .try_fold(0, |max, len| len.map(|l| max.max(l)));
        }
        if !node.all_of.is_empty() {
            // Parts of one object: their sum bounds it.
            return node
                .all_of
                .iter()
                .map(|n| self.node_max_bytes(n, depth + 1))
                .try_fold(0, |sum, len| len.map(|l| sum + l));
        }
        let types: Vec<&str> = match &node.types {
            Some(t) => t.iter().map(String::as_str).collect(),
            None if !node.properties.is_empty() => vec!["object"],
            None => return None,
        };
        types
            .into_iter()
            .map(|t| match t {
                "null" => Some(4),
                "boolean" => Some(5),
                // The longest i64 or f64 in JSON.
                "integer" | "number" => Some(24),
                "string" => match node.format.as_deref() {
                    Some("uuid") => Some(38),
                    // RFC 3339 with nanoseconds and an offset is 37 bytes.
                    Some("date-time") => Some(64),
                    Some("date") => Some(16),
                    _ => node.max_length.map(|m| m * 12 + 2),
                },
                "array" => {
                    let item = node
                        .items
                        .as_ref()
                        .and_then(|i| self.node_max_bytes(i, depth + 1))?;
                    node.max_items.map(|m| m * (item + 1) + 2)
                }
                "object" => {
                    if !matches!(node.additional, Additional::Refused) {
                        return None;
                    }
                    node.properties
                        .iter()
                        .map(|(key, n)| {
                            self.node_max_bytes(n, depth + 1)
                                .map(|v| key.len() as u64 + 4 + v)
                        })
                        .try_fold(2, |sum, len| len.map(|l| sum + l))
                }
                _ => None,
            })
            .try_fold(0, |max, len| len.map(|l| max.max(l)))
    }

    fn allows_null(&self, node: &Node, depth: usize) -> bool {
        if depth > MAX_REF_DEPTH {
            return false;
        }
        if let Some(r) = &node.reference {
            return self
                .nodes
                .get(r)
                .is_some_and(|n| self.allows_null(n, depth + 1));
        }
        if node
            .enumeration
            .as_ref()
            .is_some_and(|e| !e.contains(&Value::Null))
        {
            return false;
        }
        node.types
            .as_ref()
            .is_none_or(|t| t.iter().any(|t| t == "null"))
            && (node.any_of.is_empty()
                || node.any_of.iter().any(|n| self.allows_null(n, depth + 1)))
            && node.all_of.iter().all(|n| self.allows_null(n, depth + 1))
    }
}

struct Walk<'a> {
    schemas: &'a Schemas,
    errors: FieldErrors,
}

impl Walk<'_> {
    fn push(&mut self, path: &str, code: FieldCode, params: Vec<(&'static str, String)>) {
        if self.errors.0.len() >= MAX_ERRORS {
            return;
        }
        self.errors.push_error(FieldError {
            field: if path.is_empty() {
                BODY.to_owned()
            } else {
                path.to_owned()
            },
            code,
            message: for_code(Lang::En, code, &params),
            params,
        });
    }

    fn full(&self) -> bool {
        self.errors.0.len() >= MAX_ERRORS
    }

    fn node(&mut self, node: &Node, value: &Value, path: &str) {
        if self.full() {
            return;
        }
        if value.is_null() {
            if !self.schemas.allows_null(node, 0) {
                self.push(path, FieldCode::NullNotAllowed, Vec::new());
            }
            return;
        }
        if let Some(target) = node
            .reference
            .as_ref()
            .and_then(|r| self.schemas.nodes.get(r))
        {
            self.node(target, value, path);
        }
        for part in &node.all_of {
            self.node(part, value, path);
        }
        self.any_of(node, value, path);
        if !self.types(node, value, path) {
            return;
        }
        if let Some(allowed) = &node.enumeration
            && !allowed.contains(value)
        {
            let values: Vec<String> = allowed
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            self.push(
                path,
                FieldCode::UnknownValue,
                vec![("values", values.join(", "))],
            );
            return;
        }
        match value {
            Value::String(s) => self.string(node, s, path),
            Value::Number(n) => self.number(node, n, path),
            Value::Array(items) => self.array(node, items, path),
            Value::Object(map) => self.object(node, map, path),
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// `oneOf`/`anyOf`: the value must match one of the branches that take
    /// something other than `null` (`null` was decided already). With one
    /// such branch (utoipa's `Option<Enum>`), its own errors are reported.
    fn any_of(&mut self, node: &Node, value: &Value, path: &str) {
        let branches: Vec<&Node> = node.any_of.iter().filter(|b| !b.only_null()).collect();
        match branches.as_slice() {
            [] => {}
            [only] => self.node(only, value, path),
            [first, ..] => {
                let matches = branches.iter().any(|b| {
                    let mut trial = Walk {
                        schemas: self.schemas,
                        errors: FieldErrors::default(),
                    };
                    trial.node(b, value, path);
                    trial.errors.is_empty()
                });
                if !matches {
                    self.node(first, value, path);
                }
            }
        }
    }

    /// Whether the value has one of the node's types (else reports it).
    fn types(&mut self, node: &Node, value: &Value, path: &str) -> bool {
        let Some(types) = &node.types else {
            return true;
        };
        let ok = types.iter().any(|t| match (t.as_str(), value) {
            ("string", Value::String(_))
            | ("boolean", Value::Bool(_))
            | ("object", Value::Object(_))
            | ("array", Value::Array(_))
            | ("number", Value::Number(_)) => true,
            ("integer", Value::Number(n)) => whole(n).is_some(),
            _ => false,
        });
        if !ok {
            self.push(
                path,
                FieldCode::InvalidType,
                vec![("types", types.join(","))],
            );
        }
        ok
    }

    fn string(&mut self, node: &Node, s: &str, path: &str) {
        let length = u64::try_from(s.chars().count()).unwrap_or(u64::MAX);
        if let Some(min) = node.min_length
            && length < min
        {
            self.push(path, FieldCode::TooShort, vec![("min", min.to_string())]);
        } else if let Some(max) = node.max_length
            && length > max
        {
            self.push(path, FieldCode::TooLong, vec![("max", max.to_string())]);
        } else if node.pattern.as_ref().is_some_and(|p| !p.is_match(s)) {
            self.push(path, FieldCode::InvalidFormat, Vec::new());
        } else if let Some(format) = &node.format
            && !string_format(format, s)
        {
            self.push(
                path,
                FieldCode::InvalidFormat,
                vec![("format", format.clone())],
            );
        }
    }

    fn number(&mut self, node: &Node, n: &serde_json::Number, path: &str) {
        let v = n.as_f64().unwrap_or(f64::NAN);
        let (format_min, format_max) = node
            .format
            .as_deref()
            .and_then(integer_range)
            .map_or((None, None), |(lo, hi)| (Some(lo), Some(hi)));
        let too_small = |(bound, exclusive): (f64, bool)| {
            if exclusive { v <= bound } else { v < bound }
        };
        let too_large = |(bound, exclusive): (f64, bool)| {
            if exclusive { v >= bound } else { v > bound }
        };
        if let Some(min) = node.minimum.filter(|m| too_small(*m)) {
            self.push(path, FieldCode::TooSmall, bound("min", min));
        } else if let Some(max) = node.maximum.filter(|m| too_large(*m)) {
            self.push(path, FieldCode::TooLarge, bound("max", max));
        } else if let Some(min) = format_min.filter(|m| v < *m) {
            self.push(path, FieldCode::TooSmall, bound("min", (min, false)));
        } else if let Some(max) = format_max.filter(|m| v > *m) {
            self.push(path, FieldCode::TooLarge, bound("max", (max, false)));
        }
    }

    fn array(&mut self, node: &Node, items: &[Value], path: &str) {
        let count = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let unit = ("unit", "items".to_owned());
        if let Some(min) = node.min_items
            && count < min
        {
            self.push(
                path,
                FieldCode::TooShort,
                vec![("min", min.to_string()), unit],
            );
        } else if let Some(max) = node.max_items
            && count > max
        {
            self.push(
                path,
                FieldCode::TooLong,
                vec![("max", max.to_string()), unit],
            );
        }
        if let Some(schema) = &node.items {
            for (i, item) in items.iter().enumerate() {
                self.node(schema, item, &format!("{path}[{i}]"));
            }
        }
    }

    fn object(&mut self, node: &Node, map: &serde_json::Map<String, Value>, path: &str) {
        for (key, v) in map {
            let child = child_path(path, key);
            match node.properties.iter().find(|(k, _)| k == key) {
                Some((_, schema)) => self.node(schema, v, &child),
                None => match &node.additional {
                    Additional::Any => {}
                    Additional::Refused => self.push(&child, FieldCode::UnknownField, Vec::new()),
                    Additional::Schema(schema) => self.node(schema, v, &child),
                },
            }
        }
        for key in &node.required {
            if !map.contains_key(key) {
                self.push(&child_path(path, key), FieldCode::Required, Vec::new());
            }
        }
    }
}

/// A number's value when it is whole (`14` or `14.0`, as JSON Schema's
/// `integer` admits).
fn whole(n: &serde_json::Number) -> Option<f64> {
    if n.is_i64() || n.is_u64() {
        return n.as_f64();
    }
    n.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0)
}

/// The range an integer `format` allows.
fn integer_range(format: &str) -> Option<(f64, f64)> {
    match format {
        "int8" => Some((f64::from(i8::MIN), f64::from(i8::MAX))),
        "uint8" => Some((0.0, f64::from(u8::MAX))),
        "int16" => Some((f64::from(i16::MIN), f64::from(i16::MAX))),
        "uint16" => Some((0.0, f64::from(u16::MAX))),
        "int32" => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
        "uint32" => Some((0.0, f64::from(u32::MAX))),
        #[expect(clippy::cast_precision_loss, reason = "a bound, not a value")]
        "int64" => Some((i64::MIN as f64, i64::MAX as f64)),
        #[expect(clippy::cast_precision_loss, reason = "a bound, not a value")]
        "uint64" => Some((0.0, u64::MAX as f64)),
        _ => None,
    }
}

/// Whether a string has the shape of its `format` (unknown formats pass).
fn string_format(format: &str, s: &str) -> bool {
    match format {
        "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        "uuid" => uuid::Uuid::parse_str(s).is_ok(),
        _ => true,
    }
}

/// A numeric bound as message parameters (whole bounds without `.0`).
fn bound(name: &'static str, (value, exclusive): (f64, bool)) -> Vec<(&'static str, String)> {
    let mut params = vec![(name, Value::from(value).to_string())];
    if value.fract() == 0.0 && value.abs() < 9e15 {
        #[expect(clippy::cast_possible_truncation, reason = "whole and in range")]
        let whole = value as i64;
        params[0].1 = whole.to_string();
    }
    if exclusive {
        params.push(("exclusive", "true".to_owned()));
    }
    params
}

/// The path of `key` inside `parent`: `parent.key`, or `parent["k e y"]`
/// for a key that is not a plain name (shortened: it comes from the client).
pub fn child_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        if parent.is_empty() {
            key.to_owned()
        } else {
            format!("{parent}.{key}")
        }
    } else {
        let short: String = key.chars().take(64).collect();
        format!(
            "{parent}[{}]",
            serde_json::to_string(&short).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        Schemas::from_document(&json!({"components": {"schemas": {
            "Kind": {"type": "string", "enum": ["pdf", "cad"]},
            "Item": {
                "type": "object",
                "required": ["kind", "sku"],
                "properties": {
                    "kind": {"$ref": "#/components/schemas/Kind", "description": "What."},
                    "sku": {"type": "string", "minLength": 3, "maxLength": 5, "pattern": "^[A-Z]+$"}
                },
                "additionalProperties": false
            },
            "Input": {
                "type": "object",
                "required": ["name", "count", "items"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 3},
                    "nick": {"type": ["string", "null"]},
                    "lang": {"oneOf": [{"$ref": "#/components/schemas/Kind"}, {"type": "null"}]},
                    "count": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10},
                    "ratio": {"type": "number", "exclusiveMinimum": 0},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}, "minItems": 1, "maxItems": 2},
                    "prefs": {"type": "object"},
                    "at": {"type": "string", "format": "date-time"}
                },
                "additionalProperties": false
            }
        }}}))
    }

    fn codes(errors: &FieldErrors) -> Vec<(String, &'static str)> {
        let mut v: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.clone(), e.code.as_str()))
            .collect();
        v.sort();
        v
    }

    fn pairs(list: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        let mut v: Vec<_> = list.iter().map(|(f, c)| ((*f).to_owned(), *c)).collect();
        v.sort();
        v
    }

    #[test]
    fn the_largest_valid_body_is_bounded_by_the_schema_or_unbounded() {
        let s = schemas();
        assert_eq!(s.max_bytes("Kind"), Some(5));
        // {"kind":"pdf","sku":<5 characters escaped at 12 bytes>}
        assert_eq!(s.max_bytes("Item"), Some(2 + (4 + 4 + 5) + (3 + 4 + 62)));
        // `prefs` is open to anything, `nick` has no maxLength.
        assert_eq!(s.max_bytes("Input"), None);
        assert_eq!(s.max_bytes("Nothing"), None);
    }

    /// Every JSON body the API reads is bounded by its schema, so its
    /// limit can admit every body the document allows.
    #[test]
    fn every_request_body_of_the_document_is_bounded() {
        let doc = serde_json::to_value(crate::openapi::openapi()).unwrap();
        let api = Schemas::api();
        let mut unbounded = Vec::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let Some(name) = op
                    .pointer("/requestBody/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                else {
                    continue;
                };
                // Stripe's events are Stripe's, read raw and bounded by
                // the configured limit.
                if op["operationId"] != "stripe_webhook" && api.max_bytes(name).is_none() {
                    unbounded.push(format!("{} ({name})", op["operationId"]));
                }
            }
        }
        assert!(unbounded.is_empty(), "{unbounded:?}");
        let article = crate::body::body_limit::<crate::routes::articles::ArticleRequest>(65_536);
        assert!(
            article > 480_000 && article <= crate::body::MAX_BODY_LIMIT,
            "{article}"
        );
    }

    #[test]
    fn a_valid_body_has_no_errors() {
        let body = json!({"name": "abc", "nick": null, "lang": "pdf", "count": 3.0, "ratio": 0.5,
            "items": [{"kind": "cad", "sku": "ABC"}], "prefs": {"any": [1]}, "at": "2024-01-01T00:00:00Z"});
        assert!(schemas().check("Input", &body).is_empty());
    }

    #[test]
    fn every_error_is_reported_at_once_with_its_path_and_code() {
        let body = json!({
            "name": "", "lang": "de", "count": "3", "ratio": 0, "surprise": 1,
            "items": [{"kind": "zip", "sku": "ab", "x": 1}, {"sku": "abcde"}, {"kind": null, "sku": 5}],
            "prefs": null, "at": "yesterday"
        });
        let errors = schemas().check("Input", &body);
        assert_eq!(
            codes(&errors),
            pairs(&[
                ("name", "too_short"),
                ("lang", "unknown_value"),
                ("count", "invalid_type"),
                ("ratio", "too_small"),
                ("surprise", "unknown_field"),
                ("items", "too_long"),
                ("items[0].kind", "unknown_value"),
                ("items[0].sku", "too_short"),
                ("items[0].x", "unknown_field"),
                ("items[1].kind", "required"),
                ("items[1].sku", "invalid_format"),
                ("items[2].kind", "null_not_allowed"),
                ("items[2].sku", "invalid_type"),
                ("prefs", "null_not_allowed"),
                ("at", "invalid_format"),
            ])
        );
        let message = |f: &str| {
            errors
                .0
                .iter()
                .find(|e| e.field == f)
                .map(|e| e.message.clone())
                .unwrap()
        };
        assert_eq!(message("name"), "must be at least 1 character");
        assert_eq!(message("lang"), "must be one of: pdf, cad");
        assert_eq!(message("count"), "must be an integer");
        assert_eq!(message("ratio"), "must be greater than 0");
        assert_eq!(message("items"), "must have at most 2 items");
    }

    #[test]
    fn missing_fields_bounds_and_integer_formats() {
        let errors = schemas().check("Input", &json!({"count": 11}));
        assert_eq!(
            codes(&errors),
            pairs(&[
                ("name", "required"),
                ("items", "required"),
                ("count", "too_large")
            ])
        );
        let errors = schemas().check("Input", &json!({"name": "a", "items": [], "count": 1.5}));
        assert_eq!(
            codes(&errors),
            pairs(&[("items", "too_short"), ("count", "invalid_type")])
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_as_a_whole() {
        for body in [json!([1]), json!("text"), json!(3), json!(true)] {
            let errors = schemas().check("Input", &body);
            assert_eq!(codes(&errors), pairs(&[(BODY, "invalid_type")]), "{body}");
        }
        let errors = schemas().check("Input", &Value::Null);
        assert_eq!(codes(&errors), pairs(&[(BODY, "null_not_allowed")]));
    }

    #[test]
    fn lengths_count_code_points_not_bytes() {
        let ok = json!({"name": "été", "count": 1, "items": [{"kind": "pdf", "sku": "ABC"}]});
        assert!(schemas().check("Input", &ok).is_empty());
        let long =
            json!({"name": "😀😀😀😀", "count": 1, "items": [{"kind": "pdf", "sku": "ABC"}]});
        assert_eq!(
            codes(&schemas().check("Input", &long)),
            pairs(&[("name", "too_long")])
        );
    }

    #[test]
    fn odd_keys_are_quoted_and_shortened_and_errors_are_bounded() {
        let mut map = serde_json::Map::new();
        for i in 0..500 {
            map.insert(format!("k{i}"), json!(1));
        }
        map.insert("a b.c".to_owned(), json!(1));
        let errors = schemas().check("Input", &Value::Object(map));
        assert_eq!(errors.0.len(), MAX_ERRORS);
        assert_eq!(child_path("", "a b.c"), r#"["a b.c"]"#);
        assert_eq!(child_path("items[0]", "x"), "items[0].x");
        assert!(child_path("", &"é".repeat(200)).chars().count() < 70);
    }

    #[test]
    fn the_messages_never_hold_the_value() {
        let body = json!({"name": "hunter2hunter2", "count": "hunter2", "lang": "hunter2",
            "items": [{"kind": "hunter2", "sku": "hunter2"}]});
        let errors = schemas().check("Input", &body);
        assert!(!errors.0.is_empty());
        for e in &errors.0 {
            assert!(!e.message.contains("hunter2"), "{e:?}");
            assert!(
                !e.params.iter().any(|(_, v)| v.contains("hunter2")),
                "{e:?}"
            );
        }
    }

    /// The API's own document: every request body is a compiled component
    /// schema, closed to unknown fields, and every pattern compiles.
    #[test]
    fn every_request_body_of_the_api_is_checked() {
        let doc = serde_json::to_value(crate::openapi::openapi()).unwrap();
        let schemas = Schemas::api();
        assert!(
            schemas.bad_patterns().is_empty(),
            "{:?}",
            schemas.bad_patterns()
        );
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(body) = op.get("requestBody") else {
                    continue;
                };
                // The one-click unsubscribe takes a form (RFC 8058) and reads nothing of it.
                if body.pointer("/content/application~1json").is_none() {
                    continue;
                }
                // Stripe's webhook takes Stripe's events as Stripe writes
                // them (with fields added over time); its signature, not a
                // schema, decides whether it is read.
                if path == "/v1/payments/stripe/webhook" {
                    continue;
                }
                let reference = body
                    .pointer("/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .unwrap_or_else(|| panic!("{method} {path}: a component schema"));
                assert!(schemas.has(reference), "{reference}");
                assert_eq!(
                    doc["components"]["schemas"][reference]["additionalProperties"],
                    json!(false),
                    "{reference} refuses unknown fields, as serde does"
                );
                seen += 1;
            }
        }
        assert!(seen >= 10);
    }
}
