//! The sparse model on the CPU, two paths:
//!
//! - **batched** (XNNPACK's f32 SpMM design): images are transposed tile by tile into a
//!   batch-contiguous layout (Xᵀ, [`TILE`] images per row), and each output unit accumulates
//!   `TILE` images at once over its CSR row: one weight broadcast against `TILE` contiguous inputs,
//!   which the compiler turns into SIMD lanes (4 × f32x4 on wasm SIMD128 and SSE). Bias and ReLU
//!   are fused, and layer 1's output tile is already layer 2's input tile (units × `TILE`), so
//!   a tile goes through the whole network while it is in cache.
//! - **batch 1**: input-major (CSC), skipping zero inputs — most MNIST pixels, and after the
//!   ReLU most hidden units, are 0 — so the work is (non-zero inputs × their weights).
//!
//! Both add the bias first and then the products in ascending input order, so they agree bit for bit.

use super::layout::{SparseLayer, SparseMlp};
use crate::measure::latency::{CpuModel, CpuRunner};
use crate::model::CLASSES;

/// Images per tile of the batched path: 16 f32 accumulators per unit = four 128-bit vectors.
pub const TILE: usize = 16;

type Lanes = [f32; TILE];

/// `y = relu?(x · W + b)` for one tile: `x` is `[inputs][TILE]`, `y` is `[outputs][TILE]`.
fn layer_tile(layer: &SparseLayer, x: &[Lanes], y: &mut [Lanes], relu: bool) {
    for (o, out) in y.iter_mut().enumerate() {
        let (inputs, weights) = layer.row(o);
        let mut acc = [layer.bias[o]; TILE];
        for (&i, &w) in inputs.iter().zip(weights) {
            let x = &x[usize::from(i)];
            for lane in 0..TILE {
                acc[lane] += w * x[lane];
            }
        }
        if relu {
            acc.iter_mut().for_each(|a| *a = a.max(0.0));
        }
        *out = acc;
    }
}

/// Writes images `first ..` of the `batch` row-major `images` (`inputs` floats each) into `rows` as Xᵀ,
/// one lane per image (`rows[i][lane]` is pixel `i` of image `first + lane`), and returns how many
/// images the tile holds. The lanes past the batch's end are zero, and so are the rows past
/// `inputs` (a blocked kernel's padding), which are never written.
pub(crate) fn transpose_tile<const L: usize>(images: &[f32], inputs: usize, batch: usize, first: usize, rows: &mut [[f32; L]]) -> usize {
    let count = L.min(batch - first);
    if count < L {
        rows.iter_mut().for_each(|row| *row = [0.0; L]);
    }
    for (lane, image) in images[first * inputs..(first + count) * inputs].chunks_exact(inputs.max(1)).enumerate() {
        for (row, &pixel) in rows.iter_mut().zip(image) {
            row[lane] = pixel;
        }
    }
    count
}

/// Reusable buffers, so timed passes allocate nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    input: Vec<Lanes>,
    hidden: Vec<Lanes>,
    output: Vec<Lanes>,
    hidden_one: Vec<f32>,
}

impl SparseMlp {
    /// Logits `[batch, 10]` of `images` `[batch, inputs]` (row-major) by the batched path.
    pub fn forward_batched(&self, images: &[f32], batch: usize, scratch: &mut Scratch, logits: &mut [f32]) {
        let n = self.inputs();
        assert_eq!((images.len(), logits.len()), (batch * n, batch * CLASSES), "images and logits must hold {batch} rows");
        scratch.input.resize(n, [0.0; TILE]);
        scratch.hidden.resize(self.hidden.outputs, [0.0; TILE]);
        scratch.output.resize(CLASSES, [0.0; TILE]);
        for first in (0..batch).step_by(TILE) {
            let count = transpose_tile(images, n, batch, first, &mut scratch.input);
            layer_tile(&self.hidden, &scratch.input, &mut scratch.hidden, true);
            layer_tile(&self.output, &scratch.hidden, &mut scratch.output, false);
            for lane in 0..count {
                let row = &mut logits[(first + lane) * CLASSES..(first + lane + 1) * CLASSES];
                row.iter_mut().zip(&scratch.output).for_each(|(l, unit)| *l = unit[lane]);
            }
        }
    }

    /// Logits of one image by the input-major path, skipping zero inputs and inactive units.
    pub fn forward_one(&self, image: &[f32], scratch: &mut Scratch, logits: &mut [f32]) {
        assert_eq!((image.len(), logits.len()), (self.inputs(), CLASSES), "one image in, ten logits out");
        let hidden = &mut scratch.hidden_one;
        hidden.clear();
        hidden.extend_from_slice(&self.hidden.bias);
        for (i, &x) in image.iter().enumerate() {
            if x != 0.0 {
                let (units, weights) = self.hidden.column(i);
                for (&o, &w) in units.iter().zip(weights) {
                    hidden[usize::from(o)] += x * w;
                }
            }
        }
        logits.copy_from_slice(&self.output.bias);
        for (j, &h) in hidden.iter().enumerate() {
            // ReLU, fused: an inactive unit contributes nothing and is skipped.
            if h > 0.0 {
                let (classes, weights) = self.output.column(j);
                for (&o, &w) in classes.iter().zip(weights) {
                    logits[usize::from(o)] += h * w;
                }
            }
        }
    }
}

impl CpuModel for SparseMlp {
    type Scratch = Scratch;

    /// The batch-1 path for one image, the batched path otherwise.
    fn forward(&self, images: &[f32], batch: usize, scratch: &mut Scratch, logits: &mut [f32]) {
        if batch == 1 {
            self.forward_one(images, scratch, logits);
        } else {
            self.forward_batched(images, batch, scratch, logits);
        }
    }
}

/// The sparse model with its buffers.
pub type SparseRunner = CpuRunner<SparseMlp>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::sparse::layout::thresholded;
    use crate::measure::latency::CpuForward;
    use crate::model::weights::MlpWeights;
    use crate::prune::structured::tests::{mostly_zero_images as images, realistic, tiny};

    fn reference(w: &MlpWeights, images: &[f32]) -> Vec<f32> {
        images.chunks_exact(w.inputs).flat_map(|image| w.forward(image)).collect()
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-5 * y.abs().max(1.0))
    }

    #[test]
    fn both_paths_match_the_dense_reference_at_every_batch_size() {
        for sparsity in [0.0, 0.5, 0.9, 0.99] {
            let w = thresholded(&tiny(), sparsity);
            let model = SparseMlp::new(&w).unwrap();
            let mut runner = SparseRunner::new(model.clone());
            // Sizes around the tile: partial, exact, and more than one tile.
            for batch in [1, 2, TILE - 1, TILE, TILE + 1, 3 * TILE + 5] {
                let x = images(batch, w.inputs);
                let expected = reference(&w, &x);
                let mut batched = vec![0.0; batch * CLASSES];
                model.forward_batched(&x, batch, &mut Scratch::default(), &mut batched);
                assert!(close(&batched, &expected), "sparsity {sparsity}, batch {batch}: {batched:?} vs {expected:?}");
                assert!(close(runner.run(&x, batch), &expected));
            }
            let x = images(1, w.inputs);
            let mut one = vec![0.0; CLASSES];
            model.forward_one(&x, &mut Scratch::default(), &mut one);
            let mut batched = vec![0.0; CLASSES];
            model.forward_batched(&x, 1, &mut Scratch::default(), &mut batched);
            assert_eq!(one, batched, "the two paths add in the same order");
        }
    }

    #[test]
    fn an_all_zero_input_gives_the_bias_path() {
        let w = thresholded(&tiny(), 0.5);
        let mut runner = SparseRunner::new(SparseMlp::new(&w).unwrap());
        let zeros = vec![0.0; w.inputs];
        assert_eq!(runner.run(&zeros, 1), w.forward(&zeros).as_slice());
        let batch = vec![0.0; 3 * w.inputs];
        assert!(close(runner.run(&batch, 3), &reference(&w, &batch)));
    }

    #[test]
    fn fully_pruned_units_one_hidden_unit_and_structured_models_work() {
        // Unit 0 loses every incoming weight; its output is relu(bias).
        let mut w = tiny();
        (0..w.inputs).for_each(|i| w.hidden_kernel[i * w.hidden] = 0.0);
        let x = images(5, w.inputs);
        assert!(close(SparseRunner::new(SparseMlp::new(&w).unwrap()).run(&x, 5), &reference(&w, &x)));
        // hidden = 1.
        let one = crate::prune::structured::compact(&w, &[2]);
        assert_eq!(one.hidden, 1);
        assert!(close(SparseRunner::new(SparseMlp::new(&one).unwrap()).run(&x, 5), &reference(&one, &x)));
        assert!(close(SparseRunner::new(SparseMlp::new(&one).unwrap()).run(&x[..w.inputs], 1), &reference(&one, &x[..w.inputs])));
        // Every weight pruned: the logits are the output bias.
        let mut empty = tiny();
        empty.hidden_kernel.fill(0.0);
        empty.output_kernel.fill(0.0);
        assert!(close(SparseRunner::new(SparseMlp::new(&empty).unwrap()).run(&x, 5), &reference(&empty, &x)));
    }

    #[test]
    fn a_realistic_layer_agrees_within_the_tolerance() {
        // 784-128-10 with pseudo-random weights, 90 % pruned, on 100 mostly-zero images.
        let dense = realistic(7);
        let w = thresholded(&dense, 0.9);
        let model = SparseMlp::new(&w).unwrap();
        assert!((model.nonzeros() as f64 / w.kernel_weights() as f64 - 0.1).abs() < 0.01);
        let x = images(100, 784);
        assert!(close(SparseRunner::new(model).run(&x, 100), &reference(&w, &x)));
    }
}
