//! The public catalogue as an in-memory index.
//!
//! A shop has hundreds or a few thousand plans and reads them far more often
//! than it changes them, so the published catalogue is held in memory,
//! pre-sorted by each sort key, and searched without touching the database.
//! Search is the same on every database engine (no collation surprises).
//! Counting the matches and the facets is one scan of packed per-plan facts,
//! with no allocation.

use std::collections::HashMap;

use crate::ids::ProductId;
use crate::pagination::Page;
use crate::text::fold;

use super::plan::{Plan, Style};
use super::query::{Order, PRICE_BANDS, PriceBand, ProductQuery, SortKey};

/// The number of styles.
const STYLES: usize = Style::ALL.len();
/// Bedroom counts a plan can have: 0 to 20.
const BEDROOMS: usize = 21;

/// What filters and facets read of a plan, packed for a scan.
#[derive(Debug, Clone, Copy)]
struct Facts {
    /// "From" price, cents (`i64::MAX` without formats).
    price: i64,
    surface: u32,
    /// Position of its style in [`Style::ALL`].
    style: usize,
    bedrooms: u8,
    /// Position of its price band in [`PRICE_BANDS`].
    band: usize,
}

/// The published catalogue, ready to be searched.
#[derive(Debug, Default)]
pub struct CatalogueIndex {
    plans: Vec<Plan>,
    facts: Vec<Facts>,
    folded: Vec<String>,
    by_id: HashMap<ProductId, usize>,
    by_slug: HashMap<String, usize>,
    by_price: Vec<usize>,
    by_surface: Vec<usize>,
    by_created: Vec<usize>,
}

fn key(plan: &Plan, sort: SortKey) -> i64 {
    match sort {
        SortKey::Price => plan.from_price().map_or(i64::MAX, |m| m.amount_minor()),
        SortKey::Surface => i64::from(plan.specs.living_area_m2),
        SortKey::Newest => plan.created_at.timestamp_micros(),
    }
}

fn style_position(style: Style) -> usize {
    Style::ALL.iter().position(|s| *s == style).unwrap_or(0)
}

/// A set of small numbers as bits; 0 admits everything.
fn admits(mask: u32, position: usize) -> bool {
    mask == 0
        || u32::try_from(position)
            .ok()
            .and_then(|p| 1u32.checked_shl(p))
            .is_some_and(|bit| mask & bit != 0)
}

/// A query's multi-valued filters as bit sets, built once per search.
struct Masks {
    styles: u32,
    bedrooms: u32,
}

impl Masks {
    fn of(q: &ProductQuery) -> Self {
        let bits = |positions: &mut dyn Iterator<Item = usize>| {
            positions.fold(0u32, |m, p| {
                m | u32::try_from(p)
                    .ok()
                    .and_then(|p| 1u32.checked_shl(p))
                    .unwrap_or(0)
            })
        };
        Self {
            styles: bits(&mut q.styles.iter().map(|s| style_position(*s))),
            bedrooms: bits(&mut q.bedrooms.iter().map(|b| usize::from(*b))),
        }
    }
}

/// Which of a query's filters a plan passes, by facet.
struct Verdict {
    style: bool,
    bedrooms: bool,
    price: bool,
}

impl Verdict {
    /// How many of the faceted filters refuse the plan.
    fn misses(&self) -> u8 {
        u8::from(!self.style) + u8::from(!self.bedrooms) + u8::from(!self.price)
    }
}

/// How many published plans match a query, whatever the page, and the
/// counts of the facets it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Plans matching every filter.
    pub total: usize,
    style: Option<[u32; STYLES]>,
    bedrooms: Option<[u32; BEDROOMS]>,
    price_band: Option<[u32; PRICE_BANDS.len()]>,
}

impl Counts {
    /// Plans per style, over the plans matching the other filters (every
    /// filter but `style`), in [`Style::ALL`] order, styles without plans
    /// left out; `None` when not asked for.
    pub fn styles(&self) -> Option<impl Iterator<Item = (Style, u32)> + '_> {
        let counts = self.style.as_ref()?;
        Some(
            Style::ALL
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| (*s, *n)),
        )
    }

    /// Plans per number of bedrooms, over the plans matching every filter but
    /// `bedrooms`, fewest first, numbers without plans left out; `None` when
    /// not asked for.
    pub fn bedrooms(&self) -> Option<impl Iterator<Item = (u8, u32)> + '_> {
        let counts = self.bedrooms.as_ref()?;
        Some(
            (0u8..)
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(b, n)| (b, *n)),
        )
    }

    /// Plans per price band ([`PRICE_BANDS`]), over the plans matching every
    /// filter but `min_price` and `max_price`, cheapest first, bands without
    /// plans left out; `None` when not asked for.
    pub fn price_bands(&self) -> Option<impl Iterator<Item = (&'static PriceBand, u32)> + '_> {
        let counts = self.price_band.as_ref()?;
        Some(
            PRICE_BANDS
                .iter()
                .zip(counts)
                .filter(|(_, n)| **n > 0)
                .map(|(b, n)| (b, *n)),
        )
    }
}

impl CatalogueIndex {
    /// Indexes the published plans among `plans`.
    #[must_use]
    pub fn new(plans: Vec<Plan>) -> Self {
        let plans: Vec<Plan> = plans.into_iter().filter(|p| p.published).collect();
        let facts = plans
            .iter()
            .map(|p| {
                let price = key(p, SortKey::Price);
                Facts {
                    price,
                    surface: p.specs.living_area_m2,
                    style: style_position(p.style),
                    bedrooms: p.specs.bedrooms,
                    band: PriceBand::index_of(price),
                }
            })
            .collect();
        let folded = plans
            .iter()
            .map(|p| format!(" {} {} ", fold(&p.title), fold(&p.description)))
            .collect();
        let by_id = plans.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let by_slug = plans
            .iter()
            .enumerate()
            .map(|(i, p)| (p.slug.as_str().to_owned(), i))
            .collect();
        let sorted = |sort: SortKey| {
            let mut order: Vec<usize> = (0..plans.len()).collect();
            order.sort_by_key(|&i| (key(&plans[i], sort), plans[i].id));
            order
        };
        let by_price = sorted(SortKey::Price);
        let by_surface = sorted(SortKey::Surface);
        let by_created = sorted(SortKey::Newest);
        Self {
            plans,
            facts,
            folded,
            by_id,
            by_slug,
            by_price,
            by_surface,
            by_created,
        }
    }

    /// How many plans are published.
    #[must_use]
    pub fn len(&self) -> usize {
        self.plans.len()
    }

    /// Whether the catalogue is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.plans.is_empty()
    }

    /// Every published plan, in no particular order.
    pub fn plans(&self) -> impl Iterator<Item = &Plan> {
        self.plans.iter()
    }

    /// A published plan by id or slug.
    #[must_use]
    pub fn get(&self, id_or_slug: &str) -> Option<&Plan> {
        let index = match id_or_slug.parse::<ProductId>() {
            Ok(id) => self.by_id.get(&id),
            Err(_) => self.by_slug.get(id_or_slug),
        }?;
        self.plans.get(*index)
    }

    /// The faceted filters' verdict on a plan.
    fn verdict(f: &Facts, q: &ProductQuery, masks: &Masks) -> Verdict {
        Verdict {
            style: admits(masks.styles, f.style),
            bedrooms: admits(masks.bedrooms, usize::from(f.bedrooms)),
            price: q.min_price.is_none_or(|m| f.price >= m)
                && q.max_price.is_none_or(|m| f.price <= m),
        }
    }

    /// Whether plan `i` passes the filters no facet is about: surface and words.
    fn passes_the_rest(&self, i: usize, f: &Facts, q: &ProductQuery) -> bool {
        q.min_surface.is_none_or(|m| f.surface >= m)
            && q.max_surface.is_none_or(|m| f.surface <= m)
            && q.words.iter().all(|w| self.folded[i].contains(w.as_str()))
    }

    fn matches(&self, i: usize, q: &ProductQuery, masks: &Masks) -> bool {
        let f = &self.facts[i];
        Self::verdict(f, q, masks).misses() == 0 && self.passes_the_rest(i, f, q)
    }

    /// One page of the plans matching `q`, in its order.
    #[must_use]
    pub fn search(&self, q: &ProductQuery) -> Page<&Plan> {
        let order = match q.sort {
            SortKey::Price => &self.by_price,
            SortKey::Surface => &self.by_surface,
            SortKey::Newest => &self.by_created,
        };
        let position = |i: &usize| (key(&self.plans[*i], q.sort), self.plans[*i].id);
        let candidates: Box<dyn Iterator<Item = &usize>> = match (q.order, q.after) {
            (Order::Asc, None) => Box::new(order.iter()),
            (Order::Desc, None) => Box::new(order.iter().rev()),
            (Order::Asc, Some(after)) => {
                let start = order.partition_point(|i| position(i) <= (after.key, after.id));
                Box::new(order[start..].iter())
            }
            (Order::Desc, Some(after)) => {
                let end = order.partition_point(|i| position(i) < (after.key, after.id));
                Box::new(order[..end].iter().rev())
            }
        };
        let limit = q.limit.get();
        let masks = Masks::of(q);
        let mut items: Vec<&Plan> = candidates
            .filter(|i| self.matches(**i, q, &masks))
            .take(limit + 1)
            .map(|i| &self.plans[*i])
            .collect();
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|p| q.cursor_after(key(p, q.sort), p.id))
        } else {
            None
        };
        Page { items, next_cursor }
    }

    /// How many plans match `q` (whatever its page), and its facets: each
    /// facet counts the plans matching every filter but its own, so a client
    /// can show how many plans each other choice would give.
    #[must_use]
    pub fn count(&self, q: &ProductQuery) -> Counts {
        let mut counts = Counts {
            total: 0,
            style: q.facets.style.then_some([0; STYLES]),
            bedrooms: q.facets.bedrooms.then_some([0; BEDROOMS]),
            price_band: q.facets.price_band.then_some([0; PRICE_BANDS.len()]),
        };
        if !q.filters() && !q.facets.any() {
            counts.total = self.plans.len();
            return counts;
        }
        let masks = Masks::of(q);
        for (i, f) in self.facts.iter().enumerate() {
            let v = Self::verdict(f, q, &masks);
            // A plan refused by two faceted filters counts nowhere.
            let misses = v.misses();
            if misses > 1 || (misses == 1 && !q.facets.any()) || !self.passes_the_rest(i, f, q) {
                continue;
            }
            if misses == 0 {
                counts.total += 1;
            }
            if v.bedrooms
                && v.price
                && let Some(n) = counts.style.as_mut().and_then(|c| c.get_mut(f.style))
            {
                *n += 1;
            }
            if v.style
                && v.price
                && let Some(n) = counts
                    .bedrooms
                    .as_mut()
                    .and_then(|c| c.get_mut(usize::from(f.bedrooms)))
            {
                *n += 1;
            }
            if v.style
                && v.bedrooms
                && let Some(n) = counts.price_band.as_mut().and_then(|c| c.get_mut(f.band))
            {
                *n += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{
        FormatKind, NewFormat, NewPlan, PlanSpecs, RawProductQuery, Slug, Style,
    };
    use crate::money::{Currency, Money};
    use chrono::{Duration, Utc};

    fn plan(i: u32, bedrooms: u8, price: i64, published: bool) -> Plan {
        NewPlan {
            slug: Slug::parse(&format!("plan-{i}")).unwrap(),
            title: format!("Plan {i} Évolutif"),
            description: if i.is_multiple_of(2) {
                "plein-pied".into()
            } else {
                "à étage".into()
            },
            style: if i.is_multiple_of(3) {
                Style::Modern
            } else {
                Style::Bungalow
            },
            specs: PlanSpecs {
                living_area_m2: 80 + i,
                bedrooms,
                bathrooms: 1,
                levels: 1,
                garage_spaces: 0,
                lot_width_cm: 1000,
                lot_depth_cm: 2000,
            },
            images: vec![],
            formats: vec![NewFormat {
                kind: FormatKind::Pdf,
                sku: format!("SKU-{i}"),
                price: Money::new(price, Currency::EUR).unwrap(),
            }],
            published,
        }
        .into_plan(Utc::now() + Duration::seconds(i64::from(i)))
        .unwrap()
    }

    fn query(pairs: &[(&str, &str)]) -> ProductQuery {
        ProductQuery::parse(&RawProductQuery::from_pairs(pairs.iter().copied()).unwrap()).unwrap()
    }

    fn index() -> CatalogueIndex {
        // Prices repeat so that pagination must break ties by id.
        CatalogueIndex::new(
            (0..30)
                .map(|i| plan(i, (i % 4) as u8 + 1, i64::from(i % 5) * 1000, i != 7))
                .collect(),
        )
    }

    /// Plans of four styles, four bedroom counts and five price bands.
    fn varied() -> CatalogueIndex {
        CatalogueIndex::new(
            (0..40)
                .map(|i| {
                    let mut p = plan(i, (i % 4) as u8 + 1, i64::from(i % 5) * 40_000, i != 7);
                    p.style = Style::ALL[(i % 4) as usize];
                    p
                })
                .collect(),
        )
    }

    /// Every plan `q` matches, walking the pages.
    fn all_matches(idx: &CatalogueIndex, pairs: &[(&str, &str)]) -> usize {
        let mut pairs = pairs.to_vec();
        pairs.push(("limit", "100"));
        idx.search(&query(&pairs)).items.len()
    }

    #[test]
    fn total_counts_every_match_whatever_the_page() {
        let idx = varied();
        let q = query(&[("bedrooms", "2"), ("bedrooms", "3"), ("limit", "3")]);
        assert_eq!(idx.search(&q).items.len(), 3);
        assert_eq!(idx.count(&q).total, 20);
        assert_eq!(idx.count(&query(&[])).total, 39);
        let first = idx.search(&q);
        let next = query(&[
            ("bedrooms", "3"),
            ("bedrooms", "2"),
            ("limit", "3"),
            ("cursor", first.next_cursor.as_deref().unwrap()),
        ]);
        assert_eq!(
            idx.count(&next).total,
            20,
            "the cursor does not change the total"
        );
        assert_eq!(idx.count(&q).styles().map(Iterator::count), None);
    }

    #[test]
    fn multi_valued_filters_match_any_of_their_values() {
        let idx = varied();
        let page = idx.search(&query(&[
            ("style", "contemporary"),
            ("style", "bungalow"),
            ("bedrooms", "1"),
            ("bedrooms", "3"),
            ("limit", "100"),
        ]));
        assert!(!page.items.is_empty());
        for p in &page.items {
            assert!([Style::Contemporary, Style::Bungalow].contains(&p.style));
            assert!([1, 3].contains(&p.specs.bedrooms));
        }
        assert_eq!(
            page.items.len(),
            all_matches(&idx, &[("style", "contemporary"), ("bedrooms", "1")])
                + all_matches(&idx, &[("style", "contemporary"), ("bedrooms", "3")])
                + all_matches(&idx, &[("style", "bungalow"), ("bedrooms", "1")])
                + all_matches(&idx, &[("style", "bungalow"), ("bedrooms", "3")])
        );
    }

    #[test]
    fn each_facet_counts_the_plans_matching_the_other_filters() {
        let idx = varied();
        let q = query(&[
            ("style", "modern"),
            ("bedrooms", "2"),
            ("max_price", "100000"),
            ("facets", "true"),
        ]);
        let counts = idx.count(&q);
        let styles: Vec<(Style, u32)> = counts.styles().unwrap().collect();
        // Ignoring the style filter: every style with 2 bedrooms under 1000 €.
        for (style, n) in &styles {
            let n = *n as usize;
            assert_eq!(
                n,
                all_matches(
                    &idx,
                    &[
                        ("style", style.as_str()),
                        ("bedrooms", "2"),
                        ("max_price", "100000")
                    ]
                ),
                "{style}"
            );
        }
        let bedrooms: Vec<(u8, u32)> = counts.bedrooms().unwrap().collect();
        assert!(bedrooms.windows(2).all(|w| w[0].0 < w[1].0), "{bedrooms:?}");
        let bands: Vec<(&str, u32)> = counts
            .price_bands()
            .unwrap()
            .map(|(b, n)| (b.key, n))
            .collect();
        let total_in_bands: u32 = bands.iter().map(|(_, n)| n).sum();
        assert_eq!(
            total_in_bands as usize,
            all_matches(&idx, &[("style", "modern"), ("bedrooms", "2")])
        );
        assert!(
            bands.iter().all(|(_, n)| *n > 0),
            "empty values are left out"
        );
    }

    proptest::proptest! {
        #[test]
        fn counts_agree_with_searching_each_value(
            styles in proptest::collection::vec(0usize..4, 0..3),
            bedrooms in proptest::collection::vec(1u8..=4, 0..3),
            max_price in proptest::option::of(0i64..200_000),
            word in proptest::sample::select(vec!["", "plein", "etage", "evolutif"]),
        ) {
            let idx = varied();
            let max_price = max_price.map(|p| p.to_string());
            let bedroom_text: Vec<String> = bedrooms.iter().map(u8::to_string).collect();
            let mut filters: Vec<(&str, &str)> = vec![("q", word)];
            filters.extend(styles.iter().map(|s| ("style", Style::ALL[*s].as_str())));
            filters.extend(bedroom_text.iter().map(|b| ("bedrooms", b.as_str())));
            if let Some(p) = max_price.as_deref() {
                filters.push(("max_price", p));
            }
            let without = |name: &str| -> Vec<(&str, &str)> {
                filters.iter().copied().filter(|(k, _)| *k != name).collect()
            };
            let mut faceted = filters.clone();
            faceted.push(("facets", "true"));
            let counts = idx.count(&query(&faceted));
            proptest::prop_assert_eq!(counts.total, all_matches(&idx, &filters));
            for style in Style::ALL {
                let mut pairs = without("style");
                pairs.push(("style", style.as_str()));
                let expected = all_matches(&idx, &pairs);
                let got = counts.styles().unwrap().find(|(s, _)| s == style).map_or(0, |(_, n)| n as usize);
                proptest::prop_assert_eq!(got, expected, "{}", style);
            }
            for b in 0u8..=20 {
                let text = b.to_string();
                let mut pairs = without("bedrooms");
                pairs.push(("bedrooms", text.as_str()));
                let expected = all_matches(&idx, &pairs);
                let got = counts.bedrooms().unwrap().find(|(n, _)| *n == b).map_or(0, |(_, n)| n as usize);
                proptest::prop_assert_eq!(got, expected, "{} bedrooms", b);
            }
            let in_bands: usize = counts.price_bands().unwrap().map(|(_, n)| n as usize).sum();
            proptest::prop_assert_eq!(in_bands, all_matches(&idx, &without("max_price")));
            for band in PRICE_BANDS {
                let (min, max) = (band.min.to_string(), band.max.map(|m| (m - 1).to_string()));
                let mut pairs = without("max_price");
                pairs.push(("min_price", min.as_str()));
                if let Some(max) = max.as_deref() {
                    pairs.push(("max_price", max));
                }
                let expected = all_matches(&idx, &pairs);
                let got = counts.price_bands().unwrap().find(|(b, _)| b.key == band.key).map_or(0, |(_, n)| n as usize);
                proptest::prop_assert_eq!(got, expected, "{}", band.key);
            }
        }
    }

    #[test]
    fn unpublished_plans_are_invisible() {
        let idx = index();
        assert_eq!(idx.len(), 29);
        assert!(idx.get("plan-7").is_none());
        assert!(idx.get("plan-8").is_some());
    }

    #[test]
    fn filters_and_price_sort_combine() {
        let idx = index();
        let page = idx.search(&query(&[("bedrooms", "3"), ("sort", "price")]));
        assert!(page.items.iter().all(|p| p.specs.bedrooms == 3));
        let prices: Vec<_> = page
            .items
            .iter()
            .map(|p| p.from_price().unwrap().amount_minor())
            .collect();
        assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    }

    #[test]
    fn text_search_ignores_case_and_accents() {
        let idx = index();
        let page = idx.search(&query(&[("q", "PLEIN pied evolutif"), ("limit", "100")]));
        assert_eq!(page.items.len(), 15);
        assert!(page.items.iter().all(|p| p.description == "plein-pied"));
    }

    #[test]
    fn walking_the_cursors_visits_every_plan_once_in_both_directions() {
        let idx = index();
        for order in ["asc", "desc"] {
            for sort in ["price", "surface", "newest"] {
                let mut seen = vec![];
                let mut cursor: Option<String> = None;
                loop {
                    let mut pairs = vec![("sort", sort), ("order", order), ("limit", "4")];
                    if let Some(c) = cursor.as_deref() {
                        pairs.push(("cursor", c));
                    }
                    let page = idx.search(&query(&pairs));
                    seen.extend(page.items.iter().map(|p| p.id));
                    match page.next_cursor {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
                let mut unique = seen.clone();
                unique.sort();
                unique.dedup();
                assert_eq!((seen.len(), unique.len()), (29, 29), "{sort} {order}");
            }
        }
    }
}
