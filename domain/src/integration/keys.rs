//! API keys: a principal beside customers and staff, for third-party
//! systems (an accounting tool, the print shop, a CRM). A key is named,
//! scoped and, when it reaches personal data, given a stated purpose: it is
//! a recipient in the sense of GDPR art. 30. Its secret is shown once and
//! kept only as a keyed hash; a visible prefix lets a leaked key be
//! recognised.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::audit::{Actor, AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::{BlindIndex, IdentityError, Origin, Principal};
use crate::ids::{ApiKeyId, CustomerId};
use crate::service::ServiceError;
use crate::store::Store;

/// What every key's secret starts with, so scanners and people recognise it.
pub const KEY_PREFIX: &str = "bq_live_";
/// Characters of the random part shown in listings after [`KEY_PREFIX`].
const SHOWN: usize = 6;
/// The longest grace period of a rotated key's old secret.
pub const MAX_GRACE: Duration = Duration::days(7);
/// Keys are marked used at most this often (one write a minute, not one a request).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read the whole catalogue, published or not.
    CatalogueRead,
    /// Create, change, publish, import plans and their files.
    CatalogueWrite,
    /// Read orders (personal data: needs a purpose).
    OrdersRead,
    /// Move orders (mark paid, hold, release, complete, cancel).
    OrdersWrite,
    /// Read customers' records (personal data: needs a purpose).
    CustomersRead,
    /// Register and manage webhook endpoints.
    WebhooksManage,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Self; 6] = [
        Self::CatalogueRead,
        Self::CatalogueWrite,
        Self::OrdersRead,
        Self::OrdersWrite,
        Self::CustomersRead,
        Self::WebhooksManage,
    ];

    /// Its stable name (`orders:read`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CatalogueRead => "catalogue:read",
            Self::CatalogueWrite => "catalogue:write",
            Self::OrdersRead => "orders:read",
            Self::OrdersWrite => "orders:write",
            Self::CustomersRead => "customers:read",
            Self::WebhooksManage => "webhooks:manage",
        }
    }

    /// The scope of a stable name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether it reaches personal data (then the key needs a purpose).
    #[must_use]
    pub const fn personal(self) -> bool {
        matches!(
            self,
            Self::OrdersRead | Self::OrdersWrite | Self::CustomersRead
        )
    }
}

/// An API key, as admins see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// Who uses it (`Print shop`).
    pub name: String,
    /// Why it reaches personal data, when a scope does.
    pub purpose: Option<String>,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The visible start of its current secret (`bq_live_Ab12Cd`).
    pub prefix: String,
    /// Requests a minute it may make.
    pub rate_per_minute: u32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The admin who made it.
    pub created_by: CustomerId,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When its secret was last replaced.
    pub rotated_at: Option<DateTime<Utc>>,
    /// The visible start of the replaced secret, while it still works.
    pub previous_prefix: Option<String>,
    /// Until when the replaced secret works.
    pub previous_until: Option<DateTime<Utc>>,
}

/// Whether a key works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// It works.
    Active,
    /// Its expiry date has passed.
    Expired,
    /// An admin revoked it.
    Revoked,
}

impl KeyStatus {
    /// Its stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

impl ApiKey {
    /// Whether it works at `now`.
    #[must_use]
    pub fn status(&self, now: DateTime<Utc>) -> KeyStatus {
        if self.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }

    /// Whether it may reach personal data.
    #[must_use]
    pub fn personal(&self) -> bool {
        self.scopes.iter().any(|s| s.personal())
    }
}

/// API keys in storage.
#[async_trait]
pub trait ApiKeyRepo: Send + Sync {
    /// Stores a new key with the keyed hash of its secret.
    async fn insert(&self, key: &ApiKey, hash: &[u8]) -> Result<(), StorageError>;
    /// Every key, newest first.
    async fn list(&self) -> Result<Vec<ApiKey>, StorageError>;
    /// One key.
    async fn get(&self, id: ApiKeyId) -> Result<Option<ApiKey>, StorageError>;
    /// The key whose current (`false`) or previous (`true`) secret has this
    /// keyed hash.
    async fn find(&self, hash: &[u8]) -> Result<Option<(ApiKey, bool)>, StorageError>;
    /// Replaces the secret; the old one works until `previous_until`.
    async fn rotate(
        &self,
        key: &ApiKey,
        hash: &[u8],
        previous_until: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError>;
    /// Revokes the key (and any previous secret) at `at`; false when it
    /// was already revoked.
    async fn revoke(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<bool, StorageError>;
    /// Records a use.
    async fn touch(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), StorageError>;
}

/// What an admin asks for.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Who will use it.
    pub name: String,
    /// Why it reaches personal data.
    pub purpose: Option<String>,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Requests a minute, or the configured default.
    pub rate_per_minute: Option<u32>,
}

/// A key's secret, made by the caller from a random string.
#[derive(Debug, Clone)]
struct Secret {
    full: String,
    prefix: String,
    hash: Vec<u8>,
}

fn secret(random: &str, index: &dyn BlindIndex) -> Secret {
    let full = format!("{KEY_PREFIX}{random}");
    let prefix = format!(
        "{KEY_PREFIX}{}",
        random.chars().take(SHOWN).collect::<String>()
    );
    let hash = index.index("api_key", &full);
    Secret { full, prefix, hash }
}

fn printable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

fn checked(input: NewKey, now: DateTime<Utc>, default_rate: u32) -> Result<NewKey, FieldErrors> {
    let mut f = FieldErrors::default();
    let name = input.name.trim().to_owned();
    if !(1..=100).contains(&name.chars().count()) || !printable(&name) {
        f.push("name", "1 to 100 printable characters");
    }
    let purpose = input
        .purpose
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if let Some(p) = &purpose
        && (!(3..=500).contains(&p.chars().count()) || !printable(p))
    {
        f.push("purpose", "3 to 500 printable characters");
    }
    let mut scopes = input.scopes;
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        f.push("scopes", "at least one scope");
    }
    if scopes.iter().any(|s| s.personal()) && purpose.is_none() {
        f.push(
            "purpose",
            "required: a key that reaches personal data (orders, customers) needs a stated purpose",
        );
    }
    if input.expires_at.is_some_and(|e| e <= now) {
        f.push("expires_at", "must be in the future");
    }
    let rate = input.rate_per_minute.unwrap_or(default_rate);
    if !(1..=100_000).contains(&rate) {
        f.push("rate_per_minute", "1 to 100000");
    }
    f.check()?;
    Ok(NewKey {
        name,
        purpose,
        scopes,
        expires_at: input.expires_at,
        rate_per_minute: Some(rate),
    })
}

fn describe(k: &ApiKey) -> String {
    let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
    match &k.purpose {
        Some(p) => format!("\"{}\" [{}] purpose: {p}", k.name, scopes.join(" ")),
        None => format!("\"{}\" [{}]", k.name, scopes.join(" ")),
    }
}

/// Creates a key; `random` is the secret's random part (at least 32
/// characters from a CSPRNG). Returns the key and its secret, shown once.
/// Audited.
///
/// # Errors
/// Invalid fields; storage.
pub async fn create_key(
    store: &dyn Store,
    clock: &dyn Clock,
    index: &dyn BlindIndex,
    admin: &Principal,
    input: NewKey,
    random: &str,
    default_rate: u32,
) -> Result<(ApiKey, String), ServiceError> {
    let now = clock.now();
    let input = checked(input, now, default_rate)?;
    let s = secret(random, index);
    let key = ApiKey {
        id: ApiKeyId::new(),
        name: input.name,
        purpose: input.purpose,
        scopes: input.scopes,
        prefix: s.prefix.clone(),
        rate_per_minute: input.rate_per_minute.unwrap_or(default_rate),
        created_at: now,
        created_by: admin.customer_id,
        expires_at: input.expires_at,
        revoked_at: None,
        last_used_at: None,
        rotated_at: None,
        previous_prefix: None,
        previous_until: None,
    };
    let uow = store.begin().await?;
    uow.api_keys().insert(&key, &s.hash).await?;
    crate::audit::record(
        uow.as_ref(),
        admin.by(),
        AuditAction::ApiKeyChanged,
        AuditTarget::ApiKey(key.id),
        &format!("created {}", describe(&key)),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok((key, s.full))
}

/// Every key.
///
/// # Errors
/// Storage.
pub async fn list_keys(store: &dyn Store) -> Result<Vec<ApiKey>, ServiceError> {
    Ok(store.reader().api_keys().list().await?)
}

/// One key.
///
/// # Errors
/// Not found; storage.
pub async fn get_key(store: &dyn Store, id: ApiKeyId) -> Result<ApiKey, ServiceError> {
    store
        .reader()
        .api_keys()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No API key has this id."))
}

/// Replaces a key's secret: the old one keeps working for `grace` (0 to 7
/// days), so the integration can switch without an outage. Audited.
///
/// # Errors
/// Not found; a revoked or expired key (conflict); a grace out of bounds;
/// storage.
pub async fn rotate_key(
    store: &dyn Store,
    clock: &dyn Clock,
    index: &dyn BlindIndex,
    admin: &Principal,
    id: ApiKeyId,
    grace: Duration,
    random: &str,
) -> Result<(ApiKey, String), ServiceError> {
    if grace < Duration::zero() || grace > MAX_GRACE {
        return Err(ServiceError::field(
            "grace_seconds",
            "0 to 604800 seconds (7 days)",
        ));
    }
    let now = clock.now();
    let uow = store.begin().await?;
    let mut key = uow
        .api_keys()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No API key has this id."))?;
    if key.status(now) != KeyStatus::Active {
        return Err(ServiceError::Conflict(format!(
            "the key is {}; create a new one",
            key.status(now).as_str()
        )));
    }
    let s = secret(random, index);
    let until = (grace > Duration::zero()).then(|| now + grace);
    key.previous_prefix = until.map(|_| key.prefix.clone());
    key.previous_until = until;
    key.prefix = s.prefix;
    key.rotated_at = Some(now);
    uow.api_keys().rotate(&key, &s.hash, until).await?;
    crate::audit::record(
        uow.as_ref(),
        admin.by(),
        AuditAction::ApiKeyChanged,
        AuditTarget::ApiKey(id),
        &format!(
            "rotated \"{}\"; the old secret works for {} s",
            key.name,
            grace.num_seconds()
        ),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok((key, s.full))
}

/// Revokes a key at once, with any previous secret. Audited.
///
/// # Errors
/// Not found; storage.
pub async fn revoke_key(
    store: &dyn Store,
    clock: &dyn Clock,
    admin: &Principal,
    id: ApiKeyId,
) -> Result<ApiKey, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let key = uow
        .api_keys()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No API key has this id."))?;
    if uow.api_keys().revoke(id, now).await? {
        crate::audit::record(
            uow.as_ref(),
            admin.by(),
            AuditAction::ApiKeyChanged,
            AuditTarget::ApiKey(id),
            &format!("revoked \"{}\"", key.name),
            now,
        )
        .await?;
    }
    uow.commit().await?;
    get_key(store, id).await
}

/// A caller authenticated by an API key.
#[derive(Debug, Clone)]
pub struct KeyPrincipal {
    /// The key.
    pub id: ApiKeyId,
    /// Its name, as the audit log says it.
    pub name: String,
    /// Its stated purpose.
    pub purpose: Option<String>,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Its rate limit.
    pub rate_per_minute: u32,
    /// Where the request comes from.
    pub origin: Origin,
}

/// Whether `bearer` looks like an API key rather than an access token.
#[must_use]
pub fn is_key(bearer: &str) -> bool {
    bearer.starts_with(KEY_PREFIX)
}

/// Authenticates an API key: known, not revoked, not expired; a rotated
/// key's old secret only until its grace period ends.
///
/// # Errors
/// [`IdentityError::Unauthenticated`] for an unknown secret (counts as
/// probing) and [`IdentityError::SessionEnded`] for one that was valid
/// (revoked, expired, past its grace); storage.
pub async fn authenticate_key(
    store: &dyn Store,
    clock: &dyn Clock,
    index: &dyn BlindIndex,
    token: &str,
    origin: Origin,
) -> Result<KeyPrincipal, IdentityError> {
    let now = clock.now();
    let reader = store.reader();
    let hash = index.index("api_key", token);
    let (key, previous) =
        reader
            .api_keys()
            .find(&hash)
            .await?
            .ok_or(IdentityError::Unauthenticated {
                token_presented: true,
            })?;
    if key.status(now) != KeyStatus::Active
        || (previous && key.previous_until.is_none_or(|u| u <= now))
    {
        return Err(IdentityError::SessionEnded);
    }
    if key.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
        reader.api_keys().touch(key.id, now).await?;
    }
    Ok(KeyPrincipal {
        id: key.id,
        name: key.name,
        purpose: key.purpose,
        scopes: key.scopes,
        rate_per_minute: key.rate_per_minute,
        origin,
    })
}

/// Who acts on the staff side: a staff member's session or an API key.
#[derive(Debug, Clone)]
pub enum Operator {
    /// A shop manager or an admin.
    Staff(Principal),
    /// A third-party integration.
    Key(KeyPrincipal),
}

/// What the staff-side use cases need to know of who acts.
pub trait Acting: Sync {
    /// Who acted and from where, as the audit log takes them.
    fn by(&self) -> (Actor, Option<String>);
    /// How an order's history names the actor (`staff:<id>`, `key:<id>`).
    fn label(&self) -> String;
    /// Whether it may see staff accounts' records.
    fn is_admin(&self) -> bool;
    /// The reason recorded in the audit log for a read of personal data.
    fn reason(&self, given: &str) -> String {
        given.to_owned()
    }
}

impl Acting for Principal {
    fn by(&self) -> (Actor, Option<String>) {
        Self::by(self)
    }
    fn label(&self) -> String {
        format!("staff:{}", self.customer_id)
    }
    fn is_admin(&self) -> bool {
        self.role.can_administer()
    }
}

impl Acting for KeyPrincipal {
    fn by(&self) -> (Actor, Option<String>) {
        (Actor::ApiKey(self.id), self.origin.source.display.clone())
    }
    fn label(&self) -> String {
        format!("key:{}", self.id)
    }
    fn is_admin(&self) -> bool {
        false
    }
    fn reason(&self, given: &str) -> String {
        match &self.purpose {
            Some(p) => format!("key \"{}\": {given} (purpose: {p})", self.name),
            None => format!("key \"{}\": {given}", self.name),
        }
    }
}

impl Acting for Operator {
    fn by(&self) -> (Actor, Option<String>) {
        match self {
            Self::Staff(p) => Acting::by(p),
            Self::Key(k) => k.by(),
        }
    }
    fn label(&self) -> String {
        match self {
            Self::Staff(p) => p.label(),
            Self::Key(k) => k.label(),
        }
    }
    fn is_admin(&self) -> bool {
        match self {
            Self::Staff(p) => p.is_admin(),
            Self::Key(k) => k.is_admin(),
        }
    }
    fn reason(&self, given: &str) -> String {
        match self {
            Self::Staff(p) => p.reason(given),
            Self::Key(k) => k.reason(given),
        }
    }
}

impl Operator {
    /// The key, when an integration acts.
    #[must_use]
    pub const fn key(&self) -> Option<&KeyPrincipal> {
        match self {
            Self::Key(k) => Some(k),
            Self::Staff(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_have_stable_names_and_personal_ones_are_marked() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert!(Scope::CustomersRead.personal());
        assert!(!Scope::CatalogueWrite.personal());
        assert_eq!(Scope::parse("orders:delete"), None);
    }

    #[test]
    fn a_personal_scope_needs_a_purpose() {
        let now = Utc::now();
        let ask = |scopes: Vec<Scope>, purpose: Option<&str>| NewKey {
            name: "Print shop".into(),
            purpose: purpose.map(str::to_owned),
            scopes,
            expires_at: None,
            rate_per_minute: None,
        };
        assert!(checked(ask(vec![Scope::CustomersRead], None), now, 600).is_err());
        assert!(checked(ask(vec![Scope::CustomersRead], Some("  ")), now, 600).is_err());
        assert!(checked(ask(vec![Scope::CatalogueRead], None), now, 600).is_ok());
        let ok = checked(
            ask(
                vec![Scope::OrdersRead, Scope::OrdersRead],
                Some("print and ship printed sets"),
            ),
            now,
            600,
        )
        .unwrap();
        assert_eq!(ok.scopes, vec![Scope::OrdersRead]);
        assert_eq!(ok.rate_per_minute, Some(600));
        assert!(checked(ask(vec![], None), now, 600).is_err());
        let mut past = ask(vec![Scope::CatalogueRead], None);
        past.expires_at = Some(now - Duration::seconds(1));
        assert!(checked(past, now, 600).is_err());
    }

    #[test]
    fn status_follows_revocation_and_expiry() {
        let now = Utc::now();
        let mut k = ApiKey {
            id: ApiKeyId::new(),
            name: "CRM".into(),
            purpose: None,
            scopes: vec![Scope::CatalogueRead],
            prefix: "bq_live_abcdef".into(),
            rate_per_minute: 60,
            created_at: now,
            created_by: CustomerId::new(),
            expires_at: Some(now + Duration::days(1)),
            revoked_at: None,
            last_used_at: None,
            rotated_at: None,
            previous_prefix: None,
            previous_until: None,
        };
        assert_eq!(k.status(now), KeyStatus::Active);
        assert_eq!(k.status(now + Duration::days(1)), KeyStatus::Expired);
        k.revoked_at = Some(now);
        assert_eq!(k.status(now), KeyStatus::Revoked);
    }
}
