//! The pattern study as pictures and words: accuracy against measured latency, one chart per
//! backend and batch (each model a numbered dot, the dense model the reference "D"), the models
//! no other beats on both, and a row per model.

use crate::measure::latency::{Backend, LatencyReport};
use crate::protocol::report::{ModelReport, PatternStudyReport, StudyPoint};
use crate::ui::view::chart::Dot;
use crate::ui::view::format::{count, ms};

/// One chart: accuracy (%) against ms per pass on one backend at one batch size.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyChart {
    pub id: String,
    pub caption: String,
    pub dots: Vec<Dot>,
    /// The models on the frontier (no other model both faster and at least as accurate), as
    /// "3. 1 × 4 blocks at 75 %", fastest first.
    pub frontier: Vec<String>,
}

fn median(latency: &LatencyReport, backend: Backend, batch: usize) -> Option<f64> {
    let timings = match backend {
        Backend::Cpu => latency.cpu,
        Backend::Webgpu => latency.webgpu,
    }?;
    Some(if batch == 1 { timings.b1.median_ms } else { timings.b1024.median_ms })
}

/// "1 × 4 blocks at 75 %".
pub fn name(point: &StudyPoint) -> String {
    format!("{} at {:.0} %", point.pattern, point.target * 100.0)
}

/// A chart per backend and batch the study has figures for.
pub fn charts(study: &PatternStudyReport, dense: Option<&ModelReport>) -> Vec<StudyChart> {
    let places = [(Backend::Cpu, 1), (Backend::Cpu, 1024), (Backend::Webgpu, 1), (Backend::Webgpu, 1024)];
    places
        .into_iter()
        .filter_map(|(backend, batch)| {
            let models: Vec<Dot> = study
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let (x, y) = (median(&p.latency, backend, batch)?, p.test_accuracy? * 100.0);
                    let label = format!("{}. {}: {y:.2} % test accuracy, {} per pass on {}", i + 1, name(p), ms(Some(x)), p.kernel);
                    Some(Dot { mark: (i + 1).to_string(), label, x, y })
                })
                .collect();
            if models.is_empty() {
                return None;
            }
            let mut frontier: Vec<&Dot> = models.iter().filter(|d| !models.iter().any(|o| o.x < d.x && o.y >= d.y)).collect();
            frontier.sort_by(|a, b| a.x.total_cmp(&b.x));
            let frontier = frontier.iter().map(|d| d.label.split(':').next().unwrap_or_default().to_string()).collect();
            let reference = dense.and_then(|d| {
                let (x, y) = (median(&d.latency, backend, batch)?, d.test_accuracy? * 100.0);
                Some(Dot { mark: "D".into(), label: format!("D. the dense model: {y:.2} % test accuracy, {} per pass", ms(Some(x))), x, y })
            });
            let place = backend.label();
            Some(StudyChart {
                id: format!("study-{}-{batch}", place.to_lowercase()),
                caption: format!("{place}, batch {batch}: test accuracy against ms per pass"),
                dots: reference.into_iter().chain(models).collect(),
                frontier,
            })
        })
        .collect()
}

/// A row per model: number, pattern and sparsity, accuracy, its change against the dense model,
/// the kernel, its bytes, and the four latencies.
pub fn rows(study: &PatternStudyReport, dense: Option<&ModelReport>) -> Vec<[String; 10]> {
    let dense_accuracy = dense.and_then(|d| d.test_accuracy);
    study
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let delta = match (p.test_accuracy, dense_accuracy) {
                (Some(a), Some(d)) => format!("{:+.2} pt", (a - d) * 100.0),
                _ => "–".into(),
            };
            [
                (i + 1).to_string(),
                format!("{} ({:.1} % zeros)", name(p), p.sparsity * 100.0),
                p.test_accuracy.map_or("–".into(), |a| format!("{:.2} %", a * 100.0)),
                delta,
                p.kernel.to_string(),
                count(p.bytes),
                ms(median(&p.latency, Backend::Cpu, 1)),
                ms(median(&p.latency, Backend::Cpu, 1024)),
                ms(median(&p.latency, Backend::Webgpu, 1)),
                ms(median(&p.latency, Backend::Webgpu, 1024)),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::latency::{BatchTimings, Timing};

    fn cpu(b1: f64, b1024: f64) -> LatencyReport {
        let t = |m: f64| Timing { median_ms: m, p95_ms: m, runs: 9, k: 1, round_trip_ms: 0.0 };
        LatencyReport { cpu: Some(BatchTimings { b1: t(b1), b1024: t(b1024) }), webgpu: None }
    }

    fn point(pattern: &'static str, target: f32, accuracy: f64, latency: LatencyReport) -> StudyPoint {
        StudyPoint { pattern: pattern.into(), target, sparsity: f64::from(target), test_accuracy: Some(accuracy), kernel: "CSR".into(), bytes: 1000, latency }
    }

    #[test]
    fn a_chart_per_measured_place_with_the_dense_reference_and_the_frontier() {
        let study = PatternStudyReport {
            planned: 3,
            points: vec![
                point("unstructured", 0.5, 0.975, cpu(0.01, 4.0)),
                point("1 × 4 blocks", 0.9, 0.960, cpu(0.004, 2.0)),
                // Slower than the first and less accurate: not on the frontier.
                point("4 × 1 blocks", 0.5, 0.970, cpu(0.02, 5.0)),
            ],
            ..PatternStudyReport::default()
        };
        let dense = ModelReport { latency: cpu(0.02, 6.0), ..ModelReport::of(&crate::prune::structured::tests::tiny(), Some(0.98)) };
        let charts = charts(&study, Some(&dense));
        assert_eq!(charts.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["study-cpu-1", "study-cpu-1024"]);
        let big = &charts[1];
        assert_eq!(big.dots.iter().map(|d| (d.mark.as_str(), d.x)).collect::<Vec<_>>(), [("D", 6.0), ("1", 4.0), ("2", 2.0), ("3", 5.0)]);
        assert_eq!(big.dots[2].label, "2. 1 × 4 blocks at 90 %: 96.00 % test accuracy, 2.00 ms per pass on CSR");
        assert_eq!(big.frontier, ["2. 1 × 4 blocks at 90 %", "1. unstructured at 50 %"]);
        let rows = rows(&study, Some(&dense));
        assert_eq!(rows[1][..4], ["2", "1 × 4 blocks at 90 % (90.0 % zeros)", "96.00 %", "-2.00 pt"].map(String::from));
        assert_eq!(rows[1][6..], ["0.004 ms", "2.00 ms", "–", "–"].map(String::from));
        // Nothing measured yet: no chart.
        assert!(super::charts(&PatternStudyReport::default(), Some(&dense)).is_empty());
    }
}
