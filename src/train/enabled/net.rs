//! Scale-invariant networks in libtorch: every convolution is bias-free and feeds a normalization
//! without affine parameters (scale and shift frozen at 1 and 0), and the output layer is either
//! trainable and scale invariant itself (weight-normalized with a fixed temperature, or followed
//! by a normalization) or, as in the paper, frozen at its initialization. PreResNet is invariant
//! to scaling all convolution weights together (the residual sums add conv outputs of equal
//! scale); the ConvNet per layer; a trainable head on its own.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use tch::{Device, Kind, Tensor};

use crate::train::{Autocast, HeadChoice, ModelKind, NormChoice};

/// A residual block's weights (indices into `Net::weights`) and shape.
struct Block {
    conv1: usize,
    conv2: usize,
    projection: Option<usize>,
    stride: i64,
    norm1: usize,
    norm2: usize,
}

/// The output layer as built.
enum Head {
    /// A constant matrix [classes, features].
    Frozen(Tensor),
    /// `weights[index]`, weight-normalized, times τ.
    Normalized { index: usize, temperature: f64 },
    /// `weights[index]`, then the logits' normalization `stats[norm]`, times τ.
    Batch {
        index: usize,
        norm: usize,
        temperature: f64,
    },
}

/// The network: trainable weights, the head, BN running statistics.
pub struct Net {
    /// Trainable weights (requires_grad).
    pub weights: Vec<Tensor>,
    /// BN running (mean, var), one per normalization layer.
    pub stats: Vec<(Tensor, Tensor)>,
    head: Head,
    stem: usize,
    blocks: Vec<Block>,
    convs: Vec<(usize, i64, usize)>,
    final_norm: usize,
    model: ModelKind,
    norm: NormChoice,
    eps: f64,
    /// The weights' kind (the master copy; normalizations, head and loss run in it).
    kind: Kind,
    /// The convolutions' kind when it differs from `kind` (`--autocast`).
    compute: Option<Kind>,
    /// float16 only: the loss scale.
    loss_scale: Option<f64>,
    channels_last: bool,
}

/// The same values in channels-last (NHWC) memory order, still indexed [n, c, h, w].
fn channels_last(t: &Tensor) -> Tensor {
    t.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
}

/// Tensors as one flat f64 vector on their device, each in its logical (row-major) order, one
/// after the other (one `cat`).
pub fn flat_f64(weights: &[Tensor]) -> Tensor {
    let parts: Vec<Tensor> = weights.iter().map(|w| w.detach().reshape([-1])).collect();
    Tensor::cat(&parts, 0).to_kind(Kind::Double)
}

/// ReLU in place on a normalization's fresh output (the normalization's backward needs its input,
/// not its output, so autograd allows it): one allocation and one pass over memory fewer a layer.
fn relu(mut t: Tensor) -> Tensor {
    let _ = t.relu_();
    t
}

/// PyTorch's default convolution initialization scale (kaiming-uniform with a = √5 has variance
/// 1/(3 fan_in)), drawn as a normal. For scale-invariant weights the initial norm sets the initial
/// effective LR η/‖w‖², so this matters.
fn kaiming(rng: &mut ChaCha8Rng, shape: &[i64], kind: Kind, device: Device) -> Tensor {
    let fan_in: i64 = shape[1..].iter().product();
    let std = (1.0 / (3.0 * fan_in as f64)).sqrt();
    let count: i64 = shape.iter().product();
    let values: Vec<f64> = (0..count)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            z * std
        })
        .collect();
    Tensor::from_slice(&values)
        .view(shape)
        .to_kind(kind)
        .to_device(device)
}

impl Net {
    /// A freshly initialized network from the seeded stream `seed` (identical across runs).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: ModelKind,
        norm: NormChoice,
        head: HeadChoice,
        eps: f64,
        channels: i64,
        classes: i64,
        seed: u64,
        kind: Kind,
        device: Device,
    ) -> Net {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut weights = Vec::new();
        let mut stats = Vec::new();
        // Weights are named in the calls for the reader; their order is the checkpoint order.
        let mut add = |_name: String, shape: &[i64], rng: &mut ChaCha8Rng| {
            weights.push(kaiming(rng, shape, kind, device).set_requires_grad(true));
            weights.len() - 1
        };
        let mut norm_layer = |c: i64| {
            stats.push((
                Tensor::zeros([c], (kind, device)),
                Tensor::ones([c], (kind, device)),
            ));
            stats.len() - 1
        };
        let mut blocks = Vec::new();
        let mut convs = Vec::new();
        let (stem, final_norm, features) = match model {
            ModelKind::PreResNet { depth } => {
                let n = (depth - 2) / 6;
                let stem = add("stem".into(), &[16, channels, 3, 3], &mut rng);
                let mut width = 16;
                for (s, out) in [16i64, 32, 64].into_iter().enumerate() {
                    for b in 0..n {
                        let stride = if s > 0 && b == 0 { 2 } else { 1 };
                        let norm1 = norm_layer(width);
                        let conv1 = add(
                            format!("stage{s}.block{b}.conv1"),
                            &[out, width, 3, 3],
                            &mut rng,
                        );
                        let norm2 = norm_layer(out);
                        let conv2 = add(
                            format!("stage{s}.block{b}.conv2"),
                            &[out, out, 3, 3],
                            &mut rng,
                        );
                        let projection = (width != out || stride != 1).then(|| {
                            add(
                                format!("stage{s}.block{b}.shortcut"),
                                &[out, width, 1, 1],
                                &mut rng,
                            )
                        });
                        blocks.push(Block {
                            conv1,
                            conv2,
                            projection,
                            stride,
                            norm1,
                            norm2,
                        });
                        width = out;
                    }
                }
                (stem, norm_layer(64), 64)
            }
            ModelKind::ConvNet => {
                let mut width = channels;
                for (i, (out, stride)) in [(16i64, 1i64), (32, 2), (64, 2)].into_iter().enumerate()
                {
                    let w = add(format!("conv{i}"), &[out, width, 3, 3], &mut rng);
                    convs.push((w, stride, norm_layer(out)));
                    width = out;
                }
                (usize::MAX, usize::MAX, 64)
            }
        };
        // N(0, 1/features) entries, from the same stream for every head.
        let values: Vec<f64> = (0..classes * features)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                z / (features as f64).sqrt()
            })
            .collect();
        let matrix = Tensor::from_slice(&values)
            .view([classes, features])
            .to_kind(kind)
            .to_device(device);
        let head = match head {
            HeadChoice::Frozen => Head::Frozen(matrix),
            HeadChoice::Normalized { temperature } => {
                weights.push(matrix.set_requires_grad(true));
                Head::Normalized {
                    index: weights.len() - 1,
                    temperature,
                }
            }
            HeadChoice::Batch { temperature } => {
                weights.push(matrix.set_requires_grad(true));
                stats.push((
                    Tensor::zeros([classes], (kind, device)),
                    Tensor::ones([classes], (kind, device)),
                ));
                Head::Batch {
                    index: weights.len() - 1,
                    norm: stats.len() - 1,
                    temperature,
                }
            }
        };
        Net {
            weights,
            stats,
            head,
            stem,
            blocks,
            convs,
            final_norm,
            model,
            norm,
            eps,
            kind,
            compute: None,
            loss_scale: None,
            channels_last: false,
        }
    }

    /// The precision policy and memory order: convolutions in bf16/fp16 on casts of the f32
    /// master weights (gradients flow back to the master through the cast), and 4-D weights and
    /// inputs in channels-last order. The update keeps the master weights' order (in-place).
    pub fn with_policy(mut self, autocast: Autocast, last: bool) -> Net {
        self.compute = match autocast {
            Autocast::Off => None,
            Autocast::Bf16 => Some(Kind::BFloat16),
            Autocast::Fp16 => Some(Kind::Half),
        };
        self.loss_scale = (autocast == Autocast::Fp16).then_some(Autocast::FP16_LOSS_SCALE);
        self.channels_last = last;
        if last {
            for w in &mut self.weights {
                if w.dim() == 4 {
                    *w = channels_last(&w.detach()).set_requires_grad(true);
                }
            }
        }
        self
    }

    /// The factor the loss is multiplied by before the backward pass (fp16 only).
    pub fn loss_scale(&self) -> Option<f64> {
        self.loss_scale
    }

    /// BatchNorm without affine parameters, with the running statistics `stats[layer]`.
    fn batch_norm(&self, x: &Tensor, layer: usize, train: bool) -> Tensor {
        let (mean, var) = &self.stats[layer];
        x.batch_norm(
            None::<&Tensor>,
            None::<&Tensor>,
            Some(mean),
            Some(var),
            train,
            0.1,
            self.eps,
            false,
        )
    }

    fn normalize(&self, x: &Tensor, layer: usize, train: bool) -> Tensor {
        // In the master kind under every policy (a no-op without --autocast).
        let x = &x.to_kind(self.kind);
        match self.norm {
            NormChoice::Batch => self.batch_norm(x, layer, train),
            NormChoice::Group(groups) => x.group_norm(
                groups as i64,
                None::<&Tensor>,
                None::<&Tensor>,
                self.eps,
                false,
            ),
            NormChoice::Layer => x.group_norm(1, None::<&Tensor>, None::<&Tensor>, self.eps, false),
        }
    }

    fn conv(&self, x: &Tensor, w: usize, stride: i64) -> Tensor {
        let k = self.weights[w].size()[2];
        let (x, weight) = match self.compute {
            Some(kind) => (x.to_kind(kind), self.weights[w].to_kind(kind)),
            None => (x.shallow_clone(), self.weights[w].shallow_clone()),
        };
        x.conv2d(
            &weight,
            None::<&Tensor>,
            [stride, stride],
            [k / 2, k / 2],
            [1, 1],
            1,
        )
    }

    /// Logits for a batch [n, c, h, w]; `train` uses batch statistics and updates the running ones.
    pub fn forward(&self, x: &Tensor, train: bool) -> Tensor {
        let x = &if self.channels_last {
            channels_last(x)
        } else {
            x.shallow_clone()
        };
        let features = match self.model {
            ModelKind::PreResNet { .. } => {
                let mut out = self.conv(x, self.stem, 1);
                for b in &self.blocks {
                    let pre = relu(self.normalize(&out, b.norm1, train));
                    let shortcut = match b.projection {
                        Some(p) => self.conv(&pre, p, b.stride),
                        None => out.shallow_clone(),
                    };
                    let h = self.conv(&pre, b.conv1, b.stride);
                    let h = relu(self.normalize(&h, b.norm2, train));
                    out = self.conv(&h, b.conv2, 1) + shortcut;
                }
                relu(self.normalize(&out, self.final_norm, train))
            }
            ModelKind::ConvNet => {
                let mut out = x.shallow_clone();
                for &(w, stride, n) in &self.convs {
                    out = relu(self.normalize(&self.conv(&out, w, stride), n, train));
                }
                out
            }
        };
        let pooled = features.mean_dim([2i64, 3].as_slice(), false, None::<Kind>);
        match &self.head {
            Head::Frozen(matrix) => pooled.matmul(&matrix.tr()),
            Head::Normalized { index, temperature } => {
                let w = &self.weights[*index];
                let unit = w / w.square().sum(w.kind()).sqrt();
                pooled.matmul(&unit.tr()) * *temperature
            }
            Head::Batch {
                index,
                norm,
                temperature,
            } => {
                self.batch_norm(&pooled.matmul(&self.weights[*index].tr()), *norm, train)
                    * *temperature
            }
        }
    }

    /// Multiplies every weight by c and the running statistics accordingly (mean by c, variance
    /// by c²): the network computes the same function (docs/MATH.md L6).
    pub fn scale(&mut self, c: f64) {
        tch::no_grad(|| {
            for w in &mut self.weights {
                let scaled = &*w * c;
                w.copy_(&scaled);
            }
            for (m, v) in &mut self.stats {
                let (sm, sv) = (&*m * c, &*v * (c * c));
                m.copy_(&sm);
                v.copy_(&sv);
            }
        });
    }

    /// All weights as one f64 vector, on the host.
    pub fn flat(&self) -> Vec<f64> {
        Vec::<f64>::try_from(&flat_f64(&self.weights).to_device(Device::Cpu)).unwrap_or_default()
    }

    /// ‖w‖² of each weight tensor.
    pub fn norms_sq(&self) -> Vec<f64> {
        self.weights
            .iter()
            .map(|w| {
                w.detach()
                    .to_kind(Kind::Double)
                    .square()
                    .sum(Kind::Double)
                    .double_value(&[])
            })
            .collect()
    }

    /// Number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        self.weights.iter().map(|w| w.numel()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (loss, ⟨∇_w L, w⟩ per weight tensor) on one batch in f64 with ε = 0.
    fn loss_and_radial(net: &Net, x: &Tensor, y: &Tensor) -> (f64, Vec<f64>) {
        for w in &net.weights {
            let mut w = w.shallow_clone();
            w.zero_grad();
        }
        let loss = net.forward(x, true).cross_entropy_for_logits(y);
        loss.backward();
        let radial = net
            .weights
            .iter()
            .map(|w| (w.grad() * w).sum(Kind::Double).double_value(&[]))
            .collect();
        (loss.double_value(&[]), radial)
    }

    /// Every head keeps the loss scale invariant in f64 with ε = 0: ⟨∇L, w⟩ = 0 for the head's
    /// own weight and per ConvNet layer, for all of PreResNet's convolutions together (to
    /// rounding: |Σ⟨∇L, w⟩| ≤ 1e-12·Σ‖∇L‖‖w‖), and the loss is unchanged when the head alone, or
    /// every weight, is scaled by 7 (to 1e-12 relative). The frozen head has no trainable head
    /// weight. Control: the same W as a plain product f·Wᵀ is not invariant (the loss moves by
    /// more than 1e-3 under the same scaling); and removing the head's normalization makes this
    /// test fail (checked by hand: ConvNet head radial 8.4 vs size 65.5).
    #[test]
    fn heads_keep_the_loss_scale_invariant() {
        let x = Tensor::randn([16, 3, 8, 8], (Kind::Double, Device::Cpu));
        let y = Tensor::from_slice(&(0..16).map(|i| i % 10).collect::<Vec<i64>>());
        for head in [
            HeadChoice::Normalized { temperature: 16.0 },
            HeadChoice::Batch { temperature: 4.0 },
            HeadChoice::Frozen,
        ] {
            for model in [ModelKind::ConvNet, ModelKind::PreResNet { depth: 8 }] {
                let mut net = Net::new(
                    model,
                    NormChoice::Batch,
                    head,
                    0.0,
                    3,
                    10,
                    5,
                    Kind::Double,
                    Device::Cpu,
                );
                let (loss, radial) = loss_and_radial(&net, &x, &y);
                let sizes: Vec<f64> = net
                    .weights
                    .iter()
                    .map(|w| {
                        let g = w.grad().square().sum(Kind::Double).double_value(&[]).sqrt();
                        let n = w.square().sum(Kind::Double).double_value(&[]).sqrt();
                        g * n
                    })
                    .collect();
                let trainable_head = !matches!(head, HeadChoice::Frozen);
                let head_index = net.weights.len() - 1;
                // The ConvNet is invariant per layer; PreResNet in all convolutions together.
                let groups: Vec<Vec<usize>> = match model {
                    ModelKind::ConvNet => (0..net.weights.len()).map(|i| vec![i]).collect(),
                    ModelKind::PreResNet { .. } => {
                        let convs = if trainable_head {
                            head_index
                        } else {
                            net.weights.len()
                        };
                        let mut g = vec![(0..convs).collect::<Vec<_>>()];
                        if trainable_head {
                            g.push(vec![head_index]);
                        }
                        g
                    }
                };
                for group in groups {
                    let sum: f64 = group.iter().map(|&i| radial[i]).sum();
                    let size: f64 = group.iter().map(|&i| sizes[i]).sum();
                    assert!(
                        sum.abs() <= 1e-12 * size,
                        "{head:?} {model:?} {group:?}: {sum:e} vs {size:e}"
                    );
                }
                if trainable_head {
                    tch::no_grad(|| {
                        let scaled = &net.weights[head_index] * 7.0;
                        net.weights[head_index].copy_(&scaled);
                    });
                    let (scaled_loss, _) = loss_and_radial(&net, &x, &y);
                    assert!(((scaled_loss - loss) / loss).abs() < 1e-12, "{head:?}");
                    // Control: the raw product f·Wᵀ with the same W is no invariant head.
                    let pooled = Tensor::randn([4, 64], (Kind::Double, Device::Cpu)).relu();
                    let w = &net.weights[head_index];
                    let labels = Tensor::from_slice(&[1i64, 2, 3, 4]);
                    let plain = |c: f64| {
                        pooled
                            .matmul(&(w * c).tr())
                            .cross_entropy_for_logits(&labels)
                            .double_value(&[])
                    };
                    assert!(((plain(7.0) - plain(1.0)) / plain(1.0)).abs() > 1e-3);
                }
                net.scale(7.0);
                let (all_scaled, _) = loss_and_radial(&net, &x, &y);
                // The whole-network scaling: BN's batch statistics absorb it exactly in real
                // arithmetic; in f64 to rounding.
                assert!(
                    ((all_scaled - loss) / loss).abs() < 1e-12,
                    "{head:?} {model:?}"
                );
            }
        }
    }
    /// The precision policies on the CPU. Channels-last changes only the memory order: the 4-D
    /// weights are NHWC-strided (channel stride 1) and the logits equal the default layout's to f32
    /// summation-order rounding (within 1e-5 of their norm; measured 8.8e-7). bf16 convolutions:
    /// logits within 3% of the f32 ones in norm (bf16 keeps 8 significant bits, 0.39% a rounding,
    /// and the input and weight of each of the 7 convolutions are rounded; measured 1.5%), the
    /// gradients reach the f32 master weights finite; the
    /// control: the same comparison at f32's bound 1e-5 must fail, so the bf16 path really ran in
    /// bf16. fp16 carries its loss scale.
    #[test]
    fn precision_policies_keep_the_master_weights() {
        let x = Tensor::randn([8, 3, 8, 8], (Kind::Float, Device::Cpu));
        let y = Tensor::from_slice(&(0..8).map(|i| i % 10).collect::<Vec<i64>>());
        let make = |autocast, last| {
            Net::new(
                ModelKind::PreResNet { depth: 8 },
                NormChoice::Batch,
                HeadChoice::Batch { temperature: 1.0 },
                1e-5,
                3,
                10,
                3,
                Kind::Float,
                Device::Cpu,
            )
            .with_policy(autocast, last)
        };
        let reference = make(Autocast::Off, false);
        let base = reference.forward(&x, true);
        let size = base.norm().double_value(&[]);
        let gap = |other: &Tensor| (other - &base).norm().double_value(&[]);
        let last = make(Autocast::Off, true);
        for w in last.weights.iter().filter(|w| w.dim() == 4) {
            assert_eq!(w.stride()[1], 1, "channels-last weight {:?}", w.stride());
        }
        let logits = last.forward(&x, true);
        assert!(gap(&logits) <= 1e-5 * size, "{} vs {size}", gap(&logits));
        let bf16 = make(Autocast::Bf16, false);
        let low = bf16.forward(&x, true);
        assert_eq!(low.kind(), Kind::Float);
        assert!(gap(&low) <= 3e-2 * size, "{} vs {size}", gap(&low));
        assert!(gap(&low) > 1e-5 * size, "bf16 ran in f32: {}", gap(&low));
        low.cross_entropy_for_logits(&y).backward();
        for w in &bf16.weights {
            let g = w.grad();
            assert_eq!(g.kind(), Kind::Float);
            assert!(g.isfinite().all().int64_value(&[]) == 1);
        }
        assert!(bf16.loss_scale().is_none());
        assert!(make(Autocast::Fp16, false)
            .loss_scale()
            .is_some_and(|s| s.to_bits() == 1024f64.to_bits()));
    }
}
