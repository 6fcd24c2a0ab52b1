//! Requests received by the DPO (DSR-3): by e-mail, letter, phone or a
//! contact message, recorded by an admin, answered within a month of
//! receipt (two more with a reason), once the person's identity is
//! verified, with the same machinery as self-service: the export, the
//! erasure and its receipt, the restriction (art. 18) that freezes the
//! data, the objection that withdraws consents.

use async_trait::async_trait;
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::{CustomerId, Origin, Principal};
use crate::retention::Policies;
use crate::service::ServiceError;
use crate::store::{Repos, Store};

/// The right exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpoKind {
    /// Art. 15: a copy of the data.
    Access,
    /// Art. 16: a correction (staff make it, then record the outcome).
    Rectification,
    /// Art. 17: the erasure.
    Erasure,
    /// Art. 20: the data in a machine-readable file.
    Portability,
    /// Art. 18: the data frozen, kept, out of mailings.
    Restriction,
    /// Art. 21: no more marketing.
    Objection,
}

impl DpoKind {
    /// Every kind.
    pub const ALL: [Self; 6] = [
        Self::Access,
        Self::Rectification,
        Self::Erasure,
        Self::Portability,
        Self::Restriction,
        Self::Objection,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Portability => "portability",
            Self::Restriction => "restriction",
            Self::Objection => "objection",
        }
    }

    /// The kind of a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How the request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpoChannel {
    /// An e-mail.
    Email,
    /// A message of the contact form.
    ContactMessage,
    /// A letter.
    Letter,
    /// A phone call.
    Phone,
}

impl DpoChannel {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::ContactMessage => "contact_message",
            Self::Letter => "letter",
            Self::Phone => "phone",
        }
    }

    /// The channel of a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::ContactMessage, Self::Letter, Self::Phone]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpoStatus {
    /// To answer.
    Open,
    /// Answered.
    Fulfilled,
}

impl DpoStatus {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Fulfilled => "fulfilled",
        }
    }
}

/// Staff's notes on a request, sealed under the customer's key (they may
/// name the person or their documents).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpoNotes {
    /// How the identity was verified.
    pub verification: Option<String>,
    /// Why the deadline was extended.
    pub extension_reason: Option<String>,
    /// What was done.
    pub outcome: Option<String>,
}

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpoRequest {
    /// Its id.
    pub id: Uuid,
    /// The account concerned.
    pub customer: CustomerId,
    /// The right exercised.
    pub kind: DpoKind,
    /// How it arrived.
    pub channel: DpoChannel,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it must be answered.
    pub due_at: DateTime<Utc>,
    /// Whether the deadline was extended (once).
    pub extended: bool,
    /// When the identity was verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: DpoStatus,
    /// When it was answered.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Staff's notes (none once the person's key is destroyed).
    pub notes: Option<DpoNotes>,
    /// The contact message it came from.
    pub contact_message: Option<Uuid>,
    /// Who recorded it.
    pub recorded_by: CustomerId,
}

/// One month after receipt (GDPR art. 12(3)).
#[must_use]
pub fn due(received: DateTime<Utc>) -> DateTime<Utc> {
    received
        .checked_add_months(Months::new(1))
        .unwrap_or(received)
}

/// Storage of the DPO's requests, and of restrictions.
#[async_trait]
pub trait DpoRepo: Send + Sync {
    /// Stores a new request.
    async fn insert(&self, r: &DpoRequest) -> Result<(), StorageError>;
    /// One request.
    async fn get(&self, id: Uuid) -> Result<Option<DpoRequest>, StorageError>;
    /// Every request: open ones first, the earliest due first.
    async fn list(&self) -> Result<Vec<DpoRequest>, StorageError>;
    /// Stores the request's new state.
    async fn update(&self, r: &DpoRequest, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Freezes (or, with `None`, frees) a customer's data.
    async fn restrict(
        &self,
        customer: CustomerId,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StorageError>;
    /// Whether a customer's data are frozen.
    async fn restricted(&self, customer: CustomerId) -> Result<bool, StorageError>;
    /// Which of these subjects are customers whose data are frozen.
    async fn restricted_among(&self, subjects: &[Uuid]) -> Result<Vec<Uuid>, StorageError>;
}

/// What a request says when recorded.
#[derive(Debug, Clone)]
pub struct NewDpoRequest {
    /// The account concerned.
    pub customer: CustomerId,
    /// The right exercised.
    pub kind: DpoKind,
    /// How it arrived.
    pub channel: DpoChannel,
    /// When it was received (not in the future).
    pub received_at: DateTime<Utc>,
    /// The contact message it came from.
    pub contact_message: Option<Uuid>,
}

async fn audit(
    repos: &dyn Repos,
    staff: &Principal,
    id: Uuid,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    crate::audit::record(
        repos,
        staff.by(),
        AuditAction::DpoRequestChanged,
        AuditTarget::DpoRequest(id),
        why,
        now,
    )
    .await
}

async fn found(repos: &dyn Repos, id: Uuid) -> Result<DpoRequest, ServiceError> {
    repos
        .dpo()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No request has this id."))
}

/// Records a request (admins), audited. Its due date is a month after
/// receipt.
///
/// # Errors
/// An unknown account or a receipt in the future (400); storage.
pub async fn record(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    new: NewDpoRequest,
) -> Result<DpoRequest, ServiceError> {
    let now = clock.now();
    let mut f = FieldErrors::default();
    if new.received_at > now {
        f.push("received_at", "must not be in the future");
    }
    let uow = store.begin().await?;
    if uow
        .accounts()
        .login_record_by_id(new.customer)
        .await?
        .is_none()
    {
        f.push("customer_id", "no customer account has this id");
    }
    f.check()?;
    let r = DpoRequest {
        id: Uuid::now_v7(),
        customer: new.customer,
        kind: new.kind,
        channel: new.channel,
        received_at: new.received_at,
        due_at: due(new.received_at),
        extended: false,
        verified_at: None,
        status: DpoStatus::Open,
        fulfilled_at: None,
        notes: Some(DpoNotes::default()),
        contact_message: new.contact_message,
        recorded_by: staff.customer_id,
    };
    uow.dpo().insert(&r).await?;
    audit(
        uow.as_ref(),
        staff,
        r.id,
        &format!("recorded ({})", r.kind.as_str()),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(r)
}

/// One request (admins).
///
/// # Errors
/// Not found; storage.
pub async fn get(store: &dyn Store, id: Uuid) -> Result<DpoRequest, ServiceError> {
    found(store.reader().as_ref(), id).await
}

fn open(r: &DpoRequest) -> Result<(), ServiceError> {
    if r.status == DpoStatus::Open {
        Ok(())
    } else {
        Err(ServiceError::Conflict(
            "this request was answered already".into(),
        ))
    }
}

fn note(text: &str, field: &str) -> Result<String, ServiceError> {
    let mut f = FieldErrors::default();
    let t = f.take_coded(field, crate::text::bounded(text, 3, 1000, true));
    Ok(f.finish(|| t)?)
}

/// A step on an open request, with staff's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Records how the person's identity was verified (needed before the
    /// request is answered).
    Verify,
    /// Extends the deadline by two months, once, with the reason
    /// (art. 12(3)).
    Extend,
}

/// Takes a step on an open request (admins), audited.
///
/// # Errors
/// Not found; answered, or extended already (409); a blank note (400);
/// storage.
pub async fn step(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: Uuid,
    step: Step,
    text: &str,
) -> Result<DpoRequest, ServiceError> {
    let text = note(text, "note")?;
    let now = clock.now();
    let uow = store.begin().await?;
    let mut r = found(uow.as_ref(), id).await?;
    open(&r)?;
    let notes = r.notes.get_or_insert_with(DpoNotes::default);
    let why = match step {
        Step::Verify => {
            r.verified_at = Some(now);
            notes.verification = Some(text);
            "identity verified"
        }
        Step::Extend => {
            if r.extended {
                return Err(ServiceError::Conflict(
                    "the deadline was extended already: two months at most".into(),
                ));
            }
            notes.extension_reason = Some(text);
            r.extended = true;
            r.due_at = r
                .due_at
                .checked_add_months(Months::new(2))
                .unwrap_or(r.due_at);
            "deadline extended by two months"
        }
    };
    uow.dpo().update(&r, now).await?;
    audit(uow.as_ref(), staff, id, why, now).await?;
    uow.commit().await?;
    Ok(r)
}

/// What answering a request produced.
#[derive(Debug, Clone)]
pub enum Fulfilment {
    /// Access, portability: the export to send the person.
    Export(super::DataExport),
    /// Erasure: its receipt.
    Erased(super::ErasureReceipt),
    /// Restriction, objection, rectification: done.
    Done,
}

/// Answers a request (admins), once the identity is verified: access and
/// portability give the export; erasure erases the account (keys first)
/// and gives the receipt; restriction freezes the customer's data (their
/// changes refused, out of mailings, kept past the inactivity period);
/// objection withdraws every consent they can withdraw; rectification
/// records what staff corrected. Audited.
///
/// # Errors
/// Not found; not verified or answered (409); storage.
pub async fn fulfil(
    store: &dyn Store,
    clock: &dyn Clock,
    policies: &Policies,
    staff: &Principal,
    id: Uuid,
    outcome: &str,
) -> Result<(DpoRequest, Fulfilment), ServiceError> {
    let outcome = note(outcome, "note")?;
    let now = clock.now();
    let uow = store.begin().await?;
    let mut r = found(uow.as_ref(), id).await?;
    open(&r)?;
    if r.verified_at.is_none() {
        return Err(ServiceError::Conflict(
            "verify the person's identity first (POST .../verification)".into(),
        ));
    }
    if let Some(n) = r.notes.as_mut() {
        n.outcome = Some(outcome);
    }
    r.status = DpoStatus::Fulfilled;
    r.fulfilled_at = Some(now);
    // Stored before an erasure, while the key still seals the notes.
    uow.dpo().update(&r, now).await?;
    let done = match r.kind {
        DpoKind::Access | DpoKind::Portability => Fulfilment::Export(super::DataExport {
            generated_at: now,
            customer: r.customer,
            tables: uow.rights().export(r.customer).await?,
        }),
        DpoKind::Erasure => {
            let held = uow.rights().held(r.customer).await?;
            let erased = uow.rights().erase(r.customer, now).await?;
            r.notes = None;
            Fulfilment::Erased(super::receipt(policies, r.customer, held, erased, now))
        }
        DpoKind::Restriction => {
            uow.dpo().restrict(r.customer, Some(now)).await?;
            Fulfilment::Done
        }
        DpoKind::Objection => {
            let subject = crate::subject::SubjectId::customer(r.customer);
            for p in uow.consents().purposes().await? {
                if p.legal_basis.withdrawable() {
                    crate::consent::record_in(
                        uow.as_ref(),
                        subject,
                        p.key.as_str(),
                        false,
                        crate::consent::Channel::StaffRequest,
                        &Origin::local("dpo"),
                        now,
                    )
                    .await?;
                }
            }
            Fulfilment::Done
        }
        DpoKind::Rectification => Fulfilment::Done,
    };
    audit(
        uow.as_ref(),
        staff,
        id,
        &format!("answered ({})", r.kind.as_str()),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok((r, done))
}

/// Lifts a restriction (admins): the customer's data are theirs to change
/// again. Audited.
///
/// # Errors
/// Not found, not a restriction (409); storage.
pub async fn lift(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: Uuid,
) -> Result<DpoRequest, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let r = found(uow.as_ref(), id).await?;
    if r.kind != DpoKind::Restriction || r.status != DpoStatus::Fulfilled {
        return Err(ServiceError::Conflict(
            "only an answered restriction request can be lifted".into(),
        ));
    }
    uow.dpo().restrict(r.customer, None).await?;
    audit(uow.as_ref(), staff, id, "restriction lifted", now).await?;
    uow.commit().await?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dsr_3_a_request_is_due_a_month_after_receipt() {
        let r = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
        assert_eq!(due(r), Utc.with_ymd_and_hms(2026, 2, 28, 10, 0, 0).unwrap());
        for k in DpoKind::ALL {
            assert_eq!(DpoKind::parse(k.as_str()), Some(k));
        }
    }
}
