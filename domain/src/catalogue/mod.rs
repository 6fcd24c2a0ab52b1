//! The catalogue of house plans: what a plan is, the formats it is sold in,
//! and how the public catalogue is searched.

mod import;
mod index;
mod plan;
mod query;
mod service;

pub use import::{ImportError, ImportMode, ImportReport, ImportRow, LineError, Progress};
pub use index::{COMPACT_AFTER, CatalogueIndex, CatalogueView, Counts};
pub use plan::{
    Format, FormatKind, ImageUrl, NewFormat, NewPlan, Plan, PlanError, PlanSpecs, Rating, Slug,
    Style,
};
pub use query::{
    After, FacetSelection, Order, PRICE_BANDS, PriceBand, ProductQuery, QueryError,
    RawProductQuery, RepeatedParameter, SortKey,
};
pub use service::{Catalogue, Editor};

use crate::error::StorageError;

/// Where plans are kept. Implemented by the persistence layer.
pub trait CatalogueStore: Send + Sync {
    /// Every published plan with its formats.
    fn published_plans(&self) -> impl Future<Output = Result<Vec<Plan>, StorageError>> + Send;

    /// A number that changes whenever any plan changes; instances compare it
    /// to know when their in-memory catalogue is stale.
    fn revision(&self) -> impl Future<Output = Result<i64, StorageError>> + Send;

    /// The plans changed after revision `after`, by revision, at most
    /// `limit`; `None` when there are more, or the log no longer reaches
    /// back that far (then reload everything).
    fn changes_since(
        &self,
        after: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Option<Vec<(i64, crate::ids::ProductId)>>, StorageError>> + Send;

    /// Any plan, published or not.
    fn find(
        &self,
        id: crate::ids::ProductId,
    ) -> impl Future<Output = Result<Option<Plan>, StorageError>> + Send;

    /// Every plan, published or not, newest first, after `after` (pagination).
    fn list_all(
        &self,
        after: Option<crate::ids::ProductId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Plan>, StorageError>> + Send;

    /// Whether a plan with this slug exists, published or not.
    fn slug_exists(&self, slug: &Slug) -> impl Future<Output = Result<bool, StorageError>> + Send;
}

/// Catalogue writes inside a unit of work: a plan, its formats and the
/// catalogue revision change together with the audit entry that records it.
#[async_trait::async_trait]
pub trait PlanWrites: Send + Sync {
    /// Stores a new plan with its formats.
    ///
    /// Fails with [`PlanError::SlugTaken`] or [`PlanError::SkuTaken`] on a duplicate.
    async fn insert(&self, plan: &Plan) -> Result<(), PlanWriteError>;
    /// Replaces a plan and its formats.
    async fn update(&self, plan: &Plan) -> Result<(), PlanWriteError>;
    /// Deletes a plan and its formats. Returns whether it existed.
    async fn delete(&self, id: crate::ids::ProductId) -> Result<bool, StorageError>;
}

/// Why a plan could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlanWriteError {
    /// A rule of the plan itself was broken.
    #[error(transparent)]
    Invalid(#[from] PlanError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}
