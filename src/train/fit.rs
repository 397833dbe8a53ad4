//! Training: the knobs, the loop (forward → loss → backward → Adam step) and test accuracy.
//!
//! The loop is `async` and reads back only through `into_scalar_async`, because a synchronous
//! read panics on wasm; natively the same code runs under `block_on`. It reads the loss back
//! only every `loss_every` steps so that GPU→CPU round trips do not dominate a step.

use std::borrow::Cow;
use std::future::Future;

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};

use crate::data::{Split, batches};
use crate::measure::stats;
use crate::model::Mlp;
use crate::model::batch::Batch;
use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::prune::mask::Mask;
use crate::prune::tiles::{FirstLayer, Snapshot};
use crate::train::config::TrainStep;
use crate::train::config::TrainingConfig;
use crate::train::distill::Teacher;
use crate::train::early_stopping::{EarlyStopReport, EarlyStopping, Verdict};
use crate::train::fused::cpu::FusedCpu;
use crate::train::fused::{Layout, Trainer};
use crate::train::report::{LossPoint, Progress, TrainReport};

/// What the loop reports to, and asks of, whoever runs it (the page, or a test).
pub trait Observer {
    /// A monotonic clock in milliseconds (`performance.now()` in the browser).
    fn now_ms(&self) -> f64;
    /// Polled before every step: the user asked to stop.
    fn cancelled(&self) -> bool {
        false
    }
    fn progress(&mut self, _progress: Progress) {}
    fn loss(&mut self, _point: LossPoint) {}
    fn epoch_done(&mut self, _epoch: usize, _test_accuracy: f64) {}
    /// The validation loss after an epoch, at the step it ended (with `validation_split`).
    fn validation_loss(&mut self, _point: LossPoint) {}
    /// Gives the browser a chance to paint and handle clicks (a no-op natively).
    fn yield_now(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
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
    train_from(Setup::new(config, train, test, device), None, observer, &mut NoHook).await
}

/// The weights of a training after `step` batches, as last read back: enough to go on training
/// elsewhere when the device they were on is lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub step: usize,
    pub weights: MlpWeights,
}

/// A fresh MLP trained as [`train`] does, calling `hook` before every step; or, from
/// `checkpoint` of the same training, its rest: the same batches in the same order from its step
/// on, with Adam's moments started afresh (they were on the lost device too).
pub async fn train_from(
    setup: Setup<'_>,
    checkpoint: Option<&Checkpoint>,
    observer: &mut impl Observer,
    hook: &mut impl StepHook,
) -> Result<Trained, TrainError> {
    let device_ad = setup.device.clone().autodiff();
    device_ad.seed(setup.config.seed);
    let (model, from_step) = match checkpoint {
        Some(checkpoint) => (Mlp::from_weights(&checkpoint.weights, &device_ad), checkpoint.step),
        None => (Mlp::new(setup.config.hidden, &device_ad), 0),
    };
    fit_from(model, from_step, setup, observer, hook).await
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
    if config.engine == TrainStep::Autodiff {
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
    fn autodiff(model: Mlp) -> Self {
        Stepper::Autodiff { model, optim: AdamConfig::new().init() }
    }

    /// One step on `batch`; the loss, read back when `read_loss`.
    async fn step<O: Observer, H: StepHook>(
        &mut self,
        step: usize,
        batch: &[usize],
        read_loss: bool,
        run: &mut Run<'_, O, H>,
    ) -> Result<Option<f32>, TrainError> {
        let config = run.setup.config;
        match self {
            Stepper::Autodiff { model, optim } => {
                let current = run.hook.before_step(step, model.clone(), run.observer).await?;
                let device_ad = &run.device_ad;
                let Batch { images, targets } = Batch::of(run.train, batch, device_ad);
                let logits = current.forward(images);
                let mut loss = match run.setup.teacher {
                    Some(teacher) => teacher.loss(logits, targets, batch, device_ad),
                    None => run.cross_entropy.forward(logits, targets),
                };
                if let Some(penalty) = current.kernel_penalty(config.l1, config.l2) {
                    loss = loss + penalty;
                }
                let loss_value = read_loss.then(|| loss.clone());
                let grads = GradientsParams::from_grads(loss.backward(), &current);
                *model = optim.step(config.lr, current, grads);
                match loss_value {
                    Some(loss) => Ok(Some(loss.into_scalar_async::<f32>().await.map_err(TrainError::device)?)),
                    None => Ok(None),
                }
            }
            Stepper::Fused(trainer) => {
                if let Some(masks) = run.hook.before_fused_step(step, trainer, run.observer).await? {
                    trainer.set_masks(&masks);
                }
                trainer.step(run.train, batch, config.lr as f32, read_loss).await.map_err(TrainError::Device)
            }
        }
    }

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

/// What one training works on: its knobs, its data and its device (the plain one; autodiff is
/// added where a step needs it). With a `teacher`, the loss is the distillation loss (labels and
/// the teacher's soft targets) instead of plain cross-entropy.
#[derive(Clone, Copy)]
pub struct Setup<'a> {
    pub config: &'a TrainingConfig,
    pub train: &'a Split,
    pub test: &'a Split,
    pub device: &'a Device,
    pub teacher: Option<&'a Teacher>,
}

impl<'a> Setup<'a> {
    pub fn new(config: &'a TrainingConfig, train: &'a Split, test: &'a Split, device: &'a Device) -> Self {
        Setup { config, train, test, device, teacher: None }
    }

    pub fn with_teacher(self, teacher: &'a Teacher) -> Self {
        Setup { teacher: Some(teacher), ..self }
    }
}

/// Trains `model` (on the autodiff version of the setup's device) with a fresh Adam, calling
/// `hook` before every step, and measures test accuracy after each epoch. `config.engine` picks
/// the fused step where it covers the run, autodiff otherwise.
pub async fn fit(model: Mlp, setup: Setup<'_>, observer: &mut impl Observer, hook: &mut impl StepHook) -> Result<Trained, TrainError> {
    fit_from(model, 0, setup, observer, hook).await
}

/// [`fit`] with `model` as it stood after `from_step` batches of this same training.
async fn fit_from(model: Mlp, from_step: usize, setup: Setup<'_>, observer: &mut impl Observer, hook: &mut impl StepHook) -> Result<Trained, TrainError> {
    let config = setup.config;
    let samples = config.train_samples.min(setup.train.len());
    // Keras: the last `validation_split` of the samples, taken before shuffling.
    let held_out = (samples as f64 * config.validation_split.clamp(0.0, 1.0)) as usize;
    // Borrowed when nothing is cut off: copying all of MNIST (47 MB) would hold the engine's
    // thread, and a Cancel sent as training starts, for tens of milliseconds.
    let (train, validation) = if samples == setup.train.len() && held_out == 0 {
        (Cow::Borrowed(setup.train), Split::default())
    } else {
        let (train, validation) = setup.train.truncated(samples).split_at(samples - held_out);
        (Cow::Owned(train), validation)
    };
    if train.is_empty() {
        return Err(TrainError::NoData);
    }
    if let Some(teacher) = setup.teacher.filter(|t| t.len() < train.len()) {
        return Err(TrainError::Teacher { have: teacher.len(), need: train.len() });
    }
    let report = TrainReport { steps: from_step, resumed_from_step: (from_step > 0).then_some(from_step), ..TrainReport::default() };
    let device_ad = setup.device.clone().autodiff();
    let cross_entropy = CrossEntropyLossConfig::new().init(&device_ad);
    let mut run = Run {
        setup,
        train: &train,
        validation: &validation,
        observer,
        hook,
        report,
        cross_entropy,
        device_ad,
        step_ms: Vec::new(),
        started: 0.0,
        last_yield: 0.0,
    };
    match run.steps(model).await {
        Ok((model, finish)) => Ok(Trained { model, report: run.report, finish }),
        Err(error) => match run.observer.device_lost().await {
            // What was trained so far stays in the report; the weights were on the lost device.
            Some(message) => Err(TrainError::DeviceLost { message, report: Box::new(run.report) }),
            None => Err(error),
        },
    }
}

/// One training as it runs: its setup, the split it trains on, whom it reports to, and the
/// report it fills in as it goes.
struct Run<'a, O, H> {
    setup: Setup<'a>,
    /// The training images left after `train_samples` and `validation_split`.
    train: &'a Split,
    validation: &'a Split,
    observer: &'a mut O,
    hook: &'a mut H,
    report: TrainReport,
    /// The autodiff step's loss, without a teacher.
    cross_entropy: CrossEntropyLoss,
    /// The autodiff version of the setup's device, made once for every step.
    device_ad: Device,
    /// Milliseconds per step of each loss-readback window but the first step's.
    step_ms: Vec<f64>,
    started: f64,
    last_yield: f64,
}

/// Early stopping's state across epochs: the rule, and the best epoch's model when it is kept.
struct EarlyStop {
    rule: EarlyStopping,
    best_model: Option<Mlp>,
}

impl<O: Observer, H: StepHook> Run<'_, O, H> {
    /// The steps and epochs from `report.steps` on.
    async fn steps(&mut self, model: Mlp) -> Result<(Mlp, Finish), TrainError> {
        let config = self.setup.config;
        let mut early_stop = (config.early_stopping && !self.validation.is_empty())
            .then(|| EarlyStop { rule: EarlyStopping::new(config.patience, config.min_delta), best_model: None });
        let mut stepper = self.stepper(model).await?;
        // A Cancel sent while the training was set up is seen before its first step.
        self.observer.yield_now().await;
        let steps_per_epoch = batches::steps_per_epoch(self.train.len(), config.batch);
        let total_steps = steps_per_epoch * config.epochs;
        self.started = self.observer.now_ms();
        self.last_yield = self.started;
        let mut finish = Finish::Completed;
        // A resumed training starts in the epoch of its step, past the batches already taken.
        let from_step = self.report.steps;
        let (first_epoch, taken) = (from_step / steps_per_epoch.max(1), from_step % steps_per_epoch.max(1));

        for epoch in first_epoch..config.epochs {
            let epoch_started = self.observer.now_ms();
            let skip = if epoch == first_epoch { taken } else { 0 };
            if self.epoch(&mut stepper, epoch, skip, from_step, total_steps).await? == Finish::Cancelled {
                finish = Finish::Cancelled;
                break;
            }
            let stop = self.end_epoch(&mut stepper, epoch, early_stop.as_mut()).await?;
            self.report.epoch_wall_ms.push(self.observer.now_ms() - epoch_started);
            self.observer.yield_now().await;
            self.last_yield = self.observer.now_ms();
            if stop {
                let early = early_stop.as_ref().expect("only early stopping stops");
                let restored = config.restore_best_weights && early.best_model.is_some();
                self.report.early_stopping = Some(early_stop_report(&early.rule, Some(epoch + 1), restored, total_steps, total_steps - self.report.steps));
                break;
            }
        }
        if let (Some(early), None) = (early_stop.as_ref(), &self.report.early_stopping) {
            self.report.early_stopping = Some(early_stop_report(&early.rule, None, false, total_steps, 0));
        }
        self.finish_report();
        let restored = matches!(self.report.early_stopping, Some(EarlyStopReport { restored: true, .. }));
        let model = match early_stop.and_then(|e| e.best_model).filter(|_| restored) {
            Some(best) => best,
            None => stepper.model(self.hook, self.setup.device).await?,
        };
        Ok((model, finish))
    }

    /// The fused step where it covers the run and starts, autodiff otherwise (the report says
    /// which ran, and why not the fused one).
    async fn stepper(&mut self, model: Mlp) -> Result<Stepper, TrainError> {
        let refusal = fused_refusal(self.setup.config, self.setup.teacher, self.hook);
        let stepper = if self.setup.config.engine == TrainStep::Fused && refusal.is_none() {
            let weights = model.read_weights().await.map_err(TrainError::Device)?;
            let layout = Layout { inputs: weights.inputs, hidden: weights.hidden };
            match self.observer.fused_trainer(layout, layout.flatten(&weights)).await {
                Ok(trainer) => Stepper::Fused(trainer),
                Err(e) => {
                    self.report.engine_note = Some(format!("the fused step could not start ({e})"));
                    Stepper::autodiff(model)
                }
            }
        } else {
            self.report.engine_note = refusal.map(String::from);
            Stepper::autodiff(model)
        };
        self.report.engine = match &stepper {
            Stepper::Fused(trainer) => trainer.label(),
            Stepper::Autodiff { .. } => "autodiff",
        }
        .into();
        Ok(stepper)
    }

    /// One epoch's batches from `skip` on; `Cancelled` when the user stopped it.
    async fn epoch(&mut self, stepper: &mut Stepper, epoch: usize, skip: usize, from_step: usize, total_steps: usize) -> Result<Finish, TrainError> {
        let config = self.setup.config;
        let steps_per_epoch = batches::steps_per_epoch(self.train.len(), config.batch);
        let order = batches::shuffled_indices(self.train.len(), config.seed, epoch);
        let mut window_started = self.observer.now_ms();
        let mut window_steps = 0;
        for (i, batch) in batches::batches(&order, config.batch).enumerate().skip(skip) {
            if self.observer.cancelled() {
                return Ok(Finish::Cancelled);
            }
            // The first step is read back on its own: it carries shader compilation and warm-up,
            // so it is reported apart and kept out of the step-time statistics.
            let first = self.report.steps == from_step;
            let read_loss = first || (self.report.steps + 1).is_multiple_of(config.loss_every.max(1)) || i + 1 == steps_per_epoch;
            let loss = stepper.step(self.report.steps, batch, read_loss, self).await?;
            self.report.steps += 1;
            window_steps += 1;
            if let Some(loss) = loss {
                let now = self.observer.now_ms();
                let per_step = (now - window_started) / window_steps as f64;
                if first {
                    self.report.first_step_ms = Some(per_step);
                } else {
                    self.step_ms.push(per_step);
                }
                (window_started, window_steps) = (now, 0);
                self.observer.loss(LossPoint { step: self.report.steps, loss });
                self.report.loss_curve.push(LossPoint { step: self.report.steps, loss });
            }
            self.progress(epoch, from_step, total_steps).await;
        }
        Ok(Finish::Completed)
    }

    /// Reports progress, and yields to the browser when it has not for a while.
    async fn progress(&mut self, epoch: usize, from_step: usize, total_steps: usize) {
        let config = self.setup.config;
        let now = self.observer.now_ms();
        let elapsed_ms = now - self.started;
        let samples = ((self.report.steps - from_step) * config.batch).min(self.train.len() * config.epochs);
        self.observer.progress(Progress {
            epoch: epoch + 1,
            epochs: config.epochs,
            step: self.report.steps,
            total_steps,
            samples_per_s: samples as f64 / (elapsed_ms / 1000.0).max(1e-9),
            elapsed_ms,
        });
        if now - self.last_yield > YIELD_EVERY_MS {
            self.observer.yield_now().await;
            self.last_yield = self.observer.now_ms();
        }
    }

    /// Test accuracy, and the validation loss with early stopping's verdict: whether to stop.
    async fn end_epoch(&mut self, stepper: &mut Stepper, epoch: usize, early_stop: Option<&mut EarlyStop>) -> Result<bool, TrainError> {
        let (config, device) = (self.setup.config, self.setup.device);
        let model = stepper.model(self.hook, device).await?;
        let accuracy = test_accuracy(&model, self.setup.test, device).await?;
        self.report.epochs_completed = epoch + 1;
        self.report.test_accuracy.per_epoch.push(accuracy);
        self.observer.epoch_done(epoch + 1, accuracy);
        if self.validation.is_empty() {
            return Ok(false);
        }
        let val_loss = validation_loss(&model, self.validation, config, device).await?;
        self.report.val_loss.push(val_loss);
        self.observer.validation_loss(LossPoint { step: self.report.steps, loss: val_loss as f32 });
        let Some(early) = early_stop else { return Ok(false) };
        Ok(match early.rule.update(epoch + 1, val_loss) {
            Verdict::Improved if config.restore_best_weights => {
                early.best_model = Some(model);
                false
            }
            Verdict::Stop => true,
            _ => false,
        })
    }

    /// Wall time, step-time statistics and the final accuracy (the best epoch's when early
    /// stopping restored its weights).
    fn finish_report(&mut self) {
        let report = &mut self.report;
        report.wall_ms = self.observer.now_ms() - self.started;
        report.ms_per_step_median = stats::median(&self.step_ms);
        report.ms_per_step_p95 = stats::percentile(&self.step_ms, 95.0);
        report.test_accuracy.final_ = match report.early_stopping {
            Some(EarlyStopReport { restored: true, best_epoch, .. }) => report.test_accuracy.per_epoch.get(best_epoch - 1).copied(),
            _ => report.test_accuracy.per_epoch.last().copied(),
        };
    }
}

fn early_stop_report(rule: &EarlyStopping, stopped_epoch: Option<usize>, restored: bool, steps_planned: usize, steps_saved: usize) -> EarlyStopReport {
    EarlyStopReport { stopped_epoch, best_epoch: rule.best_epoch(), best_val_loss: rule.best(), restored, steps_planned, steps_saved }
}

/// Mean cross-entropy of `model` on `split` (plus the kernel penalty, as Keras' `val_loss`
/// includes regularization), in chunks; one readback per chunk.
pub async fn validation_loss(model: &Mlp, split: &Split, config: &TrainingConfig, device: &Device) -> Result<f64, TrainError> {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut total = 0.0;
    for start in (0..split.len()).step_by(EVAL_BATCH) {
        let batch: Vec<usize> = (start..(start + EVAL_BATCH).min(split.len())).collect();
        let Batch { images, targets } = Batch::of(split, &batch, device);
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
        let Batch { images, targets } = Batch::of(split, batch, device);
        let predicted = model.forward(images).argmax(1).reshape([batch.len()]);
        correct = correct + predicted.equal(targets).int().sum();
    }
    let correct: i64 = correct.into_scalar_async().await.map_err(TrainError::device)?;
    Ok(correct as f64 / split.len() as f64)
}
