//! One run of the page: pick the backend, load MNIST (once), train, report. Runs as a local
//! task so the page stays responsive; every outcome, including failure, lands in the report.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use burn::tensor::Device;

use crate::compare::{self, Column};
use crate::data::Mnist;
use crate::fused::check::check_engine;
use crate::fused::cpu::FusedCpu;
use crate::fused::{Layout, Trainer};
use crate::latency::{Clock, HostEngine, Protocol, timer_resolution_ms};
use crate::model::CLASSES;
use crate::model::Mlp;
use crate::prune::storage::CSR_LAYOUT;
use crate::prune::weights::MlpWeights;
use crate::quant::{CALIBRATION_IMAGES, Calibration, Int8Runner};
use crate::report::{
    Backend, BatchTimings, DataReport, ErrorKind, ErrorReport, LatencyReport, LossPoint, ModelReport, Report, RunState, SparseReport, StageTime, SweepReport,
    TimerReport,
};
use crate::report::{Int8GpuCheck, KernelTime, QuantReport, StepProfile};
use crate::settings::{PruneMethod, Quantize, Settings};
use crate::sparse::layout::thresholded;
use crate::sparse::timing::{SWEEP_SPARSITIES, SweepSeries, crossover};
use crate::sparse::{SparseMlp, SparseRunner, agreement};
use crate::tiles::{FirstLayer, Snapshot};
use crate::train::{self, Finish, Observer, Progress, WatchWeights};
use crate::web::fused_gpu::{FusedGpu, STEP_DISPATCHES};
use crate::web::gpu::{Gpu, GpuForward};
use crate::web::int8_gpu::{Dot4, Int8Gpu};
use crate::web::sparse_gpu::SparseGpu;
use crate::web::{backend, download, page};

/// Everything the components show; signals are `Copy`, so the state is too.
#[derive(Clone, Copy)]
pub struct AppState {
    pub settings: RwSignal<Settings>,
    pub report: RwSignal<Report>,
    /// Bytes received of the MNIST download, while it runs.
    pub downloaded: RwSignal<Option<usize>>,
    pub progress: RwSignal<Option<Progress>>,
    pub losses: RwSignal<Vec<LossPoint>>,
    /// Validation loss after each epoch (with a validation split), at the step the epoch ended.
    pub val_losses: RwSignal<Vec<LossPoint>>,
    pub accuracies: RwSignal<Vec<f64>>,
    /// What the run is doing now ("training the dense model", …).
    pub phase: RwSignal<&'static str>,
    /// Which training the loss and accuracy charts show.
    pub chart_phase: RwSignal<&'static str>,
    pub cancel: RwSignal<bool>,
    /// The latest first-layer picture of each model (dense, pruned, structured), live while
    /// training and pruning.
    pub pictures: RwSignal<Vec<Arc<Snapshot>>>,
    /// Which model's picture is shown ("dense", "pruned", "structured").
    pub shown_picture: RwSignal<&'static str>,
    /// The finished run's models can be exported (set with [`TRAINED`]).
    pub exportable: RwSignal<bool>,
    /// Measurements of the dense vs sparse sweep done and to do, while it runs.
    pub sweep_progress: RwSignal<Option<(usize, usize)>>,
    /// The stage under way and when it began (page clock), for the report's stage times.
    stage: StoredValue<Option<(&'static str, f64)>>,
}

impl AppState {
    pub fn new(settings: Settings, notices: Vec<String>) -> Self {
        AppState {
            report: RwSignal::new(Report::new(settings.training.clone(), notices)),
            settings: RwSignal::new(settings),
            downloaded: RwSignal::new(None),
            progress: RwSignal::new(None),
            losses: RwSignal::new(Vec::new()),
            val_losses: RwSignal::new(Vec::new()),
            accuracies: RwSignal::new(Vec::new()),
            phase: RwSignal::new(""),
            chart_phase: RwSignal::new(""),
            cancel: RwSignal::new(false),
            pictures: RwSignal::new(Vec::new()),
            shown_picture: RwSignal::new("dense"),
            exportable: RwSignal::new(false),
            sweep_progress: RwSignal::new(None),
            stage: StoredValue::new(None),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.report.with(|r| r.state), RunState::Loading | RunState::Training) || self.sweep_progress.with(Option::is_some)
    }
}

thread_local! {
    // Downloaded once per page; a retry after a training failure does not download again.
    static DATA: RefCell<Option<Rc<Mnist>>> = const { RefCell::new(None) };
    // The last run's finished models, kept for drawing and export.
    static TRAINED: RefCell<Vec<Trained>> = const { RefCell::new(Vec::new()) };
    // The last run's pruned model on the sparse kernels, kept for drawing.
    static SPARSE: RefCell<Option<Rc<SparseEngines>>> = const { RefCell::new(None) };
    // The last run's int8 models (label, engine), kept for drawing.
    static INT8: RefCell<Rc<Int8Engines>> = RefCell::new(Rc::new(Vec::new()));
    // How the last run measured (for a sweep started afterwards).
    static LAST_RUN: RefCell<Option<Measured>> = const { RefCell::new(None) };
}

/// One int8 model of the last run: its engine, for drawing and export.
pub struct Int8Engine {
    /// "int8" or "pruned-int8": file names and button ids.
    pub key: &'static str,
    /// What draw-a-digit calls it.
    pub label: &'static str,
    pub test_accuracy: Option<f64>,
    pub runner: RefCell<Int8Runner>,
}

type Int8Engines = Vec<Int8Engine>;

/// The pruned model's sparse engines.
struct SparseEngines {
    cpu: RefCell<SparseRunner>,
    gpu: Option<SparseGpu>,
}

/// What a sweep after the run needs: the GPU it ran on and the timing protocol it used.
#[derive(Clone)]
struct Measured {
    gpu: Option<Gpu>,
    protocol: Protocol,
}

/// A finished model of the last run.
#[derive(Clone)]
pub struct Trained {
    /// "dense", "pruned" or "structured": file names and picture keys.
    pub key: &'static str,
    pub model: Mlp,
    pub weights: MlpWeights,
    pub test_accuracy: Option<f64>,
    /// Structured: the dense model's units it keeps.
    pub kept_units: Option<Vec<usize>>,
}

/// The models a run makes, by key, in the order the page lists them.
const MODELS: [(&str, &str); 5] =
    [("dense", "Dense"), ("pruned", "Pruned (masked)"), ("structured", "Structured"), ("distilled", "Distilled student"), ("scratch", "Small, from scratch")];

/// What the page calls the model `key`.
pub fn label(key: &str) -> &'static str {
    MODELS.iter().find(|(k, _)| *k == key).map_or("Model", |(_, label)| label)
}

/// Where each model's picture goes in the row of choices.
fn picture_order(key: &str) -> usize {
    MODELS.iter().position(|(k, _)| *k == key).unwrap_or(MODELS.len())
}

/// How often the dense model's picture is refreshed while it trains: each refresh is one
/// readback of the first layer, so this bounds what the live view costs the training.
const DENSE_PICTURE_EVERY_MS: f64 = 1000.0;

/// Starts a run unless one is going.
pub fn start(state: AppState) {
    if state.running() {
        return;
    }
    state.report.update(|r| r.state = RunState::Loading);
    spawn_local(run(state));
}

/// What the run does now ("" when nothing): shown on the page, and each stage's wall time is
/// added to the report when the next one begins.
fn set_phase(state: AppState, name: &'static str) {
    let now = page::now_ms();
    if let Some((stage, started)) = state.stage.get_value() {
        state.report.update(|r| r.stages.push(StageTime { stage, wall_ms: now - started }));
    }
    state.stage.set_value((!name.is_empty()).then_some((name, now)));
    state.phase.set(name);
}

fn fail(state: AppState, kind: ErrorKind, message: String) {
    set_phase(state, "");
    state.report.update(|r| {
        r.state = RunState::Error;
        r.error = Some(ErrorReport { kind, message });
    });
}

async fn data(state: AppState) -> Result<Rc<Mnist>, String> {
    if let Some(data) = DATA.with_borrow(|d| d.clone()) {
        return Ok(data);
    }
    let started = page::now_ms();
    state.downloaded.set(Some(0));
    let loaded = download::load_mnist(&mut |bytes| state.downloaded.set(Some(bytes))).await;
    state.downloaded.set(None);
    let (mnist, bytes) = loaded.map_err(|e| e.to_string())?;
    state.report.update(|r| {
        r.data = Some(DataReport { train_images: mnist.train.len(), test_images: mnist.test.len(), downloaded_bytes: bytes, load_ms: page::now_ms() - started })
    });
    let data = Rc::new(mnist);
    DATA.with_borrow_mut(|d| *d = Some(data.clone()));
    Ok(data)
}

struct PageObserver {
    state: AppState,
    /// The run's WebGPU device, when it trains there (the fused step then runs on it).
    gpu: Option<Gpu>,
}

impl Observer for PageObserver {
    fn now_ms(&self) -> f64 {
        page::now_ms()
    }
    fn cancelled(&self) -> bool {
        self.state.cancel.get_untracked() || backend::device_lost().is_some()
    }
    fn progress(&mut self, progress: Progress) {
        self.state.progress.set(Some(progress));
    }
    fn loss(&mut self, point: LossPoint) {
        self.state.losses.update(|l| l.push(point));
    }
    fn validation_loss(&mut self, point: LossPoint) {
        self.state.val_losses.update(|l| l.push(point));
    }
    fn epoch_done(&mut self, _epoch: usize, test_accuracy: f64) {
        self.state.accuracies.update(|a| a.push(test_accuracy));
    }
    async fn yield_now(&mut self) {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    fn phase(&mut self, name: &'static str) {
        set_phase(self.state, name);
        self.state.chart_phase.set(name);
        self.state.losses.set(Vec::new());
        self.state.val_losses.set(Vec::new());
        self.state.accuracies.set(Vec::new());
        self.state.progress.set(None);
    }
    async fn fused_trainer(&mut self, layout: Layout, params: Vec<f32>) -> Result<Trainer, String> {
        match &self.gpu {
            Some(gpu) => Ok(Trainer::Gpu(Box::new(FusedGpu::new(gpu, layout, &params).await?))),
            None => Ok(Trainer::Cpu(FusedCpu::new(layout, params))),
        }
    }
    fn snapshot(&mut self, snapshot: Snapshot) {
        let model = snapshot.model;
        self.state.pictures.update(|pictures| {
            pictures.retain(|p| p.model != model);
            pictures.push(Arc::new(snapshot));
            pictures.sort_by_key(|p| picture_order(p.model));
        });
        // The view follows the run; the reader can look at another model once it is done.
        self.state.shown_picture.set(model);
    }
}

struct PageClock;

impl Clock for PageClock {
    fn now_ms(&self) -> f64 {
        page::now_ms()
    }
    async fn pause(&self) {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
}

/// `performance.now()`'s step, read by sampling it until it has ticked a few times.
fn timer() -> TimerReport {
    let mut readings = Vec::with_capacity(1 << 16);
    let start = page::now_ms();
    while readings.len() < 1 << 16 && page::now_ms() - start < 5.0 {
        readings.push(page::now_ms());
    }
    let isolated = web_sys::window().and_then(|w| js_sys::Reflect::get(&w, &"crossOriginIsolated".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false);
    TimerReport { resolution_ms: timer_resolution_ms(&readings), cross_origin_isolated: isolated }
}

/// Latency of every column on the training backend (when it is WebGPU) and on the CPU.
async fn measure_latency(state: AppState, columns: &mut [&mut Column], data: &Mnist, backend: Backend, gpu: &Device, protocol: Protocol) -> Result<(), String> {
    let cpu = Device::flex();
    for column in columns.iter_mut() {
        if state.cancel.get_untracked() {
            return Ok(());
        }
        if backend == Backend::Webgpu {
            column.report.latency.webgpu = Some(compare::timings(&column.weights, data, gpu, protocol, &PageClock).await?);
        }
        column.report.latency.cpu = Some(compare::timings(&column.weights, data, &cpu, protocol, &PageClock).await?);
    }
    Ok(())
}

async fn run(state: AppState) {
    let settings = state.settings.get_untracked();
    let config = settings.training.clone();
    state.cancel.set(false);
    state.progress.set(None);
    state.losses.set(Vec::new());
    state.val_losses.set(Vec::new());
    state.accuracies.set(Vec::new());
    state.pictures.set(Vec::new());
    state.exportable.set(false);
    TRAINED.with_borrow_mut(Vec::clear);
    SPARSE.with_borrow_mut(|s| *s = None);
    INT8.with_borrow_mut(|e| *e = Rc::new(Vec::new()));
    LAST_RUN.with_borrow_mut(|m| *m = None);
    state.report.update(|r| r.restart(config.clone()));

    set_phase(state, "starting the device");
    let picked = backend::pick(settings.backend).await;
    state.report.update(|r| {
        r.backend = Some(picked.backend);
        r.adapter = Some(picked.adapter.clone());
        r.fallback_reason = picked.fallback_reason.clone();
    });

    set_phase(state, "loading MNIST");
    let data = match data(state).await {
        Ok(data) => data,
        Err(message) => return fail(state, ErrorKind::Data, message),
    };

    state.report.update(|r| r.state = RunState::Training);
    let mut observer = PageObserver { state, gpu: picked.gpu.clone() };
    if settings.check_engine {
        set_phase(state, "checking the fused step against autodiff");
        let t = &settings.training;
        match check_engine(t.hidden, &data.train, t.seed, t.batch, t.lr, &picked.device, &mut observer).await {
            Ok(check) => state.report.update(|r| r.engine_check = Some(check)),
            Err(e) => return fail(state, ErrorKind::Device, format!("the fused-step check failed: {e}")),
        }
        if let Some(gpu) = &picked.gpu {
            let profile = profile_step(gpu, t, &data.train, &picked.device).await;
            state.report.update(|r| r.engine_profile = Some(profile));
        }
    }
    observer.phase("training the dense model");
    match pipeline(state, &settings, &data, &picked, &mut observer).await {
        Ok(finish) => state.report.update(|r| {
            r.state = match finish {
                Finish::Completed => RunState::Done,
                Finish::Cancelled => RunState::Cancelled,
            }
        }),
        Err(message) => fail(state, ErrorKind::Device, message),
    }
    set_phase(state, "");
}

/// One fused WebGPU step of a fresh model, kernel by kernel, after a warm-up step.
async fn profile_step(gpu: &Gpu, config: &crate::train::TrainingConfig, train: &crate::data::Split, device: &Device) -> StepProfile {
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
        Ok(kernels) => profile.kernels = kernels.into_iter().map(|(kernel, ms)| KernelTime { kernel, ms }).collect(),
        Err(e) => profile.error = Some(e),
    }
    profile
}

/// Dense training, pruning, latency; each result lands in the report as soon as it exists.
async fn pipeline(state: AppState, settings: &Settings, data: &Mnist, picked: &backend::Picked, observer: &mut PageObserver) -> Result<Finish, String> {
    let config = &settings.training;
    let mut watch = WatchWeights::new(DENSE_PICTURE_EVERY_MS);
    let trained = train::train_with(config, &data.train, &data.test, &picked.device, observer, &mut watch).await.map_err(|e| e.to_string())?;
    let lost = || backend::device_lost().map(|m| format!("the GPU device was lost ({m}). Train again to continue on the CPU."));
    let accuracy = trained.report.test_accuracy.final_;
    let finish = trained.finish;
    state.report.update(|r| r.train = Some(trained.report));
    if let Some(message) = lost() {
        return Err(message);
    }
    let mut dense = compare::column(trained.model, accuracy).await.map_err(|e| e.to_string())?;
    let note = if finish == Finish::Cancelled { "cancelled" } else { "trained" };
    observer.snapshot(Snapshot { model: "dense", note: note.into(), layer: FirstLayer::dense(&dense.weights) });
    state.report.update(|r| r.dense = accuracy.map(|_| dense.report.clone()));
    if finish == Finish::Cancelled {
        return Ok(finish);
    }

    let mut pruned = None;
    if settings.pruning.prune != PruneMethod::None {
        let result = compare::prune(&dense, config, &settings.pruning, data, &picked.device, observer).await.map_err(|e| e.to_string())?;
        if let Some(message) = lost() {
            return Err(message);
        }
        state.report.update(|r| {
            r.pruned = result.unstructured.as_ref().map(|c| c.report.clone());
            r.structured = result.structured.as_ref().map(|c| c.report.clone());
            r.prune = Some(result.report.clone());
        });
        if result.finish == Finish::Cancelled {
            return Ok(Finish::Cancelled);
        }
        pruned = Some(result);
    }
    let mut students = None;
    let kept = pruned.as_ref().and_then(|p| p.kept_units.clone());
    if let (Some(kept), true) = (kept, settings.pruning.distill && settings.pruning.finetune_epochs > 0) {
        let result = compare::students(&dense, &kept, config, &settings.pruning, data, &picked.device, observer).await.map_err(|e| e.to_string())?;
        if let Some(message) = lost() {
            return Err(message);
        }
        state.report.update(|r| {
            r.distilled = Some(result.distilled.report.clone());
            r.scratch = result.scratch.as_ref().map(|c| c.report.clone());
            r.distill = Some(result.report.clone());
        });
        if result.finish == Finish::Cancelled {
            return Ok(Finish::Cancelled);
        }
        students = Some(result);
    }

    // Not a training phase: the charts keep showing the last training.
    set_phase(state, "measuring inference latency");
    let (mut unstructured, mut structured, kept_units) = pruned.map(|p| (p.unstructured, p.structured, p.kept_units)).unwrap_or((None, None, None));
    let timer = timer();
    state.report.update(|r| r.timer = Some(timer));
    // An unknown resolution is planned for as the coarsest browsers give (1 ms), never shown as measured.
    let protocol = Protocol::for_resolution(timer.resolution_ms.unwrap_or(1.0));
    let (mut distilled, mut scratch) = students.map(|s| (Some(s.distilled), s.scratch)).unwrap_or((None, None));
    let mut columns: Vec<&mut Column> =
        std::iter::once(&mut dense).chain(unstructured.as_mut()).chain(structured.as_mut()).chain(distilled.as_mut()).chain(scratch.as_mut()).collect();
    measure_latency(state, &mut columns, data, picked.backend, &picked.device, protocol).await?;
    state.report.update(|r| {
        r.dense = Some(dense.report.clone());
        r.pruned = unstructured.as_ref().map(|c| c.report.clone());
        r.structured = structured.as_ref().map(|c| c.report.clone());
        r.distilled = distilled.as_ref().map(|c| c.report.clone());
        r.scratch = scratch.as_ref().map(|c| c.report.clone());
    });
    if let Some(pruned) = unstructured.as_ref().filter(|_| !state.cancel.get_untracked()) {
        set_phase(state, "running the pruned model on sparse kernels");
        let (report, column, engines) = sparse_column(pruned, data, picked, protocol).await;
        state.report.update(|r| {
            r.sparse = Some(report);
            r.pruned_sparse = column;
        });
        SPARSE.with_borrow_mut(|s| *s = engines.map(Rc::new));
    }
    if settings.quantize == Quantize::Int8 && !state.cancel.get_untracked() {
        set_phase(state, "quantizing to int8");
        let (report, engines) = int8_columns(state, &dense, unstructured.as_ref(), data, picked.gpu.as_ref(), protocol).await;
        state.report.update(|r| r.quant = Some(report));
        INT8.with_borrow_mut(|e| *e = Rc::new(engines));
    }
    let measured = Measured { gpu: picked.gpu.clone(), protocol };
    LAST_RUN.with_borrow_mut(|m| *m = Some(measured.clone()));
    let finished = |key, c: Column, kept_units| Trained { key, test_accuracy: c.report.test_accuracy, model: c.model, weights: c.weights, kept_units };
    TRAINED.with_borrow_mut(|models| {
        *models = std::iter::once(finished("dense", dense, None))
            .chain(unstructured.map(|c| finished("pruned", c, None)))
            .chain(structured.map(|c| finished("structured", c, kept_units.clone())))
            .chain(distilled.map(|c| finished("distilled", c, kept_units)))
            .chain(scratch.map(|c| finished("scratch", c, None)))
            .collect()
    });
    state.exportable.set(true);
    if settings.sweep && !state.cancel.get_untracked() {
        sweep(state, data, &measured).await;
    }
    Ok(if state.cancel.get_untracked() { Finish::Cancelled } else { Finish::Completed })
}

/// The pruned model on the sparse kernels: first that they compute what the masked dense model
/// computes (every test image, on each backend), then their latency. A failure here is reported
/// in the sparse section and leaves the rest of the run standing.
async fn sparse_column(
    pruned: &Column,
    data: &Mnist,
    picked: &backend::Picked,
    protocol: Protocol,
) -> (SparseReport, Option<ModelReport>, Option<SparseEngines>) {
    let mut report = SparseReport { layout: CSR_LAYOUT, ..SparseReport::default() };
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
        latency.cpu = Some(compare::host_timings(&mut runner, data, protocol, &PageClock).await?);
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
        let all: Vec<usize> = (0..data.test.len()).collect();
        let sparse = engine.logits(&data.test.inputs(&all), 1000).await?;
        report.agreement_webgpu = Some(agreement::compare(&sparse, &dense, CLASSES));
        latency.webgpu = Some(engine.timings(&data.test, protocol, &PageClock).await?);
        gpu_engine = Some(engine);
        Ok(())
    }
    .await;
    report.error = [cpu.err().map(|e| format!("CPU: {e}")), gpu.err().map(|e| format!("WebGPU: {e}"))].into_iter().flatten().reduce(|a, b| format!("{a}; {b}"));
    let column = ModelReport { latency, ..pruned.report.clone() };
    (report, Some(column), Some(SparseEngines { cpu: RefCell::new(runner), gpu: gpu_engine }))
}

/// The dense model, and the pruned one when there is one (on the sparse layout), in int8: each
/// column lands in the report as soon as it is measured. A failure is reported in the
/// quantization section and leaves the rest of the run standing.
async fn int8_columns(
    state: AppState,
    dense: &Column,
    pruned: Option<&Column>,
    data: &Mnist,
    gpu: Option<&Gpu>,
    protocol: Protocol,
) -> (QuantReport, Int8Engines) {
    let images = data.train.inputs(&(0..CALIBRATION_IMAGES.min(data.train.len())).collect::<Vec<_>>());
    let mut report = QuantReport { scheme: crate::quant::SCHEME, dense: None, pruned: None, error: None };
    let mut engines = Vec::new();
    for (source, sparse) in std::iter::once((dense, false)).chain(pruned.map(|p| (p, true))) {
        if state.cancel.get_untracked() {
            break;
        }
        // Each model's own activations set its ranges.
        let calibration = Calibration::measure(&source.weights, &images);
        let measured = async {
            let mut column = compare::int8_column(source, &calibration, sparse, data).await?;
            column.report.latency.cpu = Some(compare::host_timings(&mut column.runner, data, protocol, &PageClock).await?);
            // On WebGPU too, when the run has it: checked against the CPU engine, then timed.
            if let Some(gpu) = gpu {
                let engine = Int8Gpu::new(gpu, &column.runner.model).await?;
                let all: Vec<usize> = (0..data.test.len()).collect();
                let logits = engine.logits(&data.test.inputs(&all), 1000).await?;
                let agreement = agreement::compare(&logits, &column.logits, CLASSES);
                let dot_product = engine.dot4.map_or("one i32 product per stored code (sparse)", Dot4::describe);
                column.check.webgpu = Some(Int8GpuCheck { dot_product, agreement, identical: logits == column.logits });
                column.report.latency.webgpu = Some(engine.timings(&data.test, protocol, &PageClock).await?);
            }
            Ok::<_, String>(column)
        };
        match measured.await {
            Ok(column) => {
                let (key, label) = if sparse { ("pruned-int8", "Pruned + int8 (CPU)") } else { ("int8", "Dense, int8 (CPU)") };
                let test_accuracy = column.report.test_accuracy;
                state.report.update(|r| *(if sparse { &mut r.pruned_int8 } else { &mut r.int8 }) = Some(column.report));
                *(if sparse { &mut report.pruned } else { &mut report.dense }) = Some(column.check);
                engines.push(Int8Engine { key, label, test_accuracy, runner: RefCell::new(column.runner) });
            }
            Err(e) => {
                report.error = Some(format!("{}: {e}", if sparse { "pruned + int8" } else { "int8" }));
                break;
            }
        }
    }
    (report, engines)
}

/// Starts the dense vs sparse sweep on the last run's dense model, unless something runs.
pub fn start_sweep(state: AppState) {
    let (Some(measured), Some(data)) = (LAST_RUN.with_borrow(Clone::clone), DATA.with_borrow(Clone::clone)) else {
        return;
    };
    if state.running() {
        return;
    }
    state.cancel.set(false);
    spawn_local(async move {
        sweep(state, &data, &measured).await;
        set_phase(state, "");
    });
}

/// Dense vs sparse latency across [`SWEEP_SPARSITIES`], on the CPU and (when the run had it)
/// WebGPU, at batch 1 and 1024. The dense kernel's work does not depend on the weights' values,
/// so its figure is the dense column's, timed with the same protocol on the same images.
async fn sweep(state: AppState, data: &Mnist, measured: &Measured) {
    let Some(dense) = trained_model("dense") else {
        return;
    };
    let Some(dense_latency) = state.report.with_untracked(|r| r.dense.as_ref().map(|d| d.latency)) else {
        return;
    };
    let backends: Vec<(Backend, BatchTimings)> =
        [(Backend::Cpu, dense_latency.cpu), (Backend::Webgpu, dense_latency.webgpu.filter(|_| measured.gpu.is_some()))]
            .into_iter()
            .filter_map(|(b, t)| t.map(|t| (b, t)))
            .collect();
    set_phase(state, "sweeping sparsity");
    let total = SWEEP_SPARSITIES.len() * backends.len();
    state.sweep_progress.set(Some((0, total)));
    let mut sparse: Vec<Vec<BatchTimings>> = vec![Vec::new(); backends.len()];
    let mut failure = None;
    'sweep: for (done, &sparsity) in SWEEP_SPARSITIES.iter().enumerate() {
        let weights = thresholded(&dense.weights, sparsity);
        let model = match SparseMlp::new(&weights) {
            Ok(model) => model,
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        };
        for (i, (backend, _)) in backends.iter().enumerate() {
            if state.cancel.get_untracked() {
                break 'sweep;
            }
            let timings = match (backend, &measured.gpu) {
                (Backend::Webgpu, Some(gpu)) => match SparseGpu::new(gpu, &model).await {
                    Ok(engine) => engine.timings(&data.test, measured.protocol, &PageClock).await,
                    Err(e) => Err(e),
                },
                _ => compare::host_timings(&mut SparseRunner::new(model.clone()), data, measured.protocol, &PageClock).await,
            };
            match timings {
                Ok(t) => sparse[i].push(t),
                Err(e) => {
                    failure = Some(e);
                    break 'sweep;
                }
            }
            state.sweep_progress.set(Some((done * backends.len() + i + 1, total)));
        }
    }
    let points = sparse.iter().map(Vec::len).min().unwrap_or(0);
    let sparsities = SWEEP_SPARSITIES[..points].to_vec();
    let series = backends
        .iter()
        .zip(&sparse)
        .flat_map(|((backend, dense), sparse)| {
            [(1, dense.b1, sparse.iter().map(|t| t.b1).collect::<Vec<_>>()), (1024, dense.b1024, sparse.iter().map(|t| t.b1024).collect())].map(
                |(batch, dense, mut sparse)| {
                    sparse.truncate(points);
                    SweepSeries { backend: *backend, batch, dense, crossover: crossover(&sparsities, &dense, &sparse), sparse }
                },
            )
        })
        .collect();
    let cancelled = points < SWEEP_SPARSITIES.len();
    state.report.update(|r| {
        let sparse = r.sparse.get_or_insert_with(|| SparseReport { layout: CSR_LAYOUT, ..SparseReport::default() });
        sparse.sweep = Some(SweepReport { sparsities, series, cancelled });
        if let Some(e) = failure {
            sparse.error = Some(format!("the sweep stopped: {e}"));
        }
    });
    state.sweep_progress.set(None);
}

/// One model's answer for a drawn digit.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub model: &'static str,
    pub probabilities: Vec<f32>,
    pub top: usize,
    /// Upload, forward pass and awaited readback of this one image.
    pub latency_ms: f64,
}

/// A prediction from logits.
fn prediction(model: &'static str, logits: &[f32], latency_ms: f64) -> Prediction {
    let probabilities = crate::digit::softmax(logits);
    Prediction { model, top: agreement::argmax(&probabilities), probabilities, latency_ms }
}

/// Every trained model's prediction for one 28 × 28 input, each timed on its own device, then
/// the pruned model's on the sparse kernels (CPU, and WebGPU when the run used it).
pub async fn predict(input: Vec<f32>) -> Result<Vec<Prediction>, String> {
    let models: Vec<(&'static str, Mlp)> = TRAINED.with_borrow(|m| m.iter().map(|t| (label(t.key), t.model.clone())).collect());
    let mut out = Vec::with_capacity(models.len() + 2);
    for (name, model) in models {
        let device = model.hidden.weight.device();
        let started = page::now_ms();
        let image = burn::tensor::Tensor::<2>::from_data(burn::tensor::TensorData::new(input.clone(), [1, crate::data::IMAGE_PIXELS]), &device);
        let logits = model.forward(image).into_data_async().await.map_err(|e| format!("{e:?}"))?;
        let latency_ms = page::now_ms() - started;
        out.push(prediction(name, &logits.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?, latency_ms));
    }
    if let Some(sparse) = SPARSE.with_borrow(Clone::clone) {
        let started = page::now_ms();
        let logits = sparse.cpu.borrow_mut().run(&input, 1).to_vec();
        out.push(prediction("Pruned, sparse kernel (CPU)", &logits, page::now_ms() - started));
        if let Some(gpu) = &sparse.gpu {
            let started = page::now_ms();
            let batch = gpu.prepare(&input, 1).await?;
            gpu.submit(&batch);
            let logits = gpu.read(&batch).await?;
            out.push(prediction("Pruned, sparse kernel (WebGPU)", &logits, page::now_ms() - started));
        }
    }
    for engine in INT8.with_borrow(Clone::clone).iter() {
        let started = page::now_ms();
        let logits = engine.runner.borrow_mut().run(&input, 1).to_vec();
        out.push(prediction(engine.label, &logits, page::now_ms() - started));
    }
    Ok(out)
}

pub fn has_trained_models() -> bool {
    TRAINED.with_borrow(|m| !m.is_empty())
}

/// The keys of the last run's finished models, in order.
pub fn trained_keys() -> Vec<&'static str> {
    TRAINED.with_borrow(|m| m.iter().map(|t| t.key).collect())
}

/// The last run's int8 models (for export).
pub fn int8_models() -> Rc<Int8Engines> {
    INT8.with_borrow(Clone::clone)
}

/// The last run's finished model `key` (for export).
pub fn trained_model(key: &str) -> Option<Trained> {
    TRAINED.with_borrow(|m| m.iter().find(|t| t.key == key).cloned())
}
