//! The build without libtorch: `verify train` says how to get it.

use super::{EquivalenceReport, Optimizer, TrainConfig, TrainReport, Trainer};
use crate::error::{Error, Result};

/// No backend.
pub struct Missing;

fn missing() -> Error {
    Error::unsupported(
        "verify train",
        "this build",
        "needs the `tch` feature: bash scripts/libtorch.sh; eval \"$(bash scripts/libtorch.sh --env)\"; cargo run --release --features tch -- train",
    )
}

impl Trainer for Missing {
    fn train(&self, _: &TrainConfig, _: &mut dyn FnMut(&str, usize, usize)) -> Result<TrainReport> {
        Err(missing())
    }
    fn check_equivalence(
        &self,
        _: usize,
        _: u64,
        _: bool,
        _: Optimizer,
    ) -> Result<EquivalenceReport> {
        Err(missing())
    }
    fn sgd_step(
        &self,
        _: &[f64],
        _: &[f64],
        _: &[f64],
        _: f64,
        _: f64,
        _: f64,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        Err(missing())
    }
}
