//! The model: the MLP of the TFMOT pruning tutorial as a burn module, its weights as host
//! arrays (what pruning, the kernels and the files work on), the names of the models a run
//! makes, and the files they are exported as.

#[cfg(feature = "engine")]
pub mod batch;
#[cfg(feature = "engine")]
pub mod export;
pub mod kind;
#[cfg(feature = "engine")]
pub mod mlp;
pub mod weights;

#[cfg(feature = "engine")]
pub use mlp::Mlp;

/// MNIST's ten digits: the output layer's width.
pub const CLASSES: usize = 10;
