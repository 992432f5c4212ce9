//! Exact rationals: the field tier only (no √, exp, ln).

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::ToPrimitive;

use super::Field;

impl Field for BigRational {
    const NAME: &'static str = "rational";
    const EXACT: bool = true;

    fn from_rational(r: &BigRational) -> Self {
        r.clone()
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        BigRational::new(BigInt::from(num), BigInt::from(den))
    }

    fn to_f64(&self) -> f64 {
        // num-rational rounds the exact quotient; values too large become ±inf, which only
        // reports see.
        ToPrimitive::to_f64(self).unwrap_or(f64::NAN)
    }

    fn size_bits(&self) -> u64 {
        self.numer().bits() + self.denom().bits()
    }

    fn unit_roundoff() -> f64 {
        0.0
    }

    fn try_sqrt(&self) -> Option<Self> {
        // A reduced fraction is a square iff its numerator and denominator are.
        if self.numer().sign() == num_bigint::Sign::Minus {
            return None;
        }
        let n = self.numer().sqrt();
        let d = self.denom().sqrt();
        (&n * &n == *self.numer() && &d * &d == *self.denom()).then(|| BigRational::new(n, d))
    }
}
