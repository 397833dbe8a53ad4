//! "What saves energy": every model of the run on one scale, sortable, and accuracy against
//! bytes at a glance.

use leptos::prelude::*;

use super::charts::Scatter;
use super::state::AppState;
use crate::protocol::report::Report;
use crate::ui::view::chart::Dot;
use crate::ui::view::format::{count, ms, percent};
use crate::ui::view::summary::{Lever, SortKey, levers, sorted};

const COLUMNS: [(&str, SortKey); 8] = [
    ("Test accuracy", SortKey::Accuracy),
    ("Weight bytes (as stored)", SortKey::Bytes),
    ("CPU, batch 1", SortKey::CpuBatch1),
    ("CPU, batch 1024", SortKey::CpuBatch1024),
    ("WebGPU, batch 1", SortKey::WebgpuBatch1),
    ("WebGPU, batch 1024", SortKey::WebgpuBatch1024),
    ("Training steps", SortKey::TrainingSteps),
    ("Energy per inference (estimate)", SortKey::Energy),
];

fn cell(lever: &Lever, key: SortKey) -> String {
    match key {
        SortKey::Accuracy => percent(lever.accuracy),
        SortKey::Bytes => count(lever.bytes),
        SortKey::TrainingSteps => count(lever.training_steps),
        SortKey::Energy => format!("{:.1} µJ", lever.energy.total_nj() / 1000.0),
        _ => ms(lever.value(key)),
    }
}

/// The training-side levers the run used, in words.
fn training_levers(r: &Report) -> String {
    let c = &r.config;
    let mut parts = Vec::new();
    if c.l1 > 0.0 || c.l2 > 0.0 {
        parts.push(format!("L1 {} / L2 {} on the kernels", c.l1, c.l2));
    }
    if let Some(es) = r.train.as_ref().and_then(|t| t.early_stopping) {
        parts.push(match es.stopped_epoch {
            Some(epoch) => format!("early stopping after epoch {epoch} ({} steps saved)", count(es.steps_saved)),
            None => "early stopping (it did not stop the run)".into(),
        });
    }
    if let Some(d) = &r.distill {
        parts.push(format!("distillation into the {}-unit student (T = {}, α = {})", d.student_hidden, d.temperature, d.alpha));
    }
    if parts.is_empty() {
        "No regularization, early stopping or distillation in this run (see ?l1, ?l2, ?early_stopping, ?distill).".into()
    } else {
        format!("This run's training used {}.", parts.join(" and "))
    }
}

/// Accuracy (y) against weight bytes (x), one numbered dot per model; each dot names its model
/// and figures on hover and on keyboard focus.
#[component]
fn Tradeoff(levers: Vec<Lever>) -> impl IntoView {
    let dots: Vec<Dot> = levers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let (x, y) = (l.bytes as f64 / 1000.0, l.accuracy? * 100.0);
            let label = format!("{}. {}: {y:.2} % test accuracy, {} KB", i + 1, l.name, count(x.round() as usize));
            Some(Dot { mark: (i + 1).to_string(), label, x, y })
        })
        .collect();
    view! {
        <Scatter id="tradeoff-chart".to_string() caption="Test accuracy against weight bytes (numbers as in the table)".to_string() dots=dots
            x_name="weight bytes as stored (KB)" format_x=|t| count(t as usize)/>
    }
}

#[component]
pub fn Summary() -> impl IntoView {
    let state = expect_context::<AppState>();
    let sort = RwSignal::new(SortKey::Energy);
    // Rebuilt when the figures change, not on every report.
    let figures = Memo::new(move |_| state.report.with(|r| (levers(r), training_levers(r))));
    view! {
        {move || {
            let (all, training) = figures.get();
            (all.len() > 1).then(|| {
                let key = sort.get();
                let rows = sorted(all.clone(), key);
                let header = COLUMNS.map(|(label, k)| view! {
                    <th scope="col" aria-sort=move || if sort.get() == k { if k == SortKey::Accuracy { "descending" } else { "ascending" } } else { "none" }>
                        <button class="sort" on:click=move |_| sort.set(k)>{label}</button>
                    </th>
                }).into_iter().collect_view();
                let body = rows.iter().map(|l| {
                    let n = all.iter().position(|a| a.name == l.name).map_or(0, |i| i + 1);
                    view! {
                        <tr><th scope="row">{format!("{n}. {}", l.name)}</th>{COLUMNS.map(|(_, k)| view! { <td>{cell(l, k)}</td> }).into_iter().collect_view()}</tr>
                    }
                }).collect_view();
                view! {
                    <section class="summary" aria-label="What saves energy">
                        <h2>"What saves energy: every lever on one scale"</h2>
                        <p class="note">"Measured figures (median latency per pass, ms) beside the energy section's estimate (batch 1, default assumptions). Click a column to sort; accuracy sorts highest first, everything else lowest first."</p>
                        <div class="table-scroll" tabindex="0" role="region" aria-label="What saves energy table (scrolls sideways on narrow screens)">
                            <table id="summary-table"><thead><tr><th scope="col">"Model"</th>{header}</tr></thead><tbody>{body}</tbody></table>
                        </div>
                        <p class="note" id="training-levers">{training.clone()}</p>
                        <Tradeoff levers=all/>
                    </section>
                }
            })
        }}
    }
}
