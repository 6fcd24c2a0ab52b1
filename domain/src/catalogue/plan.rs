//! A house plan and its purchasable formats.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::error::FieldErrors;
use crate::ids::{FormatId, ProductId};
use crate::money::Money;

/// Why a plan or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// Slug malformed.
    #[error(
        "slug must be 1 to 100 lower-case letters, digits and single hyphens, not starting or ending with a hyphen"
    )]
    InvalidSlug,
    /// Unknown style name.
    #[error("style must be one of: {}", Style::names())]
    UnknownStyle,
    /// Unknown format kind.
    #[error("format must be one of: {}", FormatKind::names())]
    UnknownFormatKind,
    /// Image URL malformed.
    #[error("image URLs must be absolute https URLs of at most 2048 characters")]
    InvalidImageUrl,
    /// A plan is sold in at least one format, each kind at most once.
    #[error("a plan needs at least one format and at most one of each kind")]
    Formats,
    /// Fields refused, by name.
    #[error(transparent)]
    Fields(#[from] FieldErrors),
    /// Another plan has this slug.
    #[error("another plan already uses this slug")]
    SlugTaken,
    /// Another format has this SKU.
    #[error("another format already uses this SKU")]
    SkuTaken,
}

/// The URL-friendly name of a plan, unique in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug: lower-case ASCII letters and digits in hyphen-separated words.
    ///
    /// # Errors
    /// [`PlanError::InvalidSlug`].
    pub fn parse(s: &str) -> Result<Self, PlanError> {
        let ok = (1..=100).contains(&s.len())
            && s.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PlanError::InvalidSlug)
        }
    }

    /// The slug text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $err:expr, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = PlanError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Self::$variant),)+ _ => Err($err) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Architectural style of a house.
    Style, PlanError::UnknownStyle, {
        /// Flat roofs, large glazing.
        Contemporary => "contemporary",
        /// Regional, pitched roofs.
        Traditional => "traditional",
        /// Single storey.
        Bungalow => "bungalow",
        /// Clean lines, open plan.
        Modern => "modern",
        /// Rural, large volumes.
        Farmhouse => "farmhouse",
        /// Southern French: tiles, rendered walls.
        Provencal => "provencal",
        /// Mountain, timber.
        Chalet => "chalet",
        /// Small, cosy.
        Cottage => "cottage",
        /// Breton or Norman long house.
        Longere => "longere",
        /// Timber frame.
        WoodFrame => "wood_frame",
    }
);

string_enum!(
    /// How a plan is delivered.
    FormatKind, PlanError::UnknownFormatKind, {
        /// A PDF download.
        Pdf => "pdf",
        /// Editable CAD files (DWG) download.
        Cad => "cad",
        /// A printed set of plans, shipped.
        PrintedSet => "printed_set",
    }
);

impl FormatKind {
    /// Whether the format is shipped, so needs a shipping address and cost.
    #[must_use]
    pub const fn requires_shipping(self) -> bool {
        matches!(self, Self::PrintedSet)
    }
}

/// An absolute https URL of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    /// Parses an image URL.
    ///
    /// # Errors
    /// [`PlanError::InvalidImageUrl`].
    pub fn parse(s: &str) -> Result<Self, PlanError> {
        let rest = s
            .strip_prefix("https://")
            .ok_or(PlanError::InvalidImageUrl)?;
        let host = rest.split('/').next().unwrap_or_default();
        if s.len() > 2048
            || host.is_empty()
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(PlanError::InvalidImageUrl);
        }
        Ok(Self(s.to_owned()))
    }

    /// The URL text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The measurable facts of a house.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSpecs {
    /// Living surface, m².
    pub living_area_m2: u32,
    /// Bedrooms.
    pub bedrooms: u8,
    /// Bathrooms.
    pub bathrooms: u8,
    /// Levels (1 = single storey).
    pub levels: u8,
    /// Garage spaces (0 = no garage).
    pub garage_spaces: u8,
    /// Smallest lot width the house fits on, centimetres.
    pub lot_width_cm: u32,
    /// Smallest lot depth the house fits on, centimetres.
    pub lot_depth_cm: u32,
}

impl PlanSpecs {
    /// Checks the ranges a real house falls in.
    ///
    /// # Errors
    /// The refused fields.
    pub fn check(self) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if !(10..=2000).contains(&self.living_area_m2) {
            errors.push("living_area_m2", "must be between 10 and 2000");
        }
        if self.bedrooms > 20 {
            errors.push("bedrooms", "must be at most 20");
        }
        if self.bathrooms > 20 {
            errors.push("bathrooms", "must be at most 20");
        }
        if !(1..=5).contains(&self.levels) {
            errors.push("levels", "must be between 1 and 5");
        }
        if self.garage_spaces > 10 {
            errors.push("garage_spaces", "must be at most 10");
        }
        if !(100..=100_000).contains(&self.lot_width_cm) {
            errors.push("lot_width_m", "must be between 1 and 1000");
        }
        if !(100..=100_000).contains(&self.lot_depth_cm) {
            errors.push("lot_depth_m", "must be between 1 and 1000");
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// A purchasable format of a plan, with its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// Id.
    pub id: FormatId,
    /// What is delivered.
    pub kind: FormatKind,
    /// Stock-keeping unit, unique across the catalogue.
    pub sku: String,
    /// Price, taxes included.
    pub price: Money,
}

/// A house plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Id.
    pub id: ProductId,
    /// Unique URL name.
    pub slug: Slug,
    /// Title.
    pub title: String,
    /// Description (plain text).
    pub description: String,
    /// Style.
    pub style: Style,
    /// Measurable facts.
    pub specs: PlanSpecs,
    /// Image URLs, first is the cover.
    pub images: Vec<ImageUrl>,
    /// Formats, cheapest first.
    pub formats: Vec<Format>,
    /// Whether customers can see and buy it.
    pub published: bool,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Its approved reviews' ratings (SHOP-6), `None` before the first.
    pub rating: Option<Rating>,
}

/// The approved reviews of a plan: how many, and the sum of their
/// ratings (1 to 5 each), kept as they are approved and withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    /// Approved reviews.
    pub count: u32,
    /// Sum of their ratings.
    pub sum: u64,
}

impl Rating {
    /// The rating when any review counts: `None` for none.
    #[must_use]
    pub fn of(count: i64, sum: i64) -> Option<Self> {
        let count = u32::try_from(count).ok().filter(|c| *c > 0)?;
        let sum = u64::try_from(sum).ok()?;
        Some(Self { count, sum })
    }

    /// The average rating, to one decimal (4.5).
    #[must_use]
    pub fn average(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let mean = self.sum as f64 / f64::from(self.count.max(1));
        (mean * 10.0).round() / 10.0
    }
}

impl Plan {
    /// The lowest price among the formats: what "price" means in filters and sorting.
    #[must_use]
    pub fn from_price(&self) -> Option<Money> {
        self.formats
            .iter()
            .map(|f| f.price)
            .min_by_key(Money::amount_minor)
    }
}

/// A format to create.
#[derive(Debug, Clone)]
pub struct NewFormat {
    /// What is delivered.
    pub kind: FormatKind,
    /// Stock-keeping unit.
    pub sku: String,
    /// Price.
    pub price: Money,
}

/// The validated content of a new plan.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// Slug.
    pub slug: Slug,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Style.
    pub style: Style,
    /// Specs.
    pub specs: PlanSpecs,
    /// Images.
    pub images: Vec<ImageUrl>,
    /// Formats.
    pub formats: Vec<NewFormat>,
    /// Published at once?
    pub published: bool,
}

fn check_sku(sku: &str) -> bool {
    (3..=64).contains(&sku.len())
        && sku
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

impl NewPlan {
    /// Builds the plan, checking every rule; ids and timestamps are assigned here.
    ///
    /// # Errors
    /// The refused fields, all at once.
    pub fn into_plan(self, now: DateTime<Utc>) -> Result<Plan, PlanError> {
        let mut errors = FieldErrors::default();
        let title = self.title.trim().to_owned();
        if !(3..=200).contains(&title.chars().count()) {
            errors.push("title", "must be 3 to 200 characters");
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > 10_000 {
            errors.push("description", "must be at most 10000 characters");
        }
        if let Err(e) = self.specs.check() {
            errors.0.extend(e.0);
        }
        if self.images.len() > 20 {
            errors.push("image_urls", "at most 20 images");
        }
        let mut kinds: Vec<FormatKind> = self.formats.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        if self.formats.is_empty() || kinds.len() != self.formats.len() {
            errors.push("formats", PlanError::Formats.to_string());
        }
        for (i, f) in self.formats.iter().enumerate() {
            if !check_sku(&f.sku) {
                errors.push(
                    &format!("formats[{i}].sku"),
                    "must be 3 to 64 upper-case letters, digits or hyphens",
                );
            }
        }
        if !errors.is_empty() {
            return Err(PlanError::Fields(errors));
        }
        let mut formats: Vec<Format> = self
            .formats
            .into_iter()
            .map(|f| Format {
                id: FormatId::new(),
                kind: f.kind,
                sku: f.sku,
                price: f.price,
            })
            .collect();
        formats.sort_by_key(|f| (f.price.amount_minor(), f.kind));
        Ok(Plan {
            id: ProductId::new(),
            slug: self.slug,
            title,
            description,
            style: self.style,
            specs: self.specs,
            images: self.images,
            formats,
            published: self.published,
            created_at: now,
            updated_at: now,
            rating: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;

    pub(crate) fn sample(slug: &str) -> NewPlan {
        NewPlan {
            slug: Slug::parse(slug).unwrap(),
            title: "Maison contemporaine".into(),
            description: "Trois chambres, plein-pied.".into(),
            style: Style::Contemporary,
            specs: PlanSpecs {
                living_area_m2: 120,
                bedrooms: 3,
                bathrooms: 1,
                levels: 1,
                garage_spaces: 1,
                lot_width_cm: 1500,
                lot_depth_cm: 2500,
            },
            images: vec![],
            formats: vec![
                NewFormat {
                    kind: FormatKind::PrintedSet,
                    sku: "P-1-PRINT".into(),
                    price: Money::new(59_000, Currency::EUR).unwrap(),
                },
                NewFormat {
                    kind: FormatKind::Pdf,
                    sku: "P-1-PDF".into(),
                    price: Money::new(39_000, Currency::EUR).unwrap(),
                },
            ],
            published: true,
        }
    }

    #[test]
    fn slugs_are_lowercase_hyphenated_words() {
        assert!(Slug::parse("maison-3-chambres").is_ok());
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Maison",
            "maison_1",
            "é",
            &"a".repeat(101),
        ] {
            assert_eq!(Slug::parse(bad), Err(PlanError::InvalidSlug), "{bad}");
        }
    }

    #[test]
    fn styles_and_formats_parse_from_their_wire_names() {
        for s in Style::ALL {
            assert_eq!(s.as_str().parse::<Style>().unwrap(), *s);
        }
        assert_eq!("castle".parse::<Style>(), Err(PlanError::UnknownStyle));
        assert!(FormatKind::PrintedSet.requires_shipping());
        assert!(!FormatKind::Pdf.requires_shipping());
    }

    #[test]
    fn image_urls_must_be_https() {
        assert!(ImageUrl::parse("https://img.example/a.jpg").is_ok());
        for bad in [
            "http://img.example/a.jpg",
            "https://",
            "https://a b",
            "javascript:alert(1)",
        ] {
            assert!(ImageUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_plan_sorts_formats_and_knows_its_from_price() {
        let plan = sample("maison-a").into_plan(Utc::now()).unwrap();
        assert_eq!(plan.formats[0].kind, FormatKind::Pdf);
        assert_eq!(plan.from_price().unwrap().amount_minor(), 39_000);
    }

    #[test]
    fn a_plan_needs_formats_of_distinct_kinds() {
        let mut p = sample("maison-b");
        p.formats.clear();
        assert!(matches!(p.into_plan(Utc::now()), Err(PlanError::Fields(_))));
        let mut p = sample("maison-c");
        p.formats[0].kind = FormatKind::Pdf;
        assert!(matches!(p.into_plan(Utc::now()), Err(PlanError::Fields(_))));
    }

    #[test]
    fn out_of_range_specs_are_all_reported() {
        let mut p = sample("maison-d");
        p.specs.living_area_m2 = 5;
        p.specs.levels = 0;
        let Err(PlanError::Fields(errors)) = p.into_plan(Utc::now()) else {
            panic!("accepted")
        };
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["living_area_m2", "levels"]);
    }

    proptest! {
        #[test]
        fn any_hyphenated_lowercase_words_are_slugs(words in prop::collection::vec("[a-z0-9]{1,8}", 1..6)) {
            let s = words.join("-");
            let parsed = Slug::parse(&s).unwrap();
            prop_assert_eq!(parsed.as_str(), s.as_str());
        }
    }
}
