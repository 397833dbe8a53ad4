//! N:M with n = 4 (TFMOT's `sparsity_m_by_n`, 2:4 by default): every run of four consecutive
//! inputs of a unit keeps `4 − m` weights, so a unit stores exactly `keep` values per run and a
//! 2-bit position for each (which of the four inputs), as sparse tensor cores store 2:4. No
//! pointers and no 16-bit indices: the layout's width is fixed by the pattern, and a kernel does
//! `keep / 4` of the dense multiply-adds.

use super::PatternError;

/// Inputs per run.
pub const RUN: usize = 4;

/// Runs whose positions share a u32 word: `keep` 2-bit positions each, a run never split across
/// two words (for 2:4, eight runs fill a word exactly).
pub fn runs_per_word(keep: usize) -> usize {
    16 / keep.max(1)
}

/// One dense layer `y = x · W + b` (W `[inputs, outputs]`) as values and 2-bit positions.
#[derive(Debug, Clone, PartialEq)]
pub struct NmLayer {
    /// Weights kept per run of four inputs (2 for 2:4, 3 for 1:4).
    pub keep: usize,
    pub inputs: usize,
    pub outputs: usize,
    /// `[unit][run][keep]`; a run with fewer non-zeros than `keep` stores zeros.
    pub values: Vec<f32>,
    /// The input (0–3) within its run of each value, 2 bits each, ascending within a run;
    /// `words_per_unit` words per unit, run `r`'s positions from bit `2·keep·(r % runs_per_word)`
    /// of the unit's word `r / runs_per_word`.
    pub positions: Vec<u32>,
    pub words_per_unit: usize,
    pub bias: Vec<f32>,
}

impl NmLayer {
    /// From a `[inputs, outputs]` row-major kernel in which every run of four inputs of a unit holds
    /// at most `keep` non-zeros (what an N:M mask leaves), refused otherwise.
    pub fn new(layer: &'static str, kernel: &[f32], bias: &[f32], inputs: usize, outputs: usize, keep: usize) -> Result<Self, PatternError> {
        if !(1..RUN).contains(&keep) {
            return Err(PatternError::NoKernel(format!("{} of every {RUN} inputs kept", keep)));
        }
        if kernel.len() != inputs * outputs || bias.len() != outputs {
            return Err(PatternError::Shape { layer, got: kernel.len(), inputs, outputs });
        }
        let runs = inputs.div_ceil(RUN);
        let per_word = runs_per_word(keep);
        let words_per_unit = runs.div_ceil(per_word);
        let mut values = Vec::with_capacity(outputs * runs * keep);
        let mut positions = vec![0u32; outputs * words_per_unit];
        for o in 0..outputs {
            let words = &mut positions[o * words_per_unit..(o + 1) * words_per_unit];
            for run in 0..runs {
                let inputs_of_run = run * RUN..(run * RUN + RUN).min(inputs);
                let mut kept: Vec<usize> = inputs_of_run.filter(|&i| kernel[i * outputs + o] != 0.0).map(|i| i - run * RUN).collect();
                if kept.len() > keep {
                    return Err(PatternError::NotNm { layer, unit: o, first_input: run * RUN, nonzeros: kept.len(), keep });
                }
                // Fill with the lowest free positions (their values are 0), then in input order.
                for p in 0..RUN {
                    if kept.len() < keep && !kept.contains(&p) {
                        kept.push(p);
                    }
                }
                kept.sort_unstable();
                for (t, &p) in kept.iter().enumerate() {
                    let i = run * RUN + p;
                    values.push(if i < inputs { kernel[i * outputs + o] } else { 0.0 });
                    words[run / per_word] |= (p as u32) << (2 * (keep * (run % per_word) + t));
                }
            }
        }
        Ok(NmLayer { keep, inputs, outputs, values, positions, words_per_unit, bias: bias.to_vec() })
    }

    /// Inputs rounded up to whole runs: the rows an input tile must have (the extra ones zero).
    pub fn padded_inputs(&self) -> usize {
        self.inputs.div_ceil(RUN) * RUN
    }

    /// Bytes as stored: the values at `value_bytes` each (4 for f32, 1 for int8 codes), their
    /// 2-bit positions in u32 words, the biases as f32.
    pub fn bytes(&self, value_bytes: usize) -> usize {
        value_bytes * self.values.len() + 4 * self.positions.len() + 4 * self.bias.len()
    }
}

/// `y = relu?(x · W + b)` over a tile of `L` images: `x` is `[padded inputs][L]`, `y`
/// `[outputs][L]`. Bias first, then the products in ascending input order, as the CSR kernel. A
/// word of positions is decoded as it is consumed: two bits per value, shifted out in order.
#[inline(always)]
fn layer_tile<const KEEP: usize, const L: usize>(layer: &NmLayer, x: &[[f32; L]], y: &mut [[f32; L]], relu: bool) {
    let runs = layer.inputs.div_ceil(RUN);
    let per_word = runs_per_word(KEEP);
    for (o, out) in y.iter_mut().enumerate().take(layer.outputs) {
        let mut acc = [layer.bias[o]; L];
        let words = &layer.positions[o * layer.words_per_unit..(o + 1) * layer.words_per_unit];
        let values = &layer.values[o * runs * KEEP..(o + 1) * runs * KEEP];
        let word_runs = values.chunks(per_word * KEEP).zip(x.chunks(per_word * RUN));
        for (&word, (values, x)) in words.iter().zip(word_runs) {
            let mut bits = word;
            for (w, rows) in values.chunks_exact(KEEP).zip(x.chunks_exact(RUN)) {
                for &weight in w {
                    let row = &rows[(bits & 3) as usize];
                    bits >>= 2;
                    for lane in 0..L {
                        acc[lane] += weight * row[lane];
                    }
                }
            }
        }
        if relu {
            acc.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        *out = acc;
    }
}

/// The same layer for one image, run by run across every unit, so that a run of four zero
/// inputs (most of MNIST's pixels, and inactive hidden units) is skipped once for all of them.
/// Each unit still adds its bias first and its products in ascending input order.
/// Only lane 0 is read and written (it runs at `L` = 1).
fn layer_one<const KEEP: usize, const L: usize>(layer: &NmLayer, x: &[[f32; L]], y: &mut [[f32; L]], relu: bool) {
    let runs = layer.inputs.div_ceil(RUN);
    let per_word = runs_per_word(KEEP);
    for (out, &b) in y.iter_mut().zip(&layer.bias) {
        out[0] = b;
    }
    for (run, rows) in x.chunks_exact(RUN).take(runs).enumerate() {
        if rows.iter().all(|row| row[0] == 0.0) {
            continue;
        }
        let shift = 2 * KEEP * (run % per_word);
        for (o, out) in y.iter_mut().enumerate().take(layer.outputs) {
            let mut bits = layer.positions[o * layer.words_per_unit + run / per_word] >> shift;
            let first = (o * runs + run) * KEEP;
            for &weight in &layer.values[first..first + KEEP] {
                out[0] += weight * rows[(bits & 3) as usize][0];
                bits >>= 2;
            }
        }
    }
    if relu {
        y.iter_mut().take(layer.outputs).for_each(|v| v[0] = v[0].max(0.0));
    }
}

/// Both layers of an N:M MLP over one tile (hidden ReLU, logits out).
pub(crate) fn forward_tile<const L: usize>(hidden: &NmLayer, output: &NmLayer, x: &[[f32; L]], h: &mut [[f32; L]], y: &mut [[f32; L]]) {
    // One image: run by run, skipping zero runs; a tile: unit by unit.
    macro_rules! dispatch {
        ($layer:expr, $x:expr, $y:expr, $relu:expr) => {
            match ($layer.keep, L) {
                (1, 1) => layer_one::<1, L>($layer, $x, $y, $relu),
                (2, 1) => layer_one::<2, L>($layer, $x, $y, $relu),
                (3, 1) => layer_one::<3, L>($layer, $x, $y, $relu),
                (1, _) => layer_tile::<1, L>($layer, $x, $y, $relu),
                (2, _) => layer_tile::<2, L>($layer, $x, $y, $relu),
                (3, _) => layer_tile::<3, L>($layer, $x, $y, $relu),
                // `NmLayer::new` refuses every other count.
                (keep, _) => unreachable!("no kernel for {keep} of every {RUN} inputs"),
            }
        };
    }
    dispatch!(hidden, x, h, true);
    dispatch!(output, h, y, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_of_four_store_values_and_two_bit_positions() {
        // [6 inputs, 1 output]: runs (0.5, 0, 0, -2) and the tail (0, 3) padded to four.
        let kernel = [0.5, 0.0, 0.0, -2.0, 0.0, 3.0];
        let layer = NmLayer::new("t", &kernel, &[0.1], 6, 1, 2).unwrap();
        assert_eq!(layer.values, vec![0.5, -2.0, 0.0, 3.0]);
        // Positions 0, 3 | 0 (a filler, value 0), 1: bits 00 11 00 01 from the low end.
        assert_eq!(layer.positions, vec![0b01_00_11_00]);
        assert_eq!(layer.words_per_unit, 1);
        assert_eq!(layer.padded_inputs(), 8);
        assert_eq!(layer.bytes(4), 4 * 4 + 4 + 4);
        assert_eq!(layer.bytes(1), 4 + 4 + 4);
    }

    #[test]
    fn a_run_with_more_non_zeros_than_the_pattern_keeps_is_refused() {
        let err = NmLayer::new("hidden", &[1.0, 1.0, 1.0, 0.0], &[0.0], 4, 1, 2).unwrap_err();
        assert_eq!(err, PatternError::NotNm { layer: "hidden", unit: 0, first_input: 0, nonzeros: 3, keep: 2 });
        assert!(err.to_string().contains("3 non-zero"), "{err}");
        assert!(matches!(NmLayer::new("t", &[1.0; 4], &[0.0], 4, 1, 4), Err(PatternError::NoKernel(_))));
    }

    #[test]
    fn positions_run_over_word_boundaries() {
        // 40 inputs, 2:4: 10 runs × 2 = 20 positions → two words; run 9 keeps inputs 37 and 39.
        let mut kernel = vec![0.0; 40];
        (0..10).for_each(|run| {
            kernel[run * 4 + 1] = 1.0 + run as f32;
            kernel[run * 4 + 3] = -1.0;
        });
        let layer = NmLayer::new("t", &kernel, &[0.0], 40, 1, 2).unwrap();
        assert_eq!(layer.words_per_unit, 2);
        assert_eq!(layer.positions[0], 0xDDDD_DDDD, "positions 1, 3 repeated: 01, 11");
        assert_eq!(layer.positions[1], 0xDD);
        assert_eq!(&layer.values[18..], &[10.0, -1.0]);
        // 1:4 keeps three: five runs to a word (30 bits), the sixth run on the next word.
        let kernel: Vec<f32> = (0..24).map(|i| if i % 4 == 0 { 0.0 } else { 1.0 }).collect();
        let layer = NmLayer::new("t", &kernel, &[0.0], 24, 1, 3).unwrap();
        assert_eq!(runs_per_word(3), 5);
        assert_eq!(layer.positions, vec![0b111001u32 * (1 + (1 << 6) + (1 << 12) + (1 << 18) + (1 << 24)), 0b111001]);
    }
}
