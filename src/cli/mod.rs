//! The command line. The only module that prints.

mod common;
mod output;
mod plot;
pub mod scenario;
mod schedule;
mod theorem;
mod toy;
mod train;

use std::ffi::OsString;

use clap::{Parser, Subcommand};

pub use common::Outcome;

/// Verify Li & Arora (ICLR 2020): weight decay + normalization + a schedule is an exponentially
/// growing learning rate.
#[derive(Debug, Parser)]
#[command(name = "verify", version, about, long_about = None, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate the paper's toy example: four regimes, verdicts, plots.
    Toy(toy::ToyArgs),
    /// Verify the scale-invariance identities and the equivalence theorems, in exact,
    /// arbitrary-precision and f64 arithmetic.
    Theorem(theorem::TheoremArgs),
    /// Convert a schedule with weight decay into its equivalent without (exact or TEXP).
    Schedule(schedule::ScheduleArgs),
    /// Run a scenario file (scenarios/*.toml); flags given here override the file.
    Run(RunArgs),
    /// Regenerate every figure of the README into --out (default plots/).
    Plot(plot::PlotArgs),
    /// Train real networks with libtorch (cargo feature `tch`).
    Train(train::TrainArgs),
}

/// Arguments of `verify run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file.
    pub file: std::path::PathBuf,
    /// Override the number of steps (toy, theorem).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Override the arithmetic (toy, theorem).
    #[arg(long)]
    pub arith: Option<String>,
    /// Override the precision (toy, theorem).
    #[arg(long)]
    pub precision: Option<String>,
    /// Override the plot directory.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// JSON output (schedule: --format json).
    #[arg(long)]
    pub json: bool,
    /// No plots.
    #[arg(long)]
    pub no_plots: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn clap_error_line(e: &clap::Error) -> String {
    // clap's message is a paragraph (with an indented list of possible values, say), a blank
    // line and a hint; a value in it may hold newlines. Keep the paragraph, joined into one line.
    let text = e.to_string();
    let first = text.split("\n\n").next().unwrap_or("invalid arguments");
    first
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string()
}

/// Runs the CLI on `args` and returns the process exit code.
pub fn main_with_args<I, A>(args: I) -> u8
where
    I: IntoIterator<Item = A>,
    A: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    match output::text(&e.to_string()) {
                        Ok(()) => 0,
                        Err(_) => output::CLOSED_PIPE_STATUS,
                    }
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    match output::text(&e.to_string()) {
                        Ok(()) => 2,
                        Err(_) => output::CLOSED_PIPE_STATUS,
                    }
                }
                _ => {
                    eprintln!(
                        "{}",
                        crate::error::one_line(&format!("verify: {}", clap_error_line(&e)))
                    );
                    2
                }
            };
        }
    };
    crate::files::install_interrupt_handler();
    let outcome = execute(cli.command);
    crate::budget::finish();
    match outcome {
        Ok(outcome) => outcome.code(),
        Err(e) if e.downcast_ref::<output::ClosedPipe>().is_some() => output::CLOSED_PIPE_STATUS,
        Err(e) => {
            eprintln!("{}", crate::error::one_line(&format!("verify: {e:#}")));
            2
        }
    }
}

fn execute(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Toy(args) => toy::run(args),
        Command::Theorem(args) => theorem::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Run(args) => run_scenario(args),
        Command::Plot(args) => plot::run(args),
        Command::Train(args) => train::run(args),
    }
}

/// The argument list a scenario file and the overrides stand for.
fn scenario_argv(
    file: &std::path::Path,
    source: &str,
    overrides: Option<&RunArgs>,
) -> Result<(scenario::Scenario, Cli), crate::error::Error> {
    let name = file.display().to_string();
    let parsed = scenario::Scenario::parse(&name, source)?;
    let mut argv = vec!["verify".to_string()];
    argv.extend(parsed.to_args());
    if let Some(o) = overrides {
        let is_schedule = matches!(
            parsed,
            scenario::Scenario::Schedule(_) | scenario::Scenario::Train(_)
        );
        let mut flag =
            |f: &str, v: Option<String>, applies: bool| -> Result<(), crate::error::Error> {
                if let Some(v) = v {
                    if !applies {
                        return Err(crate::error::Error::invalid(
                            f,
                            v,
                            format!("does not apply to the scenario {name}"),
                        ));
                    }
                    // `--flag=value`, so a value such as `-inf` is never read as a flag.
                    argv.push(format!("{f}={v}"));
                }
                Ok(())
            };
        flag("--steps", o.steps.map(|s| s.to_string()), !is_schedule)?;
        let numeric = matches!(
            parsed,
            scenario::Scenario::Toy(_) | scenario::Scenario::Theorem(_)
        );
        flag("--arith", o.arith.clone(), numeric)?;
        flag("--precision", o.precision.clone(), numeric)?;
        flag(
            "--out",
            o.out.as_ref().map(|p| p.display().to_string()),
            true,
        )?;
        if o.json {
            if matches!(parsed, scenario::Scenario::Schedule(_)) {
                argv.extend(["--format".to_string(), "json".to_string()]);
            } else {
                argv.push("--json".into());
            }
        }
        if o.no_plots {
            argv.push("--no-plots".into());
        }
        if o.quiet {
            argv.push("--quiet".into());
        }
    }
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        // The flag clap rejected (`--loss <LOSS>`) is the file's key `loss`.
        let key = match e.get(clap::error::ContextKind::InvalidArg) {
            Some(clap::error::ContextValue::String(arg)) => arg
                .trim_start_matches("--")
                .split(['=', ' '])
                .next()
                .unwrap_or("")
                .replace('-', "_"),
            _ => String::new(),
        };
        crate::error::Error::Scenario {
            path: name.clone(),
            location: scenario::key_location(source, &key),
            reason: clap_error_line(&e),
        }
    })?;
    Ok((parsed, cli))
}

fn read(path: &std::path::Path) -> Result<String, crate::error::Error> {
    crate::files::read_text(path, "FILE", crate::budget::MAX_SCENARIO_BYTES)
}

fn run_scenario(args: RunArgs) -> anyhow::Result<Outcome> {
    let source = read(&args.file)?;
    let name = args.file.display().to_string();
    let (_, cli) = scenario_argv(&args.file, &source, Some(&args))?;
    // Flags given on the command line are blamed as flags, not as the file's keys.
    let overridden: Vec<&str> = [
        ("--steps", args.steps.is_some()),
        ("--arith", args.arith.is_some()),
        ("--precision", args.precision.is_some()),
        ("--out", args.out.is_some()),
    ]
    .iter()
    .filter(|(_, given)| *given)
    .map(|(flag, _)| *flag)
    .collect();
    execute(cli.command).map_err(|e| match e.downcast::<crate::error::Error>() {
        Ok(error) if error.field().is_some_and(|f| overridden.contains(&f)) => error.into(),
        Ok(error) => scenario::in_file(&name, &source, error).into(),
        Err(other) => other,
    })
}

/// Parses and validates a scenario without running it: Ok(expected outcome) or the one-line
/// error a run would give.
pub fn validate_scenario(
    path: &std::path::Path,
    source: &str,
) -> Result<scenario::Expect, crate::error::Error> {
    let name = path.display().to_string();
    check_scenario(path, source).map_err(|e| scenario::in_file(&name, source, e))
}

fn check_scenario(
    path: &std::path::Path,
    source: &str,
) -> Result<scenario::Expect, crate::error::Error> {
    let (parsed, cli) = scenario_argv(path, source, None)?;
    match &cli.command {
        Command::Toy(a) => toy::validate(a)?,
        Command::Theorem(a) => crate::theorem::suite::check_parameters(&theorem::config(a)?)?,
        Command::Schedule(a) => {
            schedule::plan(a)?;
        }
        Command::Train(a) => {
            train::config(a)?;
        }
        Command::Run(_) | Command::Plot(_) => {}
    }
    Ok(parsed.expect())
}
