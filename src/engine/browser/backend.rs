//! Picks where training runs: WebGPU through burn when the browser offers a usable hardware
//! adapter (or any usable one with `?backend=webgpu`), otherwise burn's CPU backend (flex,
//! inside the wasm) — always with the reason said.
//!
//! The adapter is probed from JavaScript before burn touches WebGPU, because a failure inside
//! cubecl on wasm is a panic that would take the page down: cubecl-wgpu 0.11 panics when the
//! adapter lacks `timestamp-query`.

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
    Picked { device: Device::flex(), backend: Backend::Cpu, adapter: "burn flex backend, in WebAssembly".into(), fallback_reason: Some(reason), gpu: None }
}

/// Asks the browser for an adapter the way burn will, and describes it; `Err` says why WebGPU
/// cannot be used.
async fn probe_adapter() -> Result<AdapterInfo, String> {
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
    let timestamps = has.and_then(|has| has.call1(&features, &"timestamp-query".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false);
    if !timestamps {
        return Err("the WebGPU adapter lacks the 'timestamp-query' feature, which burn's WebGPU runtime (cubecl 0.11) needs in the browser".into());
    }
    let info = property(&adapter, "info");
    let field = |key| property(&info, key).as_string().unwrap_or_default();
    // `isFallbackAdapter` moved from the adapter to its info; read either.
    let is_fallback = [property(&info, "isFallbackAdapter"), property(&adapter, "isFallbackAdapter")].iter().any(|v| v.as_bool() == Some(true));
    Ok(AdapterInfo { vendor: field("vendor"), architecture: field("architecture"), device: field("device"), description: field("description"), is_fallback })
}

async fn init_webgpu(adapter: String) -> Result<Picked, String> {
    let (device, setup) = Device::wgpu_options().init_with_setup_async().await.map_err(|e| format!("burn could not start WebGPU: {e}"))?;
    setup.device.set_device_lost_callback(|reason, message| {
        if let Ok(mut lost) = DEVICE_LOST.lock() {
            *lost = Some(format!("{reason:?}: {message}"));
        }
    });
    let gpu = Gpu::from_setup(&setup);
    Ok(Picked { device, backend: Backend::Webgpu, adapter, fallback_reason: None, gpu: Some(gpu) })
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
    let adapter = match probe_adapter().await {
        Ok(adapter) => adapter,
        Err(reason) => return cpu(reason),
    };
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
            let outcome = init_webgpu(adapter.describe()).await;
            WEBGPU.with_borrow_mut(|w| *w = Some(outcome.clone()));
            outcome
        }
    };
    outcome.unwrap_or_else(cpu)
}
