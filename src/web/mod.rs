//! Browser-only glue: the page (URL, clock, report element), picking the backend,
//! downloading MNIST with progress, and saving exported files.

pub mod download;
pub mod page;
pub mod reactor;
pub mod save;
pub mod scope;

use wasm_bindgen::{JsCast, JsValue};

/// `target[key]`, or `undefined` when it cannot be read.
pub(crate) fn property(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// What a thrown JS value says: an `Error`'s message, a string, or its debug form.
pub(crate) fn js_message(value: JsValue) -> String {
    value.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| value.as_string()).unwrap_or_else(|| format!("{value:?}"))
}
