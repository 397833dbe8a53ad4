//! The histogram of first-layer weight magnitudes beside the tiles: how many weights sit at each
//! |w|, which of them the mask cut, and where its threshold lies. Magnitude pruning's whole idea
//! in one picture: everything left of the line goes.

use crate::prune::tiles::FirstLayer;

#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The bins split [0, `max`] evenly.
    pub max: f32,
    /// Per bin: weights kept.
    pub kept: Vec<usize>,
    /// Per bin: weights pruned by the current mask (their magnitude before masking), or
    /// belonging to a unit that structured pruning removed.
    pub pruned: Vec<usize>,
    /// Pruned weights already at exactly zero (cut by an earlier mask): no magnitude to bin.
    pub zeros: usize,
    pub threshold: Option<f32>,
}

impl Histogram {
    /// `bins` bins of the |w| of `layer`'s first-layer kernel.
    pub fn of(layer: &FirstLayer, bins: usize) -> Self {
        let bins = bins.max(1);
        let max = layer.kernel.iter().map(|w| w.abs()).filter(|m| m.is_finite()).fold(0.0f32, f32::max);
        let mut histogram =
            Histogram { max: if max > 0.0 { max } else { 1.0 }, kept: vec![0; bins], pruned: vec![0; bins], zeros: 0, threshold: layer.threshold };
        for (i, w) in layer.kernel.iter().enumerate() {
            // A unit removed by structured pruning takes all its weights with it.
            let pruned = layer.is_pruned(i) || layer.is_removed(i % layer.units.max(1));
            if pruned && *w == 0.0 {
                histogram.zeros += 1;
                continue;
            }
            if !w.is_finite() {
                continue;
            }
            let bin = ((w.abs() / histogram.max * bins as f32) as usize).min(bins - 1);
            if pruned { histogram.pruned[bin] += 1 } else { histogram.kept[bin] += 1 }
        }
        histogram
    }

    /// The tallest bar, for scaling (at least 1).
    pub fn tallest(&self) -> usize {
        self.kept.iter().zip(&self.pruned).map(|(k, p)| k + p).max().unwrap_or(0).max(1)
    }

    /// The height of a bar of `count` as a fraction of the tallest, on a log scale: weights
    /// pruned earlier pile up near zero in a bin 100× taller than any other.
    pub fn log_height(&self, count: usize) -> f64 {
        (count as f64).ln_1p() / (self.tallest() as f64).ln_1p()
    }

    /// Where the threshold falls, as a fraction of the x axis.
    pub fn threshold_fraction(&self) -> Option<f32> {
        self.threshold.map(|t| (t / self.max).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prune::mask::Mask;

    fn layer(kernel: Vec<f32>, pruned: Vec<bool>, threshold: Option<f32>) -> FirstLayer {
        FirstLayer { units: 1, kernel, pruned, removed: Vec::new(), threshold }
    }

    #[test]
    fn every_weight_lands_in_one_bin() {
        let h = Histogram::of(&layer(vec![0.0, 0.1, -0.25, 0.5, -1.0, 0.99], Vec::new(), None), 4);
        assert_eq!(h.max, 1.0);
        assert_eq!(h.kept, vec![2, 1, 1, 2]);
        assert_eq!(h.pruned, vec![0; 4]);
        assert_eq!(h.zeros, 0, "a kept zero is a kept weight, not a pruned one");
        assert_eq!(h.tallest(), 2);
        assert_eq!((h.log_height(0), h.log_height(2)), (0.0, 1.0));
        assert!(h.log_height(1) > 0.5, "a log scale lifts the short bars");
        assert_eq!(h.threshold_fraction(), None);
    }

    #[test]
    fn pruned_weights_are_split_out_and_earlier_cuts_counted_apart() {
        let kernel = vec![0.0, 0.0, 0.1, -0.2, 0.6, -0.8];
        let mask = Mask { keep: vec![false, false, false, false, true, true] };
        let h = Histogram::of(&layer(kernel, mask.keep.iter().map(|k| !k).collect(), Some(0.6)), 4);
        assert_eq!(h.zeros, 2);
        assert_eq!(h.pruned, vec![1, 1, 0, 0]);
        assert_eq!(h.kept, vec![0, 0, 0, 2]);
        assert_eq!(h.threshold_fraction(), Some(0.75));
    }

    #[test]
    fn the_weights_of_removed_units_count_as_cut() {
        // Two units, interleaved as in a [inputs, units] kernel; unit 1 removed.
        let view = FirstLayer { units: 2, kernel: vec![0.1, 0.9, 0.2, 0.8], pruned: Vec::new(), removed: vec![false, true], threshold: None };
        let h = Histogram::of(&view, 2);
        assert_eq!((h.kept.clone(), h.pruned.clone()), (vec![2, 0], vec![0, 2]));
    }

    #[test]
    fn degenerate_layers_do_not_divide_by_zero() {
        let h = Histogram::of(&layer(vec![0.0; 3], Vec::new(), None), 0);
        assert_eq!((h.max, h.kept.clone()), (1.0, vec![3]));
        let h = Histogram::of(&layer(vec![f32::NAN, 0.5], Vec::new(), None), 2);
        assert_eq!(h.kept, vec![0, 1]);
    }
}
