//! Coupons, managed by staff: a percentage or a fixed amount off the goods,
//! with validity dates, a minimum basket and limits of uses in all and per
//! person (counted by the blind index of the buyer's e-mail).

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::money::{Currency, Money};
use domain::shop::coupon::{self, Coupon, CouponCode, CouponRules, CouponValue};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Staff;
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::OffsetParams;
use crate::routes::products::dto::MoneyDto;
use crate::state::SharedState;

const NOT_FOUND: &str = "No coupon has this id.";

/// A coupon's rules (the body of `POST /v1/admin/coupons` and of
/// `PUT /v1/admin/coupons/{coupon_id}`): exactly one of `percent_bp` and
/// `amount`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CouponInput, example = json!({
    "code": "BIENVENUE10",
    "percent_bp": 1000,
    "starts_at": "2026-12-01T00:00:00Z",
    "ends_at": "2027-01-01T00:00:00Z",
    "min_basket_amount": 20000,
    "max_uses": 500,
    "max_uses_per_person": 1,
    "active": true
}))]
pub struct CouponInput {
    /// The code customers type: 3 to 32 letters, digits, `-` or `_`,
    /// stored in capitals and matched in any case.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z0-9_-]{3,32}$",
        example = "BIENVENUE10"
    )]
    pub code: String,
    /// A percentage off the goods, in hundredths of a percent (10 % =
    /// `1000`), 1 to 10000.
    #[schema(minimum = 1, maximum = 10000, example = 1000)]
    pub percent_bp: Option<u32>,
    /// A fixed amount off the goods, in cents of euro, French VAT included
    /// like catalogue prices (the order's VAT is split accordingly), at
    /// most 100,000,000.
    #[schema(minimum = 1, maximum = 100_000_000, example = 1500)]
    pub amount: Option<u32>,
    /// Valid from (RFC 3339, UTC); at once when absent.
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until, excluded (RFC 3339, UTC); no end when absent.
    pub ends_at: Option<DateTime<Utc>>,
    /// The smallest basket (goods at catalogue prices) it applies to, in
    /// cents of euro.
    #[schema(minimum = 0, maximum = 100_000_000, example = 20000)]
    pub min_basket_amount: Option<u32>,
    /// Uses in all, at least 1; no limit when absent.
    #[schema(minimum = 1, maximum = 100_000_000, example = 500)]
    pub max_uses: Option<u32>,
    /// Uses per person (by e-mail address), at least 1; no limit when absent.
    #[schema(minimum = 1, maximum = 1_000_000, example = 1)]
    pub max_uses_per_person: Option<u32>,
    /// Whether it can be used (default `true`).
    #[serde(default = "yes")]
    #[schema(default = true, example = true)]
    pub active: bool,
}

const fn yes() -> bool {
    true
}

impl TryFrom<CouponInput> for CouponRules {
    type Error = ApiError;

    fn try_from(b: CouponInput) -> Result<Self, ApiError> {
        let mut f = FieldErrors::default();
        let code = f.take("code", CouponCode::parse(&b.code));
        let value = match (b.percent_bp, b.amount) {
            (Some(bp), None) => Some(CouponValue::Percent(bp)),
            (None, Some(a)) if a <= 100_000_000 => {
                Some(CouponValue::Fixed(Money::from_minor(a, Currency::EUR)))
            }
            (None, Some(_)) => {
                f.push("amount", "must be at most 100000000");
                None
            }
            _ => {
                f.push("percent_bp", "give exactly one of percent_bp and amount");
                None
            }
        };
        if b.min_basket_amount.is_some_and(|m| m > 100_000_000) {
            f.push("min_basket_amount", "must be at most 100000000");
        }
        let rules = f.finish(|| {
            Some(Self {
                code: code?,
                value: value?,
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                min_basket: b
                    .min_basket_amount
                    .map(|m| Money::from_minor(m, Currency::EUR)),
                max_uses: b.max_uses,
                max_uses_per_person: b.max_uses_per_person,
                active: b.active,
            })
        })?;
        Ok(rules.check()?)
    }
}

/// A coupon.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Coupon, example = json!({
    "id": "01a21fb5-3c4d-7e5f-8a6b-7c8d9e0f1a2b",
    "code": "BIENVENUE10",
    "percent_bp": 1000,
    "amount": null,
    "starts_at": "2026-12-01T00:00:00Z",
    "ends_at": "2027-01-01T00:00:00Z",
    "min_basket": {"amount": 20000, "currency": "EUR"},
    "max_uses": 500,
    "max_uses_per_person": 1,
    "active": true,
    "uses": 12,
    "created_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-20T10:00:00Z"
}))]
pub struct CouponDto {
    /// Id (UUID v7).
    pub id: Uuid,
    /// The code, in capitals.
    #[schema(example = "BIENVENUE10")]
    pub code: String,
    /// A percentage off, in hundredths of a percent; `null` for a fixed amount.
    #[schema(example = 1000)]
    pub percent_bp: Option<u32>,
    /// A fixed amount off, in cents (French VAT included); `null` for a percentage.
    pub amount: Option<MoneyDto>,
    /// Valid from (RFC 3339, UTC).
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until, excluded (RFC 3339, UTC).
    pub ends_at: Option<DateTime<Utc>>,
    /// The smallest basket it applies to, in cents.
    pub min_basket: Option<MoneyDto>,
    /// Uses in all allowed (`null`: no limit).
    #[schema(example = 500)]
    pub max_uses: Option<u32>,
    /// Uses per person allowed (`null`: no limit).
    #[schema(example = 1)]
    pub max_uses_per_person: Option<u32>,
    /// Whether it can be used.
    pub active: bool,
    /// How many orders used it.
    #[schema(example = 12)]
    pub uses: u32,
    /// Created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Coupon> for CouponDto {
    fn from(c: Coupon) -> Self {
        let (percent_bp, amount) = match c.rules.value {
            CouponValue::Percent(bp) => (Some(bp), None),
            CouponValue::Fixed(m) => (None, Some(m.into())),
        };
        Self {
            id: c.id,
            code: c.rules.code.as_str().to_owned(),
            percent_bp,
            amount,
            starts_at: c.rules.starts_at,
            ends_at: c.rules.ends_at,
            min_basket: c.rules.min_basket.map(Into::into),
            max_uses: c.rules.max_uses,
            max_uses_per_person: c.rules.max_uses_per_person,
            active: c.rules.active,
            uses: c.uses,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A page of coupons.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CouponPage, example = json!({"items": [], "offset": 0, "limit": 20}))]
pub struct CouponPage {
    /// Coupons, newest first.
    pub items: Vec<CouponDto>,
    /// Items skipped.
    #[schema(example = 0)]
    pub offset: u64,
    /// Page size.
    #[schema(example = 20)]
    pub limit: u64,
}

fn coupon_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(NOT_FOUND.into()))
}

/// List coupons, newest first.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_coupons",
    security(("bearer" = [])),
    params(OffsetParams),
    responses(
        (status = 200, description = "A page of coupons", body = CouponPage),
        (status = 400, description = "Bad limit or offset", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/coupons")]
pub async fn admin_list_coupons(
    state: SharedState,
    _staff: Staff,
    params: Params<OffsetParams>,
) -> Result<web::Json<CouponPage>, ApiError> {
    let (limit, offset) = params.read()?.parse()?;
    let items = state
        .store
        .reader()
        .coupons()
        .list(limit, offset)
        .await?
        .into_iter()
        .map(CouponDto::from)
        .collect();
    Ok(web::Json(CouponPage {
        items,
        offset,
        limit,
    }))
}

/// Create a coupon (audited).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_coupon",
    security(("bearer" = [])),
    request_body = CouponInput,
    responses(
        (status = 201, description = "Created", body = CouponDto, headers(("Location" = String, description = "The new coupon"))),
        (status = 409, description = "Another coupon has this code (`/problems/conflict`)", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "this coupon code is already taken",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/coupons")]
pub async fn admin_create_coupon(
    state: SharedState,
    staff: Staff,
    body: Body<CouponInput>,
) -> Result<HttpResponse, ApiError> {
    let rules = CouponRules::try_from(body.read().await?)?;
    let c = coupon::create(state.store.as_ref(), state.clock.as_ref(), &staff.0, rules).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/admin/coupons/{}", c.id)))
        .json(CouponDto::from(c)))
}

/// Read a coupon.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_coupon",
    security(("bearer" = [])),
    params(("coupon_id" = Uuid, Path, description = "The coupon's id (UUID)")),
    responses(
        (status = 200, description = "The coupon", body = CouponDto),
        (status = 404, description = "No coupon has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/coupons/{coupon_id}")]
pub async fn admin_get_coupon(
    state: SharedState,
    _staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<CouponDto>, ApiError> {
    let id = coupon_id(&path)?;
    let c = state
        .store
        .reader()
        .coupons()
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(NOT_FOUND.into()))?;
    Ok(web::Json(c.into()))
}

/// Replace a coupon's rules (audited); its uses stay counted.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_replace_coupon",
    security(("bearer" = [])),
    params(("coupon_id" = Uuid, Path, description = "The coupon's id (UUID)")),
    request_body = CouponInput,
    responses(
        (status = 200, description = "The coupon", body = CouponDto),
        (status = 404, description = "No coupon has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another coupon has this code (`/problems/conflict`)", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "this coupon code is already taken",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/admin/coupons/{coupon_id}")]
pub async fn admin_replace_coupon(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: Body<CouponInput>,
) -> Result<web::Json<CouponDto>, ApiError> {
    let id = coupon_id(&path)?;
    let rules = CouponRules::try_from(body.read().await?)?;
    let c = coupon::replace(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        rules,
    )
    .await?;
    Ok(web::Json(c.into()))
}

/// Delete a coupon (audited). Orders that used it keep its code.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_coupon",
    security(("bearer" = [])),
    params(("coupon_id" = Uuid, Path, description = "The coupon's id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No coupon has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/coupons/{coupon_id}")]
pub async fn admin_delete_coupon(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = coupon_id(&path)?;
    coupon::delete(state.store.as_ref(), state.clock.as_ref(), &staff.0, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
