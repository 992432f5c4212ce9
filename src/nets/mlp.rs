//! A multilayer perceptron whose every trainable weight feeds a normalization:
//!
//! ```text
//!     a₀ = x,  z_l = W_l a_{l−1},  h_l = Norm(z_l),  a_l = ReLU(h_l),  logits = V a_L
//! ```
//!
//! no biases, no affine parameters, V frozen: L(c₁W₁, …, c_LW_L) = L(W₁, …, W_L) for c_l > 0.
//! θ = (W₁, …, W_L[, V]) row-major.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::head::{head_loss, init_head};
use super::norm::{norm_backward, norm_forward, NormCache};
use super::{Dataset, Head, NormKind};
use crate::linalg::Vector;
use crate::loss::Objective;
use crate::scalar::Real;

/// The normalized MLP on a dataset.
#[derive(Debug, Clone)]
pub struct Mlp<T> {
    data: Dataset,
    inputs: Vec<Vec<T>>,
    widths: Vec<usize>,
    norm: NormKind,
    head: Head,
    frozen_v: Vec<T>,
}

struct Layer<T> {
    input: Vec<T>,
    cache: NormCache<T>,
}

impl<T: Real> Mlp<T> {
    /// Hidden widths `widths`, normalization `norm`, head frozen or trainable.
    pub fn new(data: Dataset, widths: Vec<usize>, norm: NormKind, head: Head) -> Self {
        let inputs = data
            .inputs
            .iter()
            .map(|x| x.iter().map(|v| T::from_f64(*v)).collect())
            .collect();
        let last = *widths.last().unwrap_or(&data.features);
        let frozen_v = init_head(data.classes, last, data.seed);
        Mlp {
            data,
            inputs,
            widths,
            norm,
            head,
            frozen_v,
        }
    }

    fn shapes(&self) -> Vec<(usize, usize)> {
        let mut fan_in = self.data.features;
        self.widths
            .iter()
            .map(|&w| {
                let s = (w, fan_in);
                fan_in = w;
                s
            })
            .collect()
    }

    /// Number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        let layers: usize = self.shapes().iter().map(|(a, b)| a * b).sum();
        layers
            + if self.head == Head::Trainable {
                self.frozen_v.len()
            } else {
                0
            }
    }

    /// θ₀: weights N(0, 1/fan_in) from the seeded stream `seed` (the trainable head starts at V).
    pub fn init_params(&self, seed: u64) -> Vector<T> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = Vec::with_capacity(self.parameter_count());
        for (rows, cols) in self.shapes() {
            let scale = 1.0 / (cols as f64).sqrt();
            for _ in 0..rows * cols {
                let x: f64 = StandardNormal.sample(&mut rng);
                theta.push(T::from_f64(x * scale));
            }
        }
        if self.head == Head::Trainable {
            theta.extend(self.frozen_v.iter().cloned());
        }
        Vector::from_vec(theta)
    }

    /// (L_batch(θ), ∇L_batch(θ)).
    pub fn evaluate(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        let index = &self.data.batches[batch % self.data.batches.len()];
        let n = index.len();
        let mut a: Vec<T> = index
            .iter()
            .flat_map(|&i| self.inputs[i].iter().cloned())
            .collect();
        let mut layers = Vec::with_capacity(self.widths.len());
        let mut offset = 0;
        for (rows, cols) in self.shapes() {
            let w = &theta.as_slice()[offset..offset + rows * cols];
            offset += rows * cols;
            let mut z = Vec::with_capacity(n * rows);
            for s in 0..n {
                for r in 0..rows {
                    z.push((0..cols).fold(T::zero(), |mut acc, f| {
                        acc.add_product(&w[r * cols + f], &a[s * cols + f]);
                        acc
                    }));
                }
            }
            let cache = norm_forward(&z, (n, rows, 1), self.norm);
            let zero = T::zero();
            let next: Vec<T> = cache
                .h()
                .iter()
                .map(|x| if *x > zero { x.clone() } else { zero.clone() })
                .collect();
            layers.push(Layer { input: a, cache });
            a = next;
        }
        let features = *self.widths.last().unwrap_or(&self.data.features);
        let v = match self.head {
            Head::Frozen => &self.frozen_v[..],
            Head::Trainable => &theta.as_slice()[offset..],
        };
        let labels: Vec<usize> = index.iter().map(|&i| self.data.labels[i]).collect();
        let (loss, mut da, dv) = head_loss(v, &a, &labels, self.data.classes, features);
        let shapes = self.shapes();
        let mut grads: Vec<Vec<T>> = Vec::with_capacity(shapes.len());
        let mut offset_end = offset;
        for (layer, &(rows, cols)) in layers.iter().zip(&shapes).rev() {
            let start = offset_end - rows * cols;
            let w = &theta.as_slice()[start..offset_end];
            offset_end = start;
            let zero = T::zero();
            let dh: Vec<T> = da
                .iter()
                .zip(layer.cache.h())
                .map(|(d, h)| if *h > zero { d.clone() } else { zero.clone() })
                .collect();
            let dz = norm_backward(&dh, &layer.cache);
            let mut dw = vec![T::zero(); rows * cols];
            let mut d_in = vec![T::zero(); n * cols];
            for s in 0..n {
                for r in 0..rows {
                    let g = &dz[s * rows + r];
                    for f in 0..cols {
                        dw[r * cols + f].add_product(g, &layer.input[s * cols + f]);
                        d_in[s * cols + f].add_product(g, &w[r * cols + f]);
                    }
                }
            }
            grads.push(dw);
            da = d_in;
        }
        let mut gradient: Vec<T> = grads.into_iter().rev().flatten().collect();
        if self.head == Head::Trainable {
            gradient.extend(dv);
        }
        (loss, Vector::from_vec(gradient))
    }
}

impl<T: Real> Objective<T> for Mlp<T> {
    fn name(&self) -> String {
        let head = if self.head == Head::Trainable {
            ", trainable head"
        } else {
            ""
        };
        let widths: Vec<String> = self.widths.iter().map(|w| w.to_string()).collect();
        format!(
            "mlp-{} {}-{}-{}{head} ({} params, {} batches of {})",
            self.norm.short(),
            self.data.features,
            widths.join("-"),
            self.data.classes,
            self.parameter_count(),
            self.data.batches.len(),
            self.data.batches[0].len()
        )
    }
    fn dim(&self) -> usize {
        self.parameter_count()
    }
    fn batches(&self) -> usize {
        self.data.batches.len()
    }
    fn loss(&self, theta: &Vector<T>, batch: usize) -> T {
        self.evaluate(theta, batch).0
    }
    fn gradient(&self, theta: &Vector<T>, batch: usize) -> Vector<T> {
        self.evaluate(theta, batch).1
    }
    fn loss_and_gradient(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        self.evaluate(theta, batch)
    }
    fn scale_invariant(&self) -> bool {
        self.head == Head::Frozen
    }
}
