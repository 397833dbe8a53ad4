//! The MLP of the TFMOT pruning tutorial's MNIST example, as a Keras reader knows it:
//! `Dense(hidden, relu)` then `Dense(10)` producing logits. Kernels are `[in, out]` like Keras'.

use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

use super::CLASSES;
use crate::data::IMAGE_PIXELS;
use crate::model::weights::MlpWeights;

#[derive(Module, Debug)]
pub struct Mlp {
    pub hidden: Linear,
    pub output: Linear,
}

/// A layer initialised as Keras' `Dense` is by default: Glorot-uniform kernel, zero bias
/// (burn's own default is Kaiming-uniform, on the bias too).
fn keras_dense(inputs: usize, outputs: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(inputs, outputs).with_initializer(Initializer::XavierUniform { gain: 1.0 }).init(device);
    layer.bias = Some(Param::from_tensor(Tensor::zeros([outputs], device)));
    layer
}

impl Mlp {
    pub fn new(hidden_units: usize, device: &Device) -> Self {
        Mlp { hidden: keras_dense(IMAGE_PIXELS, hidden_units, device), output: keras_dense(hidden_units, CLASSES, device) }
    }

    /// Keras' `L1L2(l1, l2)` kernel regularization: `l1 · Σ|w| + l2 · Σw²` over both kernels,
    /// biases untouched (`None` when both are 0, so an unregularized step does no extra work).
    pub fn kernel_penalty(&self, l1: f64, l2: f64) -> Option<Tensor<1>> {
        if l1 == 0.0 && l2 == 0.0 {
            return None;
        }
        [self.hidden.weight.val(), self.output.weight.val()]
            .into_iter()
            .map(|w| w.clone().abs().sum().mul_scalar(l1) + (w.clone() * w).sum().mul_scalar(l2))
            .reduce(|a, b| a + b)
    }

    /// `[batch, 784]` pixels in [0, 1] → `[batch, 10]` logits.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let hidden = relu(self.hidden.forward(images));
        self.output.forward(hidden)
    }
}

/// Reads a float tensor back to the host asynchronously; the error says what failed.
async fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, String> {
    let data = tensor.into_data_async().await.map_err(|e| format!("reading weights back failed: {e:?}"))?;
    data.try_to_vec::<f32>().map_err(|e| format!("weights are not float32: {e:?}"))
}

fn linear(kernel: &[f32], bias: &[f32], inputs: usize, outputs: usize, device: &Device) -> Linear {
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(kernel.to_vec(), [inputs, outputs]), device)),
        bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias.to_vec(), [outputs]), device))),
    }
}

impl Mlp {
    pub fn hidden_units(&self) -> usize {
        self.hidden.weight.dims()[1]
    }

    /// A host copy of the parameters, read back asynchronously (sync reads panic on wasm).
    pub async fn read_weights(&self) -> Result<MlpWeights, String> {
        let bias = |l: &Linear| l.bias.as_ref().map(|b| b.val());
        Ok(MlpWeights {
            inputs: IMAGE_PIXELS,
            hidden: self.hidden_units(),
            hidden_kernel: read(self.hidden.weight.val()).await?,
            hidden_bias: match bias(&self.hidden) {
                Some(b) => read(b).await?,
                None => vec![0.0; self.hidden_units()],
            },
            output_kernel: read(self.output.weight.val()).await?,
            output_bias: match bias(&self.output) {
                Some(b) => read(b).await?,
                None => vec![0.0; CLASSES],
            },
        })
    }

    /// A model holding `weights`, on `device` (also how a model moves between backends on wasm).
    pub fn from_weights(weights: &MlpWeights, device: &Device) -> Self {
        Mlp {
            hidden: linear(&weights.hidden_kernel, &weights.hidden_bias, weights.inputs, weights.hidden, device),
            output: linear(&weights.output_kernel, &weights.output_bias, weights.hidden, CLASSES, device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_keras_model_summary() {
        // Keras: Dense(128) on 784 inputs has 100,480 params, Dense(10) has 1,290: 101,770.
        let model = Mlp::new(128, &Device::flex());
        assert_eq!(model.num_params(), 101_770);
        let weights = futures_lite::future::block_on(model.read_weights()).unwrap();
        assert_eq!((weights.total_weights(), weights.kernel_weights()), (101_770, 101_632));
    }

    #[test]
    fn the_kernel_penalty_is_keras_l1l2_on_kernels_only() {
        let device = Device::flex();
        let mut w = futures_lite::future::block_on(Mlp::new(2, &device).read_weights()).unwrap();
        w.hidden_kernel.fill(0.0);
        w.output_kernel.fill(0.0);
        (w.hidden_kernel[0], w.hidden_kernel[3], w.output_kernel[5]) = (1.0, -2.0, 3.0);
        // Large biases: a penalty that touched them would show.
        w.hidden_bias.fill(100.0);
        w.output_bias.fill(-100.0);
        let model = Mlp::from_weights(&w, &device);
        let value = |l1, l2| -> f32 { futures_lite::future::block_on(model.kernel_penalty(l1, l2).unwrap().into_scalar_async()).unwrap() };
        // 0.1 · (1 + 2 + 3) + 0.01 · (1 + 4 + 9)
        assert!((value(0.1, 0.01) - 0.74).abs() < 1e-6);
        assert!((value(0.1, 0.0) - 0.6).abs() < 1e-6);
        assert!((value(0.0, 0.01) - 0.14).abs() < 1e-6);
        assert!(model.kernel_penalty(0.0, 0.0).is_none(), "no regularization, no extra work");
    }

    #[test]
    fn the_forward_pass_gives_ten_logits_per_image() {
        let device = Device::flex();
        let model = Mlp::new(32, &device);
        let logits = model.forward(Tensor::zeros([3, IMAGE_PIXELS], &device));
        assert_eq!(logits.dims(), [3, CLASSES]);
    }

    #[test]
    fn weights_round_trip_through_the_host() {
        let device = Device::flex();
        let model = Mlp::new(16, &device);
        let weights = futures_lite::future::block_on(model.read_weights()).unwrap();
        assert_eq!((weights.hidden_kernel.len(), weights.output_kernel.len()), (IMAGE_PIXELS * 16, 16 * CLASSES));
        let copy = Mlp::from_weights(&weights, &device);
        assert_eq!(futures_lite::future::block_on(copy.read_weights()).unwrap(), weights);
        // The host forward agrees with burn's.
        let image: Vec<f32> = (0..IMAGE_PIXELS).map(|i| (i % 7) as f32 / 7.0).collect();
        let burn_logits =
            futures_lite::future::block_on(read(model.forward(Tensor::from_data(TensorData::new(image.clone(), [1, IMAGE_PIXELS]), &device)))).unwrap();
        let host_logits = weights.forward(&image);
        assert!(burn_logits.iter().zip(&host_logits).all(|(a, b)| (a - b).abs() < 1e-4), "{burn_logits:?} vs {host_logits:?}");
    }
}
