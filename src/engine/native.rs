//! The engine's host in a native process: MNIST from a folder, the process's clock, burn's CPU
//! backend, or wgpu on this machine's GPU (Vulkan, Metal or DX12) when `backend=webgpu` asks for
//! it. The engine's tests drive it whole through this host. There is no event loop: a spawned
//! task runs to its end where it is spawned, and a sleep lets the other futures of its task run.

use std::cell::RefCell;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use burn::tensor::Device;

use super::{Host, Picked};
use crate::data::{DataError, Mnist};
use crate::kernels::gpu::Gpu;
use crate::measure::latency::Backend;
use crate::protocol::settings::BackendChoice;

pub struct NativeHost {
    mnist: PathBuf,
    started: Instant,
    /// The GPU, once asked for: wgpu's runtime starts once per process.
    gpu: RefCell<Option<Result<Picked, String>>>,
    /// Set by wgpu's device-lost callback, which must be `Send`.
    lost: Arc<Mutex<Option<String>>>,
}

impl NativeHost {
    /// A host that reads the four MNIST files (as shipped, gzipped) from `mnist`.
    pub fn new(mnist: impl Into<PathBuf>) -> Self {
        NativeHost { mnist: mnist.into(), started: Instant::now(), gpu: RefCell::new(None), lost: Arc::default() }
    }

    fn start_gpu(&self) -> Result<Picked, String> {
        let (device, setup) = Device::wgpu_options().init_with_setup().map_err(|e| format!("burn could not start wgpu: {e}"))?;
        let lost = self.lost.clone();
        setup.device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut lost) = lost.lock() {
                *lost = Some(format!("{reason:?}: {message}"));
            }
        });
        let info = setup.adapter.get_info();
        let gpu = Gpu::from_setup(&setup);
        Ok(Picked {
            device,
            backend: Backend::Webgpu,
            adapter: format!("{} ({:?}, {})", info.name, info.backend, info.driver),
            fallback_reason: None,
            gpu: Some(gpu),
            burn_on_cpu: None,
        })
    }
}

fn cpu(reason: &str) -> Picked {
    Picked {
        device: Device::flex(),
        backend: Backend::Cpu,
        adapter: "burn flex backend, native".into(),
        fallback_reason: Some(reason.into()),
        gpu: None,
        burn_on_cpu: None,
    }
}

impl Host for NativeHost {
    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn sleep(&self, ms: u32) -> impl Future<Output = ()> {
        let until = Instant::now() + Duration::from_millis(ms.into());
        async move {
            // Yields at least once, so the futures raced beside this one (the work a Cancel
            // poll watches) go on while it waits.
            futures_lite::future::yield_now().await;
            while Instant::now() < until {
                futures_lite::future::yield_now().await;
            }
        }
    }

    fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        futures_lite::future::block_on(task);
    }

    async fn load_mnist(&self, progress: &mut dyn FnMut(usize)) -> Result<(Mnist, usize), DataError> {
        Mnist::load_dir_with(&self.mnist, progress)
    }

    async fn pick(&self, choice: BackendChoice) -> Picked {
        match choice {
            BackendChoice::Cpu => cpu("the CPU backend was asked for (backend=cpu)"),
            BackendChoice::Auto => cpu("natively the engine trains on the CPU unless backend=webgpu asks for the GPU"),
            BackendChoice::Webgpu => {
                if let Some(message) = self.device_lost() {
                    return cpu(&format!("the GPU device was lost ({message}); training continues on the CPU"));
                }
                let outcome = self.gpu.borrow_mut().get_or_insert_with(|| self.start_gpu()).clone();
                outcome.unwrap_or_else(|reason| cpu(&reason))
            }
        }
    }

    fn device_lost(&self) -> Option<String> {
        self.lost.lock().ok()?.clone()
    }

    fn retire_gpu(&self, reason: String) {
        *self.gpu.borrow_mut() = Some(Err(reason));
    }

    fn cross_origin_isolated(&self) -> bool {
        // The process's clock is at its finest (nanoseconds), as a cross-origin-isolated page's is.
        true
    }
}
