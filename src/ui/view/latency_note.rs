//! The note under the comparison that says how its latencies were measured: the timer, the GPU's
//! empty round trip, and when that round trip, not the model, decides what batch 1 costs.

use crate::measure::latency::{BatchTimings, ROUND_TRIPS_PER_WINDOW};
use crate::protocol::report::TimerReport;
use crate::ui::view::format::ms;

/// The protocol as this run applied it, and the GPU's round trip when the run measured one
/// (`gpu`: a model's WebGPU timings, the dense one's where it has them).
pub fn latency_note(timer: TimerReport, gpu: Option<BatchTimings>) -> String {
    let resolution = timer.resolution_ms.map_or("unknown".to_string(), |r| ms(Some(r)));
    let isolated = if timer.cross_origin_isolated { "" } else { "not " };
    let mut note = format!(
        "Timer resolution {resolution} ({isolated}cross-origin isolated). Each figure: warm-up, then windows of K back-to-back passes ending in one awaited readback, K grown until a window lasts ≥ 100× the resolution and ≥ {ROUND_TRIPS_PER_WINDOW}× the device's empty round trip; median and p95 per pass over the windows."
    );
    if let Some(gpu) = gpu {
        let (round_trip, pass) = (gpu.b1.round_trip_ms, gpu.b1.median_ms);
        note += &format!(" GPU round trip in this browser: {} (a submit and one awaited readback of a tiny buffer).", ms(Some(round_trip)));
        if round_trip > pass {
            note += &format!(
                " It is longer than a batch-1 pass ({}): an app that reads every image back on its own waits about {} per image here; streaming many inputs per readback gets the per-pass figure.",
                ms(Some(pass)),
                ms(Some(round_trip + pass))
            );
        }
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::latency::Timing;

    fn gpu(pass_ms: f64, round_trip_ms: f64) -> BatchTimings {
        let t = Timing { median_ms: pass_ms, p95_ms: pass_ms, runs: 9, k: 512, round_trip_ms };
        BatchTimings { b1: t, b1024: t }
    }

    const TIMER: TimerReport = TimerReport { resolution_ms: Some(1.0), cross_origin_isolated: false };

    #[test]
    fn the_round_trip_is_reported_and_said_to_dominate_batch_one_when_it_does() {
        let note = latency_note(TIMER, Some(gpu(0.3, 100.0)));
        assert!(note.starts_with("Timer resolution 1.00 ms (not cross-origin isolated)."), "{note}");
        assert!(note.contains("GPU round trip in this browser: 100.0 ms"), "{note}");
        assert!(note.contains("longer than a batch-1 pass (0.300 ms)") && note.contains("about 100.3 ms per image"), "{note}");

        let note = latency_note(TIMER, Some(gpu(3.0, 0.5)));
        assert!(note.contains("GPU round trip in this browser: 0.500 ms") && !note.contains("longer than"), "{note}");
    }

    #[test]
    fn a_cpu_run_has_no_round_trip_sentence() {
        let note = latency_note(TimerReport { resolution_ms: None, cross_origin_isolated: true }, None);
        assert!(note.starts_with("Timer resolution unknown (cross-origin isolated)."), "{note}");
        assert!(!note.contains("round trip in this browser"), "{note}");
    }
}
