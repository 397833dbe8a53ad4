use leptos::prelude::*;
use web_sys::{KeyboardEvent, PointerEvent};

use super::state::AppState;
use crate::ui::view::chart::{Dot, Extent, key_step, nearest, polyline, tick_label, ticks, whole_ticks, x_position, y_position};

/// The plot area, in the SVG's units; the margins hold the tick labels and the x axis' name.
const WIDTH: f64 = 330.0;
const HEIGHT: f64 = 130.0;
const LEFT: f64 = 52.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 34.0;
const RIGHT: f64 = 12.0;

/// The grid lines and tick labels of a plot `size` wide and high (SVG units): round y ticks with
/// their `y_unit`, and the x ticks `xs`, labelled by `format_x`.
pub fn axes(e: Extent, size: (f64, f64), xs: Vec<f64>, format_x: impl Fn(f64) -> String, y_unit: &'static str) -> impl IntoView {
    let (width, height) = size;
    let ys = ticks(e.y.0, e.y.1, 4);
    let y_ticks = ys
        .iter()
        .map(|&t| {
            let y = format!("{:.1}", y_position(t, e, height));
            view! {
                <line class="grid" x1="0" x2=width y1=y.clone() y2=y.clone()></line>
                <text class="tick" x="-5" y=y dy="0.32em" text-anchor="end">{tick_label(t, &ys, y_unit)}</text>
            }
        })
        .collect_view();
    let x_ticks = xs
        .into_iter()
        .map(|t| {
            let x = format!("{:.1}", x_position(t, e, width));
            view! {
                <line class="grid" x1=x.clone() x2=x.clone() y1=height y2=height + 4.0></line>
                <text class="tick" x=x y=height + 15.0 text-anchor="middle">{format_x(t)}</text>
            }
        })
        .collect_view();
    view! { {y_ticks} {x_ticks} }
}

/// The data in extent `e`: the solid line, the dashed `second`, a dot at each point where asked
/// (or where a line of one or two readings would be hard to see), and the marker line at `marker_x`.
fn lines(e: Extent, points: &[(f64, f64)], second: Option<&[(f64, f64)]>, dots: bool, marker_x: Option<f64>) -> impl IntoView + use<> {
    let line = polyline(points, e, WIDTH, HEIGHT);
    let other = second.map(|s| view! { <polyline class="second" points=polyline(s, e, WIDTH, HEIGHT)></polyline> });
    let marks = (dots || points.len() <= 2).then(|| {
        line.split(' ').filter_map(|xy| xy.split_once(',')).map(|(x, y)| view! { <circle cx=x.to_string() cy=y.to_string() r="3"></circle> }).collect_view()
    });
    let marker = marker_x.map(|x| {
        let sx = format!("{:.1}", x_position(x, e, WIDTH));
        view! { <line class="marker" x1=sx.clone() x2=sx y1="0" y2=HEIGHT.to_string()></line> }
    });
    view! { <polyline points=line></polyline> {other} {marks} {marker} }
}

/// The x value (in the data's units) under a pointer over a chart's SVG.
fn pointer_x(ev: &PointerEvent, e: Extent) -> Option<f64> {
    let svg: web_sys::Element = wasm_bindgen::JsCast::dyn_into(ev.current_target()?).ok()?;
    let rect = svg.get_bounding_client_rect();
    let in_plot = (f64::from(ev.client_x()) - rect.left()) / rect.width().max(1.0) * (LEFT + WIDTH + RIGHT) - LEFT;
    Some(e.x.0 + in_plot / WIDTH * (e.x.1 - e.x.0))
}

/// The plot area of a scatter chart and its margins, in the SVG's units.
const SCATTER: (f64, f64) = (300.0, 150.0);
const SCATTER_LEFT: f64 = 50.0;
const SCATTER_TOP: f64 = 10.0;
const SCATTER_BOTTOM: f64 = 34.0;
const SCATTER_RIGHT: f64 = 16.0;

/// A titled SVG scatter chart of `dots` (y in %), x from 0, each dot focusable and named.
#[component]
pub fn Scatter(id: String, caption: String, dots: Vec<Dot>, x_name: &'static str, format_x: fn(f64) -> String) -> impl IntoView {
    let extent = Extent::scatter(&dots.iter().map(|d| (d.x, d.y)).collect::<Vec<_>>(), f64::MIN_POSITIVE);
    let (width, height) = SCATTER;
    view! {
        <figure class="chart" id=id>
            <figcaption>{caption.clone()}</figcaption>
            <svg viewBox=format!("0 0 {} {}", SCATTER_LEFT + width + SCATTER_RIGHT, SCATTER_TOP + height + SCATTER_BOTTOM) role="group" aria-label=caption>
                <g transform=format!("translate({SCATTER_LEFT} {SCATTER_TOP})")>
                    <rect class="frame" x="0" y="0" width=width height=height></rect>
                    {axes(extent, SCATTER, ticks(extent.x.0, extent.x.1, 5), format_x, " %")}
                    {dots.into_iter().map(|d| {
                        let (cx, cy) = (x_position(d.x, extent, width), y_position(d.y, extent, height));
                        let (label, title) = (d.label.clone(), d.label);
                        view! {
                            <g class="point" tabindex="0" role="img" aria-label=label>
                                <title>{title}</title>
                                <circle cx=format!("{cx:.1}") cy=format!("{cy:.1}") r="3"></circle>
                                <text x=format!("{:.1}", cx + 4.0) y=format!("{:.1}", cy - 4.0)>{d.mark}</text>
                            </g>
                        }
                    }).collect_view()}
                    <text class="axis-name" x=width / 2.0 y=height + 30.0 text-anchor="middle">{x_name}</text>
                </g>
            </svg>
        </figure>
    }
}

/// A titled SVG line chart of `points` (and a dashed `second` series) with ticked, labelled axes.
/// Pointing at it, or focusing it and pressing ← / →, reads the nearest value out below it.
#[component]
pub fn LineChart(
    title: &'static str,
    id: &'static str,
    points: Signal<Vec<(f64, f64)>>,
    /// What the solid series is, for the read-out ("training loss").
    name: &'static str,
    /// A second series, drawn dashed, in the same axes, and its name.
    #[prop(optional, into)]
    second: Option<Signal<Vec<(f64, f64)>>>,
    #[prop(optional)] second_name: &'static str,
    /// Fixed y range, or `None` to fit the data.
    #[prop(optional)]
    y_range: Option<(f64, f64)>,
    /// The x axis' name, with its unit ("step", "sparsity (%)").
    x_label: &'static str,
    /// Formats an x value for the ticks and the read-out.
    format_x: fn(f64) -> String,
    /// The x values are whole numbers (steps, epochs): no tick between two.
    #[prop(optional)]
    whole_x: bool,
    /// Formats a y value for the read-out.
    format_y: fn(f64) -> String,
    /// The y ticks' unit (" ms", " %"), after as many decimals as their step needs.
    #[prop(optional)]
    y_unit: &'static str,
    /// Draw a dot at each point (for few points).
    #[prop(optional)]
    dots: bool,
    /// A vertical line at this x (a threshold the caption names).
    #[prop(default = None)]
    marker_x: Option<f64>,
) -> impl IntoView {
    let extent = move || points.with(|p| Extent::of(p)).map(|e| Extent { y: y_range.unwrap_or(e.y), ..e });
    let second_points = move || second.map(|s| s.get()).unwrap_or_default();
    // The point read out: (series, index), or none.
    let cursor = RwSignal::new(None::<(usize, usize)>);
    let point = move |(s, i): (usize, usize)| if s == 0 { points.with(|p| p.get(i).copied()) } else { second_points().get(i).copied() };
    let pick = move |ev: PointerEvent| {
        let Some(x) = extent().and_then(|e| pointer_x(&ev, e)) else { return };
        let other = second_points();
        cursor.set(points.with(|p| nearest(&[p, &other], x)));
    };
    let step = move |ev: KeyboardEvent| {
        let len = |s: usize| if s == 0 { points.with(Vec::len) } else { second_points().len() };
        let (s, i) = cursor.get_untracked().unwrap_or((0, 0));
        let last = len(s).saturating_sub(1);
        let Some(next) = key_step(&ev.key(), i, last) else { return };
        ev.prevent_default();
        if len(s) > 0 {
            cursor.set(Some((s, next)));
        }
    };
    let readout = move || match cursor.get().and_then(|at| point(at).map(|p| (at.0, p))) {
        Some((s, (x, y))) => format!("{x_label} {}: {} {}", format_x(x), if s == 0 { name } else { second_name }, format_y(y)),
        None if points.with(Vec::is_empty) => "No data yet.".into(),
        None => "Point at it, or press ← / → on it, to read a value.".into(),
    };
    view! {
        <figure class="chart" id=id>
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {} {}", LEFT + WIDTH + RIGHT, TOP + HEIGHT + BOTTOM) role="img" aria-label=title tabindex="0"
                on:pointermove=pick on:pointerleave=move |_| cursor.set(None) on:keydown=step on:blur=move |_| cursor.set(None)>
                <g transform=format!("translate({LEFT} {TOP})")>
                    <rect class="frame" x="0" y="0" width=WIDTH height=HEIGHT></rect>
                    {move || extent().map(|e| {
                        let xs = if whole_x { whole_ticks(e.x.0, e.x.1, 5) } else { ticks(e.x.0, e.x.1, 5) };
                        let other = second.map(|s| s.get());
                        let at = cursor.get().and_then(point).map(|(x, y)| view! {
                            <circle class="cursor" cx=format!("{:.1}", x_position(x, e, WIDTH)) cy=format!("{:.1}", y_position(y, e, HEIGHT)) r="4.5"></circle>
                        });
                        view! { {axes(e, (WIDTH, HEIGHT), xs, format_x, y_unit)} {points.with(|p| lines(e, p, other.as_deref(), dots, marker_x))} {at} }
                    })}
                    <text class="axis-name" x=WIDTH / 2.0 y=HEIGHT + 30.0 text-anchor="middle">{x_label}</text>
                </g>
            </svg>
            <p class="axis readout" aria-live="polite">{readout}</p>
        </figure>
    }
}

/// Whole numbers, with thousands separated (steps).
pub fn whole(x: f64) -> String {
    crate::ui::view::format::count(x.round().max(0.0) as usize)
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
            points=series(state.losses) name="loss" second=series(state.val_losses) second_name="validation loss"
            x_label="step" whole_x=true format_x=whole format_y=|y| format!("{y:.2}")/>
    }
}

/// Test accuracy after each epoch.
#[component]
pub fn AccuracyChart() -> impl IntoView {
    let state = expect_context::<AppState>();
    let points = Signal::derive(move || state.accuracies.with(|a| a.iter().enumerate().map(|(i, &acc)| ((i + 1) as f64, acc * 100.0)).collect()));
    view! {
        <LineChart title="Test accuracy (10,000 images) by epoch" id="accuracy-chart" points=points name="test accuracy" dots=true
            x_label="epoch" whole_x=true format_x=whole format_y=|y| format!("{y:.1} %") y_unit=" %"/>
    }
}
