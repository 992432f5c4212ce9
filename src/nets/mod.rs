//! Small normalized networks in pure Rust, generic over the arithmetic, with hand-written backward
//! passes (checked against finite differences in the tests).
//!
//! Every trainable weight feeds a normalization without affine parameters (ε = 0) and the output
//! layer is frozen at its initialization, so the minibatch loss is scale invariant in θ (docs/MATH.md §2).
//! A trainable head ([`Head::Trainable`]) breaks that on purpose: it is a negative control.

mod conv;
mod data;
mod head;
mod mlp;
mod norm;

pub use conv::ConvNet;
pub use data::Dataset;
pub use head::Head;
pub use mlp::Mlp;
pub use norm::{norm_backward, norm_forward, NormKind};
