//! A trained MLP after post-training int8 quantization: int8 kernels with one scale per output
//! unit, int8 activations with one scale per layer input (calibrated on training images), i32
//! accumulation, float bias, ReLU and logits. The kernels are stored dense or, for a pruned
//! model, in the sparse engine's CSR/CSC layout with int8 values.

use serde::{Deserialize, Serialize};

use super::scale::{Quantizer, per_channel, quantize_kernel};
use crate::kernels::sparse::layout::{SparseError, SparseLayer};
use crate::model::CLASSES;
use crate::model::weights::MlpWeights;

/// How the codes of one kernel are laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum Codes {
    /// `[outputs][inputs]`: each unit's codes contiguous, for int8 dot products.
    Dense(Vec<i8>),
    /// The non-zero codes only (a pruned weight, and any weight that rounds to 0, is skipped).
    Sparse(SparseLayer<i8>),
}

/// One layer: `y = acc · rescale + bias`, where `acc` is the i32 sum of code × input code.
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub codes: Codes,
    /// Each output unit's weight quantizer.
    pub weights: Vec<Quantizer>,
    /// Weight scale × input scale, per output unit: turns the accumulator into a real value.
    pub rescale: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Int8Layer {
    fn new(layer: &'static str, kernel: &[f32], bias: &[f32], inputs: usize, outputs: usize, input: Quantizer, sparse: bool) -> Result<Self, SparseError> {
        if kernel.len() != inputs * outputs || bias.len() != outputs {
            return Err(SparseError::Shape { layer, got: kernel.len(), inputs, outputs });
        }
        let weights = per_channel(kernel, inputs, outputs);
        let codes = quantize_kernel(kernel, outputs, &weights);
        let codes = if sparse {
            Codes::Sparse(SparseLayer::new(layer, &codes, bias, inputs, outputs)?)
        } else {
            // Transposed, so that a unit's codes are one contiguous run.
            Codes::Dense((0..outputs).flat_map(|o| (0..inputs).map(move |i| (i, o))).map(|(i, o)| codes[i * outputs + o]).collect())
        };
        let rescale = weights.iter().map(|w| w.scale * input.scale).collect();
        Ok(Int8Layer { inputs, outputs, codes, weights, rescale, bias: bias.to_vec() })
    }

    /// The real value of unit `o` from its accumulator (before any ReLU).
    pub fn output(&self, o: usize, acc: i32) -> f32 {
        acc as f32 * self.rescale[o] + self.bias[o]
    }

    /// Unit `o`'s code for input `i`, whatever the layout (for the reference and the tests).
    pub fn code(&self, i: usize, o: usize) -> i8 {
        match &self.codes {
            Codes::Dense(codes) => codes[o * self.inputs + i],
            Codes::Sparse(layer) => {
                let (inputs, codes) = layer.row(o);
                inputs.binary_search(&(i as u16)).map_or(0, |at| codes[at])
            }
        }
    }

    /// Codes that are not zero (what a sparse layout stores).
    pub fn nonzero_codes(&self) -> usize {
        match &self.codes {
            Codes::Dense(codes) => codes.iter().filter(|c| **c != 0).count(),
            Codes::Sparse(layer) => layer.nonzeros(),
        }
    }
}

/// The 784-h-10 MLP in int8.
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Mlp {
    /// The image's quantizer (pixels in [0, 1]).
    pub input: Quantizer,
    /// The hidden activations' quantizer (after ReLU).
    pub activation: Quantizer,
    pub hidden: Int8Layer,
    pub output: Int8Layer,
}

/// The activation ranges seen on calibration images, run through the float model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub images: usize,
    pub input_max: f32,
    pub hidden_max: f32,
}

impl Calibration {
    /// MinMax calibration: the largest |input| and the largest hidden activation (after ReLU)
    /// of the float model `weights` over `images` (`[count, inputs]`, row-major).
    pub fn measure(weights: &MlpWeights, images: &[f32]) -> Self {
        let mut out = Calibration { images: 0, input_max: 0.0, hidden_max: 0.0 };
        for image in images.chunks_exact(weights.inputs.max(1)) {
            out.images += 1;
            out.input_max = image.iter().fold(out.input_max, |m, x| m.max(x.abs()));
            out.hidden_max = weights.hidden_activations(image).into_iter().fold(out.hidden_max, f32::max);
        }
        out
    }
}

impl Int8Mlp {
    /// Quantizes `weights` with the ranges of `calibration`; `sparse` stores the kernels in the
    /// sparse layout (for a pruned model).
    pub fn new(weights: &MlpWeights, calibration: &Calibration, sparse: bool) -> Result<Self, SparseError> {
        let input = Quantizer::for_max(calibration.input_max);
        let activation = Quantizer::for_max(calibration.hidden_max);
        Ok(Int8Mlp {
            input,
            activation,
            hidden: Int8Layer::new("hidden", &weights.hidden_kernel, &weights.hidden_bias, weights.inputs, weights.hidden, input, sparse)?,
            output: Int8Layer::new("output", &weights.output_kernel, &weights.output_bias, weights.hidden, CLASSES, activation, sparse)?,
        })
    }

    pub fn inputs(&self) -> usize {
        self.hidden.inputs
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self.hidden.codes, Codes::Sparse(_))
    }

    /// The hidden activation's code from unit `o`'s accumulator: bias, ReLU, requantize.
    pub fn hidden_code(&self, o: usize, acc: i32) -> i8 {
        self.activation.quantize(self.hidden.output(o, acc).max(0.0))
    }

    /// Logits `[images, 10]` of `images` (`[count, inputs]`), computed plainly from each
    /// weight's code (no layout tricks): the reference the fast paths must match exactly, since
    /// integer sums do not depend on their order.
    pub fn reference(&self, images: &[f32]) -> Vec<f32> {
        let codes = |layer: &Int8Layer| -> Vec<Vec<i8>> { (0..layer.outputs).map(|o| (0..layer.inputs).map(|i| layer.code(i, o)).collect()).collect() };
        let (hidden, output) = (codes(&self.hidden), codes(&self.output));
        let dot = |w: &[i8], x: &[i8]| w.iter().zip(x).map(|(&w, &x)| i32::from(w) * i32::from(x)).sum::<i32>();
        let mut logits = Vec::with_capacity(images.len() / self.inputs().max(1) * CLASSES);
        for image in images.chunks_exact(self.inputs().max(1)) {
            let x: Vec<i8> = image.iter().map(|&p| self.input.quantize(p)).collect();
            let h: Vec<i8> = hidden.iter().enumerate().map(|(o, w)| self.hidden_code(o, dot(w, &x))).collect();
            logits.extend(output.iter().enumerate().map(|(c, w)| self.output.output(c, dot(w, &h))));
        }
        logits
    }

    /// Bytes to store the model: the codes (dense: one byte each; sparse: one byte and a u16
    /// index per non-zero, u32 row pointers), an f32 scale per output unit and per activation,
    /// and the biases as f32.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for q in [self.input, self.activation] {
            out.extend(q.scale.to_le_bytes());
        }
        for layer in [&self.hidden, &self.output] {
            match &layer.codes {
                Codes::Dense(codes) => out.extend(codes.iter().map(|c| c.to_le_bytes()[0])),
                Codes::Sparse(s) => {
                    out.extend(s.row_ptr.iter().flat_map(|p| p.to_le_bytes()));
                    out.extend(s.row_inputs.iter().flat_map(|i| i.to_le_bytes()));
                    out.extend(s.row_values.iter().map(|c| c.to_le_bytes()[0]));
                }
            }
            out.extend(layer.weights.iter().flat_map(|q| q.scale.to_le_bytes()));
            out.extend(layer.bias.iter().flat_map(|b| b.to_le_bytes()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::sparse::layout::thresholded;
    use crate::prune::structured::tests::tiny;

    fn calibration(w: &MlpWeights) -> Calibration {
        let images: Vec<f32> = (0..20 * w.inputs).map(|i| (i % 7) as f32 / 6.0).collect();
        Calibration::measure(w, &images)
    }

    #[test]
    fn calibration_takes_the_largest_input_and_hidden_activation() {
        let w = tiny();
        let images: Vec<f32> = (0..3 * w.inputs).map(|i| (i % 5) as f32 / 4.0).collect();
        let c = Calibration::measure(&w, &images);
        let hidden_max = images.chunks(w.inputs).flat_map(|x| w.hidden_activations(x)).fold(0.0, f32::max);
        assert_eq!((c.images, c.input_max, c.hidden_max), (3, 1.0, hidden_max));
        assert!(hidden_max > 0.0);
    }

    #[test]
    fn dense_and_sparse_layouts_hold_the_same_codes() {
        let w = thresholded(&tiny(), 0.6);
        let c = calibration(&w);
        let (dense, sparse) = (Int8Mlp::new(&w, &c, false).unwrap(), Int8Mlp::new(&w, &c, true).unwrap());
        for (d, s) in [(&dense.hidden, &sparse.hidden), (&dense.output, &sparse.output)] {
            for (i, o) in (0..d.inputs).flat_map(|i| (0..d.outputs).map(move |o| (i, o))) {
                assert_eq!(d.code(i, o), s.code(i, o), "({i}, {o})");
            }
            assert_eq!(d.nonzero_codes(), s.nonzero_codes());
        }
        let x: Vec<f32> = (0..w.inputs).map(|i| (i % 3) as f32 / 2.0).collect();
        assert_eq!(dense.reference(&x), sparse.reference(&x));
    }

    #[test]
    fn the_reference_is_close_to_the_float_model() {
        let w = tiny();
        let q = Int8Mlp::new(&w, &calibration(&w), false).unwrap();
        for k in 0..5 {
            let x: Vec<f32> = (0..w.inputs).map(|i| ((i + k) % 7) as f32 / 6.0).collect();
            let (int8, float) = (q.reference(&x), w.forward(&x));
            let range = float.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (a, b) in int8.iter().zip(&float) {
                assert!((a - b).abs() <= 0.05 * range.max(1.0), "{int8:?} vs {float:?}");
            }
        }
    }

    #[test]
    fn int8_takes_a_quarter_of_the_kernel_bytes() {
        let w = tiny();
        let q = Int8Mlp::new(&w, &calibration(&w), false).unwrap();
        // 2 activation scales, then per layer: codes, a scale per unit, the biases.
        let expected = 2 * 4 + w.kernel_weights() + 4 * (w.hidden + CLASSES) * 2;
        assert_eq!(q.bytes().len(), expected);
        let sparse = Int8Mlp::new(&thresholded(&w, 0.5), &calibration(&w), true).unwrap();
        let nnz = sparse.hidden.nonzero_codes() + sparse.output.nonzero_codes();
        assert_eq!(sparse.bytes().len(), 2 * 4 + (w.hidden + 1 + CLASSES + 1) * 4 + nnz * 3 + 4 * (w.hidden + CLASSES) * 2);
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let mut w = tiny();
        w.hidden_kernel.pop();
        assert!(matches!(Int8Mlp::new(&w, &Calibration { images: 1, input_max: 1.0, hidden_max: 1.0 }, false), Err(SparseError::Shape { .. })));
    }
}
