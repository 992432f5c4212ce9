//! Exact rationals: the field tier only (no √, exp, ln).
//!
//! [`Rational`] is dashu-ratio's `RBig`, always in lowest terms. The exact tier's cost is the gcd
//! of every reduction: num-rational's binary gcd was quadratic with a large constant (97% of a
//! rational toy run in shifts and subtractions); dashu's Lehmer gcd and Karatsuba/Toom products
//! make the 8-step rational toy ~200× faster (README, "Arithmetic").

use dashu_base::{Approximation, BitTest, Sign, SquareRoot, UnsignedAbs};
use dashu_int::IBig;
use dashu_ratio::Relaxed;

use super::Field;

/// An exact rational number in lowest terms.
pub type Rational = dashu_ratio::RBig;

/// num/den as an exact rational (den ≠ 0; the sign may sit on either part).
pub fn ratio(num: i64, den: i64) -> Rational {
    Rational::from_parts_signed(IBig::from(num), IBig::from(den))
}

/// significand · 2^exponent exactly: the value of a binary float's representation.
pub fn dyadic(significand: &IBig, exponent: isize) -> Rational {
    Rational::from(significand.clone()) * crate::optim::shadow::pow2::<Rational>(exponent as i64)
}

/// |x − exact| ≤ bound·|exact|, compared exactly (the float tiers' rounding tests).
#[cfg(test)]
pub(crate) fn within_relative(x: &Rational, exact: &Rational, bound: &Rational) -> bool {
    let err = x - exact;
    let err = if err < Rational::ZERO { -err } else { err };
    let size = if *exact < Rational::ZERO {
        -exact.clone()
    } else {
        exact.clone()
    };
    err <= bound * &size
}

/// log₂(n/d) for positive integers, from their bit lengths and leading 64 bits: the bit
/// lengths subtract as integers first, so a 10⁵-bit fraction keeps f64's full accuracy in its
/// logarithm (~1e-16 relative).
fn log2_ratio(n: &dashu_int::UBig, d: &dashu_int::UBig) -> f64 {
    let top = |x: &dashu_int::UBig| {
        let shift = x.bit_len().saturating_sub(64);
        let word: u64 = (x >> shift).try_into().unwrap_or(u64::MAX);
        (word as f64, shift as i64)
    };
    let ((tn, sn), (td, sd)) = (top(n), top(d));
    (tn / td).log2() + (sn - sd) as f64
}

/// Bits of numerator plus denominator: the size an exact run's budget counts.
pub fn size_bits(r: &Rational) -> u64 {
    (r.numerator().unsigned_abs().bit_len() + r.denominator().bit_len()) as u64
}

impl Field for Rational {
    const NAME: &'static str = "rational";
    const EXACT: bool = true;

    fn from_rational(r: &Rational) -> Self {
        r.clone()
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        ratio(num, den)
    }

    fn to_f64(&self) -> f64 {
        // Correctly rounded; values beyond f64's range become ±inf or ±0, which only reports see.
        match Rational::to_f64(self) {
            Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
        }
    }

    fn size_bits(&self) -> u64 {
        size_bits(self)
    }

    fn dots_to_f64(num: (&[Self], &[Self]), den: Option<(&[Self], &[Self])>) -> f64 {
        // Unreduced fractions: products and sums without a gcd (dashu's Relaxed), then one
        // correctly rounded division.
        let dot = |(a, b): (&[Self], &[Self])| {
            a.iter().zip(b).fold(Relaxed::ZERO, |acc, (x, y)| {
                acc + x.as_relaxed().clone() * y.as_relaxed().clone()
            })
        };
        let value = match den {
            Some(den) => dot(num) / dot(den),
            None => dot(num),
        };
        match value.to_f64() {
            Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
        }
    }

    /// The unreduced difference (a·d − c·b)/(b·d): zero iff the values are equal, sized from
    /// the bit lengths and leading bits of its parts.
    fn gap(&self, other: &Self) -> super::Magnitude {
        let d = self.as_relaxed().clone() - other.as_relaxed().clone();
        let num = d.numerator().unsigned_abs();
        if num.is_zero() {
            return super::Magnitude::ZERO;
        }
        super::Magnitude::from_log2(log2_ratio(&num, d.denominator()))
    }

    /// p²/q² needs no gcd: it is in lowest terms when p/q is.
    fn square(&self) -> Self {
        self.sqr()
    }

    /// (p/q)ⁿ = pⁿ/qⁿ, in lowest terms without a gcd; n < 0 inverts (panics at 0, as ÷).
    fn powi(&self, n: i64) -> Self {
        self.pow(n as isize)
    }

    fn unit_roundoff() -> super::Magnitude {
        super::Magnitude::ZERO
    }

    fn magnitude(&self) -> super::Magnitude {
        super::with_precision(64, || super::Mp::from_rational(self).magnitude())
    }

    fn try_sqrt(&self) -> Option<Self> {
        // A reduced fraction is a square iff its numerator and denominator are.
        if self.sign() == Sign::Negative {
            return None;
        }
        let num = self.numerator().unsigned_abs();
        let den = self.denominator();
        let (n, d) = (num.sqrt(), den.sqrt());
        (&n * &n == num && &d * &d == *den).then(|| Rational::from_parts(n.into(), d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dashu_int::UBig;

    #[test]
    fn square_roots_exist_exactly_for_squares_only() {
        assert_eq!(ratio(9, 4).try_sqrt(), Some(ratio(3, 2)));
        assert_eq!(ratio(0, 1).try_sqrt(), Some(ratio(0, 1)));
        assert_eq!(ratio(2, 1).try_sqrt(), None);
        assert_eq!(ratio(4, 3).try_sqrt(), None);
        assert_eq!(ratio(-4, 9).try_sqrt(), None);
    }

    /// The unreduced gap of two fractions of ~40,000 bits whose difference is (1/3)·2⁻⁷⁰: its
    /// log₂ to f64's accuracy (a log taken of each ~10⁴-bit part and then subtracted would be
    /// off by ~1e-12), 0 for equal values, 2|x| against −x.
    #[test]
    fn gap_sizes_the_exact_difference() {
        let x = ratio(1_000_000_007, 3).pow(800) / ratio(7919, 1).pow(1500) + ratio(1, 7);
        let small = ratio(1, 3) * crate::optim::shadow::pow2::<Rational>(-70);
        let y = &x + &small;
        assert!(size_bits(&x) > 30_000, "{}", size_bits(&x));
        let want = -70.0 - 3f64.log2();
        for (a, b) in [(&x, &y), (&y, &x)] {
            let got = a.gap(b).log2();
            assert!((got - want).abs() <= 3e-14, "{got} vs {want}");
        }
        assert!(x.gap(&x).is_zero());
        let twice = x.gap(&-x.clone()).log2();
        let exact = Field::magnitude(&(&x + &x)).log2();
        assert!(
            (twice - exact).abs() <= 1e-12 * exact.abs(),
            "{twice} vs {exact}"
        );
    }

    #[test]
    #[allow(clippy::float_cmp)] // to_f64 is correctly rounded: exact values are expected
    fn constructors_and_sizes() {
        assert_eq!(ratio(3, -6), ratio(-1, 2));
        // 5 is 3 bits, 12 is 4.
        assert_eq!(size_bits(&ratio(-5, 12)), 7);
        assert_eq!(Field::to_f64(&ratio(1, 3)), 1.0 / 3.0);
        let huge = Rational::from(UBig::ONE << 2000);
        assert_eq!(Field::to_f64(&huge), f64::INFINITY);
        assert_eq!(Field::to_f64(&-huge), f64::NEG_INFINITY);
    }
}
