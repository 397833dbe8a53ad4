//! Symmetric int8 quantization: a real value x is stored as the code q = round(x / scale),
//! saturated to [-127, 127] (−128 is never used, so the range is symmetric and −q never
//! overflows), and read back as q × scale.

/// The largest code; a value at ±(127 × scale) or beyond saturates to ±127.
pub const MAX_CODE: f32 = 127.0;

/// One scale and its inverse (the hot loops multiply; they never divide).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantizer {
    pub scale: f32,
    inverse: f32,
}

impl Quantizer {
    /// The scale that maps `max_abs` onto code 127 (MinMax calibration). A range of 0 (an
    /// all-zero channel, or a calibration that never saw a positive activation) gets scale 0:
    /// every value then quantizes to 0 instead of dividing by zero.
    pub fn for_max(max_abs: f32) -> Self {
        let max_abs = if max_abs.is_finite() { max_abs.abs() } else { 0.0 };
        if max_abs == 0.0 {
            return Quantizer { scale: 0.0, inverse: 0.0 };
        }
        Quantizer { scale: max_abs / MAX_CODE, inverse: MAX_CODE / max_abs }
    }

    /// The code of `x`: rounded half to even (`f32.nearest` on wasm, one instruction), then
    /// saturated. NaN becomes 0.
    pub fn quantize(&self, x: f32) -> i8 {
        // The clamp keeps −128 out; `as i32` maps NaN to 0 and is one vector instruction
        // (`i32x4.trunc_sat_f32x4_s`), so loops over slices of pixels vectorise.
        (x * self.inverse).round_ties_even().clamp(-MAX_CODE, MAX_CODE) as i32 as i8
    }

    /// The codes of `values` into `out` (same length), as a loop the compiler vectorises.
    pub fn quantize_slice<T: From<i8>>(&self, values: &[f32], out: &mut [T]) {
        out.iter_mut().zip(values).for_each(|(q, &x)| *q = T::from(self.quantize(x)));
    }

    /// `1 / scale` as [`Quantizer::quantize`] multiplies by it (a GPU kernel must use the same f32).
    pub fn inverse(&self) -> f32 {
        self.inverse
    }

    pub fn dequantize(&self, q: i8) -> f32 {
        f32::from(q) * self.scale
    }
}

/// Packs codes four to a little-endian u32 (code `4k + j` in byte `j`, two's complement),
/// zero-padded: the operand layout of WGSL's `dot4I8Packed`.
pub fn pack_codes(codes: &[i8]) -> Vec<u32> {
    codes.chunks(4).map(|c| c.iter().enumerate().fold(0u32, |w, (j, &q)| w | (u32::from(q as u8) << (8 * j)))).collect()
}

/// Per output channel of a `[inputs, outputs]` row-major kernel: one quantizer per output unit,
/// from the largest |weight| feeding it (TFLite's per-axis scheme for dense kernels).
pub fn per_channel(kernel: &[f32], inputs: usize, outputs: usize) -> Vec<Quantizer> {
    assert_eq!(kernel.len(), inputs * outputs, "a [inputs, outputs] kernel");
    let mut max_abs = vec![0.0f32; outputs];
    for row in kernel.chunks_exact(outputs.max(1)) {
        max_abs.iter_mut().zip(row).for_each(|(m, w)| *m = m.max(w.abs()));
    }
    max_abs.into_iter().map(Quantizer::for_max).collect()
}

/// The codes of a `[inputs, outputs]` kernel, same layout, each column with its own quantizer.
pub fn quantize_kernel(kernel: &[f32], outputs: usize, quantizers: &[Quantizer]) -> Vec<i8> {
    kernel.iter().enumerate().map(|(at, &w)| quantizers[at % outputs].quantize(w)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_pack_four_to_a_word_as_dot4i8packed_reads_them() {
        assert_eq!(pack_codes(&[1, -1, 127, -127, 5]), vec![0x81_7f_ff_01, 0x05]);
        // The packed dot product of two words, as WGSL defines it, from the bytes alone.
        let dot4 = |a: u32, b: u32| (0..4).map(|j| i32::from((a >> (8 * j)) as u8 as i8) * i32::from((b >> (8 * j)) as u8 as i8)).sum::<i32>();
        let (x, w) = ([3i8, -4, 127, -127], [-2i8, 5, 127, 127]);
        assert_eq!(dot4(pack_codes(&x)[0], pack_codes(&w)[0]), -6 - 20 + 127 * 127 - 127 * 127);
    }

    #[test]
    fn the_largest_value_maps_to_127_and_back() {
        let q = Quantizer::for_max(2.54);
        assert!((q.scale - 0.02).abs() < 1e-7);
        assert_eq!((q.quantize(2.54), q.quantize(-2.54), q.quantize(0.0)), (127, -127, 0));
        assert!((q.dequantize(127) - 2.54).abs() < 1e-6);
        assert_eq!(Quantizer::for_max(-3.0), Quantizer::for_max(3.0), "the range is symmetric");
    }

    #[test]
    fn rounding_is_half_to_even_and_every_error_is_within_half_a_step() {
        let q = Quantizer::for_max(127.0);
        assert_eq!([0.5, 1.5, 2.5, -0.5, -1.5, 0.49, 0.51].map(|x| q.quantize(x)), [0, 2, 2, 0, -2, 0, 1]);
        let q = Quantizer::for_max(0.37);
        for i in -1000..=1000 {
            let x = i as f32 * 0.37 / 1000.0;
            assert!((q.dequantize(q.quantize(x)) - x).abs() <= q.scale / 2.0 + 1e-7, "{x}");
        }
    }

    #[test]
    fn values_beyond_the_range_saturate_at_127_never_128() {
        let q = Quantizer::for_max(1.0);
        assert_eq!([1.5, 1e9, f32::INFINITY, -1.5, -1e9, f32::NEG_INFINITY, f32::NAN].map(|x| q.quantize(x)), [127, 127, 127, -127, -127, -127, 0]);
    }

    #[test]
    fn a_slice_quantizes_like_its_values() {
        let q = Quantizer::for_max(1.0);
        let values = [0.0, 0.3, -0.7, 1.0, 2.0, f32::NAN, -0.004, 0.5 / 127.0];
        let mut wide = [0i16; 8];
        q.quantize_slice(&values, &mut wide);
        assert_eq!(wide, values.map(|x| i16::from(q.quantize(x))));
        assert_eq!(wide, [0, 38, -89, 127, 127, 0, -1, 0]);
    }

    #[test]
    fn an_all_zero_channel_gets_scale_zero_and_codes_zero() {
        for max in [0.0, f32::NAN, f32::INFINITY] {
            let q = Quantizer::for_max(max);
            assert_eq!((q.scale, q.quantize(5.0), q.dequantize(3)), (0.0, 0, 0.0), "{max}");
        }
    }

    #[test]
    fn scales_are_per_output_channel() {
        // [3 inputs, 2 outputs]: column 0 holds 1, -4, 2; column 1 is all zero.
        let kernel = [1.0, 0.0, -4.0, 0.0, 2.0, 0.0];
        let quantizers = per_channel(&kernel, 3, 2);
        assert_eq!(quantizers.iter().map(|q| q.scale).collect::<Vec<_>>(), vec![4.0 / 127.0, 0.0]);
        assert_eq!(quantize_kernel(&kernel, 2, &quantizers), vec![32, 0, -127, 0, 64, 0]);
    }
}
