//! The default suite: which claims run on which model in which arithmetic, the precision ladder,
//! and the one `match` on the runtime arithmetic.
//!
//! - f64: every model, every claim, `steps` steps;
//! - exact rationals: the rational models, every rational claim, `exact_steps` steps (sizes grow
//!   about 4× per step);
//! - the precision ladder (f64 and mp at 128/256/512 bits by default), which must shrink as
//!   precision grows: T2, T3-step and L6 on the Rayleigh quotient over `steps` steps; T3-step on
//!   the BN-MLP over 50 steps; T1 on the GN-MLP over 80 steps — a chaotic net on which f64
//!   rounding is amplified past 10⁻² (docs/MATH.md §6) while 256 bits still resolve the identity;
//! - negative controls (expected to fail): T2-sutskever, T3-off-by-one, T3-trainable-head.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::scalar::quadratic::{field_label, radicand_of};
use crate::scalar::{with_radicand, Quadratic, Rational};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::claim::{ClaimResult, Expected};
use super::equivalence::{
    check, skew_size, t1, t1_claim, t2, t2_claim, t2_sutskever, t2_zero_buffer, t3, t3_claim,
    t3_off_by_one, t4, t4_trajectory, EquivalenceSetup,
};
use super::identities::{
    equivalent_scaling, no_fixed_point, norm_recurrence, pointwise, IdentitySetup,
};
use super::laws::{
    angular_law, measure, measure_relaxation, relaxation_law, relaxation_steps, relaxation_time,
    Law, LawParams, ADAMW_STEPS, MAX_RELAXATION_STEPS, RELAXATION, RELAXATION_NORM_SQ, SGD_STEPS,
};
use super::models::{build, build_rational, Built, ModelName};
use super::optimizers::{t3_adamw, t3_nesterov, AdamHyper, AdamVariant};
use super::registry;
use crate::error::{Error, Result};
use crate::linalg::Vector;
pub use crate::optim::adam::AdamText;
use crate::optim::shadow::{t2_root, Boundary, Root};
use crate::optim::{Convention, Schedule};
use crate::scalar::{with_precision, Arith, Field, Interval, Magnitude, MpRun, Real};

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// Steps of float trajectories.
    pub steps: usize,
    /// Steps of exact trajectories.
    pub exact_steps: usize,
    /// η as text (read exactly).
    pub lr: String,
    /// λ as text.
    pub weight_decay: String,
    /// γ as text.
    pub momentum: String,
    /// Seed of data, initializations and random schedules.
    pub seed: u64,
    /// Convention of the runs (Sutskever makes the main claims fail, as it should).
    pub convention: Convention,
    /// Models to check.
    pub models: Vec<ModelName>,
    /// Only these claims (exact ids, resolved from ids and groups by [`registry::select`]).
    pub claims: Option<Vec<&'static str>>,
    /// Adam's β₁, β₂, ε, learning rate and weight decay as text (the AdamW claims).
    pub adam: AdamClaims,
    /// Arithmetics; None = the default mix.
    pub arithmetics: Option<Vec<Arith>>,
    /// Precisions of the ladder in the default mix.
    pub ladder: Vec<u32>,
}

/// The AdamW claims' hyper-parameters as text (read exactly in each arithmetic).
#[derive(Debug, Clone)]
pub struct AdamClaims {
    /// β₁, β₂, ε (the exact tier uses β₂ = 0, where √v = |g| is rational).
    pub hyper: AdamText,
    /// Base learning rate of the step-decay schedule.
    pub lr: String,
    /// λ (decoupled).
    pub weight_decay: String,
}

impl Default for AdamClaims {
    /// torch.optim.AdamW's β = (0.9, 0.999) and ε = 1e-8, with η = 1e-2 and λ = 0.1 (a common
    /// AdamW setting): ηλ = 1e-3 moves Z_t to ~0.6 over 1000 steps, so each control's one change
    /// is resolvable in f64 (at torch's λ = 0.01, η = 1e-3 the constant-ε control's effect,
    /// ~ε(1 − Z_t)/√v, stays below the f64 rounding floor on the Rayleigh quotient).
    fn default() -> Self {
        AdamClaims {
            hyper: AdamText::default(),
            lr: "1e-2".into(),
            weight_decay: "0.1".into(),
        }
    }
}

/// Exact AdamW runs: operand sizes roughly square each step (the division by |g| + ε), so 4 steps
/// (measured: 0.5 s each claim on the Rayleigh quotient; 6 steps did not finish in 13 min).
pub const ADAM_EXACT_STEPS: usize = 4;

/// The precision ladder of one claim on one model.
#[derive(Debug, Clone, Serialize)]
pub struct LadderRow {
    /// Claim id.
    pub id: String,
    /// Model.
    pub model: String,
    /// Steps of the trajectories.
    pub steps: usize,
    /// Arithmetics from coarsest to finest.
    pub arith: Vec<String>,
    /// The discrepancy at each (the whole run's maximum), at any size.
    pub discrepancies: Vec<Magnitude>,
    /// Whether each rung resolves the whole run (its rounding floor stays below 10⁻⁶); a rung
    /// that does not measures amplified rounding, not the claim.
    pub resolved: Vec<bool>,
    /// The finest rung resolves the run and each resolved rung cuts the discrepancy of the
    /// resolved rung below it by at least 2^(−Δbits/2) (or both are 0); see [`ladder_shrinks`].
    pub shrinks: bool,
}

/// The suite's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    /// Every verdict.
    pub claims: Vec<ClaimResult>,
    /// Discrepancy against precision.
    pub ladder: Vec<LadderRow>,
    /// Every claim as expected and every ladder shrinking.
    pub all_as_expected: bool,
    /// Parameters used.
    pub lr: String,
    /// λ.
    pub weight_decay: String,
    /// γ.
    pub momentum: String,
    /// Steps of float runs.
    pub steps: usize,
    /// Steps of exact runs.
    pub exact_steps: usize,
    /// Claims not run for these parameters, each with the reason (e.g. the momentum-dependent
    /// claims at γ = 0, where T2's smaller root is 0 and both conventions coincide).
    pub skipped: Vec<String>,
}

/// The claims that need γ > 0: at γ = 0 T2's smaller root is α = 0 (Z_t = 0 is no
/// reparametrization), the Sutskever and PyTorch updates are the same map (the control has no
/// cause left to fail for), and the buffer that T2-zero-buffer zeroes is never read.
pub const NEEDS_MOMENTUM: [&str; 7] = [
    "T2-smaller-root",
    "T2-sutskever",
    "T2-sutskever-same-momentum",
    "T2-zero-buffer",
    "T3-nesterov",
    "T3-nesterov-tied",
    "E1-sgd-angular-wrong-momentum",
];

/// The relaxation law and its control.
const RELAXATION_CLAIMS: [&str; 2] = [RELAXATION, RELAXATION_NORM_SQ];

/// The SGD laws' hyper-parameters (η, λ, γ as f64).
fn sgd_law_params(cfg: &SuiteConfig) -> Result<LawParams> {
    let p = Params::<f64>::read(cfg, 0)?;
    Ok(LawParams {
        lr: p.lr,
        weight_decay: p.weight_decay,
        momentum: p.momentum,
        beta2: 0.0,
        eps: 0.0,
    })
}

/// Why the relaxation measurement does not fit its step budget at these hyper-parameters
/// (32 predicted time constants, [`MAX_RELAXATION_STEPS`]), or None when it does.
fn relaxation_too_long(cfg: &SuiteConfig) -> Option<String> {
    let p = sgd_law_params(cfg).ok()?;
    relaxation_steps(p).err().map(|_| {
        format!(
            "its time constant (1 - momentum)/(4 lr wd) = {:.0} steps needs 32x that, over the {MAX_RELAXATION_STEPS}-step budget",
            relaxation_time(p)
        )
    })
}

/// True when γ = 0 (read exactly).
fn zero_momentum(cfg: &SuiteConfig) -> bool {
    crate::scalar::parse_rational(&cfg.momentum).is_ok_and(|m| num_traits::Zero::is_zero(&m))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subset {
    All,
    Only(&'static [&'static str]),
    Schedule,
    TrainableHead,
    /// The equilibrium laws (f64, long constant-hyper-parameter runs).
    Laws,
}

impl Subset {
    fn allows(&self, id: &str) -> bool {
        match self {
            Subset::All => true,
            Subset::Only(ids) => ids.contains(&id),
            Subset::Schedule | Subset::TrainableHead | Subset::Laws => false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Job {
    arith: Arith,
    model: ModelName,
    subset: Subset,
    steps: usize,
}

/// The ladder: (model, claims, steps capped at).
/// Every rung also runs the claim's injected violation (`-skewed`), which must fail there.
const LADDER: [(ModelName, &[&str], usize); 3] = [
    (
        ModelName::Rayleigh,
        &[
            "T2",
            "T2-skewed",
            "T3-step",
            "T3-step-skewed",
            "L6",
            "T3-nesterov",
            "T3-adamw",
        ],
        usize::MAX,
    ),
    (ModelName::MlpBn, &["T3-step", "T3-step-skewed"], 50),
    (ModelName::MlpGn, &["T1", "T1-skewed"], 80),
];

/// Hyperparameters in the run's arithmetic.
#[derive(Clone)]
struct Params<T> {
    lr: T,
    weight_decay: T,
    momentum: T,
    steps: usize,
    adam: AdamHyper<T>,
    adam_lr: T,
    adam_weight_decay: T,
}

impl<T: Field> Params<T> {
    fn read(cfg: &SuiteConfig, steps: usize) -> Result<Self> {
        let lr = T::parse(&cfg.lr).map_err(|e| e.in_field("--lr"))?;
        let weight_decay = T::parse(&cfg.weight_decay).map_err(|e| e.in_field("--weight-decay"))?;
        let momentum = T::parse(&cfg.momentum).map_err(|e| e.in_field("--momentum"))?;
        let read = |flag: &str, text: &str| T::parse(text).map_err(|e| e.in_field(flag));
        let a = &cfg.adam;
        Ok(Params {
            lr,
            weight_decay,
            momentum,
            steps,
            adam: AdamHyper {
                beta1: read("--beta1", &a.hyper.beta1)?,
                // √v is exact in rationals only for v = g² (β₂ = 0): docs/MATH.md §3.5.
                beta2: if T::EXACT {
                    T::zero()
                } else {
                    read("--beta2", &a.hyper.beta2)?
                },
                eps: read("--eps", &a.hyper.eps)?,
            },
            adam_lr: read("--adam-lr", &a.lr)?,
            adam_weight_decay: read("--adam-weight-decay", &a.weight_decay)?,
        })
    }
}

fn wants(cfg: &SuiteConfig, id: &str) -> bool {
    if NEEDS_MOMENTUM.contains(&id) && zero_momentum(cfg) {
        return false;
    }
    if RELAXATION_CLAIMS.contains(&id) && relaxation_too_long(cfg).is_some() {
        return false;
    }
    debug_assert!(registry::spec(id).is_some(), "{id} is not registered");
    cfg.claims.as_ref().is_none_or(|c| c.contains(&id))
}

/// Points for the pointwise identities: θ₀ and two exact perturbations of it.
fn points<T: Field>(theta0: &Vector<T>) -> Vec<Vector<T>> {
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
fn random_schedules<T: Field>(p: &Params<T>, seed: u64) -> (Vec<T>, Vec<T>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5241_4e44);
    let lr = (0..p.steps)
        .map(|_| p.lr.clone() * T::from_ratio(rng.random_range(4..=16), 8))
        .collect();
    let wd = (0..p.steps)
        .map(|_| p.weight_decay.clone() * T::from_ratio(rng.random_range(0..=16), 8))
        .collect();
    (lr, wd)
}

fn step_decay<T: Field>(p: &Params<T>) -> Vec<T> {
    Schedule::StepDecay {
        base: p.lr.clone(),
        milestones: vec![p.steps / 2, 3 * p.steps / 4],
        factor: T::from_int(10),
    }
    .values(p.steps)
}

/// The claims `--arith interval` certifies: the trajectory identities T1–T3, each with the
/// controls that differ from it in one cause.
const INTERVAL_IDS: [&str; 15] = [
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
const T2_IDS: [&str; 6] = [
    "T2",
    "T2-skewed",
    "T2-smaller-root",
    "T2-zero-buffer",
    "T2-sutskever",
    "T2-sutskever-same-momentum",
];

/// Whether α lies in this arithmetic: always for floats; for exact rationals only when the
/// discriminant is a rational square — otherwise T2 runs in Q(√Δ) ([`rational_job`]).
fn t2_root_here<T: Field>(p: &Params<T>) -> Result<bool> {
    match t2_root(&p.lr, &p.weight_decay, &p.momentum, Root::Larger) {
        Ok(_) => Ok(true),
        Err(Error::Unsupported { .. }) if T::EXACT => Ok(false),
        Err(e) => Err(e),
    }
}

/// T2's discriminant Δ = (1 + γ − λη)² − 4γ, exactly.
fn t2_discriminant(p: &Params<Rational>) -> Rational {
    let b = Rational::ONE + p.momentum.clone() - p.lr.clone() * p.weight_decay.clone();
    b.clone() * b - Rational::from_int(4) * p.momentum.clone()
}

fn model_claims<T: Field>(
    cfg: &SuiteConfig,
    built: &Built<T>,
    p: &Params<T>,
    subset: Subset,
    arith: &str,
    cosine: Option<Vec<T>>,
    hessian_fd: Option<(T, Magnitude)>,
) -> Result<Vec<ClaimResult>> {
    let mut out = Vec::new();
    let setup = EquivalenceSetup {
        model: built.model.as_ref(),
        theta0: built.theta0.clone(),
        momentum: p.momentum.clone(),
        convention: cfg.convention,
        arith: arith.to_string(),
    };
    let constant = |v: &T| vec![v.clone(); p.steps];
    if subset == Subset::TrainableHead {
        if wants(cfg, "T3-trainable-head") {
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
    let allows = |id: &str| subset.allows(id) && wants(cfg, id);
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

fn law_job(cfg: &SuiteConfig, model: ModelName) -> Result<Vec<ClaimResult>> {
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

fn real_job<T: Real>(cfg: &SuiteConfig, job: Job, arith: &str) -> Result<Vec<ClaimResult>> {
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
            if wants(cfg, id) {
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
    // Central differences: step u^(1/3) balances O(h²) truncation against u/h rounding, both
    // then of order u^(2/3); 10⁴ u^(2/3) leaves room for the third derivative's size.
    // Both as powers of two from log₂ u, so they exist at any precision.
    let log2_u = T::unit_roundoff().log2();
    let fd = (
        crate::optim::shadow::pow2::<T>((log2_u / 3.0).round() as i64),
        Magnitude::pow2(log2_u * 2.0 / 3.0).times(1e4),
    );
    model_claims(cfg, &built, &p, job.subset, arith, Some(cosine), Some(fd))
}

fn rational_job(cfg: &SuiteConfig, job: Job) -> Result<Vec<ClaimResult>> {
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
fn run_job(cfg: &SuiteConfig, job: Job) -> Result<Vec<ClaimResult>> {
    let label = job.arith.label();
    match job.arith {
        Arith::F64 => real_job::<f64>(cfg, job, &label),
        Arith::Mp(bits) => with_precision(bits, || real_job::<MpRun>(cfg, job, &label)),
        Arith::Rational => rational_job(cfg, job),
        Arith::Interval(bits) => with_precision(bits, || real_job::<Interval>(cfg, job, &label)),
    }
}

fn plan(cfg: &SuiteConfig) -> Vec<Job> {
    let mut jobs = Vec::new();
    let explicit = cfg.arithmetics.is_some();
    let main = cfg
        .arithmetics
        .clone()
        .unwrap_or_else(|| vec![Arith::F64, Arith::Rational]);
    for arith in main {
        let steps = if arith == Arith::Rational {
            cfg.exact_steps
        } else {
            cfg.steps
        };
        if let Arith::Interval(_) = arith {
            // Certified trajectory claims only, on the scale-invariant models.
            for &model in cfg.models.iter().filter(|m| m.scale_invariant()) {
                jobs.push(Job {
                    arith,
                    model,
                    subset: Subset::Only(&INTERVAL_IDS),
                    steps,
                });
            }
            continue;
        }
        for &model in &cfg.models {
            if arith == Arith::Rational && !model.rational() {
                continue;
            }
            let subset = if model.scale_invariant() {
                Subset::All
            } else {
                Subset::TrainableHead
            };
            jobs.push(Job {
                arith,
                model,
                subset,
                steps,
            });
        }
        jobs.push(Job {
            arith,
            model: ModelName::Rayleigh,
            subset: Subset::Schedule,
            steps,
        });
        if arith == Arith::F64 {
            let laws = [
                "E1-sgd-angular",
                "E1-sgd-angular-wrong-momentum",
                "E2-adamw-angular",
                "E2-adamw-angular-no-beta",
                RELAXATION,
                RELAXATION_NORM_SQ,
            ];
            if laws.iter().any(|id| wants(cfg, id)) {
                for &model in cfg.models.iter().filter(|m| LAW_MODELS.contains(m)) {
                    jobs.push(Job {
                        arith,
                        model,
                        subset: Subset::Laws,
                        // The longest f64 jobs: start them early.
                        steps: SGD_STEPS + ADAMW_STEPS,
                    });
                }
            }
        }
    }
    if explicit {
        return jobs;
    }
    let mut ladder = Vec::new();
    for (model, ids, cap) in LADDER {
        if !cfg.models.contains(&model) {
            continue;
        }
        let steps = cfg.steps.min(cap);
        let mut ariths: Vec<Arith> = cfg.ladder.iter().map(|&b| Arith::Mp(b)).collect();
        if steps != cfg.steps {
            ariths.insert(0, Arith::F64);
        }
        for arith in ariths {
            ladder.push(Job {
                arith,
                model,
                subset: Subset::Only(ids),
                steps,
            });
        }
    }
    jobs.extend(ladder);
    jobs
}

/// A ladder shrinks when each finer rung cuts the discrepancy by at least 2^(−Δbits/2): a
/// rounding-only discrepancy scales with the unit roundoff 2^(−bits) (times the same dynamics'
/// amplification), so it must fall by about 2^(−Δbits); half of that in the exponent leaves room
/// for a different amplification constant, while a discrepancy with a real (non-rounding) part
/// stalls and fails. Both zero (exact agreement) also counts; anything non-finite does not.
pub fn ladder_shrinks(bits: &[u32], discrepancies: &[Magnitude]) -> bool {
    bits.windows(2).zip(discrepancies.windows(2)).all(|(b, d)| {
        let both_zero = d[0].is_zero() && d[1].is_zero();
        // 2^(−Δbits/2) as a log₂ shift: at thousands of bits the gain itself is below f64.
        let gain = -(f64::from(b[1]) - f64::from(b[0])) / 2.0;
        let shrunk = Magnitude::from_log2(d[0].log2() + gain);
        both_zero || (d[0].is_finite() && d[1].is_finite() && b[1] > b[0] && d[1] <= shrunk)
    })
}

fn ladder(claims: &[ClaimResult]) -> Vec<LadderRow> {
    let mut rows: Vec<LadderRow> = Vec::new();
    let floats: Vec<&ClaimResult> = claims
        .iter()
        .filter(|c| {
            matches!(c.tier, Some(Arith::F64 | Arith::Mp(_)))
                && c.expected == Expected::Hold
                && c.id != "T4"
                && c.id != "T2-zero-buffer"
        })
        .collect();
    let bits = |c: &ClaimResult| match c.tier {
        Some(Arith::Mp(b)) => b,
        _ => 53,
    };
    for c in &floats {
        if rows
            .iter()
            .any(|r| r.id == c.id && r.model == c.model && r.steps == c.steps)
        {
            continue;
        }
        let mut same: Vec<&&ClaimResult> = floats
            .iter()
            .filter(|d| d.id == c.id && d.model == c.model && d.steps == c.steps)
            .collect();
        if same.len() < 2 {
            continue;
        }
        same.sort_by_key(|d| bits(d));
        // The whole run's maximum, so every rung is measured over the same steps.
        let discrepancies: Vec<Magnitude> = same.iter().map(|d| d.discrepancy).collect();
        let resolved: Vec<bool> = same
            .iter()
            .map(|d| d.horizon.is_none_or(|h| h > d.steps))
            .collect();
        let (rungs, kept): (Vec<u32>, Vec<Magnitude>) = same
            .iter()
            .zip(&resolved)
            .filter(|(_, r)| **r)
            .map(|(d, _)| (bits(d), d.discrepancy))
            .unzip();
        let shrinks = resolved.last() == Some(&true) && ladder_shrinks(&rungs, &kept);
        rows.push(LadderRow {
            id: c.id.clone(),
            model: c.model.clone(),
            steps: c.steps,
            arith: same.iter().map(|d| d.arith.clone()).collect(),
            discrepancies,
            resolved,
            shrinks,
        });
    }
    rows
}

/// Runs the suite on `threads` worker threads; `progress(done, total)` after each job.
pub fn run_suite(
    cfg: &SuiteConfig,
    threads: usize,
    progress: impl Fn(usize, usize) -> Result<()> + Sync,
) -> Result<SuiteReport> {
    if cfg.steps == 0 {
        return Err(Error::invalid("--steps", 0, "must be at least 1"));
    }
    if cfg.exact_steps == 0 {
        return Err(Error::invalid("--exact-steps", 0, "must be at least 1"));
    }
    check_parameters(cfg)?;
    let jobs = plan(cfg);
    // Arbitrary-precision jobs are the longest: start them first so both workers stay busy to the
    // end; results are still reported in plan order.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| {
        (
            !matches!(jobs[i].arith, Arith::Mp(_)),
            std::cmp::Reverse(jobs[i].steps),
            i,
        )
    });
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Vec<ClaimResult>>)>> = Mutex::new(Vec::new());
    // A spent budget (the progress callback's error) stops handing out jobs; the jobs in flight
    // finish and the error is returned.
    let stopped: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = order.get(k) else { break };
                let job = jobs[i];
                // Stamp the tier on every verdict: the ladder and the report read it, not the
                // label.
                let r = run_job(cfg, job).map(|mut claims| {
                    for c in &mut claims {
                        c.tier = Some(job.arith);
                    }
                    claims
                });
                if let Ok(mut guard) = results.lock() {
                    guard.push((i, r));
                }
                if let Err(e) = progress(done.fetch_add(1, Ordering::SeqCst) + 1, jobs.len()) {
                    next.store(order.len(), Ordering::SeqCst);
                    if let Ok(mut guard) = stopped.lock() {
                        guard.get_or_insert(e);
                    }
                }
            });
        }
    });
    if let Some(e) = stopped.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let mut claims = Vec::new();
    for (_, r) in results {
        claims.extend(r?);
    }
    if claims.is_empty() {
        return Err(Error::invalid(
            "--claim",
            cfg.claims.as_ref().map(|c| c.join(",")).unwrap_or_default(),
            "no claim matches this selection of claims, models and arithmetic",
        ));
    }
    let ladder = ladder(&claims);
    let all_as_expected =
        claims.iter().all(ClaimResult::as_expected) && ladder.iter().all(|r| r.shrinks);
    Ok(SuiteReport {
        claims,
        ladder,
        all_as_expected,
        lr: cfg.lr.clone(),
        weight_decay: cfg.weight_decay.clone(),
        momentum: cfg.momentum.clone(),
        steps: cfg.steps,
        exact_steps: cfg.exact_steps,
        skipped: {
            let mut skipped: Vec<String> = if zero_momentum(cfg) {
                NEEDS_MOMENTUM
                    .iter()
                    .map(|id| format!("{id}: needs momentum > 0"))
                    .collect()
            } else {
                Vec::new()
            };
            if let Some(why) = relaxation_too_long(cfg) {
                skipped.extend(RELAXATION_CLAIMS.iter().map(|id| format!("{id}: {why}")));
            }
            skipped
        },
    })
}

/// Bad input is reported before any work: ranges of η, λ, γ and T2's real-root bound.
pub fn check_parameters(cfg: &SuiteConfig) -> Result<()> {
    let exact = cfg
        .arithmetics
        .as_ref()
        .is_none_or(|a| a.contains(&Arith::Rational));
    if exact {
        crate::budget::exact_input("--lr", &cfg.lr)?;
        crate::budget::exact_input("--weight-decay", &cfg.weight_decay)?;
        crate::budget::exact_input("--momentum", &cfg.momentum)?;
    }
    let p = Params::<Rational>::read(cfg, 1)?;
    let zero = Rational::from_int(0);
    if p.lr <= zero {
        return Err(Error::invalid("--lr", &cfg.lr, "must be positive"));
    }
    if p.weight_decay <= zero {
        return Err(Error::invalid(
            "--weight-decay",
            &cfg.weight_decay,
            "must be positive",
        ));
    }
    // The AdamW claims: a positive η and λ (with λ = 0 every control would equal its claim).
    for (flag, text) in [
        ("--adam-lr", &cfg.adam.lr),
        ("--adam-weight-decay", &cfg.adam.weight_decay),
    ] {
        let value = crate::scalar::parse_rational(text).map_err(|e| e.in_field(flag))?;
        if value <= zero {
            return Err(Error::invalid(flag, text, "must be positive"));
        }
    }
    let one = Rational::from_int(1);
    if p.momentum < zero || p.momentum >= one {
        return Err(Error::invalid(
            "--momentum",
            &cfg.momentum,
            "must be in [0, 1)",
        ));
    }
    // Real roots: (1 + γ − λη)² ≥ 4γ with 1 + γ − λη > 0, i.e. λη ≤ (1 − √γ)².
    let b = one.clone() + p.momentum.clone() - p.lr.clone() * p.weight_decay.clone();
    if b <= zero || b.clone() * b < Rational::from_int(4) * p.momentum.clone() {
        let product = Field::to_f64(&(p.lr.clone() * p.weight_decay.clone()));
        let product = if product.is_finite() {
            format!("{product:.3e}")
        } else {
            "beyond 1e308".into()
        };
        return Err(Error::invalid(
            "--lr",
            &cfg.lr,
            format!(
                "lr*wd = {product} with --weight-decay {} exceeds (1 - sqrt(momentum))^2 = {:.6}: T2's alpha would be complex",
                crate::error::shorten(&cfg.weight_decay),
                (1.0 - Field::to_f64(&p.momentum).sqrt()).powi(2)
            ),
        ));
    }
    Ok(())
}
