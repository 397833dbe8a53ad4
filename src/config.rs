//! The run's knobs as burn configs (`#[derive(Config)]`, as burn's examples write them): how the
//! dense model trains and how it is pruned. Field names are the URL parameters' names; the knob
//! table (`knobs.rs`) reads and writes them, and `Settings` holds one of each.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::fused::Engine;
use crate::prune::schedule::Schedule;
use crate::prune::structured::Norm;

/// Every training knob; the field names are the URL parameters' names.
#[derive(Config, Debug, PartialEq)]
pub struct TrainingConfig {
    /// Hidden units of the MLP (Keras tutorial: 128).
    #[config(default = 128)]
    pub hidden: usize,
    #[config(default = 5)]
    pub epochs: usize,
    /// Samples per step.
    #[config(default = 128)]
    pub batch: usize,
    /// Adam's learning rate (Keras' default 1e-3).
    #[config(default = 1e-3)]
    pub lr: f64,
    /// Seeds the weight initialisation and the per-epoch shuffles.
    #[config(default = 1)]
    pub seed: u64,
    /// The first `train_samples` of the 60,000 training images are used.
    #[config(default = 60000)]
    pub train_samples: usize,
    /// Read the loss back every this many steps (and at the end of each epoch).
    #[config(default = 20)]
    pub loss_every: usize,
    /// Keras' `kernel_regularizer=L1L2(l1, l2)` on both kernels (never the biases): the loss
    /// gains `l1 · Σ|w| + l2 · Σw²`. 0 turns a term off.
    #[config(default = 0.0)]
    pub l1: f64,
    #[config(default = 0.0)]
    pub l2: f64,
    /// Keras' `validation_split`: this share of the (first `train_samples`) training images, the
    /// last ones, before any shuffling, is held out; its loss is measured after every epoch.
    #[config(default = 0.0)]
    pub validation_split: f64,
    /// Keras' `EarlyStopping(monitor="val_loss")` with these three knobs (`early_stopping`).
    #[config(default = false)]
    pub early_stopping: bool,
    #[config(default = 0)]
    pub patience: usize,
    #[config(default = 0.0)]
    pub min_delta: f64,
    #[config(default = false)]
    pub restore_best_weights: bool,
    /// Which code trains (`?engine=`): the fused step, or burn's autodiff. The fused step covers
    /// plain cross-entropy with pruning masks; with L1/L2 or a teacher, autodiff runs (and the
    /// report says so).
    #[config(default = "Engine::Fused")]
    pub engine: Engine,
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

/// The pruning knobs; names are the URL parameters'. The defaults are the seed recipe:
/// PolynomialDecay 0 → 0.5 from step 2000 to 10000, every 100 steps.
#[derive(Config, Debug, PartialEq)]
pub struct PruneConfig {
    #[config(default = "PruneMethod::Poly")]
    pub prune: PruneMethod,
    #[config(default = 0.0)]
    pub initial_sparsity: f32,
    #[config(default = 0.5)]
    pub final_sparsity: f32,
    #[config(default = 2000)]
    pub begin_step: i64,
    #[config(default = 10000)]
    pub end_step: i64,
    #[config(default = 100)]
    pub frequency: i64,
    /// Batch size of the gradual-pruning run: Keras' default of 32, as in TFMOT's examples.
    #[config(default = 32)]
    pub prune_batch: usize,
    #[config(default = "Ranking::Layer")]
    pub ranking: Ranking,
    #[config(default = 2)]
    pub finetune_epochs: usize,
    /// Hidden units the structured model keeps (0: no structured column).
    #[config(default = 32)]
    pub hidden_keep: usize,
    #[config(default = "Norm::L1")]
    pub norm: Norm,
    /// Beside the structured model, the same small student distilled from the dense teacher and
    /// one trained from scratch, each for `finetune_epochs` (`?distill=1`).
    #[config(default = true)]
    pub distill: bool,
    /// Distillation temperature `T` and the weight `α` of the hard-label loss (Keras' example).
    #[config(default = "crate::distill::DEFAULT_TEMPERATURE")]
    pub distill_t: f32,
    #[config(default = "crate::distill::DEFAULT_ALPHA")]
    pub distill_alpha: f32,
}

impl Default for PruneConfig {
    fn default() -> Self {
        PruneConfig::new()
    }
}

impl PruneConfig {
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
