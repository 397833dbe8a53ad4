//! burn's dense forward pass as a latency target: the baseline every other kernel is timed
//! against, on whichever device the model is on.

use burn::tensor::{Device, Tensor};

use crate::data::Split;
use crate::measure::latency::{Clock, Passes, Protocol, Timing, batch_of, time};
use crate::model::{Mlp, batch};

/// burn's dense forward pass on one batch already on the device.
struct DensePasses<'a> {
    model: &'a Mlp,
    input: Tensor<2>,
}

impl Passes for DensePasses<'_> {
    async fn passes(&mut self, k: usize) -> Result<(), String> {
        let mut last = None;
        for _ in 0..k {
            last = Some(self.model.forward(self.input.clone()));
        }
        // No pass: the empty round trip reads back one input value.
        let out = last.unwrap_or_else(|| self.input.clone().slice([0..1, 0..1]));
        out.into_data_async().await.map_err(|e| format!("reading the output back failed: {e:?}"))?;
        Ok(())
    }
}

/// Times `model` on `batch` test images on `device` (the model must already be there).
pub async fn measure(model: &Mlp, images: &Split, batch: usize, device: &Device, protocol: Protocol, clock: &impl Clock) -> Result<Timing, String> {
    let input = batch::images(batch_of(images, batch), device);
    time(&mut DensePasses { model, input }, protocol, clock).await
}
