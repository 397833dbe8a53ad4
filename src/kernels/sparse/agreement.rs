//! How closely two models' logits agree: the check that the sparse kernels compute what the
//! masked dense model computes, on every test image.

use serde::{Deserialize, Serialize};

/// Two logits agree when they differ by at most this, relative to the larger of |dense| and 1
/// (relative for large logits, absolute where |x| < 1).
pub const TOLERANCE: f32 = 1e-5;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub images: usize,
    /// The largest |sparse − dense| / max(|dense|, 1) over every logit.
    pub max_error: f32,
    /// Images whose predicted class differs.
    pub argmax_mismatches: usize,
}

impl Agreement {
    pub fn within_tolerance(&self) -> bool {
        self.max_error <= TOLERANCE && self.argmax_mismatches == 0
    }
}

/// The index of the largest value (the first on ties).
pub fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}

/// Compares `sparse` with `dense` logits, `classes` per image.
pub fn compare(sparse: &[f32], dense: &[f32], classes: usize) -> Agreement {
    assert_eq!(sparse.len(), dense.len(), "both models must see the same images");
    let max_error = sparse.iter().zip(dense).map(|(s, d)| (s - d).abs() / d.abs().max(1.0)).fold(0.0, f32::max);
    let images = sparse.len() / classes.max(1);
    let argmax_mismatches = sparse.chunks_exact(classes).zip(dense.chunks_exact(classes)).filter(|(s, d)| argmax(s) != argmax(d)).count();
    Agreement { images, max_error: if sparse.iter().chain(dense).any(|v| v.is_nan()) { f32::NAN } else { max_error }, argmax_mismatches }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_relative_for_large_logits_and_absolute_for_small_ones() {
        let a = compare(&[100.001, 0.5], &[100.0, 0.500_002], 2);
        assert!((a.max_error - 1e-5).abs() < 1e-6, "{a:?}");
        assert_eq!((a.images, a.argmax_mismatches), (1, 0));
        let b = compare(&[0.0, 1.0, 1.0, 0.0], &[1.0, 0.0, 1.0, 0.0], 2);
        assert_eq!(b.argmax_mismatches, 1);
        assert!(!b.within_tolerance());
    }

    #[test]
    fn nan_never_passes() {
        let a = compare(&[f32::NAN, 0.0], &[0.0, 0.0], 2);
        assert!(a.max_error.is_nan() && !a.within_tolerance());
    }

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(argmax(&[0.0, 3.0, 3.0, 1.0]), 1);
        assert_eq!(argmax(&[]), 0);
    }
}
