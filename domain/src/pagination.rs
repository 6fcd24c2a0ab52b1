//! The pagination convention used by every list: `limit` (default 20, at most
//! 100) and an opaque `cursor`, answered as a page of items and the cursor of
//! the next page. Cursors are keyset positions, so a page never repeats or
//! skips an item when rows are added between two requests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use thiserror::Error;

/// Why a pagination parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaginationError {
    /// `limit` outside 1..=100.
    #[error("must be a whole number between 1 and {max}")]
    LimitOutOfRange {
        /// The largest page size.
        max: u32,
    },
    /// The cursor was not produced by this API for this listing.
    #[error("cursor is not valid for this listing")]
    InvalidCursor,
}

/// A page size between 1 and [`Limit::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    /// Page size when none is asked for.
    pub const DEFAULT: Self = Self(20);
    /// Largest page size.
    pub const MAX: u32 = 100;

    /// Parses an optional requested limit, as the query string gives it.
    ///
    /// # Errors
    /// [`PaginationError::LimitOutOfRange`] for anything but a whole number in 1..=100.
    pub fn parse(requested: Option<&str>) -> Result<Self, PaginationError> {
        let out_of_range = PaginationError::LimitOutOfRange { max: Self::MAX };
        match requested.map(|r| r.trim().parse::<u32>()) {
            None => Ok(Self::DEFAULT),
            Some(Ok(n)) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            Some(_) => Err(out_of_range),
        }
    }

    /// The size as a `usize`.
    #[must_use]
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in listing order.
    pub items: Vec<T>,
    /// The cursor to pass for the next page, if there is one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Maps every item, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Encodes the parts of a keyset position as an opaque, URL-safe cursor.
/// Parts must not contain `|`; callers put ids, numbers and enum names in it.
#[must_use]
pub fn encode_cursor(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("|"))
}

/// Decodes a cursor made by [`encode_cursor`] into exactly `n` parts.
///
/// # Errors
/// [`PaginationError::InvalidCursor`] for anything this API did not produce.
pub fn decode_cursor(cursor: &str, n: usize) -> Result<Vec<String>, PaginationError> {
    if cursor.len() > 512 {
        return Err(PaginationError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| PaginationError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| PaginationError::InvalidCursor)?;
    let parts: Vec<String> = text.split('|').map(str::to_owned).collect();
    if parts.len() == n {
        Ok(parts)
    } else {
        Err(PaginationError::InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limit_defaults_to_20_and_caps_at_100() {
        assert_eq!(Limit::parse(None).unwrap().get(), 20);
        assert_eq!(Limit::parse(Some("100")).unwrap().get(), 100);
        assert_eq!(Limit::parse(Some(" 7 ")).unwrap().get(), 7);
        for bad in ["0", "101", "-5", "ten", "2.5", ""] {
            assert!(Limit::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_cursors_are_refused() {
        for bad in ["", "!!!", "bm90IGEgY3Vyc29y"] {
            assert_eq!(
                decode_cursor(bad, 3),
                Err(PaginationError::InvalidCursor),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn cursors_round_trip(a in "[a-z0-9-]{1,20}", b in "[0-9]{1,12}") {
            let cursor = encode_cursor(&[&a, &b]);
            prop_assert_eq!(decode_cursor(&cursor, 2).unwrap(), vec![a, b]);
        }
    }
}
