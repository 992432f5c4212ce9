//! The paper's Figure 1 relation on a simulated network: a fixed LR with WD against its
//! exponential twin without WD (T3 with constant η, λ). Records, per step, ‖θ_t‖² and η of the WD
//! run, ‖θ̃_t‖² and η̃_t of the twin, Z_t, and the invariant ‖θ̃_t‖²/η̃_t, which is constant once
//! the WD run's norm has equilibrated.

use serde::Serialize;

use super::models::{build, ModelName};
use crate::error::Result;
use crate::linalg::norm_sq;
use crate::optim::shadow::{exact_schedule, wd_shadow};
use crate::optim::{Convention, Schedule, Sgd, SgdState};
use crate::scalar::Real;
use crate::sim::{trajectory, Run};

/// Per-step norms and learning rates of the two runs.
#[derive(Debug, Clone, Serialize)]
pub struct NormGrowth {
    /// The model.
    pub model: String,
    /// ‖θ_t‖² of the WD run.
    pub wd_norm_sq: Vec<f64>,
    /// ‖θ̃_t‖² of the exponential run.
    pub exp_norm_sq: Vec<f64>,
    /// η (constant).
    pub lr: f64,
    /// η̃_t.
    pub exp_lr: Vec<f64>,
    /// Z_t.
    pub z: Vec<f64>,
}

/// Runs both on `model` for `steps` steps in T.
pub fn norm_growth<T: Real>(
    model: ModelName,
    seed: u64,
    lr: T,
    weight_decay: T,
    momentum: T,
    steps: usize,
) -> Result<NormGrowth> {
    let built = build::<T>(model, seed);
    let lrs = vec![lr.clone(); steps];
    let wds = vec![weight_decay.clone(); steps];
    let z = wd_shadow(&lrs, &wds, &momentum);
    let exp_lr = exact_schedule(&lrs, &z)?;
    let sgd = Sgd::new(momentum, Convention::PyTorch)?;
    let with_wd = trajectory(
        built.model.as_ref(),
        &Run::new(
            sgd.clone(),
            Schedule::Constant(lr.clone()),
            Schedule::Constant(weight_decay),
            steps,
        )?,
        SgdState::new(built.theta0.clone(), None),
    );
    let free = trajectory(
        built.model.as_ref(),
        &Run::new(
            sgd,
            Schedule::PerStep(exp_lr.clone()),
            Schedule::Constant(T::zero()),
            steps,
        )?,
        SgdState::new(built.theta0.clone(), None),
    );
    Ok(NormGrowth {
        model: built.model.name(),
        wd_norm_sq: with_wd.iter().map(|t| norm_sq(t).to_f64()).collect(),
        exp_norm_sq: free.iter().map(|t| norm_sq(t).to_f64()).collect(),
        lr: lr.to_f64(),
        exp_lr: exp_lr.iter().map(|x| x.to_f64()).collect(),
        z: z.iter().map(|x| x.to_f64()).collect(),
    })
}
