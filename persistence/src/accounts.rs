//! Accounts, addresses, sessions and single-use tokens. Personal fields are
//! sealed under the account's data key on the way in and opened on the way
//! out; e-mail look-ups use the blind index.

use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{
    AddressId, AddressKind, Customer, CustomerId, Email, Language, NewCustomer, PersonName, Phone,
    PostalAddress, Role, SessionId,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    SqlErr, TransactionTrait,
};
use uuid::Uuid;

use crate::Db;
use crate::entities::{auth_token, customer, customer_address, session};
use crate::keystore::KeyStore;
use crate::vault::DataKey;

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

/// A stored address.
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

/// A stored session.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// Id (the JWT's `sid`).
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
    /// Browser, decrypted (needs the owner's key).
    pub user_agent: Option<String>,
}

impl StoredSession {
    /// Whether the session still authenticates at `now`.
    #[must_use]
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
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
    /// New display preferences (JSON object text).
    pub display_preferences: Option<String>,
}

/// The accounts repository.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Db,
    keys: KeyStore,
}

const CUSTOMERS: &str = "customers";
const ADDRESSES: &str = "customer_addresses";
const SESSIONS: &str = "sessions";

fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

fn corrupt(what: &str) -> StorageError {
    StorageError::msg(format!("corrupt account data: {what}"))
}

fn write_err(e: sea_orm::DbErr) -> AccountWriteError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(m)) if m.contains("email") => {
            AccountWriteError::EmailTaken
        }
        _ => AccountWriteError::Storage(StorageError::new("failed to write an account", e)),
    }
}

impl Accounts {
    /// The repository on `db`, with keys from `keys`.
    #[must_use]
    pub fn new(db: Db, keys: KeyStore) -> Self {
        Self { db, keys }
    }

    /// The key store.
    #[must_use]
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// The database, for services that compose transactions.
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The blind index of an e-mail address.
    #[must_use]
    pub fn email_index(&self, email: &Email) -> Vec<u8> {
        self.keys
            .keyring()
            .blind_index("email", &email.normalised())
    }

    async fn key(&self, id: CustomerId) -> Result<DataKey, StorageError> {
        self.keys
            .get(id.as_uuid())
            .await?
            .ok_or_else(|| StorageError::msg("the subject's data key was destroyed"))
    }

    /// Begins a transaction on the data database.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn begin(&self) -> Result<DatabaseTransaction, StorageError> {
        self.db
            .conn()
            .begin()
            .await
            .map_err(err("failed to begin a transaction"))
    }

    /// Creates an account and its data key inside `txn`; the caller commits
    /// (so its outbox message and audit entry land with it). Returns the key.
    ///
    /// # Errors
    /// [`AccountWriteError::EmailTaken`] or storage failure.
    pub async fn create(
        &self,
        txn: &DatabaseTransaction,
        id: CustomerId,
        new: &NewCustomer,
        password_hash: Option<String>,
        must_change_password: bool,
        now: DateTime<Utc>,
    ) -> Result<DataKey, AccountWriteError> {
        // The key store is another database: its key is created first; if the
        // data transaction then fails, an unused key is left, which holds nothing.
        let key = self.keys.create(id.as_uuid(), now).await?;
        let row = id.as_uuid();
        customer::Entity::insert(customer::ActiveModel {
            id: Set(row),
            email_bidx: Set(self.email_index(&new.email)),
            email_enc: Set(key.seal_str(CUSTOMERS, "email_enc", row, new.email.as_str())),
            name_enc: Set(key.seal_str(CUSTOMERS, "name_enc", row, new.name.as_str())),
            phone_enc: Set(new
                .phone
                .as_ref()
                .map(|p| key.seal_str(CUSTOMERS, "phone_enc", row, p.as_str()))),
            role: Set(new.role.as_str().to_owned()),
            preferred_language: Set(new.language.as_str().to_owned()),
            display_prefs: Set("{}".to_owned()),
            display_prefs_updated_at: Set(None),
            password_hash: Set(password_hash),
            must_change_password: Set(must_change_password),
            privacy_policy_version: Set(new.privacy_policy_version.clone()),
            privacy_policy_accepted_at: Set(new.privacy_policy_version.as_ref().map(|_| now)),
            created_at: Set(now),
            updated_at: Set(now),
            last_active_at: Set(now),
        })
        .exec(txn)
        .await
        .map_err(write_err)?;
        Ok(key)
    }

    /// Whether an account has this e-mail.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn find_id_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<CustomerId>, StorageError> {
        Ok(self.login_record(email).await?.map(|r| r.id))
    }

    /// What a login needs.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn login_record(&self, email: &Email) -> Result<Option<LoginRecord>, StorageError> {
        let row = customer::Entity::find()
            .filter(customer::Column::EmailBidx.eq(self.email_index(email)))
            .one(self.db.conn())
            .await
            .map_err(err("failed to look up an account"))?;
        row.map(|r| {
            Ok(LoginRecord {
                id: CustomerId::from_uuid(r.id),
                password_hash: r.password_hash,
                must_change_password: r.must_change_password,
                role: r.role.parse().map_err(|_| corrupt("role"))?,
            })
        })
        .transpose()
    }

    /// The login record by id.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn login_record_by_id(
        &self,
        id: CustomerId,
    ) -> Result<Option<LoginRecord>, StorageError> {
        let row = customer::Entity::find_by_id(id.as_uuid())
            .one(self.db.conn())
            .await
            .map_err(err("failed to look up an account"))?;
        row.map(|r| {
            Ok(LoginRecord {
                id,
                password_hash: r.password_hash,
                must_change_password: r.must_change_password,
                role: r.role.parse().map_err(|_| corrupt("role"))?,
            })
        })
        .transpose()
    }

    fn decrypt(key: &DataKey, r: customer::Model) -> Result<Customer, StorageError> {
        let id = r.id;
        let open = |col: &str, v: &[u8]| {
            key.open_str(CUSTOMERS, col, id, v)
                .map_err(|e| StorageError::new("failed to decrypt an account", e))
        };
        Ok(Customer {
            id: CustomerId::from_uuid(id),
            email: Email::parse(&open("email_enc", &r.email_enc)?).map_err(|_| corrupt("email"))?,
            name: PersonName::parse(&open("name_enc", &r.name_enc)?)
                .map_err(|_| corrupt("name"))?,
            phone: r
                .phone_enc
                .as_deref()
                .map(|p| {
                    open("phone_enc", p)
                        .and_then(|s| Phone::parse(&s).map_err(|_| corrupt("phone")))
                })
                .transpose()?,
            role: r.role.parse().map_err(|_| corrupt("role"))?,
            language: r
                .preferred_language
                .parse()
                .map_err(|_| corrupt("language"))?,
            display_preferences: r.display_prefs,
            must_change_password: r.must_change_password,
            has_password: r.password_hash.is_some(),
            privacy_policy_version: r.privacy_policy_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_active_at: r.last_active_at,
        })
    }

    /// An account, decrypted; `None` if unknown or erased.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn get(&self, id: CustomerId) -> Result<Option<Customer>, StorageError> {
        let Some(row) = customer::Entity::find_by_id(id.as_uuid())
            .one(self.db.conn())
            .await
            .map_err(err("failed to load an account"))?
        else {
            return Ok(None);
        };
        let Some(key) = self.keys.get(id.as_uuid()).await? else {
            return Ok(None);
        };
        Self::decrypt(&key, row).map(Some)
    }

    /// Staff accounts, decrypted.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn list_staff(&self) -> Result<Vec<Customer>, StorageError> {
        let rows = customer::Entity::find()
            .filter(customer::Column::Role.ne(Role::Customer.as_str()))
            .order_by_asc(customer::Column::CreatedAt)
            .all(self.db.conn())
            .await
            .map_err(err("failed to list staff"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(key) = self.keys.get(r.id).await? {
                out.push(Self::decrypt(&key, r)?);
            }
        }
        Ok(out)
    }

    /// Applies profile changes.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn update_profile(
        &self,
        id: CustomerId,
        changes: &ProfileChanges,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.key(id).await?;
        let row = id.as_uuid();
        let mut am = customer::ActiveModel {
            id: Set(row),
            updated_at: Set(now),
            ..Default::default()
        };
        if let Some(name) = &changes.name {
            am.name_enc = Set(key.seal_str(CUSTOMERS, "name_enc", row, name.as_str()));
        }
        if let Some(phone) = &changes.phone {
            am.phone_enc = Set(phone
                .as_ref()
                .map(|p| key.seal_str(CUSTOMERS, "phone_enc", row, p.as_str())));
        }
        if let Some(lang) = changes.language {
            am.preferred_language = Set(lang.as_str().to_owned());
        }
        if let Some(prefs) = &changes.display_preferences {
            am.display_prefs = Set(prefs.clone());
            am.display_prefs_updated_at = Set(Some(now));
        }
        customer::Entity::update(am)
            .exec(self.db.conn())
            .await
            .map_err(err("failed to update a profile"))?;
        Ok(())
    }

    /// Changes the e-mail address.
    ///
    /// # Errors
    /// [`AccountWriteError::EmailTaken`] or storage failure.
    pub async fn change_email(
        &self,
        txn: &DatabaseTransaction,
        id: CustomerId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError> {
        let key = self.key(id).await?;
        let row = id.as_uuid();
        customer::Entity::update(customer::ActiveModel {
            id: Set(row),
            email_bidx: Set(self.email_index(email)),
            email_enc: Set(key.seal_str(CUSTOMERS, "email_enc", row, email.as_str())),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await
        .map_err(write_err)?;
        Ok(())
    }

    /// Sets the password hash.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn set_password(
        &self,
        conn: &impl ConnectionTrait,
        id: CustomerId,
        hash: String,
        must_change: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        customer::Entity::update(customer::ActiveModel {
            id: Set(id.as_uuid()),
            password_hash: Set(Some(hash)),
            must_change_password: Set(must_change),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(conn)
        .await
        .map_err(err("failed to set a password"))?;
        Ok(())
    }

    /// Changes the role.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn set_role(
        &self,
        conn: &impl ConnectionTrait,
        id: CustomerId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        customer::Entity::update(customer::ActiveModel {
            id: Set(id.as_uuid()),
            role: Set(role.as_str().to_owned()),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(conn)
        .await
        .map_err(err("failed to set a role"))?;
        Ok(())
    }

    /// Records activity (for the inactivity retention rule), at most once a
    /// minute, so authenticated reads do not each cost a write.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn touch(&self, id: CustomerId, now: DateTime<Utc>) -> Result<(), StorageError> {
        customer::Entity::update_many()
            .col_expr(customer::Column::LastActiveAt, Expr::value(now))
            .filter(customer::Column::Id.eq(id.as_uuid()))
            .filter(customer::Column::LastActiveAt.lt(now - chrono::Duration::minutes(1)))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to record activity"))?;
        Ok(())
    }

    // ---- addresses ----

    fn open_address(
        key: &DataKey,
        r: customer_address::Model,
    ) -> Result<StoredAddress, StorageError> {
        let json = key
            .open_str(ADDRESSES, "address_enc", r.id, &r.address_enc)
            .map_err(|e| StorageError::new("failed to decrypt an address", e))?;
        Ok(StoredAddress {
            id: AddressId::from_uuid(r.id),
            kind: r.kind.parse().map_err(|_| corrupt("address kind"))?,
            address: serde_json::from_str(&json).map_err(|_| corrupt("address"))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// The owner's addresses.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn addresses(&self, owner: CustomerId) -> Result<Vec<StoredAddress>, StorageError> {
        let key = self.key(owner).await?;
        customer_address::Entity::find()
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .order_by_asc(customer_address::Column::CreatedAt)
            .order_by_asc(customer_address::Column::Id)
            .all(self.db.conn())
            .await
            .map_err(err("failed to list addresses"))?
            .into_iter()
            .map(|r| Self::open_address(&key, r))
            .collect()
    }

    /// One of the owner's addresses; `None` when it is not theirs.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn address(
        &self,
        owner: CustomerId,
        id: AddressId,
    ) -> Result<Option<StoredAddress>, StorageError> {
        let Some(row) = customer_address::Entity::find_by_id(id.as_uuid())
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .one(self.db.conn())
            .await
            .map_err(err("failed to load an address"))?
        else {
            return Ok(None);
        };
        Self::open_address(&self.key(owner).await?, row).map(Some)
    }

    /// Adds or replaces an address of the owner.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn save_address(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
        is_new: bool,
    ) -> Result<bool, StorageError> {
        let key = self.key(owner).await?;
        let row = id.as_uuid();
        let json = serde_json::to_string(address)
            .map_err(|e| StorageError::new("failed to encode an address", e))?;
        let sealed = key.seal_str(ADDRESSES, "address_enc", row, &json);
        if is_new {
            customer_address::Entity::insert(customer_address::ActiveModel {
                id: Set(row),
                customer_id: Set(owner.as_uuid()),
                kind: Set(kind.as_str().to_owned()),
                address_enc: Set(sealed),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(self.db.conn())
            .await
            .map_err(err("failed to add an address"))?;
            return Ok(true);
        }
        let res = customer_address::Entity::update_many()
            .col_expr(customer_address::Column::Kind, Expr::value(kind.as_str()))
            .col_expr(customer_address::Column::AddressEnc, Expr::value(sealed))
            .col_expr(customer_address::Column::UpdatedAt, Expr::value(now))
            .filter(customer_address::Column::Id.eq(row))
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to update an address"))?;
        Ok(res.rows_affected == 1)
    }

    /// Deletes one of the owner's addresses; false when it is not theirs.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn delete_address(
        &self,
        owner: CustomerId,
        id: AddressId,
    ) -> Result<bool, StorageError> {
        let res = customer_address::Entity::delete_many()
            .filter(customer_address::Column::Id.eq(id.as_uuid()))
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to delete an address"))?;
        Ok(res.rows_affected == 1)
    }

    // ---- sessions ----

    /// Opens a session.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn create_session(
        &self,
        conn: &impl ConnectionTrait,
        owner: CustomerId,
        id: SessionId,
        remember_me: bool,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        user_agent: Option<&str>,
        ip: Option<&str>,
    ) -> Result<(), StorageError> {
        let key = self.key(owner).await?;
        let row = id.as_uuid();
        session::Entity::insert(session::ActiveModel {
            id: Set(row),
            customer_id: Set(owner.as_uuid()),
            remember_me: Set(remember_me),
            created_at: Set(now),
            expires_at: Set(expires_at),
            last_seen_at: Set(now),
            revoked_at: Set(None),
            user_agent_enc: Set(
                user_agent.map(|u| key.seal_str(SESSIONS, "user_agent_enc", row, u))
            ),
            ip_enc: Set(ip.map(|i| key.seal_str(SESSIONS, "ip_enc", row, i))),
        })
        .exec(conn)
        .await
        .map_err(err("failed to open a session"))?;
        Ok(())
    }

    fn to_session(r: session::Model, key: Option<&DataKey>) -> StoredSession {
        let user_agent = key.and_then(|k| {
            r.user_agent_enc
                .as_deref()
                .and_then(|u| k.open_str(SESSIONS, "user_agent_enc", r.id, u).ok())
        });
        StoredSession {
            id: SessionId::from_uuid(r.id),
            customer_id: CustomerId::from_uuid(r.customer_id),
            remember_me: r.remember_me,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_seen_at: r.last_seen_at,
            revoked_at: r.revoked_at,
            user_agent,
        }
    }

    /// A session by id, without decrypting anything (the hot path of every
    /// authenticated request).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn session(&self, id: SessionId) -> Result<Option<StoredSession>, StorageError> {
        Ok(session::Entity::find_by_id(id.as_uuid())
            .one(self.db.conn())
            .await
            .map_err(err("failed to load a session"))?
            .map(|r| Self::to_session(r, None)))
    }

    /// The owner's live sessions, newest first, with their browser.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn live_sessions(
        &self,
        owner: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredSession>, StorageError> {
        let key = self.key(owner).await?;
        Ok(session::Entity::find()
            .filter(session::Column::CustomerId.eq(owner.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .order_by_desc(session::Column::CreatedAt)
            .all(self.db.conn())
            .await
            .map_err(err("failed to list sessions"))?
            .into_iter()
            .map(|r| Self::to_session(r, Some(&key)))
            .collect())
    }

    /// Ends one of the owner's sessions; false when it is not theirs or already ended.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn revoke_session(
        &self,
        owner: CustomerId,
        id: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let res = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .filter(session::Column::CustomerId.eq(owner.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .exec(self.db.conn())
            .await
            .map_err(err("failed to revoke a session"))?;
        Ok(res.rows_affected == 1)
    }

    /// Ends every session of the owner but `keep`.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn revoke_other_sessions(
        &self,
        conn: &impl ConnectionTrait,
        owner: CustomerId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let mut q = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::CustomerId.eq(owner.as_uuid()))
            .filter(session::Column::RevokedAt.is_null());
        if let Some(keep) = keep {
            q = q.filter(session::Column::Id.ne(keep.as_uuid()));
        }
        Ok(q.exec(conn)
            .await
            .map_err(err("failed to revoke sessions"))?
            .rows_affected)
    }

    /// Records that a session was used (at most once a minute per session).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn touch_session(
        &self,
        id: SessionId,
        owner: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .filter(session::Column::LastSeenAt.lt(now - chrono::Duration::minutes(1)))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to touch a session"))?;
        self.touch(owner, now).await
    }

    // ---- single-use tokens ----

    /// Stores the hash of a single-use token.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn create_token(
        &self,
        conn: &impl ConnectionTrait,
        owner: CustomerId,
        purpose: &str,
        token_hash: Vec<u8>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        auth_token::Entity::insert(auth_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(owner.as_uuid()),
            purpose: Set(purpose.to_owned()),
            token_hash: Set(token_hash),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        })
        .exec(conn)
        .await
        .map_err(err("failed to store a token"))?;
        Ok(())
    }

    /// Uses a token once: marks it used and returns its owner, or `None`
    /// when unknown, used, expired or for another purpose.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn consume_token(
        &self,
        conn: &impl ConnectionTrait,
        purposes: &[&str],
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        // The conditional update comes first: it is what makes a token
        // single-use under concurrency, and it takes the write lock before
        // any read in the transaction.
        let res = auth_token::Entity::update_many()
            .col_expr(auth_token::Column::UsedAt, Expr::value(now))
            .filter(auth_token::Column::TokenHash.eq(token_hash.to_vec()))
            .filter(auth_token::Column::Purpose.is_in(purposes.iter().copied()))
            .filter(auth_token::Column::UsedAt.is_null())
            .filter(auth_token::Column::ExpiresAt.gt(now))
            .exec(conn)
            .await
            .map_err(err("failed to use a token"))?;
        if res.rows_affected != 1 {
            return Ok(None);
        }
        Ok(auth_token::Entity::find()
            .filter(auth_token::Column::TokenHash.eq(token_hash.to_vec()))
            .one(conn)
            .await
            .map_err(err("failed to load a token"))?
            .map(|row| CustomerId::from_uuid(row.customer_id)))
    }
}
