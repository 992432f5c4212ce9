//! Running one job: the claims of one model in one arithmetic (the one `match` on the runtime arithmetic), and the laws' long f64 runs.

use crate::scalar::quadratic::{field_label, radicand_of};
use crate::scalar::{with_radicand, Quadratic, Rational};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::params::{sgd_law_params, too_short, wants, Params, FROM_STEP_ONE, RELAXATION_CLAIMS};
use super::plan::{Job, Subset};
use super::SuiteConfig;
use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::optim::shadow::{t2_root, Boundary, Root};
use crate::optim::Schedule;
use crate::scalar::{with_precision, Arith, Field, Interval, Magnitude, Real};
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

/// What only float runs have: the cosine schedule (irrational values) and L4's central-difference
/// step with its error scale.
pub(super) struct FloatInputs<T> {
    cosine: Vec<T>,
    hessian_fd: (T, Magnitude),
}

pub(super) fn model_claims<T: Field>(
    cfg: &SuiteConfig,
    built: &Built<T>,
    p: &Params<T>,
    subset: Subset,
    arith: &str,
    floats: Option<FloatInputs<T>>,
    skip: &[&str],
) -> Result<Vec<ClaimResult>> {
    let (cosine, hessian_fd) = match floats {
        Some(f) => (Some(f.cosine), Some(f.hessian_fd)),
        None => (None, None),
    };
    let mut out = Vec::new();
    let setup = EquivalenceSetup::new(
        built.model.as_ref(),
        built.theta0.clone(),
        p.momentum.clone(),
        cfg.convention,
        arith.to_string(),
    );
    let constant = |v: &T| vec![v.clone(); p.steps];
    // A control whose cause cannot show in a run this short is skipped ([`short_skips`]).
    let long_enough = |id: &str| !skip.contains(&id);
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
    skip: &[&str],
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
            if wants(cfg, id) && !skip.contains(&id) {
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
    let floats = FloatInputs {
        cosine: Schedule::cosine(p.lr.clone(), T::zero(), p.steps).values(p.steps),
        hessian_fd: central_difference::<T>(),
    };
    model_claims(cfg, &built, &p, job.subset, arith, Some(floats), skip)
}

/// Why T4-boundary-slip cannot show on this run's step-decay schedule, or None.
fn slip_hidden<T: Field>(p: &Params<T>) -> Result<Option<String>> {
    boundary_slip_unresolvable(&step_decay(p), &p.weight_decay, &p.momentum)
}

/// Why T4-boundary-slip cannot show in this job (a schedule job in a float arithmetic), decided
/// in the job's own arithmetic, or None.
fn slip_skip(cfg: &SuiteConfig, job: &Job) -> Result<Option<String>> {
    fn why<T: Field>(cfg: &SuiteConfig, steps: usize) -> Result<Option<String>> {
        slip_hidden(&Params::<T>::read(cfg, steps)?)
    }
    match job.arith {
        Arith::F64 => why::<f64>(cfg, job.steps),
        Arith::Mp(bits) => crate::with_mp!(bits, T => why::<T>(cfg, job.steps)),
        // Exact jobs have no schedule claims; interval jobs no schedule job.
        Arith::Rational | Arith::Interval(_) => Ok(None),
    }
}

/// The selected controls this job leaves out because its run is too short for their one cause
/// to show, each with the reason. Decided once, here: the job runs without them and the suite
/// lists them ([`super::skipped`]).
pub(super) fn short_skips(cfg: &SuiteConfig, job: &Job) -> Result<Vec<(&'static str, String)>> {
    let f64_run = job.arith == Arith::F64;
    let mut out: Vec<(&'static str, String)> = FROM_STEP_ONE
        .iter()
        .map(|(id, _)| *id)
        // The trainable head runs only in its own job, and that job runs nothing else.
        .filter(|id| match job.subset {
            Subset::TrainableHead => *id == "T3-trainable-head",
            Subset::All | Subset::Only(_) => job.subset.allows(id) && *id != "T3-trainable-head",
            Subset::Schedule | Subset::Laws => false,
        })
        .filter(|id| wants(cfg, id))
        .filter_map(|id| too_short(id, job.steps, f64_run).map(|why| (id, why)))
        .collect();
    if job.subset == Subset::Schedule && wants(cfg, "T4-boundary-slip") {
        if let Some(why) = slip_skip(cfg, job)? {
            out.push(("T4-boundary-slip", why));
        }
    }
    Ok(out)
}

pub(super) fn rational_job(cfg: &SuiteConfig, job: Job, skip: &[&str]) -> Result<Vec<ClaimResult>> {
    if job.subset == Subset::Schedule {
        return Ok(Vec::new());
    }
    let Some(built) = build_rational::<Rational>(job.model, cfg.seed) else {
        return Ok(Vec::new());
    };
    let p = Params::<Rational>::read(cfg, job.steps)?;
    let mut out = model_claims(cfg, &built, &p, job.subset, "rational", None, skip)?;
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
                model_claims(cfg, &built, &p, Subset::Only(&T2_IDS), &label, None, skip)
            })?);
        }
    }
    Ok(out)
}

/// The boundary: the one match on the runtime arithmetic.
pub(super) fn run_job(cfg: &SuiteConfig, job: Job) -> Result<Vec<ClaimResult>> {
    let label = job.arith.label();
    let skips = short_skips(cfg, &job)?;
    let skip: Vec<&str> = skips.iter().map(|(id, _)| *id).collect();
    match job.arith {
        Arith::F64 => real_job::<f64>(cfg, job, &label, &skip),
        Arith::Mp(bits) => crate::with_mp!(bits, T => real_job::<T>(cfg, job, &label, &skip)),
        Arith::Rational => rational_job(cfg, job, &skip),
        Arith::Interval(bits) => {
            with_precision(bits, || real_job::<Interval>(cfg, job, &label, &skip))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper_params(steps: usize) -> Params<Rational> {
        let cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], steps);
        Params::read(&cfg, steps).unwrap()
    }

    /// T3-random's schedules, as its doc promises: η_t/η ∈ {4/8, …, 16/8} and λ_t/λ ∈ {0, …, 16/8},
    /// exactly; over 400 draws every one of those values appears (a uniform draw misses a given
    /// one of 17 values with probability (16/17)^400 ≈ 3e-11); the seed decides the stream, and
    /// distinct seeds give distinct schedules — 0, 1 and the salt 0x52414e44 included (a salt
    /// mixed in with `|` makes 0 and the salt collide, with `&` 0 and 1).
    #[test]
    fn random_schedules_stay_in_their_promised_range_and_follow_the_seed() {
        let p = paper_params(400);
        let (lr, wd) = random_schedules(&p, 7);
        assert_eq!((lr.len(), wd.len()), (400, 400));
        let eighths = |values: &[Rational], base: &Rational| -> std::collections::BTreeSet<i64> {
            values
                .iter()
                .map(|v| {
                    let k = v.clone() / base.clone() * Rational::from_int(8);
                    let n = Field::to_f64(&k);
                    assert_eq!(k, Rational::from_int(n as i64), "{n} is not a whole eighth");
                    n as i64
                })
                .collect()
        };
        assert_eq!(eighths(&lr, &p.lr), (4..=16).collect());
        assert_eq!(eighths(&wd, &p.weight_decay), (0..=16).collect());
        assert!(
            random_schedules(&p, 7) == (lr.clone(), wd.clone()),
            "same seed, same schedule"
        );
        let seeds = [0, 1, 7, 0x5241_4e44];
        let runs: Vec<_> = seeds.iter().map(|&s| random_schedules(&p, s)).collect();
        for i in 0..runs.len() {
            for j in 0..i {
                assert!(
                    runs[i] != runs[j],
                    "seeds {} and {} collide",
                    seeds[i],
                    seeds[j]
                );
            }
        }
    }

    /// The identities' probe points: θ₀ itself and two distinct others near it, each coordinate
    /// moved by an exact −1/5, 0 or 1/5, all three sizes used by each shift. (Which coordinate
    /// gets which, and the sign, are free: any exact small perturbation serves as a probe.)
    #[test]
    fn probe_points_are_theta0_and_two_small_exact_shifts() {
        // Twelve coordinates: enough for a shift that grows with the index to leave ±1/5.
        let n = 12;
        let theta0 =
            Vector::from_iterator(n, (0..n).map(|i| Rational::from_ratio(2 * i as i64 - 5, 3)));
        let pts = points(&theta0);
        assert_eq!(pts.len(), 3);
        assert!(pts[0] == theta0);
        assert!(pts[1] != pts[2], "the two shifts coincide");
        let sizes: Vec<Rational> = (-1..=1).map(|k| Rational::from_ratio(k, 5)).collect();
        for shifted in &pts[1..] {
            let moves: Vec<Rational> = (0..n)
                .map(|i| shifted[i].clone() - theta0[i].clone())
                .collect();
            for (i, m) in moves.iter().enumerate() {
                assert!(
                    sizes.contains(m),
                    "coordinate {i} moved by {}",
                    Field::to_f64(m)
                );
            }
            for size in &sizes {
                assert!(
                    moves.contains(size),
                    "no coordinate moved by {}",
                    Field::to_f64(size)
                );
            }
        }
    }

    /// Δ = (1 + γ − λη)² − 4γ decides where T2 runs exactly. At the paper's (0.1, 5e-4, 0.9):
    /// 1.89995² − 3.6 = 0.0098100025, not a rational square (98100025 lies between 9904² and
    /// 9905²), so α is irrational and T2 runs in Q(√Δ); f64 always has its root. At η = λ = 0.3,
    /// γ = 0.09: b = 1, Δ = 1 − 0.36 = 16/25 and α = (1 ± 4/5)/2 = 9/10 or 1/10, in Q.
    #[test]
    fn t2_runs_in_the_rationals_only_when_the_discriminant_is_a_square() {
        let paper = paper_params(4);
        assert!(t2_discriminant(&paper) == Rational::from_ratio(98_100_025, 10_000_000_000));
        assert!(!t2_root_here(&paper).unwrap());
        let mut cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], 4);
        assert!(t2_root_here(&Params::<f64>::read(&cfg, 4).unwrap()).unwrap());
        (cfg.lr, cfg.weight_decay, cfg.momentum) = ("0.3".into(), "0.3".into(), "0.09".into());
        let square = Params::<Rational>::read(&cfg, 4).unwrap();
        assert!(t2_discriminant(&square) == Rational::from_ratio(16, 25));
        assert!(t2_root_here(&square).unwrap());
    }

    /// Intervals cannot order a discriminant whose enclosure contains 0: at η = λ = 0.7, γ = 0.09
    /// λη = 0.49 = (1 − 0.3)² exactly (a double root, accepted by the exact input check), but 0.7
    /// and 0.09 are not binary fractions, so Δ's enclosure straddles 0. That is an error naming
    /// the cause (exit 2), never a silent skip of T2 — a skip is only for exact rationals.
    #[test]
    fn an_undecidable_discriminant_in_intervals_is_an_error_not_a_skip() {
        let mut cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], 4);
        (cfg.lr, cfg.weight_decay, cfg.momentum) = ("0.7".into(), "0.7".into(), "0.09".into());
        let err = with_precision(128, || {
            t2_root_here(&Params::<Interval>::read(&cfg, 4).unwrap()).unwrap_err()
        });
        assert!(
            matches!(&err, Error::Unsupported { reason, .. } if reason.starts_with("the discriminant's enclosure contains 0")),
            "{err}"
        );
    }

    /// The ids `model_claims` runs for this selection, in order (f64 with its float inputs).
    fn f64_ids(
        cfg: &SuiteConfig,
        model: ModelName,
        steps: usize,
        subset: Subset,
        skip: &[&str],
    ) -> Vec<String> {
        let p = Params::<f64>::read(cfg, steps).unwrap();
        let floats = FloatInputs {
            cosine: Schedule::cosine(p.lr, 0.0, steps).values(steps),
            hessian_fd: central_difference::<f64>(),
        };
        let built = build::<f64>(model, cfg.seed);
        let claims = model_claims(cfg, &built, &p, subset, "f64", Some(floats), skip).unwrap();
        claims.into_iter().map(|c| c.id).collect()
    }

    /// Every trajectory claim of the registry but the schedule job's T4 pair, the laws and the
    /// trainable head, in the order the report prints them (f64, the full-batch Rayleigh
    /// quotient: T2-zero-buffer and T4-trajectory run only there).
    const RAYLEIGH_F64: [&str; 28] = [
        "L1",
        "L2",
        "L3",
        "L4",
        "L5",
        "L6",
        "L7",
        "T1",
        "T1-skewed",
        "T2",
        "T2-smaller-root",
        "T2-skewed",
        "T2-zero-buffer",
        "T2-sutskever",
        "T2-sutskever-same-momentum",
        "T3-constant",
        "T3-step",
        "T3-step-skewed",
        "T4-trajectory",
        "T3-cosine",
        "T3-random",
        "T3-nesterov",
        "T3-nesterov-tied",
        "T3-adamw",
        "T3-adamw-unshifted-betas",
        "T3-adamw-constant-eps",
        "T3-adam-l2",
        "T3-off-by-one",
    ];

    /// Which claims a job runs: all of them on a full-batch model in f64 (each once, T2 and its
    /// smaller root under their own ids); only a ladder subset's ids; only the selected ids; none
    /// of the skipped ones; the trainable head alone in its job; the asymptotic and TEXP claims
    /// neither in exact arithmetic nor on a minibatch net; T2 not in Q when α is irrational (the
    /// paper's values: it runs in Q(√Δ), [`rational_job`]).
    #[test]
    fn model_claims_runs_exactly_the_selected_claims() {
        let cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], 20);
        let rayleigh = |cfg: &SuiteConfig, subset, skip: &[&str]| {
            f64_ids(cfg, ModelName::Rayleigh, 20, subset, skip)
        };
        assert_eq!(rayleigh(&cfg, Subset::All, &[]), RAYLEIGH_F64);
        let ladder = Subset::Only(&["T3-step", "T3-step-skewed", "L6"]);
        assert_eq!(
            rayleigh(&cfg, ladder, &[]),
            ["L6", "T3-step", "T3-step-skewed"]
        );
        let skip = ["T1-skewed", "T3-adamw-constant-eps"];
        let rest: Vec<&str> = RAYLEIGH_F64
            .into_iter()
            .filter(|id| !skip.contains(id))
            .collect();
        assert_eq!(rayleigh(&cfg, Subset::All, &skip), rest);
        let picked = ["T1", "T2-zero-buffer", "T3-cosine", "T4-trajectory", "L5"];
        let mut only = cfg.clone();
        only.claims = Some(picked.to_vec());
        assert_eq!(
            rayleigh(&only, Subset::All, &[]),
            ["L5", "T1", "T2-zero-buffer", "T4-trajectory", "T3-cosine"]
        );
        // Each root under its own id: selecting T2 alone runs the larger root only.
        only.claims = Some(vec!["T2"]);
        assert_eq!(rayleigh(&only, Subset::All, &[]), ["T2"]);
        only.claims = Some(picked.to_vec());
        assert_eq!(
            rayleigh(&cfg, Subset::TrainableHead, &[]),
            ["T3-trainable-head"]
        );
        assert!(rayleigh(&cfg, Subset::TrainableHead, &["T3-trainable-head"]).is_empty());
        // A minibatch net (mlp-bn, 3 steps): no T2-zero-buffer, no T4-trajectory.
        let mut net = only.clone();
        net.models = vec![ModelName::MlpBn];
        assert_eq!(
            f64_ids(&net, ModelName::MlpBn, 3, Subset::All, &[]),
            ["L5", "T1", "T3-cosine"]
        );
        // Exact rationals at the paper's values (3 steps): no T2 (α is irrational), no
        // T2-zero-buffer, T4-trajectory or T3-cosine (floats only).
        let p = Params::<Rational>::read(&cfg, 3).unwrap();
        let built = build_rational::<Rational>(ModelName::Rayleigh, 0).unwrap();
        let exact: Vec<String> = model_claims(&cfg, &built, &p, Subset::All, "rational", None, &[])
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        let floats_only = ["T2-zero-buffer", "T4-trajectory", "T3-cosine"];
        let want: Vec<&str> = RAYLEIGH_F64
            .into_iter()
            .filter(|id| !id.starts_with("T2") && !floats_only.contains(id))
            .collect();
        assert_eq!(exact, want);
    }

    /// The schedule job runs T4 and, where a boundary resolves it, T4-boundary-slip (from 54
    /// steps at the paper's values, `boundary_slip_unresolvable`'s test): at 20 steps the slip
    /// is skipped with its reason, at 60 both run; a selection runs only what it names.
    #[test]
    fn the_schedule_job_runs_the_slip_only_where_it_can_show() {
        let mut cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], 60);
        let job = |steps| Job {
            arith: Arith::F64,
            model: ModelName::Rayleigh,
            subset: Subset::Schedule,
            steps,
        };
        let ids = |cfg: &SuiteConfig, steps| -> Vec<String> {
            run_job(cfg, job(steps))
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids(&cfg, 60), ["T4", "T4-boundary-slip"]);
        assert!(short_skips(&cfg, &job(60)).unwrap().is_empty());
        assert_eq!(ids(&cfg, 20), ["T4"]);
        let skips = short_skips(&cfg, &job(20)).unwrap();
        assert_eq!(skips.len(), 1);
        assert_eq!(skips[0].0, "T4-boundary-slip");
        assert!(skips[0]
            .1
            .starts_with("at 20 steps no boundary resolves the slip"));
        cfg.claims = Some(vec!["T4-boundary-slip"]);
        assert_eq!(ids(&cfg, 60), ["T4-boundary-slip"]);
        cfg.claims = Some(vec!["T4"]);
        assert_eq!(ids(&cfg, 60), ["T4"]);
        assert!(
            short_skips(&cfg, &job(20)).unwrap().is_empty(),
            "not selected"
        );
    }

    /// The exact job at the paper's values: the rational claims in Q, and T2's family in
    /// Q(√Δ) with Δ = 3924001/400000000 (the 0.0098100025 of the test above, reduced), each
    /// id once, labelled with its field; a selection without T2 runs nothing there; the
    /// schedule job has no exact claims. AdamW's exact runs stop at [`ADAM_EXACT_STEPS`].
    #[test]
    fn the_exact_job_runs_t2_in_its_quadratic_field() {
        let mut cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], 6);
        cfg.claims = Some(vec!["T1", "T2", "T2-smaller-root", "T3-adamw"]);
        let job = |subset, steps| Job {
            arith: Arith::Rational,
            model: ModelName::Rayleigh,
            subset,
            steps,
        };
        let got: Vec<(String, String, usize)> = run_job(&cfg, job(Subset::All, 6))
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.arith, c.steps))
            .collect();
        let q = |id: &str, steps| (id.to_string(), "rational".to_string(), steps);
        let field = |id: &str| (id.to_string(), "Q(sqrt 3924001)".to_string(), 6);
        assert_eq!(
            got,
            [
                q("T1", 6),
                q("T3-adamw", ADAM_EXACT_STEPS),
                field("T2"),
                field("T2-smaller-root")
            ]
        );
        cfg.claims = Some(vec!["T1"]);
        let only_t1 = run_job(&cfg, job(Subset::All, 2)).unwrap();
        assert_eq!(only_t1.len(), 1);
        assert!(run_job(&cfg, job(Subset::Schedule, 2)).unwrap().is_empty());
        // A ladder subset without T2 in the exact job (as a plan could make): no field run.
        cfg.claims = None;
        let subset = Subset::Only(&["T1"]);
        let ids: Vec<String> = run_job(&cfg, job(subset, 2))
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["T1"]);
    }

    /// The AdamW claims run on --adam-lr's step decay, not SGD's --lr: two configurations that
    /// differ only in --adam-lr give different trajectories.
    #[test]
    fn adamw_claims_use_their_own_learning_rate() {
        let mut cfg = SuiteConfig::paper(vec![ModelName::Rayleigh], 10);
        cfg.claims = Some(vec!["T3-adamw"]);
        let series = |cfg: &SuiteConfig| {
            let c = f64_job_claims(cfg);
            assert_eq!(c.len(), 1);
            c[0].series.iter().map(|m| m.to_f64()).collect::<Vec<f64>>()
        };
        let base = series(&cfg);
        cfg.adam.lr = "2e-2".into();
        assert!(series(&cfg) != base, "--adam-lr changed nothing");
        cfg.adam.lr = "1e-2".into();
        cfg.lr = "0.05".into();
        assert!(series(&cfg) == base, "--lr moved the AdamW claim");
    }

    fn f64_job_claims(cfg: &SuiteConfig) -> Vec<ClaimResult> {
        let job = Job {
            arith: Arith::F64,
            model: ModelName::Rayleigh,
            subset: Subset::All,
            steps: cfg.steps,
        };
        run_job(cfg, job).unwrap()
    }

    /// The laws' job runs the measurement each selected law needs and reports only what was
    /// selected: the SGD law alone, then AdamW's control alone (each on mlp-bn, f64).
    #[test]
    fn the_law_job_reports_the_selected_laws() {
        let mut cfg = SuiteConfig::paper(vec![ModelName::MlpBn], 10);
        let ids = |cfg: &SuiteConfig| -> Vec<String> {
            law_job(cfg, ModelName::MlpBn)
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        cfg.claims = Some(vec!["E1-sgd-angular"]);
        assert_eq!(ids(&cfg), ["E1-sgd-angular"]);
        cfg.claims = Some(vec!["E2-adamw-angular-no-beta"]);
        assert_eq!(ids(&cfg), ["E2-adamw-angular-no-beta"]);
    }
}
