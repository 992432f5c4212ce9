//! Hostile input, as a hostile user would type it: every numeric flag of every subcommand with
//! negative, zero, NaN, infinite, huge, tiny, overflowing and garbage values, and random
//! command lines. Every case must end in exit 0 or 1 (a run) or 2 (a one-line error of at most
//! 200 characters naming the flag), never in a panic, an abort or a hang; and no table may print
//! `inf` or `NaN`.

mod common;

use std::time::{Duration, Instant};

use common::verify;
use proptest::prelude::*;

/// The values tried on every numeric flag.
const HOSTILE: &[&str] = &[
    "-1",
    "0",
    "1",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "1e-320",
    "1e10000",
    "1e-10000",
    "1000000000000",
    "18446744073709551615",
    "99999999999999999999999999",
    "garbage",
    "",
    "1,2",
    "0x10",
    "1/0",
    "1\n2",
    "\u{1b}[31m1",
];

/// Each subcommand with a cheap base command line and its numeric flags. The time limit makes a
/// valid but huge request (10⁷ steps) end in its budget error within seconds.
fn commands() -> Vec<(Vec<&'static str>, Vec<&'static str>)> {
    vec![
        (
            vec![
                "toy",
                "--no-plots",
                "--quiet",
                "--steps",
                "40",
                "--time-limit",
                "20",
            ],
            vec![
                "--samples",
                "--seed",
                "--precision",
                "--lr",
                "--weight-decay",
                "--momentum",
                "--steps",
                "--init",
                "--tolerance",
                "--max-exact-steps",
                "--time-limit",
            ],
        ),
        (
            vec![
                "toy",
                "--no-plots",
                "--quiet",
                "--steps",
                "4",
                "--arith",
                "rational",
                "--loss",
                "normalized-quadratic",
                "--time-limit",
                "20",
            ],
            vec!["--lr", "--weight-decay", "--momentum", "--init", "--steps"],
        ),
        (
            vec![
                "theorem",
                "--no-plots",
                "--quiet",
                "--model",
                "rayleigh",
                "--claim",
                "T1",
                "--steps",
                "40",
                "--exact-steps",
                "3",
                "--time-limit",
                "20",
            ],
            vec![
                "--steps",
                "--exact-steps",
                "--max-exact-steps",
                "--precision",
                "--lr",
                "--weight-decay",
                "--momentum",
                "--seed",
                "--threads",
                "--time-limit",
                "--ladder-steps",
            ],
        ),
        (
            vec![
                "schedule",
                "--no-plots",
                "--epochs",
                "3",
                "--iters-per-epoch",
                "10",
                "--milestones",
                "1,2",
            ],
            vec![
                "--lr",
                "--weight-decay",
                "--momentum",
                "--iters-per-epoch",
                "--epochs",
                "--milestones",
                "--decay-factor",
                "--min-lr",
                "--warmup-epochs",
                "--every",
            ],
        ),
        (
            vec![
                "schedule",
                "--no-plots",
                "--optimizer",
                "adamw",
                "--epochs",
                "3",
                "--iters-per-epoch",
                "10",
            ],
            vec!["--beta1", "--beta2", "--eps", "--lr", "--weight-decay"],
        ),
        (
            vec![
                "run",
                "scenarios/toy_quadratic.toml",
                "--no-plots",
                "--quiet",
            ],
            vec!["--steps", "--precision"],
        ),
        (
            vec!["run", "scenarios/theorem_t1.toml", "--no-plots", "--quiet"],
            vec!["--steps", "--precision"],
        ),
        (
            // A fresh --out: `runs/` may hold an earlier run, which would be refused first.
            vec![
                "train",
                "--epochs",
                "1",
                "--no-plots",
                "--quiet",
                "--out",
                Box::leak(
                    std::env::temp_dir()
                        .join(format!("explr-hostile-{}", std::process::id()))
                        .display()
                        .to_string()
                        .into_boxed_str(),
                ),
            ],
            vec![
                "--threads",
                "--groups",
                "--epochs",
                "--batch-size",
                "--iters-per-epoch",
                "--lr",
                "--weight-decay",
                "--momentum",
                "--milestones",
                "--decay-factor",
                "--seed",
                "--renorm-threshold",
                "--eps",
                "--equivalence-steps",
                "--beta1",
                "--beta2",
                "--adam-eps",
            ],
        ),
    ]
}

/// What one invocation did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    seconds: f64,
}

fn run(args: &[String]) -> Ran {
    let start = Instant::now();
    let out = verify()
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The rules every case obeys; Err says which one broke.
fn judge(args: &[String], ran: &Ran, flag: Option<&str>) -> Result<(), String> {
    let case = format!("{args:?}");
    if ran.stderr.contains("panicked") || ran.stderr.contains("RUST_BACKTRACE") {
        return Err(format!("{case}: panicked: {}", ran.stderr));
    }
    match ran.code {
        Some(0) | Some(1) => {}
        Some(2) => {
            let lines: Vec<&str> = ran.stderr.lines().collect();
            if lines.len() != 1 {
                return Err(format!("{case}: error is not one line: {:?}", ran.stderr));
            }
            let line = lines[0];
            if !line.starts_with("verify: ") {
                return Err(format!("{case}: error without the program name: {line}"));
            }
            if line.chars().count() > 200 {
                return Err(format!("{case}: error longer than 200 characters: {line}"));
            }
            if line.chars().any(|c| c.is_control()) {
                return Err(format!("{case}: raw control character in: {line:?}"));
            }
            // The default build answers every valid `train` with the feature it lacks.
            let no_backend = line.contains("needs the `tch` feature");
            if let Some(flag) = flag.filter(|_| !no_backend) {
                if !line.contains(flag) {
                    return Err(format!("{case}: error does not name {flag}: {line}"));
                }
            }
        }
        other => return Err(format!("{case}: exit {other:?}, stderr {}", ran.stderr)),
    }
    for word in ran.stdout.split(|c: char| c.is_whitespace() || c == ',') {
        if ["inf", "-inf", "NaN", "nan"].contains(&word) {
            return Err(format!("{case}: prints {word}: {}", ran.stdout));
        }
    }
    if ran.seconds > 60.0 {
        return Err(format!("{case}: took {:.0} s", ran.seconds));
    }
    Ok(())
}

#[test]
fn every_numeric_flag_with_every_hostile_value() {
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut codes = [0usize; 3];
    for (base, flags) in commands() {
        for flag in flags {
            for value in HOSTILE {
                let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
                args.push(format!("{flag}={value}"));
                let ran = run(&args);
                cases += 1;
                if ran.seconds > 2.0 {
                    eprintln!("slow: {:.1} s {args:?}", ran.seconds);
                }
                if let Some(c @ 0..=2) = ran.code {
                    codes[c as usize] += 1;
                }
                // A clap error for an empty value may name the flag as `--lr <LR>`; ours name
                // it as `--lr`: both contain the flag.
                if let Err(e) = judge(&args, &ran, (ran.code == Some(2)).then_some(flag)) {
                    failures.push(e);
                }
            }
        }
    }
    eprintln!(
        "hostile flags: {cases} cases, exit 0: {}, exit 1: {}, exit 2: {}",
        codes[0], codes[1], codes[2]
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases broke a rule:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Overflow-prone combinations, each a product of two valid counts.
#[test]
fn overflowing_products_are_refused_by_name() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["schedule", "--no-plots", "--epochs", "6148914691236517206", "--iters-per-epoch", "3"],
            "--iters-per-epoch",
        ),
        (
            &["schedule", "--no-plots", "--warmup-epochs", "4611686018427387905"],
            "--warmup-epochs",
        ),
        (
            &["schedule", "--no-plots", "--milestones", "80,9223372036854775807"],
            "--milestones",
        ),
        (
            &["toy", "--no-plots", "--data", "sample", "--samples", "1000000", "--init", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"],
            "--samples",
        ),
        (&["run", "/dev/zero"], "FILE"),
        // An exact run stops before the step whose numbers would pass 500,000 bits (here at
        // step 3, ~7 s; without the budget step 8 alone would take minutes).
        (
            &[
                "toy",
                "--no-plots",
                "--arith",
                "rational",
                "--loss",
                "normalized-quadratic",
                "--steps",
                "8",
                "--init",
                "1/7777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777,1",
            ],
            "exact numbers have",
        ),
        (
            &["schedule", "--no-plots", "--schedule", "csv", "--csv", "/dev/zero"],
            "--csv",
        ),
        (&["toy", "--no-plots", "--steps", "9999999"], "--steps"),
        (&["theorem", "--no-plots", "--threads", "1000000000000"], "--threads"),
        (&["theorem", "--no-plots", "--threads", "0"], "--threads"),
        (&["schedule", "--no-plots", "--csv", "x.csv"], "--csv"),
    ];
    for (args, flag) in cases {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let ran = run(&args);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        judge(&args, &ran, Some(flag)).unwrap();
    }
}

/// A run that produces NaN/inf reports "diverged", never "converged", and prints no `inf`.
#[test]
fn a_diverging_run_is_a_verdict_not_a_number() {
    // Diverging after one step (f64 and mp), and at step 0: ‖w₀‖² overflows f64, a run whose
    // one record the movement criterion alone would call converged (movement 0).
    for extra in [
        &["--lr", "1e308", "--arith", "f64"][..],
        &["--lr", "1e308", "--arith", "mp", "--precision", "64"][..],
        &["--init", "1e300,1e300"][..],
    ] {
        let mut args: Vec<String> = ["toy", "--no-plots", "--quiet", "--steps", "30", "--json"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let ran = run(&args);
        judge(&args, &ran, None).unwrap();
        assert_eq!(ran.code, Some(1), "{args:?}");
        let json: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
        for r in json["regimes"].as_array().expect("regimes") {
            assert_eq!(r["converged"], false, "{args:?}: {r}");
            assert!(r["diverged_at"].is_u64(), "{args:?}: {r}");
        }
    }
}

/// A scale-invariant model is not defined at w = 0. With lr·wd = 1 and w₀ = (0, 1) (an optimum of
/// w₁²/‖w‖²) the bn+wd run lands exactly on w = 0 after one step: every arithmetic reports it
/// diverged at step 1 — exact rationals and mp used to divide by zero there and panic.
#[test]
fn landing_on_zero_is_a_divergence_in_every_arithmetic() {
    for arith in ["rational", "mp", "f64"] {
        let args: Vec<String> = [
            "toy",
            "--no-plots",
            "--quiet",
            "--json",
            "--loss",
            "normalized-quadratic",
            "--arith",
            arith,
            "--lr",
            "1",
            "--weight-decay",
            "1",
            "--init",
            "0,1",
            "--steps",
            "5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ran = run(&args);
        judge(&args, &ran, None).unwrap();
        assert_eq!(ran.code, Some(1), "{arith}: {}", ran.stderr);
        let json: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
        let bn_wd = &json["regimes"][3];
        assert_eq!(bn_wd["name"], "bn+wd", "{arith}");
        assert_eq!(bn_wd["diverged_at"], 1, "{arith}: {bn_wd}");
    }
}

fn flag_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(HOSTILE.to_vec()).prop_map(str::to_string),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        "[0-9./e-]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random command lines: up to four random flags of one subcommand with random values.
    #[test]
    fn random_command_lines_never_panic(
        which in 0usize..7,
        picks in prop::collection::vec((0usize..16, flag_value()), 1..4),
    ) {
        let commands = commands();
        let (base, flags) = &commands[which];
        let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for (i, value) in &picks {
            args.push(format!("{}={value}", flags[i % flags.len()]));
        }
        let ran = run(&args);
        if let Err(e) = judge(&args, &ran, None) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// A reader that closes the pipe ends every command quietly with 141 (128 + SIGPIPE).
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let theorem = "theorem --no-plots --quiet --model rayleigh --claim T1 --steps 20";
    let lines = [
        "toy --no-plots --quiet --steps 200",
        "toy --no-plots --quiet --steps 200 --json",
        theorem,
        &format!("{theorem} --json"),
        "schedule --no-plots --format csv",
        "run scenarios/toy_quadratic.toml --no-plots --quiet --steps 50",
        "--help",
        "--version",
        "toy --help",
    ];
    let cases: Vec<Vec<&str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    for args in cases {
        // The reading end is closed before the program starts, so its first write fails
        // (deterministically, unlike closing a pipe the program may already have written to).
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("verify"))
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

fn complete_png(bytes: &[u8]) -> bool {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    bytes.starts_with(SIGNATURE)
        && bytes.len() > 20
        && &bytes[bytes.len() - 8..bytes.len() - 4] == b"IEND"
}

/// Ctrl-C while figures are being written: exit 130, no temporary file left, and every figure in
/// the directory (the previous ones included) is a complete PNG.
#[test]
fn an_interrupt_leaves_no_broken_files() {
    let dir = std::env::temp_dir().join(format!("explr-int-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let first = verify()
        .args(["toy", "--quiet", "--steps", "300", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(first.status.code().is_some_and(|c| c <= 1));
    let before = std::fs::read(dir.join("toy.png")).unwrap();
    assert!(complete_png(&before));
    for delay_ms in [300u64, 1500, 4000] {
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("verify"))
            .args(["plot", "--quiet", "--out"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawns");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "after {delay_ms} ms: {err}");
        assert_eq!(err.trim(), "verify: interrupted");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "temporary file left: {name}");
            if name.ends_with(".png") {
                assert!(
                    complete_png(&std::fs::read(&path).unwrap()),
                    "{name} is broken"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A run longer than its time budget ends on time with exit 2, even when one job alone (an
/// arithmetic ladder at 65,536 bits) outlasts it, and the arbitrary-precision logistic toy is
/// refused up front when its measured exp/ln cost projects it past the budget.
#[test]
fn the_time_budget_ends_runs_on_time() {
    let cases: &[&[&str]] = &[
        &[
            "theorem",
            "--no-plots",
            "--quiet",
            "--precision",
            "65536",
            "--time-limit",
            "3",
        ],
        &[
            "toy",
            "--no-plots",
            "--quiet",
            "--arith",
            "mp",
            "--precision",
            "512",
            "--time-limit",
            "3",
        ],
        &[
            "toy",
            "--no-plots",
            "--quiet",
            "--steps",
            "5000000",
            "--time-limit",
            "3",
        ],
    ];
    for args in cases {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let ran = run(&args);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.stderr);
        judge(&args, &ran, None).unwrap();
        assert!(
            ran.stderr.contains("--time-limit") || ran.stderr.contains("--precision"),
            "{}",
            ran.stderr
        );
        assert!(ran.seconds < 30.0, "{args:?} took {:.1} s", ran.seconds);
    }
}

/// Plain SGD (γ = 0) is valid input: the claims that need momentum are listed as skipped and
/// every other claim behaves as expected.
#[test]
fn plain_sgd_runs_the_claims_that_apply() {
    let args: Vec<String> = [
        "theorem",
        "--no-plots",
        "--quiet",
        "--momentum",
        "0",
        "--model",
        "rayleigh",
        "--steps",
        "200",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let ran = run(&args);
    judge(&args, &ran, None).unwrap();
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
    let skipped = json["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 7, "{skipped:?}");
    let ids: Vec<&str> = json["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"T2") && !ids.contains(&"T2-smaller-root"),
        "{ids:?}"
    );
}

/// The two inputs whose plots used to hang: a run that collapses to w = 0 (constant and infinite
/// series) and one that diverges at once; both write a complete figure.
#[test]
fn degenerate_runs_still_plot() {
    let dir = std::env::temp_dir().join(format!("explr-degenerate-{}", std::process::id()));
    for extra in [
        &["--loss", "normalized-quadratic", "--init", "1,0"][..],
        &["--lr", "1e308"][..],
    ] {
        let _ = std::fs::remove_dir_all(&dir);
        let mut args: Vec<String> = ["toy", "--quiet", "--steps", "500", "--out"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(dir.display().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        let ran = run(&args);
        judge(&args, &ran, None).unwrap();
        assert!(ran.seconds < 30.0, "{args:?}: {:.1} s", ran.seconds);
        let png = std::fs::read(dir.join("toy.png")).expect("figure written");
        assert!(complete_png(&png), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// T2's double root (γ = 1/4, λη = 1/4 = (1 − √γ)², decided exactly before any run) is refused
/// with a one-line error naming --lr in every arithmetic: it used to panic in `--arith mp` (TEXP's
/// settled factor divides by α₁ − α₂ = 0, and dashu refuses to add the infinity) and, in
/// `--arith interval`, to stop on an enclosure of Δ that contains 0.
#[test]
fn a_double_root_is_refused_in_every_arithmetic() {
    for arith in ["f64", "mp", "interval", "rational"] {
        let args: Vec<String> = [
            "theorem",
            "--no-plots",
            "--quiet",
            "--arith",
            arith,
            "--lr",
            "0.5",
            "--weight-decay",
            "0.5",
            "--momentum",
            "0.25",
            "--model",
            "rayleigh",
            "--steps",
            "5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ran = run(&args);
        judge(&args, &ran, Some("--lr")).unwrap();
        assert_eq!(ran.code, Some(2), "{arith}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("double root"),
            "{arith}: {}",
            ran.stderr
        );
    }
}
