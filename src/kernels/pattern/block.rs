//! Block-CSR: a kernel pruned in blocks of `rows` inputs × `cols` units (TFMOT's `block_size` on
//! the `[inputs, outputs]` kernel), stored as its kept blocks only. One u16 index per block
//! instead of one per weight, and the block's `rows × cols` values contiguous, so the inner loop
//! loads an input row once for `cols` units and runs on full vectors with no index per weight.
//!
//! Blocks are aligned at the origin, as TFMOT expands its block mask (`prune::pattern`); a block
//! is stored when any of its weights is non-zero, so any model can be laid out, and a model pruned
//! in these blocks is stored without a zero outside its kept blocks.

use super::PatternError;
use crate::kernels::sparse::layout::MAX_INDEX;

/// The block shapes with a compiled kernel: the page's `?block=` choices.
pub const SHAPES: [(usize, usize); 6] = [(1, 4), (4, 1), (2, 2), (1, 8), (8, 1), (4, 4)];

/// One dense layer `y = x · W + b` (W `[inputs, outputs]`) as block-CSR.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockLayer {
    pub rows: usize,
    pub cols: usize,
    pub inputs: usize,
    pub outputs: usize,
    /// Unit group `g` (units `g·cols ..`) holds the blocks `group_ptr[g] .. group_ptr[g + 1]`.
    pub group_ptr: Vec<u32>,
    /// Each block's first input divided by `rows` (ascending within a group).
    pub block_inputs: Vec<u16>,
    /// `rows × cols` values per block, input-major (`[r][c]`), zero past the kernel's edges.
    pub values: Vec<f32>,
    pub bias: Vec<f32>,
}

impl BlockLayer {
    /// From a `[inputs, outputs]` row-major kernel.
    pub fn new(layer: &'static str, kernel: &[f32], bias: &[f32], inputs: usize, outputs: usize, (rows, cols): (usize, usize)) -> Result<Self, PatternError> {
        if !SHAPES.contains(&(rows, cols)) {
            return Err(PatternError::NoKernel(format!("blocks of {rows} × {cols}")));
        }
        if kernel.len() != inputs * outputs || bias.len() != outputs {
            return Err(PatternError::Shape { layer, got: kernel.len(), inputs, outputs });
        }
        if inputs.div_ceil(rows) > MAX_INDEX + 1 {
            return Err(PatternError::TooWide { layer, inputs });
        }
        let weight = |i: usize, o: usize| if i < inputs && o < outputs { kernel[i * outputs + o] } else { 0.0 };
        let mut group_ptr = vec![0u32];
        let (mut block_inputs, mut values) = (Vec::new(), Vec::new());
        for group in 0..outputs.div_ceil(cols) {
            for block in 0..inputs.div_ceil(rows) {
                let cells = (0..rows).flat_map(|r| (0..cols).map(move |c| (block * rows + r, group * cols + c)));
                let block_values: Vec<f32> = cells.map(|(i, o)| weight(i, o)).collect();
                if block_values.iter().any(|w| *w != 0.0) {
                    block_inputs.push(block as u16);
                    values.extend(block_values);
                }
            }
            group_ptr.push(block_inputs.len() as u32);
        }
        Ok(BlockLayer { rows, cols, inputs, outputs, group_ptr, block_inputs, values, bias: bias.to_vec() })
    }

    pub fn blocks(&self) -> usize {
        self.block_inputs.len()
    }

    /// Inputs rounded up to whole blocks: the rows an input tile must have (the extra ones zero).
    pub fn padded_inputs(&self) -> usize {
        self.inputs.div_ceil(self.rows) * self.rows
    }

    /// Bytes as stored: u32 group pointers, a u16 index per block, its values at `value_bytes`
    /// each (4 for f32, 1 for int8 codes), the biases as f32.
    pub fn bytes(&self, value_bytes: usize) -> usize {
        4 * self.group_ptr.len() + 2 * self.blocks() + value_bytes * self.values.len() + 4 * self.bias.len()
    }

    /// The block indices two to a u32, the even one in the low half (WGSL has no 16-bit integers).
    pub fn packed_block_inputs(&self) -> Vec<u32> {
        self.block_inputs.chunks(2).map(|pair| u32::from(pair[0]) | (u32::from(*pair.get(1).unwrap_or(&0)) << 16)).collect()
    }
}

/// `y = relu?(x · W + b)` over a tile of `L` images: `x` is `[padded inputs][L]`, `y`
/// `[outputs][L]`. `N` is `R · C` (a const expression cannot say so). Every unit adds its bias
/// and then its products in ascending input order, as the CSR kernel does: a block's zeros add
/// exact zeros, so the logits are the CSR kernel's to the bit. At batch 1 (`L` = 1) a block whose
/// inputs are all zero (most MNIST pixels) is skipped.
#[inline(always)]
fn layer_tile<const R: usize, const C: usize, const N: usize, const L: usize>(layer: &BlockLayer, x: &[[f32; L]], y: &mut [[f32; L]], relu: bool) {
    debug_assert_eq!((R * C, layer.rows, layer.cols), (N, R, C));
    for (group, ends) in layer.group_ptr.windows(2).enumerate() {
        let first = group * C;
        let units = C.min(layer.outputs - first);
        let mut acc = [[0.0f32; L]; C];
        for (a, &b) in acc.iter_mut().zip(&layer.bias[first..first + units]) {
            *a = [b; L];
        }
        let range = ends[0] as usize..ends[1] as usize;
        let values = layer.values[range.start * N..range.end * N].chunks_exact(N);
        for (&block, w) in layer.block_inputs[range].iter().zip(values) {
            let rows = &x[usize::from(block) * R..][..R];
            if L == 1 && rows.iter().all(|row| row[0] == 0.0) {
                continue;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, a) in acc.iter_mut().enumerate() {
                    let weight = w[r * C + c];
                    for lane in 0..L {
                        a[lane] += weight * row[lane];
                    }
                }
            }
        }
        for (out, a) in y[first..first + units].iter_mut().zip(&mut acc) {
            if relu {
                a.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            *out = *a;
        }
    }
}

/// Both layers of a blocked MLP over one tile (hidden ReLU, logits out).
pub(crate) fn forward_tile<const L: usize>(hidden: &BlockLayer, output: &BlockLayer, x: &[[f32; L]], h: &mut [[f32; L]], y: &mut [[f32; L]]) {
    macro_rules! dispatch {
        ($layer:expr, $x:expr, $y:expr, $relu:expr) => {
            match ($layer.rows, $layer.cols) {
                (1, 4) => layer_tile::<1, 4, 4, L>($layer, $x, $y, $relu),
                (4, 1) => layer_tile::<4, 1, 4, L>($layer, $x, $y, $relu),
                (2, 2) => layer_tile::<2, 2, 4, L>($layer, $x, $y, $relu),
                (1, 8) => layer_tile::<1, 8, 8, L>($layer, $x, $y, $relu),
                (8, 1) => layer_tile::<8, 1, 8, L>($layer, $x, $y, $relu),
                (4, 4) => layer_tile::<4, 4, 16, L>($layer, $x, $y, $relu),
                // `BlockLayer::new` refuses every other shape.
                _ => unreachable!("no kernel for blocks of {} × {}", $layer.rows, $layer.cols),
            }
        };
    }
    dispatch!(hidden, x, h, true);
    dispatch!(output, h, y, false);
}

/// Whether both layers can run image by image in their row-major layout ([`forward_rows`]): the
/// block's units fill whole 4-lane vectors, and its rows divide each layer's inputs (so a block
/// never reads past an image).
pub(crate) fn row_major(hidden: &BlockLayer, output: &BlockLayer) -> bool {
    hidden.cols.is_multiple_of(4) && hidden.inputs.is_multiple_of(hidden.rows) && output.inputs.is_multiple_of(output.rows)
}

/// `y = relu?(x · W + b)` for `T` images in their row-major layout (`x` holds image `t`'s inputs at
/// `t · inputs`, `y` its outputs at `t · outputs`), vectorised over the block's units: one
/// image's input broadcast against the block's `cols` weights, which are contiguous, so there is no
/// transpose at all. Bias first, then the inputs in ascending order, as the CSR kernel. For one
/// image (`T` = 1) a zero input (most MNIST pixels) is skipped.
#[inline(always)]
fn layer_rows<const R: usize, const C: usize, const N: usize, const T: usize>(layer: &BlockLayer, x: &[f32], y: &mut [f32], relu: bool) {
    let (inputs, outputs) = (layer.inputs, layer.outputs);
    for (group, ends) in layer.group_ptr.windows(2).enumerate() {
        let first = group * C;
        let units = C.min(outputs - first);
        let mut acc = [[0.0f32; C]; T];
        for a in acc.iter_mut() {
            a[..units].copy_from_slice(&layer.bias[first..first + units]);
        }
        let range = ends[0] as usize..ends[1] as usize;
        let values = layer.values[range.start * N..range.end * N].chunks_exact(N);
        for (&block, w) in layer.block_inputs[range].iter().zip(values) {
            let base = usize::from(block) * R;
            for (r, weights) in w.chunks_exact(C).enumerate() {
                // A fixed-size array, so the units' loop is one vector operation.
                let weights: &[f32; C] = weights.try_into().expect("C values per block row");
                // Every image's input first (bounds checked once), then plain vector arithmetic.
                let xs: [f32; T] = std::array::from_fn(|t| x[t * inputs + base + r]);
                if T == 1 && xs[0] == 0.0 {
                    continue;
                }
                for (a, input) in acc.iter_mut().zip(xs) {
                    for c in 0..C {
                        a[c] += input * weights[c];
                    }
                }
            }
        }
        for (t, a) in acc.iter_mut().enumerate() {
            if relu {
                a.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            y[t * outputs + first..t * outputs + first + units].copy_from_slice(&a[..units]);
        }
    }
}

/// Both layers for `T` row-major images (hidden ReLU, logits out): `x` `[T][inputs]`, `h`
/// `[T][hidden]`, `y` `[T][10]`. Only for layers [`row_major`] accepts.
pub(crate) fn forward_rows<const T: usize>(hidden: &BlockLayer, output: &BlockLayer, x: &[f32], h: &mut [f32], y: &mut [f32]) {
    macro_rules! dispatch {
        ($layer:expr, $x:expr, $y:expr, $relu:expr) => {
            match ($layer.rows, $layer.cols) {
                (1, 4) => layer_rows::<1, 4, 4, T>($layer, $x, $y, $relu),
                (1, 8) => layer_rows::<1, 8, 8, T>($layer, $x, $y, $relu),
                (4, 4) => layer_rows::<4, 4, 16, T>($layer, $x, $y, $relu),
                _ => unreachable!("blocks of {} × {} do not fill whole vectors of units", $layer.rows, $layer.cols),
            }
        };
    }
    dispatch!(hidden, x, h, true);
    dispatch!(output, h, y, false);
}

/// Images per tile: `cols` accumulators of `L` lanes plus one input row must fit in the sixteen
/// 128-bit registers of SIMD128 (and SSE), or the accumulators spill on every block.
pub fn tile_lanes(cols: usize) -> usize {
    match cols {
        0..=2 => 16,
        3..=4 => 8,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_their_values_input_major_and_pad_the_edges() {
        // [3 inputs, 3 outputs]; blocks of 2 × 2 → 2 × 2 blocks, the edge ones padded with zeros.
        #[rustfmt::skip]
        let kernel = [
            1.0, 2.0, 0.0,
            3.0, 4.0, 0.0,
            0.0, 0.0, 5.0,
        ];
        let layer = BlockLayer::new("t", &kernel, &[0.0; 3], 3, 3, (2, 2)).unwrap();
        // Group 0 (units 0, 1): block 0 (inputs 0, 1) whole, block 1 (input 2) all zero, left out.
        // Group 1 (unit 2): block 0 zero, block 1 holds input 2 → unit 2 = 5 and padding.
        assert_eq!(layer.group_ptr, vec![0, 1, 2]);
        assert_eq!(layer.block_inputs, vec![0, 1]);
        assert_eq!(layer.values, vec![1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0, 0.0]);
        assert_eq!(layer.padded_inputs(), 4);
        assert_eq!(layer.bytes(4), 4 * 3 + 2 * 2 + 4 * 8 + 4 * 3);
        assert_eq!(layer.bytes(1), 4 * 3 + 2 * 2 + 8 + 4 * 3);
    }

    #[test]
    fn unsupported_shapes_and_wrong_sizes_are_refused() {
        assert!(matches!(BlockLayer::new("t", &[1.0; 6], &[0.0; 2], 3, 2, (3, 1)), Err(PatternError::NoKernel(_))));
        assert!(matches!(BlockLayer::new("t", &[1.0; 5], &[0.0; 2], 3, 2, (1, 4)), Err(PatternError::Shape { .. })));
    }

    #[test]
    fn lanes_leave_room_for_the_accumulators() {
        for (_, cols) in SHAPES {
            // Accumulator vectors plus one input row, 4 lanes per vector.
            assert!(cols * tile_lanes(cols) / 4 + tile_lanes(cols) / 4 <= 12, "{cols}");
        }
    }
}
