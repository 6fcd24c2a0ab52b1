//! Pre-rendered JSON of the published catalogue.
//!
//! The catalogue changes rarely and is read constantly, so each plan's list
//! and detail JSON is serialised once per catalogue revision; a list
//! response is then a concatenation of ready fragments. Each rendering also
//! has a digest, of every fragment and of a page rendered by the same code,
//! from which entity tags are derived: a change of the catalogue, or a release
//! that renders it differently, changes every tag.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::catalogue::{CatalogueIndex, Counts, Plan, ProductQuery, RawProductQuery};
use domain::ids::ProductId;
use domain::pagination::Page;
use sha2::{Digest as _, Sha256};

use super::dto::{Product, ProductSummary};

/// A plan's detail JSON and the opaque part of its entity tag.
struct Detail {
    json: String,
    tag: String,
}

/// JSON of every plan of one index.
pub struct Rendered {
    index: Arc<CatalogueIndex>,
    summaries: HashMap<ProductId, String>,
    details: HashMap<ProductId, Detail>,
    digest: [u8; 32],
}

/// 128 bits of a SHA-256, URL-safe: the opaque part of a strong entity tag.
fn tag_of(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        // Length-prefixed, so that no two different part lists hash alike.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    URL_SAFE_NO_PAD.encode(&h.finalize()[..16])
}

impl Rendered {
    fn new(index: Arc<CatalogueIndex>) -> Self {
        let mut summaries = HashMap::with_capacity(index.len());
        let mut details = HashMap::with_capacity(index.len());
        for plan in index.plans() {
            summaries.insert(
                plan.id,
                serde_json::to_string(&ProductSummary::from(plan)).unwrap_or_default(),
            );
            let json = serde_json::to_string(&Product::from(plan)).unwrap_or_default();
            let tag = tag_of(&[json.as_bytes()]);
            details.insert(plan.id, Detail { json, tag });
        }
        let mut rendered = Self {
            index,
            summaries,
            details,
            digest: [0; 32],
        };
        rendered.digest = rendered.digest();
        rendered
    }

    /// The digest of every fragment, in id order (the same on every
    /// instance), and of the first page with every facet, as lists render it.
    fn digest(&self) -> [u8; 32] {
        let mut ids: Vec<ProductId> = self.summaries.keys().copied().collect();
        ids.sort_unstable();
        let mut h = Sha256::new();
        for id in ids {
            for part in [self.summary(id), self.detail(id)] {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part.as_bytes());
            }
        }
        let sample = RawProductQuery {
            facets: Some("true".into()),
            limit: Some("2".into()),
            ..RawProductQuery::default()
        };
        if let Ok(q) = ProductQuery::parse(&sample) {
            let (page, counts) = self.index.search_and_count(&q);
            h.update(self.page(&page, &counts).as_bytes());
        }
        h.finalize().into()
    }

    /// The index these fragments were rendered from.
    #[must_use]
    pub fn index(&self) -> &CatalogueIndex {
        &self.index
    }

    /// A plan's list JSON.
    #[must_use]
    pub fn summary(&self, id: ProductId) -> &str {
        self.summaries.get(&id).map_or("null", String::as_str)
    }

    /// A plan's detail JSON.
    #[must_use]
    pub fn detail(&self, id: ProductId) -> &str {
        self.details.get(&id).map_or("null", |d| d.json.as_str())
    }

    /// The opaque part of the entity tag of a plan's detail JSON: it changes
    /// when that JSON does, and only then.
    #[must_use]
    pub fn detail_tag(&self, id: ProductId) -> &str {
        self.details.get(&id).map_or("", |d| d.tag.as_str())
    }

    /// The opaque part of the entity tag of a list answer: the digest of
    /// this rendering and the query's canonical text.
    #[must_use]
    pub fn list_tag(&self, query: &ProductQuery) -> String {
        tag_of(&[&self.digest, query.canonical().as_bytes()])
    }

    /// The `ProductPage` JSON of a page and its counts, assembled from the
    /// pre-rendered items.
    #[must_use]
    pub fn page(&self, page: &Page<&Plan>, counts: &Counts) -> String {
        let mut body = String::with_capacity(160 + page.items.len() * 512);
        body.push_str("{\"items\":[");
        for (i, plan) in page.items.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(self.summary(plan.id));
        }
        body.push_str("],\"next_cursor\":");
        match &page.next_cursor {
            Some(c) => body.push_str(&serde_json::to_string(c).unwrap_or_else(|_| "null".into())),
            None => body.push_str("null"),
        }
        let _ = write!(body, ",\"total\":{}", counts.total);
        // Facet keys are style names, numbers and band names: never escaped.
        let mut facets = Vec::with_capacity(3);
        if let Some(styles) = counts.styles() {
            facets.push(("style", object(styles.map(|(s, n)| (s.as_str(), n)))));
        }
        if let Some(bedrooms) = counts.bedrooms() {
            facets.push(("bedrooms", object(bedrooms)));
        }
        if let Some(bands) = counts.price_bands() {
            facets.push(("price_band", object(bands.map(|(b, n)| (b.key, n)))));
        }
        if !facets.is_empty() {
            body.push_str(",\"facets\":");
            body.push_str(&object(facets.iter().map(|(k, v)| (*k, Raw(v)))));
        }
        body.push('}');
        body
    }
}

/// JSON text written as is.
struct Raw<'a>(&'a str);

impl std::fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A JSON object of keys that need no escaping and values written as JSON.
fn object<K: std::fmt::Display, V: std::fmt::Display>(
    entries: impl Iterator<Item = (K, V)>,
) -> String {
    let mut out = String::with_capacity(64);
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        let _ = write!(out, "{}\"{k}\":{v}", if i == 0 { "" } else { "," });
    }
    out.push('}');
    out
}

/// The rendering of the current index, rebuilt when the index changes.
#[derive(Default)]
pub struct RenderCache {
    current: RwLock<Option<Arc<Rendered>>>,
}

impl RenderCache {
    /// The rendering of `index`.
    pub fn get(&self, index: Arc<CatalogueIndex>) -> Arc<Rendered> {
        if let Some(r) = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && Arc::ptr_eq(&r.index, &index)
        {
            return Arc::clone(r);
        }
        let rendered = Arc::new(Rendered::new(index));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&rendered));
        rendered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::catalogue::{FormatKind, NewFormat, NewPlan, PlanSpecs, Slug, Style};
    use domain::money::{Currency, Money};

    fn plan(i: u32, style: Style) -> Plan {
        NewPlan {
            slug: Slug::parse(&format!("plan-{i}")).unwrap(),
            title: format!("Plan {i}"),
            description: "Maison \"plein-pied\"".into(),
            style,
            specs: PlanSpecs {
                living_area_m2: 80 + i,
                bedrooms: 2 + u8::try_from(i % 2).unwrap(),
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
                price: Money::new(40_000 + i64::from(i) * 20_000, Currency::EUR).unwrap(),
            }],
            published: true,
        }
        .into_plan(chrono::Utc::now())
        .unwrap()
    }

    fn rendered(plans: Vec<Plan>) -> Rendered {
        Rendered::new(Arc::new(CatalogueIndex::new(plans)))
    }

    fn query(pairs: &[(&str, &str)]) -> ProductQuery {
        ProductQuery::parse(&RawProductQuery::from_pairs(pairs.iter().copied()).unwrap()).unwrap()
    }

    #[test]
    fn a_page_is_valid_json_with_its_total_and_the_facets_asked_for() {
        let r = rendered(vec![
            plan(1, Style::Modern),
            plan(2, Style::Chalet),
            plan(3, Style::Modern),
        ]);
        let q = query(&[("limit", "1"), ("facets", "style,price_band")]);
        let body: serde_json::Value =
            serde_json::from_str(&r.page(&r.index().search(&q), &r.index().count(&q))).unwrap();
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        assert!(body["next_cursor"].is_string());
        assert_eq!(body["total"], 3);
        assert_eq!(
            body["facets"],
            serde_json::json!({
                "style": {"modern": 2, "chalet": 1},
                "price_band": {"50000-75000": 1, "75000-100000": 1, "100000-150000": 1}
            })
        );
        let q = query(&[]);
        let body: serde_json::Value =
            serde_json::from_str(&r.page(&r.index().search(&q), &r.index().count(&q))).unwrap();
        assert!(body.get("facets").is_none(), "{body}");
        assert!(body["next_cursor"].is_null());
    }

    #[test]
    fn tags_change_with_the_catalogue_and_the_query_only() {
        let a = rendered(vec![plan(1, Style::Modern), plan(2, Style::Chalet)]);
        let mut reversed: Vec<Plan> = a.index().plans().cloned().collect();
        reversed.reverse();
        let same = rendered(reversed);
        let q = query(&[("style", "modern"), ("style", "chalet")]);
        let respelled = query(&[("style", "chalet"), ("style", "modern"), ("sort", "newest")]);
        assert_eq!(a.list_tag(&q), same.list_tag(&respelled));
        assert_ne!(a.list_tag(&q), a.list_tag(&query(&[("style", "modern")])));
        let mut changed: Vec<Plan> = a.index().plans().cloned().collect();
        changed[0].title.push_str(" bis");
        let b = rendered(changed.clone());
        assert_ne!(a.list_tag(&q), b.list_tag(&q));
        // A plan's detail tag follows that plan alone.
        let (edited, other) = (changed[0].id, changed[1].id);
        assert_ne!(a.detail_tag(edited), b.detail_tag(edited));
        assert_eq!(a.detail_tag(other), b.detail_tag(other));
        assert!(!a.detail_tag(other).is_empty());
    }
}
