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
