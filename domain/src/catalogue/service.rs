//! The catalogue use cases: reading the published catalogue from a cached
//! index, and writing plans in a unit of work with the audit entry that
//! records the change (then refreshing the cache).

use std::sync::{Arc, PoisonError, RwLock};

use crate::StorageError;
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::ids::ProductId;
use crate::store::Store;

use super::{CatalogueIndex, CatalogueStore, NewPlan, Plan, PlanError, PlanWriteError};

/// Who changes the catalogue, for the audit log.
#[derive(Debug, Clone)]
pub struct Editor {
    /// Who.
    pub actor: Actor,
    /// Truncated source address.
    pub source: Option<String>,
}

impl Editor {
    /// The system itself (the demo loader, imports from the command line).
    #[must_use]
    pub const fn system() -> Self {
        Self {
            actor: Actor::System,
            source: None,
        }
    }
}

/// The plan change of an audited write.
enum Write<'a> {
    Insert(&'a Plan),
    Update(&'a Plan),
    Nothing,
}

/// The catalogue, cached in memory and kept fresh by revision number.
pub struct Catalogue<S> {
    store: S,
    writes: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    current: RwLock<(i64, Arc<CatalogueIndex>)>,
}

impl<S: CatalogueStore> Catalogue<S> {
    /// A catalogue read from `store` and written through units of work of
    /// `writes`; empty until [`Catalogue::refresh`] runs.
    pub fn new(store: S, writes: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            writes,
            clock,
            current: RwLock::new((-1, Arc::new(CatalogueIndex::default()))),
        }
    }

    /// Writes through one unit of work: the plan change, then the audit
    /// entry, committed together.
    async fn audited(
        &self,
        by: &Editor,
        id: ProductId,
        what: &str,
        write: Write<'_>,
    ) -> Result<(), PlanWriteError> {
        let uow = self.writes.begin().await?;
        match write {
            Write::Insert(p) => uow.plans().insert(p).await?,
            Write::Update(p) => uow.plans().update(p).await?,
            Write::Nothing => {}
        }
        uow.audit()
            .append(
                NewAuditEntry::new(
                    by.actor,
                    AuditAction::CatalogueChanged,
                    Some(AuditTarget::Product(id)),
                    by.source.clone(),
                )
                .because(what),
                self.clock.now(),
            )
            .await?;
        uow.commit().await?;
        Ok(())
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
    pub async fn create(&self, new: NewPlan, by: &Editor) -> Result<Plan, PlanWriteError> {
        let plan = new.into_plan(self.clock.now())?;
        if self.store.slug_exists(&plan.slug).await? {
            return Err(PlanError::SlugTaken.into());
        }
        self.audited(by, plan.id, "created", Write::Insert(&plan))
            .await?;
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
        id: ProductId,
        new: NewPlan,
        by: &Editor,
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
        self.audited(by, id, "replaced", Write::Update(&plan))
            .await?;
        self.refresh().await?;
        Ok(Some(plan))
    }

    /// Publishes or unpublishes a plan. `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn set_published(
        &self,
        id: ProductId,
        published: bool,
        by: &Editor,
    ) -> Result<Option<Plan>, PlanWriteError> {
        let Some(mut plan) = self.store.find(id).await? else {
            return Ok(None);
        };
        let what = if published {
            "published"
        } else {
            "unpublished"
        };
        if plan.published != published {
            plan.published = published;
            plan.updated_at = self.clock.now();
            self.audited(by, id, what, Write::Update(&plan)).await?;
            self.refresh().await?;
        } else {
            self.audited(by, id, what, Write::Nothing).await?;
        }
        Ok(Some(plan))
    }

    /// Deletes a plan. Returns whether it existed.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn delete(&self, id: ProductId, by: &Editor) -> Result<bool, PlanWriteError> {
        let uow = self.writes.begin().await?;
        if !uow.plans().delete(id).await? {
            return Ok(false);
        }
        uow.audit()
            .append(
                NewAuditEntry::new(
                    by.actor,
                    AuditAction::CatalogueChanged,
                    Some(AuditTarget::Product(id)),
                    by.source.clone(),
                )
                .because("deleted"),
                self.clock.now(),
            )
            .await?;
        uow.commit().await?;
        self.refresh().await?;
        Ok(true)
    }

    /// The store, for operations not cached here.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Where time comes from.
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Where units of work come from.
    pub(crate) fn writes(&self) -> &dyn Store {
        self.writes.as_ref()
    }
}
