//! What a sparsity sweep times, and what it concludes.

use serde::{Deserialize, Serialize};

use crate::measure::latency::{Timing, within_noise};

/// The sparsities the crossover sweep times (the trained dense model's kernels thresholded).
pub const SWEEP_SPARSITIES: [f32; 6] = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98];

/// One backend and batch size of the sweep: the dense kernel (whose work does not depend on the
/// values, so it is timed once) against the sparse kernel at each sparsity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSeries {
    pub backend: crate::measure::latency::Backend,
    pub batch: usize,
    pub dense: Timing,
    /// One per sparsity of the sweep, in order.
    pub sparse: Vec<Timing>,
    /// The lowest swept sparsity from which the sparse kernel is faster at every higher one,
    /// beyond noise; `None` when it never wins.
    pub crossover: Option<f32>,
}

/// Where sparse starts to win: the first sparsity of the longest winning tail.
pub fn crossover(sparsities: &[f32], dense: &Timing, sparse: &[Timing]) -> Option<f32> {
    let wins = |t: &Timing| t.median_ms < dense.median_ms && !within_noise(t, dense);
    let losing_tail = sparse.iter().rev().take_while(|t| wins(t)).count();
    (losing_tail > 0).then(|| sparsities[sparse.len() - losing_tail])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(median_ms: f64) -> Timing {
        Timing { median_ms, p95_ms: median_ms * 1.01, runs: 9, k: 1, round_trip_ms: 0.0 }
    }

    #[test]
    fn the_crossover_is_where_sparse_starts_to_win_for_good() {
        let s = [0.5, 0.7, 0.8, 0.9];
        assert_eq!(crossover(&s, &t(10.0), &[t(20.0), t(12.0), t(8.0), t(4.0)]), Some(0.8));
        // A win followed by a loss does not count.
        assert_eq!(crossover(&s, &t(10.0), &[t(8.0), t(12.0), t(8.0), t(4.0)]), Some(0.8));
        assert_eq!(crossover(&s, &t(10.0), &[t(20.0), t(15.0), t(11.0), t(10.5)]), None);
        // Within noise is not a win.
        assert_eq!(crossover(&s, &t(10.0), &[t(20.0), t(15.0), t(9.95), t(9.9)]), None);
        assert_eq!(crossover(&s, &t(10.0), &[t(1.0), t(1.0), t(1.0), t(1.0)]), Some(0.5));
    }
}
