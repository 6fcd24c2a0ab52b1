//! The identity rules a shop configures.

use chrono::Duration;

use super::{LockoutPolicy, SessionPolicy};

/// How a new account without a password gets its first credential (ACC-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSetup {
    /// A single-use set-password link.
    Link,
    /// A generated password, shown only in the e-mail, to change at first login.
    GeneratedPassword,
}

/// Identity settings.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// First credential of accounts created without a password.
    pub account_setup: AccountSetup,
    /// Base of the links in e-mails (`<base>/account/set-password?token=`).
    pub frontend_url: String,
    /// Lifetime of a set-password link.
    pub set_password_ttl: Duration,
    /// Lifetime of a reset link.
    pub reset_password_ttl: Duration,
    /// Session lifetimes (ACC-4).
    pub sessions: SessionPolicy,
    /// Lockdown thresholds (SEC-1, SEC-2).
    pub lockout: LockoutPolicy,
}

impl IdentityConfig {
    /// The policy's defaults: links valid 48 hours (set-password) and 1 hour
    /// (reset), sessions of 2 or 14 days, the default lockdown.
    #[must_use]
    pub fn new(account_setup: AccountSetup, frontend_url: String) -> Self {
        Self {
            account_setup,
            frontend_url,
            set_password_ttl: Duration::hours(48),
            reset_password_ttl: Duration::hours(1),
            sessions: SessionPolicy::default(),
            lockout: LockoutPolicy::default(),
        }
    }
}
