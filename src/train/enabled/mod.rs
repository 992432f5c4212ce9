//! The libtorch backend.

mod adam;
mod alloc;
mod fit;
mod net;
#[cfg(test)]
mod optim_check;
mod sgd;

use tch::{Device, Kind, Tensor};

use super::{
    DeviceChoice, EquivalenceReport, HeadChoice, ModelKind, NormChoice, Optimizer, TrainConfig,
    TrainReport, Trainer,
};
use crate::error::{Error, Result};
use crate::optim::adam::{bias_corrections, AdamStep, Decay};
use crate::optim::shadow::{adamw_shadow, exact_schedule, wd_shadow};

/// libtorch.
pub struct Torch;

fn device(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => Ok(Device::cuda_if_available()),
        DeviceChoice::Cuda => {
            if tch::Cuda::is_available() {
                Ok(Device::Cuda(0))
            } else {
                Err(Error::unsupported(
                    "--device",
                    "cuda",
                    "no CUDA device is visible to this build (it needs --features cuda and a GPU)",
                ))
            }
        }
    }
}

/// Steps a net's weights given its state slots and the step's gradients.
type Stepper = Box<dyn Fn(usize, &mut [Tensor], &mut [Vec<Tensor>], Vec<Tensor>)>;

/// A run with weight decay, its no-WD twin and the factor Z_t between them.
struct Equivalence {
    with_wd: Stepper,
    twin: Stepper,
    z: Vec<f64>,
    description: String,
}

/// SGD with momentum: step decay ÷10 at K/2 from η = 0.1, λ = 0.01, γ = 0.9 vs T3's exact
/// schedule (the control shifts it by one step).
fn sgd_equivalence(steps: usize, shifted: bool) -> Result<Equivalence> {
    let (lr, wd, momentum) = (0.1f64, 0.01f64, 0.9f64);
    let lrs: Vec<f64> = (0..steps)
        .map(|t| if t < steps / 2 { lr } else { lr / 10.0 })
        .collect();
    let z = wd_shadow(&lrs, &vec![wd; steps], &momentum);
    let mut tilde = exact_schedule(&lrs, &z)?;
    if shifted {
        tilde.remove(0);
        tilde.push(*tilde.last().unwrap_or(&lr));
    }
    let stepper = |schedule: Vec<f64>, decay: f64| -> Stepper {
        Box::new(move |t, weights, state, grads| {
            for ((w, s), g) in weights.iter_mut().zip(state.iter_mut()).zip(grads) {
                sgd::step(w, &mut s[0], &g, schedule[t], decay, momentum);
            }
        })
    };
    Ok(Equivalence {
        with_wd: stepper(lrs, wd),
        twin: stepper(tilde, 0.0),
        z,
        description: format!(
            "SGD, step decay /10 at K/2, lr {lr}, wd {wd}, momentum {momentum}{}",
            if shifted {
                ", twin's schedule shifted by one step (control)"
            } else {
                ""
            }
        ),
    })
}

/// AdamW (β = (0.9, 0.999), ε = 1e-8, step decay ÷10 at K/2 from η = 0.05, λ = 1) vs Adam
/// without weight decay with decays β₁Z_t/Z_{t−1}, β₂(Z_t/Z_{t−1})², ε_t = εZ_t and η_t/Z_{t+1}
/// (docs/MATH.md §3.5); ηλ = 0.05 moves Z_K far from 1 within a few dozen steps. The control
/// leaves the twin's betas unshifted (one cause).
fn adamw_equivalence(steps: usize, unshifted: bool) -> Result<Equivalence> {
    let (lr, wd, betas, eps) = (0.05f64, 1.0f64, (0.9f64, 0.999f64), 1e-8f64);
    let lrs: Vec<f64> = (0..steps)
        .map(|t| if t < steps / 2 { lr } else { lr / 10.0 })
        .collect();
    let z = adamw_shadow(&lrs, &vec![wd; steps])?;
    let hp = |t: usize, lr: f64, wd: f64, decays: (f64, f64), eps: f64| AdamStep {
        lr,
        weight_decay: wd,
        decay: Decay::Decoupled,
        decays,
        weights: (1.0 - betas.0, 1.0 - betas.1),
        corrections: bias_corrections(&betas.0, &betas.1, t),
        eps,
    };
    let with_wd: Vec<AdamStep<f64>> = (0..steps).map(|t| hp(t, lrs[t], wd, betas, eps)).collect();
    let twin: Vec<AdamStep<f64>> = (0..steps)
        .map(|t| {
            let r = if t == 0 || unshifted {
                1.0
            } else {
                z[t] / z[t - 1]
            };
            let decays = (betas.0 * r, betas.1 * r * r);
            hp(t, lrs[t] / z[t + 1], 0.0, decays, eps * z[t])
        })
        .collect();
    let stepper = |steps: Vec<AdamStep<f64>>| -> Stepper {
        Box::new(move |t, weights, state, grads| {
            for ((w, s), g) in weights.iter_mut().zip(state.iter_mut()).zip(grads) {
                let (m, v) = s.split_at_mut(1);
                adam::step(w, &mut m[0], &mut v[0], &g, &steps[t]);
            }
        })
    };
    Ok(Equivalence {
        with_wd: stepper(with_wd),
        twin: stepper(twin),
        z,
        description: format!(
            "AdamW, step decay /10 at K/2, lr {lr}, wd {wd}, betas ({}, {}), eps {eps}{}",
            betas.0,
            betas.1,
            if unshifted {
                ", twin's betas left unshifted (control)"
            } else {
                ""
            }
        ),
    })
}

impl Trainer for Torch {
    fn train(
        &self,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) -> Result<TrainReport> {
        // libtorch's default pool oversubscribes a busy machine (measured on 2 cores under load:
        // 502 images/s with its default, 2,413 with one thread): use exactly --threads.
        tch::set_num_threads(i32::try_from(cfg.threads).unwrap_or(1));
        alloc::keep_freed_memory();
        let device = device(cfg.device)?;
        let (train, test) = cfg.data.load(cfg.seed)?;
        if train.len() < 2 || test.is_empty() {
            return Err(Error::invalid(
                "--data",
                format!("{:?}", cfg.data),
                "needs at least 2 training and 1 test image",
            ));
        }
        let full = (train.len() / cfg.batch_size.max(1)).max(1);
        let iters = cfg.iters_per_epoch.map_or(full, |k| k.min(full).max(1));
        let mut epochs = Vec::new();
        let mut throughput = Vec::new();
        let mut first: Option<Vec<Vec<i64>>> = None;
        let mut parameters = 0;
        let mut renormalizations = Vec::new();
        for &kind in &cfg.runs {
            let result = fit::train_run(cfg, kind, &train, &test, device, iters, progress)?;
            parameters = result.parameters;
            renormalizations.extend(result.renormalizations);
            throughput.push((kind.name().to_string(), result.images_per_second));
            let mut records = result.records;
            match &first {
                None => first = Some(result.predictions),
                Some(reference) => {
                    for (r, (a, b)) in records
                        .iter_mut()
                        .zip(reference.iter().zip(&result.predictions))
                    {
                        let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
                        r.agreement = same as f64 / a.len().max(1) as f64;
                    }
                }
            }
            epochs.extend(records);
        }
        Ok(TrainReport {
            epochs,
            renormalizations,
            device: format!("{device:?}"),
            parameters,
            images_per_second: throughput,
        })
    }

    fn check_equivalence(
        &self,
        steps: usize,
        seed: u64,
        shifted: bool,
        optimizer: Optimizer,
    ) -> Result<EquivalenceReport> {
        if steps == 0 {
            return Err(Error::invalid(
                "--equivalence-steps",
                0,
                "must be at least 1",
            ));
        }
        let (train, _) = crate::train::DataSource::Synthetic { train: 32, test: 1 }.load(seed)?;
        let equivalence = match optimizer {
            Optimizer::Sgd => sgd_equivalence(steps, shifted)?,
            Optimizer::AdamW => adamw_equivalence(steps, shifted)?,
        };
        let run = |stepper: &Stepper| {
            let mut net = net::Net::new(
                ModelKind::ConvNet,
                NormChoice::Batch,
                HeadChoice::Batch { temperature: 1.0 },
                0.0,
                3,
                10,
                seed,
                Kind::Double,
                Device::Cpu,
            );
            // SGD's buffer, or Adam's m and v.
            let mut state: Vec<Vec<Tensor>> = net
                .weights
                .iter()
                .map(|w| vec![w.zeros_like(), w.zeros_like()])
                .collect();
            let mut out = vec![net.flat()];
            for t in 0..steps {
                let idx: Vec<usize> = (0..8).map(|i| (t * 8 + i) % train.len()).collect();
                let pixels: Vec<f64> = idx
                    .iter()
                    .flat_map(|&i| {
                        train.pixels[i * 3072..(i + 1) * 3072]
                            .iter()
                            .map(|&p| p as f64)
                    })
                    .collect();
                let x = Tensor::from_slice(&pixels).view([8, 3, 32, 32]);
                let y = Tensor::from_slice(
                    &idx.iter()
                        .map(|&i| train.labels[i] as i64)
                        .collect::<Vec<_>>(),
                );
                let loss = net.forward(&x, true).cross_entropy_for_logits(&y);
                let grads = Tensor::run_backward(&[&loss], &net.weights, false, false);
                stepper(t, &mut net.weights, &mut state, grads);
                out.push(net.flat());
            }
            out
        };
        let with_wd = run(&equivalence.with_wd);
        let without = run(&equivalence.twin);
        let z = &equivalence.z;
        let mut worst = 0.0f64;
        for (t, (a, b)) in with_wd.iter().zip(&without).enumerate() {
            let scale = b.iter().map(|x| (x * z[t]).abs()).fold(0.0, f64::max);
            let diff = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y * z[t]).abs())
                .fold(0.0, f64::max);
            worst = worst.max(diff / scale);
        }
        // f64 over a few dozen steps of a BN conv net: rounding grows slowly here; 10⁷ unit
        // roundoffs (1.1e-9) bounds it, while a wrong schedule is off by ≥ 1e-4 at step 1 (SGD)
        // and unshifted betas by ≥ 1e-6 within 20 steps (AdamW; measured in tests/train.rs).
        let tolerance = 1e7 * f64::EPSILON / 2.0;
        Ok(EquivalenceReport {
            holds: worst <= tolerance,
            discrepancy: worst,
            tolerance,
            steps,
            z_final: z[steps],
            model: format!(
                "convnet 3x32x32-16-32-64-10, BatchNorm (eps 0, affine frozen), trainable BN head, f64 on CPU, {}",
                equivalence.description
            ),
        })
    }

    fn sgd_step(
        &self,
        theta: &[f64],
        buffer: &[f64],
        grad: &[f64],
        lr: f64,
        wd: f64,
        momentum: f64,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut t = Tensor::from_slice(theta);
        let mut b = Tensor::from_slice(buffer);
        let g = Tensor::from_slice(grad);
        sgd::step(&mut t, &mut b, &g, lr, wd, momentum);
        let convert = |x: &Tensor| {
            Vec::<f64>::try_from(x).map_err(|e| Error::Io {
                path: "tensor".into(),
                reason: e.to_string(),
            })
        };
        Ok((convert(&t)?, convert(&b)?))
    }
}
