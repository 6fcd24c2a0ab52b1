//! The security audit log's rules (SEC-3): what an event is, and the hash
//! chain that makes any later edit or deletion detectable.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use crate::error::StorageError;
use crate::ids::{CustomerId, ProductId};

/// What happened. Wire names are stable: they are part of the hashed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// Successful login.
    LoginSucceeded,
    /// Wrong password or unknown account.
    LoginFailed,
    /// An account was locked for a source.
    AccountLocked,
    /// A source was banned.
    SourceBanned,
    /// A lock or ban was lifted by an admin.
    LockLifted,
    /// A session ended by logout.
    LoggedOut,
    /// A session revoked by its owner.
    SessionRevoked,
    /// An account was created.
    AccountCreated,
    /// A password was changed.
    PasswordChanged,
    /// A password was reset with a single-use token.
    PasswordReset,
    /// An e-mail address was changed.
    EmailChanged,
    /// A role was granted or changed.
    RoleChanged,
    /// Staff read a customer's personal data.
    PersonalDataAccessed,
    /// A catalogue entry was created, changed, published, unpublished or deleted.
    CatalogueChanged,
    /// A subject's data key was destroyed.
    SubjectKeyDestroyed,
    /// A new version of a legal document was published.
    LegalDocumentPublished,
    /// An admin defined a consent purpose.
    ConsentPurposeDefined,
    /// Staff recorded a person's objection (withdrawal) on request.
    ConsentWithdrawnByStaff,
    /// A newsletter campaign was created, changed, scheduled, sent, cancelled or deleted.
    CampaignChanged,
    /// A newsletter campaign finished queuing its letters.
    CampaignSent,
    /// Staff answered a contact message.
    ContactMessageAnswered,
    /// A contact message was closed or turned into a data-subject request.
    ContactMessageChanged,
    /// An article was created, changed or deleted.
    ArticleChanged,
    /// A comment was approved, marked as spam or deleted.
    CommentModerated,
    /// Staff changed an order's status.
    OrderStatusChanged,
    /// Staff created, changed or deleted a coupon.
    CouponChanged,
    /// Staff approved or rejected a review of a plan.
    ReviewModerated,
    /// Staff refunded an order, fully or in part.
    OrderRefunded,
    /// Staff answered a complaint or refund request.
    ComplaintAnswered,
    /// Staff closed a complaint or refund request.
    ComplaintChanged,
    /// A retention run purged what was past its period (counts per
    /// category in the reason).
    RetentionRun,
    /// A customer downloaded the export of their data (DSR-1).
    PersonalDataExported,
    /// An account was erased at its owner's request (DSR-2).
    AccountErased,
    /// A breach was recorded in the register.
    BreachRecorded,
    /// The authority or the people concerned were told of a breach.
    BreachNotified,
    /// A request received by the DPO was recorded, verified, extended,
    /// answered or lifted.
    DpoRequestChanged,
    /// An admin created, rotated or revoked an API key.
    ApiKeyChanged,
    /// A webhook endpoint was registered, changed, deleted, disabled after
    /// repeated failure, or a delivery replayed.
    WebhookEndpointChanged,
}

impl AuditAction {
    /// Every action.
    pub const ALL: &'static [Self] = &[
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::AccountLocked,
        Self::SourceBanned,
        Self::LockLifted,
        Self::LoggedOut,
        Self::SessionRevoked,
        Self::AccountCreated,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailChanged,
        Self::RoleChanged,
        Self::PersonalDataAccessed,
        Self::CatalogueChanged,
        Self::SubjectKeyDestroyed,
        Self::LegalDocumentPublished,
        Self::ConsentPurposeDefined,
        Self::ConsentWithdrawnByStaff,
        Self::CampaignChanged,
        Self::CampaignSent,
        Self::ContactMessageAnswered,
        Self::ContactMessageChanged,
        Self::ArticleChanged,
        Self::CommentModerated,
        Self::OrderStatusChanged,
        Self::CouponChanged,
        Self::ReviewModerated,
        Self::OrderRefunded,
        Self::ComplaintAnswered,
        Self::ComplaintChanged,
        Self::RetentionRun,
        Self::PersonalDataExported,
        Self::AccountErased,
        Self::BreachRecorded,
        Self::BreachNotified,
        Self::DpoRequestChanged,
        Self::ApiKeyChanged,
        Self::WebhookEndpointChanged,
    ];

    /// The stable wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::AccountLocked => "account_locked",
            Self::SourceBanned => "source_banned",
            Self::LockLifted => "lock_lifted",
            Self::LoggedOut => "logged_out",
            Self::SessionRevoked => "session_revoked",
            Self::AccountCreated => "account_created",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::EmailChanged => "email_changed",
            Self::RoleChanged => "role_changed",
            Self::PersonalDataAccessed => "personal_data_accessed",
            Self::CatalogueChanged => "catalogue_changed",
            Self::SubjectKeyDestroyed => "subject_key_destroyed",
            Self::LegalDocumentPublished => "legal_document_published",
            Self::ConsentPurposeDefined => "consent_purpose_defined",
            Self::ConsentWithdrawnByStaff => "consent_withdrawn_by_staff",
            Self::CampaignChanged => "campaign_changed",
            Self::CampaignSent => "campaign_sent",
            Self::ContactMessageAnswered => "contact_message_answered",
            Self::ContactMessageChanged => "contact_message_changed",
            Self::ArticleChanged => "article_changed",
            Self::CommentModerated => "comment_moderated",
            Self::OrderStatusChanged => "order_status_changed",
            Self::CouponChanged => "coupon_changed",
            Self::ReviewModerated => "review_moderated",
            Self::OrderRefunded => "order_refunded",
            Self::ComplaintAnswered => "complaint_answered",
            Self::ComplaintChanged => "complaint_changed",
            Self::RetentionRun => "retention_run",
            Self::PersonalDataExported => "personal_data_exported",
            Self::AccountErased => "account_erased",
            Self::BreachRecorded => "breach_recorded",
            Self::BreachNotified => "breach_notified",
            Self::DpoRequestChanged => "dpo_request_changed",
            Self::ApiKeyChanged => "api_key_changed",
            Self::WebhookEndpointChanged => "webhook_endpoint_changed",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == s)
    }
}

/// Who acted, as the audit log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in account (customer or staff).
    Account(CustomerId),
    /// Nobody signed in (login attempts, registrations, probes).
    Anonymous,
    /// The system itself (jobs, the command line).
    System,
    /// A third-party integration's API key (`key:<id>`).
    ApiKey(crate::ids::ApiKeyId),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(id) => id.fmt(f),
            Self::Anonymous => f.write_str("anonymous"),
            Self::System => f.write_str("system"),
            Self::ApiKey(id) => write!(f, "key:{id}"),
        }
    }
}

/// What an event happened to. The wire form (`customer:<id>`...) is stable:
/// it is part of the hashed record and what the listing filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    /// An account.
    Customer(CustomerId),
    /// A plan of the catalogue.
    Product(ProductId),
    /// A truncated source address (`203.0.113.0/24`).
    Source(String),
    /// A lock or ban, by its opaque key.
    Block(String),
    /// A versioned legal document (`legal:privacy_policy:2`).
    Legal(String),
    /// A consent purpose.
    Purpose(String),
    /// A newsletter campaign.
    Campaign(crate::ids::CampaignId),
    /// A contact message.
    ContactMessage(crate::ids::ContactMessageId),
    /// An article.
    Article(crate::ids::ArticleId),
    /// A comment.
    Comment(crate::ids::CommentId),
    /// A data subject that is not an account (a guest).
    Subject(crate::subject::SubjectId),
    /// An order.
    Order(crate::ids::OrderId),
    /// A coupon.
    Coupon(uuid::Uuid),
    /// A breach of the register.
    Breach(uuid::Uuid),
    /// An invoice or credit note of the legal archive.
    Invoice(uuid::Uuid),
    /// A request received by the DPO.
    DpoRequest(uuid::Uuid),
    /// A review of a plan.
    Review(crate::ids::ReviewId),
    /// A complaint or refund request on an order.
    Complaint(crate::ids::ComplaintId),
    /// An API key.
    ApiKey(crate::ids::ApiKeyId),
    /// A webhook endpoint.
    WebhookEndpoint(crate::ids::WebhookEndpointId),
}

impl fmt::Display for AuditTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Customer(id) => write!(f, "customer:{id}"),
            Self::Product(id) => write!(f, "product:{id}"),
            Self::Source(net) => write!(f, "source:{net}"),
            Self::Block(key) => write!(f, "block:{key}"),
            Self::Legal(v) => write!(f, "legal:{v}"),
            Self::Purpose(p) => write!(f, "purpose:{p}"),
            Self::Campaign(id) => write!(f, "campaign:{id}"),
            Self::ContactMessage(id) => write!(f, "contact_message:{id}"),
            Self::Article(id) => write!(f, "article:{id}"),
            Self::Comment(id) => write!(f, "comment:{id}"),
            Self::Subject(id) => write!(f, "subject:{id}"),
            Self::Order(id) => write!(f, "order:{id}"),
            Self::Coupon(id) => write!(f, "coupon:{id}"),
            Self::Breach(id) => write!(f, "breach:{id}"),
            Self::Invoice(id) => write!(f, "invoice:{id}"),
            Self::DpoRequest(id) => write!(f, "dpo_request:{id}"),
            Self::Review(id) => write!(f, "review:{id}"),
            Self::Complaint(id) => write!(f, "complaint:{id}"),
            Self::ApiKey(id) => write!(f, "api_key:{id}"),
            Self::WebhookEndpoint(id) => write!(f, "webhook_endpoint:{id}"),
        }
    }
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// Who acted.
    pub actor: Actor,
    /// What happened.
    pub action: AuditAction,
    /// What it happened to.
    pub target: Option<AuditTarget>,
    /// Truncated source address.
    pub source: Option<String>,
    /// Why, or what kind of failure. Never personal data; cut to 500 characters.
    pub reason: Option<String>,
}

impl NewAuditEntry {
    /// An entry with no reason.
    #[must_use]
    pub fn new(
        actor: Actor,
        action: AuditAction,
        target: Option<AuditTarget>,
        source: Option<String>,
    ) -> Self {
        Self {
            actor,
            action,
            target,
            source,
            reason: None,
        }
    }

    /// The same entry with a reason.
    #[must_use]
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// Filters of the audit log listing.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only this actor (its wire form).
    pub actor: Option<String>,
    /// Only this target (its wire form).
    pub target: Option<String>,
    /// From this instant.
    pub since: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this sequence number (pagination, newest first).
    pub before_seq: Option<i64>,
}

/// The result of walking the chain.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Entries checked.
    pub checked: i64,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// The audit log port: append inside a unit of work, list and verify.
#[async_trait::async_trait]
pub trait AuditTrail: Send + Sync {
    /// Appends an entry; it commits with the unit of work it belongs to.
    /// Returns its sequence number.
    async fn append(&self, entry: NewAuditEntry, at: DateTime<Utc>) -> Result<i64, StorageError>;

    /// Entries matching `filter`, newest first.
    async fn list(
        &self,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StorageError>;

    /// Walks the whole chain and reports the first broken link.
    async fn verify(&self) -> Result<Verification, StorageError>;
}

/// One entry, as stored. Free text (`reason`, `details`) must hold no
/// personal data in clear; `source` is a truncated address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted: an account id, or `anonymous`/`system`.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// What it happened to (`customer:<id>`, `product:<id>`, `source:<net>`...).
    pub target: Option<String>,
    /// Truncated source address (IPv4 /24, IPv6 /48).
    pub source: Option<String>,
    /// Why (staff access reason, failure kind...).
    pub reason: Option<String>,
    /// Hash of the previous entry (hex), empty for the first.
    pub prev_hash: String,
    /// This entry's hash (hex).
    pub hash: String,
}

/// The hash of an entry, chained to the previous one.
#[must_use]
pub fn chain_hash(
    prev_hash: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    source: Option<&str>,
    reason: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different records hash the same bytes.
    for field in [
        prev_hash,
        &seq.to_string(),
        &at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor,
        action,
        target.unwrap_or("\u{0}"),
        source.unwrap_or("\u{0}"),
        reason.unwrap_or("\u{0}"),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditRecord {
    /// Recomputes this record's hash from its fields.
    #[must_use]
    pub fn expected_hash(&self) -> String {
        chain_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.actor,
            &self.action,
            self.target.as_deref(),
            self.source.as_deref(),
            self.reason.as_deref(),
        )
    }
}

/// Where the chain breaks first, if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The first entry that does not verify.
    pub seq: i64,
    /// Why.
    pub problem: &'static str,
}

/// Verifies a run of consecutive records, starting after `prev` (the hash of
/// the entry before the first, empty at the start of the log).
///
/// # Errors
/// The first broken link.
pub fn verify_chain<'a>(
    prev_seq: i64,
    prev_hash: &str,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<(i64, String), BrokenLink> {
    let mut seq = prev_seq;
    let mut prev = prev_hash.to_owned();
    for r in records {
        if r.seq != seq + 1 {
            return Err(BrokenLink {
                seq: seq + 1,
                problem: "an entry is missing",
            });
        }
        if r.prev_hash != prev {
            return Err(BrokenLink {
                seq: r.seq,
                problem: "the link to the previous entry does not match",
            });
        }
        if r.expected_hash() != r.hash {
            return Err(BrokenLink {
                seq: r.seq,
                problem: "the entry was altered",
            });
        }
        seq = r.seq;
        prev.clone_from(&r.hash);
    }
    Ok((seq, prev))
}

/// Truncates an IP address for the log: IPv4 to /24, IPv6 to /48.
#[must_use]
pub fn truncate_ip(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// Appends an entry inside a unit of work (or on the pool), by `actor`
/// from `source`, about `target`, because `why`.
///
/// # Errors
/// Storage failure.
pub async fn record(
    repos: &dyn crate::store::Repos,
    (actor, source): (Actor, Option<String>),
    action: AuditAction,
    target: AuditTarget,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    repos
        .audit()
        .append(
            NewAuditEntry::new(actor, action, Some(target), source).because(why),
            now,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = String::new();
        let at = Utc::now();
        (1..=n)
            .map(|seq| {
                let hash = chain_hash(
                    &prev,
                    seq,
                    at,
                    "system",
                    "login_failed",
                    Some("customer:x"),
                    None,
                    None,
                );
                let r = AuditRecord {
                    seq,
                    at,
                    actor: "system".into(),
                    action: "login_failed".into(),
                    target: Some("customer:x".into()),
                    source: None,
                    reason: None,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                r
            })
            .collect()
    }

    #[test]
    fn sec_3_an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify_chain(0, "", &c).unwrap().0, 5);
    }

    #[test]
    fn sec_3_edits_deletions_and_reorders_are_detected() {
        let mut c = chain(5);
        c[2].actor = "someone-else".into();
        assert_eq!(verify_chain(0, "", &c).unwrap_err().seq, 3);

        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(0, "", &c).unwrap_err().seq, 2);

        let mut c = chain(5);
        c[4].hash = c[4].expected_hash().replace('a', "b");
        c[4].reason = Some("x".into());
        assert_eq!(verify_chain(0, "", &c).unwrap_err().seq, 5);
    }

    #[test]
    fn ip_addresses_are_truncated() {
        assert_eq!(
            truncate_ip("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            truncate_ip("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
    }

    #[test]
    fn action_names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
        }
    }
}
