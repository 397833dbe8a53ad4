//! The pruned model on its pattern's own kernel (block-CSR or N:M), beside the CSR kernel and the
//! masked dense model: does the pattern buy bytes and speed on this machine?

use leptos::prelude::*;

use super::state::AppState;
use crate::protocol::report::PatternKernelReport;
use crate::ui::view::pattern_kernel::{kernel_rows, verdicts};

#[component]
pub fn PatternKernel(report: PatternKernelReport) -> impl IntoView {
    let state = expect_context::<AppState>();
    let (pruned, csr) = state.report.with_untracked(|r| (r.pruned.clone(), r.pruned_sparse.clone()));
    let rows = kernel_rows(&report, pruned.as_ref(), csr.as_ref());
    let verdicts = verdicts(&report, pruned.as_ref(), csr.as_ref());
    let agreement = [("CPU", report.agreement_cpu), ("WebGPU", report.agreement_webgpu)]
        .into_iter()
        .filter_map(|(backend, a)| a.map(|a| super::sparse::agreement_text(backend, &a)))
        .collect::<Vec<_>>();
    view! {
        <div class="pattern-kernel" id="pattern-kernel">
            <h3>"The pattern's own kernel"</h3>
            {(!report.layout.is_empty()).then(|| view! { <p class="note">{format!("Layout: {}.", report.layout)}</p> })}
            <ul class="agreement">{agreement.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul>
            {report.error.clone().map(|e| view! { <p class="error" role="alert">{format!("Pattern kernel: {e}")}</p> })}
            <div class="table-scroll" tabindex="0" role="region" aria-label="Pattern kernel table (scrolls sideways on narrow screens)">
                <table id="pattern-kernel-table">
                    <thead><tr><th>"kernel"</th><th>"bytes (f32)"</th><th>"bytes (int8 codes)"</th><th>"CPU batch 1"</th><th>"CPU batch 1024"</th><th>"WebGPU batch 1"</th><th>"WebGPU batch 1024"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|row| view! {
                            <tr>
                                <th scope="row">{row.kernel}</th>
                                <td>{row.bytes}</td>
                                <td>{row.bytes_int8}</td>
                                {row.latency.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <ul class="verdicts" id="pattern-verdicts">{verdicts.into_iter().map(|v| view! { <li>{v}</li> }).collect_view()}</ul>
        </div>
    }
}
