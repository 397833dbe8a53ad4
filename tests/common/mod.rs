//! What the native integration tests share: an observer that records what a run reports.

use std::time::Instant;

use prunelab::prune::tiles::Snapshot;
use prunelab::train::Observer;
use prunelab::train::report::LossPoint;
use prunelab::train::report::Progress;

pub struct Recorder {
    started: Instant,
    pub losses: Vec<f32>,
    pub epochs: Vec<f64>,
    pub last_progress: Option<Progress>,
    pub cancel_after_steps: Option<usize>,
    /// When set, the clock reads this many ms per step done instead of real time.
    pub ms_per_step: Option<f64>,
    /// On that clock, how long taking in a weight picture takes.
    pub ms_per_snapshot: f64,
    pub snapshots: Vec<Snapshot>,
}

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            started: Instant::now(),
            losses: vec![],
            epochs: vec![],
            last_progress: None,
            cancel_after_steps: None,
            ms_per_step: None,
            ms_per_snapshot: 0.0,
            snapshots: vec![],
        }
    }
}

impl Observer for Recorder {
    fn now_ms(&self) -> f64 {
        match self.ms_per_step {
            Some(ms) => self.last_progress.map_or(0, |p| p.step) as f64 * ms + self.snapshots.len() as f64 * self.ms_per_snapshot,
            None => self.started.elapsed().as_secs_f64() * 1000.0,
        }
    }
    fn cancelled(&self) -> bool {
        matches!((self.cancel_after_steps, self.last_progress), (Some(n), Some(p)) if p.step >= n)
    }
    fn progress(&mut self, progress: Progress) {
        self.last_progress = Some(progress);
    }
    fn loss(&mut self, point: LossPoint) {
        self.losses.push(point.loss);
    }
    fn epoch_done(&mut self, _epoch: usize, accuracy: f64) {
        self.epochs.push(accuracy);
    }
    fn snapshot(&mut self, snapshot: Snapshot) {
        self.snapshots.push(snapshot);
    }
}
