//! Gauss–Legendre quadrature in any [`Real`] arithmetic.
//!
//! Nodes are the roots of the Legendre polynomial Pₙ, found by Newton's method from the
//! classical f64 guess cos(π(i − 1/4)/(n + 1/2)) and refined in T to its epsilon; weights
//! wᵢ = 2 / ((1 − xᵢ²) Pₙ'(xᵢ)²). A composite rule splits [lo, hi] into equal panels. An n-point
//! rule integrates polynomials of degree 2n − 1 exactly and analytic integrands with geometric
//! convergence.

use crate::scalar::Real;

/// Nodes xᵢ and weights wᵢ with ∫ f ≈ Σ wᵢ f(xᵢ).
#[derive(Debug, Clone)]
pub struct Rule<T> {
    /// xᵢ.
    pub nodes: Vec<T>,
    /// wᵢ.
    pub weights: Vec<T>,
}

/// (Pₙ(x), Pₙ'(x)) by the three-term recurrence.
fn legendre<T: Real>(n: usize, x: &T) -> (T, T) {
    let mut p_prev = T::one();
    let mut p = x.clone();
    for k in 1..n {
        let kk = T::from_int(k as i64);
        let next = (T::from_int(2 * k as i64 + 1) * x.clone() * p.clone() - kk * p_prev.clone())
            / T::from_int(k as i64 + 1);
        p_prev = p;
        p = next;
    }
    let derivative = T::from_int(n as i64) * (x.clone() * p.clone() - p_prev)
        / (x.clone() * x.clone() - T::one());
    (p, derivative)
}

/// The n-point Gauss–Legendre rule on [−1, 1].
pub fn gauss_legendre<T: Real>(n: usize) -> Rule<T> {
    let n = n.max(1);
    let mut nodes = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    let tolerance = T::epsilon() * T::from_int(8);
    for i in 1..=n {
        let guess = (std::f64::consts::PI * (i as f64 - 0.25) / (n as f64 + 0.5)).cos();
        let mut x = T::from_f64(guess);
        for _ in 0..100 {
            let (p, dp) = legendre(n, &x);
            let step = p / dp;
            x -= step.clone();
            if step.abs() <= tolerance {
                break;
            }
        }
        let (_, dp) = legendre(n, &x);
        let w = T::from_int(2) / ((T::one() - x.clone() * x.clone()) * dp.clone() * dp);
        nodes.push(x);
        weights.push(w);
    }
    Rule { nodes, weights }
}

/// The composite rule on [lo, hi] with `panels` equal panels of `n` points each.
pub fn composite<T: Real>(n: usize, panels: usize, lo: &T, hi: &T) -> Rule<T> {
    let base = gauss_legendre::<T>(n);
    let panels = panels.max(1);
    let width = (hi.clone() - lo.clone()) / T::from_int(panels as i64);
    let half = width.clone() / T::from_int(2);
    let mut nodes = Vec::with_capacity(n * panels);
    let mut weights = Vec::with_capacity(n * panels);
    for k in 0..panels {
        let centre = lo.clone() + width.clone() * T::from_int(k as i64) + half.clone();
        for (x, w) in base.nodes.iter().zip(&base.weights) {
            nodes.push(centre.clone() + half.clone() * x.clone());
            weights.push(half.clone() * w.clone());
        }
    }
    Rule { nodes, weights }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{with_precision, Field, Mp};

    #[test]
    fn integrates_polynomials_of_degree_2n_minus_1_exactly() {
        // ∫_{-1}^{1} x^8 dx = 2/9; a 5-point rule is exact up to degree 9.
        let rule = gauss_legendre::<f64>(5);
        let integral: f64 = rule
            .nodes
            .iter()
            .zip(&rule.weights)
            .map(|(x, w)| w * x.powi(8))
            .sum();
        assert!((integral - 2.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    fn mp_rule_reaches_its_precision() {
        // ∫_0^1 eˣ dx = e − 1, with 30 nodes the rule error is far below 2^-200.
        with_precision(200, || {
            let rule = composite::<Mp>(30, 1, &Mp::from_int(0), &Mp::from_int(1));
            let mut sum = Mp::from_int(0);
            for (x, w) in rule.nodes.iter().zip(&rule.weights) {
                sum += w.clone() * x.exp();
            }
            let exact = Mp::from_int(1).exp() - Mp::from_int(1);
            let error = (sum - exact).abs();
            assert!(error < Mp::epsilon() * Mp::from_int(64), "error {error}");
        });
    }
}
