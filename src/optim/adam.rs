//! Adam and AdamW as pure steps in PyTorch's conventions (torch.optim.Adam / AdamW, amsgrad off;
//! the operation order of libtorch's C++ implementation), generic over the arithmetic:
//!
//! ```text
//!     AdamW:  θ ← θ (1 − η_t λ_t)                       (decoupled decay, before the Adam step)
//!     Adam:   g ← g + λ_t θ                              (coupled L2)
//!     m_{t+1} = β₁ m_t + (1 − β₁) g
//!     v_{t+1} = β₂ v_t + (1 − β₂) g²
//!     θ ← θ − (η_t / (1 − β₁^(t+1))) · m_{t+1} / (√v_{t+1} / √(1 − β₂^(t+1)) + ε)
//! ```
//!
//! ε sits outside the square root. The no-WD twin of AdamW (docs/MATH.md §3.5) needs per-step
//! EMA decays and ε while keeping the input weights (1 − β₁), (1 − β₂) and the bias corrections
//! of the original betas, so a step takes those separately ([`AdamStep`]).

use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::scalar::Field;

/// Adam's state: θ, the moment estimates m and v.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamState<T: Field> {
    /// θ_t.
    pub params: Vector<T>,
    /// m_t.
    pub m: Vector<T>,
    /// v_t.
    pub v: Vector<T>,
}

impl<T: Field> AdamState<T> {
    /// θ₀ with m₀ = v₀ = 0.
    pub fn new(params: Vector<T>) -> Self {
        let zeros = Vector::from_element(params.len(), T::zero());
        AdamState {
            params,
            m: zeros.clone(),
            v: zeros,
        }
    }
}

/// Adam's β₁, β₂ and ε as exact text (each arithmetic reads it exactly); the defaults are
/// torch.optim.Adam's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdamText {
    /// β₁.
    pub beta1: String,
    /// β₂.
    pub beta2: String,
    /// ε.
    pub eps: String,
}

impl Default for AdamText {
    fn default() -> Self {
        AdamText {
            beta1: "0.9".into(),
            beta2: "0.999".into(),
            eps: "1e-8".into(),
        }
    }
}

/// How weight decay enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decay {
    /// AdamW: θ ← θ(1 − ηλ) before the step.
    Decoupled,
    /// Adam with L2: g ← g + λθ.
    Coupled,
}

/// The hyper-parameters of one step (t counts from 0).
#[derive(Debug, Clone)]
pub struct AdamStep<T> {
    /// η_t.
    pub lr: T,
    /// λ_t.
    pub weight_decay: T,
    /// How λ enters.
    pub decay: Decay,
    /// The EMA decays applied to m_t and v_t this step (β₁, β₂ for torch; shifted for the twin).
    pub decays: (T, T),
    /// The input weights (1 − β₁, 1 − β₂) of the original betas.
    pub weights: (T, T),
    /// The bias corrections (1 − β₁^(t+1), 1 − β₂^(t+1)) of the original betas.
    pub corrections: (T, T),
    /// ε_t.
    pub eps: T,
}

impl<T: Field> AdamStep<T> {
    /// torch's step t with constant betas and ε.
    pub fn torch(
        lr: T,
        weight_decay: T,
        decay: Decay,
        (beta1, beta2): (&T, &T),
        eps: T,
        t: usize,
    ) -> Self {
        AdamStep {
            lr,
            weight_decay,
            decay,
            decays: (beta1.clone(), beta2.clone()),
            weights: (T::one() - beta1.clone(), T::one() - beta2.clone()),
            corrections: bias_corrections(beta1, beta2, t),
            eps,
        }
    }
}

/// (1 − β₁^(t+1), 1 − β₂^(t+1)).
pub fn bias_corrections<T: Field>(beta1: &T, beta2: &T, t: usize) -> (T, T) {
    let k = t as i64 + 1;
    (T::one() - beta1.powi(k), T::one() - beta2.powi(k))
}

/// Checks β₁, β₂ ∈ [0, 1) and ε ≥ 0 (named by flag).
pub fn check_hyperparameters<T: Field>(beta1: &T, beta2: &T, eps: &T) -> Result<()> {
    for (flag, beta) in [("--beta1", beta1), ("--beta2", beta2)] {
        if !(*beta >= T::zero() && *beta < T::one()) {
            return Err(Error::invalid(flag, beta, "must be in [0, 1)"));
        }
    }
    if eps.partial_cmp(&T::zero()).is_none_or(|o| o.is_lt()) {
        return Err(Error::invalid("--eps", eps, "must be non-negative"));
    }
    Ok(())
}

/// One step. √ is the arithmetic's own (exact in rationals when v is a square, e.g. β₂ = 0, where
/// v = g²); an arithmetic without it is an error naming the step.
pub fn step<T: Field>(
    hp: &AdamStep<T>,
    gradient: &Vector<T>,
    state: &AdamState<T>,
) -> Result<AdamState<T>> {
    let n = state.params.len();
    let no_root = |what: &T| {
        Error::invalid(
            "--beta2",
            what,
            "this arithmetic has no square root of Adam's v here (exact rationals need beta2 = 0)",
        )
    };
    let step_size = hp.lr.clone() / hp.corrections.0.clone();
    let correction2 = hp
        .corrections
        .1
        .try_sqrt()
        .ok_or_else(|| no_root(&hp.corrections.1))?;
    let shrink = T::one() - hp.lr.mul_ref(&hp.weight_decay);
    // Exact arithmetic with β₂ = 0 (as the exact claims run): v = w·g² with w = 1 − β₂, so
    // √v = √w·|g| — the same number, without the square root of a large square.
    let root_weight = if T::EXACT && hp.decays.1 == T::zero() {
        hp.weights.1.try_sqrt()
    } else {
        None
    };
    let (mut params, mut ms, mut vs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for i in 0..n {
        let mut theta = state.params[i].clone();
        let mut g = gradient[i].clone();
        match hp.decay {
            Decay::Decoupled => theta.mul_assign_ref(&shrink),
            Decay::Coupled => g.add_product(&hp.weight_decay, &state.params[i]),
        }
        let mut m = hp.decays.0.mul_ref(&state.m[i]);
        m.add_product(&hp.weights.0, &g);
        let mut v = hp.decays.1.mul_ref(&state.v[i]);
        v.add_product(&hp.weights.1, &g.square());
        let root = match &root_weight {
            Some(w) => g.abs().mul_ref(w),
            None => v.try_sqrt().ok_or_else(|| no_root(&v))?,
        };
        let denominator = root / correction2.clone() + hp.eps.clone();
        theta.sub_assign_ref(&(step_size.mul_ref(&m) / denominator));
        params.push(theta);
        ms.push(m);
        vs.push(v);
    }
    Ok(AdamState {
        params: Vector::from_vec(params),
        m: Vector::from_vec(ms),
        v: Vector::from_vec(vs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn r(n: i64, d: i64) -> Rational {
        Rational::from_ratio(n, d)
    }

    /// Hand computation, β₂ = 0 so that √v = |g| is exact: θ = 2, g = −3, η = 1/10, λ = 1/2,
    /// β₁ = 1/2, ε = 1/4, step 0. AdamW: θ(1 − 1/20) = 19/10; m = 3/2·(−1) = −3/2, v = 9;
    /// m̂ = −3, √v̂ = 3; θ' = 19/10 − (1/10)(−3)/(3 + 1/4) = 19/10 + 3/32.5 = 19/10 + 6/65.
    /// Adam + L2: g = −3 + 1 = −2; m̂ = −2, √v̂ = 2; θ' = 2 + (1/10)(2)/(9/4) = 2 + 4/45.
    #[test]
    fn both_decays_match_hand_computation() {
        let state = AdamState::new(Vector::from_vec(vec![r(2, 1)]));
        let g = Vector::from_vec(vec![r(-3, 1)]);
        let (b1, b2) = (r(1, 2), r(0, 1));
        let w = AdamStep::torch(r(1, 10), r(1, 2), Decay::Decoupled, (&b1, &b2), r(1, 4), 0);
        let s = step(&w, &g, &state).unwrap();
        assert_eq!(s.params[0], r(19, 10) + r(6, 65));
        assert_eq!((s.m[0].clone(), s.v[0].clone()), (r(-3, 2), r(9, 1)));
        let l2 = AdamStep {
            decay: Decay::Coupled,
            ..w.clone()
        };
        assert_eq!(step(&l2, &g, &state).unwrap().params[0], r(2, 1) + r(4, 45));
        // β₂ = 3/4 (the second correction no longer 1, so √v/√c₂ is exercised), λ = 0, ε = 0:
        // m = −3/2, v = 9/4, √v/√(1/4) = 3, step size (1/10)/(1/2): θ' = 2 + (1/5)(3/2)/3 = 21/10.
        let b2q = r(3, 4);
        let plain = AdamStep::torch(r(1, 10), r(0, 1), Decay::Decoupled, (&b1, &b2q), r(0, 1), 0);
        let s1 = step(&plain, &g, &state).unwrap();
        assert_eq!(s1.params[0], r(21, 10));
        // A second step with v₁ = 9/4 ≠ 0 (corrections set to 1): g = −3/2, m = −3/2,
        // v = (3/4)(9/4) + (1/4)(9/4) = 9/4, √v = 3/2 (not √(1 − β₂)·|g| = 3/4, the shortcut that
        // only β₂ = 0 allows): θ'' = 21/10 + (1/10)(3/2)/(3/2) = 11/5.
        let second = AdamStep {
            corrections: (r(1, 1), r(1, 1)),
            ..plain.clone()
        };
        let g2 = Vector::from_vec(vec![r(-3, 2)]);
        assert_eq!(step(&second, &g2, &s1).unwrap().params[0], r(11, 5));
        // Step 1 uses the corrections 1 − β^2: m̂ = m/(3/4).
        assert_eq!(bias_corrections(&b1, &r(1, 3), 1), (r(3, 4), r(8, 9)));
        // No exact root of v = 2/3 · 9 in the rationals: an error, not a guess.
        let b2 = r(1, 3);
        let no_root = AdamStep::torch(r(1, 10), r(0, 1), Decay::Decoupled, (&b1, &b2), r(0, 1), 0);
        assert!(step(&no_root, &g, &state).is_err());
        assert!(check_hyperparameters(&r(1, 1), &r(0, 1), &r(0, 1)).is_err());
        assert!(check_hyperparameters(&r(0, 1), &r(-1, 2), &r(0, 1)).is_err());
        assert!(check_hyperparameters(&r(0, 1), &r(0, 1), &r(-1, 1)).is_err());
        assert!(check_hyperparameters(&r(0, 1), &r(0, 1), &r(0, 1)).is_ok());
    }
}
