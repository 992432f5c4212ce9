//! The equivalent schedules of docs/MATH.md §3, in any field arithmetic: the schedule mathematics
//! the verifier (`theorem`), the converter (`convert`) and the trainer (`train`) share.
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

/// A number kept as m · 2^e: products of thousands of factors near 1 (Z_t = αᵗ,
/// η̃_t = η α^(−2t−1)) neither overflow nor underflow, and rescaling by a power of two is exact
/// in every arithmetic here (binary floats and rationals), so it adds no rounding.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaled<T> {
    /// m, kept within [2⁻³², 2³²] in magnitude.
    pub mantissa: T,
    /// e.
    pub exp2: i64,
}

/// 2ᵏ exactly.
pub fn pow2<T: Field>(k: i64) -> T {
    T::from_int(2).powi(k)
}

/// The power of two that brings |x| (seen through f64) into [2⁻³², 2³²]; 0 when it is there
/// already, or when x is 0 or not finite (nothing to normalize).
pub(crate) fn shift_for(magnitude: f64) -> i64 {
    if magnitude == 0.0 || magnitude.is_nan() {
        0
    } else if magnitude.is_infinite() || magnitude > 2f64.powi(32) {
        32
    } else if magnitude < 2f64.powi(-32) {
        -32
    } else {
        0
    }
}

impl<T: Field> Scaled<T> {
    /// x · 2⁰, normalized.
    pub fn new(x: T) -> Self {
        Scaled {
            mantissa: x,
            exp2: 0,
        }
        .normalized()
    }

    fn normalized(mut self) -> Self {
        // A value far outside f64's range (possible in mp) takes a few rounds.
        for _ in 0..1 << 20 {
            let k = shift_for(self.mantissa.to_f64().abs());
            if k == 0 {
                break;
            }
            self.mantissa *= pow2::<T>(-k);
            self.exp2 += k;
        }
        self
    }

    /// self · x, normalized.
    pub fn times(&self, x: &T) -> Self {
        Scaled {
            mantissa: self.mantissa.clone() * x.clone(),
            exp2: self.exp2,
        }
        .normalized()
    }

    /// m · 2^(e + k) as one number (the caller keeps e + k moderate).
    pub fn value_times_pow2(&self, k: i64) -> T {
        self.mantissa.clone() * pow2::<T>(self.exp2 + k)
    }

    /// The value m · 2^e.
    pub fn value(&self) -> T {
        self.value_times_pow2(0)
    }

    /// log₁₀ of the value (for reports).
    pub fn log10(&self) -> f64 {
        self.mantissa.to_f64().abs().log10() + self.exp2 as f64 * std::f64::consts::LOG10_2
    }
}

/// c · qᵗ for t = 0, …, n − 1 as a running product (t rounding errors at step t; exact in
/// rationals).
fn geometric<T: Field>(c: &T, q: &T, n: usize) -> Vec<Scaled<T>> {
    let mut out = Vec::with_capacity(n);
    let mut x = Scaled::new(c.clone());
    for _ in 0..n {
        out.push(x.clone());
        x = x.times(q);
    }
    out
}

/// T1's closed form: (η̃_t for t < T, Z_t for t ≤ T).
pub fn t1_schedule<T: Field>(
    lr: &T,
    weight_decay: &T,
    steps: usize,
) -> (Vec<Scaled<T>>, Vec<Scaled<T>>) {
    let q = T::one() - lr.clone() * weight_decay.clone();
    geometric_pair(lr, &q, steps)
}

/// (η q^(−2t−1) for t < T, qᵗ for t ≤ T): the schedule and the factor of T1 (q = 1 − λη) and
/// T2 (q = α).
fn geometric_pair<T: Field>(lr: &T, q: &T, steps: usize) -> (Vec<Scaled<T>>, Vec<Scaled<T>>) {
    let inv_sq = T::one() / (q.clone() * q.clone());
    let tilde = geometric(&(lr.clone() / q.clone()), &inv_sq, steps);
    let z = geometric(&T::one(), q, steps + 1);
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
        let reason = if T::EXACT {
            "the discriminant is not a perfect square, so alpha is irrational and T2 cannot be checked exactly"
        } else {
            // An enclosure that contains 0: α is at (or next to) the double root, and its sign
            // is not decided at this precision.
            "the discriminant's enclosure contains 0 (lr*wd at or next to (1 - sqrt(momentum))^2, a double root): raise --precision, or move lr*wd off the double root"
        };
        Error::unsupported("T2 root", disc.to_f64(), reason)
    })?;
    let two = T::from_int(2);
    Ok(match root {
        Root::Larger => (b + root_of_disc) / two,
        Root::Smaller => (b - root_of_disc) / two,
    })
}

/// T2's closed form for root α: (η̃_t = η α^(−2t−1) for t < T, Z_t = αᵗ for t ≤ T).
pub fn t2_schedule<T: Field>(lr: &T, alpha: &T, steps: usize) -> (Vec<Scaled<T>>, Vec<Scaled<T>>) {
    geometric_pair(lr, alpha, steps)
}

/// The coefficient (α − 1)/(α η) of the exact initial buffer ṽ₀ = c θ₀.
pub fn t2_buffer_coefficient<T: Field>(lr: &T, alpha: &T) -> T {
    (alpha.clone() - T::one()) / (alpha.clone() * lr.clone())
}

/// TEXP (T4) for a step-decay LR sequence with constant λ, γ: the tapered exponential schedule.
pub fn texp_schedule<T: Field>(lr: &[T], weight_decay: &T, momentum: &T) -> Result<Vec<T>> {
    texp_with_boundary(lr, weight_decay, momentum, Boundary::Paper)
}

/// TEXP's factor at a phase boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// (η_I/η_{I−1}) (α*_{I−1} α*_I)^(−1), the construction.
    Paper,
    /// (η_I/η_{I−1}) (α*_I)^(−2): a plausible slip, kept as T4's injected violation.
    NewRootSquared,
}

/// TEXP with the given boundary factor.
pub fn texp_with_boundary<T: Field>(
    lr: &[T],
    weight_decay: &T,
    momentum: &T,
    boundary: Boundary,
) -> Result<Vec<T>> {
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
                    let previous_root = match boundary {
                        Boundary::Paper => prev_alpha.clone(),
                        Boundary::NewRootSquared => alpha.clone(),
                    };
                    last.clone() * (eta.clone() / prev_eta.clone())
                        / (previous_root * alpha.clone())
                }
            }
        };
        out.push(next);
        previous = Some((eta.clone(), alpha));
    }
    Ok(out)
}

/// The phases [T_I, T_{I+1}) of a piecewise-constant LR sequence.
pub fn phases<T: Field>(lr: &[T]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for t in 1..=lr.len() {
        if t == lr.len() || lr[t] != lr[t - 1] {
            out.push((start, t));
            start = t;
        }
    }
    out
}

/// What the modal solution of the WD shadow predicts about TEXP (docs/MATH.md, "T4").
#[derive(Debug, Clone)]
pub struct TexpPrediction {
    /// The phases [T_I, T_{I+1}).
    pub phases: Vec<(usize, usize)>,
    /// The settled factor r_I = lim exact/TEXP of each phase, predicted without TEXP's boundary
    /// formula: r_0 = 1/A_0², r_I = r_{I−1} (A_{I−1} α_{I−1}^{L_{I−1}} / A_I)².
    pub factors: Vec<f64>,
    /// The second mode's share |B_I/A_I| at the phase's first step (the transient's size).
    pub share: Vec<f64>,
    /// Bound on how far exact/TEXP at the phase's last step can still be from r_I:
    /// 3 |B_I/A_I| (α₂/α₁)^(L_I − 1).
    pub remainder: Vec<f64>,
}

/// Within a phase with constant η, λ, γ the shadow is z_{k+1} = (1 + γ − λη) z_k − γ z_{k−1},
/// so z_k = A α₁ᵏ + B α₂ᵏ with A + B = z_0 and A α₁ + B α₂ = z_1. Returns the predicted
/// settled factors of TEXP for a step-decay sequence (floats: the roots are irrational).
pub fn texp_prediction<T: Field>(
    lr: &[T],
    weight_decay: &T,
    momentum: &T,
) -> Result<TexpPrediction> {
    let phases = phases(lr);
    let (mut z, mut u) = (T::one(), T::zero());
    let mut factors = Vec::with_capacity(phases.len());
    let mut share = Vec::with_capacity(phases.len());
    let mut remainder = Vec::with_capacity(phases.len());
    // The previous phase's leading mode extrapolated to the boundary: A_{I−1} α_{I−1}^{L_{I−1}}.
    let mut extrapolated: Option<T> = None;
    for &(start, end) in &phases {
        let eta = &lr[start];
        let a1 = t2_root(eta, weight_decay, momentum, Root::Larger)?;
        let a2 = t2_root(eta, weight_decay, momentum, Root::Smaller)?;
        // A double root has one mode, not two: A and B are undefined (a division by 0).
        if a1 == a2 {
            return Err(Error::invalid(
                "--weight-decay",
                weight_decay,
                format!(
                    "lr*wd = (1 - sqrt(momentum))^2 at lr = {}: a double root, where TEXP's settled factor is undefined",
                    eta.to_f64()
                ),
            ));
        }
        let z1 = z.clone()
            - eta.clone() * (momentum.clone() * u.clone() + weight_decay.clone() * z.clone());
        let big_a = (z1 - a2.clone() * z.clone()) / (a1.clone() - a2.clone());
        let big_b = z.clone() - big_a.clone();
        let rho = (big_b / big_a.clone()).to_f64().abs();
        let q = (a2.clone() / a1.clone()).to_f64().abs();
        let factor = match (&extrapolated, factors.last()) {
            (Some(e), Some(&previous)) => previous * (e.clone() / big_a.clone()).to_f64().powi(2),
            _ => 1.0 / big_a.to_f64().powi(2),
        };
        factors.push(factor);
        share.push(rho);
        remainder.push(3.0 * rho * q.powi((end - start - 1) as i32));
        extrapolated = Some(big_a * a1.powi((end - start) as i64));
        for eta_t in &lr[start..end] {
            u = momentum.clone() * u + weight_decay.clone() * z.clone();
            z -= eta_t.clone() * u.clone();
        }
    }
    Ok(TexpPrediction {
        phases,
        factors,
        share,
        remainder,
    })
}

/// Nesterov momentum and AdamW (docs/MATH.md §3.4–§3.5): their WD shadows and the twins'
/// per-step hyper-parameters.
/// Nesterov's WD shadow: PyTorch's Nesterov step on a scalar with zero gradient,
/// z₀ = 1, u₀ = 0, u_{t+1} = γu_t + λ_t z_t, z_{t+1} = z_t − η_t(λ_t z_t + γ u_{t+1}).
pub fn nesterov_shadow<T: Field>(lr: &[T], weight_decay: &[T], momentum: &T) -> Vec<T> {
    let (mut z, mut u) = (T::one(), T::zero());
    let mut out = Vec::with_capacity(lr.len() + 1);
    out.push(z.clone());
    for (eta, lambda) in lr.iter().zip(weight_decay) {
        let d = lambda.clone() * z.clone();
        u = momentum.clone() * u + d.clone();
        z -= eta.clone() * (d + momentum.clone() * u.clone());
        out.push(z.clone());
    }
    out
}

/// The Nesterov twin's coefficients (a_t, b_t, μ_t), docs/MATH.md §3.4:
/// a_t = η_t / (Z_t² (1 − η_tλ_t)), b_t = η_t(1 + γ)/(Z_t Z_{t+1}) − a_t,
/// μ_t = Z_{t−1} γ η_t (1/η_{t−1} − λ_{t−1}) b_{t−1} / (Z_{t+1} b_t) (μ₀ = γ: ṽ₀ = 0 is never
/// multiplied by it). Errors name the flags when a Z_t, 1 − η_tλ_t or b_t is not positive.
pub fn nesterov_twin<T: Field>(
    lr: &[T],
    weight_decay: &[T],
    momentum: &T,
    z: &[T],
) -> Result<(Vec<T>, Vec<T>, Vec<T>)> {
    let bad = |what: String| {
        Error::invalid(
            "--lr and --weight-decay",
            what,
            "the Nesterov twin needs Z_t > 0, lr*wd < 1 and a positive look-ahead; lower lr*wd",
        )
    };
    if let Some(t) = z.iter().position(|x| *x <= T::zero()) {
        return Err(bad(format!("Z_{t} = {:.4e}", z[t].to_f64())));
    }
    let one = T::one();
    let mut a = Vec::with_capacity(lr.len());
    let mut b = Vec::with_capacity(lr.len());
    for t in 0..lr.len() {
        let keep = one.clone() - lr[t].clone() * weight_decay[t].clone();
        if keep <= T::zero() {
            return Err(bad(format!(
                "1 - lr wd = {:.4e} at step {t}",
                keep.to_f64()
            )));
        }
        let at = lr[t].clone() / (z[t].clone() * z[t].clone() * keep);
        let total =
            lr[t].clone() * (one.clone() + momentum.clone()) / (z[t].clone() * z[t + 1].clone());
        let bt = total - at.clone();
        if bt <= T::zero() {
            return Err(bad(format!("b_{t} = {:.4e}", bt.to_f64())));
        }
        a.push(at);
        b.push(bt);
    }
    let mut mu = Vec::with_capacity(lr.len());
    for t in 0..lr.len() {
        mu.push(if t == 0 {
            momentum.clone()
        } else {
            let c = z[t - 1].clone()
                * momentum.clone()
                * lr[t].clone()
                * (one.clone() / lr[t - 1].clone() - weight_decay[t - 1].clone());
            c * b[t - 1].clone() / (z[t + 1].clone() * b[t].clone())
        });
    }
    Ok((a, b, mu))
}

/// AdamW's shadow Z_t = Π_{s<t} (1 − η_s λ_s).
pub fn adamw_shadow<T: Field>(lr: &[T], weight_decay: &[T]) -> Result<Vec<T>> {
    let mut z = T::one();
    let mut out = Vec::with_capacity(lr.len() + 1);
    out.push(z.clone());
    for (t, (eta, lambda)) in lr.iter().zip(weight_decay).enumerate() {
        let keep = T::one() - eta.clone() * lambda.clone();
        if keep <= T::zero() {
            return Err(Error::invalid(
                "--adam-lr and --adam-weight-decay",
                format!("1 - lr wd = {:.4e} at step {t}", keep.to_f64()),
                "AdamW's decay factor must stay positive",
            ));
        }
        z *= keep;
        out.push(z.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    fn r(n: i64, d: i64) -> Rational {
        Rational::from_ratio(n, d)
    }

    /// With γ = 0 the shadow is z_{t+1} = (1 − ηλ) z_t, so T3's schedule is T1's closed form.
    #[test]
    fn shadow_reduces_to_t1_without_momentum() {
        let lr = vec![r(1, 10); 6];
        let wd = vec![r(1, 20); 6];
        let z = wd_shadow(&lr, &wd, &r(0, 1));
        let (tilde, z1) = t1_schedule(&r(1, 10), &r(1, 20), 6);
        let values = |v: &[Scaled<Rational>]| v.iter().map(Scaled::value).collect::<Vec<_>>();
        assert_eq!(z, values(&z1));
        assert_eq!(exact_schedule(&lr, &z).unwrap(), values(&tilde));
    }

    /// For γ = 9/10, η = 1/10, λ = 1/38: 1 + γ − λη = 721/380 and the roots are 19/20, 18/19
    /// (19/20 · 18/19 = 9/10 = γ, 19/20 + 18/19 = 721/380), so α is exact.
    #[test]
    fn exact_roots_when_the_discriminant_is_a_square() {
        let (lr, wd, m) = (r(1, 10), r(1, 38), r(9, 10));
        assert_eq!(t2_root(&lr, &wd, &m, Root::Larger).unwrap(), r(19, 20));
        assert_eq!(t2_root(&lr, &wd, &m, Root::Smaller).unwrap(), r(18, 19));
        // λη = 1/1000 < (1 − √γ)² ≈ 0.00263: real but irrational roots, no exact α.
        let irrational = t2_root(&lr, &r(1, 100), &m, Root::Larger).unwrap_err();
        assert!(
            irrational.to_string().contains("not a perfect square"),
            "{irrational}"
        );
        // λη = 1/10 > (1 − √γ)²: complex roots, refused by the weight decay's name.
        let complex = t2_root(&lr, &r(1, 1), &m, Root::Larger).unwrap_err();
        assert!(complex.to_string().contains("--weight-decay"), "{complex}");
        // The boundary λη = (1 − √γ)²: γ = 1/4, η = λ = 1/2 give 1 + γ − λη = 1 and a
        // discriminant of exactly 0, a double root 1/2 — real, so allowed.
        let (half, quarter) = (r(1, 2), r(1, 4));
        for root in [Root::Larger, Root::Smaller] {
            assert_eq!(t2_root(&half, &half, &quarter, root).unwrap(), half);
        }
    }

    /// docs/MATH.md §3: η = 0.1, λ = 5e-4, γ = 0.9 with 391 iterations per epoch gives the paper's
    /// "LR × 1.481 per epoch": α*^(−2·391) = 1.481 (to 3 decimals).
    #[test]
    fn paper_checkpoint_growth_per_epoch() {
        let alpha = t2_root(&0.1, &5e-4, &0.9, Root::Larger).unwrap();
        let per_epoch = alpha.powi(-2 * 391);
        assert!((per_epoch - 1.481).abs() < 5e-4, "{per_epoch}");
    }

    /// By hand, η = (1/2, 1/4), λ = (1/10, 1/5), γ = 1/2: u₁ = 1/10, z₁ = 1 − 1/20 = 19/20;
    /// u₂ = 1/20 + 19/100 = 6/25, z₂ = 19/20 − 6/100 = 89/100. Then η̃₀ = (1/2)/(19/20) = 10/19
    /// and η̃₁ = (1/4)/((19/20)(89/100)) = 500/1691.
    #[test]
    fn wd_shadow_and_its_schedule_by_hand() {
        let lr = [r(1, 2), r(1, 4)];
        let z = wd_shadow(&lr, &[r(1, 10), r(1, 5)], &r(1, 2));
        assert_eq!(z, [r(1, 1), r(19, 20), r(89, 100)]);
        assert_eq!(exact_schedule(&lr, &z).unwrap(), [r(10, 19), r(500, 1691)]);
        for bad in [r(0, 1), r(-1, 3)] {
            let e = exact_schedule(&lr, &[r(1, 1), bad, r(1, 2)]).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("invalid --lr and --weight-decay: Z_1 = "),
                "{e}"
            );
        }
    }

    #[test]
    fn shift_for_keeps_magnitudes_within_two_to_the_32() {
        let p = |k: i32| 2f64.powi(k);
        for (x, k) in [
            (0.0, 0),
            (f64::NAN, 0),
            (1.0, 0),
            (p(32), 0),
            (p(-32), 0),
            (p(33), 32),
            (f64::INFINITY, 32),
            (p(-33), -32),
        ] {
            assert_eq!(shift_for(x), k, "{x}");
        }
    }

    /// Rescaling is by exact powers of two: 2⁻⁷⁰ needs two rounds (2⁻³⁸, then 2⁻⁶), and every
    /// operation gives back the exact value.
    #[test]
    fn scaled_numbers_are_exact_mantissa_times_power_of_two() {
        assert_eq!(pow2::<Rational>(5), r(32, 1));
        assert_eq!(pow2::<Rational>(-3), r(1, 8));
        let tiny = Scaled::new(pow2::<Rational>(-70) * r(3, 1));
        assert_eq!((tiny.mantissa.clone(), tiny.exp2), (r(3, 64), -64));
        assert_eq!(tiny.value(), pow2::<Rational>(-70) * r(3, 1));
        assert_eq!(tiny.value_times_pow2(70), r(3, 1));
        let big = Scaled::new(pow2::<Rational>(40));
        assert_eq!((big.mantissa.clone(), big.exp2), (r(256, 1), 32));
        let product = big.times(&pow2::<Rational>(30));
        assert_eq!((product.mantissa.clone(), product.exp2), (r(64, 1), 64));
        assert_eq!(Scaled::new(r(5, 1)).exp2, 0);
        let l = Scaled::new(-1000.0 * 2f64.powi(-70)).log10();
        assert!(
            (l - (3.0 - 70.0 * std::f64::consts::LOG10_2)).abs() < 1e-13,
            "{l}"
        );
    }

    #[test]
    fn phases_split_where_the_lr_changes() {
        let lr = [r(1, 1), r(1, 1), r(1, 2), r(1, 2), r(1, 2), r(1, 4)];
        assert_eq!(phases(&lr), [(0, 2), (2, 5), (5, 6)]);
        assert_eq!(phases(&lr[..1]), [(0, 1)]);
        assert!(phases::<Rational>(&[]).is_empty());
    }

    /// γ = 9/10, λ = 5/238 and η = 1/10 then 1/20 have rational roots (34/35, 63/68) and
    /// (84/85, 51/56), so the modal solution is exact. Golden values from the same formulas in
    /// Python `fractions` (phases of 4 and 3 steps): A₀ = 170/107, B₀ = −63/107, r₀ = 1/A₀² =
    /// 11449/28900, share 63/170, remainder 3·(63/170)·(63·35/(68·34))³ = 0.96443991247218;
    /// phase 1: r₁ = 0.6863137653279573, share 0.08733958239027324, remainder
    /// 0.22252353127658026.
    #[allow(clippy::float_cmp)] // 1/A₀² and |B/A| are the f64 nearest exact rationals, as is the division
    #[test]
    fn texp_prediction_by_hand_in_a_rational_case() {
        let (wd, m) = (r(5, 238), r(9, 10));
        let lr: Vec<Rational> = [vec![r(1, 10); 4], vec![r(1, 20); 3]].concat();
        let p = texp_prediction(&lr, &wd, &m).unwrap();
        assert_eq!(p.phases, [(0, 4), (4, 7)]);
        let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
        assert_eq!(p.factors[0], 11449.0 / 28900.0);
        assert_eq!(p.share[0], 63.0 / 170.0);
        for (got, want) in [
            (p.remainder[0], 0.964_439_912_472_179_5),
            (p.factors[1], 0.686_313_765_327_957_3),
            (p.share[1], 0.087_339_582_390_273_24),
            (p.remainder[1], 0.222_523_531_276_580_26),
        ] {
            assert!(close(got, want), "{got} vs {want}");
        }
    }

    /// What the prediction means: exact/TEXP at each phase's last step is within the remainder
    /// of the settled factor r_I (relative), checked in exact arithmetic on 150-step phases.
    #[test]
    fn exact_over_texp_settles_to_the_predicted_factor() {
        let (wd, m) = (r(5, 238), r(9, 10));
        let lr: Vec<Rational> = [vec![r(1, 10); 150], vec![r(1, 20); 150]].concat();
        let p = texp_prediction(&lr, &wd, &m).unwrap();
        let exact = exact_schedule(&lr, &wd_shadow(&lr, &vec![wd.clone(); 300], &m)).unwrap();
        let texp = texp_schedule(&lr, &wd, &m).unwrap();
        for (i, &(_, end)) in p.phases.iter().enumerate() {
            let ratio = Field::to_f64(&(exact[end - 1].clone() / texp[end - 1].clone()));
            let off = (ratio / p.factors[i] - 1.0).abs();
            assert!(
                off <= p.remainder[i],
                "phase {i}: {off:e} > {:e}",
                p.remainder[i]
            );
            assert!(p.remainder[i] < 1e-2, "150 steps settle the phase");
        }
    }

    /// A double root (γ = 1/4, λη = 1/4 at η = 1/2: b = 1, Δ = 1 − 1 = 0, α = 1/2 twice) has one
    /// mode: TEXP's settled factor 1/A² is undefined (A = (z₁ − α₂z₀)/(α₁ − α₂) divides by 0).
    /// Refused, naming λ, in rationals and in f64 (where the division would give ∞ and, at
    /// arbitrary precision, a panic in dashu).
    #[test]
    fn texp_prediction_refuses_a_double_root() {
        let lr = vec![r(1, 2); 4];
        let err = texp_prediction(&lr, &r(1, 2), &r(1, 4))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid --weight-decay: 1/2 (lr*wd = (1 - sqrt(momentum))^2 at lr = 0.5: a double root, where TEXP's settled factor is undefined)"
        );
        assert!(texp_prediction(&[0.5; 4], &0.5, &0.25).is_err());
        // Next to it, the two modes are distinct and the prediction is finite (α is irrational
        // there: f64).
        let p = texp_prediction(&[0.5; 4], &0.49, &0.25).unwrap();
        assert!(p.factors.iter().all(|f| f.is_finite()));
    }
}
