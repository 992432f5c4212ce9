//! The WD-shadow equivalence for Nesterov momentum and for AdamW (docs/MATH.md §3.4–§3.5): the
//! twins' constructions and the negative controls that differ from each holding claim in one
//! cause. The runs and verdicts are [`super::equivalence::check`]'s.

use super::claim::{ClaimResult, Expected};
use super::equivalence::{check, Claim, EquivalenceSetup, Rule};
use crate::error::Result;
use crate::optim::adam::Decay;
use crate::optim::shadow::{adamw_shadow, nesterov_shadow, nesterov_twin, Scaled};
use crate::scalar::Field;

/// T3-nesterov: the WD run is PyTorch's Nesterov SGD; the twin (no WD) takes generalized steps
/// with the coefficients of [`nesterov_twin`]. `tied`: the negative control whose twin ties the
/// look-ahead to the buffer momentum as PyTorch's form does (b_t = a_t μ_t), all else equal.
pub fn t3_nesterov<T: Field>(
    setup: &EquivalenceSetup<'_, T>,
    lr: Vec<T>,
    wd: Vec<T>,
    tied: bool,
) -> Result<ClaimResult> {
    let z = nesterov_shadow(&lr, &wd, &setup.momentum);
    let (a, mut b, mu) = nesterov_twin(&lr, &wd, &setup.momentum, &z)?;
    if tied {
        b = a
            .iter()
            .zip(&mu)
            .map(|(a, m)| a.clone() * m.clone())
            .collect();
    }
    let (id, statement, expected) = if tied {
        (
            "T3-nesterov-tied",
            "negative control: T3-nesterov with the twin's look-ahead tied to its buffer momentum (b_t = a_t mu_t, PyTorch's form); must fail",
            Expected::Fail,
        )
    } else {
        (
            "T3-nesterov",
            "Nesterov (PyTorch): theta_t = Z_t theta~_t, Z_t the Nesterov WD shadow; twin v~ <- mu_t v~ + g, theta~ <- theta~ - (a_t g + b_t v~), v~_0 = 0",
            Expected::Hold,
        )
    };
    let detail = format!(
        "Z_T = {:.6e}; mu_1 = {:.6}, look-ahead b_1/a_1 = {:.6} (PyTorch's form would need them equal)",
        z.last().map(Field::to_f64).unwrap_or(1.0),
        mu.get(1).map_or(f64::NAN, Field::to_f64),
        b.get(1)
            .zip(a.get(1))
            .map_or(f64::NAN, |(b, a)| (b.clone() / a.clone()).to_f64()),
    );
    let mut claim = Claim::build(id, statement, expected);
    claim.lr = lr;
    claim.weight_decay = wd;
    claim.lr_tilde = a.into_iter().map(Scaled::new).collect();
    claim.z = z.into_iter().map(Scaled::new).collect();
    claim.detail = Some(detail);
    claim.rule = Rule::Nesterov {
        look_ahead: b.into_iter().map(Scaled::new).collect(),
        momenta: mu,
    };
    check(setup, claim)
}

/// Adam's hyper-parameters besides the schedule.
#[derive(Debug, Clone)]
pub struct AdamHyper<T> {
    /// β₁.
    pub beta1: T,
    /// β₂.
    pub beta2: T,
    /// ε.
    pub eps: T,
}

/// Which AdamW claim: the holding one or a control that changes one cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdamVariant {
    /// T3-adamw.
    Holds,
    /// The twin keeps the original betas.
    UnshiftedBetas,
    /// The twin keeps the original ε.
    ConstantEps,
    /// The WD run is Adam with coupled L2 decay; the twin is unchanged.
    CoupledL2,
}

impl AdamVariant {
    /// Every variant.
    pub const ALL: [AdamVariant; 4] = [
        AdamVariant::Holds,
        AdamVariant::UnshiftedBetas,
        AdamVariant::ConstantEps,
        AdamVariant::CoupledL2,
    ];

    /// The claim id.
    pub fn id(self) -> &'static str {
        match self {
            AdamVariant::Holds => "T3-adamw",
            AdamVariant::UnshiftedBetas => "T3-adamw-unshifted-betas",
            AdamVariant::ConstantEps => "T3-adamw-constant-eps",
            AdamVariant::CoupledL2 => "T3-adam-l2",
        }
    }
}

/// T3-adamw (docs/MATH.md §3.5): AdamW(η_t, λ_t, β₁, β₂, ε) from θ₀ equals Adam without WD with
/// per-step decays β₁Z_t/Z_{t−1}, β₂(Z_t/Z_{t−1})², ε_t = εZ_t and η̃_t = η_t/Z_{t+1} (input
/// weights and bias corrections of the original betas), θ_t = Z_t θ̃_t; or one of its controls.
pub fn t3_adamw<T: Field>(
    setup: &EquivalenceSetup<'_, T>,
    lr: Vec<T>,
    wd: Vec<T>,
    hyper: &AdamHyper<T>,
    variant: AdamVariant,
) -> Result<ClaimResult> {
    crate::optim::adam::check_hyperparameters(&hyper.beta1, &hyper.beta2, &hyper.eps)?;
    let z = adamw_shadow(&lr, &wd)?;
    let steps = lr.len();
    let twin_decays: Vec<(T, T)> = (0..steps)
        .map(|t| {
            if t == 0 || variant == AdamVariant::UnshiftedBetas {
                // m₀ = v₀ = 0: step 0's decay multiplies nothing.
                (hyper.beta1.clone(), hyper.beta2.clone())
            } else {
                let r = z[t].clone() / z[t - 1].clone();
                (
                    hyper.beta1.clone() * r.clone(),
                    hyper.beta2.clone() * r.clone() * r,
                )
            }
        })
        .collect();
    let twin_eps: Vec<T> = (0..steps)
        .map(|t| {
            if variant == AdamVariant::ConstantEps {
                hyper.eps.clone()
            } else {
                hyper.eps.clone() * z[t].clone()
            }
        })
        .collect();
    let lr_tilde: Vec<Scaled<T>> = (0..steps)
        .map(|t| Scaled::new(lr[t].clone() / z[t + 1].clone()))
        .collect();
    let (statement, expected) = match variant {
        AdamVariant::Holds => (
            "AdamW: theta_t = Z_t theta~_t, Z_t = prod(1 - lr_s wd_s); twin Adam without WD with betas beta1 Z_t/Z_{t-1}, beta2 (Z_t/Z_{t-1})^2, eps Z_t, lr_t/Z_{t+1}",
            Expected::Hold,
        ),
        AdamVariant::UnshiftedBetas => (
            "negative control: T3-adamw with the twin's betas left unshifted; must fail",
            Expected::Fail,
        ),
        AdamVariant::ConstantEps => (
            "negative control: T3-adamw with the twin's eps left constant; must fail",
            Expected::Fail,
        ),
        AdamVariant::CoupledL2 => (
            "negative control: Adam with coupled L2 decay against T3-adamw's twin; no such equivalence, must fail",
            Expected::Fail,
        ),
    };
    let mut claim = Claim::build(variant.id(), statement, expected);
    claim.detail = Some(format!(
        "Z_T = {:.6e}, beta1 = {}, beta2 = {}, eps = {:.3e}",
        z.last().map(Field::to_f64).unwrap_or(1.0),
        hyper.beta1.to_f64(),
        hyper.beta2.to_f64(),
        hyper.eps.to_f64()
    ));
    claim.lr = lr;
    claim.weight_decay = wd;
    claim.lr_tilde = lr_tilde;
    claim.z = z.into_iter().map(Scaled::new).collect();
    claim.rule = Rule::Adam {
        betas: (hyper.beta1.clone(), hyper.beta2.clone()),
        eps: hyper.eps.clone(),
        decay: if variant == AdamVariant::CoupledL2 {
            Decay::Coupled
        } else {
            Decay::Decoupled
        },
        twin_decays,
        twin_eps,
    };
    check(setup, claim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Convention;
    use crate::scalar::Rational;
    use crate::theorem::models::{build, build_rational, ModelName};

    fn r(n: i64, d: i64) -> Rational {
        Rational::from_ratio(n, d)
    }

    fn step_decay<T: Field>(base: T, steps: usize) -> Vec<T> {
        (0..steps)
            .map(|t| {
                if t < steps / 2 {
                    base.clone()
                } else {
                    base.clone() / T::from_int(10)
                }
            })
            .collect()
    }

    fn outcome(c: &ClaimResult) -> (bool, f64) {
        (c.holds, c.discrepancy.to_f64())
    }

    /// Exact rationals, Rayleigh quotient, step decay with a decay at step 2 of 4, γ = 9/10:
    /// T3-nesterov holds with discrepancy exactly 0; tying the look-ahead to the buffer momentum
    /// (the one change) fails. T3-adamw with β₂ = 0 (√v = |g|, exact) holds exactly; each
    /// control (unshifted betas, constant ε, coupled L2) fails.
    #[test]
    fn nesterov_and_adamw_twins_are_exact_in_rationals() {
        let built = build_rational::<Rational>(ModelName::Rayleigh, 0).expect("rational model");
        let setup = EquivalenceSetup::new(
            built.model.as_ref(),
            built.theta0.clone(),
            r(9, 10),
            Convention::PyTorch,
            "rational".into(),
        );
        let steps = 4;
        let lr = step_decay(r(1, 10), steps);
        let wd = vec![r(1, 20); steps];
        let holds = t3_nesterov(&setup, lr.clone(), wd.clone(), false).unwrap();
        assert_eq!(outcome(&holds), (true, 0.0), "{:?}", holds.detail);
        // A weight decay that changes every step (μ_t reads λ_{t−1}, a_t and b_t read λ_t; with
        // a constant λ the two are the same number): still exact.
        let varying: Vec<Rational> = (0..steps as i64).map(|t| r(1 + t, 20)).collect();
        let changing = t3_nesterov(&setup, lr.clone(), varying, false).unwrap();
        assert_eq!(outcome(&changing), (true, 0.0), "{:?}", changing.detail);
        let tied = t3_nesterov(&setup, lr.clone(), wd.clone(), true).unwrap();
        assert!(!tied.holds && tied.discrepancy.to_f64() > 1e-6, "{tied:?}");
        // The control is PyTorch's form exactly (look-ahead = momentum: its one change), while
        // the holding twin's look-ahead differs from its momentum.
        let ratio = |c: &ClaimResult| {
            let d = c.detail.clone().unwrap_or_default();
            let field = |key: &str| {
                d.split(key).nth(1).and_then(|rest| {
                    rest.split([',', ' ', ')'])
                        .find(|w| !w.is_empty())
                        .and_then(|w| w.parse::<f64>().ok())
                })
            };
            (field("mu_1 = "), field("b_1/a_1 = "))
        };
        let (mu, look) = ratio(&tied);
        assert!(mu.is_some() && mu == look, "{:?}", tied.detail);
        let (mu, look) = ratio(&holds);
        assert!(
            mu.is_some() && look.is_some() && mu != look,
            "{:?}",
            holds.detail
        );
        let hyper = AdamHyper {
            beta1: r(9, 10),
            beta2: r(0, 1),
            eps: r(1, 100),
        };
        let adam_lr = step_decay(r(1, 50), steps);
        for variant in AdamVariant::ALL {
            let c = t3_adamw(&setup, adam_lr.clone(), wd.clone(), &hyper, variant).unwrap();
            assert_eq!(c.id, variant.id());
            // Each variant is its registered claim: the holding one, or a control.
            let spec = crate::theorem::registry::spec(variant.id()).expect("registered");
            assert_eq!(spec.control, variant != AdamVariant::Holds, "{}", spec.id);
            assert_eq!(spec.group, "adamw");
            if variant == AdamVariant::Holds {
                assert_eq!(outcome(&c), (true, 0.0), "{:?}", c.detail);
            } else {
                assert!(
                    !c.holds && c.discrepancy.to_f64() > 1e-9,
                    "{variant:?}: {c:?}"
                );
            }
        }
        // The setup caches AdamW runs: one with another ε (or β₁) is another run, and the claim
        // still holds exactly on it (the cached ε = 1/100 run would fail it).
        for other in [
            AdamHyper {
                eps: r(1, 50),
                ..hyper.clone()
            },
            AdamHyper {
                beta1: r(1, 2),
                ..hyper.clone()
            },
        ] {
            let c = t3_adamw(
                &setup,
                adam_lr.clone(),
                wd.clone(),
                &other,
                AdamVariant::Holds,
            )
            .unwrap();
            assert_eq!(outcome(&c), (true, 0.0), "{:?}", c.detail);
        }
    }

    /// f64 with β₂ = 0.999 (a real square root), 200 steps: the holding claims hold within
    /// their rounding floor and every control fails.
    #[test]
    fn nesterov_and_adamw_in_f64() {
        let built = build::<f64>(ModelName::MlpBn, 0);
        let setup = EquivalenceSetup::new(
            built.model.as_ref(),
            built.theta0.clone(),
            0.9,
            Convention::PyTorch,
            "f64".into(),
        );
        let steps = 200;
        let wd = vec![5e-3; steps];
        assert!(
            t3_nesterov(&setup, step_decay(0.1, steps), wd.clone(), false)
                .unwrap()
                .as_expected()
        );
        assert!(
            t3_nesterov(&setup, step_decay(0.1, steps), wd.clone(), true)
                .unwrap()
                .as_expected()
        );
        let hyper = AdamHyper {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        };
        for variant in AdamVariant::ALL {
            let c = t3_adamw(
                &setup,
                step_decay(1e-2, steps),
                vec![1e-1; steps],
                &hyper,
                variant,
            )
            .unwrap();
            assert!(c.as_expected(), "{c:?}");
        }
    }

    /// θ₀ scaled by 2⁴⁰ leaves the twin's ‖θ̂‖_∞ above 2³² after its first step, so the twin is
    /// rescaled by L6 (θ̂ by 2^−k, later a_t and b_t by 2^−2k): the Nesterov claim must stay
    /// exact through the rescaling, and its control must still fail.
    #[test]
    fn the_nesterov_twin_stays_exact_through_its_rescaling() {
        let built = build_rational::<Rational>(ModelName::Rayleigh, 0).expect("rational model");
        let big = built.theta0.map(|x| x * Rational::from_int(2).powi(40));
        let setup = EquivalenceSetup::new(
            built.model.as_ref(),
            big,
            r(9, 10),
            Convention::PyTorch,
            "rational".into(),
        );
        let steps = 3;
        let lr = step_decay(r(1, 10), steps);
        let wd = vec![r(1, 20); steps];
        let holds = t3_nesterov(&setup, lr.clone(), wd.clone(), false).unwrap();
        assert_eq!(outcome(&holds), (true, 0.0), "{:?}", holds.detail);
        // A weight decay that changes every step (μ_t reads λ_{t−1}, a_t and b_t read λ_t; with
        // a constant λ the two are the same number): still exact.
        let varying: Vec<Rational> = (0..steps as i64).map(|t| r(1 + t, 20)).collect();
        let changing = t3_nesterov(&setup, lr.clone(), varying, false).unwrap();
        assert_eq!(outcome(&changing), (true, 0.0), "{:?}", changing.detail);
        let tied = t3_nesterov(&setup, lr, wd, true).unwrap();
        assert!(!tied.holds, "{tied:?}");
    }
}
