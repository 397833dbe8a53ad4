//! Training: the knobs, the loop (forward → loss → backward → Adam step) and test accuracy.
//!
//! The loop is `async` and reads back only through `into_scalar_async`, because a synchronous
//! read panics on wasm; natively the same code runs under `block_on`. It reads the loss back
//! only every `loss_every` steps so that GPU→CPU round trips do not dominate a step.

use std::future::Future;

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::config::TrainingConfig;
use crate::data::{IMAGE_PIXELS, Split, batches};
use crate::distill::Teacher;
use crate::early_stopping::{EarlyStopReport, EarlyStopping, Verdict};
use crate::fused::cpu::FusedCpu;
use crate::fused::{Engine, Layout, Trainer};
use crate::model::Mlp;
use crate::model_kind::ModelKind;
use crate::prune::mask::Mask;
use crate::prune::weights::MlpWeights;
use crate::report::{LossPoint, TrainReport};
use crate::stats;
use crate::tiles::{FirstLayer, Snapshot};

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

/// What the loop reports to, and asks of, whoever runs it (the page, or a test).
pub trait Observer {
    /// A monotonic clock in milliseconds (`performance.now()` in the browser).
    fn now_ms(&self) -> f64;
    /// Polled before every step: the user asked to stop.
    fn cancelled(&self) -> bool;
    fn progress(&mut self, progress: Progress);
    fn loss(&mut self, point: LossPoint);
    fn epoch_done(&mut self, epoch: usize, test_accuracy: f64);
    /// The validation loss after an epoch, at the step it ended (with `validation_split`).
    fn validation_loss(&mut self, _point: LossPoint) {}
    /// Gives the browser a chance to paint and handle clicks (a no-op natively).
    fn yield_now(&mut self) -> impl Future<Output = ()>;
    /// A new stage starts (dense training, pruning, fine-tuning…).
    fn phase(&mut self, _name: &'static str) {}
    /// A new picture of a model's first layer (live while training and pruning).
    fn snapshot(&mut self, _snapshot: Snapshot) {}
    /// Asked after a device error: whether the device was lost, and the browser's reason (which
    /// may come a moment after the failed call). Natively there is no device to lose.
    fn device_lost(&mut self) -> impl Future<Output = Option<String>> {
        std::future::ready(None)
    }
    /// A fused trainer on the run's device, starting from `params` (the CPU one unless the page
    /// trains on WebGPU).
    fn fused_trainer(&mut self, layout: Layout, params: Vec<f32>) -> impl Future<Output = Result<Trainer, String>> {
        std::future::ready(Ok(Trainer::Cpu(FusedCpu::new(layout, params))))
    }
}

/// Runs without reporting anything (benchmarks, tests, tools).
pub struct Silent;

impl Observer for Silent {
    fn now_ms(&self) -> f64 {
        0.0
    }
    fn cancelled(&self) -> bool {
        false
    }
    fn progress(&mut self, _: Progress) {}
    fn loss(&mut self, _: LossPoint) {}
    fn epoch_done(&mut self, _: usize, _: f64) {}
    fn yield_now(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    #[error("the device failed while reading back results: {0}")]
    Device(String),
    /// The GPU device is gone (the browser's reason); `report` holds the training done before.
    #[error("the GPU device was lost ({message})")]
    DeviceLost { message: String, report: Box<TrainReport> },
    #[error("there is nothing to train on (train_samples = 0)")]
    NoData,
    #[error("the teacher has soft targets for {have} training images, training uses {need}")]
    Teacher { have: usize, need: usize },
}

impl TrainError {
    fn device(e: impl std::fmt::Debug) -> Self {
        TrainError::Device(format!("{e:?}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Completed,
    Cancelled,
}

pub struct Trained {
    /// The model without autodiff, ready for inference.
    pub model: Mlp,
    pub report: TrainReport,
    pub finish: Finish,
}

/// How long to go without yielding to the browser before yielding anyway.
const YIELD_EVERY_MS: f64 = 50.0;
/// Test-set images per evaluation batch.
const EVAL_BATCH: usize = 1000;

/// Trains a fresh MLP on `train` and measures test accuracy after each epoch.
/// `device` is the plain device; autodiff is added here.
pub async fn train(config: &TrainingConfig, train: &Split, test: &Split, device: &Device, observer: &mut impl Observer) -> Result<Trained, TrainError> {
    train_with(config, train, test, device, observer, &mut NoHook).await
}

/// The weights of a training after `step` batches, as last read back: enough to go on training
/// elsewhere when the device they were on is lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub step: usize,
    pub weights: MlpWeights,
}

/// [`train`], calling `hook` before every step.
pub async fn train_with(
    config: &TrainingConfig,
    train: &Split,
    test: &Split,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl StepHook,
) -> Result<Trained, TrainError> {
    train_from(config, None, train, test, device, observer, hook).await
}

/// [`train_with`], going on from `checkpoint` of the same training when there is one: the same
/// batches in the same order from its step on, with Adam's moments started afresh (they were on
/// the lost device too).
pub async fn train_from(
    config: &TrainingConfig,
    checkpoint: Option<&Checkpoint>,
    train: &Split,
    test: &Split,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl StepHook,
) -> Result<Trained, TrainError> {
    let device_ad = device.clone().autodiff();
    device_ad.seed(config.seed);
    let (model, from_step) = match checkpoint {
        Some(checkpoint) => (Mlp::from_weights(&checkpoint.weights, &device_ad), checkpoint.step),
        None => (Mlp::new(config.hidden, &device_ad), 0),
    };
    fit_from(model, from_step, config, train, test, device, observer, hook, None).await
}

/// Runs before every training step; pruning uses it to recompute and apply masks.
pub trait StepHook {
    /// `step` counts batches from 0 over the whole run, as TFMOT's `pruning_step` does.
    fn before_step(&mut self, step: usize, model: Mlp, observer: &mut impl Observer) -> impl Future<Output = Result<Mlp, TrainError>>;
    /// The model as it leaves training (masks applied one last time).
    fn finish(&mut self, model: Mlp) -> Mlp;
    /// Whether [`StepHook::before_fused_step`] does this hook's work (else the loop uses autodiff).
    fn runs_fused(&self) -> bool {
        false
    }
    /// Before a fused step: may read the weights, and returns masks to prune with from now on.
    fn before_fused_step(
        &mut self,
        _step: usize,
        _trainer: &mut Trainer,
        _observer: &mut impl Observer,
    ) -> impl Future<Output = Result<Option<[Mask; 2]>, TrainError>> {
        std::future::ready(Ok(None))
    }
}

/// Plain training.
pub struct NoHook;

impl StepHook for NoHook {
    async fn before_step(&mut self, _step: usize, model: Mlp, _observer: &mut impl Observer) -> Result<Mlp, TrainError> {
        Ok(model)
    }
    fn finish(&mut self, model: Mlp) -> Mlp {
        model
    }
    fn runs_fused(&self) -> bool {
        true
    }
}

/// Plain training that shows the first layer at step 0 (the random initialisation) and then
/// at most every `every_ms`, for the page's live weight picture. Each look is one async readback
/// of the weights (400 KB), so looks are rationed by time, and spaced at least
/// [`WATCH_BUDGET`]⁻¹ times a look's own duration apart: the picture never costs training more
/// than about 5 %, even where a readback is slow (SwiftShader).
pub struct WatchWeights {
    pub every_ms: f64,
    gap_ms: f64,
    last_ms: Option<f64>,
    /// The weights of the last look, kept in case the device is lost.
    pub last: Option<Checkpoint>,
}

/// The share of training time the live picture may take.
pub const WATCH_BUDGET: f64 = 0.05;

impl WatchWeights {
    pub fn new(every_ms: f64) -> Self {
        WatchWeights { every_ms, gap_ms: every_ms, last_ms: None, last: None }
    }
}

impl WatchWeights {
    fn due(&self, now: f64) -> bool {
        self.last_ms.is_none_or(|last| now - last >= self.gap_ms)
    }

    fn show(&mut self, step: usize, weights: MlpWeights, started: f64, observer: &mut impl Observer) {
        observer.snapshot(Snapshot { model: ModelKind::Dense, note: format!("step {step}"), layer: FirstLayer::dense(&weights) });
        self.last = Some(Checkpoint { step, weights });
        let now = observer.now_ms();
        self.gap_ms = self.every_ms.max((now - started) / WATCH_BUDGET);
        self.last_ms = Some(now);
    }
}

impl StepHook for WatchWeights {
    async fn before_step(&mut self, step: usize, model: Mlp, observer: &mut impl Observer) -> Result<Mlp, TrainError> {
        let started = observer.now_ms();
        if self.due(started) {
            let weights = model.read_weights().await.map_err(TrainError::Device)?;
            self.show(step, weights, started, observer);
        }
        Ok(model)
    }
    fn finish(&mut self, model: Mlp) -> Mlp {
        model
    }
    fn runs_fused(&self) -> bool {
        true
    }
    async fn before_fused_step(&mut self, step: usize, trainer: &mut Trainer, observer: &mut impl Observer) -> Result<Option<[Mask; 2]>, TrainError> {
        let started = observer.now_ms();
        if self.due(started) {
            let weights = trainer.layout().weights(&trainer.params().await.map_err(TrainError::Device)?);
            self.show(step, weights, started, observer);
        }
        Ok(None)
    }
}

/// What takes the steps: burn's autodiff graph and Adam, or a fused trainer.
enum Stepper {
    Autodiff { model: Mlp, optim: ModuleOptimizer },
    Fused(Trainer),
}

/// Why the fused step cannot train this run (then autodiff does), if it cannot.
fn fused_refusal(config: &TrainingConfig, teacher: Option<&Teacher>, hook: &impl StepHook) -> Option<&'static str> {
    if config.engine == Engine::Autodiff {
        None
    } else if teacher.is_some() {
        Some("the distillation loss runs on autodiff")
    } else if config.l1 != 0.0 || config.l2 != 0.0 {
        Some("L1/L2 penalties run on autodiff")
    } else if !hook.runs_fused() {
        Some("this training's hook runs on autodiff")
    } else {
        None
    }
}

impl Stepper {
    /// The model as it stands, on the plain `device` (a fused trainer's weights read back).
    async fn model(&mut self, hook: &mut impl StepHook, device: &Device) -> Result<Mlp, TrainError> {
        match self {
            Stepper::Autodiff { model, .. } => Ok(hook.finish(model.clone()).valid()),
            Stepper::Fused(trainer) => {
                let params = trainer.params().await.map_err(TrainError::Device)?;
                Ok(Mlp::from_weights(&trainer.layout().weights(&params), device))
            }
        }
    }
}

/// Trains `model` (on the autodiff version of `device`) with a fresh Adam, calling `hook`
/// before every step, and measures test accuracy after each epoch. With a `teacher`, the loss is
/// the distillation loss (labels and the teacher's soft targets) instead of plain cross-entropy.
/// `config.engine` picks the fused step where it covers the run, autodiff otherwise.
#[allow(clippy::too_many_arguments)]
pub async fn fit(
    model: Mlp,
    config: &TrainingConfig,
    train: &Split,
    test: &Split,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl StepHook,
    teacher: Option<&Teacher>,
) -> Result<Trained, TrainError> {
    fit_from(model, 0, config, train, test, device, observer, hook, teacher).await
}

/// [`fit`] with `model` as it stood after `from_step` batches of this same training.
#[allow(clippy::too_many_arguments)]
async fn fit_from(
    model: Mlp,
    from_step: usize,
    config: &TrainingConfig,
    train: &Split,
    test: &Split,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl StepHook,
    teacher: Option<&Teacher>,
) -> Result<Trained, TrainError> {
    let train = train.truncated(config.train_samples);
    // Keras: the last `validation_split` of the samples, taken before shuffling.
    let held_out = (train.len() as f64 * config.validation_split.clamp(0.0, 1.0)) as usize;
    let (train, validation) = train.split_at(train.len() - held_out);
    if train.is_empty() {
        return Err(TrainError::NoData);
    }
    if let Some(teacher) = teacher.filter(|t| t.len() < train.len()) {
        return Err(TrainError::Teacher { have: teacher.len(), need: train.len() });
    }
    let mut report = TrainReport { steps: from_step, resumed_from_step: (from_step > 0).then_some(from_step), ..TrainReport::default() };
    match fit_steps(model, config, &train, &validation, test, device, observer, hook, teacher, &mut report).await {
        Ok((model, finish)) => Ok(Trained { model, report, finish }),
        Err(error) => match observer.device_lost().await {
            // What was trained so far stays in the report; the weights were on the lost device.
            Some(message) => Err(TrainError::DeviceLost { message, report: Box::new(report) }),
            None => Err(error),
        },
    }
}

/// [`fit`]'s steps and epochs from `report.steps` on, filling in `report` as they go.
#[allow(clippy::too_many_arguments)]
async fn fit_steps(
    model: Mlp,
    config: &TrainingConfig,
    train: &Split,
    validation: &Split,
    test: &Split,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl StepHook,
    teacher: Option<&Teacher>,
    report: &mut TrainReport,
) -> Result<(Mlp, Finish), TrainError> {
    let mut early_stopping = (config.early_stopping && !validation.is_empty()).then(|| EarlyStopping::new(config.patience, config.min_delta));
    let mut best_model: Option<Mlp> = None;
    let device_ad = device.clone().autodiff();
    let loss_fn = CrossEntropyLossConfig::new().init(&device_ad);

    let refusal = fused_refusal(config, teacher, hook);
    let mut stepper = if config.engine == Engine::Fused && refusal.is_none() {
        let weights = model.read_weights().await.map_err(TrainError::Device)?;
        let layout = Layout { inputs: weights.inputs, hidden: weights.hidden };
        match observer.fused_trainer(layout, layout.flatten(&weights)).await {
            Ok(trainer) => Stepper::Fused(trainer),
            Err(e) => {
                report.engine_note = Some(format!("the fused step could not start ({e})"));
                Stepper::Autodiff { model, optim: AdamConfig::new().init() }
            }
        }
    } else {
        report.engine_note = refusal.map(String::from);
        Stepper::Autodiff { model, optim: AdamConfig::new().init() }
    };
    report.engine = match &stepper {
        Stepper::Fused(trainer) => trainer.label(),
        Stepper::Autodiff { .. } => "autodiff",
    }
    .into();

    let steps_per_epoch = batches::steps_per_epoch(train.len(), config.batch);
    let total_steps = steps_per_epoch * config.epochs;
    let mut step_ms = Vec::new();
    let started = observer.now_ms();
    let mut last_yield = started;
    let mut finish = Finish::Completed;
    // A resumed training starts in the epoch of its step, past the batches already taken.
    let from_step = report.steps;
    let (first_epoch, taken) = (from_step / steps_per_epoch.max(1), from_step % steps_per_epoch.max(1));

    'epochs: for epoch in first_epoch..config.epochs {
        let epoch_started = observer.now_ms();
        let order = batches::shuffled_indices(train.len(), config.seed, epoch);
        let mut window_started = epoch_started;
        let mut window_steps = 0;
        let skip = if epoch == first_epoch { taken } else { 0 };
        for (i, batch) in batches::batches(&order, config.batch).enumerate().skip(skip) {
            if observer.cancelled() {
                finish = Finish::Cancelled;
                break 'epochs;
            }
            let last_of_epoch = i + 1 == steps_per_epoch;
            // The first step is read back on its own: it carries shader compilation and warm-up,
            // so it is reported apart and kept out of the step-time statistics.
            let first = report.steps == from_step;
            let read_loss = first || (report.steps + 1).is_multiple_of(config.loss_every.max(1)) || last_of_epoch;
            let loss_value = match &mut stepper {
                Stepper::Autodiff { model, optim } => {
                    let current = hook.before_step(report.steps, model.clone(), observer).await?;
                    let images = Tensor::<2>::from_data(TensorData::new(train.inputs(batch), [batch.len(), IMAGE_PIXELS]), &device_ad);
                    let targets = Tensor::<1, Int>::from_data(TensorData::new(train.targets(batch), [batch.len()]), &device_ad);
                    let logits = current.forward(images);
                    let mut loss = match teacher {
                        Some(teacher) => teacher.loss(logits, targets, batch, &device_ad),
                        None => loss_fn.forward(logits, targets),
                    };
                    if let Some(penalty) = current.kernel_penalty(config.l1, config.l2) {
                        loss = loss + penalty;
                    }
                    let loss_value = read_loss.then(|| loss.clone());
                    let grads = GradientsParams::from_grads(loss.backward(), &current);
                    *model = optim.step(config.lr, current, grads);
                    match loss_value {
                        Some(loss) => Some(loss.into_scalar_async::<f32>().await.map_err(TrainError::device)?),
                        None => None,
                    }
                }
                Stepper::Fused(trainer) => {
                    if let Some(masks) = hook.before_fused_step(report.steps, trainer, observer).await? {
                        trainer.set_masks(&masks);
                    }
                    trainer.step(train, batch, config.lr as f32, read_loss).await.map_err(TrainError::Device)?
                }
            };
            report.steps += 1;
            window_steps += 1;

            if let Some(value) = loss_value {
                let now = observer.now_ms();
                let per_step = (now - window_started) / window_steps as f64;
                if first {
                    report.first_step_ms = Some(per_step);
                } else {
                    step_ms.push(per_step);
                }
                window_started = now;
                window_steps = 0;
                observer.loss(LossPoint { step: report.steps, loss: value });
                report.loss_curve.push(LossPoint { step: report.steps, loss: value });
            }
            let now = observer.now_ms();
            let elapsed_ms = now - started;
            observer.progress(Progress {
                epoch: epoch + 1,
                epochs: config.epochs,
                step: report.steps,
                total_steps,
                samples_per_s: ((report.steps - from_step) * config.batch).min(train.len() * config.epochs) as f64 / (elapsed_ms / 1000.0).max(1e-9),
                elapsed_ms,
            });
            if now - last_yield > YIELD_EVERY_MS {
                observer.yield_now().await;
                last_yield = observer.now_ms();
            }
        }
        let model = stepper.model(hook, device).await?;
        let accuracy = test_accuracy(&model, test, device).await?;
        report.epochs_completed = epoch + 1;
        report.test_accuracy.per_epoch.push(accuracy);
        observer.epoch_done(epoch + 1, accuracy);
        let mut stop = false;
        if !validation.is_empty() {
            let val_loss = validation_loss(&model, validation, config, device).await?;
            report.val_loss.push(val_loss);
            observer.validation_loss(LossPoint { step: report.steps, loss: val_loss as f32 });
            if let Some(es) = early_stopping.as_mut() {
                match es.update(epoch + 1, val_loss) {
                    Verdict::Improved if config.restore_best_weights => best_model = Some(model.clone()),
                    Verdict::Stop => stop = true,
                    _ => {}
                }
            }
        }
        report.epoch_wall_ms.push(observer.now_ms() - epoch_started);
        observer.yield_now().await;
        last_yield = observer.now_ms();
        if stop {
            let es = early_stopping.as_ref().expect("only early stopping stops");
            let restored = config.restore_best_weights && best_model.is_some();
            report.early_stopping = Some(EarlyStopReport {
                stopped_epoch: Some(epoch + 1),
                best_epoch: es.best_epoch(),
                best_val_loss: es.best(),
                restored,
                steps_planned: total_steps,
                steps_saved: total_steps - report.steps,
            });
            break 'epochs;
        }
    }
    if let (Some(es), None) = (early_stopping.as_ref(), report.early_stopping) {
        report.early_stopping = Some(EarlyStopReport {
            stopped_epoch: None,
            best_epoch: es.best_epoch(),
            best_val_loss: es.best(),
            restored: false,
            steps_planned: total_steps,
            steps_saved: 0,
        });
    }

    report.wall_ms = observer.now_ms() - started;
    report.ms_per_step_median = stats::median(&step_ms);
    report.ms_per_step_p95 = stats::percentile(&step_ms, 95.0);
    let restored = matches!(report.early_stopping, Some(EarlyStopReport { restored: true, .. }));
    report.test_accuracy.final_ = match report.early_stopping {
        Some(EarlyStopReport { restored: true, best_epoch, .. }) => report.test_accuracy.per_epoch.get(best_epoch - 1).copied(),
        _ => report.test_accuracy.per_epoch.last().copied(),
    };
    // The final accuracy is then the best epoch's (set above).
    let model = match best_model.filter(|_| restored) {
        Some(best) => best,
        None => stepper.model(hook, device).await?,
    };
    Ok((model, finish))
}

/// Mean cross-entropy of `model` on `split` (plus the kernel penalty, as Keras' `val_loss`
/// includes regularization), in chunks; one readback per chunk.
pub async fn validation_loss(model: &Mlp, split: &Split, config: &TrainingConfig, device: &Device) -> Result<f64, TrainError> {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut total = 0.0;
    for start in (0..split.len()).step_by(EVAL_BATCH) {
        let batch: Vec<usize> = (start..(start + EVAL_BATCH).min(split.len())).collect();
        let images = Tensor::<2>::from_data(TensorData::new(split.inputs(&batch), [batch.len(), IMAGE_PIXELS]), device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(split.targets(&batch), [batch.len()]), device);
        let mean: f32 = loss_fn.forward(model.forward(images), targets).into_scalar_async().await.map_err(TrainError::device)?;
        total += f64::from(mean) * batch.len() as f64;
    }
    let penalty = match model.kernel_penalty(config.l1, config.l2) {
        Some(p) => f64::from(p.into_scalar_async::<f32>().await.map_err(TrainError::device)?),
        None => 0.0,
    };
    Ok(total / split.len().max(1) as f64 + penalty)
}

/// Fraction of `split` that `model` classifies correctly. The correct counts are summed on the
/// device and read back once.
pub async fn test_accuracy(model: &Mlp, split: &Split, device: &Device) -> Result<f64, TrainError> {
    if split.is_empty() {
        return Ok(0.0);
    }
    let all: Vec<usize> = (0..split.len()).collect();
    let mut correct = Tensor::<1, Int>::zeros([1], device);
    for batch in batches::batches(&all, EVAL_BATCH) {
        let images = Tensor::<2>::from_data(TensorData::new(split.inputs(batch), [batch.len(), IMAGE_PIXELS]), device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(split.targets(batch), [batch.len()]), device);
        let predicted = model.forward(images).argmax(1).reshape([batch.len()]);
        correct = correct + predicted.equal(targets).int().sum();
    }
    let correct: i64 = correct.into_scalar_async().await.map_err(TrainError::device)?;
    Ok(correct as f64 / split.len() as f64)
}
