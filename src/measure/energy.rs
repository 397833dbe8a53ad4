//! An energy *estimate* (never a measurement): arithmetic on published per-operation energies,
//! to show why memory traffic, not arithmetic, dominates a small network's inference, and
//! what pruning and int8 storage change.
//!
//! Default figures: M. Horowitz, "Computing's energy problem (and what we can do about it)",
//! ISSCC 2014, for a 45 nm process at 0.9 V.

use serde::{Deserialize, Serialize};

/// Energy per operation, in picojoules. Every figure can be changed on the page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    pub fp32_mult_pj: f64,
    pub fp32_add_pj: f64,
    pub int8_mult_pj: f64,
    pub int8_add_pj: f64,
    /// Reading 32 bits from DRAM.
    pub dram_read_32bit_pj: f64,
}

impl Default for Costs {
    /// Horowitz, ISSCC 2014 (45 nm, 0.9 V).
    fn default() -> Self {
        Costs { fp32_mult_pj: 3.7, fp32_add_pj: 0.9, int8_mult_pj: 0.2, int8_add_pj: 0.03, dram_read_32bit_pj: 640.0 }
    }
}

/// How a model stores and multiplies its weights (the report's `precision` of each column too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    #[serde(rename = "float32")]
    Fp32,
    /// int8 codes, i32 sums (`quant`).
    Int8,
}

/// What one inference (batch 1) does, under the stated assumptions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Multiply-accumulates actually executed.
    pub macs: usize,
    /// Bytes of weights (and sparse indices) read from DRAM: at batch 1 every weight is read once,
    /// and a network this small gets no reuse from caches across a single image.
    pub bytes: usize,
    pub precision: Precision,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub compute_nj: f64,
    pub memory_nj: f64,
}

impl Estimate {
    pub fn total_nj(&self) -> f64 {
        self.compute_nj + self.memory_nj
    }

    /// The share of memory traffic in the total.
    pub fn memory_share(&self) -> f64 {
        self.memory_nj / self.total_nj().max(f64::MIN_POSITIVE)
    }
}

pub fn estimate(work: &Work, costs: &Costs) -> Estimate {
    let per_mac = match work.precision {
        Precision::Fp32 => costs.fp32_mult_pj + costs.fp32_add_pj,
        Precision::Int8 => costs.int8_mult_pj + costs.int8_add_pj,
    };
    Estimate { compute_nj: work.macs as f64 * per_mac / 1000.0, memory_nj: work.bytes as f64 / 4.0 * costs.dram_read_32bit_pj / 1000.0 }
}

/// One training epoch: each sample costs about three forward passes of MACs (the forward pass
/// and the two backward products), and each step reads the weights for the forward and the
/// backward pass and writes them once (three transfers of the weights).
pub fn training_epoch(forward_macs: usize, weight_bytes: usize, samples: usize, steps: usize, costs: &Costs) -> Estimate {
    let work = Work { macs: 3 * forward_macs * samples, bytes: 3 * weight_bytes * steps, precision: Precision::Fp32 };
    estimate(&work, costs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_dominates_the_dense_mlp_at_batch_1() {
        // 101,632 MACs and 407,080 bytes: 0.47 µJ of arithmetic against 65 µJ of DRAM reads.
        let e = estimate(&Work { macs: 101_632, bytes: 407_080, precision: Precision::Fp32 }, &Costs::default());
        assert!((e.compute_nj - 101_632.0 * 4.6 / 1000.0).abs() < 1e-6);
        assert!((e.memory_nj - 101_770.0 * 640.0 / 1000.0).abs() < 1e-6);
        assert!(e.memory_share() > 0.99);
    }

    #[test]
    fn int8_storage_cuts_both_terms() {
        let fp32 = estimate(&Work { macs: 1000, bytes: 4000, precision: Precision::Fp32 }, &Costs::default());
        let int8 = estimate(&Work { macs: 1000, bytes: 1000, precision: Precision::Int8 }, &Costs::default());
        assert!((int8.memory_nj * 4.0 - fp32.memory_nj).abs() < 1e-9);
        assert!(int8.compute_nj < fp32.compute_nj / 20.0);
    }

    #[test]
    fn an_epoch_is_three_passes_per_sample() {
        let costs = Costs { dram_read_32bit_pj: 0.0, ..Costs::default() };
        let epoch = training_epoch(100, 400, 10, 2, &costs);
        assert!((epoch.compute_nj - 3.0 * 100.0 * 10.0 * 4.6 / 1000.0).abs() < 1e-9);
        assert_eq!(epoch.memory_nj, 0.0);
    }
}
