//! The equivalent schedules of SPEC §3, in any field arithmetic.
//!
//! - WD shadow (T3): the optimizer on a scalar z with zero loss gradient,
//!   z₀ = 1, u₀ = 0, u_{t+1} = γ u_t + λ_t z_t, z_{t+1} = z_t − η_t u_{t+1}; Z_t := z_t, and
//!   η̃_t = η_t / (Z_t Z_{t+1}).
//! - T1 (γ = 0, constant η, λ): Z_t = (1 − λη)ᵗ, η̃_t = η (1 − λη)^(−2t−1).
//! - T2 (constant η, λ, γ): α a root of x² − (1 + γ − λη) x + γ = 0, Z_t = αᵗ,
//!   η̃_t = η α^(−2t−1), initial buffer ṽ₀ = ((α − 1)/(α η)) θ₀.
//! - T4 (TEXP for step decay): η̃₀ = η₀/α*₀; inside phase I η̃_t = η̃_{t−1} (α*_I)^(−2); at the
//!   first step of phase I ≥ 1, η̃_t = η̃_{t−1} (η_I/η_{I−1}) (α*_{I−1} α*_I)^(−1).

use crate::error::{Error, Result};
use crate::scalar::Field;

/// Z_0, …, Z_T of the WD shadow for η_t, λ_t, γ.
pub fn wd_shadow<T: Field>(lr: &[T], weight_decay: &[T], momentum: &T) -> Vec<T> {
    let mut z = T::one();
    let mut u = T::zero();
    let mut out = Vec::with_capacity(lr.len() + 1);
    out.push(z.clone());
    for (eta, lambda) in lr.iter().zip(weight_decay) {
        u = momentum.clone() * u + lambda.clone() * z.clone();
        z -= eta.clone() * u.clone();
        out.push(z.clone());
    }
    out
}

/// η̃_t = η_t / (Z_t Z_{t+1}); errors if some Z_t ≤ 0 (the theorem needs Z_t > 0).
pub fn exact_schedule<T: Field>(lr: &[T], shadow: &[T]) -> Result<Vec<T>> {
    if let Some(t) = shadow.iter().position(|z| *z <= T::zero()) {
        // Z_t is driven by the product λη (and γ): name both flags.
        return Err(Error::invalid(
            "--lr and --weight-decay",
            format!("Z_{t} = {:.4e}", shadow[t].to_f64()),
            "the WD shadow must stay positive for T3; lower lr*wd",
        ));
    }
    Ok(lr
        .iter()
        .enumerate()
        .map(|(t, eta)| eta.clone() / (shadow[t].clone() * shadow[t + 1].clone()))
        .collect())
}

/// T1's closed form: (η̃_t for t < T, Z_t for t ≤ T).
pub fn t1_schedule<T: Field>(lr: &T, weight_decay: &T, steps: usize) -> (Vec<T>, Vec<T>) {
    let q = T::one() - lr.clone() * weight_decay.clone();
    let tilde = (0..steps)
        .map(|t| lr.clone() * q.powi(-(2 * t as i64) - 1))
        .collect();
    let z = (0..=steps).map(|t| q.powi(t as i64)).collect();
    (tilde, z)
}

/// Which root of x² − (1 + γ − λη) x + γ = 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// The larger root α* (the practical one).
    Larger,
    /// The smaller root (the identity holds for it too).
    Smaller,
}

/// α for T2; errors when λη > (1 − √γ)² (complex roots) or when the root is irrational in exact
/// arithmetic.
pub fn t2_root<T: Field>(lr: &T, weight_decay: &T, momentum: &T, root: Root) -> Result<T> {
    let b = T::one() + momentum.clone() - lr.clone() * weight_decay.clone();
    let disc = b.clone() * b.clone() - T::from_int(4) * momentum.clone();
    if disc < T::zero() {
        return Err(Error::invalid(
            "--weight-decay",
            weight_decay,
            format!(
                "T2 needs real roots of x^2 - (1 + momentum - lr*wd) x + momentum, i.e. lr*wd <= (1 - sqrt(momentum))^2; here lr*wd = {}",
                (lr.clone() * weight_decay.clone()).to_f64()
            ),
        ));
    }
    let root_of_disc = disc.try_sqrt().ok_or_else(|| {
        Error::unsupported(
            "T2 root",
            disc.to_f64(),
            "the discriminant is not a perfect square, so alpha is irrational and T2 cannot be checked exactly",
        )
    })?;
    let two = T::from_int(2);
    Ok(match root {
        Root::Larger => (b + root_of_disc) / two,
        Root::Smaller => (b - root_of_disc) / two,
    })
}

/// T2's closed form for root α: (η̃_t = η α^(−2t−1) for t < T, Z_t = αᵗ for t ≤ T).
pub fn t2_schedule<T: Field>(lr: &T, alpha: &T, steps: usize) -> (Vec<T>, Vec<T>) {
    let tilde = (0..steps)
        .map(|t| lr.clone() * alpha.powi(-(2 * t as i64) - 1))
        .collect();
    let z = (0..=steps).map(|t| alpha.powi(t as i64)).collect();
    (tilde, z)
}

/// The coefficient (α − 1)/(α η) of the exact initial buffer ṽ₀ = c θ₀.
pub fn t2_buffer_coefficient<T: Field>(lr: &T, alpha: &T) -> T {
    (alpha.clone() - T::one()) / (alpha.clone() * lr.clone())
}

/// TEXP (T4) for a step-decay LR sequence with constant λ, γ: the tapered exponential schedule.
pub fn texp_schedule<T: Field>(lr: &[T], weight_decay: &T, momentum: &T) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::with_capacity(lr.len());
    let mut previous: Option<(T, T)> = None;
    for eta in lr {
        let alpha = t2_root(eta, weight_decay, momentum, Root::Larger)?;
        let next = match (&previous, out.last()) {
            (None, _) | (_, None) => eta.clone() / alpha.clone(),
            (Some((prev_eta, prev_alpha)), Some(last)) => {
                if prev_eta == eta {
                    last.clone() / (alpha.clone() * alpha.clone())
                } else {
                    last.clone() * (eta.clone() / prev_eta.clone())
                        / (prev_alpha.clone() * alpha.clone())
                }
            }
        };
        out.push(next);
        previous = Some((eta.clone(), alpha));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_rational::BigRational;

    fn r(n: i64, d: i64) -> BigRational {
        BigRational::from_ratio(n, d)
    }

    /// With γ = 0 the shadow is z_{t+1} = (1 − ηλ) z_t, so T3's schedule is T1's closed form.
    #[test]
    fn shadow_reduces_to_t1_without_momentum() {
        let lr = vec![r(1, 10); 6];
        let wd = vec![r(1, 20); 6];
        let z = wd_shadow(&lr, &wd, &r(0, 1));
        let (tilde, z1) = t1_schedule(&r(1, 10), &r(1, 20), 6);
        assert_eq!(z, z1);
        assert_eq!(exact_schedule(&lr, &z).unwrap(), tilde);
    }

    /// For γ = 9/10, η = 1/10, λ = 1/38: 1 + γ − λη = 721/380 and the roots are 19/20, 18/19
    /// (19/20 · 18/19 = 9/10 = γ, 19/20 + 18/19 = 721/380), so α is exact.
    #[test]
    fn exact_roots_when_the_discriminant_is_a_square() {
        let (lr, wd, m) = (r(1, 10), r(1, 38), r(9, 10));
        assert_eq!(t2_root(&lr, &wd, &m, Root::Larger).unwrap(), r(19, 20));
        assert_eq!(t2_root(&lr, &wd, &m, Root::Smaller).unwrap(), r(18, 19));
        assert!(t2_root(&lr, &r(1, 100), &m, Root::Larger).is_err());
        assert!(t2_root(&lr, &r(1, 1), &m, Root::Larger).is_err());
    }

    /// SPEC §3: η = 0.1, λ = 5e-4, γ = 0.9 with 391 iterations per epoch gives the paper's
    /// "LR × 1.481 per epoch": α*^(−2·391) = 1.481 (to 3 decimals).
    #[test]
    fn paper_checkpoint_growth_per_epoch() {
        let alpha = t2_root(&0.1, &5e-4, &0.9, Root::Larger).unwrap();
        let per_epoch = alpha.powi(-2 * 391);
        assert!((per_epoch - 1.481).abs() < 5e-4, "{per_epoch}");
    }
}
