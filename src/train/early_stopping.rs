//! Keras' `EarlyStopping(monitor="val_loss", min_delta, patience, restore_best_weights)`, as
//! plain logic over the validation loss of each epoch, so its decisions are tested natively.
//!
//! Keras' rules: an epoch improves when `val_loss < best − min_delta` (the first always does);
//! every epoch that does not adds one to the wait, an improving one resets it; training stops at
//! the end of an epoch (never the first) once the wait reaches `patience`, and with
//! `restore_best_weights` the weights of the best epoch are put back when it stops.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    pub patience: usize,
    pub min_delta: f64,
    best: f64,
    best_epoch: usize,
    wait: usize,
}

/// What to do after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A new best: keep its weights if they may be restored.
    Improved,
    /// No improvement yet, patience left.
    Continue,
    Stop,
}

/// What early stopping did in a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopReport {
    /// 1-based; `None` when it never stopped the run.
    pub stopped_epoch: Option<usize>,
    /// 1-based epoch of the lowest validation loss.
    pub best_epoch: usize,
    pub best_val_loss: f64,
    /// Whether the best epoch's weights were put back.
    pub restored: bool,
    /// Steps the configured epochs would have run, and steps not run because it stopped.
    pub steps_planned: usize,
    pub steps_saved: usize,
}

impl EarlyStopping {
    pub fn new(patience: usize, min_delta: f64) -> Self {
        // Keras takes |min_delta| whatever its sign.
        EarlyStopping { patience, min_delta: min_delta.abs(), best: f64::INFINITY, best_epoch: 0, wait: 0 }
    }

    /// After `epoch` (1-based) with validation loss `val_loss`. A NaN loss never improves.
    pub fn update(&mut self, epoch: usize, val_loss: f64) -> Verdict {
        self.wait += 1;
        if val_loss - self.best < -self.min_delta {
            self.best = val_loss;
            self.best_epoch = epoch;
            self.wait = 0;
            return Verdict::Improved;
        }
        if self.wait >= self.patience && epoch > 1 { Verdict::Stop } else { Verdict::Continue }
    }

    /// 1-based; 0 before any epoch improved.
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }

    pub fn best(&self) -> f64 {
        self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdicts for a scripted validation curve.
    fn run(patience: usize, min_delta: f64, curve: &[f64]) -> Vec<Verdict> {
        let mut es = EarlyStopping::new(patience, min_delta);
        let mut out = Vec::new();
        for (i, &loss) in curve.iter().enumerate() {
            let v = es.update(i + 1, loss);
            out.push(v);
            if v == Verdict::Stop {
                break;
            }
        }
        out
    }

    use Verdict::{Continue, Improved, Stop};

    #[test]
    fn patience_zero_stops_at_the_first_epoch_that_does_not_improve() {
        assert_eq!(run(0, 0.0, &[1.0, 0.8, 0.9, 0.5]), vec![Improved, Improved, Stop]);
    }

    #[test]
    fn patience_counts_epochs_without_improvement_and_an_improvement_resets_it() {
        assert_eq!(run(2, 0.0, &[1.0, 1.1, 0.9, 0.95, 0.91, 0.5]), vec![Improved, Continue, Improved, Continue, Stop]);
        // Equal is not better.
        assert_eq!(run(1, 0.0, &[1.0, 1.0]), vec![Improved, Stop]);
    }

    #[test]
    fn min_delta_is_the_least_change_that_counts() {
        // 0.95 is 0.05 lower: not enough for min_delta 0.1; 0.85 is.
        assert_eq!(run(1, 0.1, &[1.0, 0.95, 0.85]), vec![Improved, Stop]);
        assert_eq!(run(3, 0.1, &[1.0, 0.95, 0.85, 0.8]), vec![Improved, Continue, Improved, Continue]);
        // Its sign does not matter, as in Keras.
        assert_eq!(run(1, -0.1, &[1.0, 0.95]), vec![Improved, Stop]);
    }

    #[test]
    fn the_first_epoch_never_stops_and_the_best_is_remembered() {
        let mut es = EarlyStopping::new(0, 0.0);
        assert_eq!(es.update(1, 2.0), Improved);
        assert_eq!(es.update(2, 1.5), Improved);
        assert_eq!(es.update(3, 1.7), Stop);
        assert_eq!((es.best_epoch(), es.best()), (2, 1.5));
    }

    #[test]
    fn a_nan_loss_never_improves() {
        assert_eq!(run(0, 0.0, &[1.0, f64::NAN]), vec![Improved, Stop]);
        let mut es = EarlyStopping::new(5, 0.0);
        assert_eq!(es.update(1, f64::NAN), Continue);
        assert_eq!(es.update(2, 3.0), Improved);
    }
}
