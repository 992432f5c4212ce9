//! The simulator's update rule on tensors (PyTorch convention, [`crate::optim::Convention`]),
//! with the same operation order as [`crate::optim::Sgd::step`]:
//!
//! ```text
//!     v ← γ v + (∇L + λ θ),   θ ← θ − η v
//! ```

use tch::Tensor;

/// One step on (θ, v) given ∇L, under no_grad.
pub fn step(
    theta: &mut Tensor,
    buffer: &mut Tensor,
    grad: &Tensor,
    lr: f64,
    weight_decay: f64,
    momentum: f64,
) {
    // In place, with the same roundings in the same order: (γ·v) + (∇L + λθ), then θ − (η·v).
    tch::no_grad(|| {
        let direction = grad + &*theta * weight_decay;
        let _ = buffer.g_mul_scalar_(momentum);
        let _ = buffer.g_add_(&direction);
        let _ = theta.g_sub_(&(&*buffer * lr));
    });
}
