//! Running one job: the claims of one model in one arithmetic (the one `match` on the runtime arithmetic), and the laws' long f64 runs.

use crate::scalar::quadratic::{field_label, radicand_of};
use crate::scalar::{with_radicand, Quadratic, Rational};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::params::{sgd_law_params, too_short, wants, Params, RELAXATION_CLAIMS};
use super::plan::{Job, Subset};
use super::SuiteConfig;
use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::optim::shadow::{t2_root, Boundary, Root};
use crate::optim::Schedule;
use crate::scalar::{with_precision, Arith, Field, Interval, Magnitude, MpRun, Real};
use crate::theorem::claim::{ClaimResult, Expected};
use crate::theorem::equivalence::{
    boundary_slip_unresolvable, check, skew_size, t1, t1_claim, t2, t2_claim, t2_sutskever,
    t2_zero_buffer, t3, t3_claim, t3_off_by_one, t4, t4_trajectory, EquivalenceSetup,
};
use crate::theorem::identities::{
    central_difference, equivalent_scaling, no_fixed_point, norm_recurrence, pointwise,
    IdentitySetup,
};
use crate::theorem::laws::{
    angular_law, measure, measure_relaxation, relaxation_law, Law, LawParams, RELAXATION,
    RELAXATION_NORM_SQ,
};
use crate::theorem::models::{build, build_rational, Built, ModelName};
use crate::theorem::optimizers::{t3_adamw, t3_nesterov, AdamVariant};

/// Exact AdamW runs: operand sizes roughly square each step (the division by |g| + ε), so 4 steps
/// (measured: 0.5 s each claim on the Rayleigh quotient; 6 steps did not finish in 13 min).
pub const ADAM_EXACT_STEPS: usize = 4;

/// Points for the pointwise identities: θ₀ and two exact perturbations of it.
pub(super) fn points<T: Field>(theta0: &Vector<T>) -> Vec<Vector<T>> {
    let shifted = |k: i64| {
        Vector::from_iterator(
            theta0.len(),
            theta0
                .iter()
                .enumerate()
                .map(|(i, x)| x.clone() + T::from_ratio(((i as i64 + k) % 3) - 1, 5)),
        )
    };
    vec![theta0.clone(), shifted(1), shifted(2)]
}

/// η_t ∈ η·{4/8, …, 16/8} and λ_t ∈ λ·{0, …, 16/8}, exact, from the seeded stream.
pub(super) fn random_schedules<T: Field>(p: &Params<T>, seed: u64) -> (Vec<T>, Vec<T>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5241_4e44);
    let lr = (0..p.steps)
        .map(|_| p.lr.clone() * T::from_ratio(rng.random_range(4..=16), 8))
        .collect();
    let wd = (0..p.steps)
        .map(|_| p.weight_decay.clone() * T::from_ratio(rng.random_range(0..=16), 8))
        .collect();
    (lr, wd)
}

pub(super) fn step_decay<T: Field>(p: &Params<T>) -> Vec<T> {
    Schedule::StepDecay {
        base: p.lr.clone(),
        milestones: vec![p.steps / 2, 3 * p.steps / 4],
        factor: T::from_int(10),
    }
    .values(p.steps)
}

/// The claims `--arith interval` certifies: the trajectory identities T1–T3, each with the
/// controls that differ from it in one cause.
pub(super) const INTERVAL_IDS: [&str; 15] = [
    "T1",
    "T1-skewed",
    "T2",
    "T2-skewed",
    "T2-smaller-root",
    "T2-sutskever",
    "T2-sutskever-same-momentum",
    "T3-step",
    "T3-step-skewed",
    "T3-nesterov",
    "T3-nesterov-tied",
    "T3-adamw",
    "T3-adamw-unshifted-betas",
    "T3-adamw-constant-eps",
    "T3-adam-l2",
];

/// T2's ids: the claims whose twin needs α, a root of x² − (1 + γ − λη)x + γ.
pub(super) const T2_IDS: [&str; 6] = [
    "T2",
    "T2-skewed",
    "T2-smaller-root",
    "T2-zero-buffer",
    "T2-sutskever",
    "T2-sutskever-same-momentum",
];

/// Whether α lies in this arithmetic: always for floats; for exact rationals only when the
/// discriminant is a rational square — otherwise T2 runs in Q(√Δ) ([`rational_job`]).
pub(super) fn t2_root_here<T: Field>(p: &Params<T>) -> Result<bool> {
    match t2_root(&p.lr, &p.weight_decay, &p.momentum, Root::Larger) {
        Ok(_) => Ok(true),
        Err(Error::Unsupported { .. }) if T::EXACT => Ok(false),
        Err(e) => Err(e),
    }
}

/// T2's discriminant Δ = (1 + γ − λη)² − 4γ, exactly.
pub(super) fn t2_discriminant(p: &Params<Rational>) -> Rational {
    let b = Rational::ONE + p.momentum.clone() - p.lr.clone() * p.weight_decay.clone();
    b.clone() * b - Rational::from_int(4) * p.momentum.clone()
}

pub(super) fn model_claims<T: Field>(
    cfg: &SuiteConfig,
    built: &Built<T>,
    p: &Params<T>,
    subset: Subset,
    arith: &str,
    cosine: Option<Vec<T>>,
    hessian_fd: Option<(T, Magnitude)>,
) -> Result<Vec<ClaimResult>> {
    let mut out = Vec::new();
    let setup = EquivalenceSetup::new(
        built.model.as_ref(),
        built.theta0.clone(),
        p.momentum.clone(),
        cfg.convention,
        arith.to_string(),
    );
    let constant = |v: &T| vec![v.clone(); p.steps];
    // A control whose cause cannot show in a run this short is skipped (the suite lists why).
    let long_enough = |id: &str| too_short(id, p.steps, T::NAME == "f64").is_none();
    if subset == Subset::TrainableHead {
        if wants(cfg, "T3-trainable-head") && long_enough("T3-trainable-head") {
            let mut r = t3(
                &setup,
                "step",
                step_decay(p),
                constant(&p.weight_decay),
                Expected::Fail,
            )?;
            r.id = "T3-trainable-head".into();
            r.statement = "negative control: a trainable output layer breaks scale invariance, so T3 must fail".into();
            out.push(r);
        }
        return Ok(out);
    }
    let all = subset == Subset::All;
    let allows = |id: &str| subset.allows(id) && wants(cfg, id) && long_enough(id);
    let identity = IdentitySetup {
        model: built.model.as_ref(),
        points: points(&built.theta0),
        c: T::from_int(3),
        lr: p.lr.clone(),
        weight_decay: p.weight_decay.clone(),
        momentum: p.momentum.clone(),
        steps: p.steps.min(50),
        arith: arith.to_string(),
        hessian_fd,
    };
    if all && ["L1", "L2", "L3", "L4"].iter().any(|id| wants(cfg, id)) {
        out.extend(
            pointwise(&identity)
                .into_iter()
                .filter(|r| wants(cfg, &r.id)),
        );
    }
    if all && wants(cfg, "L5") {
        out.push(norm_recurrence(&identity));
    }
    if allows("L6") {
        out.push(equivalent_scaling(&identity));
    }
    if all && wants(cfg, "L7") {
        out.push(no_fixed_point(&identity));
    }
    let no_momentum = setup.with(T::zero(), setup.convention);
    if allows("T1") {
        out.push(t1(&no_momentum, &p.lr, &p.weight_decay, p.steps)?);
    }
    if allows("T1-skewed") {
        let claim = t1_claim(&p.lr, &p.weight_decay, p.steps).skewed(skew_size());
        out.push(check(&no_momentum, claim)?);
    }
    if T2_IDS.iter().any(|id| allows(id)) && t2_root_here(p)? {
        let wd = p.weight_decay.clone();
        for root in [Root::Larger, Root::Smaller] {
            let id = if root == Root::Larger {
                "T2"
            } else {
                "T2-smaller-root"
            };
            if allows(id) {
                out.push(t2(&setup, &p.lr, &wd, p.steps, root)?);
            }
        }
        if allows("T2-skewed") {
            let claim = t2_claim(&setup, &p.lr, &wd, p.steps, Root::Larger)?.skewed(skew_size());
            out.push(check(&setup, claim)?);
        }
        // Asymptotic, so floats only: exact horizons are a few steps.
        if allows("T2-zero-buffer") && !T::EXACT && built.model.batches() == 1 {
            out.push(t2_zero_buffer(&setup, &p.lr, &wd, p.steps)?);
        }
        for (id, same_momentum) in [
            ("T2-sutskever", false),
            ("T2-sutskever-same-momentum", true),
        ] {
            if allows(id) {
                out.push(t2_sutskever(&setup, &p.lr, &wd, p.steps, same_momentum)?);
            }
        }
    }
    if all && wants(cfg, "T3-constant") {
        out.push(t3(
            &setup,
            "constant",
            constant(&p.lr),
            constant(&p.weight_decay),
            Expected::Hold,
        )?);
    }
    if allows("T3-step") {
        out.push(t3(
            &setup,
            "step",
            step_decay(p),
            constant(&p.weight_decay),
            Expected::Hold,
        )?);
    }
    if allows("T3-step-skewed") {
        let claim = t3_claim(
            &setup,
            "step",
            step_decay(p),
            constant(&p.weight_decay),
            Expected::Hold,
        )?
        .skewed(skew_size());
        out.push(check(&setup, claim)?);
    }
    // TEXP's roots are irrational: floats only.
    // Full-batch models only: on minibatch nets TEXP's start transient (an LR mismatch of
    // ~1e-2 for ~90 steps) moves the trajectory by 1-40%, beyond the first-order bound
    // (docs/MATH.md §4).
    if all && !T::EXACT && built.model.batches() == 1 && wants(cfg, "T4-trajectory") {
        out.push(t4_trajectory(&setup, step_decay(p), &p.weight_decay)?);
    }
    if all && wants(cfg, "T3-cosine") {
        if let Some(c) = cosine {
            out.push(t3(
                &setup,
                "cosine",
                c,
                constant(&p.weight_decay),
                Expected::Hold,
            )?);
        }
    }
    if all && wants(cfg, "T3-random") {
        let (lr, wd) = random_schedules(p, cfg.seed);
        out.push(t3(&setup, "random", lr, wd, Expected::Hold)?);
    }
    for (id, tied) in [("T3-nesterov", false), ("T3-nesterov-tied", true)] {
        if allows(id) {
            out.push(t3_nesterov(
                &setup,
                step_decay(p),
                constant(&p.weight_decay),
                tied,
            )?);
        }
    }
    for variant in AdamVariant::ALL {
        if allows(variant.id()) {
            let steps = if T::EXACT {
                p.steps.min(ADAM_EXACT_STEPS)
            } else {
                p.steps
            };
            let schedule = Params {
                lr: p.adam_lr.clone(),
                steps,
                ..p.clone()
            };
            out.push(t3_adamw(
                &setup,
                step_decay(&schedule),
                vec![p.adam_weight_decay.clone(); steps],
                &p.adam,
                variant,
            )?);
        }
    }
    if all && wants(cfg, "T3-off-by-one") {
        out.push(t3_off_by_one(
            &setup,
            step_decay(p),
            constant(&p.weight_decay),
        )?);
    }
    Ok(out)
}

/// The models on which the laws' premise (uncorrelated, noise-dominated updates) holds: the
/// minibatch nets with BN or IN (docs/MATH.md §3.6).
pub const LAW_MODELS: [ModelName; 3] = [ModelName::MlpBn, ModelName::ConvBn, ModelName::ConvIn];

pub(super) fn law_job(cfg: &SuiteConfig, model: ModelName) -> Result<Vec<ClaimResult>> {
    let p = Params::<f64>::read(cfg, 0)?;
    let built = build::<f64>(model, cfg.seed);
    let mut out = Vec::new();
    let name = built.model.name();
    for (laws, sgd) in [
        ([Law::Sgd, Law::SgdWrongMomentum], true),
        ([Law::AdamW, Law::AdamWNoBeta], false),
    ] {
        if !laws.iter().any(|l| wants(cfg, l.id())) {
            continue;
        }
        let params = if sgd {
            LawParams {
                lr: p.lr,
                weight_decay: p.weight_decay,
                momentum: p.momentum,
                beta2: 0.0,
                eps: 0.0,
            }
        } else {
            LawParams {
                lr: p.adam_lr,
                weight_decay: p.adam_weight_decay,
                momentum: p.adam.beta1,
                beta2: p.adam.beta2,
                eps: p.adam.eps,
            }
        };
        // One run serves the law and its control (the same measurement, another formula).
        let measured = measure(built.model.as_ref(), &built.theta0, sgd, params)?;
        for law in laws.into_iter().filter(|l| wants(cfg, l.id())) {
            out.push(angular_law(&name, law, params, measured));
        }
    }
    if RELAXATION_CLAIMS.iter().any(|id| wants(cfg, id)) {
        let params = sgd_law_params(cfg)?;
        let measured = measure_relaxation(built.model.as_ref(), &built.theta0, params)?;
        for (id, control) in [(RELAXATION, false), (RELAXATION_NORM_SQ, true)] {
            if wants(cfg, id) {
                out.push(relaxation_law(&name, control, params, measured));
            }
        }
    }
    Ok(out)
}

pub(super) fn real_job<T: Real>(
    cfg: &SuiteConfig,
    job: Job,
    arith: &str,
) -> Result<Vec<ClaimResult>> {
    if job.subset == Subset::Laws {
        return law_job(cfg, job.model);
    }
    let p = Params::<T>::read(cfg, job.steps)?;
    if job.subset == Subset::Schedule {
        let mut out = Vec::new();
        for (id, boundary) in [
            ("T4", Boundary::Paper),
            ("T4-boundary-slip", Boundary::NewRootSquared),
        ] {
            // `wants` matches prefixes: `--claim T4` selects the whole family.
            if wants(cfg, id) && (boundary == Boundary::Paper || slip_hidden(&p)?.is_none()) {
                out.push(t4(
                    arith,
                    step_decay(&p),
                    &p.weight_decay,
                    &p.momentum,
                    boundary,
                )?);
            }
        }
        return Ok(out);
    }
    let built = build::<T>(job.model, cfg.seed);
    let cosine = Schedule::cosine(p.lr.clone(), T::zero(), p.steps).values(p.steps);
    let fd = central_difference::<T>();
    model_claims(cfg, &built, &p, job.subset, arith, Some(cosine), Some(fd))
}

/// Why T4-boundary-slip cannot show on this run's step-decay schedule, or None.
fn slip_hidden<T: Field>(p: &Params<T>) -> Result<Option<String>> {
    boundary_slip_unresolvable(&step_decay(p), &p.weight_decay, &p.momentum)
}

/// Why T4-boundary-slip cannot show in this job (a schedule job in a float arithmetic), decided
/// in the job's own arithmetic as [`real_job`] decides it, or None.
pub(super) fn slip_skip(cfg: &SuiteConfig, job: &Job) -> Result<Option<String>> {
    fn why<T: Field>(cfg: &SuiteConfig, steps: usize) -> Result<Option<String>> {
        slip_hidden(&Params::<T>::read(cfg, steps)?)
    }
    match job.arith {
        Arith::F64 => why::<f64>(cfg, job.steps),
        Arith::Mp(bits) => with_precision(bits, || why::<MpRun>(cfg, job.steps)),
        Arith::Rational | Arith::Interval(_) => Ok(None),
    }
}

pub(super) fn rational_job(cfg: &SuiteConfig, job: Job) -> Result<Vec<ClaimResult>> {
    if job.subset == Subset::Schedule {
        return Ok(Vec::new());
    }
    let Some(built) = build_rational::<Rational>(job.model, cfg.seed) else {
        return Ok(Vec::new());
    };
    let p = Params::<Rational>::read(cfg, job.steps)?;
    let mut out = model_claims(cfg, &built, &p, job.subset, "rational", None, None)?;
    // An irrational α: T2 runs exactly in Q(√Δ), with the same model, start and steps.
    let t2_wanted = job.subset == Subset::All && T2_IDS.iter().any(|id| wants(cfg, id));
    if t2_wanted && !t2_root_here(&p)? {
        if let Some((d, _)) = radicand_of(&t2_discriminant(&p)) {
            let label = field_label(&d);
            out.extend(with_radicand(&d, || -> Result<Vec<ClaimResult>> {
                let Some(built) = build_rational::<Quadratic>(job.model, cfg.seed) else {
                    return Ok(Vec::new());
                };
                let p = Params::<Quadratic>::read(cfg, job.steps)?;
                model_claims(cfg, &built, &p, Subset::Only(&T2_IDS), &label, None, None)
            })?);
        }
    }
    Ok(out)
}

/// The boundary: the one match on the runtime arithmetic.
pub(super) fn run_job(cfg: &SuiteConfig, job: Job) -> Result<Vec<ClaimResult>> {
    let label = job.arith.label();
    match job.arith {
        Arith::F64 => real_job::<f64>(cfg, job, &label),
        Arith::Mp(bits) => with_precision(bits, || real_job::<MpRun>(cfg, job, &label)),
        Arith::Rational => rational_job(cfg, job),
        Arith::Interval(bits) => with_precision(bits, || real_job::<Interval>(cfg, job, &label)),
    }
}
