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
use crate::latency::{timer_resolution_ms, Clock, Protocol};
use crate::model::Mlp;
use crate::report::{Backend, DataReport, ErrorKind, ErrorReport, LossPoint, Report, RunState, TimerReport};
use crate::prune::weights::MlpWeights;
use crate::settings::{PruneMethod, Settings};
use crate::tiles::{FirstLayer, Snapshot};
use crate::train::{self, Finish, Observer, Progress, WatchWeights};
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
}

impl AppState {
    pub fn new(settings: Settings, notices: Vec<String>) -> Self {
        AppState {
            report: RwSignal::new(Report::new(settings.training.clone(), notices)),
            settings: RwSignal::new(settings),
            downloaded: RwSignal::new(None),
            progress: RwSignal::new(None),
            losses: RwSignal::new(Vec::new()),
            accuracies: RwSignal::new(Vec::new()),
            phase: RwSignal::new(""),
            chart_phase: RwSignal::new(""),
            cancel: RwSignal::new(false),
            pictures: RwSignal::new(Vec::new()),
            shown_picture: RwSignal::new("dense"),
            exportable: RwSignal::new(false),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.report.with(|r| r.state), RunState::Loading | RunState::Training)
    }
}

thread_local! {
    // Downloaded once per page; a retry after a training failure does not download again.
    static DATA: RefCell<Option<Rc<Mnist>>> = const { RefCell::new(None) };
    // The last run's finished models, kept for drawing and export.
    static TRAINED: RefCell<Vec<Trained>> = const { RefCell::new(Vec::new()) };
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
const MODELS: [(&str, &str); 3] = [("dense", "Dense"), ("pruned", "Pruned (masked)"), ("structured", "Structured")];

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

fn fail(state: AppState, kind: ErrorKind, message: String) {
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
        r.data = Some(DataReport {
            train_images: mnist.train.len(),
            test_images: mnist.test.len(),
            downloaded_bytes: bytes,
            load_ms: page::now_ms() - started,
        })
    });
    let data = Rc::new(mnist);
    DATA.with_borrow_mut(|d| *d = Some(data.clone()));
    Ok(data)
}

struct PageObserver {
    state: AppState,
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
    fn epoch_done(&mut self, _epoch: usize, test_accuracy: f64) {
        self.state.accuracies.update(|a| a.push(test_accuracy));
    }
    async fn yield_now(&mut self) {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    fn phase(&mut self, name: &'static str) {
        self.state.phase.set(name);
        self.state.chart_phase.set(name);
        self.state.losses.set(Vec::new());
        self.state.accuracies.set(Vec::new());
        self.state.progress.set(None);
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
    let isolated = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"crossOriginIsolated".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    TimerReport { resolution_ms: timer_resolution_ms(&readings).unwrap_or(0.1), cross_origin_isolated: isolated }
}

/// Latency of every column on the training backend (when it is WebGPU) and on the CPU.
async fn measure_latency(state: AppState, columns: &mut [&mut Column], data: &Mnist, backend: Backend, gpu: &Device) -> Result<(), String> {
    let timer = timer();
    state.report.update(|r| r.timer = Some(timer));
    let protocol = Protocol::for_resolution(timer.resolution_ms);
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
    state.accuracies.set(Vec::new());
    state.pictures.set(Vec::new());
    state.exportable.set(false);
    TRAINED.with_borrow_mut(Vec::clear);
    state.report.update(|r| {
        r.state = RunState::Loading;
        r.config = config.clone();
        r.error = None;
        r.train = None;
        r.dense = None;
        r.pruned = None;
        r.structured = None;
        r.prune = None;
        r.timer = None;
    });

    let picked = backend::pick(settings.backend).await;
    state.report.update(|r| {
        r.backend = Some(picked.backend);
        r.adapter = Some(picked.adapter.clone());
        r.fallback_reason = picked.fallback_reason.clone();
    });

    let data = match data(state).await {
        Ok(data) => data,
        Err(message) => return fail(state, ErrorKind::Data, message),
    };

    state.report.update(|r| r.state = RunState::Training);
    let mut observer = PageObserver { state };
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
    state.phase.set("");
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

    // Not a training phase: the charts keep showing the last training.
    state.phase.set("measuring inference latency");
    let (mut unstructured, mut structured, kept_units) = pruned.map(|p| (p.unstructured, p.structured, p.kept_units)).unwrap_or((None, None, None));
    let mut columns: Vec<&mut Column> = std::iter::once(&mut dense).chain(unstructured.as_mut()).chain(structured.as_mut()).collect();
    measure_latency(state, &mut columns, data, picked.backend, &picked.device).await?;
    state.report.update(|r| {
        r.dense = Some(dense.report.clone());
        r.pruned = unstructured.as_ref().map(|c| c.report.clone());
        r.structured = structured.as_ref().map(|c| c.report.clone());
    });
    let finished = |key, c: Column, kept_units| Trained { key, test_accuracy: c.report.test_accuracy, model: c.model, weights: c.weights, kept_units };
    TRAINED.with_borrow_mut(|models| {
        *models = std::iter::once(finished("dense", dense, None))
            .chain(unstructured.map(|c| finished("pruned", c, None)))
            .chain(structured.map(|c| finished("structured", c, kept_units)))
            .collect()
    });
    state.exportable.set(true);
    Ok(if state.cancel.get_untracked() { Finish::Cancelled } else { Finish::Completed })
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

/// Every trained model's prediction for one 28 × 28 input, each timed on its own device.
pub async fn predict(input: Vec<f32>) -> Result<Vec<Prediction>, String> {
    let models: Vec<(&'static str, Mlp)> = TRAINED.with_borrow(|m| m.iter().map(|t| (label(t.key), t.model.clone())).collect());
    let mut out = Vec::with_capacity(models.len());
    for (name, model) in models {
        let device = model.hidden.weight.device();
        let started = page::now_ms();
        let image = burn::tensor::Tensor::<2>::from_data(burn::tensor::TensorData::new(input.clone(), [1, crate::data::IMAGE_PIXELS]), &device);
        let logits = model.forward(image).into_data_async().await.map_err(|e| format!("{e:?}"))?;
        let latency_ms = page::now_ms() - started;
        let logits = logits.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?;
        let probabilities = crate::digit::softmax(&logits);
        let top = probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
        out.push(Prediction { model: name, probabilities, top, latency_ms });
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

/// The last run's finished model `key` (for export).
pub fn trained_model(key: &str) -> Option<Trained> {
    TRAINED.with_borrow(|m| m.iter().find(|t| t.key == key).cloned())
}
