//! Losses L(θ) and their gradients, generic over the arithmetic.
//!
//! A loss is *scale invariant* when L(cθ) = L(θ) for all c > 0 (docs/MATH.md §2): every weight feeds a
//! normalization. Minibatch losses L_t use batch `t mod batches()`.

mod logistic_population;
mod logistic_sample;
mod quadratic;
pub mod quadrature;

pub use logistic_population::LogisticPopulation;
pub use logistic_sample::LogisticSample;
pub use quadratic::{Quadratic, Rayleigh};

use crate::linalg::Vector;
use crate::scalar::{Field, Real};

/// A differentiable loss on θ ∈ Rᵈ.
pub trait Objective<T: Field> {
    /// Human-readable name, stated in every report.
    fn name(&self) -> String;
    /// d.
    fn dim(&self) -> usize;
    /// Number of distinct minibatches (1 for full-batch losses).
    fn batches(&self) -> usize {
        1
    }
    /// L_batch(θ).
    fn loss(&self, theta: &Vector<T>, batch: usize) -> T;
    /// ∇L_batch(θ).
    fn gradient(&self, theta: &Vector<T>, batch: usize) -> Vector<T>;
    /// (L_batch(θ), ∇L_batch(θ)); models that share work between the two override it.
    fn loss_and_gradient(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        (self.loss(theta, batch), self.gradient(theta, batch))
    }
    /// L_batch(θ) rounded to f64, for reports; models whose loss is a ratio of sums override it
    /// with [`Field::dots_to_f64`], which spares exact arithmetic its gcds.
    fn loss_f64(&self, theta: &Vector<T>, batch: usize) -> f64 {
        self.loss(theta, batch).to_f64()
    }
    /// True when L(cθ) = L(θ) for every c > 0 by construction.
    fn scale_invariant(&self) -> bool;
    /// Whether L is defined at θ. A scale-invariant loss is not defined at θ = 0 (it depends on
    /// θ/‖θ‖ only), and exact arithmetic would divide by zero there; the simulator ends such a
    /// run as diverged instead of evaluating it.
    fn defined_at(&self, theta: &Vector<T>) -> bool {
        !self.scale_invariant() || theta.iter().any(|x| !num_traits::Zero::is_zero(x))
    }
    /// ∇²L(θ)·u when the model provides it analytically.
    fn hessian_vec(&self, _theta: &Vector<T>, _u: &Vector<T>, _batch: usize) -> Option<Vector<T>> {
        None
    }
    /// Fraction of misclassified points, for classifiers.
    fn train_error(&self, _theta: &Vector<T>) -> Option<f64> {
        None
    }
}

impl<T: Field, O: Objective<T> + ?Sized> Objective<T> for Box<O> {
    fn name(&self) -> String {
        (**self).name()
    }
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn batches(&self) -> usize {
        (**self).batches()
    }
    fn loss(&self, theta: &Vector<T>, batch: usize) -> T {
        (**self).loss(theta, batch)
    }
    fn gradient(&self, theta: &Vector<T>, batch: usize) -> Vector<T> {
        (**self).gradient(theta, batch)
    }
    fn loss_and_gradient(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        (**self).loss_and_gradient(theta, batch)
    }
    fn loss_f64(&self, theta: &Vector<T>, batch: usize) -> f64 {
        (**self).loss_f64(theta, batch)
    }
    fn scale_invariant(&self) -> bool {
        (**self).scale_invariant()
    }
    fn defined_at(&self, theta: &Vector<T>) -> bool {
        (**self).defined_at(theta)
    }
    fn hessian_vec(&self, theta: &Vector<T>, u: &Vector<T>, batch: usize) -> Option<Vector<T>> {
        (**self).hessian_vec(theta, u, batch)
    }
    fn train_error(&self, theta: &Vector<T>) -> Option<f64> {
        (**self).train_error(theta)
    }
}

/// (s(m), σ(−m)) with one exponential: s(m) = ln(1 + e^(−m)) is the logistic loss at margin m
/// and σ(−m) = −s'(m). With e = e^(−|m|) ≤ 1 nothing overflows:
/// m ≥ 0: s = ln(1+e), σ(−m) = e/(1+e);  m < 0: s = −m + ln(1+e), σ(−m) = 1/(1+e).
pub(crate) fn logistic<T: Real>(m: &T) -> (T, T) {
    let (negative, e) = exp_neg_abs(m);
    let log = e.ln_1p();
    let loss = if negative { log - m.clone() } else { log };
    (loss, slope(negative, e))
}

/// σ(−m) alone, the very number [`logistic`] returns beside the loss: for a gradient that does
/// not need the loss (no ln(1+e)).
pub(crate) fn logistic_slope<T: Real>(m: &T) -> T {
    let (negative, e) = exp_neg_abs(m);
    slope(negative, e)
}

/// (m < 0, e^(−|m|)).
fn exp_neg_abs<T: Real>(m: &T) -> (bool, T) {
    let negative = *m < T::zero();
    let e = if negative {
        m.exp()
    } else {
        (-m.clone()).exp()
    };
    (negative, e)
}

/// σ(−m) from e = e^(−|m|).
fn slope<T: Real>(negative: bool, e: T) -> T {
    let denom = T::one() + e.clone();
    if negative {
        T::one() / denom
    } else {
        e / denom
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ln(1 + e^(−m)) and σ(−m) = 1/(1 + e^m) at margins of both signs, against Python's
    /// `math.log1p(math.exp(-abs(m))) + max(-m, 0)` and `1/(1 + math.exp(m))` (within 2 ulps);
    /// at m = −40 the loss is −m to f64's precision, and at |m| = 800 nothing overflows.
    /// `logistic_slope` is the same slope bit for bit.
    #[test]
    fn logistic_matches_its_closed_form_on_both_sides() {
        for (m, loss, slope) in [
            (-2.0, 2.1269280110429727, 0.8807970779778823),
            (3.0, 0.04858735157374206, 0.04742587317756678),
            (-40.0, 40.0, 1.0),
            (0.0, std::f64::consts::LN_2, 0.5),
            // e^800 overflows: only the form with e = e^(−|m|) ≤ 1 gets these.
            (-800.0, 800.0, 1.0),
            (800.0, 0.0, 0.0),
        ] {
            let (l, s) = logistic(&m);
            assert!((l - loss).abs() <= 4e-16 * loss, "m = {m}: {l} vs {loss}");
            assert!(
                (s - slope).abs() <= 4e-16 * slope,
                "m = {m}: {s} vs {slope}"
            );
            assert_eq!(logistic_slope(&m).to_bits(), s.to_bits(), "m = {m}");
        }
    }
}
