//! The public catalogue as an in-memory index.
//!
//! A shop has hundreds or a few thousand plans and reads them far more often
//! than it changes them, so the published catalogue is held in memory,
//! pre-sorted by each sort key, and searched without touching the database.
//! Search is the same on every database engine (no collation surprises).

use std::collections::HashMap;

use crate::ids::ProductId;
use crate::pagination::Page;
use crate::text::fold;

use super::plan::Plan;
use super::query::{Order, ProductQuery, SortKey};

/// The published catalogue, ready to be searched.
#[derive(Debug, Default)]
pub struct CatalogueIndex {
    plans: Vec<Plan>,
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

impl CatalogueIndex {
    /// Indexes the published plans among `plans`.
    #[must_use]
    pub fn new(plans: Vec<Plan>) -> Self {
        let plans: Vec<Plan> = plans.into_iter().filter(|p| p.published).collect();
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

    fn matches(&self, i: usize, q: &ProductQuery) -> bool {
        let plan = &self.plans[i];
        let specs = &plan.specs;
        let price = key(plan, SortKey::Price);
        q.style.is_none_or(|s| plan.style == s)
            && q.bedrooms.is_none_or(|b| specs.bedrooms == b)
            && q.min_surface.is_none_or(|m| specs.living_area_m2 >= m)
            && q.max_surface.is_none_or(|m| specs.living_area_m2 <= m)
            && q.min_price.is_none_or(|m| price >= m)
            && q.max_price.is_none_or(|m| price <= m)
            && q.words.iter().all(|w| self.folded[i].contains(w.as_str()))
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
        let mut items: Vec<&Plan> = candidates
            .filter(|i| self.matches(**i, q))
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
        ProductQuery::parse(&RawProductQuery::from_pairs(pairs)).unwrap()
    }

    fn index() -> CatalogueIndex {
        // Prices repeat so that pagination must break ties by id.
        CatalogueIndex::new(
            (0..30)
                .map(|i| plan(i, (i % 4) as u8 + 1, i64::from(i % 5) * 1000, i != 7))
                .collect(),
        )
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
