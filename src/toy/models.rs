//! The toy's models for each regime, and the analytic stability limit of their optimum.

use crate::loss::{LogisticPopulation, LogisticSample, Objective, Quadratic, Rayleigh};
use crate::scalar::{Field, Real};

use super::Regime;

/// Where the toy's data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ToyData {
    /// Infinite data: Gaussian expectations by quadrature.
    Population,
    /// `samples` seeded points.
    Sample { samples: usize, seed: u64 },
}

/// A regime's model, boxed so the four can share one loop.
pub type RegimeModel<T> = (Regime, Box<dyn Objective<T>>);

/// The logistic toy for each regime (floats only: it needs exp, ln and √).
pub fn logistic_models<T: Real>(data: &ToyData, dim: usize) -> Vec<RegimeModel<T>> {
    Regime::ALL
        .iter()
        .map(|&regime| {
            let model: Box<dyn Objective<T>> = match data {
                ToyData::Population => Box::new(LogisticPopulation::new(dim, regime.normalized())),
                ToyData::Sample { samples, seed } => Box::new(LogisticSample::new(
                    dim,
                    *samples,
                    *seed,
                    regime.normalized(),
                )),
            };
            (regime, model)
        })
        .collect()
}

/// 2(1+γ)/ℓ''(0) for the logistic toy, from the population curvature (the sample form is compared
/// with the same analytic limit).
pub fn logistic_stability_limit<T: Real>(momentum: &T) -> T {
    let curvature = LogisticPopulation::<T>::new(2, true).curvature_at_optimum();
    T::from_int(2) * (T::one() + momentum.clone()) / curvature
}

/// The rational companion toy: w₁²/‖w‖² with BN, w₁² without (any arithmetic, exact included).
pub fn quadratic_models<T: Field>(dim: usize) -> Vec<RegimeModel<T>> {
    Regime::ALL
        .iter()
        .map(|&regime| {
            let model: Box<dyn Objective<T>> = if regime.normalized() {
                Box::new(Rayleigh::normalized_quadratic(dim))
            } else {
                Box::new(Quadratic::first_coordinate(dim))
            };
            (regime, model)
        })
        .collect()
}

/// ℓ(φ) = cos²φ has ℓ'' = 2 at its optimum φ = 90°, so the limit is 2(1+γ)/2 = 1 + γ.
pub fn quadratic_stability_limit<T: Field>(momentum: &T) -> T {
    T::one() + momentum.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/MATH.md §5: the limit with momentum is 2(1+γ)/ℓ''(0) = 2(1+γ)√(2π) (ℓ''(0) = 1/√(2π)
    /// by integration by parts); a (1−γ) slip would give 2√(2π)·0.5 at γ = 0.5 and be caught.
    #[test]
    fn stability_limit_with_momentum_is_two_one_plus_gamma_sqrt_two_pi() {
        for gamma in [0.0, 0.5, 0.8] {
            let golden = 2.0 * (1.0 + gamma) * (2.0 * std::f64::consts::PI).sqrt();
            let limit = logistic_stability_limit(&gamma);
            assert!(
                (limit / golden - 1.0).abs() < 1e-12,
                "{gamma}: {limit} vs {golden}"
            );
        }
    }

    /// The companion toy ℓ(φ) = cos²φ has ℓ'' = 2 at φ = 90°, so 2(1+γ)/2 = 1 + γ.
    #[allow(clippy::float_cmp)] // 1 + γ is one rounded addition, as is the literal
    #[test]
    fn quadratic_limit_is_one_plus_gamma() {
        assert_eq!(quadratic_stability_limit(&0.0), 1.0);
        assert_eq!(quadratic_stability_limit(&0.5), 1.5);
        assert_eq!(quadratic_stability_limit(&0.9), 1.9);
    }
}
