//! Post-training int8 quantization, really executed: the article's other lever next to pruning.
//! Symmetric int8 codes with one scale per output unit for the kernels and one per layer input
//! for the activations (MinMax-calibrated on training images), i32 accumulation, float bias and
//! logits. Composes with pruning: a pruned model's codes go in the sparse engine's layout.
//! Pure Rust on host slices, tested natively against a plain integer reference.
//!
//! - [`scale`]: codes, scales, rounding and saturation.
//! - [`model`]: the quantized model, its calibration, its reference and its bytes.
//! - [`cpu`]: the fast CPU paths (int8 dot products; sparse CSC and tiles).
//! - [`export`]: the int8 model as a documented JSON file.

/// What the report and the page say the scheme is.
pub const SCHEME: &str = "post-training int8: symmetric codes in [-127, 127], one scale per output unit for the kernels, one per layer \
                          input for the activations (MinMax over calibration images from the training set), i32 sums, float32 bias and logits";

/// How many training images calibrate the activation ranges (a few hundred, as TFLite's
/// representative datasets).
pub const CALIBRATION_IMAGES: usize = 500;

pub mod cpu;
pub mod export;
#[cfg(feature = "webgpu")]
pub mod gpu;
pub mod model;
pub mod scale;

pub use cpu::Int8Runner;
pub use model::{Calibration, Int8Mlp};
