//! Bulk import of plans: every row is checked first (its own rules, slugs
//! and SKUs unique within the file and against the catalogue), and only a
//! file without a single error is written, in one unit of work with one
//! audit entry and one refresh of the cached catalogue.

use std::collections::HashMap;

use crate::audit::{AuditAction, NewAuditEntry};
use crate::error::{FieldCode, FieldError, FieldErrors, StorageError};
use crate::ids::ProductId;

use super::service::{Catalogue, Editor};
use super::{CatalogueStore, NewPlan, Plan, PlanError, PlanWriteError};

/// What an import does with a slug the catalogue has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Creates every plan; a slug already in the catalogue is an error.
    Create,
    /// Creates new slugs and replaces the plans whose slug exists (they keep
    /// their id, creation time and, kind by kind, their formats' ids).
    Upsert,
}

/// One row of a file: its line number and the plan it reads as, or the
/// fields it breaks.
#[derive(Debug)]
pub struct ImportRow {
    /// Line in the file, from 1 (the header, if any, is line 1).
    pub line: usize,
    /// The plan, or why the row does not read as one.
    pub plan: Result<NewPlan, FieldErrors>,
}

/// An error of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line in the file.
    pub line: usize,
    /// The refused field.
    pub error: FieldError,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Plans created.
    pub created: usize,
    /// Plans replaced (upsert).
    pub updated: usize,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows break rules: every error found, by line (at most
    /// [`MAX_REPORTED`]).
    #[error("{} error(s) in the file", .0.len())]
    Lines(Vec<LineError>),
    /// A slug or SKU of the file was taken by a plan written meanwhile (the
    /// rows were checked before the write): nothing was written; import
    /// again to see which.
    #[error("written meanwhile: {0}")]
    Raced(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Most line errors reported at once.
pub const MAX_REPORTED: usize = 1000;

/// Progress of an import: phase (`checking`, `writing`), done, total.
pub type Progress<'a> = &'a (dyn Fn(&str, usize, usize) + Send + Sync);

fn error(field: &str, code: FieldCode, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code,
        message: message.into(),
        params: Vec::new(),
    }
}

impl<S: CatalogueStore> Catalogue<S> {
    /// Every plan, published or not, oldest first (exports).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn all_plans(&self) -> Result<Vec<Plan>, StorageError> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self.store().list_all(after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let done = page.len() < 1000;
            out.extend(page);
            if done {
                break;
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Imports `rows` as one operation: checks every row, then writes all
    /// of them in one unit of work, audited once with the counts, or
    /// nothing when any row is wrong.
    ///
    /// # Errors
    /// [`ImportError::Lines`] naming every refused line and field;
    /// storage failure.
    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
        mode: ImportMode,
        by: &Editor,
        progress: Progress<'_>,
    ) -> Result<ImportReport, ImportError> {
        let now = self.clock().now();
        let existing = self.all_plans().await?;
        let by_slug: HashMap<&str, &Plan> = existing.iter().map(|p| (p.slug.as_str(), p)).collect();
        let mut sku_owner: HashMap<&str, ProductId> = HashMap::new();
        for p in &existing {
            for f in &p.formats {
                sku_owner.insert(f.sku.as_str(), p.id);
            }
        }
        let total = rows.len();
        let mut errors: Vec<LineError> = Vec::new();
        let mut slug_line: HashMap<String, usize> = HashMap::new();
        let mut sku_line: HashMap<String, usize> = HashMap::new();
        let mut writes: Vec<(bool, Plan)> = Vec::with_capacity(total);
        for (n, row) in rows.into_iter().enumerate() {
            if n % 1000 == 0 {
                progress("checking", n, total);
            }
            let line = row.line;
            let mut push = |e: FieldError| {
                if errors.len() < MAX_REPORTED {
                    errors.push(LineError { line, error: e });
                }
            };
            let new = match row.plan {
                Ok(p) => p,
                Err(f) => {
                    f.0.into_iter().for_each(&mut push);
                    continue;
                }
            };
            let mut plan = match new.into_plan(now) {
                Ok(p) => p,
                Err(PlanError::Fields(f)) => {
                    f.0.into_iter().for_each(&mut push);
                    continue;
                }
                Err(other) => {
                    push(error("body", FieldCode::Invalid, other.to_string()));
                    continue;
                }
            };
            if let Some(first) = slug_line.insert(plan.slug.as_str().to_owned(), line) {
                push(error(
                    "slug",
                    FieldCode::Invalid,
                    format!("is also the slug of line {first}"),
                ));
            }
            let old = by_slug.get(plan.slug.as_str()).copied();
            let insert = match (old, mode) {
                (Some(_), ImportMode::Create) => {
                    push(error(
                        "slug",
                        FieldCode::Invalid,
                        "is taken by a plan of the catalogue (import with mode=upsert to replace it)",
                    ));
                    continue;
                }
                (Some(old), ImportMode::Upsert) => {
                    plan.id = old.id;
                    plan.created_at = old.created_at;
                    for f in &mut plan.formats {
                        if let Some(prev) = old.formats.iter().find(|o| o.kind == f.kind) {
                            f.id = prev.id;
                        }
                    }
                    false
                }
                (None, _) => true,
            };
            for (i, f) in plan.formats.iter().enumerate() {
                let field = format!("formats[{i}].sku");
                if let Some(first) = sku_line.insert(f.sku.clone(), line) {
                    push(error(
                        &field,
                        FieldCode::Invalid,
                        format!("is also a SKU of line {first}"),
                    ));
                }
                if sku_owner
                    .get(f.sku.as_str())
                    .is_some_and(|owner| *owner != plan.id)
                {
                    push(error(
                        &field,
                        FieldCode::Invalid,
                        "is the SKU of another plan of the catalogue",
                    ));
                }
            }
            writes.push((insert, plan));
        }
        progress("checking", total, total);
        if !errors.is_empty() {
            return Err(ImportError::Lines(errors));
        }
        let mut report = ImportReport::default();
        let uow = self.writes().begin().await?;
        for (n, (insert, plan)) in writes.iter().enumerate() {
            if n % 1000 == 0 {
                progress("writing", n, writes.len());
            }
            let written = if *insert {
                report.created += 1;
                uow.plans().insert(plan).await
            } else {
                report.updated += 1;
                uow.plans().update(plan).await
            };
            written.map_err(|e| match e {
                PlanWriteError::Storage(s) => ImportError::Storage(s),
                PlanWriteError::Invalid(i) => ImportError::Raced(format!(
                    "{i}: a plan written while the file was checked took it; nothing was imported"
                )),
            })?;
        }
        uow.audit()
            .append(
                NewAuditEntry::new(
                    by.actor,
                    AuditAction::CatalogueChanged,
                    None,
                    by.source.clone(),
                )
                .because(format!(
                    "imported {} plans: {} created, {} replaced",
                    writes.len(),
                    report.created,
                    report.updated
                )),
                now,
            )
            .await?;
        uow.commit().await?;
        progress("writing", writes.len(), writes.len());
        self.refresh().await?;
        Ok(report)
    }
}
