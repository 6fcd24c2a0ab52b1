//! The customer's rights over their data: a copy of everything (DSR-1),
//! and the erasure of the account (DSR-2).

use std::borrow::Cow;

use actix_web::{HttpResponse, delete, get, http::header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::body::Body;
use crate::problem::{ApiError, BodyErrors, SignedInErrors};
use crate::routes::common::validate;
use crate::state::SharedState;

/// Every personal table, each an array of the person's rows: the clear
/// columns as stored, the sealed ones opened (named without `_enc`).
/// Generated from the sealed-field registry, so a new table is here as
/// soon as it holds personal data; keyed hashes are left out.
pub struct ExportTables;

impl utoipa::PartialSchema for ExportTables {
    fn schema() -> RefOr<Schema> {
        let mut tables = ObjectBuilder::new()
            .description(Some(
                "The person's rows in every table holding personal data, by table name.",
            ))
            .examples([serde_json::json!({
                "customers": [{"id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "email": "jeanne@example.fr", "name": "Jeanne Martin", "role": "customer", "created_at": "2026-11-27T10:00:00Z"}],
                "customer_addresses": []
            })]);
        for t in persistence::sealed::PERSONAL_TABLES {
            let mut row = ObjectBuilder::new().description(Some(format!(
                "A row of `{}` (kept: {}).",
                t.name, t.retention
            )));
            let any = |description: String| {
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .description(Some(description))
            };
            for c in t.clear {
                if persistence::sealed::exported(c) {
                    row = row.property(*c, any(format!("`{c}`, as stored (not encrypted)")));
                }
            }
            for s in persistence::sealed::SEALED
                .iter()
                .filter(|s| s.table == t.name)
            {
                row = row.property(
                    s.column.trim_end_matches("_enc"),
                    any(format!("Opened from the encrypted `{}`", s.column)),
                );
            }
            tables = tables.property(
                t.name,
                ArrayBuilder::new()
                    .description(Some(format!("Your rows of `{}`", t.name)))
                    .items(row),
            );
        }
        RefOr::T(Schema::Object(tables.build()))
    }
}

impl ToSchema for ExportTables {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ExportTables")
    }
}

/// Everything Boutique holds about the signed-in customer (DSR-1).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "format": "boutique-export/1",
    "generated_at": "2026-12-07T21:00:00Z",
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "tables": {"customers": [{"id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "email": "jeanne@example.fr", "name": "Jeanne Martin"}]}
}))]
pub struct DataExport {
    /// The format's name and version: `boutique-export/1`.
    pub format: String,
    /// When it was made (RFC 3339, UTC).
    pub generated_at: DateTime<Utc>,
    /// The account (a UUID).
    pub customer_id: Uuid,
    /// The data, by table.
    #[schema(value_type = ExportTables)]
    pub tables: serde_json::Map<String, serde_json::Value>,
}

/// Download everything held about you (DSR-1): profile, addresses,
/// sessions, orders, carts, consents, newsletter, reviews, complaints,
/// contact messages, recently viewed plans, downloads, and the audit
/// entries about your account, as one JSON file whose schema is
/// `DataExport`. Audited.
#[utoipa::path(
    tag = "me",
    operation_id = "export_my_data",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The export, as an attachment", body = DataExport, headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"boutique-export-<date>.json\"`"),
        )),
        SignedInErrors,
    )
)]
#[get("/v1/me/export")]
pub async fn export_my_data(state: SharedState, auth: Auth) -> Result<HttpResponse, ApiError> {
    let e = domain::rights::export(state.store.as_ref(), state.clock.as_ref(), &auth.0).await?;
    Ok(export_response(e))
}

/// An export as the attachment both rights give.
#[must_use]
pub fn export_response(e: domain::rights::DataExport) -> HttpResponse {
    let generated_at = e.generated_at;
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"boutique-export-{}.json\"",
                generated_at.format("%Y-%m-%d")
            ),
        ))
        .json(DataExport::from(e))
}

impl From<domain::rights::DataExport> for DataExport {
    fn from(e: domain::rights::DataExport) -> Self {
        Self {
            format: "boutique-export/1".to_owned(),
            generated_at: e.generated_at,
            customer_id: e.customer.as_uuid(),
            tables: e.tables,
        }
    }
}

/// The password confirming an erasure (the body of `DELETE /v1/me`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "un long mot de passe facile à retenir"}))]
#[schema(as = AccountErasure)]
pub struct EraseAccountRequest {
    /// The account's current password, at most 128 characters.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub password: String,
}

/// Rows erased from one table.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"category": "orders", "count": 2}))]
pub struct ErasedCount {
    /// The table.
    pub category: String,
    /// How many rows.
    pub count: u64,
}

/// What an erasure kept, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "category": "invoices",
    "count": 1,
    "basis": "Code de commerce L123-22 (legal obligation, GDPR art. 6(1)(c)): invoices and credit notes are kept 10 years",
    "until": "2036-12-07T21:00:00Z"
}))]
pub struct KeptData {
    /// `invoices`, `consent_proofs` or `security_log`.
    pub category: String,
    /// How many (0 when not counted).
    pub count: u64,
    /// The legal basis for keeping it.
    pub basis: String,
    /// Until when at the latest (RFC 3339, UTC).
    pub until: DateTime<Utc>,
}

/// The receipt of an erasure (DSR-2).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "erased_at": "2026-12-07T21:00:00Z",
    "erased": [{"category": "customers", "count": 1}, {"category": "orders", "count": 2}],
    "kept": [{"category": "invoices", "count": 1, "basis": "Code de commerce L123-22", "until": "2036-12-07T21:00:00Z"}]
}))]
pub struct ErasureReceipt {
    /// The erased account (a UUID).
    pub customer_id: Uuid,
    /// When (RFC 3339, UTC).
    pub erased_at: DateTime<Utc>,
    /// Rows erased, per table.
    pub erased: Vec<ErasedCount>,
    /// What stays, on which basis, until when.
    pub kept: Vec<KeptData>,
}

/// Erase your account now (DSR-2), confirmed by your password: its data
/// keys are destroyed (nothing of yours can be read again, even in a
/// backup), then its data deleted; sessions end. What the law makes the
/// shop keep stays for its period, and the receipt says what and until
/// when. The address can register again afterwards. Customers only: a
/// staff account answers 403 `/problems/forbidden`.
#[utoipa::path(
    tag = "me",
    operation_id = "erase_my_account",
    security(("bearer" = [])),
    request_body = EraseAccountRequest,
    responses(
        (status = 200, description = "Erased: the receipt", body = ErasureReceipt),
        (status = 400, description = "`validation-failed`: the password is wrong (`password`); counted like a failed login", body = crate::problem::Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[delete("/v1/me")]
pub async fn erase_my_account(
    state: SharedState,
    auth: Auth,
    body: Body<EraseAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    if auth.0.role != domain::identity::Role::Customer {
        return Err(ApiError::Forbidden(
            "A staff account is closed by an administrator, not erased here.".into(),
        ));
    }
    let b = body.read().await?;
    validate(&b)?;
    let r = domain::rights::erase_account(
        state.store.as_ref(),
        &state.hasher,
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &state.retention,
        &auth.0,
        b.password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ErasureReceipt::from(r)))
}

impl From<domain::rights::ErasureReceipt> for ErasureReceipt {
    fn from(r: domain::rights::ErasureReceipt) -> Self {
        Self {
            customer_id: r.customer.as_uuid(),
            erased_at: r.erased_at,
            erased: r
                .erased
                .into_iter()
                .map(|(category, count)| ErasedCount { category, count })
                .collect(),
            kept: r
                .kept
                .into_iter()
                .map(|k| KeptData {
                    category: k.category.to_owned(),
                    count: k.count,
                    basis: k.basis.to_owned(),
                    until: k.until,
                })
                .collect(),
        }
    }
}
