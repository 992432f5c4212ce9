//! Equilibrium laws of weight decay + normalization (docs/MATH.md §3.6): predictions, not
//! identities, each reported with its measured error. In equilibrium the per-step angular update
//! of a scale-invariant weight settles where weight decay's shrinking balances the gradient's
//! growth of ‖θ‖ (L5), independent of the loss:
//!
//! ```text
//!     SGD with momentum γ (PyTorch form):  ω_rms → √(2ηλ/(1+γ))
//!     AdamW(β₁):                           ω_rms → √(2ηλ(1−β₁)/(1+β₁))
//! ```
//!
//! The premise is that successive updates are uncorrelated (gradient noise dominates), as on the
//! minibatch BN/IN nets; the deterministic Rayleigh quotient and the LN MLP break it (measured
//! there: 0.77–1.21 of the prediction; docs/MATH.md §3.6).

use super::claim::{ClaimResult, Expected};
use crate::linalg::{angle_deg, Vector};
use crate::loss::Objective;
use crate::optim::adam::{self, AdamState, AdamStep, Decay};
use crate::optim::{Convention, Sgd, SgdState};
use crate::scalar::Magnitude;

/// Steps of the SGD law's run: the norm relaxes in ~(1−γ)/(2ηλ) = 1000 steps at the paper's
/// values, so the second half (10,000 steps) is in equilibrium.
pub const SGD_STEPS: usize = 20_000;
/// Steps of the AdamW law's run (at the AdamW claims' η = 1e-2, λ = 0.1 the norm relaxes in
/// ~1/(2ηλ) = 500 steps; at η = 1e-3 30,000 steps were not enough: errors of 21–38%).
pub const ADAMW_STEPS: usize = 30_000;
/// Tolerance on |ω_rms/prediction − 1| for SGD: measured 2.0e-3 (mlp-bn), 4.9e-4 (conv-bn), 8.6e-4
/// (conv-in) at the paper's values, and ≤ 1e-3 at γ ∈ {0, 0.5} over 40,000 steps; the finite-ηλ
/// corrections are O(ηλ/(1−γ)) = 5e-4. 2% keeps a 10× margin and still rejects any wrong
/// constant (the (1−γ) formula is 4.4× off, a missing 2 would be 1.41×).
pub const SGD_TOLERANCE: f64 = 0.02;
/// Tolerance for AdamW: measured errors 4.1% (mlp-bn), 1.7% (conv-bn), 11.1% (conv-in): Adam's
/// per-coordinate normalization meets the premise less closely (an empirical bound from these
/// three nets, not a derived one). 15%; the formula without its (1−β₁)/(1+β₁) factor is 4.4× off.
pub const ADAMW_TOLERANCE: f64 = 0.15;

/// Which law, and whether it is the negative control (the same measurement against the formula
/// with one factor wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// E1-sgd-angular.
    Sgd,
    /// E1-sgd-angular-wrong-momentum: √(2ηλ/(1−γ)).
    SgdWrongMomentum,
    /// E2-adamw-angular.
    AdamW,
    /// E2-adamw-angular-no-beta: √(2ηλ) (AdamW's factor (1−β₁)/(1+β₁) dropped).
    AdamWNoBeta,
}

impl Law {
    /// The claim id.
    pub fn id(self) -> &'static str {
        match self {
            Law::Sgd => "E1-sgd-angular",
            Law::SgdWrongMomentum => "E1-sgd-angular-wrong-momentum",
            Law::AdamW => "E2-adamw-angular",
            Law::AdamWNoBeta => "E2-adamw-angular-no-beta",
        }
    }
}

/// The run's hyper-parameters.
#[derive(Debug, Clone, Copy)]
pub struct LawParams {
    /// η.
    pub lr: f64,
    /// λ.
    pub weight_decay: f64,
    /// γ (SGD) or β₁ (AdamW).
    pub momentum: f64,
    /// β₂ (AdamW).
    pub beta2: f64,
    /// ε (AdamW).
    pub eps: f64,
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// RMS per-step angle (radians) over the second half.
    pub rms: f64,
    /// log‖θ‖² at the end minus at the window's start (≈ 0 in equilibrium).
    pub drift: f64,
    /// Steps of the run.
    pub steps: usize,
}

/// The RMS per-step angle over the second half of a constant-hyper-parameter run from θ₀: SGD
/// with momentum (`sgd`) or AdamW.
pub fn measure(
    model: &dyn Objective<f64>,
    theta0: &Vector<f64>,
    sgd_law: bool,
    p: LawParams,
) -> crate::error::Result<Measured> {
    let steps = if sgd_law { SGD_STEPS } else { ADAMW_STEPS };
    let batches = model.batches().max(1);
    let (mut sum_sq, mut count) = (0.0f64, 0usize);
    let mut log_norm = (0.0f64, 0.0f64);
    let mut record = |t: usize, before: &Vector<f64>, after: &Vector<f64>| {
        if t == steps / 2 {
            log_norm.0 = before.iter().map(|x| x * x).sum::<f64>().ln();
        }
        if t >= steps / 2 {
            let a = angle_deg(before.as_slice(), after.as_slice()).to_radians();
            sum_sq += a * a;
            count += 1;
        }
        if t + 1 == steps {
            log_norm.1 = after.iter().map(|x| x * x).sum::<f64>().ln();
        }
    };
    if sgd_law {
        let sgd = Sgd::new(p.momentum, Convention::PyTorch)?;
        let mut state = SgdState::new(theta0.clone(), None);
        for t in 0..steps {
            let g = model.gradient(&state.params, t % batches);
            let next = sgd.step(&p.lr, &p.weight_decay, &g, &state);
            record(t, &state.params, &next.params);
            state = next;
        }
    } else {
        let mut state = AdamState::new(theta0.clone());
        for t in 0..steps {
            let g = model.gradient(&state.params, t % batches);
            let hp = AdamStep::torch(
                p.lr,
                p.weight_decay,
                Decay::Decoupled,
                (&p.momentum, &p.beta2),
                p.eps,
                t,
            );
            let next = adam::step(&hp, &g, &state)?;
            record(t, &state.params, &next.params);
            state = next;
        }
    }
    Ok(Measured {
        rms: (sum_sq / count.max(1) as f64).sqrt(),
        drift: log_norm.1 - log_norm.0,
        steps,
    })
}

/// The verdict of `law` on a measurement.
pub fn angular_law(model: &str, law: Law, p: LawParams, m: Measured) -> ClaimResult {
    let Measured { rms, drift, steps } = m;
    let sgd_law = matches!(law, Law::Sgd | Law::SgdWrongMomentum);
    let two = 2.0 * p.lr * p.weight_decay;
    let (prediction, formula) = match law {
        Law::Sgd => (
            (two / (1.0 + p.momentum)).sqrt(),
            "sqrt(2 lr wd / (1 + gamma))",
        ),
        Law::SgdWrongMomentum => (
            (two / (1.0 - p.momentum)).sqrt(),
            "sqrt(2 lr wd / (1 - gamma)) (wrong sign of gamma)",
        ),
        Law::AdamW => (
            (two * (1.0 - p.momentum) / (1.0 + p.momentum)).sqrt(),
            "sqrt(2 lr wd (1 - beta1) / (1 + beta1))",
        ),
        Law::AdamWNoBeta => (two.sqrt(), "sqrt(2 lr wd) (AdamW's beta1 factor dropped)"),
    };
    let error = rms / prediction - 1.0;
    let tolerance = if sgd_law {
        SGD_TOLERANCE
    } else {
        ADAMW_TOLERANCE
    };
    let control = matches!(law, Law::SgdWrongMomentum | Law::AdamWNoBeta);
    let holds = error.is_finite() && error.abs() <= tolerance;
    ClaimResult {
        id: law.id().into(),
        model: model.to_string(),
        arith: "f64".into(),
        steps,
        expected: if control {
            Expected::Fail
        } else {
            Expected::Hold
        },
        holds,
        discrepancy: Magnitude::from_f64(error.abs()),
        tolerance: Magnitude::from_f64(tolerance),
        statement: format!(
            "equilibrium law (prediction): RMS per-step angular update of theta -> {formula}{}",
            if control { "; must fail" } else { "" }
        ),
        tolerance_reason: format!(
            "relative error of the law; its premise (uncorrelated updates) bounds it empirically, {tolerance} (docs/MATH.md §3.6)"
        ),
        at_step: None,
        ratio: Some(Magnitude::from_f64(error.abs() / tolerance)),
        ratio_at: None,
        horizon: None,
        detail: Some(format!(
            "measured {rms:.6e} rad/step (RMS over steps {}..{steps}), predicted {prediction:.6e}; log ||theta||^2 drifted by {:.2e} over the window",
            steps / 2,
            drift
        )),
        series: Vec::new(),
        tier: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(momentum: f64) -> LawParams {
        LawParams {
            lr: 0.1,
            weight_decay: 5e-4,
            momentum,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// The formulas by hand: √(2·0.1·5e-4/1.9) = 7.2548e-3; the wrong-momentum one
    /// √(1e-4/0.1) = 3.1623e-2; AdamW's √(1e-4·0.1/1.9) = 2.2942e-3; without the factor 1e-2.
    /// A measurement 1% off holds for E1 (2%) and E2 (15%); 3% off fails E1; the controls fail.
    #[test]
    fn verdicts_follow_the_formulas() {
        let at = |rms: f64| Measured {
            rms,
            drift: 0.0,
            steps: 10,
        };
        let sgd = 7.254762501100116e-3;
        let c = angular_law("m", Law::Sgd, params(0.9), at(sgd * 1.01));
        assert!(c.holds && c.as_expected(), "{c:?}");
        assert!((c.discrepancy.to_f64() - 0.01).abs() < 1e-9);
        assert!(!angular_law("m", Law::Sgd, params(0.9), at(sgd * 1.03)).holds);
        let wrong = angular_law("m", Law::SgdWrongMomentum, params(0.9), at(sgd));
        assert!(!wrong.holds && wrong.as_expected());
        assert!((wrong.discrepancy.to_f64() - (1.0 - sgd / 3.162_277_660_168_379e-2)).abs() < 1e-9);
        let adam = 2.2941573387056174e-3;
        let c = angular_law("m", Law::AdamW, params(0.9), at(adam * 0.99));
        assert!(c.holds && c.as_expected(), "{c:?}");
        assert!(!angular_law("m", Law::AdamW, params(0.9), at(adam * 0.8)).holds);
        assert!(!angular_law("m", Law::AdamWNoBeta, params(0.9), at(adam)).holds);
        assert!(!angular_law("m", Law::Sgd, params(0.9), at(f64::NAN)).holds);
    }
}
