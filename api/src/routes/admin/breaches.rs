//! `/v1/admin/breaches` (BR-1, GDPR art. 33-34): the breach register,
//! the 72-hour deadline for the supervisory authority, and the notice to
//! the people concerned. Admins only; every change audited.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::breach::{self, Audience, Breach, BreachReport};
use domain::identity::CustomerId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Admin;
use crate::body::Body;
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::validate;
use crate::state::SharedState;

/// 1 to 20 categories, each of 1 to 100 characters: what the domain
/// accepts, so the document bounds a report's size too.
fn categories(description: &str, example: &str) -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .min_length(Some(1))
                .max_length(Some(100)),
        )
        .min_items(Some(1))
        .max_items(Some(20))
        .description(Some(description))
        .examples([serde_json::json!([example])])
        .build()
}

fn data_categories_schema() -> utoipa::openapi::schema::Array {
    categories(
        "Categories of personal data concerned (1 to 20, each 1 to 100 characters).",
        "e-mail addresses",
    )
}

fn people_categories_schema() -> utoipa::openapi::schema::Array {
    categories(
        "Categories of people concerned (1 to 20, each 1 to 100 characters).",
        "customers",
    )
}

/// A breach, as an admin reports it: descriptions and counts, never the
/// names or addresses of the people concerned.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "nature": "A copy of the customer table was readable on a misconfigured storage bucket for 6 hours.",
    "data_categories": ["e-mail addresses", "names"],
    "people_categories": ["customers"],
    "approx_people": 1200,
    "approx_records": 1200,
    "consequences": "Phishing messages pretending to come from the shop.",
    "measures": "The bucket was closed, access logs reviewed, and the copy deleted.",
    "discovered_at": "2026-12-01T09:00:00Z"
}))]
pub struct BreachInput {
    /// What happened (1 to 5,000 characters).
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub nature: String,
    /// Categories of personal data concerned (1 to 20, each 1 to 100
    /// characters).
    #[validate(length(max = 20))]
    #[schema(schema_with = data_categories_schema)]
    pub data_categories: Vec<String>,
    /// Categories of people concerned (1 to 20, each 1 to 100 characters).
    #[validate(length(max = 20))]
    #[schema(schema_with = people_categories_schema)]
    pub people_categories: Vec<String>,
    /// About how many people.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub approx_people: u64,
    /// About how many records.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub approx_records: u64,
    /// Its likely consequences (1 to 5,000 characters).
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub consequences: String,
    /// What was done or will be to address it (1 to 5,000 characters).
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub measures: String,
    /// When the shop learnt of it (RFC 3339, UTC; not in the future): the
    /// 72 hours count from here.
    pub discovered_at: DateTime<Utc>,
}

/// A breach of the register.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Breach)]
#[schema(example = json!({
    "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "nature": "A copy of the customer table was readable on a misconfigured storage bucket for 6 hours.",
    "data_categories": ["e-mail addresses", "names"],
    "people_categories": ["customers"],
    "approx_people": 1200,
    "approx_records": 1200,
    "consequences": "Phishing messages pretending to come from the shop.",
    "measures": "The bucket was closed, access logs reviewed, and the copy deleted.",
    "discovered_at": "2026-12-01T09:00:00Z",
    "recorded_at": "2026-12-01T10:30:00Z",
    "recorded_by": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "authority_deadline": "2026-12-04T09:00:00Z",
    "authority_notified_at": "2026-12-02T16:00:00Z",
    "authority_reference": "CNIL-2026-12345",
    "deadline_met": true,
    "people_notified_at": "2026-12-02T17:00:00Z",
    "people_notified": 1187
}))]
pub struct BreachDto {
    /// Its id (a UUID).
    pub id: Uuid,
    /// What happened.
    pub nature: String,
    /// Categories of personal data concerned.
    pub data_categories: Vec<String>,
    /// Categories of people concerned.
    pub people_categories: Vec<String>,
    /// About how many people.
    pub approx_people: u64,
    /// About how many records.
    pub approx_records: u64,
    /// Likely consequences.
    pub consequences: String,
    /// Measures taken.
    pub measures: String,
    /// When the shop learnt of it (RFC 3339, UTC).
    pub discovered_at: DateTime<Utc>,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: DateTime<Utc>,
    /// The admin who recorded it (a UUID).
    pub recorded_by: Uuid,
    /// When the supervisory authority must have been told: 72 hours after
    /// the discovery (RFC 3339, UTC).
    pub authority_deadline: DateTime<Utc>,
    /// When it was told (RFC 3339, UTC), if it was.
    pub authority_notified_at: Option<DateTime<Utc>>,
    /// The authority's reference, if given.
    pub authority_reference: Option<String>,
    /// Whether the deadline was met: `null` while it runs.
    pub deadline_met: Option<bool>,
    /// When the people concerned were last sent the notice (RFC 3339, UTC).
    pub people_notified_at: Option<DateTime<Utc>>,
    /// How many people were sent it.
    pub people_notified: u64,
}

impl BreachDto {
    fn of(b: Breach, now: DateTime<Utc>) -> Self {
        Self {
            authority_deadline: b.authority_deadline(),
            deadline_met: b.deadline_met(now),
            id: b.id,
            nature: b.report.nature,
            data_categories: b.report.data_categories,
            people_categories: b.report.people_categories,
            approx_people: b.report.approx_people,
            approx_records: b.report.approx_records,
            consequences: b.report.consequences,
            measures: b.report.measures,
            discovered_at: b.report.discovered_at,
            recorded_at: b.recorded_at,
            recorded_by: b.recorded_by.as_uuid(),
            authority_notified_at: b.authority_notified_at,
            authority_reference: b.authority_reference,
            people_notified_at: b.people_notified_at,
            people_notified: b.people_notified,
        }
    }
}

/// Every breach, the latest discovered first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct BreachList {
    /// The breaches.
    pub items: Vec<BreachDto>,
}

const NOT_FOUND: &str = "No breach has this id.";

fn breach_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(NOT_FOUND.into()))
}

/// Record a breach in the register (admins; audited). Its deadline for
/// telling the supervisory authority follows from `discovered_at`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_record_breach",
    security(("bearer" = [])),
    request_body = BreachInput,
    responses(
        (status = 201, description = "Recorded", body = BreachDto, headers(("Location" = String, description = "The breach"))),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/breaches")]
pub async fn admin_record_breach(
    state: SharedState,
    admin: Admin,
    body: Body<BreachInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let report = BreachReport {
        nature: b.nature,
        data_categories: b.data_categories,
        people_categories: b.people_categories,
        approx_people: b.approx_people,
        approx_records: b.approx_records,
        consequences: b.consequences,
        measures: b.measures,
        discovered_at: b.discovered_at,
    };
    let b = breach::record(state.store.as_ref(), state.clock.as_ref(), &admin.0, report).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/admin/breaches/{}", b.id)))
        .json(BreachDto::of(b, state.clock.now())))
}

/// The breach register (admins).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_breaches",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every breach", body = BreachList),
        SignedInErrors,
    )
)]
#[get("/v1/admin/breaches")]
pub async fn admin_list_breaches(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<BreachList>, ApiError> {
    let now = state.clock.now();
    let items = state.store.reader().breaches().list().await?;
    Ok(web::Json(BreachList {
        items: items.into_iter().map(|b| BreachDto::of(b, now)).collect(),
    }))
}

/// One breach (admins).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_breach",
    security(("bearer" = [])),
    params(("breach_id" = Uuid, Path, description = "The breach's id (UUID)")),
    responses(
        (status = 200, description = "The breach", body = BreachDto),
        (status = 404, description = "No breach has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/breaches/{breach_id}")]
pub async fn admin_get_breach(
    state: SharedState,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<BreachDto>, ApiError> {
    let b = breach::get(state.store.as_ref(), breach_id(&path)?).await?;
    Ok(web::Json(BreachDto::of(b, state.clock.now())))
}

/// When the supervisory authority was told (the body of
/// `POST /v1/admin/breaches/{breach_id}/authority-notification`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notified_at": "2026-12-02T16:00:00Z", "reference": "CNIL-2026-12345"}))]
pub struct AuthorityNotification {
    /// When (RFC 3339, UTC): between the discovery and now.
    pub notified_at: DateTime<Utc>,
    /// The authority's reference (1 to 100 characters), if it gave one.
    #[validate(length(max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub reference: Option<String>,
}

/// Record that the supervisory authority was told (admins; audited): the
/// breach then says whether it was within the 72 hours.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_record_authority_notification",
    security(("bearer" = [])),
    params(("breach_id" = Uuid, Path, description = "The breach's id (UUID)")),
    request_body = AuthorityNotification,
    responses(
        (status = 200, description = "The breach", body = BreachDto),
        (status = 404, description = "No breach has this id", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/breaches/{breach_id}/authority-notification")]
pub async fn admin_record_authority_notification(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<AuthorityNotification>,
) -> Result<web::Json<BreachDto>, ApiError> {
    let id = breach_id(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let b = breach::authority_notified(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        id,
        b.notified_at,
        b.reference,
    )
    .await?;
    Ok(web::Json(BreachDto::of(b, state.clock.now())))
}

/// Who is sent the notice:
///
/// - `all_customers`: every customer account (never staff).
/// - `customers`: the accounts listed in `customer_ids`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeAudience {
    /// Every customer account.
    AllCustomers,
    /// The accounts listed in `customer_ids`.
    Customers,
}

/// The notice to the people concerned (the body of
/// `POST /v1/admin/breaches/{breach_id}/notifications`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "audience": "all_customers",
    "message_fr": "Le 1er décembre, une copie de nos fichiers clients a été exposée...",
    "message_en": "On 1 December, a copy of our customer records was exposed..."
}))]
pub struct NoticeInput {
    /// `all_customers` (every customer account) or `customers` (the accounts
    /// of `customer_ids`).
    pub audience: NoticeAudience,
    /// With `customers`: the accounts concerned (UUIDs, at most 1,000 per
    /// request: send several for more).
    #[validate(length(max = 1000))]
    #[schema(max_items = 1000)]
    pub customer_ids: Option<Vec<Uuid>>,
    /// What the notice says in French: what happened, its likely
    /// consequences, what was done, what to do (1 to 5,000 characters).
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub message_fr: String,
    /// The same in English (1 to 5,000 characters).
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub message_en: String,
}

/// Send the people concerned the notice of a breach (admins; audited):
/// one e-mail each through the outbox, in their language. Answers once
/// every notice is queued; the breach counts them. `all_customers` is sent
/// once per breach, even when asked twice at the same time.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_notify_breach",
    security(("bearer" = [])),
    params(("breach_id" = Uuid, Path, description = "The breach's id (UUID)")),
    request_body = NoticeInput,
    responses(
        (status = 200, description = "Queued: the breach with its count", body = BreachDto),
        (status = 404, description = "No breach has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`all_customers` was already sent the notice of this breach (once only)", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "every customer was already sent the notice of this breach",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/breaches/{breach_id}/notifications")]
pub async fn admin_notify_breach(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<NoticeInput>,
) -> Result<web::Json<BreachDto>, ApiError> {
    let id = breach_id(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let audience = match (b.audience, b.customer_ids) {
        (NoticeAudience::AllCustomers, None) => Audience::AllCustomers,
        (NoticeAudience::Customers, Some(ids)) if !ids.is_empty() => {
            Audience::Customers(ids.into_iter().map(CustomerId::from_uuid).collect())
        }
        _ => {
            let mut f = domain::FieldErrors::default();
            f.push(
                "customer_ids",
                "required (not empty) with `customers`, absent with `all_customers`",
            );
            return Err(ApiError::Validation(f));
        }
    };
    let b = breach::notify_people(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        id,
        audience,
        &b.message_fr,
        &b.message_en,
        state.config.retention_batch,
    )
    .await?;
    Ok(web::Json(BreachDto::of(b, state.clock.now())))
}
