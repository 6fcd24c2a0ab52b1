//! Postal addresses, for billing and shipping.

use std::fmt;
use std::str::FromStr;

use crate::error::FieldErrors;

/// What an address is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// Invoices.
    Billing,
    /// Printed sets are shipped here.
    Shipping,
}

impl AddressKind {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Billing => "billing",
            Self::Shipping => "shipping",
        }
    }
}

impl FromStr for AddressKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "billing" => Ok(Self::Billing),
            "shipping" => Ok(Self::Shipping),
            _ => Err("must be billing or shipping".into()),
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two letters (case-insensitive).
    ///
    /// # Errors
    /// When not two ASCII letters.
    pub fn parse(s: &str) -> Result<Self, String> {
        let b = s.trim().as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(Self([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]))
        } else {
            Err("must be a two-letter ISO 3166-1 country code such as FR".into())
        }
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

/// A postal address. Every field is personal data.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PostalAddress {
    /// Recipient.
    pub full_name: String,
    /// Street and number.
    pub line1: String,
    /// Building, floor, ...
    pub line2: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO country code.
    pub country: String,
}

fn text(errors: &mut FieldErrors, field: &str, v: &str, max: usize, required: bool) -> String {
    let v = v.trim();
    let n = v.chars().count();
    if (required && n == 0) || n > max || v.chars().any(char::is_control) {
        errors.push(
            field,
            format!("must be {} to {max} characters", usize::from(required)),
        );
    }
    v.to_owned()
}

impl PostalAddress {
    /// Checks every field, reporting all refused ones.
    ///
    /// # Errors
    /// The refused fields.
    pub fn parse(
        full_name: &str,
        line1: &str,
        line2: Option<&str>,
        postal_code: &str,
        city: &str,
        country: &str,
    ) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let full_name = text(&mut e, "full_name", full_name, 100, true);
        let line1 = text(&mut e, "line1", line1, 200, true);
        let line2 = line2
            .map(|l| text(&mut e, "line2", l, 200, false))
            .filter(|l| !l.is_empty());
        let postal_code = text(&mut e, "postal_code", postal_code, 16, true);
        let city = text(&mut e, "city", city, 100, true);
        let country = e
            .take("country", CountryCode::parse(country))
            .map(|c| c.as_str().to_owned());
        match country {
            Some(country) if e.is_empty() => Ok(Self {
                full_name,
                line1,
                line2,
                postal_code,
                city,
                country,
            }),
            _ => Err(e),
        }
    }
}

impl fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostalAddress(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_report_every_bad_field() {
        let a = PostalAddress::parse(
            "Jeanne",
            "1 rue de la Paix",
            Some(" "),
            "75002",
            "Paris",
            "fr",
        )
        .unwrap();
        assert_eq!(a.country, "FR");
        assert_eq!(a.line2, None);
        let e = PostalAddress::parse("", "x", None, "", "Paris", "France").unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["full_name", "postal_code", "country"]);
        assert!(!format!("{a:?}").contains("Jeanne"));
    }
}
