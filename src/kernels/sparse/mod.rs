//! Sparse inference for a pruned MLP: the kernels' non-zeros only, so a 90 %-pruned model does a
//! tenth of the multiply-adds of the dense one. Pure Rust on host slices (no tensor ops, whose
//! per-call overhead would swamp ~10 k multiply-adds), so it is tested natively and runs the
//! same in the page's WebAssembly (vectorised there with SIMD128, see `.cargo/config.toml`).
//!
//! - [`layout`]: the pruned kernels as CSR by output unit (the batched path, and the layout the
//!   WebGPU kernel reads) and CSC by input (the batch-1 path); biases dense, never pruned.
//! - [`cpu`]: the two CPU paths, bias and ReLU fused.
//! - [`agreement`]: how closely the sparse logits match the masked dense ones.
//! - [`timing`]: the CPU engine under the latency protocol, and the sparsity sweep's verdict.

pub mod agreement;
pub mod cpu;
#[cfg(feature = "webgpu")]
pub mod gpu;
pub mod layout;
pub mod timing;

pub use cpu::SparseRunner;
pub use layout::{SparseError, SparseLayer, SparseMlp};
