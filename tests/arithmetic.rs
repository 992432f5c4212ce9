//! Property tests per arithmetic tier (issue: "field axioms on random values, exact comparisons"):
//! exact rationals and the quadratic fields Q(√d) satisfy the field axioms with equality and
//! compare exactly; the arbitrary-precision floats stay within their unit roundoff of the exact
//! result of the same operands, and Q(√d)'s exact sign agrees with a high-precision evaluation.

use dashu_int::UBig;
use explr::scalar::quadratic::radicand_of;
use explr::scalar::{ratio, with_precision, with_radicand, Field, Mp, Quadratic, Rational, Real};
use proptest::prelude::*;

fn small() -> impl Strategy<Value = (i64, i64)> {
    (-1000i64..1000, 1i64..1000)
}

fn q(a: (i64, i64), b: (i64, i64)) -> Quadratic {
    Quadratic::new(ratio(a.0, a.1), ratio(b.0, b.1))
}

/// |x − exact| ≤ u·|exact|, exactly.
fn within_u(x: &Rational, exact: &Rational, bits: u32) -> bool {
    let u = explr::optim::shadow::pow2::<Rational>(-i64::from(bits));
    (x.clone() - exact.clone()).abs() <= u * exact.abs()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rationals_form_a_field(a in small(), b in small(), c in small()) {
        let (x, y, z) = (ratio(a.0, a.1), ratio(b.0, b.1), ratio(c.0, c.1));
        prop_assert_eq!((x.clone() + y.clone()) + z.clone(), x.clone() + (y.clone() + z.clone()));
        prop_assert_eq!(x.clone() * (y.clone() + z.clone()), x.clone() * y.clone() + x.clone() * z.clone());
        prop_assert_eq!(x.clone() - x.clone(), Rational::ZERO);
        if y != Rational::ZERO {
            prop_assert_eq!(x.clone() / y.clone() * y.clone(), x.clone());
        }
        prop_assert_eq!(x.square(), x.clone() * x.clone());
        prop_assert_eq!(x.powi(3), x.clone() * x.clone() * x.clone());
        // Exact comparison agrees with the cross-multiplied integers.
        prop_assert_eq!(x < y, a.0 * b.1 < b.0 * a.1);
    }

    #[test]
    fn quadratic_fields_form_a_field(
        d in prop::sample::select(vec![2u32, 3, 5, 3_924_001]),
        a in small(), b in small(), c in small(), e in small(),
    ) {
        with_radicand(&UBig::from(d), || -> Result<(), TestCaseError> {
            let (x, y) = (q(a, b), q(c, e));
            prop_assert_eq!(x.clone() * y.clone(), y.clone() * x.clone());
            prop_assert_eq!((x.clone() + y.clone()) * x.clone(), x.clone() * x.clone() + y.clone() * x.clone());
            if !num_traits::Zero::is_zero(&y) {
                prop_assert_eq!(x.clone() / y.clone() * y.clone(), x.clone());
            }
            prop_assert_eq!(x.square(), x.clone() * x.clone());
            // The square root of a square is ±x.
            let root = x.square().try_sqrt();
            prop_assert!(root == Some(x.clone()) || root == Some(-x.clone()), "{:?}", root);
            // The exact sign agrees with a 512-bit evaluation (far from 0 unless a = b = 0).
            let float = with_precision(512, || {
                let s = Mp::from_rational(&ratio(a.0, a.1))
                    + Mp::from_rational(&ratio(b.0, b.1)) * Mp::from_int(i64::from(d)).sqrt();
                s.to_f64()
            });
            let sign = x.sign();
            prop_assert_eq!(sign, float.partial_cmp(&0.0).unwrap());
            Ok(())
        })?;
    }

    #[test]
    fn mp_rounds_within_its_unit_roundoff(a in small(), b in small(), bits in prop::sample::select(vec![24u32, 64, 256, 2048])) {
        with_precision(bits, || -> Result<(), TestCaseError> {
            let (x, y) = (Mp::from_ratio(a.0, a.1), Mp::from_ratio(b.0, b.1));
            prop_assert!(within_u(&x.to_rational(), &ratio(a.0, a.1), bits));
            let (rx, ry) = (x.to_rational(), y.to_rational());
            prop_assert!(within_u(&(x.clone() + y.clone()).to_rational(), &(rx.clone() + ry.clone()), bits));
            prop_assert!(within_u(&(x.clone() - y.clone()).to_rational(), &(rx.clone() - ry.clone()), bits));
            prop_assert!(within_u(&(x.clone() * y.clone()).to_rational(), &(rx.clone() * ry.clone()), bits));
            if ry != Rational::ZERO {
                prop_assert!(within_u(&(x.clone() / y.clone()).to_rational(), &(rx / ry), bits));
            }
            Ok(())
        })?;
    }
}

/// The paper's T2 discriminant lives in Q(√3924001), and α* computed there satisfies its
/// quadratic x² − (1 + γ − λη)x + γ = 0 exactly.
#[test]
fn the_papers_alpha_is_exact_in_its_field() {
    let (lr, wd, m) = (ratio(1, 10), ratio(1, 2000), ratio(9, 10));
    let b = Rational::ONE + m.clone() - lr.clone() * wd.clone();
    let delta = b.clone() * b.clone() - ratio(4, 1) * m.clone();
    let (d, _) = radicand_of(&delta).expect("irrational");
    with_radicand(&d, || {
        let field = |r: &Rational| Quadratic::from_rational(r);
        let alpha = explr::optim::shadow::t2_root(
            &field(&lr),
            &field(&wd),
            &field(&m),
            explr::optim::shadow::Root::Larger,
        )
        .unwrap();
        let residual = alpha.square() - field(&b) * alpha.clone() + field(&m);
        assert!(num_traits::Zero::is_zero(&residual));
        // α* ≈ 0.99995 (f64 quadratic formula).
        let b64 = 1.9 - 5e-5;
        let expected = (b64 + (b64 * b64 - 3.6f64).sqrt()) / 2.0;
        assert!(
            (alpha.to_f64() - expected).abs() < 1e-12,
            "{}",
            alpha.to_f64()
        );
    });
}

/// The exact value of a p-bit float as a rational.
fn exact(x: &Mp) -> Rational {
    x.to_rational()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Interval enclosures contain the exact result of + − × ÷ on the exact endpoints' values
    /// (rationals), and √, exp, ln, ln(1+x) evaluated at 4× the precision at the point (a 4p-bit
    /// value within 2^(−4p) of the truth, far inside a p-bit enclosure's width).
    #[test]
    fn intervals_contain_the_exact_results(
        a in small(), b in small(), bits in prop::sample::select(vec![24u32, 64, 256]),
    ) {
        use explr::scalar::Interval;
        let (x, y) = (ratio(a.0, a.1), ratio(b.0, b.1));
        let (ix, iy) = with_precision(bits, || (Interval::from_rational(&x), Interval::from_rational(&y)));
        prop_assert!(ix.contains(&x) && iy.contains(&y));
        let ops = with_precision(bits, || {
            let mut ops = vec![
                (ix.clone() + iy.clone(), x.clone() + y.clone(), "+"),
                (ix.clone() - iy.clone(), x.clone() - y.clone(), "-"),
                (ix.clone() * iy.clone(), x.clone() * y.clone(), "*"),
                (ix.clone() * ix.clone() * iy.clone(), x.clone() * x.clone() * y.clone(), "x*x*y"),
            ];
            // x / 0 has no exact value to contain (the generator does draw b = 0).
            if y != ratio(0, 1) {
                ops.push((ix.clone() / iy.clone(), x.clone() / y.clone(), "/"));
            }
            ops
        });
        for (enclosure, value, what) in ops {
            prop_assert!(enclosure.contains(&value), "{} of {:?}, {:?} at {}: {:?}", what, a, b, bits, enclosure);
        }
        // Transcendentals at positive points: the 4p-bit value lies inside the p-bit enclosure.
        let p = x.clone().abs() + ratio(1, 7);
        let enclosures = with_precision(bits, || {
            let i = Interval::from_rational(&p);
            [i.sqrt(), i.exp(), i.ln(), i.ln_1p()]
        });
        let points = with_precision(4 * bits, || {
            let m = Mp::from_rational(&p);
            [exact(&m.sqrt()), exact(&m.exp()), exact(&m.ln()), exact(&m.ln_1p())]
        });
        for (k, (e, v)) in enclosures.iter().zip(&points).enumerate() {
            prop_assert!(e.contains(v), "function {} at {:?}, {} bits: {:?}", k, p, bits, e);
        }
    }
}

/// An enclosure's width stays near its unit roundoff for a few operations, and a comparison the
/// enclosures cannot decide is counted, never guessed.
#[test]
fn interval_widths_and_undecided_comparisons() {
    use explr::scalar::interval::take_undecided;
    use explr::scalar::Interval;
    with_precision(128, || {
        let third = Interval::from_ratio(1, 3);
        let w = third.width();
        assert!(w > 0.0 && w.log2() < -127.0, "width {w}");
        let sum = third.clone() + third.clone() + third.clone();
        assert!(sum.contains(&Rational::ONE) && sum.width().log2() < -125.0);
        take_undecided();
        // 1/3 vs 1/3 + 2^-140: overlapping enclosures, undecidable at 128 bits.
        let close =
            Interval::from_rational(&(ratio(1, 3) + explr::optim::shadow::pow2::<Rational>(-140)));
        assert_eq!(third.partial_cmp(&close), None);
        assert_eq!(take_undecided(), 1);
        assert!(third < Interval::from_ratio(1, 2));
        assert_eq!(take_undecided(), 0);
    });
}

/// dashu answers e^0, ln 1 and √0 at unlimited precision, and its next transcendental call
/// panicked on them ("precision cannot be 0"); the enclosures put each result back at the run's
/// precision, so the chains below run and still contain the exact values.
#[test]
fn interval_shortcut_results_keep_the_run_precision() {
    use explr::scalar::{Field, Interval, Real};
    with_precision(128, || {
        let zero = Interval::from_int(0);
        let one = Interval::from_int(1);
        // ln(1 + e^0) = ln 2, enclosed.
        let ln2 = zero.exp().ln_1p();
        assert!((ln2.to_f64() - std::f64::consts::LN_2).abs() < 1e-15);
        assert!(ln2.width().log2() < -120.0, "width {}", ln2.width());
        // e^(ln 1) = 1 and √(√0) = 0 exactly.
        assert!(one.ln().exp().contains(&Rational::ONE));
        assert!(zero.sqrt().sqrt().contains(&Rational::ZERO));
        assert!(zero.ln_1p().exp().contains(&Rational::ONE));
    });
}

/// A random dyadic-scaled ratio n/d · 2^k with k in −300..300: operands far apart in exponent
/// exercise the alignment, the sticky bits and the cancellation paths of `Fixed`.
fn scaled() -> impl Strategy<Value = (i64, i64, i64)> {
    (-1_000_000i64..1_000_000, 1i64..1_000_000, -300i64..300)
}

fn fixed_value<const N: usize>(a: (i64, i64, i64)) -> explr::scalar::Fixed<N> {
    let two = explr::scalar::Fixed::<N>::from_int(2);
    explr::scalar::Fixed::<N>::from_ratio(a.0, a.1) * two.powi(a.2)
}

/// Whether the dyadic rational r has at most `bits` significant bits (a p-bit float's value).
fn fits(r: &Rational, bits: u32) -> bool {
    let n = dashu_base::UnsignedAbs::unsigned_abs(r.numerator());
    match n.trailing_zeros() {
        None => true,
        Some(tz) => dashu_base::BitTest::bit_len(&(n >> tz)) <= bits as usize,
    }
}

fn check_fixed<const N: usize>(
    a: (i64, i64, i64),
    b: (i64, i64, i64),
    bits: u32,
) -> Result<(), TestCaseError> {
    with_precision(bits, || {
        let (x, y) = (fixed_value::<N>(a), fixed_value::<N>(b));
        let (rx, ry) = (x.to_rational().unwrap(), y.to_rational().unwrap());
        let exact_a = ratio(a.0, a.1) * explr::optim::shadow::pow2::<Rational>(a.2);
        prop_assert!(within_u(&rx, &exact_a, bits), "rounding of {:?}", a);
        let mut cases = vec![
            (x + y, rx.clone() + ry.clone(), "+"),
            (x - y, rx.clone() - ry.clone(), "-"),
            (x * y, rx.clone() * ry.clone(), "*"),
        ];
        if ry != Rational::ZERO {
            cases.push((x / y, rx.clone() / ry.clone(), "/"));
        }
        for (got, exact, what) in cases {
            let got = got.to_rational().unwrap();
            prop_assert!(
                within_u(&got, &exact, bits),
                "{} {:?} {:?} at {}",
                what,
                a,
                b,
                bits
            );
            // Rounded to p bits, not merely close: a result carrying more bits would pass the
            // bound above.
            prop_assert!(fits(&got, bits), "{} has more than {} bits", what, bits);
        }
        // √: the rounded root r satisfies (r ± ulp/2)² bracketing x.
        let s = x.abs().sqrt().to_rational().unwrap();
        prop_assert!(fits(&s, bits), "sqrt has more than {} bits", bits);
        let target = rx.abs();
        let half_ulp = s.clone() * explr::optim::shadow::pow2::<Rational>(-i64::from(bits));
        prop_assert!((s.clone() - half_ulp.clone()).square() <= target);
        prop_assert!(target <= (s + half_ulp).square());
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `Fixed` (the allocation-free mp tier up to 512 bits) rounds + − × ÷ √ correctly: within
    /// half an ulp (u = 2^(−p) relative) of the exact rational result, at precisions below and at
    /// each width (2, 4 and 8 words), on operands up to 2^±300 apart.
    #[test]
    fn fixed_rounds_correctly(a in scaled(), b in scaled(), which in 0usize..6) {
        match which {
            0 => check_fixed::<2>(a, b, 24)?,
            1 => check_fixed::<2>(a, b, 100)?,
            2 => check_fixed::<2>(a, b, 128)?,
            3 => check_fixed::<4>(a, b, 192)?,
            4 => check_fixed::<4>(a, b, 256)?,
            _ => check_fixed::<8>(a, b, 512)?,
        }
    }
}
