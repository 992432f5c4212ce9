//! The default suite: which claims run on which model in which arithmetic, and the precision
//! ladder. `plan` decides the jobs, `jobs` runs one (the one `match` on the runtime arithmetic),
//! `params` reads the hyper-parameters and the selection, `ladder` judges discrepancy against
//! precision; this module runs the jobs on worker threads and checks the input first.
//!
//! - f64: every model, every claim, `steps` steps;
//! - exact rationals: the rational models, every rational claim, `exact_steps` steps (sizes grow
//!   about 4× per step);
//! - the precision ladder (f64 and mp at 128/256/512 bits by default), which must shrink as
//!   precision grows: T2, T3-step and L6 on the Rayleigh quotient over `steps` steps; T3-step on
//!   the BN-MLP over 50 steps; T1 on the GN-MLP over 80 steps — a chaotic net on which f64
//!   rounding is amplified past 10⁻² (docs/MATH.md §6) while 256 bits still resolve the identity;
//! - negative controls (expected to fail): T2-sutskever, T3-off-by-one, T3-trainable-head.

mod jobs;
mod ladder;
mod params;
mod plan;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::scalar::Rational;
use serde::Serialize;

use crate::error::{Error, Result};
pub use crate::optim::adam::AdamText;
use crate::optim::Convention;
use crate::scalar::{Arith, Field};
use crate::theorem::claim::ClaimResult;
use crate::theorem::models::ModelName;
use jobs::{run_job, short_skips};
pub use jobs::{ADAM_EXACT_STEPS, LAW_MODELS};
use ladder::ladder;
pub use ladder::{ladder_shrinks, LadderRow};
pub use params::NEEDS_MOMENTUM;
use params::{relaxation_too_long, zero_momentum, Params, RELAXATION_CLAIMS};
use plan::plan;

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
    /// `--ladder-steps`: the nets' ladder over this many steps (`usize::MAX`: the whole run) at
    /// every rung; None = [`plan::LADDER`]'s caps, and T3-step on every net over the whole run at
    /// the lowest rung.
    pub ladder_steps: Option<usize>,
}

impl SuiteConfig {
    /// The paper's setting on `models` over `steps` float steps: η = 0.1, λ = 5e-4, γ = 0.9 in
    /// the PyTorch convention, seed 0, every claim, 4 exact steps, the default AdamW claims and
    /// the default arithmetic mix with a two-rung ladder (128 and 256 bits). Change fields for
    /// anything else.
    pub fn paper(models: Vec<ModelName>, steps: usize) -> Self {
        SuiteConfig {
            steps,
            exact_steps: 4,
            lr: "0.1".into(),
            weight_decay: "5e-4".into(),
            momentum: "0.9".into(),
            seed: 0,
            convention: Convention::PyTorch,
            models,
            claims: None,
            adam: AdamClaims::default(),
            arithmetics: None,
            ladder: vec![128, 256],
            ladder_steps: None,
        }
    }
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
    // The longest jobs first, so both workers stay busy to the end: the exact jobs (the Rayleigh
    // check's takes half the default suite's time on one core), then arbitrary precision, then
    // f64, each by steps; results are still reported in plan order.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| {
        (
            jobs[i].arith != Arith::Rational,
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
    let skipped = skipped(cfg);
    if claims.is_empty() && cfg.claims.is_none() {
        let names: Vec<&str> = cfg.models.iter().map(|m| m.name()).collect();
        return Err(Error::invalid(
            "--model",
            names.join(","),
            "no claim runs on these models in this arithmetic (exact: rayleigh and toy-quadratic; interval: the scale-invariant ones)",
        ));
    }
    if claims.is_empty() {
        return Err(Error::invalid(
            "--claim",
            cfg.claims.as_ref().map(|c| c.join(",")).unwrap_or_default(),
            {
                // The selected claims these parameters leave out, with the reason.
                let selected: Vec<&String> = skipped
                    .iter()
                    .filter(|why| {
                        cfg.claims.as_ref().is_some_and(|ids| {
                            ids.iter().any(|id| {
                                why.starts_with(&format!("{id}:"))
                                    || why.starts_with(&format!("{id} ("))
                            })
                        })
                    })
                    .collect();
                let base = "no claim matches this selection";
                if selected.is_empty() {
                    base.to_string()
                } else {
                    let reasons: Vec<&str> = selected.iter().map(|s| s.as_str()).collect();
                    format!("{base} ({})", reasons.join("; "))
                }
            },
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
        skipped,
    })
}

/// The claims these parameters leave out, each with the reason.
fn skipped(cfg: &SuiteConfig) -> Vec<String> {
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
    // Controls whose cause cannot show in runs this short, per planned job, as the jobs decide.
    for job in plan(cfg) {
        let label = job.arith.label();
        for (id, why) in short_skips(cfg, &job).unwrap_or_default() {
            skipped.push(format!("{id} ({label}): {why}"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    skipped.retain(|s| seen.insert(s.clone()));
    skipped
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
    // Two distinct real roots: (1 + γ − λη)² > 4γ with 1 + γ − λη > 0, i.e. λη < (1 − √γ)².
    let b = one.clone() + p.momentum.clone() - p.lr.clone() * p.weight_decay.clone();
    let four_gamma = Rational::from_int(4) * p.momentum.clone();
    if b > zero && b.clone() * b.clone() == four_gamma {
        // A double root α = √γ: the Sutskever twin's momentum γ/α² is 1 and TEXP's settled
        // factor 1/A² divides by α₁ − α₂ = 0 (docs/MATH.md §3.3, §4).
        return Err(Error::invalid(
            "--lr",
            &cfg.lr,
            format!(
                "lr*wd with --weight-decay {} equals (1 - sqrt(momentum))^2, T2's double root (Sutskever twin momentum 1, TEXP undefined): take lr*wd below it",
                crate::error::shorten(&cfg.weight_decay),
            ),
        ));
    }
    if b <= zero || b.clone() * b < four_gamma {
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

#[cfg(test)]
mod tests {
    use super::params::wants;
    use super::*;

    fn config(steps: usize, exact_steps: usize, models: Vec<ModelName>) -> SuiteConfig {
        SuiteConfig {
            exact_steps,
            arithmetics: Some(vec![Arith::F64, Arith::Rational, Arith::Mp(128)]),
            ..SuiteConfig::paper(models, steps)
        }
    }

    /// α must be real and simple: λη < (1 − √γ)². The paper's γ = 0.9 allows λη ≤ 0.002633, so λ = 0.1
    /// at η = 0.1 (λη = 0.01, b = 1.89, b² = 3.5721 < 3.6 = 4γ) is refused naming both; λη = 1 at
    /// γ = 0 gives b = 0 (refused); a double root (γ = 1/4, λη = 1/4: b² = 1 = 4γ) is refused
    /// with its own reason, and λη a hair either side of it is accepted (below) or complex (above).
    #[test]
    fn complex_alpha_and_a_double_root_are_refused() {
        let mut cfg = config(5, 2, vec![ModelName::Rayleigh]);
        assert!(check_parameters(&cfg).is_ok());
        // γ ∈ [0, 1): plain SGD is valid input, a negative momentum is not.
        cfg.momentum = "0".into();
        assert!(check_parameters(&cfg).is_ok(), "plain SGD");
        cfg.momentum = "-0.1".into();
        let err = check_parameters(&cfg).unwrap_err().to_string();
        assert!(err.starts_with("invalid --momentum: -0.1"), "{err}");
        cfg.momentum = "0.9".into();
        cfg.weight_decay = "0.1".into();
        let err = check_parameters(&cfg).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid --lr: 0.1 (lr*wd = 1.000e-2 with --weight-decay 0.1 exceeds (1 - sqrt(momentum))^2 = 0.002633: T2's alpha would be complex)"
        );
        let (lr, wd, momentum) = ("1", "1", "0");
        (cfg.lr, cfg.weight_decay, cfg.momentum) = (lr.into(), wd.into(), momentum.into());
        assert!(check_parameters(&cfg).is_err(), "b = 0");
        let (lr, wd, momentum) = ("1/2", "1/2", "1/4");
        (cfg.lr, cfg.weight_decay, cfg.momentum) = (lr.into(), wd.into(), momentum.into());
        let err = check_parameters(&cfg).unwrap_err().to_string();
        assert!(
            err.contains("equals (1 - sqrt(momentum))^2, T2's double root"),
            "{err}"
        );
        cfg.weight_decay = "0.4999999".into();
        assert!(check_parameters(&cfg).is_ok(), "just below the double root");
        cfg.weight_decay = "0.5000001".into();
        let err = check_parameters(&cfg).unwrap_err().to_string();
        assert!(
            err.contains("alpha would be complex"),
            "just past the double root: {err}"
        );
    }

    /// The relaxation law needs 32 time constants (1 − γ)/(4ηλ) within its step budget: at the
    /// paper's values that is 32 × 500 steps and fits; at λ = 1e-6 it is 32 × 250000 and both
    /// relaxation claims are skipped with that reason.
    #[test]
    fn relaxation_claims_are_skipped_when_their_time_constant_is_too_long() {
        let mut cfg = config(60, 2, vec![ModelName::MlpBn]);
        assert_eq!(relaxation_too_long(&cfg), None);
        cfg.weight_decay = "1e-6".into();
        let why = relaxation_too_long(&cfg).unwrap();
        assert!(
            why.starts_with("32 x (1-momentum)/(4 lr wd) = 32 x 250000 steps > "),
            "{why}"
        );
        let s = skipped(&cfg);
        assert_eq!(s.len(), 2, "{s:#?}");
        assert!(s.iter().all(|line| line.ends_with(&why)));
        // Only those two: every other claim still runs.
        assert!(!wants(&cfg, RELAXATION_CLAIMS[0]) && !wants(&cfg, RELAXATION_CLAIMS[1]));
        assert!(wants(&cfg, "T1") && wants(&cfg, "E1-sgd-angular"));
    }

    /// The skip list is what the jobs skip: per arithmetic, once however many models share a
    /// line, only for selected claims, after the momentum and relaxation reasons.
    #[test]
    fn skipped_lists_each_short_control_once_per_arithmetic() {
        let models = vec![
            ModelName::Rayleigh,
            ModelName::ToyQuadratic,
            ModelName::MlpBnTrainableHead,
        ];
        let one = skipped(&config(1, 1, models.clone()));
        let count = |label: &str| {
            one.iter()
                .filter(|s| s.contains(&format!(" ({label}): ")))
                .count()
        };
        // f64 and mp128: the five from-step-1 controls, the trainable head, the slip (no boundary);
        // rational: the five (the trainable head has no exact form; no schedule job).
        assert_eq!(
            (count("f64"), count("mp128"), count("rational")),
            (7, 7, 5),
            "{one:#?}"
        );
        assert_eq!(one.len(), 19, "{one:#?}");
        assert!(one.contains(
            &"T4-boundary-slip (f64): the schedule has no boundary at this length".to_string()
        ));
        assert!(one
            .iter()
            .any(|s| s.starts_with("T3-trainable-head (mp128): needs 2 steps")));
        // 2 float steps, 1 exact: constant eps in f64 and the slip in both floats; all five in
        // rationals.
        let two = skipped(&config(2, 1, models.clone()));
        assert_eq!(
            (
                two.len(),
                two.iter().filter(|s| s.contains("(rational)")).count()
            ),
            (8, 5)
        );
        assert!(
            two[0].starts_with("T3-adamw-constant-eps (f64): needs 16 steps"),
            "{two:#?}"
        );
        assert!(
            two[1].starts_with("T4-boundary-slip (f64): at 2 steps"),
            "{two:#?}"
        );
        // The default mix at 53 steps: the slip is decided for the schedule job's 53 steps only,
        // not for the ladder's mlp-bn rungs capped at 50.
        let mut mix = config(53, 2, vec![ModelName::MlpBn]);
        mix.arithmetics = None;
        let s = skipped(&mix);
        assert_eq!(s.len(), 1, "{s:#?}");
        assert!(
            s[0].starts_with("T4-boundary-slip (f64): at 53 steps"),
            "{s:#?}"
        );
        // Long enough everywhere: nothing.
        assert!(skipped(&config(60, 2, models.clone())).is_empty());
        // Only the selected claims.
        let mut only_t1 = config(1, 1, models.clone());
        only_t1.claims = Some(vec!["T1", "T1-skewed"]);
        let s = skipped(&only_t1);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s.iter().all(|s| s.starts_with("T1-skewed (")));
        // γ = 0: the momentum reasons come first.
        let mut plain = config(60, 2, models);
        plain.momentum = "0".into();
        let s = skipped(&plain);
        assert_eq!(s.len(), NEEDS_MOMENTUM.len(), "{s:#?}");
        assert_eq!(s[0], "T2-smaller-root: needs momentum > 0");
    }
}
