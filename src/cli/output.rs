//! Standard output that a closed pipe ends quietly.
//!
//! `verify theorem | head -1` closes the pipe while explr is still writing. Every line goes
//! through [`line`], which turns the broken pipe into [`ClosedPipe`]; the CLI then stops without
//! a message and exits with [`CLOSED_PIPE_STATUS`], the status a shell reports for a program
//! ended by SIGPIPE (128 + 13), as `cat` or `grep` would end.

use std::fmt;
use std::io::Write as _;

/// Exit status when standard output was closed by its reader: 128 + SIGPIPE.
pub const CLOSED_PIPE_STATUS: u8 = 141;

/// Standard output was closed by its reader: not an error to report, a reason to stop.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct ClosedPipe;

/// Writes text to standard output; a closed pipe becomes [`ClosedPipe`].
pub fn text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ClosedPipe.into()),
        Err(e) => Err(anyhow::anyhow!("standard output: {e}")),
    }
}

/// Writes one line to standard output; a closed pipe becomes [`ClosedPipe`].
pub fn line(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    text(&format!("{args}\n"))
}

/// `say!("…", args)`: one line on standard output, `?`-propagating a closed pipe.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))?
    };
}
pub(crate) use say;
