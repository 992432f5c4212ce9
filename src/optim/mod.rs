//! Stochastic gradient descent with momentum and weight decay, in two named conventions.
//!
//! Code names map to the paper's symbols once: `lr` = η_t, `weight_decay` = λ_t, `momentum` = γ,
//! `buffer` = v_t, `params` = θ_t.

pub mod adam;
pub mod nesterov;
mod schedule;
mod sgd;
pub mod shadow;

pub use schedule::{check_milestones, LrSchedule, Schedule};
pub use sgd::{Convention, Sgd, SgdState};
