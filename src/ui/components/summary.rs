//! "What saves energy": every model of the run on one scale, sortable, and accuracy against
//! bytes at a glance.

use leptos::prelude::*;

use super::charts::axes;
use super::state::AppState;
use crate::protocol::report::Report;
use crate::ui::view::chart::{Extent, ticks, x_position, y_position};
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

/// The plot area and its margins (tick labels, axis names), in the SVG's units.
const PLOT: (f64, f64) = (300.0, 150.0);
const LEFT: f64 = 50.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;
const RIGHT: f64 = 16.0;

/// Accuracy (y) against weight bytes (x), one numbered dot per model; each dot names its model
/// and figures on hover and on keyboard focus.
#[component]
fn Tradeoff(levers: Vec<Lever>) -> impl IntoView {
    let points: Vec<(usize, &'static str, f64, f64)> =
        levers.iter().enumerate().filter_map(|(i, l)| l.accuracy.map(|a| (i + 1, l.name, l.bytes as f64 / 1000.0, a * 100.0))).collect();
    let (x_max, y_min, y_max) = points.iter().fold((1.0f64, f64::INFINITY, f64::NEG_INFINITY), |(x, lo, hi), p| (x.max(p.2), lo.min(p.3), hi.max(p.3)));
    let (y_min, y_max) = if y_max - y_min < 0.5 { (y_min - 0.25, y_max + 0.25) } else { (y_min - 0.05 * (y_max - y_min), y_max + 0.05 * (y_max - y_min)) };
    let extent = Extent { x: (0.0, x_max * 1.05), y: (y_min, y_max) };
    view! {
        <figure class="chart" id="tradeoff-chart">
            <figcaption>"Test accuracy against weight bytes (numbers as in the table)"</figcaption>
            <svg viewBox=format!("0 0 {} {}", LEFT + PLOT.0 + RIGHT, TOP + PLOT.1 + BOTTOM) role="group" aria-label="Test accuracy against weight bytes">
                <g transform=format!("translate({LEFT} {TOP})")>
                    <rect class="frame" x="0" y="0" width=PLOT.0 height=PLOT.1></rect>
                    {axes(extent, PLOT, ticks(extent.x.0, extent.x.1, 5), |t| count(t as usize), " %")}
                    {points.into_iter().map(|(n, name, x, y)| {
                        let (cx, cy) = (x_position(x, extent, PLOT.0), y_position(y, extent, PLOT.1));
                        let label = format!("{n}. {name}: {y:.2} % test accuracy, {} KB", count(x.round() as usize));
                        view! {
                            <g class="point" tabindex="0" role="img" aria-label=label.clone()>
                                <title>{label.clone()}</title>
                                <circle cx=format!("{cx:.1}") cy=format!("{cy:.1}") r="3"></circle>
                                <text x=format!("{:.1}", cx + 4.0) y=format!("{:.1}", cy - 4.0)>{n}</text>
                            </g>
                        }
                    }).collect_view()}
                    <text class="axis-name" x=PLOT.0 / 2.0 y=PLOT.1 + 30.0 text-anchor="middle">"weight bytes as stored (KB)"</text>
                </g>
            </svg>
        </figure>
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
