//! `verify toy`.

use std::path::PathBuf;

use crate::scalar::Rational;
use clap::{Args, ValueEnum};

use super::common::{fmt_num, fmt_sci, number, progress_bar, vector, Outcome};
use super::output::say;
use crate::budget::{self, time_limit, Deadline};
use crate::error::{Error, Result};
use crate::scalar::{with_precision, Arith, ArithName, Field, Interval, Real};
use crate::toy::models::{
    logistic_models, logistic_stability_limit, quadratic_models, quadratic_stability_limit,
    RegimeModel, ToyData,
};
use crate::toy::{run_toy, ToyReport, ToySetup};

/// Which toy loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToyLoss {
    /// The paper's linear classifier with logistic loss (floats only).
    Logistic,
    /// w₁²/‖w‖² with BN, w₁² without: rational, runs exactly.
    NormalizedQuadratic,
}

/// Data form of the logistic toy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataForm {
    /// Infinite data: expectations by quadrature.
    Population,
    /// N seeded points with batch statistics.
    Sample,
}

/// Arguments of `verify toy`.
#[derive(Debug, Args, Clone)]
#[command(allow_negative_numbers = true)]
pub struct ToyArgs {
    /// Toy loss.
    #[arg(long, value_enum, default_value = "logistic")]
    pub loss: ToyLoss,
    /// Data form of the logistic toy.
    #[arg(long, value_enum, default_value = "population")]
    pub data: DataForm,
    /// Number of points for --data sample.
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Seed of the sample's random stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Arithmetic: f64, mp (arbitrary precision), rational (exact), or interval (certified
    /// enclosures: the sample form and the companion toy).
    #[arg(long, value_enum, default_value = "f64")]
    pub arith: ArithName,
    /// Mantissa bits for --arith mp and --arith interval.
    #[arg(long, default_value_t = 256)]
    pub precision: u32,
    /// Learning rate η (exact text: "0.5", "1/2").
    #[arg(long, default_value = "0.5")]
    pub lr: String,
    /// Weight decay λ of the regimes with WD.
    #[arg(long, default_value = "0.02")]
    pub weight_decay: String,
    /// Momentum γ (PyTorch convention).
    #[arg(long, default_value = "0")]
    pub momentum: String,
    /// Number of full-batch GD steps.
    #[arg(long, default_value_t = 3000)]
    pub steps: usize,
    /// Initial point w_0, comma separated; its length is the dimension.
    #[arg(long, default_value = "1,1")]
    pub init: String,
    /// Tolerance of the convergence criterion.
    #[arg(long, default_value_t = 1e-6)]
    pub tolerance: f64,
    /// Cap on steps in exact rational mode. Sizes grow about 4× per step and time about 8×
    /// (measured, four regimes, 2 cores: 8 steps 0.17 s, 9 steps 1.3 s, 10 steps 9.6 s).
    #[arg(long, default_value_t = 9)]
    pub max_exact_steps: usize,
    /// Time budget in seconds: the run stops with exit 2 once its measured pace projects it
    /// beyond this.
    #[arg(long, default_value_t = crate::budget::DEFAULT_TIME_LIMIT)]
    pub time_limit: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Directory for PNG plots.
    #[arg(long, default_value = "plots")]
    pub out: PathBuf,
    /// Do not draw plots.
    #[arg(long)]
    pub no_plots: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn setup<T: Field>(args: &ToyArgs) -> Result<ToySetup<T>> {
    Ok(ToySetup {
        lr: number("--lr", &args.lr)?,
        weight_decay: number("--weight-decay", &args.weight_decay)?,
        momentum: number("--momentum", &args.momentum)?,
        steps: args.steps,
        init: vector("--init", &args.init)?,
        tolerance: args.tolerance,
    })
}

fn check_ranges<T: Field>(setup: &ToySetup<T>, args: &ToyArgs) -> Result<()> {
    let lr_ok = setup.lr > T::zero();
    if !lr_ok {
        return Err(Error::invalid("--lr", &args.lr, "must be positive"));
    }
    let wd_ok = setup.weight_decay > T::zero();
    if !wd_ok {
        return Err(Error::invalid(
            "--weight-decay",
            &args.weight_decay,
            "must be positive (the wd-only and bn+wd regimes need it)",
        ));
    }
    Ok(())
}

fn execute<T: Field>(
    args: &ToyArgs,
    models: impl FnOnce(usize) -> Vec<RegimeModel<T>>,
    limit: impl FnOnce(&T) -> T,
) -> Result<ToyReport> {
    let setup = setup::<T>(args)?;
    check_ranges(&setup, args)?;
    let models = models(setup.init.len());
    let limit = limit(&setup.momentum).to_f64();
    let total = (args.steps as u64 + 1) * models.len() as u64;
    let bar = progress_bar(total, "toy", args.quiet);
    let budget = time_limit(args.time_limit)?;
    budget::arm_watchdog(budget);
    let deadline = Deadline::start(budget);
    let report = run_toy(&setup, &models, limit, |regime, t| {
        let done = (regime * (args.steps + 1) + t) as u64 + 1;
        bar.set_position(done);
        deadline.check(done, total)
    });
    bar.finish_and_clear();
    report
}

fn logistic<T: Real>(args: &ToyArgs) -> Result<ToyReport> {
    let data = match args.data {
        DataForm::Population => ToyData::Population,
        DataForm::Sample => {
            if !(2..=1_000_000).contains(&args.samples) {
                return Err(Error::invalid(
                    "--samples",
                    args.samples,
                    "must be between 2 (batch statistics need two points) and 1000000",
                ));
            }
            ToyData::Sample {
                samples: args.samples,
                seed: args.seed,
            }
        }
    };
    execute::<T>(
        args,
        |dim| logistic_models(&data, dim),
        logistic_stability_limit,
    )
}

fn quadratic<T: Field>(args: &ToyArgs) -> Result<ToyReport> {
    execute::<T>(args, quadratic_models, quadratic_stability_limit)
}

/// Bytes kept per step and regime: one record plus the canonical parameters.
const RECORD_BYTES: u64 = (std::mem::size_of::<crate::toy::StepRecord>() + 24) as u64;

/// `--arith interval` certifies the sample form and the companion toy; the population toy's
/// quadrature has no rigorous error bound, so it is refused by name rather than run uncertified.
fn interval_refused(args: &ToyArgs, arith: Arith) -> Result<Arith> {
    match arith {
        Arith::Interval(_) if args.loss == ToyLoss::Logistic && args.data == DataForm::Population => {
            Err(Error::unsupported(
                "--data",
                "population",
                "with --arith interval: the population toy's Gaussian quadrature has no rigorous error bound; certify --data sample or --loss normalized-quadratic",
            ))
        }
        other => Ok(other),
    }
}

/// The run's budget, checked before anything is parsed into numbers or allocated.
fn check_budget(args: &ToyArgs) -> Result<()> {
    interval_refused(args, Arith::new(args.arith, args.precision)?)?;
    if args.steps == 0 {
        return Err(Error::invalid("--steps", 0, "must be at least 1"));
    }
    budget::at_most(
        "--steps",
        args.steps as u64,
        budget::MAX_STEPS as u64,
        "steps of one trajectory",
    )?;
    budget::at_most(
        "--max-exact-steps",
        args.max_exact_steps as u64,
        super::theorem::MAX_EXACT_STEPS as u64,
        "each exact step costs about 10x the previous one",
    )?;
    let dim = args.init.split(',').count() as u64;
    if dim > budget::MAX_DIM as u64 {
        return Err(Error::invalid(
            "--init",
            format!("({dim} entries)"),
            format!("at most {} entries", budget::MAX_DIM),
        ));
    }
    // (steps + 1) records of 4 regimes: steps x per_step <= budget - per_step.
    let per_step = 4 * (RECORD_BYTES + 8 * dim);
    budget::product(
        &[
            ("--steps", args.steps as u64),
            ("bytes of 4 regimes' records", per_step),
        ],
        budget::MAX_RECORD_BYTES - per_step,
        "records kept in memory for verdicts and plots; 2 GiB",
    )?;
    if args.loss == ToyLoss::Logistic && args.data == DataForm::Sample {
        budget::product(
            &[("--samples", args.samples as u64), ("--init entries", dim)],
            100_000_000,
            "the sample's coordinates are held in memory",
        )?;
    }
    time_limit(args.time_limit)?;
    if args.arith == ArithName::Rational {
        budget::at_most(
            "--init entries",
            dim,
            budget::MAX_EXACT_DIM as u64,
            "with --arith rational each number may grow to 500000 bits",
        )?;
        for (flag, text) in [
            ("--lr", &args.lr),
            ("--weight-decay", &args.weight_decay),
            ("--momentum", &args.momentum),
        ] {
            budget::exact_input(flag, text)?;
        }
        for entry in args.init.split(',') {
            budget::exact_input("--init", entry)?;
        }
    }
    Ok(())
}

/// Quadrature nodes of the population toy (3 × 20 half-normal by 4 × 20 normal Gauss–Legendre
/// nodes), each costing one exp and one ln(1+x) per loss-and-gradient evaluation.
const POPULATION_NODES: u64 = 4800;

/// The logistic toy in arbitrary precision spends its time in exp and ln: time one pair at the
/// run's precision and arithmetic (an interval computes both endpoints) and refuse, before the
/// run, a run whose projection exceeds --time-limit (one step alone can take minutes at 10⁶
/// bits, longer than a per-step check could catch).
fn check_mp_cost<T: Real>(args: &ToyArgs, bits: u32) -> Result<()> {
    let pair_seconds = with_precision(bits, || {
        let x = T::from_ratio(-7, 3);
        // Once untimed: the first call may fill a per-precision cache (`Fixed`'s ln 2).
        std::hint::black_box(x.exp().ln_1p());
        let start = std::time::Instant::now();
        let y = x.exp().ln_1p();
        std::hint::black_box(y);
        start.elapsed().as_secs_f64()
    });
    let per_step = match args.data {
        DataForm::Population => POPULATION_NODES,
        DataForm::Sample => args.samples as u64,
    };
    let evaluations = (args.steps as f64 + 1.0) * 4.0 * per_step as f64;
    let projected = evaluations * pair_seconds;
    if projected > args.time_limit {
        return Err(Error::invalid(
            "--precision",
            bits,
            format!(
                "about {projected:.0} s: {evaluations:.1e} exp/ln pairs at {:.3} ms each exceed --time-limit {}; lower --precision or --steps",
                pair_seconds * 1e3,
                args.time_limit
            ),
        ));
    }
    Ok(())
}

/// Checks the arguments without running anything.
pub fn validate(args: &ToyArgs) -> Result<()> {
    check_budget(args)?;
    let s = setup::<Rational>(args)?;
    check_ranges(&s, args)?;
    s.validate()
}

/// Runs the toy and returns its report (no printing, no plots).
pub fn compute(args: &ToyArgs) -> Result<ToyReport> {
    check_budget(args)?;
    let arith = interval_refused(args, Arith::new(args.arith, args.precision)?)?;
    let args = args.clone();
    let report = match (arith, args.loss) {
        (Arith::Rational, ToyLoss::Logistic) => {
            return Err(Error::unsupported(
                "--arith",
                "rational",
                "the logistic toy needs exp, ln and sqrt; use --loss normalized-quadratic for exact runs",
            ))
        }
        (Arith::Rational, ToyLoss::NormalizedQuadratic) => {
            if args.steps > args.max_exact_steps {
                return Err(Error::invalid(
                    "--steps",
                    args.steps,
                    format!(
                        "exact rational runs grow about 4x in size per step; at most {} steps (raise --max-exact-steps, or use --arith mp)",
                        args.max_exact_steps
                    ),
                ));
            }
            quadratic::<Rational>(&args)?
        }
        (Arith::F64, ToyLoss::Logistic) => logistic::<f64>(&args)?,
        (Arith::F64, ToyLoss::NormalizedQuadratic) => quadratic::<f64>(&args)?,
        (Arith::Mp(bits), ToyLoss::Logistic) => {
            crate::with_mp!(bits, T => check_mp_cost::<T>(&args, bits))?;
            crate::with_mp!(bits, T => logistic::<T>(&args))?
        }
        (Arith::Mp(bits), ToyLoss::NormalizedQuadratic) => {
            crate::with_mp!(bits, T => quadratic::<T>(&args))?
        }
        (Arith::Interval(bits), ToyLoss::Logistic) => {
            check_mp_cost::<Interval>(&args, bits)?;
            with_precision(bits, || logistic::<Interval>(&args))?
        }
        (Arith::Interval(bits), ToyLoss::NormalizedQuadratic) => {
            with_precision(bits, || quadratic::<Interval>(&args))?
        }
    };
    Ok(ToyReport {
        arith: arith.label(),
        ..report
    })
}

/// Runs `verify toy`.
pub fn run(args: ToyArgs) -> anyhow::Result<Outcome> {
    let report = compute(&args)?;
    let figure = if args.no_plots {
        None
    } else {
        Some(crate::plot::toy_figure(&report, &args.out)?)
    };
    // From here on only reporting: the time budget's watchdog must not cut a table.
    crate::budget::finish();
    if args.json {
        say!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report, &args)?;
        if let Some(path) = figure {
            say!("plot: {}", path.display());
        }
    }
    Ok(Outcome::from_holds(report.claim_holds))
}

fn print_table(report: &ToyReport, args: &ToyArgs) -> anyhow::Result<()> {
    let model = report
        .regime(crate::toy::Regime::BnWd)
        .map(|r| r.model.clone())
        .unwrap_or_default();
    say!(
        "verify toy: {model}; arith {}, lr {}, weight decay {}, momentum {}, {} steps",
        report.arith,
        args.lr,
        args.weight_decay,
        args.momentum,
        report.steps
    );
    say!(
        "{:<8} {:>9} {:>13} {:>10} {:>12} {:>12} {:>12} {:>10} {:>5}",
        "regime",
        "converged",
        "loss",
        "train err",
        "angle deg",
        "|w|",
        "lr/|w|^2",
        "movement",
        "kicks"
    );
    for r in &report.regimes {
        let err = r
            .last
            .train_error
            .map(fmt_num)
            .unwrap_or_else(|| "-".into());
        say!(
            "{:<8} {:>9} {:>13} {:>10} {:>12} {:>12} {:>12} {:>10} {:>5}",
            r.name,
            match (r.converged, r.diverged_at) {
                (_, Some(_)) => "diverged",
                (true, None) => "yes",
                (false, None) => "no",
            },
            fmt_num(r.last.loss),
            err,
            fmt_num(r.last.angle_deg),
            fmt_num(r.last.w_norm),
            fmt_num(r.last.effective_lr),
            fmt_sci(r.criterion.movement, 2),
            r.kick_outs.len()
        );
    }
    if report.certified {
        let widths: Vec<String> = report
            .regimes
            .iter()
            .map(|r| {
                let w = r.max_width.unwrap_or(crate::scalar::Magnitude::ZERO);
                format!("{} {}", r.name, w)
            })
            .collect();
        say!(
            "certified: every iterate is an enclosure of the real-arithmetic one and every comparison the verdicts branch on (|w| grows, an episode's >1% growth, the convergence window, each training-error sign) was decided by the enclosures; widest enclosure of a coordinate of w: {}",
            widths.join(", ")
        );
        say!(
            "(the movement, onset and effective-LR figures are f64 readings of the enclosures' midpoints)"
        );
    }
    for r in &report.regimes {
        if let Some(t) = r.diverged_at {
            say!(
                "{}: diverged at step {t} (the loss or |w| is no longer a finite f64); the run stopped there",
                r.name
            );
        }
    }
    say!(
        "criterion: converged iff over the last {} steps the function's parameters (w/|w| with BN, w without) move by at most {:e} and the training error changes by at most {:e}, with no kick-out",
        // The window of a run that went the distance (a diverged one stopped early).
        report
            .regimes
            .iter()
            .find(|r| r.diverged_at.is_none())
            .map_or((report.steps / 10).clamp(20.min(report.steps), report.steps), |r| {
                report.steps - r.criterion.window_start
            }),
        args.tolerance,
        args.tolerance
    );
    say!(
        "stability limit of the optimum for lr/|w|^2: 2(1+momentum)/l''(opt) = {}",
        fmt_num(report.stability_limit)
    );
    if let Some(bnwd) = report.regime(crate::toy::Regime::BnWd) {
        if !bnwd.kick_outs.is_empty() {
            say!("bn+wd kick-outs (step: lr/|w|^2 at onset, onset/limit, peak):");
            for k in bnwd.kick_outs.iter().take(8) {
                say!(
                    "  {:>7}: {}  {}  {}",
                    k.step,
                    fmt_num(k.onset_effective_lr),
                    fmt_num(k.onset_over_limit),
                    fmt_num(k.peak_effective_lr)
                );
            }
            if bnwd.kick_outs.len() > 8 {
                say!("  ... {} more", bnwd.kick_outs.len() - 8);
            }
            let o = &report.onsets;
            if o.applicable {
                say!(
                    "onsets vs limit: median onset/limit {} within the detection resolution x{} ({} of {} episodes within): {}",
                    fmt_num(o.median_ratio),
                    fmt_num(o.median_resolution),
                    o.within,
                    o.total,
                    if o.holds { "agrees" } else { "DISAGREES" }
                );
            } else {
                say!("onsets vs limit: not checked: {}", o.not_checked);
            }
        }
    }
    say!(
        "claim (wd-only and bn-only converge; bn+wd does not, with at least 2 kick-outs; onsets agree with the limit where checked): {}",
        if report.claim_holds { "HOLDS" } else { "FAILS" }
    );
    Ok(())
}
