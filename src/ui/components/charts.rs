use leptos::prelude::*;

use super::state::AppState;
use crate::ui::view::chart::{Extent, polyline, x_position};

const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 140.0;

/// A titled SVG line chart of `points`, with the y range written at the axis ends.
#[component]
pub fn LineChart(
    title: &'static str,
    id: &'static str,
    points: Signal<Vec<(f64, f64)>>,
    /// A second series, drawn dashed, in the same axes.
    #[prop(optional, into)]
    second: Option<Signal<Vec<(f64, f64)>>>,
    /// Fixed y range, or `None` to fit the data.
    #[prop(optional)]
    y_range: Option<(f64, f64)>,
    /// Formats a y value for the axis labels.
    format_y: fn(f64) -> String,
    /// Draw a dot at each point (for few points).
    #[prop(optional)]
    dots: bool,
    /// A vertical line at this x (a threshold the caption names).
    #[prop(default = None)]
    marker_x: Option<f64>,
) -> impl IntoView {
    let extent = move || {
        points.with(|p| Extent::of(p)).map(|mut e| {
            if let Some(y) = y_range {
                e.y = y;
            }
            e
        })
    };
    view! {
        <figure class="chart" id=id>
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("-4 -4 {} {}", WIDTH + 8.0, HEIGHT + 8.0) role="img" aria-label=title preserveAspectRatio="none">
                <rect class="frame" x="0" y="0" width=WIDTH height=HEIGHT></rect>
                {move || extent().map(|e| {
                    let line = points.with(|p| polyline(p, e, WIDTH, HEIGHT));
                    let other = second.map(|s| view! { <polyline class="second" points=s.with(|p| polyline(p, e, WIDTH, HEIGHT))></polyline> });
                    // A line of one or two readings is hard to see: mark them.
                    let marks = if dots || points.with(|p| p.len() <= 2) { line.split(' ').filter_map(|xy| xy.split_once(',')).map(|(x, y)| view! { <circle cx=x.to_string() cy=y.to_string() r="3"></circle> }).collect_view().into_any() } else { ().into_any() };
                    let marker = marker_x.map(|x| {
                        let sx = format!("{:.1}", x_position(x, e, WIDTH));
                        view! { <line class="marker" x1=sx.clone() x2=sx y1="0" y2=HEIGHT.to_string()></line> }
                    });
                    view! { <polyline points=line></polyline> {other} {marks} {marker} }
                })}
            </svg>
            <div class="axis">
                {move || extent().map(|e| format!("y: {} – {}", format_y(e.y.0), format_y(e.y.1))).unwrap_or_else(|| "no data yet".into())}
            </div>
        </figure>
    }
}

/// Training loss as read back every few steps.
#[component]
pub fn LossChart() -> impl IntoView {
    let state = expect_context::<AppState>();
    let series = |losses: RwSignal<Vec<crate::train::report::LossPoint>>| {
        Signal::derive(move || losses.with(|l| l.iter().map(|p| (p.step as f64, f64::from(p.loss))).collect::<Vec<_>>()))
    };
    view! {
        <LineChart title="Training loss (cross-entropy) by step; validation loss dashed, with a validation split" id="loss-chart"
            points=series(state.losses) second=series(state.val_losses) format_y=|y| format!("{y:.2}")/>
    }
}

/// Test accuracy after each epoch.
#[component]
pub fn AccuracyChart() -> impl IntoView {
    let state = expect_context::<AppState>();
    let points = Signal::derive(move || state.accuracies.with(|a| a.iter().enumerate().map(|(i, &acc)| ((i + 1) as f64, acc * 100.0)).collect()));
    view! {
        <LineChart title="Test accuracy (10,000 images) by epoch" id="accuracy-chart" points=points dots=true
            format_y=|y| format!("{y:.1} %")/>
    }
}
