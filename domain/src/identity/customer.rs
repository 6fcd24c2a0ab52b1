//! A customer or staff account, decrypted.

use chrono::{DateTime, Utc};

use super::{Email, Language, PersonName, Phone, Role};
use crate::ids::CustomerId;

/// An account as its owner (or audited staff) sees it.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Id; also the data subject.
    pub id: CustomerId,
    /// E-mail address.
    pub email: Email,
    /// Name.
    pub name: PersonName,
    /// Phone, if given.
    pub phone: Option<Phone>,
    /// Role.
    pub role: Role,
    /// Language of messages.
    pub language: Language,
    /// Display preferences (a JSON object, ACC-5).
    pub display_preferences: String,
    /// A generated password must be replaced before anything else.
    pub must_change_password: bool,
    /// Whether a password is set at all.
    pub has_password: bool,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last login or authenticated request (for the inactivity rule, RET-2).
    pub last_active_at: DateTime<Utc>,
}

/// What registration stores.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// E-mail.
    pub email: Email,
    /// Name.
    pub name: PersonName,
    /// Phone.
    pub phone: Option<Phone>,
    /// Role (customers register themselves; staff are created by admins).
    pub role: Role,
    /// Language.
    pub language: Language,
}
