//! The breach register (BR-1, GDPR art. 33-34): what happened, to whose
//! data, what was done; the 72 hours the supervisory authority must be
//! told within; and the notification of the people concerned, by e-mail
//! through the outbox in their language.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::{CustomerId, Principal};
use crate::mail::Mail;
use crate::service::ServiceError;
use crate::store::Store;

/// How long after its discovery a breach must be notified to the
/// supervisory authority (GDPR art. 33(1)).
pub const AUTHORITY_DEADLINE_HOURS: i64 = 72;

/// A breach as an admin records it: descriptions, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachReport {
    /// What happened.
    pub nature: String,
    /// Categories of personal data concerned.
    pub data_categories: Vec<String>,
    /// Categories of people concerned.
    pub people_categories: Vec<String>,
    /// About how many people.
    pub approx_people: u64,
    /// About how many records.
    pub approx_records: u64,
    /// Its likely consequences.
    pub consequences: String,
    /// What was done, or will be, to address it and limit its effects.
    pub measures: String,
    /// When the shop learnt of it.
    pub discovered_at: DateTime<Utc>,
}

impl BreachReport {
    /// Checks the report (texts bounded, a discovery not in the future).
    ///
    /// # Errors
    /// Every refused field.
    pub fn check(mut self, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        for (field, text) in [
            ("nature", &mut self.nature),
            ("consequences", &mut self.consequences),
            ("measures", &mut self.measures),
        ] {
            if let Some(t) = f.take_coded(field, crate::text::bounded(text, 1, 5000, true)) {
                *text = t;
            }
        }
        for (field, list) in [
            ("data_categories", &mut self.data_categories),
            ("people_categories", &mut self.people_categories),
        ] {
            if list.is_empty() || list.len() > 20 {
                f.push(field, "must name 1 to 20 categories");
            }
            for c in list.iter_mut() {
                match f.take_coded(field, crate::text::bounded(c, 1, 100, false)) {
                    Some(t) => *c = t,
                    None => break,
                }
            }
        }
        if self.discovered_at > now {
            f.push("discovered_at", "must not be in the future");
        }
        f.check()?;
        Ok(self)
    }
}

/// A recorded breach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// Its id.
    pub id: Uuid,
    /// What was reported.
    pub report: BreachReport,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: CustomerId,
    /// When the supervisory authority was told.
    pub authority_notified_at: Option<DateTime<Utc>>,
    /// The authority's reference for it.
    pub authority_reference: Option<String>,
    /// When the people concerned were told (the last notification).
    pub people_notified_at: Option<DateTime<Utc>>,
    /// How many people were sent the notice.
    pub people_notified: u64,
}

impl Breach {
    /// When the authority must have been told.
    #[must_use]
    pub fn authority_deadline(&self) -> DateTime<Utc> {
        self.report.discovered_at + Duration::hours(AUTHORITY_DEADLINE_HOURS)
    }

    /// Whether the deadline was met: `None` while it runs and the
    /// authority has not been told yet.
    #[must_use]
    pub fn deadline_met(&self, now: DateTime<Utc>) -> Option<bool> {
        match self.authority_notified_at {
            Some(at) => Some(at <= self.authority_deadline()),
            None if now > self.authority_deadline() => Some(false),
            None => None,
        }
    }
}

/// Who is told of a breach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every customer account.
    AllCustomers,
    /// These customer accounts.
    Customers(Vec<CustomerId>),
}

/// Storage of the register.
#[async_trait]
pub trait BreachRepo: Send + Sync {
    /// Stores a new breach.
    async fn insert(&self, b: &Breach) -> Result<(), StorageError>;
    /// One breach.
    async fn get(&self, id: Uuid) -> Result<Option<Breach>, StorageError>;
    /// Every breach, the latest discovered first.
    async fn list(&self) -> Result<Vec<Breach>, StorageError>;
    /// Records the authority's notification.
    async fn authority_notified(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        reference: Option<&str>,
    ) -> Result<(), StorageError>;
    /// Claims the notice to every customer, once: false when it was sent
    /// (or is being sent) already.
    async fn claim_all(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StorageError>;
    /// Adds `n` people notified at `at`.
    async fn people_notified(
        &self,
        id: Uuid,
        n: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Customer accounts (never staff) after `after`, by id.
    async fn customers_after(
        &self,
        after: Option<CustomerId>,
        limit: u64,
    ) -> Result<Vec<CustomerId>, StorageError>;
}

async fn audit(
    repos: &dyn crate::store::Repos,
    staff: &Principal,
    action: AuditAction,
    id: Uuid,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    crate::audit::record(repos, staff.by(), action, AuditTarget::Breach(id), why, now).await
}

/// Records a breach (admins), audited.
///
/// # Errors
/// Invalid fields; storage.
pub async fn record(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    report: BreachReport,
) -> Result<Breach, ServiceError> {
    let now = clock.now();
    let b = Breach {
        id: Uuid::now_v7(),
        report: report.check(now)?,
        recorded_at: now,
        recorded_by: staff.customer_id,
        authority_notified_at: None,
        authority_reference: None,
        people_notified_at: None,
        people_notified: 0,
    };
    let uow = store.begin().await?;
    uow.breaches().insert(&b).await?;
    audit(
        uow.as_ref(),
        staff,
        AuditAction::BreachRecorded,
        b.id,
        "recorded",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(b)
}

async fn found(repos: &dyn crate::store::Repos, id: Uuid) -> Result<Breach, ServiceError> {
    repos
        .breaches()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No breach has this id."))
}

/// One breach (admins).
///
/// # Errors
/// Not found; storage.
pub async fn get(store: &dyn Store, id: Uuid) -> Result<Breach, ServiceError> {
    found(store.reader().as_ref(), id).await
}

/// Records when the supervisory authority was told (admins), audited.
///
/// # Errors
/// Not found; a time in the future or before the discovery; storage.
pub async fn authority_notified(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: Uuid,
    at: DateTime<Utc>,
    reference: Option<String>,
) -> Result<Breach, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let b = found(uow.as_ref(), id).await?;
    let mut f = FieldErrors::default();
    if at > now || at < b.report.discovered_at {
        f.push("notified_at", "must be between the discovery and now");
    }
    let reference = reference
        .as_deref()
        .and_then(|r| f.take_coded("reference", crate::text::bounded(r, 1, 100, false)));
    f.check()?;
    uow.breaches()
        .authority_notified(id, at, reference.as_deref())
        .await?;
    audit(
        uow.as_ref(),
        staff,
        AuditAction::BreachNotified,
        id,
        "supervisory authority notified",
        now,
    )
    .await?;
    let b = found(uow.as_ref(), id).await?;
    uow.commit().await?;
    Ok(b)
}

/// Tells the people concerned (admins): each customer of the audience is
/// sent the notice, in their language, through the outbox; units of work
/// of `batch` people, the count kept on the breach as it goes. Audited.
///
/// # Errors
/// Not found; invalid messages; storage.
#[allow(clippy::too_many_arguments)]
pub async fn notify_people(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: Uuid,
    audience: Audience,
    message_fr: &str,
    message_en: &str,
    batch: u64,
) -> Result<Breach, ServiceError> {
    let mut f = FieldErrors::default();
    let fr = f.take_coded(
        "message_fr",
        crate::text::bounded(message_fr, 1, 5000, true),
    );
    let en = f.take_coded(
        "message_en",
        crate::text::bounded(message_en, 1, 5000, true),
    );
    let (fr, en) = f.finish(|| Some((fr?, en?)))?;
    found(store.reader().as_ref(), id).await?;
    // Every customer is told once, however many times (or at once) it is
    // asked: the claim is one conditional update.
    if audience == Audience::AllCustomers {
        let uow = store.begin().await?;
        if !uow.breaches().claim_all(id, clock.now()).await? {
            return Err(ServiceError::Conflict(
                "every customer was already sent the notice of this breach".into(),
            ));
        }
        uow.commit().await?;
    }
    let mail = Mail::BreachNotice { fr, en };
    let batch = batch.max(1);
    let mut sent = 0u64;
    let mut after = None;
    loop {
        let now = clock.now();
        let page = match &audience {
            Audience::AllCustomers => {
                store
                    .reader()
                    .breaches()
                    .customers_after(after, batch)
                    .await?
            }
            Audience::Customers(ids) => {
                let start = usize::try_from(sent).unwrap_or(usize::MAX);
                let end = start
                    .saturating_add(usize::try_from(batch).unwrap_or(usize::MAX))
                    .min(ids.len());
                ids.get(start..end).map(<[_]>::to_vec).unwrap_or_default()
            }
        };
        if page.is_empty() {
            break;
        }
        let uow = store.begin().await?;
        for c in &page {
            crate::identity::notify_account(uow.as_ref(), *c, mail.clone(), now).await?;
        }
        uow.breaches()
            .people_notified(id, page.len() as u64, now)
            .await?;
        uow.commit().await?;
        sent += page.len() as u64;
        after = page.last().copied();
        if (page.len() as u64) < batch {
            break;
        }
    }
    let now = clock.now();
    let uow = store.begin().await?;
    audit(
        uow.as_ref(),
        staff,
        AuditAction::BreachNotified,
        id,
        &format!("{sent} people notified"),
        now,
    )
    .await?;
    let b = found(uow.as_ref(), id).await?;
    uow.commit().await?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn breach(discovered: DateTime<Utc>, told: Option<DateTime<Utc>>) -> Breach {
        Breach {
            id: Uuid::now_v7(),
            report: BreachReport {
                nature: "x".into(),
                data_categories: vec!["e-mail".into()],
                people_categories: vec!["customers".into()],
                approx_people: 1,
                approx_records: 1,
                consequences: "x".into(),
                measures: "x".into(),
                discovered_at: discovered,
            },
            recorded_at: discovered,
            recorded_by: CustomerId::new(),
            authority_notified_at: told,
            authority_reference: None,
            people_notified_at: None,
            people_notified: 0,
        }
    }

    #[test]
    fn br_1_the_72_hours_run_from_the_discovery() {
        let d = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let b = breach(d, None);
        assert_eq!(b.authority_deadline(), d + Duration::hours(72));
        assert_eq!(b.deadline_met(d + Duration::hours(71)), None);
        assert_eq!(b.deadline_met(d + Duration::hours(73)), Some(false));
        let told = breach(d, Some(d + Duration::hours(70)));
        assert_eq!(told.deadline_met(d + Duration::days(30)), Some(true));
        let late = breach(d, Some(d + Duration::hours(80)));
        assert_eq!(late.deadline_met(d + Duration::days(30)), Some(false));
    }

    #[test]
    fn a_report_needs_its_texts_and_a_past_discovery() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let mut r = breach(now, None).report;
        r.nature = "  ".into();
        r.data_categories.clear();
        r.discovered_at = now + Duration::hours(1);
        let e = r.check(now).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["nature", "data_categories", "discovered_at"]);
    }
}
