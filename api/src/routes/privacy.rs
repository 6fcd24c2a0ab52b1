//! The record of processing activities (GDPR art. 30): public, and in an
//! admin form that adds where each kind of data lives.

use actix_web::{HttpResponse, get, post, web};
use domain::identity::{Email, Language};
use domain::rights::requests::{Confirmed, RequestKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{Admin, Caller};
use crate::body::Body;
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::validate;
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
    let reader = state.store.reader();
    let purposes = reader.consents().purposes().await?;
    let integrations = domain::processing::Integration::of(
        &reader.api_keys().list().await?,
        &reader.webhooks().endpoints().await?,
        state.clock.now(),
    );
    let r = domain::processing::register(&domain::processing::Setup {
        policies: &state.retention,
        purposes: &purposes,
        stripe: state.payments.is_some(),
        geoip: state.geo.enabled(),
        integrations: &integrations,
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

/// What a person without an account asks for (DSR-4):
///
/// - `export`: a copy of the data held (a download link follows).
/// - `erasure`: the erasure of the data held (a receipt follows).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyRequestKind {
    /// `export`: a copy of the data held (a download link follows).
    Export,
    /// `erasure`: the erasure of the data held (a receipt follows).
    Erasure,
}

/// A request of a person without an account (the body of
/// `POST /v1/privacy/requests`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr", "kind": "export", "language": "fr"}))]
pub struct PrivacyRequestInput {
    /// The address the data were given with (case is ignored), at most 254
    /// bytes: the confirmation link goes there.
    #[validate(length(max = 254))]
    #[schema(max_length = 254)]
    pub email: String,
    /// What is asked.
    pub kind: PrivacyRequestKind,
    /// Language of the mails (French when absent).
    pub language: Option<crate::routes::auth::LanguageDto>,
}

/// Ask, as someone without an account (a guest who ordered, a commenter, a
/// subscriber, someone who wrote), for a copy or the erasure of the data
/// held about an e-mail address (DSR-4).
///
/// Always 202: the answer never says whether anything is held. When
/// something is, a confirmation link (48 hours, single use) goes to the
/// address, and nothing happens before it is opened; an address with an
/// account is told to use the account. Limited per source like password
/// resets, and to one mail per address every few minutes.
#[utoipa::path(
    tag = "legal",
    operation_id = "create_privacy_request",
    request_body = PrivacyRequestInput,
    responses(
        (status = 202, description = "Accepted; an e-mail follows if anything is held", body = crate::routes::common::Accepted),
        crate::problem::ThrottledErrors,
        BodyErrors,
    )
)]
#[post("/v1/privacy/requests")]
pub async fn create_privacy_request(
    state: SharedState,
    caller: Caller,
    body: Body<PrivacyRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    domain::identity::throttle_password_requests(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &caller.0,
    )
    .await?;
    if let Ok(email) = Email::parse(&b.email) {
        let kind = match b.kind {
            PrivacyRequestKind::Export => RequestKind::Export,
            PrivacyRequestKind::Erasure => RequestKind::Erasure,
        };
        let language = b.language.map_or(Language::Fr, Language::from);
        // Answered first, done after: the time says nothing either.
        let state = state.clone();
        state.background.clone().spawn(async move {
            if let Err(e) = domain::rights::requests::request(
                state.store.as_ref(),
                state.index.as_ref(),
                &state.random,
                state.clock.as_ref(),
                &state.identity,
                &email,
                kind,
                language,
            )
            .await
            {
                tracing::error!(error = %e, "privacy request failed");
            }
        });
    }
    Ok(
        HttpResponse::Accepted().json(crate::routes::common::Accepted::new(
            "If data are held for this address, a confirmation link is on its way.",
        )),
    )
}

/// The token of a confirmation link (the body of
/// `POST /v1/privacy/requests/confirmations`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "Qm9vdGlxdWUgcHJpdmFjeSB0b2tlbiBleGFtcGxl"}))]
pub struct PrivacyConfirmation {
    /// The `token` of the link's query, at most 128 characters.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub token: String,
}

/// What a confirmation did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "erasure", "status": "erased", "receipt": {
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "erased_at": "2026-12-07T21:00:00Z",
    "erased": [{"category": "orders", "count": 1}],
    "kept": [{"category": "invoices", "count": 1, "basis": "Code de commerce L123-22", "until": "2036-12-07T21:00:00Z"}]
}}))]
pub struct PrivacyConfirmed {
    /// `export` or `erasure`.
    pub kind: String,
    /// `export_sent`: the download link was mailed; `erased`: done, the
    /// receipt mailed and given here.
    pub status: String,
    /// The erasure's receipt (`customer_id` is the person's subject id).
    pub receipt: Option<crate::routes::me::data::ErasureReceipt>,
}

/// Confirm a request with the token of its link (the frontend's page posts
/// it: a mail scanner opening the link changes nothing). An export gets a
/// single-use download link by e-mail (24 hours); an erasure is done now.
#[utoipa::path(
    tag = "legal",
    operation_id = "confirm_privacy_request",
    request_body = PrivacyConfirmation,
    responses(
        (status = 200, description = "Done", body = PrivacyConfirmed),
        (status = 400, description = "`validation-failed`: the token is unknown, used or expired (`token`)", body = Problem, content_type = "application/problem+json"),
        crate::problem::BannedErrors,
        BodyErrors,
    )
)]
#[post("/v1/privacy/requests/confirmations")]
pub async fn confirm_privacy_request(
    state: SharedState,
    caller: Caller,
    body: Body<PrivacyConfirmation>,
) -> Result<web::Json<PrivacyConfirmed>, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let done = domain::rights::requests::confirm(
        state.store.as_ref(),
        &state.random,
        state.clock.as_ref(),
        &state.identity,
        &state.retention,
        &state.config.public_url,
        &b.token,
        &caller.0,
    )
    .await?;
    Ok(web::Json(match done {
        Confirmed::ExportSent => PrivacyConfirmed {
            kind: "export".into(),
            status: "export_sent".into(),
            receipt: None,
        },
        Confirmed::Erased(r) => PrivacyConfirmed {
            kind: "erasure".into(),
            status: "erased".into(),
            receipt: Some(crate::routes::me::data::ErasureReceipt::from(r)),
        },
    }))
}

/// Download the export of a confirmed request, once, within a day of the
/// confirmation (the link of the mail).
#[utoipa::path(
    tag = "legal",
    operation_id = "download_privacy_export",
    params(("token" = String, Path, description = "The token of the mailed link")),
    responses(
        (status = 200, description = "The export, as an attachment", body = crate::routes::me::data::DataExport),
        (status = 410, description = "`download-link-expired`: the link is unknown, used or expired", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/privacy/exports/{token}")]
pub async fn download_privacy_export(
    state: SharedState,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let e = domain::rights::requests::download(state.store.as_ref(), state.clock.as_ref(), &path)
        .await
        .map_err(|e| match e {
            domain::identity::IdentityError::InvalidLinkToken => ApiError::DownloadLinkExpired,
            e => e.into(),
        })?;
    Ok(crate::routes::me::data::export_response(e))
}
