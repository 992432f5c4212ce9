//! The training loop: runs of a comparison from one θ₀ on one batch order, our own SGD step,
//! equivalent-scaling renormalization for runs without WD, per-epoch records, checkpoints.

use std::path::PathBuf;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Kind, Tensor};

use super::net::{flat_f64, Net};
use super::{adam, sgd};
use crate::convert::{
    convert, twin_rows, BaseSchedule, Kind as ScheduleKind, SchedulePlan, TwinOptimizer,
};
use crate::error::{Error, Result};
use crate::linalg::angle_deg;
use crate::optim::adam::{bias_corrections, AdamStep, Decay};
use crate::train::{EpochRecord, ImageSet, Optimizer, Renormalization, RunKind, TrainConfig};

/// Adam's per-step hyper-parameters (AdamW: constant; its twin: shifted per step).
pub struct AdamPlan {
    /// The original β₁, β₂ (input weights and bias corrections).
    pub betas: (f64, f64),
    /// The EMA decays of step t.
    pub decays: Vec<(f64, f64)>,
    /// log₁₀ ε_t.
    pub log10_eps: Vec<f64>,
}

/// A run's learning rates as log₁₀ per iteration, its weight decay, and the scale of θ₀.
pub struct RunPlan {
    /// log₁₀ η_t.
    pub log10_lr: Vec<f64>,
    /// λ (0 for the twins).
    pub weight_decay: f64,
    /// θ₀ ← scale · θ₀.
    pub theta_scale: f64,
    /// η_t of the run with weight decay (the same for its twins).
    pub base_lr: Vec<f64>,
    /// Adam's hyper-parameters (None: SGD with momentum).
    pub adam: Option<AdamPlan>,
}

fn number(field: &str, text: &str) -> Result<f64> {
    crate::scalar::parse_rational(text)
        .map(|r| crate::scalar::Field::to_f64(&r))
        .map_err(|e| e.in_field(field))
}

/// The schedule of one run, from the converter (192-bit, log space: nothing overflows).
pub fn plan_run(cfg: &TrainConfig, kind: RunKind, iters_per_epoch: usize) -> Result<RunPlan> {
    let base = match kind {
        RunKind::Step | RunKind::Texp | RunKind::Exact | RunKind::Adamw | RunKind::AdamwTwin => {
            BaseSchedule::Step {
                milestones: cfg.milestones.clone(),
                factor: cfg.decay_factor.clone(),
            }
        }
        RunKind::Fixed | RunKind::Exp => BaseSchedule::Constant,
        RunKind::Cosine | RunKind::CosineExact => BaseSchedule::Cosine { floor: "0".into() },
    };
    let plan = SchedulePlan {
        lr: cfg.lr.clone(),
        weight_decay: cfg.weight_decay.clone(),
        momentum: cfg.momentum.clone(),
        iters_per_epoch,
        epochs: cfg.epochs,
        base,
        warmup_epochs: 0,
    };
    if kind.optimizer() == Optimizer::AdamW {
        return plan_adam(cfg, kind, &plan);
    }
    let texp = kind == RunKind::Texp;
    let conversion = convert(
        &plan,
        if texp {
            ScheduleKind::Texp
        } else {
            ScheduleKind::Exact
        },
    )?;
    if kind.decays() {
        return Ok(RunPlan {
            log10_lr: conversion.rows.iter().map(|r| r.lr.log10()).collect(),
            weight_decay: number("--weight-decay", &cfg.weight_decay)?,
            theta_scale: 1.0,
            base_lr: conversion.rows.iter().map(|r| r.lr).collect(),
            adam: None,
        });
    }
    // TEXP is the exact schedule divided by a near-constant factor r; scaling θ₀ by 1/√r absorbs
    // it (docs/MATH.md L6 with λ = 0).
    let theta_scale = if texp {
        let r = conversion
            .summary
            .phases
            .first()
            .map_or(1.0, |p| p.exact_over_texp);
        1.0 / r.sqrt()
    } else {
        1.0
    };
    Ok(RunPlan {
        log10_lr: conversion
            .rows
            .iter()
            .map(|r| r.log10_equivalent_lr)
            .collect(),
        weight_decay: 0.0,
        theta_scale,
        base_lr: conversion.rows.iter().map(|r| r.lr).collect(),
        adam: None,
    })
}

/// AdamW on `plan`'s schedule, or its exact twin (docs/MATH.md §3.5): Adam without weight decay
/// with decays β₁Z_t/Z_{t−1}, β₂(Z_t/Z_{t−1})², ε_t = εZ_t and η_t/Z_{t+1}, from the converter
/// (192-bit, log space).
fn plan_adam(cfg: &TrainConfig, kind: RunKind, plan: &SchedulePlan) -> Result<RunPlan> {
    let rows = twin_rows(plan, &TwinOptimizer::AdamW(cfg.adam.clone()))?;
    let betas = (
        number("--beta1", &cfg.adam.beta1)?,
        number("--beta2", &cfg.adam.beta2)?,
    );
    let base_lr: Vec<f64> = rows.iter().map(|r| r.lr).collect();
    let eps = number("--adam-eps", &cfg.adam.eps)?;
    if kind == RunKind::Adamw {
        return Ok(RunPlan {
            log10_lr: base_lr.iter().map(|l| l.log10()).collect(),
            weight_decay: number("--weight-decay", &cfg.weight_decay)?,
            theta_scale: 1.0,
            base_lr,
            adam: Some(AdamPlan {
                betas,
                decays: vec![betas; rows.len()],
                log10_eps: vec![eps.log10(); rows.len()],
            }),
        });
    }
    Ok(RunPlan {
        log10_lr: rows.iter().map(|r| r.log10_equivalent_lr).collect(),
        weight_decay: 0.0,
        theta_scale: 1.0,
        base_lr,
        adam: Some(AdamPlan {
            betas,
            decays: rows
                .iter()
                .map(|r| (r.beta1.unwrap_or(betas.0), r.beta2.unwrap_or(betas.1)))
                .collect(),
            log10_eps: rows
                .iter()
                .map(|r| r.log10_eps.unwrap_or(f64::NEG_INFINITY))
                .collect(),
        }),
    })
}

/// Images of `indices` as a tensor, with random crop (pad 4) and, for colour images, horizontal
/// flip when `augment`, assembled on the host: the reference that [`Resident::batch`] must equal.
#[cfg(test)]
fn batch(
    data: &ImageSet,
    indices: &[usize],
    augment: bool,
    rng: &mut ChaCha8Rng,
    kind: Kind,
    device: Device,
) -> (Tensor, Tensor) {
    let (c, s) = (data.channels, data.side);
    let area = s * s;
    let mut pixels = Vec::with_capacity(indices.len() * c * area);
    for &i in indices {
        let image = &data.pixels[i * c * area..(i + 1) * c * area];
        if !augment {
            pixels.extend_from_slice(image);
            continue;
        }
        let (dy, dx) = (
            rng.random_range(0..=8i64) - 4,
            rng.random_range(0..=8i64) - 4,
        );
        // Horizontal flips suit natural images (3 channels), not digits.
        let flip = c == 3 && rng.random_bool(0.5);
        for ch in 0..c {
            for y in 0..s as i64 {
                for x in 0..s as i64 {
                    let sx = if flip { s as i64 - 1 - x } else { x } + dx;
                    let sy = y + dy;
                    let inside = (0..s as i64).contains(&sx) && (0..s as i64).contains(&sy);
                    pixels.push(if inside {
                        image[ch * area + (sy as usize) * s + sx as usize]
                    } else {
                        0.0
                    });
                }
            }
        }
    }
    let x = Tensor::from_slice(&pixels).view([indices.len() as i64, c as i64, s as i64, s as i64]);
    let labels: Vec<i64> = indices.iter().map(|&i| data.labels[i] as i64).collect();
    (
        x.to_kind(kind).to_device(device),
        Tensor::from_slice(&labels).to_device(device),
    )
}

/// Crop padding of the augmentation.
const PAD: i64 = 4;

/// A whole image set resident on the device (zero-padded by [`PAD`] when it is augmented), so a
/// batch is an index into it — no per-batch host copy. Crop offsets and flips are drawn on the
/// host from the run's seeded stream (3 numbers an image, as before) and applied on the device
/// by one gather, so the batches are those of the host reference, bit for bit.
pub struct Resident {
    images: Tensor,
    labels: Tensor,
    side: i64,
    channels: i64,
    padded: bool,
    device: Device,
}

impl Resident {
    /// Uploads `data` once (padded when `augment`).
    pub fn new(data: &ImageSet, augment: bool, kind: Kind, device: Device) -> Self {
        let (c, s) = (data.channels as i64, data.side as i64);
        let images = Tensor::from_slice(&data.pixels)
            .view([data.len() as i64, c, s, s])
            .to_kind(kind)
            .to_device(device);
        let images = if augment {
            images.constant_pad_nd([PAD, PAD, PAD, PAD])
        } else {
            images
        };
        let labels: Vec<i64> = data.labels.iter().map(|&l| l as i64).collect();
        Resident {
            images,
            labels: Tensor::from_slice(&labels).to_device(device),
            side: s,
            channels: c,
            padded: augment,
            device,
        }
    }

    /// The images and labels of `indices`, randomly cropped and (colour images) flipped when the
    /// set was uploaded for augmentation.
    pub fn batch(&self, indices: &[usize], rng: &mut ChaCha8Rng) -> (Tensor, Tensor) {
        let idx: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        self.batch_at(&Tensor::from_slice(&idx).to_device(self.device), rng)
    }

    /// [`Resident::batch`] for indices already on the device (the training loop uploads each
    /// epoch's order once, so a batch costs no host-to-device index copy).
    pub fn batch_at(&self, idx: &Tensor, rng: &mut ChaCha8Rng) -> (Tensor, Tensor) {
        let labels = self.labels.index_select(0, idx);
        if !self.padded {
            return (self.images.index_select(0, idx), labels);
        }
        let s = self.side;
        let n = idx.size()[0];
        // Per image: source row sy = y + dy and column sx = (flip ? s−1−x : x) + dx, shifted by
        // PAD into the padded image (outside the image lands in the zero border).
        let mut rows = Vec::with_capacity((n * s) as usize);
        let mut cols = Vec::with_capacity((n * s) as usize);
        for _ in 0..n {
            let (dy, dx) = (
                rng.random_range(0..=8i64) - 4,
                rng.random_range(0..=8i64) - 4,
            );
            let flip = self.channels == 3 && rng.random_bool(0.5);
            for k in 0..s {
                rows.push(k + dy + PAD);
                cols.push(if flip { s - 1 - k } else { k } + dx + PAD);
            }
        }
        let rows = Tensor::from_slice(&rows)
            .to_device(self.device)
            .view([n, 1, s, 1]);
        let cols = Tensor::from_slice(&cols)
            .to_device(self.device)
            .view([n, 1, 1, s]);
        let images = self.images.index_select(0, idx);
        let channels =
            Tensor::arange(self.channels, (Kind::Int64, self.device)).view([1, -1, 1, 1]);
        let first = Tensor::arange(n, (Kind::Int64, self.device)).view([n, 1, 1, 1]);
        let x = images.index(&[Some(first), Some(channels), Some(rows), Some(cols)]);
        (x, labels)
    }
}

/// The weight tensors' places in [`flat_f64`]: per-tensor sums of a flat vector in a few kernels
/// instead of a dozen per tensor. On a GPU PreResNet32's ~100 tensors made the sampled angular
/// update ~1,500 kernel launches, a fifth of a training step's.
struct Segments {
    /// Elements per tensor.
    lengths: Tensor,
    /// Index of each tensor's last element.
    ends: Tensor,
    total: i64,
}

impl Segments {
    fn new(weights: &[Tensor], device: Device) -> Segments {
        let lengths: Vec<i64> = weights.iter().map(|w| w.numel() as i64).collect();
        let ends: Vec<i64> = lengths
            .iter()
            .scan(0i64, |end, n| {
                *end += n;
                Some(*end - 1)
            })
            .collect();
        Segments {
            lengths: Tensor::from_slice(&lengths).to_device(device),
            ends: Tensor::from_slice(&ends).to_device(device),
            total: lengths.iter().sum(),
        }
    }

    /// Σ x over each tensor's elements, for x ≥ 0 (squares): differences of a running sum at the
    /// tensors' ends (a deterministic scan, so the same numbers every run, in f64). A difference
    /// carries the running sum's rounding, so a sum that is truly 0 can come out slightly
    /// negative: it is clamped at 0 (its square root would be NaN).
    fn sums(&self, x: &Tensor) -> Tensor {
        let at_ends = x.cumsum(0, Kind::Double).index_select(0, &self.ends);
        let count = at_ends.size()[0];
        let before = Tensor::cat(
            &[
                at_ends.zeros_like().narrow(0, 0, 1),
                at_ends.narrow(0, 0, count - 1),
            ],
            0,
        );
        (at_ends - before).clamp_min(0.0)
    }

    /// Each tensor's value repeated over its elements.
    fn spread(&self, per_tensor: &Tensor) -> Tensor {
        per_tensor.repeat_interleave_self_tensor(&self.lengths, 0, self.total)
    }

    /// The angle in radians between each tensor of `a` and of `b` (flat, [`flat_f64`]) as
    /// directions: [`angle_rad`] for all of them at once.
    fn angles_rad(&self, a: &Tensor, b: &Tensor) -> Tensor {
        let a = a / self.spread(&self.sums(&a.square()).sqrt());
        let b = b / self.spread(&self.sums(&b.square()).sqrt());
        let minus = self.sums(&(&a - &b).square()).sqrt();
        let plus = self.sums(&(&a + &b).square()).sqrt();
        minus.atan2(&plus) * 2.0
    }
}

/// The angle in radians between two tensors as directions, 2·atan2(‖â − b̂‖, ‖â + b̂‖) (stable at
/// every angle), in f64, on their device.
#[cfg(test)]
fn angle_rad(a: &Tensor, b: &Tensor) -> Tensor {
    let a = a.to_kind(Kind::Double);
    let b = b.to_kind(Kind::Double);
    let a = &a / a.norm();
    let b = &b / b.norm();
    (&a - &b).norm().atan2(&(&a + &b).norm()) * 2.0
}

/// (loss, accuracy, predictions) on a set, in batches, with running statistics.
fn evaluate(net: &Net, data: &ImageSet, kind: Kind, device: Device) -> (f64, f64, Vec<i64>) {
    let mut loss = 0.0;
    let mut predictions = Vec::with_capacity(data.len());
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let resident = Resident::new(data, false, kind, device);
    tch::no_grad(|| {
        for chunk in (0..data.len()).collect::<Vec<_>>().chunks(500) {
            let (x, y) = resident.batch(chunk, &mut rng);
            let logits = net.forward(&x, false);
            loss += logits.cross_entropy_for_logits(&y).double_value(&[]) * chunk.len() as f64;
            predictions.extend(
                Vec::<i64>::try_from(&logits.argmax(-1, false).to_device(Device::Cpu))
                    .unwrap_or_default(),
            );
        }
    });
    let correct = predictions
        .iter()
        .zip(&data.labels)
        .filter(|(p, l)| **p == **l as i64)
        .count();
    let n = data.len().max(1) as f64;
    (loss / n, correct as f64 / n, predictions)
}

/// log₁₀ of the effective learning rate at step t with the stored ‖θ‖² = `norm_sq`: SGD's
/// η/‖θ‖² (the scale-invariant step, docs/MATH.md L6); Adam's update has the size of η whatever
/// the gradient's scale, so its effective rate is η/‖θ‖. Both undo renormalizations.
fn effective_lr(plan: &RunPlan, t: usize, log10_lr_scale: f64, norm_sq: f64) -> f64 {
    match plan.adam {
        None => plan.log10_lr[t] + log10_lr_scale - norm_sq.log10(),
        Some(_) => plan.log10_lr[t] + log10_lr_scale / 2.0 - norm_sq.log10() / 2.0,
    }
}

/// The equilibrium law's per-step angular update (docs/MATH.md §3.6) with the WD run's η and λ:
/// √(2ηλ/(1+γ)) for SGD with momentum γ, √(2ηλ(1−β₁)/(1+β₁)) for AdamW.
fn predicted_angular_update(plan: &RunPlan, lr: f64, weight_decay: f64, momentum: f64) -> f64 {
    match &plan.adam {
        None => (2.0 * lr * weight_decay / (1.0 + momentum)).sqrt(),
        Some(a) => {
            let b = a.betas.0;
            (2.0 * lr * weight_decay * (1.0 - b) / (1.0 + b)).sqrt()
        }
    }
}

/// What one run produced.
pub struct RunResult {
    /// Per-epoch records (agreement filled in by the caller).
    pub records: Vec<EpochRecord>,
    /// Test predictions per epoch.
    pub predictions: Vec<Vec<i64>>,
    /// Training images per second.
    pub images_per_second: f64,
    /// Trainable parameters.
    pub parameters: usize,
    /// Renormalizations of this session (not those before a resume).
    pub renormalizations: Vec<Renormalization>,
}

fn checkpoint_path(cfg: &TrainConfig, kind: RunKind) -> PathBuf {
    cfg.out.join(format!("checkpoint-{}.ot", kind.name()))
}

fn records_path(cfg: &TrainConfig, kind: RunKind) -> PathBuf {
    cfg.out.join(format!("records-{}.json", kind.name()))
}

fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Trains one run.
#[allow(clippy::too_many_arguments)]
pub fn train_run(
    cfg: &TrainConfig,
    kind: RunKind,
    train: &ImageSet,
    test: &ImageSet,
    device: Device,
    iters_per_epoch: usize,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<RunResult> {
    let plan = plan_run(cfg, kind, iters_per_epoch)?;
    let momentum = number("--momentum", &cfg.momentum)?;
    let tkind = Kind::Float;
    let mut net = Net::new(
        cfg.model,
        cfg.norm,
        cfg.head,
        cfg.eps,
        train.channels as i64,
        train.classes as i64,
        cfg.seed,
        tkind,
        device,
    )
    .with_policy(cfg.autocast, cfg.channels_last);
    if kind == RunKind::Texp {
        net.scale(plan.theta_scale);
    }
    // SGD's momentum buffer or Adam's m; Adam's v (empty for SGD).
    let mut buffers: Vec<Tensor> = net.weights.iter().map(|w| w.zeros_like()).collect();
    let mut second: Vec<Tensor> = if plan.adam.is_some() {
        net.weights.iter().map(|w| w.zeros_like()).collect()
    } else {
        Vec::new()
    };
    // θ_stored = c·θ_true with log10_lr_scale = 2 log10 c, so SGD's η_applied = η_true · c²;
    // Adam's update is invariant to the scale of its gradients, so its η_applied = η_true · c
    // and ε_applied = ε_true / c (docs/MATH.md L6).
    let mut log10_lr_scale = 0.0f64;
    let mut renormalizations = 0usize;
    let mut events = Vec::new();
    let mut records: Vec<EpochRecord> = Vec::new();
    let mut predictions = Vec::new();
    let mut start_epoch = 0;
    let ckpt = checkpoint_path(cfg, kind);
    if cfg.resume && ckpt.exists() {
        let saved = Tensor::load_multi(&ckpt).map_err(|e| io(&ckpt, e))?;
        let get = |name: &str| {
            saved
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.shallow_clone())
        };
        tch::no_grad(|| -> Result<()> {
            for (i, w) in net.weights.iter_mut().enumerate() {
                let t =
                    get(&format!("w{i}")).ok_or_else(|| io(&ckpt, "checkpoint lacks a weight"))?;
                w.copy_(&t.to_device(device));
                let b =
                    get(&format!("v{i}")).ok_or_else(|| io(&ckpt, "checkpoint lacks a buffer"))?;
                buffers[i] = b.to_device(device);
                if let Some(slot) = second.get_mut(i) {
                    let u = get(&format!("u{i}"))
                        .ok_or_else(|| io(&ckpt, "checkpoint lacks Adam's second moment"))?;
                    *slot = u.to_device(device);
                }
            }
            for (i, (m, v)) in net.stats.iter_mut().enumerate() {
                if let (Some(sm), Some(sv)) = (get(&format!("m{i}")), get(&format!("s{i}"))) {
                    m.copy_(&sm.to_device(device));
                    v.copy_(&sv.to_device(device));
                }
            }
            Ok(())
        })?;
        let meta = get("meta").ok_or_else(|| io(&ckpt, "checkpoint lacks its metadata"))?;
        let meta = Vec::<f64>::try_from(&meta).map_err(|e| io(&ckpt, e))?;
        start_epoch = meta[0] as usize;
        log10_lr_scale = meta[1];
        renormalizations = meta[2] as usize;
        let rp = records_path(cfg, kind);
        let text = std::fs::read_to_string(&rp).map_err(|e| io(&rp, e))?;
        let (r, p): (Vec<EpochRecord>, Vec<Vec<i64>>) =
            serde_json::from_str(&text).map_err(|e| io(&rp, e))?;
        records = r;
        predictions = p;
    }
    let mut previous = net.flat();
    let resident = Resident::new(train, cfg.augment, tkind, device);
    let total = cfg.epochs * iters_per_epoch;
    let mut seen_images = 0usize;
    let mut seconds = 0.0f64;
    for epoch in start_epoch..cfg.epochs {
        let mut rng =
            ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        let order_on_device =
            Tensor::from_slice(&order.iter().map(|&i| i as i64).collect::<Vec<_>>())
                .to_device(device);
        // Summed on the device and read once an epoch: a per-step read would synchronize the
        // host with the GPU every step.
        let loss_sum = Tensor::zeros([], (Kind::Double, device));
        let correct = Tensor::zeros([], (Kind::Double, device));
        let mut count = 0usize;
        let loss_scale = net.loss_scale();
        // The angular update per weight tensor, on ~32 evenly spaced steps an epoch (each sample
        // costs a copy of the weights and a few reductions), summed on the device.
        let sample_every = (iters_per_epoch / 32).max(1);
        let segments = Segments::new(&net.weights, device);
        let angle_sq = Tensor::zeros([net.weights.len() as i64], (Kind::Double, device));
        let mut samples = 0usize;
        let clock = Instant::now();
        for it in 0..iters_per_epoch {
            let t = epoch * iters_per_epoch + it;
            let size = cfg.batch_size.min(train.len());
            let start = (it * cfg.batch_size) % train.len();
            let idx = order_on_device.narrow(0, start as i64, size as i64);
            let (x, y) = resident.batch_at(&idx, &mut rng);
            let logits = net.forward(&x, true);
            let loss = logits.cross_entropy_for_logits(&y);
            // The gradients returned, not accumulated into .grad: no zeroing pass and no
            // read-add per parameter (the values are the same: 0 + g = g).
            let grads = match loss_scale {
                None => Tensor::run_backward(&[&loss], &net.weights, false, false),
                Some(scale) => Tensor::run_backward(&[&loss * scale], &net.weights, false, false),
            };
            tch::no_grad(|| {
                let mut sum = loss_sum.shallow_clone();
                let _ = sum.g_add_(&(loss.to_kind(Kind::Double) * size as f64));
                let mut hits = correct.shallow_clone();
                let _ = hits.g_add_(&logits.argmax(-1, false).eq_tensor(&y).sum(Kind::Double));
            });
            count += size;
            let before: Option<Tensor> = (it % sample_every == 0).then(|| flat_f64(&net.weights));
            let grads = grads.into_iter().map(|g| match loss_scale {
                None => g,
                Some(scale) => g / scale,
            });
            match &plan.adam {
                None => {
                    let lr = 10f64.powf(plan.log10_lr[t] + log10_lr_scale);
                    for ((w, b), g) in net.weights.iter_mut().zip(buffers.iter_mut()).zip(grads) {
                        sgd::step(w, b, &g, lr, plan.weight_decay, momentum);
                    }
                }
                Some(a) => {
                    let log10_c = log10_lr_scale / 2.0;
                    let hp = AdamStep {
                        lr: 10f64.powf(plan.log10_lr[t] + log10_c),
                        weight_decay: plan.weight_decay,
                        decay: Decay::Decoupled,
                        decays: a.decays[t],
                        weights: (1.0 - a.betas.0, 1.0 - a.betas.1),
                        corrections: bias_corrections(&a.betas.0, &a.betas.1, t),
                        eps: 10f64.powf(a.log10_eps[t] - log10_c),
                    };
                    for (((w, m), v), g) in net
                        .weights
                        .iter_mut()
                        .zip(buffers.iter_mut())
                        .zip(second.iter_mut())
                        .zip(grads)
                    {
                        adam::step(w, m, v, &g, &hp);
                    }
                }
            }
            if let Some(before) = before {
                tch::no_grad(|| {
                    let angles = segments.angles_rad(&before, &flat_f64(&net.weights));
                    let mut acc = angle_sq.shallow_clone();
                    let _ = acc.g_add_(&angles.square());
                });
                samples += 1;
            }
            if !kind.decays() {
                let norm = net.norms_sq().iter().sum::<f64>().sqrt();
                if norm > cfg.renorm_threshold {
                    // θ ← θ/‖θ‖, v ← v‖θ‖, η ← η/‖θ‖²: the same trajectory up to scale (docs/MATH.md L6).
                    let c = 1.0 / norm;
                    net.scale(c);
                    // Gradients scale by 1/c: SGD's buffer and Adam's m by 1/c, Adam's v by 1/c².
                    tch::no_grad(|| {
                        for b in &mut buffers {
                            let s = &*b / c;
                            b.copy_(&s);
                        }
                        for u in &mut second {
                            let s = &*u / (c * c);
                            u.copy_(&s);
                        }
                    });
                    log10_lr_scale += 2.0 * c.log10();
                    renormalizations += 1;
                    events.push(Renormalization {
                        run: kind.name().into(),
                        step: t,
                        norm_before: norm,
                    });
                }
            }
            progress(kind.name(), t + 1, total);
        }
        // Reading the sums waits for the device, so the clock covers the epoch's GPU work.
        let (loss_sum, correct) = (loss_sum.double_value(&[]), correct.double_value(&[]));
        seconds += clock.elapsed().as_secs_f64();
        seen_images += count;
        let (test_loss, test_accuracy, preds) = evaluate(&net, test, tkind, device);
        let current = net.flat();
        let norms = net.norms_sq();
        let total_norm = norms.iter().sum::<f64>();
        let last_t = (epoch + 1) * iters_per_epoch - 1;
        records.push(EpochRecord {
            run: kind.name().into(),
            epoch: epoch + 1,
            train_loss: loss_sum / count.max(1) as f64,
            train_accuracy: correct / count.max(1) as f64,
            test_loss,
            test_accuracy,
            log10_lr: plan.log10_lr[last_t],
            log10_layer_norm_sq: norms.iter().map(|n| n.log10() - log10_lr_scale).collect(),
            log10_effective_lr: effective_lr(&plan, last_t, log10_lr_scale, total_norm),
            angle_deg: angle_deg(&previous, &current),
            angular_update: Vec::<f64>::try_from(&angle_sq.to_device(Device::Cpu))
                .unwrap_or_default()
                .iter()
                .map(|s| (s / samples.max(1) as f64).sqrt())
                .collect(),
            angular_update_predicted: predicted_angular_update(
                &plan,
                plan.base_lr[last_t],
                number("--weight-decay", &cfg.weight_decay)?,
                momentum,
            ),
            agreement: 1.0,
            renormalizations,
        });
        previous = current;
        predictions.push(preds);
        std::fs::create_dir_all(&cfg.out).map_err(|e| io(&cfg.out, e))?;
        let mut named: Vec<(String, Tensor)> = Vec::new();
        for (i, (w, b)) in net.weights.iter().zip(&buffers).enumerate() {
            named.push((format!("w{i}"), w.detach().to_device(Device::Cpu)));
            named.push((format!("v{i}"), b.to_device(Device::Cpu)));
        }
        for (i, u) in second.iter().enumerate() {
            named.push((format!("u{i}"), u.to_device(Device::Cpu)));
        }
        for (i, (m, v)) in net.stats.iter().enumerate() {
            named.push((format!("m{i}"), m.to_device(Device::Cpu)));
            named.push((format!("s{i}"), v.to_device(Device::Cpu)));
        }
        named.push((
            "meta".into(),
            Tensor::from_slice(&[(epoch + 1) as f64, log10_lr_scale, renormalizations as f64]),
        ));
        crate::files::write_atomically(&ckpt, |tmp| {
            Tensor::save_multi(&named, tmp).map_err(|e| io(&ckpt, e))
        })?;
        let rp = records_path(cfg, kind);
        let json = serde_json::to_string(&(&records, &predictions)).map_err(|e| io(&rp, e))?;
        crate::files::write_bytes(&rp, json.as_bytes())?;
    }
    Ok(RunResult {
        records,
        predictions,
        images_per_second: if seconds > 0.0 {
            seen_images as f64 / seconds
        } else {
            0.0
        },
        parameters: net.parameter_count(),
        renormalizations: events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The angles of all weight tensors at once (segmented sums of one flat vector) equal
    /// [`angle_rad`] tensor by tensor, from 1e-9 rad to π/2, on tensors of different sizes and
    /// shapes (a 4-D channels-last one included); an antiparallel pair gives π. The tolerance is
    /// the running sum's rounding: a tensor's sums are differences of running sums C, each off by
    /// at most n·u·C (n elements so far), so its norms are off by a relative r = n·u·C/S and its
    /// ‖â − b̂‖ by r_a + r_b + √(2·n·u·C₋) (S: the tensor's own sum; C₋: the running Σ‖â − b̂‖²).
    /// At 1e-9 a float32 perturbation of a 7-element tensor can vanish, an exact 0 the batched
    /// form must give as ~0, not NaN. Seeded. Injected: a segment end off by one (the last element
    /// of one tensor counted in the next) fails here.
    #[test]
    fn batched_angles_equal_the_per_tensor_formula() {
        tch::manual_seed(0);
        let shapes: [&[i64]; 4] = [&[16, 3, 3, 3], &[7], &[10, 64], &[1]];
        let a: Vec<Tensor> = shapes
            .iter()
            .map(|s| Tensor::randn(*s, (Kind::Float, Device::Cpu)))
            .collect();
        let a = vec![
            a[0].permute([0, 2, 3, 1])
                .contiguous()
                .permute([0, 3, 1, 2]),
            a[1].shallow_clone(),
            a[2].shallow_clone(),
            a[3].shallow_clone(),
        ];
        for scale in [1e-9, 1e-4, 0.3, 10.0] {
            let b: Vec<Tensor> = a
                .iter()
                .map(|w| w + Tensor::randn(w.size(), (Kind::Float, Device::Cpu)) * scale)
                .collect();
            let segments = Segments::new(&a, Device::Cpu);
            let batched =
                Vec::<f64>::try_from(&segments.angles_rad(&flat_f64(&a), &flat_f64(&b))).unwrap();
            let u = f64::EPSILON / 2.0;
            let sq = |t: &Tensor| {
                t.to_kind(Kind::Double)
                    .square()
                    .sum(Kind::Double)
                    .double_value(&[])
            };
            let (mut n, mut ca, mut cb, mut cm) = (0.0, 0.0, 0.0, 0.0);
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                let one = angle_rad(x, y).double_value(&[]);
                let (sa, sb) = (sq(x), sq(y));
                n += x.numel() as f64;
                ca += sa;
                cb += sb;
                cm += (2.0 * (one / 2.0).sin()).powi(2);
                let rounding = n * u * (ca / sa + cb / sb) + (2.0 * n * u * cm).sqrt();
                let close = (batched[i] - one).abs() <= 1e-12 * one + 2.0 * rounding;
                assert!(close, "tensor {i}, scale {scale}: {} vs {one}", batched[i]);
            }
        }
        let b: Vec<Tensor> = a.iter().map(|w| -w).collect();
        let segments = Segments::new(&a, Device::Cpu);
        let opposite =
            Vec::<f64>::try_from(&segments.angles_rad(&flat_f64(&a), &flat_f64(&b))).unwrap();
        for x in opposite {
            assert!((x - std::f64::consts::PI).abs() < 1e-12, "{x}");
        }
    }

    /// The device-resident batches equal the host reference bit for bit, with and without
    /// augmentation (crop offsets across the whole ±4 range, flips on colour images), and the
    /// same seed gives the same batches.
    #[test]
    fn resident_batches_equal_the_host_reference() {
        for channels in [1usize, 3] {
            let (side, n) = (6usize, 40usize);
            let pixels: Vec<f32> = (0..n * channels * side * side).map(|i| i as f32).collect();
            let data = ImageSet {
                pixels,
                labels: (0..n).map(|i| (i % 10) as u8).collect(),
                channels,
                side,
                classes: 10,
            };
            for augment in [false, true] {
                let resident = Resident::new(&data, augment, Kind::Float, Device::Cpu);
                let indices: Vec<usize> = (0..n).rev().step_by(3).collect();
                let mut a = ChaCha8Rng::seed_from_u64(9);
                let mut b = ChaCha8Rng::seed_from_u64(9);
                let mut c = ChaCha8Rng::seed_from_u64(9);
                for _ in 0..5 {
                    let (x, y) = resident.batch(&indices, &mut a);
                    let (hx, hy) =
                        batch(&data, &indices, augment, &mut b, Kind::Float, Device::Cpu);
                    assert!(x.equal(&hx), "channels {channels}, augment {augment}");
                    assert!(y.equal(&hy));
                    let on_device =
                        Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>());
                    let (again, labels) = resident.batch_at(&on_device, &mut c);
                    assert!(x.equal(&again) && y.equal(&labels));
                }
            }
        }
    }
}
