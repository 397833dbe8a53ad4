//! The list of knobs, written once: each setting's URL key, what the page calls it, how it is
//! edited, and how it is read from text and written back. Parsing the URL, the shareable query
//! and the controls all walk [`KNOBS`], so a new knob is one entry here.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use crate::protocol::settings::*;
use crate::prune::pattern::{BlockSize, MByN, Pattern, Pooling};
use crate::prune::structured::Norm;
use crate::train::config::TrainStep;
use crate::train::config::{PruneMethod, Ranking};

/// Which part of the settings a knob belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// On the first screen: the choices that decide what the verdict is about.
    Main,
    /// Under "Advanced settings": the dense training.
    Training,
    /// Under "Advanced settings": when and how pruning happens.
    Schedule,
    /// Under "Advanced settings": regularization, early stopping, structure, distillation, int8.
    Levers,
    /// URL-only switches about the run itself.
    Run,
}

/// How a knob is edited on the page.
#[derive(Clone, Copy)]
pub enum Control {
    /// A number field with this step.
    Number(&'static str),
    /// One of fixed words; each with what it means.
    Choice(fn() -> Vec<(&'static str, &'static str)>),
    /// On or off ("1" / "0"): what the page calls each.
    Flag { on: &'static str, off: &'static str },
    /// A fraction in [0, 0.99], shown as a percentage slider.
    Percent,
    /// Only in the URL: no field on the page.
    Url,
}

/// One setting.
pub struct Knob {
    /// The URL parameter.
    pub key: &'static str,
    /// What the controls call it.
    pub label: &'static str,
    pub group: Group,
    pub control: Control,
    /// Its value, as the URL writes it.
    pub value: fn(&Settings) -> String,
    /// Sets it from text, validated; a notice for anything not used as given.
    set: fn(&mut Settings, &'static str, &str, &mut Vec<String>),
    /// In a shared link when it differs from the default (all but `autorun`, so a shared or
    /// reloaded link never starts training by itself).
    shared: bool,
}

impl Knob {
    pub fn set(&self, settings: &mut Settings, raw: &str, notices: &mut Vec<String>) {
        (self.set)(settings, self.key, raw, notices)
    }
}

/// An enum knob's URL words, each with its value and what the controls call it.
pub trait Words: Copy + PartialEq + 'static {
    const OPTIONS: &'static [(&'static str, Self, &'static str)];

    fn word(self) -> &'static str {
        Self::OPTIONS.iter().find(|(_, v, _)| *v == self).map_or("", |(w, _, _)| w)
    }
}

/// The (word, meaning) pairs of a choice, for its control.
fn options<T: Words>() -> Vec<(&'static str, &'static str)> {
    T::OPTIONS.iter().map(|(w, _, text)| (*w, *text)).collect()
}

/// [`options`] of the type a field holds (named by a getter, so the table names no types).
const fn options_of<T: Words>(_field: fn(&Settings) -> T) -> fn() -> Vec<(&'static str, &'static str)> {
    options::<T>
}

impl Words for BackendChoice {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[
        ("auto", BackendChoice::Auto, "Auto: the GPU, or the CPU on a software adapter"),
        ("webgpu", BackendChoice::Webgpu, "WebGPU, even on a software adapter"),
        ("cpu", BackendChoice::Cpu, "CPU (WebAssembly)"),
    ];
}

impl Words for Quantize {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] =
        &[("int8", Quantize::Int8, "int8 (post-training, per-channel)"), ("none", Quantize::None, "None (float32 only)")];
}

impl Words for TrainStep {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] =
        &[("fused", TrainStep::Fused, "Fused (hand-written backward)"), ("autodiff", TrainStep::Autodiff, "burn autodiff")];
}

impl Words for PruneMethod {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[
        ("poly", PruneMethod::Poly, "Gradual: PolynomialDecay"),
        ("constant", PruneMethod::Constant, "Gradual: ConstantSparsity"),
        ("oneshot", PruneMethod::Oneshot, "One-shot + fine-tune"),
        ("structured", PruneMethod::Structured, "Structured only"),
        ("none", PruneMethod::None, "None (dense only)"),
    ];
}

impl Words for Ranking {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] =
        &[("layer", Ranking::Layer, "Per layer (TFMOT)"), ("global", Ranking::Global, "Global (torch)")];
}

impl Words for Pattern {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[
        ("unstructured", Pattern::Unstructured, "Single weights"),
        ("block", Pattern::Block, "Blocks (TFMOT block_size)"),
        ("m_by_n", Pattern::MByN, "N:M (TFMOT sparsity_m_by_n)"),
    ];
}

impl Words for BlockSize {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[
        ("1x4", BlockSize { rows: 1, cols: 4 }, "1 × 4: one input, four units"),
        ("4x1", BlockSize { rows: 4, cols: 1 }, "4 × 1: four inputs, one unit"),
        ("2x2", BlockSize { rows: 2, cols: 2 }, "2 × 2"),
        ("1x8", BlockSize { rows: 1, cols: 8 }, "1 × 8"),
        ("8x1", BlockSize { rows: 8, cols: 1 }, "8 × 1"),
        ("4x4", BlockSize { rows: 4, cols: 4 }, "4 × 4"),
    ];
}

impl Words for Pooling {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[("avg", Pooling::Avg, "Average |w|"), ("max", Pooling::Max, "Largest |w|")];
}

impl Words for MByN {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[
        ("2:4", MByN { m: 2, n: 4 }, "2:4 (50 %, sparse tensor cores)"),
        ("1:4", MByN { m: 1, n: 4 }, "1:4 (25 %)"),
        ("4:8", MByN { m: 4, n: 8 }, "4:8 (50 %)"),
    ];
}

impl Words for Norm {
    const OPTIONS: &'static [(&'static str, Self, &'static str)] = &[("l1", Norm::L1, "L1 norm"), ("l2", Norm::L2, "L2 norm")];
}

/// Reads `raw` as a number, clamped into `range`; a note for anything that was not used as given.
fn number<T>(key: &str, raw: &str, range: &RangeInclusive<T>, notices: &mut Vec<String>) -> Option<T>
where
    T: FromStr + PartialOrd + Copy + fmt::Display,
{
    let Ok(value) = raw.trim().parse::<T>() else {
        notices.push(format!("{key}={raw:?} is not a valid number, so it was ignored"));
        return None;
    };
    // NaN compares false both ways and lands here too.
    if value.partial_cmp(range.start()).is_none_or(|o| o.is_lt()) {
        notices.push(format!("{key}={raw} is below the minimum {}; using {}", range.start(), range.start()));
        return Some(*range.start());
    }
    if value > *range.end() {
        notices.push(format!("{key}={raw} is above the maximum {}; using {}", range.end(), range.end()));
        return Some(*range.end());
    }
    Some(value)
}

/// One of an enum's words.
fn choice<T: Words>(key: &str, raw: &str, notices: &mut Vec<String>) -> Option<T> {
    let word = raw.trim().to_ascii_lowercase();
    let found = T::OPTIONS.iter().find(|(name, _, _)| *name == word).map(|(_, v, _)| *v);
    if found.is_none() {
        let names: Vec<&str> = T::OPTIONS.iter().map(|(n, _, _)| *n).collect();
        notices.push(format!("{key}={raw:?} is not one of {}, so it was ignored", names.join(", ")));
    }
    found
}

fn flag(key: &str, raw: &str, notices: &mut Vec<String>) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => {
            notices.push(format!("{key}={raw:?} is not 0 or 1, so it was ignored"));
            None
        }
    }
}

/// One entry of [`KNOBS`]: the field it sets and how its text is read.
macro_rules! knob {
    ($key:literal, $label:literal, $group:ident, $($field:ident).+, choice) => {
        knob!(@ $key, $label, $group, Control::Choice(options_of(|s: &Settings| s.$($field).+)), true, |s| s.$($field).+.word().to_string(),
            |s, key, raw, n| if let Some(v) = choice(key, raw, n) { s.$($field).+ = v })
    };
    ($key:literal, $label:literal, $group:ident, $control:expr, $($field:ident).+, number($range:expr)) => {
        knob!(@ $key, $label, $group, $control, true, |s| s.$($field).+.to_string(),
            |s, key, raw, n| if let Some(v) = number(key, raw, &$range, n) { s.$($field).+ = v })
    };
    ($key:literal, $label:literal, $group:ident, $control:expr, $($field:ident).+, flag, shared: $shared:expr) => {
        knob!(@ $key, $label, $group, $control, $shared, |s| u8::from(s.$($field).+).to_string(),
            |s, key, raw, n| if let Some(v) = flag(key, raw, n) { s.$($field).+ = v })
    };
    (@ $key:literal, $label:literal, $group:ident, $control:expr, $shared:expr, $value:expr, $set:expr) => {
        Knob { key: $key, label: $label, group: Group::$group, control: $control, value: $value, set: $set, shared: $shared }
    };
}

/// Every knob, in the order the page lists them and a shared link writes them.
pub const KNOBS: &[Knob] = &[
    knob!("epochs", "Epochs", Training, Control::Number("1"), training.epochs, number(EPOCHS)),
    knob!("batch", "Batch size", Training, Control::Number("1"), training.batch, number(BATCH)),
    knob!("hidden", "Hidden units", Training, Control::Number("1"), training.hidden, number(HIDDEN)),
    knob!("lr", "Learning rate (Adam)", Training, Control::Number("0.0001"), training.lr, number(LR)),
    knob!("train_samples", "Training images", Training, Control::Number("100"), training.train_samples, number(TRAIN_SAMPLES)),
    knob!("seed", "Seed", Training, Control::Number("1"), training.seed, number(0..=u64::MAX)),
    knob!("loss_every", "Loss read back every (steps)", Training, Control::Url, training.loss_every, number(LOSS_EVERY)),
    knob!("l1", "L1 penalty on kernels", Levers, Control::Number("0.00001"), training.l1, number(REGULARIZATION)),
    knob!("l2", "L2 penalty on kernels", Levers, Control::Number("0.00001"), training.l2, number(REGULARIZATION)),
    knob!("validation_split", "Share held out for validation", Levers, Control::Number("0.05"), training.validation_split, number(VALIDATION_SPLIT)),
    knob!("early_stopping", "Stop early when validation loss stalls", Levers, Control::Flag { on: "On", off: "Off" }, training.early_stopping, flag, shared: true),
    knob!("patience", "Epochs without improvement allowed", Levers, Control::Number("1"), training.patience, number(PATIENCE)),
    knob!("min_delta", "Smallest improvement that counts", Levers, Control::Number("0.001"), training.min_delta, number(MIN_DELTA)),
    knob!(
        "restore_best_weights",
        "Keep the best epoch's weights",
        Levers,
        Control::Flag { on: "Yes", off: "No" },
        training.restore_best_weights,
        flag,
        shared: true
    ),
    knob!("engine", "Training step", Training, training.engine, choice),
    knob!("prune", "Pruning method", Main, pruning.prune, choice),
    knob!("initial_sparsity", "Sparsity at the first pruning step", Schedule, Control::Url, pruning.initial_sparsity, number(SPARSITY)),
    knob!("final_sparsity", "Weights to remove", Main, Control::Percent, pruning.final_sparsity, number(SPARSITY)),
    knob!("ranking", "Rank weights (one-shot)", Schedule, pruning.ranking, choice),
    knob!("pattern", "Sparsity pattern", Schedule, pruning.pattern, choice),
    knob!("block", "Block (inputs × units)", Schedule, pruning.block, choice),
    knob!("block_pooling", "Block score", Schedule, pruning.block_pooling, choice),
    knob!("m_by_n", "N:M (zeros : run of inputs)", Schedule, pruning.m_by_n, choice),
    knob!("begin_step", "Start pruning at step", Schedule, Control::Number("1"), pruning.begin_step, number(STEP)),
    knob!("end_step", "Reach the target at step", Schedule, Control::Number("1"), pruning.end_step, number(END_STEP)),
    knob!("frequency", "Prune every (steps)", Schedule, Control::Number("1"), pruning.frequency, number(FREQUENCY)),
    knob!("prune_batch", "Batch size while pruning", Schedule, Control::Number("1"), pruning.prune_batch, number(BATCH)),
    knob!("finetune_epochs", "Fine-tuning epochs after pruning", Schedule, Control::Number("1"), pruning.finetune_epochs, number(FINETUNE_EPOCHS)),
    knob!("hidden_keep", "Hidden units kept (structured)", Levers, Control::Number("1"), pruning.hidden_keep, number(HIDDEN_KEEP)),
    knob!("norm", "Rank units by (structured)", Levers, pruning.norm, choice),
    knob!(
        "distill",
        "Distil the structured student",
        Levers,
        Control::Flag { on: "Yes, and train one from scratch", off: "No" },
        pruning.distill,
        flag,
        shared: true
    ),
    knob!("distill_t", "Distillation temperature", Levers, Control::Number("0.5"), pruning.distill_t, number(DISTILL_T)),
    knob!("distill_alpha", "Weight of the true labels (α)", Levers, Control::Number("0.05"), pruning.distill_alpha, number(DISTILL_ALPHA)),
    knob!("backend", "Device", Main, backend, choice),
    knob!("quantize", "Quantization", Levers, quantize, choice),
    knob!("autorun", "Run on opening", Run, Control::Url, autorun, flag, shared: false),
    knob!("embed", "Compact layout for an iframe", Run, Control::Url, embed, flag, shared: true),
    knob!("sweep", "Sweep sparsity after the run", Run, Control::Url, sweep, flag, shared: true),
    knob!("patterns", "Compare sparsity patterns after the run", Run, Control::Url, patterns, flag, shared: true),
    knob!("check_engine", "Check the fused step against autodiff", Run, Control::Url, check_engine, flag, shared: true),
];

/// The knob with URL key `key`.
pub fn knob(key: &str) -> Option<&'static Knob> {
    KNOBS.iter().find(|k| k.key == key)
}

/// The query that reproduces `settings`: every shared knob that differs from its default.
pub fn query(settings: &Settings) -> String {
    let defaults = Settings::default();
    KNOBS
        .iter()
        .filter(|k| k.shared)
        .filter_map(|k| {
            let value = (k.value)(settings);
            (value != (k.value)(&defaults)).then(|| format!("{}={value}", k.key))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Reading and writing settings as text goes through the table.
impl Settings {
    /// Settings from the query's key/value pairs (already percent-decoded), and the notices to show.
    /// A later repetition of a key wins.
    pub fn from_query<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut notices = Vec::new();
        for (key, raw) in pairs {
            settings.apply(key.as_ref(), raw.as_ref(), &mut notices);
        }
        settings.check_schedule(&mut notices);
        settings.check_pattern(&mut notices);
        settings.check_early_stopping(&mut notices);
        (settings, notices)
    }

    /// Sets one knob from its text (a URL parameter or a form field), validated like the URL.
    pub fn apply(&mut self, key: &str, raw: &str, notices: &mut Vec<String>) {
        match knob(key) {
            Some(knob) => knob.set(self, raw, notices),
            None => notices.push(format!("unknown parameter {key:?} was ignored")),
        }
    }

    /// The query string that reproduces these settings (only what differs from the defaults;
    /// never `autorun`, so a shared or reloaded link does not start training by itself).
    pub fn to_query(&self) -> String {
        query(self)
    }
}

/// The `<iframe>` snippet that embeds the page at `page_url` (no query) with `settings`.
pub fn embed_snippet(page_url: &str, settings: &Settings) -> String {
    let embedded = Settings { embed: true, ..settings.clone() };
    let src = format!("{page_url}?{}", embedded.to_query()).replace('&', "&amp;");
    format!(
        r#"<iframe src="{src}" width="720" height="900" style="border:0;max-width:100%" loading="lazy" title="PruneLab: train and prune an MNIST network on your GPU"></iframe>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_listed_once() {
        let mut keys: Vec<&str> = KNOBS.iter().map(|k| k.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), KNOBS.len());
    }

    #[test]
    fn every_knob_reads_back_what_it_writes() {
        let defaults = Settings::default();
        for k in KNOBS {
            let mut settings = Settings::default();
            let mut notices = Vec::new();
            k.set(&mut settings, &(k.value)(&defaults), &mut notices);
            assert!(notices.is_empty(), "{}: {notices:?}", k.key);
            assert_eq!(settings, defaults, "{}", k.key);
        }
        assert_eq!(query(&defaults), "", "the defaults give an empty query");
    }

    #[test]
    fn every_choice_word_is_taken_and_shared() {
        for k in KNOBS {
            let Control::Choice(words) = k.control else { continue };
            for (word, _) in words() {
                let mut settings = Settings::default();
                let mut notices = Vec::new();
                k.set(&mut settings, word, &mut notices);
                assert!(notices.is_empty(), "{}={word}: {notices:?}", k.key);
                assert_eq!((k.value)(&settings), word, "{}", k.key);
            }
        }
    }

    #[test]
    fn autorun_is_never_shared() {
        let mut settings = Settings::default();
        knob("autorun").unwrap().set(&mut settings, "1", &mut Vec::new());
        assert!(settings.autorun);
        assert_eq!(query(&settings), "");
    }
}
