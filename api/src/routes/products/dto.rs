//! Wire shapes of the catalogue, built from domain types.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::catalogue::{Format, Plan};
use domain::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An exact amount of money: integer minor units (cents) and an ISO 4217 currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"amount": 129000, "currency": "EUR"}))]
pub struct MoneyDto {
    /// Amount in minor units: 129000 is 1290.00 EUR.
    #[schema(example = 129_000, minimum = 0)]
    pub amount: i64,
    /// ISO 4217 currency code.
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

/// How a plan is delivered.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
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

/// Architectural style.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
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
pub struct FormatDto {
    /// Format id (UUID v7), what a cart line refers to.
    pub id: Uuid,
    /// What is delivered.
    pub kind: FormatKindDto,
    /// Stock-keeping unit.
    #[schema(example = "MAI-120-PDF")]
    pub sku: String,
    /// Price, taxes included.
    pub price: MoneyDto,
    /// Whether it is shipped (and so needs a shipping address).
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

/// The facts of a house, common to list and detail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpecsDto {
    /// Living surface, m².
    #[schema(example = 120)]
    pub living_area_m2: u32,
    /// Bedrooms.
    #[schema(example = 3)]
    pub bedrooms: u8,
    /// Bathrooms.
    #[schema(example = 1)]
    pub bathrooms: u8,
    /// Levels; 1 is single storey.
    #[schema(example = 1)]
    pub levels: u8,
    /// Garage spaces; 0 is no garage.
    #[schema(example = 1)]
    pub garage_spaces: u8,
    /// Smallest lot width the house fits on, metres.
    #[schema(example = 14.5)]
    pub lot_width_m: f64,
    /// Smallest lot depth the house fits on, metres.
    #[schema(example = 22.0)]
    pub lot_depth_m: f64,
}

fn metres(cm: u32) -> f64 {
    f64::from(cm) / 100.0
}

/// A plan as listed in the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductSummary {
    /// Plan id (UUID v7).
    pub id: Uuid,
    /// URL name, usable instead of the id.
    #[schema(example = "maison-contemporaine-120")]
    pub slug: String,
    /// Title.
    #[schema(example = "Maison contemporaine 120 m²")]
    pub title: String,
    /// Style.
    pub style: StyleDto,
    /// Facts of the house.
    #[serde(flatten)]
    pub specs: SpecsDto,
    /// The cheapest format's price.
    pub from_price: MoneyDto,
    /// The cover image, if any.
    #[schema(example = "https://images.boutique.example/plans/maison-120/cover.jpg")]
    pub cover_image_url: Option<String>,
    /// The formats it is sold in.
    pub format_kinds: Vec<FormatKindDto>,
}

/// A plan with everything needed for its page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    /// Plan id (UUID v7).
    pub id: Uuid,
    /// URL name.
    #[schema(example = "maison-contemporaine-120")]
    pub slug: String,
    /// Title.
    #[schema(example = "Maison contemporaine 120 m²")]
    pub title: String,
    /// Plain-text description.
    #[schema(example = "Maison de plain-pied, trois chambres, grande pièce de vie traversante.")]
    pub description: String,
    /// Style.
    pub style: StyleDto,
    /// Facts of the house.
    #[serde(flatten)]
    pub specs: SpecsDto,
    /// The cheapest format's price.
    pub from_price: MoneyDto,
    /// Images, the first is the cover.
    pub image_urls: Vec<String>,
    /// Purchasable formats, cheapest first.
    pub formats: Vec<FormatDto>,
    /// Creation time, RFC 3339 UTC.
    pub created_at: DateTime<Utc>,
    /// Last change, RFC 3339 UTC.
    pub updated_at: DateTime<Utc>,
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
        }
    }
}

/// A page of plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    /// The plans of this page.
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
    /// Plans per style: keys are `style` values (`modern`, `chalet`...).
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
