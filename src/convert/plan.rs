//! The input schedule, per iteration: constant, step decay, cosine, or an explicit list, with an
//! optional linear warm-up in front.

use crate::budget::{self, MAX_ITERATIONS};
use crate::error::{Error, Result};
use crate::optim::Schedule;
use crate::scalar::{Field, Mp};

/// The base schedule's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseSchedule {
    /// η_t = η.
    Constant,
    /// ÷ `factor` at each milestone epoch.
    Step {
        /// Epochs at which the LR is divided.
        milestones: Vec<usize>,
        /// Divisor (text, exact).
        factor: String,
    },
    /// Cosine from η to `floor` over the run.
    Cosine {
        /// Final LR (text).
        floor: String,
    },
    /// Explicit per-iteration LRs (text), e.g. from a CSV file.
    List(Vec<String>),
}

/// A schedule to convert.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulePlan {
    /// η (text, exact).
    pub lr: String,
    /// λ.
    pub weight_decay: String,
    /// γ.
    pub momentum: String,
    /// Iterations per epoch.
    pub iters_per_epoch: usize,
    /// Epochs (ignored for a list, whose length decides).
    pub epochs: usize,
    /// Shape.
    pub base: BaseSchedule,
    /// Linear warm-up epochs: η_t multiplied by min(1, (t+1)/(warm-up iterations)).
    pub warmup_epochs: usize,
}

impl SchedulePlan {
    /// The paper's setting: 0.1, 5e-4, 0.9, 391 iterations per epoch, ÷10 at 80 and 120, 300
    /// epochs.
    pub fn paper() -> Self {
        SchedulePlan {
            lr: "0.1".into(),
            weight_decay: "5e-4".into(),
            momentum: "0.9".into(),
            iters_per_epoch: 391,
            epochs: 300,
            base: BaseSchedule::Step {
                milestones: vec![80, 120],
                factor: "10".into(),
            },
            warmup_epochs: 0,
        }
    }

    /// Number of iterations (saturating; [`SchedulePlan::validate`] rejects overflow).
    pub fn iterations(&self) -> usize {
        match &self.base {
            BaseSchedule::List(v) => v.len(),
            _ => self.iters_per_epoch.saturating_mul(self.epochs),
        }
    }

    /// Checks ranges; every error names the flag and the value.
    pub fn validate(&self) -> Result<()> {
        if self.iters_per_epoch == 0 {
            return Err(Error::invalid("--iters-per-epoch", 0, "must be at least 1"));
        }
        if self.epochs == 0 && !matches!(self.base, BaseSchedule::List(_)) {
            return Err(Error::invalid("--epochs", 0, "must be at least 1"));
        }
        let max = MAX_ITERATIONS as u64;
        let why = "rows of the conversion, each in 192-bit arithmetic";
        match &self.base {
            BaseSchedule::List(v) => {
                budget::at_most("--csv rows", v.len() as u64, max, why)?;
            }
            _ => {
                budget::product(
                    &[
                        ("--epochs", self.epochs as u64),
                        ("--iters-per-epoch", self.iters_per_epoch as u64),
                    ],
                    max,
                    why,
                )?;
            }
        }
        if self.warmup_epochs > 0 {
            budget::product(
                &[
                    ("--warmup-epochs", self.warmup_epochs as u64),
                    ("--iters-per-epoch", self.iters_per_epoch as u64),
                ],
                max,
                "warm-up iterations",
            )?;
        }
        // Rows report η_t and its equivalent as f64: keep inputs well inside its range.
        let positive = budget::positive_within_f64;
        positive("--lr", &self.lr)?;
        positive("--weight-decay", &self.weight_decay)?;
        let m = Mp::parse(&self.momentum).map_err(|e| e.in_field("--momentum"))?;
        let in_range = m >= Mp::from_int(0) && m < Mp::from_int(1);
        if !in_range {
            return Err(Error::invalid(
                "--momentum",
                &self.momentum,
                "must be in [0, 1)",
            ));
        }
        match &self.base {
            BaseSchedule::Step { milestones, factor } => {
                positive("--decay-factor", factor)?;
                crate::optim::check_milestones("--milestones", milestones)?;
                if let Some(&last) = milestones.last() {
                    budget::product(
                        &[
                            ("--milestones", last as u64),
                            ("--iters-per-epoch", self.iters_per_epoch as u64),
                        ],
                        max,
                        "a milestone's iteration",
                    )?;
                }
            }
            BaseSchedule::Cosine { floor } => {
                let f = Mp::parse(floor).map_err(|e| e.in_field("--min-lr"))?;
                if f < Mp::from_int(0) {
                    return Err(Error::invalid("--min-lr", floor, "must be non-negative"));
                }
            }
            BaseSchedule::List(values) => {
                if values.is_empty() {
                    return Err(Error::invalid(
                        "--csv",
                        "(empty)",
                        "no learning rates found",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    positive(&format!("--csv row {}", i + 1), v)?;
                }
            }
            BaseSchedule::Constant => {}
        }
        Ok(())
    }

    /// η_t for every iteration, in the current Mp precision.
    pub fn lr_values(&self) -> Result<Vec<Mp>> {
        self.validate()?;
        let n = self.iterations();
        let base = Mp::parse(&self.lr)?;
        let ipe = self.iters_per_epoch;
        let mut values = match &self.base {
            BaseSchedule::Constant => vec![base; n],
            BaseSchedule::Step { milestones, factor } => Schedule::StepDecay {
                base,
                milestones: milestones.iter().map(|m| m * ipe).collect(),
                factor: Mp::parse(factor)?,
            }
            .values(n),
            BaseSchedule::Cosine { floor } => {
                Schedule::cosine(base, Mp::parse(floor)?, n).values(n)
            }
            BaseSchedule::List(v) => v.iter().map(|x| Mp::parse(x)).collect::<Result<_>>()?,
        };
        let warm = self.warmup_epochs * ipe;
        for (t, v) in values.iter_mut().enumerate().take(warm) {
            *v = v.clone() * Mp::from_ratio(t as i64 + 1, warm as i64);
        }
        Ok(values)
    }
}
