//! Recently viewed plans (SHOP-2): the last 15 distinct plans a signed-in
//! customer, or a guest cart's holder, read with
//! `GET /v1/products/{id_or_slug}` (recorded after the answer, see
//! [`crate::views`]), newest first, those still published.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, Utc};
use domain::catalogue::CatalogueView;
use domain::ids::{CartId, ProductId};
use domain::recently_viewed::Viewer;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Auth, MaybeAuth};
use crate::problem::{ApiError, MaybeSignedInErrors, Problem, SignedInErrors};
use crate::routes::products::dto::MoneyDto;
use crate::state::SharedState;

/// A plan viewed recently: enough to show it again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
    "slug": "maison-contemporaine-129m2-3ch-21",
    "title": "Maison contemporaine 129 m² – 3 chambres",
    "from_price": {"amount": 80000, "currency": "EUR"},
    "cover_image_url": "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg",
    "viewed_at": "2026-12-02T18:20:00Z"
}))]
pub struct ViewedPlan {
    /// Plan id (UUID v7).
    pub id: Uuid,
    /// The plan's URL name, for `GET /v1/products/{id_or_slug}`.
    #[schema(example = "maison-contemporaine-129m2-3ch-21")]
    pub slug: String,
    /// Title shown to customers.
    #[schema(example = "Maison contemporaine 129 m² – 3 chambres")]
    pub title: String,
    /// The "from" price: the cheapest format's price, in cents, taxes
    /// included.
    pub from_price: MoneyDto,
    /// Absolute `https` URL of the cover image; `null` when the plan has
    /// no image.
    pub cover_image_url: Option<String>,
    /// When it was last read (RFC 3339, UTC).
    pub viewed_at: DateTime<Utc>,
}

/// The last plans read, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
    "slug": "maison-contemporaine-129m2-3ch-21",
    "title": "Maison contemporaine 129 m² – 3 chambres",
    "from_price": {"amount": 80000, "currency": "EUR"},
    "cover_image_url": "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg",
    "viewed_at": "2026-12-02T18:20:00Z"
}]}))]
pub struct RecentlyViewed {
    /// At most 15 distinct plans, most recently read first; plans no
    /// longer published are left out.
    pub items: Vec<ViewedPlan>,
}

fn shown(catalogue: &CatalogueView, views: Vec<(ProductId, DateTime<Utc>)>) -> RecentlyViewed {
    let items = views
        .into_iter()
        .filter_map(|(id, viewed_at)| {
            let plan = catalogue
                .get(&id.to_string())
                .filter(|p| p.id == id && p.published)?;
            Some(ViewedPlan {
                id: plan.id.as_uuid(),
                slug: plan.slug.as_str().to_owned(),
                title: plan.title.clone(),
                from_price: plan.from_price().map_or(
                    MoneyDto {
                        amount: 0,
                        currency: "EUR".into(),
                    },
                    MoneyDto::from,
                ),
                cover_image_url: plan.images.first().map(|u| u.as_str().to_owned()),
                viewed_at,
            })
        })
        .collect();
    RecentlyViewed { items }
}

/// The plans the caller read recently, signed in.
///
/// The last 15 distinct plans read with `GET /v1/products/{id_or_slug}`
/// and the caller's token, newest first (a plan read again moves up);
/// kept 6 months. Views are recorded just after each answer, so a plan
/// read a moment ago may take an instant to appear.
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_recently_viewed",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The plans, newest first", body = RecentlyViewed),
        SignedInErrors,
    )
)]
#[get("/v1/me/recently-viewed")]
pub async fn list_my_recently_viewed(
    state: SharedState,
    auth: Auth,
) -> Result<web::Json<RecentlyViewed>, ApiError> {
    let now = state.clock.now();
    let views = domain::recently_viewed::list(
        state.store.as_ref(),
        Viewer::Customer(auth.0.customer_id),
        now,
    )
    .await?;
    Ok(web::Json(shown(&state.catalogue.index(), views)))
}

/// The plans a guest cart's holder read recently.
///
/// The last 15 distinct plans read with `GET /v1/products/{id_or_slug}`
/// and the headers `X-Cart-Id` and `X-Cart-Secret` of this cart, newest
/// first; kept 30 days. For a customer's cart (with the bearer token),
/// the customer's own list. No credential at all is a 401; a wrong secret
/// or another's cart, a 404.
#[utoipa::path(
    tag = "carts",
    operation_id = "list_cart_recently_viewed",
    security(("bearer" = []), ("cart_secret" = [])),
    params(("cart_id" = Uuid, Path, description = "The cart's id")),
    responses(
        (status = 200, description = "The plans, newest first", body = RecentlyViewed),
        (status = 404, description = "No cart has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        MaybeSignedInErrors,
    )
)]
#[get("/v1/carts/{cart_id}/recently-viewed")]
pub async fn list_cart_recently_viewed(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<RecentlyViewed>, ApiError> {
    let cart: CartId = path
        .parse()
        .map_err(|_| ApiError::NotFound("No cart has this id, or it is not yours.".into()))?;
    let holder = crate::routes::carts::holder(&state, &auth, &req, cart)?;
    let views = domain::recently_viewed::of_cart(
        state.store.as_ref(),
        state.index.as_ref(),
        &holder,
        cart,
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(shown(&state.catalogue.index(), views)))
}
