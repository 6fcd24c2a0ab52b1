//! Pre-rendered JSON of the published catalogue.
//!
//! The catalogue changes rarely and is read constantly, so each plan's list
//! and detail JSON is serialised once per catalogue revision; a list
//! response is then a concatenation of ready fragments.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use domain::catalogue::CatalogueIndex;
use domain::ids::ProductId;

use super::dto::{Product, ProductSummary};

/// JSON of every plan of one index.
pub struct Rendered {
    index: Arc<CatalogueIndex>,
    summaries: HashMap<ProductId, String>,
    details: HashMap<ProductId, String>,
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
            details.insert(
                plan.id,
                serde_json::to_string(&Product::from(plan)).unwrap_or_default(),
            );
        }
        Self {
            index,
            summaries,
            details,
        }
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
        self.details.get(&id).map_or("null", String::as_str)
    }
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
