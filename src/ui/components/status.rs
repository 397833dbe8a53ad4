use leptos::prelude::*;

use super::state::AppState;
use crate::measure::latency::Backend;
use crate::protocol::report::{ErrorKind, RunState};
use crate::web::download;

/// Title, and which backend and adapter are in use.
#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let backend = move || {
        state.report.with(|r| match r.backend {
            Some(b) => format!("{} · {}", b.label(), r.adapter.clone().unwrap_or_default()),
            None => "backend chosen when training starts".into(),
        })
    };
    view! {
        <header>
            <h1>"PruneLab"</h1>
            <p class="tagline">"Does pruning make a neural network faster? Train one on your own GPU, in this page, prune it, and see what it saved on your device."</p>
            <p class="backend" id="backend" class:gpu=move || state.report.with(|r| r.backend == Some(Backend::Webgpu))>{backend}</p>
        </header>
    }
}

/// The CPU-fallback reason, URL-parameter notices, and errors with a way on.
#[component]
pub fn Banners() -> impl IntoView {
    let state = expect_context::<AppState>();
    let fallback = move || state.report.with(|r| r.fallback_reason.clone());
    let burn_on_cpu = move || state.report.with(|r| r.burn_on_cpu.clone());
    let notices = move || state.report.with(|r| r.notices.clone());
    let error = move || state.report.with(|r| r.error.clone());
    view! {
        {move || fallback().map(|reason| view! {
            <div class="banner warn" role="status" id="fallback">
                <strong>"Running on the CPU, not WebGPU: "</strong>{reason}
                ". Training works, only slower; a browser with WebGPU (recent Chrome or Edge, Safari 26, Firefox 141+ on Windows) uses your GPU."
            </div>
        })}
        {move || burn_on_cpu().map(|reason| view! {
            <div class="banner info" role="status" id="burn-on-cpu">
                <strong>"On WebGPU, partly on the CPU: "</strong>{reason}"."
            </div>
        })}
        {move || (!notices().is_empty()).then(|| view! {
            <div class="banner info" role="status" id="notices">
                <strong>"Some settings in the URL were adjusted:"</strong>
                <ul>{notices().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            </div>
        })}
        {move || error().map(|e| {
            let what = match e.kind {
                ErrorKind::Data => "The MNIST data could not be loaded",
                ErrorKind::Device => "Training failed",
                ErrorKind::Engine => "The engine stopped",
            };
            view! {
                <div class="banner error" role="alert" id="error">
                    <strong>{what}": "</strong>{e.message}
                    <button on:click=move |_| state.start()>"Retry"</button>
                </div>
            }
        })}
        {move || (state.report.with(|r| r.state) == RunState::Cancelled).then(|| view! {
            <div class="banner info" role="status">"Training was cancelled; what it learned so far is kept below. Press Train to start again."</div>
        })}
    }
}

/// Download and training progress.
#[component]
pub fn ProgressPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let total = download::expected_bytes();
    view! {
        {move || state.downloaded.get().map(|bytes| {
            let fraction = (bytes as f64 / total as f64).min(1.0);
            view! {
                <div class="progress" id="download-progress">
                    <label>"Downloading MNIST: " {format!("{:.1} of {:.1} MB", bytes as f64 / 1e6, total as f64 / 1e6)}
                        <progress max="1" value=fraction></progress>
                    </label>
                </div>
            }
        })}
        {move || state.progress.get().map(|p| {
            let fraction = p.step as f64 / p.total_steps.max(1) as f64;
            view! {
                <div class="progress" id="train-progress">
                    <label>
                        {move || { let phase = state.phase.get(); (!phase.is_empty()).then(|| format!("{phase}: ")) }}
                        {format!("Epoch {} of {} · step {} of {} · {:.0} samples/s · {:.1} s", p.epoch, p.epochs, p.step, p.total_steps, p.samples_per_s, p.elapsed_ms / 1000.0)}
                        <progress max="1" value=fraction></progress>
                    </label>
                </div>
            }
        })}
    }
}
