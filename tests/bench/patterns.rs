//! Which sparsity pattern pays on this CPU: `cargo bench --features webgpu --bench patterns` (add
//! `-- quick` for 1 epoch on 10,000 images). Prints figures; asserts only that every kernel
//! computes what the masked dense model computes.
//!
//! The dense model is trained as the accuracy benchmark trains it (5 epochs on all of MNIST, burn
//! flex), then pruned one-shot under each pattern to each sparsity with TFMOT's masks and
//! fine-tuned 2 epochs, as the page does. Each pruned model is timed at batch 1 and 1024 with the
//! page's protocol on the masked dense model (burn flex), the CSR kernel and the pattern's own
//! kernel (block-CSR, N:M); the structured model is a smaller dense model.

use std::time::Instant;

use burn::tensor::Device;
use prunelab::data::Mnist;
use prunelab::engine::compare::{TrainedModel, cpu_agreement, prune, trained_model};
use prunelab::kernels::dense;
use prunelab::kernels::pattern::{PatternMlp, PatternRunner, csr_bytes};
use prunelab::kernels::sparse::{SparseMlp, SparseRunner};
use prunelab::measure::latency::{self, CpuForward, CpuPasses, Protocol, Timing};
use prunelab::model::Mlp;
use prunelab::prune::pattern::{BlockSize, MByN, Pattern};
use prunelab::train::config::{PruneConfig, PruneMethod, TrainingConfig};
use prunelab::train::{Silent, train};
use wall::{Wall, block_on};

#[path = "wall.rs"]
mod wall;

const SPARSITIES: [f32; 3] = [0.5, 0.75, 0.9];

fn ms(t: &Timing) -> String {
    format!("{:.4}", t.median_ms)
}

fn cpu_timing(engine: &mut impl CpuForward, data: &Mnist, batch: usize, protocol: Protocol, clock: &Wall) -> Timing {
    let mut passes = CpuPasses { images: latency::batch_of(&data.test, batch), batch, engine };
    block_on(latency::time(&mut passes, protocol, clock)).expect("timing")
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).expect("shipped MNIST");
    let device = Device::flex();
    let clock = Wall::new();
    let protocol = Protocol { warmup: 3, windows: 15, min_window_ms: 50.0, max_k: 1 << 16, round_trips: 5 };
    let config = if quick { TrainingConfig::new().with_epochs(1).with_train_samples(10_000) } else { TrainingConfig::new() };
    let started = Instant::now();
    let trained = block_on(train(&config, &data.train, &data.test, &device, &mut Silent)).expect("dense training");
    let dense = block_on(trained_model(trained.model, trained.report.test_accuracy.final_)).expect("dense weights");
    let dense_accuracy = dense.report.test_accuracy.unwrap_or(f64::NAN);
    println!(
        "PruneLab pattern benchmark: burn flex (CPU), dense {} epochs on {} images, batch {}, seed {}: {:.2} % in {:.0} s",
        config.epochs,
        config.train_samples,
        config.batch,
        config.seed,
        dense_accuracy * 100.0,
        started.elapsed().as_secs_f64()
    );
    let dense_model = Mlp::from_weights(&dense.weights, &device);
    let dense_t = [1, 1024].map(|batch| block_on(dense::measure(&dense_model, &data.test, batch, &device, protocol, &clock)).expect("dense timing"));
    println!("dense: batch 1 {} ms, batch 1024 {} ms\n", ms(&dense_t[0]), ms(&dense_t[1]));
    println!(
        "Each pruned one-shot with TFMOT's mask, then fine-tuned {} epochs. Latency: median ms per pass, batch 1 / batch 1024.",
        PruneConfig::default().finetune_epochs
    );
    println!(
        "| pattern | sparsity | test accuracy | Δ vs dense | bytes f32 (CSR → pattern) | bytes int8 (CSR → pattern) | masked dense | CSR | pattern kernel | pattern vs CSR at 1024 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");

    let oneshot =
        |sparsity: f32| PruneConfig { prune: PruneMethod::Oneshot, final_sparsity: sparsity, hidden_keep: 0, distill: false, ..PruneConfig::default() };
    let mut studies: Vec<(String, PruneConfig)> = Vec::new();
    for sparsity in SPARSITIES {
        studies.push(("unstructured".into(), oneshot(sparsity)));
        for (rows, cols) in [(1, 4), (4, 1)] {
            let block = BlockSize { rows, cols };
            studies.push((format!("{rows} × {cols} blocks"), PruneConfig { pattern: Pattern::Block, block, ..oneshot(sparsity) }));
        }
        let units = (128.0 * (1.0 - sparsity)).round() as usize;
        studies.push((
            format!("structured, {units} units"),
            PruneConfig { prune: PruneMethod::Structured, hidden_keep: units, distill: false, ..PruneConfig::default() },
        ));
    }
    studies.push(("2:4".into(), PruneConfig { pattern: Pattern::MByN, m_by_n: MByN { m: 2, n: 4 }, ..oneshot(0.5) }));

    for (name, settings) in studies {
        let pruned = block_on(prune(&dense, &config, &settings, &data, &device, &mut Silent)).expect("pruning");
        let Some(model): Option<&TrainedModel> = pruned.unstructured.as_ref().or(pruned.structured.as_ref()) else { continue };
        let accuracy = model.report.test_accuracy.unwrap_or(f64::NAN);
        let head = format!("| {name} | {:.1} % | {:.2} % | {:+.2} pt", model.report.sparsity * 100.0, accuracy * 100.0, (accuracy - dense_accuracy) * 100.0);
        let masked = Mlp::from_weights(&model.weights, &device);
        let masked_t = [1, 1024].map(|batch| block_on(dense::measure(&masked, &data.test, batch, &device, protocol, &clock)).expect("dense timing"));
        if settings.prune == PruneMethod::Structured {
            println!("{head} | {} (dense) | | {} / {} | | | |", model.report.bytes.bytes_f32, ms(&masked_t[0]), ms(&masked_t[1]));
            continue;
        }
        let csr_model = SparseMlp::new(&model.weights).expect("u16 indices");
        let (csr_f32, csr_int8) = csr_bytes(&csr_model);
        let mut csr = SparseRunner::new(csr_model);
        let csr_t = [1, 1024].map(|batch| cpu_timing(&mut csr, &data, batch, protocol, &clock));
        let (own, bytes) = match PatternMlp::new(&model.weights, settings.pattern, settings.block, settings.m_by_n) {
            Ok(pattern) => {
                let (f32_bytes, int8_bytes) = pattern.bytes();
                let mut runner = PatternRunner::new(pattern);
                let agreement = block_on(cpu_agreement(&model.weights, &mut runner, &data.test)).expect("agreement");
                assert!(agreement.within_tolerance(), "{name}: the pattern kernel disagrees with the dense model: {agreement:?}");
                (Some([1, 1024].map(|batch| cpu_timing(&mut runner, &data, batch, protocol, &clock))), (f32_bytes, int8_bytes))
            }
            Err(_) => (None, (csr_f32, csr_int8)),
        };
        let (pattern_cell, ratio) = match &own {
            Some(t) => (format!("{} / {}", ms(&t[0]), ms(&t[1])), format!("{:.2}×", csr_t[1].median_ms / t[1].median_ms)),
            None => ("(CSR)".into(), String::new()),
        };
        println!(
            "{head} | {csr_f32} → {} | {csr_int8} → {} | {} / {} | {} / {} | {pattern_cell} | {ratio} |",
            bytes.0,
            bytes.1,
            ms(&masked_t[0]),
            ms(&masked_t[1]),
            ms(&csr_t[0]),
            ms(&csr_t[1])
        );
    }
    println!("\nEach latency: the median per forward pass over 15 windows of ≥ 50 ms after 3 warm-up passes.");
    println!("Every pattern kernel matched the masked dense model within 1e-5 on all 10,000 test images, predictions identical.");
}
