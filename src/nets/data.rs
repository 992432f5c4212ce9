//! A seeded synthetic classification dataset and its fixed minibatches.
//!
//! K classes with means μ_k ~ N(0, 4I) and points x = μ_y + N(0, I), drawn from a ChaCha8
//! stream; points are cut into consecutive minibatches in a seeded random order, and every run
//! that is compared uses the same batches in the same order (batch t mod B at step t).

use rand::seq::SliceRandom;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Points (as f64; converted exactly into the run's arithmetic by the models) and labels.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Feature vectors, each of length `features`.
    pub inputs: Vec<Vec<f64>>,
    /// Labels in 0..classes.
    pub labels: Vec<usize>,
    /// Feature count.
    pub features: usize,
    /// Class count.
    pub classes: usize,
    /// Indices of each minibatch.
    pub batches: Vec<Vec<usize>>,
    /// The seed.
    pub seed: u64,
}

impl Dataset {
    /// `points` points in `features` dimensions, `classes` classes, minibatches of `batch`.
    pub fn gaussian_blobs(
        points: usize,
        features: usize,
        classes: usize,
        batch: usize,
        seed: u64,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let classes = classes.max(2);
        let means: Vec<Vec<f64>> = (0..classes)
            .map(|_| {
                (0..features)
                    .map(|_| {
                        let x: f64 = StandardNormal.sample(&mut rng);
                        2.0 * x
                    })
                    .collect()
            })
            .collect();
        let mut inputs = Vec::with_capacity(points);
        let mut labels = Vec::with_capacity(points);
        for i in 0..points {
            let y = i % classes;
            let x: Vec<f64> = means[y]
                .iter()
                .map(|m| {
                    let noise: f64 = StandardNormal.sample(&mut rng);
                    m + noise
                })
                .collect();
            inputs.push(x);
            labels.push(y);
        }
        let mut order: Vec<usize> = (0..points).collect();
        order.shuffle(&mut rng);
        let batch = batch.clamp(2, points.max(2));
        let batches = order
            .chunks(batch)
            .filter(|c| c.len() >= 2)
            .map(|c| c.to_vec())
            .collect();
        Dataset {
            inputs,
            labels,
            features,
            classes,
            batches,
            seed,
        }
    }
}
