//! The identity capability's ports: what its use cases need from storage,
//! password hashing, access tokens, randomness and blind indexes. Storage
//! implementations seal and open personal fields; callers see plain values.
//!
//! Error contract: every storage method fails only with [`StorageError`]
//! (the caller cannot fix it), except writes that can hit the e-mail
//! uniqueness rule, which say so with [`AccountWriteError::EmailTaken`].

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{
    AddressKind, Customer, Email, Language, NewCustomer, PersonName, Phone, PostalAddress, Role,
};
use crate::audit::truncate_ip;
use crate::error::StorageError;
use crate::ids::{AddressId, CustomerId, SessionId};

/// Why an account write failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountWriteError {
    /// Another account has this e-mail address.
    #[error("e-mail address already registered")]
    EmailTaken,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a login needs, without decrypting anything.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    /// Account.
    pub id: CustomerId,
    /// PHC hash, if a password is set.
    pub password_hash: Option<String>,
    /// A generated password must be replaced.
    pub must_change_password: bool,
    /// Role.
    pub role: Role,
}

/// Changes to a profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// New name.
    pub name: Option<PersonName>,
    /// New phone; `Some(None)` removes it.
    pub phone: Option<Option<Phone>>,
    /// New language.
    pub language: Option<Language>,
    /// New display preferences (JSON object text, at most 4 KiB).
    pub display_preferences: Option<String>,
}

/// Accounts (customers and staff). Personal fields are sealed under the
/// account's own data key, which must exist before [`AccountRepo::create`].
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Stores a new account.
    async fn create(
        &self,
        id: CustomerId,
        new: &NewCustomer,
        password_hash: Option<String>,
        must_change_password: bool,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError>;
    /// What a login needs, by e-mail (blind index).
    async fn login_record(&self, email: &Email) -> Result<Option<LoginRecord>, StorageError>;
    /// What a login needs, by id.
    async fn login_record_by_id(&self, id: CustomerId)
    -> Result<Option<LoginRecord>, StorageError>;
    /// The account, decrypted; `None` when unknown or erased.
    async fn get(&self, id: CustomerId) -> Result<Option<Customer>, StorageError>;
    /// Staff accounts, oldest first.
    async fn list_staff(&self) -> Result<Vec<Customer>, StorageError>;
    /// Applies profile changes.
    async fn update_profile(
        &self,
        id: CustomerId,
        changes: &ProfileChanges,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Replaces the e-mail address.
    async fn change_email(
        &self,
        id: CustomerId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError>;
    /// Sets the password hash.
    async fn set_password(
        &self,
        id: CustomerId,
        hash: String,
        must_change: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Changes the role.
    async fn set_role(
        &self,
        id: CustomerId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Records activity (for the inactivity rule), at most once a minute.
    async fn touch(&self, id: CustomerId, now: DateTime<Utc>) -> Result<(), StorageError>;
}

/// A stored postal address.
#[derive(Debug, Clone)]
pub struct StoredAddress {
    /// Id.
    pub id: AddressId,
    /// Billing or shipping.
    pub kind: AddressKind,
    /// The address.
    pub address: PostalAddress,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A customer's addresses, sealed under the owner's key. Every method is
/// scoped to the owner: another customer's address is not found.
#[async_trait]
pub trait AddressRepo: Send + Sync {
    /// The owner's addresses, oldest first.
    async fn list(&self, owner: CustomerId) -> Result<Vec<StoredAddress>, StorageError>;
    /// One of the owner's addresses.
    async fn get(
        &self,
        owner: CustomerId,
        id: AddressId,
    ) -> Result<Option<StoredAddress>, StorageError>;
    /// Adds an address.
    async fn insert(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// Replaces an address; false when it is not the owner's.
    async fn update(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Deletes an address; false when it is not the owner's.
    async fn delete(&self, owner: CustomerId, id: AddressId) -> Result<bool, StorageError>;
}

/// A session to open.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Id (the token's `sid`).
    pub id: SessionId,
    /// Owner.
    pub owner: CustomerId,
    /// Opened with "remember me".
    pub remember_me: bool,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
    /// Browser (personal data, sealed).
    pub user_agent: Option<String>,
    /// Full source address (personal data, sealed).
    pub ip: Option<String>,
}

/// A stored session.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// Id (the token's `sid`).
    pub id: SessionId,
    /// Owner.
    pub customer_id: CustomerId,
    /// Opened with "remember me".
    pub remember_me: bool,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
    /// Last authenticated request.
    pub last_seen_at: DateTime<Utc>,
    /// Ended early (logout, revocation, password change).
    pub revoked_at: Option<DateTime<Utc>>,
    /// Browser, decrypted (only in listings).
    pub user_agent: Option<String>,
}

impl StoredSession {
    /// Whether the session still authenticates at `now`.
    #[must_use]
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Login sessions.
#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// Opens a session.
    async fn create(&self, session: &NewSession) -> Result<(), StorageError>;
    /// A session by id, without decrypting anything (every request's hot path).
    async fn get(&self, id: SessionId) -> Result<Option<StoredSession>, StorageError>;
    /// The owner's live sessions, newest first, with their browser.
    async fn live(
        &self,
        owner: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredSession>, StorageError>;
    /// Ends one of the owner's sessions; false when not theirs or already ended.
    async fn revoke(
        &self,
        owner: CustomerId,
        id: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Ends every session of the owner but `keep`; returns how many.
    async fn revoke_others(
        &self,
        owner: CustomerId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError>;
    /// Records use of a session (at most once a minute).
    async fn touch(&self, id: SessionId, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Moves a live session's end; false when it is not live.
    async fn renew(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
}

/// What a single-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// The first password of an account created without one.
    SetPassword,
    /// A forgotten password.
    ResetPassword,
}

impl TokenPurpose {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SetPassword => "set_password",
            Self::ResetPassword => "reset_password",
        }
    }

    /// The frontend page that uses it, under `/account/`.
    #[must_use]
    pub const fn page(self) -> &'static str {
        match self {
            Self::SetPassword => "set-password",
            Self::ResetPassword => "reset-password",
        }
    }
}

/// Single-use tokens, stored only as hashes.
#[async_trait]
pub trait TokenRepo: Send + Sync {
    /// Stores a token's hash.
    async fn create(
        &self,
        owner: CustomerId,
        purpose: TokenPurpose,
        hash: Vec<u8>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// The owner of a live token (unknown, used, expired or other-purpose
    /// tokens are `None`), without using it: a cheap check before anything
    /// costly is done for it.
    async fn find_live(
        &self,
        purposes: &[TokenPurpose],
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError>;
    /// The purpose and end of a live token, without using it.
    async fn describe_live(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(TokenPurpose, DateTime<Utc>)>, StorageError>;
    /// Uses a token once: returns its owner, or `None` when unknown, used,
    /// expired or for another purpose. Single-use under concurrency.
    async fn consume(
        &self,
        purposes: &[TokenPurpose],
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError>;
}

/// What a security counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    /// Failed logins of one account from one source; its lock.
    AccountSourceLock,
    /// Failed logins from one source across accounts.
    SourceFailures,
    /// Unauthenticated requests to private areas from one source.
    PrivateProbes,
    /// A source's ban.
    SourceBan,
    /// Registrations from one source.
    Registrations,
    /// Password reset requests from one source.
    PasswordRequests,
    /// "Someone tried to register with your address" notices to one account.
    RegistrationNotices,
    /// Password reset mails to one account.
    ResetMails,
    /// Newsletter subscription requests from one source.
    NewsletterRequests,
    /// Newsletter confirmation mails to one address.
    NewsletterMails,
    /// Contact messages from one source.
    ContactMessages,
    /// Contact messages from one address.
    ContactEmails,
    /// Comments from one source.
    Comments,
    /// Comments from one address.
    CommentEmails,
}

impl CounterKind {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccountSourceLock => "account_source_lock",
            Self::SourceFailures => "source_failures",
            Self::PrivateProbes => "private_probes",
            Self::SourceBan => "source_ban",
            Self::Registrations => "registrations",
            Self::PasswordRequests => "password_requests",
            Self::RegistrationNotices => "registration_notices",
            Self::ResetMails => "reset_mails",
            Self::NewsletterRequests => "newsletter_requests",
            Self::NewsletterMails => "newsletter_mails",
            Self::ContactMessages => "contact_messages",
            Self::ContactEmails => "contact_emails",
            Self::Comments => "comments",
            Self::CommentEmails => "comment_emails",
        }
    }

    const fn prefix(self) -> &'static str {
        match self {
            Self::AccountSourceLock => "as",
            Self::SourceFailures => "sf",
            Self::PrivateProbes => "sp",
            Self::SourceBan => "ban",
            Self::Registrations => "rg",
            Self::PasswordRequests => "pr",
            Self::RegistrationNotices => "rn",
            Self::ResetMails => "rm",
            Self::NewsletterRequests => "nr",
            Self::NewsletterMails => "nm",
            Self::ContactMessages => "cm",
            Self::ContactEmails => "ce",
            Self::Comments => "co",
            Self::CommentEmails => "ca",
        }
    }
}

/// One counter: its kind and the opaque key it is stored under (keyed
/// hashes of the account and source, never the values themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey {
    kind: CounterKind,
    key: String,
}

impl CounterKey {
    /// Failures of an account (hex of its e-mail's blind index) from a source.
    #[must_use]
    pub fn account_source(account: &str, source: &SourceId) -> Self {
        Self {
            kind: CounterKind::AccountSourceLock,
            key: format!("as:{account}:{}", source.key),
        }
    }

    /// A per-account counter of `kind` (the account as the hex of its
    /// e-mail's blind index).
    #[must_use]
    pub fn account(kind: CounterKind, account: &str) -> Self {
        Self {
            kind,
            key: format!("{}:{account}", kind.prefix()),
        }
    }

    /// A per-source counter of `kind`.
    #[must_use]
    pub fn source(kind: CounterKind, source: &SourceId) -> Self {
        Self {
            kind,
            key: format!("{}:{}", kind.prefix(), source.key),
        }
    }

    /// The kind.
    #[must_use]
    pub const fn kind(&self) -> CounterKind {
        self.kind
    }

    /// The stored key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.key
    }
}

/// A lock or ban in force.
#[derive(Debug, Clone)]
pub struct Block {
    /// Its key (opaque; used to lift it).
    pub key: String,
    /// `account_source_lock` or `source_ban`.
    pub kind: String,
    /// The truncated source address.
    pub source: Option<String>,
    /// The account, for account locks of known accounts.
    pub customer_id: Option<CustomerId>,
    /// Failures or probes counted.
    pub count: i32,
    /// Until when.
    pub blocked_until: DateTime<Utc>,
}

/// Security counters (SEC-1, SEC-2), shared by every instance.
#[async_trait]
pub trait CounterRepo: Send + Sync {
    /// Adds one, restarting the count when its window is over. Returns the
    /// new count and when its window started.
    async fn bump(
        &self,
        key: &CounterKey,
        window: Duration,
        now: DateTime<Utc>,
        source: &SourceId,
        customer: Option<CustomerId>,
    ) -> Result<(i32, DateTime<Utc>), StorageError>;
    /// Blocks a key until `until`.
    async fn block(
        &self,
        key: &CounterKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        source: &SourceId,
        customer: Option<CustomerId>,
        count: i32,
    ) -> Result<(), StorageError>;
    /// The latest end of any block in force among `keys`.
    async fn blocked_until(
        &self,
        keys: &[CounterKey],
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError>;
    /// Forgets a counter.
    async fn clear(&self, key: &CounterKey) -> Result<(), StorageError>;
    /// Forgets every counter and lock of an account.
    async fn clear_account(&self, customer: CustomerId) -> Result<(), StorageError>;
    /// Locks and bans in force, latest end first.
    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<Block>, StorageError>;
    /// Lifts a lock or ban by its stored key; whether one was in force.
    async fn lift(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StorageError>;
}

/// Why the password hasher failed (a bug or a stopped hasher, never the input).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Slow salted password hashing (argon2id), off the request threads.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// The PHC string of `password`.
    async fn hash(&self, password: String) -> Result<String, HashError>;
    /// Whether `password` matches `phc`; with no hash, a dummy one is checked
    /// (the same time is spent) and the answer is false.
    async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, HashError>;
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The account.
    pub subject: CustomerId,
    /// The session the token is bound to.
    pub session: SessionId,
    /// The role when issued (the stored role is what counts).
    pub role: Role,
    /// Issued.
    pub issued_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
#[error("cannot issue an access token: {0}")]
pub struct IssueError(pub String);

/// Signs and checks access tokens.
pub trait TokenIssuer: Send + Sync {
    /// A signed token for these claims.
    ///
    /// # Errors
    /// When signing fails (a bug).
    fn issue(&self, claims: &AccessClaims) -> Result<String, IssueError>;
    /// The claims of a token whose signature, issuer and audience check
    /// out, expired or not: a token this API signed. `None` otherwise.
    fn decode(&self, token: &str) -> Option<AccessClaims>;
    /// The claims of a token that [`TokenIssuer::decode`]s and has not
    /// expired at `now`.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<AccessClaims> {
        self.decode(token).filter(|c| c.expires_at > now)
    }
}

/// Secrets made from the operating system's randomness.
pub trait Randomness: Send + Sync {
    /// A single-use token for a link (URL-safe, 256 bits).
    fn token(&self) -> String;
    /// A generated password that passes the password rules.
    fn password(&self) -> String;
}

/// Keyed hashes for look-ups without storing the value (HMAC under a key
/// of its own).
pub trait BlindIndex: Send + Sync {
    /// The blind index of `value` in `namespace` (`email`, `source`).
    fn index(&self, namespace: &str, value: &str) -> Vec<u8>;

    /// The blind index of an e-mail address, in its normalised form.
    fn email(&self, email: &Email) -> Vec<u8> {
        self.index("email", &email.normalised())
    }
}

/// Where a request comes from, as counters and the audit log see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceId {
    /// Keyed hash of the address (hex), for counters.
    pub key: String,
    /// Truncated address (/24 or /48), for the audit log and admins.
    pub display: Option<String>,
}

/// Who is calling, as far as the network says.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Full address: personal data, only ever stored sealed.
    pub ip: Option<IpAddr>,
    /// The browser, as it says (personal data, stored sealed).
    pub user_agent: Option<String>,
    /// The source, for counters and the audit log.
    pub source: SourceId,
}

/// Hex of the first 16 bytes of a blind index.
#[must_use]
pub fn hex16(bytes: &[u8]) -> String {
    bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Counters see an IPv6 source as its /64 by default: one host usually
/// holds a whole /64, so counting addresses one by one counts nothing.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// How counters name a source: an IPv4 address as itself, an IPv6 address
/// by its first `v6_prefix` bits (IPv4-mapped IPv6 addresses as IPv4).
#[must_use]
pub fn source_text(ip: IpAddr, v6_prefix: u8) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let bits = u32::from(v6_prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            let net = std::net::Ipv6Addr::from(u128::from(v6) & mask);
            format!("{net}/{bits}")
        }
    }
}

impl Origin {
    /// The origin of a request from `ip` (unknown when `None`), IPv6
    /// sources counted by /64.
    #[must_use]
    pub fn new(ip: Option<IpAddr>, user_agent: Option<String>, index: &dyn BlindIndex) -> Self {
        Self::with_prefix(ip, user_agent, index, DEFAULT_IPV6_PREFIX)
    }

    /// The origin of a request from `ip`, IPv6 sources counted by their
    /// first `v6_prefix` bits.
    #[must_use]
    pub fn with_prefix(
        ip: Option<IpAddr>,
        user_agent: Option<String>,
        index: &dyn BlindIndex,
        v6_prefix: u8,
    ) -> Self {
        let text = ip.map_or_else(|| "unknown".to_owned(), |ip| source_text(ip, v6_prefix));
        Self {
            ip,
            user_agent: user_agent.map(|s| s.chars().take(300).collect()),
            source: SourceId {
                key: hex16(&index.index("source", &text)),
                display: ip.map(truncate_ip),
            },
        }
    }

    /// A local origin (the command line, tests).
    #[must_use]
    pub fn local(label: &str) -> Self {
        Self {
            ip: None,
            user_agent: None,
            source: SourceId {
                key: label.to_owned(),
                display: Some(label.to_owned()),
            },
        }
    }
}

#[cfg(test)]
mod source_tests {
    use super::*;

    #[test]
    fn sec_1_ipv6_sources_are_counted_by_prefix_and_ipv4_by_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_text(a, 64), "2001:db8:1:2::/64");
        assert_eq!(source_text(a, 64), source_text(b, 64));
        assert_ne!(source_text(a, 64), source_text(c, 64));
        assert_eq!(source_text(a, 48), source_text(c, 48));
        assert_ne!(source_text(a, 128), source_text(b, 128));
        assert_eq!(
            source_text("203.0.113.7".parse().unwrap(), 64),
            "203.0.113.7"
        );
        assert_eq!(
            source_text("::ffff:203.0.113.7".parse().unwrap(), 64),
            "203.0.113.7"
        );
        assert_eq!(source_text(a, 0), "::/0");
    }
}
