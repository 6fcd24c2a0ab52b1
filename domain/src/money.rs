//! Exact money: an integer amount of minor units (cents) and a currency.
//! Never a float, so sums and comparisons are exact everywhere.

use std::fmt;

use thiserror::Error;

/// Why a money value was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// Not three upper-case ASCII letters.
    #[error("currency must be an ISO 4217 code of three upper-case letters")]
    InvalidCurrency,
    /// A price cannot be negative.
    #[error("amount must not be negative")]
    Negative,
    /// Adding amounts of different currencies makes no sense.
    #[error("currencies differ")]
    CurrencyMismatch,
    /// The sum does not fit.
    #[error("amount overflow")]
    Overflow,
}

/// An ISO 4217 currency code such as `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The shop's currency.
    pub const EUR: Self = Self(*b"EUR");

    /// Parses a three-letter upper-case code.
    ///
    /// # Errors
    /// [`MoneyError::InvalidCurrency`] when `code` is not three upper-case letters.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .map_err(|_| MoneyError::InvalidCurrency)?;
        if bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Self(bytes))
        } else {
            Err(MoneyError::InvalidCurrency)
        }
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-negative amount of money in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    /// A price: a non-negative number of minor units.
    ///
    /// # Errors
    /// [`MoneyError::Negative`] for a negative amount.
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount_minor < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    /// A price from an unsigned amount, which cannot be negative.
    #[must_use]
    pub fn from_minor(amount_minor: u32, currency: Currency) -> Self {
        Self {
            amount_minor: i64::from(amount_minor),
            currency,
        }
    }

    /// Amount in minor units (cents for EUR).
    #[must_use]
    pub const fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    /// The currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Exact sum of two amounts in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        let amount_minor = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self {
            amount_minor,
            currency: self.currency,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:02} {}",
            self.amount_minor / 100,
            self.amount_minor % 100,
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currency_accepts_iso_codes_only() {
        assert_eq!(Currency::parse("EUR").unwrap(), Currency::EUR);
        for bad in ["eur", "EU", "EURO", "", "E1R", "ÉUR"] {
            assert_eq!(
                Currency::parse(bad),
                Err(MoneyError::InvalidCurrency),
                "{bad}"
            );
        }
    }

    #[test]
    fn negative_prices_are_refused() {
        assert_eq!(Money::new(-1, Currency::EUR), Err(MoneyError::Negative));
    }

    #[test]
    fn sums_refuse_mixed_currencies() {
        let eur = Money::new(100, Currency::EUR).unwrap();
        let usd = Money::new(100, Currency::parse("USD").unwrap()).unwrap();
        assert_eq!(eur.checked_add(usd), Err(MoneyError::CurrencyMismatch));
        assert_eq!(eur.checked_add(eur).unwrap().amount_minor(), 200);
    }

    #[test]
    fn displays_with_two_decimals() {
        assert_eq!(
            Money::new(129_005, Currency::EUR).unwrap().to_string(),
            "1290.05 EUR"
        );
    }

    proptest! {
        #[test]
        fn addition_is_exact(a in 0i64..1_000_000_000, b in 0i64..1_000_000_000) {
            let sum = Money::new(a, Currency::EUR).unwrap()
                .checked_add(Money::new(b, Currency::EUR).unwrap()).unwrap();
            prop_assert_eq!(sum.amount_minor(), a + b);
        }

        #[test]
        fn any_three_upper_letters_is_a_currency(code in "[A-Z]{3}") {
            let parsed = Currency::parse(&code).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
        }
    }
}
