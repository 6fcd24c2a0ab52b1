//! The record of processing activities (GDPR art. 30): public, and in an
//! admin form that adds where each kind of data lives.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::problem::{ApiError, SignedInErrors};
use crate::routes::legal::LegalBasisDto;
use crate::state::SharedState;

/// One processing activity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "orders",
    "purpose": "Carts, orders, payments, plan downloads, refunds and complaints",
    "legal_basis": "contract",
    "data": ["identity (name)", "contact (e-mail, phone)"],
    "people": ["customers", "guests who order"],
    "recipients": ["shop managers", "administrators"],
    "retention": ["carts: 30d", "closed_orders: 1y"]
}))]
pub struct ProcessingActivity {
    /// Its stable name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// What it rests on (see `LegalBasis`).
    pub legal_basis: LegalBasisDto,
    /// Categories of personal data.
    pub data: Vec<String>,
    /// Categories of people.
    pub people: Vec<String>,
    /// Who receives the data: staff roles and processors (nothing is sold
    /// or given).
    pub recipients: Vec<String>,
    /// How long each kind is kept, as `category: period` (`GET
    /// /v1/admin/retention/policies` for the rules).
    pub retention: Vec<String>,
}

/// Where a kind of personal data lives (admin form only).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "table": "orders",
    "retention": "pending payment or failed: 7 days (RET-3)",
    "counts_from": "status_changed_at",
    "encrypted_columns": ["buyer_enc", "lines_enc"]
}))]
#[schema(as = PersonalDataTable)]
pub struct PersonalTable {
    /// The database table holding it.
    pub table: String,
    /// Its retention rule.
    pub retention: String,
    /// The timestamp the rule counts from.
    pub counts_from: String,
    /// Its columns encrypted under a person's (or the legal archive's) key.
    pub encrypted_columns: Vec<String>,
}

/// The record of processing activities, made from the live configuration.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "controller": "API PARTNER, the shop",
    "activities": [],
    "transfers": "None: data stays in the EU",
    "security": ["Each person's fields encrypted with AES-256-GCM under their own data key"]
}))]
pub struct ProcessingRegister {
    /// Who is responsible for the processing, and how to reach them.
    pub controller: String,
    /// The processing activities, one per purpose.
    pub activities: Vec<ProcessingActivity>,
    /// Transfers outside the EU.
    pub transfers: String,
    /// Security measures (GDPR art. 32).
    pub security: Vec<String>,
    /// Admin form only: where each kind of personal data lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<PersonalTable>>,
}

async fn build(state: &SharedState, admin: bool) -> Result<ProcessingRegister, ApiError> {
    let purposes = state.store.reader().consents().purposes().await?;
    let r = domain::processing::register(&domain::processing::Setup {
        policies: &state.retention,
        purposes: &purposes,
        stripe: state.payments.is_some(),
        geoip: state.geo.enabled(),
    });
    Ok(ProcessingRegister {
        controller: r.controller,
        activities: r
            .activities
            .into_iter()
            .map(|a| ProcessingActivity {
                name: a.name,
                purpose: a.purpose,
                legal_basis: a.legal_basis.into(),
                data: a.data,
                people: a.people,
                recipients: a.recipients,
                retention: a.retention,
            })
            .collect(),
        transfers: r.transfers,
        security: r.security,
        tables: admin.then(|| {
            persistence::sealed::PERSONAL_TABLES
                .iter()
                .map(|t| PersonalTable {
                    table: t.name.to_owned(),
                    retention: t.retention.to_owned(),
                    counts_from: t.clock.to_owned(),
                    encrypted_columns: persistence::sealed::SEALED
                        .iter()
                        .filter(|s| s.table == t.name)
                        .map(|s| s.column.to_owned())
                        .collect(),
                })
                .collect()
        }),
    })
}

/// The record of processing activities (GDPR art. 30): each purpose, its
/// legal basis, the data and people concerned, recipients, retention and
/// security measures, made from the shop's live configuration.
#[utoipa::path(
    tag = "legal",
    operation_id = "get_processing_register",
    responses(
        (status = 200, description = "The register", body = ProcessingRegister),
    )
)]
#[get("/v1/privacy/processing-register")]
pub async fn get_processing_register(
    state: SharedState,
) -> Result<web::Json<ProcessingRegister>, ApiError> {
    Ok(web::Json(build(&state, false).await?))
}

/// The record of processing activities with, for each table holding
/// personal data, its retention rule and encrypted columns (admins).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_processing_register",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The register, with `tables`", body = ProcessingRegister),
        SignedInErrors,
    )
)]
#[get("/v1/admin/privacy/processing-register")]
pub async fn admin_get_processing_register(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<ProcessingRegister>, ApiError> {
    Ok(web::Json(build(&state, true).await?))
}
