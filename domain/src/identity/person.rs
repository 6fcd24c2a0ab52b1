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

impl crate::error::Coded for PersonError {
    fn code(&self) -> crate::error::FieldCode {
        use crate::error::FieldCode;
        match self {
            Self::Email | Self::Phone => FieldCode::InvalidFormat,
            Self::Name => FieldCode::Invalid,
            Self::Language | Self::Role => FieldCode::UnknownValue,
        }
    }
}

/// An e-mail address the mailer can deliver to, kept as typed; compared and
/// indexed in its normalised form ([`Email::normalised`]).
///
/// Accepted: `local@domain` where the local part is an RFC 5322 dot-atom
/// (letters, digits and ``!#$%&'*+-/=?^_`{|}~``, dots neither first, last nor
/// doubled) widened to non-ASCII characters as RFC 6531 and lettre 0.11 widen
/// it, and the domain is two or more labels of letters, digits and hyphens
/// (letters and digits of any script), none empty, none starting or ending
/// with a hyphen, the last not all digits. No quoted local part, no comment,
/// no IP-literal domain: the mailer refuses a recipient the first way, and
/// none of them is a customer's mailbox. Every accepted address also parses
/// as a `lettre::message::Mailbox` (pinned by `api/tests/email_deliverability.rs`).
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Longest address, in bytes (RFC 3696 erratum 1690).
    const MAX_LEN: usize = 254;
    /// Longest local part, in bytes (RFC 5321, 4.5.3.1.1; lettre's limit too).
    const MAX_LOCAL_LEN: usize = 64;
    /// Longest domain label, in bytes (RFC 1035; lettre's limit too).
    const MAX_LABEL_LEN: usize = 63;

    /// Parses an address (surrounding white space is dropped; see [`Email`]
    /// for what is accepted).
    ///
    /// # Errors
    /// [`PersonError::Email`].
    pub fn parse(s: &str) -> Result<Self, PersonError> {
        let s = s.trim();
        // A second `@` ends up in the domain, where it is refused.
        let (local, domain) = s.split_once('@').ok_or(PersonError::Email)?;
        if s.len() <= Self::MAX_LEN && is_local_part(local) && is_domain(domain) {
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

    /// The one form that decides identity: registration, login, staff search
    /// and uniqueness all compare (through the blind index) this and only
    /// this. It is the Unicode lower case of the whole address: case is
    /// ignored in every script, and the Kelvin sign (U+212A), whose lower
    /// case is `k`, is the same address as `k`; nothing else is folded, so
    /// look-alikes from other scripts (Cyrillic `е`) and `+tag`s stay
    /// distinct addresses. Changing this rule changes every stored index.
    #[must_use]
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

/// An RFC 5322 dot-atom of [`is_atext`], at most 64 bytes.
fn is_local_part(local: &str) -> bool {
    local.len() <= Email::MAX_LOCAL_LEN
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// RFC 5322 `atext`, plus the non-ASCII characters RFC 6531 and lettre
/// accept (lettre takes any), less white space and controls, which lettre
/// would take but no mailbox name holds and which hide in a display.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

/// Two or more labels, the top one not all digits (so no IP address).
fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| is_label(l))
        && labels
            .last()
            .is_some_and(|top| !top.chars().all(|c| c.is_ascii_digit()))
}

/// Letters and digits (of any script, as lettre's check allows) and inner
/// hyphens, at most 63 bytes. lettre wants a label to start and end with a
/// letter or digit too.
fn is_label(label: &str) -> bool {
    let letter_or_digit =
        |c: char| c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphanumeric());
    label.len() <= Email::MAX_LABEL_LEN
        && label.starts_with(letter_or_digit)
        && label.ends_with(letter_or_digit)
        && label.chars().all(|c| letter_or_digit(c) || c == '-')
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

impl crate::error::Coded for PasswordError {
    fn code(&self) -> crate::error::FieldCode {
        use crate::error::FieldCode;
        match self {
            Self::TooShort => FieldCode::TooShort,
            Self::TooLong => FieldCode::TooLong,
            Self::Common => FieldCode::Invalid,
        }
    }
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
    fn emails_are_kept_as_typed_without_surrounding_space() {
        let e = Email::parse("  Jeanne.Dupont@Example.FR ").unwrap();
        assert_eq!(e.as_str(), "Jeanne.Dupont@Example.FR");
        assert_eq!(e.normalised(), "jeanne.dupont@example.fr");
    }

    #[test]
    fn emails_the_mailer_cannot_deliver_to_are_refused() {
        for bad in [
            // The review's two (issue 7, item 8).
            "a;b:c@example.com",
            r#""quoted\"local"@example.com"#,
            // Quoted local parts, comments, specials outside atext.
            r#""jeanne"@example.com"#,
            r#""a b"@example.com"#,
            "jeanne(comment)@example.com",
            "a,b@example.com",
            "a[b]@example.com",
            r"a\b@example.com",
            "a\"b@example.com",
            "<a@example.com>",
            "Jeanne <a@example.com>",
            "a@b@example.com",
            // Dots.
            ".jeanne@example.com",
            "jeanne.@example.com",
            "jea..nne@example.com",
            // Space and controls, ASCII or not.
            "a b@example.com",
            "a\tb@example.com",
            "a\u{a0}b@example.com",
            "a\u{2003}b@example.com",
            "a\u{85}b@example.com",
            "a\u{7f}b@example.com",
            "a@exa mple.com",
            // Domains.
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@localhost",
            "a@.b.c",
            "a@b..c",
            "a@b.c.",
            "a@-b.com",
            "a@b-.com",
            "a@b.-com",
            "a@b_c.com",
            "a@b!c.com",
            "a@ex\u{e9}mple\u{2122}.com",
            "a@[192.168.0.1]",
            "a@[IPv6:2001:db8::1]",
            "a@192.168.0.1",
            "a@example.123",
        ] {
            assert_eq!(Email::parse(bad), Err(PersonError::Email), "{bad:?}");
        }
    }

    #[test]
    fn emails_accept_every_dot_atom_character_and_international_addresses() {
        for good in [
            "jeanne@example.fr",
            "jeanne.dupont@example.fr",
            "jeanne+shop@example.fr",
            "!#$%&'*+-/=?^_`{|}~@example.com",
            "a.b.c.d@sub.example.co.uk",
            "0@0.fr",
            "a@xn--bcher-kva.example",
            "a@b-c.example",
            "a@b--c.example",
            "jos\u{e9}@exemple.fr",
            "\u{212a}ate@example.fr",
            "j\u{435}anne@example.fr",
            "\u{7528}\u{6237}@\u{4f8b}\u{5b50}.\u{5e7f}\u{544a}",
            "\u{430}\u{434}\u{43c}\u{438}\u{43d}@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}",
            "a@b\u{fc}cher.de",
        ] {
            let e = Email::parse(good).unwrap_or_else(|_| panic!("{good:?}"));
            assert_eq!(e.as_str(), good);
        }
    }

    #[test]
    fn email_lengths_are_counted_in_bytes() {
        let label = "d".repeat(63);
        let local = "l".repeat(64);
        // 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254.
        let longest = format!("{local}@{label}.{label}.{}", "d".repeat(61));
        assert_eq!(longest.len(), 254);
        assert!(Email::parse(&longest).is_ok());
        assert!(Email::parse(&format!("{longest}d")).is_err());
        assert!(Email::parse(&format!("{}@example.fr", "l".repeat(65))).is_err());
        // 32 two-byte letters fill the 64 bytes.
        assert!(Email::parse(&format!("{}@example.fr", "\u{e9}".repeat(32))).is_ok());
        assert!(Email::parse(&format!("{}@example.fr", "\u{e9}".repeat(33))).is_err());
        assert!(Email::parse(&format!("a@{}.fr", "d".repeat(64))).is_err());
    }

    #[test]
    fn identity_ignores_case_in_every_script() {
        let same = |a: &str, b: &str| {
            Email::parse(a).unwrap().normalised() == Email::parse(b).unwrap().normalised()
        };
        assert!(same("Jeanne@Example.FR", "jeanne@example.fr"));
        assert!(same("JEANNE.DUPONT@EXAMPLE.FR", "jeanne.dupont@example.fr"));
        assert!(same("\u{c9}lodie@example.fr", "\u{e9}lodie@example.fr"));
        assert!(same(
            "\u{410}\u{414}\u{41c}\u{418}\u{41d}@example.ru",
            "\u{430}\u{434}\u{43c}\u{438}\u{43d}@example.ru"
        ));
    }

    #[test]
    fn the_kelvin_sign_is_the_same_address_as_k() {
        // Unicode lower-cases the Kelvin sign to the ASCII letter itself, so
        // no compatibility normalisation (NFKC) is needed for it.
        assert_eq!('\u{212a}'.to_lowercase().to_string(), "k");
        let kelvin = Email::parse("\u{212a}ate@example.fr").unwrap();
        assert_eq!(kelvin.as_str(), "\u{212a}ate@example.fr");
        assert_eq!(kelvin.normalised(), "kate@example.fr");
        assert_eq!(
            kelvin.normalised(),
            Email::parse("Kate@Example.fr").unwrap().normalised()
        );
    }

    #[test]
    fn look_alikes_and_plus_tags_are_distinct_addresses() {
        let n = |s: &str| Email::parse(s).unwrap().normalised();
        let jeanne = n("jeanne@example.fr");
        for other in [
            "j\u{435}anne@example.fr",  // Cyrillic е
            "J\u{415}ANNE@example.fr",  // Cyrillic Е, upper case
            "jeanne@\u{435}xample.fr",  // Cyrillic е in the domain
            "jeanne+shop@example.fr",   // a +tag
            "jean.ne@example.fr",       // dots count
            "\u{ff4a}eanne@example.fr", // fullwidth j: not folded either
        ] {
            assert_ne!(jeanne, n(other), "{other:?}");
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
        fn any_dot_atom_address_parses_and_is_kept_as_typed(
            local in r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}",
            labels in prop::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4),
            tld in "[a-z]{2,6}",
        ) {
            let s = format!("{local}@{}.{tld}", labels.join("."));
            let e = Email::parse(&format!(" {s}\n"));
            prop_assert_eq!(e.as_ref().map(Email::as_str), Ok(s.as_str()));
        }

        #[test]
        fn case_variants_are_one_address(
            local in "[a-z\u{e0}\u{e2}\u{e7}\u{e9}\u{e8}\u{ea}\u{eb}\u{ee}\u{ef}\u{f4}\u{fb}\u{f9}\u{fc}\u{ff}\u{e6}\u{153}0-9._+-]{0,15}[a-z]",
            domain in "[a-z\u{e9}\u{fc}]{1,12}",
            upper in prop::collection::vec(any::<bool>(), 40),
        ) {
            let s = format!("{local}@{domain}.fr");
            let varied: String = s
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &up)| if up { c.to_uppercase().next().unwrap_or(c) } else { c })
                .collect();
            if let (Ok(a), Ok(b)) = (Email::parse(&s), Email::parse(&varied)) {
                prop_assert_eq!(a.normalised(), b.normalised());
            }
        }

        #[test]
        fn kelvin_sign_variants_are_the_k_address(local in "[a-jK-Ok]{1,12}", domain in "[a-k]{1,10}") {
            let ascii = format!("{local}@{domain}.fr");
            let kelvin = ascii.replace(['k', 'K'], "\u{212a}");
            prop_assert_eq!(
                Email::parse(&ascii).unwrap().normalised(),
                Email::parse(&kelvin).unwrap().normalised()
            );
        }

        #[test]
        fn look_alikes_and_tags_never_merge(local in "[a-e]{1,10}", tag in "[a-z0-9]{1,8}") {
            let n = |s: &str| Email::parse(s).unwrap().normalised();
            let plain = n(&format!("{local}@example.fr"));
            prop_assert_ne!(&plain, &n(&format!("{local}+{tag}@example.fr")));
            let cyrillic = local.replace('a', "\u{430}").replace('e', "\u{435}");
            if cyrillic != local {
                prop_assert_ne!(&plain, &n(&format!("{cyrillic}@example.fr")));
            }
        }

        #[test]
        fn a_character_outside_atext_in_the_local_part_is_refused(
            before in "[a-z]{1,8}",
            after in "[a-z]{1,8}",
            bad in prop::sample::select(vec!['"', '(', ')', ',', ':', ';', '<', '>', '@', '[', ']', '\\', ' ', '\t', '\0', '\u{7f}', '\u{a0}', '\u{2028}']),
        ) {
            let s = format!("{before}{bad}{after}@example.fr");
            prop_assert_eq!(Email::parse(&s), Err(PersonError::Email), "{:?}", s);
        }

        #[test]
        fn whatever_is_accepted_is_one_clean_address(s in "\\PC{0,40}@?\\PC{0,40}") {
            if let Ok(e) = Email::parse(&s) {
                let a = e.as_str();
                prop_assert!(a.len() <= 254);
                prop_assert_eq!(a.matches('@').count(), 1);
                prop_assert!(!a.chars().any(|c| c.is_whitespace() || c.is_control() || "\"(),:;<>[\\]".contains(c)));
                prop_assert!(a.split('@').next().is_some_and(|l| l.len() <= 64));
            }
        }

        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{1,30}@[a-z]{1,10}\\.fr") {
            if let Ok(e) = Email::parse(&s) {
                let once = e.normalised();
                prop_assert_eq!(once.to_lowercase(), once);
            }
        }

        #[test]
        fn long_enough_random_passphrases_pass(p in "[a-z ]{12,40}[0-9]{3}") {
            prop_assert!(Password::parse(&p).is_ok());
        }
    }
}
