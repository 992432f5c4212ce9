//! Sizes of discrepancies, tolerances and unit roundoffs, at any precision.
//!
//! A p-bit float has unit roundoff 2⁻ᵖ: below f64's range from p = 1075 on (and its square, which
//! a rounding floor can reach, from p = 538). A verdict that computes its tolerance in f64 would
//! see 0 there, and a holding claim would "fail" with discrepancy 0.000e0. [`Magnitude`] keeps a
//! nonnegative size as its base-2 logarithm in an f64 — exact for powers of two, relative error
//! ~1e-16 × |log₂| otherwise, and range 2^(±10³⁰⁸) — so unit roundoffs, floors, tolerances and
//! discrepancies compare and print correctly from 24 bits to any precision `--precision` takes.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

/// A nonnegative real (or a diverged value) held as log₂: 0 is −∞, a non-finite size is NaN.
#[derive(Debug, Clone, Copy)]
pub struct Magnitude {
    log2: f64,
}

impl Magnitude {
    /// 0.
    pub const ZERO: Magnitude = Magnitude {
        log2: f64::NEG_INFINITY,
    };
    /// A size that is not a finite number: a diverged run.
    pub const DIVERGED: Magnitude = Magnitude { log2: f64::NAN };

    /// |x| for an f64 (NaN and ±∞ are [`Magnitude::DIVERGED`]).
    pub fn from_f64(x: f64) -> Self {
        if x.is_finite() {
            Magnitude {
                log2: x.abs().log2(),
            }
        } else {
            Magnitude::DIVERGED
        }
    }

    /// 2ᵉ.
    pub fn pow2(e: f64) -> Self {
        Magnitude { log2: e }
    }

    /// The size whose log₂ is `log2` (−∞ for 0; NaN for a diverged value).
    pub fn from_log2(log2: f64) -> Self {
        Magnitude { log2 }
    }

    /// log₂ of the size (−∞ at 0, NaN when diverged).
    pub fn log2(self) -> f64 {
        self.log2
    }

    /// log₁₀ of the size.
    pub fn log10(self) -> f64 {
        self.log2 * std::f64::consts::LOG10_2
    }

    /// The size as an f64: 0 below 2⁻¹⁰⁷⁴ and ∞ above f64's range — for plots and the f64
    /// arithmetic only, never for verdicts at higher precision.
    pub fn to_f64(self) -> f64 {
        self.log2.exp2()
    }

    /// True for a finite size (0 included).
    pub fn is_finite(self) -> bool {
        !self.log2.is_nan() && self.log2 != f64::INFINITY
    }

    /// True for 0.
    pub fn is_zero(self) -> bool {
        self.log2 == f64::NEG_INFINITY
    }

    /// k · self for a factor k ≥ 0.
    pub fn times(self, k: f64) -> Self {
        Magnitude {
            log2: self.log2 + k.log2(),
        }
    }

    /// self + other, in log space (no overflow or underflow at any size).
    pub fn plus(self, other: Magnitude) -> Self {
        if self.log2.is_nan() || other.log2.is_nan() {
            return Magnitude::DIVERGED;
        }
        let (hi, lo) = if self.log2 >= other.log2 {
            (self.log2, other.log2)
        } else {
            (other.log2, self.log2)
        };
        if lo == f64::NEG_INFINITY {
            return Magnitude { log2: hi };
        }
        Magnitude {
            log2: hi + (lo - hi).exp2().ln_1p() / std::f64::consts::LN_2,
        }
    }

    /// The larger of two sizes; a diverged one wins.
    pub fn max(self, other: Magnitude) -> Self {
        if self.log2.is_nan() || other.log2.is_nan() {
            Magnitude::DIVERGED
        } else if other.log2 > self.log2 {
            other
        } else {
            self
        }
    }

    /// self / other, itself a size at any exponent (a failing control at 4096 bits is 10¹²³⁰
    /// times its tolerance). Diverged when self is, or when other is 0 and self is not.
    pub fn ratio(self, other: Magnitude) -> Magnitude {
        if self.log2 == f64::NEG_INFINITY && other.log2 > f64::NEG_INFINITY {
            return Magnitude::ZERO;
        }
        let log2 = self.log2 - other.log2;
        if log2.is_nan() || log2 == f64::INFINITY {
            return Magnitude::DIVERGED;
        }
        Magnitude { log2 }
    }

    /// Scientific notation with `digits` after the point, at any exponent: 2⁻²⁰⁴⁸ is
    /// "3.094e-617", where f64 would print 0.
    pub fn sci(self, digits: usize) -> String {
        if self.log2.is_nan() || self.log2 == f64::INFINITY {
            return "diverged".into();
        }
        if self.is_zero() {
            return format!("{:.*e}", digits, 0.0);
        }
        let log10 = self.log10();
        let mut exponent = log10.floor();
        let mut mantissa = 10f64.powf(log10 - exponent);
        // Rounding the mantissa to `digits` may carry it to 10.
        let scale = 10f64.powi(digits as i32);
        if (mantissa * scale).round() >= 10.0 * scale {
            mantissa /= 10.0;
            exponent += 1.0;
        }
        format!("{:.*}e{}", digits, mantissa, exponent as i64)
    }
}

impl PartialEq for Magnitude {
    fn eq(&self, other: &Self) -> bool {
        self.log2 == other.log2
    }
}

impl PartialOrd for Magnitude {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.log2.partial_cmp(&other.log2)
    }
}

/// Comparison with a plain number, so tests and reports can write `d == 0.0` or `d > 1e-3`.
impl PartialEq<f64> for Magnitude {
    fn eq(&self, other: &f64) -> bool {
        *self == Magnitude::from_f64(*other) && other.is_finite()
    }
}

impl PartialOrd<f64> for Magnitude {
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        if *other < 0.0 {
            return (!self.log2.is_nan()).then_some(Ordering::Greater);
        }
        self.partial_cmp(&Magnitude::from_f64(*other))
    }
}

impl fmt::Display for Magnitude {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sci(f.precision().unwrap_or(3)))
    }
}

/// A number in JSON when f64 holds it (0 included), otherwise its scientific text ("3.094e-617");
/// null for a diverged value.
impl Serialize for Magnitude {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.is_finite() {
            return s.serialize_none();
        }
        let value = self.to_f64();
        if self.is_zero() || (value.is_normal() && value.is_finite()) {
            s.serialize_f64(value)
        } else {
            s.serialize_str(&self.sci(6))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // powers of two, 0 and ∞: exact values
    fn sizes_beyond_f64_compare_add_and_print() {
        let u = Magnitude::pow2(-2048.0);
        assert_eq!(u.sci(3), "3.094e-617");
        assert_eq!(u.to_f64(), 0.0);
        let tol = u.times(1e8);
        assert!(tol > u && u > Magnitude::ZERO);
        assert!((tol.ratio(u).to_f64() - 1e8).abs() < 1e-4);
        assert_eq!(Magnitude::from_f64(1e-3).ratio(u).sci(2), "3.23e613");
        // 2⁻²⁰⁴⁸ + 2⁻²⁰⁴⁸ = 2⁻²⁰⁴⁷, and adding 0 changes nothing.
        assert_eq!(u.plus(u).log2(), -2047.0);
        assert_eq!(u.plus(Magnitude::ZERO), u);
        // Reference values: mpmath at 200 bits (2⁻²⁰⁴⁸, 2⁻⁴⁰⁹⁶, 2⁻¹⁶³⁸⁴, 1e-3/2⁻²⁰⁴⁸).
        assert_eq!(Magnitude::pow2(-16384.0).sci(2), "8.41e-4933");
    }

    #[test]
    #[allow(clippy::float_cmp)] // 0 and ∞: exact values
    fn zero_diverged_and_plain_numbers() {
        assert!(Magnitude::ZERO == 0.0);
        assert!(Magnitude::ZERO.is_finite() && Magnitude::ZERO.is_zero());
        assert!(!Magnitude::DIVERGED.is_finite());
        assert!(!Magnitude::from_f64(f64::NAN).is_finite());
        assert!(!Magnitude::from_f64(f64::INFINITY).is_finite());
        assert_eq!(Magnitude::DIVERGED.sci(3), "diverged");
        assert!(!Magnitude::DIVERGED.ratio(Magnitude::pow2(0.0)).is_finite());
        assert!(!Magnitude::pow2(0.0).ratio(Magnitude::ZERO).is_finite());
        assert!(Magnitude::ZERO.ratio(Magnitude::pow2(-3000.0)).is_zero());
        assert!(Magnitude::from_f64(2e-3) > 1e-3 && Magnitude::from_f64(2e-3) < 1e-2);
        assert!(Magnitude::from_f64(0.5) == 0.5);
        assert_eq!(Magnitude::from_f64(9.9996).sci(3), "1.000e1");
        assert_eq!(Magnitude::from_f64(1.5e-7).to_string(), "1.500e-7");
        assert!(Magnitude::DIVERGED.max(Magnitude::ZERO).log2().is_nan());
    }

    #[test]
    fn json_keeps_numbers_and_spells_out_the_rest() {
        let json = |m: Magnitude| serde_json::to_string(&m).unwrap();
        assert_eq!(json(Magnitude::from_f64(0.25)), "0.25");
        assert_eq!(json(Magnitude::ZERO), "0.0");
        assert_eq!(json(Magnitude::pow2(-4096.0)), "\"9.574977e-1234\"");
        assert_eq!(json(Magnitude::DIVERGED), "null");
    }
}
