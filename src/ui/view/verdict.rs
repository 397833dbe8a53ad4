//! The verdict card: the run's answer in a few plain sentences, for this device. What pruning
//! removed and what it cost in accuracy, how much smaller the model is as stored, and what it
//! bought in speed at batch 1 and 1024, each on the backend that runs the dense model faster here
//! (the one a deployment on this machine would pick). Every figure comes from the report.

use crate::measure::latency::{Backend, BatchTimings, LatencyReport, Timing, within_noise};
use crate::protocol::report::{ModelReport, Report};
use crate::ui::view::format::{count, ms, percent};
use crate::ui::view::summary::levers;

/// What one model bought against the dense one, on one backend at one batch size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// The difference is within the two timings' noise.
    Same,
    /// Dense time over this model's time (> 1).
    Faster(f64),
    /// This model's time over dense time (> 1).
    Slower(f64),
}

impl Speed {
    /// `model` against `dense`, noise called noise ([`within_noise`]).
    pub fn of(dense: &Timing, model: &Timing) -> Self {
        if within_noise(dense, model) {
            Speed::Same
        } else if model.median_ms < dense.median_ms {
            Speed::Faster(dense.median_ms / model.median_ms)
        } else {
            Speed::Slower(model.median_ms / dense.median_ms)
        }
    }

    pub fn words(self) -> String {
        match self {
            Speed::Same => "no faster".into(),
            Speed::Faster(x) => format!("{x:.1}× faster"),
            Speed::Slower(x) => format!("{x:.1}× slower"),
        }
    }
}

/// The speed-ups at one batch size, on the backend where the dense model is faster.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchVerdict {
    pub batch: usize,
    pub backend: Backend,
    /// The pruned model on the dense kernel (zeros multiplied like any weight).
    pub masked: Option<Speed>,
    /// The pruned model on the sparse kernel.
    pub sparse: Option<Speed>,
    /// The model with whole units removed.
    pub structured: Option<Speed>,
}

/// The whole card.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Kernel weights pruned, 0..1 (the unstructured model's, else the structured one's).
    pub removed: f64,
    /// What pruning did to test accuracy, in percentage points (negative: a loss).
    pub accuracy_points: Option<f64>,
    /// Dense float32 bytes over the pruned model's bytes as stored (CSR, or the smaller dense).
    pub smaller: f64,
    /// Whether `removed` is weight by weight (else whole units).
    pub unstructured: bool,
    pub batches: Vec<BatchVerdict>,
}

/// The backend as the reader knows it: their CPU or their GPU.
fn device(backend: Backend) -> &'static str {
    match backend {
        Backend::Cpu => "CPU",
        Backend::Webgpu => "GPU (WebGPU)",
    }
}

/// The timing at `batch` (1, else 1024).
pub fn at(t: &BatchTimings, batch: usize) -> Timing {
    if batch == 1 { t.b1 } else { t.b1024 }
}

/// The timings on `backend`, if measured there.
pub fn on(latency: &LatencyReport, backend: Backend) -> Option<BatchTimings> {
    match backend {
        Backend::Cpu => latency.cpu,
        Backend::Webgpu => latency.webgpu,
    }
}

/// The backend that runs the dense model faster at `batch`, among those measured.
fn faster_backend(dense: &LatencyReport, batch: usize) -> Option<Backend> {
    [Backend::Cpu, Backend::Webgpu]
        .into_iter()
        .filter_map(|b| on(dense, b).map(|t| (b, at(&t, batch).median_ms)))
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(b, _)| b)
}

/// The card for `report`, once it has a dense model and a pruned or structured one.
pub fn verdict(report: &Report) -> Option<Verdict> {
    let dense = report.dense.as_ref()?;
    let (main, unstructured) = match (&report.pruned, &report.structured) {
        (Some(p), _) => (p, true),
        (None, Some(s)) => (s, false),
        (None, None) => return None,
    };
    let stored = if unstructured { report.pruned_sparse.as_ref().map_or(main.bytes.bytes_sparse, |s| s.bytes.bytes_sparse) } else { main.bytes.bytes_f32 };
    let removed = if unstructured { main.sparsity } else { 1.0 - main.kernel_weights as f64 / dense.kernel_weights.max(1) as f64 };
    let accuracy_points = main.test_accuracy.zip(dense.test_accuracy).map(|(m, d)| (m - d) * 100.0);
    let batches = [1, 1024]
        .into_iter()
        .filter_map(|batch| {
            let backend = faster_backend(&dense.latency, batch)?;
            let d = at(&on(&dense.latency, backend)?, batch);
            let speed = |m: &Option<ModelReport>| m.as_ref().and_then(|m| on(&m.latency, backend)).map(|t| Speed::of(&d, &at(&t, batch)));
            Some(BatchVerdict { batch, backend, masked: speed(&report.pruned), sparse: speed(&report.pruned_sparse), structured: speed(&report.structured) })
        })
        .collect();
    Some(Verdict { removed, accuracy_points, smaller: dense.bytes.bytes_f32 as f64 / stored.max(1) as f64, unstructured, batches })
}

impl Verdict {
    /// The headline: what was removed, what it cost, how much smaller it is stored.
    pub fn headline(&self) -> String {
        let what = if self.unstructured { "of the weights removed" } else { "of the weights removed with whole units" };
        let cost = match self.accuracy_points {
            Some(p) if p.abs() < 0.05 => "no accuracy lost".to_string(),
            Some(p) => format!("{p:+.1} pt accuracy"),
            None => "accuracy not measured".to_string(),
        };
        format!("{:.0} % {what}: {cost}, {:.1}× smaller as stored.", self.removed * 100.0, self.smaller)
    }

    /// One sentence per batch size: each model's speed against the dense one, on the backend
    /// that runs the dense model faster at that size.
    pub fn speed_lines(&self) -> Vec<String> {
        self.batches
            .iter()
            .map(|b| {
                let parts: Vec<String> = [(b.sparse, "with a sparse kernel"), (b.masked, "on a dense kernel"), (b.structured, "with units removed")]
                    .into_iter()
                    .filter_map(|(speed, how)| speed.map(|s| format!("{} {how}", s.words())))
                    .collect();
                let list = if parts.is_empty() { "not measured".to_string() } else { parts.join("; ") };
                format!("At batch {}, on your {}: {list}.", b.batch, device(b.backend))
            })
            .collect()
    }
}

/// The verdict and every model's figures as Markdown, for a blog post: the device they were
/// measured on, and `link`, the page with these settings, to reproduce them.
pub fn markdown(report: &Report, link: &str) -> Option<String> {
    let v = verdict(report)?;
    let mut out = format!("**{}**\n\n", v.headline());
    for line in v.speed_lines() {
        out += &format!("- {line}\n");
    }
    out += "\n| model | test accuracy | bytes as stored | CPU, batch 1 | CPU, batch 1024 | WebGPU, batch 1 | WebGPU, batch 1024 |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|\n";
    for lever in levers(report) {
        let l = &lever.latency;
        let cell = |t: Option<BatchTimings>, batch| ms(t.map(|t| at(&t, batch).median_ms));
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            lever.name,
            percent(lever.accuracy),
            count(lever.bytes),
            cell(l.cpu, 1),
            cell(l.cpu, 1024),
            cell(l.webgpu, 1),
            cell(l.webgpu, 1024)
        );
    }
    let device = match (report.backend, &report.adapter) {
        (Some(b), Some(adapter)) => format!("{} · {adapter}", b.label()),
        (Some(b), None) => b.label().to_string(),
        (None, _) => "this device".to_string(),
    };
    out += &format!("\nMedian latencies. Measured on {device} by [PruneLab]({link}), which reruns it in your browser.\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::sparse::layout::thresholded;
    use crate::prune::structured::tests::tiny;
    use crate::train::config::TrainingConfig;

    fn timings(b1: f64, b1024: f64) -> BatchTimings {
        let t = |ms: f64| Timing { median_ms: ms, p95_ms: ms * 1.01, runs: 20, k: 10, round_trip_ms: 0.0 };
        BatchTimings { b1: t(b1), b1024: t(b1024) }
    }

    fn report() -> Report {
        let mut r = Report::new(TrainingConfig::new(), vec![]);
        let mut dense = ModelReport::of(&tiny(), Some(0.97));
        dense.latency = LatencyReport { cpu: Some(timings(0.2, 10.0)), webgpu: Some(timings(1.0, 4.0)) };
        let mut pruned = ModelReport::of(&thresholded(&tiny(), 0.9), Some(0.965));
        pruned.latency = LatencyReport { cpu: Some(timings(0.2, 10.1)), webgpu: Some(timings(1.0, 4.0)) };
        let mut sparse = pruned.clone();
        sparse.latency = LatencyReport { cpu: Some(timings(0.05, 2.0)), webgpu: Some(timings(0.9, 8.0)) };
        r.dense = Some(dense);
        r.pruned = Some(pruned);
        r.pruned_sparse = Some(sparse);
        r
    }

    #[test]
    fn each_batch_is_judged_on_the_backend_that_runs_the_dense_model_faster() {
        let r = report();
        let v = verdict(&r).unwrap();
        let pruned = r.pruned.as_ref().unwrap();
        assert_eq!(v.removed, pruned.sparsity);
        assert!((v.accuracy_points.unwrap() - -0.5).abs() < 1e-9);
        assert_eq!(v.smaller, r.dense.as_ref().unwrap().bytes.bytes_f32 as f64 / pruned.bytes.bytes_sparse as f64);
        // Batch 1: the CPU (0.2 ms) beats WebGPU (1.0 ms); batch 1024: WebGPU (4 ms) beats the CPU.
        assert_eq!(v.batches.iter().map(|b| (b.batch, b.backend)).collect::<Vec<_>>(), vec![(1, Backend::Cpu), (1024, Backend::Webgpu)]);
        assert_eq!(v.batches[0].sparse, Some(Speed::Faster(4.0)));
        assert_eq!(v.batches[0].masked, Some(Speed::Same), "0.2 vs 0.2 ms is noise");
        assert_eq!(v.batches[1].sparse, Some(Speed::Slower(2.0)));
        assert_eq!(v.batches[1].structured, None);
    }

    #[test]
    fn the_sentences_say_the_figures() {
        let v = verdict(&report()).unwrap();
        assert!(v.headline().starts_with(&format!("{:.0} % of the weights removed: -0.5 pt accuracy, ", v.removed * 100.0)), "{}", v.headline());
        assert_eq!(
            v.speed_lines(),
            vec![
                "At batch 1, on your CPU: 4.0× faster with a sparse kernel; no faster on a dense kernel.",
                "At batch 1024, on your GPU (WebGPU): 2.0× slower with a sparse kernel; no faster on a dense kernel.",
            ]
        );
    }

    #[test]
    fn no_verdict_without_a_pruned_model_and_structured_alone_counts_units() {
        let mut r = report();
        r.pruned = None;
        r.pruned_sparse = None;
        assert_eq!(verdict(&r), None);
        let small = crate::prune::structured::compact(&tiny(), &[0, 3]);
        r.structured = Some(ModelReport::of(&small, Some(0.95)));
        let v = verdict(&r).unwrap();
        assert!(!v.unstructured);
        let dense = r.dense.as_ref().unwrap();
        assert_eq!(v.removed, 1.0 - small.kernel_weights() as f64 / dense.kernel_weights as f64);
        assert!(v.headline().contains("with whole units"));
        assert!(v.batches.iter().all(|b| b.structured.is_none()), "its latency was not measured");
    }

    #[test]
    fn the_markdown_holds_the_verdict_every_model_and_the_link() {
        let mut r = report();
        r.backend = Some(Backend::Webgpu);
        r.adapter = Some("Test GPU".into());
        let md = markdown(&r, "https://example.org/prunelab/?final_sparsity=0.9").unwrap();
        let v = verdict(&r).unwrap();
        assert!(md.starts_with(&format!("**{}**\n\n- {}\n- {}\n", v.headline(), v.speed_lines()[0], v.speed_lines()[1])), "{md}");
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| model")).collect();
        assert_eq!(rows.len(), levers(&r).len());
        assert!(rows[0].starts_with("| Dense, float32 | 97.00 % | "), "{}", rows[0]);
        assert!(rows[0].ends_with("| 0.200 ms | 10.0 ms | 1.00 ms | 4.00 ms |"), "{}", rows[0]);
        assert!(md.contains("Measured on WebGPU · Test GPU by [PruneLab](https://example.org/prunelab/?final_sparsity=0.9)"));
        r.pruned = None;
        r.pruned_sparse = None;
        assert_eq!(markdown(&r, "x"), None, "no verdict, nothing to copy");
    }
}
