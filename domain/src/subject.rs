//! Data subjects: whose key seals a piece of personal data. Every personal
//! field belongs to one subject; destroying that subject's key erases it.

use std::fmt;

use uuid::Uuid;

use crate::ids::CustomerId;

/// The person (or legal archive) a piece of personal data belongs to. Its
/// id names the data key in the key store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId(Uuid);

impl SubjectId {
    /// The subject of a customer or staff account (the account id itself).
    #[must_use]
    pub const fn customer(id: CustomerId) -> Self {
        Self(id.as_uuid())
    }

    /// Wraps an id read from storage.
    #[must_use]
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The raw id, for storage.
    #[must_use]
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<CustomerId> for SubjectId {
    fn from(id: CustomerId) -> Self {
        Self::customer(id)
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The key store port: each subject's data key lives apart from the data.
#[async_trait::async_trait]
pub trait SubjectKeys: Send + Sync {
    /// Creates the data key of a new subject. The key store is another
    /// database: the key is stored at once, and a key left unused by a
    /// failed unit of work seals nothing.
    async fn create(
        &self,
        subject: SubjectId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::error::StorageError>;
    /// Creates the subject's data key unless it has one: the legal
    /// archive's key ([`crate::shop::invoice::LEGAL_ARCHIVE`]) is made this
    /// way when the first invoice is issued. Concurrent calls end with one
    /// key; a destroyed key is never made again (an error).
    async fn ensure(
        &self,
        subject: SubjectId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::error::StorageError>;
}

/// Guest subjects: people with personal data here but no account (a
/// newsletter subscriber, a commenter, someone who wrote through the
/// contact form), one per e-mail address, found by its blind index.
#[async_trait::async_trait]
pub trait GuestRepo: Send + Sync {
    /// The guest subject of an e-mail's blind index.
    async fn find(
        &self,
        email_bidx: &[u8],
    ) -> Result<Option<SubjectId>, crate::error::StorageError>;
    /// Stores a new guest subject; when another was stored for this index
    /// meanwhile, that one is returned instead.
    async fn insert(
        &self,
        id: SubjectId,
        email_bidx: &[u8],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<SubjectId, crate::error::StorageError>;
    /// Records that the guest acted again (for retention).
    async fn touch(
        &self,
        id: SubjectId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::error::StorageError>;
    /// Attaches the guest subject to an account, unless it is attached
    /// to another one (false then).
    async fn attach(
        &self,
        id: SubjectId,
        customer: CustomerId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, crate::error::StorageError>;
}

/// Attaches what the account's address did as a guest to the account,
/// once its owner proved the address is theirs (a set-password or reset
/// link was used): the account then lists those orders (and their
/// complaints). Their fields stay sealed under the guest subject's key,
/// which the account's erasure destroys with its own. Answers how many
/// orders were attached.
///
/// # Errors
/// Storage failure.
pub async fn attach_guest_history(
    repos: &dyn crate::store::Repos,
    index: &dyn crate::identity::BlindIndex,
    customer: CustomerId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, crate::error::StorageError> {
    let Some(account) = repos.accounts().get(customer).await? else {
        return Ok(0);
    };
    let bidx = index.email(&account.email);
    let Some(guest) = repos.guests().find(&bidx).await? else {
        return Ok(0);
    };
    if !repos.guests().attach(guest, customer, now).await? {
        return Ok(0);
    }
    repos.orders().attach_guest(guest, &bidx, customer).await
}

/// The data subject of whoever writes from `email`: the account's, when
/// the address has one, else the address's guest subject (created with its
/// data key on first use). Answers the same way in both cases, so callers
/// reveal nothing about accounts.
///
/// # Errors
/// Storage failure.
pub async fn subject_for_email(
    repos: &dyn crate::store::Repos,
    index: &dyn crate::identity::BlindIndex,
    email: &crate::identity::Email,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(SubjectId, Option<CustomerId>), crate::error::StorageError> {
    if let Some(account) = repos.accounts().login_record(email).await? {
        return Ok((SubjectId::customer(account.id), Some(account.id)));
    }
    let bidx = index.email(email);
    if let Some(guest) = repos.guests().find(&bidx).await? {
        repos.guests().touch(guest, now).await?;
        return Ok((guest, None));
    }
    let id = SubjectId::from_uuid(Uuid::now_v7());
    repos.keys().create(id, now).await?;
    Ok((repos.guests().insert(id, &bidx, now).await?, None))
}
