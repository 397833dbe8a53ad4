//! The engine: a run of the pipeline (device, MNIST, training, pruning, latency), the sparsity
//! sweep, draw-a-digit's inference and export. It takes [`Command`]s and is heard only through
//! [`Event`]s, and it keeps what a run made (the data, the models, their engines) for the
//! commands that come after it. Nothing in it is global: the page owns one `Engine`.

#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod compare;
pub mod host;
mod infer;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
mod pattern;
mod run;
mod study;
mod sweep;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

pub use self::host::{Host, Picked};
use crate::data::Mnist;
use crate::kernels::gpu::Gpu;
use crate::kernels::int8::Int8Runner;
use crate::kernels::sparse::SparseRunner;
use crate::kernels::sparse::gpu::SparseGpu;
use crate::measure::latency::Protocol;
use crate::model::Mlp;
use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::protocol::messages::{Command, Event};
use crate::protocol::report::{Report, RunState, StageTime};
use crate::protocol::settings::Settings;
use crate::train::config::TrainingConfig;

/// One int8 model of the last run, with its engine.
struct Int8Kernels {
    kind: ModelKind,
    test_accuracy: Option<f64>,
    runner: RefCell<Int8Runner>,
}

/// The pruned model's sparse engines.
struct SparseKernels {
    cpu: RefCell<SparseRunner>,
    gpu: Option<SparseGpu>,
}

/// What a sweep after the run needs: the GPU it ran on and the timing protocol it used.
#[derive(Clone)]
struct Measured {
    gpu: Option<Gpu>,
    protocol: Protocol,
}

/// A finished float model of the last run.
struct FinishedModel {
    kind: ModelKind,
    model: Mlp,
    weights: MlpWeights,
    test_accuracy: Option<f64>,
    /// Structured and distilled: the dense model's units they keep.
    kept_units: Option<Vec<usize>>,
}

/// What the last finished run made, for drawing, export, the sweep and the pattern study.
struct LastRun {
    trained: Vec<FinishedModel>,
    sparse: Option<SparseKernels>,
    int8: Vec<Int8Kernels>,
    measured: Measured,
    /// What the run was asked, and the device it ran on: the pattern study fine-tunes alike.
    settings: Settings,
    picked: Picked,
}

impl LastRun {
    fn kinds(&self) -> Vec<ModelKind> {
        self.trained.iter().map(|t| t.kind).chain(self.int8.iter().map(|e| e.kind)).collect()
    }

    fn trained(&self, kind: ModelKind) -> Option<&FinishedModel> {
        self.trained.iter().find(|t| t.kind == kind)
    }
}

/// How often a stage without cancel checks of its own looks at the Cancel flag.
const CANCEL_POLL_MS: u32 = 20;

pub struct Engine<H: Host> {
    host: H,
    emit: Box<dyn Fn(Event)>,
    report: RefCell<Report>,
    cancel: Cell<bool>,
    /// A run or a sweep is going.
    busy: Cell<bool>,
    /// The stage under way and when it began (page clock), for the report's stage times.
    stage: Cell<Option<(&'static str, f64)>>,
    /// Downloaded once per page: a retry after a training failure does not download again.
    data: RefCell<Option<Rc<Mnist>>>,
    last: RefCell<Option<Rc<LastRun>>>,
    /// The dense training's last weights read back before its GPU device was lost: a retry of the
    /// same training goes on from them (on the CPU) instead of starting over.
    checkpoint: RefCell<Option<(TrainingConfig, crate::train::Checkpoint)>>,
}

impl<H: Host> Engine<H> {
    /// An engine on `host` that tells `emit` everything it does.
    pub fn new(host: H, emit: impl Fn(Event) + 'static) -> Rc<Self> {
        Rc::new(Engine {
            host,
            emit: Box::new(emit),
            report: RefCell::new(Report::new(TrainingConfig::new(), Vec::new())),
            cancel: Cell::new(false),
            busy: Cell::new(false),
            stage: Cell::new(None),
            data: RefCell::new(None),
            last: RefCell::new(None),
            checkpoint: RefCell::new(None),
        })
    }

    pub fn handle(self: &Rc<Self>, command: Command) {
        match command {
            Command::Start(settings) => {
                if self.busy.replace(true) {
                    return;
                }
                self.cancel.set(false);
                *self.last.borrow_mut() = None;
                self.emit(Event::Models(Vec::new()));
                self.update(|r| {
                    r.restart(settings.training.clone());
                    r.state = RunState::Loading;
                });
                let engine = self.clone();
                self.host.spawn(async move {
                    run::run(&engine, &settings).await;
                    engine.busy.set(false);
                });
            }
            Command::Cancel => self.cancel.set(true),
            Command::Sweep => self.after_run(|engine, data, last| async move { sweep::sweep(&engine, &data, &last).await }),
            Command::Study => self.after_run(|engine, data, last| async move { run::study_after(&engine, &data, &last).await }),
            Command::Infer(image) => {
                let last = self.last.borrow().clone();
                let engine = self.clone();
                self.host.spawn(async move {
                    let answers = match last {
                        Some(last) => infer::predict(&engine.host, &last, image).await,
                        None => Err("train the models first".into()),
                    };
                    engine.emit(Event::Predictions(answers));
                });
            }
            Command::Export { model, format, settings } => {
                let file = match self.last.borrow().as_ref() {
                    Some(last) => infer::export(last, model, format, &settings),
                    None => Err("the model is gone; train again".into()),
                };
                self.emit(Event::File(file));
            }
        }
    }

    /// Runs `task` on the last run's models and data, unless there are none or something else
    /// runs; it may be cancelled, and the phase is cleared when it ends.
    fn after_run<F: Future<Output = ()> + 'static>(self: &Rc<Self>, task: impl FnOnce(Rc<Self>, Rc<Mnist>, Rc<LastRun>) -> F) {
        let Some(last) = self.last.borrow().clone() else { return };
        let Some(data) = self.data.borrow().clone() else { return };
        if self.busy.replace(true) {
            return;
        }
        self.cancel.set(false);
        let (engine, work) = (self.clone(), task(self.clone(), data, last));
        self.host.spawn(async move {
            work.await;
            engine.set_phase("");
            engine.busy.set(false);
        });
    }

    fn emit(&self, event: Event) {
        (self.emit)(event)
    }

    fn cancelled(&self) -> bool {
        self.cancel.get()
    }

    /// `work`, unless Cancel comes first: then `None`, and `work` is dropped where it stands (at
    /// one of its awaits). Stages without cancel checks of their own (the download, latency
    /// windows, the sparse and int8 checks) so stop within a poll of the click, not at their end.
    async fn unless_cancelled<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        let watch = async {
            while !self.cancelled() {
                self.host.sleep(CANCEL_POLL_MS).await;
            }
            None
        };
        futures_lite::future::or(async { Some(work.await) }, watch).await
    }

    /// Changes the report and sends the page the new one.
    fn update(&self, change: impl FnOnce(&mut Report)) {
        let report = {
            let mut report = self.report.borrow_mut();
            change(&mut report);
            report.clone()
        };
        self.emit(Event::Report(Box::new(report)));
    }

    fn read<T>(&self, f: impl FnOnce(&Report) -> T) -> T {
        f(&self.report.borrow())
    }

    /// What the run does now ("" when nothing): each stage's wall time is added to the report
    /// when the next one begins.
    fn set_phase(&self, name: &'static str) {
        self.phase(name, false);
    }

    fn phase(&self, name: &'static str, training: bool) {
        let now = self.host.now_ms();
        if let Some((stage, started)) = self.stage.get() {
            self.update(|r| r.stages.push(StageTime { stage: stage.into(), wall_ms: now - started }));
        }
        self.stage.set((!name.is_empty()).then_some((name, now)));
        self.emit(Event::Phase { name: name.into(), training });
    }
}
