//! `--arith mp` on MPFR (through rug), behind the cargo feature `mpfr`.
//!
//! MPFR rounds every operation correctly (to nearest, ties to even), including √, exp, ln and
//! ln(1+x). [`Mpfr`] is a drop-in for [`super::Mp`]: the same precision (set by
//! [`super::with_precision`]), the same constructors, the same π and cos (the trait's series).
//! The two tiers agree to an ulp, not bit for bit: dashu-float's sums can keep one bit beyond the
//! precision (tested below), so chaotic runs (the toy's bn+wd) part after many steps, as any two
//! roundings do. It exists for speed: MPFR's in-place kernels avoid most of the allocation that
//! dominates dashu at a few hundred bits (README, "Arithmetic").

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::float::Round;
use rug::{Assign, Float};

use super::mp::precision;
use super::{Field, Magnitude, Rational, Real};

/// An MPFR float at the current thread's precision.
#[derive(Clone, PartialEq, PartialOrd)]
pub struct Mpfr(Float);

fn prec() -> u32 {
    precision() as u32
}

thread_local! {
    /// Room for one product, reused by `add_product`.
    static SCRATCH: std::cell::RefCell<Float> = std::cell::RefCell::new(Float::new(64));
}

impl Mpfr {
    fn rational(r: &Rational) -> rug::Rational {
        // Decimal text is the common format of the two libraries; used for inputs only.
        let num: rug::Integer = r.numerator().to_string().parse().expect("decimal digits");
        let den: rug::Integer = r.denominator().to_string().parse().expect("decimal digits");
        rug::Rational::from((num, den))
    }
}

impl fmt::Debug for Mpfr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mpfr({})", self.0)
    }
}

impl fmt::Display for Mpfr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

macro_rules! binary_op {
    ($trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident, $op:tt) => {
        impl $trait for Mpfr {
            type Output = Mpfr;
            fn $method(mut self, rhs: Mpfr) -> Mpfr {
                // In place: the left operand's storage takes the correctly rounded result.
                self.0 $op &rhs.0;
                self
            }
        }
        impl $assign_trait for Mpfr {
            fn $assign_method(&mut self, rhs: Mpfr) {
                self.0 $op &rhs.0;
            }
        }
    };
}

binary_op!(Add, add, AddAssign, add_assign, +=);
binary_op!(Sub, sub, SubAssign, sub_assign, -=);
binary_op!(Mul, mul, MulAssign, mul_assign, *=);
binary_op!(Div, div, DivAssign, div_assign, /=);

impl Neg for Mpfr {
    type Output = Mpfr;
    fn neg(self) -> Mpfr {
        Mpfr(-self.0)
    }
}

impl num_traits::Zero for Mpfr {
    fn zero() -> Self {
        Mpfr(Float::new(prec()))
    }
    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl num_traits::One for Mpfr {
    fn one() -> Self {
        Mpfr(Float::with_val(prec(), 1))
    }
}

impl Field for Mpfr {
    const NAME: &'static str = "mp";
    const EXACT: bool = false;

    fn from_rational(r: &Rational) -> Self {
        Mpfr(Float::with_val(prec(), Self::rational(r)))
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        if den == 1 {
            // An integer: one correctly rounded conversion, no rational.
            return Mpfr(Float::with_val(prec(), num));
        }
        Mpfr(Float::with_val(prec(), rug::Rational::from((num, den))))
    }

    fn to_f64(&self) -> f64 {
        self.0.to_f64()
    }

    fn size_bits(&self) -> u64 {
        u64::from(self.0.prec())
    }

    fn unit_roundoff() -> Magnitude {
        Magnitude::pow2(-f64::from(prec()))
    }

    fn magnitude(&self) -> Magnitude {
        if self.0.is_zero() {
            return Magnitude::ZERO;
        }
        match self.0.to_f64_exp() {
            (m, e) if m.is_finite() => Magnitude::from_log2(m.abs().log2() + f64::from(e)),
            _ => Magnitude::DIVERGED,
        }
    }

    fn square(&self) -> Self {
        Mpfr(Float::with_val(prec(), self.0.square_ref()))
    }

    fn mul_ref(&self, rhs: &Self) -> Self {
        Mpfr(Float::with_val(prec(), &self.0 * &rhs.0))
    }

    in_place_ref_ops!();

    fn add_product(&mut self, a: &Self, b: &Self) {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            if scratch.prec() != prec() {
                *scratch = Float::new(prec());
            }
            // Rounded product, then rounded sum: the same two roundings as x + a·b.
            scratch.assign(&a.0 * &b.0);
            self.0 += &*scratch;
        })
    }

    fn try_sqrt(&self) -> Option<Self> {
        (self.0.cmp0() != Some(Ordering::Less)).then(|| Mpfr(self.0.clone().sqrt()))
    }
}

impl Real for Mpfr {
    fn sqrt(&self) -> Self {
        Mpfr(self.0.clone().sqrt())
    }
    /// eˣ, saturating where [`super::Mp::exp`] does (|x| > 2³⁰), so both tiers report the same
    /// runs as diverged.
    fn exp(&self) -> Self {
        let limit = Float::with_val(prec(), 1u64 << 30);
        if self.0 < -limit.clone() {
            return <Mpfr as num_traits::Zero>::zero();
        }
        if self.0 > limit {
            return Mpfr(limit.exp());
        }
        Mpfr(self.0.clone().exp())
    }
    fn ln(&self) -> Self {
        Mpfr(self.0.clone().ln())
    }
    fn ln_1p(&self) -> Self {
        Mpfr(self.0.clone().ln_1p())
    }
    fn from_f64(x: f64) -> Self {
        let exact = if x.is_finite() { x } else { 0.0 };
        Mpfr(Float::with_val_round(prec(), exact, Round::Nearest).0)
    }
    fn epsilon() -> Self {
        Mpfr(Float::with_val(prec(), Float::u_exp(1, -(prec() as i32))))
    }
}

impl Mpfr {
    /// m·2^e at the current precision (exact when m has at most that many bits).
    pub(crate) fn from_dyadic(m: &dashu_int::IBig, e: i64) -> Mpfr {
        let words = dashu_base::UnsignedAbs::unsigned_abs(m);
        let mut int = rug::Integer::from_digits(words.as_words(), rug::integer::Order::Lsf);
        if *m < dashu_int::IBig::ZERO {
            int = -int;
        }
        let mut x = Float::with_val(prec(), int);
        x <<= i32::try_from(e).unwrap_or(if e < 0 { i32::MIN } else { i32::MAX });
        Mpfr(x)
    }

    /// (m, e) with value m·2^e; None for ±∞ and NaN.
    pub(crate) fn dyadic_parts(&self) -> Option<(dashu_int::IBig, i64)> {
        if self.0.is_zero() {
            return Some((dashu_int::IBig::ZERO, 0));
        }
        let (int, e) = self.0.to_integer_exp()?;
        let words = int.to_digits::<u64>(rug::integer::Order::Lsf);
        let m = dashu_int::IBig::from(dashu_int::UBig::from_words(&words));
        let m = if int.cmp0() == Ordering::Less { -m } else { m };
        Some((m, i64::from(e)))
    }

    /// Not a number.
    pub(crate) fn nan() -> Mpfr {
        Mpfr(Float::with_val(prec(), rug::float::Special::Nan))
    }

    /// The exact value as a rational (every binary float is a dyadic rational); None for ±∞
    /// and NaN.
    pub fn to_rational(&self) -> Option<Rational> {
        if self.0.is_zero() {
            return Some(Rational::ZERO);
        }
        let (mantissa, exp) = self.0.to_integer_exp()?;
        let m: dashu_int::IBig = mantissa.to_string().parse().ok()?;
        Some(Rational::from(m) * crate::optim::shadow::pow2::<Rational>(i64::from(exp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{ratio, with_precision, Mp};

    use crate::scalar::rational::within_relative as within;

    /// Sums, differences, products and quotients against the exact rational result of the same
    /// operands: MPFR is within half an ulp (u = 2⁻ᵖ relative: correct rounding), and so is
    /// dashu-float's result within u, but dashu's sum can keep one bit more than p (measured:
    /// −22/7 + 7/17 at 64 bits has a 65-bit significand), so the two tiers agree to an ulp, not
    /// bit for bit.
    #[test]
    fn basic_operations_are_correctly_rounded() {
        for bits in [64u32, 256, 1000] {
            with_precision(bits, || {
                let u = crate::optim::shadow::pow2::<Rational>(-i64::from(bits));
                for &(n, d) in &[(1, 3), (7, 10), (-22, 7), (355, 113), (1, 1_000_003)] {
                    let (a, b) = (Mpfr::from_ratio(n, d), Mpfr::from_ratio(d, 17));
                    let (x, y) = (a.to_rational().unwrap(), b.to_rational().unwrap());
                    assert!(within(&x, &ratio(n, d), &u), "rounding {n}/{d}");
                    let cases = [
                        (a.clone() + b.clone(), &x + &y, "+"),
                        (a.clone() - b.clone(), &x - &y, "-"),
                        (a.clone() * b.clone(), &x * &y, "*"),
                        (a.clone() / b.clone(), &x / &y, "/"),
                    ];
                    for (value, exact, what) in cases {
                        let got = value.to_rational().unwrap();
                        assert!(within(&got, &exact, &u), "{what} {n}/{d} at {bits}");
                    }
                    let (p, q) = (Mp::from_ratio(n, d), Mp::from_ratio(d, 17));
                    let dashu = [
                        (p.clone() + q.clone(), &x + &y),
                        (p.clone() * q.clone(), &x * &y),
                    ];
                    for (value, exact) in dashu {
                        assert!(within(&value.to_rational(), &exact, &u), "dashu {n}/{d}");
                    }
                }
            });
        }
    }

    /// The transcendental functions of the two tiers agree to a few ulps (each is correctly
    /// rounded or nearly so; their inputs may already differ by an ulp).
    #[test]
    fn transcendentals_agree_with_dashu() {
        for bits in [64u32, 256, 1000] {
            with_precision(bits, || {
                let u = crate::optim::shadow::pow2::<Rational>(4 - i64::from(bits));
                for &(n, d) in &[(1, 3), (7, 10), (22, 7), (355, 113), (1, 1_000_003)] {
                    let (a, b) = (Mp::from_ratio(n, d), Mpfr::from_ratio(n, d));
                    let pairs = [
                        (a.exp().to_rational(), b.exp().to_rational().unwrap(), "exp"),
                        (a.ln().to_rational(), b.ln().to_rational().unwrap(), "ln"),
                        (
                            a.ln_1p().to_rational(),
                            b.ln_1p().to_rational().unwrap(),
                            "ln_1p",
                        ),
                        (
                            a.sqrt().to_rational(),
                            b.sqrt().to_rational().unwrap(),
                            "sqrt",
                        ),
                    ];
                    for (x, y, what) in pairs {
                        assert!(within(&x, &y, &u), "{what} {n}/{d} at {bits}");
                    }
                }
                assert_eq!(
                    Some(Mp::epsilon().to_rational()),
                    Mpfr::epsilon().to_rational()
                );
                assert_eq!(Mp::unit_roundoff(), Mpfr::unit_roundoff());
            });
        }
    }
}
