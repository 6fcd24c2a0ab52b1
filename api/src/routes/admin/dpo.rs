//! `/v1/admin/privacy/requests` (DSR-3): requests received by the DPO by
//! e-mail, letter, phone or the contact form, their due dates, identity
//! verification, and their answer with the self-service machinery.
//! Admins only; every step audited.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::identity::CustomerId;
use domain::rights::dpo::{self, DpoChannel, DpoKind, DpoRequest, DpoStatus, Fulfilment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Admin;
use crate::body::Body;
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::validate;
use crate::routes::me::data::{DataExport, ErasureReceipt};
use crate::state::SharedState;

/// The right exercised:
///
/// - `access` (art. 15): a copy of the data; answered with the export.
/// - `rectification` (art. 16): staff correct the data, then record it.
/// - `erasure` (art. 17): the account erased, keys first; a receipt.
/// - `portability` (art. 20): the data as a machine-readable file.
/// - `restriction` (art. 18): the data frozen, kept, out of mailings.
/// - `objection` (art. 21): every consent that can be withdrawn is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DpoKind)]
pub enum DpoKindDto {
    /// Access.
    Access,
    /// Rectification.
    Rectification,
    /// Erasure.
    Erasure,
    /// Portability.
    Portability,
    /// Restriction.
    Restriction,
    /// Objection.
    Objection,
}

impl From<DpoKindDto> for DpoKind {
    fn from(k: DpoKindDto) -> Self {
        match k {
            DpoKindDto::Access => Self::Access,
            DpoKindDto::Rectification => Self::Rectification,
            DpoKindDto::Erasure => Self::Erasure,
            DpoKindDto::Portability => Self::Portability,
            DpoKindDto::Restriction => Self::Restriction,
            DpoKindDto::Objection => Self::Objection,
        }
    }
}

/// How the request arrived:
///
/// - `email`: an e-mail to the shop.
/// - `contact_message`: a message of the contact form (`contact_message_id`).
/// - `letter`: a letter.
/// - `phone`: a phone call.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DpoChannel)]
pub enum DpoChannelDto {
    /// E-mail.
    Email,
    /// Contact form.
    ContactMessage,
    /// Letter.
    Letter,
    /// Phone.
    Phone,
}

impl From<DpoChannelDto> for DpoChannel {
    fn from(c: DpoChannelDto) -> Self {
        match c {
            DpoChannelDto::Email => Self::Email,
            DpoChannelDto::ContactMessage => Self::ContactMessage,
            DpoChannelDto::Letter => Self::Letter,
            DpoChannelDto::Phone => Self::Phone,
        }
    }
}

/// A request to record (the body of `POST /v1/admin/privacy/requests`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "kind": "access",
    "channel": "email",
    "received_at": "2026-12-01T09:00:00Z"
}))]
pub struct DpoRequestInput {
    /// The customer account concerned (a UUID).
    pub customer_id: Uuid,
    /// The right exercised.
    pub kind: DpoKindDto,
    /// How it arrived.
    pub channel: DpoChannelDto,
    /// When it was received (RFC 3339, UTC; not in the future): the month
    /// to answer counts from here.
    pub received_at: DateTime<Utc>,
    /// The contact message it came from (a UUID), if any.
    pub contact_message_id: Option<Uuid>,
}

/// A request received by the DPO.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "kind": "access",
    "channel": "email",
    "received_at": "2026-12-01T09:00:00Z",
    "due_at": "2027-01-01T09:00:00Z",
    "overdue": false,
    "extended": false,
    "verified_at": "2026-12-02T10:00:00Z",
    "status": "open",
    "fulfilled_at": null,
    "verification": "copy of an ID checked by e-mail, not kept",
    "extension_reason": null,
    "outcome": null,
    "contact_message_id": null
}))]
#[schema(as = DpoCase)]
pub struct DpoRequestDto {
    /// Its id (a UUID).
    pub id: Uuid,
    /// The account concerned (a UUID).
    pub customer_id: Uuid,
    /// The right exercised.
    pub kind: DpoKindDto,
    /// How it arrived.
    pub channel: DpoChannelDto,
    /// When it was received (RFC 3339, UTC).
    pub received_at: DateTime<Utc>,
    /// When it must be answered (RFC 3339, UTC): a month after receipt, or
    /// three once extended.
    pub due_at: DateTime<Utc>,
    /// `true` when still open past its due date.
    pub overdue: bool,
    /// Whether the deadline was extended (once).
    pub extended: bool,
    /// When the identity was verified (RFC 3339, UTC).
    pub verified_at: Option<DateTime<Utc>>,
    /// `open` or `fulfilled`.
    pub status: String,
    /// When it was answered (RFC 3339, UTC).
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// How the identity was verified (staff's note; `null` once the person
    /// is erased).
    pub verification: Option<String>,
    /// Why the deadline was extended (staff's note).
    pub extension_reason: Option<String>,
    /// What was done (staff's note).
    pub outcome: Option<String>,
    /// The contact message it came from (a UUID).
    pub contact_message_id: Option<Uuid>,
}

fn kind_dto(k: DpoKind) -> DpoKindDto {
    match k {
        DpoKind::Access => DpoKindDto::Access,
        DpoKind::Rectification => DpoKindDto::Rectification,
        DpoKind::Erasure => DpoKindDto::Erasure,
        DpoKind::Portability => DpoKindDto::Portability,
        DpoKind::Restriction => DpoKindDto::Restriction,
        DpoKind::Objection => DpoKindDto::Objection,
    }
}

fn channel_dto(c: DpoChannel) -> DpoChannelDto {
    match c {
        DpoChannel::Email => DpoChannelDto::Email,
        DpoChannel::ContactMessage => DpoChannelDto::ContactMessage,
        DpoChannel::Letter => DpoChannelDto::Letter,
        DpoChannel::Phone => DpoChannelDto::Phone,
    }
}

impl DpoRequestDto {
    fn of(r: DpoRequest, now: DateTime<Utc>) -> Self {
        let notes = r.notes.unwrap_or_default();
        Self {
            id: r.id,
            customer_id: r.customer.as_uuid(),
            kind: kind_dto(r.kind),
            channel: channel_dto(r.channel),
            received_at: r.received_at,
            due_at: r.due_at,
            overdue: r.status == DpoStatus::Open && now > r.due_at,
            extended: r.extended,
            verified_at: r.verified_at,
            status: r.status.as_str().to_owned(),
            fulfilled_at: r.fulfilled_at,
            verification: notes.verification,
            extension_reason: notes.extension_reason,
            outcome: notes.outcome,
            contact_message_id: r.contact_message,
        }
    }
}

/// The requests: open ones first, the earliest due (overdue) first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "overdue": 0}))]
pub struct DpoRequestList {
    /// The requests.
    pub items: Vec<DpoRequestDto>,
    /// How many open requests are past their due date.
    pub overdue: u64,
}

const NOT_FOUND: &str = "No request has this id.";

fn request_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(NOT_FOUND.into()))
}

/// Record a request received by the DPO (admins; audited): due a month
/// after receipt.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_record_dpo_request",
    security(("bearer" = [])),
    request_body = DpoRequestInput,
    responses(
        (status = 201, description = "Recorded", body = DpoRequestDto, headers(("Location" = String, description = "The request"))),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/privacy/requests")]
pub async fn admin_record_dpo_request(
    state: SharedState,
    admin: Admin,
    body: Body<DpoRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let r = dpo::record(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        dpo::NewDpoRequest {
            customer: CustomerId::from_uuid(b.customer_id),
            kind: b.kind.into(),
            channel: b.channel.into(),
            received_at: b.received_at,
            contact_message: b.contact_message_id,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/admin/privacy/requests/{}", r.id)))
        .json(DpoRequestDto::of(r, state.clock.now())))
}

/// The DPO's requests (admins): open ones first, overdue and due soon at
/// the top.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_dpo_requests",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests", body = DpoRequestList),
        SignedInErrors,
    )
)]
#[get("/v1/admin/privacy/requests")]
pub async fn admin_list_dpo_requests(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<DpoRequestList>, ApiError> {
    let now = state.clock.now();
    let items: Vec<DpoRequestDto> = state
        .store
        .reader()
        .dpo()
        .list()
        .await?
        .into_iter()
        .map(|r| DpoRequestDto::of(r, now))
        .collect();
    Ok(web::Json(DpoRequestList {
        overdue: items.iter().filter(|r| r.overdue).count() as u64,
        items,
    }))
}

/// One request (admins).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_dpo_request",
    security(("bearer" = [])),
    params(("request_id" = Uuid, Path, description = "The request's id (UUID)")),
    responses(
        (status = 200, description = "The request", body = DpoRequestDto),
        (status = 404, description = "No request has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/privacy/requests/{request_id}")]
pub async fn admin_get_dpo_request(
    state: SharedState,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<DpoRequestDto>, ApiError> {
    let r = dpo::get(state.store.as_ref(), request_id(&path)?).await?;
    Ok(web::Json(DpoRequestDto::of(r, state.clock.now())))
}

/// A staff note (the body of the verification, extension and fulfilment
/// of a request).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "copy of an ID checked by e-mail, not kept"}))]
pub struct DpoNote {
    /// How the identity was verified, why the deadline is extended, or what
    /// was done: 3 to 1,000 characters, sealed under the person's key.
    #[validate(length(max = 1000))]
    #[schema(min_length = 3, max_length = 1000)]
    pub note: String,
}

/// Record how the person's identity was verified (admins; audited): a
/// request is answered only once it is.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_verify_dpo_request",
    security(("bearer" = [])),
    params(("request_id" = Uuid, Path, description = "The request's id (UUID)")),
    request_body = DpoNote,
    responses(
        (status = 200, description = "The request", body = DpoRequestDto),
        (status = 404, description = "No request has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request was answered already", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/privacy/requests/{request_id}/verification")]
pub async fn admin_verify_dpo_request(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<DpoNote>,
) -> Result<web::Json<DpoRequestDto>, ApiError> {
    noted(&state, &admin, &path, body, dpo::Step::Verify).await
}

/// A verification or an extension, with its note.
async fn noted(
    state: &SharedState,
    admin: &Admin,
    path: &str,
    body: Body<DpoNote>,
    step: dpo::Step,
) -> Result<web::Json<DpoRequestDto>, ApiError> {
    let id = request_id(path)?;
    let b = body.read().await?;
    validate(&b)?;
    let r = dpo::step(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        id,
        step,
        &b.note,
    )
    .await?;
    Ok(web::Json(DpoRequestDto::of(r, state.clock.now())))
}

/// Extend the deadline by two months, once, with the reason (admins;
/// audited; GDPR art. 12(3)).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_extend_dpo_request",
    security(("bearer" = [])),
    params(("request_id" = Uuid, Path, description = "The request's id (UUID)")),
    request_body = DpoNote,
    responses(
        (status = 200, description = "The request, due two months later", body = DpoRequestDto),
        (status = 404, description = "No request has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Extended already, or answered", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/privacy/requests/{request_id}/extension")]
pub async fn admin_extend_dpo_request(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<DpoNote>,
) -> Result<web::Json<DpoRequestDto>, ApiError> {
    noted(&state, &admin, &path, body, dpo::Step::Extend).await
}

/// What answering a request produced.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"request": {
    "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "kind": "restriction",
    "channel": "letter",
    "received_at": "2026-12-01T09:00:00Z",
    "due_at": "2027-01-01T09:00:00Z",
    "overdue": false,
    "extended": false,
    "verified_at": "2026-12-02T10:00:00Z",
    "status": "fulfilled",
    "fulfilled_at": "2026-12-02T11:00:00Z",
    "verification": "signed letter with a copy of an ID, not kept",
    "extension_reason": null,
    "outcome": "data frozen",
    "contact_message_id": null
}, "export": null, "receipt": null}))]
pub struct DpoAnswer {
    /// The request, answered.
    pub request: DpoRequestDto,
    /// Access and portability: the file to send the person.
    pub export: Option<DataExport>,
    /// Erasure: its receipt.
    pub receipt: Option<ErasureReceipt>,
}

/// Answer a request (admins; audited), once the identity is verified, with
/// a note of what was done: access and portability answer the export to
/// send; erasure erases the account and answers the receipt; restriction
/// freezes the data (changes refused with 423, left out of mailings, kept);
/// objection withdraws every consent; rectification records the
/// correction staff made.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_fulfil_dpo_request",
    security(("bearer" = [])),
    params(("request_id" = Uuid, Path, description = "The request's id (UUID)")),
    request_body = DpoNote,
    responses(
        (status = 200, description = "Answered", body = DpoAnswer),
        (status = 404, description = "No request has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The identity is not verified yet, or the request was answered already", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/privacy/requests/{request_id}/fulfilment")]
pub async fn admin_fulfil_dpo_request(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<DpoNote>,
) -> Result<web::Json<DpoAnswer>, ApiError> {
    let id = request_id(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let (r, done) = dpo::fulfil(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.retention,
        &admin.0,
        id,
        &b.note,
    )
    .await?;
    let (export, receipt) = match done {
        Fulfilment::Export(e) => (Some(DataExport::from(e)), None),
        Fulfilment::Erased(receipt) => (None, Some(ErasureReceipt::from(receipt))),
        Fulfilment::Done => (None, None),
    };
    Ok(web::Json(DpoAnswer {
        request: DpoRequestDto::of(r, state.clock.now()),
        export,
        receipt,
    }))
}

/// Lift an answered restriction (admins; audited): the customer's data can
/// change again.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_lift_dpo_restriction",
    security(("bearer" = [])),
    params(("request_id" = Uuid, Path, description = "The request's id (UUID)")),
    responses(
        (status = 200, description = "Lifted: the request", body = DpoRequestDto),
        (status = 404, description = "No request has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not an answered restriction request", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/privacy/requests/{request_id}/lift")]
pub async fn admin_lift_dpo_restriction(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<DpoRequestDto>, ApiError> {
    let r = dpo::lift(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        request_id(&path)?,
    )
    .await?;
    Ok(web::Json(DpoRequestDto::of(r, state.clock.now())))
}
