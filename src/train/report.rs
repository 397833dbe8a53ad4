//! What training reports: progress while it runs, and the figures of a finished training.

use serde::{Deserialize, Serialize};

use crate::Text;
use crate::train::early_stopping::EarlyStopReport;

/// Where training stands, for the progress bar.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    /// 1-based.
    pub epoch: usize,
    pub epochs: usize,
    /// Steps done so far, over all epochs.
    pub step: usize,
    pub total_steps: usize,
    pub samples_per_s: f64,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub step: usize,
    pub loss: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    /// Test accuracy (0..1) after each completed epoch.
    pub per_epoch: Vec<f64>,
    #[serde(rename = "final")]
    pub final_: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub steps: usize,
    pub epochs_completed: usize,
    /// Median over the loss-readback windows of (window wall time / steps in it).
    pub ms_per_step_median: Option<f64>,
    pub ms_per_step_p95: Option<f64>,
    pub wall_ms: f64,
    /// Wall time of each epoch, its test-set evaluation included.
    pub epoch_wall_ms: Vec<f64>,
    pub loss_curve: Vec<LossPoint>,
    pub test_accuracy: AccuracyReport,
    /// Loss on the held-out `validation_split` after each epoch (empty without one).
    pub val_loss: Vec<f64>,
    /// What early stopping did, when it was on.
    pub early_stopping: Option<EarlyStopReport>,
    /// The code that trained: "fused (CPU)", "fused (WebGPU)" or "autodiff".
    pub engine: Text,
    /// Why autodiff ran where the fused step was asked for.
    pub engine_note: Option<String>,
    /// The first step alone (shader compilation and warm-up on a GPU), awaited.
    pub first_step_ms: Option<f64>,
    /// Went on from the weights read back after this many steps, on another device, when the GPU
    /// device was lost; the figures above count from there.
    pub resumed_from_step: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineCheck {
    /// Which fused trainer was checked ("fused (CPU)", "fused (WebGPU)").
    pub engine: crate::Text,
    pub steps: usize,
    pub batch: usize,
    /// Largest |fused − autodiff| / max(|autodiff|, 1) over the step losses.
    pub max_loss_error: f32,
    /// The same over every parameter after the last step.
    pub max_param_error: f32,
}

/// One point of the sparsity-over-steps chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparsityPoint {
    pub step: usize,
    /// What the schedule asked for.
    pub target: f32,
    /// Fraction of kernel weights actually zero after the update (ties at the threshold are kept).
    pub measured: f64,
}
