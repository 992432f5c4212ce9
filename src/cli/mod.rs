//! The command line. The only module that prints.

mod common;
mod theorem;
mod toy;

use std::ffi::OsString;

use clap::{Parser, Subcommand};

pub use common::Outcome;

/// Verify Li & Arora (ICLR 2020): weight decay + normalization + a schedule is an exponentially
/// growing learning rate.
#[derive(Debug, Parser)]
#[command(name = "verify", version, about, long_about = None)]
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
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    print!("{e}");
                    return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        2
                    } else {
                        0
                    };
                }
                _ => {
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or("invalid arguments");
                    eprintln!("verify: {}", first.trim_start_matches("error: "));
                    return 2;
                }
            }
        }
    };
    let result = match cli.command {
        Command::Toy(args) => toy::run(args),
        Command::Theorem(args) => theorem::run(args),
    };
    match result {
        Ok(outcome) => outcome.code(),
        Err(e) => {
            eprintln!("verify: {e:#}");
            2
        }
    }
}
