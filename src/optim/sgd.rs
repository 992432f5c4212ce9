//! The SGD step as a pure function of (config, η_t, λ_t, gradient, state).

use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::scalar::Field;

/// Where the learning rate sits in the momentum update. Libraries disagree, and the theorem
/// depends on it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// torch.optim.SGD (dampening 0, nesterov off):
    ///
    /// ```text
    ///     v_{t+1} = γ v_t + ∇L_t(θ_t) + λ_t θ_t
    ///     θ_{t+1} = θ_t − η_t v_{t+1}
    /// ```
    #[value(name = "pytorch")]
    PyTorch,
    /// Sutskever et al. / heavy ball with the LR inside the buffer:
    ///
    /// ```text
    ///     v_{t+1} = γ v_t + η_t (∇L_t(θ_t) + λ_t θ_t)
    ///     θ_{t+1} = θ_t − v_{t+1}
    /// ```
    ///
    /// The same algorithm as [`Convention::PyTorch`] only while η is constant.
    Sutskever,
}

impl Convention {
    /// `pytorch` / `sutskever`.
    pub fn name(&self) -> &'static str {
        match self {
            Convention::PyTorch => "pytorch",
            Convention::Sutskever => "sutskever",
        }
    }
}

/// Validated optimizer configuration: momentum γ ∈ [0, 1) and the convention.
#[derive(Debug, Clone)]
pub struct Sgd<T> {
    momentum: T,
    convention: Convention,
}

/// The optimizer state (θ_t, v_t).
#[derive(Debug, Clone, PartialEq)]
pub struct SgdState<T: Field> {
    /// θ_t.
    pub params: Vector<T>,
    /// v_t (the momentum buffer).
    pub buffer: Vector<T>,
}

impl<T: Field> SgdState<T> {
    /// θ_0 with v_0 = 0 (PyTorch's default), or v_0 given (needed by the exact form of T2).
    pub fn new(params: Vector<T>, buffer: Option<Vector<T>>) -> Self {
        let n = params.len();
        let buffer = buffer.unwrap_or_else(|| Vector::from_element(n, T::zero()));
        SgdState { params, buffer }
    }
}

impl<T: Field> Sgd<T> {
    /// Checks γ ∈ [0, 1).
    pub fn new(momentum: T, convention: Convention) -> Result<Self> {
        let in_range = momentum >= T::zero() && momentum < T::one();
        if !in_range {
            return Err(Error::invalid("--momentum", &momentum, "must be in [0, 1)"));
        }
        Ok(Sgd {
            momentum,
            convention,
        })
    }

    /// γ.
    pub fn momentum(&self) -> &T {
        &self.momentum
    }

    /// The convention.
    pub fn convention(&self) -> Convention {
        self.convention
    }

    /// One step: returns (θ_{t+1}, v_{t+1}) from (θ_t, v_t), η_t, λ_t and ∇L_t(θ_t).
    pub fn step(
        &self,
        lr: &T,
        weight_decay: &T,
        gradient: &Vector<T>,
        state: &SgdState<T>,
    ) -> SgdState<T> {
        let n = state.params.len();
        let mut params = Vec::with_capacity(n);
        let mut buffer = Vec::with_capacity(n);
        // By reference (`mul_ref`, `*_assign_ref`): the same operations and roundings as
        // g + λθ, γv + d, θ − ηv written with operators, without copying every operand.
        for i in 0..n {
            let theta = &state.params[i];
            // d = g + λθ.
            let mut direction = gradient[i].clone();
            direction.add_product(weight_decay, theta);
            let mut v = self.momentum.mul_ref(&state.buffer[i]);
            match self.convention {
                // v = γv + d;  θ − ηv.
                Convention::PyTorch => v.add_assign_ref(&direction),
                // v = γv + ηd;  θ − v.
                Convention::Sutskever => v.add_assign_ref(&lr.mul_ref(&direction)),
            }
            let mut new_theta = theta.clone();
            match self.convention {
                Convention::PyTorch => new_theta.sub_assign_ref(&lr.mul_ref(&v)),
                Convention::Sutskever => new_theta.sub_assign_ref(&v),
            }
            params.push(new_theta);
            buffer.push(v);
        }
        SgdState {
            params: Vector::from_vec(params),
            buffer: Vector::from_vec(buffer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn r(n: i64, d: i64) -> Rational {
        Rational::from_ratio(n, d)
    }

    /// Hand computation: θ=2, v=1, g=3, η=1/10, λ=1/2, γ=1/2.
    /// PyTorch: v' = 1/2 + 3 + 1 = 9/2, θ' = 2 − 9/20 = 31/20.
    /// Sutskever: v' = 1/2 + (1/10)(4) = 9/10, θ' = 2 − 9/10 = 11/10.
    #[test]
    fn both_conventions_match_hand_computation() {
        let state = SgdState::new(
            Vector::from_vec(vec![r(2, 1)]),
            Some(Vector::from_vec(vec![r(1, 1)])),
        );
        let g = Vector::from_vec(vec![r(3, 1)]);
        let torch = Sgd::new(r(1, 2), Convention::PyTorch).unwrap();
        let s = torch.step(&r(1, 10), &r(1, 2), &g, &state);
        assert_eq!(s.buffer[0], r(9, 2));
        assert_eq!(s.params[0], r(31, 20));
        let sutskever = Sgd::new(r(1, 2), Convention::Sutskever).unwrap();
        let s = sutskever.step(&r(1, 10), &r(1, 2), &g, &state);
        assert_eq!(s.buffer[0], r(9, 10));
        assert_eq!(s.params[0], r(11, 10));
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        use clap::ValueEnum;
        for c in [Convention::PyTorch, Convention::Sutskever] {
            assert_eq!(Convention::from_str(c.name(), false).unwrap(), c);
        }
        assert_eq!(Convention::PyTorch.name(), "pytorch");
        assert_eq!(Convention::Sutskever.name(), "sutskever");
        assert!(Convention::from_str("nesterov", false).is_err());
    }

    #[test]
    fn state_and_optimizer_keep_what_they_were_given() {
        let theta = Vector::from_vec(vec![r(1, 1), r(2, 1)]);
        let zero = SgdState::new(theta.clone(), None);
        assert_eq!(zero.buffer, Vector::from_vec(vec![r(0, 1), r(0, 1)]));
        let given = Vector::from_vec(vec![r(3, 1), r(4, 1)]);
        assert_eq!(SgdState::new(theta, Some(given.clone())).buffer, given);
        let sgd = Sgd::new(r(1, 2), Convention::Sutskever).unwrap();
        assert_eq!(*sgd.momentum(), r(1, 2));
        assert_eq!(sgd.convention(), Convention::Sutskever);
        // γ = 0 is allowed (plain SGD).
        assert!(Sgd::new(r(0, 1), Convention::PyTorch).is_ok());
    }

    #[test]
    fn momentum_out_of_range_is_rejected() {
        assert!(Sgd::new(1.0, Convention::PyTorch).is_err());
        assert!(Sgd::new(-0.1, Convention::PyTorch).is_err());
        assert!(Sgd::new(f64::NAN, Convention::PyTorch).is_err());
    }
}
