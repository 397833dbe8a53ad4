//! TFMOT's pruning schedules (`tensorflow_model_optimization/.../sparsity/keras/pruning_schedule.py`),
//! with its semantics exactly:
//! - the step counts training batches from 0 (`UpdatePruningStep` sets it before each batch);
//! - a step prunes when `begin_step <= step` and (`end_step == -1` or `step <= end_step`) and
//!   `(step - begin_step) % frequency == 0`;
//! - `PolynomialDecay`: `p = clamp((step - begin) / (end - begin), 0, 1)`,
//!   `sparsity = (initial - final) * (1 - p)^power + final`, in float32 as TF computes it;
//! - `ConstantSparsity`: always `target_sparsity`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    PolynomialDecay { initial_sparsity: f32, final_sparsity: f32, begin_step: i64, end_step: i64, power: f32, frequency: i64 },
    ConstantSparsity { target_sparsity: f32, begin_step: i64, end_step: i64, frequency: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("begin_step must be >= 0")]
    NegativeBegin,
    #[error("end_step must be -1 (never stop) or >= begin_step; PolynomialDecay needs an explicit end_step")]
    BadEnd,
    #[error("frequency must be > 0")]
    BadFrequency,
    #[error("{0} must be in [0, 1)")]
    BadSparsity(&'static str),
}

impl Schedule {
    /// The TFMOT defaults: `power=3`, `frequency=100`.
    pub fn polynomial(initial_sparsity: f32, final_sparsity: f32, begin_step: i64, end_step: i64) -> Self {
        Schedule::PolynomialDecay { initial_sparsity, final_sparsity, begin_step, end_step, power: 3.0, frequency: 100 }
    }

    /// `ConstantSparsity(target, begin_step, end_step=-1, frequency=100)`.
    pub fn constant(target_sparsity: f32, begin_step: i64) -> Self {
        Schedule::ConstantSparsity { target_sparsity, begin_step, end_step: -1, frequency: 100 }
    }

    /// The checks TFMOT's constructors make (`_validate_step`, `_validate_sparsity`).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let (begin, end, frequency, allow_open_end) = match *self {
            Schedule::PolynomialDecay { begin_step, end_step, frequency, .. } => (begin_step, end_step, frequency, false),
            Schedule::ConstantSparsity { begin_step, end_step, frequency, .. } => (begin_step, end_step, frequency, true),
        };
        if begin < 0 {
            return Err(ScheduleError::NegativeBegin);
        }
        if (end == -1 && !allow_open_end) || (end != -1 && end < begin) {
            return Err(ScheduleError::BadEnd);
        }
        if frequency <= 0 {
            return Err(ScheduleError::BadFrequency);
        }
        let sparsities: &[(&'static str, f32)] = match self {
            Schedule::PolynomialDecay { initial_sparsity, final_sparsity, .. } => {
                &[("initial_sparsity", *initial_sparsity), ("final_sparsity", *final_sparsity)]
            }
            Schedule::ConstantSparsity { target_sparsity, .. } => &[("target_sparsity", *target_sparsity)],
        };
        for &(name, s) in sparsities {
            if !(0.0..1.0).contains(&s) {
                return Err(ScheduleError::BadSparsity(name));
            }
        }
        Ok(())
    }

    fn steps(&self) -> (i64, i64, i64) {
        match *self {
            Schedule::PolynomialDecay { begin_step, end_step, frequency, .. } | Schedule::ConstantSparsity { begin_step, end_step, frequency, .. } => {
                (begin_step, end_step, frequency)
            }
        }
    }

    /// `_should_prune_in_step`: whether the masks are recomputed at this step.
    pub fn should_prune(&self, step: i64) -> bool {
        let (begin, end, frequency) = self.steps();
        let in_range = begin <= step && (end < 0 || step <= end);
        in_range && (step - begin) % frequency == 0
    }

    /// The sparsity the schedule targets at `step` (used when `should_prune(step)`).
    pub fn sparsity(&self, step: i64) -> f32 {
        match *self {
            Schedule::ConstantSparsity { target_sparsity, .. } => target_sparsity,
            Schedule::PolynomialDecay { initial_sparsity, final_sparsity, begin_step, end_step, power, .. } => {
                let p = ((step - begin_step) as f32 / (end_step - begin_step) as f32).clamp(0.0, 1.0);
                (initial_sparsity - final_sparsity) * (1.0 - p).powf(power) + final_sparsity
            }
        }
    }

    /// Every step in `0..total_steps` at which the masks change, with its target sparsity.
    pub fn pruning_steps(&self, total_steps: i64) -> Vec<(i64, f32)> {
        (0..total_steps).filter(|&s| self.should_prune(s)).map(|s| (s, self.sparsity(s))).collect()
    }
}

/// What a schedule does over a run of `total_steps`: the page says this in words.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSummary {
    pub total_steps: usize,
    /// Mask updates that happen within the run.
    pub updates: usize,
    pub first_update: Option<i64>,
    pub last_update: Option<i64>,
    /// The target of the last update: the sparsity the run really ends at.
    pub reached: f32,
}

impl Schedule {
    pub fn summary(&self, total_steps: usize) -> ScheduleSummary {
        let ticks = self.pruning_steps(total_steps as i64);
        ScheduleSummary {
            total_steps,
            updates: ticks.len(),
            first_update: ticks.first().map(|t| t.0),
            last_update: ticks.last().map(|t| t.0),
            reached: ticks.last().map(|t| t.1).unwrap_or(0.0),
        }
    }
}

/// How many of `n` weights TFMOT keeps at `sparsity` (`pruning_impl._update_mask`):
/// `k = max(round(n * (1 - sparsity)), 1)`, computed in float32 with TF's round-half-to-even.
pub fn keep_count(n: usize, sparsity: f32) -> usize {
    ((n as f32 * (1.0 - sparsity)).round_ties_even().max(1.0)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed recipe: PolynomialDecay 0 → 0.5 from step 2000 to 10000.
    fn seed() -> Schedule {
        Schedule::polynomial(0.0, 0.5, 2000, 10_000)
    }

    #[test]
    fn polynomial_decay_follows_the_published_formula() {
        let s = seed();
        // Independent values: 0.5 * (1 - (1 - p)^3) with p = (step - 2000) / 8000.
        for (step, expected) in [(2000, 0.0), (4000, 0.5 * (1.0 - 0.75f64.powi(3))), (6000, 0.4375), (9300, 0.5 * (1.0 - 0.0875f64.powi(3))), (10_000, 0.5)] {
            assert!((f64::from(s.sparsity(step)) - expected).abs() < 1e-6, "step {step}: {} vs {expected}", s.sparsity(step));
        }
    }

    #[test]
    fn before_begin_and_after_end_the_sparsity_is_clamped() {
        let s = seed();
        assert_eq!(s.sparsity(0), 0.0);
        assert_eq!(s.sparsity(1999), 0.0);
        assert_eq!(s.sparsity(20_000), 0.5);
        assert!(!s.should_prune(0) && !s.should_prune(1900) && !s.should_prune(1999));
        assert!(!s.should_prune(10_100));
    }

    #[test]
    fn pruning_happens_on_frequency_ticks_from_begin_to_end_inclusive() {
        let s = seed();
        assert!(s.should_prune(2000));
        assert!(!s.should_prune(2001) && !s.should_prune(2099));
        assert!(s.should_prune(2100));
        assert!(s.should_prune(10_000), "end_step itself prunes");
        let ticks = s.pruning_steps(20_000);
        assert_eq!(ticks.len(), 81);
        assert_eq!(ticks.first().unwrap().0, 2000);
        assert_eq!(ticks.last().unwrap().0, 10_000);
    }

    #[test]
    fn the_seed_recipe_with_keras_batch_32_stops_short_of_its_target() {
        // 60,000 images at batch 32 is 1,875 steps an epoch, 9,375 in 5 epochs (steps 0..9374):
        // the last tick is 9300, so the model ends at 49.97 % sparsity, not 50 %.
        let ticks = seed().pruning_steps(5 * 1875);
        assert_eq!(ticks.len(), 74);
        let (last_step, last_sparsity) = *ticks.last().unwrap();
        assert_eq!(last_step, 9300);
        assert!((f64::from(last_sparsity) - 0.499_665).abs() < 1e-5, "{last_sparsity}");
    }

    #[test]
    fn the_summary_says_what_the_run_reaches() {
        let summary = seed().summary(5 * 1875);
        assert_eq!((summary.updates, summary.first_update, summary.last_update), (74, Some(2000), Some(9300)));
        assert!((summary.reached - 0.499_665).abs() < 1e-5);
        // With the page's own batch of 128, 5 epochs are only 2,345 steps: four updates, 5.4 %.
        let short = seed().summary(5 * 469);
        assert_eq!(short.updates, 4);
        assert!((f64::from(short.reached) - 0.5 * (1.0 - (1.0 - 300.0 / 8000.0f64).powi(3))).abs() < 1e-5);
        assert_eq!(seed().summary(1000).reached, 0.0);
    }

    #[test]
    fn constant_sparsity_prunes_every_frequency_steps_forever() {
        let s = Schedule::constant(0.9, 100);
        assert!(!s.should_prune(0) && !s.should_prune(99));
        assert!(s.should_prune(100) && s.should_prune(1_000_100));
        assert!(!s.should_prune(150));
        assert_eq!(s.sparsity(0), 0.9);
        assert_eq!(s.sparsity(5_000), 0.9);
    }

    #[test]
    fn validation_matches_tfmot() {
        assert_eq!(seed().validate(), Ok(()));
        assert_eq!(Schedule::constant(0.5, 0).validate(), Ok(()));
        assert_eq!(Schedule::polynomial(0.0, 0.5, 0, -1).validate(), Err(ScheduleError::BadEnd));
        assert_eq!(Schedule::polynomial(0.0, 0.5, 10, 5).validate(), Err(ScheduleError::BadEnd));
        assert_eq!(Schedule::polynomial(0.0, 1.0, 0, 10).validate(), Err(ScheduleError::BadSparsity("final_sparsity")));
        assert_eq!(Schedule::constant(0.5, -1).validate(), Err(ScheduleError::NegativeBegin));
        let mut s = Schedule::constant(0.5, 0);
        if let Schedule::ConstantSparsity { frequency, .. } = &mut s {
            *frequency = 0;
        }
        assert_eq!(s.validate(), Err(ScheduleError::BadFrequency));
    }

    #[test]
    fn keep_count_rounds_half_to_even_like_tf() {
        assert_eq!(keep_count(100_352, 0.5), 50_176);
        assert_eq!(keep_count(10, 0.25), 8); // 7.5 rounds to 8 (even)
        assert_eq!(keep_count(10, 0.35), 6); // 6.5 rounds to 6 (even)
        assert_eq!(keep_count(10, 0.99), 1); // never below one
        assert_eq!(keep_count(1280, 0.9), 128);
    }
}
