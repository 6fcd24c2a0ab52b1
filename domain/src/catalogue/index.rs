//! The public catalogue as an in-memory index.
//!
//! A shop has hundreds or a few thousand plans and reads them far more often
//! than it changes them, so the published catalogue is held in memory,
//! pre-sorted by each sort key, and searched without touching the database.
//! Search is the same on every database engine (no collation surprises).
//! Counting the matches and the facets is one scan of packed per-plan facts,
//! with no allocation. Search words are looked up in a trigram index first,
//! so a text search only visits the plans that may contain its words.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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

/// A trigram (three consecutive `char`s of folded text) packed in a number:
/// 21 bits a `char`.
fn pack(c: [char; 3]) -> u64 {
    (u64::from(c[0]) << 42) | (u64::from(c[1]) << 21) | u64::from(c[2])
}

/// The trigrams of a folded text, by `char`, with repeats, in order. Windows
/// holding a space are left out: search words never hold one (they are split
/// on spaces), so they would never be looked up.
fn trigrams(text: &str) -> impl Iterator<Item = u64> {
    let mut window = [' '; 3];
    text.chars().enumerate().filter_map(move |(n, c)| {
        window = [window[1], window[2], c];
        (n >= 2 && !window.contains(&' ')).then(|| pack(window))
    })
}

/// The distinct trigrams of a folded text, sorted.
fn distinct_trigrams(text: &str) -> Vec<u64> {
    let mut all: Vec<u64> = trigrams(text).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Which plans hold each trigram of their folded text.
///
/// A word of three or more characters can only be found (as a substring) in
/// a text holding every one of its trigrams, so intersecting their plan
/// lists gives every plan that may contain it, and usually few others.
///
/// Cost: one `u32` (4 bytes) per distinct trigram of each plan's folded
/// title and description, at most one per character (a 300-character
/// description: at most ~1.2 KB a plan, less with repeated words), in one
/// flat vector; plus 12 bytes per distinct trigram of the whole catalogue
/// (key and offset), shared by every plan and bounded by its vocabulary.
#[derive(Debug, Default)]
struct Trigrams {
    /// Every trigram of the catalogue, ascending.
    keys: Vec<u64>,
    /// `postings[starts[k]..starts[k + 1]]` are the plans holding `keys[k]`,
    /// by ascending position.
    starts: Vec<u32>,
    postings: Vec<u32>,
}

impl Trigrams {
    /// Indexes `folded` texts; `None` when their positions do not fit a `u32`.
    fn new(folded: &[String]) -> Option<Self> {
        u32::try_from(folded.len()).ok()?;
        // Two passes, so that the postings are allocated once, at their size.
        let mut slots: HashMap<u64, u32> = HashMap::new();
        for text in folded {
            for t in distinct_trigrams(text) {
                *slots.entry(t).or_default() += 1;
            }
        }
        let mut keys: Vec<u64> = slots.keys().copied().collect();
        keys.sort_unstable();
        let mut starts = Vec::with_capacity(keys.len() + 1);
        let mut end = 0u32;
        starts.push(end);
        for (k, key) in keys.iter().enumerate() {
            let slot = slots.get_mut(key)?;
            end = end.checked_add(*slot)?;
            starts.push(end);
            *slot = u32::try_from(k).ok()?;
        }
        let mut next: Vec<u32> = starts[..keys.len()].to_vec();
        let mut postings = vec![0u32; usize::try_from(end).ok()?];
        for (i, text) in (0u32..).zip(folded) {
            for t in distinct_trigrams(text) {
                let at = next.get_mut(usize::try_from(*slots.get(&t)?).ok()?)?;
                *postings.get_mut(usize::try_from(*at).ok()?)? = i;
                *at += 1;
            }
        }
        Some(Self {
            keys,
            starts,
            postings,
        })
    }

    /// The plans holding trigram `t`, ascending.
    fn plans(&self, t: u64) -> &[u32] {
        let Ok(k) = self.keys.binary_search(&t) else {
            return &[];
        };
        let range = |k: usize| self.starts.get(k).map_or(0, |s| *s as usize);
        self.postings
            .get(range(k)..range(k + 1))
            .unwrap_or_default()
    }

    /// Plans that may contain all of `words` (a superset of those that do),
    /// ascending: the intersection of the plan lists of their trigrams,
    /// shortest first. `None` for every plan: when no word has a trigram
    /// (every word shorter than three characters), or when even the
    /// shortest list is too long ([`Tuning`]).
    fn candidates(&self, words: &[String], tuning: &Tuning) -> Option<Vec<u32>> {
        let mut wanted: Vec<u64> = words.iter().flat_map(|w| trigrams(w)).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut lists: Vec<&[u32]> = wanted.into_iter().map(|t| self.plans(t)).collect();
        lists.sort_by_key(|l| l.len());
        let (first, rest) = lists.split_first()?;
        if first.len() > tuning.dense {
            return None;
        }
        let mut out = first.to_vec();
        for list in rest {
            if out.len() <= tuning.check {
                break;
            }
            intersect(&mut out, list);
        }
        Some(out)
    }
}

/// Keeps in `out` the plans also in `list`, both ascending.
fn intersect(out: &mut Vec<u32>, list: &[u32]) {
    let mut from = 0;
    if list.len() / 16 > out.len() {
        // A much longer list: each plan is searched for after the previous.
        out.retain(|p| {
            from += list.get(from..).map_or(0, |l| l.partition_point(|x| x < p));
            list.get(from) == Some(p)
        });
    } else {
        out.retain(|p| {
            while list.get(from).is_some_and(|x| x < p) {
                from += 1;
            }
            list.get(from) == Some(p)
        });
    }
}

/// When the trigram index is worth using. Only speed depends on these: the
/// candidates are always a superset of the matches, which are then checked.
#[derive(Debug, Default)]
struct Tuning {
    /// Above this many plans for the rarest trigram, every plan is checked
    /// instead: checking them all costs no more than intersecting such
    /// lists, and a page stops at its end (a quarter of the catalogue).
    dense: usize,
    /// At or below this many candidates, the remaining lists are not
    /// intersected: checking the candidates is cheaper.
    check: usize,
    /// At or below this many candidates, a search puts them in its order;
    /// above, it walks its whole order looking them up (an eighth of the
    /// catalogue).
    sort: usize,
}

impl Tuning {
    fn of(plans: usize) -> Self {
        Self {
            dense: plans / 4,
            check: 16,
            sort: plans / 8,
        }
    }
}

/// The published catalogue, ready to be searched.
#[derive(Debug, Default)]
pub struct CatalogueIndex {
    plans: Vec<Plan>,
    facts: Vec<Facts>,
    folded: Vec<String>,
    /// `None` only past `u32::MAX` plans: then every search scans them all.
    trigrams: Option<Trigrams>,
    tuning: Tuning,
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
    /// Adds the counts of other plans of the same query.
    fn add(&mut self, other: &Self) {
        fn sum<const N: usize>(a: &mut Option<[u32; N]>, b: &Option<[u32; N]>) {
            if let (Some(a), Some(b)) = (a.as_mut(), b.as_ref()) {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            }
        }
        self.total += other.total;
        sum(&mut self.style, &other.style);
        sum(&mut self.bedrooms, &other.bedrooms);
        sum(&mut self.price_band, &other.price_band);
    }

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
            .collect::<Vec<String>>();
        let trigrams = Trigrams::new(&folded);
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
            tuning: Tuning::of(plans.len()),
            plans,
            facts,
            folded,
            trigrams,
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

    /// Every plan that may contain all of `q`'s words (a superset of those
    /// that do, which [`Self::matches`] then checks), by ascending position;
    /// `None` for every plan.
    fn candidates(&self, q: &ProductQuery) -> Option<Vec<u32>> {
        self.trigrams.as_ref()?.candidates(&q.words, &self.tuning)
    }

    /// One page of the plans matching `q`, in its order.
    #[must_use]
    pub fn search(&self, q: &ProductQuery) -> Page<&Plan> {
        finish(q, self.search_raw(q, self.candidates(q).as_deref(), None))
    }

    /// How many plans match `q` (whatever its page), and its facets: each
    /// facet counts the plans matching every filter but its own, so a client
    /// can show how many plans each other choice would give.
    #[must_use]
    pub fn count(&self, q: &ProductQuery) -> Counts {
        self.count_among(q, self.candidates(q).as_deref(), None)
    }

    /// [`Self::search`] and [`Self::count`] of one query, looking its words
    /// up in the text index once.
    #[must_use]
    pub fn search_and_count(&self, q: &ProductQuery) -> (Page<&Plan>, Counts) {
        let candidates = self.candidates(q);
        (
            finish(q, self.search_raw(q, candidates.as_deref(), None)),
            self.count_among(q, candidates.as_deref(), None),
        )
    }

    /// The first `limit + 1` plans matching `q` after its cursor, in its
    /// order, leaving out the `hidden` ones.
    fn search_raw(
        &self,
        q: &ProductQuery,
        candidates: Option<&[u32]>,
        hidden: Option<&HashSet<ProductId>>,
    ) -> Vec<&Plan> {
        let full = match q.sort {
            SortKey::Price => &self.by_price,
            SortKey::Surface => &self.by_surface,
            SortKey::Newest => &self.by_created,
        };
        let position = |i: &usize| (key(&self.plans[*i], q.sort), self.plans[*i].id);
        // A few candidates are put in order; many are looked up while
        // walking the whole order, which stops at the page's end.
        let mut sorted: Vec<usize> = vec![];
        let mut many: Option<Vec<bool>> = None;
        let order: &[usize] = match candidates {
            None => full,
            Some(c) if c.len() > self.tuning.sort => {
                let mut member = vec![false; self.plans.len()];
                for &i in c {
                    if let Some(m) = member.get_mut(i as usize) {
                        *m = true;
                    }
                }
                many = Some(member);
                full
            }
            Some(c) => {
                sorted = c.iter().map(|&i| i as usize).collect();
                sorted.sort_unstable_by_key(|i| position(i));
                &sorted
            }
        };
        let candidate = |i: usize| many.as_ref().is_none_or(|m| m.get(i) == Some(&true));
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
        let visible = |i: usize| hidden.is_none_or(|h| !h.contains(&self.plans[i].id));
        candidates
            .filter(|i| candidate(**i) && visible(**i) && self.matches(**i, q, &masks))
            .take(limit + 1)
            .map(|i| &self.plans[*i])
            .collect()
    }

    fn count_among(
        &self,
        q: &ProductQuery,
        candidates: Option<&[u32]>,
        hidden: Option<&HashSet<ProductId>>,
    ) -> Counts {
        let mut counts = Counts {
            total: 0,
            style: q.facets.style.then_some([0; STYLES]),
            bedrooms: q.facets.bedrooms.then_some([0; BEDROOMS]),
            price_band: q.facets.price_band.then_some([0; PRICE_BANDS.len()]),
        };
        if !q.filters() && !q.facets.any() {
            counts.total = self.plans.len() - hidden.map_or(0, HashSet::len);
            return counts;
        }
        let masks = Masks::of(q);
        let positions: Box<dyn Iterator<Item = usize>> = match candidates {
            Some(c) => Box::new(c.iter().map(|i| *i as usize)),
            None => Box::new(0..self.facts.len()),
        };
        for i in positions {
            let Some(f) = self.facts.get(i) else {
                continue;
            };
            if hidden.is_some_and(|h| h.contains(&self.plans[i].id)) {
                continue;
            }
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

/// A page of the first `limit + 1` matches: the `limit` first, and the
/// cursor after the last of them when there were more.
fn finish<'a>(q: &ProductQuery, mut items: Vec<&'a Plan>) -> Page<&'a Plan> {
    let limit = q.limit.get();
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|p| q.cursor_after(key(p, q.sort), p.id))
    } else {
        None
    };
    Page { items, next_cursor }
}

/// Changes kept beside the base index before it is rebuilt.
pub const COMPACT_AFTER: usize = 256;

/// The published catalogue as a base index, shared and never changed, and
/// the changes since it was built: the base plans hidden (changed or gone)
/// and a small index of their new versions and of new plans. A write
/// changes only that plan's entries; a search merges both in order; past
/// [`COMPACT_AFTER`] changes the whole is rebuilt into a new base.
#[derive(Debug, Default)]
pub struct CatalogueView {
    base: Arc<CatalogueIndex>,
    hidden: HashSet<ProductId>,
    delta: CatalogueIndex,
}

impl CatalogueView {
    /// A view of the published plans among `plans`, all in its base.
    #[must_use]
    pub fn new(plans: Vec<Plan>) -> Self {
        Self {
            base: Arc::new(CatalogueIndex::new(plans)),
            hidden: HashSet::new(),
            delta: CatalogueIndex::default(),
        }
    }

    /// The base index (shared by the views made from this one).
    #[must_use]
    pub fn base(&self) -> &Arc<CatalogueIndex> {
        &self.base
    }

    /// Base plans hidden by changes.
    #[must_use]
    pub fn hidden(&self) -> &HashSet<ProductId> {
        &self.hidden
    }

    /// The plans changed since the base was built (their current version).
    pub fn changed(&self) -> impl Iterator<Item = &Plan> {
        self.delta.plans()
    }

    /// This view with plans changed: each id's new version (`None`, or an
    /// unpublished plan, when it left the catalogue). Costs the size of the
    /// changes, except when they pass [`COMPACT_AFTER`] and the base is rebuilt.
    #[must_use]
    pub fn with_changes(&self, changes: Vec<(ProductId, Option<Plan>)>) -> Self {
        let mut hidden = self.hidden.clone();
        let mut delta: Vec<Plan> = self.delta.plans().cloned().collect();
        for (id, plan) in changes {
            delta.retain(|p| p.id != id);
            if self.base.by_id.contains_key(&id) {
                hidden.insert(id);
            }
            if let Some(p) = plan.filter(|p| p.published) {
                delta.push(p);
            }
        }
        if hidden.len() + delta.len() > COMPACT_AFTER {
            let mut all: Vec<Plan> = self
                .base
                .plans()
                .filter(|p| !hidden.contains(&p.id))
                .cloned()
                .collect();
            all.extend(delta);
            return Self::new(all);
        }
        Self {
            base: Arc::clone(&self.base),
            hidden,
            delta: CatalogueIndex::new(delta),
        }
    }

    /// How many plans are published.
    #[must_use]
    pub fn len(&self) -> usize {
        self.base.len() - self.hidden.len() + self.delta.len()
    }

    /// Whether the catalogue is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every published plan, in no particular order.
    pub fn plans(&self) -> impl Iterator<Item = &Plan> {
        self.base
            .plans()
            .filter(|p| !self.hidden.contains(&p.id))
            .chain(self.delta.plans())
    }

    /// A published plan by id or slug.
    #[must_use]
    pub fn get(&self, id_or_slug: &str) -> Option<&Plan> {
        self.delta.get(id_or_slug).or_else(|| {
            self.base
                .get(id_or_slug)
                .filter(|p| !self.hidden.contains(&p.id))
        })
    }

    fn hidden_set(&self) -> Option<&HashSet<ProductId>> {
        (!self.hidden.is_empty()).then_some(&self.hidden)
    }

    fn search_with(&self, q: &ProductQuery, candidates: Option<&[u32]>) -> Page<&Plan> {
        let base = self.base.search_raw(q, candidates, self.hidden_set());
        if self.delta.is_empty() {
            return finish(q, base);
        }
        let delta = self
            .delta
            .search_raw(q, self.delta.candidates(q).as_deref(), None);
        // Both are in the query's order: merge them and keep the first ones.
        let position = |p: &Plan| (key(p, q.sort), p.id);
        let mut merged = Vec::with_capacity(base.len() + delta.len());
        let (mut a, mut b) = (base.into_iter().peekable(), delta.into_iter().peekable());
        while merged.len() <= q.limit.get() {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match q.order {
                    Order::Asc => position(x) <= position(y),
                    Order::Desc => position(x) >= position(y),
                },
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_a { a.next() } else { b.next() });
        }
        finish(q, merged)
    }

    fn count_with(&self, q: &ProductQuery, candidates: Option<&[u32]>) -> Counts {
        let mut counts = self.base.count_among(q, candidates, self.hidden_set());
        if !self.delta.is_empty() {
            counts.add(&self.delta.count(q));
        }
        counts
    }

    /// One page of the plans matching `q`, in its order.
    #[must_use]
    pub fn search(&self, q: &ProductQuery) -> Page<&Plan> {
        self.search_with(q, self.base.candidates(q).as_deref())
    }

    /// How many plans match `q`, and its facets (see [`CatalogueIndex::count`]).
    #[must_use]
    pub fn count(&self, q: &ProductQuery) -> Counts {
        self.count_with(q, self.base.candidates(q).as_deref())
    }

    /// [`Self::search`] and [`Self::count`], looking the words up once.
    #[must_use]
    pub fn search_and_count(&self, q: &ProductQuery) -> (Page<&Plan>, Counts) {
        let candidates = self.base.candidates(q);
        (
            self.search_with(q, candidates.as_deref()),
            self.count_with(q, candidates.as_deref()),
        )
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

    /// Today's search without the trigram index: every plan, in order.
    fn brute_search<'a>(idx: &'a CatalogueIndex, q: &ProductQuery) -> Page<&'a Plan> {
        let order = match q.sort {
            SortKey::Price => &idx.by_price,
            SortKey::Surface => &idx.by_surface,
            SortKey::Newest => &idx.by_created,
        };
        let position = |i: &usize| (key(&idx.plans[*i], q.sort), idx.plans[*i].id);
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
        let words = |i: usize| q.words.iter().all(|w| idx.folded[i].contains(w.as_str()));
        let mut items: Vec<&Plan> = candidates
            .filter(|i| idx.matches(**i, q, &masks) && words(**i))
            .take(limit + 1)
            .map(|i| &idx.plans[*i])
            .collect();
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|p| q.cursor_after(key(p, q.sort), p.id))
        } else {
            None
        };
        Page { items, next_cursor }
    }

    /// Today's count without the trigram index: every plan.
    fn brute_count(idx: &CatalogueIndex, q: &ProductQuery) -> Counts {
        let mut counts = Counts {
            total: 0,
            style: q.facets.style.then_some([0; STYLES]),
            bedrooms: q.facets.bedrooms.then_some([0; BEDROOMS]),
            price_band: q.facets.price_band.then_some([0; PRICE_BANDS.len()]),
        };
        let masks = Masks::of(q);
        for (i, f) in idx.facts.iter().enumerate() {
            let v = CatalogueIndex::verdict(f, q, &masks);
            let misses = v.misses();
            if misses > 1 || (misses == 1 && !q.facets.any()) || !idx.passes_the_rest(i, f, q) {
                continue;
            }
            if misses == 0 {
                counts.total += 1;
            }
            if v.bedrooms
                && v.price
                && let Some(c) = counts.style.as_mut()
            {
                c[f.style] += 1;
            }
            if v.style
                && v.price
                && let Some(c) = counts.bedrooms.as_mut()
            {
                c[usize::from(f.bedrooms)] += 1;
            }
            if v.style
                && v.bedrooms
                && let Some(c) = counts.price_band.as_mut()
            {
                c[f.band] += 1;
            }
        }
        counts
    }

    /// Words of titles and descriptions, with accents, case and punctuation.
    const VOCABULARY: [&str; 16] = [
        "Maison",
        "MAÏSON",
        "maisonnette",
        "bois",
        "Boîs",
        "étage",
        "ÉTAGÉ",
        "plein-pied",
        "Chalet",
        "château",
        "Évolutif",
        "garage",
        "İstanbul",
        "Straße",
        "l'été",
        "Œuvre",
    ];

    fn text(words: &[usize], separators: &[usize]) -> String {
        let mut out = String::new();
        for (n, w) in words.iter().enumerate() {
            if n > 0 {
                out.push_str([" ", "-", ", ", "  "][separators.get(n).copied().unwrap_or(0) % 4]);
            }
            out.push_str(VOCABULARY[w % VOCABULARY.len()]);
        }
        out
    }

    /// A search word: part of a vocabulary word (1 to 5 characters, as
    /// written) or random letters.
    fn search_word(choice: (usize, usize, usize, String, bool)) -> String {
        let (word, start, len, random, take_random) = choice;
        if take_random {
            return random;
        }
        let chars: Vec<char> = VOCABULARY[word % VOCABULARY.len()].chars().collect();
        let start = start % chars.len();
        chars[start..(start + len).min(chars.len())]
            .iter()
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn indexed_text_search_gives_exactly_the_scans_results(
            plans in proptest::collection::vec(
                (
                    proptest::collection::vec(0usize..16, 1..4),
                    proptest::collection::vec(0usize..16, 0..7),
                    proptest::collection::vec(0usize..4, 7),
                    (0usize..4, 1u8..=4, 0i64..5, 0i64..4),
                    proptest::bool::weighted(0.9),
                ),
                0..40,
            ),
            words in proptest::collection::vec(
                (0usize..16, 0usize..12, 1usize..=5, "[a-zéïô]{1,5}", proptest::bool::weighted(0.2)),
                0..4,
            ),
            styles in proptest::collection::vec(0usize..4, 0..3),
            bedrooms in proptest::collection::vec(1u8..=4, 0..3),
            min_price in proptest::option::weighted(0.2, 0i64..200_000),
            price_span in proptest::option::weighted(0.2, 0i64..200_000),
            min_surface in proptest::option::weighted(0.2, 80u32..120),
            sort in proptest::sample::select(vec!["price", "surface", "newest"]),
            order in proptest::sample::select(vec!["asc", "desc"]),
            limit in 1usize..8,
        ) {
            let base = Utc::now();
            let mut idx = CatalogueIndex::new(
                (0u32..)
                    .zip(&plans)
                    .map(|(i, (title, description, separators, (style, beds, price, at), published))| {
                        let mut p = plan(i, *beds, price * 40_000, *published);
                        p.title = text(title, separators);
                        p.description = text(description, separators);
                        p.style = Style::ALL[*style];
                        // Creation times repeat so that ties are broken by id.
                        p.created_at = base + Duration::seconds(*at);
                        p
                    })
                    .collect(),
            );
            let q: Vec<String> = words.into_iter().map(search_word).collect();
            let q = q.join(" ");
            let (min_price, max_price, min_surface, limit) = (
                min_price.map(|p| p.to_string()),
                price_span.map(|s| (min_price.unwrap_or(0) + s).to_string()),
                min_surface.map(|s| s.to_string()),
                limit.to_string(),
            );
            let bedroom_text: Vec<String> = bedrooms.iter().map(u8::to_string).collect();
            let mut pairs: Vec<(&str, &str)> = vec![
                ("q", q.as_str()),
                ("sort", sort),
                ("order", order),
                ("limit", limit.as_str()),
                ("facets", "true"),
            ];
            pairs.extend(styles.iter().map(|s| ("style", Style::ALL[*s].as_str())));
            pairs.extend(bedroom_text.iter().map(|b| ("bedrooms", b.as_str())));
            for (name, value) in [
                ("min_price", &min_price),
                ("max_price", &max_price),
                ("min_surface", &min_surface),
            ] {
                if let Some(v) = value.as_deref() {
                    pairs.push((name, v));
                }
            }
            let ids = |page: &Page<&Plan>| page.items.iter().map(|p| p.id).collect::<Vec<_>>();
            // The first pages, then one more through the cursor.
            let mut cursor: Option<String> = None;
            for _ in 0..3 {
                let mut paged = pairs.clone();
                if let Some(c) = cursor.as_deref() {
                    paged.push(("cursor", c));
                }
                let q = query(&paged);
                let expected = brute_search(&idx, &q);
                let expected = (ids(&expected), expected.next_cursor);
                let expected_counts = brute_count(&idx, &q);
                // As tuned, and with every way of using the index forced:
                // always or never intersecting, sorting or walking.
                let tuned = Tuning::of(idx.len());
                for (dense, check, sort) in [
                    (tuned.dense, tuned.check, tuned.sort),
                    (usize::MAX, 0, usize::MAX),
                    (usize::MAX, 0, 0),
                    (usize::MAX, usize::MAX, 0),
                ] {
                    idx.tuning = Tuning { dense, check, sort };
                    let got = idx.search(&q);
                    let got = (ids(&got), got.next_cursor);
                    proptest::prop_assert_eq!(&got, &expected, "{:?}", idx.tuning);
                    proptest::prop_assert_eq!(idx.count(&q), expected_counts.clone());
                }
                idx.tuning = tuned;
                match expected.1 {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
    }

    #[test]
    fn trigrams_find_substrings_anywhere() {
        let idx = CatalogueIndex::new(
            ["Maison bois", "Chalet", "La maisonnette"]
                .iter()
                .zip(0..)
                .map(|(title, i)| {
                    let mut p = plan(i, 2, 1000, true);
                    p.title = (*title).into();
                    p.description = String::new();
                    p
                })
                .collect(),
        );
        let titles = |q: &str| -> Vec<String> {
            let mut t: Vec<String> = idx
                .search(&query(&[("q", q)]))
                .items
                .iter()
                .map(|p| p.title.clone())
                .collect();
            t.sort();
            t
        };
        assert_eq!(titles("aison"), ["La maisonnette", "Maison bois"]);
        assert_eq!(titles("MAÏSONN"), ["La maisonnette"]);
        assert_eq!(titles("on ois"), ["Maison bois"]);
        assert_eq!(titles("a"), ["Chalet", "La maisonnette", "Maison bois"]);
        assert_eq!(titles("ch"), ["Chalet"]);
        assert!(titles("maisons").is_empty());
        assert_eq!(idx.count(&query(&[("q", "aison")])).total, 2);
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

    fn walk(view: &CatalogueView, fresh: &CatalogueIndex, pairs: &[(&str, String)]) {
        let mut cursor: Option<String> = None;
        loop {
            let mut all: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(c) = &cursor {
                all.push(("cursor", c.as_str()));
            }
            let q = query(&all);
            let (a, ca) = view.search_and_count(&q);
            let (b, cb) = fresh.search_and_count(&q);
            let ids = |p: &Page<&Plan>| p.items.iter().map(|p| p.id).collect::<Vec<_>>();
            assert_eq!(ids(&a), ids(&b), "{pairs:?} after {cursor:?}");
            assert_eq!(a.next_cursor, b.next_cursor);
            assert_eq!(ca, cb, "{pairs:?}");
            match a.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(view.len(), fresh.len());
        for p in fresh.plans() {
            assert_eq!(view.get(&p.id.to_string()).map(|v| v.id), Some(p.id));
            assert_eq!(view.get(p.slug.as_str()).map(|v| v.id), Some(p.id));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// A base index with changes applied one by one answers every page
        /// and count exactly as an index built afresh from the result.
        #[test]
        fn a_view_with_changes_answers_as_a_fresh_index(
            base_n in 0u32..30,
            changes in proptest::collection::vec((0u32..45, 0u8..3, 0i64..5, proptest::bool::weighted(0.8)), 0..60),
            sort in proptest::sample::select(vec!["price", "surface", "newest"]),
            order in proptest::sample::select(vec!["asc", "desc"]),
            limit in 1usize..6,
            word in proptest::sample::select(vec!["", "plein", "etage", "evolutif"]),
            bedrooms in proptest::option::of(1u8..=4),
        ) {
            let mut live: std::collections::BTreeMap<u32, Plan> = (0..base_n)
                .map(|i| (i, plan(i, (i % 4) as u8 + 1, i64::from(i % 5) * 1000, true)))
                .collect();
            let mut view = CatalogueView::new(live.values().cloned().collect());
            for (n, op, price, published) in changes {
                let change = if op == 0 {
                    live.remove(&n).map(|p| (p.id, None))
                } else {
                    let mut p = live
                        .get(&n)
                        .cloned()
                        .unwrap_or_else(|| plan(n, (n % 4) as u8 + 1, price * 1000, published));
                    p.published = published;
                    p.formats[0].price = Money::new(price * 1000, Currency::EUR).unwrap();
                    live.insert(n, p.clone());
                    Some((p.id, Some(p)))
                };
                if let Some(c) = change {
                    view = view.with_changes(vec![c]);
                }
            }
            let fresh = CatalogueIndex::new(live.values().cloned().collect());
            let mut pairs = vec![
                ("sort", sort.to_owned()),
                ("order", order.to_owned()),
                ("limit", limit.to_string()),
                ("facets", "true".to_owned()),
            ];
            if !word.is_empty() {
                pairs.push(("q", word.to_owned()));
            }
            if let Some(b) = bedrooms {
                pairs.push(("bedrooms", b.to_string()));
            }
            walk(&view, &fresh, &pairs);
        }
    }

    #[test]
    fn many_changes_rebuild_the_base_and_answer_the_same() {
        let mut view = CatalogueView::new(vec![]);
        let mut all = Vec::new();
        for i in 0..(COMPACT_AFTER as u32 + 40) {
            let p = plan(i, (i % 4) as u8 + 1, i64::from(i % 7) * 1000, true);
            all.push(p.clone());
            view = view.with_changes(vec![(p.id, Some(p))]);
        }
        assert!(
            view.hidden().is_empty() && view.changed().count() < 60,
            "the changes were folded into a new base"
        );
        let fresh = CatalogueIndex::new(all);
        for sort in ["price", "newest"] {
            walk(
                &view,
                &fresh,
                &[
                    ("sort", sort.to_owned()),
                    ("limit", "50".to_owned()),
                    ("facets", "true".to_owned()),
                ],
            );
        }
    }
}
