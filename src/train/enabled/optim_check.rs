//! The simulator's pure optimizer steps against PyTorch's own (libtorch's C++ torch::optim, the
//! implementation behind torch.optim) on the same numbers in f64: Nesterov SGD with weight
//! decay, AdamW and Adam with L2, over a step-decay schedule on a quadratic loss whose gradient
//! depends on θ.

use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

use crate::linalg::Vector;
use crate::optim::adam::{self, AdamState, AdamStep, Decay};
use crate::optim::{nesterov, SgdState};

const A: [f64; 4] = [1.5, 0.25, 3.0, 0.75];
const C: [f64; 4] = [-0.5, 0.125, 0.3, -1.0];
const THETA0: [f64; 4] = [0.8, -1.2, 0.4, 2.0];
const STEPS: usize = 40;

/// ∇(½ Σ aθ² + Σ cθ) = aθ + c.
fn gradient(theta: &Vector<f64>) -> Vector<f64> {
    Vector::from_iterator(4, (0..4).map(|i| A[i] * theta[i] + C[i]))
}

fn lr_at(base: f64, t: usize) -> f64 {
    if t < STEPS / 2 {
        base
    } else {
        base / 10.0
    }
}

/// θ after every step of torch's optimizer built by `build`, on the same loss.
fn torch_run(build: impl Fn(&nn::VarStore) -> nn::Optimizer, base: f64) -> Vec<Vec<f64>> {
    let mut vs = nn::VarStore::new(Device::Cpu);
    let _ = vs.root().var_copy("theta", &Tensor::from_slice(&THETA0));
    vs.double();
    let mut theta = vs.variables().remove("theta").expect("the variable");
    // Exactly θ₀ in f64 (the f32 copy above rounded it).
    tch::no_grad(|| theta.copy_(&Tensor::from_slice(&THETA0)));
    let mut opt = build(&vs);
    let a = Tensor::from_slice(&A);
    let c = Tensor::from_slice(&C);
    let mut out = Vec::new();
    for t in 0..STEPS {
        opt.set_lr(lr_at(base, t));
        let loss = (&a * theta.square() * 0.5 + &c * &theta).sum(Kind::Double);
        opt.zero_grad();
        loss.backward();
        opt.step();
        out.push(Vec::<f64>::try_from(&theta.detach()).unwrap_or_default());
    }
    out
}

fn assert_close(ours: &[Vec<f64>], torch: &[Vec<f64>], what: &str) {
    for (t, (o, p)) in ours.iter().zip(torch).enumerate() {
        for (x, y) in o.iter().zip(p) {
            // Rounding only: a few ulps a step, growing over 40 steps.
            assert!(
                (x - y).abs() <= 1e-13 * y.abs().max(1.0),
                "{what} step {t}: ours {x} vs torch {y}"
            );
        }
    }
}

/// Nesterov: torch.optim.SGD(momentum = 0.9, weight_decay = 0.05, nesterov = True).
/// Control: our plain heavy-ball step (no look-ahead) is not torch's Nesterov.
#[test]
fn nesterov_matches_torch() {
    let (gamma, wd) = (0.9, 0.05);
    let torch = torch_run(
        |vs| {
            nn::Sgd {
                momentum: gamma,
                dampening: 0.0,
                wd,
                nesterov: true,
            }
            .build(vs, 0.1)
            .unwrap()
        },
        0.1,
    );
    let mut state = SgdState::new(Vector::from_vec(THETA0.to_vec()), None);
    let mut ours = Vec::new();
    for t in 0..STEPS {
        let g = gradient(&state.params);
        state = nesterov::torch_step(&lr_at(0.1, t), &wd, &gamma, &g, &state);
        ours.push(state.params.iter().copied().collect::<Vec<_>>());
    }
    assert_close(&ours, &torch, "nesterov");
    let heavy = crate::optim::Sgd::new(gamma, crate::optim::Convention::PyTorch).unwrap();
    let mut state = SgdState::new(Vector::from_vec(THETA0.to_vec()), None);
    state = heavy.step(&0.1, &wd, &gradient(&state.params), &state);
    assert!((state.params[0] - torch[0][0]).abs() > 1e-3);
}

/// AdamW (decoupled) and Adam (coupled L2), β = (0.9, 0.999), ε = 1e-8, λ = 0.1.
/// Control: swapping the decay kind is caught.
#[test]
fn adamw_and_adam_match_torch() {
    let (b1, b2, eps, wd, base) = (0.9, 0.999, 1e-8, 0.1, 0.05);
    for decay in [Decay::Decoupled, Decay::Coupled] {
        let torch = torch_run(
            |vs| match decay {
                Decay::Decoupled => nn::AdamW {
                    beta1: b1,
                    beta2: b2,
                    wd,
                    eps,
                    amsgrad: false,
                }
                .build(vs, base)
                .unwrap(),
                Decay::Coupled => nn::Adam {
                    beta1: b1,
                    beta2: b2,
                    wd,
                    eps,
                    amsgrad: false,
                }
                .build(vs, base)
                .unwrap(),
            },
            base,
        );
        let run = |decay: Decay| {
            let mut state = AdamState::new(Vector::from_vec(THETA0.to_vec()));
            let mut out = Vec::new();
            for t in 0..STEPS {
                let g = gradient(&state.params);
                let hp = AdamStep::torch(lr_at(base, t), wd, decay, (&b1, &b2), eps, t);
                state = adam::step(&hp, &g, &state).unwrap();
                out.push(state.params.iter().copied().collect::<Vec<_>>());
            }
            out
        };
        assert_close(&run(decay), &torch, &format!("{decay:?}"));
        let other = if decay == Decay::Decoupled {
            Decay::Coupled
        } else {
            Decay::Decoupled
        };
        let wrong = run(other);
        assert!((wrong[STEPS - 1][0] - torch[STEPS - 1][0]).abs() > 1e-6);
    }
}

/// The trainer's tensor Adam step ([`super::adam::step`]) equals the simulator's pure step bit
/// for bit in f64 (the same operations in the same order), for AdamW, Adam with L2 and a twin's
/// step with shifted decays and a small ε, over 40 steps of the quadratic.
#[test]
fn tensor_adam_step_equals_pure_step() {
    let (b1, b2) = (0.9, 0.999);
    for (decay, shift, eps) in [
        (Decay::Decoupled, 1.0, 1e-8),
        (Decay::Coupled, 1.0, 1e-8),
        (Decay::Decoupled, 0.97, 1e-3),
    ] {
        let mut state = AdamState::new(Vector::from_vec(THETA0.to_vec()));
        let mut theta = Tensor::from_slice(&THETA0);
        let mut m = theta.zeros_like();
        let mut v = theta.zeros_like();
        for t in 0..STEPS {
            let g = gradient(&state.params);
            let hp = AdamStep {
                decays: (b1 * shift, b2 * shift * shift),
                ..AdamStep::torch(lr_at(0.05, t), 0.1, decay, (&b1, &b2), eps, t)
            };
            state = adam::step(&hp, &g, &state).unwrap();
            super::adam::step(
                &mut theta,
                &mut m,
                &mut v,
                &Tensor::from_slice(g.as_slice()),
                &hp,
            );
            let ours = Vec::<f64>::try_from(&theta).unwrap();
            assert_eq!(ours, state.params.as_slice(), "{decay:?} step {t}");
            assert_eq!(Vec::<f64>::try_from(&v).unwrap(), state.v.as_slice());
        }
    }
}
