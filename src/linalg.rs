//! Vectors of any [`Field`]: ⟨a, b⟩, ‖a‖², a + c·b, and the angle between two vectors.
//!
//! Storage is nalgebra's `DVector`; these helpers only ask for the field tier, so they run on
//! exact rationals as well as floats.

use nalgebra::DVector;

use crate::scalar::{Field, Magnitude};

/// A parameter vector θ ∈ Rᵈ (or Qᵈ).
pub type Vector<T> = DVector<T>;

/// ⟨a, b⟩.
pub fn dot<T: Field>(a: &Vector<T>, b: &Vector<T>) -> T {
    a.iter().zip(b.iter()).fold(T::zero(), |mut acc, (x, y)| {
        acc.add_product(x, y);
        acc
    })
}

/// ‖a‖².
pub fn norm_sq<T: Field>(a: &Vector<T>) -> T {
    // `square` spares exact arithmetic the gcd of x·x (p²/q² is already in lowest terms).
    a.iter().fold(T::zero(), |mut acc, x| {
        acc.add_assign_ref(&x.square());
        acc
    })
}

/// c·a.
pub fn scale<T: Field>(a: &Vector<T>, c: &T) -> Vector<T> {
    a.map(|x| x * c.clone())
}

/// a + c·b.
pub fn axpy<T: Field>(a: &Vector<T>, c: &T, b: &Vector<T>) -> Vector<T> {
    Vector::from_iterator(
        a.len(),
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| x.clone() + c.clone() * y.clone()),
    )
}

/// a − b.
pub fn sub<T: Field>(a: &Vector<T>, b: &Vector<T>) -> Vector<T> {
    Vector::from_iterator(
        a.len(),
        a.iter().zip(b.iter()).map(|(x, y)| x.clone() - y.clone()),
    )
}

/// Entries as f64 (reports and plots).
pub fn to_f64<T: Field>(a: &Vector<T>) -> Vec<f64> {
    a.iter().map(Field::to_f64).collect()
}

/// Angle between two f64 vectors in degrees, in O(n) and stable at every angle (Kahan's form):
/// with the unit vectors â = a/‖a‖ and b̂ = b/‖b‖, ∠(a, b) = 2·atan2(‖â − b̂‖, ‖â + b̂‖). NaN when
/// either vector is 0. (The pairwise form atan2(‖a∧b‖, a·b), O(n²), gave the same angles and
/// cost PreResNet32's 464k parameters ~90 s an epoch.)
pub fn angle_deg(a: &[f64], b: &[f64]) -> f64 {
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        return f64::NAN;
    }
    let (mut diff, mut sum) = (0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x / na, y / nb);
        diff += (x - y) * (x - y);
        sum += (x + y) * (x + y);
    }
    (2.0 * diff.sqrt().atan2(sum.sqrt())).to_degrees()
}

/// ‖a − b‖_∞ / ‖b‖_∞ computed in T (‖a − b‖_∞ when b = 0): exactly 0 iff a = b.
pub fn relative_max_diff<T: Field>(a: &Vector<T>, b: &Vector<T>) -> T {
    let mut diff = T::zero();
    let mut size = T::zero();
    for (x, y) in a.iter().zip(b.iter()) {
        // Exact values that are equal differ by 0: no subtraction (in rationals, no gcd).
        if !(T::EXACT && x == y) {
            let d = (x.clone() - y.clone()).abs();
            if d > diff {
                diff = d;
            }
        }
        let s = y.abs();
        if s > size {
            size = s;
        }
    }
    if size == T::zero() {
        return diff;
    }
    diff / size
}

/// [`relative_max_diff`] as a [`Magnitude`], exactly 0 iff a = b. In an exact arithmetic each
/// difference is sized by [`Field::gap`] and the ratio taken of sizes (no reduced fraction is
/// formed: in rationals the gcds of the differences were most of a long exact check); otherwise
/// it is `relative_max_diff` computed in T.
pub fn relative_max_gap<T: Field>(a: &Vector<T>, b: &Vector<T>) -> Magnitude {
    if !T::EXACT {
        return relative_max_diff(a, b).magnitude();
    }
    let mut diff = Magnitude::ZERO;
    let mut size = Magnitude::ZERO;
    for (x, y) in a.iter().zip(b.iter()) {
        if x != y {
            diff = diff.max(x.gap(y));
        }
        size = size.max(y.magnitude());
    }
    if size.is_zero() {
        return diff;
    }
    diff.ratio(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::Rational;

    #[test]
    fn helpers_are_exact_on_rationals() {
        let r = |n, d| Rational::from_ratio(n, d);
        let a = Vector::from_vec(vec![r(1, 3), r(2, 5)]);
        let b = Vector::from_vec(vec![r(3, 1), r(-5, 2)]);
        assert_eq!(dot(&a, &b), r(0, 1));
        assert_eq!(norm_sq(&a), r(1, 9) + r(4, 25));
        assert_eq!(
            axpy(&a, &r(1, 3), &b),
            Vector::from_vec(vec![r(4, 3), r(-13, 30)])
        );
        assert_eq!(sub(&a, &a), Vector::from_vec(vec![r(0, 1), r(0, 1)]));
    }

    /// `relative_max_gap` is `relative_max_diff`'s size: bit for bit in f64; in rationals to
    /// f64's accuracy in log₂ (sized without reduction), exactly 0 iff the vectors are equal,
    /// and with ‖b‖_∞ taken over every coordinate — here the largest |b_i| sits where a_i = b_i.
    #[test]
    fn the_relative_gap_is_the_relative_difference_sized() {
        let r = |n, d| Rational::from_ratio(n, d);
        let tiny = r(1, 3) * crate::optim::shadow::pow2::<Rational>(-90);
        let a = Vector::from_vec(vec![r(1, 3), r(-50, 7), r(2, 5) + tiny.clone()]);
        let b = Vector::from_vec(vec![r(1, 3) - tiny, r(-50, 7), r(2, 5)]);
        let cases = [
            (a.clone(), b.clone()),
            (b.clone(), a.clone()),
            (a.clone(), a.clone()),
            (a.clone(), Vector::from_vec(vec![r(0, 1); 3])),
        ];
        for (x, y) in &cases {
            let want = relative_max_diff(x, y).magnitude();
            let got = relative_max_gap(x, y);
            assert_eq!(got.is_zero(), want.is_zero(), "{x:?} {y:?}");
            assert!(
                want.is_zero() || (got.log2() - want.log2()).abs() <= 1e-13,
                "{} vs {}",
                got.log2(),
                want.log2()
            );
        }
        // (1/3)·2⁻⁹⁰ / (50/7): log₂ = log₂(7/150) − 90.
        let expected = (7.0f64 / 150.0).log2() - 90.0;
        assert!((relative_max_gap(&a, &b).log2() - expected).abs() <= 1e-13);
        // In f64 it is relative_max_diff's own rounding (the quotient rounded in f64, then its
        // log), which a ratio of logs misses in the last bits for ~30% of these pairs.
        use rand::Rng;
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..200 {
            let x: Vec<f64> = (0..3).map(|_| rng.random_range(-4.0..4.0)).collect();
            let y: Vec<f64> = x
                .iter()
                .map(|v| v * (1.0 + rng.random_range(-1e-9..1e-9)))
                .collect();
            let (x, y) = (Vector::from_vec(x), Vector::from_vec(y));
            let (got, want) = (
                relative_max_gap(&x, &y),
                relative_max_diff(&x, &y).magnitude(),
            );
            assert_eq!(got.log2().to_bits(), want.log2().to_bits());
        }
    }

    #[test]
    fn angle_is_accurate_for_tiny_angles() {
        let a = [1.0, 0.0];
        let b = [1.0, 1e-12];
        assert!((angle_deg(&a, &b) - 1e-12f64.to_degrees()).abs() < 1e-25);
        assert!((angle_deg(&[1.0, 0.0], &[0.0, 2.0]) - 90.0).abs() < 1e-12);
        // Near 180°, where atan2(‖a∧b‖, a·b) and arccos both lose digits, Kahan's form does not.
        assert!(
            (angle_deg(&[1.0, 0.0], &[-1.0, 1e-12]) - (180.0 - 1e-12f64.to_degrees())).abs()
                < 1e-12
        );
        assert!(angle_deg(&[0.0, 0.0], &[1.0, 0.0]).is_nan());
    }

    /// The pairwise form it replaced (O(n²)): atan2(‖a∧b‖, a·b) with ‖a∧b‖² = Σ_{i<j}
    /// (a_i b_j − a_j b_i)².
    fn angle_pairwise(a: &[f64], b: &[f64]) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let mut wedge = 0.0;
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                let m = a[i] * b[j] - a[j] * b[i];
                wedge += m * m;
            }
        }
        wedge.sqrt().atan2(dot).to_degrees()
    }

    /// The O(n) form agrees with the pairwise one on random small vectors to 1e-12 degrees
    /// (both are stable; they round differently), over angles from ~0 to ~180°.
    #[test]
    fn linear_angle_equals_the_pairwise_formula() {
        use rand::Rng;
        use rand_chacha::rand_core::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..500 {
            let n = 2 + case % 9;
            let a: Vec<f64> = (0..n).map(|_| rng.random_range(-3.0..3.0)).collect();
            // b near a, near −a, or anywhere.
            let b: Vec<f64> = a
                .iter()
                .map(|x| {
                    let noise = rng.random_range(-1.0..1.0);
                    match case % 3 {
                        0 => x + 1e-3 * noise,
                        1 => -x + 1e-3 * noise,
                        _ => 3.0 * noise,
                    }
                })
                .collect();
            let (fast, slow) = (angle_deg(&a, &b), angle_pairwise(&a, &b));
            assert!((fast - slow).abs() < 1e-12, "{case}: {fast} vs {slow}");
        }
    }
}
