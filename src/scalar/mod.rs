//! Arithmetic as a type parameter.
//!
//! Two tiers, as nalgebra's `Scalar` / `RealField`:
//! - [`Field`]: + − × ÷, construction from an exact ratio or from text, conversion to f64.
//!   Exact rationals ([`Rational`], dashu-ratio) and the quadratic fields Q(√d) ([`Quadratic`])
//!   live here.
//! - [`Real`]: adds √, exp, ln, ln(1+x), cos — floats only: `f64` and [`Mp`] (dashu-float, precision
//!   chosen at run time).
//!
//! Generic code asks for the weakest tier that works, so a rational run cannot reach a loss that
//! needs a square root. Constants come from exact ratios or text, never from f64 literals: in exact
//! mode 0.1_f64 is 3602879701896397/36028797018963968, not 1/10.

/// `add_assign_ref`, `sub_assign_ref`, `mul_assign_ref`, `div_assign_ref` for a newtype over a float whose
/// `op=` takes a reference (dashu's `FBig`, rug's `Float`): in place, no copy of the operand.
macro_rules! in_place_ref_ops {
    () => {
        fn add_assign_ref(&mut self, rhs: &Self) {
            self.0 += &rhs.0;
        }

        fn sub_assign_ref(&mut self, rhs: &Self) {
            self.0 -= &rhs.0;
        }

        fn mul_assign_ref(&mut self, rhs: &Self) {
            self.0 *= &rhs.0;
        }

        fn div_assign_ref(&mut self, rhs: &Self) {
            self.0 /= &rhs.0;
        }
    };
}

mod f64_impl;
pub mod fixed;
pub mod interval;
pub mod magnitude;
mod mp;
#[cfg(feature = "mpfr")]
pub mod mpfr;
mod parse;
pub mod quadratic;
pub(crate) mod rational;

pub use fixed::Fixed;
pub use interval::Interval;
pub use magnitude::Magnitude;
pub use mp::{with_precision, Mp};

/// The type `--arith mp` runs in: MPFR with the `mpfr` feature, dashu-float without (they
/// agree to an ulp per operation; see `mpfr`).
#[cfg(feature = "mpfr")]
pub type MpRun = mpfr::Mpfr;
/// The type `--arith mp` runs in: MPFR with the `mpfr` feature, dashu-float without (they
/// agree to an ulp per operation; see `mpfr`).
#[cfg(not(feature = "mpfr"))]
pub type MpRun = Mp;

/// Runs `$body` at `$bits` bits of `--arith mp` with the type `$T` bound to the fastest tier for
/// that precision: [`Fixed`] with 2, 4 or 8 words up to 128, 256 and 512 bits (no allocation;
/// correctly rounded like MPFR), [`MpRun`] above.
#[macro_export]
macro_rules! with_mp {
    ($bits:expr, $T:ident => $body:expr) => {{
        let bits: u32 = $bits;
        $crate::scalar::with_precision(bits, || {
            if bits <= 128 {
                type $T = $crate::scalar::Fixed<2>;
                $body
            } else if bits <= 256 {
                type $T = $crate::scalar::Fixed<4>;
                $body
            } else if bits <= 512 {
                type $T = $crate::scalar::Fixed<8>;
                $body
            } else {
                type $T = $crate::scalar::MpRun;
                $body
            }
        })
    }};
}
pub use parse::parse_rational;
pub use quadratic::{with_radicand, Quadratic};
pub use rational::{ratio, Rational};

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::error::{Error, Result};

/// Stops a run in an enclosure arithmetic at `at` ("step 12 of bn+wd") when its enclosures
/// could not decide comparisons the run branches on since the last call: an error naming
/// --precision and the place (exit 2), never a guessed branch. Ok for every other arithmetic.
pub fn decided<T: Field>(at: impl std::fmt::Display, what: &str) -> Result<()> {
    let count = T::take_undecided();
    if count == 0 {
        return Ok(());
    }
    let bits = -T::unit_roundoff().log2();
    Err(Error::invalid(
        "--precision",
        bits as u64,
        format!(
            "raise --precision: at {at}, {count} comparison(s) the enclosures cannot decide ({what})"
        ),
    ))
}

/// The field tier: what exact rationals, f64 and arbitrary-precision floats share.
pub trait Field:
    Clone
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + num_traits::Zero
    + num_traits::One
{
    /// The name used on the command line and in reports (`f64`, `mp`, `rational`).
    const NAME: &'static str;
    /// True for exact arithmetic, where identities must hold with equality.
    const EXACT: bool;
    /// True for enclosures: every value contains the exact one, and a comparison they cannot
    /// decide is counted (see [`Field::take_undecided`]) instead of guessed.
    const CERTIFIED: bool = false;

    /// The exact rational `r`, rounded to this arithmetic.
    fn from_rational(r: &Rational) -> Self;

    /// num/den, rounded once.
    fn from_ratio(num: i64, den: i64) -> Self;

    /// An integer.
    fn from_int(n: i64) -> Self {
        Self::from_ratio(n, 1)
    }

    /// Read "0.1", "1/10", "5e-4" exactly, then round once to this arithmetic.
    fn parse(text: &str) -> Result<Self> {
        Ok(Self::from_rational(&parse_rational(text)?))
    }

    /// Nearest f64 (for reports and plots only).
    fn to_f64(&self) -> f64;

    /// Unit roundoff of the arithmetic: 0 for exact rationals, 2⁻⁵³ for f64, 2⁻ᴾ for P-bit mp —
    /// a [`Magnitude`], since 2⁻ᴾ is below f64's range from P = 1075 on.
    fn unit_roundoff() -> Magnitude;

    /// |x| as a [`Magnitude`]: its size at any exponent (f64 would round it to 0 or ∞ outside
    /// its range); diverged for a value that is not a finite number.
    fn magnitude(&self) -> Magnitude {
        Magnitude::from_f64(self.to_f64())
    }

    /// |x − y| as a [`Magnitude`]: exactly 0 iff x = y. Computed in the arithmetic itself;
    /// exact rationals size the unreduced difference instead (the same value, without the gcd
    /// that reducing two large fractions to one costs).
    fn gap(&self, other: &Self) -> Magnitude {
        (self.clone() - other.clone()).magnitude()
    }

    /// x·y from references. The operators take their operands by value, so generic code clones
    /// both; at a few hundred bits those copies and their allocations cost more than the
    /// arithmetic. The float tiers override these to write the result straight into one new
    /// number. Same rounding as the operator.
    fn mul_ref(&self, rhs: &Self) -> Self {
        self.clone() * rhs.clone()
    }

    /// x += y without cloning y (same rounding as `+`).
    fn add_assign_ref(&mut self, rhs: &Self) {
        *self += rhs.clone();
    }

    /// x −= y without cloning y (same rounding as `−`).
    fn sub_assign_ref(&mut self, rhs: &Self) {
        *self -= rhs.clone();
    }

    /// x += a·b with two roundings, as `x + a * b` (not a fused multiply-add, whose single
    /// rounding would make the float tiers compute different numbers). MPFR writes the product
    /// into a scratch number instead of a new allocation.
    fn add_product(&mut self, a: &Self, b: &Self) {
        self.add_assign_ref(&a.mul_ref(b));
    }

    /// x ·= y without cloning y (same rounding as `×`).
    fn mul_assign_ref(&mut self, rhs: &Self) {
        *self *= rhs.clone();
    }

    /// x /= y without cloning y (same rounding as `÷`).
    fn div_assign_ref(&mut self, rhs: &Self) {
        *self /= rhs.clone();
    }

    /// A lower bound on |x|: |x| itself for numbers, the nearest point to 0 for an enclosure.
    fn magnitude_lower(&self) -> Magnitude {
        self.magnitude()
    }

    /// Whether x is certainly not 0: x ≠ 0 for numbers, an enclosure that excludes 0.
    fn certainly_nonzero(&self) -> bool {
        !num_traits::Zero::is_zero(self)
    }

    /// How many comparisons since the last call the arithmetic could not decide (always 0 but
    /// for enclosures, whose overlapping intervals are unordered); resets the count.
    fn take_undecided() -> usize {
        0
    }

    /// The enclosure's width hi − lo, rounded up (0 for a number).
    fn width(&self) -> Magnitude {
        Magnitude::ZERO
    }

    /// One exact point of the enclosure, as a degenerate enclosure (the number itself for
    /// numbers): the centre of a mean-value step.
    fn point_inside(&self) -> Self {
        self.clone()
    }

    /// |x|.
    fn abs(&self) -> Self {
        if *self < Self::zero() {
            -self.clone()
        } else {
            self.clone()
        }
    }

    /// x².
    fn square(&self) -> Self {
        self.clone() * self.clone()
    }

    /// xⁿ for an integer n (negative allowed for nonzero x), by repeated squaring.
    fn powi(&self, n: i64) -> Self {
        let mut base = if n < 0 {
            Self::one() / self.clone()
        } else {
            self.clone()
        };
        let mut e = n.unsigned_abs();
        let mut acc = Self::one();
        while e > 0 {
            if e & 1 == 1 {
                acc *= base.clone();
            }
            e >>= 1;
            if e > 0 {
                base = base.square();
            }
        }
        acc
    }

    /// Size of the number's representation in bits (grows in exact mode; fixed for floats).
    fn size_bits(&self) -> u64;

    /// (Σ aᵢbᵢ) / (Σ cᵢdᵢ) — or Σ aᵢbᵢ alone when `den` is None — rounded once to f64, for
    /// reports. Exact arithmetic overrides it to skip every gcd: the rounded quotient does not
    /// need the sums in lowest terms, and at the sizes an exact run reaches the gcds are most of
    /// its cost.
    fn dots_to_f64(num: (&[Self], &[Self]), den: Option<(&[Self], &[Self])>) -> f64 {
        let dot = |(a, b): (&[Self], &[Self])| {
            a.iter().zip(b).fold(Self::zero(), |mut acc, (x, y)| {
                acc.add_product(x, y);
                acc
            })
        };
        match den {
            Some(den) => (dot(num) / dot(den)).to_f64(),
            None => dot(num).to_f64(),
        }
    }

    /// √x when this arithmetic has it: the rounded root for floats (x ≥ 0), the exact root for
    /// rationals that are perfect squares, otherwise None.
    fn try_sqrt(&self) -> Option<Self>;
}

/// The real tier: floats with transcendental functions.
pub trait Real: Field {
    /// √x (x ≥ 0).
    fn sqrt(&self) -> Self;
    /// eˣ.
    fn exp(&self) -> Self;
    /// ln x (x > 0).
    fn ln(&self) -> Self;
    /// ln(1 + x), accurate for small x.
    fn ln_1p(&self) -> Self;
    /// The f64 value x exactly (every f64 is a dyadic rational).
    fn from_f64(x: f64) -> Self;
    /// Unit roundoff: the relative spacing of numbers near 1.
    fn epsilon() -> Self;

    /// π, by Machin's formula π = 16 atan(1/5) − 4 atan(1/239), summed to [`Real::epsilon`].
    fn pi() -> Self {
        let atan_inv = |k: i64| {
            // atan(1/k) = Σ (−1)ⁿ / ((2n+1) k^(2n+1))
            let k2 = Self::from_int(k * k);
            let mut power = Self::one() / Self::from_int(k);
            let mut sum = Self::zero();
            let mut n = 0i64;
            loop {
                let term = power.clone() / Self::from_int(2 * n + 1);
                if term.abs() < Self::epsilon() * Self::from_ratio(1, 64) {
                    break;
                }
                if n % 2 == 0 {
                    sum += term;
                } else {
                    sum -= term;
                }
                power /= k2.clone();
                n += 1;
            }
            sum
        };
        Self::from_int(16) * atan_inv(5) - Self::from_int(4) * atan_inv(239)
    }

    /// cos x by range reduction to [−π, π] and the Taylor series, summed to [`Real::epsilon`].
    fn cos(&self) -> Self {
        let two_pi = Self::from_int(2) * Self::pi();
        let turns = (self.to_f64() / two_pi.to_f64()).round();
        (self.clone() - two_pi * Self::from_f64(turns)).cos_reduced()
    }

    /// cos x for |x| ≤ π (no range reduction), by the Taylor series summed to [`Real::epsilon`].
    fn cos_reduced(&self) -> Self {
        let x2 = self.square();
        let mut term = Self::one();
        let mut sum = Self::one();
        let mut n = 1i64;
        loop {
            term = -term * x2.clone() / Self::from_int((2 * n - 1) * (2 * n));
            if term.abs() < Self::epsilon() * Self::from_ratio(1, 64) {
                break;
            }
            sum += term.clone();
            n += 1;
        }
        sum
    }
}

/// Fewest mantissa bits of `--arith mp` (f64 has 53; dashu's ln and exp need some guard bits).
pub const MIN_PRECISION: u32 = 24;
/// Most mantissa bits of `--arith mp` (the run's time budget bounds what is practical).
pub const MAX_PRECISION: u32 = 1 << 16;

/// The runtime choice of arithmetic: one enum, matched once at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arith {
    /// IEEE double.
    F64,
    /// Arbitrary-precision binary float with the given mantissa bits.
    Mp(u32),
    /// Exact rationals.
    Rational,
    /// Certified enclosures: intervals of binary floats with the given mantissa bits.
    Interval(u32),
}

impl Arith {
    /// Name as shown in reports: `f64`, `mp256`, `rational`.
    pub fn label(&self) -> String {
        match self {
            Arith::F64 => "f64".into(),
            Arith::Mp(bits) => format!("mp{bits}"),
            Arith::Rational => "rational".into(),
            Arith::Interval(bits) => format!("iv{bits}"),
        }
    }

    /// Build from the CLI pair `--arith NAME --precision BITS`.
    pub fn new(name: ArithName, precision: u32) -> Result<Self> {
        let bits = || {
            if (MIN_PRECISION..=MAX_PRECISION).contains(&precision) {
                Ok(precision)
            } else {
                Err(crate::error::Error::invalid(
                    "--precision",
                    precision,
                    format!("must be between {MIN_PRECISION} and {MAX_PRECISION} bits"),
                ))
            }
        };
        Ok(match name {
            ArithName::F64 => Arith::F64,
            ArithName::Rational => Arith::Rational,
            ArithName::Mp => Arith::Mp(bits()?),
            ArithName::Interval => Arith::Interval(bits()?),
        })
    }
}

/// `--arith`: the arithmetic's name (the precision comes separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArithName {
    /// IEEE double.
    F64,
    /// Arbitrary-precision binary floats.
    Mp,
    /// Exact rationals.
    Rational,
    /// Certified enclosures.
    Interval,
}
