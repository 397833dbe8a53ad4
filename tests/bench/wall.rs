//! What the benchmarks time with: the process's clock, as the training loop's observer (which
//! reports nothing, but keeps time: the loop's step times need a clock) and as the latency
//! protocol's clock. Each benchmark includes it (`#[path = "wall.rs"] mod wall;`).

use std::time::Instant;

use prunelab::measure::latency::Clock;
use prunelab::train::Observer;
use prunelab::train::fused::Layout;
use prunelab::train::fused::Trainer;

pub struct Wall {
    start: Instant,
    /// The GPU the fused step trains on, when a benchmark asks for it (the CPU otherwise).
    #[cfg(feature = "webgpu")]
    gpu: Option<prunelab::kernels::gpu::Gpu>,
}

impl Wall {
    pub fn new() -> Self {
        Wall {
            start: Instant::now(),
            #[cfg(feature = "webgpu")]
            gpu: None,
        }
    }

    /// A wall whose fused step trains on `gpu` (the CPU when `None`).
    #[cfg(feature = "webgpu")]
    #[allow(dead_code, reason = "every benchmark includes this file; only `gpu` trains on a GPU")]
    pub fn with_gpu(gpu: Option<prunelab::kernels::gpu::Gpu>) -> Self {
        Wall { gpu, ..Wall::new() }
    }
}

impl Observer for Wall {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }
    async fn fused_trainer(&mut self, layout: Layout, params: Vec<f32>) -> Result<Trainer, String> {
        #[cfg(feature = "webgpu")]
        if let Some(gpu) = &self.gpu {
            return Ok(Trainer::Gpu(Box::new(prunelab::train::fused::gpu::FusedGpu::new(gpu, layout, &params).await?)));
        }
        Ok(Trainer::Cpu(prunelab::train::fused::cpu::FusedCpu::new(layout, params)))
    }
}

impl Clock for Wall {
    fn now_ms(&self) -> f64 {
        Observer::now_ms(self)
    }
    fn pause(&self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

/// Runs `f` to its end on this thread (natively nothing in the engine waits on anything else).
pub fn block_on<T>(f: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(f)
}
