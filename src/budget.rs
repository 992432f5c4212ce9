//! Budgets: every count, product of counts, operand size and running time a run can reach is
//! bounded, and the bound is checked before the work it guards — so hostile input ends in a
//! one-line error naming the flag, the value and the reason, never in an allocation abort, an
//! overflowing count or a run that does not come back.
//!
//! | what | limit | why |
//! |---|---|---|
//! | steps of one trajectory | [`MAX_STEPS`] | counts stay far from overflow; time is bounded separately |
//! | dimension of `--init` | [`MAX_DIM`] | the toy is a linear classifier; 10⁴ coordinates is already far beyond it |
//! | stored trajectory records | [`MAX_RECORD_BYTES`] | memory: records are kept for verdicts and plots |
//! | worker threads | [`MAX_THREADS`] | each is an OS thread; more than this only thrashes |
//! | schedule iterations | [`MAX_ITERATIONS`] | each is a row in 192-bit arithmetic (~9 µs) |
//! | operand size in exact runs | [`MAX_EXACT_BITS`] | rational sizes grow ~4× a step; the step past it would take ~100 s |
//! | running time | `--time-limit` (default [`DEFAULT_TIME_LIMIT`] s) | the run stops as soon as its projection exceeds it |

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Most steps of one trajectory (toy, theorem).
pub const MAX_STEPS: usize = 10_000_000;
/// Most entries of `--init`.
pub const MAX_DIM: usize = 10_000;
/// Most bytes of per-step records kept in memory by one command (2 GiB).
pub const MAX_RECORD_BYTES: u64 = 2 << 30;
/// Most worker threads.
pub const MAX_THREADS: usize = 256;
/// Most iterations of a converted schedule.
pub const MAX_ITERATIONS: usize = 5_000_000;
/// Largest size, in bits of numerator plus denominator, that a number of an exact run may reach.
/// Measured on the rational toy (default inputs): the largest coordinate has 2, 12, 73, 338,
/// 1,407, 5,700, 22,884, 91,633, 366,643, 1,466,695, 5,866,917 bits after 0..10 steps (×4 a
/// step). With dashu-ratio the four regimes take 0.17 s for 8 steps, 1.3 s for 9 and 9.6 s for
/// 10 (2-core dev box); this budget admits the 10-step run and stops the 11th step (2.3·10⁷ bits,
/// ~100 s) before it starts.
pub const MAX_EXACT_BITS: u64 = 8_000_000;
/// Most `--init` entries of an exact run: each may grow to [`MAX_EXACT_BITS`] (1 MB), so the
/// state, its buffer and gradient stay under ~300 MB.
pub const MAX_EXACT_DIM: usize = 100;

/// Largest exact input (numerator plus denominator bits, about 300 decimal digits): sizes grow
/// ~4x a step from the inputs' size, so this keeps the first steps of an exact run cheap.
pub const MAX_EXACT_INPUT_BITS: u64 = 1024;

/// Checks that the exact value `text` of `flag` is small enough for an exact run.
pub fn exact_input(flag: &str, text: &str) -> Result<()> {
    let value = crate::scalar::parse_rational(text).map_err(|e| e.in_field(flag))?;
    let bits = crate::scalar::Field::size_bits(&value);
    if bits > MAX_EXACT_INPUT_BITS {
        return Err(Error::invalid(
            flag,
            text,
            format!(
                "{bits} bits exactly, over the {MAX_EXACT_INPUT_BITS} an exact run starts from (sizes grow ~4x a step); use --arith mp or f64"
            ),
        ));
    }
    Ok(())
}

/// Checks that the number `text` of `flag` is positive and within [1e-300, 1e300], where a value
/// reported (or trained) in f64 keeps its meaning.
pub fn positive_within_f64(flag: &str, text: &str) -> Result<()> {
    let value = crate::scalar::parse_rational(text).map_err(|e| e.in_field(flag))?;
    if value <= crate::scalar::Rational::ZERO {
        return Err(Error::invalid(flag, text, "must be positive"));
    }
    let log10 = <crate::scalar::Mp as crate::scalar::Field>::from_rational(&value).log10_abs();
    if !(-300.0..=300.0).contains(&log10) {
        return Err(Error::invalid(
            flag,
            text,
            "must be between 1e-300 and 1e300 (values are reported in f64)",
        ));
    }
    Ok(())
}

/// Measured growth of exact sizes per step (see [`MAX_EXACT_BITS`]).
pub const EXACT_GROWTH_PER_STEP: u64 = 4;
/// Largest scenario file read (1 MiB; the checked-in ones are under 1 KiB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;
/// Largest `--csv` file read (256 MiB: the 5,000,000-row budget at ~50 bytes a row).
pub const MAX_CSV_BYTES: u64 = 256 << 20;
/// Default `--time-limit` in seconds.
pub const DEFAULT_TIME_LIMIT: f64 = 3600.0;
/// A projection is trusted only after this much running time (the first steps are noisy).
const PROJECT_AFTER: Duration = Duration::from_millis(1500);

/// `value ≤ max` for the count given as `flag`, else a one-line error saying why.
pub fn at_most(flag: &str, value: u64, max: u64, why: &str) -> Result<()> {
    if value > max {
        return Err(Error::invalid(flag, value, format!("at most {max}: {why}")));
    }
    Ok(())
}

/// The product of counts, each named by its flag; an overflow (or a product over `max`) is an
/// error naming every factor.
pub fn product(factors: &[(&str, u64)], max: u64, why: &str) -> Result<u64> {
    let describe = || {
        factors
            .iter()
            .map(|(f, v)| format!("{f} {v}"))
            .collect::<Vec<_>>()
            .join(" x ")
    };
    let mut acc: u64 = 1;
    for (_, v) in factors {
        acc = acc.checked_mul(*v).ok_or_else(|| {
            Error::invalid(
                factors.first().map_or("count", |f| f.0),
                factors.first().map_or(0, |f| f.1),
                format!("{} overflows a 64-bit count ({why})", describe()),
            )
        })?;
    }
    if acc > max {
        return Err(Error::invalid(
            factors.first().map_or("count", |f| f.0),
            factors.first().map_or(0, |f| f.1),
            format!("{} = {acc} exceeds {max} ({why})", describe()),
        ));
    }
    Ok(acc)
}

/// The worker count from `--threads` (None: the machine's cores), within [1, MAX_THREADS].
pub fn threads(requested: Option<usize>) -> Result<usize> {
    match requested {
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Some(0) => Err(Error::invalid("--threads", 0, "must be at least 1")),
        Some(n) => {
            at_most(
                "--threads",
                n as u64,
                MAX_THREADS as u64,
                "each worker is an OS thread",
            )?;
            Ok(n)
        }
    }
}

/// Reads `--time-limit` (seconds, positive and finite).
pub fn time_limit(seconds: f64) -> Result<Duration> {
    if !(seconds.is_finite() && (0.01..=1e7).contains(&seconds)) {
        return Err(Error::invalid(
            "--time-limit",
            crate::error::float_value(seconds),
            "seconds, from 0.01 to 10000000",
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Who ends the process: nobody yet, the run (reporting its outcome), or the watchdog.
static ENDING: AtomicU8 = AtomicU8::new(RUNNING);
const RUNNING: u8 = 0;
const BY_RUN: u8 = 1;
const BY_WATCHDOG: u8 = 2;

/// Called once the run has its outcome and before anything is reported (again harmlessly): from
/// then on the watchdog stays quiet. If the watchdog fired first it is already ending the
/// process, so this waits for that instead of printing a second line (or half a table).
pub fn finish() {
    if ENDING.compare_exchange(RUNNING, BY_RUN, Ordering::SeqCst, Ordering::SeqCst)
        == Err(BY_WATCHDOG)
    {
        loop {
            std::thread::park();
        }
    }
}

/// The hard stop behind `--time-limit`: a watchdog thread that, once `limit` has passed, removes
/// the temporary files in flight, prints one line and exits with status 2 — so a run whose single
/// step outlasts the budget (a job at 65,536 bits, say) still ends on time. Only the CLI arms it;
/// [`Deadline`] stops well-paced runs earlier, from their projection.
pub fn arm_watchdog(limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        if ENDING
            .compare_exchange(RUNNING, BY_WATCHDOG, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return; // the run finished first: its result (or error) is being reported
        }
        crate::files::remove_in_flight();
        eprintln!(
            "{}",
            crate::error::one_line(&format!(
                "verify: invalid --time-limit: {} (time is up; raise --time-limit or do less)",
                limit.as_secs_f64()
            ))
        );
        std::process::exit(2);
    });
}

/// A running-time budget: [`Deadline::check`] fails when the time is up, or earlier, when the
/// measured pace projects the whole run beyond it.
#[derive(Debug, Clone)]
pub struct Deadline {
    start: Instant,
    limit: Duration,
}

impl Deadline {
    /// Starts the clock.
    pub fn start(limit: Duration) -> Self {
        Deadline {
            start: Instant::now(),
            limit,
        }
    }

    /// After `done` of `total` units of work: Ok while the run fits its budget.
    pub fn check(&self, done: u64, total: u64) -> Result<()> {
        let elapsed = self.start.elapsed();
        let limit = self.limit.as_secs_f64();
        if elapsed > self.limit {
            return Err(Error::invalid(
                "--time-limit",
                limit,
                format!(
                    "time is up after {done} of {total} units of work; raise --time-limit or do less"
                ),
            ));
        }
        if elapsed >= PROJECT_AFTER && done > 0 && done < total {
            let projected = elapsed.as_secs_f64() * total as f64 / done as f64;
            if projected > limit {
                return Err(Error::invalid(
                    "--time-limit",
                    limit,
                    format!(
                        "the run would take about {projected:.0} s ({done} of {total} units in {:.1} s); raise --time-limit or do less",
                        elapsed.as_secs_f64()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_name_every_factor_and_never_overflow() {
        let e = product(
            &[("--epochs", u64::MAX / 2), ("--iters-per-epoch", 3)],
            u64::MAX,
            "rows",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("--epochs") && e.contains("--iters-per-epoch") && e.contains("overflows"),
            "{e}"
        );
        assert_eq!(product(&[("a", 3), ("b", 4)], 12, "x").unwrap(), 12);
        assert!(product(&[("a", 3), ("b", 5)], 12, "x").is_err());
    }

    #[test]
    fn threads_are_bounded_and_positive() {
        assert!(threads(Some(0)).is_err());
        assert!(threads(Some(1_000_000_000_000)).is_err());
        assert_eq!(threads(Some(3)).unwrap(), 3);
        assert!(threads(None).unwrap() >= 1);
    }

    #[test]
    fn a_deadline_projects_and_expires() {
        let d = Deadline::start(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(d.check(1, 10).is_err(), "time is up");
        let generous = Deadline::start(Duration::from_secs(1000));
        assert!(generous.check(1, 10).is_ok(), "too early to project");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert!(time_limit(bad).is_err(), "{bad}");
        }
    }
}
