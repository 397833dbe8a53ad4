//! "See the pruning": the first layer's 128 units as 28 × 28 tiles of their incoming weights,
//! live while the run trains and prunes, and the histogram of weight magnitudes with the
//! mask's threshold.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData, PointerEvent};

use super::state::AppState;
use crate::prune::tiles::{PRUNED, Snapshot, diverging};
use crate::ui::view::histogram::Histogram;

const BINS: usize = 48;
const HIST_W: f64 = 480.0;
const HIST_H: f64 = 120.0;

/// Tile rows painted per animation frame: a picture of 128 units is 8 rows, so 4 frames, each
/// a quarter of the work (the colour scale is the first frame's).
const ROWS_PER_FRAME: usize = 2;

/// What the tiles' canvas is to show, painted a band of rows per frame.
#[derive(Default)]
struct Painter {
    /// The newest picture, not started yet. Only the newest waits: a hidden tab runs no frames,
    /// and the pictures that come meanwhile must neither pile up nor be painted all at once when
    /// the tab is shown again.
    next: Option<Arc<Snapshot>>,
    /// The picture being painted, its colour scale, and its first tile row still to paint.
    current: Option<(Arc<Snapshot>, f32, usize)>,
    /// A frame is asked for.
    scheduled: bool,
}

/// Paints the painter's pictures in the coming frames, a band of tile rows in each: a picture
/// (100 k weights) painted whole in one task would hold the page's thread for longer than a frame.
fn paint_later(canvas: web_sys::HtmlCanvasElement, painter: Rc<RefCell<Painter>>) {
    if std::mem::replace(&mut painter.borrow_mut().scheduled, true) {
        return;
    }
    request_animation_frame(move || {
        let more = {
            let mut p = painter.borrow_mut();
            p.scheduled = false;
            if let Some(snapshot) = p.next.take() {
                let (width, height) = snapshot.layer.grid_size();
                // Resizing clears the canvas: only when the grid's size changes.
                if (canvas.width(), canvas.height()) != (width as u32, height as u32) {
                    canvas.set_width(width as u32);
                    canvas.set_height(height as u32);
                }
                let scale = snapshot.layer.colour_scale();
                p.current = Some((snapshot, scale, 0));
            }
            match p.current.take() {
                Some((snapshot, scale, row)) => {
                    let end = row + ROWS_PER_FRAME;
                    paint_band(&canvas, &snapshot, scale, row..end);
                    let more = end < snapshot.layer.tile_rows();
                    if more {
                        p.current = Some((snapshot, scale, end));
                    } else {
                        // Whole now: what tests (and anyone reading the pixels) wait for.
                        let _ = canvas.set_attribute("data-painted", &format!("{} {}", snapshot.model.key(), snapshot.note));
                    }
                    more || p.next.is_some()
                }
                None => false,
            }
        };
        if more {
            paint_later(canvas, painter);
        }
    });
}

fn paint_band(canvas: &web_sys::HtmlCanvasElement, snapshot: &Snapshot, scale: f32, rows: std::ops::Range<usize>) {
    let (top, image) = snapshot.layer.render_band(scale, rows);
    if image.height == 0 {
        return;
    }
    let context = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
    if let (Some(context), Ok(data)) = (context, ImageData::new_with_u8_clamped_array_and_sh(Clamped(&image.rgba[..]), image.width as u32, image.height as u32))
    {
        let _ = context.put_image_data(&data, 0.0, top as f64);
    }
}

/// The colour bar: the diverging map from −scale to +scale, as CSS.
fn legend_gradient() -> String {
    let stops: Vec<String> = (0..=8)
        .map(|i| {
            let [r, g, b] = diverging(i as f32 / 4.0 - 1.0);
            format!("rgb({r},{g},{b}) {}%", i * 100 / 8)
        })
        .collect();
    format!("background: linear-gradient(to right, {})", stops.join(", "))
}

#[component]
fn MagnitudeHistogram(snapshot: Arc<Snapshot>) -> impl IntoView {
    let h = Histogram::of(&snapshot.layer, BINS);
    // Each series is one path of bars (two elements, not a hundred): the histogram is redrawn
    // with every picture, twice a second while a model trains.
    let width = HIST_W / BINS as f64;
    let bars = |base: &dyn Fn(usize) -> usize, count: &[usize]| {
        let mut d = String::new();
        for (i, &n) in count.iter().enumerate().filter(|(_, n)| **n > 0) {
            let (y0, y1) = (h.log_height(base(i)) * HIST_H, h.log_height(base(i) + n) * HIST_H);
            d += &format!("M{:.1} {:.1}h{:.1}v{:.1}h{:.1}z", i as f64 * width, HIST_H - y1, width - 1.0, y1 - y0, 1.0 - width);
        }
        d
    };
    let kept = bars(&|_| 0, &h.kept);
    let cut = bars(&|i| h.kept[i], &h.pruned);
    let line = h.threshold_fraction().map(|f| {
        let x = format!("{:.1}", f64::from(f) * HIST_W);
        view! { <line class="threshold" x1=x.clone() x2=x y1="0" y2=HIST_H.to_string()></line> }
    });
    let removed = snapshot.layer.removed_count();
    let summary = match (h.threshold, h.zeros) {
        _ if removed > 0 => format!("{removed} units removed whole, by the norm of their weights, not weight by weight: no threshold."),
        (Some(t), 0) => format!("Threshold |w| = {t:.4}: the mask cuts every weight below it."),
        (Some(t), z) => format!(
            "Threshold |w| = {t:.4} when the mask was made; training has moved the kept weights since. {} pruned weights sit at exactly zero and are not drawn.",
            crate::ui::view::format::count(z)
        ),
        (None, _) => "No mask yet: every weight is kept.".to_string(),
    };
    view! {
        <figure class="chart histogram" id="magnitude-histogram" data-threshold=h.threshold.map(|t| t.to_string()).unwrap_or_default()>
            <figcaption>"First-layer weights by magnitude |w|, 0 to " {format!("{:.3}", h.max)} " (counts on a log scale)"</figcaption>
            <svg viewBox=format!("0 0 {HIST_W} {HIST_H}") preserveAspectRatio="none" role="img"
                aria-label=format!("Histogram of first-layer weight magnitudes. {summary}")>
                <rect class="frame" x="0" y="0" width=HIST_W.to_string() height=HIST_H.to_string()></rect>
                <path class="kept" d=kept></path>
                <path class="cut" d=cut></path>
                {line}
            </svg>
            <p class="note"><span class="swatch kept"></span>" kept  " <span class="swatch cut"></span>" cut"</p>
            <p class="note" id="histogram-summary">{summary}</p>
        </figure>
    }
}

/// What the tile under the pointer is: its unit, and how much of it pruning took.
fn unit_under(canvas: &HtmlCanvasElement, snapshot: &Snapshot, ev: &PointerEvent) -> Option<String> {
    let rect = canvas.get_bounding_client_rect();
    let x = (f64::from(ev.client_x()) - rect.left()) / rect.width().max(1.0) * f64::from(canvas.width());
    let y = (f64::from(ev.client_y()) - rect.top()) / rect.height().max(1.0) * f64::from(canvas.height());
    let layer = &snapshot.layer;
    layer.unit_at(x.max(0.0) as usize, y.max(0.0) as usize).map(|unit| {
        if layer.is_removed(unit) {
            format!("Unit {unit}: removed by structured pruning")
        } else {
            format!("Unit {unit}: {} of 784 incoming weights pruned", layer.pruned_in_unit(unit))
        }
    })
}

/// Which model's first layer to show: one choice per model that has a picture.
#[component]
fn PictureChoice(
    /// The picture shown now.
    shown: Memo<Option<Arc<Snapshot>>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let pictures = state.pictures.get();
        if pictures.is_empty() {
            return view! { <p class="note" id="weights-empty">"The weights appear here once training starts."</p> }.into_any();
        }
        let current = shown.get().map(|s| s.model);
        view! {
            <fieldset class="picture-choice">
                <legend>"Show the first layer of"</legend>
                {pictures.iter().map(|p| {
                    let model = p.model;
                    view! {
                        <label>
                            <input type="radio" name="picture" value=model.key() prop:checked=current == Some(model)
                                on:change=move |_| state.shown_picture.set(model)/>
                            {model.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        }
        .into_any()
    }
}

#[component]
pub fn WeightPictures() -> impl IntoView {
    let state = expect_context::<AppState>();
    let canvas = NodeRef::<Canvas>::new();
    let hovered = RwSignal::new(None::<String>);
    let shown = Memo::new(move |_| {
        let model = state.shown_picture.get();
        state.pictures.with(|p| p.iter().find(|s| s.model == model).or(p.last()).cloned())
    });
    let painter = Rc::new(RefCell::new(Painter::default()));
    Effect::new(move |_| {
        if let (Some(snapshot), Some(canvas)) = (shown.get(), canvas.get()) {
            painter.borrow_mut().next = Some(snapshot);
            paint_later(canvas, painter.clone());
        }
    });
    let hover = move |ev: PointerEvent| {
        if let (Some(c), Some(snapshot)) = (canvas.get(), shown.get_untracked()) {
            hovered.set(unit_under(&c, &snapshot, &ev));
        }
    };

    view! {
        <section class="weights" id="pruning" aria-label="The first layer's weights">
            <h2>"See the pruning"</h2>
            <p class="note">
                "Each tile is one hidden unit's 784 incoming weights, laid out as the 28 × 28 image they look at: red where ink excites the unit, blue where it inhibits it. "
                "It updates as the model trains and as gradual pruning removes weights."
            </p>
            <PictureChoice shown=shown />
            <div class="tiles-wrap" class:hidden=move || shown.with(Option::is_none)>
                <canvas node_ref=canvas id="weight-tiles" on:pointermove=hover on:pointerleave=move |_| hovered.set(None)
                    data-model=move || shown.with(|s| s.as_ref().map(|s| s.model.key()).unwrap_or_default())
                    data-note=move || shown.with(|s| s.as_ref().map(|s| s.note.clone()).unwrap_or_default())
                    data-units=move || shown.with(|s| s.as_ref().map(|s| s.layer.units.to_string()).unwrap_or_default())
                    data-pruned=move || shown.with(|s| s.as_ref().map(|s| s.layer.pruned_count().to_string()).unwrap_or_default())
                    data-removed=move || shown.with(|s| s.as_ref().map(|s| s.layer.removed_count().to_string()).unwrap_or_default())
                    role="img"
                    aria-label=move || shown.with(|s| s.as_ref().map(|s| {
                        format!("{} first layer ({}): {} units, {} weights pruned, {} units removed",
                            s.model.label(), s.note, s.layer.units, s.layer.pruned_count(), s.layer.removed_count())
                    }).unwrap_or_default())></canvas>
                <p class="note" role="status">
                    {move || shown.with(|s| s.as_ref().map(|s| format!("{}, {}. ", s.model.label(), s.note)))}
                    {move || hovered.get().unwrap_or_else(|| "Point at a tile to see its unit.".into())}
                </p>
                <p class="note legend">
                    <span class="colour-bar" style=legend_gradient()></span>" −|w| … 0 … +|w| "
                    <span class="swatch" style=format!("background: rgb({},{},{})", PRUNED[0], PRUNED[1], PRUNED[2])></span>" pruned weight "
                    <span class="swatch removed"></span>" removed unit (grey)"
                </p>
            </div>
            {move || shown.get().map(|snapshot| view! { <MagnitudeHistogram snapshot=snapshot/> })}
        </section>
    }
}
