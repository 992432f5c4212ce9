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

use super::{logistic, Objective};
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
