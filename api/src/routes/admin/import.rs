//! Bulk import and export of the catalogue (staff): CSV or JSON Lines,
//! checked whole before anything is written (see [`crate::catalogue_io`]).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use domain::FieldErrors;
use domain::catalogue::{Editor, ImportError, ImportMode};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::keys::{CatalogueRead, CatalogueWrite, StaffOrKey};
use crate::body::Params;
use crate::catalogue_io::{self, FileFormat};
use crate::problem::{ApiError, Problem, SignedInErrors};
use crate::state::SharedState;

/// Largest import file, in bytes (about 60,000 plans in CSV).
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// A catalogue file format:
///
/// - `csv`: comma-separated, with the documented header.
/// - `jsonl`: JSON Lines, each line the body of `POST /v1/admin/products`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueFileFormat {
    /// CSV.
    Csv,
    /// JSON Lines.
    Jsonl,
}

impl From<CatalogueFileFormat> for FileFormat {
    fn from(f: CatalogueFileFormat) -> Self {
        match f {
            CatalogueFileFormat::Csv => Self::Csv,
            CatalogueFileFormat::Jsonl => Self::JsonLines,
        }
    }
}

/// What to do with slugs the catalogue has:
///
/// - `create`: every row is a new plan; a slug in use is an error.
/// - `upsert`: rows whose slug exists replace that plan (which keeps its
///   id and, kind by kind, its formats' ids); the others are created.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportModeParam {
    /// Create only.
    Create,
    /// Create or replace by slug.
    Upsert,
}

/// `mode` and `format` of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `create` (the default) or `upsert`.
    #[param(inline)]
    pub mode: Option<ImportModeParam>,
    /// The file's format; by default, from the `Content-Type`
    /// (`text/csv`, `application/x-ndjson`).
    #[param(inline)]
    pub format: Option<CatalogueFileFormat>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"created": 49950, "updated": 50, "total": 50000}))]
pub struct ImportResult {
    /// Plans created.
    pub created: usize,
    /// Plans replaced (`mode=upsert`).
    pub updated: usize,
    /// Rows in the file.
    pub total: usize,
}

fn format_of(
    req: &HttpRequest,
    asked: Option<CatalogueFileFormat>,
) -> Result<FileFormat, ApiError> {
    if let Some(f) = asked {
        return Ok(f.into());
    }
    let media = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "text/csv" => Ok(FileFormat::Csv),
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" => {
            Ok(FileFormat::JsonLines)
        }
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Import plans from a CSV or JSON Lines file (staff).
///
/// Every row is checked first: its own rules, slugs and SKUs unique within
/// the file and against the catalogue. One wrong row and nothing is
/// written: the 400 lists every error (at most 1,000) with its line, as
/// `errors[].field` = `lines[<line>].<field>` (`lines[12].formats[0].sku`;
/// the CSV header is line 1). Otherwise the whole file is written in one
/// transaction, audited once with the counts, and visible at once. Files
/// up to 64 MiB.
///
/// CSV header: `slug,title,description,style,living_area_m2,bedrooms,bathrooms,levels,garage_spaces,lot_width_m,lot_depth_m,image_urls,formats,published`
/// (`image_urls` separated by spaces, `formats` as
/// `kind:SKU:price_amount:currency` separated by `|`). JSON Lines: one
/// `POST /v1/admin/products` body per line.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_import_products",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(ImportParams),
    request_body(description = "The file: CSV with the header above, or JSON Lines", content(
        (String = "text/csv", example = "slug,title,description,style,living_area_m2,bedrooms,bathrooms,levels,garage_spaces,lot_width_m,lot_depth_m,image_urls,formats,published\nmaison-120,Maison 120 m²,Plain-pied.,contemporary,120,3,1,1,1,14.5,22,https://images.example/1.jpg,pdf:MAI-120-PDF:49000:EUR,true\n"),
        (String = "application/x-ndjson", example = "{\"slug\":\"maison-120\",\"title\":\"Maison 120 m²\",\"description\":\"Plain-pied.\",\"style\":\"contemporary\",\"living_area_m2\":120,\"bedrooms\":3,\"bathrooms\":1,\"levels\":1,\"garage_spaces\":1,\"lot_width_m\":14.5,\"lot_depth_m\":22,\"image_urls\":[],\"formats\":[{\"kind\":\"pdf\",\"sku\":\"MAI-120-PDF\",\"price_amount\":49000,\"currency\":\"EUR\"}],\"published\":true}\n"),
    )),
    responses(
        (status = 200, description = "Imported", body = ImportResult),
        (status = 400, description = "Rows break rules (`errors[].field` is `lines[<line>].<field>`), or the file is not UTF-8, has no rows, or lacks the CSV header: nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A slug or SKU of the file was taken by a plan created while the file was being checked (`/problems/conflict`): nothing was written; import again", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "another format already uses this SKU: a plan written while the file was checked took it; nothing was imported",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 413, description = "The file is larger than 64 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither `format` nor a `Content-Type` of `text/csv` or `application/x-ndjson`", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/products/import")]
pub async fn admin_import_products(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    req: HttpRequest,
    params: Params<ImportParams>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let p = params.read()?;
    let format = format_of(&req, p.format)?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > IMPORT_LIMIT {
            return Err(ApiError::PayloadTooLarge(IMPORT_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    let rows = catalogue_io::read(format, &body)?;
    if rows.is_empty() {
        let mut f = FieldErrors::default();
        f.push("body", "holds no plan");
        return Err(ApiError::Validation(f));
    }
    let total = rows.len();
    let mode = match p.mode {
        Some(ImportModeParam::Upsert) => ImportMode::Upsert,
        _ => ImportMode::Create,
    };
    let (actor, source) = domain::integration::Acting::by(staff.operator());
    let by = Editor { actor, source };
    match state.catalogue.import(rows, mode, &by, &|_, _, _| {}).await {
        Ok(r) => Ok(HttpResponse::Ok().json(ImportResult {
            created: r.created,
            updated: r.updated,
            total,
        })),
        Err(ImportError::Lines(lines)) => {
            let mut f = FieldErrors::default();
            for l in lines {
                let mut e = l.error;
                e.field = format!("lines[{}].{}", l.line, e.field);
                e.message = format!("line {}: {}", l.line, e.message);
                f.push_error(e);
            }
            Err(ApiError::Validation(f))
        }
        Err(ImportError::Raced(why)) => Err(ApiError::Conflict(why)),
        Err(ImportError::Storage(s)) => Err(s.into()),
    }
}

/// `format` of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `jsonl` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<CatalogueFileFormat>,
}

/// Export every plan, published or not (staff), in the import's formats:
/// importing the file with `mode=upsert` gives the same catalogue back.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_export_products",
    security(("bearer" = []), ("api_key" = ["catalogue:read"])),
    params(ExportParams),
    responses(
        (status = 200, description = "The catalogue as a file (`Content-Disposition: attachment`)", content(
            (String = "application/x-ndjson", example = "{\"slug\":\"maison-120\",\"title\":\"Maison 120 m²\",\"description\":\"Plain-pied.\",\"style\":\"contemporary\",\"living_area_m2\":120,\"bedrooms\":3,\"bathrooms\":1,\"levels\":1,\"garage_spaces\":1,\"lot_width_m\":14.5,\"lot_depth_m\":22.0,\"image_urls\":[],\"formats\":[{\"kind\":\"pdf\",\"sku\":\"MAI-120-PDF\",\"price_amount\":49000,\"currency\":\"EUR\"}],\"published\":true}\n"),
            (String = "text/csv", example = "slug,title,description,style,living_area_m2,bedrooms,bathrooms,levels,garage_spaces,lot_width_m,lot_depth_m,image_urls,formats,published\nmaison-120,Maison 120 m²,Plain-pied.,contemporary,120,3,1,1,1,14.5,22,,pdf:MAI-120-PDF:49000:EUR,true\n"),
        ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"catalogue.jsonl\"` (or `.csv`)"))),
        (status = 400, description = "Unknown `format`", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/products/export")]
pub async fn admin_export_products(
    state: SharedState,
    _staff: StaffOrKey<CatalogueRead>,
    params: Params<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.read()?;
    let format: FileFormat = p.format.unwrap_or(CatalogueFileFormat::Jsonl).into();
    let plans = state.catalogue.all_plans().await?;
    let bytes = catalogue_io::write(format, &plans).map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type(format.media_type())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"catalogue.{}\"", format.extension()),
        ))
        .body(bytes))
}
