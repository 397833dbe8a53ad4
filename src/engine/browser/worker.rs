//! The engine's end of the worker: commands arrive as JSON messages, events leave in their
//! [`Wire`] form (a picture's bytes handed over, not copied), and a panic is reported to the page
//! before the worker dies.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::engine::Engine;
use crate::engine::browser::host::WorkerHost;
use crate::protocol::messages::{Command, Event, Wire};

fn post(scope: &DedicatedWorkerGlobalScope, event: &Event) {
    let posted = match event.to_wire() {
        Ok(Wire::Text(json)) => scope.post_message(&json.into()),
        Ok(Wire::Bytes(bytes)) => {
            let array = js_sys::Uint8Array::from(&bytes[..]);
            scope.post_message_with_transfer(&array, &js_sys::Array::of1(&array.buffer()))
        }
        Err(e) => return web_sys::console::error_1(&format!("PruneLab engine: an event could not be encoded: {e}").into()),
    };
    if let Err(e) = posted {
        web_sys::console::error_1(&format!("PruneLab engine: an event could not be sent: {}", crate::web::js_message(e)).into());
    }
}

/// Runs the engine in this dedicated worker until the page terminates it.
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let crash = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        console_error_panic_hook::hook(info);
        post(&crash, &Event::Crashed(info.to_string()));
    }));
    let out = scope.clone();
    let engine = Engine::new(WorkerHost, move |event| post(&out, &event));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
        match message.data().as_string().map(|text| serde_json::from_str::<Command>(&text)) {
            Some(Ok(command)) => engine.handle(command),
            Some(Err(e)) => web_sys::console::error_1(&format!("PruneLab engine: a command could not be read: {e}").into()),
            None => web_sys::console::error_1(&"PruneLab engine: a message that is not text".into()),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &Event::Ready);
}
