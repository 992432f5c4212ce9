//! Schedules as pure functions t ↦ η_t, computed in the run's arithmetic.
//!
//! - constant: η_t = η
//! - exponential: η_t = η · gᵗ (growth g > 1 is the point of this project, and allowed)
//! - step decay: η_t = η / C^k, k = #{milestones ≤ t}
//! - cosine (floats only): η_t = η_min + (η − η_min)(1 + cos(π t / T)) / 2
//! - per step: an explicit list η_0, η_1, …
//!
//! The same type serves weight-decay schedules λ_t.

use crate::error::{Error, Result};
use crate::scalar::{Field, Real};

/// A schedule t ↦ value.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule<T> {
    /// η_t = η.
    Constant(T),
    /// η_t = base · growthᵗ.
    Exponential { base: T, growth: T },
    /// η_t = base / factor^k with k the number of milestones ≤ t.
    StepDecay {
        base: T,
        milestones: Vec<usize>,
        factor: T,
    },
    /// η_t = values[t]; past the end the last value holds.
    PerStep(Vec<T>),
}

/// Checks that step-decay milestones strictly increase; the error names `field`.
pub fn check_milestones(field: &str, milestones: &[usize]) -> Result<()> {
    if milestones.first() == Some(&0) {
        return Err(Error::invalid(
            field,
            0,
            "milestones must be at least 1 (a decay at 0 is just a smaller --lr)",
        ));
    }
    if milestones.windows(2).any(|w| w[0] >= w[1]) {
        let list: Vec<String> = milestones.iter().map(|m| m.to_string()).collect();
        return Err(Error::invalid(
            field,
            list.join(","),
            "must be strictly increasing",
        ));
    }
    Ok(())
}

/// Learning-rate schedules are [`Schedule`]s.
pub type LrSchedule<T> = Schedule<T>;

impl<T: Field> Schedule<T> {
    /// The value at step t.
    pub fn at(&self, t: usize) -> T {
        match self {
            Schedule::Constant(v) => v.clone(),
            Schedule::Exponential { base, growth } => base.clone() * growth.powi(t as i64),
            Schedule::StepDecay {
                base,
                milestones,
                factor,
            } => {
                let k = milestones.iter().filter(|&&m| m <= t).count();
                base.clone() / factor.powi(k as i64)
            }
            Schedule::PerStep(values) => values
                .get(t)
                .or(values.last())
                .cloned()
                .unwrap_or_else(T::zero),
        }
    }

    /// Short name for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::Constant(_) => "constant",
            Schedule::Exponential { .. } => "exponential",
            Schedule::StepDecay { .. } => "step",
            Schedule::PerStep(_) => "per-step",
        }
    }

    /// The first `steps` values.
    pub fn values(&self, steps: usize) -> Vec<T> {
        (0..steps).map(|t| self.at(t)).collect()
    }

    /// Checks that every value is finite and ≥ 0 (> 0 when `positive`), that growth and decay
    /// factors are positive and milestones increase.
    pub fn validate(&self, field: &str, positive: bool) -> Result<()> {
        let check = |v: &T| {
            let ok = if positive {
                *v > T::zero()
            } else {
                *v >= T::zero()
            };
            let finite = v.to_f64().is_finite() || T::EXACT;
            if ok && finite {
                Ok(())
            } else {
                let need = if positive { "positive" } else { "non-negative" };
                Err(Error::invalid(
                    field,
                    v,
                    format!("must be finite and {need}"),
                ))
            }
        };
        match self {
            Schedule::Constant(v) => check(v),
            Schedule::Exponential { base, growth } => {
                check(base)?;
                if *growth > T::zero() {
                    Ok(())
                } else {
                    Err(Error::invalid(
                        format!("{field} growth"),
                        growth,
                        "must be positive",
                    ))
                }
            }
            Schedule::StepDecay {
                base,
                milestones,
                factor,
            } => {
                check(base)?;
                if *factor <= T::zero() {
                    return Err(Error::invalid("--decay-factor", factor, "must be positive"));
                }
                check_milestones("--milestones", milestones)
            }
            Schedule::PerStep(values) => {
                if values.is_empty() {
                    return Err(Error::invalid(field, "[]", "the list is empty"));
                }
                values.iter().try_for_each(check)
            }
        }
    }
}

impl<T: Real> Schedule<T> {
    /// Cosine annealing from `base` to `floor` over `total` steps, evaluated in T.
    pub fn cosine(base: T, floor: T, total: usize) -> Self {
        let total = total.max(1);
        let pi = T::pi();
        let values = (0..total)
            .map(|t| {
                // The phase lies in [0, π): no range reduction (and no π per call) needed.
                let phase = pi.clone() * T::from_ratio(t as i64, total as i64);
                floor.clone()
                    + (base.clone() - floor.clone()) * (T::one() + phase.cos_reduced())
                        / T::from_int(2)
            })
            .collect();
        Schedule::PerStep(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn r(n: i64, d: i64) -> Rational {
        Rational::from_ratio(n, d)
    }

    #[test]
    fn step_decay_divides_at_each_milestone() {
        let s = Schedule::StepDecay {
            base: r(1, 10),
            milestones: vec![3, 5],
            factor: r(10, 1),
        };
        let v = s.values(7);
        assert_eq!(v[2], r(1, 10));
        assert_eq!(v[3], r(1, 100));
        assert_eq!(v[5], r(1, 1000));
        assert_eq!(v[6], r(1, 1000));
    }

    #[test]
    fn exponential_growth_above_one_is_allowed() {
        let s = Schedule::Exponential {
            base: r(1, 10),
            growth: r(3, 2),
        };
        assert!(s.validate("--lr", true).is_ok());
        assert_eq!(s.at(2), r(9, 40));
    }

    #[test]
    fn cosine_ends_near_the_floor() {
        let s = Schedule::cosine(1.0, 0.0, 100);
        assert!((s.at(0) - 1.0).abs() < 1e-15);
        assert!((s.at(50) - 0.5).abs() < 1e-15);
        assert!(s.at(99) < 1e-3);
    }

    #[test]
    fn invalid_values_name_the_field() {
        let e = Schedule::Constant(-1.0).validate("--lr", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid --lr: -1 (must be finite and positive)"
        );
        assert!(Schedule::Constant(f64::NAN).validate("--lr", true).is_err());
        assert!(Schedule::Constant(0.0)
            .validate("--weight-decay", false)
            .is_ok());
    }

    /// Milestones must be ≥ 1 and strictly increase (the error names the field and the list).
    #[test]
    fn milestones_are_checked() {
        assert!(check_milestones("--milestones", &[3, 5]).is_ok());
        assert!(check_milestones("--milestones", &[]).is_ok());
        let zero = check_milestones("--milestones", &[0, 5]).unwrap_err();
        assert!(
            zero.to_string().starts_with("invalid --milestones: 0"),
            "{zero}"
        );
        let flat = check_milestones("--milestones", &[5, 5]).unwrap_err();
        assert_eq!(
            flat.to_string(),
            "invalid --milestones: 5,5 (must be strictly increasing)"
        );
        assert!(check_milestones("--milestones", &[6, 5]).is_err());
        let bad = Schedule::StepDecay {
            base: r(1, 10),
            milestones: vec![4, 2],
            factor: r(10, 1),
        };
        assert!(bad.validate("--lr", true).is_err());
    }

    /// Each schedule names its kind in reports.
    #[test]
    fn kinds_have_names() {
        assert_eq!(Schedule::Constant(r(1, 2)).kind(), "constant");
        let exp = Schedule::Exponential {
            base: r(1, 2),
            growth: r(2, 1),
        };
        assert_eq!(exp.kind(), "exponential");
        let step = Schedule::StepDecay {
            base: r(1, 2),
            milestones: vec![1],
            factor: r(2, 1),
        };
        assert_eq!(step.kind(), "step");
        assert_eq!(Schedule::PerStep(vec![r(1, 2)]).kind(), "per-step");
    }

    /// The boundaries of validation: growth and decay factors must be > 0 (0 is refused, any
    /// positive value accepted), non-negative values accept 0, positive ones refuse it.
    #[test]
    fn validation_boundaries() {
        let exp = |g: Rational| Schedule::Exponential {
            base: r(1, 10),
            growth: g,
        };
        assert!(exp(r(0, 1)).validate("--lr", true).is_err());
        assert!(exp(r(1, 1000)).validate("--lr", true).is_ok());
        let step = |f: Rational| Schedule::StepDecay {
            base: r(1, 10),
            milestones: vec![2],
            factor: f,
        };
        assert!(step(r(0, 1)).validate("--lr", true).is_err());
        assert!(step(r(1, 1000)).validate("--lr", true).is_ok());
        assert!(Schedule::Constant(r(0, 1)).validate("--lr", true).is_err());
        assert!(Schedule::Constant(r(0, 1)).validate("--wd", false).is_ok());
        assert!(Schedule::PerStep(vec![r(1, 2), r(0, 1)])
            .validate("--lr", true)
            .is_err());
        assert!(Schedule::<Rational>::PerStep(vec![])
            .validate("--lr", true)
            .is_err());
    }

    /// Cosine with a floor: from base at t = 0 through (base + floor)/2 at the middle, falling
    /// monotonically towards the floor (a mutant with base + floor or a divided phase changes
    /// these values).
    #[test]
    fn cosine_with_a_floor() {
        let s = Schedule::cosine(1.0, 0.25, 100);
        assert!((s.at(0) - 1.0).abs() < 1e-15);
        assert!((s.at(50) - 0.625).abs() < 1e-15);
        // t = 25: 0.25 + 0.75 (1 + cos(π/4))/2.
        let expected = 0.25 + 0.75 * (1.0 + std::f64::consts::FRAC_PI_4.cos()) / 2.0;
        assert!((s.at(25) - expected).abs() < 1e-15, "{}", s.at(25));
        let v = s.values(100);
        assert!(v.windows(2).all(|w| w[1] < w[0]));
        assert!(v[99] > 0.25 && v[99] < 0.2503);
    }
}
