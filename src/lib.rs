//! explr: checks, to the last digit, that weight decay + normalization + a learning-rate schedule
//! is the same as an exponentially growing learning rate without weight decay (Li & Arora,
//! ICLR 2020), and simulates the paper's toy example.
//!
//! Data flows one way: [`scalar`] → [`linalg`] → [`loss`] → [`optim`] → [`sim`] → [`toy`] →
//! [`plot`]; only the binary prints.

#![deny(clippy::float_cmp)]

pub mod budget;
pub mod cli;
pub mod convert;
pub mod error;
pub mod files;
pub mod linalg;
pub mod loss;
pub mod nets;
pub mod optim;
pub mod plot;
pub mod scalar;
pub mod sim;
pub mod theorem;
pub mod toy;
pub mod train;

pub use error::{Error, Result};
