//! Normalization without affine parameters, ε = 0, as one grouped operation.
//!
//! Activations are laid out [n][c][s] (sample, channel, spatial position). Each element belongs
//! to a group; BN groups by channel (over samples and positions), LN by sample, GN by sample and
//! channel block, IN by sample and channel:
//!
//! ```text
//!     μ_g = mean_{i∈g} z_i,  σ_g² = mean_{i∈g} (z_i − μ_g)²,  h_i = (z_i − μ_g)/σ_g
//!     ∂L/∂z_i = (δ_i − mean_g δ − h_i · mean_g(δ∘h)) / σ_g,  δ = ∂L/∂h
//! ```
//!
//! Scaling z by c > 0 leaves h unchanged, which is what makes the weights before it scale free.

use crate::scalar::Real;

/// Which normalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormKind {
    /// Batch norm: statistics per channel over the batch (and positions).
    Batch,
    /// Layer norm: per sample over all channels and positions.
    Layer,
    /// Group norm with this many groups: per sample over a block of channels.
    Group(usize),
    /// Instance norm: per sample and channel over positions.
    Instance,
}

impl NormKind {
    /// `bn`, `ln`, `gn`, `in`.
    pub fn short(&self) -> &'static str {
        match self {
            NormKind::Batch => "bn",
            NormKind::Layer => "ln",
            NormKind::Group(_) => "gn",
            NormKind::Instance => "in",
        }
    }

    fn group(&self, n: usize, c: usize, channels: usize) -> usize {
        match *self {
            NormKind::Batch => c,
            NormKind::Layer => n,
            NormKind::Group(groups) => {
                let per = channels.div_ceil(groups.max(1));
                n * groups.max(1) + c / per.max(1)
            }
            NormKind::Instance => n * channels + c,
        }
    }
}

/// The normalized values and what the backward pass needs.
#[derive(Debug, Clone)]
pub struct NormCache<T> {
    h: Vec<T>,
    group: Vec<usize>,
    sigma: Vec<T>,
    count: Vec<usize>,
}

impl<T> NormCache<T> {
    /// h = normalize(z).
    pub fn h(&self) -> &[T] {
        &self.h
    }
}

/// h = normalize(z) for z of shape [n][c][s] (in [`NormCache::h`]). Operands are taken by
/// reference (`add_assign_ref`, …): at a few hundred bits each copy is an allocation.
pub fn norm_forward<T: Real>(
    z: &[T],
    shape: (usize, usize, usize),
    kind: NormKind,
) -> NormCache<T> {
    let (samples, channels, positions) = shape;
    let mut group = Vec::with_capacity(z.len());
    for n in 0..samples {
        for c in 0..channels {
            let g = kind.group(n, c, channels);
            group.extend(std::iter::repeat_n(g, positions));
        }
    }
    let groups = group.iter().copied().max().map_or(0, |g| g + 1);
    let mut count = vec![0usize; groups];
    let mut sum = vec![T::zero(); groups];
    for (zi, &g) in z.iter().zip(&group) {
        sum[g].add_assign_ref(zi);
        count[g] += 1;
    }
    let mean: Vec<T> = sum
        .into_iter()
        .zip(&count)
        .map(|(s, &k)| s / T::from_int(k.max(1) as i64))
        .collect();
    let mut var = vec![T::zero(); groups];
    for (zi, &g) in z.iter().zip(&group) {
        let mut d = zi.clone();
        d.sub_assign_ref(&mean[g]);
        var[g].add_product(&d, &d);
    }
    let sigma: Vec<T> = var
        .into_iter()
        .zip(&count)
        .map(|(v, &k)| (v / T::from_int(k.max(1) as i64)).sqrt())
        .collect();
    let h: Vec<T> = z
        .iter()
        .zip(&group)
        .map(|(zi, &g)| {
            let mut h = zi.clone();
            h.sub_assign_ref(&mean[g]);
            h.div_assign_ref(&sigma[g]);
            h
        })
        .collect();
    NormCache {
        h,
        group,
        sigma,
        count,
    }
}

/// ∂L/∂z from ∂L/∂h.
pub fn norm_backward<T: Real>(dh: &[T], cache: &NormCache<T>) -> Vec<T> {
    let groups = cache.sigma.len();
    let mut mean_d = vec![T::zero(); groups];
    let mut mean_dh = vec![T::zero(); groups];
    for ((d, h), &g) in dh.iter().zip(&cache.h).zip(&cache.group) {
        mean_d[g].add_assign_ref(d);
        mean_dh[g].add_product(d, h);
    }
    for g in 0..groups {
        let k = T::from_int(cache.count[g].max(1) as i64);
        mean_d[g].div_assign_ref(&k);
        mean_dh[g].div_assign_ref(&k);
    }
    dh.iter()
        .zip(&cache.h)
        .zip(&cache.group)
        .map(|((d, h), &g)| {
            // (d − mean δ − h·mean(δ∘h)) / σ, in that order.
            let mut r = d.clone();
            r.sub_assign_ref(&mean_d[g]);
            r.sub_assign_ref(&h.mul_ref(&mean_dh[g]));
            r.div_assign_ref(&cache.sigma[g]);
            r
        })
        .collect()
}
