//! The comparison the page is about: from the trained dense model, make the pruned
//! (unstructured, masked) model and the structured (smaller) one, the way the settings say,
//! and describe each with the same [`ModelReport`]. Runs on any burn device, so it is tested
//! natively on the CPU backend.

use burn::module::Module;
use burn::tensor::Device;

use crate::data::{Mnist, Split};
use crate::kernels::dense;
use crate::kernels::int8::{Calibration, Int8Mlp, Int8Runner};
use crate::kernels::sparse::agreement::{self, Agreement};
use crate::measure::energy::Precision;
use crate::measure::latency::{self, Clock, CpuForward, CpuPasses, Protocol};
use crate::measure::latency::{BatchTimings, LatencyReport};
use crate::model::batch;
use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::model::{CLASSES, Mlp};
use crate::protocol::report::{DistillReport, Int8Check, LayerSparsity, ModelReport, PruneReport};
use crate::prune::mask::{Mask, global_masks};
use crate::prune::pattern::Pattern;
use crate::prune::storage::gzip_len;
use crate::prune::structured::{compact, unit_norms, units_to_keep};
use crate::prune::tiles::{FirstLayer, Snapshot};
use crate::train::config::{PruneConfig, PruneMethod, Ranking, TrainingConfig};
use crate::train::distill::Teacher;
use crate::train::pruning::{FixedMasks, GradualPruning};
use crate::train::{self, Finish, Observer, Setup, TrainError, fit};

/// A finished model: the model (on the plain device), its host weights and its report.
pub struct TrainedModel {
    pub model: Mlp,
    pub weights: MlpWeights,
    pub report: ModelReport,
}

pub struct Pruned {
    pub unstructured: Option<TrainedModel>,
    pub structured: Option<TrainedModel>,
    /// The dense model's hidden units that the structured model keeps, in order.
    pub kept_units: Option<Vec<usize>>,
    pub report: PruneReport,
    pub finish: Finish,
}

/// A trained model with its weights read back once, and its report.
pub async fn trained_model(model: Mlp, accuracy: Option<f64>) -> Result<TrainedModel, TrainError> {
    let weights = model.read_weights().await.map_err(TrainError::Device)?;
    let report = ModelReport::of(&weights, accuracy);
    Ok(TrainedModel { model, weights, report })
}

fn masks_for(weights: &MlpWeights, settings: &PruneConfig, sparsity: f32) -> [Mask; 2] {
    match settings.ranking {
        Ranking::Layer => {
            [settings.pattern_mask(&weights.hidden_kernel, weights.hidden, sparsity), settings.pattern_mask(&weights.output_kernel, CLASSES, sparsity)]
        }
        Ranking::Global => {
            let [hidden, output] = <[Mask; 2]>::try_from(global_masks(&weights.kernels(), f64::from(sparsity))).expect("two kernels");
            [hidden, output]
        }
    }
}

/// Trains `model` for `epochs` with `hook`, or only evaluates it when `epochs` is 0.
async fn tune(
    model: Mlp,
    config: &TrainingConfig,
    epochs: usize,
    data: &Mnist,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl train::StepHook,
) -> Result<(Mlp, Option<f64>, Finish), TrainError> {
    if epochs == 0 {
        let model = hook.finish(model).valid();
        let accuracy = train::test_accuracy(&model, &data.test, device).await?;
        return Ok((model, Some(accuracy), Finish::Completed));
    }
    let trained = fit(model, Setup::new(&config.clone().with_epochs(epochs), &data.train, &data.test, device), observer, hook).await?;
    Ok((trained.model, trained.report.test_accuracy.final_, trained.finish))
}

/// Makes the pruned and structured columns from `dense` (on `device`).
pub async fn prune(
    dense: &TrainedModel,
    config: &TrainingConfig,
    settings: &PruneConfig,
    data: &Mnist,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Pruned, TrainError> {
    // Validation split and early stopping belong to the dense training: a pruning schedule must
    // run its steps, and fine-tuning uses every training image.
    let config = &config.clone().with_validation_split(0.0).with_early_stopping(false);
    let pruning = Pruning { dense, config, settings, data, device };
    let mut report = PruneReport {
        config: settings.clone(),
        schedule: settings.schedule(),
        schedule_summary: None,
        layers: Vec::new(),
        sparsity_curve: Vec::new(),
        structured_units_kept: None,
        structured_accuracy_before_finetune: None,
    };
    let (unstructured, mut finish) = match settings.prune {
        PruneMethod::Poly | PruneMethod::Constant => {
            let (column, finish) = pruning.gradually(observer, &mut report).await?;
            (Some(column), finish)
        }
        PruneMethod::Oneshot => {
            let (column, finish) = pruning.once(observer).await?;
            (Some(column), finish)
        }
        PruneMethod::Structured | PruneMethod::None => (None, Finish::Completed),
    };
    if let Some(column) = &unstructured {
        report.layers = layer_sparsity(&column.weights);
    }
    let (mut structured, mut kept_units) = (None, None);
    let wants_structured = settings.prune != PruneMethod::None && settings.hidden_keep > 0;
    if wants_structured && finish == Finish::Completed {
        let (column, kept, f) = pruning.remove_units(observer, &mut report).await?;
        (structured, kept_units, finish) = (Some(column), Some(kept), f);
    }
    Ok(Pruned { unstructured, structured, kept_units, report, finish })
}

/// What every way of pruning starts from: the trained dense model, the knobs, the data and the
/// device.
struct Pruning<'a> {
    dense: &'a TrainedModel,
    config: &'a TrainingConfig,
    settings: &'a PruneConfig,
    data: &'a Mnist,
    device: &'a Device,
}

impl Pruning<'_> {
    /// TFMOT's gradual pruning: a fresh model trained while its masks follow the schedule.
    async fn gradually(&self, observer: &mut impl Observer, report: &mut PruneReport) -> Result<(TrainedModel, Finish), TrainError> {
        observer.phase("training with gradual pruning");
        let device_ad = self.device.clone().autodiff();
        let schedule = self.settings.schedule().expect("gradual methods have a schedule");
        let config = self.config.clone().with_batch(self.settings.prune_batch);
        device_ad.seed(config.seed);
        let mut hook = GradualPruning::new(schedule, self.settings.clone(), &device_ad);
        let setup = Setup::new(&config, &self.data.train, &self.data.test, self.device);
        let trained = fit(Mlp::new(config.hidden, &device_ad), setup, observer, &mut hook).await?;
        let steps = crate::data::batches::steps_per_epoch(config.train_samples.min(self.data.train.len()), config.batch) * config.epochs;
        // N:M masks follow no schedule (one mask, at step 1): the pattern's note says so instead.
        report.schedule_summary = (self.settings.pattern != Pattern::MByN).then(|| schedule.summary(steps));
        report.sparsity_curve = hook.curve;
        let pruned = trained_model(trained.model, trained.report.test_accuracy.final_).await?;
        let layer = FirstLayer::from_zeros(&pruned.weights, hook.threshold);
        observer.snapshot(Snapshot { model: ModelKind::Pruned, note: "trained".into(), layer });
        Ok((pruned, trained.finish))
    }

    /// One-shot magnitude pruning of the trained dense model, then fine-tuning under fixed masks.
    async fn once(&self, observer: &mut impl Observer) -> Result<(TrainedModel, Finish), TrainError> {
        observer.phase("one-shot pruning, then fine-tuning");
        let (dense, settings) = (&self.dense.weights, self.settings);
        let device_ad = self.device.clone().autodiff();
        let masks = masks_for(dense, settings, settings.final_sparsity);
        let at_mask = FirstLayer::masked(dense, &masks[0]);
        let threshold = at_mask.threshold;
        let note = format!("one-shot mask, {:.1} % sparsity", settings.final_sparsity * 100.0);
        observer.snapshot(Snapshot { model: ModelKind::Pruned, note, layer: at_mask });
        let model = Mlp::from_weights(dense, &device_ad);
        let mut hook = FixedMasks::new(masks, &model, &device_ad);
        let (model, accuracy, finish) = tune(model, self.config, settings.finetune_epochs, self.data, self.device, observer, &mut hook).await?;
        let pruned = trained_model(model, accuracy).await?;
        observer.snapshot(Snapshot { model: ModelKind::Pruned, note: "fine-tuned".into(), layer: FirstLayer::from_zeros(&pruned.weights, threshold) });
        Ok((pruned, finish))
    }

    /// Structured pruning: the hidden units of largest norm kept, the rest removed, then
    /// fine-tuning. Returns the small model and the units it kept.
    async fn remove_units(&self, observer: &mut impl Observer, report: &mut PruneReport) -> Result<(TrainedModel, Vec<usize>, Finish), TrainError> {
        observer.phase("removing hidden units, then fine-tuning");
        let (dense, settings, device) = (&self.dense.weights, self.settings, self.device);
        let device_ad = device.clone().autodiff();
        let kept = units_to_keep(&unit_norms(dense, settings.norm), settings.hidden_keep.min(dense.hidden));
        let small = compact(dense, &kept);
        let note = format!("{} of {} units kept", kept.len(), dense.hidden);
        observer.snapshot(Snapshot { model: ModelKind::Structured, note, layer: FirstLayer::structured(dense, &small, &kept) });
        report.structured_units_kept = Some(kept.len());
        let before = Mlp::from_weights(&small, device);
        report.structured_accuracy_before_finetune = Some(train::test_accuracy(&before, &self.data.test, device).await?);
        let model = Mlp::from_weights(&small, &device_ad);
        let (model, accuracy, finish) = tune(model, self.config, settings.finetune_epochs, self.data, device, observer, &mut train::NoHook).await?;
        let small = trained_model(model, accuracy).await?;
        let note = format!("{} of {} units kept, fine-tuned", kept.len(), dense.hidden);
        observer.snapshot(Snapshot { model: ModelKind::Structured, note, layer: FirstLayer::structured(dense, &small.weights, &kept) });
        Ok((small, kept, finish))
    }
}

/// How much of each kernel survived.
fn layer_sparsity(weights: &MlpWeights) -> Vec<LayerSparsity> {
    [("hidden", &weights.hidden_kernel), ("output", &weights.output_kernel)]
        .into_iter()
        .map(|(layer, kernel)| {
            let kept = kernel.iter().filter(|w| **w != 0.0).count();
            LayerSparsity { layer: layer.into(), kept, total: kernel.len(), sparsity: 1.0 - kept as f64 / kernel.len() as f64 }
        })
        .collect()
}

/// The structured model's rivals: the same small student distilled from the dense teacher, and
/// one of its shape trained from scratch.
pub struct Students {
    pub distilled: TrainedModel,
    pub scratch: Option<TrainedModel>,
    pub report: DistillReport,
    pub finish: Finish,
}

/// Distils `dense` into the student that keeps its `kept` units (the structured model's start),
/// then trains a student of that shape from a random start; each for `finetune_epochs` on every
/// training image, as the structured model is fine-tuned, so the three differ only in their start
/// and their teacher (so it is only worth calling with `finetune_epochs` ≥ 1).
pub async fn students(
    dense: &TrainedModel,
    kept: &[usize],
    config: &TrainingConfig,
    settings: &PruneConfig,
    data: &Mnist,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Students, TrainError> {
    let epochs = settings.finetune_epochs;
    let config = config.clone().with_validation_split(0.0).with_early_stopping(false).with_epochs(epochs);
    let device_ad = device.clone().autodiff();
    observer.phase("distilling the dense model into the small student");
    let images = data.train.truncated(config.train_samples);
    let logits = dense_logits(&dense.weights, &images, device).await.map_err(TrainError::Device)?;
    let teacher = Teacher::new(&logits, settings.distill_t, settings.distill_alpha);
    let start = Mlp::from_weights(&compact(&dense.weights, kept), &device_ad);
    let trained = fit(start, Setup::new(&config, &data.train, &data.test, device).with_teacher(&teacher), observer, &mut train::NoHook).await?;
    let report = DistillReport {
        temperature: teacher.temperature,
        alpha: teacher.alpha,
        epochs,
        steps: trained.report.steps,
        student_hidden: kept.len(),
        teacher_accuracy: dense.report.test_accuracy,
    };
    let distilled = trained_model(trained.model, trained.report.test_accuracy.final_).await?;
    if trained.finish == Finish::Cancelled {
        return Ok(Students { distilled, scratch: None, report, finish: Finish::Cancelled });
    }
    observer.phase("training the small model from scratch");
    device_ad.seed(config.seed);
    let trained = fit(Mlp::new(kept.len(), &device_ad), Setup::new(&config, &data.train, &data.test, device), observer, &mut train::NoHook).await?;
    let scratch = trained_model(trained.model, trained.report.test_accuracy.final_).await?;
    Ok(Students { distilled, scratch: Some(scratch), report, finish: trained.finish })
}

/// Logits `[images, 10]` of `weights` run densely by burn on `device` (zeros multiplied like
/// any weight), in chunks of 1,000 images: the reference the sparse kernels must match.
pub async fn dense_logits(weights: &MlpWeights, images: &Split, device: &Device) -> Result<Vec<f32>, String> {
    let model = Mlp::from_weights(weights, device);
    let mut out = Vec::with_capacity(images.len() * CLASSES);
    for start in (0..images.len()).step_by(1000) {
        let indices: Vec<usize> = (start..(start + 1000).min(images.len())).collect();
        let input = batch::images(images.inputs(&indices), device);
        let logits = model.forward(input).into_data_async().await.map_err(|e| format!("reading logits back failed: {e:?}"))?;
        out.extend(logits.try_to_vec::<f32>().map_err(|e| format!("logits are not float32: {e:?}"))?);
    }
    Ok(out)
}

/// Logits `[images, 10]` of a host engine, in chunks of 1,000 images.
pub fn host_logits(engine: &mut impl CpuForward, images: &Split) -> Vec<f32> {
    let mut out = Vec::with_capacity(images.len() * CLASSES);
    for start in (0..images.len()).step_by(1000) {
        let indices: Vec<usize> = (start..(start + 1000).min(images.len())).collect();
        out.extend_from_slice(engine.run(&images.inputs(&indices), indices.len()));
    }
    out
}

/// A host engine (the CPU sparse kernels) against burn's dense CPU forward of `weights` on
/// every image of `images`.
pub async fn cpu_agreement(weights: &MlpWeights, engine: &mut impl CpuForward, images: &Split) -> Result<Agreement, String> {
    let dense = dense_logits(weights, images, &Device::flex()).await?;
    Ok(agreement::compare(&host_logits(engine, images), &dense, CLASSES))
}

/// Batch 1 and batch 1024 latency of a host engine, on the images the dense model is timed on.
pub async fn host_timings(engine: &mut impl CpuForward, data: &Mnist, protocol: Protocol, clock: &impl Clock) -> Result<BatchTimings, String> {
    // An async closure may lend the engine to each timing in turn.
    let mut at =
        async |batch| latency::time(&mut CpuPasses { images: latency::batch_of(&data.test, batch), batch, engine: &mut *engine }, protocol, clock).await;
    Ok(BatchTimings { b1: at(1).await?, b1024: at(1024).await? })
}

/// Batch 1 and batch 1024 latency of `weights` on `device`.
pub async fn timings(weights: &MlpWeights, data: &Mnist, device: &Device, protocol: Protocol, clock: &impl Clock) -> Result<BatchTimings, String> {
    let model = Mlp::from_weights(weights, device);
    Ok(BatchTimings {
        b1: dense::measure(&model, &data.test, 1, device, protocol, clock).await?,
        b1024: dense::measure(&model, &data.test, 1024, device, protocol, clock).await?,
    })
}

/// How many test images the int8 engine is checked on bit for bit against its plain integer
/// reference (which is slow by design); every test image is checked against the float model.
pub const REFERENCE_IMAGES: usize = 1000;

/// A model in int8, measured: its column, its checks, and its engine.
pub struct Int8Model {
    pub report: ModelReport,
    pub check: Int8Check,
    pub runner: Int8Runner,
    /// Its logits on every test image (`[images, 10]`): what another engine for it must compute.
    pub logits: Vec<f32>,
}

/// Share of `logits` (`[images, 10]`) whose largest value is at the image's label.
pub fn accuracy(logits: &[f32], images: &Split) -> f64 {
    let labels = images.targets(&(0..images.len()).collect::<Vec<_>>());
    let correct = logits.chunks_exact(CLASSES).zip(&labels).filter(|(l, label)| agreement::argmax(l) as i32 == **label).count();
    correct as f64 / labels.len().max(1) as f64
}

/// `source` quantized to int8 with `calibration` (codes in the sparse layout when `sparse`):
/// accuracy and agreement with the float model on every test image, a bit-exact check against
/// the integer reference, and bytes (latency is the caller's: the engine comes with the column).
pub async fn int8_column(source: &TrainedModel, calibration: &Calibration, sparse: bool, data: &Mnist) -> Result<Int8Model, String> {
    let model = Int8Mlp::new(&source.weights, calibration, sparse).map_err(|e| e.to_string())?;
    let mut runner = Int8Runner::new(model.clone());
    let logits = host_logits(&mut runner, &data.test);
    let float = dense_logits(&source.weights, &data.test, &Device::flex()).await?;
    let agreement = agreement::compare(&logits, &float, CLASSES);
    let reference_images = REFERENCE_IMAGES.min(data.test.len());
    let reference = model.reference(&data.test.inputs(&(0..reference_images).collect::<Vec<_>>()));
    let check = Int8Check {
        calibration: *calibration,
        input_scale: model.input.scale,
        activation_scale: model.activation.scale,
        argmax_agreement: 1.0 - agreement.argmax_mismatches as f64 / agreement.images.max(1) as f64,
        reference_images,
        matches_reference: reference[..] == logits[..reference_images * CLASSES],
        layout: (if sparse { "CSR int8" } else { "dense int8" }).into(),
        webgpu: None,
    };
    let bytes = model.bytes();
    let codes = model.hidden.nonzero_codes() + model.output.nonzero_codes();
    let biases = source.weights.hidden_bias.iter().chain(&source.weights.output_bias).filter(|b| **b != 0.0).count();
    let report = ModelReport {
        precision: Precision::Int8,
        weights_nonzero: codes + biases,
        sparsity: 1.0 - codes as f64 / source.weights.kernel_weights().max(1) as f64,
        macs: codes,
        bytes_int8: Some(bytes.len()),
        bytes_int8_gzip: Some(gzip_len(&bytes)),
        test_accuracy: Some(accuracy(&logits, &data.test)),
        latency: LatencyReport::default(),
        ..source.report.clone()
    };
    Ok(Int8Model { report, check, runner, logits })
}
