use leptos::prelude::*;

use super::state::AppState;
use crate::measure::energy::{Costs, training_epoch};
use crate::protocol::report::ModelReport;
use crate::train::early_stopping::EarlyStopReport;
use crate::ui::view::format::{count, ms, percent};

/// What early stopping did, and what it saved (steps, and the energy section's estimate of them).
fn early_stopping_text(es: &EarlyStopReport, dense: &ModelReport, batch: usize) -> String {
    let best = format!("the lowest validation loss, {:.4}, came after epoch {}", es.best_val_loss, es.best_epoch);
    match es.stopped_epoch {
        None => format!("Early stopping was on but never stopped the run: {best}."),
        Some(epoch) => {
            let saved = training_epoch(dense.macs_dense_kernel, dense.bytes.bytes_f32, es.steps_saved * batch, es.steps_saved, &Costs::default());
            format!(
                "Early stopping ended training after epoch {epoch}: {best}{}. {} of {} steps saved, about {:.1} µJ of estimated training energy (the energy section's default assumptions).",
                if es.restored { ", and its weights were restored" } else { "" },
                count(es.steps_saved),
                count(es.steps_planned),
                saved.total_nj() / 1000.0
            )
        }
    }
}

/// The trained model's figures and how training went, from the report.
#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Each section is rebuilt only when its own figures change, not on every report.
    let trained = Memo::new(move |_| {
        state.report.with(|r| {
            r.dense.clone().zip(r.train.clone()).map(|(dense, train)| (dense, train, r.engine_check.clone(), r.engine_profile.clone(), r.config.batch))
        })
    });
    let stages = Memo::new(move |_| state.report.with(|r| (!r.stages.is_empty()).then(|| r.stages.clone())));
    view! {
        {move || trained.get().map(|(dense, train, engine_check, engine_profile, batch)| view! {
            <section class="results" aria-label="Results">
                <h2>"Dense model"</h2>
                <table id="dense-table">
                    <tbody>
                        <tr><th scope="row">"Weights (kernels + biases)"</th><td>{count(dense.weights_total)}</td></tr>
                        <tr><th scope="row">"Kernel weights (what pruning acts on)"</th><td>{count(dense.kernel_weights)}</td></tr>
                        <tr><th scope="row">"Size as float32"</th><td>{format!("{:.1} KB", dense.bytes.bytes_f32 as f64 / 1000.0)}</td></tr>
                        <tr><th scope="row">"Multiply-accumulates per image"</th><td>{count(dense.macs)}</td></tr>
                        <tr><th scope="row">"Test accuracy"</th><td id="test-accuracy">{percent(dense.test_accuracy)}</td></tr>
                    </tbody>
                </table>
                <h2>"Training"</h2>
                <table id="train-table">
                    <tbody>
                        <tr><th scope="row">"Training step"</th><td id="engine">{train.engine}{train.engine_note.map(|n| format!(" ({n})")).unwrap_or_default()}</td></tr>
                        <tr><th scope="row">"Steps"</th><td>{count(train.steps)}</td></tr>
                        {train.resumed_from_step.map(|step| view! {
                            <tr><th scope="row">"Resumed"</th><td id="resumed">{format!(
                                "from step {step}, with the weights read back before the GPU device was lost (Adam's moments start afresh); the times count from there"
                            )}</td></tr>
                        })}
                        <tr><th scope="row">"Time per step (median · p95)"</th>
                            <td>{format!("{} · {}", ms(train.ms_per_step_median), ms(train.ms_per_step_p95))}</td></tr>
                        <tr><th scope="row">"First step (compilation, warm-up)"</th><td id="first-step">{ms(train.first_step_ms)}</td></tr>
                        <tr><th scope="row">"Wall time"</th><td>{format!("{:.1} s", train.wall_ms / 1000.0)}</td></tr>
                        <tr><th scope="row">"Test accuracy by epoch"</th><td>{train.test_accuracy.per_epoch.iter().map(|&a| percent(Some(a))).collect::<Vec<_>>().join(" → ")}</td></tr>
                        {(!train.val_loss.is_empty()).then(|| view! {
                            <tr><th scope="row">"Validation loss by epoch"</th><td>{train.val_loss.iter().map(|l| format!("{l:.4}")).collect::<Vec<_>>().join(" → ")}</td></tr>
                        })}
                    </tbody>
                </table>
                {engine_check.map(|c| view! {
                    <p id="engine-check">{format!(
                        "Checked before training: {} and burn's autodiff, {} steps of {} images from the same start, differ by at most {:.1e} in the loss and {:.1e} in any parameter (relative).",
                        c.engine, c.steps, c.batch, c.max_loss_error, c.max_param_error
                    )}</p>
                })}
                {engine_profile.map(|p| view! {
                    <p id="engine-profile">{match &p.error {
                        Some(e) => format!("No per-kernel profile: {e}."),
                        None => format!(
                            "One fused WebGPU step at batch {} ({} dispatches, {} submit), GPU timestamps per kernel: {} (total {:.2} ms).",
                            p.batch, p.dispatches, p.submits,
                            p.kernels.iter().map(|k| format!("{} {:.2} ms", k.kernel, k.ms)).collect::<Vec<_>>().join(", "),
                            p.kernels.iter().map(|k| k.ms).sum::<f64>()
                        ),
                    }}</p>
                })}
                {train.early_stopping.map(|es| view! { <p id="early-stopping">{early_stopping_text(&es, &dense, batch)}</p> })}
                <p class="note">"Step times are wall-clock over windows that end in an awaited loss readback, so they include the GPU's work, not only its queueing."</p>
            </section>
        })}
        {move || stages.get().map(|stages| view! {
            <section class="stages" aria-label="Where the time went">
                <h2>"Where the time went"</h2>
                <table id="stage-table">
                    <tbody>
                        {stages.into_iter().map(|s| view! { <tr><th scope="row">{s.stage}</th><td>{format!("{:.1} s", s.wall_ms / 1000.0)}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}
