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
}
