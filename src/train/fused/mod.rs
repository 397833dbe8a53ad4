//! A fused training step for this one MLP: forward, softmax cross-entropy gradient, hand-written
//! backward and one Adam update over every parameter, with the pruning masks applied inside the
//! update — no autodiff graph, no per-op dispatch. burn's autodiff path stays the reference
//! (`?engine=autodiff`); tests hold the two to the same numbers.
//!
//! The parameters live in one flat array, `[W1 | b1 | W2 | b2]` (kernels `[in, out]` row-major as
//! burn and Keras store them), so the update, the masks and the moments are one loop (one
//! dispatch on a GPU).
//!
//! - [`adam`]: Adam exactly as burn 0.22 computes it.
//! - [`cpu`]: the step on host slices, its matrix products by `gemm` (what burn's CPU backend
//!   uses underneath, minus the per-op tensor overhead).

pub mod adam;
pub mod cpu;
#[cfg(feature = "webgpu")]
pub mod gpu;

use crate::data::Split;
use crate::model::CLASSES;
use crate::model::weights::MlpWeights;
use crate::prune::mask::Mask;

/// Where each tensor sits in the flat parameter array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub inputs: usize,
    pub hidden: usize,
}

impl Layout {
    pub fn w1(&self) -> std::ops::Range<usize> {
        0..self.inputs * self.hidden
    }
    pub fn b1(&self) -> std::ops::Range<usize> {
        let start = self.w1().end;
        start..start + self.hidden
    }
    pub fn w2(&self) -> std::ops::Range<usize> {
        let start = self.b1().end;
        start..start + self.hidden * CLASSES
    }
    pub fn b2(&self) -> std::ops::Range<usize> {
        let start = self.w2().end;
        start..start + CLASSES
    }
    pub fn len(&self) -> usize {
        self.b2().end
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `weights` flattened.
    pub fn flatten(&self, w: &MlpWeights) -> Vec<f32> {
        [&w.hidden_kernel[..], &w.hidden_bias, &w.output_kernel, &w.output_bias].concat()
    }

    /// The flat array as weights.
    pub fn weights(&self, flat: &[f32]) -> MlpWeights {
        MlpWeights {
            inputs: self.inputs,
            hidden: self.hidden,
            hidden_kernel: flat[self.w1()].to_vec(),
            hidden_bias: flat[self.b1()].to_vec(),
            output_kernel: flat[self.w2()].to_vec(),
            output_bias: flat[self.b2()].to_vec(),
        }
    }

    /// The kernels' masks as a flat 0/1 multiplier (biases never pruned: 1).
    pub fn mask(&self, masks: &[Mask; 2]) -> Vec<f32> {
        let ones = |n| vec![1.0; n];
        [masks[0].as_f32(), ones(self.hidden), masks[1].as_f32(), ones(CLASSES)].concat()
    }
}

/// A fused trainer on the CPU or (in the page) on WebGPU.
// One per training run, so its size does not matter; which variant is the larger one depends on
// the target's pointer width (the lint fires natively, not on wasm32).
#[allow(clippy::large_enum_variant)]
pub enum Trainer {
    Cpu(cpu::FusedCpu),
    #[cfg(feature = "webgpu")]
    Gpu(Box<crate::train::fused::gpu::FusedGpu>),
}

impl Trainer {
    pub fn layout(&self) -> Layout {
        match self {
            Trainer::Cpu(t) => t.layout,
            #[cfg(feature = "webgpu")]
            Trainer::Gpu(t) => t.layout,
        }
    }

    /// What the report calls it.
    pub fn label(&self) -> &'static str {
        match self {
            Trainer::Cpu(_) => "fused (CPU)",
            #[cfg(feature = "webgpu")]
            Trainer::Gpu(_) => "fused (WebGPU)",
        }
    }

    /// One step on the images `batch` of `split`; the batch's loss when `read_loss` (a GPU reads
    /// it back only then). A GPU holds `split` as bytes after its first step on it and gathers
    /// each batch there, so a step uploads only the batch's indices.
    pub async fn step(&mut self, split: &Split, batch: &[usize], lr: f32, read_loss: bool) -> Result<Option<f32>, String> {
        match self {
            Trainer::Cpu(t) => Ok(Some(t.step(&split.inputs(batch), &split.targets(batch), lr)).filter(|_| read_loss)),
            #[cfg(feature = "webgpu")]
            Trainer::Gpu(t) => t.step(split, batch, lr, read_loss).await,
        }
    }

    /// The flat parameters, on the host.
    pub async fn params(&mut self) -> Result<Vec<f32>, String> {
        match self {
            Trainer::Cpu(t) => Ok(t.params.clone()),
            #[cfg(feature = "webgpu")]
            Trainer::Gpu(t) => t.params().await,
        }
    }

    /// Prunes with `masks` from now on (pruned weights and their moments become and stay 0).
    pub fn set_masks(&mut self, masks: &[Mask; 2]) {
        let mask = self.layout().mask(masks);
        match self {
            Trainer::Cpu(t) => t.set_mask(Some(mask)),
            #[cfg(feature = "webgpu")]
            Trainer::Gpu(t) => t.set_mask(&mask),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prune::structured::tests::tiny;

    #[test]
    fn the_flat_layout_round_trips_and_masks_only_kernels() {
        let w = tiny();
        let layout = Layout { inputs: w.inputs, hidden: w.hidden };
        let flat = layout.flatten(&w);
        assert_eq!(flat.len(), w.total_weights());
        assert_eq!(layout.len(), w.total_weights());
        assert_eq!(layout.weights(&flat), w);
        let masks = [Mask { keep: vec![false; w.hidden_kernel.len()] }, Mask::all(w.output_kernel.len())];
        let m = layout.mask(&masks);
        assert!(m[layout.w1()].iter().all(|&x| x == 0.0));
        assert!(m[layout.b1()].iter().chain(&m[layout.w2()]).chain(&m[layout.b2()]).all(|&x| x == 1.0));
    }
}
