//! The run report: the single source of the numbers the page shows and of the JSON that the
//! browser tests and the benchmark read (`<script type="application/json" id="prunelab-report">`).

use serde::Serialize;

use crate::model::ParamCounts;
use crate::train::TrainingConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Idle,
    Loading,
    Training,
    Done,
    Cancelled,
    Error,
}

impl RunState {
    /// The value of `<body data-state>`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Loading => "loading",
            RunState::Training => "training",
            RunState::Done => "done",
            RunState::Cancelled => "cancelled",
            RunState::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Webgpu,
    Cpu,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Webgpu => "WebGPU",
            Backend::Cpu => "CPU (burn flex, in wasm)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LossPoint {
    pub step: usize,
    pub loss: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccuracyReport {
    /// Test accuracy (0..1) after each completed epoch.
    pub per_epoch: Vec<f64>,
    #[serde(rename = "final")]
    pub final_: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelReport {
    /// Every parameter, kernels and biases (Keras' "Total params").
    pub weights_total: usize,
    /// The kernel weights alone: what magnitude pruning acts on.
    pub kernel_weights: usize,
    pub bytes_f32: usize,
    pub macs: usize,
    pub test_accuracy: Option<f64>,
}

impl ModelReport {
    pub fn dense(hidden_units: usize, test_accuracy: Option<f64>) -> Self {
        let counts = ParamCounts::of_mlp(hidden_units);
        ModelReport {
            weights_total: counts.total(),
            kernel_weights: counts.kernel,
            bytes_f32: counts.total() * std::mem::size_of::<f32>(),
            macs: counts.macs_per_image(),
            test_accuracy,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataReport {
    pub train_images: usize,
    pub test_images: usize,
    pub downloaded_bytes: usize,
    pub load_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The MNIST download failed or a file is corrupt.
    Data,
    /// The GPU (or the CPU backend) failed during training.
    Device,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorReport {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub state: RunState,
    pub backend: Option<Backend>,
    pub adapter: Option<String>,
    /// Why WebGPU is not used, when it is not.
    pub fallback_reason: Option<String>,
    pub config: TrainingConfig,
    /// What was wrong with the URL parameters and what was used instead.
    pub notices: Vec<String>,
    pub data: Option<DataReport>,
    pub train: Option<TrainReport>,
    pub dense: Option<ModelReport>,
    pub error: Option<ErrorReport>,
}

impl Report {
    pub fn new(config: TrainingConfig, notices: Vec<String>) -> Self {
        Report {
            state: RunState::Idle,
            backend: None,
            adapter: None,
            fallback_reason: None,
            config,
            notices,
            data: None,
            train: None,
            dense: None,
            error: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"state\":\"error\",\"error\":{{\"kind\":\"report\",\"message\":\"{e}\"}}}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_has_the_documented_fields() {
        let mut report = Report::new(TrainingConfig::new(), vec![]);
        report.state = RunState::Done;
        report.backend = Some(Backend::Webgpu);
        report.train = Some(TrainReport {
            steps: 3,
            test_accuracy: AccuracyReport { per_epoch: vec![0.9, 0.95], final_: Some(0.95) },
            ..TrainReport::default()
        });
        report.dense = Some(ModelReport::dense(128, Some(0.95)));
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["state"], "done");
        assert_eq!(json["backend"], "webgpu");
        assert_eq!(json["config"]["batch"], 128);
        assert_eq!(json["config"]["lr"], 0.001);
        assert_eq!(json["train"]["steps"], 3);
        assert_eq!(json["train"]["test_accuracy"]["final"], 0.95);
        assert_eq!(json["train"]["test_accuracy"]["per_epoch"][1], 0.95);
        assert_eq!(json["dense"]["weights_total"], 101_770);
        assert_eq!(json["dense"]["bytes_f32"], 407_080);
        assert!(json["error"].is_null());
    }
}
