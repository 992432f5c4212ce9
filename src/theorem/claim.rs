//! A claim's verdict: what was claimed, on which model and arithmetic, what was measured, and
//! the tolerance with its reason. A failed claim is data, not an error.

use serde::Serialize;

use crate::scalar::{Arith, Field, Magnitude};

/// What a claim is expected to do: hold, or fail (a negative control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    /// The theorem says it holds.
    Hold,
    /// A negative control: the verifier must report it failing.
    Fail,
}

/// One verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    /// Stable id: L1…L7, T1, T2, T2-smaller-root, T2-zero-buffer, T3-step, T4, …
    pub id: String,
    /// The model it ran on.
    pub model: String,
    /// The arithmetic (`f64`, `mp256`, `rational`).
    pub arith: String,
    /// Steps of the trajectories (0 for pointwise identities).
    pub steps: usize,
    /// Hold, or fail for a negative control.
    pub expected: Expected,
    /// The computed verdict.
    pub holds: bool,
    /// The measured discrepancy (relative unless the statement says otherwise), at any size.
    pub discrepancy: Magnitude,
    /// The tolerance it was compared with.
    pub tolerance: Magnitude,
    /// The claim in words.
    pub statement: String,
    /// Why this tolerance.
    pub tolerance_reason: String,
    /// The step where `discrepancy` (the whole run's maximum) occurs; None for pointwise claims.
    pub at_step: Option<usize>,
    /// The ratio that decided the verdict, measured/tolerance at the decisive step: the claim
    /// holds iff it is at most 1. None in exact arithmetic, where the discrepancy must be 0.
    pub ratio: Option<Magnitude>,
    /// The step of the decisive ratio (None for pointwise claims).
    pub ratio_at: Option<usize>,
    /// Float trajectories: how many states (0..=T) the arithmetic resolves, i.e. before a
    /// rounding-sized perturbation grows past [`RESOLVABLE`]; T + 1 means the whole run.
    pub horizon: Option<usize>,
    /// Anything else measured (rates, factors, transients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Discrepancy per step, for plots.
    #[serde(skip)]
    pub series: Vec<Magnitude>,
    /// The arithmetic tier that ran it, stamped by the suite (the `arith` label is for people:
    /// `mp256`, `Q(sqrt 3924001)`; code reads this).
    #[serde(skip)]
    pub tier: Option<Arith>,
}

impl ClaimResult {
    /// True when the verdict matches the expectation. A discrepancy that is not a finite
    /// number (a diverged run) is never as expected: a negative control must fail by a measured
    /// margin, not by overflowing.
    pub fn as_expected(&self) -> bool {
        self.ratio
            .map_or(self.discrepancy.is_finite(), Magnitude::is_finite)
            && self.holds == (self.expected == Expected::Hold)
    }
}

/// Tolerance for a single evaluation: 10⁴ unit roundoffs (a gradient entry of these models is a
/// sum of at most a few thousand rounded operations).
pub const EVALUATION_BUDGET: f64 = 1e4;
/// A float trajectory claim holds when its discrepancy stays within this multiple of the rounding
/// floor f_t (the growth of a 2u perturbation of θ applied at θ₀ and after every step, of a
/// 2(t+1)u bias of η_t, plus (t+1) unit roundoffs). Each update rounds a few operations where the
/// floor injects one: rounding-only discrepancies measure up to 143 f_t (T2 on the Rayleigh
/// quotient at 128 bits, through a kick-out of a 10⁴-step run; 35 over 10³ steps), so 10³ keeps
/// a factor 7, and an injected skew of 1e-8 from step 1 still fails at ≥ 490× (docs/MATH.md §6).
pub const SENSITIVITY_BUDGET: f64 = 1e3;
/// Beyond the step where a one-ulp perturbation has grown past this relative size, the
/// arithmetic cannot resolve the claim (its rounding is amplified to the size of any effect).
pub const RESOLVABLE: f64 = 1e-6;
/// Tolerance for a trajectory of up to 10³ steps: 10⁸ unit roundoffs, since rounding errors grow
/// through the optimizer's linear recurrences and are amplified during the unstable episodes of WD
/// + scale invariance (docs/MATH.md §6). The precision ladder separately demands that the discrepancy
///   shrink as precision grows.
pub const TRAJECTORY_BUDGET: f64 = 1e8;

/// (tolerance, reason) for an arithmetic and a budget; exact arithmetic demands exactly 0.
pub fn tolerance<T: Field>(budget: f64, what: &str) -> (Magnitude, String) {
    if T::EXACT {
        (
            Magnitude::ZERO,
            "exact arithmetic: the identity must hold with equality".into(),
        )
    } else {
        let u = T::unit_roundoff();
        (
            u.times(budget),
            format!("{budget:.0e} x unit roundoff {u:.3} ({what})"),
        )
    }
}

/// A discrepancy computed in T meets the tolerance: exactly zero in exact arithmetic.
pub fn within<T: Field>(discrepancy: &T, tol: Magnitude) -> bool {
    if T::EXACT {
        *discrepancy == T::zero()
    } else {
        discrepancy.magnitude() <= tol
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn claim(expected: Expected, holds: bool, discrepancy: f64, ratio: Option<f64>) -> ClaimResult {
        ClaimResult {
            id: "T".into(),
            model: "m".into(),
            arith: "f64".into(),
            steps: 1,
            expected,
            holds,
            discrepancy: Magnitude::from_f64(discrepancy),
            tolerance: Magnitude::from_f64(1.0),
            at_step: None,
            ratio: ratio.map(Magnitude::from_f64),
            ratio_at: None,
            horizon: None,
            statement: String::new(),
            tolerance_reason: String::new(),
            detail: None,
            series: Vec::new(),
            tier: None,
        }
    }

    /// Every combination of expectation and verdict, and non-finite values: a diverged run is
    /// never as expected, and the decisive ratio, when there is one, is what must be finite.
    #[test]
    fn as_expected_needs_the_matching_verdict_and_a_finite_decisive_value() {
        assert!(claim(Expected::Hold, true, 0.0, None).as_expected());
        assert!(!claim(Expected::Hold, false, 0.0, None).as_expected());
        assert!(claim(Expected::Fail, false, 1.0, None).as_expected());
        assert!(!claim(Expected::Fail, true, 1.0, None).as_expected());
        assert!(!claim(Expected::Fail, false, f64::INFINITY, None).as_expected());
        assert!(!claim(Expected::Fail, false, 1.0, Some(f64::NAN)).as_expected());
        // Past the horizon the run's maximum may be non-finite; the verdict's ratio decides.
        assert!(claim(Expected::Hold, true, f64::NAN, Some(0.5)).as_expected());
    }

    /// Exact arithmetic demands 0; floats allow budget × u, boundary included.
    #[test]
    fn tolerances_scale_with_the_arithmetic() {
        let (tol, reason) = tolerance::<f64>(1e4, "test");
        // log-space: log₂(1e4) − 53 carries ~1e-14 of absolute error into the exponent.
        assert!((tol.to_f64() / (1e4 * f64::EPSILON / 2.0) - 1.0).abs() < 1e-13);
        assert!(reason.contains("1e4"), "{reason}");
        assert!(tolerance::<Rational>(1e4, "test").0.is_zero());
        let at = tol.to_f64() * (1.0 - 1e-12);
        assert!(within(&at, tol));
        assert!(!within(&(at * 1.000001), tol));
        let tiny = crate::scalar::ratio(1, 1_000_000_000_000i64);
        assert!(!within(&tiny, Magnitude::from_f64(1.0)));
        assert!(within(&Rational::ZERO, Magnitude::ZERO));
        // 2048 bits: the tolerance is 1e4 · 2⁻²⁰⁴⁸ ≈ 3.1e-613, far below f64, and still decides.
        crate::scalar::with_precision(2048, || {
            use crate::scalar::Mp;
            let (tol, reason) = tolerance::<Mp>(1e4, "test");
            assert!((tol.log2() - (1e4f64.log2() - 2048.0)).abs() < 1e-9);
            assert!(reason.contains("3.094e-617"), "{reason}");
            let half = crate::optim::shadow::pow2::<Mp>(-2048) * Mp::from_int(5000);
            assert!(within(&half, tol));
            assert!(!within(&(half * Mp::from_int(3)), tol));
        });
    }
}
