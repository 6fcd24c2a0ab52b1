//! The catalogue use cases: reading the published catalogue from a cached
//! index, and writing plans through the store (which refreshes the cache).

use std::sync::{Arc, PoisonError, RwLock};

use crate::StorageError;
use crate::clock::Clock;

use super::{CatalogueIndex, CatalogueStore, NewPlan, Plan, PlanError, PlanWriteError};

/// The catalogue, cached in memory and kept fresh by revision number.
pub struct Catalogue<S> {
    store: S,
    clock: Arc<dyn Clock>,
    current: RwLock<(i64, Arc<CatalogueIndex>)>,
}

impl<S: CatalogueStore> Catalogue<S> {
    /// A catalogue over `store`; empty until [`Catalogue::refresh`] runs.
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            current: RwLock::new((-1, Arc::new(CatalogueIndex::default()))),
        }
    }

    /// The current published catalogue. Never waits for the database.
    #[must_use]
    pub fn index(&self) -> Arc<CatalogueIndex> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .1,
        )
    }

    /// Reloads the index when the stored revision differs from the cached one.
    /// Returns whether it reloaded.
    ///
    /// # Errors
    /// When the store fails; the old index stays in use.
    pub async fn refresh(&self) -> Result<bool, StorageError> {
        let revision = self.store.revision().await?;
        let cached = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        if revision == cached {
            return Ok(false);
        }
        let index = Arc::new(CatalogueIndex::new(self.store.published_plans().await?));
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        // Another refresh may have raced us with a newer revision; keep the newest.
        if revision >= current.0 {
            *current = (revision, index);
        }
        Ok(true)
    }

    /// Creates a plan and makes it visible at once on this instance.
    ///
    /// # Errors
    /// Rule violations, duplicate slug or SKU, storage failure.
    pub async fn create(&self, new: NewPlan) -> Result<Plan, PlanWriteError> {
        let plan = new.into_plan(self.clock.now())?;
        if self.store.slug_exists(&plan.slug).await? {
            return Err(PlanError::SlugTaken.into());
        }
        self.store.insert(&plan).await?;
        self.refresh().await?;
        Ok(plan)
    }

    /// Replaces the content of an existing plan (keeping its id and
    /// creation time) and refreshes the cache. `None` when it does not exist.
    ///
    /// # Errors
    /// Rule violations, duplicate slug or SKU, storage failure.
    pub async fn replace(
        &self,
        id: crate::ids::ProductId,
        new: NewPlan,
    ) -> Result<Option<Plan>, PlanWriteError> {
        let Some(old) = self.store.find(id).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mut plan = new.into_plan(now)?;
        plan.id = old.id;
        plan.created_at = old.created_at;
        // Formats of the same kind keep their id, so carts can keep pointing at them.
        for f in &mut plan.formats {
            if let Some(prev) = old.formats.iter().find(|o| o.kind == f.kind) {
                f.id = prev.id;
            }
        }
        self.store.update(&plan).await?;
        self.refresh().await?;
        Ok(Some(plan))
    }

    /// Publishes or unpublishes a plan. `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn set_published(
        &self,
        id: crate::ids::ProductId,
        published: bool,
    ) -> Result<Option<Plan>, PlanWriteError> {
        let Some(mut plan) = self.store.find(id).await? else {
            return Ok(None);
        };
        if plan.published != published {
            plan.published = published;
            plan.updated_at = self.clock.now();
            self.store.update(&plan).await?;
            self.refresh().await?;
        }
        Ok(Some(plan))
    }

    /// Deletes a plan. Returns whether it existed.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn delete(&self, id: crate::ids::ProductId) -> Result<bool, StorageError> {
        let deleted = self.store.delete(id).await?;
        if deleted {
            self.refresh().await?;
        }
        Ok(deleted)
    }

    /// The store, for operations not cached here.
    pub fn store(&self) -> &S {
        &self.store
    }
}
