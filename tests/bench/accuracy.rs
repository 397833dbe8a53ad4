//! Benchmark (prints figures, asserts nothing): accuracy of the dense model against the pruned
//! ones on all of MNIST, with the page's own code on burn's CPU backend (accuracy does not depend
//! on the backend; latency is measured in the browser by tests/browser/bench.mjs).
//!
//! `cargo bench --bench accuracy` (add `-- quick` for 1 epoch on 10,000 images).

use std::time::Instant;

use burn::tensor::Device;
use prunelab::data::Mnist;
use prunelab::engine::compare::{TrainedModel, int8_column, prune, students, trained_model};
use prunelab::kernels::int8::{CALIBRATION_IMAGES, Calibration};
use prunelab::train::config::TrainingConfig;
use prunelab::train::config::{PruneConfig, PruneMethod, Ranking};
use prunelab::train::{Silent, train};

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).expect("shipped MNIST");
    let device = Device::flex();
    let config = if quick { TrainingConfig::new().with_epochs(1).with_train_samples(10_000) } else { TrainingConfig::new() };

    let started = Instant::now();
    let trained = futures_lite::future::block_on(train(&config, &data.train, &data.test, &device, &mut Silent)).expect("dense training");
    let accuracy = trained.report.test_accuracy.final_;
    let dense = futures_lite::future::block_on(trained_model(trained.model, accuracy)).expect("dense weights");
    println!(
        "PruneLab accuracy benchmark: burn flex (CPU), {} epochs, batch {}, {} training images, seed {}",
        config.epochs, config.batch, config.train_samples, config.seed
    );
    println!("dense trained in {:.1} s\n", started.elapsed().as_secs_f64());
    println!("| model | hidden units | non-zero weights | kernel sparsity | test accuracy | Δ vs dense | CSR bytes | time |");
    println!("|---|---|---|---|---|---|---|---|");
    let row = |name: &str, c: &TrainedModel, seconds: f64| {
        let r = &c.report;
        let acc = r.test_accuracy.unwrap_or(f64::NAN);
        println!(
            "| {name} | {} | {} | {:.2} % | {:.2} % | {:+.2} pt | {} | {seconds:.0} s |",
            r.hidden_units,
            r.weights_nonzero,
            r.sparsity * 100.0,
            acc * 100.0,
            (acc - accuracy.unwrap_or(f64::NAN)) * 100.0,
            r.bytes.bytes_sparse
        );
    };
    row("dense", &dense, 0.0);
    let calibration_images = data.train.inputs(&(0..CALIBRATION_IMAGES).collect::<Vec<_>>());
    // An int8 row: its own accuracy and bytes (CSR column: the int8 model's bytes as stored).
    let int8_row = |name: &str, source: &TrainedModel, sparse: bool| {
        let started = Instant::now();
        let calibration = Calibration::measure(&source.weights, &calibration_images);
        let q = futures_lite::future::block_on(int8_column(source, &calibration, sparse, &data)).expect("int8");
        let acc = q.report.test_accuracy.unwrap_or(f64::NAN);
        println!(
            "| {name} | {} | {} | {:.2} % | {:.2} % | {:+.2} pt (float {:+.2} pt; same class as float on {:.2} %, reference exact: {}) | {} int8 | {:.1} s |",
            q.report.hidden_units,
            q.report.weights_nonzero,
            q.report.sparsity * 100.0,
            acc * 100.0,
            (acc - accuracy.unwrap_or(f64::NAN)) * 100.0,
            (acc - source.report.test_accuracy.unwrap_or(f64::NAN)) * 100.0,
            q.check.argmax_agreement * 100.0,
            q.check.matches_reference,
            q.report.bytes_int8.unwrap_or(0),
            started.elapsed().as_secs_f64()
        );
    };
    int8_row("dense, int8", &dense, false);
    // L1 / L2 on the kernels (Keras' L1L2), trained the same way from the same seed.
    for (name, regularized) in [("dense, L1 1e-4", config.clone().with_l1(1e-4)), ("dense, L2 1e-4", config.clone().with_l2(1e-4))] {
        let started = Instant::now();
        let trained = futures_lite::future::block_on(train(&regularized, &data.train, &data.test, &device, &mut Silent)).expect("regularized training");
        let c = futures_lite::future::block_on(trained_model(trained.model, trained.report.test_accuracy.final_)).expect("weights");
        let share = c.report.near_zero_share * 100.0;
        row(
            &format!("{name} ({share:.1} % of kernel weights below 0.001; dense: {:.1} %)", dense.report.near_zero_share * 100.0),
            &c,
            started.elapsed().as_secs_f64(),
        );
    }
    // Keras' EarlyStopping on a 10 % validation split, given up to 20 epochs.
    {
        let started = Instant::now();
        let stopping = config.clone().with_epochs(20).with_validation_split(0.1).with_early_stopping(true).with_patience(2).with_restore_best_weights(true);
        let trained = futures_lite::future::block_on(train(&stopping, &data.train, &data.test, &device, &mut Silent)).expect("early-stopping training");
        let es = trained.report.early_stopping.expect("early stopping reports");
        let c = futures_lite::future::block_on(trained_model(trained.model, trained.report.test_accuracy.final_)).expect("weights");
        let stopped = es.stopped_epoch.map_or("never stopped".to_string(), |e| format!("stopped after epoch {e}"));
        row(
            &format!(
                "dense, up to 20 epochs, early stopping (val 10 %, patience 2, best restored): {stopped}, best epoch {}, {} of {} steps saved",
                es.best_epoch, es.steps_saved, es.steps_planned
            ),
            &c,
            started.elapsed().as_secs_f64(),
        );
    }

    let recipes: Vec<(&str, PruneConfig)> = vec![
        ("PolynomialDecay 0→50 %, steps 2000–10000, batch 32 (seed recipe)", PruneConfig { hidden_keep: 0, ..PruneConfig::default() }),
        (
            "PolynomialDecay 0→90 %, steps 0–5000, batch 32",
            PruneConfig { final_sparsity: 0.9, begin_step: 0, end_step: 5000, hidden_keep: 0, ..PruneConfig::default() },
        ),
        ("one-shot 90 % per layer + 2 epochs", PruneConfig { prune: PruneMethod::Oneshot, final_sparsity: 0.9, hidden_keep: 0, ..PruneConfig::default() }),
        (
            "one-shot 90 % global + 2 epochs",
            PruneConfig { prune: PruneMethod::Oneshot, final_sparsity: 0.9, ranking: Ranking::Global, hidden_keep: 0, ..PruneConfig::default() },
        ),
        ("one-shot 95 % per layer + 2 epochs", PruneConfig { prune: PruneMethod::Oneshot, final_sparsity: 0.95, hidden_keep: 0, ..PruneConfig::default() }),
        (
            "one-shot 95 % global + 2 epochs",
            PruneConfig { prune: PruneMethod::Oneshot, final_sparsity: 0.95, ranking: Ranking::Global, hidden_keep: 0, ..PruneConfig::default() },
        ),
        ("structured to 32 units (L1) + 2 epochs", PruneConfig { prune: PruneMethod::Structured, hidden_keep: 32, ..PruneConfig::default() }),
        ("structured to 16 units (L1) + 2 epochs", PruneConfig { prune: PruneMethod::Structured, hidden_keep: 16, ..PruneConfig::default() }),
    ];
    for (name, settings) in recipes {
        let started = Instant::now();
        let pruned = futures_lite::future::block_on(prune(&dense, &config, &settings, &data, &device, &mut Silent)).expect("pruning");
        let seconds = started.elapsed().as_secs_f64();
        if let Some(c) = pruned.unstructured.as_ref().or(pruned.structured.as_ref()) {
            row(name, c, seconds);
        }
        if let Some(c) = &pruned.unstructured {
            int8_row("  ↳ + int8 (CSR)", c, true);
        }
        if let Some(summary) = pruned.report.schedule_summary {
            println!(
                "|  ↳ {} steps, {} mask updates ({:?}–{:?}), schedule reaches {:.2} % | | | | | | | |",
                summary.total_steps,
                summary.updates,
                summary.first_update,
                summary.last_update,
                summary.reached * 100.0
            );
        }
        if let Some(before) = pruned.report.structured_accuracy_before_finetune {
            println!("|  ↳ before fine-tuning: {:.2} % | | | | | | | |", before * 100.0);
        }
        // The same student distilled from the dense teacher, and one of its shape from scratch.
        // Keras' example knobs (the page's defaults), then a cooler, more even mix.
        let Some(kept) = &pruned.kept_units else { continue };
        for (i, (t, alpha)) in [(10.0, 0.1), (4.0, 0.5)].into_iter().enumerate() {
            let started = Instant::now();
            let knobs = PruneConfig { distill_t: t, distill_alpha: alpha, ..settings.clone() };
            let s = futures_lite::future::block_on(students(&dense, kept, &config, &knobs, &data, &device, &mut Silent)).expect("distillation");
            let seconds = started.elapsed().as_secs_f64();
            row(&format!("  ↳ distilled instead (T = {t}, α = {alpha}, {} steps)", s.report.steps), &s.distilled, seconds);
            if let Some(scratch) = s.scratch.as_ref().filter(|_| i == 0) {
                row("  ↳ same shape from scratch, same steps", scratch, 0.0);
            }
        }
    }
}
