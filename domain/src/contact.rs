//! The contact form (CONT-1): questions about products or orders, privacy
//! requests, anything else. Only what is needed to answer is kept, sealed
//! under the writer's subject key; staff read (audited) and answer through
//! the outbox; a privacy request can be handed to the data-subject rights
//! workflow.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::{
    BlindIndex, CounterKey, CounterKind, CustomerId, Email, IdentityConfig, IdentityError,
    Language, LimitReason, Origin, PersonName, Principal, hex16, lockdown,
};
use crate::ids::ContactMessageId;
use crate::mail::{Envelope, Mail};
use crate::service::ServiceError;
use crate::store::Store;
use crate::subject::{SubjectId, subject_for_email};
use crate::text::bounded;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// A question about a plan.
    ProductQuestion,
    /// A question about an order.
    OrderQuestion,
    /// A request about personal data (access, erasure...).
    PrivacyRequest,
    /// Anything else.
    Other,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Self; 4] = [
        Self::ProductQuestion,
        Self::OrderQuestion,
        Self::PrivacyRequest,
        Self::Other,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ProductQuestion => "product_question",
            Self::OrderQuestion => "order_question",
            Self::PrivacyRequest => "privacy_request",
            Self::Other => "other",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactStatus {
    /// Not answered yet.
    New,
    /// Staff answered.
    Answered,
    /// Nothing more to do.
    Closed,
}

impl ContactStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::New, Self::Answered, Self::Closed];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A message as written, parsed.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Writer's name.
    pub name: PersonName,
    /// Writer's address, for the answer.
    pub email: Email,
    /// What about.
    pub topic: Topic,
    /// The message.
    pub message: String,
    /// An order number, when it is about one.
    pub order_number: Option<String>,
    /// Language of the acknowledgement and answers.
    pub language: Language,
}

/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 5000;

impl NewMessage {
    /// Parses a message of 10 to 5,000 characters and an order number of
    /// at most 40 printable characters.
    ///
    /// # Errors
    /// Every refused field.
    pub fn parse(
        name: &str,
        email: &str,
        topic: Topic,
        message: &str,
        order_number: Option<&str>,
        language: Language,
    ) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let name = f.take_coded("name", PersonName::parse(name));
        let email = f.take_coded("email", Email::parse(email));
        let message = f.take_coded("message", bounded(message, 10, MAX_MESSAGE, true));
        let order_number = order_number
            .filter(|o| !o.trim().is_empty())
            .and_then(|o| f.take_coded("order_number", bounded(o, 1, 40, false)));
        f.finish(|| {
            Some(Self {
                name: name?,
                email: email?,
                topic,
                message: message?,
                order_number,
                language,
            })
        })
    }
}

/// A message in a listing: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// Id.
    pub id: ContactMessageId,
    /// What about.
    pub topic: Topic,
    /// Where it stands.
    pub status: ContactStatus,
    /// Language of the writer.
    pub language: Language,
    /// The writer's account, when signed in.
    pub customer_id: Option<CustomerId>,
    /// Whether an order number was given.
    pub has_order_number: bool,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last answer.
    pub answered_at: Option<DateTime<Utc>>,
    /// When it was handed to the data-subject rights workflow.
    pub data_subject_request_at: Option<DateTime<Utc>>,
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Staff member who answered.
    pub staff_id: Option<CustomerId>,
    /// The answer.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A message, decrypted, with its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The listing fields.
    pub summary: MessageSummary,
    /// Whose.
    pub subject: SubjectId,
    /// Writer's name.
    pub name: PersonName,
    /// Writer's address.
    pub email: Email,
    /// The message.
    pub message: String,
    /// Order number.
    pub order_number: Option<String>,
    /// Answers, oldest first.
    pub replies: Vec<Reply>,
}

/// Contact messages.
#[async_trait]
pub trait ContactRepo: Send + Sync {
    /// Stores a message, sealed under `subject`'s key.
    #[allow(clippy::too_many_arguments)]
    async fn insert(
        &self,
        id: ContactMessageId,
        subject: SubjectId,
        customer: Option<CustomerId>,
        message: &NewMessage,
        origin: &Origin,
        policy_version: i32,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Messages, newest first, optionally of one status and topic.
    async fn list(
        &self,
        status: Option<ContactStatus>,
        topic: Option<Topic>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<MessageSummary>, StorageError>;
    /// One message's listing fields, without decrypting anything.
    async fn list_one(&self, id: ContactMessageId) -> Result<Option<MessageSummary>, StorageError>;
    /// One message, decrypted (`None` when unknown, or its writer erased).
    async fn get(&self, id: ContactMessageId) -> Result<Option<Message>, StorageError>;
    /// Stores an answer and marks the message answered.
    async fn add_reply(
        &self,
        id: ContactMessageId,
        subject: SubjectId,
        staff: CustomerId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Sets the status; false when unknown.
    async fn set_status(
        &self,
        id: ContactMessageId,
        status: ContactStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Marks a message as handed to the rights workflow; false when it was already.
    async fn mark_request(
        &self,
        id: ContactMessageId,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
}

/// Limits of the contact form and comments.
#[derive(Debug, Clone, Copy)]
pub struct FormLimits {
    /// Per source and hour.
    pub per_source: u32,
    /// Per e-mail address and hour.
    pub per_email: u32,
}

impl Default for FormLimits {
    fn default() -> Self {
        Self {
            per_source: 5,
            per_email: 3,
        }
    }
}

/// Counts a form sent from `origin` by `email` against both limits.
pub(crate) async fn limit_form(
    store: &dyn Store,
    clock: &dyn Clock,
    identity: &IdentityConfig,
    kinds: (CounterKind, CounterKind),
    limits: FormLimits,
    email_bidx: &[u8],
    origin: &Origin,
) -> Result<(), IdentityError> {
    lockdown::check_source(store, clock, origin).await?;
    lockdown::throttle(
        store,
        &identity.lockout,
        clock,
        kinds.0,
        limits.per_source,
        origin,
    )
    .await?;
    let now = clock.now();
    let window = identity.lockout.window;
    let (count, start) = store
        .reader()
        .counters()
        .bump(
            &CounterKey::account(kinds.1, &hex16(email_bidx)),
            window,
            now,
            &origin.source,
            None,
        )
        .await?;
    if u32::try_from(count).unwrap_or(u32::MAX) > limits.per_email {
        return Err(IdentityError::limited(
            LimitReason::RateLimited,
            start + window,
            now,
        ));
    }
    Ok(())
}

/// The reference a writer sees in mails (the message id's first block).
#[must_use]
pub fn reference(id: ContactMessageId) -> String {
    id.as_uuid().simple().to_string()[..12].to_uppercase()
}

/// Receives a message: stored sealed under the writer's subject (their
/// account's when signed in or when the address has one), acknowledged by
/// e-mail. Limited per source and per address. A message whose hidden
/// trap field was filled (a bot) is answered the same and dropped.
///
/// # Errors
/// [`ServiceError::Identity`] past a limit; storage failure.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    identity: &IdentityConfig,
    limits: FormLimits,
    signed_in: Option<&Principal>,
    message: NewMessage,
    trapped: bool,
    origin: &Origin,
) -> Result<Option<ContactMessageId>, ServiceError> {
    let bidx = index.email(&message.email);
    limit_form(
        store,
        clock,
        identity,
        (CounterKind::ContactMessages, CounterKind::ContactEmails),
        limits,
        &bidx,
        origin,
    )
    .await?;
    if trapped {
        return Ok(None);
    }
    let now = clock.now();
    let uow = store.begin().await?;
    let (subject, customer) = match signed_in {
        Some(p) => (SubjectId::customer(p.customer_id), Some(p.customer_id)),
        None => subject_for_email(uow.as_ref(), index, &message.email, now).await?,
    };
    let policy = crate::legal::current_documents(uow.as_ref())
        .await?
        .privacy
        .map_or(1, |d| d.version);
    let id = ContactMessageId::new();
    uow.contact()
        .insert(id, subject, customer, &message, origin, policy, now)
        .await?;
    uow.outbox()
        .enqueue(
            subject,
            &Envelope {
                to: message.email.clone(),
                name: Some(message.name.clone()),
                language: message.language,
                mail: Mail::ContactAcknowledgement {
                    reference: reference(id),
                    topic: message.topic.as_str().to_owned(),
                },
            },
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(Some(id))
}

/// Messages for staff, without personal data (not an audited read).
///
/// # Errors
/// Storage failure.
pub async fn list(
    store: &dyn Store,
    status: Option<ContactStatus>,
    topic: Option<Topic>,
    limit: u64,
    offset: u64,
) -> Result<Vec<MessageSummary>, ServiceError> {
    Ok(store
        .reader()
        .contact()
        .list(status, topic, limit, offset)
        .await?)
}

/// Reads a message (staff), audited with the reason given.
///
/// # Errors
/// [`ServiceError::NotFound`]; storage failure.
pub async fn read(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ContactMessageId,
    reason: &str,
) -> Result<Message, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(m) = uow.contact().get(id).await? else {
        return Err(ServiceError::NotFound("No contact message has this id."));
    };
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::PersonalDataAccessed,
        AuditTarget::ContactMessage(id),
        reason,
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(m)
}

/// Answers a message (staff): the answer goes out through the outbox
/// under the writer's key, the message is marked answered, audited.
///
/// # Errors
/// [`ServiceError::NotFound`]; [`ServiceError::Invalid`] for an empty or
/// too long answer; storage failure.
pub async fn answer(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ContactMessageId,
    body: &str,
) -> Result<Message, ServiceError> {
    let body =
        bounded(body, 1, 10_000, true).map_err(|e| ServiceError::field("body", e.to_string()))?;
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(m) = uow.contact().get(id).await? else {
        return Err(ServiceError::NotFound("No contact message has this id."));
    };
    uow.contact()
        .add_reply(id, m.subject, staff.customer_id, &body, now)
        .await?;
    uow.outbox()
        .enqueue(
            m.subject,
            &Envelope {
                to: m.email.clone(),
                name: Some(m.name.clone()),
                language: m.summary.language,
                mail: Mail::ContactReply {
                    reference: reference(id),
                    body: body.clone(),
                },
            },
            now,
        )
        .await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ContactMessageAnswered,
        AuditTarget::ContactMessage(id),
        "answer sent",
        now,
    )
    .await?;
    let m = uow
        .contact()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No contact message has this id."))?;
    uow.commit().await?;
    Ok(m)
}

/// Sets a message's status (staff), audited.
///
/// # Errors
/// [`ServiceError::NotFound`]; storage failure.
pub async fn set_status(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ContactMessageId,
    status: ContactStatus,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.contact().set_status(id, status, now).await? {
        return Err(ServiceError::NotFound("No contact message has this id."));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ContactMessageChanged,
        AuditTarget::ContactMessage(id),
        &format!("status {}", status.as_str()),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// Hands a privacy request to the data-subject rights workflow (staff):
/// the link point the rights workflow picks requests up from.
///
/// # Errors
/// [`ServiceError::NotFound`]; [`ServiceError::Conflict`] for another
/// topic, or a message handed over already; storage failure.
pub async fn to_rights_request(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ContactMessageId,
) -> Result<MessageSummary, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(m) = uow.contact().list_one(id).await? else {
        return Err(ServiceError::NotFound("No contact message has this id."));
    };
    if m.topic != Topic::PrivacyRequest {
        return Err(ServiceError::Conflict(
            "only a `privacy_request` message can become a data-subject request".into(),
        ));
    }
    if !uow
        .contact()
        .mark_request(id, staff.customer_id, now)
        .await?
    {
        return Err(ServiceError::Conflict(
            "this message is already a data-subject request".into(),
        ));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ContactMessageChanged,
        AuditTarget::ContactMessage(id),
        "handed to the data-subject rights workflow",
        now,
    )
    .await?;
    let m = uow
        .contact()
        .list_one(id)
        .await?
        .ok_or(ServiceError::NotFound("No contact message has this id."))?;
    uow.commit().await?;
    Ok(m)
}
