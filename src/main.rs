//! `verify`: parse, run, map the outcome to an exit code (0 claims hold, 1 a claim failed,
//! 2 the tool could not run).

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(explr::cli::main_with_args(std::env::args_os()))
}
