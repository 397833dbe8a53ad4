//! A host copy of the MLP's parameters, in Keras' layout (kernels `[in, out]`, row-major).
//! Masks, structured selection, storage sizes and export all work on this plain data.

use crate::model::CLASSES;

#[derive(Debug, Clone, PartialEq)]
pub struct MlpWeights {
    pub inputs: usize,
    pub hidden: usize,
    /// `[inputs, hidden]`.
    pub hidden_kernel: Vec<f32>,
    pub hidden_bias: Vec<f32>,
    /// `[hidden, CLASSES]`.
    pub output_kernel: Vec<f32>,
    pub output_bias: Vec<f32>,
}

impl MlpWeights {
    pub fn kernels(&self) -> [&[f32]; 2] {
        [&self.hidden_kernel, &self.output_kernel]
    }

    pub fn kernel_weights(&self) -> usize {
        self.hidden_kernel.len() + self.output_kernel.len()
    }

    pub fn total_weights(&self) -> usize {
        self.kernel_weights() + self.hidden_bias.len() + self.output_bias.len()
    }

    pub fn nonzero_kernel_weights(&self) -> usize {
        self.kernels().iter().flat_map(|k| k.iter()).filter(|w| **w != 0.0).count()
    }

    pub fn nonzero_weights(&self) -> usize {
        self.nonzero_kernel_weights() + self.hidden_bias.iter().chain(&self.output_bias).filter(|w| **w != 0.0).count()
    }

    /// The share of kernel weights with |w| below `threshold` (what L1 regularization drives up).
    pub fn near_zero_share(&self, threshold: f32) -> f64 {
        let near = self.kernels().iter().flat_map(|k| k.iter()).filter(|w| w.abs() < threshold).count();
        near as f64 / self.kernel_weights().max(1) as f64
    }

    /// The hidden layer's output (after ReLU) for one image, computed plainly on the host.
    pub fn hidden_activations(&self, image: &[f32]) -> Vec<f32> {
        let mut hidden = self.hidden_bias.clone();
        for (i, &x) in image.iter().enumerate() {
            if x != 0.0 {
                let row = &self.hidden_kernel[i * self.hidden..(i + 1) * self.hidden];
                hidden.iter_mut().zip(row).for_each(|(h, w)| *h += x * w);
            }
        }
        hidden.iter_mut().for_each(|h| *h = h.max(0.0));
        hidden
    }

    /// Logits for one image, computed plainly on the host (a reference for the tests).
    pub fn forward(&self, image: &[f32]) -> Vec<f32> {
        let mut logits = self.output_bias.clone();
        for (j, h) in self.hidden_activations(image).into_iter().enumerate() {
            let row = &self.output_kernel[j * CLASSES..(j + 1) * CLASSES];
            logits.iter_mut().zip(row).for_each(|(l, w)| *l += h * w);
        }
        logits
    }
}
