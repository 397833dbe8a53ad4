//! Inference latency, measured honestly on an asynchronous device: warm up, then time windows of
//! K back-to-back forward passes that end in one awaited readback (a GPU queue runs in order,
//! so the readback of the last output waits for all K), with K doubled until a window lasts far
//! longer than the timer's resolution and than the device's empty round trip (a browser may
//! resolve a readback on a polling timer: Firefox's is about 100 ms). Reported per pass: median
//! and p95 over the windows, and the round trip on its own.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::data::Split;
use crate::measure::stats;

/// A monotonic clock in milliseconds, and a way to let the page breathe between windows.
pub trait Clock {
    fn now_ms(&self) -> f64;
    fn pause(&self) -> impl Future<Output = ()>;
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Protocol {
    pub warmup: usize,
    pub windows: usize,
    /// A window must last at least this long (≫ the timer resolution).
    pub min_window_ms: f64,
    pub max_k: usize,
    /// Empty round trips timed before the windows (their median is the round trip; none: 0).
    pub round_trips: usize,
}

/// A window lasts at least this many empty round trips, so that the readback which ends it is at
/// most a tenth of what is divided among its K passes.
pub const ROUND_TRIPS_PER_WINDOW: f64 = 10.0;

impl Protocol {
    /// At least 100 × the resolution (so rounding is < 1 %), and 20 ms; K up to 2¹⁶, so that even
    /// a 100 ms round trip is spread over enough passes of a small model.
    pub fn for_resolution(resolution_ms: f64) -> Self {
        Protocol { warmup: 3, windows: 9, min_window_ms: (100.0 * resolution_ms).max(20.0), max_k: 1 << 16, round_trips: 5 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub median_ms: f64,
    pub p95_ms: f64,
    /// Forward passes timed (windows × K).
    pub runs: usize,
    /// Passes per window.
    pub k: usize,
    /// The empty round trip (no pass, one awaited readback of a tiny buffer), median: what one
    /// input read back on its own pays on top of its pass. 0 on a host engine.
    #[serde(default)]
    pub round_trip_ms: f64,
}

/// The timer's resolution: the smallest non-zero step seen between successive readings
/// (`performance.now()` is coarsened to 100 µs unless the page is cross-origin isolated).
pub fn timer_resolution_ms(readings: &[f64]) -> Option<f64> {
    readings.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).min_by(f64::total_cmp)
}

/// An inference engine with its input in place: `passes(k)` runs k forward passes back to
/// back and returns once the last one's output has been read back (awaited on a GPU).
/// `passes(0)` is the empty round trip: no pass, one awaited readback of a small buffer (nothing
/// at all on a host engine).
pub trait Passes {
    fn passes(&mut self, k: usize) -> impl Future<Output = Result<(), String>>;
}

/// An inference engine on host slices (the sparse and the int8 CPU kernels).
pub trait CpuForward {
    /// Logits `[batch, 10]` of `images` `[batch, inputs]` (row-major).
    fn run(&mut self, images: &[f32], batch: usize) -> &[f32];
}

/// A model that runs on host slices with reusable buffers (the sparse and the int8 models).
pub trait CpuModel {
    type Scratch: Default + std::fmt::Debug;
    /// Logits `[batch, 10]` of `images` `[batch, inputs]` (row-major) into `logits`.
    fn forward(&self, images: &[f32], batch: usize, scratch: &mut Self::Scratch, logits: &mut [f32]);
}

/// A host model with its buffers, so timed passes allocate nothing: what the latency protocol,
/// the checks and draw-a-digit run.
#[derive(Debug)]
pub struct CpuRunner<M: CpuModel> {
    pub model: M,
    scratch: M::Scratch,
    logits: Vec<f32>,
}

impl<M: CpuModel> CpuRunner<M> {
    pub fn new(model: M) -> Self {
        CpuRunner { model, scratch: M::Scratch::default(), logits: Vec::new() }
    }
}

impl<M: CpuModel> CpuForward for CpuRunner<M> {
    fn run(&mut self, images: &[f32], batch: usize) -> &[f32] {
        self.logits.resize(batch * crate::model::CLASSES, 0.0);
        self.model.forward(images, batch, &mut self.scratch, &mut self.logits);
        &self.logits
    }
}

/// A host engine on one batch of row-major images.
pub struct CpuPasses<'a, E> {
    pub engine: &'a mut E,
    pub images: Vec<f32>,
    pub batch: usize,
}

impl<E: CpuForward> Passes for CpuPasses<'_, E> {
    async fn passes(&mut self, k: usize) -> Result<(), String> {
        for _ in 0..k {
            // The logits are used (as a readback would), so the work cannot be optimised away.
            std::hint::black_box(self.engine.run(&self.images, self.batch));
        }
        Ok(())
    }
}

async fn window(engine: &mut impl Passes, k: usize, clock: &impl Clock) -> Result<f64, String> {
    let started = clock.now_ms();
    engine.passes(k).await?;
    Ok(clock.now_ms() - started)
}

/// The first `batch` test images (repeated if there are fewer), row-major: every engine is
/// timed on the same input.
pub fn batch_of(images: &Split, batch: usize) -> Vec<f32> {
    let indices: Vec<usize> = (0..batch).map(|i| i % images.len().max(1)).collect();
    images.inputs(&indices)
}

/// The protocol, on any engine.
pub async fn time(engine: &mut impl Passes, protocol: Protocol, clock: &impl Clock) -> Result<Timing, String> {
    for _ in 0..protocol.warmup {
        window(engine, 1, clock).await?;
    }
    let mut round_trips = Vec::with_capacity(protocol.round_trips);
    for _ in 0..protocol.round_trips {
        round_trips.push(window(engine, 0, clock).await?);
    }
    let round_trip_ms = stats::median(&round_trips).unwrap_or(0.0);
    let min_window_ms = protocol.min_window_ms.max(ROUND_TRIPS_PER_WINDOW * round_trip_ms);
    let mut k = 1;
    while k < protocol.max_k && window(engine, k, clock).await? < min_window_ms {
        k *= 2;
        clock.pause().await;
    }
    let mut per_pass = Vec::with_capacity(protocol.windows);
    for _ in 0..protocol.windows {
        per_pass.push(window(engine, k, clock).await? / k as f64);
        clock.pause().await;
    }
    Ok(Timing {
        median_ms: stats::median(&per_pass).unwrap_or(f64::NAN),
        p95_ms: stats::percentile(&per_pass, 95.0).unwrap_or(f64::NAN),
        runs: protocol.windows * k,
        k,
        round_trip_ms,
    })
}

/// Whether two timings differ by no more than their own spread (the larger p95 − median, and
/// at least 2 % of the slower median): the page then says "within noise" instead of a winner.
pub fn within_noise(a: &Timing, b: &Timing) -> bool {
    let spread = (a.p95_ms - a.median_ms).max(b.p95_ms - b.median_ms).max(0.02 * a.median_ms.max(b.median_ms));
    (a.median_ms - b.median_ms).abs() <= spread
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(median_ms: f64, p95_ms: f64) -> Timing {
        Timing { median_ms, p95_ms, runs: 10, k: 1, round_trip_ms: 0.0 }
    }

    /// A device on a simulated clock: each pass takes `pass_ms`, and each readback `readback_ms`
    /// (a browser that resolves readbacks on a 100 ms polling timer).
    struct Simulated<'a> {
        now: &'a std::cell::Cell<f64>,
        pass_ms: f64,
        readback_ms: f64,
    }

    impl Passes for Simulated<'_> {
        async fn passes(&mut self, k: usize) -> Result<(), String> {
            self.now.set(self.now.get() + k as f64 * self.pass_ms + self.readback_ms);
            Ok(())
        }
    }

    struct SimulatedClock<'a>(&'a std::cell::Cell<f64>);

    impl Clock for SimulatedClock<'_> {
        fn now_ms(&self) -> f64 {
            self.0.get()
        }
        async fn pause(&self) {}
    }

    fn timed_on(pass_ms: f64, readback_ms: f64, protocol: Protocol) -> Timing {
        let now = std::cell::Cell::new(0.0);
        let mut device = Simulated { now: &now, pass_ms, readback_ms };
        futures_lite::future::block_on(time(&mut device, protocol, &SimulatedClock(&now))).unwrap()
    }

    #[test]
    fn a_slow_readback_is_spread_over_enough_passes_to_measure_the_pass() {
        let protocol = Protocol::for_resolution(1.0);
        let timing = timed_on(0.3, 100.0, protocol);
        assert_eq!(timing.round_trip_ms, 100.0);
        assert!(timing.k as f64 * 0.3 >= 9.0 * 100.0, "K = {}", timing.k);
        assert!(timing.median_ms > 0.3 && timing.median_ms <= 0.3 * 1.1, "per pass {} ms", timing.median_ms);

        // Without the round trip, a window of one pass already lasts the 100 ms minimum: the
        // figure would be the readback's, not the pass's.
        let blind = timed_on(0.3, 100.0, Protocol { round_trips: 0, ..protocol });
        assert_eq!((blind.k, blind.round_trip_ms), (1, 0.0));
        assert!(blind.median_ms > 100.0, "per pass {} ms", blind.median_ms);
    }

    #[test]
    fn a_host_engine_has_no_round_trip() {
        let timing = timed_on(0.5, 0.0, Protocol::for_resolution(0.1));
        assert_eq!(timing.round_trip_ms, 0.0);
        assert_eq!(timing.median_ms, 0.5);
        assert_eq!(timing.k, 64, "the first K whose window lasts 20 ms");
    }

    #[test]
    fn differences_inside_the_spread_are_noise() {
        assert!(within_noise(&timing(1.00, 1.10), &timing(1.05, 1.08)));
        assert!(!within_noise(&timing(1.00, 1.02), &timing(2.00, 2.05)));
        assert!(within_noise(&timing(10.0, 10.0), &timing(10.1, 10.1)), "2 % floor");
        assert!(!within_noise(&timing(10.0, 10.0), &timing(10.5, 10.5)));
    }

    #[test]
    fn resolution_is_the_smallest_positive_step() {
        assert_eq!(timer_resolution_ms(&[0.0, 0.0, 0.1, 0.1, 0.2, 0.4]), Some(0.1));
        assert_eq!(timer_resolution_ms(&[5.0, 5.0]), None);
    }

    #[test]
    fn windows_are_long_against_the_resolution() {
        assert_eq!(Protocol::for_resolution(0.1).min_window_ms, 20.0);
        assert_eq!(Protocol::for_resolution(1.0).min_window_ms, 100.0);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Webgpu,
    Cpu,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Webgpu => "WebGPU",
            Backend::Cpu => "CPU",
        }
    }
}

/// Latency at batch 1 and batch 1024 on one backend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchTimings {
    pub b1: Timing,
    pub b1024: Timing,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    pub webgpu: Option<BatchTimings>,
    pub cpu: Option<BatchTimings>,
}
