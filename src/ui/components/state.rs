//! The view's state: what the components show, built only from the engine's [`Event`]s, and the
//! one way to reach the engine, [`AppState::send`].

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use crate::model::kind::ModelKind;
use crate::protocol::messages::{Command, Event, Prediction};
use crate::protocol::report::{ErrorKind, ErrorReport, Report, RunState, Text};
use crate::protocol::settings::Settings;
use crate::prune::tiles::Snapshot;
use crate::train::report::LossPoint;
use crate::train::report::Progress;
use crate::web::save::save_file;

type Sender = Rc<dyn Fn(Command)>;

/// Everything the components show; signals are `Copy`, so the state is too.
#[derive(Clone, Copy)]
pub struct AppState {
    pub settings: RwSignal<Settings>,
    /// The engine's report, with the page's own notices (invalid URL parameters, edits).
    pub report: RwSignal<Report>,
    /// Bytes received of the MNIST download, while it runs.
    pub downloaded: RwSignal<Option<usize>>,
    pub progress: RwSignal<Option<Progress>>,
    pub losses: RwSignal<Vec<LossPoint>>,
    /// Validation loss after each epoch (with a validation split), at the step the epoch ended.
    pub val_losses: RwSignal<Vec<LossPoint>>,
    pub accuracies: RwSignal<Vec<f64>>,
    /// What the run is doing now ("training the dense model", …).
    pub phase: RwSignal<Text>,
    /// Which training the loss and accuracy charts show.
    pub chart_phase: RwSignal<Text>,
    /// Cancel was asked for (the button stays disabled until the run ends).
    pub cancel: RwSignal<bool>,
    /// The latest first-layer picture of each model, live while training and pruning, in the
    /// page's order of models.
    pub pictures: RwSignal<Vec<Arc<Snapshot>>>,
    /// Which model's picture is shown.
    pub shown_picture: RwSignal<ModelKind>,
    /// The last run's finished models (export, draw-a-digit); empty while a run goes.
    pub models: RwSignal<Vec<ModelKind>>,
    /// Measurements of the dense vs sparse sweep done and to do, while it runs.
    pub sweep_progress: RwSignal<Option<(usize, usize)>>,
    /// The answers for the last drawn digit.
    pub predictions: RwSignal<Option<Result<Vec<Prediction>, String>>>,
    /// What became of the last export.
    pub export_message: RwSignal<Option<String>>,
    send: StoredValue<Option<Sender>, LocalStorage>,
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
            phase: RwSignal::new(Text::Borrowed("")),
            chart_phase: RwSignal::new(Text::Borrowed("")),
            cancel: RwSignal::new(false),
            pictures: RwSignal::new(Vec::new()),
            shown_picture: RwSignal::new(ModelKind::Dense),
            models: RwSignal::new(Vec::new()),
            sweep_progress: RwSignal::new(None),
            predictions: RwSignal::new(None),
            export_message: RwSignal::new(None),
            send: StoredValue::new_local(None),
        }
    }

    /// Where commands go from now on.
    pub fn connect(&self, send: impl Fn(Command) + 'static) {
        self.send.set_value(Some(Rc::new(send)));
    }

    pub fn send(&self, command: Command) {
        if let Some(send) = self.send.get_value() {
            send(command);
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.report.with(|r| r.state), RunState::Loading | RunState::Training)
            || self.sweep_progress.with(Option::is_some)
            || self.report.with(|r| r.pattern_study.as_ref().is_some_and(|s| s.in_progress()))
    }

    /// Starts a run with the current settings, unless one is going.
    pub fn start(&self) {
        if self.running() {
            return;
        }
        self.cancel.set(false);
        self.progress.set(None);
        self.losses.set(Vec::new());
        self.val_losses.set(Vec::new());
        self.accuracies.set(Vec::new());
        self.pictures.set(Vec::new());
        self.predictions.set(None);
        self.export_message.set(None);
        // Shown at once, before the engine's first report arrives: a click is answered on the
        // spot, and the last run's error is gone.
        self.report.update(|r| {
            r.state = RunState::Loading;
            r.error = None;
        });
        self.send(Command::Start(self.settings.get_untracked()));
    }

    /// Starts the dense vs sparse sweep on the last run's models, unless something runs.
    pub fn start_sweep(&self) {
        if self.running() || self.models.with(Vec::is_empty) {
            return;
        }
        self.cancel.set(false);
        self.send(Command::Sweep);
    }

    /// Starts the pattern study on the last run's dense model, unless something runs.
    pub fn start_study(&self) {
        if self.running() || self.models.with(Vec::is_empty) {
            return;
        }
        self.cancel.set(false);
        self.send(Command::Study);
    }

    pub fn cancel(&self) {
        self.cancel.set(true);
        self.send(Command::Cancel);
    }

    /// The engine worker failed to load or crashed: the run (if any) ends in an error that says
    /// so; Retry starts a fresh engine.
    pub fn engine_failed(&self, why: String) {
        self.phase.set(Text::Borrowed(""));
        self.progress.set(None);
        self.downloaded.set(None);
        self.sweep_progress.set(None);
        self.report.update(|r| {
            r.state = RunState::Error;
            r.error = Some(ErrorReport { kind: ErrorKind::Engine, message: format!("the engine (a Web Worker) {why}. Retry starts a fresh one.") });
        });
    }

    /// What the engine said, into the view.
    pub fn apply(&self, event: Event) {
        match event {
            Event::Report(report) => self.report.update(|r| {
                let notices = std::mem::take(&mut r.notices);
                *r = *report;
                r.notices = notices;
            }),
            Event::Phase { name, training } => {
                if training {
                    self.chart_phase.set(name.clone());
                    self.losses.set(Vec::new());
                    self.val_losses.set(Vec::new());
                    self.accuracies.set(Vec::new());
                    self.progress.set(None);
                }
                self.phase.set(name);
            }
            Event::Downloaded(bytes) => self.downloaded.set(bytes),
            Event::Progress(progress) => self.progress.set(progress),
            Event::Losses(points) => self.losses.update(|l| l.extend(points)),
            Event::ValidationLoss(point) => self.val_losses.update(|l| l.push(point)),
            Event::EpochAccuracy(accuracy) => self.accuracies.update(|a| a.push(accuracy)),
            Event::Picture(snapshot) => {
                let model = snapshot.model;
                self.pictures.update(|pictures| {
                    pictures.retain(|p| p.model != model);
                    pictures.push(Arc::new(snapshot));
                    pictures.sort_by_key(|p| ModelKind::ALL.iter().position(|k| *k == p.model));
                });
                // The view follows the run; the reader can look at another model once it is done.
                self.shown_picture.set(model);
            }
            Event::SweepProgress(progress) => self.sweep_progress.set(progress),
            Event::Models(models) => self.models.set(models),
            Event::Predictions(answers) => self.predictions.set(Some(answers)),
            // The link handles these two itself.
            Event::Ready | Event::Crashed(_) => {}
            Event::File(file) => self.export_message.set(Some(match file.and_then(|f| save_file(&f.name, &f.bytes, &f.mime).map(|()| f.name)) {
                Ok(name) => format!("Saved {name}."),
                Err(e) => format!("Could not save the model: {e}"),
            })),
        }
    }
}
