//! Masks on the device, applied inside training. TFMOT multiplies each kernel by its mask
//! before every forward pass (`weight_mask_op`), so whatever Adam's moments do to a pruned
//! weight, it is zero again when it is used; this does the same.

use burn::tensor::{Device, Tensor, TensorData};

use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::model::{CLASSES, Mlp};
use crate::prune::mask::Mask;
use crate::prune::pattern::Pattern;
use crate::prune::schedule::Schedule;
use crate::prune::tiles::{FirstLayer, Snapshot};
use crate::train::config::PruneConfig;
use crate::train::fused::Trainer;
use crate::train::report::SparsityPoint;
use crate::train::{Observer, StepHook, TrainError};

/// The two kernels' masks, uploaded once.
#[derive(Clone)]
pub struct DeviceMasks {
    hidden: Tensor<2>,
    output: Tensor<2>,
}

impl DeviceMasks {
    pub fn upload(masks: &[Mask; 2], model: &Mlp, device: &Device) -> Self {
        let upload = |mask: &Mask, dims: [usize; 2]| Tensor::from_data(TensorData::new(mask.as_f32(), dims), device);
        DeviceMasks { hidden: upload(&masks[0], model.hidden.weight.dims()), output: upload(&masks[1], model.output.weight.dims()) }
    }

    /// Zeroes the pruned kernel weights; parameter ids are kept, so the optimizer's state follows.
    pub fn apply(&self, mut model: Mlp) -> Mlp {
        let (hidden, output) = (self.hidden.clone(), self.output.clone());
        model.hidden.weight = model.hidden.weight.map(|w| (w * hidden).detach().require_grad());
        model.output.weight = model.output.weight.map(|w| (w * output).detach().require_grad());
        model
    }
}

/// Fixed masks (one-shot pruning, then fine-tuning).
pub struct FixedMasks {
    masks: [Mask; 2],
    on_device: DeviceMasks,
    /// The fused trainer has them.
    handed_over: bool,
}

impl FixedMasks {
    /// `model` and `device`: the autodiff model the masks will multiply.
    pub fn new(masks: [Mask; 2], model: &Mlp, device: &Device) -> Self {
        FixedMasks { on_device: DeviceMasks::upload(&masks, model, device), masks, handed_over: false }
    }
}

impl StepHook for FixedMasks {
    async fn before_step(&mut self, _step: usize, model: Mlp, _observer: &mut impl Observer) -> Result<Mlp, TrainError> {
        Ok(self.on_device.apply(model))
    }
    fn finish(&mut self, model: Mlp) -> Mlp {
        self.on_device.apply(model)
    }
    fn runs_fused(&self) -> bool {
        true
    }
    async fn before_fused_step(&mut self, _step: usize, _trainer: &mut Trainer, _observer: &mut impl Observer) -> Result<Option<[Mask; 2]>, TrainError> {
        Ok((!std::mem::replace(&mut self.handed_over, true)).then(|| self.masks.clone()))
    }
}

/// Gradual magnitude pruning during training, as `prune_low_magnitude` with a schedule.
pub struct GradualPruning {
    pub schedule: Schedule,
    /// The pattern the masks follow (its knobs).
    pattern: PruneConfig,
    device: Device,
    masks: Option<DeviceMasks>,
    pub curve: Vec<SparsityPoint>,
    /// Kept / total per kernel after the last update.
    pub layers: Vec<(usize, usize)>,
    /// The first layer's magnitude threshold at the last update.
    pub threshold: Option<f32>,
}

impl GradualPruning {
    /// `device` is the training (autodiff) device.
    pub fn new(schedule: Schedule, pattern: PruneConfig, device: &Device) -> Self {
        GradualPruning { schedule, pattern, device: device.clone(), masks: None, curve: Vec::new(), layers: Vec::new(), threshold: None }
    }
}

impl GradualPruning {
    /// Whether the masks are made again at `step`: as the schedule says, except N:M masks, which
    /// TFMOT makes once, at step 1, whatever the schedule, and keeps.
    fn updates_at(&self, step: usize) -> bool {
        match self.pattern.pattern {
            Pattern::MByN => step == 1,
            _ => self.schedule.should_prune(step as i64),
        }
    }

    /// A mask update at `step` from the current (already masked) weights, as TFMOT recomputes
    /// them: recorded, shown, and returned.
    fn update(&mut self, step: usize, weights: &MlpWeights, observer: &mut impl Observer) -> [Mask; 2] {
        let target = match self.pattern.pattern {
            Pattern::MByN => self.pattern.m_by_n.sparsity(),
            _ => self.schedule.sparsity(step as i64),
        };
        let masks =
            [self.pattern.pattern_mask(&weights.hidden_kernel, weights.hidden, target), self.pattern.pattern_mask(&weights.output_kernel, CLASSES, target)];
        let kept: usize = masks.iter().map(Mask::kept).sum();
        let total: usize = masks.iter().map(Mask::len).sum();
        self.curve.push(SparsityPoint { step, target, measured: 1.0 - kept as f64 / total as f64 });
        self.layers = masks.iter().map(|m| (m.kept(), m.len())).collect();
        let layer = FirstLayer::masked(weights, &masks[0]);
        self.threshold = layer.threshold;
        let note = format!("step {step} · target sparsity {:.1} %", target * 100.0);
        observer.snapshot(Snapshot { model: ModelKind::Pruned, note, layer });
        masks
    }
}

impl StepHook for GradualPruning {
    fn runs_fused(&self) -> bool {
        true
    }

    async fn before_fused_step(&mut self, step: usize, trainer: &mut Trainer, observer: &mut impl Observer) -> Result<Option<[Mask; 2]>, TrainError> {
        if !self.updates_at(step) {
            return Ok(None);
        }
        let weights = trainer.layout().weights(&trainer.params().await.map_err(TrainError::Device)?);
        Ok(Some(self.update(step, &weights, observer)))
    }

    async fn before_step(&mut self, step: usize, model: Mlp, observer: &mut impl Observer) -> Result<Mlp, TrainError> {
        if self.updates_at(step) {
            let weights = model.read_weights().await.map_err(TrainError::Device)?;
            let masks = self.update(step, &weights, observer);
            self.masks = Some(DeviceMasks::upload(&masks, &model, &self.device));
        }
        Ok(match &self.masks {
            Some(masks) => masks.apply(model),
            None => model,
        })
    }

    fn finish(&mut self, model: Mlp) -> Mlp {
        match &self.masks {
            Some(masks) => masks.apply(model),
            None => model,
        }
    }
}
