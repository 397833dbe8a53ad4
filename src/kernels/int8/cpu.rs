//! The int8 model on the CPU, on host slices, every sum in i32:
//!
//! - **dense kernels**: image by image, one int8 dot product per unit over its contiguous codes
//!   (on wasm SIMD128: `i32x4.dot_i16x8_s`, eight multiply-adds per instruction);
//! - **sparse kernels**, batch 1: input-major (CSC), skipping zero input codes;
//! - **sparse kernels**, batched: the f32 engine's tile design (`sparse::cpu`) with int8
//!   inputs and i32 accumulators, [`TILE`] images per row.
//!
//! Between the layers, bias, ReLU and the requantization of the hidden activation are fused.

use super::model::{Codes, Int8Layer, Int8Mlp};
use crate::kernels::sparse::cpu::TILE;
use crate::kernels::sparse::layout::SparseLayer;
use crate::measure::latency::{CpuModel, CpuRunner};
use crate::model::CLASSES;

/// Σ a[i] · b[i] over the common length, exactly (no overflow below 133,000 terms of ±127²).
pub fn dot(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd128::dot(a, b)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        dot_portable(a, b)
    }
}

/// Images per block of the dense batched path.
const IMAGES: usize = 4;

/// One weight row against four inputs: `[dot(w, x[0]), …, dot(w, x[3])]`, loading `w` once.
pub fn dot4(w: &[i8], x: [&[i8]; IMAGES]) -> [i32; IMAGES] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd128::dot4(w, x)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        x.map(|x| dot_portable(w, x))
    }
}

/// The plain loop (natively, LLVM vectorises it with the target's widening multiply-adds).
pub fn dot_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::{i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i32x4_add, i32x4_dot_i16x8, i32x4_extract_lane, i32x4_splat, v128, v128_load};

    /// 16 codes per step: widened to i16, then `i32x4.dot_i16x8_s` (pairwise products summed into
    /// i32 lanes). LLVM does not find this instruction on its own from the plain loop.
    pub fn dot(a: &[i8], b: &[i8]) -> i32 {
        let n = a.len().min(b.len());
        let (head, tail) = (n / 16 * 16, n % 16);
        let mut acc = i32x4_splat(0);
        for (x, y) in a[..head].chunks_exact(16).zip(b[..head].chunks_exact(16)) {
            // SAFETY: `x` and `y` are chunks of exactly 16 bytes, so each load reads only their
            // own memory; `v128.load` has no alignment requirement.
            let (x, y) = unsafe { (v128_load(x.as_ptr().cast::<v128>()), v128_load(y.as_ptr().cast::<v128>())) };
            acc = i32x4_add(acc, i32x4_dot_i16x8(i16x8_extend_low_i8x16(x), i16x8_extend_low_i8x16(y)));
            acc = i32x4_add(acc, i32x4_dot_i16x8(i16x8_extend_high_i8x16(x), i16x8_extend_high_i8x16(y)));
        }
        sum(acc) + super::dot_portable(&a[head..head + tail], &b[head..head + tail])
    }

    fn sum(v: v128) -> i32 {
        i32x4_extract_lane::<0>(v) + i32x4_extract_lane::<1>(v) + i32x4_extract_lane::<2>(v) + i32x4_extract_lane::<3>(v)
    }

    /// `dot` for four inputs at once: each 16 weights are loaded and widened once, then
    /// multiplied into four accumulators.
    pub fn dot4(w: &[i8], x: [&[i8]; super::IMAGES]) -> [i32; super::IMAGES] {
        let n = x.iter().fold(w.len(), |n, x| n.min(x.len()));
        let head = n / 16 * 16;
        let mut acc = [i32x4_splat(0); super::IMAGES];
        for at in (0..head).step_by(16) {
            // SAFETY: `at + 16 <= head <= n`, and `n` is at most every slice's length, so each
            // 16-byte load reads only its slice's memory; `v128.load` has no alignment requirement.
            let wv = unsafe { v128_load(w[at..].as_ptr().cast::<v128>()) };
            let (wl, wh) = (i16x8_extend_low_i8x16(wv), i16x8_extend_high_i8x16(wv));
            for (acc, x) in acc.iter_mut().zip(x) {
                // SAFETY: as above.
                let xv = unsafe { v128_load(x[at..].as_ptr().cast::<v128>()) };
                *acc = i32x4_add(*acc, i32x4_dot_i16x8(wl, i16x8_extend_low_i8x16(xv)));
                *acc = i32x4_add(*acc, i32x4_dot_i16x8(wh, i16x8_extend_high_i8x16(xv)));
            }
        }
        std::array::from_fn(|k| sum(acc[k]) + super::dot_portable(&w[head..n], &x[k][head..n]))
    }
}

/// Reusable buffers, so timed passes allocate nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    x: Vec<i8>,
    h: Vec<i8>,
    acc: Vec<i32>,
    // Codes widened to i16 once per tile: each is then multiplied by many weights, and an
    // i16 × i16 product is one widening multiply (`i32x4.extmul_*_i16x8_s`) into i32 lanes.
    x_tile: Vec<[i16; TILE]>,
    row: Vec<i16>,
    h_tile: Vec<[i16; TILE]>,
    acc_tile: Vec<[i32; TILE]>,
}

/// Every unit's accumulator for one input `x` (codes).
/// Unit `o`'s codes in a dense `[outputs][inputs]` layout (empty when there are no inputs).
fn row(codes: &[i8], o: usize, inputs: usize) -> &[i8] {
    &codes[o * inputs..(o + 1) * inputs]
}

fn accumulate_one(layer: &Int8Layer, x: &[i8], acc: &mut Vec<i32>) {
    acc.clear();
    match &layer.codes {
        Codes::Dense(codes) => acc.extend((0..layer.outputs).map(|o| dot(row(codes, o, layer.inputs), x))),
        Codes::Sparse(sparse) => {
            acc.resize(layer.outputs, 0);
            for (i, &xi) in x.iter().enumerate() {
                if xi != 0 {
                    let (units, codes) = sparse.column(i);
                    let xi = i32::from(xi);
                    units.iter().zip(codes).for_each(|(&o, &w)| acc[usize::from(o)] += i32::from(w) * xi);
                }
            }
        }
    }
}

/// Every unit's accumulators for one tile of inputs (`x` is `[inputs][TILE]`).
fn accumulate_tile(layer: &SparseLayer<i8>, x: &[[i16; TILE]], acc: &mut [[i32; TILE]]) {
    for (o, out) in acc.iter_mut().enumerate() {
        let (inputs, codes) = layer.row(o);
        let mut a = [0i32; TILE];
        for (&i, &w) in inputs.iter().zip(codes) {
            let (x, w) = (&x[usize::from(i)], i32::from(i16::from(w)));
            for lane in 0..TILE {
                a[lane] += w * i32::from(x[lane]);
            }
        }
        *out = a;
    }
}

impl Int8Mlp {
    /// Logits of one image.
    pub fn forward_one(&self, image: &[f32], s: &mut Scratch, logits: &mut [f32]) {
        assert_eq!((image.len(), logits.len()), (self.inputs(), CLASSES), "one image in, ten logits out");
        s.x.resize(image.len(), 0);
        self.input.quantize_slice(image, &mut s.x);
        accumulate_one(&self.hidden, &s.x, &mut s.acc);
        s.h.clear();
        s.h.extend(s.acc.iter().enumerate().map(|(o, &acc)| self.hidden_code(o, acc)));
        accumulate_one(&self.output, &s.h, &mut s.acc);
        logits.iter_mut().zip(&s.acc).enumerate().for_each(|(c, (l, &acc))| *l = self.output.output(c, acc));
    }

    /// Four images through dense int8 kernels, each weight row loaded once for all four.
    fn forward_four(&self, hidden: &[i8], output: &[i8], images: &[f32], s: &mut Scratch, logits: &mut [f32]) {
        let n = self.inputs();
        s.x.resize(images.len(), 0);
        self.input.quantize_slice(images, &mut s.x);
        let h = self.hidden.outputs;
        s.h.clear();
        s.h.resize(IMAGES * h, 0);
        let x: [&[i8]; IMAGES] = std::array::from_fn(|k| &s.x[k * n..(k + 1) * n]);
        for o in 0..h {
            for (k, acc) in dot4(row(hidden, o, n), x).into_iter().enumerate() {
                s.h[k * h + o] = self.hidden_code(o, acc);
            }
        }
        let hs: [&[i8]; IMAGES] = std::array::from_fn(|k| &s.h[k * h..(k + 1) * h]);
        for c in 0..CLASSES {
            for (k, acc) in dot4(row(output, c, h), hs).into_iter().enumerate() {
                logits[k * CLASSES + c] = self.output.output(c, acc);
            }
        }
    }

    fn forward_tiles(&self, hidden: &SparseLayer<i8>, output: &SparseLayer<i8>, images: &[f32], batch: usize, s: &mut Scratch, logits: &mut [f32]) {
        let n = self.inputs();
        s.x_tile.resize(n, [0; TILE]);
        s.h_tile.resize(hidden.outputs, [0; TILE]);
        s.acc_tile.resize(hidden.outputs.max(CLASSES), [0; TILE]);
        for first in (0..batch).step_by(TILE) {
            let count = TILE.min(batch - first);
            if count < TILE {
                s.x_tile.iter_mut().for_each(|row| *row = [0; TILE]);
            }
            // Quantized image by image (contiguous, vectorised), then transposed into the tile.
            s.row.resize(n, 0);
            for (lane, image) in images[first * n..(first + count) * n].chunks_exact(n.max(1)).enumerate() {
                self.input.quantize_slice(image, &mut s.row);
                for (row, &code) in s.x_tile.iter_mut().zip(&s.row) {
                    row[lane] = code;
                }
            }
            accumulate_tile(hidden, &s.x_tile, &mut s.acc_tile[..hidden.outputs]);
            for (o, (h, acc)) in s.h_tile.iter_mut().zip(&s.acc_tile).enumerate() {
                for lane in 0..TILE {
                    h[lane] = i16::from(self.hidden_code(o, acc[lane]));
                }
            }
            accumulate_tile(output, &s.h_tile, &mut s.acc_tile[..CLASSES]);
            for lane in 0..count {
                let row = &mut logits[(first + lane) * CLASSES..(first + lane + 1) * CLASSES];
                row.iter_mut().zip(&s.acc_tile).enumerate().for_each(|(c, (l, acc))| *l = self.output.output(c, acc[lane]));
            }
        }
    }
}

impl CpuModel for Int8Mlp {
    type Scratch = Scratch;

    fn forward(&self, images: &[f32], batch: usize, s: &mut Scratch, logits: &mut [f32]) {
        let n = self.inputs();
        assert_eq!((images.len(), logits.len()), (batch * n, batch * CLASSES), "images and logits must hold {batch} rows");
        match (&self.hidden.codes, &self.output.codes) {
            (Codes::Sparse(hidden), Codes::Sparse(output)) if batch > 1 => self.forward_tiles(hidden, output, images, batch, s, logits),
            (Codes::Dense(hidden), Codes::Dense(output)) => {
                let whole = batch / IMAGES * IMAGES;
                let (head, tail) = images.split_at(whole * n);
                let (head_logits, tail_logits) = logits.split_at_mut(whole * CLASSES);
                for (four, l) in head.chunks_exact(IMAGES * n.max(1)).zip(head_logits.chunks_exact_mut(IMAGES * CLASSES)) {
                    self.forward_four(hidden, output, four, s, l);
                }
                tail.chunks_exact(n.max(1)).zip(tail_logits.chunks_exact_mut(CLASSES)).for_each(|(image, l)| self.forward_one(image, s, l));
            }
            _ => images.chunks_exact(n.max(1)).zip(logits.chunks_exact_mut(CLASSES)).for_each(|(image, l)| self.forward_one(image, s, l)),
        }
    }
}

/// The int8 model with its buffers.
pub type Int8Runner = CpuRunner<Int8Mlp>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::int8::model::Calibration;
    use crate::kernels::sparse::layout::thresholded;
    use crate::measure::latency::CpuForward;
    use crate::prune::structured::tests::{mostly_zero_images as images, realistic};

    #[test]
    fn the_dot_product_is_exact_at_the_extremes() {
        for n in [0usize, 1, 15, 16, 17, 784] {
            let a: Vec<i8> = (0..n).map(|i| if i % 2 == 0 { 127 } else { -127 }).collect();
            let b: Vec<i8> = (0..n).map(|i| if i % 2 == 0 { 127 } else { -127 }).collect();
            assert_eq!(dot(&a, &b), n as i32 * 127 * 127, "{n}");
            let c: Vec<i8> = (0..n).map(|i| (i as i32 * 7 % 255 - 127) as i8).collect();
            assert_eq!(dot(&a, &c), dot_portable(&a, &c));
        }
        assert_eq!(dot(&[1, 2, 3], &[4, 5]), 14, "the common length");
        let rows: Vec<Vec<i8>> = (0..4).map(|k| (0..40).map(|i| ((i * 13 + k * 7) % 255 - 127) as i8).collect()).collect();
        let w: Vec<i8> = (0..40).map(|i| (127 - (i * 29) % 255) as i8).collect();
        assert_eq!(dot4(&w, [&rows[0], &rows[1], &rows[2], &rows[3]]), std::array::from_fn(|k| dot_portable(&w, &rows[k])));
    }

    #[test]
    fn every_path_matches_the_integer_reference_exactly() {
        for (sparsity, sparse) in [(0.0, false), (0.9, false), (0.0, true), (0.5, true), (0.9, true), (0.99, true)] {
            let w = thresholded(&realistic(3), sparsity);
            let x = images(3 * TILE + 5, w.inputs);
            let model = Int8Mlp::new(&w, &Calibration::measure(&w, &x), sparse).unwrap();
            let expected = model.reference(&x);
            let mut runner = Int8Runner::new(model);
            // Sizes around the tile: one image, partial, exact, several tiles.
            for batch in [1, 2, TILE - 1, TILE, 3 * TILE + 5] {
                let got = runner.run(&x[..batch * w.inputs], batch);
                assert_eq!(got, &expected[..batch * CLASSES], "sparsity {sparsity}, sparse {sparse}, batch {batch}");
            }
        }
    }

    #[test]
    fn int8_agrees_with_the_float_model_on_the_predicted_class() {
        let w = realistic(11);
        let x = images(200, w.inputs);
        let mut runner = Int8Runner::new(Int8Mlp::new(&w, &Calibration::measure(&w, &x[..50 * w.inputs]), false).unwrap());
        let int8 = runner.run(&x, 200).to_vec();
        let float: Vec<f32> = x.chunks_exact(w.inputs).flat_map(|image| w.forward(image)).collect();
        let agreement = crate::kernels::sparse::agreement::compare(&int8, &float, CLASSES);
        // Random weights give near-ties between classes, where a 1 % error may flip the winner;
        // a trained model's margins are wider (tests/sparse_cpu.rs asks 99 % agreement on MNIST).
        assert!(agreement.argmax_mismatches <= 10, "{agreement:?}");
        assert!(agreement.max_error < 0.05, "{agreement:?}");
    }

    #[test]
    fn activations_beyond_the_calibrated_range_saturate() {
        // Calibrated on dark images, run on a bright one: codes clamp at 127 and the logits stay finite.
        let w = realistic(5);
        let dim: Vec<f32> = images(4, w.inputs).iter().map(|x| x * 0.1).collect();
        let model = Int8Mlp::new(&w, &Calibration::measure(&w, &dim), true).unwrap();
        let bright = vec![1.0; w.inputs];
        assert_eq!(model.input.quantize(1.0), 127);
        let logits = Int8Runner::new(model.clone()).run(&bright, 1).to_vec();
        assert!(logits.iter().all(|l| l.is_finite()));
        assert_eq!(logits, model.reference(&bright));
    }
}
