//! Text folding for search: case- and accent-insensitive, so "plein pied"
//! finds "Plein-pied" and "Maison Évolutive" is found by "evolutive".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases, strips diacritics and turns punctuation into single spaces.
#[must_use]
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Why a free text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Blank, or shorter than allowed.
    #[error("must have at least {0} non-blank character(s)")]
    TooShort(usize),
    /// Longer than allowed.
    #[error("must have at most {0} characters")]
    TooLong(usize),
    /// Holds control characters (line breaks and tabs are allowed in
    /// multi-line texts).
    #[error("must not contain control characters")]
    ControlCharacters,
}

impl crate::error::Coded for TextError {
    fn code(&self) -> crate::error::FieldCode {
        match self {
            Self::TooShort(_) => crate::error::FieldCode::TooShort,
            Self::TooLong(_) => crate::error::FieldCode::TooLong,
            Self::ControlCharacters => crate::error::FieldCode::InvalidFormat,
        }
    }
}

/// A free text, trimmed, of `min..=max` characters, without control
/// characters (line breaks and tabs allowed when `multiline`).
///
/// # Errors
/// [`TextError`].
pub fn bounded(s: &str, min: usize, max: usize, multiline: bool) -> Result<String, TextError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min.max(usize::from(min > 0)) {
        return Err(TextError::TooShort(min));
    }
    if n > max {
        return Err(TextError::TooLong(max));
    }
    if t.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(TextError::ControlCharacters);
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(
            fold("Maison Évolutive, plein-pied!"),
            "maison evolutive plein pied"
        );
        assert_eq!(fold("  Château  "), "chateau");
        assert_eq!(fold(""), "");
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in ".{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }
    }
}
