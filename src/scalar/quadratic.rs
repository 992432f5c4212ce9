//! Exact arithmetic in a real quadratic field Q(√d): numbers a + b√d with a, b rational.
//!
//! T2's α is a root of x² − (1 + γ − λη)x + γ, so for rational η, λ, γ it lies in Q(√Δ) with
//! Δ = (1 + γ − λη)² − 4γ — irrational for most inputs, including the paper's (0.1, 5e-4, 0.9).
//! Every operation T2 needs (+ − × ÷, comparison, the root itself) stays inside the field, so the
//! claim is checked with equality there, exactly as in Q.
//!
//! The radicand d is a positive integer that is not a perfect square, chosen per thread by
//! [`with_radicand`] (as `with_precision` chooses the bits of `Mp`); values carry only (a, b).
//! Under that condition the representation is unique, so equality is componentwise, and the sign
//! of a + b√d follows exactly from the signs of a, b and the comparison of a² with b²d.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use dashu_base::{Sign, SquareRoot, UnsignedAbs};
use dashu_int::UBig;
use num_traits::{One, Zero};

use super::{with_precision, Field, Mp, Rational, Real};

thread_local! {
    static RADICAND: RefCell<Option<Rational>> = const { RefCell::new(None) };
}

/// Runs `f` with every [`Quadratic`] value in Q(√d). `d` must be a positive integer that is not a
/// perfect square (see [`radicand_of`]).
pub fn with_radicand<R>(d: &UBig, f: impl FnOnce() -> R) -> R {
    let previous = RADICAND.with(|r| r.replace(Some(Rational::from(d.clone()))));
    let result = f();
    RADICAND.with(|r| *r.borrow_mut() = previous);
    result
}

/// The current thread's radicand d.
///
/// # Panics
/// Outside [`with_radicand`]: a quadratic-field value has no meaning without its field.
pub fn radicand() -> Rational {
    RADICAND.with(|r| {
        r.borrow()
            .clone()
            .expect("Quadratic used outside with_radicand")
    })
}

/// The exact square root of a nonnegative integer, if it has one.
fn int_sqrt(n: &UBig) -> Option<UBig> {
    let root = n.sqrt();
    (&root * &root == *n).then_some(root)
}

/// The exact square root of a nonnegative rational, if it has one.
fn rational_sqrt(r: &Rational) -> Option<Rational> {
    if r.sign() == Sign::Negative {
        return None;
    }
    let num = int_sqrt(&r.numerator().unsigned_abs())?;
    let den = int_sqrt(r.denominator())?;
    Some(Rational::from_parts(num.into(), den))
}

/// For a positive rational Δ that is not a square: the integer d with √Δ ∈ Q·√d, made small by
/// dividing out square factors below 1000 (so Q(√d) has a readable name), and s with √Δ = s√d.
/// None when Δ ≤ 0 or Δ is the square of a rational (then Q itself contains √Δ).
pub fn radicand_of(delta: &Rational) -> Option<(UBig, Rational)> {
    if delta.sign() != Sign::Positive || rational_sqrt(delta).is_some() {
        return None;
    }
    // √(p/q) = √(pq)/q.
    let p = delta.numerator().unsigned_abs();
    let q = delta.denominator().clone();
    let mut d = &p * &q;
    let mut outside = UBig::ONE;
    for k in 2u32..1000 {
        let k_sq = UBig::from(k * k);
        while (&d % &k_sq).is_zero() {
            d /= &k_sq;
            outside *= UBig::from(k);
        }
    }
    let s = Rational::from_parts(outside.into(), q);
    Some((d, s))
}

/// a + b√d in the current thread's field (see [`with_radicand`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Quadratic {
    /// The rational part a.
    pub a: Rational,
    /// The coefficient b of √d.
    pub b: Rational,
}

impl Quadratic {
    /// a + b√d.
    pub fn new(a: Rational, b: Rational) -> Self {
        Quadratic { a, b }
    }

    /// √d itself.
    pub fn root() -> Self {
        Quadratic::new(Rational::ZERO, Rational::ONE)
    }

    /// a − b√d: the field's nontrivial automorphism.
    pub fn conjugate(&self) -> Self {
        Quadratic::new(self.a.clone(), -self.b.clone())
    }

    /// (a + b√d)(a − b√d) = a² − b²d, a rational, zero only at 0.
    pub fn norm(&self) -> Rational {
        self.a.sqr() - self.b.sqr() * radicand()
    }

    /// The exact sign of a + b√d.
    pub fn sign(&self) -> Ordering {
        let sa = self.a.sign_ordering();
        let sb = self.b.sign_ordering();
        if sa == sb || sb == Ordering::Equal {
            return sa;
        }
        if sa == Ordering::Equal {
            return sb;
        }
        // Opposite signs: the larger of a² and b²d wins (they differ: d is not a square).
        match self.a.sqr().cmp(&(self.b.sqr() * radicand())) {
            Ordering::Greater => sa,
            _ => sb,
        }
    }
}

trait SignOrdering {
    fn sign_ordering(&self) -> Ordering;
}

impl SignOrdering for Rational {
    fn sign_ordering(&self) -> Ordering {
        if self.is_zero() {
            Ordering::Equal
        } else if self.sign() == Sign::Positive {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    }
}

impl PartialOrd for Quadratic {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some((self.clone() - other.clone()).sign())
    }
}

impl fmt::Debug for Quadratic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quadratic({self})")
    }
}

impl fmt::Display for Quadratic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = RADICAND.with(|r| r.borrow().as_ref().map(|d| d.to_string()));
        let d = d.unwrap_or_else(|| "d".into());
        write!(f, "{} + ({})*sqrt({d})", self.a, self.b)
    }
}

impl Add for Quadratic {
    type Output = Quadratic;
    fn add(self, rhs: Quadratic) -> Quadratic {
        Quadratic::new(self.a + rhs.a, self.b + rhs.b)
    }
}

impl Sub for Quadratic {
    type Output = Quadratic;
    fn sub(self, rhs: Quadratic) -> Quadratic {
        Quadratic::new(self.a - rhs.a, self.b - rhs.b)
    }
}

impl Mul for Quadratic {
    type Output = Quadratic;
    fn mul(self, rhs: Quadratic) -> Quadratic {
        if self.b.is_zero() {
            return Quadratic::new(&self.a * &rhs.a, &self.a * &rhs.b);
        }
        if rhs.b.is_zero() {
            return Quadratic::new(&self.a * &rhs.a, &self.b * &rhs.a);
        }
        let a = &self.a * &rhs.a + &self.b * &rhs.b * radicand();
        let b = &self.a * &rhs.b + &self.b * &rhs.a;
        Quadratic::new(a, b)
    }
}

impl Div for Quadratic {
    type Output = Quadratic;
    /// x / y = x·ȳ / N(y). Panics when y = 0, as rational division does.
    fn div(self, rhs: Quadratic) -> Quadratic {
        if rhs.b.is_zero() {
            return Quadratic::new(&self.a / &rhs.a, &self.b / &rhs.a);
        }
        let norm = rhs.norm();
        let product = self * rhs.conjugate();
        Quadratic::new(product.a / &norm, product.b / norm)
    }
}

impl Neg for Quadratic {
    type Output = Quadratic;
    fn neg(self) -> Quadratic {
        Quadratic::new(-self.a, -self.b)
    }
}

macro_rules! assign_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Quadratic {
            fn $method(&mut self, rhs: Quadratic) {
                let lhs = std::mem::replace(self, Quadratic::zero());
                *self = lhs $op rhs;
            }
        }
    };
}

assign_op!(AddAssign, add_assign, +);
assign_op!(SubAssign, sub_assign, -);
assign_op!(MulAssign, mul_assign, *);
assign_op!(DivAssign, div_assign, /);

impl Zero for Quadratic {
    fn zero() -> Self {
        Quadratic::new(Rational::ZERO, Rational::ZERO)
    }
    fn is_zero(&self) -> bool {
        self.a.is_zero() && self.b.is_zero()
    }
}

impl One for Quadratic {
    fn one() -> Self {
        Quadratic::new(Rational::ONE, Rational::ZERO)
    }
}

impl Field for Quadratic {
    const NAME: &'static str = "quadratic";
    const EXACT: bool = true;

    fn from_rational(r: &Rational) -> Self {
        Quadratic::new(r.clone(), Rational::ZERO)
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        Quadratic::from_rational(&super::ratio(num, den))
    }

    /// The nearest f64 (to within an ulp): a and b√d are evaluated at a precision that grows
    /// until their sum is resolved — a + b√d can be far smaller than either term, but it is
    /// nonzero unless a = b = 0, so some precision separates it from 0.
    fn to_f64(&self) -> f64 {
        if self.b.is_zero() {
            return Field::to_f64(&self.a);
        }
        let d = radicand();
        let mut bits = 128u32;
        loop {
            let (value, scale) = with_precision(bits, || {
                let a = Mp::from_rational(&self.a);
                let b_root = Mp::from_rational(&self.b) * Mp::from_rational(&d).sqrt();
                let scale = a.log10_abs().max(b_root.log10_abs());
                let sum = a + b_root;
                (sum.to_f64(), scale - sum.log10_abs())
            });
            // Cancellation lost `scale` decimal digits of the `bits`-bit terms; keep 64 bits.
            if scale * std::f64::consts::LOG2_10 < f64::from(bits) - 64.0 || bits >= 1 << 20 {
                return value;
            }
            bits *= 2;
        }
    }

    fn size_bits(&self) -> u64 {
        Field::size_bits(&self.a) + Field::size_bits(&self.b)
    }

    fn unit_roundoff() -> super::Magnitude {
        super::Magnitude::ZERO
    }

    fn square(&self) -> Self {
        if self.b.is_zero() {
            return Quadratic::new(self.a.sqr(), Rational::ZERO);
        }
        let a = self.a.sqr() + self.b.sqr() * radicand();
        let b = Rational::from(2) * &self.a * &self.b;
        Quadratic::new(a, b)
    }

    /// The exact root when it lies in the field: for x = a (b = 0) either √a or √(a/d)·√d; in
    /// general (p + q√d)² = x needs a² − b²d = s² and p² = (a ± s)/2, q = b/(2p).
    fn try_sqrt(&self) -> Option<Self> {
        if self.sign() == Ordering::Less {
            return None;
        }
        if self.b.is_zero() {
            if let Some(r) = rational_sqrt(&self.a) {
                return Some(Quadratic::new(r, Rational::ZERO));
            }
            let r = rational_sqrt(&(&self.a / radicand()))?;
            return Some(Quadratic::new(Rational::ZERO, r));
        }
        let s = rational_sqrt(&self.norm())?;
        let two = Rational::from(2);
        for p_sq in [(&self.a + &s) / &two, (&self.a - &s) / &two] {
            if let Some(p) = rational_sqrt(&p_sq).filter(|p| !p.is_zero()) {
                let q = &self.b / (&two * &p);
                let root = Quadratic::new(p, q);
                return Some(if root.sign() == Ordering::Less {
                    -root
                } else {
                    root
                });
            }
        }
        None
    }
}

/// The label of a run in Q(√d), as reports show it.
pub fn field_label(d: &UBig) -> String {
    format!("Q(sqrt {d})")
}

/// a + b√d with small integer parts, for tests.
#[cfg(test)]
pub(crate) fn q(a: (i64, i64), b: (i64, i64)) -> Quadratic {
    Quadratic::new(super::ratio(a.0, a.1), super::ratio(b.0, b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_q2<R>(f: impl FnOnce() -> R) -> R {
        with_radicand(&UBig::from(2u8), f)
    }

    #[test]
    fn arithmetic_matches_hand_computation_in_q_sqrt2() {
        in_q2(|| {
            let x = q((1, 1), (1, 1)); // 1 + √2
            let y = q((3, 1), (-2, 1)); // 3 − 2√2 = (1 − √2)² = 1/(1 + √2)²
            assert_eq!(x.clone() * x.clone() * y.clone(), Quadratic::one());
            assert_eq!(x.clone().square(), q((3, 1), (2, 1)));
            assert_eq!(Quadratic::one() / x.clone(), q((-1, 1), (1, 1)));
            assert_eq!(x.clone() - x.clone(), Quadratic::zero());
            assert_eq!(x.norm(), super::super::ratio(-1, 1));
            assert_eq!(x.powi(-2), y);
        });
    }

    #[test]
    fn signs_and_order_are_exact() {
        in_q2(|| {
            // 140/99 < √2 < 99/70 (continued fraction convergents, 7e-5 and 7e-5 away).
            assert_eq!(q((-99, 70), (1, 1)).sign(), Ordering::Less);
            assert_eq!(q((-140, 99), (1, 1)).sign(), Ordering::Greater);
            assert_eq!(q((140, 99), (-1, 1)).sign(), Ordering::Less);
            assert_eq!(q((99, 70), (-1, 1)).sign(), Ordering::Greater);
            assert_eq!(q((0, 1), (0, 1)).sign(), Ordering::Equal);
            assert!(q((0, 1), (1, 1)) > q((7, 5), (0, 1)));
            assert!(q((0, 1), (1, 1)) < q((3, 2), (0, 1)));
        });
    }

    #[test]
    fn roots_inside_the_field() {
        in_q2(|| {
            assert_eq!(q((2, 1), (0, 1)).try_sqrt(), Some(Quadratic::root()));
            assert_eq!(q((8, 9), (0, 1)).try_sqrt(), Some(q((0, 1), (2, 3))));
            assert_eq!(q((9, 4), (0, 1)).try_sqrt(), Some(q((3, 2), (0, 1))));
            assert_eq!(q((3, 1), (2, 1)).try_sqrt(), Some(q((1, 1), (1, 1))));
            assert_eq!(q((3, 1), (-2, 1)).try_sqrt(), Some(q((-1, 1), (1, 1))));
            assert_eq!(q((3, 1), (0, 1)).try_sqrt(), None);
            assert_eq!(q((-2, 1), (0, 1)).try_sqrt(), None);
        });
    }

    #[test]
    #[allow(clippy::float_cmp)] // 1/2 converts exactly
    fn to_f64_resolves_cancellation() {
        in_q2(|| {
            // (1 + √2)^-40 = a + b√2 with |a|, |b√2| ≈ 1.3e15 and a sum of 5e-16.
            let tiny = q((1, 1), (1, 1)).powi(-40);
            let expected = (1.0 + 2f64.sqrt()).powi(-40);
            assert!((tiny.to_f64() / expected - 1.0).abs() < 1e-12);
            assert_eq!(q((1, 2), (0, 1)).to_f64(), 0.5);
        });
    }

    #[test]
    fn radicands_lose_their_square_factors() {
        // The paper's T2: (1 + 0.9 − 0.1·5e-4)² − 3.6 = 98100025/10¹⁰ = 25·3924001/10¹⁰.
        let delta = super::super::parse_rational("0.0098100025").unwrap();
        let (d, s) = radicand_of(&delta).unwrap();
        assert_eq!(d, UBig::from(3_924_001u32));
        assert_eq!(s, super::super::ratio(5, 100_000));
        assert!(radicand_of(&super::super::ratio(9, 4)).is_none());
        assert!(radicand_of(&super::super::ratio(-2, 1)).is_none());
        assert_eq!(
            radicand_of(&super::super::ratio(8, 1)).unwrap().0,
            UBig::from(2u8)
        );
    }
}
