//! IEEE double: both tiers.

use num_rational::BigRational;
use num_traits::ToPrimitive;

use super::{Field, Real};

impl Field for f64 {
    const NAME: &'static str = "f64";
    const EXACT: bool = false;

    fn from_rational(r: &BigRational) -> Self {
        ToPrimitive::to_f64(r).unwrap_or(f64::NAN)
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        // Exact operands below 2⁵³ make this one correctly rounded division.
        num as f64 / den as f64
    }

    fn to_f64(&self) -> f64 {
        *self
    }

    fn size_bits(&self) -> u64 {
        64
    }

    fn unit_roundoff() -> f64 {
        f64::EPSILON / 2.0
    }

    fn try_sqrt(&self) -> Option<Self> {
        (*self >= 0.0).then(|| f64::sqrt(*self))
    }
}

impl Real for f64 {
    fn sqrt(&self) -> Self {
        f64::sqrt(*self)
    }
    fn exp(&self) -> Self {
        f64::exp(*self)
    }
    fn ln(&self) -> Self {
        f64::ln(*self)
    }
    fn ln_1p(&self) -> Self {
        f64::ln_1p(*self)
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn epsilon() -> Self {
        f64::EPSILON / 2.0
    }
    fn pi() -> Self {
        std::f64::consts::PI
    }
    fn cos(&self) -> Self {
        f64::cos(*self)
    }
}
