//! The pattern kernel beside the CSR kernel and the dense model: a row per kernel (bytes as
//! stored, latency per backend and batch) and a sentence per backend on what the pattern buys.

use crate::measure::latency::{Backend, BatchTimings, LatencyReport, Timing, within_noise};
use crate::protocol::report::{ModelReport, PatternKernelReport};
use crate::ui::view::format::{count, ms};

/// One row of the table: a kernel, its bytes (f32, int8 codes) and its median latency on the CPU
/// and WebGPU at batch 1 and 1024.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelRow {
    pub kernel: &'static str,
    pub bytes: String,
    pub bytes_int8: String,
    pub latency: [String; 4],
}

fn latency_cells(latency: &LatencyReport) -> [String; 4] {
    let median = |timings: Option<BatchTimings>, big: bool| ms(timings.map(|t| if big { t.b1024.median_ms } else { t.b1.median_ms }));
    [median(latency.cpu, false), median(latency.cpu, true), median(latency.webgpu, false), median(latency.webgpu, true)]
}

fn bytes(b: usize) -> String {
    if b == 0 { "–".into() } else { format!("{} B", count(b)) }
}

/// The dense model (masked: what the pruned model costs without a sparse kernel), the CSR
/// kernel and the pattern's own.
pub fn kernel_rows(pattern: &PatternKernelReport, pruned: Option<&ModelReport>, csr: Option<&ModelReport>) -> Vec<KernelRow> {
    let mut rows = Vec::new();
    if let Some(p) = pruned {
        rows.push(KernelRow { kernel: "dense (masked)", bytes: bytes(p.bytes.bytes_f32), bytes_int8: "–".into(), latency: latency_cells(&p.latency) });
    }
    let csr_latency = csr.map(|c| c.latency).unwrap_or_default();
    rows.push(KernelRow { kernel: "CSR", bytes: bytes(pattern.csr_bytes), bytes_int8: bytes(pattern.csr_bytes_int8), latency: latency_cells(&csr_latency) });
    rows.push(KernelRow {
        kernel: "pattern kernel",
        bytes: bytes(pattern.bytes),
        bytes_int8: bytes(pattern.bytes_int8),
        latency: latency_cells(&pattern.latency),
    });
    rows
}

fn ratio(base: &Timing, kernel: &Timing, name: &str) -> String {
    if within_noise(base, kernel) {
        format!("as fast as the {name} (within noise)")
    } else if kernel.median_ms < base.median_ms {
        format!("{:.2}× faster than the {name}", base.median_ms / kernel.median_ms)
    } else {
        format!("{:.2}× slower than the {name}", kernel.median_ms / base.median_ms)
    }
}

/// At batch 1024 on each backend the pattern kernel ran on: how it compares with the CSR kernel
/// and with the dense model.
pub fn verdicts(pattern: &PatternKernelReport, pruned: Option<&ModelReport>, csr: Option<&ModelReport>) -> Vec<String> {
    let pick = |l: &LatencyReport, backend: Backend| match backend {
        Backend::Cpu => l.cpu,
        Backend::Webgpu => l.webgpu,
    };
    [Backend::Cpu, Backend::Webgpu]
        .into_iter()
        .filter_map(|backend| {
            let own = pick(&pattern.latency, backend)?.b1024;
            let against: Vec<String> = [(csr, "CSR kernel"), (pruned, "dense model")]
                .into_iter()
                .filter_map(|(model, name)| Some(ratio(&pick(&model?.latency, backend)?.b1024, &own, name)))
                .collect();
            (!against.is_empty())
                .then(|| format!("{}, batch 1024: the pattern kernel ({}) is {}.", backend.label(), ms(Some(own.median_ms)), against.join(" and ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timings(b1: f64, b1024: f64) -> BatchTimings {
        let t = |m: f64| Timing { median_ms: m, p95_ms: m * 1.01, runs: 10, k: 1, round_trip_ms: 0.0 };
        BatchTimings { b1: t(b1), b1024: t(b1024) }
    }

    fn model(cpu: Option<BatchTimings>) -> ModelReport {
        let w = crate::prune::structured::tests::tiny();
        ModelReport { latency: LatencyReport { cpu, webgpu: None }, ..ModelReport::of(&w, Some(0.9)) }
    }

    #[test]
    fn rows_and_verdicts_compare_the_pattern_kernel_with_csr_and_dense() {
        let pattern = PatternKernelReport {
            bytes: 46_000,
            bytes_int8: 16_500,
            csr_bytes: 61_000,
            csr_bytes_int8: 32_100,
            latency: LatencyReport { cpu: Some(timings(0.002, 1.0)), webgpu: None },
            ..PatternKernelReport::default()
        };
        let (pruned, csr) = (model(Some(timings(0.01, 6.0))), model(Some(timings(0.002, 1.6))));
        let rows = kernel_rows(&pattern, Some(&pruned), Some(&csr));
        assert_eq!(rows.iter().map(|r| r.kernel).collect::<Vec<_>>(), ["dense (masked)", "CSR", "pattern kernel"]);
        assert_eq!((rows[2].bytes.as_str(), rows[2].bytes_int8.as_str()), ("46,000 B", "16,500 B"));
        assert_eq!(rows[2].latency, ["0.002 ms", "1.00 ms", "–", "–"].map(String::from));
        assert_eq!(
            verdicts(&pattern, Some(&pruned), Some(&csr)),
            ["CPU, batch 1024: the pattern kernel (1.00 ms) is 1.60× faster than the CSR kernel and 6.00× faster than the dense model."]
        );
        // Within each other's spread: no winner is named; a slower kernel is called slower.
        let close = model(Some(timings(0.002, 1.005)));
        let slow = model(Some(timings(0.002, 0.5)));
        assert_eq!(
            verdicts(&pattern, Some(&slow), Some(&close)),
            ["CPU, batch 1024: the pattern kernel (1.00 ms) is as fast as the CSR kernel (within noise) and 2.00× slower than the dense model."]
        );
        // No backend measured, no verdict.
        assert!(verdicts(&PatternKernelReport::default(), Some(&pruned), Some(&csr)).is_empty());
    }
}
