//! The newsletter (NEWS-1, NEWS-2): double opt-in subscriptions, campaigns
//! whose audience is computed batch by batch at send time from current
//! consent, and one-step unsubscribe links that need no login.
//!
//! Every letter carries a personal unsubscribe token: the recipient's id
//! and a keyed MAC of it, so nothing is stored per letter and a token
//! cannot be made for someone else. A letter queued before its recipient
//! withdrew is dropped at delivery.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::audit::{Actor, AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::consent::{self, Channel, MARKETING_EMAIL, NEWSLETTER};
use crate::error::{FieldErrors, StorageError};
use crate::identity::{
    BlindIndex, CounterKind, CustomerId, Email, Language, Origin, Principal, Randomness, Role,
    hex16, lockdown, token_hash,
};
use crate::ids::{CampaignId, SubscriberId};
use crate::mail::{Envelope, Mail};
use crate::service::ServiceError;
use crate::store::{Repos, Store};
use crate::subject::{SubjectId, subject_for_email};
use crate::text::bounded;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberStatus {
    /// Waiting for the address to be confirmed (7 days at most).
    Pending,
    /// Receives letters.
    Confirmed,
    /// Unsubscribed.
    Unsubscribed,
}

impl SubscriberStatus {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Confirmed, Self::Unsubscribed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A subscription, decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Id.
    pub id: SubscriberId,
    /// Whose (an account's subject or a guest's).
    pub subject: SubjectId,
    /// Address.
    pub email: Email,
    /// Language of the letters.
    pub language: Language,
    /// Where it stands.
    pub status: SubscriberStatus,
}

/// A confirmed subscriber, as a campaign batch reads it.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// Id.
    pub id: Uuid,
    /// Whose key seals the letter.
    pub subject: SubjectId,
    /// Address.
    pub email: Email,
    /// Name for the greeting, when known.
    pub name: Option<crate::identity::PersonName>,
    /// Language.
    pub language: Language,
}

/// Who a campaign goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Confirmed newsletter subscribers.
    Newsletter,
    /// Customers whose `marketing_email` consent stands.
    MarketingEmail,
}

impl Audience {
    /// The stored name (also the consent purpose).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Newsletter => NEWSLETTER,
            Self::MarketingEmail => MARKETING_EMAIL,
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Newsletter, Self::MarketingEmail]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    /// Being written.
    Draft,
    /// Will start at `scheduled_at`.
    Scheduled,
    /// Queuing letters, batch by batch.
    Sending,
    /// Every letter queued.
    Sent,
    /// Stopped before the end.
    Cancelled,
}

impl CampaignStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Scheduled,
        Self::Sending,
        Self::Sent,
        Self::Cancelled,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What a campaign says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignContent {
    /// Who it goes to.
    pub audience: Audience,
    /// Subject in French.
    pub subject_fr: String,
    /// Subject in English.
    pub subject_en: String,
    /// Body in French (plain text).
    pub body_fr: String,
    /// Body in English (plain text).
    pub body_en: String,
    /// When to start sending, if later than the send order.
    pub scheduled_at: Option<DateTime<Utc>>,
}

impl CampaignContent {
    /// Parses subjects of 1 to 200 characters and bodies of 1 to 20,000.
    ///
    /// # Errors
    /// Every refused field.
    pub fn parse(
        audience: Audience,
        subject_fr: &str,
        subject_en: &str,
        body_fr: &str,
        body_en: &str,
        scheduled_at: Option<DateTime<Utc>>,
    ) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let sfr = f.take_coded("subject_fr", bounded(subject_fr, 1, 200, false));
        let sen = f.take_coded("subject_en", bounded(subject_en, 1, 200, false));
        let bfr = f.take_coded("body_fr", bounded(body_fr, 1, 20_000, true));
        let ben = f.take_coded("body_en", bounded(body_en, 1, 20_000, true));
        f.finish(|| {
            Some(Self {
                audience,
                subject_fr: sfr?,
                subject_en: sen?,
                body_fr: bfr?,
                body_en: ben?,
                scheduled_at,
            })
        })
    }

    /// The subject and body in `language`.
    #[must_use]
    pub fn text(&self, language: Language) -> (&str, &str) {
        match language {
            Language::Fr => (&self.subject_fr, &self.body_fr),
            Language::En => (&self.subject_en, &self.body_en),
        }
    }
}

/// A campaign and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Id.
    pub id: CampaignId,
    /// What it says.
    pub content: CampaignContent,
    /// Where it stands.
    pub status: CampaignStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When sending started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the last letter was queued (or it was cancelled).
    pub finished_at: Option<DateTime<Utc>>,
    /// Audience when sending started (a count, not a list: who receives a
    /// letter is decided batch by batch).
    pub audience_size: Option<i64>,
    /// Letters queued so far.
    pub enqueued: i64,
    /// Last recipient id done.
    pub cursor: Option<Uuid>,
}

/// Subscriptions and campaigns.
#[async_trait]
pub trait NewsletterRepo: Send + Sync {
    /// The subscription of an address (by its blind index).
    async fn by_email(&self, email_bidx: &[u8]) -> Result<Option<Subscriber>, StorageError>;
    /// A subscription's status, without decrypting anything.
    async fn status(&self, id: SubscriberId) -> Result<Option<SubscriberStatus>, StorageError>;
    /// A subscription, decrypted.
    async fn get(&self, id: SubscriberId) -> Result<Option<Subscriber>, StorageError>;
    /// Stores a pending subscription (or makes an existing one pending
    /// again, with a new token), sealed under `subject`'s key.
    #[allow(clippy::too_many_arguments)]
    async fn upsert_pending(
        &self,
        id: SubscriberId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
        language: Language,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        policy_version: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Stores a confirmed subscription (or confirms an existing one).
    async fn upsert_confirmed(
        &self,
        id: SubscriberId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// The subscription whose live confirmation token hashes to `hash`.
    async fn by_token(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(SubscriberId, SubjectId, SubscriberStatus)>, StorageError>;
    /// Confirms a pending subscription; false when it was not pending.
    async fn confirm(&self, id: SubscriberId, now: DateTime<Utc>) -> Result<bool, StorageError>;
    /// Ends one subscription; false when it had ended already.
    async fn unsubscribe(&self, id: SubscriberId, now: DateTime<Utc>)
    -> Result<bool, StorageError>;
    /// Ends every subscription of a subject; how many.
    async fn unsubscribe_subject(
        &self,
        subject: SubjectId,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError>;
    /// Deletes pending subscriptions whose token expired; how many.
    async fn expire_pending(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StorageError>;
    /// Confirmed subscribers by id after `after`, decrypted.
    async fn confirmed_after(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Recipient>, StorageError>;
    /// How many subscriptions are confirmed.
    async fn count_confirmed(&self) -> Result<u64, StorageError>;

    /// Stores a campaign.
    async fn insert_campaign(&self, c: &Campaign) -> Result<(), StorageError>;
    /// A campaign.
    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>, StorageError>;
    /// Campaigns, newest first.
    async fn campaigns(&self, limit: u64, offset: u64) -> Result<Vec<Campaign>, StorageError>;
    /// Replaces a campaign's content while it is a draft or scheduled;
    /// false otherwise.
    async fn update_content(
        &self,
        id: CampaignId,
        content: &CampaignContent,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Moves a campaign from one of `from` to `to`; false when it was in
    /// none of them.
    async fn set_status(
        &self,
        id: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Marks a campaign as started, with its audience size.
    async fn start(
        &self,
        id: CampaignId,
        audience_size: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Records a batch: the last recipient done and how many letters.
    async fn progress(
        &self,
        id: CampaignId,
        cursor: Uuid,
        added: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Deletes a draft; false when it is not a draft.
    async fn delete_draft(&self, id: CampaignId) -> Result<bool, StorageError>;
    /// Campaigns to work on: sending, or scheduled and due.
    async fn due(&self, now: DateTime<Utc>) -> Result<Vec<CampaignId>, StorageError>;
}

/// The newsletter's settings.
#[derive(Debug, Clone)]
pub struct NewsletterConfig {
    /// Base of the links people open (`<frontend>/newsletter/confirm?token=`).
    pub frontend_url: String,
    /// The API's public base URL, for `List-Unsubscribe`.
    pub api_url: String,
    /// How long a confirmation link works, and an unconfirmed
    /// subscription is kept.
    pub confirm_ttl: Duration,
    /// Subscription requests per source and hour.
    pub requests_per_source: u32,
    /// Letters queued per batch (and unit of work).
    pub batch: u64,
}

impl NewsletterConfig {
    /// The defaults: 7 days to confirm, 10 requests per source and hour,
    /// batches of 500.
    #[must_use]
    pub fn new(frontend_url: String, api_url: String) -> Self {
        Self {
            frontend_url,
            api_url,
            confirm_ttl: Duration::days(7),
            requests_per_source: 10,
            batch: 500,
        }
    }
}

/// Whose an unsubscribe token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeTarget {
    /// A newsletter subscription.
    Subscriber(SubscriberId),
    /// A customer's commercial e-mails.
    Customer(CustomerId),
}

/// A recipient's personal unsubscribe token: a letter for the kind, the
/// id, and 128 bits of a keyed MAC of both (66 URL-safe characters).
#[must_use]
pub fn unsubscribe_token(index: &dyn BlindIndex, target: UnsubscribeTarget) -> String {
    let (kind, id) = match target {
        UnsubscribeTarget::Subscriber(id) => ('n', id.as_uuid()),
        UnsubscribeTarget::Customer(id) => ('m', id.as_uuid()),
    };
    let mac = hex16(&index.index("unsubscribe", &format!("{kind}{}", id.simple())));
    format!("{kind}{}{mac}", id.simple())
}

/// The target of a token this shop made; `None` for anything else.
#[must_use]
pub fn parse_unsubscribe_token(index: &dyn BlindIndex, token: &str) -> Option<UnsubscribeTarget> {
    if token.len() != 65 || !token.is_ascii() {
        return None;
    }
    let (kind, rest) = token.split_at(1);
    let id = Uuid::try_parse(&rest[..32]).ok()?;
    let target = match kind {
        "n" => UnsubscribeTarget::Subscriber(SubscriberId::from_uuid(id)),
        "m" => UnsubscribeTarget::Customer(CustomerId::from_uuid(id)),
        _ => return None,
    };
    let expected = unsubscribe_token(index, target);
    // Constant-time comparison: the MAC is the secret part.
    let same = expected
        .bytes()
        .zip(token.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0;
    same.then_some(target)
}

/// The two links of a letter: the one-click URL for `List-Unsubscribe`
/// (the API) and the page a person opens (the frontend).
#[must_use]
pub fn unsubscribe_links(
    config: &NewsletterConfig,
    index: &dyn BlindIndex,
    target: UnsubscribeTarget,
) -> (String, String) {
    let token = unsubscribe_token(index, target);
    (
        format!(
            "{}/v1/newsletter/unsubscribe?token={token}",
            config.api_url.trim_end_matches('/')
        ),
        format!(
            "{}/newsletter/unsubscribe?token={token}",
            config.frontend_url.trim_end_matches('/')
        ),
    )
}

/// Asks for a subscription (the newsletter form). The answer is the same
/// whatever the address's state; a confirmation link goes out at most once
/// per 10 minutes per address, and a confirmed address gets nothing.
/// Limited per source.
///
/// # Errors
/// [`crate::identity::IdentityError::Limited`] (as [`ServiceError::Identity`])
/// past the limit; storage failure.
#[allow(clippy::too_many_arguments)]
pub async fn subscribe(
    store: &dyn Store,
    index: &dyn BlindIndex,
    random: &dyn Randomness,
    clock: &dyn Clock,
    identity: &crate::identity::IdentityConfig,
    config: &NewsletterConfig,
    email: Email,
    language: Language,
    origin: &Origin,
) -> Result<(), ServiceError> {
    lockdown::check_source(store, clock, origin).await?;
    lockdown::throttle(
        store,
        &identity.lockout,
        clock,
        CounterKind::NewsletterRequests,
        config.requests_per_source,
        origin,
    )
    .await?;
    let now = clock.now();
    let bidx = index.email(&email);
    let uow = store.begin().await?;
    let existing = uow.newsletter().by_email(&bidx).await?;
    if existing
        .as_ref()
        .is_some_and(|s| s.status == SubscriberStatus::Confirmed)
    {
        return Ok(());
    }
    // A new link replaces the one already sent only when it is sent too.
    if !lockdown::mail_allowed(
        uow.as_ref(),
        &identity.lockout,
        CounterKind::NewsletterMails,
        &hex16(&bidx),
        origin,
        now,
    )
    .await?
    {
        uow.commit().await?;
        return Ok(());
    }
    let (id, subject) = match existing {
        Some(s) => (s.id, s.subject),
        None => (
            SubscriberId::new(),
            subject_for_email(uow.as_ref(), index, &email, now).await?.0,
        ),
    };
    let token = random.token();
    let policy = crate::legal::current_documents(uow.as_ref())
        .await?
        .privacy
        .map(|d| d.version);
    uow.newsletter()
        .upsert_pending(
            id,
            subject,
            &email,
            &bidx,
            language,
            &token_hash(&token),
            now + config.confirm_ttl,
            policy,
            now,
        )
        .await?;
    uow.outbox()
        .enqueue(
            subject,
            &Envelope {
                to: email,
                name: None,
                language,
                mail: Mail::NewsletterConfirmation {
                    link: format!(
                        "{}/newsletter/confirm?token={token}",
                        config.frontend_url.trim_end_matches('/')
                    ),
                },
            },
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(())
}

/// Confirms a subscription with the link's token (double opt-in): from
/// now on it receives letters, and the ledger records the consent given
/// on the newsletter form. Confirming twice is fine.
///
/// # Errors
/// [`ServiceError::InvalidLinkToken`] for an unknown or expired token, or
/// a subscription ended since; storage failure.
pub async fn confirm(
    store: &dyn Store,
    clock: &dyn Clock,
    token: &str,
    origin: &Origin,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some((id, subject, status)) = uow.newsletter().by_token(&token_hash(token), now).await?
    else {
        return Err(ServiceError::InvalidLinkToken);
    };
    match status {
        SubscriberStatus::Confirmed => return Ok(()),
        SubscriberStatus::Unsubscribed => return Err(ServiceError::InvalidLinkToken),
        SubscriberStatus::Pending => {}
    }
    if uow.newsletter().confirm(id, now).await? {
        consent::record_in(
            uow.as_ref(),
            subject,
            NEWSLETTER,
            true,
            Channel::NewsletterForm,
            origin,
            now,
        )
        .await?;
    }
    uow.commit().await?;
    Ok(())
}

/// Subscribes a signed-in customer's address at once (their consent was
/// given on the account page; the ledger has it already).
pub(crate) async fn subscribe_account(
    repos: &dyn Repos,
    index: &dyn BlindIndex,
    customer: CustomerId,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let Some(c) = repos.accounts().get(customer).await? else {
        return Ok(());
    };
    let bidx = index.email(&c.email);
    let (id, subject) = match repos.newsletter().by_email(&bidx).await? {
        Some(s) => (s.id, s.subject),
        None => (SubscriberId::new(), SubjectId::customer(customer)),
    };
    repos
        .newsletter()
        .upsert_confirmed(id, subject, &c.email, &bidx, c.language, now)
        .await
}

/// Ends every subscription of a subject and drops the letters still
/// queued for them.
pub(crate) async fn end_subscriptions(
    repos: &dyn Repos,
    subject: SubjectId,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    repos.newsletter().unsubscribe_subject(subject, now).await?;
    repos
        .outbox()
        .cancel_pending(subject, Mail::CAMPAIGN_LETTER)
        .await?;
    Ok(())
}

/// Whether the recipient of a token still receives letters.
///
/// # Errors
/// [`ServiceError::InvalidLinkToken`] for a token this shop did not make;
/// storage failure.
pub async fn unsubscribe_state(
    store: &dyn Store,
    index: &dyn BlindIndex,
    token: &str,
) -> Result<bool, ServiceError> {
    let target = parse_unsubscribe_token(index, token).ok_or(ServiceError::InvalidLinkToken)?;
    let r = store.reader();
    Ok(match target {
        UnsubscribeTarget::Subscriber(id) => {
            r.newsletter().status(id).await? == Some(SubscriberStatus::Confirmed)
        }
        UnsubscribeTarget::Customer(id) => r
            .consents()
            .state_of(SubjectId::customer(id), MARKETING_EMAIL)
            .await?
            .is_some_and(|s| s.given),
    })
}

/// Unsubscribes in one step, with no login (RFC 8058): the subscription
/// ends (or the customer's `marketing_email` consent is withdrawn), the
/// ledger records it through the e-mail link, and letters still queued are
/// dropped. Doing it twice is fine.
///
/// # Errors
/// [`ServiceError::InvalidLinkToken`] for a token this shop did not make;
/// storage failure.
pub async fn unsubscribe(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    token: &str,
    origin: &Origin,
) -> Result<(), ServiceError> {
    let target = parse_unsubscribe_token(index, token).ok_or(ServiceError::InvalidLinkToken)?;
    let now = clock.now();
    let uow = store.begin().await?;
    let (subject, purpose) = match target {
        UnsubscribeTarget::Subscriber(id) => {
            let Some(s) = uow.newsletter().get(id).await? else {
                return Ok(());
            };
            uow.newsletter().unsubscribe(id, now).await?;
            (s.subject, NEWSLETTER)
        }
        UnsubscribeTarget::Customer(id) => (SubjectId::customer(id), MARKETING_EMAIL),
    };
    let standing = uow
        .consents()
        .state_of(subject, purpose)
        .await?
        .is_some_and(|s| s.given);
    if standing {
        consent::record_in(
            uow.as_ref(),
            subject,
            purpose,
            false,
            Channel::EmailLink,
            origin,
            now,
        )
        .await?;
    }
    uow.outbox()
        .cancel_pending(subject, Mail::CAMPAIGN_LETTER)
        .await?;
    uow.commit().await?;
    Ok(())
}

/// Whether a queued letter may still go: its recipient has not withdrawn
/// since it was queued, and its campaign was not cancelled.
///
/// # Errors
/// Storage failure.
pub async fn letter_still_wanted(
    repos: &dyn Repos,
    campaign: CampaignId,
    recipient: Uuid,
    audience: &str,
) -> Result<Option<Campaign>, StorageError> {
    let Some(c) = repos.newsletter().campaign(campaign).await? else {
        return Ok(None);
    };
    if c.status == CampaignStatus::Cancelled {
        return Ok(None);
    }
    let wanted = match Audience::parse(audience) {
        Some(Audience::Newsletter) => {
            repos
                .newsletter()
                .status(SubscriberId::from_uuid(recipient))
                .await?
                == Some(SubscriberStatus::Confirmed)
        }
        Some(Audience::MarketingEmail) => repos
            .consents()
            .state_of(SubjectId::from_uuid(recipient), MARKETING_EMAIL)
            .await?
            .is_some_and(|s| s.given),
        None => false,
    };
    Ok(wanted.then_some(c))
}

/// Creates a draft campaign (staff).
///
/// # Errors
/// Storage failure.
pub async fn create_campaign(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    content: CampaignContent,
) -> Result<Campaign, ServiceError> {
    let now = clock.now();
    let c = Campaign {
        id: CampaignId::new(),
        content,
        status: CampaignStatus::Draft,
        created_at: now,
        updated_at: now,
        started_at: None,
        finished_at: None,
        audience_size: None,
        enqueued: 0,
        cursor: None,
    };
    let uow = store.begin().await?;
    uow.newsletter().insert_campaign(&c).await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CampaignChanged,
        AuditTarget::Campaign(c.id),
        "created",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(c)
}

/// A campaign.
///
/// # Errors
/// [`ServiceError::NotFound`]; storage failure.
pub async fn campaign(store: &dyn Store, id: CampaignId) -> Result<Campaign, ServiceError> {
    store
        .reader()
        .newsletter()
        .campaign(id)
        .await?
        .ok_or(ServiceError::NotFound("No campaign has this id."))
}

/// Replaces a draft or scheduled campaign's content.
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::Conflict`] once sending
/// started; storage failure.
pub async fn update_campaign(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: CampaignId,
    content: CampaignContent,
) -> Result<Campaign, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if uow.newsletter().campaign(id).await?.is_none() {
        return Err(ServiceError::NotFound("No campaign has this id."));
    }
    if !uow.newsletter().update_content(id, &content, now).await? {
        return Err(ServiceError::Conflict(
            "the campaign has started sending: its content is fixed".into(),
        ));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CampaignChanged,
        AuditTarget::Campaign(id),
        "changed",
        now,
    )
    .await?;
    let c = uow
        .newsletter()
        .campaign(id)
        .await?
        .ok_or(ServiceError::NotFound("No campaign has this id."))?;
    uow.commit().await?;
    Ok(c)
}

/// Deletes a draft.
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::Conflict`] for anything but
/// a draft; storage failure.
pub async fn delete_campaign(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: CampaignId,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if uow.newsletter().campaign(id).await?.is_none() {
        return Err(ServiceError::NotFound("No campaign has this id."));
    }
    if !uow.newsletter().delete_draft(id).await? {
        return Err(ServiceError::Conflict(
            "only drafts can be deleted; cancel a scheduled or sending campaign instead".into(),
        ));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CampaignChanged,
        AuditTarget::Campaign(id),
        "deleted",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// Orders a draft sent: at its `scheduled_at` when that is later, else at
/// once (the campaign job queues it batch by batch).
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::Conflict`] for anything but
/// a draft; storage failure.
pub async fn send_campaign(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: CampaignId,
) -> Result<Campaign, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(c) = uow.newsletter().campaign(id).await? else {
        return Err(ServiceError::NotFound("No campaign has this id."));
    };
    let later = c.content.scheduled_at.is_some_and(|at| at > now);
    let to = if later {
        CampaignStatus::Scheduled
    } else {
        CampaignStatus::Sending
    };
    if !uow
        .newsletter()
        .set_status(id, &[CampaignStatus::Draft], to, now)
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "the campaign is {}: only a draft can be sent",
            c.status.as_str()
        )));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CampaignChanged,
        AuditTarget::Campaign(id),
        if later { "scheduled" } else { "sent" },
        now,
    )
    .await?;
    let c = uow
        .newsletter()
        .campaign(id)
        .await?
        .ok_or(ServiceError::NotFound("No campaign has this id."))?;
    uow.commit().await?;
    Ok(c)
}

/// Cancels a scheduled or sending campaign: no further letter is queued,
/// and letters queued but not yet delivered are dropped.
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::Conflict`] when it is not
/// scheduled or sending; storage failure.
pub async fn cancel_campaign(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: CampaignId,
) -> Result<Campaign, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(c) = uow.newsletter().campaign(id).await? else {
        return Err(ServiceError::NotFound("No campaign has this id."));
    };
    if !uow
        .newsletter()
        .set_status(
            id,
            &[CampaignStatus::Scheduled, CampaignStatus::Sending],
            CampaignStatus::Cancelled,
            now,
        )
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "the campaign is {}: only a scheduled or sending campaign can be cancelled",
            c.status.as_str()
        )));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CampaignChanged,
        AuditTarget::Campaign(id),
        "cancelled",
        now,
    )
    .await?;
    let c = uow
        .newsletter()
        .campaign(id)
        .await?
        .ok_or(ServiceError::NotFound("No campaign has this id."))?;
    uow.commit().await?;
    Ok(c)
}

/// Recipients of the next batch of a campaign, by id after its cursor.
async fn next_batch(
    repos: &dyn Repos,
    audience: Audience,
    after: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<Recipient>, Option<Uuid>, usize), StorageError> {
    match audience {
        Audience::Newsletter => {
            let batch = repos.newsletter().confirmed_after(after, limit).await?;
            let last = batch.last().map(|r| r.id);
            let n = batch.len();
            Ok((batch, last, n))
        }
        Audience::MarketingEmail => {
            let subjects = repos
                .consents()
                .audience(MARKETING_EMAIL, after.map(SubjectId::from_uuid), limit)
                .await?;
            let last = subjects.last().map(SubjectId::as_uuid);
            let n = subjects.len();
            let mut out = Vec::with_capacity(n);
            for s in subjects {
                let id = CustomerId::from_uuid(s.as_uuid());
                if let Some(c) = repos.accounts().get(id).await?
                    && c.role == Role::Customer
                {
                    out.push(Recipient {
                        id: s.as_uuid(),
                        subject: s,
                        email: c.email,
                        name: Some(c.name),
                        language: c.language,
                    });
                }
            }
            Ok((out, last, n))
        }
    }
}

/// Works on due campaigns: each batch is one unit of work that reads who
/// receives letters at that moment, queues their letters and moves the
/// cursor, so a person who withdrew a second before their batch gets
/// nothing, and a crash resumes where the last batch committed. Returns
/// the letters queued.
///
/// # Errors
/// Storage failure.
pub async fn run_campaigns(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &NewsletterConfig,
) -> Result<usize, ServiceError> {
    let mut queued = 0;
    let due = store.reader().newsletter().due(clock.now()).await?;
    for id in due {
        loop {
            let now = clock.now();
            let uow = store.begin().await?;
            let Some(c) = uow.newsletter().campaign(id).await? else {
                break;
            };
            match c.status {
                CampaignStatus::Scheduled => {
                    if !uow
                        .newsletter()
                        .set_status(
                            id,
                            &[CampaignStatus::Scheduled],
                            CampaignStatus::Sending,
                            now,
                        )
                        .await?
                    {
                        break;
                    }
                }
                CampaignStatus::Sending => {}
                _ => break,
            }
            if c.started_at.is_none() {
                let size = match c.content.audience {
                    Audience::Newsletter => uow.newsletter().count_confirmed().await?,
                    Audience::MarketingEmail => uow.consents().count_given(MARKETING_EMAIL).await?,
                };
                uow.newsletter()
                    .start(id, i64::try_from(size).unwrap_or(i64::MAX), now)
                    .await?;
            }
            let (batch, last, read) =
                next_batch(uow.as_ref(), c.content.audience, c.cursor, config.batch).await?;
            // Restricted data are left out of mailings (GDPR art. 18).
            let subjects: Vec<Uuid> = batch.iter().map(|r| r.subject.as_uuid()).collect();
            let frozen = uow.dpo().restricted_among(&subjects).await?;
            for r in batch
                .iter()
                .filter(|r| !frozen.contains(&r.subject.as_uuid()))
            {
                let target = match c.content.audience {
                    Audience::Newsletter => {
                        UnsubscribeTarget::Subscriber(SubscriberId::from_uuid(r.id))
                    }
                    Audience::MarketingEmail => {
                        UnsubscribeTarget::Customer(CustomerId::from_uuid(r.id))
                    }
                };
                let (unsubscribe_url, unsubscribe_page) = unsubscribe_links(config, index, target);
                uow.outbox()
                    .enqueue(
                        r.subject,
                        &Envelope {
                            to: r.email.clone(),
                            name: r.name.clone(),
                            language: r.language,
                            mail: Mail::CampaignLetter {
                                campaign: id,
                                recipient: r.id,
                                audience: c.content.audience.as_str().to_owned(),
                                unsubscribe_url,
                                unsubscribe_page,
                            },
                        },
                        now,
                    )
                    .await?;
            }
            queued += batch.len();
            let done = (read as u64) < config.batch;
            if let Some(last) = last {
                uow.newsletter()
                    .progress(id, last, i64::try_from(batch.len()).unwrap_or(0), now)
                    .await?;
            }
            if done {
                uow.newsletter()
                    .set_status(id, &[CampaignStatus::Sending], CampaignStatus::Sent, now)
                    .await?;
                let total = c.enqueued + i64::try_from(batch.len()).unwrap_or(0);
                crate::audit::record(
                    uow.as_ref(),
                    (Actor::System, None),
                    AuditAction::CampaignSent,
                    AuditTarget::Campaign(id),
                    &format!("{total} letters queued"),
                    now,
                )
                .await?;
            }
            uow.commit().await?;
            if done {
                break;
            }
        }
    }
    Ok(queued)
}

/// Deletes unconfirmed subscriptions past their 7 days; how many.
///
/// # Errors
/// Storage failure.
pub async fn expire_unconfirmed(store: &dyn Store, clock: &dyn Clock) -> Result<u64, StorageError> {
    let mut total = 0;
    loop {
        let n = store
            .reader()
            .newsletter()
            .expire_pending(clock.now(), 1000)
            .await?;
        total += n;
        if n < 1000 {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mac;
    impl BlindIndex for Mac {
        fn index(&self, namespace: &str, value: &str) -> Vec<u8> {
            use sha2::Digest;
            sha2::Sha256::digest(format!("secret|{namespace}|{value}").as_bytes()).to_vec()
        }
    }

    #[test]
    fn news_1_unsubscribe_tokens_round_trip_and_cannot_be_forged() {
        let id = SubscriberId::new();
        let t = unsubscribe_token(&Mac, UnsubscribeTarget::Subscriber(id));
        assert_eq!(t.len(), 65);
        assert_eq!(
            parse_unsubscribe_token(&Mac, &t),
            Some(UnsubscribeTarget::Subscriber(id))
        );
        // Another id with the same MAC, a flipped MAC, another kind: refused.
        let other = SubscriberId::new();
        let forged = format!("n{}{}", other.as_uuid().simple(), &t[33..]);
        assert_eq!(parse_unsubscribe_token(&Mac, &forged), None);
        let mut flipped = t.clone().into_bytes();
        flipped[64] = if flipped[64] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            parse_unsubscribe_token(&Mac, &String::from_utf8(flipped).unwrap_or_default()),
            None
        );
        let as_customer = format!("m{}", &t[1..]);
        assert_eq!(parse_unsubscribe_token(&Mac, &as_customer), None);
        assert_eq!(parse_unsubscribe_token(&Mac, ""), None);
        assert_eq!(parse_unsubscribe_token(&Mac, "é"), None);
    }
}
