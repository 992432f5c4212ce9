//! `verify train` (needs the `tch` feature; the default build answers with how to get it).

use std::path::PathBuf;

use clap::Args;

use super::common::{progress_bar, Outcome};
use super::output::say;
use crate::error::{Error, Result};
use crate::train::{
    backend, Autocast, DataSource, DeviceChoice, HeadChoice, HeadName, ModelKind, NormChoice,
    NormName, Optimizer, RunKind, TrainConfig, TrainReport,
};

/// `--model`: the network's name (PreResNet depths are a family, so not an enum of names).
fn parse_model(text: &str) -> std::result::Result<ModelKind, String> {
    ModelKind::parse(text).map_err(|e| match e {
        Error::Invalid { reason, .. } => reason,
        other => other.to_string(),
    })
}

fn optimizer_name(o: Optimizer) -> &'static str {
    match o {
        Optimizer::Sgd => "sgd",
        Optimizer::AdamW => "adamw",
    }
}

/// Arguments of `verify train`.
#[derive(Debug, Args, Clone)]
#[command(allow_negative_numbers = true)]
pub struct TrainArgs {
    /// Network: preresnet32 (any depth 6n+2) or convnet.
    #[arg(long, default_value = "preresnet32", value_parser = parse_model)]
    pub model: ModelKind,
    /// Normalization (no affine parameters).
    #[arg(long, value_enum, default_value = "bn")]
    pub norm: NormName,
    /// Output layer: bn (trainable, then BatchNorm without affine, times --temperature),
    /// normalized (trainable, weight-normalized, times --temperature) or frozen (the paper's:
    /// fixed at initialization). Each keeps the loss scale invariant in every trained weight.
    #[arg(long, value_enum, default_value = "bn")]
    pub head: HeadName,
    /// Fixed temperature τ of the trainable heads (default: 1 for bn, 32 for normalized).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Groups of --norm gn.
    #[arg(long, default_value_t = 8)]
    pub groups: usize,
    /// Data: cifar10:DIR (binary version), mnist:DIR (IDX files, plain or .gz), fashion-mnist[:DIR]
    /// (default DIR /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist) or
    /// synthetic[:TRAIN,TEST].
    #[arg(long, default_value = "synthetic")]
    pub data: String,
    /// Epochs.
    #[arg(long, default_value_t = 160)]
    pub epochs: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// At most this many iterations per epoch (default: the whole training set).
    #[arg(long)]
    pub iters_per_epoch: Option<usize>,
    /// Learning rate η (exact text).
    #[arg(long, default_value = "0.1")]
    pub lr: String,
    /// Weight decay λ of the runs with WD.
    #[arg(long, default_value = "5e-4")]
    pub weight_decay: String,
    /// Momentum γ (PyTorch convention, our own update rule).
    #[arg(long, default_value = "0.9")]
    pub momentum: String,
    /// Step-decay milestones in epochs.
    #[arg(long, default_value = "80,120")]
    pub milestones: String,
    /// Step-decay divisor.
    #[arg(long, default_value = "10")]
    pub decay_factor: String,
    /// Runs to train from one θ₀ on one batch order, comma separated (default: step,texp for
    /// sgd, adamw,adamw-twin for adamw). Each run belongs to one optimizer: step, texp, exact,
    /// fixed, exp, cosine, cosine-exact to sgd; adamw, adamw-twin to adamw.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub compare: Vec<RunKind>,
    /// The optimizer: sgd (momentum, coupled weight decay) or adamw (decoupled decay; its twin
    /// is Adam without weight decay with per-step betas, eps and LR, docs/MATH.md §3.5).
    #[arg(long, value_enum, default_value = "sgd")]
    pub optimizer: Optimizer,
    /// Adam's β₁ (the adamw runs).
    #[arg(long, default_value = "0.9")]
    pub beta1: String,
    /// Adam's β₂.
    #[arg(long, default_value = "0.999")]
    pub beta2: String,
    /// Adam's ε (--eps is the normalization's).
    #[arg(long, default_value = "1e-8")]
    pub adam_eps: String,
    /// Where to compute.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceChoice,
    /// Seed of initialization, batch order and augmentation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// No random crop and flip.
    #[arg(long)]
    pub no_augment: bool,
    /// Renormalize runs without WD when ‖w‖ exceeds this (docs/MATH.md L6).
    #[arg(long, default_value_t = 1e4)]
    pub renorm_threshold: f64,
    /// Normalization ε (0: exactly scale invariant).
    #[arg(long, default_value_t = 1e-5)]
    pub eps: f64,
    /// Directory for logs, checkpoints and plots; a directory that already holds a run is refused
    /// unless --resume (continue it) or --force (overwrite it).
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// Continue from the checkpoints in --out.
    #[arg(long)]
    pub resume: bool,
    /// Overwrite a previous run in --out.
    #[arg(long)]
    pub force: bool,
    /// libtorch's intra-op threads (default: the machine's cores; at most 256).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Arithmetic of the convolutions: off (f32), bf16, or fp16 (static loss scale 1024).
    /// Master weights, the update, normalizations, head and loss stay f32.
    #[arg(long, value_enum, default_value = "off")]
    pub autocast: Autocast,
    /// Weights and activations in channels-last (NHWC) memory order (faster convolutions on
    /// tensor-core GPUs; the same arithmetic up to summation order).
    #[arg(long)]
    pub channels_last: bool,
    /// Only check the equivalence (T3 for sgd, T3-adamw for adamw) on a small BN conv net in f64
    /// on the CPU (K steps) and report.
    #[arg(long)]
    pub check_equivalence: bool,
    /// K for --check-equivalence.
    #[arg(long, default_value_t = 20)]
    pub equivalence_steps: usize,
    /// With --check-equivalence: get one thing of the twin wrong (a negative control that must
    /// be reported as failing): sgd shifts its schedule by one step, adamw leaves its betas
    /// unshifted.
    #[arg(long)]
    pub negative_control: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// No plots.
    #[arg(long)]
    pub no_plots: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Reads and checks the arguments.
pub fn config(args: &TrainArgs) -> Result<TrainConfig> {
    let previous = args.out.join("train_log.json");
    if previous.exists() && !args.resume && !args.force {
        return Err(Error::invalid(
            "--out",
            args.out.display(),
            "already holds a run (train_log.json): pass --resume to continue it, --force to overwrite it, or another --out",
        ));
    }
    let model = args.model;
    let norm = NormChoice::new(args.norm, args.groups)?;
    let head = HeadChoice::new(args.head, args.temperature)?;
    let data = DataSource::parse(&args.data)?;
    if let DataSource::Cifar10(dir) | DataSource::Mnist(dir) | DataSource::FashionMnist(dir) = &data
    {
        if !dir.is_dir() {
            let why = if matches!(data, DataSource::FashionMnist(_)) {
                "no such directory (Debian ships Fashion-MNIST there: bash scripts/fashion-mnist.sh installs it)"
            } else {
                "no such directory"
            };
            return Err(Error::invalid("--data", dir.display(), why));
        }
    }
    if args.epochs == 0 {
        return Err(Error::invalid("--epochs", 0, "must be at least 1"));
    }
    if args.batch_size < 2 {
        return Err(Error::invalid(
            "--batch-size",
            args.batch_size,
            "must be at least 2 (batch statistics)",
        ));
    }
    if args.iters_per_epoch == Some(0) {
        return Err(Error::invalid("--iters-per-epoch", 0, "must be at least 1"));
    }
    let why = "the per-iteration LR plan is kept in memory";
    crate::budget::at_most("--epochs", args.epochs as u64, 100_000, why)?;
    crate::budget::at_most(
        "--batch-size",
        args.batch_size as u64,
        65_536,
        "one batch is one tensor on the device",
    )?;
    crate::budget::at_most(
        "--equivalence-steps",
        args.equivalence_steps as u64,
        100_000,
        "both runs are kept in memory",
    )?;
    if let Some(iters) = args.iters_per_epoch {
        crate::budget::product(
            &[
                ("--epochs", args.epochs as u64),
                ("--iters-per-epoch", iters as u64),
            ],
            100_000_000,
            why,
        )?;
    }
    let positive = crate::budget::positive_within_f64;
    positive("--lr", &args.lr)?;
    positive("--weight-decay", &args.weight_decay)?;
    positive("--decay-factor", &args.decay_factor)?;
    let m = crate::scalar::parse_rational(&args.momentum).map_err(|e| e.in_field("--momentum"))?;
    let zero = crate::scalar::Rational::ZERO;
    let one = crate::scalar::Rational::ONE;
    if m < zero || m >= one {
        return Err(Error::invalid(
            "--momentum",
            &args.momentum,
            "must be in [0, 1)",
        ));
    }
    let milestones: Vec<usize> = args
        .milestones
        .split(',')
        .filter(|m| !m.trim().is_empty())
        .map(|m| {
            m.trim().parse().map_err(|_| {
                Error::invalid("--milestones", &args.milestones, "expected whole epochs")
            })
        })
        .collect::<Result<_>>()?;
    crate::optim::check_milestones("--milestones", &milestones)?;
    if let Some(&last) = milestones.last() {
        crate::budget::at_most("--milestones", last as u64, 100_000, "epochs")?;
    }
    let runs = if args.compare.is_empty() {
        args.optimizer.default_runs()
    } else {
        args.compare.clone()
    };
    if let Some(other) = runs.iter().find(|r| r.optimizer() != args.optimizer) {
        return Err(Error::invalid(
            "--compare",
            other.name(),
            format!(
                "is a run of --optimizer {}, not {}",
                optimizer_name(other.optimizer()),
                optimizer_name(args.optimizer)
            ),
        ));
    }
    let adam = crate::optim::adam::AdamText {
        beta1: args.beta1.clone(),
        beta2: args.beta2.clone(),
        eps: args.adam_eps.clone(),
    };
    // Checked whatever the optimizer: a bad value is refused even where it would be unused.
    {
        let read = |flag: &str, text: &str| {
            crate::scalar::parse_rational(text).map_err(|e| e.in_field(flag))
        };
        let eps = read("--adam-eps", &adam.eps)?;
        if eps < crate::scalar::Rational::ZERO {
            return Err(Error::invalid(
                "--adam-eps",
                &adam.eps,
                "must be non-negative",
            ));
        }
        crate::optim::adam::check_hyperparameters(
            &read("--beta1", &adam.beta1)?,
            &read("--beta2", &adam.beta2)?,
            &eps,
        )?;
    }
    let device = args.device;
    if !(args.renorm_threshold > 1.0 && args.renorm_threshold.is_finite()) {
        return Err(Error::invalid(
            "--renorm-threshold",
            crate::error::float_value(args.renorm_threshold),
            "must be a finite number above 1",
        ));
    }
    if !(args.eps >= 0.0 && args.eps.is_finite()) {
        return Err(Error::invalid(
            "--eps",
            crate::error::float_value(args.eps),
            "must be finite and non-negative",
        ));
    }
    let threads = match args.threads {
        Some(0) => return Err(Error::invalid("--threads", 0, "must be at least 1")),
        Some(n) => {
            crate::budget::at_most("--threads", n as u64, 256, "libtorch's intra-op threads")?;
            n
        }
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(TrainConfig {
        autocast: args.autocast,
        optimizer: args.optimizer,
        adam,
        channels_last: args.channels_last,
        threads,
        model,
        norm,
        head,
        data,
        epochs: args.epochs,
        batch_size: args.batch_size,
        iters_per_epoch: args.iters_per_epoch,
        lr: args.lr.clone(),
        weight_decay: args.weight_decay.clone(),
        momentum: args.momentum.clone(),
        milestones,
        decay_factor: args.decay_factor.clone(),
        runs,
        device,
        seed: args.seed,
        augment: !args.no_augment,
        renorm_threshold: args.renorm_threshold,
        eps: args.eps,
        out: args.out.clone(),
        resume: args.resume,
    })
}

fn write_logs(report: &TrainReport, out: &std::path::Path) -> Result<()> {
    let io = |p: &std::path::Path, e: std::io::Error| Error::Io {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let json = out.join("train_log.json");
    crate::files::write_bytes(
        &json,
        serde_json::to_string_pretty(report)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    let mut csv = String::from("run,epoch,train_loss,train_accuracy,test_loss,test_accuracy,log10_lr,log10_w_norm_sq,log10_effective_lr,angle_deg,agreement,renormalizations,angular_update_rms,angular_update_predicted\n");
    for r in &report.epochs {
        let total = r
            .log10_layer_norm_sq
            .iter()
            .map(|x| 10f64.powf(x - r.log10_layer_norm_sq[0]))
            .sum::<f64>()
            .log10()
            + r.log10_layer_norm_sq[0];
        // The layers' angular updates as their RMS (each layer's own is in train_log.json).
        let layers = r.angular_update.len().max(1) as f64;
        let angular = (r.angular_update.iter().map(|a| a * a).sum::<f64>() / layers).sqrt();
        csv.push_str(&format!(
            "{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{},{:.6e},{:.6e}\n",
            r.run,
            r.epoch,
            r.train_loss,
            r.train_accuracy,
            r.test_loss,
            r.test_accuracy,
            r.log10_lr,
            total,
            r.log10_effective_lr,
            r.angle_deg,
            r.agreement,
            r.renormalizations,
            angular,
            r.angular_update_predicted
        ));
    }
    let path = out.join("train_log.csv");
    crate::files::write_bytes(&path, csv.as_bytes())
}

/// Runs `verify train`.
pub fn run(args: TrainArgs) -> anyhow::Result<Outcome> {
    let trainer = backend();
    if args.check_equivalence {
        let report = trainer.check_equivalence(
            args.equivalence_steps,
            args.seed,
            args.negative_control,
            args.optimizer,
        )?;
        if args.json {
            say!("{}", serde_json::to_string(&report)?);
        } else {
            say!(
                "check-equivalence: {} steps on {}: max|theta_t - Z_t theta~_t| / max|Z_t theta~_t| = {:.3e} (tolerance {:.1e}), Z_K = {:.6}: {}",
                report.steps, report.model, report.discrepancy, report.tolerance, report.z_final,
                if report.holds { "HOLDS" } else { "FAILS" }
            );
        }
        return Ok(Outcome::from_holds(report.holds));
    }
    let cfg = config(&args)?;
    let bar = progress_bar(1, "train", args.quiet);
    // Counted in training images, so indicatif's rate is images/s and its ETA the run's.
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:>12} [{bar:30}] {human_pos}/{human_len} images, {per_sec}, ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let images = cfg.batch_size as u64;
    let report = trainer.train(&cfg, &mut |run, done, total| {
        bar.set_message(run.to_string());
        bar.set_length(total as u64 * images);
        bar.set_position(done as u64 * images);
    })?;
    bar.finish_and_clear();
    write_logs(&report, &cfg.out)?;
    if !args.no_plots {
        crate::plot::train_figure(&report, &cfg.out)?;
    }
    if args.json {
        say!("{}", serde_json::to_string(&report)?);
        return Ok(Outcome::Holds);
    }
    say!(
        "verify train: {} parameters on {}; logs in {}",
        report.parameters,
        report.device,
        cfg.out.display()
    );
    say!(
        "{:<12} {:>5} {:>10} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "run",
        "epoch",
        "train loss",
        "train acc",
        "test acc",
        "log10 lr",
        "log10 eff",
        "angle",
        "agree"
    );
    for r in &report.epochs {
        say!(
            "{:<12} {:>5} {:>10.4} {:>9.4} {:>9.4} {:>9.3} {:>10.3} {:>9.4} {:>9.4}",
            r.run,
            r.epoch,
            r.train_loss,
            r.train_accuracy,
            r.test_accuracy,
            r.log10_lr,
            r.log10_effective_lr,
            r.angle_deg,
            r.agreement
        );
    }
    for e in &report.renormalizations {
        say!(
            "renormalized {} after step {}: |w| {:.4e} -> 1 (lr divided by |w|^2)",
            e.run,
            e.step,
            e.norm_before
        );
    }
    for (run, ips) in &report.images_per_second {
        say!("throughput {run}: {ips:.0} images/s");
    }
    Ok(Outcome::Holds)
}
