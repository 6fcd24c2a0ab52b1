//! The errors of the consent, newsletter, contact and blog use cases, one
//! variant per answer a client can act on. `api` maps each to its problem
//! type in one place.

use crate::error::{FieldErrors, StorageError};
use crate::identity::IdentityError;

/// Why a use case refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Fields refused by a rule.
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// Nothing of this kind has this id (or the caller may not see it).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Another article or purpose already has this slug or key.
    #[error("already taken: {0}")]
    Taken(&'static str),
    /// A confirmation or unsubscribe link's token is unknown, used or expired.
    #[error("the link's token is unknown, used or expired")]
    InvalidLinkToken,
    /// The cart was checked out or merged already.
    #[error("the cart is closed")]
    CartClosed,
    /// The cart was checked out with this `Idempotency-Key` and another request.
    #[error("the Idempotency-Key was used with another request")]
    IdempotencyConflict,
    /// Lines (by id) whose plan or format is no longer for sale.
    #[error("some lines are no longer for sale")]
    ItemsUnavailable(Vec<String>),
    /// An order cannot go from one status to the other.
    #[error("an order cannot go from {from} to {to}")]
    IllegalTransition {
        /// The current status.
        from: &'static str,
        /// The status asked for.
        to: &'static str,
    },
    /// A provider the shop depends on (payments) failed or is not configured.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A refund above what is left of the payment (what was paid minus the
    /// refunds made or under way).
    #[error("a refund of {requested} cents exceeds the {remaining} cents left to refund")]
    RefundExceedsPayment {
        /// What may still be refunded, in cents.
        remaining: i64,
        /// What was asked for, in cents.
        requested: i64,
        /// The order's currency.
        currency: crate::money::Currency,
    },
    /// The payment provider did not make a refund (it refused, did not
    /// answer, or is not configured): nothing was refunded.
    #[error("the refund was not made: {0}")]
    RefundFailed(String),
    /// Limits, bans and authentication, as identity decides them.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ServiceError {
    /// One refused field.
    #[must_use]
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut f = FieldErrors::default();
        f.push(name, message);
        Self::Invalid(f)
    }
}
