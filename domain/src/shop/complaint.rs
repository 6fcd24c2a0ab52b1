//! Complaints and refund requests (SHOP-5): a customer, or a guest with
//! the order's secret, opens one on their order and writes in its thread;
//! staff see an inbox without personal data, read a thread (audited, with
//! a reason), answer (the buyer is mailed through the outbox) and close
//! it. Both sides read the same thread. Messages are sealed under the
//! order's subject key: erasing the buyer erases them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::order::{self, OrderHolder, OrderStatus};
use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{BlindIndex, CustomerId, Email, PersonName, Principal};
use crate::ids::{ComplaintId, OrderId};
use crate::mail::{Envelope, Mail};
use crate::service::ServiceError;
use crate::store::Store;
use crate::subject::SubjectId;
use crate::text::bounded;

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintKind {
    /// Something went wrong (a file, a delivery, a question).
    Complaint,
    /// The customer asks for their money back.
    RefundRequest,
}

impl ComplaintKind {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::Complaint, Self::RefundRequest];

    /// The wire and stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Complaint => "complaint",
            Self::RefundRequest => "refund_request",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplaintStatus {
    /// Waiting for staff (opened, or the customer wrote last).
    Open,
    /// Staff answered last.
    Answered,
    /// Closed by staff: it takes no more messages.
    Closed,
}

impl ComplaintStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::Open, Self::Answered, Self::Closed];

    /// The wire and stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A complaint's fields that name no one: what the staff inbox shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintSummary {
    /// Id.
    pub id: ComplaintId,
    /// The order it is about.
    pub order_id: OrderId,
    /// The order's account, when it has one.
    pub customer_id: Option<CustomerId>,
    /// What is asked for.
    pub kind: ComplaintKind,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last message or change.
    pub updated_at: DateTime<Utc>,
    /// Last answer of staff.
    pub answered_at: Option<DateTime<Utc>>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintMessage {
    /// The staff member who wrote it; `None` when the customer did.
    pub staff_id: Option<CustomerId>,
    /// What it says.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A complaint and its thread, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// The inbox fields.
    pub summary: ComplaintSummary,
    /// Whose key seals the messages (the order's subject).
    pub subject: SubjectId,
    /// The messages, oldest first.
    pub messages: Vec<ComplaintMessage>,
}

/// A new complaint, as stored.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// Id.
    pub id: ComplaintId,
    /// The order.
    pub order_id: OrderId,
    /// The order's subject.
    pub subject: SubjectId,
    /// The order's account.
    pub customer_id: Option<CustomerId>,
    /// What is asked for.
    pub kind: ComplaintKind,
}

/// Which complaints the inbox shows.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    /// In this status.
    pub status: Option<ComplaintStatus>,
    /// Of this kind.
    pub kind: Option<ComplaintKind>,
    /// About this order.
    pub order: Option<OrderId>,
    /// Older than this one (cursor).
    pub before: Option<ComplaintId>,
}

/// Complaints and their threads.
#[async_trait]
pub trait ComplaintRepo: Send + Sync {
    /// Stores a new complaint (its first message is added after).
    async fn insert(
        &self,
        complaint: &NewComplaint,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Adds a message, sealed under `subject`'s key, written by `staff`
    /// (`None`: the customer), and sets the complaint's status.
    async fn add_message(
        &self,
        id: ComplaintId,
        subject: SubjectId,
        staff: Option<CustomerId>,
        body: &str,
        status: ComplaintStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Sets the status; false when unknown.
    async fn set_status(
        &self,
        id: ComplaintId,
        status: ComplaintStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// One complaint's inbox fields, without decrypting anything.
    async fn summary(&self, id: ComplaintId) -> Result<Option<ComplaintSummary>, StorageError>;
    /// One complaint and its thread (`None` when unknown, or its subject's
    /// key was destroyed).
    async fn get(&self, id: ComplaintId) -> Result<Option<Complaint>, StorageError>;
    /// An order's complaints and their threads, oldest first.
    async fn of_order(&self, order: OrderId) -> Result<Vec<Complaint>, StorageError>;
    /// Complaints, newest first, at most `limit`.
    async fn list(
        &self,
        filter: &ComplaintFilter,
        limit: u64,
    ) -> Result<Vec<ComplaintSummary>, StorageError>;
}

/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 5000;
/// Most complaints an order takes.
pub const MAX_PER_ORDER: usize = 10;
/// Most messages a thread takes.
pub const MAX_MESSAGES: usize = 100;

fn text(field: &str, s: &str, min: usize) -> Result<String, ServiceError> {
    bounded(s, min, MAX_MESSAGE, true).map_err(|e| ServiceError::field(field, e.to_string()))
}

const NOT_OURS: &str = "No complaint of this order has this id.";
const UNKNOWN: &str = "No complaint has this id.";

/// Opens a complaint or refund request on an order, as its customer or
/// with its secret, with a first message of 10 to 5,000 characters. A
/// refund can be requested for a paid order only; an order takes at most
/// 10 complaints.
///
/// # Errors
/// Field errors; not found (also another's order); a conflict (a refund
/// request on an unpaid order, too many complaints, the buyer erased);
/// storage.
#[allow(clippy::too_many_arguments)]
pub async fn open(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    holder: &OrderHolder<'_>,
    order_id: OrderId,
    kind: ComplaintKind,
    message: &str,
) -> Result<Complaint, ServiceError> {
    let message = text("message", message, 10)?;
    let order = order::read(store, index, holder, order_id).await?;
    if order.buyer.is_none() {
        return Err(ServiceError::Conflict(
            "this order's personal data were erased: write to the shop instead".into(),
        ));
    }
    let status = order.summary.status;
    if kind == ComplaintKind::RefundRequest
        && !matches!(
            status,
            OrderStatus::Processing | OrderStatus::Completed | OrderStatus::PartiallyRefunded
        )
    {
        return Err(ServiceError::Conflict(format!(
            "a refund can be requested for a paid order only; this one is {}",
            status.as_str()
        )));
    }
    let now = clock.now();
    let uow = store.begin().await?;
    let existing = uow
        .complaints()
        .list(
            &ComplaintFilter {
                order: Some(order_id),
                ..ComplaintFilter::default()
            },
            u64::try_from(MAX_PER_ORDER).unwrap_or(u64::MAX),
        )
        .await?;
    if existing.len() >= MAX_PER_ORDER {
        return Err(ServiceError::Conflict(format!(
            "an order takes at most {MAX_PER_ORDER} complaints: write in an open one"
        )));
    }
    let id = ComplaintId::new();
    uow.complaints()
        .insert(
            &NewComplaint {
                id,
                order_id,
                subject: order.subject,
                customer_id: order.summary.customer_id,
                kind,
            },
            now,
        )
        .await?;
    uow.complaints()
        .add_message(
            id,
            order.subject,
            None,
            &message,
            ComplaintStatus::Open,
            now,
        )
        .await?;
    let c = uow
        .complaints()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound(UNKNOWN))?;
    uow.commit().await?;
    Ok(c)
}

/// An order's complaints and their threads, oldest first, as its customer
/// or with its secret.
///
/// # Errors
/// Not found (also another's order); storage.
pub async fn of_order(
    store: &dyn Store,
    index: &dyn BlindIndex,
    holder: &OrderHolder<'_>,
    order_id: OrderId,
) -> Result<Vec<Complaint>, ServiceError> {
    order::read(store, index, holder, order_id).await?;
    Ok(store.reader().complaints().of_order(order_id).await?)
}

/// Adds the customer's message (1 to 5,000 characters) to a complaint of
/// their order: it waits for staff again.
///
/// # Errors
/// Field errors; not found (another's order, or a complaint of another
/// order); a conflict when it is closed or full; storage.
pub async fn write(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    holder: &OrderHolder<'_>,
    order_id: OrderId,
    id: ComplaintId,
    message: &str,
) -> Result<Complaint, ServiceError> {
    let message = text("message", message, 1)?;
    order::read(store, index, holder, order_id).await?;
    let now = clock.now();
    let uow = store.begin().await?;
    let c = match uow.complaints().get(id).await? {
        Some(c) if c.summary.order_id == order_id => c,
        _ => return Err(ServiceError::NotFound(NOT_OURS)),
    };
    writable(&c)?;
    uow.complaints()
        .add_message(id, c.subject, None, &message, ComplaintStatus::Open, now)
        .await?;
    let c = uow
        .complaints()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound(NOT_OURS))?;
    uow.commit().await?;
    Ok(c)
}

fn writable(c: &Complaint) -> Result<(), ServiceError> {
    if c.summary.status == ComplaintStatus::Closed {
        return Err(ServiceError::Conflict(
            "this complaint is closed: open a new one".into(),
        ));
    }
    if c.messages.len() >= MAX_MESSAGES {
        return Err(ServiceError::Conflict(format!(
            "a complaint takes at most {MAX_MESSAGES} messages: open a new one"
        )));
    }
    Ok(())
}

/// The staff inbox, newest first, without personal data (not an audited
/// read).
///
/// # Errors
/// Storage.
pub async fn staff_list(
    store: &dyn Store,
    filter: &ComplaintFilter,
    limit: u64,
) -> Result<Vec<ComplaintSummary>, ServiceError> {
    Ok(store.reader().complaints().list(filter, limit).await?)
}

/// Staff read a complaint's thread, audited with the reason given.
///
/// # Errors
/// Not found (also once its buyer was erased); storage.
pub async fn staff_read(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ComplaintId,
    reason: &str,
) -> Result<Complaint, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let c = uow
        .complaints()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound(UNKNOWN))?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::PersonalDataAccessed,
        AuditTarget::Complaint(id),
        reason,
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(c)
}

/// Staff answer a complaint (1 to 5,000 characters): the answer joins the
/// thread, the complaint is `answered`, the buyer is mailed through the
/// outbox. Audited.
///
/// # Errors
/// Field errors; not found; a conflict when it is closed or full; storage.
pub async fn staff_answer(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ComplaintId,
    body: &str,
) -> Result<Complaint, ServiceError> {
    let body = text("body", body, 1)?;
    let now = clock.now();
    let uow = store.begin().await?;
    let c = uow
        .complaints()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound(UNKNOWN))?;
    writable(&c)?;
    uow.complaints()
        .add_message(
            id,
            c.subject,
            Some(staff.customer_id),
            &body,
            ComplaintStatus::Answered,
            now,
        )
        .await?;
    let order = uow.orders().get(c.summary.order_id).await?;
    if let Some((order, buyer)) = order
        .as_ref()
        .and_then(|o| o.buyer.as_ref().map(|b| (o, b)))
    {
        let email = Email::parse(&buyer.email)
            .map_err(|_| StorageError::msg("corrupt stored data: order e-mail"))?;
        uow.outbox()
            .enqueue(
                order.subject,
                &Envelope {
                    to: email,
                    name: PersonName::parse(&buyer.name).ok(),
                    language: order.summary.language,
                    mail: Mail::ComplaintAnswered {
                        order: order.summary.id,
                        number: order.summary.number.clone(),
                        body: body.clone(),
                    },
                },
                now,
            )
            .await?;
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ComplaintAnswered,
        AuditTarget::Complaint(id),
        "answer sent",
        now,
    )
    .await?;
    let c = uow
        .complaints()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound(UNKNOWN))?;
    uow.commit().await?;
    Ok(c)
}

/// Staff close a complaint: it takes no more messages. Audited; closing a
/// closed complaint changes nothing.
///
/// # Errors
/// Not found; storage.
pub async fn staff_close(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ComplaintId,
) -> Result<ComplaintSummary, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let c = uow
        .complaints()
        .summary(id)
        .await?
        .ok_or(ServiceError::NotFound(UNKNOWN))?;
    if c.status == ComplaintStatus::Closed {
        return Ok(c);
    }
    uow.complaints()
        .set_status(id, ComplaintStatus::Closed, now)
        .await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ComplaintChanged,
        AuditTarget::Complaint(id),
        "closed",
        now,
    )
    .await?;
    let c = uow
        .complaints()
        .summary(id)
        .await?
        .ok_or(ServiceError::NotFound(UNKNOWN))?;
    uow.commit().await?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ComplaintKind::ALL {
            assert_eq!(ComplaintKind::parse(k.as_str()), Some(k));
        }
        for s in ComplaintStatus::ALL {
            assert_eq!(ComplaintStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_closed_or_full_thread_takes_no_more_messages() {
        let at = Utc::now();
        let mut c = Complaint {
            summary: ComplaintSummary {
                id: ComplaintId::new(),
                order_id: OrderId::new(),
                customer_id: None,
                kind: ComplaintKind::Complaint,
                status: ComplaintStatus::Open,
                created_at: at,
                updated_at: at,
                answered_at: None,
                closed_at: None,
            },
            subject: SubjectId::from_uuid(uuid::Uuid::now_v7()),
            messages: Vec::new(),
        };
        assert!(writable(&c).is_ok());
        c.messages = vec![
            ComplaintMessage {
                staff_id: None,
                body: "x".into(),
                created_at: at,
            };
            MAX_MESSAGES
        ];
        assert!(writable(&c).is_err());
        c.messages.clear();
        c.summary.status = ComplaintStatus::Closed;
        assert!(writable(&c).is_err());
        assert!(text("message", "   ", 1).is_err());
        assert!(text("message", "trop court", 11).is_err());
    }
}
