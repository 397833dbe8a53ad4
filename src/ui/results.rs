use leptos::prelude::*;

use super::pipeline::AppState;
use crate::format::{count, ms, percent};

/// The trained model's figures and how training went, from the report.
#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || state.report.with(|r| r.dense.clone().zip(r.train.clone())).map(|(dense, train)| view! {
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
                        <tr><th scope="row">"Steps"</th><td>{count(train.steps)}</td></tr>
                        <tr><th scope="row">"Time per step (median · p95)"</th>
                            <td>{format!("{} · {}", ms(train.ms_per_step_median), ms(train.ms_per_step_p95))}</td></tr>
                        <tr><th scope="row">"Wall time"</th><td>{format!("{:.1} s", train.wall_ms / 1000.0)}</td></tr>
                        <tr><th scope="row">"Test accuracy by epoch"</th><td>{train.test_accuracy.per_epoch.iter().map(|&a| percent(Some(a))).collect::<Vec<_>>().join(" → ")}</td></tr>
                    </tbody>
                </table>
                <p class="note">"Step times are wall-clock over windows that end in an awaited loss readback, so they include the GPU's work, not only its queueing."</p>
            </section>
        })}
        {move || state.report.with(|r| (!r.stages.is_empty()).then(|| r.stages.clone())).map(|stages| view! {
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
