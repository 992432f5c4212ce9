//! `verify schedule`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::common::{AdamFlags, Outcome};
use crate::convert::{
    convert, twin_rows, BaseSchedule, Conversion, Kind, SchedulePlan, TwinOptimizer, TwinRow,
};
use crate::error::{Error, Result};

/// Shape of the input schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shape {
    /// Constant LR.
    Constant,
    /// Step decay: ÷ --decay-factor at each of --milestones (epochs).
    Step,
    /// Cosine annealing to --min-lr.
    Cosine,
    /// Per-iteration LRs from --csv.
    Csv,
}

/// The optimizer of the run with weight decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Optimizer {
    /// torch.optim.SGD with momentum (the paper's): --kind exact or texp.
    Sgd,
    /// torch.optim.SGD(nesterov=True): the exact twin (docs/MATH.md §3.4).
    Nesterov,
    /// torch.optim.AdamW: the exact twin (docs/MATH.md §3.5), with --beta1, --beta2, --eps.
    Adamw,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Summary and one row per --every iterations (default: per epoch).
    Table,
    /// One row per iteration.
    Csv,
    /// One object: summary and rows.
    Json,
}

/// Arguments of `verify schedule`.
#[derive(Debug, Args, Clone)]
#[command(allow_negative_numbers = true)]
pub struct ScheduleArgs {
    /// Base learning rate η (exact text).
    #[arg(long, default_value = "0.1")]
    pub lr: String,
    /// Weight decay λ.
    #[arg(long, default_value = "5e-4")]
    pub weight_decay: String,
    /// Momentum γ (PyTorch convention).
    #[arg(long, default_value = "0.9")]
    pub momentum: String,
    /// Iterations per epoch (CIFAR-10 at batch 128: 391).
    #[arg(long, default_value_t = 391)]
    pub iters_per_epoch: usize,
    /// Epochs.
    #[arg(long, default_value_t = 300)]
    pub epochs: usize,
    /// Schedule shape.
    #[arg(long, value_enum, default_value = "step")]
    pub schedule: Shape,
    /// Milestone epochs of step decay.
    #[arg(long, default_value = "80,120")]
    pub milestones: String,
    /// Divisor at each milestone.
    #[arg(long, default_value = "10")]
    pub decay_factor: String,
    /// Final LR of cosine annealing.
    #[arg(long, default_value = "0")]
    pub min_lr: String,
    /// Linear warm-up epochs in front of the schedule.
    #[arg(long, default_value_t = 0)]
    pub warmup_epochs: usize,
    /// CSV file of per-iteration LRs (one per line, or a column named lr).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Optimizer of the run with weight decay: sgd, nesterov or adamw. Nesterov and AdamW print
    /// their exact twin's per-step hyper-parameters (--kind applies to sgd).
    #[arg(long, value_enum, default_value = "sgd")]
    pub optimizer: Optimizer,
    /// --beta1, --beta2, --eps of --optimizer adamw.
    #[command(flatten)]
    pub adam: AdamFlags,
    /// exact (T3 WD shadow) or texp (T4 tapered exponential).
    #[arg(long, value_enum, default_value = "texp")]
    pub kind: Kind,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Print every N-th iteration (default: 1 for csv/json, one per epoch for the table).
    #[arg(long)]
    pub every: Option<usize>,
    /// Directory for PNG plots.
    #[arg(long, default_value = "plots")]
    pub out: PathBuf,
    /// Do not draw plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Accepted for symmetry with the other commands (the converter has no progress bar).
    #[arg(long)]
    pub quiet: bool,
}

fn read_csv(path: &std::path::Path) -> Result<Vec<String>> {
    let text = crate::files::read_text(path, "--csv", crate::budget::MAX_CSV_BYTES)?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("");
    let header: Vec<&str> = first.split(',').map(str::trim).collect();
    let is_header = crate::scalar::parse_rational(header.last().copied().unwrap_or("")).is_err();
    let column = if is_header {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("lr"))
            .unwrap_or(header.len() - 1)
    } else {
        header.len() - 1
    };
    let rows: Vec<&str> = if is_header {
        lines.collect()
    } else {
        std::iter::once(first).chain(lines).collect()
    };
    rows.iter()
        .enumerate()
        .map(|(i, line)| {
            let cell = line.split(',').nth(column).map(str::trim).unwrap_or("");
            crate::scalar::parse_rational(cell)
                .map(|_| cell.to_string())
                .map_err(|_| {
                    Error::invalid(
                        "--csv",
                        format!("{}: row {}: {cell:?}", path.display(), i + 1),
                        "not a number",
                    )
                })
        })
        .collect()
}

/// Builds the plan from the arguments.
pub fn plan(args: &ScheduleArgs) -> Result<(SchedulePlan, Kind)> {
    let kind = args.kind;
    if args.csv.is_some() && args.schedule != Shape::Csv {
        return Err(Error::invalid(
            "--csv",
            args.csv
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            "is read only with --schedule csv",
        ));
    }
    let base = match args.schedule {
        Shape::Constant => BaseSchedule::Constant,
        Shape::Step => BaseSchedule::Step {
            milestones: args
                .milestones
                .split(',')
                .filter(|m| !m.trim().is_empty())
                .map(|m| {
                    m.trim().parse().map_err(|_| {
                        Error::invalid(
                            "--milestones",
                            &args.milestones,
                            "expected whole epochs, e.g. 80,120",
                        )
                    })
                })
                .collect::<Result<_>>()?,
            factor: args.decay_factor.clone(),
        },
        Shape::Cosine => BaseSchedule::Cosine {
            floor: args.min_lr.clone(),
        },
        Shape::Csv => {
            let path = args.csv.as_ref().ok_or_else(|| {
                Error::invalid("--csv", "(missing)", "--schedule csv needs --csv FILE")
            })?;
            BaseSchedule::List(read_csv(path)?)
        }
    };
    let plan = SchedulePlan {
        lr: args.lr.clone(),
        weight_decay: args.weight_decay.clone(),
        momentum: args.momentum.clone(),
        iters_per_epoch: args.iters_per_epoch,
        epochs: args.epochs,
        base,
        warmup_epochs: args.warmup_epochs,
    };
    plan.validate()?;
    Ok((plan, kind))
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:e}")).unwrap_or_default()
}

fn render(conversion: &Conversion, args: &ScheduleArgs) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let mut text = String::new();
    let every = args.every.unwrap_or(match args.format {
        Format::Table => args.iters_per_epoch.max(1),
        _ => 1,
    });
    if every == 0 {
        return Err(Error::invalid("--every", 0, "must be at least 1").into());
    }
    let rows = conversion
        .rows
        .iter()
        .filter(|r| r.iteration % every == 0 || r.iteration + 1 == conversion.rows.len());
    match args.format {
        Format::Json => {
            let rows: Vec<_> = rows.collect();
            writeln!(
                text,
                "{}",
                serde_json::to_string(
                    &serde_json::json!({"summary": conversion.summary, "rows": rows})
                )?
            )?;
        }
        Format::Csv => {
            writeln!(
                text,
                "iteration,epoch,lr,equivalent_lr,log10_equivalent_lr,z,log10_z,exact_over_texp"
            )?;
            for r in rows {
                writeln!(
                    text,
                    "{},{},{:e},{},{:.12},{},{:.12},{:.12}",
                    r.iteration,
                    r.epoch,
                    r.lr,
                    opt(r.equivalent_lr),
                    r.log10_equivalent_lr,
                    opt(r.z),
                    r.log10_z,
                    r.exact_over_texp
                )?;
            }
        }
        Format::Table => {
            let s = &conversion.summary;
            writeln!(text, "verify schedule: {:?} equivalent without weight decay of lr {}, weight decay {}, momentum {}; {} iterations",
                s.kind, args.lr, args.weight_decay, args.momentum, s.iterations
            )?;
            writeln!(text, "phases of constant lr (growth of the equivalent lr per epoch over the phase's last epoch):")?;
            for p in s.phases.iter().take(12) {
                let growth = p
                    .growth_per_epoch
                    .map_or("-".into(), |g| format!("x{g:.4}"));
                writeln!(
                    text,
                    "  iterations {:>7}..{:<7} lr {:<10} growth/epoch {:<10} exact/texp {:.6}",
                    p.start,
                    p.end,
                    format!("{:e}", p.lr),
                    growth,
                    p.exact_over_texp
                )?;
            }
            if s.phases.len() > 12 {
                writeln!(text, "  ... {} more phases", s.phases.len() - 12)?;
            }
            writeln!(
                text,
                "exact/texp ratio over the run: {:.6} .. {:.6}; final log10 equivalent lr {:.4}",
                s.ratio_min, s.ratio_max, s.final_log10_equivalent_lr
            )?;
            writeln!(
                text,
                "{:>9} {:>6} {:>12} {:>14} {:>10} {:>12}",
                "iteration", "epoch", "lr", "equivalent lr", "log10", "Z_t"
            )?;
            for r in rows {
                let eq = r
                    .equivalent_lr
                    .map_or(format!("1e{:.2}", r.log10_equivalent_lr), |v| {
                        format!("{v:.6e}")
                    });
                let z =
                    r.z.map_or(format!("1e{:.2}", r.log10_z), |v| format!("{v:.6e}"));
                writeln!(
                    text,
                    "{:>9} {:>6} {:>12.4e} {:>14} {:>10.4} {:>12}",
                    r.iteration, r.epoch, r.lr, eq, r.log10_equivalent_lr, z
                )?;
            }
        }
    }
    Ok(text)
}

fn cell(x: Option<f64>) -> String {
    x.map(|v| format!("{v:e}")).unwrap_or_default()
}

/// The Nesterov or AdamW twin, one row per iteration (csv, json) or per --every (table).
fn render_twin(rows: &[TwinRow], args: &ScheduleArgs) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let every = args.every.unwrap_or(match args.format {
        Format::Table => args.iters_per_epoch.max(1),
        _ => 1,
    });
    if every == 0 {
        return Err(Error::invalid("--every", 0, "must be at least 1").into());
    }
    let adamw = args.optimizer == Optimizer::Adamw;
    let shown: Vec<&TwinRow> = rows
        .iter()
        .filter(|r| r.iteration % every == 0 || r.iteration + 1 == rows.len())
        .collect();
    let mut text = String::new();
    let extra = if adamw {
        "beta1,beta2,eps,log10_eps"
    } else {
        "momentum,look_ahead"
    };
    match args.format {
        Format::Json => writeln!(
            text,
            "{}",
            serde_json::to_string(&serde_json::json!({
                "optimizer": if adamw { "adamw" } else { "nesterov" },
                "rows": shown,
            }))?
        )?,
        Format::Csv | Format::Table => {
            if args.format == Format::Table {
                let what = if adamw {
                    "Adam without weight decay: lr equivalent_lr, betas beta1/beta2 on m and v (input weights 1-beta and bias corrections of the original betas), eps_t"
                } else {
                    "Nesterov without weight decay: v <- momentum v + g, theta <- theta - equivalent_lr (g + look_ahead v)"
                };
                writeln!(
                    text,
                    "verify schedule: the exact twin of {} with lr {}, weight decay {}{}; {} iterations\n{what}",
                    if adamw { "AdamW" } else { "Nesterov SGD" },
                    args.lr,
                    args.weight_decay,
                    if adamw {
                        format!(", betas ({}, {}), eps {}", args.adam.beta1, args.adam.beta2, args.adam.eps)
                    } else {
                        format!(", momentum {}", args.momentum)
                    },
                    rows.len()
                )?;
            }
            writeln!(
                text,
                "iteration,epoch,lr,equivalent_lr,log10_equivalent_lr,z,log10_z,{extra}"
            )?;
            for r in shown {
                let tail = if adamw {
                    format!(
                        "{},{},{},{}",
                        cell(r.beta1),
                        cell(r.beta2),
                        cell(r.eps),
                        r.log10_eps.map(|l| format!("{l:.12}")).unwrap_or_default()
                    )
                } else {
                    format!("{},{}", cell(r.momentum), cell(r.look_ahead))
                };
                writeln!(
                    text,
                    "{},{},{:e},{},{:.12},{},{:.12},{tail}",
                    r.iteration,
                    r.epoch,
                    r.lr,
                    cell(r.equivalent_lr),
                    r.log10_equivalent_lr,
                    cell(r.z),
                    r.log10_z
                )?;
            }
        }
    }
    Ok(text)
}

/// Runs `verify schedule`.
pub fn run(args: ScheduleArgs) -> anyhow::Result<Outcome> {
    let (plan, kind) = plan(&args)?;
    if args.optimizer != Optimizer::Sgd {
        let optimizer = match args.optimizer {
            Optimizer::Adamw => TwinOptimizer::AdamW(args.adam.text()),
            _ => TwinOptimizer::Nesterov,
        };
        let rows = twin_rows(&plan, &optimizer)?;
        super::output::text(&render_twin(&rows, &args)?)?;
        return Ok(Outcome::Holds);
    }
    let conversion = convert(&plan, kind)?;
    let other = convert(
        &plan,
        if kind == Kind::Exact {
            Kind::Texp
        } else {
            Kind::Exact
        },
    )?;
    if !args.no_plots {
        let (exact, texp) = if kind == Kind::Exact {
            (&conversion, &other)
        } else {
            (&other, &conversion)
        };
        let path = crate::plot::schedule_figure(exact, texp, plan.iters_per_epoch, &args.out)?;
        if args.format == Format::Table {
            super::output::text(&format!("plot: {}\n", path.display()))?;
        }
    }
    super::output::text(&render(&conversion, &args)?)?;
    Ok(Outcome::Holds)
}
