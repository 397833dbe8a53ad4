//! The engine end to end, natively: commands in, events out, as the page's worker drives it (every
//! command and event goes through its message form, as over `postMessage`), on burn's CPU backend with
//! MNIST read from `static/mnist`. `cargo test --features webgpu --test engine`.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};

use prunelab::data::{FILES, Mnist};
use prunelab::engine::Engine;
use prunelab::engine::native::NativeHost;
use prunelab::model::export::ExportedModel;
use prunelab::model::kind::{ModelKind, SPARSE_KERNEL};
use prunelab::protocol::messages::{Command, Event, ExportFormat};
use prunelab::protocol::report::{ErrorKind, Report, RunState};
use prunelab::protocol::settings::Settings;

/// A whole run, small: 16 hidden units, 1,000 images, gradual pruning to 80 %, structured pruning
/// to 8 units with a fine-tuning epoch, and int8.
const SMALL_RUN: &str = "hidden=16&train_samples=1000&epochs=1&batch=100&quantize=int8&prune=poly&final_sparsity=0.8\
    &begin_step=0&end_step=10&frequency=2&prune_batch=100&finetune_epochs=1&hidden_keep=8&distill=0";

fn mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")
}

fn settings(query: &str) -> Settings {
    let pairs: Vec<(String, String)> = query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
    let (settings, notices) = Settings::from_query(&pairs);
    assert!(notices.is_empty(), "{notices:?}");
    settings
}

/// An engine on the native host and what it has said. `on_event` may answer an event with a
/// command, as the page does (a Cancel, say).
struct Session {
    engine: Rc<Engine<NativeHost>>,
    events: Rc<RefCell<Vec<Event>>>,
}

impl Session {
    fn new(mnist: PathBuf, on_event: impl Fn(&Event) -> Option<Command> + 'static) -> Self {
        let events = Rc::new(RefCell::new(Vec::new()));
        let engine_slot: Rc<RefCell<Weak<Engine<NativeHost>>>> = Rc::new(RefCell::new(Weak::new()));
        let (heard, slot) = (events.clone(), engine_slot.clone());
        let engine = Engine::new(NativeHost::new(mnist), move |event: Event| {
            // Over the wire, as in the browser.
            let event = Event::from_wire(&event.to_wire().expect("events encode")).expect("events decode");
            let answer = on_event(&event);
            heard.borrow_mut().push(event);
            if let (Some(command), Some(engine)) = (answer, slot.borrow().upgrade()) {
                engine.handle(command);
            }
        });
        *engine_slot.borrow_mut() = Rc::downgrade(&engine);
        Session { engine, events }
    }

    /// Sends `command` (through its JSON, as the page does) and returns the events it caused.
    fn send(&self, command: Command) -> Vec<Event> {
        let before = self.events.borrow().len();
        let command: Command = serde_json::from_str(&serde_json::to_string(&command).expect("commands encode")).expect("commands decode");
        self.engine.handle(command);
        self.events.borrow()[before..].to_vec()
    }
}

fn last_report(events: &[Event]) -> Report {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Report(r) => Some((**r).clone()),
            _ => None,
        })
        .expect("the run sent a report")
}

fn phases(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Phase { name, .. } if !name.is_empty() => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_run_goes_from_settings_to_a_finished_report_and_its_models_answer() {
    let session = Session::new(mnist_dir(), |_| None);
    let events = session.send(Command::Start(settings(SMALL_RUN)));
    let report = last_report(&events);
    assert_eq!(report.state, RunState::Done, "{:?}", report.error);
    assert!(report.error.is_none());

    let data = report.data.as_ref().expect("data report");
    assert_eq!((data.train_images, data.test_images), (60_000, 10_000));
    assert_eq!(data.downloaded_bytes, FILES.iter().map(|f| f.compressed_bytes).sum::<usize>());

    // The stages in order, each once.
    let phases = phases(&events);
    let at = |name: &str| phases.iter().position(|p| p == name).unwrap_or_else(|| panic!("no phase {name:?} in {phases:?}"));
    assert!(at("loading MNIST") < at("training the dense model"));
    assert!(at("training the dense model") < at("measuring inference latency"));
    assert!(at("measuring inference latency") < at("running the pruned model on sparse kernels"));
    assert!(at("running the pruned model on sparse kernels") < at("quantizing to int8"));

    // Training was heard as it went: progress, losses, the epoch's accuracy, a picture.
    let train = report.train.as_ref().expect("train report");
    assert_eq!(train.steps, 10, "1,000 images in batches of 100");
    assert!(events.iter().any(|e| matches!(e, Event::Progress(Some(_)))));
    let losses: usize = events.iter().map(|e| if let Event::Losses(l) = e { l.len() } else { 0 }).sum();
    assert!(losses > 0);
    assert!(events.iter().any(|e| matches!(e, Event::EpochAccuracy(a) if (0.0..=1.0).contains(a))));
    assert!(events.iter().any(|e| matches!(e, Event::Picture(s) if s.model == ModelKind::Dense)));

    // The columns: pruned to the schedule's 80 % of each kernel, structured to 8 units, every
    // one timed on the CPU.
    let dense = report.dense.as_ref().expect("dense column");
    let pruned = report.pruned.as_ref().expect("pruned column");
    let structured = report.structured.as_ref().expect("structured column");
    assert!((pruned.sparsity - 0.8).abs() < 0.01, "sparsity {}", pruned.sparsity);
    assert!(pruned.weights_nonzero < dense.weights_nonzero / 4);
    assert_eq!(structured.hidden_units, 8);
    for column in [dense, pruned, structured] {
        let cpu = column.latency.cpu.expect("CPU latency");
        assert!(cpu.b1.median_ms > 0.0 && cpu.b1.p95_ms >= cpu.b1.median_ms);
        assert!(cpu.b1024.median_ms > cpu.b1.median_ms, "a batch of 1,024 takes longer than one image");
        assert!(column.latency.webgpu.is_none(), "this run had no GPU");
    }
    // The sparse kernels compute what the masked dense model computes, on every test image.
    let agreement = report.sparse.as_ref().and_then(|s| s.agreement_cpu).expect("sparse agreement");
    assert_eq!(agreement.images, 10_000);
    assert!(agreement.within_tolerance(), "{agreement:?}");
    assert!(report.int8.is_some() && report.pruned_int8.is_some(), "{:?}", report.quant);

    // The finished models, in the page's order; each answers a drawn digit.
    let models = events.iter().rev().find_map(|e| if let Event::Models(m) = e { Some(m.clone()) } else { None }).expect("models");
    assert_eq!(models, [ModelKind::Dense, ModelKind::Pruned, ModelKind::Structured, ModelKind::Int8, ModelKind::PrunedInt8]);
    let test = Mnist::load_dir(&mnist_dir()).expect("MNIST").test;
    let answers = session.send(Command::Infer(test.inputs(&[0])));
    let Some(Event::Predictions(Ok(predictions))) = answers.last() else { panic!("no predictions: {answers:?}") };
    assert_eq!(predictions.len(), models.len() + 1, "every model, and the sparse kernel");
    for p in predictions {
        let total: f32 = p.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "{}: {total}", p.model);
        assert_eq!(p.top, crate_argmax(&p.probabilities));
    }
    // The pruned model on burn and on the sparse kernel: the same weights, the same answer.
    let answer = |label: &str| predictions.iter().find(|p| p.model == label).unwrap_or_else(|| panic!("no answer from {label}"));
    let (burn, sparse) = (answer(ModelKind::Pruned.label()), answer(&format!("{SPARSE_KERNEL} (CPU)")));
    assert_eq!(burn.top, sparse.top);
    assert!(burn.probabilities.iter().zip(&sparse.probabilities).all(|(a, b)| (a - b).abs() < 1e-5), "{burn:?} vs {sparse:?}");

    let file = session.send(Command::Export { model: ModelKind::Pruned, format: ExportFormat::Json, settings: "prune=poly".into() });
    let Some(Event::File(Ok(file))) = file.last() else { panic!("no file: {file:?}") };
    assert!(file.name.ends_with(".json"));
    // Read back as a user would, and run by hand as its `forward` says: the same answer as the
    // engine's pruned model gave for the same digit, and the same weights left.
    let exported = ExportedModel::from_json(std::str::from_utf8(&file.bytes).expect("UTF-8")).expect("a valid prunelab-mlp file");
    let weights = exported.weights().unwrap();
    assert_eq!(weights.nonzero_weights(), pruned.weights_nonzero, "the file holds the pruned model the report describes");
    let image = test.inputs(&[0]);
    let hidden: Vec<f32> = (0..weights.hidden)
        .map(|j| (weights.hidden_bias[j] + (0..784).map(|i| image[i] * weights.hidden_kernel[i * weights.hidden + j]).sum::<f32>()).max(0.0))
        .collect();
    let logits: Vec<f32> =
        (0..10).map(|c| weights.output_bias[c] + (0..weights.hidden).map(|j| hidden[j] * weights.output_kernel[j * 10 + c]).sum::<f32>()).collect();
    let probabilities = prunelab::data::digit::softmax(&logits);
    assert_eq!(crate_argmax(&probabilities), burn.top);
    assert!(probabilities.iter().zip(&burn.probabilities).all(|(a, b)| (a - b).abs() < 1e-5), "{probabilities:?} vs {burn:?}");
}

#[test]
fn a_block_pruned_model_runs_on_its_own_kernel_and_the_pattern_study_compares_every_pattern() {
    let session = Session::new(mnist_dir(), |_| None);
    let query = "hidden=16&train_samples=1000&epochs=1&batch=100&quantize=none&prune=oneshot&final_sparsity=0.75\
        &pattern=block&block=1x4&finetune_epochs=1&hidden_keep=0&distill=0&patterns=1";
    let events = session.send(Command::Start(settings(query)));
    let report = last_report(&events);
    assert_eq!(report.state, RunState::Done, "{:?}", report.error);
    let phases = phases(&events);
    let at = |name: &str| phases.iter().position(|p| p == name).unwrap_or_else(|| panic!("no phase {name:?} in {phases:?}"));
    assert!(at("running the pruned model on sparse kernels") < at("running the pruned model on its pattern's kernel"));
    assert!(at("running the pruned model on its pattern's kernel") < at("comparing sparsity patterns"));

    // The 1 × 4 block kernel: the same logits as the masked dense model on every test image, in
    // fewer bytes than CSR, timed on the CPU.
    let own = report.sparse.as_ref().and_then(|s| s.pattern.clone()).expect("the pattern kernel's report");
    assert_eq!(own.error, None);
    assert!(own.layout.starts_with("block-CSR, blocks of 1 × 4"), "{}", own.layout);
    let agreement = own.agreement_cpu.expect("agreement");
    assert!(agreement.images == 10_000 && agreement.within_tolerance(), "{agreement:?}");
    assert!(own.bytes < own.csr_bytes && own.bytes_int8 < own.csr_bytes_int8, "{own:?}");
    assert!(own.latency.cpu.is_some() && own.latency.webgpu.is_none());

    // The study: thirteen models from the same dense one, each on its kernel, none of them
    // touching the run's own columns.
    let study = report.pattern_study.as_ref().expect("the pattern study");
    assert_eq!((study.planned, study.points.len(), study.cancelled, study.error.as_deref()), (13, 13, false, None));
    let kernels: Vec<(&str, f32, &str)> = study.points.iter().map(|p| (&*p.pattern, p.target, &*p.kernel)).collect();
    assert_eq!(
        kernels[..4],
        [
            ("unstructured", 0.5, "CSR"),
            ("1 × 4 blocks", 0.5, "block-CSR 1 × 4"),
            ("4 × 1 blocks", 0.5, "block-CSR 4 × 1"),
            ("whole units (structured)", 0.5, "dense, 8 hidden units")
        ]
    );
    assert_eq!(kernels[12], ("2:4", 0.5, "2:4 fixed width"));
    // Every model beats chance (two hidden units at 90 % included), and the best of them, an
    // extra fine-tuning epoch on, is about as good as the dense model.
    let dense = report.dense.as_ref().and_then(|d| d.test_accuracy).expect("dense accuracy");
    let best = study.points.iter().filter_map(|p| p.test_accuracy).fold(0.0, f64::max);
    assert!(best > dense - 0.02, "best {best} vs dense {dense}");
    for p in &study.points {
        assert!(p.test_accuracy.is_some_and(|a| a > 0.12), "{p:?}");
        assert!(p.latency.cpu.is_some_and(|t| t.b1024.median_ms > t.b1.median_ms), "{p:?}");
        if !p.pattern.starts_with("whole") {
            assert!((p.sparsity - f64::from(p.target)).abs() < 0.02, "{p:?}");
        }
    }
    assert!((report.pruned.as_ref().expect("pruned").sparsity - 0.75).abs() < 0.02, "the run's pruned model is its own");
}

fn crate_argmax(values: &[f32]) -> usize {
    prunelab::kernels::sparse::agreement::argmax(values)
}

#[test]
fn cancel_stops_a_run_and_the_next_one_starts_afresh_without_downloading_again() {
    // The page's Cancel, sent when the first training progress is heard (while armed).
    let armed = Rc::new(Cell::new(true));
    let trigger = armed.clone();
    let session = Session::new(mnist_dir(), move |e| (trigger.get() && matches!(e, Event::Progress(Some(_)))).then_some(Command::Cancel));
    let events = session.send(Command::Start(settings("hidden=16&train_samples=20000&epochs=3&batch=32&prune=none&quantize=none")));
    let report = last_report(&events);
    assert_eq!(report.state, RunState::Cancelled);
    let train = report.train.as_ref().expect("what was trained is kept");
    assert!(train.steps < 3 * 20_000 / 32, "stopped early: {} steps", train.steps);
    assert!(report.dense.as_ref().and_then(|d| d.latency.cpu).is_none(), "a cancelled run measures nothing");

    armed.set(false);
    let events = session.send(Command::Start(settings("hidden=16&train_samples=1000&epochs=1&batch=100&prune=none&quantize=none")));
    let report = last_report(&events);
    assert_eq!(report.state, RunState::Done, "{:?}", report.error);
    assert_eq!(report.train.as_ref().map(|t| t.steps), Some(10), "a fresh run, not the cancelled one's");
    assert!(!events.iter().any(|e| matches!(e, Event::Downloaded(Some(_)))), "MNIST is kept from the first run");
}

#[test]
fn a_corrupt_download_is_a_data_error_with_the_file_named() {
    let dir = std::env::temp_dir().join(format!("prunelab-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in &FILES {
        let name = format!("{}.gz", file.name);
        let mut bytes = std::fs::read(mnist_dir().join(&name)).unwrap();
        if file.name == "t10k-labels-idx1-ubyte" {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x55;
        }
        std::fs::write(dir.join(&name), bytes).unwrap();
    }
    let session = Session::new(dir.clone(), |_| None);
    let report = last_report(&session.send(Command::Start(settings("hidden=16&train_samples=1000"))));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(report.state, RunState::Error);
    let error = report.error.expect("an error");
    assert_eq!(error.kind, ErrorKind::Data);
    assert!(error.message.contains("t10k-labels-idx1-ubyte"), "{}", error.message);
    assert!(report.train.is_none(), "nothing trained on corrupt data");
}
