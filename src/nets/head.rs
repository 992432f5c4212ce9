//! The output layer and the loss: logits = V a, cross-entropy
//! L = mean_n [ln Σ_k e^(l_nk) − l_n,y_n], with ∂L/∂l = (softmax(l) − onehot(y)) / N.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::scalar::Real;

/// Whether V is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// Frozen at its initialization: the loss is scale invariant (the paper's setting).
    Frozen,
    /// Trained with the rest: not scale invariant (a negative control).
    Trainable,
}

/// A seeded K × F matrix with entries N(0, 1/F), row-major, exactly converted.
pub fn init_head<T: Real>(classes: usize, features: usize, seed: u64) -> Vec<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4845_4144);
    let scale = 1.0 / (features.max(1) as f64).sqrt();
    (0..classes * features)
        .map(|_| {
            let x: f64 = StandardNormal.sample(&mut rng);
            T::from_f64(x * scale)
        })
        .collect()
}

/// Cross-entropy of logits V a for features `a` ([n][f]); returns (loss, ∂L/∂a, ∂L/∂V).
pub fn head_loss<T: Real>(
    v: &[T],
    a: &[T],
    labels: &[usize],
    classes: usize,
    features: usize,
) -> (T, Vec<T>, Vec<T>) {
    let n = labels.len();
    let count = T::from_int(n as i64);
    let mut loss = T::zero();
    let mut da = vec![T::zero(); n * features];
    let mut dv = vec![T::zero(); classes * features];
    for (i, &y) in labels.iter().enumerate() {
        let row = &a[i * features..(i + 1) * features];
        let logits: Vec<T> = (0..classes)
            .map(|k| {
                (0..features).fold(T::zero(), |mut acc, f| {
                    acc.add_product(&v[k * features + f], &row[f]);
                    acc
                })
            })
            .collect();
        let max = logits
            .iter()
            .cloned()
            .fold(logits[0].clone(), |m, x| if x > m { x } else { m });
        let exps: Vec<T> = logits
            .iter()
            .map(|l| {
                let mut shifted = l.clone();
                shifted.sub_assign_ref(&max);
                shifted.exp()
            })
            .collect();
        let total = exps.iter().fold(T::zero(), |mut acc, e| {
            acc.add_assign_ref(e);
            acc
        });
        let mut term = total.ln();
        term.add_assign_ref(&max);
        term.sub_assign_ref(&logits[y]);
        loss.add_assign_ref(&term);
        for k in 0..classes {
            let mut dl = exps[k].clone();
            dl.div_assign_ref(&total);
            if k == y {
                dl -= T::one();
            }
            dl.div_assign_ref(&count);
            for f in 0..features {
                da[i * features + f].add_product(&dl, &v[k * features + f]);
                dv[k * features + f].add_product(&dl, &row[f]);
            }
        }
    }
    (loss / count, da, dv)
}
