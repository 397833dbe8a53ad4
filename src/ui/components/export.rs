//! Download the finished models: burn's record (burnpack) and the documented JSON. The engine
//! writes the file; the page offers it as a download.

use leptos::prelude::*;

use super::state::AppState;
use crate::model::kind::ModelKind;
use crate::protocol::messages::{Command, ExportFormat};

#[component]
pub fn Export() -> impl IntoView {
    let state = expect_context::<AppState>();
    let save = move |model: ModelKind, format: ExportFormat| {
        let settings = state.settings.with_untracked(|s| s.to_query());
        state.send(Command::Export { model, format, settings });
    };
    let int8 = |model: &ModelKind| matches!(model, ModelKind::Int8 | ModelKind::PrunedInt8);
    view! {
        {move || (!state.models.with(Vec::is_empty)).then(|| view! {
            <section class="export" id="download" aria-label="Download the models">
                <h2>"Download the models"</h2>
                <p class="note">
                    "burn's record (" <code>".bpk"</code> ", loads with " <code>"Module::load_record"</code>
                    ") or a small JSON with every layer's shape, 0/1 mask, kernel and bias (format described in docs/export-format.md)."
                </p>
                <div class="buttons">
                    {state.models.get().into_iter().map(|model| {
                        let key = model.key();
                        view! {
                            <span class="export-model">
                                <strong>{model.label()}</strong>
                                {(!int8(&model)).then(|| view! {
                                    <button id=format!("export-{key}-bpk") on:click=move |_| save(model, ExportFormat::Burnpack)>"burn record"</button>
                                })}
                                <button id=format!("export-{key}-json") on:click=move |_| save(model, ExportFormat::Json)>"JSON"</button>
                            </span>
                        }
                    }).collect_view()}
                </div>
                <p class="note" role="status">{move || state.export_message.get()}</p>
            </section>
        })}
    }
}
