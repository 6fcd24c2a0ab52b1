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

/// Every officially assigned ISO 3166-1 alpha-2 code.
pub const ISO_3166_1: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

impl CountryCode {
    /// Parses an officially assigned ISO 3166-1 alpha-2 code, upper-case
    /// as the standard writes it (`FR`, not `fr`, `XX` or `EU`).
    ///
    /// # Errors
    /// When it is not one.
    pub fn parse(s: &str) -> Result<Self, String> {
        match ISO_3166_1.iter().find(|c| **c == s) {
            Some(c) => {
                let b = c.as_bytes();
                Ok(Self([b[0], b[1]]))
            }
            None => {
                Err("must be an ISO 3166-1 alpha-2 country code in capitals, such as FR".into())
            }
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
mod iso_tests {
    use super::*;

    #[test]
    fn only_assigned_iso_codes_in_capitals_are_countries() {
        assert_eq!(ISO_3166_1.len(), 249);
        for ok in ["FR", "BE", "CH", "DE", "GB", "US", "RE"] {
            assert_eq!(CountryCode::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["XX", "EU", "UK", "fr", " FR", "F", "FRA", ""] {
            assert!(CountryCode::parse(bad).is_err(), "{bad:?}");
        }
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
            "FR",
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
