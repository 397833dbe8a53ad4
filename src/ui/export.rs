//! Download the finished models: burn's record (burnpack) and the documented JSON.

use leptos::prelude::*;

use super::pipeline::{self, AppState, Trained};
use crate::export::{About, ExportedModel, burnpack};
use crate::quant::export::ExportedInt8;
use crate::web::save::save_file;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Burnpack,
    Json,
}

fn export(model: &Trained, kind: Kind, settings: &str) -> Result<(), String> {
    match kind {
        Kind::Burnpack => {
            let bytes = burnpack(&model.weights).map_err(|e| e.to_string())?;
            save_file(&format!("prunelab-{}.bpk", model.key), &bytes, "application/octet-stream")
        }
        Kind::Json => {
            let about = About { model: model.key, test_accuracy: model.test_accuracy, settings, kept_units: model.kept_units.as_deref() };
            let json = ExportedModel::new(&model.weights, &about).to_json();
            save_file(&format!("prunelab-{}.json", model.key), json.as_bytes(), "application/json")
        }
    }
}

#[component]
pub fn Export() -> impl IntoView {
    let state = expect_context::<AppState>();
    let message = RwSignal::new(None::<String>);
    let save = move |key: &'static str, kind: Kind| {
        let settings = state.settings.with_untracked(|s| s.to_query());
        let result = pipeline::trained_model(key).ok_or_else(|| "the model is gone; train again".to_string());
        message.set(Some(match result.and_then(|m| export(&m, kind, &settings)) {
            Ok(()) => format!("Saved prunelab-{key}.{}.", if kind == Kind::Json { "json" } else { "bpk" }),
            Err(e) => format!("Could not save the {key} model: {e}"),
        }));
    };
    // An int8 model: its codes, scales and biases as the engine runs them.
    let save_int8 = move |key: &'static str| {
        let settings = state.settings.with_untracked(|s| s.to_query());
        let models = pipeline::int8_models();
        let result = models.iter().find(|e| e.key == key).ok_or_else(|| "the model is gone; train again".to_string()).and_then(|e| {
            let json = ExportedInt8::new(&e.runner.borrow().model, key, e.test_accuracy, &settings).to_json();
            save_file(&format!("prunelab-{key}.json"), json.as_bytes(), "application/json")
        });
        message.set(Some(match result {
            Ok(()) => format!("Saved prunelab-{key}.json."),
            Err(e) => format!("Could not save the {key} model: {e}"),
        }));
    };
    view! {
        {move || state.exportable.get().then(|| view! {
            <section class="export" aria-label="Download the models">
                <h2>"Download the models"</h2>
                <p class="note">
                    "burn's record (" <code>".bpk"</code> ", loads with " <code>"Module::load_record"</code>
                    ") or a small JSON with every layer's shape, 0/1 mask, kernel and bias (format described in the README)."
                </p>
                <div class="buttons">
                    {pipeline::trained_keys().into_iter().map(|key| {
                        view! {
                            <span class="export-model">
                                <strong>{pipeline::label(key)}</strong>
                                <button id=format!("export-{key}-bpk") on:click=move |_| save(key, Kind::Burnpack)>"burn record"</button>
                                <button id=format!("export-{key}-json") on:click=move |_| save(key, Kind::Json)>"JSON"</button>
                            </span>
                        }
                    }).collect_view()}
                    {pipeline::int8_models().iter().map(|engine| {
                        let key = engine.key;
                        view! {
                            <span class="export-model">
                                <strong>{engine.label.trim_end_matches(" (CPU)")}</strong>
                                <button id=format!("export-{key}-json") on:click=move |_| save_int8(key)>"JSON"</button>
                            </span>
                        }
                    }).collect_view()}
                </div>
                <p class="note" role="status">{move || message.get()}</p>
            </section>
        })}
    }
}
