//! Scenario files: `scenarios/*.toml`, one per claim or figure, run by `verify run FILE`.
//!
//! A file names its `kind` (toy, theorem, schedule, train) and sets that command's options under their
//! flag names with `_` for `-` (`weight_decay = "5e-4"`); a schedule's `--kind` (exact or texp)
//! is the key `conversion`, since `kind` names the scenario's command. Numbers that must stay exact are written
//! as strings or integers ("0.1", "1/10", 3); a TOML float there is rejected with a message to
//! quote it, since 0.1 as a float is already not 1/10. Unknown keys are errors. The file becomes
//! an argument list for the same parser as the command line, so every check is shared, and
//! command-line overrides (`--steps`, `--arith`, `--out`, …) come after it and win.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::error::Error;

/// A number written as text or an integer; floats are refused.
#[derive(Debug, Clone)]
pub struct Exact(pub String);

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Exact;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number written as a string (\"0.1\", \"1/10\") or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Exact, E> {
                Ok(Exact(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Exact, E> {
                Ok(Exact(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Exact, E> {
                Ok(Exact(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Exact, E> {
                Err(E::custom(format!(
                    "the float {v} cannot stay exact; quote it, e.g. \"{v}\""
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// What a scenario may be expected to conclude (documents the file; the scenario test checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Exit 0.
    Holds,
    /// Exit 1 (a claim fails, e.g. a negative control scenario).
    Fails,
}

macro_rules! spec {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        /// A scenario's options (see the command's --help).
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// A short title.
            pub title: Option<String>,
            /// Expected outcome.
            pub expect: Option<Expect>,
            /// The scenario's kind (read first, to pick this spec).
            pub kind: Option<String>,
            $(
                #[allow(missing_docs)]
                pub $field: Option<$ty>,
            )*
        }
    };
}

spec!(ToySpec {
    loss: String, data: String, samples: u64, seed: u64, arith: String, precision: u64,
    lr: Exact, weight_decay: Exact, momentum: Exact, steps: u64, init: Vec<Exact>,
    tolerance: f64, max_exact_steps: u64,
});

spec!(TheoremSpec {
    steps: u64, exact_steps: u64, max_exact_steps: u64, arith: String, precision: Vec<u64>, convention: String,
    model: Vec<String>, claim: String, lr: Exact, weight_decay: Exact, momentum: Exact, seed: u64,
});

spec!(ScheduleSpec {
    lr: Exact, weight_decay: Exact, momentum: Exact, iters_per_epoch: u64, epochs: u64,
    schedule: String, milestones: Vec<u64>, decay_factor: Exact, min_lr: Exact,
    warmup_epochs: u64, csv: String, conversion: String, format: String, every: u64,
    optimizer: String, beta1: Exact, beta2: Exact, eps: Exact,
});

spec!(TrainSpec {
    model: String, norm: String, groups: u64, data: String, epochs: u64, batch_size: u64,
    iters_per_epoch: u64, lr: Exact, weight_decay: Exact, momentum: Exact, milestones: Vec<u64>,
    decay_factor: Exact, compare: Vec<String>, device: String, seed: u64, no_augment: bool,
    renorm_threshold: f64, eps: f64, optimizer: String, beta1: Exact, beta2: Exact,
    adam_eps: Exact,
});

/// A parsed scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Scenario {
    /// `verify toy`.
    Toy(ToySpec),
    /// `verify theorem`.
    Theorem(TheoremSpec),
    /// `verify schedule`.
    Schedule(ScheduleSpec),
    /// `verify train` (needs the `tch` feature).
    Train(TrainSpec),
}

fn push(args: &mut Vec<String>, flag: &str, value: Option<String>) {
    if let Some(v) = value {
        // `--flag=value`, so a value such as "-inf" is never read as a flag.
        args.push(format!("--{flag}={v}"));
    }
}

fn join<T: ToString>(v: &Option<Vec<T>>) -> Option<String> {
    v.as_ref().map(|v| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn text(v: &Option<Exact>) -> Option<String> {
    v.as_ref().map(|e| e.0.clone())
}

fn num<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|x| x.to_string())
}

impl Scenario {
    /// Reads a scenario; errors are one line naming the file, the line and the key. The file is
    /// read twice: as a TOML table for its `kind`, then straight into that kind's spec, so every
    /// error keeps its position (serde's tagged enums lose spans).
    pub fn parse(path: &str, source: &str) -> Result<Self, Error> {
        let fail = |e: toml::de::Error| locate(path, source, &e);
        let table: toml::Table = toml::from_str(source).map_err(fail)?;
        let kind = match table.get("kind") {
            Some(toml::Value::String(k)) => k.clone(),
            Some(_) => {
                return Err(Error::Scenario {
                    path: path.to_string(),
                    location: key_location(source, "kind"),
                    reason: "`kind` must be a string: toy, theorem, schedule or train".into(),
                })
            }
            None => {
                return Err(Error::Scenario {
                    path: path.to_string(),
                    location: String::new(),
                    reason: "missing key `kind` (toy, theorem, schedule or train)".into(),
                })
            }
        };
        match kind.as_str() {
            "toy" => toml::from_str(source).map(Scenario::Toy),
            "theorem" => toml::from_str(source).map(Scenario::Theorem),
            "schedule" => toml::from_str(source).map(Scenario::Schedule),
            "train" => toml::from_str(source).map(Scenario::Train),
            other => {
                return Err(Error::Scenario {
                    path: path.to_string(),
                    location: key_location(source, "kind"),
                    reason: format!(
                        "unknown kind \"{}\" (expected toy, theorem, schedule or train)",
                        crate::error::shorten(other)
                    ),
                })
            }
        }
        .map_err(fail)
    }

    /// What the file expects.
    pub fn expect(&self) -> Expect {
        let e = match self {
            Scenario::Toy(s) => s.expect,
            Scenario::Theorem(s) => s.expect,
            Scenario::Schedule(s) => s.expect,
            Scenario::Train(s) => s.expect,
        };
        e.unwrap_or(Expect::Holds)
    }

    /// The equivalent command line (without the program name).
    pub fn to_args(&self) -> Vec<String> {
        let mut a = Vec::new();
        match self {
            Scenario::Toy(s) => {
                a.push("toy".into());
                push(&mut a, "loss", s.loss.clone());
                push(&mut a, "data", s.data.clone());
                push(&mut a, "samples", num(&s.samples));
                push(&mut a, "seed", num(&s.seed));
                push(&mut a, "arith", s.arith.clone());
                push(&mut a, "precision", num(&s.precision));
                push(&mut a, "lr", text(&s.lr));
                push(&mut a, "weight-decay", text(&s.weight_decay));
                push(&mut a, "momentum", text(&s.momentum));
                push(&mut a, "steps", num(&s.steps));
                push(
                    &mut a,
                    "init",
                    s.init
                        .as_ref()
                        .map(|v| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>().join(",")),
                );
                push(&mut a, "tolerance", num(&s.tolerance));
                push(&mut a, "max-exact-steps", num(&s.max_exact_steps));
            }
            Scenario::Theorem(s) => {
                a.push("theorem".into());
                push(&mut a, "steps", num(&s.steps));
                push(&mut a, "exact-steps", num(&s.exact_steps));
                push(&mut a, "max-exact-steps", num(&s.max_exact_steps));
                push(&mut a, "arith", s.arith.clone());
                push(&mut a, "precision", join(&s.precision));
                push(&mut a, "convention", s.convention.clone());
                push(&mut a, "model", join(&s.model));
                push(&mut a, "claim", s.claim.clone());
                push(&mut a, "lr", text(&s.lr));
                push(&mut a, "weight-decay", text(&s.weight_decay));
                push(&mut a, "momentum", text(&s.momentum));
                push(&mut a, "seed", num(&s.seed));
            }
            Scenario::Schedule(s) => {
                a.push("schedule".into());
                push(&mut a, "lr", text(&s.lr));
                push(&mut a, "weight-decay", text(&s.weight_decay));
                push(&mut a, "momentum", text(&s.momentum));
                push(&mut a, "iters-per-epoch", num(&s.iters_per_epoch));
                push(&mut a, "epochs", num(&s.epochs));
                push(&mut a, "schedule", s.schedule.clone());
                push(&mut a, "milestones", join(&s.milestones));
                push(&mut a, "decay-factor", text(&s.decay_factor));
                push(&mut a, "min-lr", text(&s.min_lr));
                push(&mut a, "warmup-epochs", num(&s.warmup_epochs));
                push(&mut a, "csv", s.csv.clone());
                push(&mut a, "kind", s.conversion.clone());
                push(&mut a, "format", s.format.clone());
                push(&mut a, "every", num(&s.every));
                push(&mut a, "optimizer", s.optimizer.clone());
                push(&mut a, "beta1", text(&s.beta1));
                push(&mut a, "beta2", text(&s.beta2));
                push(&mut a, "eps", text(&s.eps));
            }
            Scenario::Train(s) => {
                a.push("train".into());
                push(&mut a, "model", s.model.clone());
                push(&mut a, "norm", s.norm.clone());
                push(&mut a, "groups", num(&s.groups));
                push(&mut a, "data", s.data.clone());
                push(&mut a, "epochs", num(&s.epochs));
                push(&mut a, "batch-size", num(&s.batch_size));
                push(&mut a, "iters-per-epoch", num(&s.iters_per_epoch));
                push(&mut a, "lr", text(&s.lr));
                push(&mut a, "weight-decay", text(&s.weight_decay));
                push(&mut a, "momentum", text(&s.momentum));
                push(&mut a, "milestones", join(&s.milestones));
                push(&mut a, "decay-factor", text(&s.decay_factor));
                push(&mut a, "compare", join(&s.compare));
                push(&mut a, "device", s.device.clone());
                push(&mut a, "seed", num(&s.seed));
                push(&mut a, "renorm-threshold", num(&s.renorm_threshold));
                push(&mut a, "eps", num(&s.eps));
                push(&mut a, "optimizer", s.optimizer.clone());
                push(&mut a, "beta1", text(&s.beta1));
                push(&mut a, "beta2", text(&s.beta2));
                push(&mut a, "adam-eps", text(&s.adam_eps));
                if s.no_augment == Some(true) {
                    a.push("--no-augment".into());
                }
            }
        }
        a
    }
}

/// ` line N (`text`)` for the first line that sets `key`, or nothing.
pub fn key_location(source: &str, key: &str) -> String {
    source
        .lines()
        .position(|l| {
            l.split_once('=')
                .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
        })
        .map(|i| line_location(source, i + 1))
        .unwrap_or_default()
}

/// ` line N (`text`)`, the text shortened (a position past the end names the last line).
fn line_location(source: &str, line: usize) -> String {
    let line = line.clamp(1, source.lines().count().max(1));
    source
        .lines()
        .nth(line - 1)
        .map(|t| format!(" line {line} (`{}`)", crate::error::shorten(t.trim())))
        .unwrap_or_default()
}

/// A TOML or type error as one line: file, line, key (from the line's text) and reason.
fn locate(path: &str, source: &str, e: &toml::de::Error) -> Error {
    let location = e
        .span()
        .map(|s| {
            let start = s.start.min(source.len());
            // A span may start at a line break; count the lines before its first character.
            let line = source[..start].matches('\n').count() + 1;
            line_location(source, line)
        })
        .unwrap_or_default();
    Error::Scenario {
        path: path.to_string(),
        location,
        reason: e.message().replace('\n', " "),
    }
}

/// An error raised for a flag while running a scenario, told in the file's terms: the key that
/// set the flag and its line (`--weight-decay` → `weight_decay`). Flags the file does not set
/// (defaults, command-line overrides) keep the flag's name.
pub fn in_file(path: &str, source: &str, error: Error) -> Error {
    let Some(flag) = error.field().and_then(|f| f.strip_prefix("--")) else {
        return error;
    };
    let key = flag
        .split_whitespace()
        .next()
        .unwrap_or(flag)
        .replace('-', "_");
    let key = if key == "kind" {
        "conversion".to_string()
    } else {
        key
    };
    let location = key_location(source, &key);
    if location.is_empty() {
        return error;
    }
    Error::Scenario {
        path: path.to_string(),
        location,
        reason: format!("key `{key}`: {error}"),
    }
}
