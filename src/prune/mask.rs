//! Magnitude masks, computed on a host copy of the kernels (burn's sort/top-k do not run on
//! WebGPU in wasm; 100 k weights read back asynchronously are cheap) and uploaded once.
//!
//! - Per layer, as TFMOT's `pruning_impl._update_mask`: keep `k = keep_count(n, s)` weights; the
//!   threshold is the k-th largest |w|, and every weight with |w| >= threshold is kept (ties
//!   included, so a few more than k can survive).
//! - Global, as `torch.nn.utils.prune.global_unstructured(..., L1Unstructured, amount=s)`: pool
//!   all kernels and prune exactly `round(s * N)` weights of smallest |w|.

use super::schedule::keep_count;

/// A 0/1 mask for one kernel, in the kernel's element order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    pub keep: Vec<bool>,
}

impl Mask {
    pub fn all(n: usize) -> Self {
        Mask { keep: vec![true; n] }
    }

    pub fn kept(&self) -> usize {
        self.keep.iter().filter(|&&k| k).count()
    }

    pub fn len(&self) -> usize {
        self.keep.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keep.is_empty()
    }

    pub fn sparsity(&self) -> f64 {
        1.0 - self.kept() as f64 / self.len().max(1) as f64
    }

    /// As f32 ones and zeros, to multiply weights by on the device.
    pub fn as_f32(&self) -> Vec<f32> {
        self.keep.iter().map(|&k| if k { 1.0 } else { 0.0 }).collect()
    }
}

/// The k-th largest |w| (1-based k), TFMOT's threshold.
pub fn kth_largest_magnitude(weights: &[f32], k: usize) -> f32 {
    let mut magnitudes: Vec<f32> = weights.iter().map(|w| w.abs()).collect();
    let k = k.clamp(1, magnitudes.len());
    let (_, kth, _) = magnitudes.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    *kth
}

/// TFMOT's per-layer mask at `sparsity`.
pub fn layer_mask(weights: &[f32], sparsity: f32) -> Mask {
    if weights.is_empty() {
        return Mask::all(0);
    }
    let threshold = kth_largest_magnitude(weights, keep_count(weights.len(), sparsity));
    Mask { keep: weights.iter().map(|w| w.abs() >= threshold).collect() }
}

/// torch's global unstructured L1 masks over all `layers` at `sparsity`: exactly
/// `round(sparsity * N)` weights pruned (Python's round: half to even), smallest |w| first,
/// ties broken by position.
pub fn global_masks(layers: &[&[f32]], sparsity: f64) -> Vec<Mask> {
    let total: usize = layers.iter().map(|l| l.len()).sum();
    let prune = ((sparsity * total as f64).round_ties_even() as usize).min(total);
    let mut order: Vec<(f32, usize)> = layers.iter().flat_map(|l| l.iter()).map(|w| w.abs()).zip(0..).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut keep = vec![true; total];
    for &(_, i) in &order[..prune] {
        keep[i] = false;
    }
    let mut masks = Vec::with_capacity(layers.len());
    let mut start = 0;
    for layer in layers {
        masks.push(Mask { keep: keep[start..start + layer.len()].to_vec() });
        start += layer.len();
    }
    masks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_keeps_exactly_k_without_ties() {
        let weights: Vec<f32> = (1..=100).map(|i| if i % 2 == 0 { i as f32 } else { -(i as f32) } / 100.0).collect();
        for (sparsity, kept) in [(0.0, 100), (0.5, 50), (0.9, 10), (0.95, 5), (0.99, 1), (0.999, 1)] {
            let mask = layer_mask(&weights, sparsity);
            assert_eq!(mask.kept(), kept, "sparsity {sparsity}");
            // The largest magnitudes are the ones kept.
            assert!(mask.keep[99] && !mask.keep[0] || sparsity == 0.0);
        }
    }

    #[test]
    fn ties_at_the_threshold_are_all_kept() {
        let weights = [0.1, -0.5, 0.5, 0.5, 0.9, 0.2];
        // k = round(6 * 0.5) = 3: threshold = 0.5, and all three 0.5s tie → 4 kept.
        let mask = layer_mask(&weights, 0.5);
        assert_eq!(mask.keep, vec![false, true, true, true, true, false]);
    }

    #[test]
    fn a_zero_weight_layer_keeps_one_tie_group() {
        let mask = layer_mask(&[0.0; 8], 0.5);
        assert_eq!(mask.kept(), 8, "all weights tie at 0: TFMOT keeps them all");
    }

    #[test]
    fn masks_cover_the_kernels_and_never_the_biases() {
        // A model's masks are made from its kernels alone: one entry per kernel weight, none for
        // a bias, whichever ranking; so the biases of a pruned model are its trained ones.
        let w = crate::prune::structured::tests::tiny();
        let global = global_masks(&w.kernels(), 0.9);
        assert_eq!(global.iter().map(Mask::len).collect::<Vec<_>>(), vec![w.hidden_kernel.len(), w.output_kernel.len()]);
        assert_eq!(global.iter().map(Mask::len).sum::<usize>(), w.kernel_weights());
        assert_eq!(w.total_weights() - w.kernel_weights(), w.hidden + crate::model::CLASSES, "what the masks leave out is exactly the biases");
        let pruned = crate::kernels::sparse::layout::thresholded(&w, 0.9);
        assert_eq!((&pruned.hidden_bias, &pruned.output_bias), (&w.hidden_bias, &w.output_bias));
        assert!(pruned.nonzero_kernel_weights() < w.nonzero_kernel_weights() / 5);
    }

    #[test]
    fn global_ranking_prunes_the_smallest_across_layers() {
        let small_layer = [0.01f32, 0.02, 0.03, 0.04];
        let big_layer = [1.0f32, 2.0, 3.0, 4.0, 0.015, 5.0];
        let masks = global_masks(&[&small_layer, &big_layer], 0.5);
        // 10 weights, 5 pruned: the four small ones and 0.015.
        assert_eq!(masks[0].kept(), 0);
        assert_eq!(masks[1].keep, vec![true, true, true, true, false, true]);
        // Per layer, each layer would lose half instead.
        assert_eq!(layer_mask(&small_layer, 0.5).kept(), 2);
    }

    #[test]
    fn global_ranking_prunes_exactly_round_s_n_even_with_ties() {
        let a = [0.5f32; 5];
        let b = [0.5f32; 5];
        let masks = global_masks(&[&a, &b], 0.25); // round(2.5) = 2 (half to even)
        assert_eq!(masks[0].kept() + masks[1].kept(), 8);
        assert_eq!(masks[0].keep, vec![false, false, true, true, true], "ties broken by position");
    }

    #[test]
    fn a_mask_reports_its_sparsity_and_its_f32_form() {
        let a = Mask { keep: vec![true, false, true] };
        assert_eq!(a.as_f32(), vec![1.0, 0.0, 1.0]);
        assert!((a.sparsity() - 1.0 / 3.0).abs() < 1e-12);
    }
}
