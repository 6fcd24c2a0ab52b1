//! `/v1/carts` (SHOP-1, SHOP-3, SHOP-4, SHOP-5): a guest's cart, used with
//! its secret (`X-Cart-Secret`), or a signed-in customer's; estimates of
//! taxes and shipping for a destination; and the checkout that makes an
//! order of it. Lines name a plan's format and a quantity: prices always
//! come from the catalogue, never from the client.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::FieldErrors;
use domain::identity::{
    AddressId, CountryCode, CustomerId, Email, Language, PersonName, Phone, PostalAddress,
};
use domain::ids::{CartId, CartLineId, FormatId, ProductId};
use domain::shop::Offer;
use domain::shop::cart::{self, CartStatus, CartView, Holder};
use domain::shop::coupon::{self, CouponCode};
use domain::shop::order::{self, CheckoutInput};
use domain::shop::pricing::{self, Country, Estimate, LineInput, PricingError, ShippingCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, Caller, MaybeAuth};
use crate::body::Body;
use crate::i18n::Lang;
use crate::idempotency::{IDEMPOTENT_REPLAYED, IdempotentBody};
use crate::problem::{ApiError, BodyErrors, MaybeSignedInErrors, Problem};
use crate::routes::auth::LanguageDto;
use crate::routes::common::{header, validate};
use crate::routes::orders::{OrderDto, PaymentMethodDto, PlacedOrder, PostalAddressDto};
use crate::routes::products::dto::{FormatKindDto, MoneyDto};
use crate::state::SharedState;

/// The request header of a guest cart's secret.
pub const CART_SECRET_HEADER: &str = "x-cart-secret";

/// Where a cart stands:
///
/// - `open`: being filled; it takes changes.
/// - `checked_out`: it became an order; it takes no more changes.
/// - `merged`: merged into its customer's cart at login; it takes no more
///   changes.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CartStatus)]
pub enum CartStatusDto {
    /// Being filled.
    Open,
    /// Became an order.
    CheckedOut,
    /// Merged into another cart.
    Merged,
}

impl From<CartStatus> for CartStatusDto {
    fn from(s: CartStatus) -> Self {
        match s {
            CartStatus::Open => Self::Open,
            CartStatus::CheckedOut => Self::CheckedOut,
            CartStatus::Merged => Self::Merged,
        }
    }
}

/// A line of a cart, priced now from the catalogue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b",
    "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
    "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
    "quantity": 1,
    "available": true,
    "slug": "maison-contemporaine-129",
    "title": "Maison contemporaine de 129 m²",
    "kind": "pdf",
    "sku": "BTQ-021-PDF",
    "unit_price": {"amount": 80000, "currency": "EUR"},
    "total": {"amount": 80000, "currency": "EUR"},
    "added_at": "2026-11-20T17:40:12Z"
}))]
#[schema(as = CartLine)]
pub struct CartLineDto {
    /// Line id (a UUID v7), for `/v1/carts/{cart_id}/items/{item_id}`.
    pub id: Uuid,
    /// The plan (a UUID).
    pub product_id: Uuid,
    /// The plan's format (a UUID), as the catalogue lists it.
    pub format_id: Uuid,
    /// How many copies, 1 to 99.
    #[schema(example = 1, minimum = 1, maximum = 99)]
    pub quantity: u32,
    /// Whether the plan and format are still for sale. A line that is not
    /// stays in the cart (so the customer sees what went), counts in no
    /// total, and blocks the checkout until removed.
    pub available: bool,
    /// The plan's slug; `null` when no longer for sale.
    pub slug: Option<String>,
    /// The plan's title; `null` when no longer for sale.
    pub title: Option<String>,
    /// What is delivered; `null` when no longer for sale.
    pub kind: Option<FormatKindDto>,
    /// The format's stock-keeping unit; `null` when no longer for sale.
    pub sku: Option<String>,
    /// The catalogue's price of one copy now, in cents, French VAT
    /// included; `null` when no longer for sale.
    pub unit_price: Option<MoneyDto>,
    /// `unit_price` times `quantity`, in cents; `null` when no longer for
    /// sale.
    pub total: Option<MoneyDto>,
    /// When the line was added (RFC 3339, UTC).
    pub added_at: DateTime<Utc>,
}

/// A cart, priced now from the catalogue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb2-0a1b-7c2d-9e3f-4a5b6c7d8e9f",
    "status": "open",
    "email": null,
    "lines": [{
        "id": "01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b",
        "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
        "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
        "quantity": 1,
        "available": true,
        "slug": "maison-contemporaine-129",
        "title": "Maison contemporaine de 129 m²",
        "kind": "pdf",
        "sku": "BTQ-021-PDF",
        "unit_price": {"amount": 80000, "currency": "EUR"},
        "total": {"amount": 80000, "currency": "EUR"},
        "added_at": "2026-11-20T17:40:12Z"
    }],
    "subtotal": {"amount": 80000, "currency": "EUR"},
    "item_count": 1,
    "requires_shipping": false,
    "secret": "Yk3q9Zr2Lw8Tn5Hc1Vb7Xs4Pd6Mf0Ja2Ge8Ru3Qo5Ni",
    "created_at": "2026-11-20T17:40:12Z",
    "last_activity_at": "2026-11-20T17:40:12Z"
}))]
#[schema(as = Cart)]
pub struct CartDto {
    /// Cart id (a UUID v7), for `/v1/carts/{cart_id}`.
    pub id: Uuid,
    /// Where it stands: only an `open` cart takes changes.
    pub status: CartStatusDto,
    /// The e-mail address attached with `PUT /v1/carts/{cart_id}/email`;
    /// `null` when none.
    pub email: Option<String>,
    /// The lines, oldest first.
    pub lines: Vec<CartLineDto>,
    /// Sum of the lines still for sale, in cents, French VAT included
    /// (`POST /v1/carts/{cart_id}/estimate` gives the destination's VAT
    /// and shipping).
    pub subtotal: MoneyDto,
    /// How many copies: the sum of the quantities of the lines still for
    /// sale.
    pub item_count: u32,
    /// `true` when a line is a printed set, so the checkout needs a
    /// shipping address.
    pub requires_shipping: bool,
    /// For a guest's cart only (`null` for a customer's): the cart's
    /// secret, shown to its holder only. Send it as `X-Cart-Secret` with
    /// every request on this cart; keep it like a password.
    pub secret: Option<String>,
    /// When the cart was made (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Its last change or use (RFC 3339, UTC): a cart is kept 30 days after
    /// it.
    pub last_activity_at: DateTime<Utc>,
}

impl From<CartView> for CartDto {
    fn from(v: CartView) -> Self {
        let lines = v
            .lines
            .into_iter()
            .map(|l| CartLineDto {
                id: l.line.id.as_uuid(),
                product_id: l.line.product_id.as_uuid(),
                format_id: l.line.format_id.as_uuid(),
                quantity: l.line.quantity,
                available: l.offer.is_some() && l.total.is_some(),
                slug: l.offer.as_ref().map(|o| o.slug.clone()),
                title: l.offer.as_ref().map(|o| o.title.clone()),
                kind: l.offer.as_ref().map(|o| o.kind.into()),
                sku: l.offer.as_ref().map(|o| o.sku.clone()),
                unit_price: l.offer.as_ref().map(|o| o.price.into()),
                total: l.total.map(Into::into),
                added_at: l.line.added_at,
            })
            .collect();
        Self {
            id: v.cart.id.as_uuid(),
            status: v.cart.status.into(),
            email: v.cart.email.map(|e| e.as_str().to_owned()),
            lines,
            subtotal: v.subtotal.into(),
            item_count: v.item_count,
            requires_shipping: v.requires_shipping,
            secret: v.secret,
            created_at: v.cart.created_at,
            last_activity_at: v.cart.last_activity_at,
        }
    }
}

fn cart_id(raw: &str) -> Result<CartId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No cart has this id, or it is not yours.".into()))
}

fn line_id(raw: &str) -> Result<CartLineId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("This cart has no line with this id.".into()))
}

/// Whoever calls: the signed-in customer, and the cart secret sent. With
/// neither, or with a secret that is not this cart's, 401 before anything
/// is looked up (a secret is a keyed hash of the id: checking it reveals
/// nothing about the cart); another customer's cart is a 404, so ids
/// cannot be probed.
pub(crate) fn holder<'a>(
    state: &SharedState,
    auth: &MaybeAuth,
    req: &'a HttpRequest,
    id: CartId,
) -> Result<Holder<'a>, ApiError> {
    let h = Holder {
        customer: auth.0.as_ref().map(|p| p.customer_id),
        secret: header(req, CART_SECRET_HEADER),
    };
    let forged = h.secret.is_some_and(|s| {
        !domain::shop::secret_matches(
            state.index.as_ref(),
            domain::shop::cart::CART_SECRET,
            id.as_uuid(),
            s,
        )
    });
    if forged || (h.customer.is_none() && h.secret.is_none()) {
        return Err(ApiError::Unauthorized {
            invalid_token: forged,
        });
    }
    Ok(h)
}

/// The cart, when the caller holds it (404 otherwise): read before a
/// body, so that only its holder learns anything of the body's rules. The
/// use case checks again in its own unit of work.
async fn held(
    state: &SharedState,
    auth: &MaybeAuth,
    req: &HttpRequest,
    id: CartId,
) -> Result<CartView, ApiError> {
    let offers = state.catalogue.index();
    Ok(cart::read(
        state.store.as_ref(),
        state.index.as_ref(),
        offers.as_ref(),
        &holder(state, auth, req, id)?,
        id,
    )
    .await?)
}

fn cart_answer(view: CartView) -> HttpResponse {
    HttpResponse::Ok().json(CartDto::from(view))
}

/// Create a cart.
///
/// A guest gets a new, empty cart (201) whose `secret` is shown here to its
/// holder only: send it as `X-Cart-Secret` with every request on the cart.
/// A signed-in customer gets their open cart: 200 when they had one, 201
/// when it was created. No body is needed (an empty JSON object is
/// ignored). A cart is kept 30 days after its last change.
#[utoipa::path(
    tag = "carts",
    operation_id = "create_cart",
    responses(
        (status = 201, description = "Created; a guest's cart carries its `secret`", body = CartDto, headers(
            ("Location" = String, description = "The new cart"),
        )),
        (status = 200, description = "The signed-in customer's open cart, which already existed", body = CartDto),
        MaybeSignedInErrors,
    )
)]
#[post("/v1/carts")]
pub async fn create_cart(state: SharedState, auth: MaybeAuth) -> Result<HttpResponse, ApiError> {
    let offers = state.catalogue.index();
    let (view, created) = cart::create(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        auth.0.as_ref(),
    )
    .await?;
    let body = CartDto::from(view);
    Ok(if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/carts/{}", body.id)))
            .json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Read a cart: its customer with the bearer token, or a guest with
/// `X-Cart-Secret`.
///
/// Any other caller gets 404, never 403, so cart ids cannot be probed.
#[utoipa::path(
    tag = "carts",
    operation_id = "get_cart",
    security(("bearer" = []), ("cart_secret" = [])),
    params(("cart_id" = Uuid, Path, description = "The cart's id")),
    responses(
        (status = 200, description = "The cart", body = CartDto),
        (status = 404, description = "No cart has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        MaybeSignedInErrors,
    )
)]
#[get("/v1/carts/{cart_id}")]
pub async fn get_cart(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path)?;
    let offers = state.catalogue.index();
    let view = cart::read(
        state.store.as_ref(),
        state.index.as_ref(),
        offers.as_ref(),
        &holder(&state, &auth, &req, id)?,
        id,
    )
    .await?;
    Ok(cart_answer(view))
}

fn one() -> i64 {
    1
}

/// A format of a plan to put in a cart (the body of
/// `POST /v1/carts/{cart_id}/items`). There is no price: it comes from
/// the catalogue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4", "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2", "quantity": 1}))]
#[schema(as = CartItemInput)]
pub struct CartItemRequest {
    /// The plan (a UUID), as the catalogue lists it.
    pub product_id: Uuid,
    /// The plan's format (a UUID): `formats[].id` of the plan.
    pub format_id: Uuid,
    /// How many copies to add, 1 to 99 (1 when absent). Added to the line
    /// of the same format when the cart has one, up to 99 in all.
    #[serde(default = "one")]
    #[schema(default = 1, minimum = 1, maximum = 99, example = 1)]
    pub quantity: i64,
}

/// Add a plan's format to a cart (or add to the quantity of its line).
#[utoipa::path(
    tag = "carts",
    operation_id = "add_cart_item",
    security(("bearer" = []), ("cart_secret" = [])),
    params(("cart_id" = Uuid, Path, description = "The cart's id")),
    request_body = CartItemRequest,
    responses(
        (status = 200, description = "The cart", body = CartDto),
        (status = 404, description = "No cart has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart-closed`: the cart was checked out or merged; `conflict`: the cart has 50 lines already", body = Problem, content_type = "application/problem+json", examples(
            ("cart-closed" = (summary = "The cart was checked out or merged", value = json!({
                "type": "/problems/cart-closed",
                "title": "The cart is closed",
                "status": 409,
                "detail": "This cart was checked out or merged into another: create a new cart with POST /v1/carts.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("conflict" = (summary = "The cart is full", value = json!({
                "type": "/problems/conflict",
                "title": "The request conflicts with the current state",
                "status": 409,
                "detail": "a cart holds at most 50 lines",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        MaybeSignedInErrors,
        BodyErrors,
    )
)]
#[post("/v1/carts/{cart_id}/items")]
pub async fn add_cart_item(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body<CartItemRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path)?;
    held(&state, &auth, &req, id).await?;
    let b = body.read().await?;
    let quantity = cart::quantity(b.quantity)?;
    let offers = state.catalogue.index();
    let view = cart::add(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        &holder(&state, &auth, &req, id)?,
        id,
        ProductId::from_uuid(b.product_id),
        FormatId::from_uuid(b.format_id),
        quantity,
    )
    .await?;
    Ok(cart_answer(view))
}

/// A line's new quantity (the body of
/// `PATCH /v1/carts/{cart_id}/items/{item_id}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantity": 2}))]
#[schema(as = CartItemChange)]
pub struct CartItemChangeRequest {
    /// How many copies, 1 to 99 (remove the line to have none).
    #[schema(minimum = 1, maximum = 99, example = 2)]
    pub quantity: i64,
}

/// Set the quantity of a cart's line.
#[utoipa::path(
    tag = "carts",
    operation_id = "update_cart_item",
    security(("bearer" = []), ("cart_secret" = [])),
    params(
        ("cart_id" = Uuid, Path, description = "The cart's id"),
        ("item_id" = Uuid, Path, description = "The line's id"),
    ),
    request_body = CartItemChangeRequest,
    responses(
        (status = 200, description = "The cart", body = CartDto),
        (status = 404, description = "No cart has this id (or the caller may not use it), or the cart has no such line", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart-closed`: the cart was checked out or merged", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/cart-closed",
            "title": "The cart is closed",
            "status": 409,
            "detail": "This cart was checked out or merged into another: create a new cart with POST /v1/carts.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        MaybeSignedInErrors,
        BodyErrors,
    )
)]
#[patch("/v1/carts/{cart_id}/items/{item_id}")]
pub async fn update_cart_item(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Body<CartItemChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path.0)?;
    held(&state, &auth, &req, id).await?;
    let line = line_id(&path.1)?;
    let b = body.read().await?;
    let quantity = cart::quantity(b.quantity)?;
    let offers = state.catalogue.index();
    let view = cart::set_quantity(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        &holder(&state, &auth, &req, id)?,
        id,
        line,
        quantity,
    )
    .await?;
    Ok(cart_answer(view))
}

/// Remove a line from a cart.
#[utoipa::path(
    tag = "carts",
    operation_id = "remove_cart_item",
    security(("bearer" = []), ("cart_secret" = [])),
    params(
        ("cart_id" = Uuid, Path, description = "The cart's id"),
        ("item_id" = Uuid, Path, description = "The line's id"),
    ),
    responses(
        (status = 200, description = "The cart", body = CartDto),
        (status = 404, description = "No cart has this id (or the caller may not use it), or the cart has no such line", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart-closed`: the cart was checked out or merged", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/cart-closed",
            "title": "The cart is closed",
            "status": 409,
            "detail": "This cart was checked out or merged into another: create a new cart with POST /v1/carts.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        MaybeSignedInErrors,
    )
)]
#[delete("/v1/carts/{cart_id}/items/{item_id}")]
pub async fn remove_cart_item(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path.0)?;
    let line = line_id(&path.1)?;
    let offers = state.catalogue.index();
    let view = cart::remove(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        &holder(&state, &auth, &req, id)?,
        id,
        line,
    )
    .await?;
    Ok(cart_answer(view))
}

/// The e-mail address of a cart (the body of
/// `PUT /v1/carts/{cart_id}/email`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr"}))]
#[schema(as = CartEmail)]
pub struct CartEmailRequest {
    /// E-mail address (`name@example.com`, at most 254 bytes).
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
}

/// Attach an e-mail address to a cart, for the checkout and a reminder of
/// an abandoned cart. It is kept, encrypted, with the cart (30 days after
/// its last change).
#[utoipa::path(
    tag = "carts",
    operation_id = "set_cart_email",
    security(("bearer" = []), ("cart_secret" = [])),
    params(("cart_id" = Uuid, Path, description = "The cart's id")),
    request_body = CartEmailRequest,
    responses(
        (status = 200, description = "The cart", body = CartDto),
        (status = 404, description = "No cart has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart-closed`: the cart was checked out or merged", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/cart-closed",
            "title": "The cart is closed",
            "status": 409,
            "detail": "This cart was checked out or merged into another: create a new cart with POST /v1/carts.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        MaybeSignedInErrors,
        BodyErrors,
    )
)]
#[put("/v1/carts/{cart_id}/email")]
pub async fn set_cart_email(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body<CartEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path)?;
    held(&state, &auth, &req, id).await?;
    let b = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&b.email));
    let email = f.finish(|| email)?;
    let offers = state.catalogue.index();
    let view = cart::attach_email(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        &holder(&state, &auth, &req, id)?,
        id,
        &email,
    )
    .await?;
    Ok(cart_answer(view))
}

/// Merge a guest cart into the signed-in customer's cart: what a shop
/// front calls right after login, with the guest cart's `X-Cart-Secret`.
///
/// The guest cart's lines join the customer's open cart (quantities of the
/// same format add up, to 99), and the guest cart is closed (`merged`);
/// when the customer has no open cart, the guest cart becomes theirs. The
/// answer is the customer's cart, which the bearer token uses from then on.
#[utoipa::path(
    tag = "carts",
    operation_id = "merge_cart",
    security(("bearer" = [], "cart_secret" = [])),
    params(("cart_id" = Uuid, Path, description = "The guest cart's id")),
    responses(
        (status = 200, description = "The customer's cart, with the guest cart's lines", body = CartDto),
        (status = 401, description = "Not logged in, or the token's session has ended", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/unauthorized",
            "title": "Authentication is required",
            "status": 401,
            "detail": "Send a bearer token: Authorization: Bearer <access_token>.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 403, description = "The account still has its generated password: change it first", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/password-change-required",
            "title": "The password must be changed first",
            "status": 403,
            "detail": "This account has a generated password: change it with PUT /v1/me/password first.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 404, description = "No guest cart has this id and `X-Cart-Secret` (none sent, or a wrong one)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart-closed`: the cart was checked out or merged", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/cart-closed",
            "title": "The cart is closed",
            "status": 409,
            "detail": "This cart was checked out or merged into another: create a new cart with POST /v1/carts.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
    )
)]
#[post("/v1/carts/{cart_id}/merge")]
pub async fn merge_cart(
    state: SharedState,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path)?;
    // Without a secret no guest cart is held: 404, as with a wrong one.
    let secret = header(&req, CART_SECRET_HEADER).unwrap_or_default();
    let offers = state.catalogue.index();
    let view = cart::merge(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        &auth.0,
        id,
        secret,
    )
    .await?;
    Ok(cart_answer(view))
}

/// A shipping service:
///
/// - `standard`: the cheapest.
/// - `express`: twice the price, about twice as fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ShippingMethod)]
pub enum ShippingMethodDto {
    /// The cheapest.
    Standard,
    /// Faster.
    Express,
}

impl From<ShippingMethodDto> for ShippingCode {
    fn from(m: ShippingMethodDto) -> Self {
        match m {
            ShippingMethodDto::Standard => Self::Standard,
            ShippingMethodDto::Express => Self::Express,
        }
    }
}

impl From<ShippingCode> for ShippingMethodDto {
    fn from(c: ShippingCode) -> Self {
        match c {
            ShippingCode::Standard => Self::Standard,
            ShippingCode::Express => Self::Express,
        }
    }
}

/// Where to estimate a cart for (the body of
/// `POST /v1/carts/{cart_id}/estimate`); every field may be left out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"country": "DE", "postal_code": "10115", "shipping_method": "standard"}))]
#[schema(as = CartEstimateInput)]
pub struct EstimateRequest {
    /// The destination: ISO 3166-1 alpha-2 country code, in capitals (only
    /// officially assigned codes). Wins over `address_id`.
    #[schema(schema_with = crate::routes::me::addresses::country_schema)]
    pub country: Option<String>,
    /// The destination's postal code, 1 to 16 characters. Accepted for
    /// shop fronts that ask for it; the estimate depends on the country
    /// only, and the code is neither used nor kept.
    #[schema(min_length = 1, max_length = 16, example = "10115")]
    pub postal_code: Option<String>,
    /// One of the signed-in customer's saved addresses (a UUID, from
    /// `GET /v1/me/addresses`), whose country is the destination.
    pub address_id: Option<Uuid>,
    /// The shipping service to price (the cheapest when absent); ignored
    /// when nothing ships.
    pub shipping_method: Option<ShippingMethodDto>,
    /// A coupon's code (3 to 32 letters, digits, `-` or `_`, any case):
    /// its discount is in the lines and totals, or a 400 on this field says
    /// why it does not apply. Uses per person are checked at checkout,
    /// where the buyer's e-mail is known.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z0-9_-]{3,32}$",
        example = "BIENVENUE10"
    )]
    pub coupon_code: Option<String>,
}

/// What decided the country of an estimate:
///
/// - `body`: the request's `country`.
/// - `address`: the country of the saved address `address_id`.
/// - `header`: the country the proxy in front of the API located the
///   caller in (a header such as `CF-IPCountry`, when the shop configures
///   one: `BOUTIQUE_COUNTRY_HEADER`).
/// - `geoip`: the country of the caller's address in the shop's country
///   database (`BOUTIQUE_GEOIP_DB`), when one is configured.
/// - `default`: none of them: France, the shop's country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CountrySource)]
pub enum CountrySourceDto {
    /// The request's `country`.
    Body,
    /// A saved address.
    Address,
    /// The proxy's location header.
    Header,
    /// The country database (`BOUTIQUE_GEOIP_DB`), from the source address.
    Geoip,
    /// France.
    Default,
}

/// A shipping zone:
///
/// - `france`: France and Monaco.
/// - `eu`: the other member states of the European Union.
/// - `world`: everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ShippingZone)]
pub enum ZoneDto {
    /// France and Monaco.
    France,
    /// The rest of the EU.
    Eu,
    /// Elsewhere.
    World,
}

impl From<pricing::Zone> for ZoneDto {
    fn from(z: pricing::Zone) -> Self {
        match z {
            pricing::Zone::France => Self::France,
            pricing::Zone::Eu => Self::Eu,
            pricing::Zone::World => Self::World,
        }
    }
}

/// A line of an estimate, priced for the destination.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "line_id": "01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b",
    "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
    "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
    "title": "Maison contemporaine de 129 m²",
    "kind": "pdf",
    "quantity": 1,
    "vat_rate_bp": 1900,
    "unit_net": {"amount": 66667, "currency": "EUR"},
    "discount_net": {"amount": 0, "currency": "EUR"},
    "net": {"amount": 66667, "currency": "EUR"},
    "vat": {"amount": 12667, "currency": "EUR"},
    "gross": {"amount": 79334, "currency": "EUR"}
}))]
#[schema(as = EstimateLine)]
pub struct EstimateLineDto {
    /// The cart's line (a UUID).
    pub line_id: Uuid,
    /// The plan (a UUID).
    pub product_id: Uuid,
    /// The format (a UUID).
    pub format_id: Uuid,
    /// The plan's title.
    pub title: String,
    /// What is delivered.
    pub kind: FormatKindDto,
    /// How many copies.
    pub quantity: u32,
    /// VAT rate of the destination, in hundredths of a percent (basis
    /// points): 2000 is 20 %, 1900 is 19 %; 0 outside the EU (exports).
    #[schema(example = 1900)]
    pub vat_rate_bp: u32,
    /// One copy before VAT, in cents: the catalogue's price without the
    /// French VAT it includes.
    pub unit_net: MoneyDto,
    /// This line's share of a discount, before VAT, in cents.
    pub discount_net: MoneyDto,
    /// The line before VAT, after discount, in cents.
    pub net: MoneyDto,
    /// The destination's VAT on the line, in cents.
    pub vat: MoneyDto,
    /// The line with VAT, in cents: what it costs there.
    pub gross: MoneyDto,
}

/// A way to ship a cart's printed sets, priced for the destination.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "standard", "net": {"amount": 1400, "currency": "EUR"}, "vat": {"amount": 266, "currency": "EUR"}, "gross": {"amount": 1666, "currency": "EUR"}, "vat_rate_bp": 1900, "days_min": 3, "days_max": 5}))]
#[schema(as = ShippingOption)]
pub struct ShippingOptionDto {
    /// The service.
    pub code: ShippingMethodDto,
    /// Its price before VAT, in cents.
    pub net: MoneyDto,
    /// Its VAT, in cents.
    pub vat: MoneyDto,
    /// Its price with VAT, in cents.
    pub gross: MoneyDto,
    /// VAT rate applied, in hundredths of a percent (basis points): the
    /// goods' rate, so the destination's inside the EU and 0 outside.
    #[schema(example = 1900)]
    pub vat_rate_bp: u32,
    /// Fewest business days to deliver.
    #[schema(example = 3)]
    pub days_min: u8,
    /// Most business days to deliver.
    #[schema(example = 5)]
    pub days_max: u8,
}

impl From<pricing::ShippingOption> for ShippingOptionDto {
    fn from(s: pricing::ShippingOption) -> Self {
        Self {
            code: s.code.into(),
            net: s.net.into(),
            vat: s.vat.into(),
            gross: s.gross.into(),
            vat_rate_bp: s.vat_rate_bp,
            days_min: s.days_min,
            days_max: s.days_max,
        }
    }
}

/// The VAT of one rate, for the invoice.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"vat_rate_bp": 1900, "net": {"amount": 68067, "currency": "EUR"}, "vat": {"amount": 12933, "currency": "EUR"}}))]
#[schema(as = VatByRate)]
pub struct VatByRateDto {
    /// The rate, in hundredths of a percent (basis points): 1900 is 19 %.
    #[schema(example = 1900)]
    pub vat_rate_bp: u32,
    /// What is taxed at it, before VAT, in cents.
    pub net: MoneyDto,
    /// The VAT at this rate, in cents.
    pub vat: MoneyDto,
}

/// The sums of an estimate, in cents.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "goods_net": {"amount": 66667, "currency": "EUR"},
    "discount_net": {"amount": 0, "currency": "EUR"},
    "shipping_net": {"amount": 1400, "currency": "EUR"},
    "net": {"amount": 68067, "currency": "EUR"},
    "vat": {"amount": 12933, "currency": "EUR"},
    "gross": {"amount": 81000, "currency": "EUR"},
    "vat_by_rate": [{"vat_rate_bp": 1900, "net": {"amount": 68067, "currency": "EUR"}, "vat": {"amount": 12933, "currency": "EUR"}}]
}))]
#[schema(as = EstimateTotals)]
pub struct EstimateTotalsDto {
    /// Goods before VAT and discount, in cents.
    pub goods_net: MoneyDto,
    /// The discount, before VAT, in cents.
    pub discount_net: MoneyDto,
    /// The chosen shipping before VAT, in cents (0 when nothing ships).
    pub shipping_net: MoneyDto,
    /// Everything before VAT, in cents: `goods_net - discount_net + shipping_net`.
    pub net: MoneyDto,
    /// All VAT, in cents: the lines' and the shipping's.
    pub vat: MoneyDto,
    /// What the customer would pay, in cents: `net + vat`.
    pub gross: MoneyDto,
    /// VAT by rate, highest rate first.
    pub vat_by_rate: Vec<VatByRateDto>,
}

/// What a cart would cost at a destination: VAT of the destination and
/// shipping of its printed sets.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "cart_id": "01a21fb2-0a1b-7c2d-9e3f-4a5b6c7d8e9f",
    "country": "DE",
    "country_source": "body",
    "zone": "eu",
    "currency": "EUR",
    "lines": [{
        "line_id": "01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b",
        "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
        "format_id": "01a21faf-9618-77eb-b003-08a8e82c85e2",
        "title": "Maison contemporaine de 129 m²",
        "kind": "printed_set",
        "quantity": 1,
        "vat_rate_bp": 1900,
        "unit_net": {"amount": 79167, "currency": "EUR"},
        "discount_net": {"amount": 0, "currency": "EUR"},
        "net": {"amount": 79167, "currency": "EUR"},
        "vat": {"amount": 15042, "currency": "EUR"},
        "gross": {"amount": 94209, "currency": "EUR"}
    }],
    "unavailable_line_ids": [],
    "shipping_options": [
        {"code": "standard", "net": {"amount": 1400, "currency": "EUR"}, "vat": {"amount": 266, "currency": "EUR"}, "gross": {"amount": 1666, "currency": "EUR"}, "vat_rate_bp": 1900, "days_min": 3, "days_max": 5},
        {"code": "express", "net": {"amount": 2800, "currency": "EUR"}, "vat": {"amount": 532, "currency": "EUR"}, "gross": {"amount": 3332, "currency": "EUR"}, "vat_rate_bp": 1900, "days_min": 1, "days_max": 2}
    ],
    "shipping": {"code": "standard", "net": {"amount": 1400, "currency": "EUR"}, "vat": {"amount": 266, "currency": "EUR"}, "gross": {"amount": 1666, "currency": "EUR"}, "vat_rate_bp": 1900, "days_min": 3, "days_max": 5},
    "totals": {
        "goods_net": {"amount": 79167, "currency": "EUR"},
        "discount_net": {"amount": 0, "currency": "EUR"},
        "shipping_net": {"amount": 1400, "currency": "EUR"},
        "net": {"amount": 80567, "currency": "EUR"},
        "vat": {"amount": 15308, "currency": "EUR"},
        "gross": {"amount": 95875, "currency": "EUR"},
        "vat_by_rate": [{"vat_rate_bp": 1900, "net": {"amount": 80567, "currency": "EUR"}, "vat": {"amount": 15308, "currency": "EUR"}}]
    }
}))]
#[schema(as = CartEstimate)]
pub struct EstimateDto {
    /// The cart (a UUID).
    pub cart_id: Uuid,
    /// The destination: ISO 3166-1 alpha-2 country code.
    #[schema(example = "DE")]
    pub country: String,
    /// What decided the destination.
    pub country_source: CountrySourceDto,
    /// The destination's shipping zone.
    pub zone: ZoneDto,
    /// ISO 4217 currency of every amount: `EUR`.
    #[schema(example = "EUR")]
    pub currency: String,
    /// The lines still for sale, priced for the destination, in the cart's
    /// order.
    pub lines: Vec<EstimateLineDto>,
    /// The cart's lines (UUIDs) no longer for sale: left out of the
    /// estimate; the checkout refuses the cart until they are removed.
    pub unavailable_line_ids: Vec<Uuid>,
    /// The ways to ship the printed sets, cheapest first; empty when
    /// nothing ships.
    pub shipping_options: Vec<ShippingOptionDto>,
    /// The shipping priced in the totals: `shipping_method`'s, else the
    /// cheapest; `null` when nothing ships.
    pub shipping: Option<ShippingOptionDto>,
    /// The sums.
    pub totals: EstimateTotalsDto,
}

/// A cart's lines still for sale, as pricing takes them (`key` is the
/// index in the returned offers), and the ids of the others.
fn line_inputs(view: &CartView) -> (Vec<LineInput>, Vec<(CartLineId, &Offer)>, Vec<Uuid>) {
    let mut inputs = Vec::with_capacity(view.lines.len());
    let mut offered = Vec::with_capacity(view.lines.len());
    let mut unavailable = Vec::new();
    for l in &view.lines {
        match &l.offer {
            Some(o) => {
                inputs.push(LineInput {
                    key: offered.len(),
                    unit_gross_fr: o.price,
                    quantity: l.line.quantity,
                    kind: o.kind,
                });
                offered.push((l.line.id, o));
            }
            None => unavailable.push(l.line.id.as_uuid()),
        }
    }
    (inputs, offered, unavailable)
}

/// Prices a cart's available lines for `country` on `on`.
fn price_cart(
    view: &CartView,
    country: Country,
    source: CountrySourceDto,
    on: NaiveDate,
    shipping: Option<ShippingCode>,
    discount: Option<pricing::Discount>,
) -> Result<EstimateDto, PricingError> {
    let (inputs, offered, unavailable) = line_inputs(view);
    let Estimate {
        country,
        zone,
        lines,
        shipping_options,
        shipping,
        totals,
    } = pricing::estimate(&inputs, country, on, discount, shipping)?;
    let lines = lines
        .into_iter()
        .filter_map(|p| {
            let (line_id, o) = offered.get(p.key)?;
            Some(EstimateLineDto {
                line_id: line_id.as_uuid(),
                product_id: o.product_id.as_uuid(),
                format_id: o.format_id.as_uuid(),
                title: o.title.clone(),
                kind: o.kind.into(),
                quantity: p.quantity,
                vat_rate_bp: p.vat_rate_bp,
                unit_net: p.unit_net.into(),
                discount_net: p.discount_net.into(),
                net: p.line_net.into(),
                vat: p.line_vat.into(),
                gross: p.line_gross.into(),
            })
        })
        .collect();
    Ok(EstimateDto {
        cart_id: view.cart.id.as_uuid(),
        country: country.as_str().to_owned(),
        country_source: source,
        zone: zone.into(),
        currency: totals.gross.currency().as_str().to_owned(),
        lines,
        unavailable_line_ids: unavailable,
        shipping_options: shipping_options.into_iter().map(Into::into).collect(),
        shipping: shipping.map(Into::into),
        totals: EstimateTotalsDto {
            goods_net: totals.goods_net.into(),
            discount_net: totals.discount_net.into(),
            shipping_net: totals.shipping_net.into(),
            net: totals.net.into(),
            vat: totals.vat.into(),
            gross: totals.gross.into(),
            vat_by_rate: totals
                .vat_by_rate
                .into_iter()
                .map(|(rate, net, vat)| VatByRateDto {
                    vat_rate_bp: rate,
                    net: net.into(),
                    vat: vat.into(),
                })
                .collect(),
        },
    })
}

/// An officially assigned ISO 3166-1 alpha-2 code, as pricing takes it.
fn country(code: &str) -> Result<Country, String> {
    let iso = CountryCode::parse(code)?;
    Country::parse(iso.as_str()).map_err(|e| e.to_string())
}

/// The country the proxy located the caller in, when the shop configured
/// its header and it names a country (not `XX` or `T1`).
/// Where the caller is: the proxy's header, else the country database.
fn located(state: &SharedState, req: &HttpRequest) -> Option<(Country, CountrySourceDto)> {
    if let Some(c) = state
        .config
        .country_header
        .as_deref()
        .and_then(|name| header(req, name))
        .and_then(|c| country(c).ok())
    {
        return Some((c, CountrySourceDto::Header));
    }
    let ip = state.origin(req).ip?;
    let c = country(&state.geo.country(ip)?).ok()?;
    Some((c, CountrySourceDto::Geoip))
}

/// One of the signed-in customer's saved addresses, or a field error.
async fn saved_address(
    state: &SharedState,
    customer: Option<CustomerId>,
    id: Uuid,
    field: &str,
    f: &mut FieldErrors,
) -> Result<Option<PostalAddress>, ApiError> {
    let Some(owner) = customer else {
        f.push(
            field,
            "a saved address needs the signed-in customer's bearer token: send it, or the address itself",
        );
        return Ok(None);
    };
    let stored = state
        .store
        .reader()
        .addresses()
        .get(owner, AddressId::from_uuid(id))
        .await?;
    if stored.is_none() {
        f.push(
            field,
            "is not one of your saved addresses (GET /v1/me/addresses)",
        );
    }
    Ok(stored.map(|s| s.address))
}

/// Estimate a cart for a destination (SHOP-3, SHOP-4): VAT of the
/// destination on every line, and the shipping of its printed sets.
///
/// The destination is the body's `country`, else the country of the saved
/// address `address_id`, else the country the proxy located the caller in
/// (when the shop configures such a header), else France; `country_source`
/// says which. Nothing is stored. Lines no longer for sale are left out and
/// listed in `unavailable_line_ids`.
#[utoipa::path(
    tag = "carts",
    operation_id = "estimate_cart",
    security(("bearer" = []), ("cart_secret" = [])),
    params(("cart_id" = Uuid, Path, description = "The cart's id")),
    request_body = EstimateRequest,
    responses(
        (status = 200, description = "The estimate", body = EstimateDto),
        (status = 404, description = "No cart has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        MaybeSignedInErrors,
        BodyErrors,
    )
)]
#[post("/v1/carts/{cart_id}/estimate")]
pub async fn estimate_cart(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body<EstimateRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path)?;
    let view = held(&state, &auth, &req, id).await?;
    let b = body.read().await?;
    let customer = auth.0.as_ref().map(|p| p.customer_id);
    let mut f = FieldErrors::default();
    let chosen = b
        .country
        .as_deref()
        .and_then(|c| f.take("country", country(c)));
    let saved = match b.address_id {
        Some(address) => saved_address(&state, customer, address, "address_id", &mut f).await?,
        None => None,
    };
    let saved = match saved {
        Some(a) => f.take("address_id", country(&a.country)),
        None => None,
    };
    let code = b
        .coupon_code
        .as_deref()
        .and_then(|c| f.take("coupon_code", CouponCode::parse(c)));
    f.check()?;
    let discount = match code {
        Some(code) => Some(
            coupon::discount_for(
                state.store.reader().as_ref(),
                &code,
                view.subtotal,
                None,
                state.clock.now(),
            )
            .await?
            .1,
        ),
        None => None,
    };
    let (destination, source) = match (chosen, saved, located(&state, &req)) {
        (Some(c), _, _) => (c, CountrySourceDto::Body),
        (None, Some(c), _) => (c, CountrySourceDto::Address),
        (None, None, Some(located)) => located,
        (None, None, None) => (Country::FRANCE, CountrySourceDto::Default),
    };
    let estimate = price_cart(
        &view,
        destination,
        source,
        state.clock.now().date_naive(),
        b.shipping_method.map(Into::into),
        discount,
    )
    .map_err(|e| {
        let mut f = FieldErrors::default();
        let field = match e {
            PricingError::UnknownShipping => "shipping_method",
            _ => "cart",
        };
        f.take_coded::<(), _>(field, Err(e));
        ApiError::Validation(f)
    })?;
    Ok(HttpResponse::Ok().json(estimate))
}

/// A checkout (the body of `POST /v1/carts/{cart_id}/checkout`): who buys,
/// where to, how they pay, and their explicit acceptance of the terms.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "jeanne.dupont@example.fr",
    "name": "Jeanne Dupont",
    "phone": "+33 6 12 34 56 78",
    "billing_address": {"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": null, "postal_code": "69003", "city": "Lyon", "country": "FR"},
    "shipping_address": {"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": "Bâtiment B, 3e étage", "postal_code": "69003", "city": "Lyon", "country": "FR"},
    "accept_terms": true,
    "privacy_policy_version": 1,
    "terms_version": 1,
    "marketing_emails": false,
    "shipping_method": "standard",
    "payment_method": "bank_transfer",
    "language": "fr"
}))]
#[schema(as = CheckoutInput)]
pub struct CheckoutRequest {
    /// Where the order's e-mails go (`name@example.com`, at most 254 bytes).
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// The buyer's full name: 1 to 100 characters, not blank, without
    /// control characters (surrounding white space is dropped).
    #[validate(length(max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
    /// Phone number, optional (for a question about the delivery): an
    /// optional leading `+`, then 6 to 15 digits, which spaces, dots,
    /// hyphens and brackets may separate. A blank string is the same as
    /// none.
    #[validate(length(max = 32))]
    #[schema(
        max_length = 32,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:\+?[ .()-]*(?:[0-9][ .()-]*){6,15})?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub phone: Option<String>,
    /// The address on the invoice: required unless `billing_address_id`
    /// names a saved one. Its country decides VAT when nothing ships.
    pub billing_address: Option<PostalAddressDto>,
    /// A saved address of the signed-in customer (a UUID, from
    /// `GET /v1/me/addresses`) to bill to, instead of `billing_address`.
    pub billing_address_id: Option<Uuid>,
    /// Where the printed sets go: required (or `shipping_address_id`) when
    /// the cart holds one, ignored otherwise. Its country then decides VAT
    /// and shipping.
    pub shipping_address: Option<PostalAddressDto>,
    /// A saved address of the signed-in customer (a UUID) to ship to,
    /// instead of `shipping_address`.
    pub shipping_address_id: Option<Uuid>,
    /// Must be `true`: the buyer ticked the box accepting the terms of sale
    /// and the privacy policy. Never implied; recorded in the consent
    /// ledger with the versions below.
    pub accept_terms: bool,
    /// The version of the privacy policy shown and accepted: must be the
    /// version in force (`GET /v1/legal/privacy-policy`).
    #[schema(example = 1, minimum = 1, maximum = 1000000)]
    pub privacy_policy_version: i32,
    /// The version of the terms of sale shown and accepted: required once
    /// terms are published (`GET /v1/legal/terms`), and then the version in
    /// force.
    #[schema(example = 1, minimum = 1, maximum = 1000000)]
    pub terms_version: Option<i32>,
    /// `true` when the buyer chose to receive the shop's commercial
    /// e-mails (a separate, unticked box); `false` when absent.
    #[serde(default)]
    pub marketing_emails: bool,
    /// The shipping service for the printed sets (the cheapest when
    /// absent); ignored when nothing ships.
    pub shipping_method: Option<ShippingMethodDto>,
    /// How the order is paid.
    pub payment_method: PaymentMethodDto,
    /// Language of the order's e-mails: when absent, English if the
    /// request's `Accept-Language` prefers it to French, else French.
    pub language: Option<LanguageDto>,
    /// A coupon's code (3 to 32 letters, digits, `-` or `_`, any case),
    /// checked again here with every rule, including its uses by this
    /// e-mail address; the order keeps it.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z0-9_-]{3,32}$",
        example = "BIENVENUE10"
    )]
    pub coupon_code: Option<String>,
    /// `true` when a guest ticked "create an account" (ACC-2): unless the
    /// address has one already, an account is opened with this order, and
    /// a set-password link (or, as the shop is set up, a password) is sent
    /// by e-mail. The answer is the same either way. Ignored when signed in;
    /// `false` when absent. Counts towards the registrations allowed from
    /// one source (429 `/problems/too-many-requests` past them).
    #[serde(default)]
    pub create_account: bool,
}

/// The language of a buyer who did not say: English when `Accept-Language`
/// prefers it to French, else French (the shop's).
fn mail_language(req: &HttpRequest) -> Language {
    let accept: Vec<&str> = req
        .headers()
        .get_all(header::ACCEPT_LANGUAGE)
        .filter_map(|v| v.to_str().ok())
        .collect();
    // French at the lowest weight: English wins only when asked for.
    if Lang::negotiate(&format!("fr;q=0.001,{}", accept.join(","))) == Lang::En {
        Language::En
    } else {
        Language::Fr
    }
}

/// The address given (`field`) or saved (`id_field`): one of them.
async fn address(
    state: &SharedState,
    customer: Option<CustomerId>,
    f: &mut FieldErrors,
    (field, given): (&str, Option<&PostalAddressDto>),
    (id_field, id): (&str, Option<Uuid>),
) -> Result<Option<PostalAddress>, ApiError> {
    match (given, id) {
        (Some(_), Some(_)) => {
            f.push(id_field, format!("give {field} or {id_field}, not both"));
            Ok(None)
        }
        (Some(a), None) => match a.parse(field) {
            Ok(a) => Ok(Some(a)),
            Err(e) => {
                for error in e.0 {
                    f.push_error(error);
                }
                Ok(None)
            }
        },
        (None, Some(id)) => saved_address(state, customer, id, id_field, f).await,
        (None, None) => Ok(None),
    }
}

/// The checkout's input, parsed: every refused field at once.
async fn checkout_input(
    state: &SharedState,
    customer: Option<CustomerId>,
    req: &HttpRequest,
    b: CheckoutRequest,
) -> Result<CheckoutInput, ApiError> {
    let mut f = FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&b.email));
    let name = f.take_coded("name", PersonName::parse(&b.name));
    let phone = b
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| f.take_coded("phone", Phone::parse(p)))
        .map(|p| p.as_str().to_owned());
    let billing = address(
        state,
        customer,
        &mut f,
        ("billing_address", b.billing_address.as_ref()),
        ("billing_address_id", b.billing_address_id),
    )
    .await?;
    if b.billing_address.is_none() && b.billing_address_id.is_none() {
        f.push_code(
            "billing_address",
            domain::FieldCode::Required,
            "is required, unless billing_address_id names a saved address",
        );
    }
    let shipping = address(
        state,
        customer,
        &mut f,
        ("shipping_address", b.shipping_address.as_ref()),
        ("shipping_address_id", b.shipping_address_id),
    )
    .await?;
    if !b.accept_terms {
        f.push(
            "accept_terms",
            "must be true: the terms of sale and the privacy policy have to be actively accepted",
        );
    }
    let coupon = b
        .coupon_code
        .as_deref()
        .and_then(|c| f.take("coupon_code", CouponCode::parse(c)));
    let (email, name, billing) = f.finish(|| Some((email?, name?, billing?)))?;
    Ok(CheckoutInput {
        coupon,
        email,
        name,
        phone,
        billing,
        shipping,
        policy_version: b.privacy_policy_version,
        terms_version: b.terms_version,
        marketing: b.marketing_emails,
        shipping_method: b.shipping_method.map(Into::into),
        payment_method: b.payment_method.into(),
        language: b
            .language
            .map_or_else(|| mail_language(req), Language::from),
        source_country: state.origin(req).ip.and_then(|ip| state.geo.country(ip)),
    })
}

/// Check a cart out: place its order (SHOP-5).
///
/// Needs an `Idempotency-Key` (400 `/problems/bad-request` without it): a
/// new unique value (a UUID) per checkout, the same one when retrying it
/// after a timeout. The same key with the same body answers the order made
/// the first time (200, `Idempotent-Replayed: true`) instead of a second
/// one; with another body it is 409 `/problems/idempotency-key-conflict`.
///
/// Prices, VAT and shipping are worked out now from the catalogue, for the
/// shipping address's country when printed sets ship, else the billing
/// address's. The order keeps them with the addresses, the cart is closed,
/// the acceptance of the terms (and the marketing choice, when made) is
/// recorded, and a confirmation e-mail goes out. A guest's order answers its
/// `access_secret`: send it as `X-Order-Secret` to read the order. A bank
/// transfer's instructions follow by e-mail; the order waits for the
/// transfer (`pending_payment`).
#[utoipa::path(
    tag = "carts",
    operation_id = "checkout_cart",
    security(("bearer" = []), ("cart_secret" = [])),
    params(
        ("cart_id" = Uuid, Path, description = "The cart's id"),
        ("Idempotency-Key" = String, Header, description = "Required: a new unique value (a UUID) per checkout, the same one when retrying it. 1 to 255 printable ASCII characters, as a quoted string (`\"...\"`) or bare; missing or malformed, it is a 400 `/problems/bad-request`.", example = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", pattern = r#"^(?:"(?:[ !#-\[\]-~]|\\["\\]){1,255}"|[!#-~](?:[ -~]{0,253}[!-~])?)$"#),
    ),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "The order was placed", body = PlacedOrder, headers(
            ("Location" = String, description = "The new order"),
        )),
        (status = 200, description = "A retry with the same `Idempotency-Key` and body: the order placed the first time", body = PlacedOrder, headers(
            ("Idempotent-Replayed" = String, description = "`true`: this is the order of an earlier request with the same `Idempotency-Key`"),
        )),
        (status = 400, description = "`validation-failed`: fields are refused (every one listed); `bad-request`: the `Idempotency-Key` is missing or malformed; `malformed-json`: the body is not JSON", body = Problem, content_type = "application/problem+json", examples(
            ("validation-failed" = (summary = "The terms were not accepted, and a printed set needs a shipping address", value = json!({
                "type": "/problems/validation-failed",
                "title": "The request has invalid fields",
                "status": 400,
                "detail": "2 fields were refused; see errors.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "errors": [
                    {"field": "accept_terms", "code": "invalid", "message": "must be true: the terms of sale and the privacy policy have to be actively accepted"},
                    {"field": "shipping_address", "code": "invalid", "message": "required: the cart holds a printed set, which is shipped"}
                ]
            }))),
            ("bad-request" = (summary = "No Idempotency-Key", value = json!({
                "type": "/problems/bad-request",
                "title": "The request is malformed",
                "status": 400,
                "detail": "This operation needs an Idempotency-Key header: a new unique value (a UUID) per request, the same one when retrying it.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("malformed-json" = (summary = "The body is not JSON", value = json!({
                "type": "/problems/malformed-json",
                "title": "The request body is not valid JSON for this operation",
                "status": 400,
                "detail": "The body is not valid JSON (line 1, column 49).",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        (status = 404, description = "No cart has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart-closed`: the cart was checked out (with another `Idempotency-Key`) or merged; `idempotency-key-conflict`: it was checked out with this `Idempotency-Key` and another body; `items-unavailable`: lines are no longer for sale (`line_ids`); `conflict`: the cart is empty", body = Problem, content_type = "application/problem+json", examples(
            ("cart-closed" = (summary = "The cart was checked out or merged", value = json!({
                "type": "/problems/cart-closed",
                "title": "The cart is closed",
                "status": 409,
                "detail": "This cart was checked out or merged into another: create a new cart with POST /v1/carts.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("idempotency-key-conflict" = (summary = "The key was used with another body", value = json!({
                "type": "/problems/idempotency-key-conflict",
                "title": "The cart was checked out with this Idempotency-Key and another request",
                "status": 409,
                "detail": "This cart was checked out with this Idempotency-Key and another request body: send the same body to get that order, or use a new key for a new cart.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("items-unavailable" = (summary = "A plan was unpublished meanwhile", value = json!({
                "type": "/problems/items-unavailable",
                "title": "Some items are no longer for sale",
                "status": 409,
                "detail": "1 line of the cart is no longer for sale (see line_ids): remove it and check out again.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "line_ids": ["01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b"]
            }))),
            ("conflict" = (summary = "The cart is empty", value = json!({
                "type": "/problems/conflict",
                "title": "The request conflicts with the current state",
                "status": 409,
                "detail": "the cart is empty",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        (status = 413, description = "The body is larger than the configured limit", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/payload-too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": "The body must be at most 65536 bytes.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/unsupported-media-type",
            "title": "Unsupported media type",
            "status": 415,
            "detail": "Send the body as application/json.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        MaybeSignedInErrors,
        crate::problem::ThrottledErrors,
    )
)]
#[post("/v1/carts/{cart_id}/checkout")]
pub async fn checkout_cart(
    state: SharedState,
    auth: MaybeAuth,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: IdempotentBody<CheckoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&path)?;
    held(&state, &auth, &req, id).await?;
    let (b, request) = body.read_required().await?;
    validate(&b)?;
    let customer = auth.0.as_ref().map(|p| p.customer_id);
    let b_create_account = b.create_account;
    let input = checkout_input(&state, customer, &req, b).await?;
    if input.payment_method == order::PaymentMethod::Stripe && state.payments.is_none() {
        return Err(ApiError::Validation({
            let mut f = domain::FieldErrors::default();
            f.push(
                "payment_method",
                "card payments are not offered by this shop: use bank_transfer",
            );
            f
        }));
    }
    let setup = if b_create_account && auth.0.is_none() {
        Some(
            domain::identity::throttle_new_account(
                state.store.as_ref(),
                &state.hasher,
                &state.random,
                state.clock.as_ref(),
                &state.identity,
                &caller.0,
            )
            .await?,
        )
    } else {
        None
    };
    let offers = state.catalogue.index();
    let placed = order::checkout(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        offers.as_ref(),
        &holder(&state, &auth, &req, id)?,
        id,
        &input,
        &request,
        &caller.0,
        setup.as_ref().map(|setup| order::AccountOpening {
            random: &state.random,
            config: &state.identity,
            setup,
        }),
    )
    .await?;
    // Whoever is not signed in reads the order with its secret.
    let guest = customer.is_none();
    let location = format!("/v1/orders/{}", placed.order.summary.id);
    // The order is committed whatever Stripe answers: a payment that could
    // not be started now is asked for again with POST /v1/orders/{id}/payment.
    let payment = if placed.order.summary.payment_method == order::PaymentMethod::Stripe {
        crate::routes::payments::start(&state, &placed.order)
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "card payment not started at checkout"))
            .ok()
    } else {
        None
    };
    let body = PlacedOrder {
        order: OrderDto::for_holder(placed.order, customer),
        access_secret: guest.then_some(placed.secret),
        payment,
    };
    Ok(if placed.created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(body)
    } else {
        HttpResponse::Ok()
            .insert_header((IDEMPOTENT_REPLAYED, "true"))
            .json(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::catalogue::FormatKind;
    use domain::money::{Currency, Money};
    use domain::shop::cart::{Cart, CartLine, PricedLine};

    #[test]
    fn quantities_are_documented_as_the_domain_bounds_them() {
        let doc = serde_json::to_value(crate::openapi::openapi()).unwrap();
        for schema in ["CartItemInput", "CartItemChange"] {
            let q = &doc["components"]["schemas"][schema]["properties"]["quantity"];
            assert_eq!(q["minimum"], 1, "{schema}");
            assert_eq!(q["maximum"], pricing::MAX_QUANTITY, "{schema}");
        }
        assert!(cart::quantity(0).is_err());
        assert!(cart::quantity(100).is_err());
        assert!(cart::quantity(1_000_000_000).is_err());
        assert_eq!(cart::quantity(99).ok(), Some(99));
    }

    #[test]
    fn only_assigned_country_codes_are_destinations() {
        assert_eq!(
            country("DE").map(|c| c.as_str().to_owned()),
            Ok("DE".into())
        );
        for bad in ["de", "XX", "T1", "EU", "FRA", ""] {
            assert!(country(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_mail_language_is_french_unless_english_is_preferred() {
        let lang = |accept: Option<&str>| {
            let mut req = actix_web::test::TestRequest::default();
            if let Some(a) = accept {
                req = req.insert_header((header::ACCEPT_LANGUAGE, a));
            }
            mail_language(&req.to_http_request())
        };
        assert_eq!(lang(None), Language::Fr);
        assert_eq!(lang(Some("de-DE")), Language::Fr);
        assert_eq!(lang(Some("en-GB,en;q=0.9")), Language::En);
        assert_eq!(lang(Some("fr,en;q=0.5")), Language::Fr);
        assert_eq!(lang(Some("de,en;q=0.8")), Language::En);
    }

    #[test]
    fn an_estimate_leaves_out_lines_no_longer_for_sale() {
        let now = chrono::Utc::now();
        let line = |quantity| CartLine {
            id: CartLineId::new(),
            product_id: ProductId::new(),
            format_id: FormatId::new(),
            quantity,
            added_at: now,
        };
        let (sold, gone) = (line(2), line(1));
        let offer = Offer {
            product_id: sold.product_id,
            format_id: sold.format_id,
            slug: "maison".into(),
            title: "Maison".into(),
            kind: FormatKind::PrintedSet,
            sku: "BTQ-001-PRT".into(),
            price: Money::new(12_000, Currency::EUR).unwrap(),
        };
        let cart = Cart {
            id: CartId::new(),
            customer_id: None,
            subject: None,
            email: None,
            status: CartStatus::Open,
            lines: vec![gone.clone(), sold.clone()],
            created_at: now,
            last_activity_at: now,
        };
        let view = CartView {
            lines: vec![
                PricedLine {
                    line: gone.clone(),
                    offer: None,
                    total: None,
                },
                PricedLine {
                    line: sold.clone(),
                    offer: Some(offer),
                    total: Money::new(24_000, Currency::EUR).ok(),
                },
            ],
            cart,
            subtotal: Money::new(24_000, Currency::EUR).unwrap(),
            item_count: 2,
            requires_shipping: true,
            secret: None,
        };
        let e = price_cart(
            &view,
            Country::parse("DE").unwrap(),
            CountrySourceDto::Body,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            Some(ShippingCode::Express),
            None,
        )
        .unwrap();
        assert_eq!(e.unavailable_line_ids, vec![gone.id.as_uuid()]);
        assert_eq!(e.lines.len(), 1);
        assert_eq!(e.lines[0].line_id, sold.id.as_uuid());
        assert_eq!(e.lines[0].quantity, 2);
        assert_eq!(e.lines[0].vat_rate_bp, 1900);
        assert_eq!(e.zone, ZoneDto::Eu);
        assert_eq!(e.shipping_options.len(), 2);
        assert_eq!(
            e.shipping.as_ref().map(|s| s.code),
            Some(ShippingMethodDto::Express)
        );
        assert_eq!(e.currency, "EUR");
        assert_eq!(
            e.totals.gross.amount,
            e.totals.net.amount + e.totals.vat.amount
        );
    }
}
