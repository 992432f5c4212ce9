//! Scale-invariance identities (docs/MATH.md §2, L1 and L2) and analytic-vs-finite-difference gradients,
//! written once generically and instantiated per arithmetic. Rationals compare with exact
//! equality; floats with a tolerance justified at each use.

use explr::linalg::{dot, norm_sq, scale, Vector};
use explr::loss::{LogisticPopulation, LogisticSample, Objective, Quadratic, Rayleigh};
use explr::scalar::Rational;
use explr::scalar::{with_precision, Field, Mp};
use proptest::prelude::*;

/// |a − b| ≤ tol · max(1, |b|) in T, reported in f64.
fn close<T: Field>(a: &T, b: &T, tol: f64) -> bool {
    let diff = (a.clone() - b.clone()).abs().to_f64();
    diff <= tol * b.abs().to_f64().max(1.0)
}

fn vec_close<T: Field>(a: &Vector<T>, b: &Vector<T>, tol: f64) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| close(x, y, tol))
}

/// L(cw) = L(w), ⟨∇L(w), w⟩ = 0 and ∇L(cw) = ∇L(w)/c, each within `tol` (0 means exact).
fn check_scale_invariance<T: Field>(model: &dyn Objective<T>, w: &Vector<T>, c: &T, tol: f64) {
    let cw = scale(w, c);
    let (l, g) = model.loss_and_gradient(w, 0);
    let (lc, gc) = model.loss_and_gradient(&cw, 0);
    let g_over_c = g.map(|x| x / c.clone());
    let orth = dot(&g, w);
    if T::EXACT {
        assert_eq!(lc, l, "L(cw) = L(w)");
        assert_eq!(orth, T::zero(), "<grad, w> = 0");
        assert_eq!(gc, g_over_c, "grad(cw) = grad(w)/c");
    } else {
        assert!(close(&lc, &l, tol), "L(cw) {lc} vs L(w) {l}");
        let scale_ref = (norm_sq(&g) * norm_sq(w)).to_f64().sqrt().max(1e-300);
        assert!(
            orth.abs().to_f64() <= tol * scale_ref.max(1.0),
            "<grad, w> = {orth}"
        );
        assert!(vec_close(&gc, &g_over_c, tol), "grad(cw) vs grad(w)/c");
    }
}

/// Central differences (L(w + h e_i) − L(w − h e_i)) / 2h against the analytic gradient.
fn check_gradient<T: Field>(model: &dyn Objective<T>, w: &Vector<T>, h: &T, tol: f64) {
    let g = model.gradient(w, 0);
    for i in 0..w.len() {
        let mut plus = w.clone();
        plus[i] += h.clone();
        let mut minus = w.clone();
        minus[i] -= h.clone();
        let fd = (model.loss(&plus, 0) - model.loss(&minus, 0)) / (T::from_int(2) * h.clone());
        assert!(
            close(&fd, &g[i], tol),
            "coordinate {i}: fd {fd} vs analytic {}",
            g[i]
        );
    }
}

fn ratio_vector(entries: &[(i64, i64)]) -> Vector<Rational> {
    Vector::from_iterator(
        entries.len(),
        entries.iter().map(|&(n, d)| Rational::from_ratio(n, d)),
    )
}

fn nonzero(v: &[(i64, i64)]) -> bool {
    v.iter().any(|&(n, _)| n != 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Exact: every identity holds with equality on the Rayleigh quotient and the toy.
    #[test]
    fn rayleigh_is_exactly_scale_invariant(
        entries in prop::collection::vec((-20i64..20, 1i64..9), 4),
        c in (1i64..50, 1i64..50),
        seed in 0u64..100,
    ) {
        prop_assume!(nonzero(&entries));
        let w = ratio_vector(&entries);
        let c = Rational::from_ratio(c.0, c.1);
        check_scale_invariance(&Rayleigh::<Rational>::random(4, seed), &w, &c, 0.0);
        check_scale_invariance(&Rayleigh::<Rational>::normalized_quadratic(4), &w, &c, 0.0);
    }

    /// f64: rounding of a handful of operations, each ≤ 2⁻⁵³ relative; 1e-12 leaves room.
    #[test]
    fn float_models_are_scale_invariant(
        w in prop::collection::vec(-3.0f64..3.0, 3),
        c in 0.05f64..20.0,
    ) {
        prop_assume!(w.iter().map(|x| x * x).sum::<f64>() > 1e-2);
        let w = Vector::from_vec(w);
        check_scale_invariance(&Rayleigh::<f64>::random(3, 7), &w, &c, 1e-12);
        check_scale_invariance(&LogisticSample::<f64>::new(3, 64, 1, true), &w, &c, 1e-12);
        check_scale_invariance(&LogisticPopulation::<f64>::new(3, true), &w, &c, 1e-12);
    }

    /// f64 central differences: truncation O(h²) with h = 1e-5 plus cancellation ε/h ≈ 1e-11;
    /// 1e-7 bounds both for these smooth losses of moderate curvature.
    #[test]
    fn f64_gradients_match_finite_differences(
        w in prop::collection::vec(-2.0f64..2.0, 3),
    ) {
        prop_assume!(w.iter().map(|x| x * x).sum::<f64>() > 0.1);
        let w = Vector::from_vec(w);
        let h = 1e-5;
        check_gradient(&Rayleigh::<f64>::random(3, 3), &w, &h, 1e-7);
        check_gradient(&Quadratic::<f64>::first_coordinate(3), &w, &h, 1e-7);
        for bn in [false, true] {
            check_gradient(&LogisticSample::<f64>::new(3, 50, 2, bn), &w, &h, 1e-7);
            check_gradient(&LogisticPopulation::<f64>::new(3, bn), &w, &h, 1e-7);
        }
    }
}

/// At 256 bits, h = 1e-20 makes truncation ~1e-40 and cancellation 2⁻²⁵⁶/h ~ 1e-57; the sample
/// toy's gradient is its exact derivative, so agreement to 1e-30 is expected and demanded.
#[test]
fn mp_gradients_match_finite_differences_to_30_digits() {
    with_precision(256, || {
        let w = Vector::from_vec(vec![
            Mp::from_ratio(3, 4),
            Mp::from_ratio(-1, 3),
            Mp::from_ratio(1, 2),
        ]);
        let h = Mp::parse("1e-20").unwrap();
        check_gradient(&LogisticSample::<Mp>::new(3, 40, 5, true), &w, &h, 1e-30);
        check_gradient(&Rayleigh::<Mp>::random(3, 9), &w, &h, 1e-30);
        let c = Mp::from_ratio(7, 3);
        check_scale_invariance(&LogisticSample::<Mp>::new(3, 40, 5, true), &w, &c, 1e-70);
        check_scale_invariance(&Rayleigh::<Mp>::random(3, 9), &w, &c, 1e-70);
    });
}

/// The population gradient uses Stein's identity for the ⊥ part, which equals the derivative of
/// the quadrature loss only up to the rule's error (< 1e-12, see the closed-form quadrature test).
#[test]
fn population_gradient_matches_finite_differences_at_mp() {
    with_precision(128, || {
        let model = LogisticPopulation::<Mp>::new(2, false);
        let w = Vector::from_vec(vec![Mp::from_ratio(1, 2), Mp::from_ratio(3, 2)]);
        check_gradient(&model, &w, &Mp::parse("1e-15").unwrap(), 1e-11);
    });
}

/// The Hessian-vector product of the Rayleigh quotient satisfies ∇²L(w) w = −∇L(w) (docs/MATH.md L4)
/// exactly in rationals, and matches a difference quotient of gradients.
#[test]
fn rayleigh_hessian_is_exact() {
    let w = ratio_vector(&[(1, 2), (-2, 3), (3, 1)]);
    let model = Rayleigh::<Rational>::random(3, 11);
    let hw = model.hessian_vec(&w, &w, 0).unwrap();
    let g = model.gradient(&w, 0);
    assert_eq!(hw, g.map(|x| -x));
}
