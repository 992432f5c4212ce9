//! The no-WD twins of Nesterov SGD and AdamW per step (docs/MATH.md §3.4–§3.5), for
//! `verify schedule --optimizer nesterov|adamw`: the hyper-parameters a run without weight decay
//! needs at every iteration to produce the same networks up to the scalar Z_t.

use serde::Serialize;

use super::{SchedulePlan, PRECISION_BITS};
use crate::error::{Error, Result};
use crate::optim::adam::AdamText;
use crate::optim::shadow::{adamw_shadow, nesterov_shadow, nesterov_twin};
use crate::scalar::{with_precision, Field, Mp};

/// One iteration of a twin. Every value is also given as log₁₀, which exists at any size; the
/// plain value is null when it does not fit an f64.
#[derive(Debug, Clone, Serialize)]
pub struct TwinRow {
    /// Iteration t.
    pub iteration: usize,
    /// Epoch.
    pub epoch: usize,
    /// η_t of the WD run.
    pub lr: f64,
    /// The twin's learning rate (Nesterov: a_t; AdamW: η_t / Z_{t+1}).
    pub equivalent_lr: Option<f64>,
    /// log₁₀ of it.
    pub log10_equivalent_lr: f64,
    /// Z_t.
    pub z: Option<f64>,
    /// log₁₀ Z_t.
    pub log10_z: f64,
    /// Nesterov: the buffer momentum μ_t.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum: Option<f64>,
    /// Nesterov: the look-ahead coefficient ν_t = b_t / a_t (θ ← θ − a_t (g + ν_t v)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub look_ahead: Option<f64>,
    /// AdamW: the twin's β₁ at step t.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta1: Option<f64>,
    /// AdamW: the twin's β₂ at step t.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta2: Option<f64>,
    /// AdamW: the twin's ε_t = ε Z_t (null below f64's range; see log10_eps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eps: Option<f64>,
    /// AdamW: log₁₀ ε_t (null for ε = 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log10_eps: Option<f64>,
}

/// Which twin.
#[derive(Debug, Clone)]
pub enum TwinOptimizer {
    /// PyTorch Nesterov SGD with the plan's momentum.
    Nesterov,
    /// AdamW with these (β₁, β₂, ε) as text.
    AdamW(AdamText),
}

fn plain(x: &Mp) -> Option<f64> {
    let v = x.to_f64();
    (v.is_finite() && (v != 0.0 || x.log10_abs() == f64::NEG_INFINITY)).then_some(v)
}

/// The twin's hyper-parameters for every iteration of `plan` (constant weight decay).
pub fn twin_rows(plan: &SchedulePlan, optimizer: &TwinOptimizer) -> Result<Vec<TwinRow>> {
    with_precision(PRECISION_BITS, || {
        let lr: Vec<Mp> = plan.lr_values()?;
        let wd = vec![Mp::parse(&plan.weight_decay)?; lr.len()];
        let ipe = plan.iters_per_epoch.max(1);
        let row = |t: usize, eq: &Mp, z: &Mp| TwinRow {
            iteration: t,
            epoch: t / ipe,
            lr: lr[t].to_f64(),
            equivalent_lr: plain(eq),
            log10_equivalent_lr: eq.log10_abs(),
            z: plain(z),
            log10_z: z.log10_abs(),
            momentum: None,
            look_ahead: None,
            beta1: None,
            beta2: None,
            eps: None,
            log10_eps: None,
        };
        match optimizer {
            TwinOptimizer::Nesterov => {
                let momentum = Mp::parse(&plan.momentum)?;
                if momentum <= Mp::from_int(0) {
                    return Err(Error::invalid(
                        "--momentum",
                        &plan.momentum,
                        "Nesterov needs momentum > 0 (at 0 it is plain SGD: use --optimizer sgd)",
                    ));
                }
                let z = nesterov_shadow(&lr, &wd, &momentum);
                let (a, b, mu) = nesterov_twin(&lr, &wd, &momentum, &z)?;
                Ok((0..lr.len())
                    .map(|t| TwinRow {
                        momentum: Some(mu[t].to_f64()),
                        look_ahead: Some((b[t].clone() / a[t].clone()).to_f64()),
                        ..row(t, &a[t], &z[t])
                    })
                    .collect())
            }
            TwinOptimizer::AdamW(AdamText { beta1, beta2, eps }) => {
                let read = |flag: &str, text: &str| Mp::parse(text).map_err(|e| e.in_field(flag));
                let (b1, b2, e) = (
                    read("--beta1", beta1)?,
                    read("--beta2", beta2)?,
                    read("--eps", eps)?,
                );
                crate::optim::adam::check_hyperparameters(&b1, &b2, &e)?;
                let z = adamw_shadow(&lr, &wd).map_err(|_| {
                    Error::invalid(
                        "--lr and --weight-decay",
                        format!("{} and {}", plan.lr, plan.weight_decay),
                        "AdamW's factor 1 - lr*wd must stay positive",
                    )
                })?;
                Ok((0..lr.len())
                    .map(|t| {
                        let r = if t == 0 {
                            Mp::from_int(1)
                        } else {
                            z[t].clone() / z[t - 1].clone()
                        };
                        let eps_t = e.clone() * z[t].clone();
                        let (s1, s2) = (b1.clone() * r.clone(), b2.clone() * r.clone() * r);
                        let lr_t = lr[t].clone() / z[t + 1].clone();
                        TwinRow {
                            beta1: Some(s1.to_f64()),
                            beta2: Some(s2.to_f64()),
                            eps: plain(&eps_t),
                            // None for ε = 0 (its log₁₀ is −∞, never printed).
                            log10_eps: Some(eps_t.log10_abs()).filter(|l| l.is_finite()),
                            ..row(t, &lr_t, &z[t])
                        }
                    })
                    .collect())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::BaseSchedule;

    fn plan(lr: &str, wd: &str) -> SchedulePlan {
        SchedulePlan {
            lr: lr.into(),
            weight_decay: wd.into(),
            momentum: "0.9".into(),
            iters_per_epoch: 10,
            epochs: 4,
            base: BaseSchedule::Step {
                milestones: vec![2],
                factor: "10".into(),
            },
            warmup_epochs: 0,
        }
    }

    /// AdamW: Z_t = (1 − ηλ)ᵗ in the first phase (hand value (1 − 1e-3)^5 at t = 5), the twin's
    /// β₁ = 0.9(1 − ηλ) after step 0 and 0.9 at step 0, ε_t = εZ_t, η̃_0 = η/(1 − ηλ).
    /// Nesterov with constant hyper-parameters settles to μ = γ(1 − ηλ) and ν = μ/α² ≠ μ
    /// (docs/MATH.md §3.4): the look-ahead exceeds the momentum.
    #[test]
    fn twins_match_hand_values() {
        let adam = TwinOptimizer::AdamW(AdamText::default());
        let rows = twin_rows(&plan("0.01", "0.1"), &adam).unwrap();
        assert_eq!(rows.len(), 40);
        let keep = 1.0 - 1e-3;
        assert!((rows[5].z.unwrap() - keep.powi(5)).abs() < 1e-15);
        assert!((rows[3].beta1.unwrap() - 0.9 * keep).abs() < 1e-15);
        assert!((rows[0].beta1.unwrap() - 0.9).abs() < 1e-15);
        assert!((rows[3].beta2.unwrap() - 0.999 * keep * keep).abs() < 1e-15);
        assert!((rows[5].eps.unwrap() - 1e-8 * keep.powi(5)).abs() < 1e-22);
        assert!((rows[0].equivalent_lr.unwrap() - 0.01 / keep).abs() < 1e-15);
        // Constant, 400 iterations: the smaller root's share (~0.9ᵗ) has died out.
        let constant = SchedulePlan {
            epochs: 40,
            base: BaseSchedule::Constant,
            ..plan("0.1", "5e-4")
        };
        let nesterov = twin_rows(&constant, &TwinOptimizer::Nesterov).unwrap();
        let last = nesterov.last().unwrap();
        let (mu, nu) = (last.momentum.unwrap(), last.look_ahead.unwrap());
        let keep = 1.0f64 - 0.1 * 5e-4;
        let (s, p) = (1.9 * keep, 0.9 * keep);
        let alpha = (s + (s * s - 4.0 * p).sqrt()) / 2.0;
        assert!((mu - 0.9 * keep).abs() < 1e-12, "{mu}");
        assert!(
            (nu / mu - 1.0 / (alpha * alpha)).abs() < 1e-12,
            "{nu} vs {mu}"
        );
        assert!(nu > mu * (1.0 + 1e-5));
        let zero = SchedulePlan {
            momentum: "0".into(),
            ..plan("0.1", "5e-4")
        };
        assert!(twin_rows(&zero, &TwinOptimizer::Nesterov).is_err());
    }
}
