//! Every scenario file parses, validates and runs with the outcome it declares; malformed files
//! give one-line errors (exit 2), never a panic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use explr::cli::scenario::Expect;
use explr::cli::validate_scenario;
use proptest::prelude::*;

fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
    files.sort();
    files
}

fn verify() -> Command {
    Command::cargo_bin("verify").unwrap()
}

#[test]
fn every_scenario_runs_with_its_declared_outcome() {
    let files = scenario_files();
    assert!(files.len() >= 12, "one file per claim or figure");
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        assert!(
            source.starts_with('#'),
            "{} is documented at its top",
            file.display()
        );
        if source.contains("kind = \"train\"") {
            // Real networks need libtorch (feature tch) and, for CIFAR-10, the data: without them
            // the scenario must stop with one clean line (exit 2).
            // A fresh --out (the command line wins over the file): `runs/` may hold an earlier
            // run, which `verify train` refuses to overwrite.
            let fresh = std::env::temp_dir().join(format!(
                "explr-scenario-{}-{}",
                std::process::id(),
                file.file_stem().unwrap().to_string_lossy()
            ));
            let out = verify()
                .arg("run")
                .arg(&file)
                .args(["--no-plots", "--quiet", "--out"])
                .arg(&fresh)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            if out.status.code() == Some(2) {
                assert_eq!(err.trim_end().lines().count(), 1, "{err}");
                assert!(err.contains("tch") || err.contains("--data"), "{err}");
            } else {
                assert_eq!(out.status.code(), Some(0), "{}: {err}", file.display());
            }
            continue;
        }
        let expect =
            validate_scenario(&file, &source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let out = verify()
            .arg("run")
            .arg(&file)
            .args(["--no-plots", "--quiet"])
            .output()
            .unwrap();
        let code = if expect == Expect::Holds { 0 } else { 1 };
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn run_text(text: &str) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("explr-scn-{}-{}", std::process::id(), text.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.toml");
    std::fs::write(&file, text).unwrap();
    let out = verify()
        .arg("run")
        .arg(&file)
        .arg("--no-plots")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_float_for_an_exact_number_is_rejected_with_advice() {
    let (code, err) = run_text("kind = \"toy\"\nlr = 0.1\n");
    assert_eq!(code, Some(2));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("line 2") && err.contains("lr = 0.1") && err.contains("quote"),
        "{err}"
    );
}

#[test]
fn unknown_keys_and_kinds_are_errors() {
    let (code, err) = run_text("kind = \"toy\"\nlearning_rate = \"0.1\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("learning_rate"), "{err}");
    let (code, err) = run_text("kind = \"resnet\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("resnet"), "{err}");
    let (code, err) = run_text("kind = \"toy\"\nlr = \"-1\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("--lr"), "{err}");
}

#[test]
fn command_line_overrides_the_file() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/toy_population.toml");
    let out = verify()
        .arg("run")
        .arg(&file)
        .args(["--steps", "100", "--json", "--no-plots"])
        .output()
        .unwrap();
    // 100 steps are too few for a kick-out: the claim is reported as failing.
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["steps"], 100);
    let out = verify()
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/schedule_paper.toml"))
        .args(["--steps", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

const TOKENS: &[&str] = &[
    "-1",
    "0",
    "1e999",
    "\"abc\"",
    "0.5",
    "[1, 2]",
    "true",
    "\"\"",
    "99999999999999999999",
    "\"1/0\"",
    "\"nan\"",
    "[\"1\", \"x\"]",
    "\"-0.5\"",
    "{}",
    "3",
    "\"1e-400\"",
];

fn mutate(source: &str, choice: usize, line: usize, token: usize) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    let i = line % lines.len();
    match choice % 6 {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2 => {
            if let Some((key, _)) = lines[i].split_once('=') {
                lines[i] = format!("{key}= {}", TOKENS[token % TOKENS.len()]);
            }
        }
        3 => lines.insert(
            i,
            format!("unknown_{token} = {}", TOKENS[token % TOKENS.len()]),
        ),
        4 => {
            let keep = token % (lines[i].len() + 1);
            lines[i] = lines[i].chars().take(keep).collect();
        }
        _ => lines[i] = lines[i].replace('"', ""),
    }
    lines.join("\n")
}

/// Every key any scenario kind knows, plus one no kind knows.
const KEYS: &[&str] = &[
    "title",
    "expect",
    "loss",
    "data",
    "samples",
    "seed",
    "arith",
    "precision",
    "lr",
    "weight_decay",
    "momentum",
    "steps",
    "init",
    "tolerance",
    "max_exact_steps",
    "exact_steps",
    "convention",
    "model",
    "claim",
    "iters_per_epoch",
    "epochs",
    "schedule",
    "milestones",
    "decay_factor",
    "min_lr",
    "warmup_epochs",
    "csv",
    "conversion",
    "format",
    "every",
    "norm",
    "groups",
    "batch_size",
    "compare",
    "device",
    "no_augment",
    "renorm_threshold",
    "eps",
    "no_such_key",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Scenario files written from scratch (any kind, any keys, hostile values) are valid or
    /// rejected by one line that says where: a line and key, the missing key, or the flag.
    #[test]
    fn generated_scenarios_are_valid_or_located(
        kind in 0usize..5,
        lines in prop::collection::vec((0usize..64, 0usize..64), 0..6),
    ) {
        let kinds = ["\"toy\"", "\"theorem\"", "\"schedule\"", "\"train\"", "\"nope\""];
        let mut text = format!("kind = {}\n", kinds[kind]);
        for (k, v) in lines {
            text.push_str(&format!("{} = {}\n", KEYS[k % KEYS.len()], TOKENS[v % TOKENS.len()]));
        }
        let path = Path::new("generated.toml");
        if let Err(e) = validate_scenario(path, &text) {
            let message = e.to_string();
            prop_assert_eq!(message.lines().count(), 1, "{}", message);
            prop_assert!(
                message.contains(" line ") || message.contains("missing key") || message.contains("invalid --") || message.contains("unsupported --"),
                "{}\n{}", text, message
            );
        }
    }

    /// Mutated scenario files are either valid or rejected with a one-line error; never a panic.
    #[test]
    fn mutated_scenarios_never_panic(file in 0usize..64, edits in prop::collection::vec((0usize..6, 0usize..64, 0usize..64), 1..4)) {
        let files = scenario_files();
        let path = &files[file % files.len()];
        let mut text = std::fs::read_to_string(path).unwrap();
        for (c, l, t) in edits {
            text = mutate(&text, c, l, t);
        }
        if let Err(e) = validate_scenario(path, &text) {
            let message = e.to_string();
            prop_assert!(!message.is_empty());
            prop_assert_eq!(message.lines().count(), 1, "{}", message);
            // Every rejection says where: a line of the file, the missing key, or the flag.
            prop_assert!(
                message.contains(" line ") || message.contains("missing key") || message.contains("invalid --") || message.contains("unsupported --"),
                "{}", message
            );
        }
    }
}

/// Mutated files through the binary (steps capped by the override so nothing runs long): every
/// exit code is 0, 1 or 2 and nothing panics.
#[test]
fn mutated_scenarios_through_the_binary() {
    let files = scenario_files();
    let dir = std::env::temp_dir().join(format!("explr-mut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut seen_error = false;
    for k in 0..24usize {
        let path = &files[k % files.len()];
        let text = mutate(
            &std::fs::read_to_string(path).unwrap(),
            k,
            k * 7 + 3,
            k * 5 + 1,
        );
        let file = dir.join(format!("m{k}.toml"));
        std::fs::write(&file, &text).unwrap();
        let is_schedule = text.contains("kind = \"schedule\"");
        let mut cmd = verify();
        cmd.arg("run").arg(&file).args(["--no-plots", "--quiet"]);
        if !is_schedule {
            cmd.args(["--steps", "3"]);
        }
        let out = cmd
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let code = out.status.code();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(code, Some(0..=2)), "{text}\n{code:?} {err}");
        assert!(!err.contains("panicked"), "{text}\n{err}");
        if code == Some(2) {
            seen_error = true;
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
    assert!(seen_error, "the mutations should break at least one file");
    let _ = std::fs::remove_dir_all(dir);
}
