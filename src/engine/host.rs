//! What the engine takes from where it runs. In the browser that is the worker's scope (its
//! clock, timers, `fetch` and `navigator.gpu`: `web::host`); natively it is this process (the
//! clock, MNIST from a folder, burn's CPU backend or wgpu on Vulkan: [`super::native`]), which
//! is how the whole engine is tested without a browser.

use std::future::Future;

use burn::tensor::Device;

use crate::data::{DataError, Mnist};
use crate::kernels::gpu::Gpu;
use crate::measure::latency::Backend;
use crate::measure::latency::Clock;
use crate::protocol::settings::BackendChoice;

/// The device a run trains on, and why.
#[derive(Clone)]
pub struct Picked {
    pub device: Device,
    pub backend: Backend,
    /// What the adapter says it is, or what the CPU backend is.
    pub adapter: String,
    /// Why this is not WebGPU, when it is not.
    pub fallback_reason: Option<String>,
    /// The WebGPU device and queue our own kernels run on (on WebGPU only).
    pub gpu: Option<Gpu>,
    /// Why burn's tensors are on the CPU while our kernels are on WebGPU, when they are: an
    /// adapter burn's WebGPU runtime cannot start on. Its part of the run (autodiff training,
    /// the dense reference, the models' WebGPU latency through burn) then runs on the CPU.
    pub burn_on_cpu: Option<String>,
}

impl Picked {
    /// burn's WebGPU device, when burn's tensors run there.
    pub fn burn_webgpu(&self) -> Option<&Device> {
        (self.backend == Backend::Webgpu && self.burn_on_cpu.is_none()).then_some(&self.device)
    }
}

pub trait Host: 'static {
    /// A monotonic clock in milliseconds (`performance.now()` in the browser).
    fn now_ms(&self) -> f64;
    /// Resolves after `ms` milliseconds; after 0, once whatever else is waiting has had its turn
    /// (in the browser: a Cancel message, the page's messages).
    fn sleep(&self, ms: u32) -> impl Future<Output = ()>;
    /// Runs `task` beside whatever runs now.
    fn spawn(&self, task: impl Future<Output = ()> + 'static);
    /// MNIST, verified; `progress` hears the bytes received so far. Returns the bytes in all.
    fn load_mnist(&self, progress: &mut dyn FnMut(usize)) -> impl Future<Output = Result<(Mnist, usize), DataError>>;
    /// The device to train on, with the reason when it is not the one asked for.
    fn pick(&self, choice: BackendChoice) -> impl Future<Output = Picked>;
    /// The reason the GPU device was lost, once it is.
    fn device_lost(&self) -> Option<String>;
    /// WebGPU failed in a way the next run would meet again (one of our kernels did not build on
    /// this adapter): from now on `pick` gives the CPU, with `reason`.
    fn retire_gpu(&self, reason: String);
    /// Whether the clock is at its finest (a cross-origin-isolated page), for the report.
    fn cross_origin_isolated(&self) -> bool;
}

/// The host's clock as the latency protocol reads it.
pub(super) struct HostClock<'a, H>(pub &'a H);

impl<H: Host> Clock for HostClock<'_, H> {
    fn now_ms(&self) -> f64 {
        self.0.now_ms()
    }
    fn pause(&self) -> impl Future<Output = ()> {
        self.0.sleep(0)
    }
}

/// The device's loss after a failed GPU call: the browser reports it a moment after the call
/// fails, so this waits up to half a second for the reason; `None` if the device is still there.
pub(super) async fn lost_soon(host: &impl Host) -> Option<String> {
    for _ in 0..20 {
        if let Some(message) = host.device_lost() {
            return Some(message);
        }
        host.sleep(25).await;
    }
    host.device_lost()
}
