//! The page's end of the engine worker: starts it, holds commands until it is listening, turns
//! its messages into events for the view, and starts a fresh one when it failed to load or
//! crashed — so a dead engine costs a Retry, never the page.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use super::state::AppState;
use crate::protocol::messages::{Command, Event};

/// What Trunk emits for the `engine` binary (`data-loader-shim`): an ES module that loads the
/// engine's wasm and runs it.
const ENGINE_SCRIPT: &str = "./engine_loader.js";

/// A running worker and its handlers (dropped with it).
struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

#[derive(Default)]
struct Link {
    running: Option<Running>,
    /// The worker said it listens.
    ready: bool,
    /// Commands sent before it did, in order.
    pending: Vec<String>,
    /// A stopped worker's handlers, kept until the next start: a handler may be what stopped it,
    /// and must not be freed while it runs.
    retired: Vec<Running>,
}

/// Connects `state` to an engine worker, started after the page's first frame when `eagerly`
/// (else by the first command: an embed in a blog post downloads the engine only once its reader
/// asks for a run) and again whenever a command finds it dead. Creating a worker costs the page's
/// thread over 10 ms, which the first screen need not wait for.
pub fn connect(state: AppState, eagerly: bool) {
    let link = Rc::new(RefCell::new(Link::default()));
    if eagerly {
        let link = link.clone();
        crate::web::page::after_next_frame(move || {
            if link.borrow().running.is_none() {
                start(state, &link);
            }
        });
    }
    let sender = link.clone();
    state.connect(move |command: Command| {
        let json = match serde_json::to_string(&command) {
            Ok(json) => json,
            Err(e) => return state.engine_failed(format!("could not be sent a command ({e})")),
        };
        if sender.borrow().running.is_none() {
            start(state, &sender);
        }
        let mut link = sender.borrow_mut();
        match (&link.running, link.ready) {
            (Some(running), true) => {
                if let Err(e) = running.worker.post_message(&json.into()) {
                    drop(link);
                    stop(&sender);
                    state.engine_failed(format!("did not take a command ({})", crate::web::js_message(e)));
                }
            }
            _ => link.pending.push(json),
        }
    });
}

fn stop(link: &Rc<RefCell<Link>>) {
    let mut link = link.borrow_mut();
    if let Some(running) = link.running.take() {
        running.worker.terminate();
        link.retired.push(running);
    }
    link.ready = false;
    link.pending.clear();
}

/// Events held back behind a picture or a report, in order; `None` when nothing is held.
type Backlog = Rc<RefCell<Option<VecDeque<Event>>>>;

/// Whether applying `event` is most of a frame's work on the page's thread: a picture (100 k
/// weights for the histogram and the tiles) or a report (the tables it fills, rebuilt).
fn heavy(event: &Event) -> bool {
    matches!(event, Event::Picture(_) | Event::Report(_))
}

/// Whether `newer` makes `waiting` moot: a report is the whole run so far, a picture the whole
/// layer of its model.
fn supersedes(newer: &Event, waiting: &Event) -> bool {
    match (newer, waiting) {
        (Event::Report(_), Event::Report(_)) => true,
        (Event::Picture(a), Event::Picture(b)) => a.model == b.model,
        _ => false,
    }
}

/// Applies `event` to the page's state. A heavy event is applied in a task of its own after the
/// next frame, one heavy event per frame, so that no task holds the page's thread for long: as a
/// stage ends, its report, the next picture and the charts' reset arrive within milliseconds, and
/// applied before one frame, their scripts and that frame's style and layout took 60 to 90 ms on
/// two cores shared with a software GPU. Applied in an animation frame callback instead, a heavy
/// event's script and its rendering would make one task. The events behind a heavy one wait for it, so the
/// page still sees them in the order the engine sent them. A report or picture that a newer one
/// makes moot while it waits is dropped: each would rebuild the tables or redraw the histogram.
fn deliver(state: AppState, backlog: &Backlog, event: Event) {
    let mut held = backlog.borrow_mut();
    match held.as_mut() {
        Some(waiting) => {
            waiting.retain(|w| !supersedes(&event, w));
            waiting.push_back(event);
        }
        None if heavy(&event) => {
            *held = Some(VecDeque::from([event]));
            drop(held);
            apply_backlog_later(state, backlog.clone());
        }
        None => {
            drop(held);
            state.apply(event);
        }
    }
}

/// In a task after the next frame: the first held event and the light ones behind it, up to the
/// next heavy one, which then waits for the frame after.
fn apply_backlog_later(state: AppState, backlog: Backlog) {
    let apply = move || {
        let mut first = true;
        loop {
            let next = {
                let mut held = backlog.borrow_mut();
                let Some(waiting) = held.as_mut() else { return };
                match waiting.front() {
                    None => {
                        *held = None;
                        return;
                    }
                    Some(event) if heavy(event) && !first => {
                        drop(held);
                        return apply_backlog_later(state, backlog.clone());
                    }
                    Some(_) => waiting.pop_front(),
                }
            };
            first = false;
            if let Some(event) = next {
                state.apply(event);
            }
        }
    };
    crate::web::page::after_next_frame(apply);
}

fn start(state: AppState, link: &Rc<RefCell<Link>>) {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = match Worker::new_with_options(ENGINE_SCRIPT, &options) {
        Ok(worker) => worker,
        Err(e) => return state.engine_failed(format!("could not be started by the browser ({})", crate::web::js_message(e))),
    };
    let messages = link.clone();
    let backlog = Backlog::default();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        let data = message.data();
        // JSON text, or a picture's or a file's bytes (see `Wire`).
        let event = match data.as_string() {
            Some(text) => Some(Event::from_text(&text)),
            None => data.dyn_ref::<js_sys::Uint8Array>().map(|bytes| Event::from_bytes(&bytes.to_vec())),
        };
        match event {
            Some(Ok(Event::Ready)) => {
                let mut link = messages.borrow_mut();
                link.ready = true;
                let pending = std::mem::take(&mut link.pending);
                if let Some(running) = &link.running {
                    for json in pending {
                        let _ = running.worker.post_message(&json.into());
                    }
                }
            }
            Some(Ok(Event::Crashed(message))) => {
                stop(&messages);
                state.engine_failed(format!("stopped on an internal error ({message})"));
            }
            Some(Ok(event)) => deliver(state, &backlog, event),
            Some(Err(e)) => web_sys::console::error_1(&format!("PruneLab: an engine message could not be read: {e}").into()),
            None => web_sys::console::error_1(&"PruneLab: an engine message that is neither text nor bytes".into()),
        }
    });
    let errors = link.clone();
    // A plain `Event` when the script failed to load, an `ErrorEvent` for an uncaught error.
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |error: web_sys::Event| {
        // A crash already said why; a failed load (missing file, no module workers) says it here.
        if errors.borrow().running.is_some() {
            stop(&errors);
            let what = crate::web::property(&error, "message").as_string().unwrap_or_default();
            state.engine_failed(if what.is_empty() { "failed to load or stopped".into() } else { format!("failed ({what})") });
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let mut link = link.borrow_mut();
    link.retired.clear();
    link.running = Some(Running { worker, _on_message: on_message, _on_error: on_error });
    link.ready = false;
}
