//! The one place where MNIST images and labels become tensors (burn's `MnistBatcher`): every
//! training step, evaluation, latency window and prediction builds its input here.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::{IMAGE_PIXELS, Split};

/// Images `[n, 784]` (row-major pixels in [0, 1]) on `device`.
pub fn images(pixels: Vec<f32>, device: &Device) -> Tensor<2> {
    let n = pixels.len() / IMAGE_PIXELS;
    Tensor::from_data(TensorData::new(pixels, [n, IMAGE_PIXELS]), device)
}

/// A batch of `split`: the images at `indices` and their labels.
pub struct Batch {
    pub images: Tensor<2>,
    pub targets: Tensor<1, Int>,
}

impl Batch {
    pub fn of(split: &Split, indices: &[usize], device: &Device) -> Self {
        let targets = Tensor::from_data(TensorData::new(split.targets(indices), [indices.len()]), device);
        Batch { images: images(split.inputs(indices), device), targets }
    }
}
