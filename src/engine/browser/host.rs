//! The engine's host in the browser: the dedicated worker's scope (its clock and timers, `fetch`
//! for MNIST, `navigator.gpu` for the device).

use std::future::Future;

use crate::data::{DataError, Mnist};
use crate::engine::browser::backend;
use crate::engine::{Host, Picked};
use crate::protocol::settings::BackendChoice;
use crate::web::{download, page, scope};

pub struct WorkerHost;

impl Host for WorkerHost {
    fn now_ms(&self) -> f64 {
        page::now_ms()
    }
    fn sleep(&self, ms: u32) -> impl Future<Output = ()> {
        gloo_timers::future::TimeoutFuture::new(ms)
    }
    fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        wasm_bindgen_futures::spawn_local(task);
    }
    fn load_mnist(&self, progress: &mut dyn FnMut(usize)) -> impl Future<Output = Result<(Mnist, usize), DataError>> {
        download::load_mnist(progress)
    }
    fn pick(&self, choice: BackendChoice) -> impl Future<Output = Picked> {
        backend::pick(choice)
    }
    fn device_lost(&self) -> Option<String> {
        backend::device_lost()
    }
    fn retire_gpu(&self, reason: String) {
        backend::retire(reason);
    }
    fn cross_origin_isolated(&self) -> bool {
        scope::cross_origin_isolated()
    }
}
