//! Draw a digit; every trained model predicts it, side by side.

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData, PointerEvent};

use super::state::AppState;
use crate::data::digit::{Raster, to_mnist};
use crate::protocol::messages::{Command, Prediction};
use crate::protocol::report::RunState;
use crate::ui::view::format::ms;

const SIZE: u32 = 280;
/// Wait this long after the last stroke before predicting, so fast drawing does not queue
/// a GPU round trip per stroke.
const SETTLE_MS: u32 = 250;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// Canvas coordinates of a pointer event (the canvas may be shown smaller than 280 px).
fn point(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let scale = f64::from(SIZE) / rect.width().max(1.0);
    ((f64::from(ev.client_x()) - rect.left()) * scale, (f64::from(ev.client_y()) - rect.top()) * scale)
}

/// The ink (alpha channel) of the drawing, 0..1.
fn ink(canvas: &HtmlCanvasElement) -> Option<Vec<f32>> {
    let data = context(canvas)?.get_image_data(0.0, 0.0, f64::from(SIZE), f64::from(SIZE)).ok()?.data();
    Some(data.chunks_exact(4).map(|px| f32::from(px[3]) / 255.0).collect())
}

fn show_preview(canvas: &HtmlCanvasElement, image: &[f32]) {
    let rgba: Vec<u8> = image
        .iter()
        .flat_map(|&v| {
            let g = 255 - (v * 255.0) as u8;
            [g, g, g, 255]
        })
        .collect();
    if let (Some(ctx), Ok(data)) = (context(canvas), ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba[..]), 28, 28)) {
        let _ = ctx.put_image_data(&data, 0.0, 0.0);
    }
}

/// Sends the drawing to the models, shown as they will see it; the message to show when there
/// are no models yet.
fn read_drawing(canvas: &HtmlCanvasElement, preview: Option<&HtmlCanvasElement>, state: &AppState) -> Option<String> {
    let pixels = ink(canvas)?;
    let input = to_mnist(&Raster { width: SIZE as usize, height: SIZE as usize, pixels: &pixels })?;
    if let Some(p) = preview {
        show_preview(p, &input);
    }
    if state.models.with_untracked(Vec::is_empty) {
        return Some("Train the models first; then they will read your digit.".into());
    }
    state.send(Command::Infer(input));
    None
}

/// Starts a stroke at the pointer (a dot, should it go no further), capturing the pointer.
fn begin_stroke(canvas: &HtmlCanvasElement, ev: &PointerEvent) {
    let _ = canvas.set_pointer_capture(ev.pointer_id());
    if let Some(ctx) = context(canvas) {
        let (x, y) = point(canvas, ev);
        ctx.set_line_width(18.0);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        ctx.begin_path();
        ctx.move_to(x, y);
        ctx.line_to(x + 0.1, y);
        ctx.stroke();
    }
}

fn continue_stroke(canvas: &HtmlCanvasElement, ev: &PointerEvent) {
    if let Some(ctx) = context(canvas) {
        let (x, y) = point(canvas, ev);
        ctx.line_to(x, y);
        ctx.stroke();
    }
}

/// One model's reading of the digit: its top class and every class' probability.
#[component]
fn ModelAnswer(answer: Prediction) -> impl IntoView {
    view! {
        <div class="prediction" data-model=answer.model.clone() data-top=answer.top.to_string()>
            <div class="prediction-head"><span>{answer.model.clone()}</span><strong class="top">{answer.top}</strong></div>
            {answer.probabilities.iter().enumerate().map(|(digit, &prob)| view! {
                <div class="bar-row prob"><span>{digit}</span>
                    <span class="bar-track"><span class="bar" style=format!("width: {:.1}%", prob * 100.0)></span></span>
                    <span>{format!("{:.0} %", prob * 100.0)}</span></div>
            }).collect_view()}
            <p class="note">"This inference: " {ms(Some(answer.latency_ms))}</p>
        </div>
    }
}

#[component]
pub fn DrawDigit() -> impl IntoView {
    let state = expect_context::<AppState>();
    let canvas = NodeRef::<Canvas>::new();
    let preview = NodeRef::<Canvas>::new();
    let drawing = StoredValue::new(false);
    let generation = StoredValue::new(0u32);
    // The engine's answers, or why there are none.
    let predictions = Memo::new(move |_| state.predictions.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).cloned().unwrap_or_default()));
    let failed = move || state.predictions.with(|p| p.as_ref().and_then(|p| p.as_ref().err()).map(|e| format!("Prediction failed: {e}")));
    let message = RwSignal::new(None::<String>);

    let predict = move || {
        if let Some(c) = canvas.get() {
            message.set(read_drawing(&c, preview.get().as_ref(), &state));
        }
    };
    let settle = move || {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(SETTLE_MS).await;
            if generation.get_value() == mine {
                predict();
            }
        });
    };
    let down = move |ev: PointerEvent| {
        if let Some(c) = canvas.get() {
            ev.prevent_default();
            drawing.set_value(true);
            begin_stroke(&c, &ev);
        }
    };
    let moved = move |ev: PointerEvent| {
        if let Some(c) = canvas.get().filter(|_| drawing.get_value()) {
            continue_stroke(&c, &ev);
        }
    };
    let up = move |_: PointerEvent| {
        if drawing.get_value() {
            drawing.set_value(false);
            settle();
        }
    };
    let clear = move |_| {
        for c in [canvas.get(), preview.get()].into_iter().flatten() {
            if let Some(ctx) = context(&c) {
                ctx.clear_rect(0.0, 0.0, f64::from(c.width()), f64::from(c.height()));
            }
        }
        state.predictions.set(None);
    };
    // New models: read the drawing again with them.
    Effect::new(move |_| {
        if state.report.with(|r| r.state) == RunState::Done {
            predict();
        }
    });

    view! {
        <section class="draw" id="draw" aria-label="Draw a digit">
            <h2>"Draw a digit"</h2>
            <div class="draw-row">
                <div>
                    <canvas node_ref=canvas id="draw-canvas" width=SIZE height=SIZE aria-label="Drawing area: draw a digit with the mouse, a pen or a finger"
                        on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointercancel=up></canvas>
                    <div class="buttons"><button id="clear-drawing" on:click=clear>"Clear"</button></div>
                </div>
                <div class="preview">
                    <canvas node_ref=preview id="draw-preview" width="28" height="28" aria-label="What the network sees: 28 × 28"></canvas>
                    <p class="note">"What the network sees: the drawing fitted into 20 × 20 and centred by its centre of mass in 28 × 28, as MNIST was made."</p>
                </div>
            </div>
            <p class="note" role="status">{move || message.get().or_else(failed)}</p>
            <div class="predictions">{move || predictions.get().into_iter().map(|p| view! { <ModelAnswer answer=p /> }).collect_view()}</div>
        </section>
    }
}
