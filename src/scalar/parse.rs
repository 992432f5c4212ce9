//! Exact reading of numbers written as text: "0.1", "-1/10", "5e-4", "1.5E+2".

use dashu_int::{IBig, UBig};

use super::Rational;

use crate::error::{Error, Result};

fn parse_error(text: &str, reason: &str) -> Error {
    Error::Parse {
        field: "number".into(),
        value: crate::error::shorten(text),
        reason: reason.into(),
    }
}

fn parse_decimal(text: &str, whole: &str) -> Result<Rational> {
    let (mantissa, exponent): (&str, i64) = match whole.find(['e', 'E']) {
        Some(i) => (
            &whole[..i],
            whole[i + 1..]
                .parse()
                .map_err(|_| parse_error(text, "bad exponent"))?,
        ),
        None => (whole, 0),
    };
    if exponent.abs() > 10_000 {
        return Err(parse_error(text, "exponent beyond ±10000"));
    }
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = match digits.find('.') {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(parse_error(text, "no digits"));
    }
    if !int_part
        .chars()
        .chain(frac_part.chars())
        .all(|c| c.is_ascii_digit())
    {
        return Err(parse_error(text, "expected digits, '.', 'e' or '/'"));
    }
    let all_digits = format!("{int_part}{frac_part}");
    let mut numerator: IBig = all_digits
        .parse()
        .map_err(|_| parse_error(text, "bad digits"))?;
    if negative {
        numerator = -numerator;
    }
    let scale = exponent - frac_part.len() as i64;
    let power = UBig::from(10u8).pow(scale.unsigned_abs() as usize);
    let value = if scale >= 0 {
        Rational::from(numerator * IBig::from(power))
    } else {
        Rational::from_parts(numerator, power)
    };
    Ok(value)
}

/// Read a number exactly. Accepts decimals with an optional exponent and fractions `a/b`
/// whose parts are decimals. Rejects NaN, infinities and division by zero.
pub fn parse_rational(text: &str) -> Result<Rational> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(parse_error(text, "empty"));
    }
    match trimmed.split_once('/') {
        Some((num, den)) => {
            let num = parse_decimal(text, num.trim())?;
            let den = parse_decimal(text, den.trim())?;
            if den.is_zero() {
                return Err(parse_error(text, "division by zero"));
            }
            Ok(num / den)
        }
        None => parse_decimal(text, trimmed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scalar::ratio;

    #[test]
    fn reads_decimals_fractions_and_exponents_exactly() {
        assert_eq!(parse_rational("0.1").unwrap(), ratio(1, 10));
        assert_eq!(parse_rational("1/10").unwrap(), ratio(1, 10));
        assert_eq!(parse_rational("5e-4").unwrap(), ratio(1, 2000));
        assert_eq!(parse_rational("-1.5E+2").unwrap(), ratio(-150, 1));
        assert_eq!(parse_rational(" 3 ").unwrap(), ratio(3, 1));
        assert_eq!(parse_rational(".5").unwrap(), ratio(1, 2));
        assert_eq!(parse_rational("0.9/2").unwrap(), ratio(9, 20));
    }

    #[test]
    fn rejects_what_is_not_a_finite_number() {
        for bad in [
            "", "nan", "inf", "1/0", "1e", "--1", "1.2.3", "0x10", "1e99999", ".",
        ] {
            assert!(parse_rational(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
