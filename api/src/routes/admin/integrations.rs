//! `/v1/admin/api-keys` and `/v1/admin/webhooks`: third-party systems'
//! keys (admins only, with a session) and outgoing webhook endpoints
//! (admins, or a key with `webhooks:manage`). Every change is audited.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use domain::identity::Randomness as _;
use domain::ids::{ApiKeyId, WebhookDeliveryId, WebhookEndpointId};
use domain::integration::webhooks::{self, Delivery, DeliveryStatus, Endpoint, EndpointInput};
use domain::integration::{ApiKey, EventType, KeyStatus, NewKey, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Admin;
use crate::auth::keys::{StaffOrKey, WebhooksManage};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::{PageParams, cursor_after, validate};
use crate::state::SharedState;

/// What a key may do:
///
/// - `catalogue:read`: read every plan, published or not, its files and
///   the catalogue export.
/// - `catalogue:write`: create, change, publish, unpublish, delete and
///   import plans, and attach their files.
/// - `orders:read`: the order desk's list and orders with their buyer
///   (personal data: the key needs a `purpose`; each read is audited under
///   the key's name).
/// - `orders:write`: move orders (mark paid, hold, release, complete,
///   cancel); personal data, so a `purpose` is needed.
/// - `customers:read`: customers' records (personal data: needs a
///   `purpose`; each read audited).
/// - `webhooks:manage`: register and manage webhook endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ApiKeyScope)]
pub enum ScopeDto {
    /// Read the catalogue.
    #[serde(rename = "catalogue:read")]
    CatalogueRead,
    /// Change the catalogue.
    #[serde(rename = "catalogue:write")]
    CatalogueWrite,
    /// Read orders.
    #[serde(rename = "orders:read")]
    OrdersRead,
    /// Move orders.
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// Read customers.
    #[serde(rename = "customers:read")]
    CustomersRead,
    /// Manage webhooks.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
}

impl From<ScopeDto> for Scope {
    fn from(s: ScopeDto) -> Self {
        match s {
            ScopeDto::CatalogueRead => Self::CatalogueRead,
            ScopeDto::CatalogueWrite => Self::CatalogueWrite,
            ScopeDto::OrdersRead => Self::OrdersRead,
            ScopeDto::OrdersWrite => Self::OrdersWrite,
            ScopeDto::CustomersRead => Self::CustomersRead,
            ScopeDto::WebhooksManage => Self::WebhooksManage,
        }
    }
}

impl From<Scope> for ScopeDto {
    fn from(s: Scope) -> Self {
        match s {
            Scope::CatalogueRead => Self::CatalogueRead,
            Scope::CatalogueWrite => Self::CatalogueWrite,
            Scope::OrdersRead => Self::OrdersRead,
            Scope::OrdersWrite => Self::OrdersWrite,
            Scope::CustomersRead => Self::CustomersRead,
            Scope::WebhooksManage => Self::WebhooksManage,
        }
    }
}

/// A new API key (the body of `POST /v1/admin/api-keys`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Print shop",
    "purpose": "prints and ships the printed sets of paid orders",
    "scopes": ["orders:read", "orders:write"],
    "expires_at": "2027-12-31T23:59:59Z"
}))]
#[schema(as = ApiKeyInput)]
pub struct ApiKeyRequest {
    /// Who uses it, as the audit log will name it (1 to 100 characters).
    #[validate(length(max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Print shop")]
    pub name: String,
    /// Why it reaches personal data (3 to 500 characters): required when a
    /// scope does (`orders:*`, `customers:read`). It is listed in the
    /// record of processing and recorded with each read.
    #[validate(length(max = 500))]
    #[schema(min_length = 3, max_length = 500)]
    pub purpose: Option<String>,
    /// What it may do (at least one).
    #[validate(length(max = 6))]
    #[schema(min_items = 1, max_items = 6)]
    pub scopes: Vec<ScopeDto>,
    /// When it stops working (RFC 3339, UTC, in the future); never when absent.
    pub expires_at: Option<DateTime<Utc>>,
    /// Requests a minute it may make (1 to 100,000; default: the server's,
    /// 600). Over it: 429 with `Retry-After`.
    #[serde(
        default,
        deserialize_with = "crate::routes::common::optional_whole_number"
    )]
    #[schema(minimum = 1, maximum = 100_000, example = 600)]
    pub rate_per_minute: Option<u32>,
}

/// Whether a key works:
///
/// - `active`: it works.
/// - `expired`: its `expires_at` has passed.
/// - `revoked`: an admin revoked it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ApiKeyStatus)]
pub enum KeyStatusDto {
    /// Works.
    Active,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

/// An API key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKey)]
#[schema(example = json!({
    "id": "01a21fb5-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
    "name": "Print shop",
    "purpose": "prints and ships the printed sets of paid orders",
    "scopes": ["orders:read", "orders:write"],
    "prefix": "bq_live_Xy3kP9",
    "status": "active",
    "rate_per_minute": 600,
    "created_at": "2026-12-08T09:00:00Z",
    "created_by": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "expires_at": "2027-12-31T23:59:59Z",
    "revoked_at": null,
    "last_used_at": "2026-12-08T10:41:00Z",
    "rotated_at": null,
    "previous_prefix": null,
    "previous_until": null
}))]
pub struct ApiKeyDto {
    /// Its id (a UUID).
    pub id: Uuid,
    /// Who uses it.
    pub name: String,
    /// Why it reaches personal data, if it does.
    pub purpose: Option<String>,
    /// What it may do.
    pub scopes: Vec<ScopeDto>,
    /// The visible start of its secret (`bq_live_` and 6 characters), to
    /// recognise a leaked key.
    pub prefix: String,
    /// Whether it works now.
    pub status: KeyStatusDto,
    /// Requests a minute it may make.
    pub rate_per_minute: u32,
    /// When it was made (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// The admin who made it (a UUID).
    pub created_by: Uuid,
    /// When it stops working, if ever (RFC 3339, UTC).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked (RFC 3339, UTC).
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute) (RFC 3339, UTC).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When its secret was last replaced (RFC 3339, UTC).
    pub rotated_at: Option<DateTime<Utc>>,
    /// The visible start of the replaced secret, while it still works.
    pub previous_prefix: Option<String>,
    /// Until when the replaced secret works (RFC 3339, UTC).
    pub previous_until: Option<DateTime<Utc>>,
}

impl ApiKeyDto {
    fn of(k: ApiKey, now: DateTime<Utc>) -> Self {
        let status = match k.status(now) {
            KeyStatus::Active => KeyStatusDto::Active,
            KeyStatus::Expired => KeyStatusDto::Expired,
            KeyStatus::Revoked => KeyStatusDto::Revoked,
        };
        let grace = k.previous_until.filter(|u| *u > now);
        Self {
            id: k.id.as_uuid(),
            name: k.name,
            purpose: k.purpose,
            scopes: k.scopes.into_iter().map(Into::into).collect(),
            prefix: k.prefix,
            status,
            rate_per_minute: k.rate_per_minute,
            created_at: k.created_at,
            created_by: k.created_by.as_uuid(),
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
            rotated_at: k.rotated_at,
            previous_prefix: grace.and(k.previous_prefix),
            previous_until: grace,
        }
    }
}

/// A key with its secret: the only answer that ever holds it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKeyWithSecret)]
#[schema(example = json!({
    "key": {
        "id": "01a21fb5-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
        "name": "Print shop",
        "purpose": "prints and ships the printed sets of paid orders",
        "scopes": ["orders:read", "orders:write"],
        "prefix": "bq_live_Xy3kP9",
        "status": "active",
        "rate_per_minute": 600,
        "created_at": "2026-12-08T09:00:00Z",
        "created_by": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
        "expires_at": null,
        "revoked_at": null,
        "last_used_at": null,
        "rotated_at": null,
        "previous_prefix": null,
        "previous_until": null
    },
    "secret": "bq_live_Xy3kP9q2Lr8sT4vW6yZ1aB3cD5eF7gH9iJ0kL2mN4o"
}))]
pub struct ApiKeySecret {
    /// The key as listed, without its secret.
    pub key: ApiKeyDto,
    /// Its secret, shown this once and stored only as a keyed hash: send it
    /// as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Every API key.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct ApiKeyList {
    /// Newest first.
    pub items: Vec<ApiKeyDto>,
}

const NO_KEY: &str = "No API key has this id.";

fn key_id(raw: &str) -> Result<ApiKeyId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(NO_KEY.into()))
}

/// Create an API key for a third-party system (admins; audited). The
/// answer holds its secret, shown this once.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_create_api_key",
    security(("bearer" = [])),
    request_body = ApiKeyRequest,
    responses(
        (status = 201, description = "Created, with its secret", body = ApiKeySecret, headers(("Location" = String, description = "The key"))),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/api-keys")]
pub async fn admin_create_api_key(
    state: SharedState,
    admin: Admin,
    body: Body<ApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let (key, secret) = domain::integration::create_key(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.index.as_ref(),
        &admin.0,
        NewKey {
            name: b.name,
            purpose: b.purpose,
            scopes: b.scopes.into_iter().map(Into::into).collect(),
            expires_at: b.expires_at,
            rate_per_minute: b.rate_per_minute,
        },
        &state.random.token(),
        state.config.api_key_rate,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/admin/api-keys/{}", key.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiKeySecret {
            key: ApiKeyDto::of(key, state.clock.now()),
            secret,
        }))
}

/// Every API key, with its last use (admins).
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_list_api_keys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every key", body = ApiKeyList),
        SignedInErrors,
    )
)]
#[get("/v1/admin/api-keys")]
pub async fn admin_list_api_keys(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<ApiKeyList>, ApiError> {
    let now = state.clock.now();
    let items = domain::integration::list_keys(state.store.as_ref()).await?;
    Ok(web::Json(ApiKeyList {
        items: items.into_iter().map(|k| ApiKeyDto::of(k, now)).collect(),
    }))
}

/// One API key (admins).
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_get_api_key",
    security(("bearer" = [])),
    params(("key_id" = Uuid, Path, description = "The key's id (UUID)")),
    responses(
        (status = 200, description = "The key", body = ApiKeyDto),
        (status = 404, description = "No key has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/api-keys/{key_id}")]
pub async fn admin_get_api_key(
    state: SharedState,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<ApiKeyDto>, ApiError> {
    let k = domain::integration::get_key(state.store.as_ref(), key_id(&path)?).await?;
    Ok(web::Json(ApiKeyDto::of(k, state.clock.now())))
}

/// How long a rotated key's old secret keeps working (the body of
/// `POST /v1/admin/api-keys/{key_id}/rotate`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grace_seconds": 86400}))]
#[schema(as = ApiKeyRotation)]
pub struct RotateRequest {
    /// Seconds the old secret keeps working, 0 (stops at once) to 604,800
    /// (7 days); default 86,400 (a day).
    #[serde(
        default,
        deserialize_with = "crate::routes::common::optional_whole_number"
    )]
    #[schema(minimum = 0, maximum = 604_800, example = 86_400)]
    pub grace_seconds: Option<u32>,
}

/// Replace an API key's secret (admins; audited): the answer holds the new
/// one; the old one works for the grace period, so the integration can
/// switch without an outage.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_rotate_api_key",
    security(("bearer" = [])),
    params(("key_id" = Uuid, Path, description = "The key's id (UUID)")),
    request_body = RotateRequest,
    responses(
        (status = 200, description = "The key, with its new secret", body = ApiKeySecret),
        (status = 404, description = "No key has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key is revoked or expired: create a new one", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/api-keys/{key_id}/rotate")]
pub async fn admin_rotate_api_key(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<RotateRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = key_id(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let grace = chrono::Duration::seconds(i64::from(b.grace_seconds.unwrap_or(86_400)));
    let (key, secret) = domain::integration::rotate_key(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.index.as_ref(),
        &admin.0,
        id,
        grace,
        &state.random.token(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiKeySecret {
            key: ApiKeyDto::of(key, state.clock.now()),
            secret,
        }))
}

/// Revoke an API key at once, with any previous secret (admins; audited).
/// The key stays listed (revoked) for the audit log's sake; revoking a
/// revoked key changes nothing.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_revoke_api_key",
    security(("bearer" = [])),
    params(("key_id" = Uuid, Path, description = "The key's id (UUID)")),
    responses(
        (status = 200, description = "The key, revoked", body = ApiKeyDto),
        (status = 404, description = "No key has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/api-keys/{key_id}/revoke")]
pub async fn admin_revoke_api_key(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<ApiKeyDto>, ApiError> {
    let k = domain::integration::revoke_key(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        key_id(&path)?,
    )
    .await?;
    Ok(web::Json(ApiKeyDto::of(k, state.clock.now())))
}

/// An event type an endpoint subscribes to:
///
/// - `order.created`: an order was placed.
/// - `order.paid`: an order was paid (card or bank transfer).
/// - `order.status_changed`: an order changed status (`data.from`,
///   `data.status`).
/// - `order.refunded`: an order was refunded, fully or in part
///   (`data.refund_id`, `data.refund_amount`, `data.credit_note`).
/// - `product.published`: a plan was published.
/// - `review.approved`: a review was approved.
/// - `customer.erased`: a customer was erased: forget `data.customer_id`
///   and `data.order_ids`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = WebhookEventType)]
pub enum EventTypeDto {
    /// Placed.
    #[serde(rename = "order.created")]
    OrderCreated,
    /// Paid.
    #[serde(rename = "order.paid")]
    OrderPaid,
    /// New status.
    #[serde(rename = "order.status_changed")]
    OrderStatusChanged,
    /// Refunded.
    #[serde(rename = "order.refunded")]
    OrderRefunded,
    /// Plan published.
    #[serde(rename = "product.published")]
    ProductPublished,
    /// Review approved.
    #[serde(rename = "review.approved")]
    ReviewApproved,
    /// Customer erased.
    #[serde(rename = "customer.erased")]
    CustomerErased,
}

impl From<EventTypeDto> for EventType {
    fn from(e: EventTypeDto) -> Self {
        match e {
            EventTypeDto::OrderCreated => Self::OrderCreated,
            EventTypeDto::OrderPaid => Self::OrderPaid,
            EventTypeDto::OrderStatusChanged => Self::OrderStatusChanged,
            EventTypeDto::OrderRefunded => Self::OrderRefunded,
            EventTypeDto::ProductPublished => Self::ProductPublished,
            EventTypeDto::ReviewApproved => Self::ReviewApproved,
            EventTypeDto::CustomerErased => Self::CustomerErased,
        }
    }
}

impl From<EventType> for EventTypeDto {
    fn from(e: EventType) -> Self {
        match e {
            EventType::OrderCreated => Self::OrderCreated,
            EventType::OrderPaid => Self::OrderPaid,
            EventType::OrderStatusChanged => Self::OrderStatusChanged,
            EventType::OrderRefunded => Self::OrderRefunded,
            EventType::ProductPublished => Self::ProductPublished,
            EventType::ReviewApproved => Self::ReviewApproved,
            EventType::CustomerErased => Self::CustomerErased,
        }
    }
}

/// A webhook endpoint's settings (the body of `POST /v1/admin/webhooks`
/// and `PUT /v1/admin/webhooks/{endpoint_id}`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://print.example/hooks/boutique",
    "description": "Print shop: paid orders to print",
    "events": ["order.paid", "order.refunded", "customer.erased"],
    "personal_purpose": "prints and ships the printed sets: needs the buyer's name and shipping address"
}))]
#[schema(as = WebhookEndpointInput)]
pub struct EndpointRequest {
    /// Where deliveries are posted: `https` (plain `http` only outside
    /// production), and in production a host whose addresses are all
    /// public (no loopback, private or reserved ranges). At most 2,000
    /// characters.
    #[validate(length(max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        format = "uri",
        example = "https://print.example/hooks/boutique"
    )]
    pub url: String,
    /// What it is (at most 200 characters).
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// The event types it receives (at least one).
    #[validate(length(max = 7))]
    #[schema(min_items = 1, max_items = 7)]
    pub events: Vec<EventTypeDto>,
    /// Why it needs the buyer's contact details (3 to 500 characters).
    /// Given, order events also carry `data.buyer` (e-mail, name, phone,
    /// addresses), read when sent; absent, payloads hold only ids and
    /// non-personal facts. Audited, and listed in the record of
    /// processing.
    #[validate(length(max = 500))]
    #[schema(min_length = 3, max_length = 500)]
    pub personal_purpose: Option<String>,
    /// Whether deliveries go out (default `true`). Enabling a disabled
    /// endpoint resumes its pending deliveries.
    pub enabled: Option<bool>,
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
#[schema(example = json!({
    "id": "01a21fb6-1b2c-7d3e-8f4a-5b6c7d8e9f0a",
    "url": "https://print.example/hooks/boutique",
    "description": "Print shop: paid orders to print",
    "events": ["order.paid", "order.refunded", "customer.erased"],
    "personal_purpose": null,
    "enabled": true,
    "disabled_at": null,
    "disabled_reason": null,
    "created_at": "2026-12-08T09:00:00Z",
    "updated_at": "2026-12-08T09:00:00Z"
}))]
pub struct EndpointDto {
    /// Its id (a UUID).
    pub id: Uuid,
    /// Where deliveries are posted.
    pub url: String,
    /// What it is.
    pub description: String,
    /// The event types it receives.
    pub events: Vec<EventTypeDto>,
    /// Why it receives buyers' contact details, when it does.
    pub personal_purpose: Option<String>,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// When it was disabled (by hand, or after a delivery failed every
    /// attempt over about a day) (RFC 3339, UTC).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why.
    pub disabled_reason: Option<String>,
    /// When it was registered (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Endpoint> for EndpointDto {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id.as_uuid(),
            url: e.url,
            description: e.description,
            events: e.events.into_iter().map(Into::into).collect(),
            personal_purpose: e.personal_purpose,
            enabled: e.enabled,
            disabled_at: e.disabled_at,
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret: answered when it is registered and
/// when its secret is replaced.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookEndpointWithSecret)]
#[schema(example = json!({
    "endpoint": {
        "id": "01a21fb6-1b2c-7d3e-8f4a-5b6c7d8e9f0a",
        "url": "https://print.example/hooks/boutique",
        "description": "Print shop: paid orders to print",
        "events": ["order.paid"],
        "personal_purpose": null,
        "enabled": true,
        "disabled_at": null,
        "disabled_reason": null,
        "created_at": "2026-12-08T09:00:00Z",
        "updated_at": "2026-12-08T09:00:00Z"
    },
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
}))]
pub struct EndpointSecret {
    /// The endpoint as registered.
    pub endpoint: EndpointDto,
    /// Its signing secret (`whsec_` and base64): verify each delivery's
    /// `webhook-signature` with it, as the Standard Webhooks libraries do.
    pub secret: String,
}

/// Every webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct WebhookEndpointList {
    /// Oldest first.
    pub items: Vec<EndpointDto>,
}

/// Where a delivery stands:
///
/// - `pending`: waiting for its next attempt.
/// - `delivered`: the endpoint answered 2xx.
/// - `failed`: every attempt (8, over about a day) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = WebhookDeliveryStatus)]
pub enum DeliveryStatusDto {
    /// Waiting.
    Pending,
    /// Taken.
    Delivered,
    /// Given up.
    Failed,
}

impl From<DeliveryStatus> for DeliveryStatusDto {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<DeliveryStatusDto> for DeliveryStatus {
    fn from(s: DeliveryStatusDto) -> Self {
        match s {
            DeliveryStatusDto::Pending => Self::Pending,
            DeliveryStatusDto::Delivered => Self::Delivered,
            DeliveryStatusDto::Failed => Self::Failed,
        }
    }
}

/// One delivery of an event to an endpoint (no response body is kept).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDelivery)]
#[schema(example = json!({
    "id": "01a21fb7-2c3d-7e4f-8a5b-6c7d8e9f0a1b",
    "endpoint_id": "01a21fb6-1b2c-7d3e-8f4a-5b6c7d8e9f0a",
    "message_id": "msg_01a21fb72c3d7e4f8a5b6c7d8e9f0a1b",
    "event_type": "order.paid",
    "status": "delivered",
    "attempts": 2,
    "next_attempt_at": null,
    "last_attempt_at": "2026-12-08T10:00:05Z",
    "last_status_code": 200,
    "last_error": null,
    "created_at": "2026-12-08T10:00:00Z",
    "delivered_at": "2026-12-08T10:00:05Z"
}))]
pub struct DeliveryDto {
    /// Its id (a UUID).
    pub id: Uuid,
    /// The endpoint (a UUID).
    pub endpoint_id: Uuid,
    /// The event's id, sent as `webhook-id`: the same on every attempt and
    /// replay, so a receiver can ignore one it already took.
    pub message_id: String,
    /// What happened.
    pub event_type: EventTypeDto,
    /// Where it stands.
    pub status: DeliveryStatusDto,
    /// Attempts made.
    pub attempts: u32,
    /// When it is tried next (pending only) (RFC 3339, UTC).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was last tried (RFC 3339, UTC).
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When the endpoint took it (RFC 3339, UTC).
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Delivery> for DeliveryDto {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.as_uuid(),
            endpoint_id: d.endpoint_id.as_uuid(),
            message_id: d.message_id,
            event_type: d.event_type.into(),
            status: d.status.into(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// A page of an endpoint's deliveries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct WebhookDeliveryPage {
    /// Newest first.
    pub items: Vec<DeliveryDto>,
    /// The `cursor` of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Filter and page of an endpoint's deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// Only deliveries in this status.
    #[param(inline)]
    pub status: Option<DeliveryStatusDto>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page; empty means the first page.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

const NO_ENDPOINT: &str = "No webhook endpoint has this id.";

fn endpoint_id(raw: &str) -> Result<WebhookEndpointId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(NO_ENDPOINT.into()))
}

async fn settings(state: &SharedState, b: EndpointRequest) -> Result<EndpointInput, ApiError> {
    let production = state.config.environment == crate::config::Environment::Production;
    let url = crate::webhooks::check_url(&b.url, production).await?;
    Ok(EndpointInput {
        url,
        description: b.description.unwrap_or_default(),
        events: b.events.into_iter().map(Into::into).collect(),
        personal_purpose: b.personal_purpose,
        enabled: b.enabled.unwrap_or(true),
    })
}

fn with_secret(state: &SharedState, e: Endpoint) -> EndpointSecret {
    let secret = crate::webhooks::secret(state.index.as_ref(), &e);
    EndpointSecret {
        endpoint: e.into(),
        secret,
    }
}

/// Register a webhook endpoint (admins, or a key with `webhooks:manage`;
/// audited). The answer holds its signing secret.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_create_webhook",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    request_body = EndpointRequest,
    responses(
        (status = 201, description = "Registered, with its signing secret", body = EndpointSecret, headers(("Location" = String, description = "The endpoint"))),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/webhooks")]
pub async fn admin_create_webhook(
    state: SharedState,
    who: StaffOrKey<WebhooksManage>,
    body: Body<EndpointRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let input = settings(&state, b).await?;
    let e = webhooks::create_endpoint(
        state.store.as_ref(),
        state.clock.as_ref(),
        who.operator(),
        input,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/admin/webhooks/{}", e.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(with_secret(&state, e)))
}

/// Every webhook endpoint (admins, or a key with `webhooks:manage`).
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_list_webhooks",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "Every endpoint", body = WebhookEndpointList),
        SignedInErrors,
    )
)]
#[get("/v1/admin/webhooks")]
pub async fn admin_list_webhooks(
    state: SharedState,
    _who: StaffOrKey<WebhooksManage>,
) -> Result<web::Json<WebhookEndpointList>, ApiError> {
    let items = webhooks::list_endpoints(state.store.as_ref()).await?;
    Ok(web::Json(WebhookEndpointList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// One webhook endpoint (admins, or a key with `webhooks:manage`).
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_get_webhook",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    params(("endpoint_id" = Uuid, Path, description = "The endpoint's id (UUID)")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointDto),
        (status = 404, description = "No endpoint has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/webhooks/{endpoint_id}")]
pub async fn admin_get_webhook(
    state: SharedState,
    _who: StaffOrKey<WebhooksManage>,
    path: web::Path<String>,
) -> Result<web::Json<EndpointDto>, ApiError> {
    let e = webhooks::get_endpoint(state.store.as_ref(), endpoint_id(&path)?).await?;
    Ok(web::Json(e.into()))
}

/// Replace a webhook endpoint's settings (admins, or a key with
/// `webhooks:manage`; audited): its URL, events, opt-in to personal data,
/// and whether it is enabled.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_replace_webhook",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    params(("endpoint_id" = Uuid, Path, description = "The endpoint's id (UUID)")),
    request_body = EndpointRequest,
    responses(
        (status = 200, description = "The endpoint", body = EndpointDto),
        (status = 404, description = "No endpoint has this id", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/admin/webhooks/{endpoint_id}")]
pub async fn admin_replace_webhook(
    state: SharedState,
    who: StaffOrKey<WebhooksManage>,
    path: web::Path<String>,
    body: Body<EndpointRequest>,
) -> Result<web::Json<EndpointDto>, ApiError> {
    let id = endpoint_id(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let input = settings(&state, b).await?;
    let e = webhooks::update_endpoint(
        state.store.as_ref(),
        state.clock.as_ref(),
        who.operator(),
        id,
        input,
    )
    .await?;
    Ok(web::Json(e.into()))
}

/// Delete a webhook endpoint with its deliveries (admins, or a key with
/// `webhooks:manage`; audited).
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_delete_webhook",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    params(("endpoint_id" = Uuid, Path, description = "The endpoint's id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No endpoint has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/webhooks/{endpoint_id}")]
pub async fn admin_delete_webhook(
    state: SharedState,
    who: StaffOrKey<WebhooksManage>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete_endpoint(
        state.store.as_ref(),
        state.clock.as_ref(),
        who.operator(),
        endpoint_id(&path)?,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace a webhook endpoint's signing secret (admins, or a key with
/// `webhooks:manage`; audited): the old one stops at once.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_rotate_webhook_secret",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    params(("endpoint_id" = Uuid, Path, description = "The endpoint's id (UUID)")),
    responses(
        (status = 200, description = "The endpoint, with its new secret", body = EndpointSecret),
        (status = 404, description = "No endpoint has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/webhooks/{endpoint_id}/secret")]
pub async fn admin_rotate_webhook_secret(
    state: SharedState,
    who: StaffOrKey<WebhooksManage>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let e = webhooks::rotate_secret(
        state.store.as_ref(),
        state.clock.as_ref(),
        who.operator(),
        endpoint_id(&path)?,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(with_secret(&state, e)))
}

/// An endpoint's deliveries, newest first (admins, or a key with
/// `webhooks:manage`): status, attempts, last answer's code; no response
/// body is kept.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_list_webhook_deliveries",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    params(("endpoint_id" = Uuid, Path, description = "The endpoint's id (UUID)"), DeliveryListParams),
    responses(
        (status = 200, description = "A page of deliveries", body = WebhookDeliveryPage),
        (status = 400, description = "The status, limit or cursor is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No endpoint has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/webhooks/{endpoint_id}/deliveries")]
pub async fn admin_list_webhook_deliveries(
    state: SharedState,
    _who: StaffOrKey<WebhooksManage>,
    path: web::Path<String>,
    params: Params<DeliveryListParams>,
) -> Result<web::Json<WebhookDeliveryPage>, ApiError> {
    let id = endpoint_id(&path)?;
    let p = params.read()?;
    let (limit, before) = PageParams {
        limit: p.limit.clone(),
        cursor: p.cursor.clone(),
    }
    .parse("webhook-deliveries")?;
    let mut items = webhooks::list_deliveries(
        state.store.as_ref(),
        id,
        p.status.map(Into::into),
        before.map(WebhookDeliveryId::from_uuid),
        u64::try_from(limit.get()).unwrap_or(100) + 1,
    )
    .await?;
    let next_cursor = if items.len() > limit.get() {
        items.truncate(limit.get());
        items
            .last()
            .map(|d| cursor_after("webhook-deliveries", d.id.as_uuid()))
    } else {
        None
    };
    Ok(web::Json(WebhookDeliveryPage {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Send a delivery again (admins, or a key with `webhooks:manage`;
/// audited): a new delivery with the same `message_id`, due at once.
#[utoipa::path(
    tag = "integrations",
    operation_id = "admin_replay_webhook_delivery",
    security(("bearer" = []), ("api_key" = ["webhooks:manage"])),
    params(
        ("endpoint_id" = Uuid, Path, description = "The endpoint's id (UUID)"),
        ("delivery_id" = Uuid, Path, description = "The delivery's id (UUID)"),
    ),
    responses(
        (status = 202, description = "Queued: the new delivery", body = DeliveryDto),
        (status = 404, description = "No such endpoint, or no such delivery of it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled: enable it first", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")]
pub async fn admin_replay_webhook_delivery(
    state: SharedState,
    who: StaffOrKey<WebhooksManage>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (endpoint, delivery) = path.into_inner();
    let endpoint = endpoint_id(&endpoint)?;
    let delivery: WebhookDeliveryId = delivery
        .parse()
        .map_err(|_| ApiError::NotFound("This endpoint has no delivery with this id.".into()))?;
    let d = webhooks::replay(
        state.store.as_ref(),
        state.clock.as_ref(),
        who.operator(),
        endpoint,
        delivery,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(DeliveryDto::from(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_domain_names() {
        for s in Scope::ALL {
            let dto: ScopeDto = serde_json::from_value(serde_json::json!(s.as_str())).unwrap();
            assert_eq!(Scope::from(dto), s);
        }
        for e in EventType::ALL {
            let dto: EventTypeDto = serde_json::from_value(serde_json::json!(e.as_str())).unwrap();
            assert_eq!(EventType::from(dto), e);
        }
    }
}
