//! Payments through a provider (Stripe): a payment intent per order, whose
//! client secret the frontend uses to collect the payment (no card data
//! ever reaches Boutique), and the provider's events applied once each.
//! Bank transfers need none of this: staff mark those orders paid.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::order::{Order, OrderStatus, PaymentMethod};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::ids::OrderId;
use crate::service::ServiceError;
use crate::store::Store;

/// A payment intent at the provider.
#[derive(Clone, PartialEq, Eq)]
pub struct Intent {
    /// The provider's id (`pi_...`).
    pub id: String,
    /// What the frontend confirms the payment with.
    pub client_secret: String,
    /// The provider's status (`requires_payment_method`, `succeeded`...).
    pub status: String,
    /// Amount, cents.
    pub amount: i64,
    /// Currency, ISO 4217 lower case as Stripe writes it.
    pub currency: String,
}

impl std::fmt::Debug for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client secret confirms a payment: kept out of logs.
        f.debug_struct("Intent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("amount", &self.amount)
            .finish_non_exhaustive()
    }
}

/// Why the provider could not be reached or refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment provider: {0}")]
pub struct ProviderError(pub String);

/// The payment provider port.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Creates the order's payment intent; the order id is the provider's
    /// idempotency key, so a retry never makes a second one.
    async fn create_intent(
        &self,
        order: OrderId,
        number: &str,
        amount: i64,
        currency: &str,
    ) -> Result<Intent, ProviderError>;
    /// Reads an intent.
    async fn retrieve_intent(&self, id: &str) -> Result<Intent, ProviderError>;
    /// Refunds `amount` cents of an intent; the refund's id.
    async fn refund(&self, intent: &str, amount: i64) -> Result<String, ProviderError>;
    /// Refunds `amount` cents of an intent once per `key`: the provider
    /// answers a retry with the same key with the refund made the first
    /// time instead of making another. The refund's id. (The default
    /// ignores the key: a provider that supports idempotency keys sends it.)
    async fn refund_once(
        &self,
        intent: &str,
        amount: i64,
        key: &str,
    ) -> Result<String, ProviderError> {
        let _ = key;
        self.refund(intent, amount).await
    }
}

/// An order's payment at the provider, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// The order.
    pub order_id: OrderId,
    /// `stripe`.
    pub provider: String,
    /// The provider's intent id.
    pub intent_id: String,
    /// Amount, cents.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Last status known.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Stored payments and provider events.
#[async_trait]
pub trait PaymentRepo: Send + Sync {
    /// Stores an order's payment; false when the order has one already.
    async fn insert(&self, p: &PaymentRecord) -> Result<bool, StorageError>;
    /// The order's payment.
    async fn of_order(&self, order: OrderId) -> Result<Option<PaymentRecord>, StorageError>;
    /// The payment of a provider intent.
    async fn by_intent(&self, intent: &str) -> Result<Option<PaymentRecord>, StorageError>;
    /// Records a payment's status.
    async fn set_status(
        &self,
        intent: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Records a provider event by its id; false when it was recorded
    /// before (each event is applied once).
    async fn record_event(
        &self,
        event_id: &str,
        kind: &str,
        order: Option<OrderId>,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
}

/// What an event from the provider says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The payment went through.
    Succeeded,
    /// The payment failed.
    Failed,
    /// Anything else (recorded, ignored).
    Other(String),
}

/// An event from the provider, its signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    /// The provider's event id (`evt_...`).
    pub id: String,
    /// Its type, as the provider names it.
    pub kind_name: String,
    /// What it means here.
    pub kind: EventKind,
    /// The intent it is about.
    pub intent_id: Option<String>,
    /// The amount it reports (received), cents.
    pub amount: Option<i64>,
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The order changed.
    Changed(OrderId, OrderStatus),
    /// Seen before: nothing done.
    Duplicate,
    /// Recorded, nothing to do (unknown intent, other type, order not
    /// waiting for it).
    Ignored,
}

/// The order's provider payment: the existing intent, or a new one. The
/// frontend confirms it with the client secret.
///
/// # Errors
/// Not found; [`ServiceError::Conflict`] when the order is not paid by
/// this provider or no longer waits for a payment; provider failures as
/// [`ServiceError::Unavailable`]; storage.
pub async fn start(
    store: &dyn Store,
    clock: &dyn Clock,
    provider: &dyn PaymentProvider,
    order: &Order,
) -> Result<Intent, ServiceError> {
    let s = &order.summary;
    if s.payment_method != PaymentMethod::Stripe {
        return Err(ServiceError::Conflict(
            "this order is paid by bank transfer".into(),
        ));
    }
    if s.status != OrderStatus::PendingPayment {
        return Err(ServiceError::IllegalTransition {
            from: s.status.as_str(),
            to: OrderStatus::Processing.as_str(),
        });
    }
    let repos = store.reader();
    if let Some(p) = repos.payments().of_order(s.id).await? {
        return provider
            .retrieve_intent(&p.intent_id)
            .await
            .map_err(|e| ServiceError::Unavailable(e.0));
    }
    let currency = s.totals.currency.as_str().to_lowercase();
    let intent = provider
        .create_intent(s.id, &s.number, s.totals.total, &currency)
        .await
        .map_err(|e| ServiceError::Unavailable(e.0))?;
    repos
        .payments()
        .insert(&PaymentRecord {
            order_id: s.id,
            provider: "stripe".into(),
            intent_id: intent.id.clone(),
            amount: s.totals.total,
            currency,
            status: intent.status.clone(),
            created_at: clock.now(),
        })
        .await?;
    Ok(intent)
}

/// Applies a provider event once: a success moves the order waiting for
/// it to paid (processing, or completed when it holds only files) and
/// issues its invoice; a failure moves it to failed. Events for unknown
/// intents, of other types, or for orders not waiting are recorded and
/// ignored. The event record, the order's change, its invoice and its mail
/// commit together.
///
/// # Errors
/// Storage.
pub async fn apply_event(
    store: &dyn Store,
    clock: &dyn Clock,
    seller: &super::invoice::Seller,
    event: &ProviderEvent,
) -> Result<Applied, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let payment = match &event.intent_id {
        Some(i) => uow.payments().by_intent(i).await?,
        None => None,
    };
    let order = match &payment {
        Some(p) => uow.orders().get(p.order_id).await?,
        None => None,
    };
    let target = match (&event.kind, &order) {
        (EventKind::Succeeded, Some(o))
            if matches!(
                o.summary.status,
                OrderStatus::PendingPayment | OrderStatus::Failed | OrderStatus::OnHold
            ) && o.summary.paid_at.is_none()
                && event.amount.is_none_or(|a| a == o.summary.totals.total) =>
        {
            Some(if o.lines.iter().all(|l| l.kind != "printed_set") {
                OrderStatus::Completed
            } else {
                OrderStatus::Processing
            })
        }
        (EventKind::Failed, Some(o)) if o.summary.status == OrderStatus::PendingPayment => {
            Some(OrderStatus::Failed)
        }
        _ => None,
    };
    let outcome = match target {
        Some(t) => t.as_str(),
        None => "ignored",
    };
    if !uow
        .payments()
        .record_event(
            &event.id,
            &event.kind_name,
            order.as_ref().map(|o| o.summary.id),
            outcome,
            now,
        )
        .await?
    {
        return Ok(Applied::Duplicate);
    }
    if let (Some(p), Some(status)) = (&payment, event.intent_id.as_deref()) {
        let s = match event.kind {
            EventKind::Succeeded => "succeeded",
            EventKind::Failed => "failed",
            EventKind::Other(_) => p.status.as_str(),
        };
        uow.payments().set_status(status, s, now).await?;
    }
    let (Some(order), Some(to)) = (order, target) else {
        uow.commit().await?;
        return Ok(Applied::Ignored);
    };
    super::order::settle_in(
        uow.as_ref(),
        &order,
        to,
        "system".into(),
        Some(format!("stripe {}", event.kind_name)),
        seller,
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(Applied::Changed(order.summary.id, to))
}
