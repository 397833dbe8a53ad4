//! The pruned model on its pattern's own kernel (block-CSR or N:M), beside the CSR kernel that
//! runs any pattern: checked against the masked dense model on every test image, then timed under
//! the same protocol, on each backend the run has.

use super::Picked;
use crate::data::Mnist;
use crate::engine::compare::{self, TrainedModel};
use crate::kernels::gpu::GpuForward;
use crate::kernels::pattern::gpu::pattern_gpu;
use crate::kernels::pattern::{PatternMlp, PatternRunner, csr_bytes};
use crate::kernels::sparse::{SparseMlp, agreement};
use crate::measure::latency::{Clock, Protocol};
use crate::model::CLASSES;
use crate::protocol::report::PatternKernelReport;
use crate::prune::pattern::Pattern;
use crate::train::config::PruneConfig;

/// The pattern kernel's report, or nothing for the unstructured pattern. A failure is reported
/// in it and leaves the rest of the run standing.
pub(super) async fn pattern_column(
    pruned: &TrainedModel,
    prune: &PruneConfig,
    data: &Mnist,
    picked: &Picked,
    protocol: Protocol,
    clock: &impl Clock,
) -> Option<PatternKernelReport> {
    if prune.pattern == Pattern::Unstructured {
        return None;
    }
    let mut report = PatternKernelReport::default();
    if let Ok(csr) = SparseMlp::new(&pruned.weights) {
        (report.csr_bytes, report.csr_bytes_int8) = csr_bytes(&csr);
    }
    let model = match PatternMlp::new(&pruned.weights, prune.pattern, prune.block, prune.m_by_n) {
        Ok(model) => model,
        Err(e) => {
            report.error = Some(e.to_string());
            return Some(report);
        }
    };
    report.layout = model.layout().into();
    (report.bytes, report.bytes_int8) = model.bytes();
    let mut runner = PatternRunner::new(model);
    let cpu: Result<(), String> = async {
        report.agreement_cpu = Some(compare::cpu_agreement(&pruned.weights, &mut runner, &data.test).await?);
        report.latency.cpu = Some(compare::host_timings(&mut runner, data, protocol, clock).await?);
        Ok(())
    }
    .await;
    let gpu = gpu_column(&runner.model, pruned, data, picked, protocol, clock, &mut report).await;
    report.error = [cpu.err().map(|e| format!("CPU: {e}")), gpu.err().map(|e| format!("WebGPU: {e}"))].into_iter().flatten().reduce(|a, b| format!("{a}; {b}"));
    Some(report)
}

/// The pattern kernel on WebGPU, when the run has it.
async fn gpu_column(
    model: &PatternMlp,
    pruned: &TrainedModel,
    data: &Mnist,
    picked: &Picked,
    protocol: Protocol,
    clock: &impl Clock,
    report: &mut PatternKernelReport,
) -> Result<(), String> {
    let Some(gpu) = &picked.gpu else {
        return Ok(());
    };
    let engine = pattern_gpu(gpu, model).await?;
    let dense = compare::dense_logits(&pruned.weights, &data.test, &picked.device).await?;
    let logits = engine.logits(&data.test, 1000).await?;
    report.agreement_webgpu = Some(agreement::compare(&logits, &dense, CLASSES));
    report.latency.webgpu = Some(engine.timings(&data.test, protocol, clock).await?);
    Ok(())
}
