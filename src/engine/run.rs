//! One run of the pipeline: pick the device, load MNIST, train, prune, measure, each result in
//! the report as soon as it exists.

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;

use super::host::{HostClock, lost_soon};
use super::pattern::pattern_column;
use super::study::study;
use super::sweep::sweep;
use super::{Engine, FinishedModel, Host, Int8Kernels, LastRun, Measured, Picked, SparseKernels};
use crate::data::Mnist;
use crate::engine::compare::{self, TrainedModel};
use crate::kernels::gpu::{Gpu, GpuForward};
use crate::kernels::int8::gpu::{Dot4, Int8Gpu};
use crate::kernels::int8::{CALIBRATION_IMAGES, Calibration};
use crate::kernels::sparse::gpu::SparseGpu;
use crate::kernels::sparse::{SparseMlp, SparseRunner, agreement};
use crate::measure::latency::LatencyReport;
use crate::measure::latency::{Clock, Protocol, timer_resolution_ms};
use crate::model::kind::ModelKind;
use crate::model::{CLASSES, Mlp};
use crate::protocol::messages::Event;
use crate::protocol::report::{
    DataReport, ErrorKind, ErrorReport, Int8GpuCheck, KernelTime, ModelReport, QuantReport, RunState, SparseReport, StepProfile, TimerReport,
};
use crate::protocol::settings::{Quantize, Settings};
use crate::prune::pattern::Pattern;
use crate::prune::storage::CSR_LAYOUT;
use crate::prune::tiles::{FirstLayer, Snapshot};
use crate::train::check::check_engine;
use crate::train::config::{PruneMethod, TrainingConfig};
use crate::train::fused::cpu::FusedCpu;
use crate::train::fused::gpu::{FusedGpu, STEP_DISPATCHES};
use crate::train::fused::{Layout, Trainer};
use crate::train::report::LossPoint;
use crate::train::report::Progress;
use crate::train::{self, Finish, Observer, Setup, TrainError, WatchWeights};

/// How often the dense model's picture is refreshed while it trains: each refresh is one
/// readback of the first layer, so this bounds what the live view costs the training.
const DENSE_PICTURE_EVERY_MS: f64 = 1000.0;

/// How often the download's progress is sent to the page.
const DOWNLOAD_PROGRESS_EVERY_MS: f64 = 50.0;

/// MNIST, downloaded once per page; `None` when Cancel stopped the download.
async fn data(engine: &Engine<impl Host>) -> Result<Option<Rc<Mnist>>, String> {
    if let Some(data) = engine.data.borrow().clone() {
        return Ok(Some(data));
    }
    let started = engine.host.now_ms();
    engine.emit(Event::Downloaded(Some(0)));
    // The page redraws its progress bar for each of these: one every 50 ms is plenty, where the
    // download's 64 KB pieces would send nearly two hundred.
    let mut sent_ms = f64::NEG_INFINITY;
    let mut progress = |bytes| {
        let now = engine.host.now_ms();
        if now - sent_ms >= DOWNLOAD_PROGRESS_EVERY_MS {
            sent_ms = now;
            engine.emit(Event::Downloaded(Some(bytes)));
        }
    };
    let loaded = engine.unless_cancelled(engine.host.load_mnist(&mut progress)).await;
    engine.emit(Event::Downloaded(None));
    let Some(loaded) = loaded else { return Ok(None) };
    let (mnist, bytes) = loaded.map_err(|e| e.to_string())?;
    engine.update(|r| {
        r.data = Some(DataReport {
            train_images: mnist.train.len(),
            test_images: mnist.test.len(),
            downloaded_bytes: bytes,
            load_ms: engine.host.now_ms() - started,
        })
    });
    let data = Rc::new(mnist);
    *engine.data.borrow_mut() = Some(data.clone());
    Ok(Some(data))
}

/// The training loop's observer: what it reports goes to the page as events, gathered between the
/// loop's yields (every 50 ms) so that a fast CPU step (under a millisecond) does not send the
/// page a message per step.
struct RunObserver<'a, H: Host> {
    engine: &'a Engine<H>,
    /// The run's WebGPU device, when it trains there (the fused step then runs on it).
    gpu: Option<Gpu>,
    progress: Option<Progress>,
    losses: Vec<LossPoint>,
}

impl<'a, H: Host> RunObserver<'a, H> {
    fn new(engine: &'a Engine<H>, gpu: Option<Gpu>) -> Self {
        RunObserver { engine, gpu, progress: None, losses: Vec::new() }
    }

    /// Sends what was gathered.
    fn flush(&mut self) {
        if !self.losses.is_empty() {
            self.engine.emit(Event::Losses(std::mem::take(&mut self.losses)));
        }
        if let Some(progress) = self.progress.take() {
            self.engine.emit(Event::Progress(Some(progress)));
        }
    }
}

impl<H: Host> Observer for RunObserver<'_, H> {
    fn now_ms(&self) -> f64 {
        self.engine.host.now_ms()
    }
    fn cancelled(&self) -> bool {
        // A lost GPU device stops a run on it; the CPU run after it goes on.
        self.engine.cancelled() || (self.gpu.is_some() && self.engine.host.device_lost().is_some())
    }
    fn progress(&mut self, progress: Progress) {
        self.progress = Some(progress);
    }
    fn loss(&mut self, point: LossPoint) {
        self.losses.push(point);
    }
    fn validation_loss(&mut self, point: LossPoint) {
        self.flush();
        self.engine.emit(Event::ValidationLoss(point));
    }
    fn epoch_done(&mut self, _epoch: usize, test_accuracy: f64) {
        self.flush();
        self.engine.emit(Event::EpochAccuracy(test_accuracy));
    }
    async fn yield_now(&mut self) {
        self.flush();
        self.engine.host.sleep(0).await;
    }
    fn phase(&mut self, name: &'static str) {
        self.flush();
        self.engine.phase(name, true);
    }
    async fn device_lost(&mut self) -> Option<String> {
        match self.gpu {
            Some(_) => lost_soon(&self.engine.host).await,
            None => None,
        }
    }
    async fn fused_trainer(&mut self, layout: Layout, params: Vec<f32>) -> Result<Trainer, String> {
        match &self.gpu {
            Some(gpu) => Ok(Trainer::Gpu(Box::new(FusedGpu::new(gpu, layout, &params).await?))),
            None => Ok(Trainer::Cpu(FusedCpu::new(layout, params))),
        }
    }
    fn snapshot(&mut self, snapshot: Snapshot) {
        // In order with the losses and progress before it.
        self.flush();
        self.engine.emit(Event::Picture(snapshot));
    }
}

/// The clock's step (`performance.now()`'s in the browser), read by sampling it until it has
/// ticked a few times.
fn timer(host: &impl Host) -> TimerReport {
    let mut readings = Vec::with_capacity(1 << 16);
    let start = host.now_ms();
    while readings.len() < 1 << 16 && host.now_ms() - start < 5.0 {
        readings.push(host.now_ms());
    }
    TimerReport { resolution_ms: timer_resolution_ms(&readings), cross_origin_isolated: host.cross_origin_isolated() }
}

/// Latency of every column through burn on WebGPU (when burn runs there) and on the CPU.
async fn measure_latency(
    engine: &Engine<impl Host>,
    columns: &mut [&mut TrainedModel],
    data: &Mnist,
    gpu: Option<&Device>,
    protocol: Protocol,
) -> Result<(), String> {
    let cpu = Device::flex();
    let clock = HostClock(&engine.host);
    for column in columns.iter_mut() {
        if engine.cancelled() {
            return Ok(());
        }
        // burn's WebGPU timing runs to its end: a burn readback dropped half-way would leave
        // cubecl's pooled staging buffer mapped for the next run. Cancel is seen after it.
        let webgpu = match gpu {
            Some(gpu) => Some(compare::timings(&column.weights, data, gpu, protocol, &clock).await?),
            None => None,
        };
        // A column whose measurement Cancel cut short shows no latency rather than a partial one.
        let Some(cpu) = engine.unless_cancelled(compare::timings(&column.weights, data, &cpu, protocol, &clock)).await else { return Ok(()) };
        if engine.cancelled() {
            return Ok(());
        }
        column.report.latency.webgpu = webgpu;
        column.report.latency.cpu = Some(cpu?);
    }
    Ok(())
}

/// One run: the device, MNIST (once per page), then the pipeline. Every outcome, failure too,
/// lands in the report.
pub(super) async fn run(engine: &Engine<impl Host>, settings: &Settings) {
    engine.set_phase("starting the device");
    let picked = engine.host.pick(settings.backend).await;
    engine.update(|r| {
        r.backend = Some(picked.backend);
        r.adapter = Some(picked.adapter.clone());
        r.fallback_reason = picked.fallback_reason.clone();
        r.burn_on_cpu = picked.burn_on_cpu.clone();
    });

    engine.set_phase("loading MNIST");
    let data = match data(engine).await {
        Ok(Some(data)) => data,
        Ok(None) => {
            engine.set_phase("");
            return engine.update(|r| r.state = RunState::Cancelled);
        }
        Err(message) => return fail(engine, ErrorKind::Data, message),
    };

    engine.update(|r| r.state = RunState::Training);
    let mut observer = RunObserver::new(engine, picked.gpu.clone());
    if settings.check_engine {
        engine.set_phase("checking the fused step against autodiff");
        let t = &settings.training;
        match check_engine(t.hidden, &data.train, t.seed, t.batch, t.lr, &picked.device, &mut observer).await {
            Ok(check) => engine.update(|r| r.engine_check = Some(check)),
            Err(e) => return fail(engine, ErrorKind::Device, explain(&engine.host, &picked, format!("the fused-step check failed: {e}")).await),
        }
        if let Some(gpu) = &picked.gpu {
            let profile = profile_step(gpu, t, &data.train, &picked.device).await;
            engine.update(|r| r.engine_profile = Some(profile));
        }
    }
    observer.phase("training the dense model");
    let outcome = pipeline(Run { engine, settings, data: &data, picked: &picked }, &mut observer).await;
    observer.flush();
    match outcome {
        Ok(finish) => engine.update(|r| {
            r.state = match finish {
                Finish::Completed => RunState::Done,
                Finish::Cancelled => RunState::Cancelled,
            }
        }),
        Err(Failure::DeviceLost(message)) => fail(engine, ErrorKind::Device, message),
        Err(Failure::Failed(message)) => fail(engine, ErrorKind::Device, explain(&engine.host, &picked, message).await),
    }
    engine.set_phase("");
}

/// The pattern study on the last run's dense model, asked for after the run (its button).
pub(super) async fn study_after(engine: &Engine<impl Host>, data: &Mnist, last: &LastRun) {
    let Some(dense) = last.trained(ModelKind::Dense) else {
        return;
    };
    let dense = TrainedModel { model: dense.model.clone(), weights: dense.weights.clone(), report: ModelReport::of(&dense.weights, dense.test_accuracy) };
    let mut observer = RunObserver::new(engine, last.picked.gpu.clone());
    study(engine, &dense, &last.settings, data, &last.picked, last.measured.protocol, &mut observer).await;
    observer.flush();
}

/// Why the pipeline stopped short: the device's loss is already explained, any other failure
/// may be its first sign.
enum Failure {
    DeviceLost(String),
    Failed(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Failed(message)
    }
}

/// A failed GPU call is often the first sign of a lost device: then that is what the page says.
/// Otherwise WebGPU itself failed (a kernel that does not build on this adapter), and would again:
/// the next run goes to the CPU.
async fn explain(host: &impl Host, picked: &Picked, message: String) -> String {
    if picked.gpu.is_none() {
        return message;
    }
    if let Some(lost) = lost_soon(host).await {
        return lost_device(&lost);
    }
    host.retire_gpu(format!("WebGPU failed earlier on this page ({message}); the CPU runs it instead"));
    format!("{}. Train again to run on the CPU.", message.trim_end_matches('.'))
}

/// What the page says when the GPU device is gone (the browser's reason).
fn lost_device(reason: &str) -> String {
    format!("the GPU device was lost ({reason}). Train again to continue on the CPU.")
}

fn fail(engine: &Engine<impl Host>, kind: ErrorKind, message: String) {
    engine.set_phase("");
    engine.update(|r| {
        r.state = RunState::Error;
        r.error = Some(ErrorReport { kind, message });
    });
}

/// One fused WebGPU step of a fresh model, kernel by kernel, after a warm-up step.
async fn profile_step(gpu: &Gpu, config: &TrainingConfig, train: &crate::data::Split, device: &Device) -> StepProfile {
    let batch = config.batch.min(train.len()).max(1);
    let mut profile = StepProfile { batch, dispatches: STEP_DISPATCHES, submits: 1, kernels: Vec::new(), error: None };
    let measured: Result<Vec<(&'static str, f64)>, String> = async {
        let weights = Mlp::new(config.hidden, device).read_weights().await?;
        let layout = Layout { inputs: weights.inputs, hidden: weights.hidden };
        let mut fused = FusedGpu::new(gpu, layout, &layout.flatten(&weights)).await?;
        let indices: Vec<usize> = (0..batch).collect();
        fused.step(train, &indices, config.lr as f32, true).await?;
        fused.profile(train, &indices, config.lr as f32).await
    }
    .await;
    match measured {
        Ok(kernels) => profile.kernels = kernels.into_iter().map(|(kernel, ms)| KernelTime { kernel: kernel.into(), ms }).collect(),
        Err(e) => profile.error = Some(e),
    }
    profile
}

/// One run's fixed context: the engine, the settings, the data and the device it runs on.
struct Run<'a, H: Host> {
    engine: &'a Engine<H>,
    settings: &'a Settings,
    data: &'a Mnist,
    picked: &'a Picked,
}

/// Dense training, pruning, latency; each result lands in the report as soon as it exists.
async fn pipeline<H: Host>(run: Run<'_, H>, observer: &mut RunObserver<'_, H>) -> Result<Finish, Failure> {
    let (engine, settings) = (run.engine, run.settings);
    let Some(dense) = run.train_dense(observer).await? else {
        return Ok(Finish::Cancelled);
    };
    let pruned = match settings.pruning.prune {
        PruneMethod::None => None,
        _ => Some(run.prune_dense(&dense, observer).await?),
    };
    if pruned.as_ref().is_some_and(|p| p.finish == Finish::Cancelled) {
        return Ok(Finish::Cancelled);
    }
    let kept = pruned.as_ref().and_then(|p| p.kept_units.clone());
    let students = match kept {
        Some(kept) if settings.pruning.distill && settings.pruning.finetune_epochs > 0 => Some(run.distil_dense(&dense, &kept, observer).await?),
        _ => None,
    };
    if students.as_ref().is_some_and(|s| s.finish == Finish::Cancelled) {
        return Ok(Finish::Cancelled);
    }
    // Not a training phase: the charts keep showing the last training.
    observer.flush();
    let mut columns = Columns::new(dense, pruned, students);
    let measured = run.measure(&mut columns).await?;
    if settings.patterns && !engine.cancelled() {
        study(engine, columns.dense(), settings, run.data, run.picked, measured.measured.protocol, observer).await;
        run.device_lost()?;
    }
    let last = Rc::new(LastRun {
        trained: columns.into_finished(),
        sparse: measured.sparse,
        int8: measured.int8,
        measured: measured.measured,
        settings: settings.clone(),
        picked: run.picked.clone(),
    });
    *engine.last.borrow_mut() = Some(last.clone());
    engine.emit(Event::Models(last.kinds()));
    if settings.sweep && !engine.cancelled() {
        sweep(engine, run.data, &last).await;
    }
    Ok(if engine.cancelled() { Finish::Cancelled } else { Finish::Completed })
}

impl<H: Host> Run<'_, H> {
    /// The GPU device's loss, when the run is on one and it is gone.
    fn device_lost(&self) -> Result<(), Failure> {
        match self.picked.gpu.as_ref().and(self.engine.host.device_lost()) {
            Some(message) => Err(Failure::DeviceLost(lost_device(&message))),
            None => Ok(()),
        }
    }

    /// Trains the dense model (going on from a lost device's weights when this same training
    /// was under way there), watching its first layer as it learns; `None` when cancelled.
    async fn train_dense(&self, observer: &mut RunObserver<'_, H>) -> Result<Option<TrainedModel>, Failure> {
        let (engine, config, data) = (self.engine, &self.settings.training, self.data);
        let mut watch = WatchWeights::new(DENSE_PICTURE_EVERY_MS);
        // Only the same training goes on from a lost device's weights; any other starts afresh.
        let resume = engine.checkpoint.take().filter(|(same, _)| same == config).map(|(_, checkpoint)| checkpoint);
        let setup = Setup::new(config, &data.train, &data.test, &self.picked.device);
        let trained = match train::train_from(setup, resume.as_ref(), observer, &mut watch).await {
            Ok(trained) => trained,
            Err(TrainError::DeviceLost { message, report }) => {
                // The steps, losses and accuracies so far stay on the page, and the weights last
                // read back (the live picture's) stay here for Retry.
                engine.update(|r| r.train = Some(*report));
                let Some(checkpoint) = watch.last.take().filter(|c| c.step > 0).or(resume) else {
                    return Err(Failure::DeviceLost(lost_device(&message)));
                };
                let step = checkpoint.step;
                *engine.checkpoint.borrow_mut() = Some((config.clone(), checkpoint));
                return Err(Failure::DeviceLost(format!(
                    "the GPU device was lost ({message}). Retry goes on on the CPU from step {step}, with the weights read back then."
                )));
            }
            Err(e) => return Err(e.to_string().into()),
        };
        let accuracy = trained.report.test_accuracy.final_;
        engine.update(|r| r.train = Some(trained.report));
        self.device_lost()?;
        if trained.finish == Finish::Cancelled {
            // The picture of where it stopped, and nothing measured: a model's column gzips its
            // weights twice, which would keep the page waiting for the Cancel it asked for.
            let weights = trained.model.read_weights().await.map_err(|e| e.to_string())?;
            observer.snapshot(Snapshot { model: ModelKind::Dense, note: "cancelled".into(), layer: FirstLayer::dense(&weights) });
            return Ok(None);
        }
        let dense = compare::trained_model(trained.model, accuracy).await.map_err(|e| e.to_string())?;
        observer.snapshot(Snapshot { model: ModelKind::Dense, note: "trained".into(), layer: FirstLayer::dense(&dense.weights) });
        engine.update(|r| r.dense = accuracy.map(|_| dense.report.clone()));
        Ok(Some(dense))
    }

    /// The pruned (unstructured) and structured models, as the settings make them.
    async fn prune_dense(&self, dense: &TrainedModel, observer: &mut RunObserver<'_, H>) -> Result<compare::Pruned, Failure> {
        let settings = self.settings;
        let result = compare::prune(dense, &settings.training, &settings.pruning, self.data, &self.picked.device, observer).await.map_err(|e| e.to_string())?;
        self.device_lost()?;
        self.engine.update(|r| {
            r.pruned = result.unstructured.as_ref().map(|c| c.report.clone());
            r.structured = result.structured.as_ref().map(|c| c.report.clone());
            r.prune = Some(result.report.clone());
        });
        Ok(result)
    }

    /// The structured model's shape distilled from the dense teacher, and trained from scratch.
    async fn distil_dense(&self, dense: &TrainedModel, kept: &[usize], observer: &mut RunObserver<'_, H>) -> Result<compare::Students, Failure> {
        let settings = self.settings;
        let result =
            compare::students(dense, kept, &settings.training, &settings.pruning, self.data, &self.picked.device, observer).await.map_err(|e| e.to_string())?;
        self.device_lost()?;
        self.engine.update(|r| {
            r.distilled = Some(result.distilled.report.clone());
            r.scratch = result.scratch.as_ref().map(|c| c.report.clone());
            r.distill = Some(result.report.clone());
        });
        Ok(result)
    }

    /// Latency of every column, then the sparse kernels and int8, each in the report as it ends.
    async fn measure(&self, columns: &mut Columns) -> Result<MeasuredRun, Failure> {
        let (engine, data, picked) = (self.engine, self.data, self.picked);
        engine.set_phase("measuring inference latency");
        let timer = timer(&engine.host);
        engine.update(|r| r.timer = Some(timer));
        // An unknown resolution is planned for as the coarsest browsers give (1 ms), never shown as measured.
        let protocol = Protocol::for_resolution(timer.resolution_ms.unwrap_or(1.0));
        measure_latency(engine, &mut columns.all(), data, picked.burn_webgpu(), protocol).await?;
        engine.update(|r| {
            for (kind, column) in &columns.models {
                *r.model_mut(*kind) = Some(column.report.clone());
            }
        });
        let mut sparse = None;
        if let Some(pruned) = columns.get(ModelKind::Pruned).filter(|_| !engine.cancelled()) {
            engine.set_phase("running the pruned model on sparse kernels");
            // On WebGPU it reads back through burn (the dense reference), which must not be dropped
            // half-way (see measure_latency): there it runs to its end and Cancel is seen after it.
            let measured = match picked.burn_webgpu() {
                Some(_) => Some(sparse_column(pruned, data, picked, protocol, &HostClock(&engine.host)).await).filter(|_| !engine.cancelled()),
                None => engine.unless_cancelled(sparse_column(pruned, data, picked, protocol, &HostClock(&engine.host))).await,
            };
            if let Some((report, column, engines)) = measured {
                engine.update(|r| {
                    r.sparse = Some(report);
                    r.pruned_sparse = column;
                });
                sparse = engines;
            }
            if self.settings.pruning.pattern != Pattern::Unstructured && !engine.cancelled() {
                engine.set_phase("running the pruned model on its pattern's kernel");
                let clock = HostClock(&engine.host);
                let column = pattern_column(pruned, &self.settings.pruning, data, picked, protocol, &clock);
                // As the sparse column: through burn's WebGPU readback, it runs to its end.
                let measured = match picked.burn_webgpu() {
                    Some(_) => Some(column.await).filter(|_| !engine.cancelled()),
                    None => engine.unless_cancelled(column).await,
                };
                if let Some(Some(report)) = measured {
                    engine.update(|r| r.sparse.get_or_insert_with(SparseReport::default).pattern = Some(report));
                }
            }
        }
        let mut int8 = Vec::new();
        if self.settings.quantize == Quantize::Int8 && !engine.cancelled() {
            engine.set_phase("quantizing to int8");
            let (report, engines) = int8_columns(engine, columns.dense(), columns.get(ModelKind::Pruned), data, picked.gpu.as_ref(), protocol).await;
            engine.update(|r| r.quant = Some(report));
            int8 = engines;
        }
        Ok(MeasuredRun { sparse, int8, measured: Measured { gpu: picked.gpu.clone(), protocol } })
    }
}

/// Every model a run trained, as columns of the comparison: dense first, then what pruning and
/// distillation made of it, each with its kind.
struct Columns {
    models: Vec<(ModelKind, TrainedModel)>,
    /// The dense model's hidden units that the structured models keep.
    kept_units: Option<Vec<usize>>,
}

impl Columns {
    fn new(dense: TrainedModel, pruned: Option<compare::Pruned>, students: Option<compare::Students>) -> Self {
        let (unstructured, structured, kept_units) = pruned.map(|p| (p.unstructured, p.structured, p.kept_units)).unwrap_or_default();
        let (distilled, scratch) = students.map(|s| (Some(s.distilled), s.scratch)).unwrap_or_default();
        let optional =
            [(ModelKind::Pruned, unstructured), (ModelKind::Structured, structured), (ModelKind::Distilled, distilled), (ModelKind::Scratch, scratch)];
        let models = std::iter::once((ModelKind::Dense, dense)).chain(optional.into_iter().filter_map(|(kind, c)| Some((kind, c?)))).collect();
        Columns { models, kept_units }
    }

    fn dense(&self) -> &TrainedModel {
        &self.models[0].1
    }

    fn get(&self, kind: ModelKind) -> Option<&TrainedModel> {
        self.models.iter().find(|(k, _)| *k == kind).map(|(_, c)| c)
    }

    fn all(&mut self) -> Vec<&mut TrainedModel> {
        self.models.iter_mut().map(|(_, c)| c).collect()
    }

    fn into_finished(self) -> Vec<FinishedModel> {
        let kept_units = self.kept_units;
        self.models
            .into_iter()
            .map(|(kind, c)| FinishedModel {
                kind,
                test_accuracy: c.report.test_accuracy,
                model: c.model,
                weights: c.weights,
                kept_units: matches!(kind, ModelKind::Structured | ModelKind::Distilled).then(|| kept_units.clone()).flatten(),
            })
            .collect()
    }
}

/// What the measurements leave for inference on the finished models.
struct MeasuredRun {
    sparse: Option<SparseKernels>,
    int8: Vec<Int8Kernels>,
    measured: Measured,
}

/// The pruned model on the sparse kernels: first that they compute what the masked dense model
/// computes (every test image, on each backend), then their latency. A failure here is reported
/// in the sparse section and leaves the rest of the run standing.
async fn sparse_column(
    pruned: &TrainedModel,
    data: &Mnist,
    picked: &Picked,
    protocol: Protocol,
    clock: &impl Clock,
) -> (SparseReport, Option<ModelReport>, Option<SparseKernels>) {
    let mut report = SparseReport { layout: CSR_LAYOUT.into(), ..SparseReport::default() };
    let model = match SparseMlp::new(&pruned.weights) {
        Ok(model) => model,
        Err(e) => {
            report.error = Some(e.to_string());
            return (report, None, None);
        }
    };
    let mut runner = SparseRunner::new(model.clone());
    let mut latency = LatencyReport::default();
    let cpu: Result<(), String> = async {
        report.agreement_cpu = Some(compare::cpu_agreement(&pruned.weights, &mut runner, &data.test).await?);
        latency.cpu = Some(compare::host_timings(&mut runner, data, protocol, clock).await?);
        Ok(())
    }
    .await;
    let mut gpu_engine = None;
    let gpu: Result<(), String> = async {
        let Some(gpu) = &picked.gpu else {
            return Ok(());
        };
        let engine = SparseGpu::new(gpu, &model).await?;
        let dense = compare::dense_logits(&pruned.weights, &data.test, &picked.device).await?;
        let sparse = engine.logits(&data.test, 1000).await?;
        report.agreement_webgpu = Some(agreement::compare(&sparse, &dense, CLASSES));
        latency.webgpu = Some(engine.timings(&data.test, protocol, clock).await?);
        gpu_engine = Some(engine);
        Ok(())
    }
    .await;
    report.error = [cpu.err().map(|e| format!("CPU: {e}")), gpu.err().map(|e| format!("WebGPU: {e}"))].into_iter().flatten().reduce(|a, b| format!("{a}; {b}"));
    let column = ModelReport { latency, ..pruned.report.clone() };
    (report, Some(column), Some(SparseKernels { cpu: RefCell::new(runner), gpu: gpu_engine }))
}

/// The dense model, and the pruned one when there is one (on the sparse layout), in int8: each
/// column lands in the report as soon as it is measured. A failure is reported in the
/// quantization section and leaves the rest of the run standing.
async fn int8_columns(
    engine: &Engine<impl Host>,
    dense: &TrainedModel,
    pruned: Option<&TrainedModel>,
    data: &Mnist,
    gpu: Option<&Gpu>,
    protocol: Protocol,
) -> (QuantReport, Vec<Int8Kernels>) {
    let clock = HostClock(&engine.host);
    let images = data.train.inputs(&(0..CALIBRATION_IMAGES.min(data.train.len())).collect::<Vec<_>>());
    let mut report = QuantReport { scheme: crate::kernels::int8::SCHEME.into(), dense: None, pruned: None, error: None };
    let mut engines = Vec::new();
    for (source, sparse) in std::iter::once((dense, false)).chain(pruned.map(|p| (p, true))) {
        if engine.cancelled() {
            break;
        }
        // Each model's own activations set its ranges.
        let calibration = Calibration::measure(&source.weights, &images);
        let measured = async {
            let mut column = compare::int8_column(source, &calibration, sparse, data).await?;
            column.report.latency.cpu = Some(compare::host_timings(&mut column.runner, data, protocol, &clock).await?);
            // On WebGPU too, when the run has it: checked against the CPU engine, then timed.
            if let Some(gpu) = gpu {
                let engine = Int8Gpu::new(gpu, &column.runner.model).await?;
                let logits = engine.logits(&data.test, 1000).await?;
                let agreement = agreement::compare(&logits, &column.logits, CLASSES);
                let dot_product = engine.dot4().map_or("one i32 product per stored code (sparse)", Dot4::describe);
                column.check.webgpu = Some(Int8GpuCheck { dot_product: dot_product.into(), agreement, identical: logits == column.logits });
                column.report.latency.webgpu = Some(engine.timings(&data.test, protocol, &clock).await?);
            }
            Ok::<_, String>(column)
        };
        // Cancel drops a model's measurement whole (it reads back only through the CPU and our
        // own kernels, whose buffers are destroyed with them); the models before it stay.
        let Some(measured) = engine.unless_cancelled(measured).await else { break };
        match measured {
            Ok(column) => {
                let kind = if sparse { ModelKind::PrunedInt8 } else { ModelKind::Int8 };
                let test_accuracy = column.report.test_accuracy;
                engine.update(|r| *r.model_mut(kind) = Some(column.report));
                *(if sparse { &mut report.pruned } else { &mut report.dense }) = Some(column.check);
                engines.push(Int8Kernels { kind, test_accuracy, runner: RefCell::new(column.runner) });
            }
            Err(e) => {
                report.error = Some(format!("{}: {e}", if sparse { "pruned + int8" } else { "int8" }));
                break;
            }
        }
    }
    (report, engines)
}
