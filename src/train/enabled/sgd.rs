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
    tch::no_grad(|| {
        let direction = grad + &*theta * weight_decay;
        let v = &*buffer * momentum + direction;
        let new_theta = &*theta - &v * lr;
        buffer.copy_(&v);
        theta.copy_(&new_theta);
    });
}
