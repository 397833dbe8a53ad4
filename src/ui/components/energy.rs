//! The energy and compute readout: an estimate with its assumptions on the page, adjustable.

use leptos::prelude::*;

use super::state::AppState;
use crate::data::batches::steps_per_epoch;
use crate::measure::energy::{Costs, Precision, Work, estimate, training_epoch};
use crate::measure::latency::{BatchTimings, LatencyReport};
use crate::ui::view::format::{count, ms};

/// Batch-1 medians on the CPU and WebGPU, "not run" where no kernel ran this row.
fn measured(latency: Option<LatencyReport>) -> String {
    let Some(l) = latency else {
        return "not run (estimate only)".into();
    };
    let pick = |t: Option<BatchTimings>| t.map(|t| ms(Some(t.b1.median_ms))).unwrap_or_else(|| "–".into());
    format!("{} · {}", pick(l.cpu), pick(l.webgpu))
}

fn nj(v: f64) -> String {
    if v >= 1000.0 { format!("{:.1} µJ", v / 1000.0) } else { format!("{v:.1} nJ") }
}

/// A labelled picojoule figure that can be changed.
#[component]
fn Cost(label: &'static str, costs: RwSignal<Costs>, get: fn(&Costs) -> f64, set: fn(&mut Costs, f64)) -> impl IntoView {
    view! {
        <label class="knob">
            <span>{label}</span>
            <input type="number" min="0" step="any" prop:value=move || costs.with(get).to_string()
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>()
                        && v.is_finite()
                        && v >= 0.0
                    {
                        costs.update(|c| set(c, v));
                    }
                }/>
        </label>
    }
}

#[component]
pub fn EnergyPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let costs = RwSignal::new(Costs::default());
    let rows = move || {
        let c = costs.get();
        state.report.with(|r| {
            // Each row with the batch-1 latency measured for it, where a kernel for it ran.
            let mut rows: Vec<(&'static str, Work, Option<LatencyReport>)> = Vec::new();
            if let Some(d) = &r.dense {
                rows.push(("Dense, float32", Work { macs: d.macs_dense_kernel, bytes: d.bytes.bytes_f32, precision: Precision::Fp32 }, Some(d.latency)));
                // The int8 model as stored and timed when the run quantized; a quarter of float32 otherwise.
                let int8 = r.int8.as_ref();
                let bytes = int8.and_then(|q| q.bytes_int8).unwrap_or(d.bytes.bytes_f32 / 4);
                rows.push(("Dense, int8 weights", Work { macs: d.macs_dense_kernel, bytes, precision: Precision::Int8 }, int8.map(|q| q.latency)));
            }
            if let Some(p) = &r.pruned {
                rows.push((
                    "Pruned, on a dense kernel (zeros still read and multiplied)",
                    Work { macs: p.macs_dense_kernel, bytes: p.bytes.bytes_f32, precision: Precision::Fp32 },
                    Some(p.latency),
                ));
                let sparse = r.pruned_sparse.as_ref().map(|s| s.latency);
                rows.push(("Pruned, on a sparse kernel (CSR)", Work { macs: p.macs, bytes: p.bytes.bytes_sparse, precision: Precision::Fp32 }, sparse));
                if let Some(q) = &r.pruned_int8 {
                    let bytes = q.bytes_int8.unwrap_or(p.bytes.bytes_sparse / 2);
                    rows.push(("Pruned + int8, on a sparse kernel (CSR)", Work { macs: q.macs, bytes, precision: Precision::Int8 }, Some(q.latency)));
                }
            }
            if let Some(s) = &r.structured {
                rows.push(("Structured, float32", Work { macs: s.macs, bytes: s.bytes.bytes_f32, precision: Precision::Fp32 }, Some(s.latency)));
                rows.push(("Structured, int8 weights", Work { macs: s.macs, bytes: s.bytes.bytes_f32 / 4, precision: Precision::Int8 }, None));
            }
            let epoch = r.dense.as_ref().map(|d| {
                let samples = r.config.train_samples;
                (samples, training_epoch(d.macs_dense_kernel, d.bytes.bytes_f32, samples, steps_per_epoch(samples, r.config.batch), &c))
            });
            (rows.into_iter().map(|(name, w, latency)| (name, w, estimate(&w, &c), latency)).collect::<Vec<_>>(), epoch)
        })
    };
    view! {
        {move || {
            let (rows, epoch) = rows();
            (!rows.is_empty()).then(|| view! {
                <section class="energy" id="energy" aria-label="Energy estimate">
                    <h2>"Energy per inference: an estimate, not a measurement"</h2>
                    <p class="note">"Arithmetic on published energies per operation (Horowitz, ISSCC 2014, 45 nm). Assumes batch 1, where every weight is read once from DRAM per image. The figures below can be changed."</p>
                    <div class="controls costs">
                        <Cost label="float32 multiply (pJ)" costs=costs get=|c| c.fp32_mult_pj set=|c, v| c.fp32_mult_pj = v/>
                        <Cost label="float32 add (pJ)" costs=costs get=|c| c.fp32_add_pj set=|c, v| c.fp32_add_pj = v/>
                        <Cost label="int8 multiply (pJ)" costs=costs get=|c| c.int8_mult_pj set=|c, v| c.int8_mult_pj = v/>
                        <Cost label="int8 add (pJ)" costs=costs get=|c| c.int8_add_pj set=|c, v| c.int8_add_pj = v/>
                        <Cost label="32-bit DRAM read (pJ)" costs=costs get=|c| c.dram_read_32bit_pj set=|c, v| c.dram_read_32bit_pj = v/>
                    </div>
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Energy estimate table (scrolls sideways on narrow screens)">
                        <table id="energy-table">
                            <thead><tr><th></th><th scope="col">"Measured latency, batch 1 (CPU · WebGPU)"</th><th scope="col">"MACs"</th><th scope="col">"Bytes read"</th><th scope="col">"Arithmetic"</th><th scope="col">"Memory"</th><th scope="col">"Total"</th><th scope="col">"Memory share"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|(name, w, e, latency)| view! {
                                    <tr><th scope="row">{name}</th><td>{measured(latency)}</td><td>{count(w.macs)}</td><td>{count(w.bytes)}</td><td>{nj(e.compute_nj)}</td><td>{nj(e.memory_nj)}</td><td>{nj(e.total_nj())}</td><td>{format!("{:.1} %", e.memory_share() * 100.0)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {epoch.map(|(samples, e)| view! {
                        <p class="note">{format!("One training epoch of the dense model on {} images (≈ 3 passes of MACs per image; weights read twice and written once per step): about {} of arithmetic and {} of memory traffic.", count(samples), nj(e.compute_nj), nj(e.memory_nj))}</p>
                    })}
                    <p class="note">"Memory dominates: moving a 32-bit weight from DRAM costs over a hundred times more than multiplying by it. That is why pruning only saves energy when the zeros are not stored or fetched (a sparse format, or a smaller dense model), and why int8 storage helps every model."</p>
                </section>
            })
        }}
    }
}
