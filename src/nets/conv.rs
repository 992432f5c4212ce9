//! A small convolutional net on s×s single-channel images (the dataset's features, row-major):
//!
//! ```text
//!     z₁ = K₁ ⋆ x,  a₁ = ReLU(Norm(z₁)),  z₂ = K₂ ⋆ a₁,  a₂ = ReLU(Norm(z₂)),
//!     f = mean over positions of a₂,  logits = V f
//! ```
//!
//! 3×3 kernels, stride 1, zero padding 1, no biases, Norm = BN or IN without affine, V frozen.
//! θ = (K₁, K₂) laid out [out][in][3][3].

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::head::{head_loss, init_head};
use super::norm::{norm_backward, norm_forward};
use super::{Dataset, NormKind};
use crate::linalg::Vector;
use crate::loss::Objective;
use crate::scalar::Real;

/// The normalized conv net.
#[derive(Debug, Clone)]
pub struct ConvNet<T> {
    data: Dataset,
    inputs: Vec<Vec<T>>,
    side: usize,
    channels: (usize, usize),
    norm: NormKind,
    frozen_v: Vec<T>,
}

/// z[n][co][p] = Σ_{ci,dy,dx} k[co][ci][dy][dx] · x[n][ci][p + (dy−1, dx−1)].
fn conv<T: Real>(x: &[T], k: &[T], n: usize, cin: usize, cout: usize, side: usize) -> Vec<T> {
    let area = side * side;
    let mut z = vec![T::zero(); n * cout * area];
    for s in 0..n {
        for co in 0..cout {
            for y in 0..side {
                for xx in 0..side {
                    let mut acc = T::zero();
                    for ci in 0..cin {
                        for dy in 0..3 {
                            for dx in 0..3 {
                                let (yy, xc) = (y + dy, xx + dx);
                                if yy < 1 || xc < 1 || yy > side || xc > side {
                                    continue;
                                }
                                let input = &x[(s * cin + ci) * area + (yy - 1) * side + (xc - 1)];
                                acc.add_product(&k[((co * cin + ci) * 3 + dy) * 3 + dx], input);
                            }
                        }
                    }
                    z[(s * cout + co) * area + y * side + xx] = acc;
                }
            }
        }
    }
    z
}

/// (∂L/∂k, ∂L/∂x) of [`conv`] from ∂L/∂z.
fn conv_backward<T: Real>(
    dz: &[T],
    x: &[T],
    k: &[T],
    n: usize,
    cin: usize,
    cout: usize,
    side: usize,
) -> (Vec<T>, Vec<T>) {
    let area = side * side;
    let mut dk = vec![T::zero(); cout * cin * 9];
    let mut dx = vec![T::zero(); n * cin * area];
    for s in 0..n {
        for co in 0..cout {
            for y in 0..side {
                for xx in 0..side {
                    let g = &dz[(s * cout + co) * area + y * side + xx];
                    for ci in 0..cin {
                        for dy in 0..3 {
                            for dxk in 0..3 {
                                let (yy, xc) = (y + dy, xx + dxk);
                                if yy < 1 || xc < 1 || yy > side || xc > side {
                                    continue;
                                }
                                let xi = (s * cin + ci) * area + (yy - 1) * side + (xc - 1);
                                let ki = ((co * cin + ci) * 3 + dy) * 3 + dxk;
                                dk[ki].add_product(g, &x[xi]);
                                dx[xi].add_product(g, &k[ki]);
                            }
                        }
                    }
                }
            }
        }
    }
    (dk, dx)
}

impl<T: Real> ConvNet<T> {
    /// A net on `side`×`side` images (the dataset must have side² features).
    pub fn new(data: Dataset, side: usize, channels: (usize, usize), norm: NormKind) -> Self {
        let inputs = data
            .inputs
            .iter()
            .map(|x| x.iter().map(|v| T::from_f64(*v)).collect())
            .collect();
        let frozen_v = init_head(data.classes, channels.1, data.seed);
        ConvNet {
            data,
            inputs,
            side,
            channels,
            norm,
            frozen_v,
        }
    }

    fn sizes(&self) -> (usize, usize) {
        (self.channels.0 * 9, self.channels.1 * self.channels.0 * 9)
    }

    /// θ₀ with kernels N(0, 1/fan_in) from the seeded stream `seed`.
    pub fn init_params(&self, seed: u64) -> Vector<T> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = self.sizes();
        let mut theta = Vec::with_capacity(a + b);
        for (count, fan_in) in [(a, 9.0), (b, 9.0 * self.channels.0 as f64)] {
            for _ in 0..count {
                let x: f64 = StandardNormal.sample(&mut rng);
                theta.push(T::from_f64(x / fan_in.sqrt()));
            }
        }
        Vector::from_vec(theta)
    }

    /// (L_batch(θ), ∇L_batch(θ)).
    pub fn evaluate(&self, theta: &Vector<T>, batch: usize) -> (T, Vector<T>) {
        let index = &self.data.batches[batch % self.data.batches.len()];
        let n = index.len();
        let (c1, c2) = self.channels;
        let side = self.side;
        let area = side * side;
        let (size1, _) = self.sizes();
        let k1 = &theta.as_slice()[..size1];
        let k2 = &theta.as_slice()[size1..];
        let x: Vec<T> = index
            .iter()
            .flat_map(|&i| self.inputs[i].iter().cloned())
            .collect();
        let z1 = conv(&x, k1, n, 1, c1, side);
        // Operands by reference and one zero for the ReLU tests: at a few hundred bits a copy
        // or a fresh zero costs an allocation, more than the comparison.
        let zero = T::zero();
        let cache1 = norm_forward(&z1, (n, c1, area), self.norm);
        let h1 = cache1.h();
        let a1: Vec<T> = h1
            .iter()
            .map(|v| if *v > zero { v.clone() } else { zero.clone() })
            .collect();
        let z2 = conv(&a1, k2, n, c1, c2, side);
        let cache2 = norm_forward(&z2, (n, c2, area), self.norm);
        let h2 = cache2.h();
        let positions = T::from_int(area as i64);
        let mut pooled = vec![T::zero(); n * c2];
        for (i, h) in h2.iter().enumerate() {
            if *h > zero {
                let mut share = h.clone();
                share.div_assign_ref(&positions);
                pooled[i / area].add_assign_ref(&share);
            }
        }
        let labels: Vec<usize> = index.iter().map(|&i| self.data.labels[i]).collect();
        let (loss, dpooled, _) = head_loss(&self.frozen_v, &pooled, &labels, self.data.classes, c2);
        // ∂L/∂h at a position: ∂L/∂(pooled)/positions, the same quotient for every position.
        let per_position: Vec<T> = dpooled
            .iter()
            .map(|d| {
                let mut q = d.clone();
                q.div_assign_ref(&positions);
                q
            })
            .collect();
        let dh2: Vec<T> = h2
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if *h > zero {
                    per_position[i / area].clone()
                } else {
                    zero.clone()
                }
            })
            .collect();
        let dz2 = norm_backward(&dh2, &cache2);
        let (dk2, da1) = conv_backward(&dz2, &a1, k2, n, c1, c2, side);
        let dh1: Vec<T> = da1
            .iter()
            .zip(h1)
            .map(|(d, h)| if *h > zero { d.clone() } else { zero.clone() })
            .collect();
        let dz1 = norm_backward(&dh1, &cache1);
        let (dk1, _) = conv_backward(&dz1, &x, k1, n, 1, c1, side);
        (loss, Vector::from_vec(dk1.into_iter().chain(dk2).collect()))
    }
}

impl<T: Real> Objective<T> for ConvNet<T> {
    fn name(&self) -> String {
        let (a, b) = self.sizes();
        format!(
            "conv-{} {s}x{s}x1-{}-{}-{} ({} params, {} batches of {})",
            self.norm.short(),
            self.channels.0,
            self.channels.1,
            self.data.classes,
            a + b,
            self.data.batches.len(),
            self.data.batches[0].len(),
            s = self.side
        )
    }
    fn dim(&self) -> usize {
        let (a, b) = self.sizes();
        a + b
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
        true
    }
}
