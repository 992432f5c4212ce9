//! The theorem verifier: docs/MATH.md §2–§3 as verdicts.

pub mod claim;
pub mod equivalence;
pub mod figure;
pub mod identities;
pub mod laws;
pub mod models;
pub mod optimizers;
pub mod registry;
pub mod suite;
