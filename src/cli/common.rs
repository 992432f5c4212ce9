//! Shared CLI pieces: outcomes, number parsing, progress bars, output files.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::scalar::Field;

/// What a command concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every claim behaved as expected: exit 0.
    Holds,
    /// A claim did not: exit 1.
    Fails,
}

impl Outcome {
    /// From a boolean verdict.
    pub fn from_holds(holds: bool) -> Self {
        if holds {
            Outcome::Holds
        } else {
            Outcome::Fails
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Holds => 0,
            Outcome::Fails => 1,
        }
    }
}

/// Parse a number written as text for the flag `field`, exactly, into T.
pub fn number<T: Field>(field: &str, text: &str) -> Result<T> {
    T::parse(text).map_err(|e| e.in_field(field))
}

/// Parse a comma-separated vector "1,1/2,-3".
pub fn vector<T: Field>(field: &str, text: &str) -> Result<Vector<T>> {
    let entries: Result<Vec<T>> = text.split(',').map(|x| number(field, x)).collect();
    let entries = entries?;
    if entries.is_empty() {
        return Err(Error::invalid(field, text, "empty vector"));
    }
    Ok(Vector::from_vec(entries))
}

/// A progress bar on stderr, hidden when stderr is not a terminal or `quiet` is set.
pub fn progress_bar(total: u64, label: &str, quiet: bool) -> ProgressBar {
    let target = if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_string());
    bar
}

/// Formats a float for tables: fixed for moderate magnitudes, scientific otherwise; a value
/// that is not a finite number (undefined, or beyond f64's range) prints as `-`, never `inf`.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x == 0.0 {
        "0".into()
    } else if (1e-3..1e5).contains(&x.abs()) {
        format!("{x:.6}")
    } else {
        format!("{x:.4e}")
    }
}

/// Scientific notation with `digits` decimals for tables; `-` for a value that is not finite.
pub fn fmt_sci(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$e}")
    } else {
        "-".into()
    }
}

/// Adam's β₁, β₂ and ε as exact text, shared by `verify theorem` (the AdamW claims) and
/// `verify schedule --optimizer adamw`.
#[derive(Debug, clap::Args, Clone)]
pub struct AdamFlags {
    /// Adam's β₁.
    #[arg(long, default_value = "0.9")]
    pub beta1: String,
    /// Adam's β₂ (`verify theorem`'s exact tier runs β₂ = 0, where √v = |g| is rational).
    #[arg(long, default_value = "0.999")]
    pub beta2: String,
    /// Adam's ε.
    #[arg(long, default_value = "1e-8")]
    pub eps: String,
}

impl AdamFlags {
    /// The flags as the optimizer's text triple.
    pub fn text(&self) -> crate::optim::adam::AdamText {
        crate::optim::adam::AdamText {
            beta1: self.beta1.clone(),
            beta2: self.beta2.clone(),
            eps: self.eps.clone(),
        }
    }
}
