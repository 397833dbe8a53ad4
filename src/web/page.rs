//! The page itself: URL parameters, the clock, and the report element that tests read.

use wasm_bindgen::JsCast;

use crate::report::Report;

/// The id of `<script type="application/json">` that holds the report.
pub const REPORT_ID: &str = "prunelab-report";

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// The query string's key/value pairs, percent-decoded, in order.
pub fn query_pairs() -> Vec<(String, String)> {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return Vec::new();
    };
    let Ok(Some(entries)) = js_sys::try_iter(&params) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

thread_local! {
    // Looked up once: fetching `window.performance` on every reading costs milliseconds here,
    // which would pollute every timing window.
    static PERFORMANCE: Option<web_sys::Performance> = web_sys::window().and_then(|w| w.performance());
}

/// `performance.now()` in milliseconds.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map(|p| p.now()).unwrap_or(0.0))
}

/// Writes the report into its `<script>` element and its state onto `<body data-state>`.
pub fn publish(report: &Report) {
    let Some(document) = document() else { return };
    let element = match document.get_element_by_id(REPORT_ID) {
        Some(element) => element,
        None => {
            let Ok(element) = document.create_element("script") else { return };
            let _ = element.set_attribute("type", "application/json");
            element.set_id(REPORT_ID);
            if let Some(head) = document.head() {
                let _ = head.append_child(&element);
            }
            element
        }
    };
    element.set_text_content(Some(&report.to_json()));
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-state", report.state.as_str());
    }
}

/// Logs panics to the console and also marks the page, so that a panic is never mistaken for a
/// run that is still going: `<body data-state="error" data-panic>` and a visible message.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let Some(document) = document() else { return };
        if let Some(body) = document.body() {
            let _ = body.set_attribute("data-state", "error");
            let _ = body.set_attribute("data-panic", &info.to_string());
            if let Ok(div) = document.create_element("div") {
                div.set_class_name("panic");
                let _ = div.set_attribute("role", "alert");
                div.set_text_content(Some(&format!(
                    "PruneLab stopped on an internal error and must be reloaded: {info}. Please report it."
                )));
                let _ = body.prepend_with_node_1(&div);
            }
        }
    }));
}
