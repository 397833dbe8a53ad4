//! The speed matrix under the comparison table: each model against the dense one, per backend and
//! batch size, in one colour-coded table (its words are the cell text, so colour is never the
//! only signal).

use leptos::prelude::*;

use super::state::AppState;
use crate::ui::view::speedups::{cell_class, cell_text, speed_matrix};

#[component]
pub fn Speedups() -> impl IntoView {
    let state = expect_context::<AppState>();
    let matrix = Memo::new(move |_| state.report.with(speed_matrix));
    move || {
        matrix.get().map(|m| {
            let header = m.columns.iter().map(|(backend, batch)| view! { <th scope="col">{format!("{}, batch {batch}", backend.label())}</th> }).collect_view();
            let rows = m
                .rows
                .into_iter()
                .map(|row| {
                    let cells = row.cells.into_iter().map(|c| view! { <td class=cell_class(c)>{cell_text(c)}</td> }).collect_view();
                    view! { <tr><th scope="row">{row.model}</th>{cells}</tr> }
                })
                .collect_view();
            view! {
                <figure class="speedups">
                    <figcaption>"Each model against the dense one, by median latency"</figcaption>
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Speed against the dense model (scrolls sideways on narrow screens)">
                        <table id="speedups"><thead><tr><th scope="col">"Model"</th>{header}</tr></thead><tbody>{rows}</tbody></table>
                    </div>
                    <p class="note legend">
                        <span class="swatch faster"></span>" faster · "
                        <span class="swatch same"></span>" same: the difference is within the two timings' noise (p95 − median, at least 2 %) · "
                        <span class="swatch slower"></span>" slower"
                    </p>
                </figure>
            }
        })
    }
}
