//! The global object the code runs in — the page's `window` or the engine worker's scope — and
//! what the engine takes from it: the clock, `fetch`, the navigator. Read through the global
//! rather than `window`, so the same engine code runs on the page and in a worker.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

fn get(key: &str) -> JsValue {
    super::property(&js_sys::global(), key)
}

/// `performance`, when the scope has one.
pub fn performance() -> Option<web_sys::Performance> {
    get("performance").dyn_into().ok()
}

/// `navigator` (a `Navigator` on the page, a `WorkerNavigator` in a worker).
pub fn navigator() -> JsValue {
    get("navigator")
}

/// Whether the scope is cross-origin isolated (which un-coarsens `performance.now()`).
pub fn cross_origin_isolated() -> bool {
    get("crossOriginIsolated").as_bool().unwrap_or(false)
}

/// `fetch(url, { signal })`: the promise of a `Response`, aborted with `signal`.
pub fn fetch(url: &str, signal: &web_sys::AbortSignal) -> Result<js_sys::Promise, JsValue> {
    let fetch: Function = get("fetch").dyn_into().map_err(|_| JsValue::from_str("this scope has no fetch"))?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(signal));
    fetch.call2(&js_sys::global(), &JsValue::from_str(url), &init)?.dyn_into()
}
