//! Sparsity patterns of TFMOT's `prune_low_magnitude`, beside the unstructured one: blocks
//! (`block_size`, `block_pooling_type`) and N:M (`sparsity_m_by_n`). Each makes a [`Mask`] of a
//! kernel laid out `[inputs, outputs]`, as Keras' `Dense` stores it.
//!
//! - **Blocks** (`pruning_impl._maybe_update_block_mask`): |w| is pooled over non-overlapping
//!   `rows × cols` windows with TensorFlow's `SAME` padding (AVG averages only the real cells), the
//!   usual threshold (the k-th largest pooled value, `k = keep_count(blocks, s)`) keeps blocks with
//!   a pooled value at least that, and the block mask is expanded back from the origin and
//!   cropped (`pruning_utils.expand_tensor`). `SAME` pads the extra cells half before and half
//!   after, while the expansion starts at the origin: where a dimension is not a multiple of the
//!   block, a pooled window and the cells its verdict lands on differ by the padding before. That
//!   is TFMOT's behaviour, kept as is.
//! - **N:M** (`pruning_utils.generate_m_by_n_mask`): on the transposed kernel `[outputs, inputs]`,
//!   each run of `n` consecutive inputs of one output keeps its `n − m` largest |w| (the tail
//!   zero-padded to `n`; equal magnitudes go to the lower index, as `tf.math.top_k`). TFMOT makes
//!   the mask once, at step 1 whatever the schedule, and keeps it (`train::pruning` does the same).

use serde::{Deserialize, Serialize};

use super::mask::{Mask, layer_mask};

/// Which weights pruning may remove together (`?pattern=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Any weight on its own (TFMOT's default).
    Unstructured,
    /// Whole blocks of `block` (`?block=`, `?block_pooling=`).
    Block,
    /// `m` zeros in every `n` consecutive inputs (`?m_by_n=`).
    MByN,
}

/// A block of the `[inputs, outputs]` kernel (`?block=1x4`: one input, four outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSize {
    pub rows: usize,
    pub cols: usize,
}

/// How a block's magnitudes become one value (`?block_pooling=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Avg,
    Max,
}

/// `m` zeros in every `n` consecutive inputs (`?m_by_n=2:4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MByN {
    pub m: usize,
    pub n: usize,
}

impl MByN {
    /// The share of weights it removes.
    pub fn sparsity(self) -> f32 {
        self.m as f32 / self.n as f32
    }
}

/// TensorFlow's `SAME` padding before the first window of a dimension of `len` cells pooled in
/// windows of `window` with stride `window`.
fn same_padding_before(len: usize, window: usize) -> usize {
    let windows = len.div_ceil(window);
    (windows * window).saturating_sub(len) / 2
}

/// TFMOT's block mask of `kernel` (`[inputs, outputs]`, row-major) at `sparsity`.
pub fn block_mask(kernel: &[f32], outputs: usize, block: BlockSize, pooling: Pooling, sparsity: f32) -> Mask {
    if kernel.is_empty() || outputs == 0 || (block.rows, block.cols) == (1, 1) {
        return layer_mask(kernel, sparsity);
    }
    let inputs = kernel.len() / outputs;
    let (block_rows, block_cols) = (inputs.div_ceil(block.rows), outputs.div_ceil(block.cols));
    let (pad_rows, pad_cols) = (same_padding_before(inputs, block.rows), same_padding_before(outputs, block.cols));
    // The real cells a window pools: its span shifted back by the padding, clipped to the kernel.
    let span = |b: usize, size: usize, pad: usize, len: usize| (b * size).saturating_sub(pad)..((b + 1) * size).saturating_sub(pad).min(len);
    let mut pooled = Vec::with_capacity(block_rows * block_cols);
    for br in 0..block_rows {
        for bc in 0..block_cols {
            let magnitudes = span(br, block.rows, pad_rows, inputs)
                .flat_map(|i| span(bc, block.cols, pad_cols, outputs).map(move |o| kernel[i * outputs + o].abs()))
                .collect::<Vec<f32>>();
            pooled.push(match pooling {
                Pooling::Avg => magnitudes.iter().sum::<f32>() / magnitudes.len().max(1) as f32,
                Pooling::Max => magnitudes.iter().copied().fold(0.0, f32::max),
            });
        }
    }
    // TFMOT's `_update_mask` on the pooled matrix: k = keep_count(blocks, sparsity), |p| >= the k-th.
    let kept_blocks = layer_mask(&pooled, sparsity);
    let keep =
        (0..inputs).flat_map(|i| (0..outputs).map(move |o| (i, o))).map(|(i, o)| kept_blocks.keep[(i / block.rows) * block_cols + o / block.cols]).collect();
    Mask { keep }
}

/// TFMOT's N:M mask of `kernel` (`[inputs, outputs]`, row-major): for each output, every run of
/// `n` consecutive inputs keeps its `n − m` largest |w|.
pub fn m_by_n_mask(kernel: &[f32], outputs: usize, pattern: MByN) -> Mask {
    let mut keep = vec![false; kernel.len()];
    if outputs == 0 || pattern.n == 0 {
        return Mask { keep };
    }
    let inputs = kernel.len() / outputs;
    let kept_per_run = pattern.n.saturating_sub(pattern.m);
    for o in 0..outputs {
        for start in (0..inputs).step_by(pattern.n) {
            // The tail's missing inputs are zeros after the real ones: they can only be kept
            // where a real weight of magnitude 0 ties them, and the real one, lower, wins.
            let mut run: Vec<usize> = (start..(start + pattern.n).min(inputs)).collect();
            run.sort_by(|&a, &b| kernel[b * outputs + o].abs().total_cmp(&kernel[a * outputs + o].abs()).then(a.cmp(&b)));
            for &i in run.iter().take(kept_per_run) {
                keep[i * outputs + o] = true;
            }
        }
    }
    Mask { keep }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(mask: &Mask) -> String {
        mask.keep.iter().map(|&k| if k { '1' } else { '0' }).collect()
    }

    #[test]
    fn avg_and_max_pooling_rank_blocks_as_tfmot() {
        // [2 inputs, 4 outputs], blocks of 1 × 2: (0, 2.6) averages 1.3 but peaks at 2.6; (1.4, 1.4)
        // averages 1.4. At 75 %, k = round(4 × 0.25) = 1 block survives.
        let kernel = [0.0, 2.6, 1.4, -1.4, 0.1, 0.0, 0.0, 0.2];
        let block = BlockSize { rows: 1, cols: 2 };
        assert_eq!(flags(&block_mask(&kernel, 4, block, Pooling::Avg, 0.75)), "00110000");
        assert_eq!(flags(&block_mask(&kernel, 4, block, Pooling::Max, 0.75)), "11000000");
        // 2 × 1 blocks: columns of two inputs; AVG (0.05, 1.3, 0.7, 0.8) keeps the best two.
        assert_eq!(flags(&block_mask(&kernel, 4, BlockSize { rows: 2, cols: 1 }, Pooling::Avg, 0.5)), "01010101");
    }

    #[test]
    fn edge_blocks_pool_their_real_cells_in_same_padded_windows_expanded_from_the_origin() {
        // One input, ten outputs, blocks of 1 × 4: SAME pads 2 cells, one before and one after, so
        // the windows pool outputs {0, 1, 2}, {3, 4, 5, 6}, {7, 8, 9}, and their verdicts land on
        // {0..3}, {4..7}, {8, 9}. AVG divides by the real cells: 3, 1.6, 1.9 (counting the padding
        // as zeros would give 2.25, 1.6, 1.425 and keep the middle block instead).
        let kernel = [3.0, 3.0, 3.0, 1.6, 1.6, 1.6, 1.6, 1.9, 1.9, 1.9];
        let block = BlockSize { rows: 1, cols: 4 };
        assert_eq!(flags(&block_mask(&kernel, 10, block, Pooling::Avg, 0.5)), "1111000011");
        // The window that pools output 3 decides outputs 4..7: a lone large weight at 3 keeps them.
        let lone = [0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(flags(&block_mask(&lone, 10, block, Pooling::Max, 0.6)), "0000111100");
        assert_eq!(same_padding_before(10, 4), 1);
        assert_eq!(same_padding_before(784, 4), 0);
    }

    #[test]
    fn one_by_one_blocks_are_the_unstructured_mask() {
        let kernel: Vec<f32> = (0..40).map(|i| ((i * 37 % 11) as f32 - 5.0) / 3.0).collect();
        assert_eq!(block_mask(&kernel, 8, BlockSize { rows: 1, cols: 1 }, Pooling::Max, 0.6), layer_mask(&kernel, 0.6));
    }

    #[test]
    fn m_by_n_keeps_the_largest_of_each_run_of_inputs_per_output() {
        // [6 inputs, 2 outputs]; runs of inputs {0..3} and the tail {4, 5} (padded with zeros).
        // Output 0: |w| 0.1, 0.9, 0.5, 0.5 keeps inputs 1 and 2 (the tie to the lower index); the
        // tail keeps both. Output 1: four equal weights keep inputs 0 and 1; the tail keeps 0 and 0.7.
        let kernel = [0.1, 1.0, -0.9, 1.0, 0.5, 1.0, 0.5, 1.0, 0.3, 0.0, -0.2, 0.7];
        let mask = m_by_n_mask(&kernel, 2, MByN { m: 2, n: 4 });
        assert_eq!(flags(&mask), "011110001111");
        // 1:4 keeps three of each four.
        let mask = m_by_n_mask(&kernel, 2, MByN { m: 1, n: 4 });
        assert_eq!(flags(&mask), "011111101111");
    }

    #[test]
    fn on_the_networks_kernels_each_block_and_run_is_whole() {
        let (inputs, outputs) = (784, 128);
        let kernel: Vec<f32> = (0..inputs * outputs).map(|i| ((i as u64 * 2_654_435_761 % 10_007) as f32 / 10_007.0) - 0.5).collect();
        let mask = block_mask(&kernel, outputs, BlockSize { rows: 4, cols: 1 }, Pooling::Avg, 0.9);
        for i in (0..inputs).step_by(4) {
            for o in 0..outputs {
                let block: Vec<bool> = (i..i + 4).map(|r| mask.keep[r * outputs + o]).collect();
                assert!(block.iter().all(|&k| k == block[0]), "block at input {i}, output {o}");
            }
        }
        assert!((mask.sparsity() - 0.9).abs() < 0.01, "{}", mask.sparsity());
        let mask = m_by_n_mask(&kernel, outputs, MByN { m: 2, n: 4 });
        for o in 0..outputs {
            for i in (0..inputs).step_by(4) {
                assert_eq!((i..i + 4).filter(|&r| mask.keep[r * outputs + o]).count(), 2);
            }
        }
        assert_eq!(mask.sparsity(), 0.5);
    }
}
