//! Training step time on this machine's CPU, the fused step against burn's autodiff:
//! `cargo bench --bench train`. Prints figures; asserts nothing about speed. Each run trains
//! from the same seed on the first images of MNIST; the step time is the loop's own measure
//! (median over windows of `loss_every` steps, each ending in a loss readback).

use burn::tensor::Device;
use prunelab::data::Mnist;
use prunelab::train::config::TrainStep;
use prunelab::train::config::TrainingConfig;
use prunelab::train::train;
use wall::{Wall, block_on};

#[path = "wall.rs"]
mod wall;

fn main() {
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).expect("shipped MNIST");
    let device = Device::flex();
    println!("PruneLab training-step benchmark: burn flex (CPU) autodiff vs the fused step, 784-128-10, one epoch each\n");
    println!("| batch | images | engine | median ms/step | p95 ms/step | wall | test accuracy |");
    println!("|---|---|---|---|---|---|---|");
    for (batch, images) in [(32, 12_800), (128, 25_600)] {
        for engine in [TrainStep::Autodiff, TrainStep::Fused] {
            let config = TrainingConfig::new().with_epochs(1).with_batch(batch).with_train_samples(images).with_loss_every(10).with_engine(engine);
            let trained = block_on(train(&config, &data.train, &data.test, &device, &mut Wall::new())).expect("training");
            let r = &trained.report;
            println!(
                "| {batch} | {images} | {} | {:.3} | {:.3} | {:.2} s | {:.2} % |",
                r.engine,
                r.ms_per_step_median.unwrap_or(f64::NAN),
                r.ms_per_step_p95.unwrap_or(f64::NAN),
                r.wall_ms / 1000.0,
                r.test_accuracy.final_.unwrap_or(f64::NAN) * 100.0
            );
        }
    }
}
