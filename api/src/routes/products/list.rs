//! `GET` and `HEAD /v1/products`: search the published catalogue.

use actix_web::{HttpRequest, HttpResponse, get, head, web};
use domain::catalogue::{ProductQuery, QueryError, RawProductQuery};
use utoipa::{IntoParams, ToSchema};

use super::cache::{self, GetAndHead, NotModified};
use super::dto::{ProductPage, StyleDto};
use crate::problem::{ApiError, Problem};
use crate::routes::products::render::RenderCache;
use crate::state::AppState;

/// What the plans are sorted by:
///
/// - `price`: the "from" price (the cheapest format); ascending by default.
/// - `surface`: the living area in m²; ascending by default.
/// - `newest`: when the plan was created; newest first by default.
///
/// Plans that tie are ordered by id, so pages never overlap.
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

/// Sort direction:
///
/// - `asc`: smallest (or oldest) first.
/// - `desc`: largest (or newest) first.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only
pub enum OrderDto {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A number of bedrooms.
#[derive(Debug, ToSchema)]
#[schema(minimum = 0, maximum = 20)]
#[allow(dead_code)] // documentation only
pub struct BedroomsDto(u8);

/// Filters, facets, sorting and pagination of the catalogue. The query
/// string is read as `name=value` pairs and parsed by the domain, so every
/// refused parameter is reported; `style` and `bedrooms` may repeat, any
/// other parameter given twice is refused.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only: see `RawProductQuery::from_pairs`
pub struct ListParams {
    /// Words that must all appear in the title or description (case and
    /// accents ignored, punctuation separates words: `plain pied` finds
    /// "plain-pied"), at most 200 characters.
    #[param(max_length = 200, example = "plain-pied")]
    q: Option<String>,
    /// Only plans of these styles (any of them): repeat the parameter,
    /// `style=modern&style=chalet`.
    #[param(inline, value_type = Option<Vec<StyleDto>>, style = Form, explode)]
    style: Option<Vec<String>>,
    /// Smallest living area, in m² (included).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100_000, example = 90)]
    min_surface: Option<String>,
    /// Largest living area, in m² (included).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100_000, example = 150)]
    max_surface: Option<String>,
    /// Only plans with these numbers of bedrooms (any of them), 0 to 20:
    /// repeat the parameter, `bedrooms=3&bedrooms=4`.
    #[param(inline, value_type = Option<Vec<BedroomsDto>>, style = Form, explode, example = json!([3, 4]))]
    bedrooms: Option<Vec<String>>,
    /// Lowest "from" price (the cheapest format), in cents, taxes included
    /// (included): 30000 is 300 EUR.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1_000_000_000, example = 30_000)]
    min_price: Option<String>,
    /// Highest "from" price (the cheapest format), in cents, taxes included
    /// (included): 90000 is 900 EUR.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1_000_000_000, example = 90_000)]
    max_price: Option<String>,
    /// Facets to count in `facets`: `true` (all), `false` (none, the
    /// default), or a comma-separated list of `style`, `bedrooms` and
    /// `price_band`.
    #[param(
        value_type = Option<String>,
        pattern = "^(true|false|(style|bedrooms|price_band)(,(style|bedrooms|price_band))*)?$",
        example = "style,price_band"
    )]
    facets: Option<String>,
    /// Sort key (default `newest`).
    #[param(inline, value_type = Option<SortDto>)]
    sort: Option<String>,
    /// Sort direction (default: `asc` for price and surface, `desc` for newest).
    #[param(inline, value_type = Option<OrderDto>)]
    order: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page, with the same filters, sort
    /// and order (`limit` and `facets` may change); empty means the first
    /// page. Another listing's cursor is a `cursor-mismatch` problem.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    cursor: Option<String>,
}

/// The query of a request: its pairs, then the domain's rules.
fn parse(req: &HttpRequest) -> Result<ProductQuery, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| crate::app::query_error())?
        .into_inner();
    let raw = RawProductQuery::from_pairs(pairs)
        .map_err(|e| ApiError::BadRequest(format!("The query string is refused: {e}.")))?;
    ProductQuery::parse(&raw).map_err(|e| match e {
        QueryError::Invalid(fields) => ApiError::Validation(fields),
        QueryError::CursorMismatch => ApiError::CursorMismatch,
    })
}

async fn search(
    req: &HttpRequest,
    state: &AppState,
    rendered: &RenderCache,
) -> Result<HttpResponse, ApiError> {
    let query = parse(req)?;
    let rendered = rendered.get(state.catalogue.index());
    let etag = cache::etag(req, &rendered.list_tag(&query));
    Ok(cache::answer(req, etag, || {
        rendered.answer(&query).to_string()
    }))
}

/// List published house plans.
///
/// Filters combine (all must match; a repeated `style` or `bedrooms` matches
/// any of its values). "Price" is the plan's cheapest format. Results are
/// paginated with `limit` and the opaque `cursor`; `total` counts every
/// matching plan, and `facets` asks for counts per style, bedrooms and price
/// band. Answers carry a strong `ETag`: send it back in `If-None-Match` to
/// get a 304 while the catalogue has not changed.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_products",
    params(
        ListParams,
        ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current"),
    ),
    responses(
        (status = 200, description = "A page of plans", body = ProductPage, headers(
            ("ETag" = String, description = "Strong entity tag of this answer: it changes when the catalogue changes, and differs per query and per content coding"),
            ("Cache-Control" = String, description = "`public, max-age=30`: any cache may reuse the answer for 30 seconds, then revalidate it with `If-None-Match`"),
            ("Vary" = String, description = "`Accept-Encoding`, then `Origin, Access-Control-Request-Method, Access-Control-Request-Headers` (CORS)"),
        )),
        NotModified,
        (status = 400, description = "A parameter is invalid (`validation-failed`: for example `min_surface` above `max_surface`, an unknown `sort`), a parameter other than `style` and `bedrooms` is repeated (`bad-request`), or the cursor comes from a listing with other filters, sort or order (`cursor-mismatch`: start from the first page)",
            body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products")]
pub async fn list_products_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    rendered: web::Data<RenderCache>,
) -> Result<HttpResponse, ApiError> {
    search(&req, &state, &rendered).await
}

/// The headers of a catalogue search, without its body.
///
/// The same answer as `GET /v1/products` (status and headers, `ETag`
/// included), without a body: to revalidate or measure a listing.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "head_products",
    params(
        ListParams,
        ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current"),
    ),
    responses(
        (status = 200, description = "The listing exists; no body", headers(
            ("ETag" = String, description = "The entity tag `GET` would send"),
            ("Cache-Control" = String, description = "`public, max-age=30`"),
            ("Vary" = String, description = "As for `GET`"),
        )),
        NotModified,
        (status = 400, description = "A parameter is invalid, repeated, or the cursor comes from another listing (no body: `GET` says which)"),
        (status = 500, description = "Unexpected error"),
    )
)]
#[head("/v1/products")]
pub async fn list_products_head(
    req: HttpRequest,
    state: web::Data<AppState>,
    rendered: web::Data<RenderCache>,
) -> Result<HttpResponse, ApiError> {
    search(&req, &state, &rendered).await
}

/// `GET` and `HEAD /v1/products`, registered together.
#[expect(non_upper_case_globals, reason = "registered by name, like a handler")]
pub const list_products: GetAndHead<list_products_get, list_products_head> =
    GetAndHead(list_products_get, list_products_head);

#[cfg(test)]
mod tests {
    use utoipa::IntoParams as _;

    use super::*;

    #[test]
    fn style_and_bedrooms_are_documented_as_exploded_arrays() {
        let params = serde_json::to_value(ListParams::into_params(|| None)).unwrap();
        for name in ["style", "bedrooms"] {
            let p = params
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap();
            assert_eq!(p["schema"]["type"], "array", "{p}");
            assert_eq!((&p["style"], &p["explode"]), (&"form".into(), &true.into()));
        }
    }
}
