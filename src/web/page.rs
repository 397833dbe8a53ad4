//! The page itself: URL parameters, the clock, and the report element that tests read.

use wasm_bindgen::JsCast;

use crate::protocol::report::Report;

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
    static PERFORMANCE: Option<web_sys::Performance> = super::scope::performance();
}

/// `performance.now()` in milliseconds.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map(|p| p.now()).unwrap_or(0.0))
}

/// Whether the page is hidden (a background tab, a minimised window): it runs no animation frames.
pub fn hidden() -> bool {
    document().is_some_and(|d| d.hidden())
}

/// Runs `task` in a task of its own after the next frame has been rendered, so that neither the
/// work before it nor that frame's style and layout share its task. A hidden page runs no frames,
/// so there the task follows at once, lest it wait until the page is shown.
pub fn after_next_frame(task: impl FnOnce() + 'static) {
    let later = move || {
        gloo_timers::callback::Timeout::new(0, task).forget();
    };
    match web_sys::window().filter(|_| !hidden()) {
        Some(window) => {
            let _ = window.request_animation_frame(wasm_bindgen::closure::Closure::once_into_js(later).unchecked_ref());
        }
        None => later(),
    }
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
                div.set_text_content(Some(&format!("PruneLab stopped on an internal error and must be reloaded: {info}. Please report it.")));
                let _ = body.prepend_with_node_1(&div);
            }
        }
    }));
}

/// The page's address without its query: what an embed snippet or a shared link points at.
pub fn page_url() -> String {
    web_sys::window().map(|w| w.location()).map(|l| format!("{}{}", l.origin().unwrap_or_default(), l.pathname().unwrap_or_default())).unwrap_or_default()
}

/// Rewrites the query in the address bar (no reload, no new history entry), so the URL always
/// reproduces the current settings. Left alone when it already does: a same-document navigation
/// costs the page's thread milliseconds.
pub fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let search = if query.is_empty() { String::new() } else { format!("?{query}") };
    if location.search().is_ok_and(|current| current == search) {
        return;
    }
    let url = format!("{}{search}", location.pathname().unwrap_or_default());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// Marks `<body>` for the compact embed layout.
pub fn set_embed_layout(embed: bool) {
    if let Some(body) = document().and_then(|d| d.body()) {
        let _ = body.class_list().toggle_with_force("embed", embed);
    }
}

/// Copies `text` with the asynchronous Clipboard API; `Err` when the browser refuses
/// (no secure context, no permission), so the page can say so.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).map_err(|_| "no clipboard")?;
    let write: js_sys::Function = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("this browser offers no clipboard here (it needs https or localhost)")?;
    let promise: js_sys::Promise = write.call1(&clipboard, &text.into()).map_err(|_| "the clipboard refused")?.dyn_into().map_err(|_| "no promise")?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map(|_| ()).map_err(|_| "the browser did not allow copying".to_string())
}
