//! One run of the page: pick the backend, load MNIST (once), train, report. Runs as a local
//! task so the page stays responsive; every outcome, including failure, lands in the report.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::data::Mnist;
use crate::model::Mlp;
use crate::report::{DataReport, ErrorKind, ErrorReport, LossPoint, ModelReport, Report, RunState};
use crate::settings::Settings;
use crate::train::{self, Finish, Observer, Progress};
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
    pub cancel: RwSignal<bool>,
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
            cancel: RwSignal::new(false),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.report.with(|r| r.state), RunState::Loading | RunState::Training)
    }
}

thread_local! {
    // Downloaded once per page; a retry after a training failure does not download again.
    static DATA: RefCell<Option<Rc<Mnist>>> = const { RefCell::new(None) };
    // The last trained model, kept for inference and pruning.
    static TRAINED: RefCell<Option<Mlp>> = const { RefCell::new(None) };
}

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
}

async fn run(state: AppState) {
    let settings = state.settings.get_untracked();
    let config = settings.training.clone();
    state.cancel.set(false);
    state.progress.set(None);
    state.losses.set(Vec::new());
    state.accuracies.set(Vec::new());
    state.report.update(|r| {
        r.state = RunState::Loading;
        r.config = config.clone();
        r.error = None;
        r.train = None;
        r.dense = None;
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
    let trained = train::train(&config, &data.train, &data.test, &picked.device, &mut observer).await;
    match trained {
        Ok(trained) => {
            let lost = backend::device_lost();
            let accuracy = trained.report.test_accuracy.final_;
            state.report.update(|r| {
                r.train = Some(trained.report);
                r.dense = accuracy.map(|a| ModelReport::dense(config.hidden, Some(a)));
                r.state = match trained.finish {
                    Finish::Completed => RunState::Done,
                    Finish::Cancelled => RunState::Cancelled,
                };
            });
            if let Some(message) = lost {
                return fail(state, ErrorKind::Device, format!("the GPU device was lost during training ({message}). Train again to continue on the CPU."));
            }
            TRAINED.with_borrow_mut(|m| *m = Some(trained.model));
        }
        Err(e) => fail(state, ErrorKind::Device, e.to_string()),
    }
}
