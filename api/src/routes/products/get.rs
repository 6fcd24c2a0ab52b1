//! `GET /v1/products/{id_or_slug}`: one published plan.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use super::dto::Product;
use crate::problem::{ApiError, Problem};
use crate::routes::products::render::RenderCache;
use crate::state::AppState;

/// Get one published house plan, by id or slug, with its formats and prices.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_product",
    params(
        ("id_or_slug" = String, Path, description = "The plan's id (UUID) or slug", example = "maison-contemporaine-73m2-1ch-01"),
    ),
    responses(
        (status = 200, description = "The plan", body = Product),
        (status = 404, description = "No published plan has this id or slug", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products/{id_or_slug}")]
pub async fn get_product(
    state: web::Data<AppState>,
    rendered: web::Data<RenderCache>,
    id_or_slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rendered = rendered.get(state.catalogue.index());
    let plan = rendered
        .index()
        .get(&id_or_slug)
        .ok_or_else(|| ApiError::NotFound("No published plan has this id or slug.".into()))?;
    // The body is the `Product` schema, rendered once per catalogue revision.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .content_type("application/json")
        .body(rendered.detail(plan.id).to_owned()))
}
