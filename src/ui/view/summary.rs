//! "What saves energy": every model the run made, as one row of the same measured figures, so the
//! levers (pruning, sparse kernels, structure, int8, regularization, early stopping) are compared
//! on one scale. Built from the report alone; the page sorts it.

use crate::data::batches::steps_per_epoch;
use crate::measure::energy::{Costs, Estimate, Work, estimate};
use crate::measure::latency::LatencyReport;
use crate::protocol::report::{ModelReport, Report};
use crate::train::config::PruneMethod;

/// One model of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    pub name: &'static str,
    pub accuracy: Option<f64>,
    /// Its weights as it is stored and run: float32 dense, float32 CSR, or int8.
    pub bytes: usize,
    pub latency: LatencyReport,
    /// Training steps spent to make it, the dense model's included where it starts from it.
    pub training_steps: usize,
    /// The energy section's per-inference estimate (batch 1), default assumptions.
    pub energy: Estimate,
}

/// What a table column sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Accuracy,
    Bytes,
    CpuBatch1,
    CpuBatch1024,
    WebgpuBatch1,
    WebgpuBatch1024,
    TrainingSteps,
    Energy,
}

impl Lever {
    /// The value a column sorts by (`None` sorts last).
    pub fn value(&self, key: SortKey) -> Option<f64> {
        let l = &self.latency;
        match key {
            SortKey::Accuracy => self.accuracy,
            SortKey::Bytes => Some(self.bytes as f64),
            SortKey::CpuBatch1 => l.cpu.map(|t| t.b1.median_ms),
            SortKey::CpuBatch1024 => l.cpu.map(|t| t.b1024.median_ms),
            SortKey::WebgpuBatch1 => l.webgpu.map(|t| t.b1.median_ms),
            SortKey::WebgpuBatch1024 => l.webgpu.map(|t| t.b1024.median_ms),
            SortKey::TrainingSteps => Some(self.training_steps as f64),
            SortKey::Energy => Some(self.energy.total_nj()),
        }
    }
}

/// Every model in `report`, in the comparison's order.
pub fn levers(report: &Report) -> Vec<Lever> {
    let costs = Costs::default();
    let dense_steps = report.train.as_ref().map_or(0, |t| t.steps);
    let config = &report.config;
    let prune = report.prune.as_ref();
    let finetune = prune.map_or(0, |p| p.config.finetune_epochs * steps_per_epoch(config.train_samples, config.batch));
    // The unstructured model: a gradual run trains from scratch; one-shot fine-tunes the dense model.
    let pruned_steps = match prune {
        Some(p) if matches!(p.config.prune, PruneMethod::Poly | PruneMethod::Constant) => p.schedule_summary.map_or(0, |s| s.total_steps),
        _ => dense_steps + finetune,
    };
    let row = |name, m: &ModelReport, bytes, macs, training_steps| Lever {
        name,
        accuracy: m.test_accuracy,
        bytes,
        latency: m.latency,
        training_steps,
        energy: estimate(&Work { macs, bytes, precision: m.precision }, &costs),
    };
    let mut out = Vec::new();
    if let Some(m) = &report.dense {
        out.push(row("Dense, float32", m, m.bytes.bytes_f32, m.macs_dense_kernel, dense_steps));
    }
    if let Some(m) = &report.pruned {
        out.push(row("Pruned, masked (dense kernel)", m, m.bytes.bytes_f32, m.macs_dense_kernel, pruned_steps));
    }
    if let Some(m) = &report.pruned_sparse {
        out.push(row("Pruned, sparse kernel", m, m.bytes.bytes_sparse, m.macs, pruned_steps));
    }
    // The same pruned model on its pattern's own kernel (block-CSR, N:M), as it stores and runs there.
    if let (Some(m), Some(p)) = (&report.pruned_sparse, report.sparse.as_ref().and_then(|s| s.pattern.as_ref()).filter(|p| p.bytes > 0)) {
        out.push(Lever { latency: p.latency, ..row("Pruned, pattern kernel (blocks or N:M)", m, p.bytes, m.macs, pruned_steps) });
    }
    if let Some(m) = &report.structured {
        out.push(row("Structured (smaller dense)", m, m.bytes.bytes_f32, m.macs, dense_steps + finetune));
    }
    // Both students train for the same steps; the distilled one also needs its teacher trained.
    let student_steps = report.distill.as_ref().map_or(0, |d| d.steps);
    if let Some(m) = &report.distilled {
        out.push(row("Distilled student (structured + teacher)", m, m.bytes.bytes_f32, m.macs, dense_steps + student_steps));
    }
    if let Some(m) = &report.scratch {
        out.push(row("Small dense, from scratch", m, m.bytes.bytes_f32, m.macs, student_steps));
    }
    if let Some(m) = &report.int8 {
        out.push(row("Dense, int8", m, m.bytes_int8.unwrap_or(m.bytes.bytes_f32 / 4), m.macs_dense_kernel, dense_steps));
    }
    if let Some(m) = &report.pruned_int8 {
        out.push(row("Pruned + int8, sparse kernel", m, m.bytes_int8.unwrap_or(m.bytes.bytes_sparse / 2), m.macs, pruned_steps));
    }
    out
}

/// `levers` ordered by `key`: accuracy highest first, every other figure lowest first; a model
/// without the figure goes last.
pub fn sorted(mut levers: Vec<Lever>, key: SortKey) -> Vec<Lever> {
    let descending = key == SortKey::Accuracy;
    levers.sort_by(|a, b| match (a.value(key), b.value(key)) {
        (Some(x), Some(y)) => {
            if descending {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            }
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    levers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::sparse::layout::thresholded;
    use crate::measure::energy::Precision;
    use crate::measure::latency::BatchTimings;
    use crate::measure::latency::Timing;
    use crate::prune::structured::tests::tiny;
    use crate::train::config::TrainingConfig;
    use crate::train::report::TrainReport;

    fn timing(ms: f64) -> BatchTimings {
        let t = Timing { median_ms: ms, p95_ms: ms, runs: 9, k: 1, round_trip_ms: 0.0 };
        BatchTimings { b1: t, b1024: t }
    }

    fn report() -> Report {
        let mut r = Report::new(TrainingConfig::new().with_train_samples(1000).with_batch(100), vec![]);
        r.train = Some(TrainReport { steps: 50, ..TrainReport::default() });
        let mut dense = ModelReport::of(&tiny(), Some(0.97));
        dense.latency.cpu = Some(timing(2.0));
        let mut sparse = ModelReport::of(&thresholded(&tiny(), 0.9), Some(0.95));
        sparse.latency.cpu = Some(timing(0.5));
        let mut int8 = ModelReport { precision: Precision::Int8, bytes_int8: Some(60), test_accuracy: Some(0.969), ..dense.clone() };
        int8.latency.cpu = None;
        r.dense = Some(dense);
        r.pruned_sparse = Some(sparse);
        r.int8 = Some(int8);
        r
    }

    #[test]
    fn every_model_is_a_row_with_the_bytes_it_is_stored_in() {
        let r = report();
        let levers = levers(&r);
        assert_eq!(levers.iter().map(|l| l.name).collect::<Vec<_>>(), vec!["Dense, float32", "Pruned, sparse kernel", "Dense, int8"]);
        assert_eq!(levers[0].bytes, r.dense.as_ref().unwrap().bytes.bytes_f32);
        assert_eq!(levers[1].bytes, r.pruned_sparse.as_ref().unwrap().bytes.bytes_sparse);
        assert_eq!(levers[2].bytes, 60);
        // No prune report: the pruned model is counted as the dense training plus no fine-tuning.
        assert_eq!(levers.iter().map(|l| l.training_steps).collect::<Vec<_>>(), vec![50, 50, 50]);
        // int8 and fewer bytes: less estimated energy per inference.
        assert!(levers[2].energy.total_nj() < levers[0].energy.total_nj());
    }

    #[test]
    fn a_pattern_kernel_is_a_row_with_its_own_bytes_and_latency() {
        let mut r = report();
        let pattern =
            crate::protocol::report::PatternKernelReport { bytes: 40, latency: LatencyReport { cpu: Some(timing(0.25)), webgpu: None }, ..Default::default() };
        r.sparse = Some(crate::protocol::report::SparseReport { pattern: Some(pattern), ..Default::default() });
        let levers = levers(&r);
        let row = levers.iter().find(|l| l.name == "Pruned, pattern kernel (blocks or N:M)").expect("a pattern row");
        assert_eq!((row.bytes, row.latency.cpu.map(|t| t.b1.median_ms), row.accuracy), (40, Some(0.25), Some(0.95)));
        // A pattern without a kernel (its layout refused) adds no row.
        r.sparse.as_mut().unwrap().pattern = Some(Default::default());
        assert_eq!(super::levers(&r).len(), 3);
    }

    #[test]
    fn sorting_puts_the_best_first_and_missing_figures_last() {
        let levers = levers(&report());
        let names = |key| sorted(levers.clone(), key).iter().map(|l| l.name).collect::<Vec<_>>();
        assert_eq!(names(SortKey::Accuracy), vec!["Dense, float32", "Dense, int8", "Pruned, sparse kernel"]);
        assert_eq!(names(SortKey::CpuBatch1), vec!["Pruned, sparse kernel", "Dense, float32", "Dense, int8"]);
        assert_eq!(names(SortKey::Bytes)[0], "Dense, int8");
    }
}
