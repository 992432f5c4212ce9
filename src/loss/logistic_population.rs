//! The paper's toy in its population form (docs/MATH.md §4): a linear classifier w ∈ Rᵐ on infinite data
//! x ~ N(0, I), y = sign(x₁), logistic loss s(m) = ln(1 + e^(−m)) on the margin m = y·h.
//!
//! Writing a = |x₁| (half-normal) and g = sign(x₁)·⟨x_⊥, ŵ_⊥⟩ ~ N(0, 1) independent of a, the
//! margin of h = xᵀw is m = w₁ a + ‖w_⊥‖ g, so
//!
//! ```text
//!     L(w) = E[s(w₁ a + r g)],  r = ‖w_⊥‖,
//!     ∂L/∂w₁ = E[s'(m) a],  ∂L/∂w_⊥ = (w_⊥ / r) E[s'(m) g] = w_⊥ E[s''(m)]  (Stein's identity),
//! ```
//!
//! a 2-D Gaussian expectation computed by a tensor Gauss–Legendre rule on a ∈ [0, 10],
//! g ∈ [−10, 10] (the tails beyond carry < 2·10⁻²² of the mass). The Stein form of the ⊥ part
//! matters numerically: E[s'(m) g] is a cancelling sum whose rounding error does not vanish with
//! r, which would pin ŵ at a spurious rounding floor near e₁; E[s''(m)] is a sum of positive
//! terms, exactly proportional to w_⊥ as the population gradient is. With BN (no affine) population
//! statistics give h = xᵀw / ‖w‖ exactly, so L_BN(w) = L(w/‖w‖) and
//!
//! ```text
//!     ∇L_BN(w) = (I − ŵŵᵀ) ∇L(ŵ) / ‖w‖.
//! ```
//!
//! Training error is exact: P(sign(xᵀw) ≠ sign(x₁)) = ∠(w, e₁) / π. The optimum direction is e₁;
//! the loss as a function of the angle φ has ℓ''(0) = E[s''(a)] + E[a σ(−a)], so GD on the BN
//! model is stable at the optimum iff η/‖w‖² < 2(1+γ)/ℓ''(0). Integrating by parts with the
//! half-normal density 2φ(a) (φ' = −aφ) gives E[a σ(−a)] = φ(0) − E[σ(a)σ(−a)], hence
//! ℓ''(0) = φ(0) = 1/√(2π) exactly and the limit is 2√(2π)(1+γ) ≈ 5.0133 (1+γ).

use super::quadrature::{composite, Rule};
use super::{logistic, logistic_slope, Objective};
use crate::linalg::{angle_deg, dot, norm_sq, to_f64, Vector};
use crate::scalar::Real;

/// Gauss–Legendre points per panel.
const NODES_PER_PANEL: usize = 20;
/// Panels on the half-normal axis a ∈ [0, 10].
const PANELS_A: usize = 3;
/// Panels on the normal axis g ∈ [−10, 10].
const PANELS_G: usize = 4;

/// The population logistic toy, with or without batch normalization.
#[derive(Debug, Clone)]
pub struct LogisticPopulation<T> {
    dim: usize,
    normalized: bool,
    /// Half-normal nodes aᵢ with weights including the density √(2/π) e^(−a²/2).
    half: Rule<T>,
    /// Normal nodes gⱼ with weights including the density e^(−g²/2)/√(2π).
    normal: Rule<T>,
}

impl<T: Real> LogisticPopulation<T> {
    /// The toy in `dim` ≥ 2 dimensions; `normalized` puts BN (no affine) after xᵀw.
    pub fn new(dim: usize, normalized: bool) -> Self {
        let ten = T::from_int(10);
        let mut half = composite(NODES_PER_PANEL, PANELS_A, &T::zero(), &ten);
        let mut normal = composite(NODES_PER_PANEL, PANELS_G, &-ten.clone(), &ten);
        let two_pi = T::from_int(2) * T::pi();
        let half_density = (T::from_int(2) / T::pi()).sqrt();
        for (a, w) in half.nodes.iter().zip(half.weights.iter_mut()) {
            *w = w.clone()
                * half_density.clone()
                * (-(a.clone() * a.clone()) / T::from_int(2)).exp();
        }
        let normal_density = T::one() / two_pi.sqrt();
        for (g, w) in normal.nodes.iter().zip(normal.weights.iter_mut()) {
            *w = w.clone()
                * normal_density.clone()
                * (-(g.clone() * g.clone()) / T::from_int(2)).exp();
        }
        LogisticPopulation {
            dim: dim.max(2),
            normalized,
            half,
            normal,
        }
    }

    /// E[f(a, g)] under the quadrature rule.
    pub fn expectation(&self, f: impl Fn(&T, &T) -> T) -> T {
        let mut total = T::zero();
        for (a, wa) in self.half.nodes.iter().zip(&self.half.weights) {
            let mut inner = T::zero();
            for (g, wg) in self.normal.nodes.iter().zip(&self.normal.weights) {
                inner += wg.clone() * f(a, g);
            }
            total += wa.clone() * inner;
        }
        total
    }

    /// E[f(a)] over the half-normal a alone.
    pub fn half_normal_expectation(&self, f: impl Fn(&T) -> T) -> T {
        self.half
            .nodes
            .iter()
            .zip(&self.half.weights)
            .fold(T::zero(), |acc, (a, w)| acc + w.clone() * f(a))
    }

    /// ℓ''(0) = E[σ(a)σ(−a)] + E[a σ(−a)]: curvature of the loss in the angle at the optimum.
    pub fn curvature_at_optimum(&self) -> T {
        self.half_normal_expectation(|a| {
            let s = logistic_slope(a);
            s.clone() * (T::one() - s.clone()) + a.clone() * s
        })
    }

    /// (L, ∂L/∂w₁, E[s''(m)], r = ‖w_⊥‖) at the un-normalized w; L is 0 (not computed: no
    /// ln(1+e) per node) unless `with_loss`, and the rest are the same numbers either way.
    fn raw(&self, w: &Vector<T>, with_loss: bool) -> (T, T, T, T) {
        let w1 = w[0].clone();
        let rest: T = w
            .iter()
            .skip(1)
            .fold(T::zero(), |acc, x| acc + x.clone() * x.clone());
        let r = rest.sqrt();
        let mut loss = T::zero();
        let mut d1 = T::zero();
        let mut dg = T::zero();
        for (a, wa) in self.half.nodes.iter().zip(&self.half.weights) {
            let (mut l_in, mut d1_in, mut dg_in) = (T::zero(), T::zero(), T::zero());
            for (g, wg) in self.normal.nodes.iter().zip(&self.normal.weights) {
                let m = w1.clone() * a.clone() + r.clone() * g.clone();
                let sig = if with_loss {
                    let (loss_m, sig) = logistic(&m);
                    l_in += wg.clone() * loss_m;
                    sig
                } else {
                    logistic_slope(&m)
                };
                d1_in -= wg.clone() * sig.clone();
                dg_in += wg.clone() * sig.clone() * (T::one() - sig);
            }
            loss += wa.clone() * l_in;
            d1 += wa.clone() * d1_in * a.clone();
            dg += wa.clone() * dg_in;
        }
        (loss, d1, dg, r)
    }

    fn raw_gradient(w: &Vector<T>, d1: T, curvature: T) -> Vector<T> {
        Vector::from_iterator(
            w.len(),
            w.iter().enumerate().map(|(i, x)| {
                if i == 0 {
                    d1.clone()
                } else {
                    curvature.clone() * x.clone()
                }
            }),
        )
    }

    /// (L(w), ∇L(w)) in one pass over the quadrature grid.
    pub fn loss_and_gradient(&self, w: &Vector<T>) -> (T, Vector<T>) {
        self.pass(w, true)
    }

    /// ∇L(w) alone: the same numbers as [`Self::loss_and_gradient`]'s, without the loss.
    pub fn gradient(&self, w: &Vector<T>) -> Vector<T> {
        self.pass(w, false).1
    }

    /// One pass over the quadrature grid; the loss is 0 unless `with_loss`.
    fn pass(&self, w: &Vector<T>, with_loss: bool) -> (T, Vector<T>) {
        if !self.normalized {
            let (loss, d1, curvature, _) = self.raw(w, with_loss);
            return (loss, Self::raw_gradient(w, d1, curvature));
        }
        let norm = norm_sq(w).sqrt();
        let unit = w.map(|x| x / norm.clone());
        let (loss, d1, curvature, _) = self.raw(&unit, with_loss);
        let g = Self::raw_gradient(&unit, d1, curvature);
        let radial = dot(&g, &unit);
        let grad = Vector::from_iterator(
            w.len(),
            g.iter()
                .zip(unit.iter())
                .map(|(gi, ui)| (gi.clone() - radial.clone() * ui.clone()) / norm.clone()),
        );
        (loss, grad)
    }
}

impl<T: Real> Objective<T> for LogisticPopulation<T> {
    fn name(&self) -> String {
        let bn = if self.normalized { "BN, " } else { "" };
        format!("logistic population ({bn}d={})", self.dim)
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn loss(&self, w: &Vector<T>, _batch: usize) -> T {
        self.loss_and_gradient(w).0
    }
    fn gradient(&self, w: &Vector<T>, _batch: usize) -> Vector<T> {
        LogisticPopulation::gradient(self, w)
    }
    fn loss_and_gradient(&self, w: &Vector<T>, _batch: usize) -> (T, Vector<T>) {
        LogisticPopulation::loss_and_gradient(self, w)
    }
    fn scale_invariant(&self) -> bool {
        self.normalized
    }
    fn train_error(&self, w: &Vector<T>) -> Option<f64> {
        let mut e1 = vec![0.0; w.len()];
        e1[0] = 1.0;
        Some(angle_deg(&to_f64(w), &e1) / 180.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Field;

    /// E[cos(t m)] with m = w₁a + r g equals e^(−t²(w₁² + r²)/2): the characteristic function of
    /// |x₁| and g combine because E[sin(t r g)] = 0. Closed form, so it measures the rule's error.
    #[test]
    fn quadrature_error_is_below_1e_12_on_a_closed_form() {
        let toy = LogisticPopulation::<f64>::new(2, false);
        for (w1, r, t) in [
            (1.0, 0.5, 1.0),
            (2.0, 1.0, 1.5),
            (0.3, 3.0, 1.0),
            (4.0, 2.0, 1.0),
        ] {
            let q = toy.expectation(|a, g| (t * (w1 * a + r * g)).cos());
            let exact = (-t * t * (w1 * w1 + r * r) / 2.0).exp();
            assert!((q - exact).abs() < 1e-12, "w1={w1} r={r}: {q} vs {exact}");
        }
        // E[a] = √(2/π) and E[g²] = 1.
        let mean_a = toy.half_normal_expectation(|a| *a);
        assert!((mean_a - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-14);
        assert!((toy.expectation(|_, g| g * g) - 1.0).abs() < 1e-14);
    }

    /// The gradient alone (no ln(1+e) per node) is the gradient of the loss-and-gradient pass,
    /// bit for bit, with and without BN, at margins of both signs.
    #[test]
    fn the_gradient_alone_is_the_passes_gradient() {
        for normalized in [false, true] {
            let toy = LogisticPopulation::<f64>::new(3, normalized);
            for w in [[0.7, -0.2, 0.4], [-1.5, 0.3, 2.0], [0.0, 1.0, -1.0]] {
                let w = Vector::from_vec(w.to_vec());
                let (_, with_loss) = toy.loss_and_gradient(&w);
                let alone = Objective::gradient(&toy, &w, 0);
                let bits = |v: &Vector<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&alone), bits(&with_loss), "{w:?}");
                assert!(with_loss.iter().any(|x| *x != 0.0));
            }
        }
    }

    /// The loss at w = 0 is ln 2 exactly (every margin is 0).
    #[test]
    fn loss_at_zero_is_ln2() {
        let toy = LogisticPopulation::<f64>::new(3, false);
        let l = toy.loss(&Vector::from_vec(vec![0.0, 0.0, 0.0]), 0);
        assert!((l - 2f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn error_is_angle_over_pi() {
        let toy = LogisticPopulation::<f64>::new(2, true);
        let e = toy.train_error(&Vector::from_vec(vec![1.0, 1.0])).unwrap();
        assert!((e - 0.25).abs() < 1e-15);
    }

    /// Golden value (derived in the module docs): ℓ''(0) = 1/√(2π), which the quadrature must
    /// reproduce to its stated accuracy, in f64 and at 128 bits.
    #[test]
    fn curvature_is_one_over_sqrt_two_pi() {
        let exact = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
        let c = LogisticPopulation::<f64>::new(2, true).curvature_at_optimum();
        assert!((c - exact).abs() < 1e-13, "{c} vs {exact}");
        crate::scalar::with_precision(128, || {
            let mp = LogisticPopulation::<crate::scalar::Mp>::new(2, true).curvature_at_optimum();
            assert!((mp.to_f64() - exact).abs() < 1e-13);
        });
    }

    /// The gradient is the loss's: central differences (h = 1e-5, truncation ~h² ≈ 1e-10) at
    /// points off the unit sphere, with and without BN; with BN the loss is scale invariant
    /// (L(3w) = L(w), ∇L(3w) = ∇L(w)/3).
    #[test]
    fn the_gradient_is_the_derivative_of_the_loss() {
        for normalized in [false, true] {
            let toy = LogisticPopulation::<f64>::new(3, normalized);
            for w in [[0.7, -0.2, 0.4], [-1.5, 0.3, 2.0]] {
                let w = Vector::from_vec(w.to_vec());
                let g = Objective::gradient(&toy, &w, 0);
                for i in 0..3 {
                    let h = 1e-5;
                    let (mut up, mut down) = (w.clone(), w.clone());
                    up[i] += h;
                    down[i] -= h;
                    let fd = (toy.loss(&up, 0) - toy.loss(&down, 0)) / (2.0 * h);
                    assert!(
                        (fd - g[i]).abs() < 1e-8,
                        "{normalized} {w:?} {i}: {fd} vs {}",
                        g[i]
                    );
                }
                if normalized {
                    let w3 = w.map(|x| 3.0 * x);
                    assert!((toy.loss(&w3, 0) - toy.loss(&w, 0)).abs() < 1e-14);
                    let g3 = Objective::gradient(&toy, &w3, 0);
                    assert!(g3.iter().zip(&g).all(|(a, b)| (3.0 * a - b).abs() < 1e-14));
                }
            }
        }
    }

    /// ℓ''(0) against a central second difference of ℓ(φ) = L(cos φ, sin φ).
    #[test]
    fn curvature_matches_second_difference() {
        let toy = LogisticPopulation::<f64>::new(2, true);
        let ell = |phi: f64| toy.loss(&Vector::from_vec(vec![phi.cos(), phi.sin()]), 0);
        let h = 1e-3;
        let fd = (ell(h) - 2.0 * ell(0.0) + ell(-h)) / (h * h);
        let exact = toy.curvature_at_optimum();
        assert!((fd - exact).abs() < 1e-6, "fd {fd} vs {exact}");
        assert!(exact > 0.0 && <f64 as Field>::to_f64(&exact).is_finite());
    }
}
