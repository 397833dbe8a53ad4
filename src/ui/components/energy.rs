//! The energy and compute readout: an estimate with its assumptions on the page, adjustable.

use leptos::prelude::*;

use super::state::AppState;
use crate::measure::energy::Costs;
use crate::measure::latency::{BatchTimings, LatencyReport};
use crate::ui::view::energy::energy_table;
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
    // The table follows the report and the costs; the section around it, with the cost fields a
    // reader may be editing, is built once there is a model to cost.
    let table = Memo::new(move |_| costs.with(|c| state.report.with(|r| energy_table(r, c))));
    let shown = Memo::new(move |_| table.with(|t| !t.rows.is_empty()));
    view! {
        {move || shown.get().then(|| view! {
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
                            {move || table.with(|t| t.rows.iter().map(|row| {
                                let (w, e) = (row.work, row.estimate);
                                view! {
                                    <tr><th scope="row">{row.name}</th><td>{measured(row.latency)}</td><td>{count(w.macs)}</td><td>{count(w.bytes)}</td><td>{nj(e.compute_nj)}</td><td>{nj(e.memory_nj)}</td><td>{nj(e.total_nj())}</td><td>{format!("{:.1} %", e.memory_share() * 100.0)}</td></tr>
                                }
                            }).collect_view())}
                        </tbody>
                    </table>
                </div>
                {move || table.with(|t| t.epoch).map(|(samples, e)| view! {
                    <p class="note">{format!("One training epoch of the dense model on {} images (≈ 3 passes of MACs per image; weights read twice and written once per step): about {} of arithmetic and {} of memory traffic.", count(samples), nj(e.compute_nj), nj(e.memory_nj))}</p>
                })}
                <p class="note">"Memory dominates: moving a 32-bit weight from DRAM costs over a hundred times more than multiplying by it. That is why pruning only saves energy when the zeros are not stored or fetched (a sparse format, or a smaller dense model), and why int8 storage helps every model."</p>
            </section>
        })}
    }
}
