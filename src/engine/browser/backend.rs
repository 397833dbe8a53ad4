//! Picks where training runs: WebGPU through burn when the browser offers a usable hardware
//! adapter (or any usable one with `?backend=webgpu`), otherwise burn's CPU backend (flex,
//! inside the wasm) — always with the reason said.
//!
//! The adapter is probed from JavaScript before burn touches WebGPU, because a failure inside
//! cubecl on wasm is a panic that would take the page down: cubecl-wgpu 0.11 panics when the
//! adapter lacks `timestamp-query`. Our own kernels do not need it, so on such an adapter they get
//! a device of their own and burn's tensors stay on the CPU.

use std::cell::RefCell;
use std::sync::Mutex;

use burn::tensor::Device;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::engine::Picked;
use crate::kernels::gpu::Gpu;
use crate::measure::latency::Backend;
use crate::protocol::adapter::AdapterInfo;
use crate::protocol::settings::BackendChoice;
use crate::web::{js_message, property};

thread_local! {
    // burn's wgpu runtime can be initialised once per page, so the outcome of the one attempt is
    // kept: the WebGPU device, or why there is none.
    static WEBGPU: RefCell<Option<Result<Picked, String>>> = const { RefCell::new(None) };
}

/// Set by wgpu's device-lost callback (which must be `Send`); read by the training loop.
static DEVICE_LOST: Mutex<Option<String>> = Mutex::new(None);

/// The message of a lost GPU device, if it was lost.
pub fn device_lost() -> Option<String> {
    DEVICE_LOST.lock().ok()?.clone()
}

fn cpu(reason: String) -> Picked {
    Picked {
        device: Device::flex(),
        backend: Backend::Cpu,
        adapter: "burn flex backend, in WebAssembly".into(),
        fallback_reason: Some(reason),
        gpu: None,
        burn_on_cpu: None,
    }
}

/// An adapter as probed: what it says it is, and whether burn's WebGPU runtime can start on it.
struct Probed {
    info: AdapterInfo,
    timestamp_query: bool,
}

/// Asks the browser for an adapter the way burn will, and describes it; `Err` says why WebGPU
/// cannot be used.
async fn probe_adapter() -> Result<Probed, String> {
    let gpu = property(&crate::web::scope::navigator(), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser does not offer WebGPU (navigator.gpu is missing)".into());
    }
    let request: Function = property(&gpu, "requestAdapter").dyn_into().map_err(|_| "navigator.gpu.requestAdapter is missing")?;
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"powerPreference".into(), &"high-performance".into());
    let promise: Promise = request.call1(&gpu, &options).map_err(js_message)?.dyn_into().map_err(|_| "requestAdapter did not return a promise")?;
    let adapter = JsFuture::from(promise).await.map_err(|e| format!("requesting a WebGPU adapter failed: {}", js_message(e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU is present but the browser offered no adapter (GPU disabled or blocklisted)".into());
    }
    let features = property(&adapter, "features");
    let has: Option<Function> = property(&features, "has").dyn_into().ok();
    let timestamp_query = has.and_then(|has| has.call1(&features, &"timestamp-query".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false);
    let info = property(&adapter, "info");
    let field = |key| property(&info, key).as_string().unwrap_or_default();
    // `isFallbackAdapter` moved from the adapter to its info; read either.
    let is_fallback = [property(&info, "isFallbackAdapter"), property(&adapter, "isFallbackAdapter")].iter().any(|v| v.as_bool() == Some(true));
    let info =
        AdapterInfo { vendor: field("vendor"), architecture: field("architecture"), device: field("device"), description: field("description"), is_fallback };
    Ok(Probed { info, timestamp_query })
}

/// Keeps the reason `device` is lost, when it is, for [`device_lost`].
fn watch_for_loss(device: &wgpu::Device) {
    device.set_device_lost_callback(|reason, message| {
        if let Ok(mut lost) = DEVICE_LOST.lock() {
            *lost = Some(format!("{reason:?}: {message}"));
        }
    });
}

async fn init_webgpu(adapter: String) -> Result<Picked, String> {
    let (device, setup) = Device::wgpu_options().init_with_setup_async().await.map_err(|e| format!("burn could not start WebGPU: {e}"))?;
    watch_for_loss(&setup.device);
    let gpu = Gpu::from_setup(&setup);
    Ok(Picked { device, backend: Backend::Webgpu, adapter, fallback_reason: None, gpu: Some(gpu), burn_on_cpu: None })
}

/// What the page says when burn's tensors stay on the CPU beside our kernels on WebGPU.
const NO_TIMESTAMP_QUERY: &str = "this WebGPU adapter lacks the optional 'timestamp-query' feature, without which burn's WebGPU runtime \
     (cubecl 0.11) cannot start in a browser. Our own kernels do not need it: the fused training step, the sparse and the int8 \
     models run on WebGPU; what runs through burn (training with L1/L2 or distillation, the dense reference, the dense models' \
     WebGPU latency) runs on the CPU";

/// A WebGPU device of our kernels' own, on an adapter burn's runtime cannot start on; burn's
/// tensors stay on the CPU.
async fn init_kernels_only(adapter: String) -> Result<Picked, String> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor { backends: wgpu::Backends::BROWSER_WEBGPU, ..wgpu::InstanceDescriptor::new_without_display_handle() });
    let options = wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    let found = instance.request_adapter(&options).await.map_err(|e| format!("requesting a WebGPU adapter failed: {e}"))?;
    // The adapter's own limits, as burn asks for them: our kernels stay within WebGPU's defaults,
    // but the training set's buffer grows with `train_samples`.
    let descriptor = wgpu::DeviceDescriptor { label: Some("PruneLab kernels"), required_limits: found.limits(), ..Default::default() };
    let (device, queue) = found.request_device(&descriptor).await.map_err(|e| format!("the WebGPU adapter refused a device: {e}"))?;
    watch_for_loss(&device);
    let gpu = Gpu::new(&instance, device, queue);
    Ok(Picked {
        device: Device::flex(),
        backend: Backend::Webgpu,
        adapter,
        fallback_reason: None,
        gpu: Some(gpu),
        burn_on_cpu: Some(NO_TIMESTAMP_QUERY.into()),
    })
}

/// Later runs on this page get the CPU, with `reason`: WebGPU failed here in a way they would meet
/// again.
pub fn retire(reason: String) {
    WEBGPU.with_borrow_mut(|w| *w = Some(Err(reason)));
}

/// The backend to train on. `auto` (the default): WebGPU on a hardware adapter, the CPU when there
/// is no usable adapter or only a software one; `webgpu`: any usable adapter; `cpu`: the CPU.
/// Whatever is chosen instead of WebGPU comes with the reason.
pub async fn pick(choice: BackendChoice) -> Picked {
    if choice == BackendChoice::Cpu {
        return cpu("the CPU backend was asked for (?backend=cpu)".into());
    }
    if let Some(message) = device_lost() {
        return cpu(format!("the GPU device was lost ({message}); training continues on the CPU"));
    }
    let probed = match probe_adapter().await {
        Ok(probed) => probed,
        Err(reason) => return cpu(reason),
    };
    let adapter = probed.info;
    if let (BackendChoice::Auto, Some(why)) = (choice, adapter.software()) {
        return cpu(format!(
            "the WebGPU adapter ({}) is not a GPU: {why}. This network trains many times faster on the CPU backend there; ?backend=webgpu uses the adapter anyway",
            adapter.describe()
        ));
    }
    let known = WEBGPU.with_borrow(|w| w.clone());
    let outcome = match known {
        Some(outcome) => outcome,
        None => {
            let outcome = match probed.timestamp_query {
                true => init_webgpu(adapter.describe()).await,
                false => init_kernels_only(adapter.describe()).await,
            };
            WEBGPU.with_borrow_mut(|w| *w = Some(outcome.clone()));
            outcome
        }
    };
    outcome.unwrap_or_else(cpu)
}
