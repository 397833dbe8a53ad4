//! The run report: the single source of the numbers the page shows and of the JSON that the
//! browser tests and the benchmark read (`<script type="application/json" id="prunelab-report">`).

use serde::{Deserialize, Serialize};

use crate::kernels::int8::Calibration;
use crate::kernels::sparse::agreement::Agreement;
use crate::kernels::sparse::timing::SweepSeries;
use crate::measure::energy::Precision;
use crate::measure::latency::{Backend, LatencyReport};
use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::prune::schedule::{Schedule, ScheduleSummary};
use crate::prune::storage::{StorageBytes, storage};
use crate::train::config::{PruneConfig, TrainingConfig};
#[cfg(test)]
use crate::train::report::AccuracyReport;
use crate::train::report::EngineCheck;
use crate::train::report::SparsityPoint;
use crate::train::report::TrainReport;

pub use crate::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// What counts as a near-zero weight: far below the trained MLP's typical |w| (~0.03).
pub const NEAR_ZERO: f32 = 1e-3;

/// One column of the comparison: the same fields for the dense, pruned and structured models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    pub precision: Precision,
    pub hidden_units: usize,
    /// Every parameter, kernels and biases (Keras' "Total params").
    pub weights_total: usize,
    pub weights_nonzero: usize,
    /// The kernel weights alone: what magnitude pruning acts on.
    pub kernel_weights: usize,
    /// Fraction of kernel weights that are zero.
    pub sparsity: f64,
    /// Fraction of kernel weights with |w| < [`NEAR_ZERO`], pruned or not (L1 regularization
    /// drives it up before any pruning).
    pub near_zero_share: f64,
    /// The float32 formats of these weights (an int8 column: of the weights it was quantized from).
    #[serde(flatten)]
    pub bytes: StorageBytes,
    /// An int8 column: its codes, scales and biases as stored (dense codes, or CSR for a pruned
    /// model), and gzipped.
    pub bytes_int8: Option<usize>,
    pub bytes_int8_gzip: Option<usize>,
    /// Multiply-accumulates per image that do real work (non-zero kernel weights).
    pub macs: usize,
    /// What a dense kernel executes anyway, zeros included.
    pub macs_dense_kernel: usize,
    pub test_accuracy: Option<f64>,
    pub latency: LatencyReport,
}

impl ModelReport {
    pub fn of(weights: &MlpWeights, test_accuracy: Option<f64>) -> Self {
        let nonzero_kernel = weights.nonzero_kernel_weights();
        ModelReport {
            precision: Precision::Fp32,
            hidden_units: weights.hidden,
            weights_total: weights.total_weights(),
            weights_nonzero: weights.nonzero_weights(),
            kernel_weights: weights.kernel_weights(),
            sparsity: 1.0 - nonzero_kernel as f64 / weights.kernel_weights().max(1) as f64,
            near_zero_share: weights.near_zero_share(NEAR_ZERO),
            bytes: storage(weights),
            bytes_int8: None,
            bytes_int8_gzip: None,
            macs: nonzero_kernel,
            macs_dense_kernel: weights.kernel_weights(),
            test_accuracy,
            latency: LatencyReport::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSparsity {
    pub layer: Text,
    pub kept: usize,
    pub total: usize,
    pub sparsity: f64,
}

/// The sparse kernels' side of the story: do they compute what the masked dense model does,
/// and from which sparsity are they faster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseReport {
    /// How the sparse engine stores the pruned kernels.
    pub layout: Text,
    /// Sparse vs masked-dense logits on the test set: on the CPU against burn's flex backend,
    /// on WebGPU against burn's wgpu backend.
    pub agreement_cpu: Option<Agreement>,
    pub agreement_webgpu: Option<Agreement>,
    /// Why the sparse kernels could not run, when they could not.
    pub error: Option<String>,
    /// Dense vs sparse latency across sparsities, when the sweep was run.
    pub sweep: Option<SweepReport>,
    /// The pruned model on its pattern's own kernel, when it was pruned in blocks or N:M.
    #[serde(default)]
    pub pattern: Option<PatternKernelReport>,
}

/// The pattern study (`?patterns=1`): the run's dense model pruned under each pattern to the same
/// sparsities, each fine-tuned equally, each on the kernel that pays for its pattern.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternStudyReport {
    /// Models planned; `points` holds those done so far.
    pub planned: usize,
    pub points: Vec<StudyPoint>,
    /// Fine-tuning epochs each model had.
    pub finetune_epochs: usize,
    /// The study stopped before the end (Cancel).
    pub cancelled: bool,
    /// Why it stopped, when a model failed.
    pub error: Option<String>,
}

impl PatternStudyReport {
    /// Models are still being pruned and timed.
    pub fn in_progress(&self) -> bool {
        self.points.len() < self.planned && !self.cancelled && self.error.is_none()
    }
}

/// One model of the pattern study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyPoint {
    /// The pattern, in words ("unstructured", "1 × 4 blocks", "2:4", "structured").
    pub pattern: Text,
    /// The sparsity it was pruned to, and the kernels' measured one.
    pub target: f32,
    pub sparsity: f64,
    pub test_accuracy: Option<f64>,
    /// The kernel it runs on, and its bytes as stored there (f32).
    pub kernel: Text,
    pub bytes: usize,
    pub latency: LatencyReport,
}

/// The pruned model on the kernel of its own pattern (block-CSR or N:M), beside the CSR kernel
/// that runs any pattern: the same checks and the same latency protocol.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternKernelReport {
    /// The layout, in words.
    pub layout: Text,
    /// Bytes as stored, with f32 values and with int8 codes; and CSR's, for the same model.
    pub bytes: usize,
    pub bytes_int8: usize,
    pub csr_bytes: usize,
    pub csr_bytes_int8: usize,
    /// Against the masked dense model on the test set, as the CSR kernel's.
    pub agreement_cpu: Option<Agreement>,
    pub agreement_webgpu: Option<Agreement>,
    pub latency: LatencyReport,
    /// Why the pattern kernel could not run, or not on every backend.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Kernel sparsity of each point (each kernel thresholded by magnitude, per layer).
    pub sparsities: Vec<f32>,
    pub series: Vec<SweepSeries>,
    /// The sweep stopped before the end (Cancel).
    pub cancelled: bool,
}

/// Post-training int8 quantization: how it was calibrated, and whether the int8 engines compute
/// what they should.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantReport {
    pub scheme: Text,
    pub dense: Option<Int8Check>,
    pub pruned: Option<Int8Check>,
    /// Why a model could not be quantized or measured, when it could not.
    pub error: Option<String>,
}

/// An int8 model on WebGPU against the CPU int8 engine (itself bit-exact with the integer
/// reference), on every test image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Int8GpuCheck {
    /// Which dot product the kernel used.
    pub dot_product: Text,
    pub agreement: Agreement,
    /// Every logit bit-identical to the CPU engine's.
    pub identical: bool,
}

/// One int8 model checked on the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Int8Check {
    /// The activation ranges, measured on training images run through this model in float.
    pub calibration: Calibration,
    pub input_scale: f32,
    pub activation_scale: f32,
    /// Share of the test images on which it predicts the float model's class.
    pub argmax_agreement: f64,
    /// Test images whose logits were compared bit for bit with the plain integer reference.
    pub reference_images: usize,
    pub matches_reference: bool,
    /// The kernels as stored: "dense int8" or "CSR int8".
    pub layout: Text,
    /// The same model on WebGPU, when the run used it.
    pub webgpu: Option<Int8GpuCheck>,
}

/// How the pruned models were made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PruneReport {
    pub config: PruneConfig,
    /// The gradual schedule, when the method has one.
    pub schedule: Option<Schedule>,
    pub schedule_summary: Option<ScheduleSummary>,
    /// Measured on the final unstructured model's kernels.
    pub layers: Vec<LayerSparsity>,
    pub sparsity_curve: Vec<SparsityPoint>,
    pub structured_units_kept: Option<usize>,
    /// The compact model's accuracy straight after removing units, before fine-tuning.
    pub structured_accuracy_before_finetune: Option<f64>,
}

/// One fused training step on WebGPU measured with GPU timestamps, one compute pass per kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepProfile {
    pub batch: usize,
    /// Dispatches and submits of one ordinary step (the profiled one splits its passes).
    pub dispatches: usize,
    pub submits: usize,
    pub kernels: Vec<KernelTime>,
    /// Why there is no profile, when there is none.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelTime {
    pub kernel: Text,
    pub ms: f64,
}

/// How the structured student was distilled, and what it was compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistillReport {
    pub temperature: f32,
    pub alpha: f32,
    /// Each student's training: `finetune_epochs` over the training images.
    pub epochs: usize,
    pub steps: usize,
    pub student_hidden: usize,
    /// The dense teacher's test accuracy.
    pub teacher_accuracy: Option<f64>,
}

/// How long one stage of a run took (loading, each training, latency, …), wall clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTime {
    pub stage: Text,
    pub wall_ms: f64,
}

/// The clock behind every latency figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimerReport {
    /// The smallest step `performance.now()` was seen to take; `None` when it never ticked
    /// while it was sampled (then the page says "unknown", not a guess).
    pub resolution_ms: Option<f64>,
    pub cross_origin_isolated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataReport {
    pub train_images: usize,
    pub test_images: usize,
    pub downloaded_bytes: usize,
    pub load_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The MNIST download failed or a file is corrupt.
    Data,
    /// The GPU (or the CPU backend) failed during training.
    Device,
    /// The engine (a Web Worker) could not start, or stopped on an internal error.
    Engine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub state: RunState,
    pub backend: Option<Backend>,
    pub adapter: Option<String>,
    /// Why WebGPU is not used, when it is not.
    pub fallback_reason: Option<String>,
    /// Why burn's part of a WebGPU run (autodiff training, the dense reference, the dense models'
    /// WebGPU latency) is on the CPU beside our kernels on WebGPU, when it is.
    pub burn_on_cpu: Option<String>,
    pub config: TrainingConfig,
    /// What was wrong with the URL parameters and what was used instead.
    pub notices: Vec<String>,
    pub data: Option<DataReport>,
    /// The fused step against autodiff on this device (`?check_engine=1`).
    pub engine_check: Option<EngineCheck>,
    /// One fused WebGPU step, kernel by kernel (`?check_engine=1` on WebGPU).
    pub engine_profile: Option<StepProfile>,
    pub train: Option<TrainReport>,
    pub dense: Option<ModelReport>,
    /// Unstructured magnitude pruning, masks applied to a dense kernel.
    pub pruned: Option<ModelReport>,
    /// The unstructured model again, run by the sparse kernels (same weights, so the same
    /// accuracy and bytes; its own latency).
    pub pruned_sparse: Option<ModelReport>,
    /// Whole hidden units removed: a genuinely smaller dense model.
    pub structured: Option<ModelReport>,
    /// The structured model's shape distilled from the dense teacher (same start, same steps).
    pub distilled: Option<ModelReport>,
    /// The structured model's shape trained from a random start, for as many steps.
    pub scratch: Option<ModelReport>,
    pub distill: Option<DistillReport>,
    /// The dense model after post-training int8 quantization.
    pub int8: Option<ModelReport>,
    /// The unstructured pruned model in int8, on the sparse layout.
    pub pruned_int8: Option<ModelReport>,
    pub quant: Option<QuantReport>,
    pub sparse: Option<SparseReport>,
    /// Every pattern to the same sparsities, when it was asked for (`?patterns=1`).
    #[serde(default)]
    pub pattern_study: Option<PatternStudyReport>,
    pub prune: Option<PruneReport>,
    pub timer: Option<TimerReport>,
    /// Every finished stage of the run, in order.
    pub stages: Vec<StageTime>,
    pub error: Option<ErrorReport>,
}

impl Report {
    pub fn new(config: TrainingConfig, notices: Vec<String>) -> Self {
        Report {
            state: RunState::Idle,
            backend: None,
            adapter: None,
            fallback_reason: None,
            burn_on_cpu: None,
            config,
            notices,
            data: None,
            engine_check: None,
            engine_profile: None,
            train: None,
            dense: None,
            pruned: None,
            pruned_sparse: None,
            structured: None,
            distilled: None,
            scratch: None,
            distill: None,
            int8: None,
            pruned_int8: None,
            quant: None,
            sparse: None,
            pattern_study: None,
            prune: None,
            timer: None,
            stages: Vec::new(),
            error: None,
        }
    }

    /// The report a new run starts from: everything the last run measured cleared, what
    /// outlives a run kept (the URL's notices, the MNIST download done once per page, the backend
    /// chosen until the new run picks again).
    pub fn restart(&mut self, config: TrainingConfig) {
        let fresh = Report {
            state: RunState::Loading,
            backend: self.backend,
            adapter: self.adapter.take(),
            fallback_reason: self.fallback_reason.take(),
            burn_on_cpu: self.burn_on_cpu.take(),
            data: self.data.take(),
            ..Report::new(config, std::mem::take(&mut self.notices))
        };
        *self = fresh;
    }

    /// The figures of the model of `kind`: each kind has one field of its own (the JSON's names).
    pub fn model_mut(&mut self, kind: ModelKind) -> &mut Option<ModelReport> {
        match kind {
            ModelKind::Dense => &mut self.dense,
            ModelKind::Pruned => &mut self.pruned,
            ModelKind::Structured => &mut self.structured,
            ModelKind::Distilled => &mut self.distilled,
            ModelKind::Scratch => &mut self.scratch,
            ModelKind::Int8 => &mut self.int8,
            ModelKind::PrunedInt8 => &mut self.pruned_int8,
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
    fn a_restart_clears_every_result_and_keeps_what_outlives_a_run() {
        let mut report = Report::new(TrainingConfig::new(), vec!["epochs=abc was ignored".into()]);
        report.state = RunState::Done;
        report.backend = Some(Backend::Cpu);
        report.data = Some(DataReport { train_images: 60_000, test_images: 10_000, downloaded_bytes: 1, load_ms: 2.0 });
        report.train = Some(TrainReport::default());
        report.engine_profile = Some(StepProfile { batch: 1, dispatches: 7, submits: 1, kernels: Vec::new(), error: None });
        report.stages.push(StageTime { stage: "training".into(), wall_ms: 1.0 });
        report.error = Some(ErrorReport { kind: ErrorKind::Device, message: "lost".into() });
        let config = TrainingConfig::new().with_epochs(2);
        report.restart(config.clone());
        assert_eq!((report.state, report.backend, report.config.epochs), (RunState::Loading, Some(Backend::Cpu), 2));
        assert_eq!(report.notices, vec!["epochs=abc was ignored".to_string()]);
        assert!(report.data.is_some());
        let data = report.data.take();
        let mut expected = Report::new(config, report.notices.clone());
        (expected.state, expected.backend, expected.data) = (RunState::Loading, Some(Backend::Cpu), None);
        assert_eq!(report, expected, "every result of the last run is gone");
        assert!(data.is_some());
    }

    #[test]
    fn each_model_kind_has_its_own_field_named_by_its_key() {
        let weights = MlpWeights {
            inputs: 4,
            hidden: 2,
            hidden_kernel: vec![0.5; 8],
            hidden_bias: vec![0.0; 2],
            output_kernel: vec![0.5; 20],
            output_bias: vec![0.0; 10],
        };
        for kind in ModelKind::ALL {
            let mut report = Report::new(TrainingConfig::new(), vec![]);
            *report.model_mut(kind) = Some(ModelReport::of(&weights, Some(0.5)));
            let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
            for other in ModelKind::ALL {
                let field = &json[other.key().replace('-', "_")];
                assert_eq!(field.is_object(), other == kind, "{kind:?} set, {other:?} read");
            }
        }
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let mut report = Report::new(TrainingConfig::new(), vec![]);
        report.state = RunState::Done;
        report.backend = Some(Backend::Webgpu);
        report.train =
            Some(TrainReport { steps: 3, test_accuracy: AccuracyReport { per_epoch: vec![0.9, 0.95], final_: Some(0.95) }, ..TrainReport::default() });
        let weights = MlpWeights {
            inputs: 784,
            hidden: 128,
            hidden_kernel: vec![0.5; 784 * 128],
            hidden_bias: vec![0.1; 128],
            output_kernel: vec![0.0; 1280],
            output_bias: vec![0.0; 10],
        };
        report.dense = Some(ModelReport::of(&weights, Some(0.95)));
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
        assert_eq!(json["dense"]["weights_nonzero"], 784 * 128 + 128);
        assert_eq!(json["dense"]["macs"], 784 * 128);
        assert_eq!(json["dense"]["macs_dense_kernel"], 101_632);
        assert_eq!(json["dense"]["near_zero_share"], 1280.0 / 101_632.0, "the zero output kernel");
        assert_eq!(json["config"]["l1"], 0.0);
        assert!(json["dense"]["bytes_gzip"].as_u64().unwrap() < 407_080 / 10, "constant weights compress");
        assert!(json["dense"]["latency"]["webgpu"].is_null());
        assert!(json["pruned"].is_null());
        assert!(json["pruned_sparse"].is_null() && json["sparse"].is_null());
        assert!(json["int8"].is_null() && json["pruned_int8"].is_null() && json["quant"].is_null());
        assert_eq!(json["dense"]["precision"], "float32");
        assert!(json["dense"]["bytes_int8"].is_null());
        assert_eq!(json["stages"], serde_json::json!([]));
        assert!(json["error"].is_null());
    }
}
