//! The energy section's table: what each model's inference costs in arithmetic and memory traffic
//! under the section's assumptions (`Costs`), beside its measured batch-1 latency, and what one
//! epoch of dense training costs. Built from the report alone.

use crate::data::batches::steps_per_epoch;
use crate::measure::energy::{Costs, Estimate, Precision, Work, estimate, training_epoch};
use crate::measure::latency::LatencyReport;
use crate::protocol::report::Report;

/// One model, as its kernel runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyRow {
    pub name: &'static str,
    pub work: Work,
    pub estimate: Estimate,
    /// Its measured latency, where a kernel ran this row (`None`: an estimate only).
    pub latency: Option<LatencyReport>,
}

/// Every row the report has figures for, and one training epoch of the dense model
/// (`(images, estimate)`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnergyTable {
    pub rows: Vec<EnergyRow>,
    pub epoch: Option<(usize, Estimate)>,
}

pub fn energy_table(r: &Report, costs: &Costs) -> EnergyTable {
    let mut rows: Vec<(&'static str, Work, Option<LatencyReport>)> = Vec::new();
    let fp32 = |macs, bytes| Work { macs, bytes, precision: Precision::Fp32 };
    let int8 = |macs, bytes| Work { macs, bytes, precision: Precision::Int8 };
    if let Some(d) = &r.dense {
        rows.push(("Dense, float32", fp32(d.macs_dense_kernel, d.bytes.bytes_f32), Some(d.latency)));
        // The int8 model as stored and timed when the run quantized; a quarter of float32 otherwise.
        let q = r.int8.as_ref();
        rows.push(("Dense, int8 weights", int8(d.macs_dense_kernel, q.and_then(|q| q.bytes_int8).unwrap_or(d.bytes.bytes_f32 / 4)), q.map(|q| q.latency)));
    }
    if let Some(p) = &r.pruned {
        rows.push(("Pruned, on a dense kernel (zeros still read and multiplied)", fp32(p.macs_dense_kernel, p.bytes.bytes_f32), Some(p.latency)));
        rows.push(("Pruned, on a sparse kernel (CSR)", fp32(p.macs, p.bytes.bytes_sparse), r.pruned_sparse.as_ref().map(|s| s.latency)));
        if let Some(q) = &r.pruned_int8 {
            rows.push(("Pruned + int8, on a sparse kernel (CSR)", int8(q.macs, q.bytes_int8.unwrap_or(p.bytes.bytes_sparse / 2)), Some(q.latency)));
        }
    }
    if let Some(s) = &r.structured {
        rows.push(("Structured, float32", fp32(s.macs, s.bytes.bytes_f32), Some(s.latency)));
        rows.push(("Structured, int8 weights", int8(s.macs, s.bytes.bytes_f32 / 4), None));
    }
    let epoch = r.dense.as_ref().map(|d| {
        let samples = r.config.train_samples;
        (samples, training_epoch(d.macs_dense_kernel, d.bytes.bytes_f32, samples, steps_per_epoch(samples, r.config.batch), costs))
    });
    let rows = rows.into_iter().map(|(name, work, latency)| EnergyRow { name, work, estimate: estimate(&work, costs), latency }).collect();
    EnergyTable { rows, epoch }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::sparse::layout::thresholded;
    use crate::protocol::report::ModelReport;
    use crate::prune::structured::tests::tiny;
    use crate::train::config::TrainingConfig;

    #[test]
    fn nothing_trained_is_an_empty_table() {
        let table = energy_table(&Report::new(TrainingConfig::new(), vec![]), &Costs::default());
        assert_eq!(table, EnergyTable::default());
    }

    #[test]
    fn each_model_is_costed_as_its_kernel_runs_it() {
        let mut r = Report::new(TrainingConfig::new().with_train_samples(1000).with_batch(100), vec![]);
        let dense = ModelReport::of(&tiny(), Some(0.97));
        let pruned = ModelReport::of(&thresholded(&tiny(), 0.9), Some(0.95));
        r.dense = Some(dense.clone());
        r.pruned = Some(pruned.clone());
        let costs = Costs::default();
        let table = energy_table(&r, &costs);
        let names: Vec<_> = table.rows.iter().map(|row| row.name).collect();
        assert_eq!(
            names,
            ["Dense, float32", "Dense, int8 weights", "Pruned, on a dense kernel (zeros still read and multiplied)", "Pruned, on a sparse kernel (CSR)"]
        );
        // Not quantized by the run: int8 is estimated at a quarter of the bytes, and not timed.
        assert_eq!((table.rows[1].work.bytes, table.rows[1].latency), (dense.bytes.bytes_f32 / 4, None));
        // The masked model reads and multiplies every zero; the sparse one only what is left.
        assert_eq!((table.rows[2].work.macs, table.rows[2].work.bytes), (pruned.macs_dense_kernel, pruned.bytes.bytes_f32));
        assert_eq!((table.rows[3].work.macs, table.rows[3].work.bytes), (pruned.macs, pruned.bytes.bytes_sparse));
        assert_eq!(table.rows[3].latency, None, "no sparse kernel ran");
        assert!(table.rows[3].estimate.total_nj() < table.rows[2].estimate.total_nj());
        for row in &table.rows {
            assert_eq!(row.estimate, estimate(&row.work, &costs));
        }
        assert_eq!(table.epoch.map(|(images, _)| images), Some(1000));
        // Quantized by the run: the int8 row takes the bytes it was stored in.
        r.int8 = Some(ModelReport { bytes_int8: Some(123), ..dense });
        assert_eq!(energy_table(&r, &costs).rows[1].work.bytes, 123);
    }
}
