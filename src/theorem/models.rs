//! The models the theorems are checked on, by name, with their θ₀.

use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::linalg::Vector;
use crate::loss::{LogisticPopulation, LogisticSample, Objective, Rayleigh};
use crate::nets::{ConvNet, Dataset, Head, Mlp, NormKind};
use crate::scalar::{Field, Real};

/// A model of the suite (`--model`, by its [`ModelName::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelName {
    /// wᵀAw/wᵀw, d = 5, integer A (rational).
    Rayleigh,
    /// w₁²/‖w‖² (rational).
    ToyQuadratic,
    /// The paper's toy, population form with BN.
    ToyPopulation,
    /// The paper's toy, 64 seeded points with BN.
    ToySample,
    /// MLP 4-8-6-3 with BatchNorm.
    MlpBn,
    /// MLP with LayerNorm.
    MlpLn,
    /// MLP with GroupNorm (2 groups).
    MlpGn,
    /// Conv net 4×4 → 3 → 4 channels with BatchNorm.
    ConvBn,
    /// Conv net with InstanceNorm.
    ConvIn,
    /// MLP-BN with a trainable output layer: not scale invariant (negative control).
    MlpBnTrainableHead,
}

impl ModelName {
    /// The suite's models (the negative-control model is added by the suite).
    pub const ALL: [ModelName; 9] = [
        ModelName::Rayleigh,
        ModelName::ToyQuadratic,
        ModelName::ToyPopulation,
        ModelName::ToySample,
        ModelName::MlpBn,
        ModelName::MlpLn,
        ModelName::MlpGn,
        ModelName::ConvBn,
        ModelName::ConvIn,
    ];

    /// Command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            ModelName::Rayleigh => "rayleigh",
            ModelName::ToyQuadratic => "toy-quadratic",
            ModelName::ToyPopulation => "toy-population",
            ModelName::ToySample => "toy-sample",
            ModelName::MlpBn => "mlp-bn",
            ModelName::MlpLn => "mlp-ln",
            ModelName::MlpGn => "mlp-gn",
            ModelName::ConvBn => "conv-bn",
            ModelName::ConvIn => "conv-in",
            ModelName::MlpBnTrainableHead => "mlp-bn-trainable-head",
        }
    }

    /// Whether the model is rational (runs in exact arithmetic).
    pub fn rational(&self) -> bool {
        matches!(self, ModelName::Rayleigh | ModelName::ToyQuadratic)
    }

    /// Whether the model is scale invariant.
    pub fn scale_invariant(&self) -> bool {
        !matches!(self, ModelName::MlpBnTrainableHead)
    }
}

/// A model with its θ₀.
pub struct Built<T: Field> {
    /// The loss.
    pub model: Box<dyn Objective<T>>,
    /// θ₀.
    pub theta0: Vector<T>,
}

/// θ₀ with entries k/4, k ∈ [−6, 6] from a seeded stream (exact in every arithmetic).
fn rational_init<T: Field>(dim: usize, seed: u64) -> Vector<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5448_4554);
    let mut v: Vec<i64> = (0..dim).map(|_| rng.random_range(-6..=6)).collect();
    if v.iter().all(|&x| x == 0) {
        v[0] = 1;
    }
    Vector::from_iterator(dim, v.into_iter().map(|k| T::from_ratio(k, 4)))
}

fn rayleigh<T: Field>(seed: u64) -> Built<T> {
    Built {
        model: Box::new(Rayleigh::random(5, seed)),
        theta0: rational_init(5, seed),
    }
}

fn toy_quadratic<T: Field>() -> Built<T> {
    Built {
        model: Box::new(Rayleigh::normalized_quadratic(2)),
        theta0: Vector::from_vec(vec![T::from_int(1), T::from_int(2)]),
    }
}

/// The rational models, in any field arithmetic; None for models that need √, exp or ln.
pub fn build_rational<T: Field>(name: ModelName, seed: u64) -> Option<Built<T>> {
    match name {
        ModelName::Rayleigh => Some(rayleigh(seed)),
        ModelName::ToyQuadratic => Some(toy_quadratic()),
        _ => None,
    }
}

fn blobs(seed: u64) -> Dataset {
    Dataset::gaussian_blobs(64, 4, 3, 16, seed)
}

fn mlp<T: Real>(norm: NormKind, head: Head, seed: u64) -> Built<T> {
    let net = Mlp::new(blobs(seed), vec![8, 6], norm, head);
    let theta0 = net.init_params(seed);
    Built {
        model: Box::new(net),
        theta0,
    }
}

fn conv<T: Real>(norm: NormKind, seed: u64) -> Built<T> {
    let net = ConvNet::new(Dataset::gaussian_blobs(24, 16, 3, 8, seed), 4, (3, 4), norm);
    let theta0 = net.init_params(seed);
    Built {
        model: Box::new(net),
        theta0,
    }
}

/// Any model in a real arithmetic.
pub fn build<T: Real>(name: ModelName, seed: u64) -> Built<T> {
    match name {
        ModelName::Rayleigh => rayleigh(seed),
        ModelName::ToyQuadratic => toy_quadratic(),
        ModelName::ToyPopulation => Built {
            model: Box::new(LogisticPopulation::new(2, true)),
            theta0: Vector::from_vec(vec![T::from_int(1), T::from_int(1)]),
        },
        ModelName::ToySample => Built {
            model: Box::new(LogisticSample::new(3, 64, seed, true)),
            theta0: rational_init(3, seed),
        },
        ModelName::MlpBn => mlp(NormKind::Batch, Head::Frozen, seed),
        ModelName::MlpLn => mlp(NormKind::Layer, Head::Frozen, seed),
        ModelName::MlpGn => mlp(NormKind::Group(2), Head::Frozen, seed),
        ModelName::ConvBn => conv(NormKind::Batch, seed),
        ModelName::ConvIn => conv(NormKind::Instance, seed),
        ModelName::MlpBnTrainableHead => mlp(NormKind::Batch, Head::Trainable, seed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::{ratio, Rational};

    /// Only the Rayleigh quotient and the rational toy have exact forms, and both build.
    #[test]
    fn the_rational_models_are_exactly_two() {
        for name in ModelName::ALL {
            let rational = matches!(name, ModelName::Rayleigh | ModelName::ToyQuadratic);
            assert_eq!(name.rational(), rational, "{name:?}");
            assert_eq!(
                build_rational::<Rational>(name, 0).is_some(),
                rational,
                "{name:?}"
            );
        }
        let toy = build_rational::<Rational>(ModelName::ToyQuadratic, 0).unwrap();
        assert_eq!(toy.theta0.as_slice(), &[ratio(1, 1), ratio(2, 1)]);
        assert!(toy.model.name().starts_with("normalized-quadratic"));
    }

    /// θ₀ of the Rayleigh check: entries k/4 with k ∈ [−6, 6] from the seed's stream — pinned for
    /// seed 0 (the values every golden number of the exact suite was computed from) and
    /// different for another seed; an all-zero draw is replaced by e₁.
    #[test]
    fn rational_init_is_seeded_and_nonzero() {
        // Seeds 0 and 4: 4 shares a bit with the salt, so `seed ^ salt` and `seed | salt` differ.
        for seed in [0u64, 4] {
            let v: Vector<Rational> = rational_init(5, seed);
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5448_4554);
            let k: Vec<i64> = (0..5).map(|_| rng.random_range(-6..=6)).collect();
            assert!(k.iter().any(|&k| k != 0));
            let expected: Vec<Rational> = k.iter().map(|&k| ratio(k, 4)).collect();
            assert_eq!(v.as_slice(), expected.as_slice(), "seed {seed}");
        }
        let v: Vector<Rational> = rational_init(5, 0);
        let other: Vector<Rational> = rational_init(5, 1);
        assert_ne!(v, other);
        // A one-dimensional draw of 0 is replaced by e₁ (find a seed that draws 0 first).
        let seed = (0u64..10_000)
            .find(|&s| {
                let mut rng = ChaCha8Rng::seed_from_u64(s ^ 0x5448_4554);
                rng.random_range(-6i64..=6) == 0
            })
            .unwrap();
        let one: Vector<Rational> = rational_init(1, seed);
        assert_eq!(one.as_slice(), &[ratio(1, 4)]);
    }
}
