//! The MLP of the TFMOT pruning tutorial's MNIST example, as a Keras reader knows it:
//! `Dense(hidden, relu)` then `Dense(10)` producing logits. Kernels are `[in, out]` like Keras'.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::data::IMAGE_PIXELS;

pub const CLASSES: usize = 10;

#[derive(Module, Debug)]
pub struct Mlp {
    pub hidden: Linear,
    pub output: Linear,
}

impl Mlp {
    pub fn new(hidden_units: usize, device: &Device) -> Self {
        Mlp {
            hidden: LinearConfig::new(IMAGE_PIXELS, hidden_units).init(device),
            output: LinearConfig::new(hidden_units, CLASSES).init(device),
        }
    }

    /// `[batch, 784]` pixels in [0, 1] → `[batch, 10]` logits.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let hidden = relu(self.hidden.forward(images));
        self.output.forward(hidden)
    }
}

/// Parameter counts of a 784 → `hidden` → 10 MLP, kernels and biases apart: TFMOT prunes the
/// kernels only, so the two are reported separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamCounts {
    pub kernel: usize,
    pub bias: usize,
}

impl ParamCounts {
    pub fn of_mlp(hidden_units: usize) -> Self {
        ParamCounts { kernel: IMAGE_PIXELS * hidden_units + hidden_units * CLASSES, bias: hidden_units + CLASSES }
    }

    pub fn total(&self) -> usize {
        self.kernel + self.bias
    }

    /// Multiply-accumulates for one image through the dense layers.
    pub fn macs_per_image(&self) -> usize {
        self.kernel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_keras_model_summary() {
        // Keras: Dense(128) on 784 inputs has 100,480 params, Dense(10) has 1,290: 101,770.
        let counts = ParamCounts::of_mlp(128);
        assert_eq!(counts.total(), 101_770);
        assert_eq!(counts.kernel, 101_632);
        assert_eq!(counts.macs_per_image(), 101_632);
    }

    #[test]
    fn the_module_has_the_counted_parameters() {
        let device = Device::flex();
        let model = Mlp::new(32, &device);
        assert_eq!(model.num_params(), ParamCounts::of_mlp(32).total());
        let logits = model.forward(Tensor::zeros([3, IMAGE_PIXELS], &device));
        assert_eq!(logits.dims(), [3, CLASSES]);
    }
}
