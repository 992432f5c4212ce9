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

/// The ladder: (model, claims, steps capped at).
/// Every rung also runs the claim's injected violation (`-skewed`), which must fail there.
pub(super) const LADDER: [(ModelName, &[&str], usize); 3] = [
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
    (ModelName::MlpBn, &["T3-step", "T3-step-skewed"], 50),
    (ModelName::MlpGn, &["T1", "T1-skewed"], 80),
];

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
    for (model, ids, cap) in LADDER {
        if !cfg.models.contains(&model) {
            continue;
        }
        let steps = cfg.steps.min(cap);
        let mut ariths: Vec<Arith> = cfg.ladder.iter().map(|&b| Arith::Mp(b)).collect();
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
