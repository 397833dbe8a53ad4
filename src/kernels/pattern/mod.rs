//! Kernels that exploit a sparsity pattern, beside the CSR ones that take any: block-CSR for a
//! model pruned in blocks ([`block`]) and a fixed-width layout for N:M with n = 4 ([`nm`]). Each
//! is laid out once from the host weights and run over batch-contiguous tiles, as the CSR kernel
//! (`kernels::sparse::cpu`), and adds in the same order, so its logits are the CSR kernel's.

pub mod block;
#[cfg(feature = "webgpu")]
pub mod gpu;
pub mod nm;

use thiserror::Error;

use self::block::BlockLayer;
use self::nm::NmLayer;
use crate::kernels::sparse::SparseMlp;
use crate::kernels::sparse::cpu::transpose_tile;
use crate::measure::latency::{CpuModel, CpuRunner};
use crate::model::CLASSES;
use crate::model::weights::MlpWeights;
use crate::prune::pattern::{BlockSize, MByN, Pattern};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternError {
    #[error("no pattern kernel for {0}; the CSR kernel runs it")]
    NoKernel(String),
    #[error("the {layer} layer's kernel has {got} values, expected {inputs} × {outputs}")]
    Shape { layer: &'static str, got: usize, inputs: usize, outputs: usize },
    #[error("the {layer} layer has {inputs} inputs; block indices are u16")]
    TooWide { layer: &'static str, inputs: usize },
    #[error("the {layer} layer's unit {unit} has {nonzeros} non-zero weights in inputs {first_input}–{}, where the pattern keeps {keep}", first_input + 3)]
    NotNm { layer: &'static str, unit: usize, first_input: usize, nonzeros: usize, keep: usize },
}

/// A layer's int8 bytes with its scales: one f32 per unit and one for its input, as the int8
/// models store them (`kernels::int8`).
fn with_scales(code_bytes: usize, outputs: usize) -> usize {
    code_bytes + 4 * outputs + 4
}

/// The CSR layout's bytes for the same model, with f32 values and with int8 codes: what a
/// pattern kernel's layout is compared with.
pub fn csr_bytes(model: &SparseMlp) -> (usize, usize) {
    let [hidden, output] = [&model.hidden, &model.output];
    (hidden.csr_bytes(4) + output.csr_bytes(4), with_scales(hidden.csr_bytes(1), hidden.outputs) + with_scales(output.csr_bytes(1), output.outputs))
}

/// The layout of a pattern kernel, one per layer.
#[derive(Debug, Clone, PartialEq)]
pub enum PatternLayers {
    Block { hidden: BlockLayer, output: BlockLayer },
    Nm { hidden: NmLayer, output: NmLayer },
}

/// A pruned 784-h-10 MLP on the kernel of its pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternMlp {
    pub layers: PatternLayers,
    pub inputs: usize,
    pub hidden: usize,
}

impl PatternMlp {
    /// The kernel of `pattern`, laid out from `weights`: blocks (`block`) or N:M (`m_by_n`, n = 4
    /// only). `NoKernel` for the unstructured pattern and for N:M with another n.
    pub fn new(weights: &MlpWeights, pattern: Pattern, block: BlockSize, m_by_n: MByN) -> Result<Self, PatternError> {
        let (inputs, hidden) = (weights.inputs, weights.hidden);
        let layers = match pattern {
            Pattern::Unstructured => return Err(PatternError::NoKernel("the unstructured pattern".into())),
            Pattern::Block => {
                let shape = (block.rows, block.cols);
                PatternLayers::Block {
                    hidden: BlockLayer::new("hidden", &weights.hidden_kernel, &weights.hidden_bias, inputs, hidden, shape)?,
                    output: BlockLayer::new("output", &weights.output_kernel, &weights.output_bias, hidden, CLASSES, shape)?,
                }
            }
            Pattern::MByN if m_by_n.n == nm::RUN => {
                let keep = m_by_n.n - m_by_n.m.min(m_by_n.n);
                PatternLayers::Nm {
                    hidden: NmLayer::new("hidden", &weights.hidden_kernel, &weights.hidden_bias, inputs, hidden, keep)?,
                    output: NmLayer::new("output", &weights.output_kernel, &weights.output_bias, hidden, CLASSES, keep)?,
                }
            }
            Pattern::MByN => return Err(PatternError::NoKernel(format!("{}:{} (runs of {} inputs)", m_by_n.m, m_by_n.n, nm::RUN))),
        };
        Ok(PatternMlp { layers, inputs, hidden })
    }

    /// What the layout is, in words.
    pub fn layout(&self) -> String {
        match &self.layers {
            PatternLayers::Block { hidden, .. } => format!(
                "block-CSR, blocks of {} × {} (inputs × units): one u16 index per block, its {} f32 values contiguous, u32 pointers per group of {} units",
                hidden.rows,
                hidden.cols,
                hidden.rows * hidden.cols,
                hidden.cols
            ),
            PatternLayers::Nm { hidden, .. } => format!(
                "{}:{} fixed width: {} f32 values per run of {} inputs, each with a 2-bit position; no pointers, no indices",
                nm::RUN - hidden.keep,
                nm::RUN,
                hidden.keep,
                nm::RUN
            ),
        }
    }

    /// Bytes as stored with f32 values, and with int8 codes.
    pub fn bytes(&self) -> (usize, usize) {
        match &self.layers {
            PatternLayers::Block { hidden, output } => {
                (hidden.bytes(4) + output.bytes(4), with_scales(hidden.bytes(1), hidden.outputs) + with_scales(output.bytes(1), output.outputs))
            }
            PatternLayers::Nm { hidden, output } => {
                (hidden.bytes(4) + output.bytes(4), with_scales(hidden.bytes(1), hidden.outputs) + with_scales(output.bytes(1), output.outputs))
            }
        }
    }

    /// Images per tile (see `block::tile_lanes`; the N:M kernel keeps one unit's accumulators).
    fn lanes(&self) -> usize {
        match &self.layers {
            PatternLayers::Block { hidden, .. } => block::tile_lanes(hidden.cols),
            PatternLayers::Nm { .. } => 16,
        }
    }

    /// Rows of the input tile and of the hidden tile: padded to whole blocks or runs.
    pub(crate) fn tile_rows(&self) -> (usize, usize) {
        match &self.layers {
            PatternLayers::Block { hidden, output } => (hidden.padded_inputs(), output.padded_inputs().max(hidden.outputs.div_ceil(hidden.cols) * hidden.cols)),
            PatternLayers::Nm { hidden, output } => (hidden.padded_inputs(), output.padded_inputs().max(hidden.outputs)),
        }
    }

    /// Block models whose units fill whole vectors: image by image in the row-major layout,
    /// `T` images at a time (one at the batch's end), no transpose. (At `T` > 1 rustc does not
    /// vectorise its loops as well as the tiles', so batches take the tiles.)
    fn forward_rows<const T: usize>(&self, hidden: &BlockLayer, output: &BlockLayer, images: &[f32], batch: usize, scratch: &mut Vec<f32>, logits: &mut [f32]) {
        let (n, h) = (self.inputs, hidden.outputs);
        scratch.resize(T * h, 0.0);
        let whole = batch / T * T;
        for first in (0..whole).step_by(T) {
            block::forward_rows::<T>(hidden, output, &images[first * n..(first + T) * n], scratch, &mut logits[first * CLASSES..(first + T) * CLASSES]);
        }
        for one in whole..batch {
            block::forward_rows::<1>(hidden, output, &images[one * n..(one + 1) * n], &mut scratch[..h], &mut logits[one * CLASSES..(one + 1) * CLASSES]);
        }
    }

    fn forward_lanes<const L: usize>(&self, images: &[f32], batch: usize, scratch: &mut Tiles<L>, logits: &mut [f32]) {
        let (input_rows, hidden_rows) = self.tile_rows();
        // Resized from empty only: the padding rows past the real ones stay zero.
        scratch.input.resize(input_rows, [0.0; L]);
        scratch.hidden.resize(hidden_rows, [0.0; L]);
        scratch.output.resize(CLASSES, [0.0; L]);
        for first in (0..batch).step_by(L) {
            let count = transpose_tile(images, self.inputs, batch, first, &mut scratch.input[..self.inputs]);
            let (x, h, y) = (&scratch.input[..], &mut scratch.hidden[..], &mut scratch.output[..]);
            match &self.layers {
                PatternLayers::Block { hidden, output } => block::forward_tile(hidden, output, x, h, y),
                PatternLayers::Nm { hidden, output } => nm::forward_tile(hidden, output, x, h, y),
            }
            for lane in 0..count {
                let row = &mut logits[(first + lane) * CLASSES..(first + lane + 1) * CLASSES];
                row.iter_mut().zip(&scratch.output).for_each(|(l, unit)| *l = unit[lane]);
            }
        }
    }
}

/// An input, a hidden and an output tile of `L` images each.
#[derive(Debug, Default)]
pub struct Tiles<const L: usize> {
    input: Vec<[f32; L]>,
    hidden: Vec<[f32; L]>,
    output: Vec<[f32; L]>,
}

/// Reusable buffers for every tile width a pattern kernel uses (batch 1 runs one lane).
#[derive(Debug, Default)]
pub struct Scratch {
    /// The hidden activations of the row-major block path.
    rows: Vec<f32>,
    one: Tiles<1>,
    four: Tiles<4>,
    eight: Tiles<8>,
    sixteen: Tiles<16>,
}

impl CpuModel for PatternMlp {
    type Scratch = Scratch;

    fn forward(&self, images: &[f32], batch: usize, scratch: &mut Scratch, logits: &mut [f32]) {
        assert_eq!((images.len(), logits.len()), (batch * self.inputs, batch * CLASSES), "images and logits must hold {batch} rows");
        // One image: row-major where the block's units fill vectors (no transpose, zero inputs
        // skipped); a batch: the transposed tiles, whose 4-lane vectors run over images.
        if let PatternLayers::Block { hidden, output } = &self.layers
            && batch == 1
            && block::row_major(hidden, output)
        {
            return self.forward_rows::<1>(hidden, output, images, batch, &mut scratch.rows, logits);
        }
        match (batch, self.lanes()) {
            (1, _) => self.forward_lanes(images, batch, &mut scratch.one, logits),
            (_, 4) => self.forward_lanes(images, batch, &mut scratch.four, logits),
            (_, 8) => self.forward_lanes(images, batch, &mut scratch.eight, logits),
            _ => self.forward_lanes(images, batch, &mut scratch.sixteen, logits),
        }
    }
}

/// The pattern model with its buffers.
pub type PatternRunner = CpuRunner<PatternMlp>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::sparse::SparseRunner;
    use crate::measure::latency::CpuForward;
    use crate::prune::pattern::{Pooling, block_mask, m_by_n_mask};
    use crate::prune::structured::tests::{mostly_zero_images as images, realistic};

    /// `weights` pruned to `sparsity` under a pattern, each kernel by TFMOT's own mask.
    fn pruned(weights: &MlpWeights, mask: impl Fn(&[f32], usize) -> Vec<bool>) -> MlpWeights {
        let mut out = weights.clone();
        for (kernel, outputs) in [(&mut out.hidden_kernel, weights.hidden), (&mut out.output_kernel, CLASSES)] {
            let keep = mask(kernel, outputs);
            kernel.iter_mut().zip(keep).filter(|(_, keep)| !keep).for_each(|(w, _)| *w = 0.0);
        }
        out
    }

    fn check_against_csr(weights: &MlpWeights, model: PatternMlp) {
        let mut pattern = PatternRunner::new(model);
        let mut csr = SparseRunner::new(SparseMlp::new(weights).unwrap());
        // Batch 1, partial tiles of every width, and several tiles.
        for batch in [1, 2, 3, 4, 5, 8, 9, 16, 17, 53] {
            let x = images(batch, weights.inputs);
            let expected = csr.run(&x, batch).to_vec();
            assert_eq!(pattern.run(&x, batch), expected.as_slice(), "batch {batch}: the same sums in the same order");
            let reference: Vec<f32> = x.chunks_exact(weights.inputs).flat_map(|image| weights.forward(image)).collect();
            assert!(expected.iter().zip(&reference).all(|(a, b)| (a - b).abs() <= 1e-5 * b.abs().max(1.0)));
        }
    }

    #[test]
    fn every_block_shape_computes_what_the_csr_kernel_computes() {
        let dense = realistic(3);
        for (rows, cols) in block::SHAPES {
            let block = BlockSize { rows, cols };
            let w = pruned(&dense, |k, outputs| block_mask(k, outputs, block, Pooling::Avg, 0.9).keep);
            let model = PatternMlp::new(&w, Pattern::Block, block, MByN { m: 2, n: 4 }).unwrap();
            let PatternLayers::Block { hidden, .. } = &model.layers else { unreachable!() };
            // Pruned in these blocks, the layout stores about a tenth of the hidden kernel's blocks.
            let blocks = 784usize.div_ceil(rows) * 128usize.div_ceil(cols);
            assert!((hidden.blocks() as f64 / blocks as f64 - 0.1).abs() < 0.01, "{rows} × {cols}: {} of {blocks}", hidden.blocks());
            check_against_csr(&w, model);
        }
    }

    #[test]
    fn blocks_and_two_of_four_store_fewer_bytes_than_csr() {
        let dense = realistic(6);
        let block = BlockSize { rows: 1, cols: 4 };
        let w = pruned(&dense, |k, outputs| block_mask(k, outputs, block, Pooling::Avg, 0.9).keep);
        let (csr, csr_int8) = csr_bytes(&SparseMlp::new(&w).unwrap());
        let (blocks, blocks_int8) = PatternMlp::new(&w, Pattern::Block, block, MByN { m: 2, n: 4 }).unwrap().bytes();
        // Per kept weight: CSR 6 bytes (f32 + u16), 1 × 4 blocks 4.5 (f32 + a quarter of a u16).
        assert!(blocks < csr * 8 / 10 && blocks_int8 < csr_int8 * 6 / 10, "{blocks} vs {csr}, {blocks_int8} vs {csr_int8}");
        let two_four = MByN { m: 2, n: 4 };
        let w = pruned(&dense, |k, outputs| m_by_n_mask(k, outputs, two_four).keep);
        let (csr, _) = csr_bytes(&SparseMlp::new(&w).unwrap());
        let (nm, _) = PatternMlp::new(&w, Pattern::MByN, block, two_four).unwrap().bytes();
        // f32 + 2 bits against f32 + 16 bits.
        assert!(nm < csr * 75 / 100, "{nm} vs {csr}");
    }

    #[test]
    fn a_model_pruned_without_blocks_still_runs_on_the_block_kernel() {
        let w = crate::kernels::sparse::layout::thresholded(&realistic(5), 0.9);
        let model = PatternMlp::new(&w, Pattern::Block, BlockSize { rows: 1, cols: 4 }, MByN { m: 2, n: 4 }).unwrap();
        check_against_csr(&w, model);
    }

    #[test]
    fn n_of_four_computes_what_the_csr_kernel_computes() {
        let dense = realistic(4);
        for m in 1..=3 {
            let pattern = MByN { m, n: 4 };
            let w = pruned(&dense, |k, outputs| m_by_n_mask(k, outputs, pattern).keep);
            let model = PatternMlp::new(&w, Pattern::MByN, BlockSize { rows: 1, cols: 4 }, pattern).unwrap();
            let (f32_bytes, int8_bytes) = model.bytes();
            // 784 × 128 + 128 × 10 weights, (4 − m) of every four kept, 2 bits of position each
            // (for 1:4, 30 of a word's 32 bits used), a word and a bias per unit at most besides.
            let kept = (784 * 128 + 128 * 10) / 4 * (4 - m);
            let positions = kept / 4 * if m == 1 { 16 } else { 15 } / 15;
            assert!(f32_bytes >= kept * 4 + kept / 4 && f32_bytes <= kept * 4 + positions + 8 * (128 + 10), "{m}:4 {f32_bytes}");
            assert!(int8_bytes < f32_bytes / 2);
            check_against_csr(&w, model);
        }
    }

    #[test]
    fn patterns_without_a_kernel_say_so() {
        let w = realistic(1);
        let other = MByN { m: 4, n: 8 };
        assert!(matches!(PatternMlp::new(&w, Pattern::MByN, BlockSize { rows: 1, cols: 4 }, other), Err(PatternError::NoKernel(_))));
        assert!(matches!(PatternMlp::new(&w, Pattern::Unstructured, BlockSize { rows: 1, cols: 4 }, other), Err(PatternError::NoKernel(_))));
        // A dense model is not 2:4.
        let err = PatternMlp::new(&w, Pattern::MByN, BlockSize { rows: 1, cols: 4 }, MByN { m: 2, n: 4 }).unwrap_err();
        assert!(matches!(err, PatternError::NotNm { layer: "hidden", unit: 0, first_input: 0, nonzeros: 4, keep: 2 }), "{err}");
    }
}
