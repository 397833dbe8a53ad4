//! The sparse kernels' section: do they compute what the dense model computes, and from which
//! sparsity are they faster (the sweep, drawn as dense vs sparse latency per backend and batch).

use leptos::prelude::*;

use super::charts::LineChart;
use super::pattern_kernel::PatternKernel;
use super::state::AppState;
use crate::kernels::sparse::agreement::{Agreement, TOLERANCE};
use crate::kernels::sparse::timing::SweepSeries;
use crate::measure::latency::Backend;
use crate::protocol::report::SparseReport;
use crate::ui::view::format::{count, ms};

pub(super) fn agreement_text(backend: &str, a: &Agreement) -> String {
    format!(
        "{backend}: on {} test images the sparse logits differ from the masked dense model's by at most {:.1e} (relative, absolute below 1; tolerance {TOLERANCE:.0e}), and {} predicted digits differ{}.",
        count(a.images),
        a.max_error,
        a.argmax_mismatches,
        if a.within_tolerance() { "" } else { " — OUTSIDE the tolerance" }
    )
}

/// Chart titles and ids are fixed strings, one per backend and batch.
fn labels(s: &SweepSeries) -> (&'static str, &'static str) {
    match (s.backend, s.batch) {
        (Backend::Cpu, 1) => ("CPU, batch 1: ms per pass at 50–98 % sparsity; sparse solid, dense dashed", "sweep-cpu-1"),
        (Backend::Cpu, _) => ("CPU, batch 1024: ms per pass at 50–98 % sparsity; sparse solid, dense dashed", "sweep-cpu-1024"),
        (Backend::Webgpu, 1) => ("WebGPU, batch 1: ms per pass at 50–98 % sparsity; sparse solid, dense dashed", "sweep-webgpu-1"),
        (Backend::Webgpu, _) => ("WebGPU, batch 1024: ms per pass at 50–98 % sparsity; sparse solid, dense dashed", "sweep-webgpu-1024"),
    }
}

fn crossover_text(s: &SweepSeries) -> String {
    let place = format!("{}, batch {}", s.backend.label(), s.batch);
    match s.crossover {
        Some(at) => format!("{place}: the sparse kernel wins from {:.0} % sparsity up (dense {}).", at * 100.0, ms(Some(s.dense.median_ms))),
        None => format!("{place}: the sparse kernel never beats the dense one in this range (dense {}).", ms(Some(s.dense.median_ms))),
    }
}

#[component]
fn SweepChart(series: SweepSeries, sparsities: Vec<f32>) -> impl IntoView {
    let (title, id) = labels(&series);
    let x: Vec<f64> = sparsities.iter().map(|s| f64::from(*s) * 100.0).collect();
    let sparse: Vec<(f64, f64)> = x.iter().zip(&series.sparse).map(|(x, t)| (*x, t.median_ms)).collect();
    let dense: Vec<(f64, f64)> = [x.first(), x.last()].into_iter().flatten().map(|x| (*x, series.dense.median_ms)).collect();
    let top = sparse.iter().map(|p| p.1).fold(series.dense.median_ms, f64::max) * 1.1;
    // The vertical line: where the sparse kernel starts to win for good.
    let marker_x = series.crossover.map(|at| f64::from(at) * 100.0);
    view! {
        <LineChart title=title id=id points=Signal::stored(sparse) name="sparse kernel" second=Signal::stored(dense) second_name="dense kernel" y_range=(0.0, top)
            dots=true marker_x=marker_x x_label="sparsity (%)" format_x=|x| format!("{x:.0} %") format_y=|y| format!("{y:.3} ms") y_unit=" ms"/>
    }
}

#[component]
pub fn SparsePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let report = Memo::new(move |_| state.report.with(|r| r.sparse.clone()));
    let can_sweep = move || !state.running() && state.report.with(|r| r.dense.as_ref().is_some_and(|d| d.latency.cpu.is_some()));
    view! {
        {move || report.get().map(|r: SparseReport| view! {
            <section class="sparse" aria-label="Sparse kernels">
                <h2>"Sparse kernels: when does pruning buy speed?"</h2>
                <p class="note">{format!("The pruned model runs on kernels that skip its zeros. Layout: {}. CPU: CSR rows over batch-contiguous tiles of 16 images (SIMD), and at batch 1 an input-major pass that skips zero pixels. WebGPU: one workgroup per output unit, four images per invocation, no barriers.", r.layout)}</p>
                <ul class="agreement" id="sparse-agreement">
                    {r.agreement_cpu.map(|a| view! { <li>{agreement_text("CPU", &a)}</li> })}
                    {r.agreement_webgpu.map(|a| view! { <li>{agreement_text("WebGPU", &a)}</li> })}
                </ul>
                {r.error.map(|e| view! { <p class="error" role="alert">{format!("Sparse kernels: {e}")}</p> })}
                {r.pattern.map(|p| view! { <PatternKernel report=p/> })}
                <div class="buttons">
                    <button id="sweep" on:click=move |_| state.start_sweep() disabled=move || !can_sweep()>"Sweep sparsity 50 → 98 %"</button>
                    <button id="study" on:click=move |_| state.start_study() disabled=move || !can_sweep()>"Compare sparsity patterns"</button>
                    {move || state.sweep_progress.get().map(|(done, total)| view! {
                        <span class="note" id="sweep-progress">{format!("timing {done} of {total} …")} <progress max=total.to_string() value=done.to_string()></progress></span>
                    })}
                </div>
                {r.sweep.map(|sweep| view! {
                    <p class="note">"Each kernel thresholded by magnitude to each sparsity (latency depends on how many weights are left, not on retraining). Dense: the dense column's figure — a dense kernel does the same work at any sparsity. The dotted vertical line marks where the sparse kernel starts to win."{sweep.cancelled.then_some(" The sweep was cancelled before the end.")}</p>
                    <ul class="verdicts" id="sweep-verdicts">{sweep.series.iter().map(|s| view! { <li>{crossover_text(s)}</li> }).collect_view()}</ul>
                    <div class="charts">
                        {sweep.series.iter().map(|s| view! { <SweepChart series=s.clone() sparsities=sweep.sparsities.clone()/> }).collect_view()}
                    </div>
                })}
            </section>
        })}
    }
}
