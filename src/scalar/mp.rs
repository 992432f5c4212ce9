//! Arbitrary-precision binary floats (dashu-float), precision chosen at run time.
//!
//! Every value built by [`Field`] / [`Real`] constructors carries the precision of the enclosing
//! [`with_precision`] call (default 256 bits); dashu keeps the larger precision of two operands,
//! so a whole run stays at one precision. Rounding is to nearest, ties to even, as in IEEE.

use std::cell::Cell;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::{Field, Rational, Real};
use dashu_base::{Approximation, BitTest, UnsignedAbs};
use dashu_float::round::mode::HalfEven;
use dashu_float::FBig;

type Inner = FBig<HalfEven, 2>;

thread_local! {
    static PRECISION: Cell<usize> = const { Cell::new(256) };
}

/// Run `f` with every new [`Mp`] value carrying `bits` bits of mantissa.
pub fn with_precision<R>(bits: u32, f: impl FnOnce() -> R) -> R {
    let previous = PRECISION.with(|p| p.replace(bits as usize));
    let result = f();
    PRECISION.with(|p| p.set(previous));
    result
}

#[inline]
pub(crate) fn precision() -> usize {
    PRECISION.with(|p| p.get())
}

fn at_precision(x: Inner) -> Inner {
    match x.with_precision(precision()) {
        Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
    }
}

/// An arbitrary-precision binary float.
#[derive(Clone, PartialEq, PartialOrd)]
pub struct Mp(Inner);

impl Mp {
    /// The current thread's precision in bits.
    pub fn precision_bits() -> u32 {
        precision() as u32
    }

    /// log₁₀|x| as f64, finite for every nonzero Mp however large or small (the exponent of an
    /// Mp is unbounded, unlike f64's); −∞ for 0.
    pub fn log10_abs(&self) -> f64 {
        self.log2_abs() * std::f64::consts::LOG10_2
    }

    /// The exact value as a rational (every binary float is a dyadic rational).
    pub fn to_rational(&self) -> Rational {
        let repr = self.0.repr();
        super::rational::dyadic(repr.significand(), repr.exponent())
    }

    /// m·2^e at the current precision (exact when m has at most that many bits).
    #[cfg(not(feature = "mpfr"))]
    pub(crate) fn from_dyadic(m: dashu_int::IBig, e: isize) -> Mp {
        Mp(at_precision(Inner::from_parts(m, e)))
    }

    /// (m, e) with value m·2^e.
    #[cfg(not(feature = "mpfr"))]
    pub(crate) fn dyadic_parts(&self) -> (dashu_int::IBig, isize) {
        let repr = self.0.repr();
        (repr.significand().clone(), repr.exponent())
    }

    /// log₂|x| as f64, finite for every nonzero Mp; −∞ for 0.
    pub fn log2_abs(&self) -> f64 {
        let repr = self.0.repr();
        let significand = repr.significand();
        if significand.is_zero() {
            return f64::NEG_INFINITY;
        }
        // The top 64 bits of the significand carry all an f64 can hold.
        let bits = significand.unsigned_abs().bit_len() as isize;
        let shift = (bits - 64).max(0);
        let top = match (significand >> shift as usize).to_f64() {
            Approximation::Exact(v) | Approximation::Inexact(v, _) => v.abs(),
        };
        top.log2() + (repr.exponent() + shift) as f64
    }
}

impl fmt::Debug for Mp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mp({self})")
    }
}

impl fmt::Display for Mp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.to_decimal() {
            Approximation::Exact(d) | Approximation::Inexact(d, _) => write!(f, "{d}"),
        }
    }
}

macro_rules! binary_op {
    ($trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident, $op:tt) => {
        impl $trait for Mp {
            type Output = Mp;
            fn $method(self, rhs: Mp) -> Mp {
                Mp(self.0 $op rhs.0)
            }
        }
        impl $assign_trait for Mp {
            fn $assign_method(&mut self, rhs: Mp) {
                let lhs = std::mem::replace(&mut self.0, Inner::ZERO);
                self.0 = lhs $op rhs.0;
            }
        }
    };
}

binary_op!(Add, add, AddAssign, add_assign, +);
binary_op!(Sub, sub, SubAssign, sub_assign, -);
binary_op!(Mul, mul, MulAssign, mul_assign, *);
binary_op!(Div, div, DivAssign, div_assign, /);

impl Neg for Mp {
    type Output = Mp;
    fn neg(self) -> Mp {
        Mp(-self.0)
    }
}

impl num_traits::Zero for Mp {
    fn zero() -> Self {
        Mp(at_precision(Inner::ZERO))
    }
    fn is_zero(&self) -> bool {
        self.0.repr().significand().is_zero()
    }
}

impl num_traits::One for Mp {
    fn one() -> Self {
        Mp(at_precision(Inner::ONE))
    }
}

impl Field for Mp {
    const NAME: &'static str = "mp";
    const EXACT: bool = false;

    fn from_rational(r: &Rational) -> Self {
        let num = at_precision(Inner::from(r.numerator().clone()));
        let den = at_precision(Inner::from(r.denominator().clone()));
        Mp(num / den)
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        Mp(at_precision(Inner::from(num)) / at_precision(Inner::from(den)))
    }

    fn to_f64(&self) -> f64 {
        match self.0.to_f64() {
            Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
        }
    }

    fn size_bits(&self) -> u64 {
        self.0.precision() as u64
    }

    fn mul_ref(&self, rhs: &Self) -> Self {
        Mp(&self.0 * &rhs.0)
    }

    in_place_ref_ops!();

    fn unit_roundoff() -> super::Magnitude {
        super::Magnitude::pow2(-(precision() as f64))
    }

    fn magnitude(&self) -> super::Magnitude {
        super::Magnitude::from_log2(self.log2_abs())
    }

    fn try_sqrt(&self) -> Option<Self> {
        (*self >= <Mp as num_traits::Zero>::zero()).then(|| Mp(at_precision(self.0.sqrt())))
    }
}

// dashu returns shortcut results (e^0 = 1, ln 1 = 0, √0 = 0) at unlimited precision, which its
// next transcendental call refuses with a panic: each result is put back at the run's precision
// (a no-op for every other result, which already carries it).
impl Real for Mp {
    fn sqrt(&self) -> Self {
        Mp(at_precision(self.0.sqrt()))
    }
    /// eˣ. Beyond |x| = 2³⁰ the result is far outside f64 (e^(2³⁰) ≈ 10^(4.7e8)) and dashu's
    /// exponent arithmetic would overflow, so the argument saturates there: e^(−x) underflows to
    /// 0 as in IEEE, and e^x stays at e^(2³⁰), a value every report sees as beyond f64 — i.e. the
    /// run is reported as diverged, never as a number.
    fn exp(&self) -> Self {
        let limit = Inner::from(1i64 << 30);
        if self.0 < -limit.clone() {
            return <Mp as num_traits::Zero>::zero();
        }
        if self.0 > limit {
            return Mp(at_precision(limit).exp());
        }
        Mp(at_precision(self.0.exp()))
    }
    fn ln(&self) -> Self {
        Mp(at_precision(self.0.ln()))
    }
    fn ln_1p(&self) -> Self {
        Mp(at_precision(self.0.ln_1p()))
    }
    fn from_f64(x: f64) -> Self {
        let exact = Inner::try_from(x).unwrap_or(Inner::ZERO);
        Mp(at_precision(exact))
    }
    fn epsilon() -> Self {
        Mp(at_precision(Inner::from_parts(
            dashu_int::IBig::ONE,
            -(precision() as isize),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::One;

    #[test]
    fn precision_controls_the_error_of_one_third() {
        for bits in [64u32, 128, 512] {
            with_precision(bits, || {
                let third = Mp::from_ratio(1, 3);
                let error = (third * Mp::from_int(3) - Mp::one()).abs();
                assert!(
                    error <= Mp::epsilon() * Mp::from_int(2),
                    "bits {bits}: {error}"
                );
                assert_eq!(Mp::from_ratio(1, 3).size_bits(), bits as u64);
            });
        }
    }

    /// dashu answers e^0, ln 1, ln(1 + 0) and √0 at unlimited precision; fed to the next
    /// transcendental function such a value panicked ("precision cannot be 0") — as the
    /// population toy's logistic loss did at a zero margin under `verify theorem --arith mp`.
    #[test]
    fn shortcut_results_keep_the_run_precision() {
        use num_traits::Zero;
        with_precision(128, || {
            let zero = Mp::zero();
            let one = Mp::one();
            for (name, v) in [
                ("exp 0", zero.exp()),
                ("ln 1", one.ln()),
                ("ln_1p 0", zero.ln_1p()),
                ("sqrt 0", zero.sqrt()),
                ("try_sqrt 0", zero.try_sqrt().unwrap()),
            ] {
                assert_eq!(v.size_bits(), 128, "{name}");
            }
            // The chain that panicked: ln(1 + e^(-0)) = ln 2.
            let ln2 = (-zero).exp().ln_1p();
            assert!((ln2.to_f64() - std::f64::consts::LN_2).abs() < 1e-15);
            assert!(one.ln().exp().ln().is_zero());
        });
    }

    #[test]
    fn exp_saturates_instead_of_overflowing() {
        with_precision(64, || {
            let huge = Mp::from_int(10).powi(308);
            assert!(!huge.exp().to_f64().is_finite());
            assert!(<Mp as num_traits::Zero>::is_zero(&(-huge).exp()));
            assert!((Mp::from_int(-700).exp().to_f64() / (-700f64).exp() - 1.0).abs() < 1e-12);
        });
    }

    #[test]
    fn lowest_precision_has_working_transcendentals() {
        with_precision(crate::scalar::MIN_PRECISION, || {
            let x = Mp::from_ratio(3, 2);
            assert!((x.ln().to_f64() - 1.5f64.ln()).abs() < 1e-6);
            assert!((x.exp().to_f64() - 1.5f64.exp()).abs() < 1e-5);
            assert!((x.ln_1p().to_f64() - 1.5f64.ln_1p()).abs() < 1e-6);
        });
    }

    #[test]
    fn log10_is_finite_beyond_f64() {
        with_precision(128, || {
            let huge = Mp::from_int(10).powi(400);
            assert!((huge.log10_abs() - 400.0).abs() < 1e-9);
            assert!((Mp::from_ratio(1, 1000).log10_abs() + 3.0).abs() < 1e-12);
        });
    }

    #[test]
    fn transcendentals_agree_with_f64() {
        with_precision(200, || {
            let two = Mp::from_int(2);
            assert!((two.sqrt().to_f64() - 2f64.sqrt()).abs() < 1e-15);
            assert!((two.exp().to_f64() - 2f64.exp()).abs() < 1e-14);
            assert!((two.ln().to_f64() - 2f64.ln()).abs() < 1e-15);
            assert!((Mp::pi().to_f64() - std::f64::consts::PI).abs() < 1e-15);
            assert!((Mp::from_ratio(7, 3).cos().to_f64() - (7.0f64 / 3.0).cos()).abs() < 1e-15);
        });
    }
}
