//! Dense vs sparse inference latency on this machine's CPU: `cargo bench --bench sparse`.
//! Prints figures; asserts nothing about speed. The dense baseline is burn's flex backend with
//! its SIMD kernels (gemm); the sparse engine is `prunelab::kernels::sparse`. Weights: one epoch of
//! training on all of MNIST, then each kernel thresholded by magnitude to each sparsity
//! (latency depends on how many weights are left, not on retraining). Inputs: MNIST test images.

use std::time::Instant;

use burn::tensor::Device;
use prunelab::data::Mnist;
use prunelab::engine::compare::cpu_agreement;
use prunelab::kernels::dense;
use prunelab::kernels::int8::{CALIBRATION_IMAGES, Calibration, Int8Mlp, Int8Runner};
use prunelab::kernels::sparse::layout::thresholded;
use prunelab::kernels::sparse::timing::SWEEP_SPARSITIES;
use prunelab::kernels::sparse::{SparseMlp, SparseRunner};
use prunelab::measure::latency::{self, CpuPasses, Protocol, Timing};
use prunelab::model::Mlp;
use prunelab::train::config::TrainingConfig;
use prunelab::train::{Silent, train};
use wall::{Wall, block_on};

#[path = "wall.rs"]
mod wall;

fn show(t: &Timing) -> String {
    format!("{:>9.4} ms (p95 {:>8.4})", t.median_ms, t.p95_ms)
}

fn main() {
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).expect("MNIST in static/mnist");
    let device = Device::flex();
    let clock = Wall::new();
    // 1 µs is far below what a window lasts: 50 ms windows, as in the browser with its 100 µs timer.
    let protocol = Protocol { warmup: 3, windows: 15, min_window_ms: 50.0, max_k: 1 << 16, round_trips: 5 };
    println!("training the 784-128-10 MLP for one epoch on 60,000 images (burn flex) …");
    let started = Instant::now();
    let trained = block_on(train(&TrainingConfig::new().with_epochs(1), &data.train, &data.test, &device, &mut Silent)).expect("training");
    let dense = block_on(trained.model.read_weights()).expect("weights");
    println!("trained in {:.1} s, test accuracy {:.2} %\n", started.elapsed().as_secs_f64(), trained.report.test_accuracy.final_.unwrap_or(f64::NAN) * 100.0);

    let calibration_images = data.train.inputs(&(0..CALIBRATION_IMAGES).collect::<Vec<_>>());
    println!(
        "{:>9} {:>6} | {:>34} | {:>34} | {:>8} | {:>34} | {:>8}",
        "sparsity", "batch", "dense (burn flex, masked)", "sparse (prunelab::kernels::sparse)", "speed-up", "int8 (dense at 0 %, else CSR)", "speed-up"
    );
    for sparsity in std::iter::once(0.0).chain(SWEEP_SPARSITIES) {
        let weights = thresholded(&dense, sparsity);
        let model = Mlp::from_weights(&weights, &device);
        let mut runner = SparseRunner::new(SparseMlp::new(&weights).expect("784 inputs fit u16 indices"));
        let agreement = block_on(cpu_agreement(&weights, &mut runner, &data.test)).expect("agreement");
        assert!(agreement.within_tolerance(), "the sparse engine disagrees with the dense one: {agreement:?}");
        let mut int8 = Int8Runner::new(Int8Mlp::new(&weights, &Calibration::measure(&weights, &calibration_images), sparsity > 0.0).expect("int8"));
        for batch in [1, 1024] {
            let dense_t = block_on(dense::measure(&model, &data.test, batch, &device, protocol, &clock)).expect("dense timing");
            let mut passes = CpuPasses { images: latency::batch_of(&data.test, batch), batch, engine: &mut runner };
            let sparse_t = block_on(latency::time(&mut passes, protocol, &clock)).expect("sparse timing");
            let mut passes = CpuPasses { images: latency::batch_of(&data.test, batch), batch, engine: &mut int8 };
            let int8_t = block_on(latency::time(&mut passes, protocol, &clock)).expect("int8 timing");
            println!(
                "{:>8.0} % {:>6} | {} | {} | {:>7.2}× | {} | {:>7.2}×",
                sparsity * 100.0,
                batch,
                show(&dense_t),
                show(&sparse_t),
                dense_t.median_ms / sparse_t.median_ms,
                show(&int8_t),
                dense_t.median_ms / int8_t.median_ms
            );
        }
    }
    println!("\nEach figure: median and p95 per forward pass over 15 windows of ≥ 50 ms (after 3 warm-up passes).");
    println!("Sparse logits matched the dense ones within 1e-5 on all 10,000 test images at every sparsity.");
}
