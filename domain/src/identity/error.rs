//! Why an identity use case refused, one variant per answer a client can
//! act on. `api` maps each to its problem type in one place.

use chrono::{DateTime, Utc};

use super::ports::{AccountWriteError, HashError, IssueError};
use crate::error::{FieldErrors, StorageError};

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReason {
    /// Too many failed logins for this account from this source.
    AccountLocked,
    /// The source is banned (failures across accounts, or probing).
    SourceBanned,
    /// The source sent too many requests of this kind (registrations,
    /// reset requests) for now.
    RateLimited,
}

/// The errors of the identity use cases.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Wrong e-mail or password (never says which).
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    /// Locked or banned until `until`.
    #[error("too many attempts")]
    Limited {
        /// Which limit.
        reason: LimitReason,
        /// Until when.
        until: DateTime<Utc>,
        /// Seconds from now to `until`, at least 1.
        retry_after: i64,
    },
    /// No valid credentials; `token_presented` when a token was sent.
    #[error("not authenticated")]
    Unauthenticated {
        /// A token was sent but is not valid.
        token_presented: bool,
    },
    /// A token this API signed, whose session has expired or ended (logout,
    /// revocation, password change): log in again. Unlike a forged token,
    /// it does not count toward a ban.
    #[error("the session has ended")]
    SessionEnded,
    /// A set-password or reset link's token is unknown, used or expired.
    #[error("the link's token is unknown, used or expired")]
    InvalidLinkToken,
    /// The password given to confirm a change is not the account's.
    #[error("wrong current password")]
    WrongPassword {
        /// The request field that held it.
        field: &'static str,
    },
    /// Another account uses this e-mail address.
    #[error("e-mail address already registered")]
    EmailTaken,
    /// Administrators cannot take their own administrator role away.
    #[error("an administrator cannot demote themself")]
    SelfDemotion,
    /// The customer's data are restricted (GDPR art. 18): frozen until the
    /// restriction is lifted.
    #[error("the account's data are restricted")]
    Restricted,
    /// No account, address or session of the caller has this id.
    #[error("not found")]
    NotFound,
    /// Fields refused by a rule.
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Password hashing failed.
    #[error(transparent)]
    Hashing(#[from] HashError),
    /// Token signing failed.
    #[error(transparent)]
    Issuing(#[from] IssueError),
}

impl From<AccountWriteError> for IdentityError {
    fn from(e: AccountWriteError) -> Self {
        match e {
            AccountWriteError::EmailTaken => Self::EmailTaken,
            AccountWriteError::Storage(s) => Self::Storage(s),
        }
    }
}

impl IdentityError {
    /// A limit in force until `until`, seen at `now`.
    #[must_use]
    pub fn limited(reason: LimitReason, until: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self::Limited {
            reason,
            until,
            retry_after: (until - now).num_seconds().max(1),
        }
    }
}
