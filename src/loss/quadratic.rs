//! Rational losses: the Rayleigh quotient R(w) = wᵀAw / wᵀw (scale invariant, a normalized
//! quadratic) and the plain quadratic Q(w) = wᵀAw (its un-normalized counterpart).
//!
//! ```text
//!     ∇R(w) = 2 (Aw − R(w) w) / ‖w‖²
//!     ∇²R(w) u = 2 (Au − R u − ⟨∇R, u⟩ w) / ‖w‖² − 4 ⟨w, u⟩ (Aw − R w) / ‖w‖⁴
//! ```
//!
//! Everything is a rational function of w, so exact runs are possible. The companion toy
//! L(w) = w₁² / ‖w‖² is the Rayleigh quotient of A = e₁e₁ᵀ.

use nalgebra::DMatrix;
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::Objective;
use crate::linalg::{dot, norm_sq, Vector};
use crate::scalar::Field;

fn mat_vec<T: Field>(a: &DMatrix<T>, w: &Vector<T>) -> Vector<T> {
    Vector::from_iterator(
        a.nrows(),
        (0..a.nrows()).map(|i| {
            (0..a.ncols()).fold(T::zero(), |mut acc, j| {
                acc.add_product(&a[(i, j)], &w[j]);
                acc
            })
        }),
    )
}

fn e1_projector<T: Field>(dim: usize) -> DMatrix<T> {
    DMatrix::from_fn(dim, dim, |i, j| {
        if i == 0 && j == 0 {
            T::one()
        } else {
            T::zero()
        }
    })
}

/// A symmetric matrix with small integer entries drawn from a seeded stream.
fn random_symmetric<T: Field>(dim: usize, seed: u64) -> DMatrix<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut entries = vec![0i64; dim * dim];
    for i in 0..dim {
        for j in i..dim {
            let v = rng.random_range(-4..=4);
            entries[i * dim + j] = v;
            entries[j * dim + i] = v;
        }
    }
    DMatrix::from_fn(dim, dim, |i, j| T::from_int(entries[i * dim + j]))
}

/// R(w) = wᵀAw / wᵀw.
#[derive(Debug, Clone)]
pub struct Rayleigh<T: Field> {
    a: DMatrix<T>,
    label: String,
}

impl<T: Field> Rayleigh<T> {
    /// The normalized quadratic w₁²/‖w‖² in `dim` dimensions.
    pub fn normalized_quadratic(dim: usize) -> Self {
        Rayleigh {
            a: e1_projector(dim),
            label: format!("normalized-quadratic w1^2/|w|^2 (d={dim})"),
        }
    }

    /// A seeded random symmetric integer matrix A.
    pub fn random(dim: usize, seed: u64) -> Self {
        Rayleigh {
            a: random_symmetric(dim, seed),
            label: format!("rayleigh wAw/ww (d={dim}, integer A from seed {seed})"),
        }
    }

    /// R(w) and ‖w‖², Aw (shared by the gradient and the Hessian).
    fn parts(&self, w: &Vector<T>) -> (T, T, Vector<T>) {
        let aw = mat_vec(&self.a, w);
        let n = norm_sq(w);
        let r = dot(w, &aw) / n.clone();
        (r, n, aw)
    }

    /// ∇R(w) = (2/‖w‖²)(Aw − R(w) w) from the parts (r, ‖w‖², Aw).
    fn gradient_from(r: &T, n: T, aw: &Vector<T>, w: &Vector<T>) -> Vector<T> {
        let two_over_n = T::from_int(2) / n;
        Vector::from_iterator(
            w.len(),
            aw.iter().zip(w.iter()).map(|(a, x)| {
                // (2/n)(a − r x), by reference.
                let mut d = a.clone();
                d.sub_assign_ref(&r.mul_ref(x));
                two_over_n.mul_ref(&d)
            }),
        )
    }
}

impl<T: Field> Objective<T> for Rayleigh<T> {
    fn name(&self) -> String {
        self.label.clone()
    }
    fn dim(&self) -> usize {
        self.a.nrows()
    }
    fn loss(&self, w: &Vector<T>, _batch: usize) -> T {
        self.parts(w).0
    }
    fn gradient(&self, w: &Vector<T>, _batch: usize) -> Vector<T> {
        let (r, n, aw) = self.parts(w);
        Self::gradient_from(&r, n, &aw, w)
    }
    /// One pass over the parts: in exact arithmetic every product and sum costs a gcd of
    /// operands that grow ~4x a step, so computing them twice doubles the run.
    fn loss_and_gradient(&self, w: &Vector<T>, _batch: usize) -> (T, Vector<T>) {
        let (r, n, aw) = self.parts(w);
        let gradient = Self::gradient_from(&r, n, &aw, w);
        (r, gradient)
    }
    fn loss_f64(&self, w: &Vector<T>, _batch: usize) -> f64 {
        let aw = mat_vec(&self.a, w);
        T::dots_to_f64(
            (w.as_slice(), aw.as_slice()),
            Some((w.as_slice(), w.as_slice())),
        )
    }
    fn scale_invariant(&self) -> bool {
        true
    }
    fn hessian_vec(&self, w: &Vector<T>, u: &Vector<T>, batch: usize) -> Option<Vector<T>> {
        let (r, n, aw) = self.parts(w);
        let au = mat_vec(&self.a, u);
        let grad = self.gradient(w, batch);
        let g_u = dot(&grad, u);
        let w_u = dot(w, u);
        let two = T::from_int(2);
        let four = T::from_int(4);
        let n2 = n.clone() * n.clone();
        Some(Vector::from_iterator(
            w.len(),
            (0..w.len()).map(|i| {
                two.clone()
                    * (au[i].clone() - r.clone() * u[i].clone() - g_u.clone() * w[i].clone())
                    / n.clone()
                    - four.clone() * w_u.clone() * (aw[i].clone() - r.clone() * w[i].clone())
                        / n2.clone()
            }),
        ))
    }
}

/// Q(w) = wᵀAw: not scale invariant.
#[derive(Debug, Clone)]
pub struct Quadratic<T: Field> {
    a: DMatrix<T>,
    label: String,
}

impl<T: Field> Quadratic<T> {
    /// w₁², the un-normalized counterpart of the normalized quadratic.
    pub fn first_coordinate(dim: usize) -> Self {
        Quadratic {
            a: e1_projector(dim),
            label: format!("quadratic w1^2 (d={dim})"),
        }
    }
}

impl<T: Field> Objective<T> for Quadratic<T> {
    fn name(&self) -> String {
        self.label.clone()
    }
    fn dim(&self) -> usize {
        self.a.nrows()
    }
    fn loss(&self, w: &Vector<T>, _batch: usize) -> T {
        dot(w, &mat_vec(&self.a, w))
    }
    fn gradient(&self, w: &Vector<T>, _batch: usize) -> Vector<T> {
        let two = T::from_int(2);
        mat_vec(&self.a, w).map(|x| two.mul_ref(&x))
    }
    fn loss_and_gradient(&self, w: &Vector<T>, _batch: usize) -> (T, Vector<T>) {
        let aw = mat_vec(&self.a, w);
        let two = T::from_int(2);
        (dot(w, &aw), aw.map(|x| two.mul_ref(&x)))
    }
    fn loss_f64(&self, w: &Vector<T>, _batch: usize) -> f64 {
        let aw = mat_vec(&self.a, w);
        T::dots_to_f64((w.as_slice(), aw.as_slice()), None)
    }
    fn scale_invariant(&self) -> bool {
        false
    }
    /// ∇²Q = 2A, whatever w.
    fn hessian_vec(&self, _w: &Vector<T>, u: &Vector<T>, _batch: usize) -> Option<Vector<T>> {
        let two = T::from_int(2);
        Some(mat_vec(&self.a, u).map(|x| two.mul_ref(&x)))
    }
}
