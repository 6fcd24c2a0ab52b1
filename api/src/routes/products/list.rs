//! `GET /v1/products`: search the published catalogue.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use domain::catalogue::{ProductQuery, RawProductQuery};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{ProductPage, StyleDto};
use crate::problem::{ApiError, Problem};
use crate::routes::products::render::RenderCache;
use crate::state::AppState;

/// Sort keys.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only: the query is parsed by the domain
pub enum SortDto {
    /// By "from" price (cheapest format); ascending by default.
    Price,
    /// By living surface; ascending by default.
    Surface,
    /// By publication; newest first by default.
    Newest,
}

/// Sort directions.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only
pub enum OrderDto {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// Filters, sorting and pagination of the catalogue. Values are kept as text
/// here and parsed by the domain, so every refused parameter is reported.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words that must all appear in the title or description (case and
    /// accents ignored).
    #[param(max_length = 200, example = "plein pied")]
    pub q: Option<String>,
    /// Only plans of this style.
    #[param(inline, value_type = Option<StyleDto>)]
    pub style: Option<String>,
    /// Smallest living surface, m².
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100_000, example = 90)]
    pub min_surface: Option<String>,
    /// Largest living surface, m².
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100_000, example = 150)]
    pub max_surface: Option<String>,
    /// Exact number of bedrooms.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 20, example = 3)]
    pub bedrooms: Option<String>,
    /// Lowest "from" price, in cents.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1_000_000_000, example = 30_000)]
    pub min_price: Option<String>,
    /// Highest "from" price, in cents.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1_000_000_000, example = 90_000)]
    pub max_price: Option<String>,
    /// Sort key (default `newest`).
    #[param(inline, value_type = Option<SortDto>)]
    pub sort: Option<String>,
    /// Sort direction (default: `asc` for price and surface, `desc` for newest).
    #[param(inline, value_type = Option<OrderDto>)]
    pub order: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page, with the same sort and order;
    /// empty means the first page.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

impl From<ListParams> for RawProductQuery {
    fn from(p: ListParams) -> Self {
        Self {
            q: p.q,
            style: p.style,
            min_surface: p.min_surface,
            max_surface: p.max_surface,
            bedrooms: p.bedrooms,
            min_price: p.min_price,
            max_price: p.max_price,
            sort: p.sort,
            order: p.order,
            limit: p.limit,
            // `cursor=` (what a form sends for "no cursor") is the first page.
            cursor: p.cursor.filter(|c| !c.is_empty()),
        }
    }
}

/// List published house plans.
///
/// Filters combine (all must match). "Price" is the plan's cheapest format.
/// Results are paginated with `limit` and the opaque `cursor`.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_products",
    params(ListParams),
    responses(
        (status = 200, description = "A page of plans", body = ProductPage),
        (status = 400, description = "A parameter is invalid (for example `min_surface` above `max_surface`, an unknown `sort`, a cursor from another sort)",
            body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    rendered: web::Data<RenderCache>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = ProductQuery::parse(&params.into_inner().into())?;
    let rendered = rendered.get(state.catalogue.index());
    let page = rendered.index().search(&query);
    // The body is the `ProductPage` schema, assembled from pre-rendered items.
    let mut body = String::with_capacity(64 + page.items.len() * 512);
    body.push_str("{\"items\":[");
    for (i, plan) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(rendered.summary(plan.id));
    }
    body.push_str("],\"next_cursor\":");
    match &page.next_cursor {
        Some(c) => body.push_str(&serde_json::to_string(c).unwrap_or_else(|_| "null".into())),
        None => body.push_str("null"),
    }
    body.push('}');
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .content_type("application/json")
        .body(body))
}
