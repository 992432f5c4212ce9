//! The library's one error type. Messages are lowercase and name the field and the value.

use thiserror::Error;

/// Everything that stops explr from running. A claim that fails is not an error: it is a verdict.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// A parameter is out of range, malformed or inconsistent with another.
    #[error("invalid {field}: {value} ({reason})")]
    Invalid {
        field: String,
        value: String,
        reason: String,
    },
    /// A number could not be read.
    #[error("invalid {field}: cannot read {value:?} as a number ({reason})")]
    Parse {
        field: String,
        value: String,
        reason: String,
    },
    /// The requested combination needs something the arithmetic cannot provide.
    #[error("unsupported {field}: {value} ({reason})")]
    Unsupported {
        field: String,
        value: String,
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    /// A scenario file could not be read as a scenario.
    #[error("scenario {path}{location}: {reason}")]
    Scenario {
        path: String,
        location: String,
        reason: String,
    },
    /// Drawing a plot failed.
    #[error("plot {path}: {reason}")]
    Plot { path: String, reason: String },
}

impl Error {
    /// A value out of range: `invalid --lr: -1 (must be positive)`.
    pub fn invalid(
        field: impl Into<String>,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            field: field.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// A combination the chosen arithmetic or model cannot run.
    pub fn unsupported(
        field: impl Into<String>,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        Error::Unsupported {
            field: field.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Attach a field name to a parse error raised without one.
    pub fn in_field(self, name: &str) -> Self {
        match self {
            Error::Parse { value, reason, .. } => Error::Parse {
                field: name.to_string(),
                value,
                reason,
            },
            Error::Invalid { value, reason, .. } => Error::Invalid {
                field: name.to_string(),
                value,
                reason,
            },
            other => other,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
