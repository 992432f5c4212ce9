//! [`crate::optim::adam::step`] on tensors, with the same operations in the same order (so in
//! f64 on the CPU the two agree bit for bit; tested in `optim_check`):
//!
//! ```text
//!     θ ← θ(1 − ηλ)            (AdamW's decoupled decay; 1 for the no-WD twin)
//!     m ← d₁ m + w₁ g,  v ← d₂ v + w₂ g²
//!     θ ← θ − (η/c₁) m / (√v/√c₂ + ε)
//! ```
//!
//! with the step's decays d, input weights w and bias corrections c ([`AdamStep`]): the twin of
//! AdamW shifts the decays and ε per step and keeps the rest (docs/MATH.md §3.5).

use tch::Tensor;

use crate::optim::adam::{AdamStep, Decay};

/// One step on (θ, m, v) given ∇L, under no_grad.
pub fn step(theta: &mut Tensor, m: &mut Tensor, v: &mut Tensor, grad: &Tensor, hp: &AdamStep<f64>) {
    tch::no_grad(|| {
        let grad = match hp.decay {
            Decay::Decoupled => {
                let _ = theta.g_mul_scalar_(1.0 - hp.lr * hp.weight_decay);
                grad.shallow_clone()
            }
            Decay::Coupled => grad + &*theta * hp.weight_decay,
        };
        let _ = m.g_mul_scalar_(hp.decays.0);
        let _ = m.g_add_(&(&grad * hp.weights.0));
        let _ = v.g_mul_scalar_(hp.decays.1);
        let _ = v.g_add_(&(grad.square() * hp.weights.1));
        let denominator = v.sqrt() / hp.corrections.1.sqrt() + hp.eps;
        let _ = theta.g_sub_(&(&*m * (hp.lr / hp.corrections.0) / denominator));
    });
}
