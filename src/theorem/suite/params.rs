//! The suite's hyper-parameters in each arithmetic, and which claims a configuration wants.

use super::SuiteConfig;
use crate::error::Result;
use crate::scalar::Field;
use crate::theorem::laws::{
    relaxation_steps, relaxation_time, LawParams, MAX_RELAXATION_STEPS, RELAXATION,
    RELAXATION_NORM_SQ,
};
use crate::theorem::optimizers::AdamHyper;
use crate::theorem::registry;

/// The claims that need γ > 0: at γ = 0 T2's smaller root is α = 0 (Z_t = 0 is no
/// reparametrization), the Sutskever and PyTorch updates are the same map (the control has no
/// cause left to fail for), and the buffer that T2-zero-buffer zeroes is never read.
pub const NEEDS_MOMENTUM: [&str; 7] = [
    "T2-smaller-root",
    "T2-sutskever",
    "T2-sutskever-same-momentum",
    "T2-zero-buffer",
    "T3-nesterov",
    "T3-nesterov-tied",
    "E1-sgd-angular-wrong-momentum",
];

/// The relaxation law and its control.
pub(super) const RELAXATION_CLAIMS: [&str; 2] = [RELAXATION, RELAXATION_NORM_SQ];

/// The negative controls whose one cause first acts at step 1, never at step 0: a 1-step run is
/// the holding claim itself, so they need 2 steps in every arithmetic. Each with the reason.
pub(super) const FROM_STEP_ONE: [(&str, &str); 6] = [
    ("T1-skewed", "the skew scales the twin's schedule from step 1 on"),
    ("T2-skewed", "the skew scales the twin's schedule from step 1 on"),
    ("T3-step-skewed", "the skew scales the twin's schedule from step 1 on"),
    (
        "T3-adamw-unshifted-betas",
        "step 0's betas multiply the zero moment buffers m_0 = v_0 = 0",
    ),
    ("T3-adamw-constant-eps", "step 0's eps Z_0 equals eps"),
    (
        "T3-trainable-head",
        "step 0 of any T3 twin matches for every loss (theta~_0 = theta_0, Z_1 lr~_0 = lr_0): scale invariance first acts at step 1",
    ),
];

/// Steps the f64 run of T3-adamw-constant-eps needs before its cause, ~eps (1 − Z_t)/√v̂ in
/// the twin's denominator, grows past f64's rounding floor. Measured at the default AdamW
/// hyper-parameters (η = 1e-2, λ = 0.1, ε = 1e-8), the runs that hold are ≤ 7 steps on the
/// Rayleigh quotient (3.24e-1 × its tolerance at 5, 1.38 at 8), ≤ 5 on the population toy and
/// the normalized quadratic, ≤ 3 on the sample toy, ≤ 2 on mlp-ln and none on the other nets;
/// 16 is twice the longest, where the Rayleigh quotient fails at 4.90 × its tolerance. In exact
/// and arbitrary-precision arithmetic the rounding floor is far below the cause, and
/// [`FROM_STEP_ONE`]'s 2 steps suffice.
pub(super) const CONSTANT_EPS_F64_STEPS: usize = 16;

/// Why a control cannot show its cause in a run of `steps` steps in this arithmetic (`f64`: IEEE
/// double), or None when it can.
pub(super) fn too_short(id: &str, steps: usize, f64_run: bool) -> Option<String> {
    let (_, why) = FROM_STEP_ONE.iter().find(|(c, _)| *c == id)?;
    if steps < 2 {
        return Some(format!("needs 2 steps, the run has {steps}: {why}"));
    }
    (id == "T3-adamw-constant-eps" && f64_run && steps < CONSTANT_EPS_F64_STEPS).then(|| {
        format!(
            "needs {CONSTANT_EPS_F64_STEPS} steps in f64, the run has {steps}: its cause, eps (1 - Z_t)/sqrt(v), stays below f64's rounding floor in shorter runs"
        )
    })
}

/// The SGD laws' hyper-parameters (η, λ, γ as f64).
pub(super) fn sgd_law_params(cfg: &SuiteConfig) -> Result<LawParams> {
    let p = Params::<f64>::read(cfg, 0)?;
    Ok(LawParams {
        lr: p.lr,
        weight_decay: p.weight_decay,
        momentum: p.momentum,
        beta2: 0.0,
        eps: 0.0,
    })
}

/// Why the relaxation measurement does not fit its step budget at these hyper-parameters
/// (32 predicted time constants, [`MAX_RELAXATION_STEPS`]), or None when it does.
pub(super) fn relaxation_too_long(cfg: &SuiteConfig) -> Option<String> {
    let p = sgd_law_params(cfg).ok()?;
    relaxation_steps(p).err().map(|_| {
        format!(
            "32 x (1-momentum)/(4 lr wd) = 32 x {:.0} steps > {MAX_RELAXATION_STEPS}",
            relaxation_time(p)
        )
    })
}

/// True when γ = 0 (read exactly).
pub(super) fn zero_momentum(cfg: &SuiteConfig) -> bool {
    crate::scalar::parse_rational(&cfg.momentum).is_ok_and(|m| num_traits::Zero::is_zero(&m))
}

/// Hyperparameters in the run's arithmetic.
#[derive(Clone)]
pub(super) struct Params<T> {
    pub(super) lr: T,
    pub(super) weight_decay: T,
    pub(super) momentum: T,
    pub(super) steps: usize,
    pub(super) adam: AdamHyper<T>,
    pub(super) adam_lr: T,
    pub(super) adam_weight_decay: T,
}

impl<T: Field> Params<T> {
    pub(super) fn read(cfg: &SuiteConfig, steps: usize) -> Result<Self> {
        let lr = T::parse(&cfg.lr).map_err(|e| e.in_field("--lr"))?;
        let weight_decay = T::parse(&cfg.weight_decay).map_err(|e| e.in_field("--weight-decay"))?;
        let momentum = T::parse(&cfg.momentum).map_err(|e| e.in_field("--momentum"))?;
        let read = |flag: &str, text: &str| T::parse(text).map_err(|e| e.in_field(flag));
        let a = &cfg.adam;
        Ok(Params {
            lr,
            weight_decay,
            momentum,
            steps,
            adam: AdamHyper {
                beta1: read("--beta1", &a.hyper.beta1)?,
                // √v is exact in rationals only for v = g² (β₂ = 0): docs/MATH.md §3.5.
                beta2: if T::EXACT {
                    T::zero()
                } else {
                    read("--beta2", &a.hyper.beta2)?
                },
                eps: read("--eps", &a.hyper.eps)?,
            },
            adam_lr: read("--adam-lr", &a.lr)?,
            adam_weight_decay: read("--adam-weight-decay", &a.weight_decay)?,
        })
    }
}

pub(super) fn wants(cfg: &SuiteConfig, id: &str) -> bool {
    if NEEDS_MOMENTUM.contains(&id) && zero_momentum(cfg) {
        return false;
    }
    if RELAXATION_CLAIMS.contains(&id) && relaxation_too_long(cfg).is_some() {
        return false;
    }
    debug_assert!(registry::spec(id).is_some(), "{id} is not registered");
    cfg.claims.as_ref().is_none_or(|c| c.contains(&id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The controls of [`FROM_STEP_ONE`] are skipped in 1-step runs in every arithmetic and run
    /// from 2 steps; T3-adamw-constant-eps in f64 from [`CONSTANT_EPS_F64_STEPS`] (16) only;
    /// every other claim is never skipped for its length.
    #[test]
    fn controls_are_skipped_below_the_steps_their_cause_needs() {
        for (id, why) in FROM_STEP_ONE {
            for f64_run in [true, false] {
                let short = too_short(id, 1, f64_run).unwrap();
                assert_eq!(short, format!("needs 2 steps, the run has 1: {why}"));
                let two = too_short(id, 2, f64_run);
                assert_eq!(
                    two.is_some(),
                    id == "T3-adamw-constant-eps" && f64_run,
                    "{id} at 2 steps"
                );
            }
        }
        let eps = "T3-adamw-constant-eps";
        let fifteen = too_short(eps, 15, true).unwrap();
        assert!(
            fifteen.starts_with("needs 16 steps in f64, the run has 15"),
            "{fifteen}"
        );
        assert_eq!(too_short(eps, 16, true), None);
        assert_eq!(too_short(eps, 15, false), None);
        for id in [
            "T1",
            "T3-off-by-one",
            "T2-sutskever-same-momentum",
            "T3-step",
        ] {
            assert_eq!(too_short(id, 1, true), None, "{id}");
        }
    }
}
