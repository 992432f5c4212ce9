//! The plan: which jobs (arithmetic, model, claims, steps) a configuration runs, the precision ladder's rungs included.

use super::jobs::{INTERVAL_IDS, LAW_MODELS};
use super::params::wants;
use super::SuiteConfig;
use crate::scalar::Arith;
use crate::theorem::laws::{ADAMW_STEPS, RELAXATION, RELAXATION_NORM_SQ, SGD_STEPS};
use crate::theorem::models::ModelName;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Subset {
    All,
    Only(&'static [&'static str]),
    Schedule,
    TrainableHead,
    /// The equilibrium laws (f64, long constant-hyper-parameter runs).
    Laws,
}

impl Subset {
    pub(super) fn allows(&self, id: &str) -> bool {
        match self {
            Subset::All => true,
            Subset::Only(ids) => ids.contains(&id),
            Subset::Schedule | Subset::TrainableHead | Subset::Laws => false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Job {
    pub(super) arith: Arith,
    pub(super) model: ModelName,
    pub(super) subset: Subset,
    pub(super) steps: usize,
}

/// The ladder's fixed entries: (model, claims, steps capped at), each climbing every rung.
/// Every rung also runs the claim's injected violation (`-skewed`), which must fail there.
pub(super) const LADDER: [(ModelName, &[&str], usize); 2] = [
    (
        ModelName::Rayleigh,
        &[
            "T2",
            "T2-skewed",
            "T3-step",
            "T3-step-skewed",
            "L6",
            "T3-nesterov",
            "T3-adamw",
        ],
        usize::MAX,
    ),
    // Plain GD on a chaotic net: 80 steps are what its three rungs resolve in the default
    // suite's time (f64 resolves 79).
    (ModelName::MlpGn, &["T1", "T1-skewed"], 80),
];

/// The nets on which T3-step climbs the ladder over the whole run.
const LADDER_NETS: [ModelName; 5] = [
    ModelName::MlpBn,
    ModelName::MlpLn,
    ModelName::MlpGn,
    ModelName::ConvBn,
    ModelName::ConvIn,
];

/// Which rungs an entry climbs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rungs {
    /// Every precision of `--precision`.
    All,
    /// The lowest precision only, above the main f64 job's run of the same claim (the default
    /// for T3-step on the nets: 1000 steps at 256 and 512 bits would triple the suite's time).
    Lowest,
}

/// [`LADDER`] and T3-step (with its injected violation) over the whole run on every net at the
/// lowest rung; or, with `--ladder-steps`, every net's entry capped there and climbing every
/// rung.
fn ladder_entries(cfg: &SuiteConfig) -> Vec<(ModelName, &'static [&'static str], usize, Rungs)> {
    let mut entries: Vec<_> = LADDER
        .iter()
        .map(|&(m, ids, cap)| (m, ids, cap, Rungs::All))
        .collect();
    let net_rungs = match cfg.ladder_steps {
        Some(cap) => {
            for entry in entries.iter_mut().filter(|e| e.0 != ModelName::Rayleigh) {
                entry.2 = cap;
            }
            (cap, Rungs::All)
        }
        None => (usize::MAX, Rungs::Lowest),
    };
    for net in LADDER_NETS {
        entries.push((
            net,
            &["T3-step", "T3-step-skewed"],
            net_rungs.0,
            net_rungs.1,
        ));
    }
    entries
}

pub(super) fn plan(cfg: &SuiteConfig) -> Vec<Job> {
    let mut jobs = Vec::new();
    let explicit = cfg.arithmetics.is_some();
    let main = cfg
        .arithmetics
        .clone()
        .unwrap_or_else(|| vec![Arith::F64, Arith::Rational]);
    for arith in main {
        let steps = if arith == Arith::Rational {
            cfg.exact_steps
        } else {
            cfg.steps
        };
        if let Arith::Interval(_) = arith {
            // Certified trajectory claims only, on the scale-invariant models.
            for &model in cfg.models.iter().filter(|m| m.scale_invariant()) {
                jobs.push(Job {
                    arith,
                    model,
                    subset: Subset::Only(&INTERVAL_IDS),
                    steps,
                });
            }
            continue;
        }
        for &model in &cfg.models {
            if arith == Arith::Rational && !model.rational() {
                continue;
            }
            let subset = if model.scale_invariant() {
                Subset::All
            } else {
                Subset::TrainableHead
            };
            jobs.push(Job {
                arith,
                model,
                subset,
                steps,
            });
        }
        jobs.push(Job {
            arith,
            model: ModelName::Rayleigh,
            subset: Subset::Schedule,
            steps,
        });
        if arith == Arith::F64 {
            let laws = [
                "E1-sgd-angular",
                "E1-sgd-angular-wrong-momentum",
                "E2-adamw-angular",
                "E2-adamw-angular-no-beta",
                RELAXATION,
                RELAXATION_NORM_SQ,
            ];
            if laws.iter().any(|id| wants(cfg, id)) {
                for &model in cfg.models.iter().filter(|m| LAW_MODELS.contains(m)) {
                    jobs.push(Job {
                        arith,
                        model,
                        subset: Subset::Laws,
                        // The longest f64 jobs: start them early.
                        steps: SGD_STEPS + ADAMW_STEPS,
                    });
                }
            }
        }
    }
    if explicit {
        return jobs;
    }
    let mut ladder = Vec::new();
    for (model, ids, cap, rungs) in ladder_entries(cfg) {
        if !cfg.models.contains(&model) {
            continue;
        }
        let steps = cfg.steps.min(cap);
        let bits = match rungs {
            Rungs::All => &cfg.ladder[..],
            Rungs::Lowest => &cfg.ladder[..cfg.ladder.len().min(1)],
        };
        let mut ariths: Vec<Arith> = bits.iter().map(|&b| Arith::Mp(b)).collect();
        if steps != cfg.steps {
            ariths.insert(0, Arith::F64);
        }
        for arith in ariths {
            ladder.push(Job {
                arith,
                model,
                subset: Subset::Only(ids),
                steps,
            });
        }
    }
    jobs.extend(ladder);
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ladder_steps: Option<usize>) -> SuiteConfig {
        SuiteConfig {
            ladder_steps,
            ..SuiteConfig::paper(ModelName::ALL.to_vec(), 1000)
        }
    }

    /// (model, first claim, steps) of the ladder's mp jobs.
    fn rungs(cfg: &SuiteConfig) -> Vec<(ModelName, &'static str, usize)> {
        plan(cfg)
            .into_iter()
            .filter(|j| j.arith == Arith::Mp(128))
            .map(|j| match j.subset {
                Subset::Only(ids) => (j.model, ids[0], j.steps),
                other => panic!("ladder job with {other:?}"),
            })
            .collect()
    }

    /// Without `--ladder-steps` the ladder is [`LADDER`] on all rungs (an f64 rung where an entry
    /// is shorter than the run) and T3-step over the whole run on every net at the lowest rung
    /// only (the main f64 job is its f64 rung); with it, every net's entry is capped there and
    /// climbs every rung, and the Rayleigh entry keeps the whole run.
    #[test]
    fn ladder_steps_cap_every_net_and_add_t3_step_on_each() {
        let nets = [
            ModelName::MlpBn,
            ModelName::MlpLn,
            ModelName::MlpGn,
            ModelName::ConvBn,
            ModelName::ConvIn,
        ];
        let mut want: Vec<_> = [
            (ModelName::Rayleigh, "T2", 1000),
            (ModelName::MlpGn, "T1", 80),
        ]
        .into_iter()
        .chain(nets.iter().map(|&m| (m, "T3-step", 1000)))
        .collect();
        assert_eq!(rungs(&config(None)), want);
        let at = |bits: u32| {
            let mut r: Vec<_> = plan(&config(None))
                .into_iter()
                .filter(|j| j.arith == Arith::Mp(bits) && matches!(j.subset, Subset::Only(_)))
                .map(|j| j.model)
                .collect();
            r.dedup();
            r
        };
        assert_eq!(at(256), [ModelName::Rayleigh, ModelName::MlpGn]);
        let f64_rungs = plan(&config(None))
            .iter()
            .filter(|j| j.arith == Arith::F64 && matches!(j.subset, Subset::Only(_)))
            .count();
        assert_eq!(f64_rungs, 1, "the one capped entry gets an f64 rung");
        want.clear();
        let mut capped = rungs(&config(Some(40)));
        capped.sort_by_key(|r| (r.0.name(), r.1));
        want.extend([
            (ModelName::Rayleigh, "T2", 1000),
            (ModelName::MlpBn, "T3-step", 40),
            (ModelName::MlpGn, "T1", 40),
            (ModelName::MlpLn, "T3-step", 40),
            (ModelName::MlpGn, "T3-step", 40),
            (ModelName::ConvBn, "T3-step", 40),
            (ModelName::ConvIn, "T3-step", 40),
        ]);
        want.sort_by_key(|r| (r.0.name(), r.1));
        assert_eq!(capped, want);
        let all = rungs(&config(Some(usize::MAX)));
        assert!(all.iter().all(|r| r.2 == 1000), "{all:?}");
    }
}
