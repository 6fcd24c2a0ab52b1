//! `GET` and `HEAD /v1/products/{id_or_slug}`: one published plan.

use actix_web::{HttpRequest, HttpResponse, get, head, web};

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
) -> Result<HttpResponse, ApiError> {
    let rendered = rendered.get(state.catalogue.index());
    let plan = rendered
        .index()
        .get(id_or_slug)
        .ok_or_else(|| ApiError::NotFound("No published plan has this id or slug.".into()))?;
    // The body is the `Product` schema, rendered once per catalogue revision;
    // its tag changes when this plan does.
    let detail = rendered.detail(plan);
    let etag = cache::etag(req, &detail.tag);
    Ok(cache::answer(req, etag, || detail.json.clone()))
}

/// Get one published house plan, by id or slug, with its formats and prices.
///
/// The answer carries a strong `ETag`: send it back in `If-None-Match` to get
/// a 304 while the plan has not changed.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_product",
    params(
        ("id_or_slug" = String, Path, description = "The plan's id (UUID) or slug", example = "maison-contemporaine-73m2-1ch-01"),
        ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current"),
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
    find(&req, &state, &rendered, &id_or_slug)
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
    find(&req, &state, &rendered, &id_or_slug)
}

/// `GET` and `HEAD /v1/products/{id_or_slug}`, registered together.
#[expect(non_upper_case_globals, reason = "registered by name, like a handler")]
pub const get_product: GetAndHead<get_product_get, get_product_head> =
    GetAndHead(get_product_get, get_product_head);
