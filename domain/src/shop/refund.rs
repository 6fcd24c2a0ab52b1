//! Refunds (SHOP-5): staff give back all or part of what an order's buyer
//! paid, never more, with a reason; each refund issues a credit note
//! (numbered like invoices, `A-2026-000001`) and moves the order to
//! `partially_refunded` or `refunded` (which revokes its download links:
//! downloads check the order's status when a file is fetched). An order
//! paid through Stripe is refunded through Stripe; one paid by bank
//! transfer is recorded here, and staff send the money back by transfer.
//!
//! Every refund is kept in the `refunds` table (amount, reason, the
//! provider's refund id, the credit note's number, who and when). What is
//! left to refund is the order's total minus its refunds made or under way.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::invoice::{Refund, Seller};
use super::order::{Order, OrderEvent, OrderStatus, PaymentMethod};
use super::payment::PaymentProvider;
use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{CustomerId, Email, PersonName, Principal};
use crate::ids::{OrderId, RefundId};
use crate::mail::{Envelope, Mail};
use crate::money::{Currency, Money};
use crate::service::ServiceError;
use crate::store::{Repos, Store};
use crate::text::bounded;

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    /// Asked of the payment provider, its answer not recorded yet: its
    /// amount is reserved, so no concurrent refund can exceed the payment.
    Pending,
    /// Made (for a bank transfer: recorded, staff send the money back).
    Succeeded,
    /// The provider refused or could not be reached: nothing was refunded.
    Failed,
}

impl RefundStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Succeeded, Self::Failed];

    /// The wire and stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A refund of an order, as stored (no personal data: the reason is
/// staff's text about the order, never about the person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// Id.
    pub id: RefundId,
    /// The order refunded.
    pub order_id: OrderId,
    /// How much, VAT included, in cents.
    pub amount: i64,
    /// The order's currency.
    pub currency: Currency,
    /// How the money goes back: through Stripe, or by bank transfer.
    pub method: PaymentMethod,
    /// Where it stands.
    pub status: RefundStatus,
    /// Why (staff's words, shown on the credit note).
    pub reason: String,
    /// The provider's refund id (`re_...`), for a Stripe refund made.
    pub provider_refund_id: Option<String>,
    /// The credit note's number, once made.
    pub credit_note: Option<String>,
    /// The staff member who refunded.
    pub staff_id: CustomerId,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Refunds.
#[async_trait]
pub trait RefundRepo: Send + Sync {
    /// Locks the order's row until the unit of work ends, so refunds of one
    /// order take turns (SQLite's unit of work holds the write lock
    /// already).
    async fn lock_order(&self, order: OrderId) -> Result<(), StorageError>;
    /// Stores a refund.
    async fn insert(&self, refund: &RefundRecord) -> Result<(), StorageError>;
    /// An order's refunds, oldest first.
    async fn of_order(&self, order: OrderId) -> Result<Vec<RefundRecord>, StorageError>;
    /// Settles a pending refund: `succeeded` (with the provider's id and
    /// the credit note's number) or `failed`; false when it was no longer
    /// pending.
    async fn settle(
        &self,
        id: RefundId,
        status: RefundStatus,
        provider_refund_id: Option<&str>,
        credit_note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
}

/// An order and its refunds, oldest first.
#[derive(Debug, Clone)]
pub struct OrderRefunds {
    /// The order, as it is now.
    pub order: Order,
    /// Its refunds.
    pub refunds: Vec<RefundRecord>,
}

/// What is left to refund: the total minus the refunds made or under way.
#[must_use]
pub fn remaining(total: i64, refunds: &[RefundRecord]) -> i64 {
    total
        - refunds
            .iter()
            .filter(|r| r.status != RefundStatus::Failed)
            .map(|r| r.amount)
            .sum::<i64>()
}

/// How much a refund of `order` asking for `asked` cents (`None`: all that
/// is left) gives back, after `earlier` refunds.
///
/// # Errors
/// [`ServiceError::IllegalTransition`] when the order was never paid (or
/// is held, failed, cancelled); [`ServiceError::RefundExceedsPayment`]
/// when the amount is above what is left (nothing is left of a refunded
/// order).
pub fn refundable(
    order: &Order,
    earlier: &[RefundRecord],
    asked: Option<i64>,
) -> Result<i64, ServiceError> {
    let s = &order.summary;
    let left = match s.status {
        OrderStatus::Processing | OrderStatus::Completed | OrderStatus::PartiallyRefunded => {
            remaining(s.totals.total, earlier).max(0)
        }
        OrderStatus::Refunded => 0,
        other => {
            return Err(ServiceError::IllegalTransition {
                from: other.as_str(),
                to: OrderStatus::Refunded.as_str(),
            });
        }
    };
    let requested = asked.unwrap_or(left);
    if left <= 0 || requested <= 0 || requested > left {
        return Err(ServiceError::RefundExceedsPayment {
            remaining: left,
            requested,
            currency: s.totals.currency,
        });
    }
    Ok(requested)
}

fn money(amount: i64, currency: Currency) -> Result<Money, ServiceError> {
    Money::new(amount, currency)
        .map_err(|e| ServiceError::Conflict(format!("the refund cannot be written as money: {e}")))
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("No order has this id.")
}

/// Refunds `amount_gross` cents of a paid order (`None`: all that is left)
/// as staff, because `reason` (3 to 500 characters, printed on the credit
/// note: never personal data).
///
/// The refund, its credit note (taken from the order's invoice; the
/// invoice is issued first, with `seller`, if the order somehow has none),
/// the order's move to `partially_refunded` or `refunded`, the audit entry
/// and the buyer's mail commit together. Refunds of one order take turns
/// (its row is locked), so concurrent refunds never exceed the payment.
///
/// A bank-transfer order's refund is recorded at once: staff send the
/// money back by transfer. A Stripe order's is made through `provider`,
/// in three steps, because a call to Stripe cannot be part of a database
/// transaction:
///
/// 1. one unit of work reserves the refund as `pending` (its amount counts
///    as refunded from then on, so a concurrent refund sees it) and
///    commits;
/// 2. Stripe is asked to refund, with the refund's id as its
///    `Idempotency-Key`, so the same refund is never made twice at Stripe;
/// 3. a second unit of work settles it: `succeeded` with Stripe's refund
///    id, the credit note, the order's move, the audit entry and the mail;
///    or, when Stripe refused or did not answer, `failed`, which frees the
///    amount and leaves the order unchanged.
///
/// Stripe is only called once the reservation is committed, and the order
/// only changes once Stripe has refunded: Boutique never says "refunded"
/// for money Stripe kept, and never asks Stripe for more than was paid. A
/// crash between 2 and 3 leaves the refund `pending`, its amount still
/// reserved (never refunded twice); staff see it in the order's refunds
/// and check it against Stripe's dashboard.
///
/// # Errors
/// Field errors (`amount`, `reason`); not found;
/// [`ServiceError::IllegalTransition`] for an order never paid;
/// [`ServiceError::RefundExceedsPayment`]; [`ServiceError::RefundFailed`]
/// when Stripe refused, did not answer or is not configured; a conflict
/// when the order cannot be credited (its buyer was erased before any
/// invoice); storage.
#[allow(clippy::too_many_arguments)]
pub async fn refund(
    store: &dyn Store,
    clock: &dyn Clock,
    provider: Option<&dyn PaymentProvider>,
    staff: &Principal,
    order_id: OrderId,
    amount_gross: Option<i64>,
    reason: &str,
    seller: &Seller,
) -> Result<OrderRefunds, ServiceError> {
    let reason =
        bounded(reason, 3, 500, false).map_err(|e| ServiceError::field("reason", e.to_string()))?;
    if amount_gross.is_some_and(|a| a <= 0) {
        return Err(ServiceError::field("amount", "must be at least 1 cent"));
    }
    let now = clock.now();
    let uow = store.begin().await?;
    uow.refunds().lock_order(order_id).await?;
    let order = uow.orders().get(order_id).await?.ok_or_else(not_found)?;
    let earlier = uow.refunds().of_order(order_id).await?;
    let amount = refundable(&order, &earlier, amount_gross)?;
    let s = &order.summary;
    let mut record = RefundRecord {
        id: RefundId::new(),
        order_id,
        amount,
        currency: s.totals.currency,
        method: s.payment_method,
        status: RefundStatus::Pending,
        reason,
        provider_refund_id: None,
        credit_note: None,
        staff_id: staff.customer_id,
        created_at: now,
        updated_at: now,
    };
    if s.payment_method == PaymentMethod::BankTransfer {
        complete_in(uow.as_ref(), &order, &mut record, false, staff, seller, now).await?;
        let refunds = uow.refunds().of_order(order_id).await?;
        let order = uow.orders().get(order_id).await?.ok_or_else(not_found)?;
        uow.commit().await?;
        return Ok(OrderRefunds { order, refunds });
    }

    // Paid through Stripe: reserve, ask Stripe, settle (see above).
    let Some(provider) = provider else {
        return Err(ServiceError::RefundFailed(
            "card payments are not configured, and this order was paid by card".into(),
        ));
    };
    let Some(payment) = uow.payments().of_order(order_id).await? else {
        return Err(ServiceError::Conflict(
            "this order has no card payment to refund".into(),
        ));
    };
    uow.refunds().insert(&record).await?;
    uow.commit().await?;

    let key = format!("boutique-refund-{}", record.id);
    let asked = provider.refund_once(&payment.intent_id, amount, &key).await;
    let now = clock.now();
    let uow = store.begin().await?;
    uow.refunds().lock_order(order_id).await?;
    match asked {
        Err(e) => {
            uow.refunds()
                .settle(record.id, RefundStatus::Failed, None, None, now)
                .await?;
            uow.commit().await?;
            Err(ServiceError::RefundFailed(e.0))
        }
        Ok(provider_refund_id) => {
            // Read again: the order may have moved while Stripe answered.
            let order = uow.orders().get(order_id).await?.ok_or_else(not_found)?;
            record.provider_refund_id = Some(provider_refund_id);
            complete_in(uow.as_ref(), &order, &mut record, true, staff, seller, now).await?;
            let refunds = uow.refunds().of_order(order_id).await?;
            let order = uow.orders().get(order_id).await?.ok_or_else(not_found)?;
            uow.commit().await?;
            Ok(OrderRefunds { order, refunds })
        }
    }
}

/// Makes a refund that the money went back for: its credit note, its row
/// (inserted, or a `pending` one settled), the order's move, the audit
/// entry and the buyer's mail, inside the unit of work `repos`.
#[allow(clippy::too_many_arguments)]
async fn complete_in(
    repos: &dyn Repos,
    order: &Order,
    record: &mut RefundRecord,
    pending: bool,
    staff: &Principal,
    seller: &Seller,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let s = &order.summary;
    let invoice = super::invoice::issue_in(repos, order, seller, now).await?;
    let note = super::invoice::credit_note_in(
        repos,
        &invoice,
        Refund::Partial {
            gross: record.amount,
        },
        &record.reason,
        now,
    )
    .await?;
    record.status = RefundStatus::Succeeded;
    record.credit_note = Some(note.number.clone());
    record.updated_at = now;
    if pending {
        if !repos
            .refunds()
            .settle(
                record.id,
                RefundStatus::Succeeded,
                record.provider_refund_id.as_deref(),
                Some(&note.number),
                now,
            )
            .await?
        {
            return Err(ServiceError::Conflict(
                "the refund was settled meanwhile; read the order again".into(),
            ));
        }
    } else {
        repos.refunds().insert(record).await?;
    }
    let refunded: i64 = repos
        .refunds()
        .of_order(s.id)
        .await?
        .iter()
        .filter(|r| r.status == RefundStatus::Succeeded)
        .map(|r| r.amount)
        .sum();
    let from = s.status;
    let to = if refunded >= s.totals.total {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    let shown = money(record.amount, record.currency)?;
    // An order cancelled while Stripe refunded keeps its status: the
    // refund and its credit note are recorded all the same.
    if from.can_become(to) {
        let event = OrderEvent {
            from: Some(from),
            to,
            at: now,
            actor: format!("staff:{}", staff.customer_id),
            note: Some(format!(
                "refund of {shown} (credit note {}): {}",
                note.number, record.reason
            )),
        };
        if !repos.orders().transition(s.id, from, &event).await? {
            return Err(ServiceError::Conflict(
                "the order changed meanwhile; read it again".into(),
            ));
        }
        let mut after = s.clone();
        after.status = to;
        crate::integration::webhooks::emit_status_change(repos, from, &after, false, now).await?;
    }
    let mut refunded_data = crate::integration::webhooks::order_data(s);
    refunded_data["refund_id"] = serde_json::json!(record.id.to_string());
    refunded_data["refund_amount"] = serde_json::json!(record.amount);
    refunded_data["credit_note"] = serde_json::json!(note.number);
    crate::integration::emit(
        repos,
        crate::integration::EventType::OrderRefunded,
        refunded_data,
        Some(s.id),
        now,
    )
    .await?;
    if let Some(buyer) = &order.buyer {
        let email = Email::parse(&buyer.email)
            .map_err(|_| StorageError::msg("corrupt stored data: order e-mail"))?;
        repos
            .outbox()
            .enqueue(
                order.subject,
                &Envelope {
                    to: email,
                    name: PersonName::parse(&buyer.name).ok(),
                    language: s.language,
                    mail: Mail::OrderRefunded {
                        order: s.id,
                        number: s.number.clone(),
                        amount: shown.to_string(),
                    },
                },
                now,
            )
            .await?;
    }
    crate::audit::record(
        repos,
        staff.by(),
        AuditAction::OrderRefunded,
        AuditTarget::Order(s.id),
        &format!(
            "{shown} refunded by {}, credit note {}; {} -> {}: {}",
            record.method.as_str(),
            note.number,
            from.as_str(),
            if from.can_become(to) {
                to.as_str()
            } else {
                from.as_str()
            },
            record.reason
        ),
        now,
    )
    .await?;
    Ok(())
}

/// An order's refunds, oldest first (staff; no personal data).
///
/// # Errors
/// Not found; storage.
pub async fn list(store: &dyn Store, order_id: OrderId) -> Result<Vec<RefundRecord>, ServiceError> {
    let repos = store.reader();
    if repos.orders().get(order_id).await?.is_none() {
        return Err(not_found());
    }
    Ok(repos.refunds().of_order(order_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Language;
    use crate::shop::order::{OrderSummary, OrderTotals};
    use crate::subject::SubjectId;

    fn order(status: OrderStatus, total: i64) -> Order {
        let id = OrderId::new();
        let at = Utc::now();
        Order {
            summary: OrderSummary {
                id,
                number: crate::shop::order::number(id),
                customer_id: None,
                status,
                payment_method: PaymentMethod::BankTransfer,
                country: "FR".into(),
                totals: OrderTotals {
                    currency: Currency::EUR,
                    goods_net: total,
                    discount_net: 0,
                    shipping_net: 0,
                    vat: 0,
                    total,
                },
                language: Language::Fr,
                created_at: at,
                status_changed_at: at,
                paid_at: Some(at),
                coupon: None,
                fraud_signals: Vec::new(),
            },
            subject: SubjectId::from_uuid(uuid::Uuid::now_v7()),
            lines: Vec::new(),
            shipping: None,
            buyer: None,
            events: Vec::new(),
        }
    }

    fn made(o: &Order, amount: i64, status: RefundStatus) -> RefundRecord {
        RefundRecord {
            id: RefundId::new(),
            order_id: o.summary.id,
            amount,
            currency: Currency::EUR,
            method: PaymentMethod::BankTransfer,
            status,
            reason: "geste commercial".into(),
            provider_refund_id: None,
            credit_note: None,
            staff_id: CustomerId::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn exceeds(r: Result<i64, ServiceError>) -> (i64, i64) {
        match r {
            Err(ServiceError::RefundExceedsPayment {
                remaining,
                requested,
                ..
            }) => (remaining, requested),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refund_never_exceeds_what_was_paid() {
        let o = order(OrderStatus::Completed, 24_000);
        assert_eq!(refundable(&o, &[], Some(5_000)).ok(), Some(5_000));
        assert_eq!(refundable(&o, &[], None).ok(), Some(24_000));
        assert_eq!(exceeds(refundable(&o, &[], Some(24_001))), (24_000, 24_001));
        let earlier = [
            made(&o, 5_000, RefundStatus::Succeeded),
            made(&o, 4_000, RefundStatus::Pending),
            made(&o, 20_000, RefundStatus::Failed),
        ];
        assert_eq!(
            remaining(24_000, &earlier),
            15_000,
            "failed ones free their amount"
        );
        assert_eq!(refundable(&o, &earlier, None).ok(), Some(15_000));
        assert_eq!(
            exceeds(refundable(&o, &earlier, Some(15_001))),
            (15_000, 15_001)
        );
        let all = [made(&o, 24_000, RefundStatus::Succeeded)];
        assert_eq!(exceeds(refundable(&o, &all, None)), (0, 0));
        assert_eq!(exceeds(refundable(&o, &[], Some(0))), (24_000, 0));
    }

    #[test]
    fn only_a_paid_order_is_refunded() {
        for status in OrderStatus::ALL {
            let o = order(status, 1_000);
            let r = refundable(&o, &[], None);
            match status {
                OrderStatus::Processing
                | OrderStatus::Completed
                | OrderStatus::PartiallyRefunded => assert_eq!(r.ok(), Some(1_000)),
                OrderStatus::Refunded => assert_eq!(exceeds(r), (0, 0)),
                _ => assert!(
                    matches!(r, Err(ServiceError::IllegalTransition { .. })),
                    "{status:?}"
                ),
            }
        }
        for s in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(s.as_str()), Some(s));
        }
    }
}
