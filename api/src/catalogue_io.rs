//! The catalogue's file formats for bulk import and export, shared by the
//! API (`/v1/admin/products/import`, `/export`) and the command line
//! (`boutique catalogue import|export`).
//!
//! - JSON Lines: one plan per line, each exactly the body of
//!   `POST /v1/admin/products` (blank lines are skipped).
//! - CSV (RFC 4180, UTF-8, comma-separated, with this header):
//!   `slug,title,description,style,living_area_m2,bedrooms,bathrooms,levels,garage_spaces,lot_width_m,lot_depth_m,image_urls,formats,published`
//!   where `image_urls` holds the URLs separated by spaces, `formats` the
//!   formats as `kind:SKU:price_amount:currency` separated by `|`
//!   (`pdf:MAI-120-PDF:49000:EUR|printed_set:MAI-120-PRT:64000:EUR`), and
//!   `published` is `true` or `false` (empty: `false`).

use domain::FieldErrors;
use domain::catalogue::{ImportRow, NewPlan, Plan};
use serde_json::{Map, Value, json};

use crate::problem::ApiError;
use crate::routes::admin::products::ProductInput;
use crate::schema_check::Schemas;

/// The CSV header, column by column.
pub const CSV_HEADER: [&str; 14] = [
    "slug",
    "title",
    "description",
    "style",
    "living_area_m2",
    "bedrooms",
    "bathrooms",
    "levels",
    "garage_spaces",
    "lot_width_m",
    "lot_depth_m",
    "image_urls",
    "formats",
    "published",
];

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values with [`CSV_HEADER`].
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl FileFormat {
    /// The media type.
    #[must_use]
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/x-ndjson",
        }
    }

    /// The file name extension.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }

    /// The format a file name or `format` value names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower == "csv" || lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if ["jsonl", "ndjson"].contains(&lower.as_str())
            || lower.ends_with(".jsonl")
            || lower.ends_with(".ndjson")
        {
            Some(Self::JsonLines)
        } else {
            None
        }
    }
}

fn one(field: &str, message: &str) -> FieldErrors {
    let mut f = FieldErrors::default();
    f.push(field, message);
    f
}

/// A row's JSON object as a plan: the document's schema first (the same
/// messages as a `POST` would give), then the plan's own rules.
fn plan_of(value: &Value) -> Result<NewPlan, FieldErrors> {
    let errors = Schemas::api().check("ProductInput", value);
    if !errors.is_empty() {
        return Err(errors);
    }
    let input: ProductInput = serde_json::from_value(value.clone())
        .map_err(|_| one("body", "does not have the shape of a plan"))?;
    match input.into_new_plan() {
        Ok(p) => Ok(p),
        Err(ApiError::Validation(f)) => Err(f),
        Err(other) => Err(one("body", &other.to_string())),
    }
}

fn json_rows(text: &str) -> Vec<ImportRow> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| ImportRow {
            line: i + 1,
            plan: serde_json::from_str::<Value>(l)
                .map_err(|_| one("body", "is not a JSON object"))
                .and_then(|v| plan_of(&v)),
        })
        .collect()
}

/// A CSV cell as a JSON number when it reads as one, else as text (the
/// schema then says what is wrong with it).
fn number(cell: &str) -> Value {
    let t = cell.trim();
    t.parse::<u64>()
        .map(Value::from)
        .or_else(|_| t.parse::<f64>().map(Value::from))
        .unwrap_or_else(|_| Value::from(t))
}

fn csv_object(record: &csv::StringRecord) -> Result<Value, FieldErrors> {
    let cell = |i: usize| record.get(i).unwrap_or_default();
    let mut o = Map::new();
    for (i, name) in CSV_HEADER.iter().enumerate().take(4) {
        o.insert((*name).to_owned(), Value::from(cell(i)));
    }
    for (i, name) in CSV_HEADER.iter().enumerate().take(11).skip(4) {
        o.insert((*name).to_owned(), number(cell(i)));
    }
    o.insert(
        "image_urls".into(),
        cell(11).split_whitespace().map(Value::from).collect(),
    );
    let mut formats = Vec::new();
    for (i, f) in cell(12)
        .split('|')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .enumerate()
    {
        let parts: Vec<&str> = f.split(':').collect();
        let [kind, sku, price, currency] = parts.as_slice() else {
            return Err(one(
                &format!("formats[{i}]"),
                "must be kind:SKU:price_amount:currency",
            ));
        };
        formats.push(
            json!({"kind": kind, "sku": sku, "price_amount": number(price), "currency": currency}),
        );
    }
    o.insert("formats".into(), Value::Array(formats));
    let published = match cell(13).trim() {
        "" | "false" => false,
        "true" => true,
        _ => return Err(one("published", "must be true or false")),
    };
    o.insert("published".into(), Value::Bool(published));
    Ok(Value::Object(o))
}

fn csv_rows(text: &str) -> Result<Vec<ImportRow>, FieldErrors> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| one("header", "line 1 must be the CSV header"))?
        .clone();
    if header.iter().map(str::trim).ne(CSV_HEADER.iter().copied()) {
        return Err(one(
            "header",
            &format!("line 1 must be exactly: {}", CSV_HEADER.join(",")),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, plan) = match record {
            Ok(r) => {
                let line = r
                    .position()
                    .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                let plan = if r.len() == CSV_HEADER.len() {
                    csv_object(&r).and_then(|v| plan_of(&v))
                } else {
                    Err(one(
                        "body",
                        &format!("has {} columns, the header {}", r.len(), CSV_HEADER.len()),
                    ))
                };
                (line, plan)
            }
            Err(e) => (
                e.position()
                    .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0)),
                Err(one("body", "is not valid CSV")),
            ),
        };
        rows.push(ImportRow { line, plan });
    }
    Ok(rows)
}

/// Reads a file's rows; a file that is not UTF-8, or a CSV file without
/// the header, is refused as a whole.
///
/// # Errors
/// [`ApiError::Validation`] naming the problem.
pub fn read(format: FileFormat, bytes: &[u8]) -> Result<Vec<ImportRow>, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::Validation(one("body", "must be UTF-8 text")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        FileFormat::JsonLines => Ok(json_rows(text)),
        FileFormat::Csv => csv_rows(text).map_err(ApiError::Validation),
    }
}

fn metres(cm: u32) -> Value {
    Value::from(f64::from(cm) / 100.0)
}

/// A plan as its import line would give it.
fn object(p: &Plan) -> Value {
    json!({
        "slug": p.slug.as_str(),
        "title": p.title,
        "description": p.description,
        "style": p.style.as_str(),
        "living_area_m2": p.specs.living_area_m2,
        "bedrooms": p.specs.bedrooms,
        "bathrooms": p.specs.bathrooms,
        "levels": p.specs.levels,
        "garage_spaces": p.specs.garage_spaces,
        "lot_width_m": metres(p.specs.lot_width_cm),
        "lot_depth_m": metres(p.specs.lot_depth_cm),
        "image_urls": p.images.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        "formats": p.formats.iter().map(|f| json!({
            "kind": f.kind.as_str(),
            "sku": f.sku,
            "price_amount": f.price.amount_minor(),
            "currency": f.price.currency().as_str(),
        })).collect::<Vec<_>>(),
        "published": p.published,
    })
}

/// Writes plans in `format`, as an import reads them back.
///
/// # Errors
/// Only if a plan cannot be written as CSV (never in practice).
pub fn write(format: FileFormat, plans: &[Plan]) -> anyhow::Result<Vec<u8>> {
    match format {
        FileFormat::JsonLines => {
            let mut out = Vec::new();
            for p in plans {
                serde_json::to_writer(&mut out, &object(p))?;
                out.push(b'\n');
            }
            Ok(out)
        }
        FileFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(CSV_HEADER)?;
            for p in plans {
                let formats: Vec<String> = p
                    .formats
                    .iter()
                    .map(|f| {
                        format!(
                            "{}:{}:{}:{}",
                            f.kind.as_str(),
                            f.sku,
                            f.price.amount_minor(),
                            f.price.currency().as_str()
                        )
                    })
                    .collect();
                let images: Vec<&str> = p.images.iter().map(|i| i.as_str()).collect();
                w.write_record([
                    p.slug.as_str().to_owned(),
                    p.title.clone(),
                    p.description.clone(),
                    p.style.as_str().to_owned(),
                    p.specs.living_area_m2.to_string(),
                    p.specs.bedrooms.to_string(),
                    p.specs.bathrooms.to_string(),
                    p.specs.levels.to_string(),
                    p.specs.garage_spaces.to_string(),
                    metres(p.specs.lot_width_cm).to_string(),
                    metres(p.specs.lot_depth_cm).to_string(),
                    images.join(" "),
                    formats.join("|"),
                    p.published.to_string(),
                ])?;
            }
            Ok(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
        }
    }
}
