//! Inference kernels beside burn's dense ones: the sparse (CSR/CSC), pattern (block-CSR, N:M) and
//! int8 engines, each with its CPU code, its layout and its WGSL together, and the wgpu plumbing
//! they share.

#[cfg(feature = "engine")]
pub mod dense;
#[cfg(feature = "webgpu")]
pub mod gpu;
pub mod int8;
pub mod pattern;
pub mod sparse;
