//! The scale-invariance identities L1–L7 of docs/MATH.md §2, checked on a model at given points.
//!
//! - L1 ⟨∇L(θ), θ⟩ = 0                          (relative to ‖∇L‖‖θ‖)
//! - L2 ∇L(cθ) = ∇L(θ)/c
//! - L3 ∇²L(cθ) u = ∇²L(θ) u / c²
//! - L4 ∇²L(θ) θ = −∇L(θ)
//! - L5 ‖θ_{t+1}‖² = (1−ηλ)²‖θ_t‖² + η²‖∇L(θ_t)‖² for GD (γ = 0), with and without WD
//! - L6 (θ, v, η, λ) and (cθ, v/c, c²η, λ/c²) give trajectories that differ by c, with momentum
//! - L7 ‖∇L(θ) + λθ‖² = ‖∇L(θ)‖² + λ²‖θ‖² ≥ λ²‖θ‖² > 0: GD+WD has no fixed point but 0
//!
//! Hessian-vector products come from the model when it has them analytically (exact), else from
//! central differences of gradients (floats only; tolerance from the difference's error).

use super::claim::{
    tolerance, within, ClaimResult, Expected, EVALUATION_BUDGET, TRAJECTORY_BUDGET,
};
use crate::linalg::{axpy, dot, norm_sq, relative_max_diff, scale, sub, Vector};
use crate::loss::Objective;
use crate::optim::{Convention, Schedule, Sgd, SgdState};
use crate::scalar::{Field, Magnitude};
use crate::sim::{trajectory, Run};

/// Settings shared by the identity checks.
pub struct IdentitySetup<'a, T: Field> {
    /// The model.
    pub model: &'a dyn Objective<T>,
    /// Points θ to test at (nonzero).
    pub points: Vec<Vector<T>>,
    /// The scale c (≠ 1).
    pub c: T,
    /// η, λ, γ for L5–L7.
    pub lr: T,
    /// λ.
    pub weight_decay: T,
    /// γ.
    pub momentum: T,
    /// Steps for L5, L6.
    pub steps: usize,
    /// Arithmetic label.
    pub arith: String,
    /// Finite-difference Hessian step and its tolerance, for models without an analytic Hessian.
    pub hessian_fd: Option<(T, Magnitude)>,
}

fn result<T: Field>(
    setup: &IdentitySetup<'_, T>,
    id: &str,
    statement: &str,
    discrepancy: T,
    (tol, reason): (Magnitude, String),
) -> ClaimResult {
    let size = discrepancy.magnitude();
    ClaimResult {
        id: id.into(),
        model: setup.model.name(),
        arith: setup.arith.clone(),
        steps: 0,
        expected: Expected::Hold,
        holds: within(&discrepancy, tol),
        discrepancy: size,
        tolerance: tol,
        at_step: None,
        ratio: (!T::EXACT).then(|| size.ratio(tol)),
        ratio_at: None,
        horizon: None,
        statement: statement.into(),
        tolerance_reason: reason,
        detail: None,
        series: Vec::new(),
        tier: None,
    }
}

fn max<T: Field>(a: T, b: T) -> T {
    if b > a {
        b
    } else {
        a
    }
}

/// |⟨a, b⟩| / (‖a‖‖b‖) without a square root: ⟨a,b⟩² / (‖a‖²‖b‖²).
fn cos_sq<T: Field>(a: &Vector<T>, b: &Vector<T>) -> T {
    let d = dot(a, b);
    let denom = norm_sq(a) * norm_sq(b);
    if denom == T::zero() {
        return T::zero();
    }
    d.clone() * d / denom
}

fn hessian_vec<T: Field>(
    setup: &IdentitySetup<'_, T>,
    theta: &Vector<T>,
    u: &Vector<T>,
) -> Option<Vector<T>> {
    if let Some(h) = setup.model.hessian_vec(theta, u, 0) {
        return Some(h);
    }
    let (h, _) = setup.hessian_fd.as_ref()?;
    let plus = setup.model.gradient(&axpy(theta, h, u), 0);
    let minus = setup.model.gradient(&axpy(theta, &-h.clone(), u), 0);
    let two_h = T::from_int(2) * h.clone();
    Some(sub(&plus, &minus).map(|x| x / two_h.clone()))
}

/// L1–L4 at every point.
pub fn pointwise<T: Field>(setup: &IdentitySetup<'_, T>) -> Vec<ClaimResult> {
    let mut l1 = T::zero();
    let mut l2 = T::zero();
    let mut l3 = T::zero();
    let mut l4 = T::zero();
    let mut have_hessian = true;
    for theta in &setup.points {
        let g = setup.model.gradient(theta, 0);
        // L1 as cos² so that it stays rational; the reported discrepancy is its square root.
        l1 = max(l1, cos_sq(&g, theta));
        let g_scaled = setup.model.gradient(&scale(theta, &setup.c), 0);
        l2 = max(
            l2,
            relative_max_diff(&g_scaled.map(|x| x * setup.c.clone()), &g),
        );
        let u = theta.map(|x| x.clone() + T::from_ratio(1, 3));
        match (
            hessian_vec(setup, theta, &u),
            hessian_vec(setup, &scale(theta, &setup.c), &u),
        ) {
            (Some(h), Some(hc)) => {
                let c2 = setup.c.clone() * setup.c.clone();
                l3 = max(l3, relative_max_diff(&hc.map(|x| x * c2.clone()), &h));
                if let Some(ht) = hessian_vec(setup, theta, theta) {
                    l4 = max(l4, relative_max_diff(&ht, &g.map(|x| -x)));
                }
            }
            _ => have_hessian = false,
        }
    }
    let eval = |what: &str| tolerance::<T>(EVALUATION_BUDGET, what);
    let mut l1_result = result(
        setup,
        "L1",
        "<grad L(theta), theta> = 0 (|cos| reported)",
        l1.clone(),
        eval("one gradient"),
    );
    l1_result.discrepancy = Magnitude::from_log2(l1.magnitude().log2() / 2.0);
    if !T::EXACT {
        l1_result.holds = l1_result.discrepancy <= l1_result.tolerance;
        l1_result.ratio = Some(l1_result.discrepancy.ratio(l1_result.tolerance));
    }
    let mut out = vec![
        l1_result,
        result(
            setup,
            "L2",
            "grad L(c theta) = grad L(theta) / c",
            l2,
            eval("two gradients"),
        ),
    ];
    if have_hessian {
        let fd = setup
            .model
            .hessian_vec(&setup.points[0], &setup.points[0], 0)
            .is_none();
        let tol = match (&setup.hessian_fd, fd) {
            (Some((h, tol)), true) => (
                *tol,
                format!(
                    "central-difference Hessian with step {}: O(h^2) truncation plus rounding / h",
                    h.to_f64()
                ),
            ),
            _ => eval("analytic Hessian-vector product"),
        };
        out.push(result(
            setup,
            "L3",
            "hess L(c theta) u = hess L(theta) u / c^2",
            l3,
            tol.clone(),
        ));
        out.push(result(
            setup,
            "L4",
            "hess L(theta) theta = -grad L(theta)",
            l4,
            tol,
        ));
    }
    out
}

/// L5: the norm recurrences along GD runs (γ = 0), with λ = 0 and with λ > 0.
pub fn norm_recurrence<T: Field>(setup: &IdentitySetup<'_, T>) -> ClaimResult {
    let mut worst = T::zero();
    for wd in [T::zero(), setup.weight_decay.clone()] {
        let theta0 = setup.points[0].clone();
        let sgd = Sgd::new(T::zero(), Convention::PyTorch).expect("momentum 0 is valid");
        let run = Run {
            optimizer: sgd,
            lr: Schedule::Constant(setup.lr.clone()),
            weight_decay: Schedule::Constant(wd.clone()),
            steps: setup.steps,
        };
        let path = trajectory(setup.model, &run, SgdState::new(theta0, None));
        let shrink = T::one() - setup.lr.clone() * wd.clone();
        let batches = setup.model.batches().max(1);
        for t in 0..setup.steps {
            let g = setup.model.gradient(&path[t], t % batches);
            let predicted = shrink.clone() * shrink.clone() * norm_sq(&path[t])
                + setup.lr.clone() * setup.lr.clone() * norm_sq(&g);
            let actual = norm_sq(&path[t + 1]);
            worst = max(worst, (actual.clone() - predicted).abs() / actual);
        }
    }
    let mut r = result(
        setup,
        "L5",
        "GD: |theta_{t+1}|^2 = (1 - lr wd)^2 |theta_t|^2 + lr^2 |grad|^2 (wd = 0 and wd > 0)",
        worst,
        tolerance::<T>(EVALUATION_BUDGET, "one step's norms"),
    );
    r.steps = setup.steps;
    r
}

/// L6: equivalent scaling with momentum and WD.
pub fn equivalent_scaling<T: Field>(setup: &IdentitySetup<'_, T>) -> ClaimResult {
    let c = setup.c.clone();
    let c2 = c.clone() * c.clone();
    let sgd = Sgd::new(setup.momentum.clone(), Convention::PyTorch).expect("validated momentum");
    let base = Run {
        optimizer: sgd.clone(),
        lr: Schedule::Constant(setup.lr.clone()),
        weight_decay: Schedule::Constant(setup.weight_decay.clone()),
        steps: setup.steps,
    };
    let scaled = Run {
        optimizer: sgd,
        lr: Schedule::Constant(setup.lr.clone() * c2.clone()),
        weight_decay: Schedule::Constant(setup.weight_decay.clone() / c2),
        steps: setup.steps,
    };
    let theta0 = setup.points[0].clone();
    let a = trajectory(setup.model, &base, SgdState::new(theta0.clone(), None));
    let b = trajectory(
        setup.model,
        &scaled,
        SgdState::new(scale(&theta0, &c), None),
    );
    let mut worst = T::zero();
    for (x, y) in a.iter().zip(&b) {
        worst = max(worst, relative_max_diff(y, &scale(x, &c)));
    }
    let mut r = result(
        setup,
        "L6",
        "(theta, v, lr, wd) and (c theta, v/c, c^2 lr, wd/c^2) give trajectories differing by c",
        worst,
        tolerance::<T>(TRAJECTORY_BUDGET, "two trajectories"),
    );
    r.steps = setup.steps;
    r
}

/// L7: Pythagoras for ∇L + λθ, so ‖∇L + λθ‖ ≥ λ‖θ‖ > 0 for θ ≠ 0.
pub fn no_fixed_point<T: Field>(setup: &IdentitySetup<'_, T>) -> ClaimResult {
    let mut worst = T::zero();
    let mut min_ratio: Option<f64> = None;
    for theta in &setup.points {
        let g = setup.model.gradient(theta, 0);
        let step = axpy(&g, &setup.weight_decay, theta);
        let lhs = norm_sq(&step);
        let lam2 = setup.weight_decay.clone() * setup.weight_decay.clone() * norm_sq(theta);
        let rhs = norm_sq(&g) + lam2.clone();
        worst = max(worst, (lhs.clone() - rhs).abs() / lhs.clone());
        let ratio = (lhs / lam2).to_f64();
        min_ratio = Some(min_ratio.map_or(ratio, |m: f64| m.min(ratio)));
    }
    let mut r = result(
        setup,
        "L7",
        "|grad L + wd theta|^2 = |grad L|^2 + wd^2 |theta|^2 >= wd^2 |theta|^2: no fixed point of GD+WD but 0",
        worst,
        tolerance::<T>(EVALUATION_BUDGET, "one gradient"),
    );
    if let Some(m) = min_ratio {
        r.holds = r.holds && m >= 1.0 - r.tolerance.to_f64();
        r.detail = Some(format!(
            "min |grad L + wd theta|^2 / (wd^2 |theta|^2) = {m:.6}"
        ));
    }
    r
}
