//! Personal data newtypes: only valid values can be built.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Why a personal value was refused. Messages never repeat the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonError {
    /// Not an e-mail address.
    #[error("must be an e-mail address such as name@example.com, at most 254 characters")]
    Email,
    /// Empty, too long or with control characters.
    #[error("must be 1 to 100 characters, without control characters")]
    Name,
    /// Not a phone number.
    #[error("must be a phone number of 6 to 15 digits, optionally starting with +")]
    Phone,
    /// Unknown language.
    #[error("must be fr or en")]
    Language,
    /// Unknown role.
    #[error("must be customer, shop_manager or admin")]
    Role,
}

/// An e-mail address, kept as typed; compared and indexed in its normalised form.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain.
    ///
    /// # Errors
    /// [`PersonError::Email`].
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let s = s.trim();
        let (local, domain) = s.rsplit_once('@').ok_or(PersonError::Email)?;
        let ok = s.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PersonError::Email)
        }
    }

    /// The address as typed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for lookups and uniqueness: lower-cased.
    #[must_use]
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

// Personal data never reaches a log through Debug.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

/// A person's name as they write it.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name.
    ///
    /// # Errors
    /// [`PersonError::Name`].
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let s = s.trim();
        if (1..=100).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
            Ok(Self(s.to_owned()))
        } else {
            Err(PersonError::Name)
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(<redacted>)")
    }
}

/// A phone number, stored as `+` and digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number; spaces, dots, dashes and brackets are dropped.
    ///
    /// # Errors
    /// [`PersonError::Phone`].
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let s = s.trim();
        let (plus, rest) = s.strip_prefix('+').map_or((false, s), |r| (true, r));
        if rest
            .chars()
            .any(|c| !(c.is_ascii_digit() || " .-()".contains(c)))
        {
            return Err(PersonError::Phone);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if (6..=15).contains(&digits.len()) {
            Ok(Self(if plus { format!("+{digits}") } else { digits }))
        } else {
            Err(PersonError::Phone)
        }
    }

    /// The number.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(<redacted>)")
    }
}

/// Why a password was refused (CNIL and ASVS: length, not common; no
/// composition rules).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PasswordError {
    /// Fewer than 12 characters.
    #[error("must be at least 12 characters")]
    TooShort,
    /// More than 128 characters.
    #[error("must be at most 128 characters")]
    TooLong,
    /// In the list of common passwords.
    #[error("is too common; choose a less predictable passphrase")]
    Common,
}

static COMMON: &str = include_str!("common-passwords.txt");

/// A password that meets the policy. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks a new password against the policy.
    ///
    /// # Errors
    /// [`PasswordError`].
    pub fn parse(s: &str) -> Result<Self, PasswordError> {
        let n = s.chars().count();
        if n < 12 {
            return Err(PasswordError::TooShort);
        }
        if n > 128 {
            return Err(PasswordError::TooLong);
        }
        let lower = s.to_lowercase();
        if COMMON.lines().any(|l| l == lower) {
            return Err(PasswordError::Common);
        }
        Ok(Self(s.to_owned()))
    }

    /// The secret, for hashing only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Language of messages to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// French, the shop's language.
    #[default]
    Fr,
    /// English.
    En,
}

impl Language {
    /// The wire code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = PersonError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fr" => Ok(Self::Fr),
            "en" => Ok(Self::En),
            _ => Err(PersonError::Language),
        }
    }
}

/// What an account may do (STAFF-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A customer: their own data only.
    Customer,
    /// Staff: catalogue, orders, customers.
    ShopManager,
    /// Staff: everything, including staff and security settings.
    Admin,
}

impl Role {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::ShopManager => "shop_manager",
            Self::Admin => "admin",
        }
    }

    /// Whether this is a staff role.
    #[must_use]
    pub const fn is_staff(self) -> bool {
        matches!(self, Self::ShopManager | Self::Admin)
    }

    /// Catalogue management, reading customers and orders.
    #[must_use]
    pub const fn can_manage_shop(self) -> bool {
        self.is_staff()
    }

    /// Staff accounts, roles, locks and the audit log.
    #[must_use]
    pub const fn can_administer(self) -> bool {
        matches!(self, Self::Admin)
    }
}

impl FromStr for Role {
    type Err = PersonError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "customer" => Ok(Self::Customer),
            "shop_manager" => Ok(Self::ShopManager),
            "admin" => Ok(Self::Admin),
            _ => Err(PersonError::Role),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_checked_and_normalised() {
        let e = Email::parse("  Jeanne.Dupont@Example.FR ").unwrap();
        assert_eq!(e.as_str(), "Jeanne.Dupont@Example.FR");
        assert_eq!(e.normalised(), "jeanne.dupont@example.fr");
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@b",
            "a@.b.c",
            "a@b..c",
            "a b@c.d",
            "a@b.c.",
            "<a@b.c>",
        ] {
            assert_eq!(Email::parse(bad), Err(PersonError::Email), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_personal_values() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            Email::parse("secret@example.com").unwrap(),
            PersonName::parse("Jeanne").unwrap(),
            Phone::parse("+33 6 12 34 56 78").unwrap(),
            Password::parse("correct horse battery").unwrap()
        );
        for leak in ["secret", "Jeanne", "612345678", "horse"] {
            assert!(!shown.contains(leak), "{shown}");
        }
    }

    #[test]
    fn phones_keep_digits_and_plus() {
        assert_eq!(
            Phone::parse("+33 (0)6.12-34-56-78").unwrap().as_str(),
            "+330612345678"
        );
        for bad in ["12345", "+1234567890123456", "06 12 ab", ""] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_not_composition_and_not_common() {
        assert!(Password::parse("all lowercase words here").is_ok());
        assert_eq!(
            Password::parse("Short1!").unwrap_err(),
            PasswordError::TooShort
        );
        assert_eq!(
            Password::parse(&"x".repeat(129)).unwrap_err(),
            PasswordError::TooLong
        );
        assert_eq!(
            Password::parse("123456789012").unwrap_err(),
            PasswordError::Common
        );
        assert_eq!(
            Password::parse("PASSWORD1234").unwrap_err(),
            PasswordError::Common
        );
    }

    #[test]
    fn roles_grant_what_staff_1_says() {
        assert!(!Role::Customer.can_manage_shop());
        assert!(Role::ShopManager.can_manage_shop() && !Role::ShopManager.can_administer());
        assert!(Role::Admin.can_administer());
        for r in [Role::Customer, Role::ShopManager, Role::Admin] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
    }

    proptest! {
        #[test]
        fn any_simple_address_parses(local in "[a-z0-9._%+-]{1,20}", domain in "[a-z0-9-]{1,20}", tld in "[a-z]{2,6}") {
            let s = format!("{local}@{domain}.{tld}");
            prop_assert!(Email::parse(&s).is_ok());
        }

        #[test]
        fn long_enough_random_passphrases_pass(p in "[a-z ]{12,40}[0-9]{3}") {
            prop_assert!(Password::parse(&p).is_ok());
        }
    }
}
