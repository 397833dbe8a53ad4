use leptos::prelude::*;

use super::pipeline::{self, AppState};
use crate::settings::BackendChoice;

/// One labelled number field bound to a knob; edits are validated like URL parameters.
#[component]
fn Knob(
    /// The URL parameter it sets.
    key: &'static str,
    label: &'static str,
    /// Current value, as text.
    value: Signal<String>,
    #[prop(default = "1")] step: &'static str,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_change = move |ev| {
        let raw = event_target_value(&ev);
        let mut notices = Vec::new();
        state.settings.update(|s| s.apply(key, &raw, &mut notices));
        if !notices.is_empty() {
            state.report.update(|r| r.notices.extend(notices));
        }
    };
    view! {
        <label class="knob">
            <span>{label}</span>
            <input type="number" name=key step=step prop:value=value on:change=on_change disabled=move || state.running()/>
        </label>
    }
}

/// The training knobs and the Train / Cancel buttons.
#[component]
pub fn Controls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let t = move |f: fn(&crate::train::TrainingConfig) -> String| Signal::derive(move || state.settings.with(|s| f(&s.training)));
    let on_backend = move |ev| {
        let cpu = event_target_checked(&ev);
        state.settings.update(|s| s.backend = if cpu { BackendChoice::Cpu } else { BackendChoice::Auto });
    };
    view! {
        <section class="controls" aria-label="Training settings">
            <Knob key="epochs" label="Epochs" value=t(|c| c.epochs.to_string())/>
            <Knob key="batch" label="Batch size" value=t(|c| c.batch.to_string())/>
            <Knob key="hidden" label="Hidden units" value=t(|c| c.hidden.to_string())/>
            <Knob key="lr" label="Learning rate (Adam)" step="0.0001" value=t(|c| c.lr.to_string())/>
            <Knob key="train_samples" label="Training images" step="100" value=t(|c| c.train_samples.to_string())/>
            <Knob key="seed" label="Seed" value=t(|c| c.seed.to_string())/>
            <label class="knob check">
                <input type="checkbox" name="backend" on:change=on_backend
                    prop:checked=move || state.settings.with(|s| s.backend == BackendChoice::Cpu)
                    disabled=move || state.running()/>
                <span>"Use the CPU instead of WebGPU"</span>
            </label>
            <div class="buttons">
                <button id="train" class="primary" on:click=move |_| pipeline::start(state) disabled=move || state.running()>
                    {move || if state.report.with(|r| r.train.is_some()) { "Train again" } else { "Train" }}
                </button>
                <button id="cancel" on:click=move |_| state.cancel.set(true) disabled=move || !state.running() || state.cancel.get()>
                    "Cancel"
                </button>
            </div>
        </section>
    }
}
