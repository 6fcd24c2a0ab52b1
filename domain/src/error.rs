//! Errors shared by every port.

/// A storage port failed for a reason the caller cannot fix (connection lost,
/// disk full, ...). The message is for logs, never for the client.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct StorageError {
    context: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StorageError {
    /// Wraps a lower-level error with what was being done.
    pub fn new(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }

    /// An error with no underlying cause (corrupt row, ...).
    pub fn msg(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            source: None,
        }
    }
}

/// Why a field was refused, as a stable machine code a client can branch
/// on (the message is for people and may change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldCode {
    /// A required field is missing.
    Required,
    /// The value has the wrong JSON type (a string where a number goes...).
    InvalidType,
    /// The value is not one of the allowed values of an enumeration.
    UnknownValue,
    /// The field is not one the operation accepts.
    UnknownField,
    /// `null` where a value is required.
    NullNotAllowed,
    /// Too few characters (or items).
    TooShort,
    /// Too many characters (or items).
    TooLong,
    /// A number below its minimum.
    TooSmall,
    /// A number above its maximum.
    TooLarge,
    /// The text does not have the required format.
    InvalidFormat,
    /// Breaks a rule that no other code names.
    Invalid,
}

impl FieldCode {
    /// Every code, in documentation order.
    pub const ALL: [Self; 11] = [
        Self::Required,
        Self::InvalidType,
        Self::UnknownValue,
        Self::UnknownField,
        Self::NullNotAllowed,
        Self::TooShort,
        Self::TooLong,
        Self::TooSmall,
        Self::TooLarge,
        Self::InvalidFormat,
        Self::Invalid,
    ];

    /// The code on the wire (`snake_case`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidType => "invalid_type",
            Self::UnknownValue => "unknown_value",
            Self::UnknownField => "unknown_field",
            Self::NullNotAllowed => "null_not_allowed",
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::TooSmall => "too_small",
            Self::TooLarge => "too_large",
            Self::InvalidFormat => "invalid_format",
            Self::Invalid => "invalid",
        }
    }
}

/// An error that knows which [`FieldCode`] describes it.
pub trait Coded: std::fmt::Display {
    /// The machine code of this error.
    fn code(&self) -> FieldCode;
}

/// One refused field of a request, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field or parameter name, as the client wrote it.
    pub field: String,
    /// Why, as a stable machine code.
    pub code: FieldCode,
    /// What is wrong, in words a developer can act on (English). Never the
    /// refused value.
    pub message: String,
    /// The rule's bounds (`min`, `max`, `values`...), so the message can be
    /// told in another language.
    pub params: Vec<(&'static str, String)>,
}

/// Every refused field of a request at once, so a client fixes them in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Records a refused field, with the code [`FieldCode::Invalid`].
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.push_code(field, FieldCode::Invalid, message);
    }

    /// Records a refused field with its code.
    pub fn push_code(&mut self, field: &str, code: FieldCode, message: impl Into<String>) {
        self.push_error(FieldError {
            field: field.to_owned(),
            code,
            message: message.into(),
            params: Vec::new(),
        });
    }

    /// Records a refused field built by the caller (with parameters).
    pub fn push_error(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Keeps the value of `result`, or records its error under `field` with
    /// the error's own code.
    pub fn take_coded<T, E: Coded>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push_code(field, e.code(), e.to_string());
                None
            }
        }
    }

    /// Keeps the value of `result`, or records its error under `field`.
    pub fn take<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e.to_string());
                None
            }
        }
    }

    /// Whether nothing was refused.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parsed value when nothing was refused, else every refused field
    /// at once. `value` sees only fields that parsed, so it is `Some` when
    /// nothing was refused.
    ///
    /// # Errors
    /// Itself, when it holds at least one refused field.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Self> {
        if !self.is_empty() {
            return Err(self);
        }
        value().ok_or_else(|| {
            let mut f = Self::default();
            f.push("body", "could not be read");
            f
        })
    }

    /// `Ok` when nothing was refused, else every refused field at once.
    ///
    /// # Errors
    /// Itself, when it holds at least one refused field.
    pub fn check(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Short;

    impl std::fmt::Display for Short {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("must be longer")
        }
    }

    impl Coded for Short {
        fn code(&self) -> FieldCode {
            FieldCode::TooShort
        }
    }

    #[test]
    fn a_plain_push_is_invalid_and_a_coded_error_keeps_its_code() {
        let mut f = FieldErrors::default();
        f.push("a", "is wrong");
        assert_eq!(f.take_coded::<(), _>("b", Err(Short)), None);
        assert_eq!(f.0[0].code, FieldCode::Invalid);
        assert_eq!(f.0[1].code, FieldCode::TooShort);
        assert_eq!(f.0[1].message, "must be longer");
    }

    #[test]
    fn codes_are_snake_case_and_distinct() {
        let names: std::collections::HashSet<_> =
            FieldCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), FieldCode::ALL.len());
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
    }
}
