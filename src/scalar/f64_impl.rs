//! IEEE double: both tiers.

use super::{Field, Rational, Real};

impl Field for f64 {
    const NAME: &'static str = "f64";
    const EXACT: bool = false;

    fn from_rational(r: &Rational) -> Self {
        // Correctly rounded; beyond f64's range ±inf or ±0 (parse turns those into errors).
        Field::to_f64(r)
    }

    fn from_ratio(num: i64, den: i64) -> Self {
        // Exact operands below 2⁵³ make this one correctly rounded division.
        num as f64 / den as f64
    }

    fn to_f64(&self) -> f64 {
        *self
    }

    /// Reads text exactly, then rounds once; a value beyond f64's range (it would round to ±inf,
    /// or a nonzero value to 0) is an error, never a silent inf or 0.
    fn parse(text: &str) -> crate::error::Result<Self> {
        let exact = super::parse_rational(text)?;
        let value = Self::from_rational(&exact);
        let underflows = value == 0.0 && !num_traits::Zero::is_zero(&exact);
        if !value.is_finite() || underflows {
            return Err(crate::error::Error::Parse {
                field: "number".into(),
                value: crate::error::shorten(text),
                reason: "beyond the range of f64; use --arith mp".into(),
            });
        }
        Ok(value)
    }

    fn size_bits(&self) -> u64 {
        64
    }

    fn mul_ref(&self, rhs: &Self) -> Self {
        self * rhs
    }

    fn unit_roundoff() -> super::Magnitude {
        super::Magnitude::pow2(-53.0)
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
