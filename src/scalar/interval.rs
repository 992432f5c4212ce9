//! Certified enclosures: intervals [lo, hi] of arbitrary-precision binary floats with outward
//! rounding — the arithmetic of `--arith interval` (`verify theorem`, `verify toy`).
//!
//! Every operation returns an interval that contains the exact result of the operation applied to
//! every pair of points of its operands: the lower endpoint is computed in dashu-float's
//! round-toward-−∞ mode and the upper one toward +∞. √, exp, ln and ln(1 + x) are monotone, so
//! they map endpoints to endpoints; dashu-float 0.6 documents its kernels as correctly rounded in
//! the requested mode (a Ziv loop for the transcendental ones), which is the error guarantee the
//! enclosures rest on, and `tests/arithmetic.rs` checks containment against exact rationals and
//! 4× higher precision on random inputs.
//!
//! A comparison the enclosures cannot decide (they overlap) is not guessed: `partial_cmp` answers
//! None and records it, and [`take_undecided`] lets the caller stop with an error naming the step.

use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use dashu_base::Approximation;
use dashu_float::round::mode::{Down, Up};
use dashu_float::FBig;

use super::mp::precision;
use super::{Field, Magnitude, Rational, Real};

type Lo = FBig<Down, 2>;
type Hi = FBig<Up, 2>;

thread_local! {
    static UNDECIDED: Cell<usize> = const { Cell::new(0) };
}

/// How many comparisons since the last call could not be decided by the enclosures (and resets
/// the count). A caller that branches on comparisons checks it after each step.
pub fn take_undecided() -> usize {
    UNDECIDED.with(|u| u.replace(0))
}

fn lo_at<T: Into<Lo>>(x: T) -> Lo {
    let x: Lo = x.into();
    match x.with_precision(precision()) {
        Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
    }
}

fn hi_at<T: Into<Hi>>(x: T) -> Hi {
    let x: Hi = x.into();
    match x.with_precision(precision()) {
        Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
    }
}

/// A closed interval [lo, hi] that contains the exact value.
#[derive(Clone)]
pub struct Interval {
    lo: Lo,
    hi: Hi,
}

impl Interval {
    /// The lower endpoint, exactly, as a rational.
    pub fn lo(&self) -> Rational {
        let repr = self.lo.repr();
        super::rational::dyadic(repr.significand(), repr.exponent())
    }

    /// The upper endpoint, exactly, as a rational.
    pub fn hi(&self) -> Rational {
        let repr = self.hi.repr();
        super::rational::dyadic(repr.significand(), repr.exponent())
    }

    /// hi − lo, rounded up: the enclosure's width.
    pub fn width(&self) -> Magnitude {
        let lo_up: Hi = self.lo.clone().with_rounding();
        (self.hi.clone() - lo_up).magnitude_hi()
    }

    /// Whether the enclosure contains the exact rational r.
    pub fn contains(&self, r: &Rational) -> bool {
        self.lo() <= *r && *r <= self.hi()
    }

    /// Whether the two enclosures share a point.
    pub fn intersects(&self, other: &Interval) -> bool {
        self.lo() <= other.hi() && other.lo() <= self.hi()
    }

    fn from_bounds(lo: Lo, hi: Hi) -> Self {
        Interval { lo, hi }
    }

    fn point_rational(r: &Rational) -> Self {
        let num_lo = lo_at(r.numerator().clone());
        let den_lo = lo_at(r.denominator().clone());
        let num_hi = hi_at(r.numerator().clone());
        let den_hi = hi_at(r.denominator().clone());
        // The endpoints of num and den are each exact or bracket them; dividing each pair in its
        // direction keeps the quotient inside for positive denominators.
        let lo = if num_lo >= Lo::ZERO {
            num_lo / lo_from_hi(&den_hi)
        } else {
            num_lo / den_lo.clone()
        };
        let hi = if num_hi >= Hi::ZERO {
            num_hi / hi_from_lo(&den_lo)
        } else {
            num_hi / den_hi
        };
        Interval::from_bounds(lo, hi)
    }
}

fn lo_from_hi(x: &Hi) -> Lo {
    // An upper bound read as a lower-mode number: the same value, rounding mode switched.
    x.clone().with_rounding()
}

fn hi_from_lo(x: &Lo) -> Hi {
    x.clone().with_rounding()
}

trait MagnitudeHi {
    fn magnitude_hi(&self) -> Magnitude;
}

impl MagnitudeHi for Hi {
    /// An upper bound on |x| (x's nearest f64, raised by 2⁻⁵⁰ relative to cover its rounding;
    /// beyond f64's range, 2^(bits + exponent)).
    fn magnitude_hi(&self) -> Magnitude {
        let repr = self.repr();
        let significand = repr.significand();
        if significand.is_zero() {
            return Magnitude::ZERO;
        }
        match self.to_f64() {
            Approximation::Exact(v) | Approximation::Inexact(v, _)
                if v.is_finite() && v != 0.0 && v.abs() >= f64::MIN_POSITIVE =>
            {
                Magnitude::from_f64(v).times(1.0 + 2f64.powi(-50))
            }
            _ => {
                use dashu_base::{BitTest, UnsignedAbs};
                let bits = significand.unsigned_abs().bit_len() as f64;
                Magnitude::from_log2(bits + repr.exponent() as f64)
            }
        }
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.lo, self.hi)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.lo, self.hi)
    }
}

/// Intervals are equal when their endpoints are (a structural equality, used by generic code
/// for "is exactly zero" checks).
impl PartialEq for Interval {
    fn eq(&self, other: &Self) -> bool {
        self.lo == other.lo && self.hi == other.hi
    }
}

/// Certainly less / certainly greater, or None (recorded, see [`take_undecided`]) when the
/// enclosures overlap — unless both are the same single point.
impl PartialOrd for Interval {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        // Endpoint comparisons are exact (the rounding mode only matters for arithmetic).
        if self.hi < hi_from_lo(&other.lo) {
            Some(Ordering::Less)
        } else if hi_from_lo(&self.lo) > other.hi {
            Some(Ordering::Greater)
        } else if hi_from_lo(&self.lo) == self.hi && self == other {
            Some(Ordering::Equal)
        } else {
            UNDECIDED.with(|u| u.set(u.get() + 1));
            None
        }
    }
}

impl Add for Interval {
    type Output = Interval;
    fn add(self, rhs: Interval) -> Interval {
        Interval::from_bounds(self.lo + rhs.lo, self.hi + rhs.hi)
    }
}

impl Sub for Interval {
    type Output = Interval;
    fn sub(self, rhs: Interval) -> Interval {
        let lo = self.lo - lo_from_hi(&rhs.hi);
        let hi = self.hi - hi_from_lo(&rhs.lo);
        Interval::from_bounds(lo, hi)
    }
}

impl Mul for Interval {
    type Output = Interval;
    fn mul(self, rhs: Interval) -> Interval {
        let (al, ah) = (&self.lo, &self.hi);
        let (bl, bh) = (&rhs.lo, &rhs.hi);
        let (al_h, bl_h) = (hi_from_lo(al), hi_from_lo(bl));
        let (ah_l, bh_l) = (lo_from_hi(ah), lo_from_hi(bh));
        let lows = [al * bl, al * &bh_l, &ah_l * bl, &ah_l * &bh_l];
        let highs = [&al_h * &bl_h, &al_h * bh, ah * &bl_h, ah * bh];
        let lo = lows.into_iter().reduce(|a, b| if b < a { b } else { a });
        let hi = highs.into_iter().reduce(|a, b| if b > a { b } else { a });
        Interval::from_bounds(lo.unwrap_or(Lo::ZERO), hi.unwrap_or(Hi::ZERO))
    }
}

impl Div for Interval {
    type Output = Interval;
    /// x / y for y not containing 0. An enclosure of 0 as divisor cannot be decided: it is
    /// counted with the undecided comparisons (the caller stops at this step, see
    /// [`take_undecided`]) and the quotient is a placeholder 0 that no verdict ever reads.
    fn div(self, rhs: Interval) -> Interval {
        if !(rhs.lo > Lo::ZERO || rhs.hi < Hi::ZERO) {
            UNDECIDED.with(|u| u.set(u.get() + 1));
            return <Interval as num_traits::Zero>::zero();
        }
        let (al, ah) = (&self.lo, &self.hi);
        let (bl, bh) = (&rhs.lo, &rhs.hi);
        let (al_h, bl_h) = (hi_from_lo(al), hi_from_lo(bl));
        let (ah_l, bh_l) = (lo_from_hi(ah), lo_from_hi(bh));
        let lows = [al / bl, al / &bh_l, &ah_l / bl, &ah_l / &bh_l];
        let highs = [&al_h / &bl_h, &al_h / bh, ah / &bl_h, ah / bh];
        let lo = lows.into_iter().reduce(|a, b| if b < a { b } else { a });
        let hi = highs.into_iter().reduce(|a, b| if b > a { b } else { a });
        Interval::from_bounds(lo.unwrap_or(Lo::ZERO), hi.unwrap_or(Hi::ZERO))
    }
}

impl Neg for Interval {
    type Output = Interval;
    fn neg(self) -> Interval {
        Interval::from_bounds(lo_from_hi(&-self.hi), hi_from_lo(&-self.lo))
    }
}

macro_rules! assign_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Interval {
            fn $method(&mut self, rhs: Interval) {
                let lhs = std::mem::replace(self, <Interval as num_traits::Zero>::zero());
                *self = lhs $op rhs;
            }
        }
    };
}

assign_op!(AddAssign, add_assign, +);
assign_op!(SubAssign, sub_assign, -);
assign_op!(MulAssign, mul_assign, *);
assign_op!(DivAssign, div_assign, /);

impl num_traits::Zero for Interval {
    fn zero() -> Self {
        Interval::from_bounds(lo_at(0), hi_at(0))
    }
    fn is_zero(&self) -> bool {
        self.lo == Lo::ZERO && self.hi == Hi::ZERO
    }
}

impl num_traits::One for Interval {
    fn one() -> Self {
        Interval::from_bounds(lo_at(1), hi_at(1))
    }
}

impl Field for Interval {
    const NAME: &'static str = "interval";
    const EXACT: bool = false;
    const CERTIFIED: bool = true;

    fn from_rational(r: &Rational) -> Self {
        Interval::point_rational(r)
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        Interval::point_rational(&super::ratio(num, den))
    }

    /// The midpoint, rounded to f64 (reports only).
    fn to_f64(&self) -> f64 {
        let f = |x: Approximation<f64, _>| match x {
            Approximation::Exact(v) | Approximation::Inexact(v, _) => v,
        };
        (f(self.lo.to_f64()) + f(self.hi.to_f64())) / 2.0
    }

    fn size_bits(&self) -> u64 {
        self.lo.precision() as u64
    }

    fn unit_roundoff() -> Magnitude {
        Magnitude::pow2(-(precision() as f64))
    }

    /// An upper bound on |x|: max(|lo|, |hi|).
    fn magnitude(&self) -> Magnitude {
        let hi_abs = if self.hi < Hi::ZERO {
            -self.hi.clone()
        } else {
            self.hi.clone()
        };
        let lo_abs: Hi = hi_from_lo(&if self.lo < Lo::ZERO {
            -self.lo.clone()
        } else {
            self.lo.clone()
        });
        hi_abs.magnitude_hi().max(lo_abs.magnitude_hi())
    }

    fn try_sqrt(&self) -> Option<Self> {
        (self.lo >= Lo::ZERO).then(|| self.sqrt())
    }

    /// The nearest point of the enclosure to 0 (0 when it contains 0).
    fn magnitude_lower(&self) -> Magnitude {
        if self.lo > Lo::ZERO {
            let lo: Hi = hi_from_lo(&self.lo);
            lo.magnitude_hi().times(1.0 - 2f64.powi(-48))
        } else if self.hi < Hi::ZERO {
            let hi: Hi = -self.hi.clone();
            hi.magnitude_hi().times(1.0 - 2f64.powi(-48))
        } else {
            Magnitude::ZERO
        }
    }

    fn certainly_nonzero(&self) -> bool {
        self.lo > Lo::ZERO || self.hi < Hi::ZERO
    }

    fn take_undecided() -> usize {
        take_undecided()
    }

    fn width(&self) -> Magnitude {
        Interval::width(self)
    }

    /// [lo, lo]: the lower endpoint, exactly.
    fn point_inside(&self) -> Self {
        Interval::from_bounds(self.lo.clone(), hi_from_lo(&self.lo))
    }

    /// [min |x|, max |x|] over the enclosure (no comparison to decide: an enclosure of 0 gives
    /// [0, max]).
    fn abs(&self) -> Self {
        if self.lo >= Lo::ZERO {
            self.clone()
        } else if self.hi <= Hi::ZERO {
            -self.clone()
        } else {
            let neg_lo: Hi = hi_from_lo(&-self.lo.clone());
            let hi = if neg_lo > self.hi {
                neg_lo
            } else {
                self.hi.clone()
            };
            Interval::from_bounds(lo_at(0), hi)
        }
    }
}

// dashu returns shortcut results (e^0 = 1, ln 1 = 0, √0 = 0) at unlimited precision, which its
// next transcendental call refuses: each result is put back at the run's precision (a no-op for
// every other result, which already carries it; directed, so an endpoint never moves inward).
impl Real for Interval {
    fn sqrt(&self) -> Self {
        Interval::from_bounds(lo_at(self.lo.sqrt()), hi_at(self.hi.sqrt()))
    }
    fn exp(&self) -> Self {
        Interval::from_bounds(lo_at(self.lo.exp()), hi_at(self.hi.exp()))
    }
    fn ln(&self) -> Self {
        Interval::from_bounds(lo_at(self.lo.ln()), hi_at(self.hi.ln()))
    }
    fn ln_1p(&self) -> Self {
        Interval::from_bounds(lo_at(self.lo.ln_1p()), hi_at(self.hi.ln_1p()))
    }
    fn from_f64(x: f64) -> Self {
        let exact = if x.is_finite() { x } else { 0.0 };
        Interval::from_bounds(
            lo_at(Lo::try_from(exact).unwrap_or(Lo::ZERO)),
            hi_at(Hi::try_from(exact).unwrap_or(Hi::ZERO)),
        )
    }
    fn epsilon() -> Self {
        let e = crate::optim::shadow::pow2::<Rational>(-(precision() as i64));
        Interval::point_rational(&e)
    }
}
