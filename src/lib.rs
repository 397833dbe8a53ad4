//! PruneLab: train an MNIST MLP on the visitor's GPU (WebGPU through burn), prune it, and report
//! honestly what it costs. The modules are layers, from pure to web; each imports only from its
//! own layer or those above it in this list (`tests/layers.rs` keeps it so, see
//! `docs/architecture.md`).

pub mod data;
#[cfg(feature = "webgpu")]
pub mod engine;
pub mod kernels;
pub mod measure;
pub mod model;
pub mod protocol;
pub mod prune;
pub mod train;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;

/// Text that is a literal when the engine writes it and owned when it arrives as a message.
pub type Text = std::borrow::Cow<'static, str>;
