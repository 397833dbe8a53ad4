//! The page's main view: dense | pruned (masked) | structured (compact), side by side.

use leptos::prelude::*;

use super::charts::LineChart;
use super::speedups::Speedups;
use super::state::AppState;
use crate::measure::energy::Precision;
use crate::measure::latency::Timing;
use crate::model::kind::ModelKind;
use crate::protocol::report::{Int8Check, ModelReport, Report};
use crate::train::config::PruneMethod;
use crate::ui::view::chart::bar_fractions;
use crate::ui::view::format::{count, ms, percent};
use crate::ui::view::latency_note::latency_note;
use crate::ui::view::pattern_note::pattern_note;
use crate::ui::view::speedups::compared;

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

fn timing(t: Option<Timing>) -> String {
    t.map(|t| format!("{} · p95 {}", ms(Some(t.median_ms)), ms(Some(t.p95_ms)))).unwrap_or_else(|| "–".into())
}

type Row = (&'static str, fn(&ModelReport) -> String);

/// A float32 format's size; an int8 column is not stored that way.
fn float_kb(m: &ModelReport, bytes: usize) -> String {
    if m.precision == Precision::Fp32 { kb(bytes) } else { "–".into() }
}

const ROWS: &[Row] = &[
    ("Hidden units", |m| count(m.hidden_units)),
    ("Weights (kernels + biases)", |m| count(m.weights_total)),
    ("Non-zero weights", |m| count(m.weights_nonzero)),
    ("Kernel sparsity", |m| percent(Some(m.sparsity))),
    ("Kernel weights with |w| < 0.001", |m| percent(Some(m.near_zero_share))),
    ("Size as float32", |m| float_kb(m, m.bytes.bytes_f32)),
    ("Size as CSR (u16 indices)", |m| float_kb(m, m.bytes.bytes_sparse)),
    ("float32, gzipped", |m| float_kb(m, m.bytes.bytes_gzip)),
    ("CSR, gzipped", |m| float_kb(m, m.bytes.bytes_sparse_gzip)),
    ("Size as int8 (codes, scales, biases)", |m| m.bytes_int8.map_or("–".into(), kb)),
    ("int8, gzipped", |m| m.bytes_int8_gzip.map_or("–".into(), kb)),
    ("Test accuracy (10,000 images)", |m| percent(m.test_accuracy)),
    ("Useful MACs per image", |m| count(m.macs)),
    ("MACs a dense kernel runs", |m| count(m.macs_dense_kernel)),
    ("WebGPU latency, batch 1", |m| timing(m.latency.webgpu.map(|t| t.b1))),
    ("WebGPU latency, batch 1024", |m| timing(m.latency.webgpu.map(|t| t.b1024))),
    ("CPU latency, batch 1", |m| timing(m.latency.cpu.map(|t| t.b1))),
    ("CPU latency, batch 1024", |m| timing(m.latency.cpu.map(|t| t.b1024))),
];

fn columns(r: &Report) -> Vec<(&'static str, ModelReport)> {
    std::iter::once((ModelKind::Dense.label(), &r.dense)).chain(compared(r)).filter_map(|(name, m)| m.clone().map(|m| (name, m))).collect()
}

/// What the int8 checks found, in words.
fn quant_note(r: &Report) -> Option<String> {
    let q = r.quant.as_ref()?;
    let check = |name: &str, c: &Int8Check| {
        let gpu = c.webgpu.as_ref().map(|g| {
            format!(
                " On WebGPU ({}) its logits on all {} test images are {} the CPU engine's{}.",
                g.dot_product,
                count(g.agreement.images),
                if g.identical { "bit-identical to" } else { "NOT identical to" },
                if g.identical {
                    String::new()
                } else {
                    format!(" (largest difference {:.1e}, {} images of another class)", g.agreement.max_error, g.agreement.argmax_mismatches)
                }
            )
        });
        format!(
            "{name} ({}) predicts the float model's class on {} of the test images; its logits are {} the plain integer reference's on the first {} images.{}",
            c.layout,
            percent(Some(c.argmax_agreement)),
            if c.matches_reference { "bit-identical to" } else { "NOT identical to" },
            count(c.reference_images),
            gpu.unwrap_or_default()
        )
    };
    let parts: Vec<String> =
        [("Dense, int8", &q.dense), ("Pruned + int8", &q.pruned)].into_iter().filter_map(|(n, c)| c.as_ref().map(|c| check(n, c))).collect();
    let error = q.error.as_ref().map(|e| format!(" Quantization stopped: {e}.")).unwrap_or_default();
    let engines = if [&q.dense, &q.pruned].iter().any(|c| c.as_ref().is_some_and(|c| c.webgpu.is_some())) {
        "They run on the CPU (WebAssembly SIMD) and on WebGPU."
    } else {
        "They run on the CPU (WebAssembly SIMD); a WebGPU run times them on the GPU too."
    };
    Some(format!("int8 columns: {}. {} {engines}{error}", q.scheme, parts.join(" ")))
}

/// What distillation bought, in words: the three students of one shape, side by side.
fn distill_note(r: &Report) -> Option<String> {
    let d = r.distill.as_ref()?;
    let acc = |m: &Option<ModelReport>| m.as_ref().and_then(|m| m.test_accuracy);
    let distilled = acc(&r.distilled)?;
    let versus = |other: Option<f64>, what: &str| {
        other.map(|o| {
            let pt = (distilled - o) * 100.0;
            let word = if pt.abs() < 0.05 { "the same as".to_string() } else { format!("{:+.2} pt against", pt) };
            format!("{word} {what} ({})", percent(Some(o)))
        })
    };
    let parts: Vec<String> = [versus(acc(&r.structured), "the same student fine-tuned without a teacher"), versus(acc(&r.scratch), "one trained from scratch")]
        .into_iter()
        .flatten()
        .collect();
    Some(format!(
        "Distillation (T = {}, α = {}): the {}-unit student, {} steps with the dense teacher ({}) reaches {} on the 10,000 test images: {}. All three students train for the same steps; only their start and teacher differ.",
        d.temperature,
        d.alpha,
        d.student_hidden,
        count(d.steps),
        percent(d.teacher_accuracy),
        percent(Some(distilled)),
        parts.join("; ")
    ))
}

/// Horizontal bars, one per (label, value, text).
#[component]
fn Bars(title: &'static str, rows: Vec<(String, f64, String)>) -> impl IntoView {
    let fractions = bar_fractions(&rows.iter().map(|r| r.1).collect::<Vec<_>>());
    view! {
        <figure class="bars">
            <figcaption>{title}</figcaption>
            {rows.into_iter().zip(fractions).map(|((label, _, text), f)| view! {
                <div class="bar-row">
                    <span class="bar-label">{label}</span>
                    <span class="bar-track"><span class="bar" style=format!("width: {:.1}%", f * 100.0)></span></span>
                    <span class="bar-value">{text}</span>
                </div>
            }).collect_view()}
        </figure>
    }
}

#[component]
pub fn Comparison() -> impl IntoView {
    let state = expect_context::<AppState>();
    let curve = Signal::derive(move || {
        state
            .report
            .with(|r| r.prune.as_ref().map(|p| p.sparsity_curve.iter().map(|s| (s.step as f64, f64::from(s.target) * 100.0)).collect()).unwrap_or_default())
    });
    let measured = Signal::derive(move || {
        state.report.with(|r| r.prune.as_ref().map(|p| p.sparsity_curve.iter().map(|s| (s.step as f64, s.measured * 100.0)).collect()).unwrap_or_default())
    });
    let schedule = Memo::new(move |_| state.report.with(|r| r.prune.as_ref().and_then(|p| p.schedule_summary.map(|s| (p.config.clone(), s)))));
    // The table is rebuilt only when its own figures change, not on every report.
    let figures = Memo::new(move |_| {
        state.report.with(|r| {
            let cols = columns(r);
            // The dense model's WebGPU figures, or the first model's that has them (the sparse
            // one, where burn's tensors stay on the CPU).
            let latency = r.timer.map(|t| latency_note(t, cols.iter().find_map(|(_, m)| m.latency.webgpu)));
            let pattern = r.prune.as_ref().and_then(|p| pattern_note(&p.config));
            (cols, quant_note(r), distill_note(r), latency, pattern)
        })
    });
    view! {
        {move || {
            let (cols, quant, distill, latency, pattern) = figures.get();
            (cols.len() > 1).then(|| {
                let header = cols.iter().map(|(name, _)| view! { <th scope="col">{*name}</th> }).collect_view();
                let rows = ROWS.iter().map(|(label, f)| {
                    let cells = cols.iter().map(|(_, m)| view! { <td>{f(m)}</td> }).collect_view();
                    view! { <tr><th scope="row">{*label}</th>{cells}</tr> }
                }).collect_view();
                let latency_rows: Vec<(String, f64, String)> = cols.iter().flat_map(|(name, m)| {
                    [("WebGPU", m.latency.webgpu), ("CPU", m.latency.cpu)].into_iter().filter_map(move |(b, t)| t.map(|t| (format!("{name}, {b}, batch 1"), t.b1.median_ms, ms(Some(t.b1.median_ms)))))
                }).collect();
                let byte_rows: Vec<(String, f64, String)> = cols.iter().flat_map(|(name, m)| {
                    let formats = match m.bytes_int8 {
                        Some(int8) => vec![("int8", int8)],
                        None => vec![("float32", m.bytes.bytes_f32), ("CSR", m.bytes.bytes_sparse), ("float32 gzip", m.bytes.bytes_gzip)],
                    };
                    formats.into_iter().map(move |(what, b)| (format!("{name}, {what}"), b as f64, kb(b)))
                }).collect();
                view! {
                    <section class="comparison" id="compare" aria-label="Dense versus pruned">
                        <h2>"Dense vs pruned, side by side"</h2>
                        <div class="table-scroll" tabindex="0" role="region" aria-label="Dense vs pruned table (scrolls sideways on narrow screens)">
                            <table id="comparison"><thead><tr><th></th>{header}</tr></thead><tbody>{rows}</tbody></table>
                        </div>
                        {pattern.map(|p| view! { <p class="note" id="pattern-note">{p}</p> })}
                        <p class="note" id="latency-note">{latency}</p>
                        {quant.map(|q| view! { <p class="note" id="quant-note">{q}</p> })}
                        {distill.map(|d| view! { <p class="note" id="distill-note">{d}</p> })}
                        <Speedups/>
                        <p class="note">"Why is the masked model no faster? Its zeros are still multiplied: a dense matrix kernel runs every MAC whatever the value. Only a smaller dense model (structured pruning) or a sparse kernel (the \"sparse kernel\" column: the same pruned weights, only the non-zeros stored and multiplied) skips work."</p>
                        <div class="charts">
                            <Bars title="Latency, batch 1 (median)" rows=latency_rows/>
                            <Bars title="Bytes to store the weights" rows=byte_rows/>
                        </div>
                    </section>
                }
            })
        }}
        {move || schedule.get().map(|(config, s)| {
            let method = if config.prune == PruneMethod::Poly { "PolynomialDecay" } else { "ConstantSparsity" };
            let text = format!(
                "{method} (target {}, begin_step {}, end_step {}, every {} steps) over {} steps of batch {}: {} mask updates, the first at step {}, the last at step {}, so training ends at {} sparsity{}.",
                percent(Some(f64::from(config.final_sparsity))), config.begin_step, config.end_step, config.frequency, count(s.total_steps), config.prune_batch,
                s.updates, s.first_update.map(|v| v.to_string()).unwrap_or("–".into()), s.last_update.map(|v| v.to_string()).unwrap_or("–".into()),
                percent(Some(f64::from(s.reached))),
                if s.reached + 1e-6 < config.final_sparsity { " — short of the target, because end_step lies beyond the last step" } else { "" });
            view! {
                <section class="schedule" aria-label="Pruning schedule">
                    <h2>"Sparsity over training steps"</h2>
                    <p id="schedule-summary">{text}</p>
                    <LineChart title="Kernel sparsity (%): schedule target and measured" id="sparsity-chart" points=curve name="target" second=measured second_name="measured"
                        y_range=(0.0, 100.0) x_label="step" whole_x=true format_x=super::charts::whole format_y=|y| format!("{y:.0} %") y_unit=" %"/>
                </section>
            }
        })}
    }
}
