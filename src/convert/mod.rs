//! The schedule converter: a standard schedule with weight decay and momentum → its equivalent
//! schedule without weight decay (docs/MATH.md T2–T4).
//!
//! - `exact`: T3's WD-shadow schedule η̃_t = η_t/(Z_t Z_{t+1}), equivalent with ṽ₀ = 0 for any
//!   η_t, λ, γ (θ_t = Z_t θ̃_t).
//! - `texp`: the tapered exponential schedule of T4 (inside a constant-LR phase η̃ grows by
//!   α*⁻² per iteration; at a change of η it is rescaled by (η_t/η_{t−1})(α*_{t−1} α*_t)⁻¹), which
//!   is the closed form of T2 on constant phases and applies to any schedule.
//!
//! Everything is computed at 192-bit precision, whose exponent range is unbounded, so a schedule
//! that overflows f64 (LR ~ 10⁵¹ after 300 epochs) is reported in log₁₀ space, never as inf.

mod plan;
mod twins;

pub use plan::{BaseSchedule, SchedulePlan};
pub use twins::{twin_rows, TwinOptimizer, TwinRow};

use serde::Serialize;

use crate::error::Result;
use crate::optim::shadow::{exact_schedule, texp_schedule, wd_shadow};
use crate::scalar::{with_precision, Field, Mp};

/// Working precision of the converter.
pub const PRECISION_BITS: u32 = 192;

/// Which equivalent schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// T3's exact WD-shadow schedule.
    Exact,
    /// T4's tapered exponential.
    Texp,
}

/// One iteration of the converted schedule.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Iteration t.
    pub iteration: usize,
    /// Epoch (t / iterations per epoch).
    pub epoch: usize,
    /// η_t of the input schedule.
    pub lr: f64,
    /// η̃_t, or null when it does not fit an f64.
    pub equivalent_lr: Option<f64>,
    /// log₁₀ η̃_t (always finite).
    pub log10_equivalent_lr: f64,
    /// Z_t of the WD shadow, or null when it does not fit an f64.
    pub z: Option<f64>,
    /// log₁₀ Z_t.
    pub log10_z: f64,
    /// exact / TEXP at t.
    pub exact_over_texp: f64,
}

/// A constant-LR phase.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// First iteration.
    pub start: usize,
    /// One past the last iteration.
    pub end: usize,
    /// η of the phase.
    pub lr: f64,
    /// Growth factor per epoch of the equivalent LR, over the phase's last full epoch.
    pub growth_per_epoch: Option<f64>,
    /// exact/TEXP at the end of the phase.
    pub exact_over_texp: f64,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Kind converted to.
    pub kind: Kind,
    /// Iterations.
    pub iterations: usize,
    /// Phases of constant η (at most 64 are listed; schedules that change every step have one
    /// phase per iteration).
    pub phases: Vec<Phase>,
    /// Smallest exact/TEXP ratio.
    pub ratio_min: f64,
    /// Largest exact/TEXP ratio.
    pub ratio_max: f64,
    /// log₁₀ of the last equivalent LR.
    pub final_log10_equivalent_lr: f64,
}

/// The converted schedule.
#[derive(Debug, Clone, Serialize)]
pub struct Conversion {
    /// Summary.
    pub summary: Summary,
    /// Every iteration.
    pub rows: Vec<Row>,
}

fn finite(x: &Mp) -> Option<f64> {
    let v = x.to_f64();
    (v.is_finite() && (v != 0.0 || x.log10_abs() == f64::NEG_INFINITY)).then_some(v)
}

/// Converts `plan` to `kind`.
pub fn convert(plan: &SchedulePlan, kind: Kind) -> Result<Conversion> {
    with_precision(PRECISION_BITS, || {
        let lr: Vec<Mp> = plan.lr_values()?;
        let wd = Mp::parse(&plan.weight_decay)?;
        let momentum = Mp::parse(&plan.momentum)?;
        let wds = vec![wd.clone(); lr.len()];
        let z = wd_shadow(&lr, &wds, &momentum);
        let exact = exact_schedule(&lr, &z)?;
        let texp = texp_schedule(&lr, &wd, &momentum)?;
        let chosen = match kind {
            Kind::Exact => &exact,
            Kind::Texp => &texp,
        };
        let ipe = plan.iters_per_epoch.max(1);
        let mut rows = Vec::with_capacity(lr.len());
        let mut ratio_min = f64::INFINITY;
        let mut ratio_max = 0.0f64;
        for t in 0..lr.len() {
            let ratio = (exact[t].clone() / texp[t].clone()).to_f64();
            ratio_min = ratio_min.min(ratio);
            ratio_max = ratio_max.max(ratio);
            rows.push(Row {
                iteration: t,
                epoch: t / ipe,
                lr: lr[t].to_f64(),
                equivalent_lr: finite(&chosen[t]),
                log10_equivalent_lr: chosen[t].log10_abs(),
                z: finite(&z[t]),
                log10_z: z[t].log10_abs(),
                exact_over_texp: ratio,
            });
        }
        let mut phases = Vec::new();
        let mut start = 0;
        for t in 1..=lr.len() {
            if t == lr.len() || lr[t] != lr[t - 1] {
                let growth = (t - start >= ipe).then(|| {
                    10f64
                        .powf(rows[t - 1].log10_equivalent_lr - rows[t - ipe].log10_equivalent_lr)
                        .powf(ipe as f64 / (ipe - 1).max(1) as f64)
                });
                if phases.len() < 64 {
                    phases.push(Phase {
                        start,
                        end: t,
                        lr: lr[start].to_f64(),
                        growth_per_epoch: growth,
                        exact_over_texp: rows[t - 1].exact_over_texp,
                    });
                }
                start = t;
            }
        }
        Ok(Conversion {
            summary: Summary {
                kind,
                iterations: lr.len(),
                phases,
                ratio_min,
                ratio_max,
                final_log10_equivalent_lr: rows.last().map_or(0.0, |r| r.log10_equivalent_lr),
            },
            rows,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/MATH.md §3 / the paper: η = 0.1, λ = 5e-4, γ = 0.9, 391 iterations per epoch → TEXP grows the
    /// LR ×1.481 per epoch in the first phase; 300 epochs with ÷10 at 80 and 120 never overflow.
    #[test]
    fn paper_setting_grows_1_481_per_epoch() {
        let plan = SchedulePlan::paper();
        let c = convert(&plan, Kind::Texp).unwrap();
        let g = c.summary.phases[0].growth_per_epoch.unwrap();
        assert!((g - 1.481).abs() < 5e-4, "{g}");
        assert_eq!(c.rows.len(), 300 * 391);
        assert!(c.rows.iter().all(|r| r.log10_equivalent_lr.is_finite()));
        // The exact schedule approaches the same growth once its transient has passed.
        let e = convert(&plan, Kind::Exact).unwrap();
        let ge = e.summary.phases[0].growth_per_epoch.unwrap();
        assert!((ge - 1.481).abs() < 5e-4, "{ge}");
        assert!(e.summary.ratio_max / e.summary.ratio_min < 1.05);
    }

    /// A schedule whose equivalent overflows f64 is reported in log space.
    #[test]
    fn overflow_is_reported_in_log_space() {
        let plan = SchedulePlan {
            weight_decay: "2e-3".into(),
            epochs: 500,
            base: BaseSchedule::Constant,
            ..SchedulePlan::paper()
        };
        let c = convert(&plan, Kind::Texp).unwrap();
        let last = c.rows.last().unwrap();
        assert!(
            last.log10_equivalent_lr > 308.0,
            "{}",
            last.log10_equivalent_lr
        );
        assert!(last.equivalent_lr.is_none());
    }
}
