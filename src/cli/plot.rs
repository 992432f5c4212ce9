//! `verify plot`: regenerates every figure the README shows.

use std::path::PathBuf;

use clap::{Args, Parser};

use super::common::{progress_bar, Outcome};
use super::output::say;
use crate::convert::{convert, Kind, SchedulePlan};
use crate::theorem::figure::norm_growth;
use crate::theorem::models::ModelName;
use crate::theorem::suite::run_suite;

/// Arguments of `verify plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Directory for the PNGs.
    #[arg(long, default_value = "plots")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Parses a subcommand's defaults, so figures use exactly what the commands use.
fn defaults<A: clap::Args>(name: &str) -> anyhow::Result<A> {
    #[derive(Parser)]
    struct Wrapper<A: clap::Args> {
        #[command(flatten)]
        inner: A,
    }
    Ok(Wrapper::<A>::try_parse_from([name])?.inner)
}

/// Runs `verify plot`.
pub fn run(args: PlotArgs) -> anyhow::Result<Outcome> {
    let mut paths = Vec::new();
    let mut holds = true;

    let mut toy: super::toy::ToyArgs = defaults("toy")?;
    toy.quiet = args.quiet;
    let report = super::toy::compute(&toy)?;
    holds &= report.claim_holds;
    paths.push(crate::plot::toy_figure(&report, &args.out)?);

    let mut theorem: super::theorem::TheoremArgs = defaults("theorem")?;
    theorem.model = Some(vec![
        ModelName::Rayleigh,
        ModelName::MlpBn,
        ModelName::MlpGn,
    ]);
    let mut cfg = super::theorem::config(&theorem)?;
    cfg.arithmetics = None;
    cfg.claims = Some(crate::theorem::registry::select("t1,t2,t3,t4")?);
    let bar = progress_bar(1, "figures", args.quiet);
    let suite = run_suite(
        &cfg,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    holds &= suite.all_as_expected;
    let growth = norm_growth::<f64>(
        ModelName::MlpBn,
        cfg.seed,
        super::common::number("--lr", &cfg.lr)?,
        super::common::number("--weight-decay", &cfg.weight_decay)?,
        super::common::number("--momentum", &cfg.momentum)?,
        5 * cfg.steps,
    )?;
    paths.extend(crate::plot::theorem_figures(
        &suite,
        Some(&growth),
        &args.out,
    )?);

    let plan = SchedulePlan::paper();
    let exact = convert(&plan, Kind::Exact)?;
    let texp = convert(&plan, Kind::Texp)?;
    paths.push(crate::plot::schedule_figure(
        &exact,
        &texp,
        plan.iters_per_epoch,
        &args.out,
    )?);

    for p in &paths {
        say!("plot: {}", p.display());
    }
    say!(
        "claims behind the figures: {}",
        if holds {
            "as expected"
        } else {
            "NOT as expected (see verify toy / verify theorem)"
        }
    );
    Ok(Outcome::from_holds(holds))
}
