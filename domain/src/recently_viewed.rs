//! Recently viewed plans (SHOP-2): reading a plan while signed in, or while
//! holding a guest cart, remembers it, so the shop can show the last 15
//! distinct plans again. The catalogue's read path never waits for this:
//! it only checks what it can without storage (the token's signature, the
//! cart secret's keyed hash) and hands the view over; [`record`] runs after
//! the answer and checks the rest (a live session, a guest cart).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::StorageError;
use crate::identity::{BlindIndex, CustomerId, SessionId};
use crate::ids::{CartId, ProductId};
use crate::shop::cart::Holder;
use crate::store::Store;

/// Distinct plans kept per person.
pub const KEPT: u64 = 15;

/// Whose views these are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    /// A customer's (or staff member's) account.
    Customer(CustomerId),
    /// A guest, by their cart.
    Cart(CartId),
}

impl Viewer {
    /// How long a view is kept after it happened: 6 months for an
    /// account's, 30 days for a guest cart's (the cart's own lifetime).
    #[must_use]
    pub fn kept_for(self) -> Duration {
        match self {
            Self::Customer(_) => Duration::days(183),
            Self::Cart(_) => Duration::days(30),
        }
    }
}

/// Who read a plan, as far as the request could tell without storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// A bearer token whose signature verified, naming its account and
    /// session (the session's liveness is checked later).
    Session {
        /// The token's account.
        customer: CustomerId,
        /// The token's session.
        session: SessionId,
    },
    /// A cart id with a secret that matches it.
    Cart {
        /// The cart.
        cart: CartId,
        /// The secret sent.
        secret: String,
    },
}

/// A plan read by someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Who.
    pub by: Claimed,
    /// The plan.
    pub product: ProductId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Recently viewed plans.
#[async_trait]
pub trait RecentlyViewedRepo: Send + Sync {
    /// Records that `viewer` read `product` at `at` (a plan read again
    /// moves to the front), then forgets all but the `KEPT` most recent
    /// of the viewer's plans, and those older than `forget_before`.
    async fn record(
        &self,
        viewer: Viewer,
        product: ProductId,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// The viewer's plans viewed at or after `since`, most recent first,
    /// at most `KEPT`.
    async fn list(
        &self,
        viewer: Viewer,
        since: DateTime<Utc>,
    ) -> Result<Vec<(ProductId, DateTime<Utc>)>, StorageError>;
}

/// Records a view after the answer: a token's session must still be live
/// and its account's, a cart must be a guest's whose secret was sent.
/// Returns false when the view was not recorded (nothing to record it for).
///
/// # Errors
/// Storage failure.
pub async fn record(
    store: &dyn Store,
    index: &dyn BlindIndex,
    view: &View,
) -> Result<bool, StorageError> {
    let reader = store.reader();
    let viewer = match &view.by {
        Claimed::Session { customer, session } => match reader.sessions().get(*session).await? {
            Some(s) if s.customer_id == *customer && s.is_live(view.at) => {
                Viewer::Customer(*customer)
            }
            _ => return Ok(false),
        },
        Claimed::Cart { cart, secret } => {
            let holder = Holder {
                customer: None,
                secret: Some(secret),
            };
            match reader.carts().get(*cart).await? {
                Some(c) if holder.holds(index, &c) => Viewer::Cart(*cart),
                _ => return Ok(false),
            }
        }
    };
    let uow = store.begin().await?;
    uow.recently_viewed()
        .record(viewer, view.product, view.at, view.at - viewer.kept_for())
        .await?;
    uow.commit().await?;
    Ok(true)
}

/// The viewer's recently viewed plans, most recent first (the caller keeps
/// those still published).
///
/// # Errors
/// Storage failure.
pub async fn list(
    store: &dyn Store,
    viewer: Viewer,
    now: DateTime<Utc>,
) -> Result<Vec<(ProductId, DateTime<Utc>)>, StorageError> {
    store
        .reader()
        .recently_viewed()
        .list(viewer, now - viewer.kept_for())
        .await
}

/// The recently viewed plans of a cart's holder: a guest cart's own, or
/// its customer's for a customer's cart.
///
/// # Errors
/// [`crate::service::ServiceError::NotFound`] when the caller does not
/// hold the cart; storage failure.
pub async fn of_cart(
    store: &dyn Store,
    index: &dyn BlindIndex,
    holder: &Holder<'_>,
    cart: CartId,
    now: DateTime<Utc>,
) -> Result<Vec<(ProductId, DateTime<Utc>)>, crate::service::ServiceError> {
    let viewer = match store.reader().carts().get(cart).await? {
        Some(c) if holder.holds(index, &c) => {
            c.customer_id.map_or(Viewer::Cart(cart), Viewer::Customer)
        }
        _ => {
            return Err(crate::service::ServiceError::NotFound(
                "No cart has this id, or it is not yours.",
            ));
        }
    };
    Ok(list(store, viewer, now).await?)
}
