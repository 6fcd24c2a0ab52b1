//! `GET` and `HEAD /v1/products/{id_or_slug}`: one published plan.

use actix_web::{HttpRequest, HttpResponse, get, head, web};
use domain::ids::ProductId;

use super::cache::{self, GetAndHead, NotModified};
use super::dto::Product;
use crate::problem::{ApiError, Problem};
use crate::routes::products::render::RenderCache;
use crate::state::AppState;

fn find(
    req: &HttpRequest,
    state: &AppState,
    rendered: &RenderCache,
    id_or_slug: &str,
) -> Result<(HttpResponse, ProductId), ApiError> {
    let rendered = rendered.get(state.catalogue.index());
    let plan = rendered
        .index()
        .get(id_or_slug)
        .ok_or_else(|| ApiError::NotFound("No published plan has this id or slug.".into()))?;
    // The body is the `Product` schema, rendered once per catalogue revision;
    // its tag changes when this plan does.
    let detail = rendered.detail(plan);
    let etag = cache::etag(req, &detail.tag);
    Ok((cache::answer(req, etag, || detail.json.clone()), plan.id))
}

/// Get one published house plan, by id or slug, with its formats, prices
/// and rating.
///
/// The answer carries a strong `ETag`: send it back in `If-None-Match` to get
/// a 304 while the plan has not changed. Read with a bearer token, or with
/// a guest cart's `X-Cart-Id` and `X-Cart-Secret`, the plan joins the
/// reader's recently viewed plans (`GET /v1/me/recently-viewed`,
/// `GET /v1/carts/{cart_id}/recently-viewed`); that is recorded after the
/// answer, and an invalid token or secret is simply not recorded (the plan
/// is public).
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_product",
    params(
        ("id_or_slug" = String, Path, description = "The plan's id (UUID) or slug", example = "maison-contemporaine-73m2-1ch-01"),
        ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current"),
        ("X-Cart-Id" = Option<String>, Header, description = "A guest's cart id (a UUID), sent with its `X-Cart-Secret`: the plan joins the cart's recently viewed plans. Anything else is ignored: the plan is answered all the same", example = "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f"),
        ("X-Cart-Secret" = Option<String>, Header, description = "The secret of the cart named by `X-Cart-Id`"),
    ),
    responses(
        (status = 200, description = "The plan", body = Product, headers(
            ("ETag" = String, description = "Strong entity tag of this answer: it changes when the plan changes, and differs per content coding"),
            ("Cache-Control" = String, description = "`public, max-age=30`: any cache may reuse the answer for 30 seconds, then revalidate it with `If-None-Match`"),
            ("Vary" = String, description = "`Accept-Encoding`, then `Origin, Access-Control-Request-Method, Access-Control-Request-Headers` (CORS)"),
        )),
        NotModified,
        (status = 404, description = "No published plan has this id or slug", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products/{id_or_slug}")]
pub async fn get_product_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    rendered: web::Data<RenderCache>,
    id_or_slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (answer, id) = find(&req, &state, &rendered, &id_or_slug)?;
    state.views.record(&state, &req, id);
    Ok(answer)
}

/// The headers of one published house plan, without its body.
///
/// The same answer as `GET /v1/products/{id_or_slug}` (status and headers,
/// `ETag` included), without a body.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "head_product",
    params(
        ("id_or_slug" = String, Path, description = "The plan's id (UUID) or slug", example = "maison-contemporaine-73m2-1ch-01"),
        ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current"),
    ),
    responses(
        (status = 200, description = "The plan exists; no body", headers(
            ("ETag" = String, description = "The entity tag `GET` would send"),
            ("Cache-Control" = String, description = "`public, max-age=30`"),
            ("Vary" = String, description = "As for `GET`"),
        )),
        NotModified,
        (status = 404, description = "No published plan has this id or slug (no body)"),
        (status = 500, description = "Unexpected error"),
    )
)]
#[head("/v1/products/{id_or_slug}")]
pub async fn get_product_head(
    req: HttpRequest,
    state: web::Data<AppState>,
    rendered: web::Data<RenderCache>,
    id_or_slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    find(&req, &state, &rendered, &id_or_slug).map(|(answer, _)| answer)
}

/// `GET` and `HEAD /v1/products/{id_or_slug}`, registered together.
#[expect(non_upper_case_globals, reason = "registered by name, like a handler")]
pub const get_product: GetAndHead<get_product_get, get_product_head> =
    GetAndHead(get_product_get, get_product_head);
