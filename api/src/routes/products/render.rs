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
use domain::catalogue::{CatalogueView, Counts, Plan, ProductQuery, RawProductQuery};
use domain::ids::ProductId;
use domain::pagination::Page;
use sha2::{Digest as _, Sha256};

use super::dto::{Product, ProductSummary};

/// A plan's detail JSON and the opaque part of its entity tag.
pub struct Detail {
    /// The `Product` JSON.
    pub json: String,
    /// The opaque part of its entity tag: it changes when the JSON does.
    pub tag: String,
}

impl Detail {
    fn of(plan: &Plan) -> Self {
        let json = serde_json::to_string(&Product::from(plan)).unwrap_or_default();
        let tag = tag_of(&[json.as_bytes()]);
        Self { json, tag }
    }
}

/// Detail answers kept per view (lists need only summaries, so details
/// are rendered when first asked for).
const DETAILS_KEPT: usize = 4096;

/// The JSON of a set of plans, each plan's hash, and the XOR of them: a
/// digest of the set that does not depend on how it was split, so every
/// instance derives the same tags from the same catalogue.
struct Fragments {
    summaries: HashMap<ProductId, String>,
    hashes: HashMap<ProductId, [u8; 32]>,
    xor: [u8; 32],
}

fn xor_into(acc: &mut [u8; 32], h: &[u8; 32]) {
    acc.iter_mut().zip(h).for_each(|(a, b)| *a ^= b);
}

impl Fragments {
    fn of<'a>(plans: impl Iterator<Item = &'a Plan>) -> Self {
        let mut summaries = HashMap::new();
        let mut hashes = HashMap::new();
        let mut xor = [0u8; 32];
        for plan in plans {
            let summary = serde_json::to_string(&ProductSummary::from(plan)).unwrap_or_default();
            // The detail JSON counts in the digest but is not kept.
            let detail = serde_json::to_string(&Product::from(plan)).unwrap_or_default();
            let mut h = Sha256::new();
            h.update(plan.id.as_uuid().as_bytes());
            for part in [summary.as_str(), detail.as_str()] {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part.as_bytes());
            }
            let h: [u8; 32] = h.finalize().into();
            xor_into(&mut xor, &h);
            hashes.insert(plan.id, h);
            summaries.insert(plan.id, summary);
        }
        Self {
            summaries,
            hashes,
            xor,
        }
    }
}

/// JSON of every plan of one catalogue view: the base index's fragments,
/// shared by every view of that base, and those of the plans changed since.
pub struct Rendered {
    index: Arc<CatalogueView>,
    base: Arc<Fragments>,
    changed: Fragments,
    digest: [u8; 32],
    /// List answers already assembled for this view, by canonical query:
    /// shop fronts ask the same searches again and again.
    pages: std::sync::Mutex<HashMap<String, Arc<str>>>,
    details: std::sync::Mutex<HashMap<ProductId, Arc<Detail>>>,
}

/// List answers kept per view; past it the cache starts afresh.
const PAGES_KEPT: usize = 1024;

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
    /// Renders `index`, reusing `base` when it is the rendering of the
    /// view's base index: only the changed plans are rendered then.
    fn new(index: Arc<CatalogueView>, base: Option<Arc<Fragments>>) -> Self {
        let base = base.unwrap_or_else(|| Arc::new(Fragments::of(index.base().plans())));
        let changed = Fragments::of(index.changed());
        let mut rendered = Self {
            index,
            base,
            changed,
            digest: [0; 32],
            pages: std::sync::Mutex::new(HashMap::new()),
            details: std::sync::Mutex::new(HashMap::new()),
        };
        rendered.digest = rendered.digest();
        rendered
    }

    /// The digest of every published plan's fragments (the base's, less the
    /// plans hidden since, plus the changed ones: the same whatever the
    /// split) and of the first page with every facet as lists render it.
    fn digest(&self) -> [u8; 32] {
        let mut plans = self.base.xor;
        for id in self.index.hidden() {
            if let Some(hash) = self.base.hashes.get(id) {
                xor_into(&mut plans, hash);
            }
        }
        xor_into(&mut plans, &self.changed.xor);
        let mut h = Sha256::new();
        h.update(plans);
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

    /// The catalogue these fragments were rendered from.
    #[must_use]
    pub fn index(&self) -> &CatalogueView {
        &self.index
    }

    /// A plan's list JSON.
    #[must_use]
    pub fn summary(&self, id: ProductId) -> &str {
        self.changed
            .summaries
            .get(&id)
            .or_else(|| self.base.summaries.get(&id))
            .map_or("null", String::as_str)
    }

    /// A plan's detail JSON and its tag, rendered when first asked for on
    /// this view.
    #[must_use]
    pub fn detail(&self, plan: &Plan) -> Arc<Detail> {
        if let Some(d) = self
            .details
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&plan.id)
        {
            return Arc::clone(d);
        }
        let detail = Arc::new(Detail::of(plan));
        let mut details = self.details.lock().unwrap_or_else(PoisonError::into_inner);
        if details.len() >= DETAILS_KEPT {
            details.clear();
        }
        details.insert(plan.id, Arc::clone(&detail));
        detail
    }

    /// The opaque part of the entity tag of a list answer: the digest of
    /// this rendering and the query's canonical text.
    #[must_use]
    pub fn list_tag(&self, query: &ProductQuery) -> String {
        tag_of(&[&self.digest, query.canonical().as_bytes()])
    }

    /// The `ProductPage` JSON answering `query` on this view, assembled once
    /// and then reused until the catalogue changes.
    #[must_use]
    pub fn answer(&self, query: &ProductQuery) -> Arc<str> {
        let key = query.canonical();
        if let Some(page) = self
            .pages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Arc::clone(page);
        }
        let (page, counts) = self.index.search_and_count(query);
        let body: Arc<str> = Arc::from(self.page(&page, &counts));
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        if pages.len() >= PAGES_KEPT {
            pages.clear();
        }
        pages.insert(key, Arc::clone(&body));
        body
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
    /// The rendering of `index`: the current one, or a new one that renders
    /// only the plans changed since the base when the base is the same.
    pub fn get(&self, index: Arc<CatalogueView>) -> Arc<Rendered> {
        let mut base = None;
        if let Some(r) = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            if Arc::ptr_eq(&r.index, &index) {
                return Arc::clone(r);
            }
            if Arc::ptr_eq(r.index.base(), index.base()) {
                base = Some(Arc::clone(&r.base));
            }
        }
        let rendered = Arc::new(Rendered::new(index, base));
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
        Rendered::new(Arc::new(CatalogueView::new(plans)), None)
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
    fn a_rendering_of_changes_tags_like_a_fresh_rendering_of_the_result() {
        let base = vec![
            plan(1, Style::Modern),
            plan(2, Style::Chalet),
            plan(3, Style::Modern),
        ];
        let view = Arc::new(CatalogueView::new(base.clone()));
        let first = Rendered::new(Arc::clone(&view), None);
        let mut changed = base[1].clone();
        changed.title = "Chalet rénové".into();
        let added = plan(4, Style::Chalet);
        let next = Arc::new(view.with_changes(vec![
            (changed.id, Some(changed.clone())),
            (base[2].id, None),
            (added.id, Some(added.clone())),
        ]));
        let incremental = Rendered::new(Arc::clone(&next), Some(Arc::clone(&first.base)));
        let fresh = rendered(vec![base[0].clone(), changed.clone(), added.clone()]);
        let q = query(&[("facets", "true")]);
        assert_eq!(incremental.list_tag(&q), fresh.list_tag(&q));
        assert_ne!(incremental.list_tag(&q), first.list_tag(&q));
        assert_eq!(
            incremental.detail(&changed).json,
            fresh.detail(&changed).json
        );
        assert_eq!(incremental.detail(&base[0]).tag, fresh.detail(&base[0]).tag);
        assert_eq!(
            incremental.page(&next.search(&q), &next.count(&q)),
            fresh.page(&fresh.index().search(&q), &fresh.index().count(&q))
        );
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
        let before: Vec<Plan> = a.index().plans().cloned().collect();
        let tag = |r: &Rendered, p: &Plan| r.detail(p).tag.clone();
        assert_ne!(tag(&a, &before[0]), tag(&b, &changed[0]));
        assert_eq!(tag(&a, &before[1]), tag(&b, &changed[1]));
        assert!(!tag(&a, &before[1]).is_empty());
    }
}
