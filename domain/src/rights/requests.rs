//! Requests of people without an account (DSR-4): guests who ordered,
//! commenters, subscribers, contact senders ask with their e-mail address
//! for a copy or the erasure of their data. A link sent to that address
//! confirms the request before anything is exported or erased; the answer
//! is the same whether anything is held.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{
    BlindIndex, CounterKind, CustomerId, Email, IdentityConfig, IdentityError, Language, Origin,
    Randomness, token_hash,
};
use crate::mail::{Envelope, Mail};
use crate::retention::Policies;
use crate::store::Store;
use crate::subject::SubjectId;

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A copy of the data (art. 15, 20).
    Export,
    /// The erasure of the data (art. 17).
    Erasure,
}

impl RequestKind {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Erasure => "erasure",
        }
    }

    /// The kind of a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Export, Self::Erasure]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// How long a confirmation link works.
pub const CONFIRM_TTL_HOURS: i64 = 48;
/// How long an export's download link works.
pub const DOWNLOAD_TTL_HOURS: i64 = 24;

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    /// Its id.
    pub id: Uuid,
    /// The guest subject it is about.
    pub subject: SubjectId,
    /// What is asked.
    pub kind: RequestKind,
    /// Language of its mails.
    pub language: Language,
    /// Where its mails go (sealed under the subject's key).
    pub email: Email,
}

/// Storage of the requests: hashes of their tokens, never the tokens.
#[async_trait]
pub trait PrivacyRequestRepo: Send + Sync {
    /// Stores a new request waiting for confirmation.
    async fn insert(
        &self,
        r: &StoredRequest,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Confirms the request of a live token, once: `None` for an unknown,
    /// used or expired one.
    async fn confirm(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<StoredRequest>, StorageError>;
    /// Gives a confirmed export request its download token.
    async fn set_download(
        &self,
        id: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Uses a live download token, once.
    async fn take_download(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<StoredRequest>, StorageError>;
    /// Marks the request done.
    async fn done(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError>;
}

/// Takes a request, once the caller passed
/// [`crate::identity::throttle_password_requests`] (limited per source like
/// password resets): one mail per address and interval. When the
/// address has an account, its owner is told to use it; when it has guest
/// data, a confirmation link goes out; otherwise nothing. The caller
/// answers the same in every case.
///
/// # Errors
/// [`IdentityError::Limited`]; storage failure.
#[allow(clippy::too_many_arguments)]
pub async fn request(
    store: &dyn Store,
    index: &dyn BlindIndex,
    random: &dyn Randomness,
    clock: &dyn Clock,
    config: &IdentityConfig,
    email: &Email,
    kind: RequestKind,
    language: Language,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let reader = store.reader();
    let account = reader.accounts().login_record(email).await?;
    let guest = match account {
        Some(_) => None,
        None => reader.guests().find(&index.email(email)).await?,
    };
    let key = match (&account, guest) {
        (Some(a), _) => format!("privacy:{}", a.id),
        (None, Some(g)) => format!("privacy:{g}"),
        (None, None) => return Ok(()),
    };
    let uow = store.begin().await?;
    if !crate::identity::lockdown::mail_allowed(
        uow.as_ref(),
        &config.lockout,
        CounterKind::ResetMails,
        &key,
        &Origin::local("mail"),
        now,
    )
    .await?
    {
        uow.commit().await?;
        return Ok(());
    }
    match (account, guest) {
        (Some(a), _) => {
            crate::identity::notify_account(uow.as_ref(), a.id, Mail::PrivacyUseYourAccount, now)
                .await?;
        }
        (None, Some(subject)) => {
            let token = random.token();
            let r = StoredRequest {
                id: Uuid::now_v7(),
                subject,
                kind,
                language,
                email: email.clone(),
            };
            uow.privacy_requests()
                .insert(
                    &r,
                    &token_hash(&token),
                    now + Duration::hours(CONFIRM_TTL_HOURS),
                    now,
                )
                .await?;
            uow.outbox()
                .enqueue(
                    subject,
                    &Envelope {
                        to: email.clone(),
                        name: None,
                        language,
                        mail: Mail::PrivacyRequestLink {
                            kind: kind.as_str().to_owned(),
                            link: format!(
                                "{}/privacy/confirm?token={token}",
                                config.frontend_url.trim_end_matches('/')
                            ),
                        },
                    },
                    now,
                )
                .await?;
        }
        (None, None) => {}
    }
    uow.commit().await?;
    Ok(())
}

/// What a confirmation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// The download link was mailed.
    ExportSent,
    /// The data were erased; the receipt was mailed.
    Erased(super::ErasureReceipt),
}

/// Confirms a request with the token of its link. An export gets a
/// single-use download link (mailed, valid a day); an erasure is done now
/// and its receipt mailed (under a key of its own: the person's is gone).
/// An unknown, used or expired token counts against the source like a
/// failed login.
///
/// # Errors
/// [`IdentityError::InvalidLinkToken`], [`IdentityError::Limited`];
/// storage failure.
#[allow(clippy::too_many_arguments)]
pub async fn confirm(
    store: &dyn Store,
    random: &dyn Randomness,
    clock: &dyn Clock,
    config: &IdentityConfig,
    policies: &Policies,
    public_url: &str,
    token: &str,
    origin: &Origin,
) -> Result<Confirmed, IdentityError> {
    crate::identity::check_source(store, clock, origin).await?;
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(r) = uow
        .privacy_requests()
        .confirm(&token_hash(token), now)
        .await?
    else {
        drop(uow);
        crate::identity::lockdown::record_reset_failure(store, &config.lockout, clock, origin)
            .await?;
        return Err(IdentityError::InvalidLinkToken);
    };
    let who = CustomerId::from_uuid(r.subject.as_uuid());
    let email = Some(r.email.clone());
    let outcome = match r.kind {
        RequestKind::Export => {
            let download = random.token();
            uow.privacy_requests()
                .set_download(
                    r.id,
                    &token_hash(&download),
                    now + Duration::hours(DOWNLOAD_TTL_HOURS),
                )
                .await?;
            if let Some(to) = email {
                uow.outbox()
                    .enqueue(
                        r.subject,
                        &Envelope {
                            to,
                            name: None,
                            language: r.language,
                            mail: Mail::PrivacyExportReady {
                                link: format!(
                                    "{}/v1/privacy/exports/{download}",
                                    public_url.trim_end_matches('/')
                                ),
                            },
                        },
                        now,
                    )
                    .await?;
            }
            Confirmed::ExportSent
        }
        RequestKind::Erasure => {
            let held = uow.rights().held(who).await?;
            let erased = uow.rights().erase(who, now).await?;
            uow.privacy_requests().done(r.id, now).await?;
            let receipt = super::receipt(policies, who, held, erased, now);
            if let Some(to) = email {
                // The person's key is destroyed: the receipt is sealed
                // under one made for it.
                let receipt_subject = SubjectId::from_uuid(Uuid::now_v7());
                uow.keys().create(receipt_subject, now).await?;
                uow.outbox()
                    .enqueue(
                        receipt_subject,
                        &Envelope {
                            to,
                            name: None,
                            language: r.language,
                            mail: Mail::ErasureReceipt {
                                summary: receipt.summary(),
                            },
                        },
                        now,
                    )
                    .await?;
            }
            Confirmed::Erased(receipt)
        }
    };
    uow.audit()
        .append(
            NewAuditEntry::new(
                Actor::Anonymous,
                match r.kind {
                    RequestKind::Export => AuditAction::PersonalDataExported,
                    RequestKind::Erasure => AuditAction::AccountErased,
                },
                Some(AuditTarget::Subject(r.subject)),
                origin.source.display.clone(),
            )
            .because(match r.kind {
                RequestKind::Export => "export confirmed by e-mail (DSR-4)",
                RequestKind::Erasure => "erasure confirmed by e-mail (DSR-4)",
            }),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(outcome)
}

/// The export of a confirmed request, with its single-use download token
/// (DSR-4).
///
/// # Errors
/// [`IdentityError::InvalidLinkToken`] for an unknown, used or expired
/// token; storage failure.
pub async fn download(
    store: &dyn Store,
    clock: &dyn Clock,
    token: &str,
) -> Result<super::DataExport, IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(r) = uow
        .privacy_requests()
        .take_download(&token_hash(token), now)
        .await?
    else {
        return Err(IdentityError::InvalidLinkToken);
    };
    let who = CustomerId::from_uuid(r.subject.as_uuid());
    let tables = uow.rights().export(who).await?;
    uow.privacy_requests().done(r.id, now).await?;
    uow.commit().await?;
    Ok(super::DataExport {
        generated_at: now,
        customer: who,
        tables,
    })
}
