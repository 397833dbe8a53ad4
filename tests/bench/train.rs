//! Training step time on this machine's CPU, the fused step against burn's autodiff:
//! `cargo bench --bench train`. Prints figures; asserts nothing about speed. Each run trains
//! from the same seed on the first images of MNIST; the step time is the loop's own measure
//! (median over windows of `loss_every` steps, each ending in a loss readback).

use std::future::Future;
use std::time::Instant;

use burn::tensor::Device;
use prunelab::config::TrainingConfig;
use prunelab::data::Mnist;
use prunelab::fused::Engine;
use prunelab::report::LossPoint;
use prunelab::train::{Observer, Progress, train};

/// Reports nothing, but keeps time (the loop's step times need a clock).
struct Wall(Instant);

impl Observer for Wall {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
    fn cancelled(&self) -> bool {
        false
    }
    fn progress(&mut self, _: Progress) {}
    fn loss(&mut self, _: LossPoint) {}
    fn epoch_done(&mut self, _: usize, _: f64) {}
    fn yield_now(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

fn main() {
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).expect("shipped MNIST");
    let device = Device::flex();
    println!("PruneLab training-step benchmark: burn flex (CPU) autodiff vs the fused step, 784-128-10, one epoch each\n");
    println!("| batch | images | engine | median ms/step | p95 ms/step | wall | test accuracy |");
    println!("|---|---|---|---|---|---|---|");
    for (batch, images) in [(32, 12_800), (128, 25_600)] {
        for engine in [Engine::Autodiff, Engine::Fused] {
            let config = TrainingConfig::new().with_epochs(1).with_batch(batch).with_train_samples(images).with_loss_every(10).with_engine(engine);
            let trained = futures_lite::future::block_on(train(&config, &data.train, &data.test, &device, &mut Wall(Instant::now()))).expect("training");
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
