//! Training real scale-invariant networks with libtorch (cargo feature `tch`): PreResNet on
//! CIFAR-10 with step decay vs its exponential twins, using the same update rule as the simulator.
//!
//! The backend is a small trait whose signatures use only this crate's types, with an
//! `enabled` (libtorch) / `disabled` module pair, so no `cfg` appears at call sites and `--help`
//! is the same in every build. The disabled build answers with a one-line error (exit 2).

pub mod data;
#[cfg(not(feature = "tch"))]
mod disabled;
#[cfg(feature = "tch")]
mod enabled;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use data::{DataSource, ImageSet};

use crate::error::{Error, Result};

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelKind {
    /// Pre-activation ResNet of depth 6n+2 (PreResNet32: n = 5), 16/32/64 channels.
    PreResNet {
        /// 6n + 2.
        depth: usize,
    },
    /// Three 3×3 convolutions (16, 32, 64 channels, strides 1, 2, 2), each followed by the norm.
    ConvNet,
}

impl ModelKind {
    /// Parses `preresnet32`, `preresnetN` (N = 6n+2) or `convnet`.
    pub fn parse(text: &str) -> Result<Self> {
        if text == "convnet" {
            return Ok(ModelKind::ConvNet);
        }
        let depth: usize = text
            .strip_prefix("preresnet")
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| {
                Error::invalid(
                    "--model",
                    text,
                    "expected preresnet32 (any depth 6n+2) or convnet",
                )
            })?;
        if depth < 8 || !(depth - 2).is_multiple_of(6) {
            return Err(Error::invalid(
                "--model",
                text,
                "PreResNet depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 56, ...)",
            ));
        }
        Ok(ModelKind::PreResNet { depth })
    }
}

/// Normalization layer (no affine parameters: the scale and shift are frozen at 1 and 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NormChoice {
    /// BatchNorm.
    Batch,
    /// GroupNorm with this many groups.
    Group(usize),
    /// LayerNorm over (C, H, W).
    Layer,
}

/// The output layer, each keeping the loss exactly scale invariant in every trained weight (the
/// theorem's premise).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeadChoice {
    /// The paper's: a linear layer frozen at its initialization (caps the logits: ~70% on MNIST).
    Frozen,
    /// Trainable and weight-normalized: logits = τ · f (W/‖W‖_F)ᵀ with a fixed temperature τ, so
    /// the loss is invariant to scaling W.
    Normalized {
        /// τ.
        temperature: f64,
    },
    /// Trainable, followed by a normalization without affine parameters (BatchNorm over the
    /// batch for each logit, times a fixed τ): invariant to scaling W.
    Batch {
        /// τ.
        temperature: f64,
    },
}

/// `--head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HeadName {
    /// Trainable, then BatchNorm without affine, times τ.
    Bn,
    /// Trainable, weight-normalized, times τ.
    Normalized,
    /// The paper's: fixed at initialization.
    Frozen,
}

impl HeadChoice {
    /// τ when --temperature is not given: 1 for the BN head (its logits have unit variance over
    /// the batch) and 32 for the weight-normalized one (its rows have norm ~1/√classes), the best
    /// of those measured on Fashion-MNIST (README, "Real networks").
    pub fn default_temperature(head: HeadName) -> f64 {
        if head == HeadName::Normalized {
            32.0
        } else {
            1.0
        }
    }

    /// The head, with the temperature of the trainable heads (its default per head when None).
    pub fn new(head: HeadName, temperature: Option<f64>) -> Result<Self> {
        let temperature = temperature.unwrap_or_else(|| Self::default_temperature(head));
        if !(temperature > 0.0 && temperature.is_finite()) {
            return Err(Error::invalid(
                "--temperature",
                crate::error::float_value(temperature),
                "must be positive and finite",
            ));
        }
        Ok(match head {
            HeadName::Frozen => HeadChoice::Frozen,
            HeadName::Normalized => HeadChoice::Normalized { temperature },
            HeadName::Bn => HeadChoice::Batch { temperature },
        })
    }
}

/// `--norm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NormName {
    /// BatchNorm.
    Bn,
    /// GroupNorm (`--groups`).
    Gn,
    /// LayerNorm.
    Ln,
}

impl NormChoice {
    /// The layer; `groups` is used by GroupNorm and must divide 16 (the narrowest layer).
    pub fn new(norm: NormName, groups: usize) -> Result<Self> {
        Ok(match norm {
            NormName::Bn => NormChoice::Batch,
            NormName::Ln => NormChoice::Layer,
            NormName::Gn => {
                if groups == 0 || 16 % groups != 0 {
                    return Err(Error::invalid(
                        "--groups",
                        groups,
                        "must divide 16 (the narrowest layer)",
                    ));
                }
                NormChoice::Group(groups)
            }
        })
    }
}

/// The arithmetic of the convolutions (`--autocast`). Master weights, momentum buffers, the
/// update, the normalizations, the head and the loss stay f32 in every policy; a run and its twin
/// are compared under the same policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Autocast {
    /// f32 throughout.
    #[default]
    Off,
    /// Convolutions in bfloat16 (f32's exponent range: no loss scaling needed).
    Bf16,
    /// Convolutions in float16, the loss scaled by [`Autocast::FP16_LOSS_SCALE`] before the
    /// backward pass and the gradients unscaled before the update.
    Fp16,
}

impl Autocast {
    /// The static loss scale of `fp16` (2¹⁰): lifts per-element gradients of order 1e-6 above
    /// float16's smallest normal 6.1e-5 without overflowing its 65504.
    pub const FP16_LOSS_SCALE: f64 = 1024.0;
}

/// One training run of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// Step decay with weight decay (the baseline).
    Step,
    /// Its TEXP twin without weight decay (θ₀ scaled by the settled exact/TEXP factor).
    Texp,
    /// Its exact T3 twin without weight decay.
    Exact,
    /// Fixed LR with weight decay.
    Fixed,
    /// Its exponential (T3) twin without weight decay: the paper's Figure 1.
    Exp,
    /// Cosine annealing with weight decay.
    Cosine,
    /// Its exact twin without weight decay.
    CosineExact,
    /// AdamW (decoupled weight decay) on the step-decay schedule.
    Adamw,
    /// Its exact twin: Adam without weight decay, with per-step betas, ε and LR (docs/MATH.md §3.5).
    AdamwTwin,
}

impl RunKind {
    /// Name as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            RunKind::Step => "step",
            RunKind::Texp => "texp",
            RunKind::Exact => "exact",
            RunKind::Fixed => "fixed",
            RunKind::Exp => "exp",
            RunKind::Cosine => "cosine",
            RunKind::CosineExact => "cosine-exact",
            RunKind::Adamw => "adamw",
            RunKind::AdamwTwin => "adamw-twin",
        }
    }

    /// Whether the run uses weight decay.
    pub fn decays(&self) -> bool {
        matches!(
            self,
            RunKind::Step | RunKind::Fixed | RunKind::Cosine | RunKind::Adamw
        )
    }

    /// The optimizer of the run.
    pub fn optimizer(&self) -> Optimizer {
        match self {
            RunKind::Adamw | RunKind::AdamwTwin => Optimizer::AdamW,
            _ => Optimizer::Sgd,
        }
    }
}

/// The optimizer of a comparison's runs (`--optimizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// SGD with momentum (PyTorch convention) and coupled weight decay.
    #[default]
    Sgd,
    /// AdamW (torch.optim.AdamW's convention): decoupled weight decay θ ← θ(1 − ηλ).
    #[value(name = "adamw")]
    AdamW,
}

impl Optimizer {
    /// The runs compared when `--compare` is not given.
    pub fn default_runs(self) -> Vec<RunKind> {
        match self {
            Optimizer::Sgd => vec![RunKind::Step, RunKind::Texp],
            Optimizer::AdamW => vec![RunKind::Adamw, RunKind::AdamwTwin],
        }
    }
}

/// Where to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum DeviceChoice {
    /// CUDA when available, else CPU.
    Auto,
    /// CPU.
    Cpu,
    /// CUDA (an error when unavailable).
    Cuda,
}

/// A training comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Network.
    pub model: ModelKind,
    /// Normalization.
    pub norm: NormChoice,
    /// Output layer.
    pub head: HeadChoice,
    /// Data.
    pub data: DataSource,
    /// Epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// At most this many iterations per epoch (None: the whole training set).
    pub iters_per_epoch: Option<usize>,
    /// η.
    pub lr: String,
    /// λ.
    pub weight_decay: String,
    /// γ.
    pub momentum: String,
    /// Step-decay milestones (epochs).
    pub milestones: Vec<usize>,
    /// Step-decay divisor.
    pub decay_factor: String,
    /// Runs to compare, trained from the same θ₀ on the same batches.
    pub runs: Vec<RunKind>,
    /// Device.
    pub device: DeviceChoice,
    /// Seed of initialization, batch order and augmentation.
    pub seed: u64,
    /// Random crop (pad 4) and horizontal flip.
    pub augment: bool,
    /// Rescale a run without WD (docs/MATH.md L6) when ‖θ‖ exceeds this.
    pub renorm_threshold: f64,
    /// Normalization ε (0 makes the loss exactly scale invariant).
    pub eps: f64,
    /// Directory for logs, checkpoints and plots.
    pub out: PathBuf,
    /// Continue from the checkpoints in `out`.
    pub resume: bool,
    /// libtorch's intra-op threads (`--threads`; default the machine's cores).
    pub threads: usize,
    /// Arithmetic of the convolutions.
    #[serde(default)]
    pub autocast: Autocast,
    /// Weights and activations in channels-last (NHWC) memory order.
    #[serde(default)]
    pub channels_last: bool,
    /// The optimizer of the runs (each run kind belongs to one).
    #[serde(default)]
    pub optimizer: Optimizer,
    /// Adam's β₁, β₂, ε (the AdamW runs).
    #[serde(default)]
    pub adam: crate::optim::adam::AdamText,
}

/// One epoch of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Run name.
    pub run: String,
    /// Epoch (1-based).
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy over the epoch.
    pub train_accuracy: f64,
    /// Test loss.
    pub test_loss: f64,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// log₁₀ of the LR at the end of the epoch (undoing renormalizations).
    pub log10_lr: f64,
    /// log₁₀ ‖w‖² per weight tensor (undoing renormalizations).
    pub log10_layer_norm_sq: Vec<f64>,
    /// log₁₀ of the effective LR η/‖w‖² (global).
    pub log10_effective_lr: f64,
    /// Angle in degrees between w at the end of this epoch and of the previous one.
    pub angle_deg: f64,
    /// Per weight tensor: the RMS angle (radians) between w before and after a step, over
    /// steps sampled evenly through the epoch (docs/MATH.md §3.6).
    #[serde(default)]
    pub angular_update: Vec<f64>,
    /// The equilibrium law's prediction √(2ηλ/(1+γ)) with the WD run's η at the epoch's last
    /// step (the twins move in the same directions, so it is theirs too).
    #[serde(default)]
    pub angular_update_predicted: f64,
    /// Fraction of test predictions equal to the first run's (1 for the first run).
    pub agreement: f64,
    /// Renormalizations so far.
    pub renormalizations: usize,
}

/// One renormalization by the equivalent scaling (docs/MATH.md L6): θ ← θ/‖θ‖, v ← v‖θ‖, η ← η/‖θ‖².
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Renormalization {
    /// Run name.
    pub run: String,
    /// Iteration after which it happened.
    pub step: usize,
    /// ‖θ‖ before (stored scale).
    pub norm_before: f64,
}

/// A finished comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    /// Every epoch of every run.
    pub epochs: Vec<EpochRecord>,
    /// Every renormalization of every run.
    pub renormalizations: Vec<Renormalization>,
    /// Device used.
    pub device: String,
    /// Trainable parameters.
    pub parameters: usize,
    /// Training throughput per run, images per second.
    pub images_per_second: Vec<(String, f64)>,
}

/// The `--check-equivalence` experiment: K steps of WD + step decay vs the exact no-WD schedule.
#[derive(Debug, Clone, Serialize)]
pub struct EquivalenceReport {
    /// Discrepancy within tolerance.
    pub holds: bool,
    /// max_t max|θ_t − Z_t θ̃_t| / max|Z_t θ̃_t|.
    pub discrepancy: f64,
    /// The tolerance.
    pub tolerance: f64,
    /// Steps.
    pub steps: usize,
    /// Z_K.
    pub z_final: f64,
    /// The model.
    pub model: String,
}

/// A training backend.
pub trait Trainer {
    /// Trains `cfg.runs` and reports every epoch; `progress(run, step, total)`.
    fn train(
        &self,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) -> Result<TrainReport>;
    /// K steps of WD + step decay vs the exact no-WD twin, in f64 on the CPU, for SGD with
    /// momentum or AdamW; with `control` the twin gets one thing wrong and must fail (SGD: its
    /// schedule shifted by one step; AdamW: its betas left unshifted).
    fn check_equivalence(
        &self,
        steps: usize,
        seed: u64,
        control: bool,
        optimizer: Optimizer,
    ) -> Result<EquivalenceReport>;
    /// One SGD step (PyTorch convention) applied to tensors: (θ', v'), for comparison with
    /// [`crate::optim::Sgd::step`].
    fn sgd_step(
        &self,
        theta: &[f64],
        buffer: &[f64],
        grad: &[f64],
        lr: f64,
        wd: f64,
        momentum: f64,
    ) -> Result<(Vec<f64>, Vec<f64>)>;
}

/// The backend of this build.
pub fn backend() -> Box<dyn Trainer> {
    #[cfg(feature = "tch")]
    {
        Box::new(enabled::Torch)
    }
    #[cfg(not(feature = "tch"))]
    {
        Box::new(disabled::Missing)
    }
}
