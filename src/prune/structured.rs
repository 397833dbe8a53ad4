//! Structured pruning: remove whole hidden units, ranked by the norm of their incoming weights
//! (a kernel column), then build a genuinely smaller 784 → h′ → 10 network from the survivors.

use serde::{Deserialize, Serialize};

use crate::model::CLASSES;
use crate::model::weights::MlpWeights;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    L1,
    L2,
}

/// The norm of each hidden unit's incoming weights.
pub fn unit_norms(w: &MlpWeights, norm: Norm) -> Vec<f32> {
    (0..w.hidden)
        .map(|j| {
            let column = (0..w.inputs).map(|i| w.hidden_kernel[i * w.hidden + j]);
            match norm {
                Norm::L1 => column.map(f32::abs).sum(),
                Norm::L2 => column.map(|x| x * x).sum::<f32>().sqrt(),
            }
        })
        .collect()
}

/// The `keep` units of largest norm, in their original order (ties: the lower index wins).
pub fn units_to_keep(norms: &[f32], keep: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..norms.len()).collect();
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
    let mut kept: Vec<usize> = order.into_iter().take(keep.clamp(1, norms.len().max(1))).collect();
    kept.sort_unstable();
    kept
}

/// The same network with the other units silenced in place: their incoming column, bias and
/// outgoing row set to zero (so a removed unit contributes exactly nothing).
pub fn masked(w: &MlpWeights, kept: &[usize]) -> MlpWeights {
    let mut out = w.clone();
    for j in (0..w.hidden).filter(|j| kept.binary_search(j).is_err()) {
        (0..w.inputs).for_each(|i| out.hidden_kernel[i * w.hidden + j] = 0.0);
        out.hidden_bias[j] = 0.0;
        out.output_kernel[j * CLASSES..(j + 1) * CLASSES].fill(0.0);
    }
    out
}

/// A smaller network made of the `kept` units only.
pub fn compact(w: &MlpWeights, kept: &[usize]) -> MlpWeights {
    let hidden_kernel = (0..w.inputs).flat_map(|i| kept.iter().map(move |&j| w.hidden_kernel[i * w.hidden + j])).collect();
    MlpWeights {
        inputs: w.inputs,
        hidden: kept.len(),
        hidden_kernel,
        hidden_bias: kept.iter().map(|&j| w.hidden_bias[j]).collect(),
        output_kernel: kept.iter().flat_map(|&j| w.output_kernel[j * CLASSES..(j + 1) * CLASSES].iter().copied()).collect(),
        output_bias: w.output_bias.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Portable pseudo-random floats in [-0.5, 0.5) (a 32-bit LCG), for realistic test weights.
    pub(crate) fn pseudo_random(seed: u32) -> impl FnMut() -> f32 {
        let mut state = seed;
        move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        }
    }

    /// The page's 784-128-10 shape with pseudo-random weights (kernels ±0.05 and ±0.5).
    pub(crate) fn realistic(seed: u32) -> MlpWeights {
        let mut random = pseudo_random(seed);
        MlpWeights {
            inputs: 784,
            hidden: 128,
            hidden_kernel: (0..784 * 128).map(|_| random() * 0.1).collect(),
            hidden_bias: (0..128).map(|_| random() * 0.1).collect(),
            output_kernel: (0..128 * CLASSES).map(|_| random()).collect(),
            output_bias: (0..CLASSES).map(|_| random()).collect(),
        }
    }

    /// `count` images of `inputs` pixels in [0, 1], mostly zeros like MNIST's.
    pub(crate) fn mostly_zero_images(count: usize, inputs: usize) -> Vec<f32> {
        (0..count * inputs).map(|i| if i % 3 == 0 { (i % 11) as f32 / 10.0 } else { 0.0 }).collect()
    }

    /// A small random-looking network: 6 inputs, 5 hidden units.
    pub(crate) fn tiny() -> MlpWeights {
        let value = |i: usize| ((i * 37 % 23) as f32 - 11.0) / 10.0;
        MlpWeights {
            inputs: 6,
            hidden: 5,
            hidden_kernel: (0..30).map(value).collect(),
            hidden_bias: (0..5).map(|i| value(i + 3) / 4.0).collect(),
            output_kernel: (0..5 * CLASSES).map(|i| value(i + 7)).collect(),
            output_bias: (0..CLASSES).map(|i| value(i + 1) / 5.0).collect(),
        }
    }

    #[test]
    fn keeps_the_units_of_largest_norm() {
        assert_eq!(units_to_keep(&[0.5, 3.0, 1.0, 3.0, 0.1], 2), vec![1, 3]);
        assert_eq!(units_to_keep(&[0.5, 3.0, 1.0], 10), vec![0, 1, 2]);
        let w = tiny();
        let l1 = unit_norms(&w, Norm::L1);
        let expected: f32 = (0..6).map(|i| w.hidden_kernel[i * 5 + 2].abs()).sum();
        assert!((l1[2] - expected).abs() < 1e-6);
        let l2 = unit_norms(&w, Norm::L2);
        assert!(l2.iter().zip(&l1).all(|(a, b)| a <= b), "L2 <= L1 for every unit");
    }

    #[test]
    fn the_compact_model_computes_what_the_masked_one_does() {
        let w = tiny();
        let kept = units_to_keep(&unit_norms(&w, Norm::L2), 3);
        let small = compact(&w, &kept);
        let silenced = masked(&w, &kept);
        assert_eq!((small.hidden, small.hidden_kernel.len(), small.output_kernel.len()), (3, 18, 30));
        for image in [[0.0, 1.0, 0.5, 0.2, 0.0, 0.9], [1.0; 6], [0.3, 0.0, 0.0, 0.7, 0.1, 0.0]] {
            let (a, b) = (small.forward(&image), silenced.forward(&image));
            assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5), "{a:?} vs {b:?}");
        }
        assert_eq!(silenced.nonzero_kernel_weights(), small.nonzero_kernel_weights());
    }
}
