//! The pattern study (`?patterns=1`): every pattern at the same sparsities, accuracy against
//! measured latency on each backend and batch, the frontier in words, and a row per model.

use leptos::prelude::*;

use super::charts::Scatter;
use super::state::AppState;
use crate::protocol::report::PatternStudyReport;
use crate::ui::view::study::{charts, rows};

const HEADER: [&str; 10] =
    ["#", "pattern", "test accuracy", "vs dense", "kernel", "bytes (f32)", "CPU batch 1", "CPU batch 1024", "WebGPU batch 1", "WebGPU batch 1024"];

fn status(s: &PatternStudyReport) -> Option<String> {
    match (&s.error, s.cancelled) {
        (Some(e), _) => Some(format!("The study stopped: {e}.")),
        (None, true) => Some(format!("The study was cancelled after {} of {} models.", s.points.len(), s.planned)),
        (None, false) if s.points.len() < s.planned => Some(format!("pruning and timing model {} of {} …", s.points.len() + 1, s.planned)),
        _ => None,
    }
}

#[component]
pub fn PatternStudy() -> impl IntoView {
    let state = expect_context::<AppState>();
    let study = Memo::new(move |_| state.report.with(|r| r.pattern_study.clone().map(|s| (s, r.dense.clone()))));
    view! {
        {move || study.get().map(|(s, dense)| {
            let charts = charts(&s, dense.as_ref());
            let rows = rows(&s, dense.as_ref());
            view! {
                <section class="study" id="pattern-study" aria-label="Sparsity patterns compared">
                    <h2>"Which sparsity pattern pays on this machine?"</h2>
                    <p class="note">{format!(
                        "The dense model pruned one-shot under each pattern to 50, 75 and 90 % (2:4 at its own 50 %; whole units: as many fewer hidden units), each fine-tuned {} epochs, each timed on the kernel that exploits its pattern (CSR, block-CSR, 2:4, or a smaller dense model). Numbers as in the table; D is the dense model.",
                        s.finetune_epochs
                    )}</p>
                    {status(&s).map(|text| view! { <p class="note" id="study-status" role="status">{text}</p> })}
                    <ul class="verdicts" id="study-frontier">
                        {charts.iter().map(|c| view! { <li>{format!("{}: the best trade-offs, fastest first: {}.", c.caption.split(':').next().unwrap_or_default(), c.frontier.join("; "))}</li> }).collect_view()}
                    </ul>
                    <div class="charts">
                        {charts.into_iter().map(|c| view! { <Scatter id=c.id caption=c.caption dots=c.dots x_name="ms per pass (median)" format_x=|t| format!("{t:.2}")/> }).collect_view()}
                    </div>
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Pattern study table (scrolls sideways on narrow screens)">
                        <table id="study-table">
                            <thead><tr>{HEADER.map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                            <tbody>{rows.into_iter().map(|row| view! { <tr>{row.map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
                        </table>
                    </div>
                </section>
            }
        })}
    }
}
