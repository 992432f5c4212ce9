//! Nesterov momentum as a pure step, in PyTorch's form (torch.optim.SGD with `nesterov=True`,
//! dampening 0) and in the generalized form that its no-WD twin needs (docs/MATH.md §3.4):
//!
//! ```text
//!     d_t     = ∇L_t(θ_t) + λ_t θ_t
//!     v_{t+1} = μ_t v_t + d_t
//!     θ_{t+1} = θ_t − (a_t d_t + b_t v_{t+1})
//! ```
//!
//! PyTorch is a_t = η_t, b_t = η_t γ, μ_t = γ, evaluated as θ − η (d + γ v_{t+1}) (its rounding
//! order). The twin has λ = 0 and three free coefficients per step: with a shared look-ahead and
//! buffer momentum (b_t = a_t μ_t, PyTorch's form) no per-step schedule reproduces a WD run.

use crate::linalg::Vector;
use crate::optim::SgdState;
use crate::scalar::Field;

/// The coefficients of one generalized step.
#[derive(Debug, Clone)]
pub struct NesterovStep<T> {
    /// a_t: the gradient's own weight.
    pub gradient_weight: T,
    /// b_t: the look-ahead weight of the new buffer.
    pub look_ahead: T,
    /// μ_t: the buffer's momentum.
    pub momentum: T,
}

/// One PyTorch Nesterov step: v ← γv + (g + λθ), θ ← θ − η((g + λθ) + γv).
pub fn torch_step<T: Field>(
    lr: &T,
    weight_decay: &T,
    momentum: &T,
    gradient: &Vector<T>,
    state: &SgdState<T>,
) -> SgdState<T> {
    let n = state.params.len();
    let (mut params, mut buffer) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let theta = &state.params[i];
        let mut d = gradient[i].clone();
        d.add_product(weight_decay, theta);
        let mut v = momentum.mul_ref(&state.buffer[i]);
        v.add_assign_ref(&d);
        let mut step = d;
        step.add_product(momentum, &v);
        let mut new_theta = theta.clone();
        new_theta.sub_assign_ref(&lr.mul_ref(&step));
        params.push(new_theta);
        buffer.push(v);
    }
    SgdState {
        params: Vector::from_vec(params),
        buffer: Vector::from_vec(buffer),
    }
}

/// One generalized step without weight decay: v ← μv + g, θ ← θ − (a g + b v).
pub fn general_step<T: Field>(
    coefficients: &NesterovStep<T>,
    gradient: &Vector<T>,
    state: &SgdState<T>,
) -> SgdState<T> {
    let n = state.params.len();
    let (mut params, mut buffer) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let g = &gradient[i];
        let mut v = coefficients.momentum.mul_ref(&state.buffer[i]);
        v.add_assign_ref(g);
        let mut step = coefficients.gradient_weight.mul_ref(g);
        step.add_product(&coefficients.look_ahead, &v);
        let mut new_theta = state.params[i].clone();
        new_theta.sub_assign_ref(&step);
        params.push(new_theta);
        buffer.push(v);
    }
    SgdState {
        params: Vector::from_vec(params),
        buffer: Vector::from_vec(buffer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn r(n: i64, d: i64) -> Rational {
        Rational::from_ratio(n, d)
    }

    /// Hand computation: θ = 2, v = 1, g = 3, η = 1/10, λ = 1/2, γ = 1/2: d = 4, v' = 9/2,
    /// θ' = 2 − (1/10)(4 + 9/4) = 2 − 5/8 = 11/8. The generalized step with (a, b, μ) =
    /// (η, ηγ, γ) and the WD folded into g gives the same; b = 0 is plain SGD without momentum's
    /// look-ahead (θ' = 2 − 4/10).
    #[test]
    fn steps_match_hand_computation() {
        let state = SgdState::new(
            Vector::from_vec(vec![r(2, 1)]),
            Some(Vector::from_vec(vec![r(1, 1)])),
        );
        let g = Vector::from_vec(vec![r(3, 1)]);
        let s = torch_step(&r(1, 10), &r(1, 2), &r(1, 2), &g, &state);
        assert_eq!(s.buffer[0], r(9, 2));
        assert_eq!(s.params[0], r(11, 8));
        let folded = Vector::from_vec(vec![r(4, 1)]);
        let general = NesterovStep {
            gradient_weight: r(1, 10),
            look_ahead: r(1, 20),
            momentum: r(1, 2),
        };
        assert_eq!(general_step(&general, &folded, &state), s);
        let plain = NesterovStep {
            look_ahead: r(0, 1),
            ..general
        };
        assert_eq!(general_step(&plain, &folded, &state).params[0], r(8, 5));
    }
}
