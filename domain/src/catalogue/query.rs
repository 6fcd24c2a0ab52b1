//! Parsing the public catalogue's query: filters, sorting, pagination.

use std::str::FromStr;

use crate::error::FieldErrors;
use crate::ids::ProductId;
use crate::pagination::{Limit, decode_cursor};

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

/// The query as received, every value still text.
#[derive(Debug, Clone, Default)]
pub struct RawProductQuery {
    /// Words to find in title and description.
    pub q: Option<String>,
    /// Style name.
    pub style: Option<String>,
    /// Smallest living surface, m².
    pub min_surface: Option<String>,
    /// Largest living surface, m².
    pub max_surface: Option<String>,
    /// Exact number of bedrooms.
    pub bedrooms: Option<String>,
    /// Lowest "from" price, minor units.
    pub min_price: Option<String>,
    /// Highest "from" price, minor units.
    pub max_price: Option<String>,
    /// Sort key.
    pub sort: Option<String>,
    /// Sort direction.
    pub order: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Position after the previous page.
    pub cursor: Option<String>,
}

#[cfg(test)]
impl RawProductQuery {
    /// A query from `name=value` pairs, as a query string would give.
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let mut r = Self::default();
        for (k, v) in pairs {
            let v = Some((*v).to_owned());
            match *k {
                "q" => r.q = v,
                "style" => r.style = v,
                "min_surface" => r.min_surface = v,
                "max_surface" => r.max_surface = v,
                "bedrooms" => r.bedrooms = v,
                "min_price" => r.min_price = v,
                "max_price" => r.max_price = v,
                "sort" => r.sort = v,
                "order" => r.order = v,
                "limit" => r.limit = v,
                "cursor" => r.cursor = v,
                _ => panic!("unknown parameter {k}"),
            }
        }
        r
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

/// A checked catalogue query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    /// Folded search words, all of which must appear.
    pub words: Vec<String>,
    /// Style filter.
    pub style: Option<Style>,
    /// Surface range, m².
    pub min_surface: Option<u32>,
    /// Surface range, m².
    pub max_surface: Option<u32>,
    /// Exact bedrooms.
    pub bedrooms: Option<u8>,
    /// Price range, minor units.
    pub min_price: Option<i64>,
    /// Price range, minor units.
    pub max_price: Option<i64>,
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

fn number<T>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&String>,
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

impl ProductQuery {
    /// Checks every parameter, reporting all refused ones together.
    ///
    /// # Errors
    /// The refused parameters.
    pub fn parse(raw: &RawProductQuery) -> Result<Self, FieldErrors> {
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
        let style = raw
            .style
            .as_deref()
            .and_then(|s| errors.take("style", s.parse::<Style>()));
        let min_surface = number(
            &mut errors,
            "min_surface",
            raw.min_surface.as_ref(),
            100_000u32,
            "m²",
        );
        let max_surface = number(
            &mut errors,
            "max_surface",
            raw.max_surface.as_ref(),
            100_000u32,
            "m²",
        );
        if let (Some(lo), Some(hi)) = (min_surface, max_surface)
            && lo > hi
        {
            errors.push("min_surface", "must not be greater than max_surface");
        }
        let bedrooms = number(
            &mut errors,
            "bedrooms",
            raw.bedrooms.as_ref(),
            20u8,
            "bedrooms",
        );
        let min_price = number(
            &mut errors,
            "min_price",
            raw.min_price.as_ref(),
            1_000_000_000i64,
            "cents",
        );
        let max_price = number(
            &mut errors,
            "max_price",
            raw.max_price.as_ref(),
            1_000_000_000i64,
            "cents",
        );
        if let (Some(lo), Some(hi)) = (min_price, max_price)
            && lo > hi
        {
            errors.push("min_price", "must not be greater than max_price");
        }
        let sort = raw.sort.as_deref().map_or(Some(SortKey::Newest), |s| {
            errors.take("sort", s.parse::<SortKey>())
        });
        let order = match raw.order.as_deref() {
            None => sort.map(SortKey::default_order),
            Some(o) => errors.take("order", o.parse::<Order>()),
        };
        let limit = errors.take("limit", Limit::parse(raw.limit.as_deref()));
        let after = match (raw.cursor.as_deref(), sort, order) {
            (Some(c), Some(sort), Some(order)) => {
                errors.take("cursor", Self::decode_after(c, sort, order))
            }
            _ => None,
        };

        match (sort, order, limit) {
            (Some(sort), Some(order), Some(limit)) if errors.is_empty() => Ok(Self {
                words,
                style,
                min_surface,
                max_surface,
                bedrooms,
                min_price,
                max_price,
                sort,
                order,
                limit,
                after,
            }),
            _ => Err(errors),
        }
    }

    /// The cursor that continues after `after` in this query's sort.
    #[must_use]
    pub fn cursor_after(&self, key: i64, id: ProductId) -> String {
        crate::pagination::encode_cursor(&[
            "p1",
            self.sort.as_str(),
            self.order.as_str(),
            &key.to_string(),
            &id.to_string(),
        ])
    }

    fn decode_after(
        cursor: &str,
        sort: SortKey,
        order: Order,
    ) -> Result<After, crate::pagination::PaginationError> {
        let invalid = crate::pagination::PaginationError::InvalidCursor;
        let parts = decode_cursor(cursor, 5)?;
        if parts[0] != "p1" || parts[1] != sort.as_str() || parts[2] != order.as_str() {
            return Err(invalid);
        }
        let key = parts[3].parse::<i64>().map_err(|_| invalid.clone())?;
        let id = parts[4].parse::<ProductId>().map_err(|_| invalid)?;
        Ok(After { key, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawProductQuery {
        RawProductQuery::from_pairs(pairs)
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<String> {
        ProductQuery::parse(&raw(pairs))
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn defaults_are_newest_first_twenty_a_page() {
        let q = ProductQuery::parse(&raw(&[])).unwrap();
        assert_eq!(
            (q.sort, q.order, q.limit.get()),
            (SortKey::Newest, Order::Desc, 20)
        );
        let q = ProductQuery::parse(&raw(&[("sort", "price")])).unwrap();
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
        ];
        for (pairs, expected) in table {
            assert_eq!(fields(pairs), *expected, "{pairs:?}");
        }
    }

    #[test]
    fn search_words_are_folded() {
        let q = ProductQuery::parse(&raw(&[("q", "  Plein-Pied  ÉTAGE ")])).unwrap();
        assert_eq!(q.words, ["plein", "pied", "etage"]);
    }

    #[test]
    fn a_cursor_only_continues_the_sort_it_came_from() {
        let q = ProductQuery::parse(&raw(&[("sort", "price")])).unwrap();
        let id = ProductId::new();
        let c = q.cursor_after(1200, id);
        let next = ProductQuery::parse(&raw(&[("sort", "price"), ("cursor", &c)])).unwrap();
        assert_eq!(next.after, Some(After { key: 1200, id }));
        assert_eq!(fields(&[("sort", "surface"), ("cursor", &c)]), ["cursor"]);
        assert_eq!(
            fields(&[("sort", "price"), ("order", "desc"), ("cursor", &c)]),
            ["cursor"]
        );
    }
}
