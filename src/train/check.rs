//! The fused step held to burn's autodiff on the run's own device: the same start, the same
//! batches, a number of steps each way, then the largest difference in loss and in any
//! parameter. `?check_engine=1` runs it before training and reports it; the native tests run it
//! on the CPU.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::Split;
use crate::model::{Mlp, batch};
use crate::train::fused::Layout;
use crate::train::report::EngineCheck;
use crate::train::{Observer, TrainError};

/// Steps each way (the tests' contract).
pub const CHECK_STEPS: usize = 20;

/// Largest |a − b| / max(|b|, 1); a NaN or a length mismatch is infinitely wrong.
pub fn max_relative(a: &[f32], b: &[f32]) -> f32 {
    let start = if a.len() == b.len() { 0.0 } else { f32::INFINITY };
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / y.abs().max(1.0)).fold(start, |m, e| if e.is_nan() { f32::INFINITY } else { m.max(e) })
}

/// Trains a fresh `hidden`-unit model (seeded by `seed`) for [`CHECK_STEPS`] steps of `batch`
/// images from the start of `train`, once with autodiff and once with the observer's fused
/// trainer, on `device`.
pub async fn check_engine(
    hidden: usize,
    train: &Split,
    seed: u64,
    batch: usize,
    lr: f64,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<EngineCheck, TrainError> {
    let device_ad = device.clone().autodiff();
    device_ad.seed(seed);
    let mut model = Mlp::new(hidden, &device_ad);
    let start = model.read_weights().await.map_err(TrainError::Device)?;
    let layout = Layout { inputs: start.inputs, hidden };
    let mut fused = observer.fused_trainer(layout, layout.flatten(&start)).await.map_err(TrainError::Device)?;
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device_ad);
    let steps = CHECK_STEPS.min(train.len() / batch.max(1));
    let mut max_loss_error = 0.0f32;
    for step in 0..steps {
        let indices: Vec<usize> = (step * batch..(step + 1) * batch).collect();
        let (images, labels) = (train.inputs(&indices), train.targets(&indices));
        let x = batch::images(images.clone(), &device_ad);
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [batch]), &device_ad);
        let loss = loss_fn.forward(model.forward(x), y);
        let reference: f32 = loss.clone().into_scalar_async().await.map_err(|e| TrainError::Device(format!("{e:?}")))?;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
        let value = fused.step(train, &indices, lr as f32, true).await.map_err(TrainError::Device)?.unwrap_or(f32::NAN);
        max_loss_error = max_loss_error.max(max_relative(&[value], &[reference]));
        observer.yield_now().await;
    }
    let reference = layout.flatten(&model.valid().read_weights().await.map_err(TrainError::Device)?);
    let params = fused.params().await.map_err(TrainError::Device)?;
    Ok(EngineCheck { engine: fused.label().into(), steps, batch, max_loss_error, max_param_error: max_relative(&params, &reference) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_errors_are_relative_above_one_and_nan_is_never_small() {
        assert_eq!(max_relative(&[1.0, 10.5], &[1.0, 10.0]), 0.05);
        assert_eq!(max_relative(&[0.001], &[0.0]), 0.001);
        assert_eq!(max_relative(&[f32::NAN], &[1.0]), f32::INFINITY);
        assert_eq!(max_relative(&[1.0], &[1.0, 2.0]), f32::INFINITY);
    }
}
