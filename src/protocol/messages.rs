//! What the page and the engine say to each other, and nothing else: the page sends
//! [`Command`]s, the engine answers with [`Event`]s. The view is built from events alone, so the
//! engine (training, pruning, latency) knows no signal, component or tile, and can run wherever
//! its events can be delivered. [`Wire`] is how each crosses the channel.

use serde::{Deserialize, Serialize};

use crate::model::kind::ModelKind;
use crate::protocol::report::{Report, Text};
use crate::protocol::settings::Settings;
use crate::prune::tiles::Snapshot;
use crate::train::report::LossPoint;
use crate::train::report::Progress;

/// What the page asks of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Start a run with these settings (ignored while one runs).
    Start(Settings),
    /// Stop the run or the sweep at the next step.
    Cancel,
    /// Time dense vs sparse kernels across sparsities on the last run's dense model.
    Sweep,
    /// Prune the last run's dense model under every pattern to the same sparsities (the pattern study).
    Study,
    /// Every finished model's answer for one 28 × 28 image (pixels in [0, 1]).
    Infer(Vec<f32>),
    /// A file of one finished model; `settings` is the query that reproduces the run.
    Export { model: ModelKind, format: ExportFormat, settings: String },
}

/// The files a model can be saved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    /// burn's record (`.bpk`).
    Burnpack,
    /// The documented JSON (float models: weights and masks; int8 models: codes and scales).
    Json,
}

/// What the engine tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The engine is listening: commands sent before this would be lost, so the page holds them.
    Ready,
    /// The engine stopped on an internal error (a panic); it takes no more commands.
    Crashed(String),
    /// Every figure of the run so far (the page adds its own notices).
    Report(Box<Report>),
    /// What the run does now ("" when nothing). A training phase also starts fresh charts.
    Phase {
        name: Text,
        training: bool,
    },
    /// Bytes of the MNIST download received so far; `None` once it is over.
    Downloaded(Option<usize>),
    /// Training progress; `None` between trainings.
    Progress(Option<Progress>),
    /// Training loss points since the last ones, in order.
    Losses(Vec<LossPoint>),
    ValidationLoss(LossPoint),
    /// Test accuracy after an epoch.
    EpochAccuracy(f64),
    /// A model's first layer, live while it trains and prunes.
    Picture(Snapshot),
    /// Measurements of the sparsity sweep done and to do; `None` once it is over.
    SweepProgress(Option<(usize, usize)>),
    /// The finished models of the last run, in the page's order (empty while a run goes).
    Models(Vec<ModelKind>),
    /// The answers for the image of the last [`Command::Infer`].
    Predictions(Result<Vec<Prediction>, String>),
    /// The file of the last [`Command::Export`], or why there is none.
    File(Result<SavedFile, String>),
}

/// An event as it crosses the channel between the engine and the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    /// JSON: every event but the two below; small, and readable in the browser's tools.
    Text(String),
    /// postcard's bytes: a picture (100,352 weights and as many mask flags, twice a second while a
    /// model trains) or a saved file. As bytes the sender hands the buffer over instead of copying
    /// it, and the page's thread reads it with one copy; as JSON it would be half a megabyte of text to
    /// convert, parse and decode in the page's frame.
    Bytes(Vec<u8>),
}

impl Event {
    pub fn to_wire(&self) -> Result<Wire, String> {
        let bytes = |bulk: BulkRef| postcard::to_allocvec(&bulk).map(Wire::Bytes).map_err(|e| e.to_string());
        match self {
            Event::Picture(snapshot) => bytes(BulkRef::Picture(snapshot)),
            Event::File(file) => bytes(BulkRef::File(file)),
            _ => serde_json::to_string(self).map(Wire::Text).map_err(|e| e.to_string()),
        }
    }

    pub fn from_wire(wire: &Wire) -> Result<Event, String> {
        match wire {
            Wire::Text(json) => Event::from_text(json),
            Wire::Bytes(bytes) => Event::from_bytes(bytes),
        }
    }

    pub fn from_text(json: &str) -> Result<Event, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Event, String> {
        match postcard::from_bytes(bytes).map_err(|e| e.to_string())? {
            Bulk::Picture(snapshot) => Ok(Event::Picture(snapshot)),
            Bulk::File(file) => Ok(Event::File(file)),
        }
    }
}

/// The events that travel as bytes, and only they, so that the page's decoder for bytes carries
/// no code for the others. [`BulkRef`] writes the same bytes without copying the event.
#[derive(Deserialize)]
enum Bulk {
    Picture(Snapshot),
    File(Result<SavedFile, String>),
}

#[derive(Serialize)]
enum BulkRef<'a> {
    Picture(&'a Snapshot),
    File(&'a Result<SavedFile, String>),
}

/// One model's answer for a drawn digit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The model, and the kernel when it is not burn's.
    pub model: String,
    pub probabilities: Vec<f32>,
    pub top: usize,
    /// Upload, forward pass and awaited readback of this one image.
    pub latency_ms: f64,
}

/// A file for the visitor to save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedFile {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weights::MlpWeights;
    use crate::protocol::report::{ModelReport, StageTime};
    use crate::prune::tiles::FirstLayer;
    use crate::train::config::TrainingConfig;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(value: &T) -> T {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    fn through_the_wire(event: &Event) -> Event {
        Event::from_wire(&event.to_wire().expect("events encode")).expect("events decode")
    }

    #[test]
    fn commands_survive_the_message_channel() {
        let (settings, _) = Settings::from_query(&[("prune", "oneshot"), ("backend", "cpu"), ("final_sparsity", "0.9")]);
        let commands = [
            Command::Start(settings),
            Command::Cancel,
            Command::Sweep,
            Command::Study,
            Command::Infer(vec![0.0, 0.5, 1.0]),
            Command::Export { model: ModelKind::PrunedInt8, format: ExportFormat::Json, settings: "quantize=int8".into() },
            Command::Export { model: ModelKind::Dense, format: ExportFormat::Burnpack, settings: String::new() },
        ];
        // Every variant once at least: a new command fails to compile here until it is added.
        let variant = |command: &Command| match command {
            Command::Start(_) => 0,
            Command::Cancel => 1,
            Command::Sweep => 2,
            Command::Infer(_) => 3,
            Command::Export { .. } => 4,
            Command::Study => 5,
        };
        assert_eq!(commands.iter().map(variant).collect::<std::collections::BTreeSet<_>>().len(), 6);
        for command in commands {
            assert_eq!(round_trip(&command), command);
        }
    }

    #[test]
    fn events_survive_the_message_channel() {
        let mut report = Report::new(TrainingConfig::new(), vec!["a notice".into()]);
        report.stages.push(StageTime { stage: "training the dense model".into(), wall_ms: 12.5 });
        let weights = MlpWeights {
            inputs: 784,
            hidden: 4,
            hidden_kernel: (0..784 * 4).map(|i| (i % 7) as f32 - 3.0).collect(),
            hidden_bias: vec![0.5; 4],
            output_kernel: vec![-0.25; 40],
            output_bias: vec![0.0; 10],
        };
        report.dense = Some(ModelReport::of(&weights, Some(0.9)));
        let layer = FirstLayer::dense(&weights);
        let progress = Progress { epoch: 2, epochs: 5, step: 600, total_steps: 2345, samples_per_s: 1.5e4, elapsed_ms: 5120.25 };
        let prediction = Prediction { model: "Pruned, sparse kernel".into(), probabilities: vec![0.1; 10], top: 7, latency_ms: 0.75 };
        let events = [
            Event::Ready,
            Event::Crashed("RuntimeError: unreachable".into()),
            Event::Report(Box::new(report)),
            Event::Phase { name: "loading MNIST".into(), training: false },
            Event::Downloaded(Some(65_536)),
            Event::Downloaded(None),
            Event::Progress(Some(progress)),
            Event::Progress(None),
            Event::Losses(vec![LossPoint { step: 0, loss: 2.31 }, LossPoint { step: 20, loss: 0.5 }]),
            Event::ValidationLoss(LossPoint { step: 469, loss: 0.125 }),
            Event::EpochAccuracy(0.9731),
            Event::Picture(Snapshot { model: ModelKind::Structured, note: "fine-tuned".into(), layer }),
            Event::SweepProgress(Some((3, 7))),
            Event::SweepProgress(None),
            Event::Models(vec![ModelKind::Dense, ModelKind::Int8]),
            Event::Predictions(Ok(vec![prediction])),
            Event::Predictions(Err("train first".into())),
            Event::File(Ok(SavedFile { name: "prunelab-dense.bpk".into(), mime: "application/octet-stream".into(), bytes: vec![1, 2, 3] })),
            Event::File(Err("train first".into())),
        ];
        // Every variant once at least: a new event fails to compile here until it is added.
        let variant = |event: &Event| match event {
            Event::Ready => 0,
            Event::Crashed(_) => 1,
            Event::Report(_) => 2,
            Event::Phase { .. } => 3,
            Event::Downloaded(_) => 4,
            Event::Progress(_) => 5,
            Event::Losses(_) => 6,
            Event::ValidationLoss(_) => 7,
            Event::EpochAccuracy(_) => 8,
            Event::Picture(_) => 9,
            Event::SweepProgress(_) => 10,
            Event::Models(_) => 11,
            Event::Predictions(_) => 12,
            Event::File(_) => 13,
        };
        assert_eq!(events.iter().map(variant).collect::<std::collections::BTreeSet<_>>().len(), 14);
        for event in events {
            assert_eq!(through_the_wire(&event), event);
        }
    }

    #[test]
    fn a_picture_crosses_as_compact_bytes_bit_for_bit() {
        let (inputs, hidden) = (784, 128);
        let kernel: Vec<f32> = (0..inputs * hidden).map(|i| (i as f32 * 0.37).sin() * 1e-3 - f32::MIN_POSITIVE * (i % 3) as f32).collect();
        let weights = MlpWeights {
            inputs,
            hidden,
            hidden_kernel: kernel,
            hidden_bias: vec![0.0; hidden],
            output_kernel: vec![0.0; hidden * 10],
            output_bias: vec![0.0; 10],
        };
        let mask = crate::prune::mask::layer_mask(&weights.hidden_kernel, 0.75);
        let picture = Event::Picture(Snapshot { model: ModelKind::Pruned, note: "step 100".into(), layer: FirstLayer::masked(&weights, &mask) });
        let wire = picture.to_wire().unwrap();
        let Wire::Bytes(bytes) = &wire else { panic!("a picture travels as bytes") };
        // The prefix the browser test reads to follow the pictures: 0 (a picture), the model's
        // index, the note's length and its text.
        assert_eq!(&bytes[..3], &[0, ModelKind::ALL.iter().position(|m| *m == ModelKind::Pruned).unwrap() as u8, 8]);
        assert_eq!(&bytes[3..11], b"step 100");
        // 4 bytes a weight and 1 a mask flag, and little else.
        assert!(bytes.len() < inputs * hidden * 5 + 100, "{} bytes", bytes.len());
        let Event::Picture(back) = Event::from_wire(&wire).unwrap() else { panic!("not a picture") };
        let Event::Picture(sent) = &picture else { unreachable!() };
        assert!(back.layer.kernel.iter().zip(&sent.layer.kernel).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(&back, sent);
        assert!(back.layer.pruned_count() > 0);
    }

    #[test]
    fn damaged_messages_are_refused() {
        let Wire::Bytes(mut bytes) = Event::File(Ok(SavedFile { name: "a".into(), mime: "b".into(), bytes: vec![7; 40] })).to_wire().unwrap() else {
            panic!("a file travels as bytes")
        };
        bytes.truncate(bytes.len() - 1);
        assert!(Event::from_bytes(&bytes).is_err(), "a truncated file");
        assert!(Event::from_bytes(&[250, 1, 2]).is_err(), "no such event");
        assert!(Event::from_text("{\"Picture\": 3}").is_err());
    }
}
