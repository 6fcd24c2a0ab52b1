//! The consent ledger (CON-1): one record per consent event (who, which
//! purpose, given or withdrawn, the privacy policy and terms versions shown
//! with their hashes, when, through which channel, from which address), and
//! the current state per person and purpose beside it. Consent is only
//! ever recorded from an explicit `true`; withdrawing is one call and takes
//! effect before the next send (GDPR art. 7(3) and 21).

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::{AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::{BlindIndex, Email, Origin, Principal};
use crate::legal::{CurrentDocuments, DocumentRef, current_documents};
use crate::service::ServiceError;
use crate::store::{Repos, Store};
use crate::subject::SubjectId;
use crate::text::bounded;

/// The purpose registration and checkout record.
pub const TERMS_AND_PRIVACY: &str = "terms_and_privacy";
/// The newsletter.
pub const NEWSLETTER: &str = "newsletter";
/// The shop's commercial e-mails.
pub const MARKETING_EMAIL: &str = "marketing_email";

/// What a processing rests on (GDPR art. 6(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalBasis {
    /// The person's consent (a): can be withdrawn at any time.
    Consent,
    /// Performing a contract the person is party to (b).
    Contract,
    /// A legal obligation of the shop (c).
    LegalObligation,
    /// The shop's legitimate interest (f): the person can object.
    LegitimateInterest,
}

impl LegalBasis {
    /// Every basis.
    pub const ALL: [Self; 4] = [
        Self::Consent,
        Self::Contract,
        Self::LegalObligation,
        Self::LegitimateInterest,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Contract => "contract",
            Self::LegalObligation => "legal_obligation",
            Self::LegitimateInterest => "legitimate_interest",
        }
    }

    /// Whether the person can withdraw (consent) or object (legitimate
    /// interest) through the ledger. A contract or a legal obligation ends
    /// with the account, not with a click.
    #[must_use]
    pub const fn withdrawable(self) -> bool {
        matches!(self, Self::Consent | Self::LegitimateInterest)
    }
}

impl FromStr for LegalBasis {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|b| b.as_str() == s).ok_or(())
    }
}

/// Through what a consent event came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The registration form.
    Registration,
    /// The checkout.
    Checkout,
    /// The account's consent page.
    AccountPage,
    /// The newsletter form (recorded when the address is confirmed).
    NewsletterForm,
    /// A link in an e-mail (one-click unsubscribe).
    EmailLink,
    /// Staff, at the person's request.
    StaffRequest,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Self; 6] = [
        Self::Registration,
        Self::Checkout,
        Self::AccountPage,
        Self::NewsletterForm,
        Self::EmailLink,
        Self::StaffRequest,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Checkout => "checkout",
            Self::AccountPage => "account_page",
            Self::NewsletterForm => "newsletter_form",
            Self::EmailLink => "email_link",
            Self::StaffRequest => "staff_request",
        }
    }
}

impl FromStr for Channel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

/// A purpose's key: 2 to 64 lower-case letters, digits and underscores,
/// starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PurposeKey(String);

impl PurposeKey {
    /// Parses a key.
    ///
    /// # Errors
    /// A message saying the rule.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let ok = (2..=64).contains(&s.len())
            && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(
                "must be 2 to 64 lower-case letters, digits and underscores, starting with a letter",
            )
        }
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PurposeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What consent can be asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    /// Key.
    pub key: PurposeKey,
    /// Legal basis.
    pub legal_basis: LegalBasis,
    /// What it is for, in French.
    pub description_fr: String,
    /// What it is for, in English.
    pub description_en: String,
    /// One of the three the shop ships with.
    pub builtin: bool,
    /// When it was defined.
    pub created_at: DateTime<Utc>,
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewConsentEvent {
    /// Whose.
    pub subject: SubjectId,
    /// Which purpose.
    pub purpose: PurposeKey,
    /// Given (`true`) or withdrawn.
    pub given: bool,
    /// Through what.
    pub channel: Channel,
    /// The versions in force when it happened.
    pub documents: CurrentDocuments,
    /// Full source address (sealed under the subject's key).
    pub source: Option<String>,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// Id.
    pub id: Uuid,
    /// Which purpose.
    pub purpose: String,
    /// Given or withdrawn.
    pub given: bool,
    /// Through what.
    pub channel: Channel,
    /// The privacy policy shown.
    pub policy: Option<DocumentRef>,
    /// The terms shown.
    pub terms: Option<DocumentRef>,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

/// Where a person stands on one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentStatus {
    /// Which purpose.
    pub purpose: String,
    /// Given.
    pub given: bool,
    /// The privacy policy version of the last event.
    pub policy_version: Option<i32>,
    /// The terms version of the last event.
    pub terms_version: Option<i32>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The ledger and the purposes.
#[async_trait]
pub trait ConsentRepo: Send + Sync {
    /// Every purpose, built-in ones first, then by key.
    async fn purposes(&self) -> Result<Vec<Purpose>, StorageError>;
    /// One purpose.
    async fn purpose(&self, key: &str) -> Result<Option<Purpose>, StorageError>;
    /// Defines a purpose; false when the key exists.
    async fn define_purpose(&self, purpose: &Purpose) -> Result<bool, StorageError>;
    /// Appends an event and moves the person's state with it.
    async fn record(&self, event: &NewConsentEvent, now: DateTime<Utc>)
    -> Result<(), StorageError>;
    /// A person's state on every purpose they ever answered.
    async fn state(&self, subject: SubjectId) -> Result<Vec<ConsentStatus>, StorageError>;
    /// A person's state on one purpose.
    async fn state_of(
        &self,
        subject: SubjectId,
        purpose: &str,
    ) -> Result<Option<ConsentStatus>, StorageError>;
    /// A person's events, newest first, at most `limit`.
    async fn history(
        &self,
        subject: SubjectId,
        limit: u64,
    ) -> Result<Vec<ConsentEvent>, StorageError>;
    /// People whose consent to `purpose` stands, by id after `after`.
    async fn audience(
        &self,
        purpose: &str,
        after: Option<SubjectId>,
        limit: u64,
    ) -> Result<Vec<SubjectId>, StorageError>;
    /// How many people's consent to `purpose` stands.
    async fn count_given(&self, purpose: &str) -> Result<u64, StorageError>;
}

/// Records an event inside a unit of work (registration, checkout, the
/// newsletter), against the documents in force.
///
/// # Errors
/// Storage failure.
pub async fn record_in(
    repos: &dyn Repos,
    subject: SubjectId,
    purpose: &str,
    given: bool,
    channel: Channel,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let purpose = PurposeKey::parse(purpose).map_err(StorageError::msg)?;
    repos
        .consents()
        .record(
            &NewConsentEvent {
                subject,
                purpose,
                given,
                channel,
                documents: current_documents(repos).await?,
                source: origin.ip.map(|ip| ip.to_string()),
            },
            now,
        )
        .await
}

/// Whether a customer must accept the documents again: their last
/// acceptance of `terms_and_privacy` is of an older privacy policy or older
/// terms than those in force (or there is none).
///
/// # Errors
/// Storage failure.
pub async fn consent_required(repos: &dyn Repos, subject: SubjectId) -> Result<bool, StorageError> {
    let docs = current_documents(repos).await?;
    let state = repos
        .consents()
        .state_of(subject, TERMS_AND_PRIVACY)
        .await?;
    Ok(match state {
        Some(s) if s.given => {
            let stale = |current: &Option<DocumentRef>, accepted: Option<i32>| {
                current
                    .as_ref()
                    .is_some_and(|c| accepted.is_none_or(|a| a < c.version))
            };
            stale(&docs.privacy, s.policy_version) || stale(&docs.terms, s.terms_version)
        }
        _ => true,
    })
}

/// The privacy policy version a customer last accepted, and whether they
/// must accept again (never for staff, who do not register).
///
/// # Errors
/// Storage failure.
pub async fn acceptance(
    store: &dyn Store,
    customer: crate::ids::CustomerId,
    role: crate::identity::Role,
) -> Result<(Option<i32>, bool), StorageError> {
    if role.is_staff() {
        return Ok((None, false));
    }
    let r = store.reader();
    let subject = SubjectId::customer(customer);
    let accepted = r
        .consents()
        .state_of(subject, TERMS_AND_PRIVACY)
        .await?
        .filter(|s| s.given)
        .and_then(|s| s.policy_version);
    Ok((accepted, consent_required(r.as_ref(), subject).await?))
}

/// A person's consents: every purpose with their state, and their history.
#[derive(Debug, Clone)]
pub struct MyConsents {
    /// Every purpose and where the person stands (`None`: never answered).
    pub purposes: Vec<(Purpose, Option<ConsentStatus>)>,
    /// Events, newest first.
    pub history: Vec<ConsentEvent>,
    /// The documents in force.
    pub documents: CurrentDocuments,
    /// Whether the documents must be accepted again.
    pub consent_required: bool,
}

/// Most events a history shows.
pub const HISTORY_LIMIT: u64 = 500;

/// The caller's consents.
///
/// # Errors
/// Storage failure.
pub async fn my_consents(store: &dyn Store, me: &Principal) -> Result<MyConsents, ServiceError> {
    let r = store.reader();
    let subject = SubjectId::customer(me.customer_id);
    let state = r.consents().state(subject).await?;
    let purposes = r
        .consents()
        .purposes()
        .await?
        .into_iter()
        .map(|p| {
            let s = state.iter().find(|s| s.purpose == p.key.as_str()).cloned();
            (p, s)
        })
        .collect();
    Ok(MyConsents {
        purposes,
        history: r.consents().history(subject, HISTORY_LIMIT).await?,
        documents: current_documents(r.as_ref()).await?,
        consent_required: consent_required(r.as_ref(), subject).await?,
    })
}

/// A decision on one purpose, as the client sent it.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// `true` gives, `false` withdraws.
    pub given: bool,
    /// The privacy policy version shown, required to give.
    pub policy_version: Option<i32>,
    /// The terms version shown, required to give `terms_and_privacy` once
    /// terms are published.
    pub terms_version: Option<i32>,
}

/// Gives or withdraws the caller's consent to one purpose, in one call.
/// Giving needs the version of the privacy policy in force (and of the
/// terms for `terms_and_privacy`), so the ledger proves what was shown.
/// A decision that changes nothing records nothing. Withdrawing
/// `newsletter` ends every subscription of the caller before the next send.
///
/// # Errors
/// [`ServiceError::NotFound`] for an unknown purpose,
/// [`ServiceError::Invalid`] for a version that is not in force,
/// [`ServiceError::Conflict`] to withdraw what rests on a contract.
pub async fn set_consent(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    me: &Principal,
    purpose: &str,
    decision: Decision,
) -> Result<ConsentStatus, ServiceError> {
    let now = clock.now();
    let subject = SubjectId::customer(me.customer_id);
    let uow = store.begin().await?;
    let Some(p) = uow.consents().purpose(purpose).await? else {
        return Err(ServiceError::NotFound("No consent purpose has this key."));
    };
    let docs = current_documents(uow.as_ref()).await?;
    if decision.given {
        let mut f = FieldErrors::default();
        let check = |f: &mut FieldErrors, field: &str, current: &Option<DocumentRef>, sent| {
            if let Some(c) = current
                && sent != Some(c.version)
            {
                f.push(
                    field,
                    format!(
                        "must be the version in force, {}: show it and send its number",
                        c.version
                    ),
                );
            }
        };
        check(
            &mut f,
            "policy_version",
            &docs.privacy,
            decision.policy_version,
        );
        if p.key.as_str() == TERMS_AND_PRIVACY {
            check(&mut f, "terms_version", &docs.terms, decision.terms_version);
        }
        f.check()?;
    } else if !p.legal_basis.withdrawable() {
        return Err(ServiceError::Conflict(format!(
            "`{}` rests on the {} basis and cannot be withdrawn alone: closing the account ends it",
            p.key,
            p.legal_basis.as_str().replace('_', " ")
        )));
    }
    let current = uow.consents().state_of(subject, p.key.as_str()).await?;
    let unchanged = current.as_ref().is_some_and(|s| {
        s.given == decision.given
            && (!decision.given
                || (s.policy_version == docs.privacy.as_ref().map(|d| d.version)
                    && s.terms_version == docs.terms.as_ref().map(|d| d.version)))
    });
    if let (true, Some(s)) = (unchanged, current) {
        return Ok(s);
    }
    uow.consents()
        .record(
            &NewConsentEvent {
                subject,
                purpose: p.key.clone(),
                given: decision.given,
                channel: Channel::AccountPage,
                documents: docs,
                source: me.origin.ip.map(|ip| ip.to_string()),
            },
            now,
        )
        .await?;
    if p.key.as_str() == NEWSLETTER {
        if decision.given {
            crate::newsletter::subscribe_account(uow.as_ref(), index, me.customer_id, now).await?;
        } else {
            crate::newsletter::end_subscriptions(uow.as_ref(), subject, now).await?;
        }
    }
    let state = uow
        .consents()
        .state_of(subject, p.key.as_str())
        .await?
        .ok_or_else(|| StorageError::msg("consent state missing after recording"))?;
    uow.commit().await?;
    Ok(state)
}

/// Records, at a person's request to staff, their objection to the
/// newsletter and commercial e-mails: every subscription of the address
/// ends and the ledger records the withdrawal. Answers whether the address
/// was known; audited either way.
///
/// # Errors
/// Storage failure.
pub async fn withdraw_on_request(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    staff: &Principal,
    email: &Email,
    reason: &str,
) -> Result<bool, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let mut subjects = Vec::new();
    if let Some(a) = uow.accounts().login_record(email).await? {
        subjects.push(SubjectId::customer(a.id));
    }
    if let Some(g) = uow.guests().find(&index.email(email)).await? {
        subjects.push(g);
    }
    if let Some(s) = uow.newsletter().by_email(&index.email(email)).await?
        && !subjects.contains(&s.subject)
    {
        subjects.push(s.subject);
    }
    let docs = current_documents(uow.as_ref()).await?;
    for subject in &subjects {
        for purpose in [NEWSLETTER, MARKETING_EMAIL] {
            let standing = uow
                .consents()
                .state_of(*subject, purpose)
                .await?
                .is_some_and(|s| s.given);
            if standing {
                uow.consents()
                    .record(
                        &NewConsentEvent {
                            subject: *subject,
                            purpose: PurposeKey::parse(purpose).map_err(StorageError::msg)?,
                            given: false,
                            channel: Channel::StaffRequest,
                            documents: docs.clone(),
                            source: None,
                        },
                        now,
                    )
                    .await?;
            }
        }
        crate::newsletter::end_subscriptions(uow.as_ref(), *subject, now).await?;
        uow.audit()
            .append(
                NewAuditEntry::new(
                    staff.actor(),
                    AuditAction::ConsentWithdrawnByStaff,
                    Some(AuditTarget::Subject(*subject)),
                    staff.source(),
                )
                .because(reason),
                now,
            )
            .await?;
    }
    uow.commit().await?;
    Ok(!subjects.is_empty())
}

/// A purpose an admin defines.
#[derive(Debug, Clone)]
pub struct NewPurpose {
    /// Key.
    pub key: PurposeKey,
    /// Legal basis.
    pub legal_basis: LegalBasis,
    /// French description.
    pub description_fr: String,
    /// English description.
    pub description_en: String,
}

impl NewPurpose {
    /// Parses a purpose: key, basis, descriptions of 10 to 1,000 characters.
    ///
    /// # Errors
    /// Every refused field.
    pub fn parse(key: &str, basis: LegalBasis, fr: &str, en: &str) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let key = f.take("key", PurposeKey::parse(key));
        let description_fr = f.take_coded("description_fr", bounded(fr, 10, 1000, false));
        let description_en = f.take_coded("description_en", bounded(en, 10, 1000, false));
        f.finish(|| {
            Some(Self {
                key: key?,
                legal_basis: basis,
                description_fr: description_fr?,
                description_en: description_en?,
            })
        })
    }
}

/// Defines a purpose (admins), audited.
///
/// # Errors
/// [`ServiceError::Taken`] when the key exists; storage failure.
pub async fn define_purpose(
    store: &dyn Store,
    clock: &dyn Clock,
    admin: &Principal,
    new: NewPurpose,
) -> Result<Purpose, ServiceError> {
    let now = clock.now();
    let purpose = Purpose {
        key: new.key,
        legal_basis: new.legal_basis,
        description_fr: new.description_fr,
        description_en: new.description_en,
        builtin: false,
        created_at: now,
    };
    let uow = store.begin().await?;
    if !uow.consents().define_purpose(&purpose).await? {
        return Err(ServiceError::Taken("purpose"));
    }
    uow.audit()
        .append(
            NewAuditEntry::new(
                admin.actor(),
                AuditAction::ConsentPurposeDefined,
                Some(AuditTarget::Purpose(purpose.key.to_string())),
                admin.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(purpose)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn con_1_only_consent_and_legitimate_interest_can_be_withdrawn() {
        assert!(LegalBasis::Consent.withdrawable());
        assert!(LegalBasis::LegitimateInterest.withdrawable());
        assert!(!LegalBasis::Contract.withdrawable());
        assert!(!LegalBasis::LegalObligation.withdrawable());
    }

    #[test]
    fn con_1_purpose_keys_are_snake_case() {
        assert!(PurposeKey::parse("newsletter").is_ok());
        assert!(PurposeKey::parse("sms_offers_2").is_ok());
        for bad in ["", "a", "Newsletter", "2fa", "with-dash", "é"] {
            assert!(PurposeKey::parse(bad).is_err(), "{bad}");
        }
    }
}
