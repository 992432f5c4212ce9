//! Every claim the verifier can report, in one table: its id, group, optimizer, what it is
//! expected to do, how strongly it is checked, where docs/MATH.md derives it and which negative
//! controls guard it. `--claim` selects exact ids or the groups below; the README's claim table
//! is this table (`verify theorem --list-claims`, kept equal by a test).

use crate::error::{Error, Result};

/// How strongly a claim is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Checked with equality in exact arithmetic (rationals or Q(√Δ)), and within the rounding
    /// floor in floats, certified in intervals.
    Exact,
    /// An approximation checked against a bound derived from the quantity it bounds.
    ProvedBound,
    /// Floats only (an asymptotic or irrational quantity).
    Float,
    /// A law that holds under a stated premise, with its measured error against an empirical
    /// tolerance.
    Prediction,
}

impl Status {
    /// The table's word.
    pub fn name(self) -> &'static str {
        match self {
            Status::Exact => "exact",
            Status::ProvedBound => "proved bound",
            Status::Float => "float",
            Status::Prediction => "prediction",
        }
    }
}

/// One claim.
#[derive(Debug, Clone, Copy)]
pub struct ClaimSpec {
    /// The stable id.
    pub id: &'static str,
    /// Its group (a `--claim` value that selects the whole group).
    pub group: &'static str,
    /// The optimizer of its runs.
    pub optimizer: &'static str,
    /// True for a negative control (must fail).
    pub control: bool,
    /// How strongly it is checked.
    pub status: Status,
    /// Its derivation in docs/MATH.md.
    pub section: &'static str,
    /// The controls that differ from it in one cause (for a holding claim).
    pub controls: &'static [&'static str],
    /// The claim in a few words.
    pub summary: &'static str,
}

const fn claim(
    id: &'static str,
    group: &'static str,
    optimizer: &'static str,
    status: Status,
    section: &'static str,
    controls: &'static [&'static str],
    summary: &'static str,
) -> ClaimSpec {
    ClaimSpec {
        id,
        group,
        optimizer,
        control: false,
        status,
        section,
        controls,
        summary,
    }
}

const fn control(
    id: &'static str,
    group: &'static str,
    optimizer: &'static str,
    status: Status,
    section: &'static str,
    summary: &'static str,
) -> ClaimSpec {
    ClaimSpec {
        id,
        group,
        optimizer,
        control: true,
        status,
        section,
        controls: &[],
        summary,
    }
}

use Status::{Exact, Float, Prediction, ProvedBound};

/// The registry, in report order.
pub const CLAIMS: &[ClaimSpec] = &[
    claim("L1", "identities", "-", Exact, "§2", &[], "<grad L(theta), theta> = 0"),
    claim("L2", "identities", "-", Exact, "§2", &[], "grad L(c theta) = grad L(theta) / c"),
    claim("L3", "identities", "-", Exact, "§2", &[], "Hessian(c theta) = Hessian(theta) / c^2"),
    claim("L4", "identities", "-", Exact, "§2", &[], "Hessian(theta) theta = -grad L(theta)"),
    claim("L5", "identities", "sgd", Exact, "§2", &[], "norm recurrence ||theta_{t+1}||^2 = (1 - lr wd)^2 ||theta_t||^2 + lr^2 ||g_t||^2 (gamma = 0)"),
    claim("L6", "identities", "sgd", Exact, "§2", &[], "equivalent scaling (c theta, v/c, c^2 lr, wd/c^2)"),
    claim("L7", "identities", "sgd", Exact, "§2", &[], "GD + WD has no fixed point but 0"),
    claim("T1", "t1", "sgd", Exact, "§3.2", &["T1-skewed"], "gamma = 0: lr~_t = lr (1 - lr wd)^(-2t-1)"),
    control("T1-skewed", "t1", "sgd", Exact, "§6", "T1 with the twin's schedule skewed by 1e-8 (f64) / 2^(-bits/2)"),
    claim("T2", "t2", "sgd", Exact, "§3.2", &["T2-skewed", "T2-sutskever-same-momentum"], "constant hyper-parameters: Z_t = alpha^t, lr~_t = lr alpha^(-2t-1), exact initial buffer"),
    control("T2-skewed", "t2", "sgd", Exact, "§6", "T2 with the twin's schedule skewed"),
    claim("T2-smaller-root", "t2", "sgd", Exact, "§3.2", &[], "T2 with the smaller root alpha_2 = gamma / alpha_1"),
    claim("T2-zero-buffer", "t2", "sgd", Float, "§3.2", &[], "T2 with v~_0 = 0: directions converge (rate above the rounding floor)"),
    claim("T2-sutskever", "t2", "sgd (Sutskever)", Exact, "§3.3", &["T2-sutskever-same-momentum"], "Sutskever form: twin momentum gamma / alpha^2, buffer (alpha - 1) theta_0"),
    control("T2-sutskever-same-momentum", "t2", "sgd (Sutskever)", Exact, "§3.3", "T2-sutskever with the momentum left at gamma"),
    claim("T3-constant", "t3", "sgd", Exact, "§3.1", &[], "the WD shadow, constant schedule"),
    claim("T3-step", "t3", "sgd", Exact, "§3.1", &["T3-step-skewed", "T3-off-by-one", "T3-trainable-head"], "the WD shadow, step decay: lr~_t = lr_t / (Z_t Z_{t+1})"),
    control("T3-step-skewed", "t3", "sgd", Exact, "§6", "T3-step with the twin's schedule skewed"),
    claim("T3-cosine", "t3", "sgd", Exact, "§3.1", &[], "the WD shadow, cosine schedule (floats)"),
    claim("T3-random", "t3", "sgd", Exact, "§3.1", &[], "the WD shadow, random per-step lr and wd"),
    control("T3-off-by-one", "t3", "sgd", Exact, "§3.1", "T3-step with the twin's schedule one step late"),
    control("T3-trainable-head", "t3", "sgd", Exact, "§2", "T3-step on a net whose output layer trains (not scale invariant)"),
    claim("T3-nesterov", "nesterov", "nesterov", Exact, "§3.4", &["T3-nesterov-tied"], "Nesterov: twin with separate look-ahead b_t and buffer momentum mu_t"),
    control("T3-nesterov-tied", "nesterov", "nesterov", Exact, "§3.4", "T3-nesterov with the look-ahead tied to the momentum (PyTorch's form)"),
    claim("T3-adamw", "adamw", "adamw", Exact, "§3.5", &["T3-adamw-unshifted-betas", "T3-adamw-constant-eps", "T3-adam-l2"], "AdamW = Adam without WD with betas beta Z_t/Z_{t-1}, eps Z_t, lr_t / Z_{t+1} (exact at beta2 = 0)"),
    control("T3-adamw-unshifted-betas", "adamw", "adamw", Exact, "§3.5", "T3-adamw with the twin's betas unshifted"),
    control("T3-adamw-constant-eps", "adamw", "adamw", Exact, "§3.5", "T3-adamw with the twin's eps constant"),
    control("T3-adam-l2", "adamw", "adam + L2", Exact, "§3.5", "coupled L2 decay against T3-adamw's twin"),
    claim("T4", "t4", "sgd", Float, "§4", &["T4-boundary-slip"], "TEXP's schedule vs the exact twin's, settled per phase"),
    control("T4-boundary-slip", "t4", "sgd", Float, "§4", "TEXP with the boundary factor alpha_I^2 instead of alpha_{I-1} alpha_I"),
    claim("T4-trajectory", "t4", "sgd", ProvedBound, "§4", &[], "TEXP run vs the WD run within the derived first-order bound"),
    claim("E1-sgd-angular", "laws", "sgd", Prediction, "§3.6", &["E1-sgd-angular-wrong-momentum"], "equilibrium: RMS angular update per step -> sqrt(2 lr wd / (1 + gamma)), within 2%"),
    control("E1-sgd-angular-wrong-momentum", "laws", "sgd", Prediction, "§3.6", "the same measurement against sqrt(2 lr wd / (1 - gamma))"),
    claim("E2-adamw-angular", "laws", "adamw", Prediction, "§3.6", &["E2-adamw-angular-no-beta"], "equilibrium: RMS angular update per step -> sqrt(2 lr wd (1 - beta1) / (1 + beta1)), within 15%"),
    control("E2-adamw-angular-no-beta", "laws", "adamw", Prediction, "§3.6", "the same measurement against sqrt(2 lr wd)"),
    claim("E3-sgd-relaxation", "laws", "sgd", Prediction, "§3.6", &["E3-sgd-relaxation-norm-sq"], "from twice its equilibrium norm, ||theta||^4 relaxes with time constant (1 - gamma) / (4 lr wd) steps, within 10%"),
    control("E3-sgd-relaxation-norm-sq", "laws", "sgd", Prediction, "§3.6", "the same measurement against (1 - gamma) / (2 lr wd)"),
];

/// The `--claim` groups besides the registry's own: every claim, the negative controls.
pub const GROUPS: [&str; 10] = [
    "all",
    "controls",
    "identities",
    "t1",
    "t2",
    "t3",
    "t4",
    "nesterov",
    "adamw",
    "laws",
];

/// The spec of an id (None for an id not in the registry).
pub fn spec(id: &str) -> Option<&'static ClaimSpec> {
    CLAIMS.iter().find(|c| c.id == id)
}

/// The ids selected by a comma-separated list of exact ids and groups; unknown entries are an
/// error naming `--claim` and the entry.
pub fn select(text: &str) -> Result<Vec<&'static str>> {
    let mut out: Vec<&'static str> = Vec::new();
    for entry in text.split(',').map(str::trim) {
        let ids: Vec<&'static str> = if let Some(c) = spec(entry) {
            vec![c.id]
        } else if GROUPS.contains(&entry) {
            CLAIMS
                .iter()
                .filter(|c| match entry {
                    "all" => true,
                    "controls" => c.control,
                    group => c.group == group,
                })
                .map(|c| c.id)
                .collect()
        } else {
            return Err(Error::invalid(
                "--claim",
                entry,
                format!(
                    "expected claim ids (see --list-claims) or groups: {}",
                    GROUPS.join(", ")
                ),
            ));
        };
        for id in ids {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// The registry as the README's Markdown table.
pub fn markdown() -> String {
    let mut out = String::from(
        "| id | group | optimizer | kind | checked | derivation | controls | claim |\n|---|---|---|---|---|---|---|---|\n",
    );
    for c in CLAIMS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | docs/MATH.md {} | {} | {} |\n",
            c.id,
            c.group,
            c.optimizer,
            if c.control { "control" } else { "holds" },
            c.status.name(),
            c.section,
            if c.controls.is_empty() {
                "-".to_string()
            } else {
                c.controls
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            c.summary.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact ids select themselves only (no prefix matching: `L1` never selects a future `L10`),
    /// groups select their members, duplicates collapse, unknown entries are refused by name.
    #[test]
    fn selection_is_exact() {
        assert_eq!(select("T2").unwrap(), vec!["T2"]);
        assert_eq!(select("T2, T2").unwrap(), vec!["T2"]);
        assert_eq!(
            select("nesterov").unwrap(),
            vec!["T3-nesterov", "T3-nesterov-tied"]
        );
        assert_eq!(select("all").unwrap().len(), CLAIMS.len());
        assert!(select("controls")
            .unwrap()
            .iter()
            .all(|id| spec(id).is_some_and(|c| c.control)));
        for bad in ["T", "L", "T3", "l1", ""] {
            let e = select(bad).unwrap_err().to_string();
            assert!(e.contains("--claim"), "{e}");
        }
    }

    /// Ids are unique, every control a holding claim names exists and is a control, and every
    /// group is listed in GROUPS.
    #[test]
    fn registry_is_consistent() {
        for (i, c) in CLAIMS.iter().enumerate() {
            assert!(CLAIMS[..i].iter().all(|d| d.id != c.id), "{}", c.id);
            assert!(GROUPS.contains(&c.group), "{}", c.group);
            for k in c.controls {
                assert!(spec(k).is_some_and(|s| s.control), "{} names {k}", c.id);
            }
        }
    }

    /// The README's claim table is the registry's, character for character.
    #[test]
    fn readme_lists_every_claim() {
        let readme = include_str!("../../README.md");
        let table = markdown();
        assert_eq!(table.lines().count(), CLAIMS.len() + 2, "{table}");
        for c in CLAIMS {
            assert!(table.contains(&format!("| `{}` |", c.id)), "{}", c.id);
        }
        assert!(
            readme.contains(&markdown()),
            "README's claim table differs from `verify theorem --list-claims`"
        );
    }
}
