//! A pruned MLP's kernels in two sparse layouts, built once from its host weights.

use thiserror::Error;

use crate::model::CLASSES;
use crate::model::weights::MlpWeights;
use crate::prune::mask::layer_mask;

/// Indices are stored as u16 (half the bytes of u32, which is what makes CSR pay at moderate
/// sparsity); a layer wider than this cannot be represented and is refused, never wrapped.
pub const MAX_INDEX: usize = u16::MAX as usize;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SparseError {
    #[error("the {layer} layer has {size} {what}; the sparse layout's u16 indices address at most {max}", max = MAX_INDEX + 1)]
    TooWide { layer: &'static str, what: &'static str, size: usize },
    #[error("the {layer} layer's kernel has {got} values, expected {inputs} × {outputs}")]
    Shape { layer: &'static str, got: usize, inputs: usize, outputs: usize },
}

/// One dense layer `y = x · W + b` (W `[inputs, outputs]`, Keras' layout) with W's non-zeros only.
/// The values are f32, or the int8 codes of a quantized kernel (`quant`).
#[derive(Debug, Clone, PartialEq)]
pub struct SparseLayer<T = f32> {
    pub inputs: usize,
    pub outputs: usize,
    /// CSR over Wᵀ, one row per output unit: unit `o`'s non-zeros are
    /// `row_values[row_ptr[o]..row_ptr[o + 1]]`, taken from the inputs `row_inputs[..]` (ascending).
    pub row_ptr: Vec<u32>,
    pub row_inputs: Vec<u16>,
    pub row_values: Vec<T>,
    /// CSC over Wᵀ, one column per input: input `i` feeds the units `column_outputs[..]` (ascending)
    /// with `column_values[column_ptr[i]..column_ptr[i + 1]]`. Lets batch 1 skip zero inputs.
    pub column_ptr: Vec<u32>,
    pub column_outputs: Vec<u16>,
    pub column_values: Vec<T>,
    pub bias: Vec<f32>,
}

impl<T: Copy + PartialEq + Default> SparseLayer<T> {
    /// From a `[inputs, outputs]` row-major kernel: every exact zero is left out (a pruned weight
    /// is exactly 0, see `prune::mask`).
    pub fn new(layer: &'static str, kernel: &[T], bias: &[f32], inputs: usize, outputs: usize) -> Result<Self, SparseError> {
        if kernel.len() != inputs * outputs || bias.len() != outputs {
            return Err(SparseError::Shape { layer, got: kernel.len(), inputs, outputs });
        }
        for (what, size) in [("inputs", inputs), ("units", outputs)] {
            if size > MAX_INDEX + 1 {
                return Err(SparseError::TooWide { layer, what, size });
            }
        }
        let zero = T::default();
        let nonzero = kernel.iter().filter(|w| **w != zero).count();
        let mut row_ptr = Vec::with_capacity(outputs + 1);
        let (mut row_inputs, mut row_values) = (Vec::with_capacity(nonzero), Vec::with_capacity(nonzero));
        row_ptr.push(0);
        for o in 0..outputs {
            for i in 0..inputs {
                let w = kernel[i * outputs + o];
                if w != zero {
                    row_inputs.push(i as u16);
                    row_values.push(w);
                }
            }
            row_ptr.push(row_values.len() as u32);
        }
        let mut column_ptr = Vec::with_capacity(inputs + 1);
        let (mut column_outputs, mut column_values) = (Vec::with_capacity(nonzero), Vec::with_capacity(nonzero));
        column_ptr.push(0);
        for (i, row) in kernel.chunks_exact(outputs.max(1)).enumerate().take(inputs) {
            for (o, &w) in row.iter().enumerate() {
                if w != zero {
                    column_outputs.push(o as u16);
                    column_values.push(w);
                }
            }
            debug_assert_eq!(column_ptr.len(), i + 1);
            column_ptr.push(column_values.len() as u32);
        }
        // A zero-unit layer has no rows to chunk: its column pointers are all 0.
        column_ptr.resize(inputs + 1, 0);
        Ok(SparseLayer { inputs, outputs, row_ptr, row_inputs, row_values, column_ptr, column_outputs, column_values, bias: bias.to_vec() })
    }

    pub fn nonzeros(&self) -> usize {
        self.row_values.len()
    }

    /// Bytes of the CSR side as stored: u32 row pointers, a u16 index and a value of
    /// `value_bytes` (4 for f32, 1 for int8 codes) per non-zero, the biases as f32.
    pub fn csr_bytes(&self, value_bytes: usize) -> usize {
        4 * self.row_ptr.len() + (2 + value_bytes) * self.nonzeros() + 4 * self.bias.len()
    }

    /// Unit `o`'s non-zero weights and the inputs they read.
    pub fn row(&self, o: usize) -> (&[u16], &[T]) {
        let range = self.row_ptr[o] as usize..self.row_ptr[o + 1] as usize;
        (&self.row_inputs[range.clone()], &self.row_values[range])
    }

    /// The CSR input indices two to a u32, the even one in the low half: WGSL has no 16-bit
    /// integers, and this keeps the GPU's copy as small as the CPU's.
    pub fn packed_row_inputs(&self) -> Vec<u32> {
        self.row_inputs.chunks(2).map(|pair| u32::from(pair[0]) | (u32::from(*pair.get(1).unwrap_or(&0)) << 16)).collect()
    }

    /// Input `i`'s non-zero weights and the units they feed.
    pub fn column(&self, i: usize) -> (&[u16], &[T]) {
        let range = self.column_ptr[i] as usize..self.column_ptr[i + 1] as usize;
        (&self.column_outputs[range.clone()], &self.column_values[range])
    }
}

/// The 784-h-10 MLP, both layers sparse; ReLU after the hidden layer, logits out.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMlp {
    pub hidden: SparseLayer,
    pub output: SparseLayer,
}

impl SparseMlp {
    pub fn new(weights: &MlpWeights) -> Result<Self, SparseError> {
        Ok(SparseMlp {
            hidden: SparseLayer::new("hidden", &weights.hidden_kernel, &weights.hidden_bias, weights.inputs, weights.hidden)?,
            output: SparseLayer::new("output", &weights.output_kernel, &weights.output_bias, weights.hidden, CLASSES)?,
        })
    }

    pub fn inputs(&self) -> usize {
        self.hidden.inputs
    }

    pub fn nonzeros(&self) -> usize {
        self.hidden.nonzeros() + self.output.nonzeros()
    }
}

/// A copy of `weights` with each kernel pruned to `sparsity` by magnitude, per layer (TFMOT's
/// ranking): what the crossover sweep times. Latency does not depend on the values, only on
/// how many are left, so no retraining is needed for it.
pub fn thresholded(weights: &MlpWeights, sparsity: f32) -> MlpWeights {
    let mut out = weights.clone();
    for kernel in [&mut out.hidden_kernel, &mut out.output_kernel] {
        let mask = layer_mask(kernel, sparsity);
        kernel.iter_mut().zip(&mask.keep).filter(|(_, keep)| !**keep).for_each(|(w, _)| *w = 0.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_hold_exactly_the_nonzeros() {
        // [3 inputs, 2 outputs]: w[i][o].
        let kernel = [1.0, 0.0, 0.0, 2.0, 3.0, 4.0];
        let layer = SparseLayer::new("t", &kernel, &[0.5, -0.5], 3, 2).unwrap();
        assert_eq!(layer.row(0), (&[0u16, 2][..], &[1.0f32, 3.0][..]));
        assert_eq!(layer.row(1), (&[1u16, 2][..], &[2.0f32, 4.0][..]));
        assert_eq!(layer.column(0), (&[0u16][..], &[1.0f32][..]));
        assert_eq!(layer.column(1), (&[1u16][..], &[2.0f32][..]));
        assert_eq!(layer.column(2), (&[0u16, 1][..], &[3.0f32, 4.0][..]));
        assert_eq!(layer.nonzeros(), 4);
    }

    #[test]
    fn a_unit_with_every_weight_pruned_has_an_empty_row() {
        let layer = SparseLayer::new("t", &[0.0, 1.0, 0.0, 1.0], &[0.0, 0.0], 2, 2).unwrap();
        assert_eq!(layer.row(0).0.len(), 0);
        assert_eq!(layer.row(1).0.len(), 2);
    }

    #[test]
    fn index_width_is_checked_not_wrapped() {
        let inputs = MAX_INDEX + 2;
        let err = SparseLayer::new("hidden", &vec![0.0; inputs], &[0.0], inputs, 1).unwrap_err();
        assert_eq!(err, SparseError::TooWide { layer: "hidden", what: "inputs", size: 65_537 });
        assert!(err.to_string().contains("65536"), "{err}");
        // The widest representable layer is accepted.
        let ok = SparseLayer::new("hidden", &vec![1.0; MAX_INDEX + 1], &[0.0], MAX_INDEX + 1, 1).unwrap();
        assert_eq!(ok.row(0).0.last(), Some(&u16::MAX));
    }

    #[test]
    fn indices_pack_two_to_a_word_low_half_first() {
        let layer = SparseLayer::new("t", &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0], &[0.0], 6, 1).unwrap();
        assert_eq!(layer.row_inputs, vec![0, 1, 3, 4, 5]);
        assert_eq!(layer.packed_row_inputs(), vec![1 << 16, 3 | (4 << 16), 5]);
    }

    #[test]
    fn csr_bytes_are_the_stored_files() {
        let w = thresholded(&crate::prune::structured::tests::tiny(), 0.6);
        let model = SparseMlp::new(&w).unwrap();
        assert_eq!(model.hidden.csr_bytes(4) + model.output.csr_bytes(4), crate::prune::storage::storage(&w).bytes_sparse);
        assert_eq!(model.hidden.csr_bytes(1), model.hidden.csr_bytes(4) - 3 * model.hidden.nonzeros());
    }

    #[test]
    fn wrong_shapes_are_refused() {
        assert!(matches!(SparseLayer::new("t", &[1.0; 5], &[0.0; 2], 3, 2), Err(SparseError::Shape { .. })));
    }

    #[test]
    fn thresholding_reaches_the_sparsity_per_layer() {
        let weights = crate::prune::structured::tests::tiny();
        let pruned = thresholded(&weights, 0.8);
        for (kernel, original) in pruned.kernels().iter().zip(weights.kernels()) {
            let kept = kernel.iter().filter(|w| **w != 0.0).count();
            assert_eq!(kept, layer_mask(original, 0.8).kept(), "{kernel:?}");
            assert!(kept >= crate::prune::schedule::keep_count(original.len(), 0.8) && kept < original.len() / 2);
        }
        assert_eq!(pruned.hidden_bias, weights.hidden_bias, "biases are never pruned");
    }
}
