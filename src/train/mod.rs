//! Training: the knobs ([`config`]), the loop ([`fit`]: forward → loss → backward → Adam), the
//! fused step that replaces burn's autodiff where it can, early stopping, distillation and the
//! masks applied while pruning.

#[cfg(feature = "engine")]
pub mod check;
pub mod config;
#[cfg(feature = "engine")]
pub mod distill;
pub mod early_stopping;
#[cfg(feature = "engine")]
mod fit;
#[cfg(feature = "engine")]
pub mod fused;
#[cfg(feature = "engine")]
pub mod pruning;
pub mod report;

#[cfg(feature = "engine")]
pub use fit::{
    Checkpoint, Finish, NoHook, Observer, Setup, Silent, StepHook, TrainError, Trained, WATCH_BUDGET, WatchWeights, fit, test_accuracy, train, train_from,
    validation_loss,
};
pub use report::Progress;
