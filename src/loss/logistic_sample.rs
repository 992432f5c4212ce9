//! The paper's toy in its finite-sample form: N seeded points x ~ N(0, I_m), y = sign(x₁),
//! full-batch logistic loss, optionally with BN (no affine, batch statistics, ε = 0):
//!
//! ```text
//!     z = Xw,  μ = mean(z),  σ² = mean((z − μ)²),  h = (z − μ)/σ  (or h = z without BN)
//!     L(w) = mean ln(1 + e^(−y∘h))
//!     ∂L/∂z = (δ − mean(δ) − h · mean(δ∘h)) / σ,  δ = ∂L/∂h,   ∇L = Xᵀ ∂L/∂z
//! ```
//!
//! With BN, L(cw) = L(w) for c > 0 exactly (μ and σ scale with c).

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{logistic, logistic_slope, Objective};
use crate::linalg::Vector;
use crate::scalar::Real;

/// The finite-sample logistic toy.
#[derive(Debug, Clone)]
pub struct LogisticSample<T> {
    dim: usize,
    normalized: bool,
    seed: u64,
    /// Rows xᵢ.
    x: Vec<Vec<T>>,
    /// Labels ±1.
    y: Vec<T>,
}

impl<T: Real> LogisticSample<T> {
    /// `samples` points in `dim` dimensions from the seeded ChaCha8 stream `seed`.
    pub fn new(dim: usize, samples: usize, seed: u64, normalized: bool) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Vec::with_capacity(samples);
        let mut y = Vec::with_capacity(samples);
        for _ in 0..samples {
            let row: Vec<f64> = (0..dim).map(|_| StandardNormal.sample(&mut rng)).collect();
            y.push(if row[0] > 0.0 { T::one() } else { -T::one() });
            x.push(row.into_iter().map(T::from_f64).collect());
        }
        LogisticSample {
            dim,
            normalized,
            seed,
            x,
            y,
        }
    }

    /// h = BN(Xw) or Xw, with σ (1 without BN).
    fn forward(&self, w: &Vector<T>) -> (Vec<T>, T) {
        let z: Vec<T> = self
            .x
            .iter()
            .map(|row| {
                row.iter()
                    .zip(w.iter())
                    .fold(T::zero(), |acc, (a, b)| acc + a.clone() * b.clone())
            })
            .collect();
        if !self.normalized {
            return (z, T::one());
        }
        let n = T::from_int(z.len() as i64);
        let mean = z.iter().fold(T::zero(), |acc, v| acc + v.clone()) / n.clone();
        let centred: Vec<T> = z.into_iter().map(|v| v - mean.clone()).collect();
        let var = centred
            .iter()
            .fold(T::zero(), |acc, v| acc + v.clone() * v.clone())
            / n;
        let sigma = var.sqrt();
        (
            centred.into_iter().map(|v| v / sigma.clone()).collect(),
            sigma,
        )
    }

    /// (L(w), ∇L(w)).
    pub fn loss_and_gradient(&self, w: &Vector<T>) -> (T, Vector<T>) {
        let (h, sigma) = self.forward(w);
        let n = T::from_int(h.len() as i64);
        let mut loss = T::zero();
        let mut delta = Vec::with_capacity(h.len());
        for (hi, yi) in h.iter().zip(&self.y) {
            let m = yi.clone() * hi.clone();
            let (loss_m, sig) = logistic(&m);
            loss += loss_m;
            delta.push(-(yi.clone() * sig) / n.clone());
        }
        loss /= n.clone();
        let dz: Vec<T> = if self.normalized {
            let mean_delta = delta.iter().fold(T::zero(), |acc, d| acc + d.clone()) / n.clone();
            let mean_dh = delta
                .iter()
                .zip(&h)
                .fold(T::zero(), |acc, (d, hi)| acc + d.clone() * hi.clone())
                / n;
            delta
                .iter()
                .zip(&h)
                .map(|(d, hi)| {
                    (d.clone() - mean_delta.clone() - hi.clone() * mean_dh.clone()) / sigma.clone()
                })
                .collect()
        } else {
            delta
        };
        let mut grad = vec![T::zero(); self.dim];
        for (row, d) in self.x.iter().zip(&dz) {
            for (g, xi) in grad.iter_mut().zip(row) {
                *g += xi.clone() * d.clone();
            }
        }
        (loss, Vector::from_vec(grad))
    }
}

impl<T: Real> Objective<T> for LogisticSample<T> {
    fn name(&self) -> String {
        let bn = if self.normalized { "BN, " } else { "" };
        format!(
            "logistic sample ({bn}d={}, N={}, seed {})",
            self.dim,
            self.x.len(),
            self.seed
        )
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn loss(&self, w: &Vector<T>, _batch: usize) -> T {
        self.loss_and_gradient(w).0
    }
    fn gradient(&self, w: &Vector<T>, _batch: usize) -> Vector<T> {
        self.loss_and_gradient(w).1
    }
    fn loss_and_gradient(&self, w: &Vector<T>, _batch: usize) -> (T, Vector<T>) {
        LogisticSample::loss_and_gradient(self, w)
    }
    fn scale_invariant(&self) -> bool {
        self.normalized
    }
    /// ∇²L(w)·u, the directional derivative of the gradient above (with p = σ(−m) and
    /// s''(m) = p(1 − p)); with BN, z' = Xu, c' = z' − mean(z'), σ' = mean(c∘c')/σ,
    /// h' = (c' − hσ')/σ, δ' = p(1−p)∘h'/n, A = Σδ/n, B = Σδh/n, and
    ///
    /// ```text
    ///     (∂L/∂z)' = (δ' − A' − h'B − hB')/σ − (∂L/∂z)·σ'/σ,   ∇²L·u = Xᵀ(∂L/∂z)'
    /// ```
    ///
    /// (without BN: h = z, σ = 1, (∂L/∂z)' = δ'). Lets `--arith interval` take mean-value steps.
    fn hessian_vec(&self, w: &Vector<T>, u: &Vector<T>, _batch: usize) -> Option<Vector<T>> {
        let n = T::from_int(self.x.len() as i64);
        let project = |v: &Vector<T>| -> Vec<T> {
            self.x
                .iter()
                .map(|row| {
                    row.iter().zip(v.iter()).fold(T::zero(), |mut acc, (a, b)| {
                        acc.add_product(a, b);
                        acc
                    })
                })
                .collect()
        };
        let (h, sigma) = self.forward(w);
        let z_dot = project(u);
        let (h_dot, sigma_dot) = if self.normalized {
            let mean = z_dot.iter().fold(T::zero(), |acc, v| acc + v.clone()) / n.clone();
            let c_dot: Vec<T> = z_dot.into_iter().map(|v| v - mean.clone()).collect();
            // mean(c∘c')/σ with c = hσ: mean(h∘c').
            let sigma_dot = h.iter().zip(&c_dot).fold(T::zero(), |mut acc, (a, b)| {
                acc.add_product(a, b);
                acc
            }) / n.clone();
            let h_dot = c_dot
                .iter()
                .zip(&h)
                .map(|(c, hi)| (c.clone() - hi.clone() * sigma_dot.clone()) / sigma.clone())
                .collect();
            (h_dot, sigma_dot)
        } else {
            (z_dot, T::zero())
        };
        let mut delta = Vec::with_capacity(h.len());
        let mut delta_dot = Vec::with_capacity(h.len());
        for ((hi, yi), hd) in h.iter().zip(&self.y).zip(&h_dot) {
            let p = logistic_slope(&(yi.clone() * hi.clone()));
            let curvature = p.clone() * (T::one() - p.clone());
            delta.push(-(yi.clone() * p) / n.clone());
            delta_dot.push(curvature * hd.clone() / n.clone());
        }
        let dz_dot: Vec<T> = if self.normalized {
            let sum = |v: &[T]| v.iter().fold(T::zero(), |acc, x| acc + x.clone());
            let a_dot = sum(&delta_dot) / n.clone();
            let a = sum(&delta) / n.clone();
            let b = delta
                .iter()
                .zip(&h)
                .fold(T::zero(), |acc, (d, hi)| acc + d.clone() * hi.clone())
                / n.clone();
            let b_dot =
                delta_dot.iter().zip(&h).zip(delta.iter().zip(&h_dot)).fold(
                    T::zero(),
                    |acc, ((dd, hi), (d, hd))| {
                        acc + dd.clone() * hi.clone() + d.clone() * hd.clone()
                    },
                ) / n;
            delta
                .iter()
                .zip(&delta_dot)
                .zip(h.iter().zip(&h_dot))
                .map(|((d, dd), (hi, hd))| {
                    let dz = (d.clone() - a.clone() - hi.clone() * b.clone()) / sigma.clone();
                    (dd.clone()
                        - a_dot.clone()
                        - hd.clone() * b.clone()
                        - hi.clone() * b_dot.clone())
                        / sigma.clone()
                        - dz * sigma_dot.clone() / sigma.clone()
                })
                .collect()
        } else {
            delta_dot
        };
        let mut out = vec![T::zero(); self.dim];
        for (row, d) in self.x.iter().zip(&dz_dot) {
            for (o, xi) in out.iter_mut().zip(row) {
                o.add_product(xi, d);
            }
        }
        Some(Vector::from_vec(out))
    }
    fn train_error(&self, w: &Vector<T>) -> Option<f64> {
        let (h, _) = self.forward(w);
        let wrong = h
            .iter()
            .zip(&self.y)
            .filter(|(hi, yi)| (*yi).clone() * (*hi).clone() <= T::zero())
            .count();
        Some(wrong as f64 / h.len().max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{with_precision, Field, Mp};

    fn norm(v: &Vector<Mp>) -> f64 {
        v.iter()
            .map(|x| x.to_f64() * x.to_f64())
            .sum::<f64>()
            .sqrt()
    }

    /// ∇²L·u at 256 bits against a central difference of gradients with ε = 2⁻⁶⁰ (error
    /// O(ε²) ≈ 1e-36 relative, rounding 2⁻²⁵⁶/ε ≈ 1e-59): agreement to 1e-30 of ‖∇²L·u‖, with BN
    /// and without; symmetric (vᵀ∇²L u = uᵀ∇²L v to 1e-60); and with BN the scale-invariance
    /// identity ∇²L(w)·w = −∇L(w) (docs/MATH.md L4) to 1e-60.
    #[test]
    fn hessian_vec_is_the_derivative_of_the_gradient() {
        with_precision(256, || {
            let v =
                |xs: &[i64]| Vector::from_vec(xs.iter().map(|&x| Mp::from_ratio(x, 7)).collect());
            let (w, u, other) = (v(&[3, -2, 5]), v(&[1, 4, -2]), v(&[-3, 1, 1]));
            for normalized in [true, false] {
                let model = LogisticSample::<Mp>::new(3, 24, 5, normalized);
                let hu = model.hessian_vec(&w, &u, 0).unwrap();
                let eps = Mp::from_rational(&crate::optim::shadow::pow2(-60));
                let step = |sign: i64| {
                    let shifted = Vector::from_iterator(
                        3,
                        w.iter()
                            .zip(u.iter())
                            .map(|(a, b)| a.clone() + Mp::from_int(sign) * eps.clone() * b.clone()),
                    );
                    model.loss_and_gradient(&shifted).1
                };
                let (plus, minus) = (step(1), step(-1));
                let two_eps = Mp::from_int(2) * eps.clone();
                let fd = Vector::from_iterator(
                    3,
                    plus.iter()
                        .zip(minus.iter())
                        .map(|(p, m)| (p.clone() - m.clone()) / two_eps.clone()),
                );
                let diff = Vector::from_iterator(
                    3,
                    hu.iter().zip(fd.iter()).map(|(a, b)| a.clone() - b.clone()),
                );
                assert!(
                    norm(&diff) <= 1e-30 * norm(&hu),
                    "{normalized}: {} vs {}",
                    norm(&diff),
                    norm(&hu)
                );
                let dot = |a: &Vector<Mp>, b: &Vector<Mp>| crate::linalg::dot(a, b).to_f64();
                let hv = model.hessian_vec(&w, &other, 0).unwrap();
                let (uhv, vhu) = (dot(&u, &hv), dot(&other, &hu));
                assert!(
                    (uhv - vhu).abs() <= 1e-60 * uhv.abs().max(1.0),
                    "{uhv} vs {vhu}"
                );
                if normalized {
                    let hw = model.hessian_vec(&w, &w, 0).unwrap();
                    let g = model.loss_and_gradient(&w).1;
                    let sum = Vector::from_iterator(
                        3,
                        hw.iter().zip(g.iter()).map(|(a, b)| a.clone() + b.clone()),
                    );
                    assert!(norm(&sum) <= 1e-60 * norm(&g), "{}", norm(&sum));
                }
            }
        });
    }
}
