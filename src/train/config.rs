//! The run's knobs: how the dense model trains and how it is pruned. Each knob is written once,
//! with its default beside it, as burn's `#[derive(Config)]` writes them; this crate's own
//! `knobs!` keeps that shape without burn, so the page's build, which shows the settings,
//! compiles no burn crate. Field names are the URL parameters' names; the knob table
//! (`protocol/knobs.rs`) reads and writes them, and `Settings` holds one of each.

use serde::{Deserialize, Serialize};

use crate::prune::mask::{Mask, layer_mask};
use crate::prune::pattern::{BlockSize, MByN, Pattern, Pooling, block_mask, m_by_n_mask};
use crate::prune::schedule::Schedule;
use crate::prune::structured::Norm;

/// Distillation's defaults, from Keras' knowledge-distillation example.
pub const DEFAULT_TEMPERATURE: f32 = 10.0;
pub const DEFAULT_ALPHA: f32 = 0.1;

/// A struct of knobs, each `pub name: Type = default, with_name;`: it derives what burn's
/// `Config` gives (serde with defaults for missing fields, `new()`, a `with_` builder per field).
macro_rules! knobs {
    ($(#[$attr:meta])* pub struct $name:ident {
        $($(#[$field_attr:meta])* pub $field:ident: $ty:ty = $default:expr, $with:ident;)*
    }) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct $name {
            $($(#[$field_attr])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* }
            }
        }

        impl $name {
            pub fn new() -> Self {
                Self::default()
            }
            $(pub fn $with(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            })*
        }
    };
}

/// Which code does a training step (`?engine=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainStep {
    /// burn's autodiff graph and Adam: any loss, any hook; the reference.
    Autodiff,
    /// The fused step: plain cross-entropy (no L1/L2, no teacher), with masks.
    Fused,
}

knobs! {
/// Every training knob; the field names are the URL parameters' names.
pub struct TrainingConfig {
    /// Hidden units of the MLP (Keras tutorial: 128).
    pub hidden: usize = 128, with_hidden;
    pub epochs: usize = 5, with_epochs;
    /// Samples per step.
    pub batch: usize = 128, with_batch;
    /// Adam's learning rate (Keras' default 1e-3).
    pub lr: f64 = 1e-3, with_lr;
    /// Seeds the weight initialisation and the per-epoch shuffles.
    pub seed: u64 = 1, with_seed;
    /// The first `train_samples` of the 60,000 training images are used.
    pub train_samples: usize = 60000, with_train_samples;
    /// Read the loss back every this many steps (and at the end of each epoch).
    pub loss_every: usize = 20, with_loss_every;
    /// Keras' `kernel_regularizer=L1L2(l1, l2)` on both kernels (never the biases): the loss
    /// gains `l1 · Σ|w| + l2 · Σw²`. 0 turns a term off.
    pub l1: f64 = 0.0, with_l1;
    pub l2: f64 = 0.0, with_l2;
    /// Keras' `validation_split`: this share of the (first `train_samples`) training images, the
    /// last ones, before any shuffling, is held out; its loss is measured after every epoch.
    pub validation_split: f64 = 0.0, with_validation_split;
    /// Keras' `EarlyStopping(monitor="val_loss")` with these three knobs (`early_stopping`).
    pub early_stopping: bool = false, with_early_stopping;
    pub patience: usize = 0, with_patience;
    pub min_delta: f64 = 0.0, with_min_delta;
    pub restore_best_weights: bool = false, with_restore_best_weights;
    /// Which code trains (`?engine=`): the fused step, or burn's autodiff. The fused step covers
    /// plain cross-entropy with pruning masks; with L1/L2 or a teacher, autodiff runs (and the
    /// report says so).
    pub engine: TrainStep = TrainStep::Fused, with_engine;
}
}

/// How the middle column ("pruned, unstructured") is made (`?prune=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PruneMethod {
    /// Gradual magnitude pruning while training, TFMOT `PolynomialDecay`.
    Poly,
    /// Gradual magnitude pruning while training, TFMOT `ConstantSparsity`.
    Constant,
    /// Magnitude pruning of the trained dense model in one go, then fine-tuning.
    Oneshot,
    /// Only the structured column.
    Structured,
    /// No pruning: the dense model alone.
    None,
}

/// How one-shot pruning ranks weights (`?ranking=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ranking {
    /// Each kernel to the same sparsity (TFMOT).
    Layer,
    /// All kernels pooled (`torch.nn.utils.prune.global_unstructured`).
    Global,
}

knobs! {
/// The pruning knobs; names are the URL parameters'. The defaults are the seed recipe:
/// PolynomialDecay 0 → 0.5 from step 2000 to 10000, every 100 steps.
pub struct PruneConfig {
    pub prune: PruneMethod = PruneMethod::Poly, with_prune;
    pub initial_sparsity: f32 = 0.0, with_initial_sparsity;
    pub final_sparsity: f32 = 0.5, with_final_sparsity;
    pub begin_step: i64 = 2000, with_begin_step;
    pub end_step: i64 = 10000, with_end_step;
    pub frequency: i64 = 100, with_frequency;
    /// Batch size of the gradual-pruning run: Keras' default of 32, as in TFMOT's examples.
    pub prune_batch: usize = 32, with_prune_batch;
    pub ranking: Ranking = Ranking::Layer, with_ranking;
    /// Which weights go together (TFMOT's `block_size` and `sparsity_m_by_n`), and how.
    pub pattern: Pattern = Pattern::Unstructured, with_pattern;
    pub block: BlockSize = BlockSize { rows: 1, cols: 4 }, with_block;
    /// TFMOT's `block_pooling_type`, AVG by default as there.
    pub block_pooling: Pooling = Pooling::Avg, with_block_pooling;
    pub m_by_n: MByN = MByN { m: 2, n: 4 }, with_m_by_n;
    pub finetune_epochs: usize = 2, with_finetune_epochs;
    /// Hidden units the structured model keeps (0: no structured column).
    pub hidden_keep: usize = 32, with_hidden_keep;
    pub norm: Norm = Norm::L1, with_norm;
    /// Beside the structured model, the same small student distilled from the dense teacher and
    /// one trained from scratch, each for `finetune_epochs` (`?distill=1`).
    pub distill: bool = true, with_distill;
    /// Distillation temperature `T` and the weight `α` of the hard-label loss (Keras' example).
    pub distill_t: f32 = DEFAULT_TEMPERATURE, with_distill_t;
    pub distill_alpha: f32 = DEFAULT_ALPHA, with_distill_alpha;
}
}

impl PruneConfig {
    /// The mask of a kernel (`[inputs, outputs]`) at `sparsity` under the pattern; N:M sets its
    /// own sparsity (`m / n`).
    pub fn pattern_mask(&self, kernel: &[f32], outputs: usize, sparsity: f32) -> Mask {
        match self.pattern {
            Pattern::Unstructured => layer_mask(kernel, sparsity),
            Pattern::Block => block_mask(kernel, outputs, self.block, self.block_pooling, sparsity),
            Pattern::MByN => m_by_n_mask(kernel, outputs, self.m_by_n),
        }
    }

    /// The schedule of a gradual method (power 3, as TFMOT's default).
    pub fn schedule(&self) -> Option<Schedule> {
        match self.prune {
            PruneMethod::Poly => Some(Schedule::PolynomialDecay {
                initial_sparsity: self.initial_sparsity,
                final_sparsity: self.final_sparsity,
                begin_step: self.begin_step,
                end_step: self.end_step,
                power: 3.0,
                frequency: self.frequency,
            }),
            PruneMethod::Constant => Some(Schedule::ConstantSparsity {
                target_sparsity: self.final_sparsity,
                begin_step: self.begin_step,
                end_step: self.end_step,
                frequency: self.frequency,
            }),
            _ => None,
        }
    }
}
