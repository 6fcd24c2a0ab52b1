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

/// One refused field of a request, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field or parameter name, as the client wrote it.
    pub field: String,
    /// What is wrong, in words a developer can act on.
    pub message: String,
}

/// Every refused field of a request at once, so a client fixes them in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Records a refused field.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
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
