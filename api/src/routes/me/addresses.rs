//! The caller's postal addresses.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use domain::idempotency::Caller;
use domain::identity::{AddressId, AddressKind, PostalAddress, StoredAddress};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::body::{Body, Params};
use crate::idempotency::{Answer, IdempotencyErrors, IdempotencyKeyHeader, IdempotentBody};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors, or_not_found};
use crate::routes::common::{PageParams, page_by_id, validate};
use crate::state::SharedState;

/// What an address is for:
///
/// - `billing`: the address printed on invoices.
/// - `shipping`: where shipped formats (`printed_set`) are delivered.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AddressKind)]
pub enum AddressKindDto {
    /// For invoices.
    Billing,
    /// Where printed sets are shipped.
    Shipping,
}

/// A postal address to store (the body of `POST /v1/me/addresses` and
/// `PUT /v1/me/addresses/{address_id}`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "shipping", "full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": "Bâtiment B, 3e étage", "postal_code": "69003", "city": "Lyon", "country": "FR"}))]
#[schema(as = AddressInput)]
pub struct AddressRequest {
    /// What it is for: invoices or deliveries.
    pub kind: AddressKindDto,
    /// Recipient: 1 to 100 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[validate(length(max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub full_name: String,
    /// Street and number: 1 to 200 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[validate(length(max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub line1: String,
    /// Building, floor...: at most 200 characters, without control
    /// characters; blank is the same as absent.
    #[validate(length(max = 200))]
    #[schema(
        max_length = 200,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub line2: Option<String>,
    /// Postal code: 1 to 16 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[validate(length(max = 16))]
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub postal_code: String,
    /// City: 1 to 100 characters, not blank, without control characters
    /// (surrounding white space is dropped).
    #[validate(length(max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, in capitals (`FR`, `BE`, `CH`...):
    /// only officially assigned codes.
    #[validate(length(max = 2))]
    #[schema(schema_with = country_schema)]
    pub country: String,
}

/// The assigned ISO 3166-1 alpha-2 codes, as the domain checks them.
pub(crate) fn country_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(
            "ISO 3166-1 alpha-2 country code, in capitals: only officially assigned codes.",
        ))
        .examples([serde_json::json!("FR")])
        .enum_values(Some(domain::identity::ISO_3166_1.iter().copied()))
        .build()
}

/// An address as the use cases take it.
pub struct AddressInput {
    /// What it is for.
    pub kind: AddressKind,
    /// The address.
    pub address: PostalAddress,
}

impl TryFrom<AddressRequest> for AddressInput {
    type Error = ApiError;

    fn try_from(r: AddressRequest) -> Result<Self, ApiError> {
        validate(&r)?;
        let address = PostalAddress::parse(
            &r.full_name,
            &r.line1,
            r.line2.as_deref(),
            &r.postal_code,
            &r.city,
            &r.country,
        )?;
        let kind = match r.kind {
            AddressKindDto::Billing => AddressKind::Billing,
            AddressKindDto::Shipping => AddressKind::Shipping,
        };
        Ok(Self { kind, address })
    }
}

const NOT_YOURS: &str = "No address of yours has this id.";

/// A stored address.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b",
    "kind": "shipping",
    "full_name": "Jeanne Dupont",
    "line1": "12 rue des Lilas",
    "line2": "Bâtiment B, 3e étage",
    "postal_code": "69003",
    "city": "Lyon",
    "country": "FR",
    "created_at": "2026-11-20T17:45:03Z",
    "updated_at": "2026-11-20T17:45:03Z"
}))]
pub struct Address {
    /// Address id (UUID v7), for `/v1/me/addresses/{address_id}`.
    pub id: Uuid,
    /// What it is for: invoices or deliveries.
    pub kind: AddressKindDto,
    /// Name of the recipient, as it goes on the label or invoice.
    pub full_name: String,
    /// First address line: street and number.
    pub line1: String,
    /// Second address line (building, floor, staircase...); `null` when
    /// there is none.
    pub line2: Option<String>,
    /// Postal code, as given (the format depends on the country).
    pub postal_code: String,
    /// City or town, as given.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, in capitals (`FR`).
    pub country: String,
    /// When the address was added (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When the address was last replaced (RFC 3339, UTC); `created_at`
    /// until then.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredAddress> for Address {
    fn from(s: StoredAddress) -> Self {
        Self {
            id: s.id.as_uuid(),
            kind: match s.kind {
                AddressKind::Billing => AddressKindDto::Billing,
                AddressKind::Shipping => AddressKindDto::Shipping,
            },
            full_name: s.address.full_name,
            line1: s.address.line1,
            line2: s.address.line2,
            postal_code: s.address.postal_code,
            city: s.address.city,
            country: s.address.country,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A page of the caller's addresses, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b",
        "kind": "shipping",
        "full_name": "Jeanne Dupont",
        "line1": "12 rue des Lilas",
        "line2": null,
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
        "created_at": "2026-11-20T17:45:03Z",
        "updated_at": "2026-11-20T17:45:03Z"
    }],
    "next_cursor": null
}))]
pub struct AddressPage {
    /// The addresses of this page, oldest first, at most `limit` of them.
    pub items: Vec<Address>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "list_addresses",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of addresses", body = AddressPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/addresses")]
pub async fn list_addresses(
    state: SharedState,
    auth: Auth,
    page: Params<PageParams>,
) -> Result<web::Json<AddressPage>, ApiError> {
    let page = page.read()?;
    let (limit, after) = page.parse("addresses")?;
    let all = state
        .store
        .reader()
        .addresses()
        .list(auth.0.customer_id)
        .await?;
    let (items, next_cursor) = page_by_id(all, |a| a.id.as_uuid(), limit, after, "addresses");
    Ok(web::Json(AddressPage {
        items: items.into_iter().map(Address::from).collect(),
        next_cursor,
    }))
}

/// Add an address.
///
/// Safe to retry with an `Idempotency-Key`: the same key and body within 24
/// hours answer the first answer again instead of adding a second address.
#[utoipa::path(
    tag = "me",
    operation_id = "create_address",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = AddressRequest,
    responses(
        (status = 201, description = "Created", body = Address, headers(
            ("Location" = String, description = "The new address"),
            ("Idempotent-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the same `Idempotency-Key`"),
        )),
        IdempotencyErrors,
        BodyErrors,
        crate::problem::RestrictedErrors,
        SignedInErrors,
    )
)]
#[post("/v1/me/addresses")]
pub async fn create_address(
    state: SharedState,
    auth: Auth,
    body: IdempotentBody<AddressRequest>,
) -> Result<HttpResponse, ApiError> {
    let (request, idempotency) = body.read().await?;
    let input = AddressInput::try_from(request)?;
    let principal = auth.0;
    let caller = Caller::Account(principal.customer_id);
    idempotency
        .run(&state, caller, move |state| async move {
            let stored = domain::identity::add_address(
                state.store.as_ref(),
                state.clock.as_ref(),
                &principal,
                input.kind,
                &input.address,
            )
            .await?;
            Answer::created(
                format!("/v1/me/addresses/{}", stored.id),
                &Address::from(stored),
            )
        })
        .await
}

fn address_id(raw: &str) -> Result<AddressId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(NOT_YOURS.into()))
}

/// One of the caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "get_address",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 200, description = "The address", body = Address),
        (status = 404, description = "No address of yours has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/addresses/{address_id}")]
pub async fn get_address(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Address>, ApiError> {
    let id = address_id(&path)?;
    let a = state
        .store
        .reader()
        .addresses()
        .get(auth.0.customer_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(NOT_YOURS.into()))?;
    Ok(web::Json(a.into()))
}

/// Replace one of the caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "replace_address",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "Address id")),
    request_body = AddressRequest,
    responses(
        (status = 200, description = "The address", body = Address),
        (status = 404, description = "No address of yours has this id", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        crate::problem::RestrictedErrors,
        SignedInErrors,
    )
)]
#[put("/v1/me/addresses/{address_id}")]
pub async fn replace_address(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
    body: Body<AddressRequest>,
) -> Result<web::Json<Address>, ApiError> {
    let id = address_id(&path)?;
    let input = AddressInput::try_from(body.read().await?)?;
    let a = domain::identity::replace_address(
        state.store.as_ref(),
        state.clock.as_ref(),
        &auth.0,
        id,
        input.kind,
        &input.address,
    )
    .await
    .map_err(or_not_found(NOT_YOURS))?;
    Ok(web::Json(a.into()))
}

/// Delete one of the caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "delete_address",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No address of yours has this id", body = Problem, content_type = "application/problem+json"),
        crate::problem::RestrictedErrors,
        SignedInErrors,
    )
)]
#[delete("/v1/me/addresses/{address_id}")]
pub async fn delete_address(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = address_id(&path)?;
    domain::identity::delete_address(state.store.as_ref(), &auth.0, id)
        .await
        .map_err(or_not_found(NOT_YOURS))?;
    Ok(HttpResponse::NoContent().finish())
}
