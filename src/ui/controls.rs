use leptos::prelude::*;

use super::pipeline::{self, AppState};
use crate::settings::{BackendChoice, PruneConfig, Quantize};

/// Applies an edit to one knob, validated like its URL parameter; notices go to the page.
fn apply(state: AppState, key: &str, raw: &str) {
    let mut notices = Vec::new();
    state.settings.update(|s| {
        s.apply(key, raw, &mut notices);
        s.check_schedule(&mut notices);
        s.check_early_stopping(&mut notices);
    });
    if !notices.is_empty() {
        state.report.update(|r| r.notices.extend(notices));
    }
}

/// A labelled choice between fixed words (the URL parameter's values).
#[component]
fn Choice(key: &'static str, label: &'static str, options: &'static [(&'static str, &'static str)], value: Signal<String>) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <label class="knob">
            <span>{label}</span>
            <select name=key on:change=move |ev| apply(state, key, &event_target_value(&ev)) disabled=move || state.running()>
                {options.iter().map(|(v, text)| view! { <option value=*v selected=move || value.get() == *v>{*text}</option> }).collect_view()}
            </select>
        </label>
    }
}

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
    let on_change = move |ev| apply(state, key, &event_target_value(&ev));
    view! {
        <label class="knob">
            <span>{label}</span>
            <input type="number" name=key step=step prop:value=value on:change=on_change disabled=move || state.running()/>
        </label>
    }
}

/// `?backend=`'s words and what each means.
const BACKENDS: [(&str, &str); 3] = {
    let [a, b, c] = BackendChoice::OPTIONS;
    [(a.0, a.2), (b.0, b.2), (c.0, c.2)]
};

/// `?quantize=`'s words and what each means.
const QUANTIZE: [(&str, &str); 2] = {
    let [a, b] = Quantize::OPTIONS;
    [(a.0, a.2), (b.0, b.2)]
};

/// The training knobs and the Train / Cancel buttons.
#[component]
pub fn Controls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let t = move |f: fn(&crate::train::TrainingConfig) -> String| Signal::derive(move || state.settings.with(|s| f(&s.training)));
    view! {
        <section class="controls" aria-label="Training settings">
            <Knob key="epochs" label="Epochs" value=t(|c| c.epochs.to_string())/>
            <Knob key="batch" label="Batch size" value=t(|c| c.batch.to_string())/>
            <Knob key="hidden" label="Hidden units" value=t(|c| c.hidden.to_string())/>
            <Knob key="lr" label="Learning rate (Adam)" step="0.0001" value=t(|c| c.lr.to_string())/>
            <Knob key="train_samples" label="Training images" step="100" value=t(|c| c.train_samples.to_string())/>
            <Knob key="seed" label="Seed" value=t(|c| c.seed.to_string())/>
            <Knob key="l1" label="L1 on kernels" step="0.00001" value=t(|c| c.l1.to_string())/>
            <Knob key="l2" label="L2 on kernels" step="0.00001" value=t(|c| c.l2.to_string())/>
            <Knob key="validation_split" label="Validation split" step="0.05" value=t(|c| c.validation_split.to_string())/>
            <Choice key="early_stopping" label="Early stopping (val_loss)" value=t(|c| u8::from(c.early_stopping).to_string()) options=&[("0", "Off"), ("1", "On")]/>
            <Knob key="patience" label="patience" value=t(|c| c.patience.to_string())/>
            <Knob key="min_delta" label="min_delta" step="0.001" value=t(|c| c.min_delta.to_string())/>
            <Choice key="restore_best_weights" label="restore_best_weights" value=t(|c| u8::from(c.restore_best_weights).to_string()) options=&[("0", "No"), ("1", "Yes")]/>
            <Choice key="engine" label="Training step" value=t(|c| format!("{:?}", c.engine).to_lowercase()) options=&[("fused", "Fused (hand-written backward)"), ("autodiff", "burn autodiff")]/>
            <Choice key="backend" label="Device" value=Signal::derive(move || state.settings.with(|s| s.backend.word().to_string())) options=&BACKENDS/>
            <PruneControls/>
            <Choice key="quantize" label="Quantization" value=Signal::derive(move || state.settings.with(|s| s.quantize.word().to_string())) options=&QUANTIZE/>
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

/// How to prune: the method, the target sparsity (a 0–99 % slider), ranking and schedule.
#[component]
fn PruneControls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let p = move |f: fn(&PruneConfig) -> String| Signal::derive(move || state.settings.with(|s| f(&s.pruning)));
    let sparsity = p(|c| format!("{:.2}", c.final_sparsity));
    view! {
        <fieldset class="prune-controls">
            <legend>"Pruning"</legend>
            <Choice key="prune" label="Method" value=p(|c| format!("{:?}", c.prune).to_lowercase()) options=&[
                ("poly", "Gradual: PolynomialDecay"), ("constant", "Gradual: ConstantSparsity"),
                ("oneshot", "One-shot + fine-tune"), ("structured", "Structured only"), ("none", "None (dense only)"),
            ]/>
            <label class="knob slider">
                <span>"Target sparsity: " {move || format!("{:.0} %", sparsity.get().parse::<f64>().unwrap_or(0.0) * 100.0)}</span>
                <input type="range" name="final_sparsity" min="0" max="0.99" step="0.01" prop:value=sparsity
                    on:change=move |ev| apply(state, "final_sparsity", &event_target_value(&ev)) disabled=move || state.running()/>
            </label>
            <Choice key="ranking" label="Ranking (one-shot)" value=p(|c| format!("{:?}", c.ranking).to_lowercase()) options=&[
                ("layer", "Per layer (TFMOT)"), ("global", "Global (torch)"),
            ]/>
            <Knob key="begin_step" label="begin_step" value=p(|c| c.begin_step.to_string())/>
            <Knob key="end_step" label="end_step" value=p(|c| c.end_step.to_string())/>
            <Knob key="frequency" label="frequency" value=p(|c| c.frequency.to_string())/>
            <Knob key="prune_batch" label="Batch (gradual run)" value=p(|c| c.prune_batch.to_string())/>
            <Knob key="finetune_epochs" label="Fine-tune epochs" value=p(|c| c.finetune_epochs.to_string())/>
            <Knob key="hidden_keep" label="Units kept (structured)" value=p(|c| c.hidden_keep.to_string())/>
            <Choice key="distill" label="Distil the structured student" value=p(|c| u8::from(c.distill).to_string()) options=&[("1", "Yes, and train one from scratch"), ("0", "No")]/>
            <Knob key="distill_t" label="Temperature T" step="0.5" value=p(|c| c.distill_t.to_string())/>
            <Knob key="distill_alpha" label="α (hard-label weight)" step="0.05" value=p(|c| c.distill_alpha.to_string())/>
        </fieldset>
    }
}
