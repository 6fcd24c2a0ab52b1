//! An authenticated caller.

use super::Role;
use super::ports::Origin;
use crate::audit::{Actor, AuditTarget};
use crate::ids::{CustomerId, SessionId};

/// A signed-in account, as a use case sees it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub customer_id: CustomerId,
    /// The session the token is bound to.
    pub session_id: SessionId,
    /// The account's current role.
    pub role: Role,
    /// A generated password still has to be replaced.
    pub must_change_password: bool,
    /// Where the request comes from.
    pub origin: Origin,
}

impl Principal {
    /// How the audit log names this caller.
    #[must_use]
    pub const fn actor(&self) -> Actor {
        Actor::Account(self.customer_id)
    }

    /// The caller's own account, as an audit target.
    #[must_use]
    pub const fn own_account(&self) -> AuditTarget {
        AuditTarget::Customer(self.customer_id)
    }

    /// Who acted and from where, as [`crate::audit::record`] takes them.
    #[must_use]
    pub fn by(&self) -> (Actor, Option<String>) {
        (self.actor(), self.source())
    }

    /// The truncated source address for the audit log.
    #[must_use]
    pub fn source(&self) -> Option<String> {
        self.origin.source.display.clone()
    }
}
