//! Wire shapes of the catalogue, built from domain types.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::catalogue::{Format, Plan};
use domain::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An exact amount of money: an integer of minor units (cents) and an ISO
/// 4217 currency. Prices are taxes included.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"amount": 80000, "currency": "EUR"}))]
#[schema(as = Money)]
pub struct MoneyDto {
    /// Amount in minor units of `currency` (cents for EUR), never a
    /// fraction: 80000 is 800.00 EUR.
    #[schema(example = 80_000, minimum = 0)]
    pub amount: i64,
    /// ISO 4217 currency code, three capitals: `EUR`, the one currency the
    /// shop sells in.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

impl From<Money> for MoneyDto {
    fn from(m: Money) -> Self {
        Self {
            amount: m.amount_minor(),
            currency: m.currency().as_str().to_owned(),
        }
    }
}

/// How a plan is delivered:
///
/// - `pdf`: the plans as PDF files, downloaded; not shipped.
/// - `cad`: editable CAD files (DWG) for an architect or a builder,
///   downloaded; not shipped.
/// - `printed_set`: a printed set of the plans, shipped to a shipping
///   address.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FormatKind)]
pub enum FormatKindDto {
    /// A PDF download.
    Pdf,
    /// Editable CAD files (DWG), downloaded.
    Cad,
    /// A printed set of plans, shipped.
    PrintedSet,
}

impl From<domain::catalogue::FormatKind> for FormatKindDto {
    fn from(k: domain::catalogue::FormatKind) -> Self {
        use domain::catalogue::FormatKind as K;
        match k {
            K::Pdf => Self::Pdf,
            K::Cad => Self::Cad,
            K::PrintedSet => Self::PrintedSet,
        }
    }
}

/// Architectural style of a house:
///
/// - `contemporary`: flat or low roofs, large glazing, living spaces open
///   onto the garden.
/// - `traditional`: a regional house with a pitched roof (two slopes),
///   rendered walls and a convertible attic.
/// - `bungalow`: single storey: everything on the ground floor (plain-pied).
/// - `modern`: cubic volumes, clean lines, an open-plan kitchen.
/// - `farmhouse`: a "fermette": rural, large volumes, exposed roof timbers.
/// - `provencal`: a Provençal "mas": curved clay tiles, génoise eaves, a
///   covered terrace facing south.
/// - `chalet`: a mountain house of timber frame and cladding, with
///   balconies.
/// - `cottage`: a small, cosy house with dormer windows.
/// - `longere`: a "longère", the long, narrow farmhouse of Brittany and
///   Normandy, its rooms in a row.
/// - `wood_frame`: a timber-frame house ("ossature bois"), low-energy and
///   well insulated, of any look.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Style)]
pub enum StyleDto {
    /// Flat roofs, large glazing.
    Contemporary,
    /// Regional, pitched roofs.
    Traditional,
    /// Single storey.
    Bungalow,
    /// Clean lines, open plan.
    Modern,
    /// Rural, large volumes.
    Farmhouse,
    /// Southern French.
    Provencal,
    /// Mountain, timber.
    Chalet,
    /// Small and cosy.
    Cottage,
    /// Breton or Norman long house.
    Longere,
    /// Timber frame.
    WoodFrame,
}

impl From<domain::catalogue::Style> for StyleDto {
    fn from(s: domain::catalogue::Style) -> Self {
        use domain::catalogue::Style as S;
        match s {
            S::Contemporary => Self::Contemporary,
            S::Traditional => Self::Traditional,
            S::Bungalow => Self::Bungalow,
            S::Modern => Self::Modern,
            S::Farmhouse => Self::Farmhouse,
            S::Provencal => Self::Provencal,
            S::Chalet => Self::Chalet,
            S::Cottage => Self::Cottage,
            S::Longere => Self::Longere,
            S::WoodFrame => Self::WoodFrame,
        }
    }
}

impl From<StyleDto> for domain::catalogue::Style {
    fn from(s: StyleDto) -> Self {
        match s {
            StyleDto::Contemporary => Self::Contemporary,
            StyleDto::Traditional => Self::Traditional,
            StyleDto::Bungalow => Self::Bungalow,
            StyleDto::Modern => Self::Modern,
            StyleDto::Farmhouse => Self::Farmhouse,
            StyleDto::Provencal => Self::Provencal,
            StyleDto::Chalet => Self::Chalet,
            StyleDto::Cottage => Self::Cottage,
            StyleDto::Longere => Self::Longere,
            StyleDto::WoodFrame => Self::WoodFrame,
        }
    }
}

/// One purchasable format of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21faf-9618-77eb-b003-08a737d60ad2",
    "kind": "pdf",
    "sku": "BTQ-021-PDF",
    "price": {"amount": 80000, "currency": "EUR"},
    "requires_shipping": false
}))]
#[schema(as = Format)]
pub struct FormatDto {
    /// Format id (UUID v7): what a cart line will refer to.
    pub id: Uuid,
    /// How it is delivered (download or shipped print).
    pub kind: FormatKindDto,
    /// Stock-keeping unit, unique in the catalogue: 3 to 64 upper-case
    /// letters, digits and hyphens.
    #[schema(example = "BTQ-021-PDF")]
    pub sku: String,
    /// Price of this format, in cents, taxes included.
    pub price: MoneyDto,
    /// `true` for a shipped format (`printed_set`): an order with it needs
    /// a shipping address; `false` for downloads (`pdf`, `cad`).
    pub requires_shipping: bool,
}

impl From<&Format> for FormatDto {
    fn from(f: &Format) -> Self {
        Self {
            id: f.id.as_uuid(),
            kind: f.kind.into(),
            sku: f.sku.clone(),
            price: f.price.into(),
            requires_shipping: f.kind.requires_shipping(),
        }
    }
}

/// The facts of a house, common to list and detail: surfaces in whole
/// square metres, lot sizes in metres.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "living_area_m2": 129, "bedrooms": 3, "bathrooms": 2, "levels": 1,
    "garage_spaces": 2, "lot_width_m": 16.5, "lot_depth_m": 30.0
}))]
#[schema(as = Specs)]
pub struct SpecsDto {
    /// Living area ("surface habitable"), in whole m².
    #[schema(example = 129)]
    pub living_area_m2: u32,
    /// Number of bedrooms.
    #[schema(example = 3)]
    pub bedrooms: u8,
    /// Number of bathrooms.
    #[schema(example = 2)]
    pub bathrooms: u8,
    /// Number of storeys, ground floor included: 1 is single storey
    /// (plain-pied).
    #[schema(example = 1)]
    pub levels: u8,
    /// Number of car spaces in the garage; 0 is no garage.
    #[schema(example = 2)]
    pub garage_spaces: u8,
    /// Narrowest lot frontage the house fits on, in metres (to the
    /// centimetre).
    #[schema(example = 16.5)]
    pub lot_width_m: f64,
    /// Shallowest lot depth the house fits on, in metres (to the
    /// centimetre).
    #[schema(example = 30.0)]
    pub lot_depth_m: f64,
}

fn metres(cm: u32) -> f64 {
    f64::from(cm) / 100.0
}

/// The approved reviews of a plan: their average rating and how many
/// there are. `null` on a plan without any approved review.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"average": 4.5, "count": 12}))]
#[schema(as = Rating)]
pub struct RatingDto {
    /// Mean of the approved reviews' ratings (each 1 to 5), rounded to
    /// one decimal.
    #[schema(example = 4.5, minimum = 1, maximum = 5)]
    pub average: f64,
    /// How many approved reviews the plan has (at least 1).
    #[schema(example = 12, minimum = 1)]
    pub count: u32,
}

impl From<domain::catalogue::Rating> for RatingDto {
    fn from(r: domain::catalogue::Rating) -> Self {
        Self {
            average: r.average(),
            count: r.count,
        }
    }
}

/// A plan as listed in the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
    "slug": "maison-contemporaine-129m2-3ch-21",
    "title": "Maison contemporaine 129 m² – 3 chambres",
    "style": "contemporary",
    "living_area_m2": 129, "bedrooms": 3, "bathrooms": 2, "levels": 1,
    "garage_spaces": 2, "lot_width_m": 16.5, "lot_depth_m": 30.0,
    "from_price": {"amount": 80000, "currency": "EUR"},
    "cover_image_url": "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg",
    "format_kinds": ["pdf", "printed_set", "cad"],
    "rating": {"average": 4.5, "count": 12}
}))]
pub struct ProductSummary {
    /// Plan id (UUID v7).
    pub id: Uuid,
    /// URL name (lower-case words and digits joined by hyphens), unique;
    /// `GET /v1/products/{id_or_slug}` takes it instead of the id.
    #[schema(example = "maison-contemporaine-129m2-3ch-21")]
    pub slug: String,
    /// Title shown to customers, 3 to 200 characters.
    #[schema(example = "Maison contemporaine 129 m² – 3 chambres")]
    pub title: String,
    /// Architectural style (see `Style` for each value).
    pub style: StyleDto,
    /// Facts of the house.
    #[serde(flatten)]
    pub specs: SpecsDto,
    /// The "from" price: the cheapest format's price, in cents, taxes
    /// included.
    pub from_price: MoneyDto,
    /// Absolute `https` URL of the cover image (the plan's first image);
    /// `null` when the plan has no image.
    #[schema(
        example = "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg"
    )]
    pub cover_image_url: Option<String>,
    /// The kinds of format it is sold in, cheapest first (each at most once).
    pub format_kinds: Vec<FormatKindDto>,
    /// Average and count of its approved reviews
    /// (`GET /v1/products/{product_id}/reviews` lists them); `null`
    /// before the first is approved.
    pub rating: Option<RatingDto>,
}

/// A plan with everything needed for its page.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
    "slug": "maison-contemporaine-129m2-3ch-21",
    "title": "Maison contemporaine 129 m² – 3 chambres",
    "description": "Maison contemporaine 129 m², 3 chambres, 2 salles de bains, de plain-pied, avec garage double (2 places). Toit plat, grandes baies vitrées et pièce de vie traversante ouverte sur le jardin.",
    "style": "contemporary",
    "living_area_m2": 129, "bedrooms": 3, "bathrooms": 2, "levels": 1,
    "garage_spaces": 2, "lot_width_m": 16.5, "lot_depth_m": 30.0,
    "from_price": {"amount": 80000, "currency": "EUR"},
    "image_urls": [
        "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg",
        "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/2.jpg"
    ],
    "formats": [
        {"id": "01a21faf-9618-77eb-b003-08a737d60ad2", "kind": "pdf", "sku": "BTQ-021-PDF", "price": {"amount": 80000, "currency": "EUR"}, "requires_shipping": false},
        {"id": "01a21faf-9618-77eb-b003-08a8e82c85e2", "kind": "printed_set", "sku": "BTQ-021-PRT", "price": {"amount": 95000, "currency": "EUR"}, "requires_shipping": true},
        {"id": "01a21faf-9618-77eb-b003-08a97f30bade", "kind": "cad", "sku": "BTQ-021-CAD", "price": {"amount": 112000, "currency": "EUR"}, "requires_shipping": false}
    ],
    "created_at": "2026-11-20T09:30:00Z",
    "updated_at": "2026-11-24T16:05:12Z",
    "rating": {"average": 4.5, "count": 12}
}))]
pub struct Product {
    /// Plan id (UUID v7).
    pub id: Uuid,
    /// URL name (lower-case words and digits joined by hyphens), unique;
    /// usable instead of the id in `GET /v1/products/{id_or_slug}`.
    #[schema(example = "maison-contemporaine-129m2-3ch-21")]
    pub slug: String,
    /// Title shown to customers, 3 to 200 characters.
    #[schema(example = "Maison contemporaine 129 m² – 3 chambres")]
    pub title: String,
    /// Plain-text description (no markup), at most 10000 characters.
    #[schema(
        example = "Maison contemporaine 129 m², 3 chambres, 2 salles de bains, de plain-pied, avec garage double (2 places)."
    )]
    pub description: String,
    /// Architectural style (see `Style` for each value).
    pub style: StyleDto,
    /// Facts of the house.
    #[serde(flatten)]
    pub specs: SpecsDto,
    /// The "from" price: the cheapest format's price, in cents, taxes
    /// included.
    pub from_price: MoneyDto,
    /// Absolute `https` URLs of the plan's images, at most 20; the first is
    /// the cover.
    pub image_urls: Vec<String>,
    /// Purchasable formats, cheapest first: one to three, each kind at most
    /// once.
    pub formats: Vec<FormatDto>,
    /// When the plan was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When the plan last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Average and count of its approved reviews
    /// (`GET /v1/products/{product_id}/reviews` lists them); `null`
    /// before the first is approved.
    pub rating: Option<RatingDto>,
}

fn specs(plan: &Plan) -> SpecsDto {
    let s = &plan.specs;
    SpecsDto {
        living_area_m2: s.living_area_m2,
        bedrooms: s.bedrooms,
        bathrooms: s.bathrooms,
        levels: s.levels,
        garage_spaces: s.garage_spaces,
        lot_width_m: metres(s.lot_width_cm),
        lot_depth_m: metres(s.lot_depth_cm),
    }
}

fn from_price(plan: &Plan) -> MoneyDto {
    plan.from_price().map_or(
        MoneyDto {
            amount: 0,
            currency: "EUR".into(),
        },
        MoneyDto::from,
    )
}

impl From<&Plan> for ProductSummary {
    fn from(plan: &Plan) -> Self {
        Self {
            id: plan.id.as_uuid(),
            slug: plan.slug.as_str().to_owned(),
            title: plan.title.clone(),
            style: plan.style.into(),
            specs: specs(plan),
            from_price: from_price(plan),
            cover_image_url: plan.images.first().map(|u| u.as_str().to_owned()),
            format_kinds: plan.formats.iter().map(|f| f.kind.into()).collect(),
            rating: plan.rating.map(RatingDto::from),
        }
    }
}

impl From<&Plan> for Product {
    fn from(plan: &Plan) -> Self {
        Self {
            id: plan.id.as_uuid(),
            slug: plan.slug.as_str().to_owned(),
            title: plan.title.clone(),
            description: plan.description.clone(),
            style: plan.style.into(),
            specs: specs(plan),
            from_price: from_price(plan),
            image_urls: plan.images.iter().map(|u| u.as_str().to_owned()).collect(),
            formats: plan.formats.iter().map(FormatDto::from).collect(),
            created_at: plan.created_at,
            updated_at: plan.updated_at,
            rating: plan.rating.map(RatingDto::from),
        }
    }
}

/// A page of published plans matching a search.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "01a21faf-9618-77eb-b003-08aa8b7892a7",
        "slug": "maison-contemporaine-129m2-3ch-21",
        "title": "Maison contemporaine 129 m² – 3 chambres",
        "style": "contemporary",
        "living_area_m2": 129, "bedrooms": 3, "bathrooms": 2, "levels": 1,
        "garage_spaces": 2, "lot_width_m": 16.5, "lot_depth_m": 30.0,
        "from_price": {"amount": 80000, "currency": "EUR"},
        "cover_image_url": "https://images.boutique.example/plans/maison-contemporaine-129m2-3ch-21/1.jpg",
        "format_kinds": ["pdf", "printed_set", "cad"],
        "rating": null
    }],
    "next_cursor": "cDJ8NE5XcE1qdE9iMFB6TWtGNnwxNzk1ODI3OTMwNjQ4MzI2fDAxYTIxZmFmLTk2MTgtNzdlYi1iMDAzLTA4YWE4Yjc4OTJhNw",
    "total": 4,
    "facets": {"price_band": {"75000-100000": 4}}
}))]
pub struct ProductPage {
    /// The plans of this page, in the order asked for (`sort`, `order`), at
    /// most `limit` of them.
    pub items: Vec<ProductSummary>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(
        example = "cDJ8UWJ5dUdGWG1QRDBoTnE5WXwzOTAwMHwwMTkzYTViMi03YzFlLTdkMmEtOWYwMC0zYjVjMWQyZTRmNjA"
    )]
    pub next_cursor: Option<String>,
    /// How many published plans match the filters, all pages together: the
    /// same on every page of one listing (`limit` and `cursor` do not change it).
    #[schema(example = 37, minimum = 0)]
    pub total: u64,
    /// Plans per facet value, for the facets asked for with `facets`; absent
    /// when none was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub facets: Option<Facets>,
}

/// How many plans each value of a facet would give. Each facet counts the
/// plans matching every filter except its own (`style` ignores the `style`
/// filter, `bedrooms` the `bedrooms` filter, `price_band` `min_price` and
/// `max_price`), so a storefront can show the count beside every choice.
/// Values without any plan are left out; only the facets asked for appear.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "style": {"modern": 3, "chalet": 1},
    "bedrooms": {"2": 1, "3": 5},
    "price_band": {"50000-75000": 4, "75000-100000": 2}
}))]
pub struct Facets {
    /// Plans per style: keys are `Style` values (`modern`, `chalet`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = json!({"modern": 3, "chalet": 1}))]
    pub style: Option<BTreeMap<StyleDto, u32>>,
    /// Plans per number of bedrooms: keys are numbers, `"0"` to `"20"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = json!({"2": 1, "3": 5}))]
    pub bedrooms: Option<BTreeMap<String, u32>>,
    /// Plans per band of "from" price (the cheapest format), named by its
    /// bounds in cents: `0-50000` (under 500 EUR), `50000-75000`,
    /// `75000-100000`, `100000-150000`, `150000-` (1500 EUR and more).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = json!({"50000-75000": 4, "75000-100000": 2}))]
    pub price_band: Option<BTreeMap<PriceBand, u32>>,
}

/// A band of "from" price (the cheapest format), named by its bounds in
/// cents: the lower one included, the upper one excluded (none for the last
/// band). A band is the filter `min_price=<lower>&max_price=<upper - 1>`.
///
/// - `0-50000`: under 500 EUR.
/// - `50000-75000`: 500 EUR to less than 750 EUR.
/// - `75000-100000`: 750 EUR to less than 1000 EUR.
/// - `100000-150000`: 1000 EUR to less than 1500 EUR.
/// - `150000-`: 1500 EUR and more.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[allow(dead_code)] // documentation only: the bands are `domain::catalogue::PRICE_BANDS`
pub enum PriceBand {
    /// Under 500 EUR.
    #[serde(rename = "0-50000")]
    Under500,
    /// From 500 EUR to less than 750 EUR.
    #[serde(rename = "50000-75000")]
    From500,
    /// From 750 EUR to less than 1000 EUR.
    #[serde(rename = "75000-100000")]
    From750,
    /// From 1000 EUR to less than 1500 EUR.
    #[serde(rename = "100000-150000")]
    From1000,
    /// 1500 EUR and more.
    #[serde(rename = "150000-")]
    From1500,
}
