//! `verify theorem`.

use std::path::PathBuf;

use clap::Args;

use super::common::{progress_bar, AdamFlags, Outcome};
use super::output::say;
use crate::budget;
use crate::error::{Error, Result};
use crate::optim::Convention;
use crate::scalar::{Arith, ArithName};
use crate::theorem::claim::Expected;
use crate::theorem::figure::norm_growth;
use crate::theorem::models::ModelName;
use crate::theorem::suite::{run_suite, AdamClaims, SuiteConfig, SuiteReport};

/// Arguments of `verify theorem`.
#[derive(Debug, Args, Clone)]
#[command(allow_negative_numbers = true)]
pub struct TheoremArgs {
    /// Steps of the float trajectories.
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Steps of the exact rational trajectories. Sizes grow about 4x per step and time about
    /// 8x (measured, every rational claim, 2 cores: 5 steps 0.3 s, 6 steps 1.0 s, 7 steps 8.4 s).
    #[arg(long, default_value_t = 6)]
    pub exact_steps: usize,
    /// Cap on --exact-steps (each exact step costs about 8x the previous one: 8 steps ~90 s).
    #[arg(long, default_value_t = 8)]
    pub max_exact_steps: usize,
    /// Only this arithmetic (f64, mp, rational); default: f64 + rational + the mp ladder.
    #[arg(long, value_enum)]
    pub arith: Option<ArithName>,
    /// Bits of the mp ladder (comma separated); with --arith mp, the precisions to run.
    #[arg(long, default_value = "128,256,512")]
    pub precision: String,
    /// Steps of the precision ladder on the nets at every rung of --precision: a number or
    /// `all` (the whole run). Default: T3-step over the whole run on every net (mlp-bn, mlp-ln,
    /// mlp-gn, conv-bn, conv-in) at f64 and the lowest rung only, and T1 on mlp-gn over 80
    /// steps at every rung, what fits the default suite's time (~15 s on 2 cores). `all` at 1000
    /// steps: ~41 s on 2 cores for the nets alone (measured; README, "Precision ladder" and
    /// "Arithmetic").
    #[arg(long)]
    pub ladder_steps: Option<String>,
    /// Momentum convention of the runs.
    #[arg(long, value_enum, default_value = "pytorch")]
    pub convention: Convention,
    /// Models (comma separated): rayleigh, toy-quadratic, toy-population, toy-sample, mlp-bn,
    /// mlp-ln, mlp-gn, conv-bn, conv-in, mlp-bn-trainable-head; default: all.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub model: Option<Vec<ModelName>>,
    /// Only these claims: exact ids and groups, comma separated (e.g. T2,T3-step or t3 or
    /// controls); groups: all, controls, identities, t1, t2, t3, t4, nesterov, adamw, laws. See
    /// --list-claims.
    #[arg(long)]
    pub claim: Option<String>,
    /// Print the claim registry (id, group, optimizer, status, derivation, controls) as a
    /// Markdown table and exit.
    #[arg(long)]
    pub list_claims: bool,
    /// --beta1, --beta2, --eps of the AdamW claims.
    #[command(flatten)]
    pub adam: AdamFlags,
    /// AdamW claims: base learning rate of the step-decay schedule.
    #[arg(long, default_value = "1e-2")]
    pub adam_lr: String,
    /// AdamW claims: decoupled weight decay λ.
    #[arg(long, default_value = "0.1")]
    pub adam_weight_decay: String,
    /// Learning rate η (exact text).
    #[arg(long, default_value = "0.1")]
    pub lr: String,
    /// Weight decay λ.
    #[arg(long, default_value = "5e-4")]
    pub weight_decay: String,
    /// Momentum γ.
    #[arg(long, default_value = "0.9")]
    pub momentum: String,
    /// Seed of data, initializations and random schedules.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: the machine's cores; at most 256).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Time budget in seconds: no new job starts once the measured pace projects the suite
    /// beyond it (exit 2).
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

/// Most float steps of `verify theorem`: every claim keeps its trajectories in memory (the
/// largest net, 135 parameters, needs about 0.1 GB per f64 trajectory at this length).
pub const MAX_THEOREM_STEPS: usize = 100_000;
/// Most exact steps: each one costs about 8x the previous one (8 steps ~90 s, 10 steps hours).
pub const MAX_EXACT_STEPS: usize = 10;
/// Most rungs of the precision ladder.
pub const MAX_RUNGS: usize = 8;

/// Fewest bits a theorem check runs at: its tolerance is 10³ × the rounding floor, and a step
/// is resolvable while that stays below 10⁻⁶ (`RESOLVABLE`), so u = 2⁻ᵖ must leave room for the
/// floor's growth: 40 bits give 10³·3u = 2.7e-9, three decades of room. At 32 bits the floor
/// passes 10⁻⁶ after the first step (measured on the Rayleigh check), so no step after θ₀ could
/// be decided; `verify toy` has no such floor and takes 24 bits.
pub const MIN_THEOREM_PRECISION: u32 = 40;

/// `--ladder-steps`: a positive count or `all`.
fn ladder_steps(text: &str) -> Result<usize> {
    if text == "all" {
        return Ok(usize::MAX);
    }
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::invalid(
            "--ladder-steps",
            text,
            "expected a positive number of steps or `all`",
        )),
    }
}

fn precisions(text: &str) -> Result<Vec<u32>> {
    let rungs = text.split(',').count();
    if rungs > MAX_RUNGS {
        return Err(Error::invalid(
            "--precision",
            text,
            format!("at most {MAX_RUNGS} precisions (each one reruns the ladder claims)"),
        ));
    }
    text.split(',')
        .map(|p| {
            let bits: u32 = p.trim().parse().map_err(|_| {
                Error::invalid(
                    "--precision",
                    p,
                    "expected bits as whole numbers, e.g. 128,256",
                )
            })?;
            Arith::new(ArithName::Mp, bits)?;
            if bits < MIN_THEOREM_PRECISION {
                return Err(Error::invalid(
                    "--precision",
                    bits,
                    format!("theorem checks need at least {MIN_THEOREM_PRECISION} bits: below that the rounding floor (10^3 x 3u) is too coarse to resolve any step past theta_0"),
                ));
            }
            Ok(bits)
        })
        .collect::<Result<Vec<u32>>>()
        .map(|mut bits| {
            // The ladder climbs: `512,128,128` is the ladder 128 < 512.
            bits.sort_unstable();
            bits.dedup();
            bits
        })
}

/// Reads the arguments into a suite configuration.
pub fn config(args: &TheoremArgs) -> Result<SuiteConfig> {
    budget::at_most(
        "--steps",
        args.steps as u64,
        MAX_THEOREM_STEPS as u64,
        "every claim keeps its trajectories in memory",
    )?;
    budget::at_most(
        "--max-exact-steps",
        args.max_exact_steps as u64,
        MAX_EXACT_STEPS as u64,
        "each exact step costs about 10x the previous one",
    )?;
    budget::threads(args.threads)?;
    budget::time_limit(args.time_limit)?;
    if args.exact_steps > args.max_exact_steps {
        return Err(Error::invalid(
            "--exact-steps",
            args.exact_steps,
            format!(
                "exact rational runs grow about 4x in size per step; at most {} steps (raise --max-exact-steps)",
                args.max_exact_steps
            ),
        ));
    }
    let ladder = precisions(&args.precision)?;
    let arithmetics = match args.arith {
        None => None,
        Some(ArithName::Mp) => Some(ladder.iter().map(|&b| Arith::Mp(b)).collect()),
        Some(ArithName::Interval) => Some(ladder.iter().map(|&b| Arith::Interval(b)).collect()),
        Some(name) => Some(vec![Arith::new(name, 256)?]),
    };
    let mut models = match &args.model {
        None => ModelName::ALL.to_vec(),
        Some(list) => {
            let mut models: Vec<ModelName> = Vec::new();
            for &m in list {
                // A model named twice is run once.
                if !models.contains(&m) {
                    models.push(m);
                }
            }
            models
        }
    };
    if args.model.is_none() {
        models.push(ModelName::MlpBnTrainableHead);
    }
    if args.arith == Some(ArithName::Interval) {
        // The population toy's quadrature has no rigorous error bound: nothing about it can be
        // certified. Named, it is refused; in the default set, left out.
        if args.model.is_some() && models.contains(&ModelName::ToyPopulation) {
            return Err(Error::invalid(
                "--model",
                "toy-population",
                "cannot be certified with --arith interval: its quadrature has no rigorous error bound (use toy-sample, or --arith mp)",
            ));
        }
        models.retain(|m| *m != ModelName::ToyPopulation);
        if args.model.is_none() {
            // By default the models without branches (the nets' ReLUs, BN's batch statistics
            // and the softmax head compare numbers an enclosure may not order; name a net with
            // --model to try, and the run stops with exit 2 at the first undecidable step).
            models = vec![ModelName::Rayleigh, ModelName::ToyQuadratic];
        }
    }
    Ok(SuiteConfig {
        steps: args.steps,
        exact_steps: args.exact_steps,
        lr: args.lr.clone(),
        weight_decay: args.weight_decay.clone(),
        momentum: args.momentum.clone(),
        seed: args.seed,
        convention: args.convention,
        models,
        claims: args
            .claim
            .as_deref()
            .map(crate::theorem::registry::select)
            .transpose()?,
        adam: AdamClaims {
            hyper: args.adam.text(),
            lr: args.adam_lr.clone(),
            weight_decay: args.adam_weight_decay.clone(),
        },
        arithmetics,
        ladder,
        ladder_steps: args.ladder_steps.as_deref().map(ladder_steps).transpose()?,
    })
}

/// Runs `verify theorem`.
pub fn run(args: TheoremArgs) -> anyhow::Result<Outcome> {
    if args.list_claims {
        say!("{}", crate::theorem::registry::markdown().trim_end());
        return Ok(Outcome::Holds);
    }
    let cfg = config(&args)?;
    let threads = budget::threads(args.threads)?;
    let limit = budget::time_limit(args.time_limit)?;
    budget::arm_watchdog(limit);
    let deadline = budget::Deadline::start(limit);
    let bar = progress_bar(1, "theorem", args.quiet);
    let report = run_suite(&cfg, threads, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        deadline.check(done as u64, total as u64)
    })?;
    bar.finish_and_clear();
    let figures = if args.no_plots {
        Vec::new()
    } else {
        let growth = norm_growth::<f64>(
            ModelName::MlpBn,
            cfg.seed,
            crate::cli::common::number("--lr", &cfg.lr)?,
            crate::cli::common::number("--weight-decay", &cfg.weight_decay)?,
            crate::cli::common::number("--momentum", &cfg.momentum)?,
            5 * cfg.steps,
        )?;
        crate::plot::theorem_figures(&report, Some(&growth), &args.out)?
    };
    // From here on only reporting: the time budget's watchdog must not cut a table.
    crate::budget::finish();
    if args.json {
        say!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report)?;
        for f in figures {
            say!("plot: {}", f.display());
        }
    }
    Ok(Outcome::from_holds(report.all_as_expected))
}

fn print_table(report: &SuiteReport) -> anyhow::Result<()> {
    say!(
        "verify theorem: lr {}, weight decay {}, momentum {}; {} float steps, {} exact steps",
        report.lr,
        report.weight_decay,
        report.momentum,
        report.steps,
        report.exact_steps
    );
    say!(
        "{:<26} {:<30} {:<8} {:<6} {:<7} {:>11} {:>6} {:>10} {:>6} {:>11} {:>8}",
        "claim",
        "model",
        "arith",
        "expect",
        "verdict",
        "discrepancy",
        "@step",
        "ratio",
        "@step",
        "tolerance",
        "resolved"
    );
    let step = |s: Option<usize>| s.map_or("-".to_string(), |t| t.to_string());
    for c in &report.claims {
        let verdict = if c.holds { "holds" } else { "fails" };
        let flag = if c.as_expected() {
            ""
        } else {
            "  <-- NOT AS EXPECTED"
        };
        let mut model = c.model.clone();
        model.truncate(30);
        let ratio = match c.ratio {
            Some(r) if r.is_finite() => r.sci(2),
            Some(_) => "diverged".into(),
            None => "exact".into(),
        };
        say!(
            "{:<26} {:<30} {:<8} {:<6} {:<7} {:>11} {:>6} {:>10} {:>6} {:>11} {:>8}{flag}",
            c.id,
            model,
            c.arith,
            if c.expected == Expected::Hold {
                "hold"
            } else {
                "fail"
            },
            verdict,
            if c.discrepancy.is_finite() {
                c.discrepancy.sci(3)
            } else {
                "diverged".into()
            },
            step(c.at_step),
            ratio,
            step(c.ratio_at),
            if c.tolerance.is_finite() {
                c.tolerance.sci(3)
            } else {
                "-".into()
            },
            // Float trajectories: the steps the arithmetic resolves (the verdict covers those).
            match c.horizon {
                Some(h) if h <= c.steps => format!("{}/{}", h.saturating_sub(1), c.steps),
                _ => "all".into(),
            }
        );
    }
    if !report.ladder.is_empty() {
        say!(
            "precision ladder (max discrepancy as precision grows; each resolved rung must fall by 2^(-dbits/2), the finest must resolve):"
        );
        for row in &report.ladder {
            let steps: Vec<String> = row
                .arith
                .iter()
                .zip(row.discrepancies.iter().zip(&row.resolved))
                .map(|(a, (d, r))| {
                    let d = if d.is_finite() {
                        d.sci(2)
                    } else {
                        "diverged".into()
                    };
                    if *r {
                        format!("{a} {d}")
                    } else {
                        format!("{a} ({d}, unresolved)")
                    }
                })
                .collect();
            let mut model = row.model.clone();
            model.truncate(30);
            say!(
                "  {:<10} {:<30} {:>5} steps: {}  {}",
                row.id,
                model,
                row.steps,
                steps.join(" > "),
                if row.shrinks {
                    "shrinks"
                } else if row.resolved.last() == Some(&false) {
                    // Not evidence against the claim: the precision asked for cannot see it.
                    "UNDECIDED: the finest rung does not resolve the run (raise --precision)"
                } else {
                    "DOES NOT SHRINK"
                }
            );
        }
    }
    for c in report
        .claims
        .iter()
        .filter(|c| c.detail.is_some() && (c.id.starts_with("T4") || c.id == "T2-zero-buffer"))
    {
        say!(
            "{} ({}, {}): {}",
            c.id,
            c.model,
            c.arith,
            c.detail.as_deref().unwrap_or("")
        );
    }
    for note in &report.skipped {
        say!("skipped {note}");
    }
    let total = report.claims.len();
    let expected = report.claims.iter().filter(|c| c.as_expected()).count();
    let controls = report
        .claims
        .iter()
        .filter(|c| c.expected == Expected::Fail)
        .count();
    // The weakest float control: how far above its tolerance it still fails.
    if let Some((r, c)) = report
        .claims
        .iter()
        .filter(|c| {
            c.expected == Expected::Fail
                && !matches!(c.tier, Some(crate::scalar::Arith::Interval(_)))
        })
        .filter_map(|c| c.ratio.map(|r| (r, c)))
        .min_by(|a, b| a.0.log2().total_cmp(&b.0.log2()))
    {
        say!(
            "weakest float control: {} on {} ({}) fails at {} x its tolerance",
            c.id,
            c.model,
            c.arith,
            r.sci(2)
        );
    }
    say!(
        "{total} claims, {expected} as expected ({controls} negative controls, each must fail); {} ladders; verdict: {}",
        report.ladder.len(),
        if report.all_as_expected { "ALL AS EXPECTED" } else { "NOT AS EXPECTED" }
    );
    Ok(())
}
