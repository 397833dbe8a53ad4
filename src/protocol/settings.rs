//! URL query parameters → validated settings. Every knob can be set from the URL
//! (`?epochs=1&batch=128&hidden=128&train_samples=6000&seed=1&lr=0.001&autorun=1`); a value out of
//! range is clamped and one that cannot be read is ignored, each with a notice the page shows.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::data::mnist::TRAIN_COUNT;
use crate::prune::pattern::Pattern;
use crate::train::config::{PruneConfig, Ranking, TrainingConfig};

/// Which backend the visitor asked for (`?backend=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BackendChoice {
    /// WebGPU on a hardware adapter; the CPU when there is none, or when the adapter is a software
    /// fallback (SwiftShader, llvmpipe), on which this small network trains far faster on the CPU.
    #[default]
    Auto,
    /// WebGPU whenever the browser has a usable adapter, software or not.
    Webgpu,
    Cpu,
}

/// Post-training quantization of the finished models (`?quantize=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantize {
    /// The dense model and the unstructured pruned one also in int8, measured beside them.
    #[default]
    Int8,
    /// float32 only.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub training: TrainingConfig,
    pub pruning: PruneConfig,
    /// Run the whole pipeline without clicks (`?autorun=1`).
    pub autorun: bool,
    /// The compact layout for an iframe in a blog post (`?embed=1`).
    pub embed: bool,
    pub backend: BackendChoice,
    /// Time dense vs sparse kernels across sparsities at the end of the run (`?sweep=1`).
    pub sweep: bool,
    /// Prune the dense model under each sparsity pattern to the same sparsities, fine-tune each
    /// equally, and set accuracy against measured latency (`?patterns=1`).
    pub patterns: bool,
    /// Check the fused step against autodiff on the run's device before training (`?check_engine=1`).
    pub check_engine: bool,
    pub quantize: Quantize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            training: TrainingConfig::new(),
            pruning: PruneConfig::default(),
            autorun: false,
            embed: false,
            backend: BackendChoice::Auto,
            sweep: false,
            patterns: false,
            check_engine: false,
            quantize: Quantize::Int8,
        }
    }
}

/// The allowed values of each numeric knob.
pub const HIDDEN: RangeInclusive<usize> = 1..=1024;
pub const EPOCHS: RangeInclusive<usize> = 1..=50;
pub const BATCH: RangeInclusive<usize> = 1..=4096;
pub const TRAIN_SAMPLES: RangeInclusive<usize> = 1..=TRAIN_COUNT;
pub const LR: RangeInclusive<f64> = 1e-5..=1.0;
pub const LOSS_EVERY: RangeInclusive<usize> = 1..=1000;
/// Regularization factors (Keras' `L1L2`); beyond 0.1 the penalty swamps the loss of this net.
pub const REGULARIZATION: RangeInclusive<f64> = 0.0..=0.1;
/// Keras accepts (0, 1); half the data is the most that leaves a model worth training.
pub const VALIDATION_SPLIT: RangeInclusive<f64> = 0.0..=0.5;
pub const PATIENCE: RangeInclusive<usize> = 0..=50;
pub const MIN_DELTA: RangeInclusive<f64> = 0.0..=10.0;
/// Sparsities stop short of 1: TFMOT requires [0, 1), and the slider goes to 99 %.
pub const SPARSITY: RangeInclusive<f32> = 0.0..=0.99;
pub const STEP: RangeInclusive<i64> = 0..=10_000_000;
pub const END_STEP: RangeInclusive<i64> = -1..=10_000_000;
pub const FREQUENCY: RangeInclusive<i64> = 1..=100_000;
pub const FINETUNE_EPOCHS: RangeInclusive<usize> = 0..=50;
pub const HIDDEN_KEEP: RangeInclusive<usize> = 0..=1024;
/// Hinton et al. report temperatures from 1 to 20; beyond 100 every soft target is uniform.
pub const DISTILL_T: RangeInclusive<f32> = 1.0..=100.0;
pub const DISTILL_ALPHA: RangeInclusive<f32> = 0.0..=1.0;

impl Settings {
    /// A schedule TFMOT would reject (say `end_step < begin_step`) falls back to the default
    /// recipe's steps, with a notice.
    pub fn check_schedule(&mut self, notices: &mut Vec<String>) {
        if let Some(Err(e)) = self.pruning.schedule().map(|s| s.validate()) {
            let defaults = PruneConfig::default();
            notices.push(format!("the pruning schedule is invalid ({e}); using begin_step={} and end_step={}", defaults.begin_step, defaults.end_step));
            self.pruning.begin_step = defaults.begin_step;
            self.pruning.end_step = defaults.end_step;
        }
    }

    /// Global ranking pools single weights across layers (torch's `global_unstructured`); blocks
    /// and N:M are TFMOT's, per layer: with them the ranking is per layer, with a notice.
    pub fn check_pattern(&mut self, notices: &mut Vec<String>) {
        let p = &mut self.pruning;
        if p.ranking == Ranking::Global && p.pattern != Pattern::Unstructured {
            p.ranking = Ranking::Layer;
            notices.push("ranking=global prunes single weights; blocks and N:M rank per layer (as TFMOT), so ranking=layer is used".into());
        }
    }

    /// Early stopping watches the validation loss, so it needs a validation split: without one,
    /// Keras' default recipe's 10 % is held out, with a notice.
    pub fn check_early_stopping(&mut self, notices: &mut Vec<String>) {
        let t = &mut self.training;
        if t.early_stopping && t.validation_split == 0.0 {
            t.validation_split = 0.1;
            notices.push("early_stopping needs a validation split; using validation_split=0.1".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::knobs::embed_snippet;
    use crate::prune::schedule::Schedule;
    use crate::prune::structured::Norm;
    use crate::train::config::TrainStep;
    use crate::train::config::{PruneMethod, Ranking};

    fn parse(query: &[(&str, &str)]) -> (Settings, Vec<String>) {
        Settings::from_query(query)
    }

    #[test]
    fn no_parameters_give_the_keras_defaults() {
        let (settings, notices) = parse(&[]);
        assert!(notices.is_empty());
        let t = &settings.training;
        assert_eq!((t.hidden, t.epochs, t.batch, t.train_samples, t.lr), (128, 5, 128, 60_000, 1e-3));
        assert!(!settings.autorun);
    }

    #[test]
    fn valid_values_are_taken() {
        let (settings, notices) = parse(&[
            ("epochs", "1"),
            ("batch", "64"),
            ("hidden", "32"),
            ("train_samples", "6000"),
            ("seed", "7"),
            ("lr", "0.003"),
            ("autorun", "1"),
            ("backend", "cpu"),
        ]);
        assert_eq!(notices, Vec::<String>::new());
        let t = &settings.training;
        assert_eq!((t.epochs, t.batch, t.hidden, t.train_samples, t.seed, t.lr), (1, 64, 32, 6000, 7, 0.003));
        assert!(settings.autorun);
        assert_eq!(settings.backend, BackendChoice::Cpu);
    }

    #[test]
    fn out_of_range_values_are_clamped_with_a_notice() {
        let (settings, notices) = parse(&[("epochs", "1000"), ("batch", "0"), ("train_samples", "70000"), ("lr", "5")]);
        let t = &settings.training;
        assert_eq!((t.epochs, t.batch, t.train_samples, t.lr), (50, 1, 60_000, 1.0));
        assert_eq!(notices.len(), 4);
        assert!(notices[0].contains("epochs=1000 is above the maximum 50"), "{}", notices[0]);
    }

    #[test]
    fn unreadable_values_are_ignored_with_a_notice() {
        for (key, raw) in [("epochs", "five"), ("batch", "-3"), ("lr", "NaN"), ("seed", "1e3"), ("hidden", ""), ("autorun", "maybe"), ("backend", "tpu")] {
            let (settings, notices) = parse(&[(key, raw)]);
            assert_eq!(notices.len(), 1, "{key}={raw}");
            let mut expected = Settings::default();
            if key == "lr" {
                // NaN parses as a float; it is clamped rather than used.
                expected.training.lr = *LR.start();
            }
            assert_eq!(settings, expected, "{key}={raw}");
        }
    }

    #[test]
    fn infinite_learning_rate_is_clamped() {
        let (settings, notices) = parse(&[("lr", "inf")]);
        assert_eq!(settings.training.lr, 1.0);
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn unknown_parameters_are_reported() {
        let (_, notices) = parse(&[("epoch", "3")]);
        assert_eq!(notices, vec!["unknown parameter \"epoch\" was ignored".to_string()]);
    }

    #[test]
    fn pruning_parameters_are_read_and_validated() {
        let (settings, notices) =
            parse(&[("prune", "oneshot"), ("final_sparsity", "0.9"), ("ranking", "global"), ("finetune_epochs", "1"), ("hidden_keep", "16"), ("norm", "L2")]);
        assert_eq!(notices, Vec::<String>::new());
        let p = &settings.pruning;
        assert_eq!(
            (p.prune, p.final_sparsity, p.ranking, p.finetune_epochs, p.hidden_keep, p.norm),
            (PruneMethod::Oneshot, 0.9, Ranking::Global, 1, 16, Norm::L2)
        );
        assert_eq!(p.schedule(), None);

        let (settings, notices) = parse(&[("final_sparsity", "1"), ("prune", "magic"), ("ranking", "random")]);
        assert_eq!(settings.pruning.final_sparsity, 0.99);
        assert_eq!(settings.pruning.prune, PruneMethod::Poly);
        assert_eq!(notices.len(), 3);
    }

    #[test]
    fn sparsity_patterns_are_read_and_global_ranking_goes_per_layer_with_them() {
        use crate::prune::pattern::{BlockSize, MByN, Pooling};
        let (settings, notices) = parse(&[("pattern", "block"), ("block", "4x1"), ("block_pooling", "max"), ("m_by_n", "1:4")]);
        assert_eq!(notices, Vec::<String>::new());
        let p = &settings.pruning;
        assert_eq!((p.pattern, p.block, p.block_pooling, p.m_by_n), (Pattern::Block, BlockSize { rows: 4, cols: 1 }, Pooling::Max, MByN { m: 1, n: 4 }));

        let (settings, notices) = parse(&[("pattern", "m_by_n"), ("ranking", "global"), ("block", "3x3")]);
        assert_eq!(
            (settings.pruning.pattern, settings.pruning.ranking, settings.pruning.block),
            (Pattern::MByN, Ranking::Layer, BlockSize { rows: 1, cols: 4 })
        );
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices.iter().any(|n| n.contains("ranking=layer is used")), "{notices:?}");
    }

    #[test]
    fn the_default_schedule_is_the_seed_recipe() {
        let schedule = Settings::default().pruning.schedule().unwrap();
        assert_eq!(schedule, Schedule::polynomial(0.0, 0.5, 2000, 10_000));
    }

    #[test]
    fn an_invalid_schedule_falls_back_to_the_default_steps() {
        let (settings, notices) = parse(&[("begin_step", "500"), ("end_step", "100")]);
        assert_eq!((settings.pruning.begin_step, settings.pruning.end_step), (2000, 10_000));
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("end_step"), "{}", notices[0]);
        // ConstantSparsity may run forever.
        let (settings, notices) = parse(&[("prune", "constant"), ("end_step", "-1")]);
        assert!(notices.is_empty());
        assert_eq!(settings.pruning.end_step, -1);
    }

    #[test]
    fn the_backend_choice_is_read_and_shared() {
        for (word, choice) in [("auto", BackendChoice::Auto), ("webgpu", BackendChoice::Webgpu), ("CPU", BackendChoice::Cpu)] {
            let (settings, notices) = parse(&[("backend", word)]);
            assert_eq!((settings.backend, notices.len()), (choice, 0));
        }
        assert_eq!(parse(&[("backend", "webgpu")]).0.to_query(), "backend=webgpu");
        assert_eq!(parse(&[("backend", "auto")]).0.to_query(), "");
        assert_eq!(parse(&[("backend", "tpu")]).1.len(), 1);
    }

    #[test]
    fn regularization_factors_are_read_clamped_and_shared() {
        let (settings, notices) = parse(&[("l1", "0.0001"), ("l2", "0.001")]);
        assert_eq!((settings.training.l1, settings.training.l2, notices.len()), (1e-4, 1e-3, 0));
        assert_eq!(settings.to_query(), "l1=0.0001&l2=0.001");
        let (settings, notices) = parse(&[("l1", "-1"), ("l2", "5"), ("l1", "lots")]);
        assert_eq!((settings.training.l1, settings.training.l2), (0.0, 0.1));
        assert_eq!(notices.len(), 3);
    }

    #[test]
    fn early_stopping_knobs_are_read_validated_and_shared() {
        let (settings, notices) =
            parse(&[("validation_split", "0.2"), ("early_stopping", "1"), ("patience", "3"), ("min_delta", "0.01"), ("restore_best_weights", "1")]);
        assert!(notices.is_empty(), "{notices:?}");
        let t = &settings.training;
        assert_eq!((t.validation_split, t.early_stopping, t.patience, t.min_delta, t.restore_best_weights), (0.2, true, 3, 0.01, true));
        assert_eq!(settings.to_query(), "validation_split=0.2&early_stopping=1&patience=3&min_delta=0.01&restore_best_weights=1");
        // Without a split, early stopping gets Keras' usual 10 %, and says so.
        let (settings, notices) = parse(&[("early_stopping", "1")]);
        assert_eq!(settings.training.validation_split, 0.1);
        assert!(notices[0].contains("validation_split=0.1"), "{notices:?}");
        let (settings, notices) = parse(&[("validation_split", "0.9"), ("patience", "-1")]);
        assert_eq!((settings.training.validation_split, settings.training.patience), (0.5, 0));
        assert_eq!(notices.len(), 2);
    }

    #[test]
    fn the_quantize_choice_is_read_and_shared() {
        assert_eq!(parse(&[]).0.quantize, Quantize::Int8, "on by default");
        let (settings, notices) = parse(&[("quantize", "none")]);
        assert_eq!((settings.quantize, notices.len()), (Quantize::None, 0));
        assert_eq!(settings.to_query(), "quantize=none");
        let (settings, notices) = parse(&[("quantize", "int4")]);
        assert_eq!(settings.quantize, Quantize::Int8);
        assert!(notices[0].contains("int8, none"), "{notices:?}");
    }

    #[test]
    fn distillation_knobs_are_read_clamped_and_shared() {
        let d = parse(&[]).0.pruning;
        assert_eq!((d.distill, d.distill_t, d.distill_alpha), (true, 10.0, 0.1), "on by default, with Keras' example knobs");
        let (settings, notices) = parse(&[("distill", "0"), ("distill_t", "4"), ("distill_alpha", "0.5")]);
        assert!(notices.is_empty(), "{notices:?}");
        let p = &settings.pruning;
        assert_eq!((p.distill, p.distill_t, p.distill_alpha), (false, 4.0, 0.5));
        assert_eq!(settings.to_query(), "distill=0&distill_t=4&distill_alpha=0.5");
        let (settings, notices) = parse(&[("distill_t", "0"), ("distill_alpha", "2"), ("distill", "maybe"), ("distill_t", "hot")]);
        assert_eq!((settings.pruning.distill, settings.pruning.distill_t, settings.pruning.distill_alpha), (true, 1.0, 1.0));
        assert_eq!(notices.len(), 4, "{notices:?}");
    }

    #[test]
    fn the_engine_choice_is_read_and_shared() {
        assert_eq!(parse(&[]).0.training.engine, TrainStep::Fused, "fused by default");
        let (settings, notices) = parse(&[("engine", "autodiff")]);
        assert_eq!((settings.training.engine, notices.len()), (TrainStep::Autodiff, 0));
        assert_eq!(settings.to_query(), "engine=autodiff");
        let (settings, notices) = parse(&[("engine", "jit")]);
        assert_eq!(settings.training.engine, TrainStep::Fused);
        assert!(notices[0].contains("fused, autodiff"), "{notices:?}");
    }

    #[test]
    fn the_sweep_flag_is_read_and_shared() {
        let (settings, notices) = parse(&[("sweep", "1")]);
        assert!(settings.sweep && notices.is_empty());
        assert_eq!(settings.to_query(), "sweep=1");
        let (settings, notices) = parse(&[("sweep", "maybe")]);
        assert!(!settings.sweep);
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn the_embed_snippet_carries_the_settings() {
        let (settings, _) = parse(&[("final_sparsity", "0.9"), ("autorun", "1")]);
        let snippet = embed_snippet("https://example.org/blog/prunelab/", &settings);
        assert!(snippet.starts_with(r#"<iframe src="https://example.org/blog/prunelab/?final_sparsity=0.9&amp;embed=1" "#), "{snippet}");
        assert!(!snippet.contains("autorun"));
        assert!(snippet.contains("max-width:100%"));
    }

    #[test]
    fn the_query_round_trips() {
        let (settings, _) = parse(&[("epochs", "2"), ("lr", "0.01"), ("backend", "cpu"), ("prune", "oneshot"), ("final_sparsity", "0.9")]);
        let query = settings.to_query();
        assert_eq!(query, "epochs=2&lr=0.01&prune=oneshot&final_sparsity=0.9&backend=cpu");
        let pairs: Vec<(String, String)> = query.split('&').map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap()).collect();
        assert_eq!(Settings::from_query(&pairs).0, settings);
    }
}
