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
    #[error("invalid {field}: cannot read \"{value}\" as a number ({reason})")]
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

/// Longest value quoted in a message; longer ones keep their head and tail.
const MAX_VALUE_CHARS: usize = 48;
/// Longest error line.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// Control characters escaped (`\n`, `\u{1b}`), so a value can never break the one-line rule.
fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A value as quoted in a message: control characters escaped, and a long value cut to its
/// head and tail with the full length said: `1234567890…7890 (10000 chars)`. Short values (such as
/// `1e10000`) are kept as written.
pub fn shorten(value: &str) -> String {
    let escaped = escape_controls(value);
    let count = escaped.chars().count();
    if count <= MAX_VALUE_CHARS {
        return escaped;
    }
    let head: String = escaped.chars().take(24).collect();
    let tail: String = escaped.chars().skip(count - 12).collect();
    format!("{head}…{tail} ({} chars)", value.chars().count())
}

/// An f64 flag value as a user would write it: plain for ordinary magnitudes, scientific beyond
/// (`1e-320`, not 322 digits of zeros).
pub fn float_value(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e15).contains(&x.abs()) {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// An error message as one line of at most [`MAX_MESSAGE_CHARS`] characters: control characters
/// escaped, and a longer message cut with `…`.
pub fn one_line(message: &str) -> String {
    let escaped = escape_controls(message);
    if escaped.chars().count() <= MAX_MESSAGE_CHARS {
        return escaped;
    }
    let cut: String = escaped.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    format!("{cut}…")
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
            value: shorten(&value.to_string()),
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
            value: shorten(&value.to_string()),
            reason: reason.into(),
        }
    }

    /// The flag (or field) an input error blames; None for I/O, scenario and plot errors.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. }
            | Error::Parse { field, .. }
            | Error::Unsupported { field, .. } => Some(field),
            _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shortened_and_escaped() {
        assert_eq!(shorten("1e10000"), "1e10000");
        assert_eq!(shorten("0.1\nrm"), "0.1\\nrm");
        let long = "7".repeat(10_000);
        let short = shorten(&long);
        assert!(
            short.chars().count() < 60 && short.ends_with("(10000 chars)"),
            "{short}"
        );
        let e = Error::invalid("--lr", &long, "must be positive").to_string();
        assert!(e.len() < 120, "{e}");
    }

    #[test]
    fn messages_are_one_bounded_line() {
        let m = one_line(&format!("a\nb{}", "x".repeat(500)));
        assert!(!m.contains('\n'));
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS);
    }
}
