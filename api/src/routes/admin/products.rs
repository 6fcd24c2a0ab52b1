//! Catalogue management.

use actix_web::{HttpResponse, delete, get, post, put, web};
use domain::FieldErrors;
use domain::catalogue::{
    Editor, FormatKind, ImageUrl, NewFormat, NewPlan, Plan, PlanSpecs, Slug, Style,
};
use domain::idempotency::Caller;
use domain::ids::ProductId;
use domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::keys::{CatalogueRead, CatalogueWrite, StaffOrKey};
use crate::body::{Body, Params};
use crate::idempotency::{Answer, IdempotencyKeyHeader, IdempotentBody};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::{PageParams, cursor_after, validate, whole_number};
use crate::routes::products::dto::{FormatKindDto, Product, StyleDto};
use crate::state::SharedState;
use domain::integration::Operator;

/// The one currency the shop sells in (ISO 4217):
///
/// - `EUR`: the euro; amounts are in cents.
#[derive(Debug, ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)] // documentation only: the code is parsed by the domain
pub enum SellingCurrency {
    /// Euro.
    EUR,
}

/// An absolute `https` URL of an image, at most 2048 characters: a host
/// name (ASCII letters, digits, dots and hyphens; no user, no IP literal),
/// an optional port, then an optional path of printable ASCII without
/// spaces (percent-encode other characters).
#[derive(Debug, ToSchema)]
#[schema(
    max_length = 2048,
    pattern = r"^https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/[!-~]*)?$",
    example = "https://images.boutique.example/plans/maison-120/1.jpg"
)]
#[allow(dead_code)] // documentation only: URLs are checked by `plain_https_url`, then the domain
pub struct ImageUrlText(String);

/// Whether `u` has the shape [`ImageUrlText`] documents. The domain's own
/// check ([`ImageUrl::parse`]) takes more than URLs (`https://[`), which no
/// client could load.
fn plain_https_url(u: &str) -> bool {
    let Some(rest) = u.strip_prefix("https://") else {
        return false;
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (host, port) = authority
        .split_once(':')
        .map_or((authority, None), |(h, p)| (h, Some(p)));
    let alphanumeric = |c: char| c.is_ascii_alphanumeric();
    let host_ok = host.starts_with(alphanumeric)
        && host.ends_with(alphanumeric)
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let path_ok = path.bytes().all(|b| (b'!'..=b'~').contains(&b));
    host_ok && port_ok && path_ok
}

/// A format of a plan and its price.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "pdf", "sku": "BTQ-021-PDF", "price_amount": 80000, "currency": "EUR"}))]
pub struct FormatInput {
    /// How it is delivered (download or shipped print); each kind at most
    /// once per plan.
    pub kind: FormatKindDto,
    /// Stock-keeping unit, unique: 3 to 64 upper-case letters, digits, hyphens.
    #[validate(length(max = 64))]
    #[schema(
        example = "BTQ-021-PDF",
        min_length = 3,
        max_length = 64,
        pattern = r"^[A-Z0-9-]+$"
    )]
    pub sku: String,
    /// Price in cents (minor units of `currency`), taxes included: 80000 is
    /// 800.00 EUR; 0 to 100000000.
    #[schema(example = 80_000, minimum = 0, maximum = 100_000_000)]
    #[serde(deserialize_with = "whole_number")]
    pub price_amount: u32,
    /// Currency of `price_amount`, ISO 4217: `EUR`, the one currency the shop
    /// sells in.
    #[validate(length(max = 3))]
    #[schema(value_type = SellingCurrency)]
    pub currency: String,
}

/// A plan's full content (the body of `POST /v1/admin/products` and
/// `PUT /v1/admin/products/{product_id}`, which replaces everything).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "slug": "maison-contemporaine-120",
    "title": "Maison contemporaine 120 m² – 3 chambres",
    "description": "Maison contemporaine de plain-pied, 3 chambres, pièce de vie traversante ouverte sur le jardin.",
    "style": "contemporary",
    "living_area_m2": 120, "bedrooms": 3, "bathrooms": 1, "levels": 1, "garage_spaces": 1,
    "lot_width_m": 14.5, "lot_depth_m": 22.0,
    "image_urls": ["https://images.boutique.example/plans/maison-contemporaine-120/1.jpg"],
    "formats": [
        {"kind": "pdf", "sku": "MAI-120-PDF", "price_amount": 49000, "currency": "EUR"},
        {"kind": "printed_set", "sku": "MAI-120-PRT", "price_amount": 64000, "currency": "EUR"}
    ],
    "published": false
}))]
pub struct ProductInput {
    /// URL name, unique: lower-case ASCII letters and digits in
    /// hyphen-separated words, at most 100 characters.
    #[validate(length(max = 100))]
    #[schema(
        example = "maison-contemporaine-120",
        min_length = 1,
        max_length = 100,
        pattern = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    )]
    pub slug: String,
    /// Title, 3 to 200 characters once surrounding white space is dropped.
    #[validate(length(max = 200))]
    #[schema(
        min_length = 3,
        max_length = 200,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\s\S]+[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub title: String,
    /// Plain-text description (no markup), at most 10000 characters.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub description: String,
    /// Architectural style (see `Style` for each value).
    pub style: StyleDto,
    /// Living area ("surface habitable"), in whole m² (10 to 2000).
    #[schema(minimum = 10, maximum = 2000)]
    #[serde(deserialize_with = "whole_number")]
    pub living_area_m2: u32,
    /// Number of bedrooms (0 to 20).
    #[schema(maximum = 20)]
    #[serde(deserialize_with = "whole_number")]
    pub bedrooms: u8,
    /// Number of bathrooms (0 to 20).
    #[schema(maximum = 20)]
    #[serde(deserialize_with = "whole_number")]
    pub bathrooms: u8,
    /// Number of storeys, ground floor included (1 to 5): 1 is single storey.
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub levels: u8,
    /// Number of car spaces in the garage (0 to 10): 0 is no garage.
    #[schema(maximum = 10)]
    #[serde(deserialize_with = "whole_number")]
    pub garage_spaces: u8,
    /// Narrowest lot frontage the house fits on, in metres (1 to 1000),
    /// kept to the centimetre.
    #[schema(minimum = 1, maximum = 1000)]
    pub lot_width_m: f64,
    /// Shallowest lot depth the house fits on, in metres (1 to 1000), kept
    /// to the centimetre.
    #[schema(minimum = 1, maximum = 1000)]
    pub lot_depth_m: f64,
    /// Absolute `https` image URLs, at most 20; the first is the cover.
    /// No images when absent.
    #[serde(default)]
    #[schema(inline, value_type = Vec<ImageUrlText>, max_items = 20)]
    pub image_urls: Vec<String>,
    /// What is sold: one to three formats, each kind at most once.
    #[validate(nested)]
    #[schema(min_items = 1, max_items = 3)]
    pub formats: Vec<FormatInput>,
    /// Whether it is visible in the public catalogue at once; `false` when
    /// absent (publish later with `POST .../publish`).
    #[serde(default)]
    pub published: bool,
}

fn centimetres(m: f64) -> u32 {
    // Range-checked by the domain; out-of-range values become 0 and are refused there.
    let cm = (m * 100.0).round();
    if cm.is_finite() && (0.0..=f64::from(u32::MAX)).contains(&cm) {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "range checked above"
        )]
        let v = cm as u32;
        v
    } else {
        0
    }
}

impl TryFrom<ProductInput> for NewPlan {
    type Error = ApiError;

    fn try_from(input: ProductInput) -> Result<Self, ApiError> {
        input.into_new_plan()
    }
}

impl ProductInput {
    pub(crate) fn into_new_plan(self) -> Result<NewPlan, ApiError> {
        validate(&self)?;
        let mut f = FieldErrors::default();
        let slug = f.take("slug", Slug::parse(&self.slug));
        let images: Vec<ImageUrl> = self
            .image_urls
            .iter()
            .enumerate()
            .filter_map(|(i, u)| {
                let field = format!("image_urls[{i}]");
                if plain_https_url(u) {
                    f.take(&field, ImageUrl::parse(u))
                } else {
                    f.push(
                        &field,
                        "must be an https URL with a host name and a path of printable ASCII \
                         (percent-encode other characters)",
                    );
                    None
                }
            })
            .collect();
        let formats: Vec<NewFormat> = self
            .formats
            .iter()
            .enumerate()
            .filter_map(|(i, fi)| {
                let currency = f.take(
                    &format!("formats[{i}].currency"),
                    Currency::parse(&fi.currency),
                )?;
                if currency != Currency::EUR {
                    f.push(&format!("formats[{i}].currency"), "the shop sells in EUR");
                }
                if fi.price_amount > 100_000_000 {
                    f.push(
                        &format!("formats[{i}].price_amount"),
                        "must be at most 100000000 cents",
                    );
                }
                let kind = match fi.kind {
                    FormatKindDto::Pdf => FormatKind::Pdf,
                    FormatKindDto::Cad => FormatKind::Cad,
                    FormatKindDto::PrintedSet => FormatKind::PrintedSet,
                };
                Some(NewFormat {
                    kind,
                    sku: fi.sku.clone(),
                    price: Money::from_minor(fi.price_amount, currency),
                })
            })
            .collect();
        let style = Style::from(self.style);
        let slug = f.finish(|| slug)?;
        Ok(NewPlan {
            slug,
            title: self.title,
            description: self.description,
            style,
            specs: PlanSpecs {
                living_area_m2: self.living_area_m2,
                bedrooms: self.bedrooms,
                bathrooms: self.bathrooms,
                levels: self.levels,
                garage_spaces: self.garage_spaces,
                lot_width_cm: centimetres(self.lot_width_m),
                lot_depth_cm: centimetres(self.lot_depth_m),
            },
            images,
            formats,
            published: self.published,
        })
    }
}

/// A plan as staff see it: published or not.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
    "slug": "maison-contemporaine-129m2-3ch-21",
    "title": "Maison contemporaine 129 m² – 3 chambres",
    "description": "Maison contemporaine 129 m², 3 chambres, 2 salles de bains, de plain-pied, avec garage double (2 places).",
    "style": "contemporary",
    "living_area_m2": 129, "bedrooms": 3, "bathrooms": 2, "levels": 1,
    "garage_spaces": 2, "lot_width_m": 16.5, "lot_depth_m": 30.0,
    "from_price": {"amount": 80000, "currency": "EUR"},
    "image_urls": ["https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg"],
    "formats": [
        {"id": "01a21faf-9618-77eb-b003-08a737d60ad2", "kind": "pdf", "sku": "BTQ-021-PDF", "price": {"amount": 80000, "currency": "EUR"}, "requires_shipping": false},
        {"id": "01a21faf-9618-77eb-b003-08a8e82c85e2", "kind": "printed_set", "sku": "BTQ-021-PRT", "price": {"amount": 95000, "currency": "EUR"}, "requires_shipping": true}
    ],
    "created_at": "2026-11-20T09:30:00Z",
    "updated_at": "2026-11-24T16:05:12Z",
    "published": true
}))]
pub struct AdminProduct {
    /// The plan, as the public catalogue shows it.
    #[serde(flatten)]
    pub product: Product,
    /// Whether it is visible in the public catalogue.
    pub published: bool,
}

impl From<&Plan> for AdminProduct {
    fn from(p: &Plan) -> Self {
        Self {
            product: Product::from(p),
            published: p.published,
        }
    }
}

/// A page of every plan, published or not.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
        "slug": "maison-contemporaine-129m2-3ch-21",
        "title": "Maison contemporaine 129 m² – 3 chambres",
        "description": "Maison contemporaine 129 m², 3 chambres, 2 salles de bains, de plain-pied, avec garage double (2 places).",
        "style": "contemporary",
        "living_area_m2": 129, "bedrooms": 3, "bathrooms": 2, "levels": 1,
        "garage_spaces": 2, "lot_width_m": 16.5, "lot_depth_m": 30.0,
        "from_price": {"amount": 80000, "currency": "EUR"},
        "image_urls": [],
        "formats": [
            {"id": "01a21faf-9618-77eb-b003-08a737d60ad2", "kind": "pdf", "sku": "BTQ-021-PDF", "price": {"amount": 80000, "currency": "EUR"}, "requires_shipping": false}
        ],
        "created_at": "2026-11-20T09:30:00Z",
        "updated_at": "2026-11-20T09:30:00Z",
        "published": false
    }],
    "next_cursor": "cDJ8YWRtaW4tcHJvZHVjdHN8MDFhMjFmYWYtOTYxOC03N2ViLWIwMDMtMDhhYThiNzg5MmE3"
}))]
pub struct AdminProductPage {
    /// The plans of this page, newest first (by creation), at most `limit`
    /// of them.
    pub items: Vec<AdminProduct>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn editor(o: &Operator) -> Editor {
    let (actor, source) = domain::integration::Acting::by(o);
    Editor { actor, source }
}

fn product_id(raw: &str) -> Result<ProductId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No plan has this id.".into()))
}

/// Every plan, published or not, newest first.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_products",
    security(("bearer" = []), ("api_key" = ["catalogue:read"])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of plans", body = AdminProductPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/products")]
pub async fn admin_list_products(
    state: SharedState,
    _staff: StaffOrKey<CatalogueRead>,
    page: Params<PageParams>,
) -> Result<web::Json<AdminProductPage>, ApiError> {
    let page = page.read()?;
    use domain::catalogue::CatalogueStore as _;
    let (limit, after) = page.parse("admin-products")?;
    let mut plans = state
        .catalogue
        .store()
        .list_all(after.map(ProductId::from_uuid), limit.get() + 1)
        .await?;
    let next_cursor = if plans.len() > limit.get() {
        plans.truncate(limit.get());
        plans
            .last()
            .map(|p| cursor_after("admin-products", p.id.as_uuid()))
    } else {
        None
    };
    Ok(web::Json(AdminProductPage {
        items: plans.iter().map(AdminProduct::from).collect(),
        next_cursor,
    }))
}

/// Create a plan.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_product",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(IdempotencyKeyHeader),
    request_body = ProductInput,
    responses(
        (status = 201, description = "Created", body = AdminProduct, headers(
            ("Location" = String, description = "The new plan"),
            ("Idempotent-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the same `Idempotency-Key`"),
        )),
        (status = 409, description = "Slug or SKU already used (`/problems/slug-taken`, `/problems/sku-taken`), or a request with this `Idempotency-Key` is still being processed (`/problems/idempotency-key-in-use`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This `Idempotency-Key` was sent with another request body within 24 hours (`/problems/idempotency-key-reused`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/products")]
pub async fn admin_create_product(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    body: IdempotentBody<ProductInput>,
) -> Result<HttpResponse, ApiError> {
    let (input, idempotency) = body.read().await?;
    let new = NewPlan::try_from(input)?;
    let by = editor(&staff.0);
    // A key's answers name no one: they are kept per key, in clear.
    let caller = match &staff.0 {
        Operator::Staff(p) => Caller::Account(p.customer_id),
        Operator::Key(k) => Caller::Source(format!("key:{}", k.id)),
    };
    idempotency
        .run(&state, caller, move |state| async move {
            let plan = state.catalogue.create(new, &by).await?;
            Answer::created(
                format!("/v1/admin/products/{}", plan.id),
                &AdminProduct::from(&plan),
            )
        })
        .await
}

/// One plan, published or not.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_product",
    security(("bearer" = []), ("api_key" = ["catalogue:read"])),
    params(("product_id" = uuid::Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = AdminProduct),
        (status = 404, description = "No plan has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/products/{product_id}")]
pub async fn admin_get_product(
    state: SharedState,
    _staff: StaffOrKey<CatalogueRead>,
    path: web::Path<String>,
) -> Result<web::Json<AdminProduct>, ApiError> {
    use domain::catalogue::CatalogueStore as _;
    let id = product_id(&path)?;
    let plan = state
        .catalogue
        .store()
        .find(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No plan has this id.".into()))?;
    Ok(web::Json(AdminProduct::from(&plan)))
}

/// Replace a plan's content and formats.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_replace_product",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(("product_id" = uuid::Uuid, Path, description = "Plan id")),
    request_body = ProductInput,
    responses(
        (status = 200, description = "The plan", body = AdminProduct),
        (status = 404, description = "No plan has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug or SKU already used (`/problems/slug-taken`, `/problems/sku-taken`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/admin/products/{product_id}")]
pub async fn admin_replace_product(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    path: web::Path<String>,
    body: Body<ProductInput>,
) -> Result<web::Json<AdminProduct>, ApiError> {
    let id = product_id(&path)?;
    let new = NewPlan::try_from(body.read().await?)?;
    let plan = state
        .catalogue
        .replace(id, new, &editor(&staff.0))
        .await?
        .ok_or_else(|| ApiError::NotFound("No plan has this id.".into()))?;
    Ok(web::Json(AdminProduct::from(&plan)))
}

async fn publish(
    state: &SharedState,
    staff: &StaffOrKey<CatalogueWrite>,
    raw: &str,
    published: bool,
) -> Result<web::Json<AdminProduct>, ApiError> {
    let id = product_id(raw)?;
    let plan = state
        .catalogue
        .set_published(id, published, &editor(&staff.0))
        .await?
        .ok_or_else(|| ApiError::NotFound("No plan has this id.".into()))?;
    Ok(web::Json(AdminProduct::from(&plan)))
}

/// Publish a plan in the public catalogue.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_publish_product",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(("product_id" = uuid::Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = AdminProduct),
        (status = 404, description = "No plan has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/products/{product_id}/publish")]
pub async fn admin_publish_product(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    path: web::Path<String>,
) -> Result<web::Json<AdminProduct>, ApiError> {
    publish(&state, &staff, &path, true).await
}

/// Withdraw a plan from the public catalogue.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_unpublish_product",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(("product_id" = uuid::Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = AdminProduct),
        (status = 404, description = "No plan has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/products/{product_id}/unpublish")]
pub async fn admin_unpublish_product(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    path: web::Path<String>,
) -> Result<web::Json<AdminProduct>, ApiError> {
    publish(&state, &staff, &path, false).await
}

/// Delete a plan and its formats.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_product",
    security(("bearer" = []), ("api_key" = ["catalogue:write"])),
    params(("product_id" = uuid::Uuid, Path, description = "Plan id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No plan has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/products/{product_id}")]
pub async fn admin_delete_product(
    state: SharedState,
    staff: StaffOrKey<CatalogueWrite>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    if !state.catalogue.delete(id, &editor(&staff.0)).await? {
        return Err(ApiError::NotFound("No plan has this id.".into()));
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::plain_https_url;

    #[test]
    fn image_urls_are_plain_https_urls_with_a_host_name() {
        for good in [
            "https://images.example/p.jpg",
            "https://a",
            "https://img-1.cdn.example:8443/plans/a%20b.jpg?w=800#top",
            "https://xn--bcher-kva.example/",
        ] {
            assert!(plain_https_url(good), "{good}");
        }
        for bad in [
            "http://images.example/p.jpg",
            "https://",
            "https:///p.jpg",
            "https://[",
            "https://[::1]/p.jpg",
            "https://user@images.example/p.jpg",
            "https://images.example:/p.jpg",
            "https://images.example:123456/p.jpg",
            "https://-images.example/p.jpg",
            "https://images.example?w=800",
            "https://images.example/a b.jpg",
            "https://images.example/\u{e9}.jpg",
            "https://b\u{fc}cher.example/p.jpg",
        ] {
            assert!(!plain_https_url(bad), "{bad}");
        }
    }
}
