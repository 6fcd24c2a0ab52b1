//! Parsing the public catalogue's query: filters (style and bedrooms take
//! several values), facets, sorting, and cursors bound to the query they
//! continue.

use std::fmt::Write as _;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::error::FieldErrors;
use crate::ids::ProductId;
use crate::pagination::{Limit, PaginationError, decode_cursor, encode_cursor};

use super::plan::Style;

/// What sorting a listing uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// By "from" price (cheapest format).
    Price,
    /// By living surface.
    Surface,
    /// By creation, newest first by default.
    Newest,
}

impl SortKey {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Price => "price",
            Self::Surface => "surface",
            Self::Newest => "newest",
        }
    }

    /// The direction used when none is asked for.
    #[must_use]
    pub const fn default_order(self) -> Order {
        match self {
            Self::Price | Self::Surface => Order::Asc,
            Self::Newest => Order::Desc,
        }
    }
}

impl FromStr for SortKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "price" => Ok(Self::Price),
            "surface" => Ok(Self::Surface),
            "newest" => Ok(Self::Newest),
            _ => Err("must be one of: price, surface, newest".into()),
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl Order {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

impl FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err("must be asc or desc".into()),
        }
    }
}

/// One band of the `price_band` facet: plans whose "from" price (cheapest
/// format), in cents, is at least `min` and below `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceBand {
    /// Lowest price of the band, cents, included.
    pub min: i64,
    /// Where the next band starts, cents, excluded; `None` for the last band.
    pub max: Option<i64>,
    /// The band's name in a facet: `"{min}-{max}"`, or `"{min}-"` for the last.
    pub key: &'static str,
}

/// The bands of the `price_band` facet, cheapest first. Together they cover
/// every price: under 500 €, 500-750 €, 750-1000 €, 1000-1500 €, 1500 € and more.
/// To filter on a band, send `min_price={min}` and `max_price={max - 1}`.
pub const PRICE_BANDS: &[PriceBand] = &[
    PriceBand {
        min: 0,
        max: Some(50_000),
        key: "0-50000",
    },
    PriceBand {
        min: 50_000,
        max: Some(75_000),
        key: "50000-75000",
    },
    PriceBand {
        min: 75_000,
        max: Some(100_000),
        key: "75000-100000",
    },
    PriceBand {
        min: 100_000,
        max: Some(150_000),
        key: "100000-150000",
    },
    PriceBand {
        min: 150_000,
        max: None,
        key: "150000-",
    },
];

impl PriceBand {
    /// The position in [`PRICE_BANDS`] of the band holding `price` (cents).
    #[must_use]
    pub fn index_of(price: i64) -> usize {
        PRICE_BANDS
            .iter()
            .rposition(|b| price >= b.min)
            .unwrap_or(0)
    }
}

/// The facets a listing counts, asked for with `facets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FacetSelection {
    /// Plans per style.
    pub style: bool,
    /// Plans per number of bedrooms.
    pub bedrooms: bool,
    /// Plans per price band ([`PRICE_BANDS`]).
    pub price_band: bool,
}

impl FacetSelection {
    /// Every facet.
    pub const ALL: Self = Self {
        style: true,
        bedrooms: true,
        price_band: true,
    };

    /// Whether any facet is asked for.
    #[must_use]
    pub const fn any(self) -> bool {
        self.style || self.bedrooms || self.price_band
    }
}

impl FromStr for FacetSelection {
    type Err = String;

    /// `true` (every facet), `false` or empty (none), or facet names
    /// separated by commas.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "true" => return Ok(Self::ALL),
            "false" | "" => return Ok(Self::default()),
            _ => {}
        }
        let mut selection = Self::default();
        for name in s.split(',').map(str::trim) {
            match name {
                "style" => selection.style = true,
                "bedrooms" => selection.bedrooms = true,
                "price_band" => selection.price_band = true,
                _ => {
                    return Err("must be true, false, or a comma-separated list of: \
                         style, bedrooms, price_band"
                        .into());
                }
            }
        }
        Ok(selection)
    }
}

/// The query as received, every value still text.
#[derive(Debug, Clone, Default)]
pub struct RawProductQuery {
    /// Words to find in title and description.
    pub q: Option<String>,
    /// Style names, any of which matches.
    pub style: Vec<String>,
    /// Smallest living surface, m².
    pub min_surface: Option<String>,
    /// Largest living surface, m².
    pub max_surface: Option<String>,
    /// Numbers of bedrooms, any of which matches.
    pub bedrooms: Vec<String>,
    /// Lowest "from" price, minor units.
    pub min_price: Option<String>,
    /// Highest "from" price, minor units.
    pub max_price: Option<String>,
    /// Which facets to count.
    pub facets: Option<String>,
    /// Sort key.
    pub sort: Option<String>,
    /// Sort direction.
    pub order: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Position after the previous page; empty is the first page.
    pub cursor: Option<String>,
}

/// A parameter that takes one value was given several times.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the parameter `{0}` is given more than once; it takes one value")]
pub struct RepeatedParameter(pub &'static str);

impl RawProductQuery {
    /// The query from the decoded `name=value` pairs of a query string, in
    /// order. `style` and `bedrooms` collect every value; other known
    /// parameters take one; unknown parameters are ignored.
    ///
    /// # Errors
    /// The first single-valued parameter given twice.
    pub fn from_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, RepeatedParameter>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut raw = Self::default();
        for (name, value) in pairs {
            let value = value.into();
            let (name, slot) = match name.as_ref() {
                "style" => {
                    raw.style.push(value);
                    continue;
                }
                "bedrooms" => {
                    raw.bedrooms.push(value);
                    continue;
                }
                "q" => ("q", &mut raw.q),
                "min_surface" => ("min_surface", &mut raw.min_surface),
                "max_surface" => ("max_surface", &mut raw.max_surface),
                "min_price" => ("min_price", &mut raw.min_price),
                "max_price" => ("max_price", &mut raw.max_price),
                "facets" => ("facets", &mut raw.facets),
                "sort" => ("sort", &mut raw.sort),
                "order" => ("order", &mut raw.order),
                "limit" => ("limit", &mut raw.limit),
                "cursor" => ("cursor", &mut raw.cursor),
                // Cache busters, tracking tags: not ours to refuse.
                _ => continue,
            };
            if slot.is_some() {
                return Err(RepeatedParameter(name));
            }
            *slot = Some(value);
        }
        Ok(raw)
    }
}

/// Where the previous page ended, in the listing's sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    /// The sort value of the last item.
    pub key: i64,
    /// Its id, which breaks ties.
    pub id: ProductId,
}

/// Why a catalogue query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Parameters that do not parse or break a rule, all of them.
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// The cursor continues a listing with other filters, another sort or
    /// another order: start again from the first page.
    #[error("the cursor belongs to a listing with other filters, sort or order")]
    CursorMismatch,
}

/// A checked catalogue query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    /// Folded search words, all of which must appear.
    pub words: Vec<String>,
    /// Styles, any of which matches; empty matches every style. Sorted,
    /// without repeats.
    pub styles: Vec<Style>,
    /// Surface range, m².
    pub min_surface: Option<u32>,
    /// Surface range, m².
    pub max_surface: Option<u32>,
    /// Numbers of bedrooms, any of which matches; empty matches any number.
    /// Sorted, without repeats.
    pub bedrooms: Vec<u8>,
    /// Price range, minor units.
    pub min_price: Option<i64>,
    /// Price range, minor units.
    pub max_price: Option<i64>,
    /// Facets to count.
    pub facets: FacetSelection,
    /// Sorting.
    pub sort: SortKey,
    /// Direction.
    pub order: Order,
    /// Page size.
    pub limit: Limit,
    /// Continue after this position.
    pub after: Option<After>,
}

const MAX_Q: usize = 200;

/// The cursor format; `p1` cursors (bound to sort and order only) came
/// before filters were bound too.
const CURSOR_VERSION: &str = "p2";

fn number<T>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    max: T,
    what: &str,
) -> Option<T>
where
    T: FromStr + PartialOrd + std::fmt::Display + Default,
{
    let raw = raw?;
    match raw.trim().parse::<T>() {
        Ok(v) if v >= T::default() && v <= max => Some(v),
        _ => {
            errors.push(
                field,
                format!("must be a whole number of {what} between 0 and {max}"),
            );
            None
        }
    }
}

/// Every value of a multi-valued parameter, sorted and without repeats; the
/// first refused value is reported (once per parameter).
fn each<T: Ord>(raw: &[String], mut parse: impl FnMut(&str) -> Option<T>) -> Vec<T> {
    let mut values = Vec::with_capacity(raw.len());
    for v in raw {
        match parse(v) {
            Some(v) => values.push(v),
            None => break,
        }
    }
    values.sort_unstable();
    values.dedup();
    values
}

/// What a cursor says about the listing it continues.
enum Binding {
    /// The hash of the filters, sort and order it was made for.
    To(String),
    /// An older cursor, bound to sort and order only.
    Legacy,
}

impl ProductQuery {
    /// Checks every parameter, reporting all refused ones together; then
    /// checks that a cursor continues this very listing.
    ///
    /// # Errors
    /// [`QueryError::Invalid`] with every refused parameter, else
    /// [`QueryError::CursorMismatch`].
    pub fn parse(raw: &RawProductQuery) -> Result<Self, QueryError> {
        let mut errors = FieldErrors::default();

        let words = match raw.q.as_deref() {
            Some(q) if q.chars().count() > MAX_Q => {
                errors.push("q", format!("must be at most {MAX_Q} characters"));
                vec![]
            }
            Some(q) => crate::text::fold(q)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
            None => vec![],
        };
        let styles = each(&raw.style, |s| errors.take("style", s.parse::<Style>()));
        let min_surface = number(
            &mut errors,
            "min_surface",
            raw.min_surface.as_deref(),
            100_000u32,
            "m²",
        );
        let max_surface = number(
            &mut errors,
            "max_surface",
            raw.max_surface.as_deref(),
            100_000u32,
            "m²",
        );
        if let (Some(lo), Some(hi)) = (min_surface, max_surface)
            && lo > hi
        {
            errors.push("min_surface", "must not be greater than max_surface");
        }
        let bedrooms = each(&raw.bedrooms, |b| {
            number(&mut errors, "bedrooms", Some(b), 20u8, "bedrooms")
        });
        let min_price = number(
            &mut errors,
            "min_price",
            raw.min_price.as_deref(),
            1_000_000_000i64,
            "cents",
        );
        let max_price = number(
            &mut errors,
            "max_price",
            raw.max_price.as_deref(),
            1_000_000_000i64,
            "cents",
        );
        if let (Some(lo), Some(hi)) = (min_price, max_price)
            && lo > hi
        {
            errors.push("min_price", "must not be greater than max_price");
        }
        let facets = raw
            .facets
            .as_deref()
            .map_or(Some(FacetSelection::default()), |f| {
                errors.take("facets", f.parse::<FacetSelection>())
            });
        let sort = raw.sort.as_deref().map_or(Some(SortKey::Newest), |s| {
            errors.take("sort", s.parse::<SortKey>())
        });
        let order = match raw.order.as_deref() {
            None => sort.map(SortKey::default_order),
            Some(o) => errors.take("order", o.parse::<Order>()),
        };
        let limit = errors.take("limit", Limit::parse(raw.limit.as_deref()));
        // `cursor=` (what a form sends for "no cursor") is the first page.
        let cursor = match raw.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => errors.take("cursor", Self::read_cursor(c)),
            None => None,
        };

        let (Some(sort), Some(order), Some(limit), Some(facets)) = (sort, order, limit, facets)
        else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut query = Self {
            words,
            styles,
            min_surface,
            max_surface,
            bedrooms,
            min_price,
            max_price,
            facets,
            sort,
            order,
            limit,
            after: None,
        };
        if let Some((binding, after)) = cursor {
            match binding {
                Binding::To(b) if b == query.binding() => query.after = Some(after),
                _ => return Err(QueryError::CursorMismatch),
            }
        }
        Ok(query)
    }

    /// Whether any filter narrows the catalogue.
    #[must_use]
    pub fn filters(&self) -> bool {
        !self.words.is_empty()
            || !self.styles.is_empty()
            || !self.bedrooms.is_empty()
            || self.min_surface.is_some()
            || self.max_surface.is_some()
            || self.min_price.is_some()
            || self.max_price.is_some()
    }

    /// The cursor that continues after `key` and `id` in this listing: the
    /// same filters, sort and order.
    #[must_use]
    pub fn cursor_after(&self, key: i64, id: ProductId) -> String {
        encode_cursor(&[
            CURSOR_VERSION,
            &self.binding(),
            &key.to_string(),
            &id.to_string(),
        ])
    }

    /// One text for every query string that asks for the same answer,
    /// whatever the order of its parameters, repeated values, or defaults
    /// spelled out: filters, sort, order, page size, position and facets.
    #[must_use]
    pub fn canonical(&self) -> String {
        self.describe(true)
    }

    /// A short hash of the filters, sort and order, which a cursor carries:
    /// a cursor continues only the listing it came from.
    fn binding(&self) -> String {
        let digest = Sha256::digest(self.describe(false).as_bytes());
        URL_SAFE_NO_PAD.encode(&digest[..12])
    }

    /// The query as text; the page (size, position, facets) when `page`.
    /// Values of fixed alphabets come first and the search words (which
    /// hold no space) last, so two different queries never give one text.
    fn describe(&self, page: bool) -> String {
        fn list<T: std::fmt::Display>(out: &mut String, values: impl Iterator<Item = T>) {
            for (i, v) in values.enumerate() {
                let _ = write!(out, "{}{v}", if i == 0 { "" } else { "," });
            }
        }
        fn bound<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
            if let Some(v) = v {
                let _ = write!(out, "{v}");
            }
        }
        let mut out = String::with_capacity(128);
        let _ = write!(
            out,
            "sort={};order={};style=",
            self.sort.as_str(),
            self.order.as_str()
        );
        list(&mut out, self.styles.iter().map(|s| s.as_str()));
        out.push_str(";bedrooms=");
        list(&mut out, self.bedrooms.iter());
        out.push_str(";surface=");
        bound(&mut out, self.min_surface);
        out.push_str("..");
        bound(&mut out, self.max_surface);
        out.push_str(";price=");
        bound(&mut out, self.min_price);
        out.push_str("..");
        bound(&mut out, self.max_price);
        if page {
            let _ = write!(out, ";limit={};after=", self.limit.get());
            if let Some(a) = self.after {
                let _ = write!(out, "{},{}", a.key, a.id);
            }
            let f = self.facets;
            let _ = write!(
                out,
                ";facets={}{}{}",
                u8::from(f.style),
                u8::from(f.bedrooms),
                u8::from(f.price_band)
            );
        }
        out.push_str(";q=");
        let mut words: Vec<&str> = self.words.iter().map(String::as_str).collect();
        words.sort_unstable();
        words.dedup();
        list(&mut out, words.iter());
        out
    }

    /// The position a cursor holds, and what listing it is bound to.
    fn read_cursor(cursor: &str) -> Result<(Binding, After), PaginationError> {
        let invalid = || PaginationError::InvalidCursor;
        let position = |key: &str, id: &str| -> Result<After, PaginationError> {
            Ok(After {
                key: key.parse::<i64>().map_err(|_| invalid())?,
                id: id.parse::<ProductId>().map_err(|_| invalid())?,
            })
        };
        if let Ok(parts) = decode_cursor(cursor, 4)
            && parts[0] == CURSOR_VERSION
        {
            let after = position(&parts[2], &parts[3])?;
            return Ok((Binding::To(parts[1].clone()), after));
        }
        match decode_cursor(cursor, 5) {
            Ok(parts) if parts[0] == "p1" => Ok((Binding::Legacy, position(&parts[3], &parts[4])?)),
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawProductQuery {
        RawProductQuery::from_pairs(pairs.iter().copied()).unwrap()
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<ProductQuery, QueryError> {
        ProductQuery::parse(&raw(pairs))
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<String> {
        match parse(pairs) {
            Err(QueryError::Invalid(e)) => e.0.into_iter().map(|e| e.field).collect(),
            other => panic!("{pairs:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_newest_first_twenty_a_page() {
        let q = parse(&[]).unwrap();
        assert_eq!(
            (q.sort, q.order, q.limit.get()),
            (SortKey::Newest, Order::Desc, 20)
        );
        assert!(!q.facets.any() && !q.filters());
        let q = parse(&[("sort", "price")]).unwrap();
        assert_eq!(q.order, Order::Asc);
    }

    #[test]
    fn bad_filters_are_each_reported() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
        let table: &[Case] = &[
            (&[("min_surface", "-1")], &["min_surface"]),
            (
                &[("min_surface", "200"), ("max_surface", "100")],
                &["min_surface"],
            ),
            (&[("min_price", "-5")], &["min_price"]),
            (&[("max_price", "-5")], &["max_price"]),
            (&[("min_price", "9"), ("max_price", "1")], &["min_price"]),
            (&[("sort", "colour")], &["sort"]),
            (&[("order", "up")], &["order"]),
            (&[("style", "castle")], &["style"]),
            (&[("bedrooms", "three")], &["bedrooms"]),
            (&[("limit", "0")], &["limit"]),
            (&[("limit", "101")], &["limit"]),
            (&[("cursor", "garbage")], &["cursor"]),
            (&[("limit", "x"), ("sort", "y")], &["sort", "limit"]),
            (&[("facets", "colour")], &["facets"]),
            (&[("facets", "style,")], &["facets"]),
            // One error per parameter, however many of its values are bad.
            (
                &[("style", "modern"), ("style", "castle"), ("style", "fort")],
                &["style"],
            ),
            (&[("bedrooms", "3"), ("bedrooms", "21")], &["bedrooms"]),
            (
                &[("cursor", "garbage"), ("limit", "0"), ("style", "x")],
                &["style", "limit", "cursor"],
            ),
        ];
        for (pairs, expected) in table {
            assert_eq!(fields(pairs), *expected, "{pairs:?}");
        }
    }

    #[test]
    fn search_words_are_folded() {
        let q = parse(&[("q", "  Plein-Pied  ÉTAGE ")]).unwrap();
        assert_eq!(q.words, ["plein", "pied", "etage"]);
    }

    #[test]
    fn style_and_bedrooms_take_several_values_other_parameters_one() {
        let q = parse(&[
            ("style", "modern"),
            ("bedrooms", "4"),
            ("style", "chalet"),
            ("bedrooms", "3"),
            ("style", "modern"),
        ])
        .unwrap();
        assert_eq!(q.styles, [Style::Modern, Style::Chalet]);
        assert_eq!(q.bedrooms, [3, 4]);
        for name in [
            "q",
            "min_surface",
            "max_surface",
            "min_price",
            "max_price",
            "facets",
            "sort",
            "order",
            "limit",
            "cursor",
        ] {
            assert_eq!(
                RawProductQuery::from_pairs([(name, "1"), ("limit", "2"), (name, "1")])
                    .unwrap_err(),
                RepeatedParameter(name)
            );
        }
        // Unknown parameters (cache busters) are nobody's business.
        assert!(parse(&[("_", "1719"), ("utm_source", "mail")]).is_ok());
    }

    #[test]
    fn facets_are_all_none_or_a_list() {
        let facets = |v: &str| parse(&[("facets", v)]).unwrap().facets;
        assert_eq!(facets("true"), FacetSelection::ALL);
        assert_eq!(facets("false"), FacetSelection::default());
        assert_eq!(facets(""), FacetSelection::default());
        assert_eq!(
            facets("price_band, style"),
            FacetSelection {
                style: true,
                bedrooms: false,
                price_band: true
            }
        );
    }

    #[test]
    fn price_bands_cover_every_price_in_order() {
        assert_eq!(PRICE_BANDS[0].min, 0);
        for pair in PRICE_BANDS.windows(2) {
            assert_eq!(pair[0].max, Some(pair[1].min));
        }
        assert_eq!(PRICE_BANDS.last().unwrap().max, None);
        for band in PRICE_BANDS {
            let name = match band.max {
                Some(max) => format!("{}-{max}", band.min),
                None => format!("{}-", band.min),
            };
            assert_eq!(band.key, name);
        }
        let key = |price| PRICE_BANDS[PriceBand::index_of(price)].key;
        assert_eq!(key(0), "0-50000");
        assert_eq!(key(49_999), "0-50000");
        assert_eq!(key(50_000), "50000-75000");
        assert_eq!(key(150_000), "150000-");
        assert_eq!(key(i64::MAX), "150000-");
    }

    #[test]
    fn a_cursor_only_continues_the_listing_it_came_from() {
        let pairs = [("sort", "price"), ("style", "modern"), ("bedrooms", "3")];
        let q = parse(&pairs).unwrap();
        let id = ProductId::new();
        let c = q.cursor_after(1200, id);
        let with = |extra: &[(&str, &str)]| {
            let all: Vec<(&str, &str)> = extra
                .iter()
                .copied()
                .chain([("cursor", c.as_str())])
                .collect();
            parse(&all)
        };
        // The same listing, its parameters in another order, another page size.
        let next = with(&[
            ("bedrooms", "3"),
            ("style", "modern"),
            ("sort", "price"),
            ("limit", "5"),
            ("facets", "true"),
        ])
        .unwrap();
        assert_eq!(next.after, Some(After { key: 1200, id }));
        for other in [
            &[("sort", "surface"), ("style", "modern"), ("bedrooms", "3")][..],
            &[
                ("sort", "price"),
                ("order", "desc"),
                ("style", "modern"),
                ("bedrooms", "3"),
            ],
            &[("sort", "price"), ("style", "modern"), ("bedrooms", "2")],
            &[("sort", "price"), ("style", "modern")],
            &[
                ("sort", "price"),
                ("style", "modern"),
                ("style", "chalet"),
                ("bedrooms", "3"),
            ],
            &[
                ("sort", "price"),
                ("style", "modern"),
                ("bedrooms", "3"),
                ("q", "bois"),
            ],
            &[
                ("sort", "price"),
                ("style", "modern"),
                ("bedrooms", "3"),
                ("min_price", "1"),
            ],
        ] {
            assert_eq!(with(other), Err(QueryError::CursorMismatch), "{other:?}");
        }
        // Bad parameters are reported before a mismatch.
        assert!(matches!(
            with(&[("sort", "surface"), ("limit", "0")]),
            Err(QueryError::Invalid(_))
        ));
        // A cursor of the previous format (sort and order only) starts over.
        let legacy = encode_cursor(&["p1", "price", "asc", "1200", &id.to_string()]);
        assert_eq!(
            parse(&[("sort", "price"), ("cursor", &legacy)]),
            Err(QueryError::CursorMismatch)
        );
        // An empty cursor is the first page.
        assert_eq!(parse(&[("cursor", "")]).unwrap().after, None);
    }

    #[test]
    fn the_canonical_text_ignores_spelling_but_not_meaning() {
        let canonical = |pairs: &[(&str, &str)]| parse(pairs).unwrap().canonical();
        let same = [
            canonical(&[
                ("style", "chalet"),
                ("style", "modern"),
                ("q", "Bois maison"),
            ]),
            canonical(&[
                ("q", "maison  BOIS"),
                ("style", "modern"),
                ("style", "chalet"),
                ("style", "modern"),
                ("sort", "newest"),
                ("order", "desc"),
                ("limit", "20"),
                ("facets", "false"),
                ("cursor", ""),
            ]),
        ];
        assert_eq!(same[0], same[1]);
        let base = &[("style", "chalet")][..];
        let different = [
            canonical(base),
            canonical(&[("style", "chalet"), ("limit", "21")]),
            canonical(&[("style", "chalet"), ("facets", "style")]),
            canonical(&[("style", "chalet"), ("facets", "bedrooms")]),
            canonical(&[("style", "chalet"), ("order", "asc")]),
            canonical(&[("style", "chalet"), ("min_surface", "1")]),
            canonical(&[("style", "chalet"), ("max_surface", "1")]),
            canonical(&[("style", "chalet"), ("min_price", "1")]),
            canonical(&[("style", "chalet"), ("q", "1")]),
            canonical(&[("style", "chalet"), ("bedrooms", "1")]),
            canonical(&[("style", "chalet"), ("bedrooms", "1"), ("bedrooms", "2")]),
            canonical(&[("style", "chalet"), ("bedrooms", "12")]),
        ];
        let mut unique = different.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), different.len(), "{different:#?}");
    }
}
