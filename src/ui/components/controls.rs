use leptos::prelude::*;

use super::later::Later;
use super::state::AppState;
use crate::protocol::knobs::{Control, Group, KNOBS, Knob};

/// Applies an edit to one knob, validated like its URL parameter; notices go to the page.
fn apply(state: AppState, key: &str, raw: &str) {
    let mut notices = Vec::new();
    state.settings.update(|s| {
        s.apply(key, raw, &mut notices);
        s.check_schedule(&mut notices);
        s.check_pattern(&mut notices);
        s.check_early_stopping(&mut notices);
    });
    if !notices.is_empty() {
        state.report.update(|r| r.notices.extend(notices));
    }
}

/// A labelled choice between fixed words (the URL parameter's values).
#[component]
fn Choice(key: &'static str, label: &'static str, options: Vec<(&'static str, &'static str)>, value: Signal<String>) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <label class="knob">
            <span>{label} <code class="hint">{key}</code></span>
            <select name=key on:change=move |ev| apply(state, key, &event_target_value(&ev)) disabled=move || state.running()>
                {options.into_iter().map(|(v, text)| view! { <option value=v selected=move || value.get() == v>{text}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// One labelled number field bound to a knob; edits are validated like URL parameters.
#[component]
fn Number(key: &'static str, label: &'static str, value: Signal<String>, step: &'static str) -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_change = move |ev| apply(state, key, &event_target_value(&ev));
    view! {
        <label class="knob">
            <span>{label} <code class="hint">{key}</code></span>
            <input type="number" name=key step=step prop:value=value on:change=on_change disabled=move || state.running()/>
        </label>
    }
}

/// A fraction in [0, 0.99] as a percentage slider.
#[component]
fn Percent(key: &'static str, label: &'static str, value: Signal<String>) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <label class="knob slider">
            <span>{label} ": " {move || format!("{:.0} %", value.get().parse::<f64>().unwrap_or(0.0) * 100.0)} " " <code class="hint">{key}</code></span>
            <input type="range" name=key min="0" max="0.99" step="0.01" prop:value=value
                on:change=move |ev| apply(state, key, &event_target_value(&ev)) disabled=move || state.running()/>
        </label>
    }
}

/// The control of one knob of [`KNOBS`], bound to its value in the settings.
fn control(state: AppState, knob: &'static Knob) -> Option<AnyView> {
    let value = Signal::derive(move || state.settings.with(|s| (knob.value)(s)));
    let (key, label) = (knob.key, knob.label);
    Some(match knob.control {
        Control::Number(step) => view! { <Number key label value step/> }.into_any(),
        Control::Choice(options) => view! { <Choice key label value options=options()/> }.into_any(),
        Control::Flag { on, off } => view! { <Choice key label value options=vec![("1", on), ("0", off)]/> }.into_any(),
        Control::Percent => view! { <Percent key label value/> }.into_any(),
        Control::Url => return None,
    })
}

/// The controls of one group of knobs, in the table's order.
fn controls(state: AppState, group: Group) -> impl IntoView {
    KNOBS.iter().filter(|k| k.group == group).filter_map(|k| control(state, k)).collect_view()
}

/// The first screen's few knobs and the Train / Cancel buttons; every other knob under
/// "Advanced settings", grouped, each labelled in words with its Keras / URL name as a hint.
#[component]
pub fn Controls() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <section class="controls" aria-label="Training settings">
            <div class="main-knobs">
                {controls(state, Group::Main)}
                <div class="buttons">
                    <button id="train" class="primary" on:click=move |_| state.start() disabled=move || state.running()>
                        {move || if state.report.with(|r| r.train.is_some()) { "Train and prune again" } else { "Train and prune" }}
                    </button>
                    <button id="cancel" on:click=move |_| state.cancel() disabled=move || !state.running() || state.cancel.get()>
                        "Cancel"
                    </button>
                </div>
            </div>
            <details class="advanced" id="advanced">
                <summary>"Advanced settings"</summary>
                // Folded away at first: built after the first screen has painted.
                <Later>
                    <fieldset class="knob-group">
                        <legend>"Training"</legend>
                        {controls(state, Group::Training)}
                    </fieldset>
                    <fieldset class="knob-group">
                        <legend>"Pruning schedule"</legend>
                        {controls(state, Group::Schedule)}
                    </fieldset>
                    <fieldset class="knob-group">
                        <legend>"Other levers: regularization, early stopping, structure, distillation, int8"</legend>
                        {controls(state, Group::Levers)}
                    </fieldset>
                </Later>
            </details>
        </section>
    }
}
