//! The comparison's speed matrix: every model against the dense one, on each backend measured, at
//! batch 1 and 1024. One cell per (model, backend, batch) instead of a sentence each, with noise
//! called noise by the same rule as the verdict card ([`Speed::of`]).

use crate::measure::latency::Backend;
use crate::model::kind::{ModelKind, SPARSE_KERNEL};
use crate::protocol::report::{ModelReport, Report};
use crate::ui::view::verdict::{Speed, at, on};

/// The batch sizes every latency is measured at.
const BATCHES: [usize; 2] = [1, 1024];

/// One row: a model and its speed against the dense model in each column (`None`: not measured).
#[derive(Debug, Clone, PartialEq)]
pub struct SpeedRow {
    pub model: &'static str,
    pub cells: Vec<Option<Speed>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpeedMatrix {
    /// (backend, batch) of each column: the backends the dense model was timed on, WebGPU first.
    pub columns: Vec<(Backend, usize)>,
    pub rows: Vec<SpeedRow>,
}

/// The models compared with the dense one, in the comparison table's order, with the names its
/// columns carry.
pub fn compared(r: &Report) -> [(&'static str, &Option<ModelReport>); 7] {
    [
        (ModelKind::Pruned.label(), &r.pruned),
        (SPARSE_KERNEL, &r.pruned_sparse),
        (ModelKind::Structured.label(), &r.structured),
        (ModelKind::Distilled.label(), &r.distilled),
        (ModelKind::Scratch.label(), &r.scratch),
        (ModelKind::Int8.label(), &r.int8),
        (ModelKind::PrunedInt8.label(), &r.pruned_int8),
    ]
}

/// The matrix for `r`, once a dense model and at least one other model have been timed.
pub fn speed_matrix(r: &Report) -> Option<SpeedMatrix> {
    let dense = r.dense.as_ref()?;
    let columns: Vec<(Backend, usize)> =
        [Backend::Webgpu, Backend::Cpu].into_iter().filter(|b| on(&dense.latency, *b).is_some()).flat_map(|b| BATCHES.map(|batch| (b, batch))).collect();
    let rows: Vec<SpeedRow> = compared(r)
        .into_iter()
        .filter_map(|(model, m)| {
            let m = m.as_ref()?;
            let cells: Vec<Option<Speed>> = columns
                .iter()
                .map(|&(backend, batch)| Some(Speed::of(&at(&on(&dense.latency, backend)?, batch), &at(&on(&m.latency, backend)?, batch))))
                .collect();
            cells.iter().any(Option::is_some).then_some(SpeedRow { model, cells })
        })
        .collect();
    (!rows.is_empty()).then_some(SpeedMatrix { columns, rows })
}

/// A cell's words, read by screen readers as they are shown.
pub fn cell_text(speed: Option<Speed>) -> String {
    match speed {
        None => "–".into(),
        Some(Speed::Same) => "same".into(),
        Some(s) => s.words(),
    }
}

/// A cell's colour class (see the legend under the matrix).
pub fn cell_class(speed: Option<Speed>) -> &'static str {
    match speed {
        None => "",
        Some(Speed::Same) => "same",
        Some(Speed::Faster(_)) => "faster",
        Some(Speed::Slower(_)) => "slower",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::latency::{BatchTimings, LatencyReport, Timing};
    use crate::prune::structured::tests::tiny;
    use crate::train::config::TrainingConfig;

    fn model(cpu: Option<(f64, f64)>, webgpu: Option<(f64, f64)>) -> Option<ModelReport> {
        let timing = |median_ms: f64| Timing { median_ms, p95_ms: median_ms * 1.01, runs: 20, k: 4, round_trip_ms: 0.0 };
        let t = |p: Option<(f64, f64)>| p.map(|(b1, b1024)| BatchTimings { b1: timing(b1), b1024: timing(b1024) });
        let mut m = ModelReport::of(&tiny(), Some(0.9));
        m.latency = LatencyReport { cpu: t(cpu), webgpu: t(webgpu) };
        Some(m)
    }

    #[test]
    fn one_cell_per_backend_and_batch_with_noise_called_noise() {
        let mut r = Report::new(TrainingConfig::new(), vec![]);
        r.dense = model(Some((1.0, 100.0)), Some((2.0, 10.0)));
        r.pruned_sparse = model(Some((0.25, 100.5)), Some((4.0, 10.0)));
        r.structured = model(Some((0.5, 50.0)), None);
        let m = speed_matrix(&r).unwrap();
        assert_eq!(m.columns, vec![(Backend::Webgpu, 1), (Backend::Webgpu, 1024), (Backend::Cpu, 1), (Backend::Cpu, 1024)]);
        assert_eq!(m.rows.len(), 2, "models never timed get no row");
        assert_eq!(m.rows[0].model, SPARSE_KERNEL);
        assert_eq!(m.rows[0].cells, vec![Some(Speed::Slower(2.0)), Some(Speed::Same), Some(Speed::Faster(4.0)), Some(Speed::Same)]);
        assert_eq!(m.rows[1].cells, vec![None, None, Some(Speed::Faster(2.0)), Some(Speed::Faster(2.0))]);
        let words: Vec<String> = m.rows[0].cells.iter().map(|c| cell_text(*c)).collect();
        assert_eq!(words, ["2.0× slower", "same", "4.0× faster", "same"]);
        assert_eq!(cell_text(None), "–");
        assert_eq!(m.rows[0].cells.iter().map(|c| cell_class(*c)).collect::<Vec<_>>(), ["slower", "same", "faster", "same"]);
    }

    #[test]
    fn only_backends_the_dense_model_ran_on() {
        let mut r = Report::new(TrainingConfig::new(), vec![]);
        r.dense = model(Some((1.0, 100.0)), None);
        assert_eq!(speed_matrix(&r), None, "nothing to compare yet");
        r.pruned = model(Some((1.0, 100.0)), Some((1.0, 1.0)));
        let m = speed_matrix(&r).unwrap();
        assert_eq!(m.columns, vec![(Backend::Cpu, 1), (Backend::Cpu, 1024)]);
        assert_eq!(m.rows[0].cells, vec![Some(Speed::Same), Some(Speed::Same)]);
    }
}
