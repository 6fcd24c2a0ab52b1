//! The catalogue use cases: reading the published catalogue from a cached
//! index, and writing plans in a unit of work with the audit entry that
//! records the change (then refreshing the cache).

use std::sync::{Arc, PoisonError, RwLock};

use crate::StorageError;
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::ids::ProductId;
use crate::store::Store;

use super::{CatalogueStore, CatalogueView, NewPlan, Plan, PlanError, PlanWriteError};

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
    current: RwLock<(i64, Arc<CatalogueView>)>,
}

impl<S: CatalogueStore> Catalogue<S> {
    /// A catalogue read from `store` and written through units of work of
    /// `writes`; empty until [`Catalogue::refresh`] runs.
    pub fn new(store: S, writes: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            writes,
            clock,
            current: RwLock::new((-1, Arc::new(CatalogueView::default()))),
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
        let published = match write {
            Write::Insert(p) => {
                uow.plans().insert(p).await?;
                p.published.then_some(p)
            }
            Write::Update(p) => {
                uow.plans().update(p).await?;
                (what == "published").then_some(p)
            }
            Write::Nothing => None,
        };
        if let Some(p) = published {
            crate::integration::emit(
                uow.as_ref(),
                crate::integration::EventType::ProductPublished,
                serde_json::json!({
                    "product_id": p.id.to_string(),
                    "slug": p.slug.as_str(),
                }),
                None,
                self.clock.now(),
            )
            .await?;
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
    pub fn index(&self) -> Arc<CatalogueView> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .1,
        )
    }

    /// Brings the cached catalogue up to the stored revision: applies the
    /// plans changed since the cached revision (each plan's entries only),
    /// or reloads everything at start-up, after many changes, or when the
    /// change log no longer reaches back. Returns whether anything changed.
    ///
    /// # Errors
    /// When the store fails; the old index stays in use.
    pub async fn refresh(&self) -> Result<bool, StorageError> {
        let mut changed = false;
        // A refresh that raced another one starts again from the newer view.
        for _ in 0..16 {
            match self.refresh_once().await? {
                Some(true) => changed = true,
                Some(false) => return Ok(changed),
                None => {}
            }
        }
        Ok(changed)
    }

    /// One step of [`Self::refresh`]: `Some(true)` when it applied changes,
    /// `Some(false)` when up to date, `None` when another refresh won.
    async fn refresh_once(&self) -> Result<Option<bool>, StorageError> {
        let (cached, view) = {
            let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
            (current.0, Arc::clone(&current.1))
        };
        let revision = self.store.revision().await?;
        if revision == cached {
            return Ok(Some(false));
        }
        let changes = if cached < 0 {
            None
        } else {
            self.store
                .changes_since(cached, super::COMPACT_AFTER)
                .await?
        };
        let (revision, next) = match changes {
            Some(changes) if !changes.is_empty() => {
                let last = changes.last().map_or(revision, |c| c.0);
                let mut ids: Vec<ProductId> = changes.into_iter().map(|c| c.1).collect();
                ids.sort_unstable();
                ids.dedup();
                let mut plans = Vec::with_capacity(ids.len());
                for id in ids {
                    plans.push((id, self.store.find(id).await?));
                }
                (last, view.with_changes(plans))
            }
            _ => (
                revision,
                CatalogueView::new(self.store.published_plans().await?),
            ),
        };
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        // Another refresh may have raced us; apply only onto the view we
        // started from, and keep the newest.
        if Arc::ptr_eq(&current.1, &view) {
            *current = (revision, Arc::new(next));
            return Ok(Some(true));
        }
        Ok(None)
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
        plan.rating = old.rating;
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
