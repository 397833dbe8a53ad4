//! The pattern study (`?patterns=1`): the run's dense model pruned one-shot under each sparsity
//! pattern to the same sparsities, each fine-tuned for the same epochs, each timed on the kernel
//! that pays for its pattern (CSR, block-CSR, N:M, or a smaller dense model): accuracy against
//! measured latency, the frontier a practitioner choosing a pattern needs.

use burn::tensor::Device;

use super::host::HostClock;
use super::{Engine, Host, Picked};
use crate::data::Mnist;
use crate::engine::compare::{self, TrainedModel};
use crate::kernels::gpu::GpuForward;
use crate::kernels::pattern::gpu::pattern_gpu;
use crate::kernels::pattern::{PatternMlp, PatternRunner, csr_bytes};
use crate::kernels::sparse::gpu::SparseGpu;
use crate::kernels::sparse::{SparseMlp, SparseRunner};
use crate::measure::latency::{Clock, LatencyReport, Protocol};
use crate::protocol::report::{PatternStudyReport, StudyPoint};
use crate::protocol::settings::Settings;
use crate::prune::pattern::{BlockSize, MByN, Pattern};
use crate::train::config::{PruneConfig, PruneMethod, Ranking};
use crate::train::fused::{Layout, Trainer};
use crate::train::{Finish, Observer};

/// The sparsities every pattern is pruned to (2:4 sets its own 50 %).
pub const STUDY_SPARSITIES: [f32; 3] = [0.5, 0.75, 0.9];

/// One model of the study: the pattern's name, the target sparsity and the knobs that make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub pattern: &'static str,
    pub target: f32,
    pub config: PruneConfig,
}

/// Unstructured, 1 × 4 and 4 × 1 blocks and whole units at each sparsity, then 2:4: one-shot from
/// the same dense model, per-layer ranking, `base`'s fine-tuning for each.
pub fn plan(base: &PruneConfig, hidden: usize) -> Vec<Planned> {
    let oneshot = |final_sparsity| PruneConfig {
        prune: PruneMethod::Oneshot,
        final_sparsity,
        ranking: Ranking::Layer,
        pattern: Pattern::Unstructured,
        hidden_keep: 0,
        distill: false,
        ..base.clone()
    };
    let mut plan = Vec::new();
    for target in STUDY_SPARSITIES {
        plan.push(Planned { pattern: "unstructured", target, config: oneshot(target) });
        for (pattern, rows, cols) in [("1 × 4 blocks", 1, 4), ("4 × 1 blocks", 4, 1)] {
            let config = PruneConfig { pattern: Pattern::Block, block: BlockSize { rows, cols }, ..oneshot(target) };
            plan.push(Planned { pattern, target, config });
        }
        let units = (hidden as f32 * (1.0 - target)).round().max(1.0) as usize;
        let config = PruneConfig { prune: PruneMethod::Structured, hidden_keep: units, ..oneshot(target) };
        plan.push(Planned { pattern: "whole units (structured)", target, config });
    }
    let two_four = PruneConfig { pattern: Pattern::MByN, m_by_n: MByN { m: 2, n: 4 }, ..oneshot(0.5) };
    plan.push(Planned { pattern: "2:4", target: 0.5, config: two_four });
    plan
}

/// The run's observer with only what fine-tuning needs: its clock, Cancel, the device and the
/// fused step. The study's losses and pictures stay out of the page's charts of the run.
struct Quiet<'a, O>(&'a mut O);

impl<O: Observer> Observer for Quiet<'_, O> {
    fn now_ms(&self) -> f64 {
        self.0.now_ms()
    }
    fn cancelled(&self) -> bool {
        self.0.cancelled()
    }
    async fn yield_now(&mut self) {
        self.0.yield_now().await;
    }
    async fn device_lost(&mut self) -> Option<String> {
        self.0.device_lost().await
    }
    async fn fused_trainer(&mut self, layout: Layout, params: Vec<f32>) -> Result<Trainer, String> {
        self.0.fused_trainer(layout, params).await
    }
}

/// The study's models, each in the report as soon as it is measured.
pub(super) async fn study(
    engine: &Engine<impl Host>,
    dense: &TrainedModel,
    settings: &Settings,
    data: &Mnist,
    picked: &Picked,
    protocol: Protocol,
    observer: &mut impl Observer,
) {
    let plan = plan(&settings.pruning, dense.weights.hidden);
    let report = PatternStudyReport { planned: plan.len(), finetune_epochs: settings.pruning.finetune_epochs, ..PatternStudyReport::default() };
    engine.update(|r| r.pattern_study = Some(report));
    engine.set_phase("comparing sparsity patterns");
    let clock = HostClock(&engine.host);
    let mut quiet = Quiet(observer);
    for planned in &plan {
        if engine.cancelled() {
            break;
        }
        let point = async {
            let pruned = compare::prune(dense, &settings.training, &planned.config, data, &picked.device, &mut quiet).await.map_err(|e| e.to_string())?;
            if pruned.finish == Finish::Cancelled {
                return Ok(None);
            }
            let model = pruned.unstructured.or(pruned.structured).ok_or_else(|| "the pruning made no model".to_string())?;
            measure(planned, &model, data, picked, protocol, &clock).await.map(Some)
        }
        .await;
        match point {
            Ok(Some(point)) => engine.update(|r| r.pattern_study.get_or_insert_with(Default::default).points.push(point)),
            Ok(None) => break,
            Err(e) => {
                engine.update(|r| {
                    r.pattern_study.get_or_insert_with(Default::default).error = Some(format!("{} at {:.0} %: {e}", planned.pattern, planned.target * 100.0))
                });
                break;
            }
        }
    }
    engine.update(|r| {
        if let Some(study) = &mut r.pattern_study {
            study.cancelled = study.points.len() < study.planned && study.error.is_none();
        }
    });
}

/// One model on its pattern's kernel: CSR for single weights, block-CSR or N:M for a pattern, a
/// smaller dense model for whole units; on the CPU, and on WebGPU when the run has it.
async fn measure(planned: &Planned, model: &TrainedModel, data: &Mnist, picked: &Picked, protocol: Protocol, clock: &impl Clock) -> Result<StudyPoint, String> {
    let weights = &model.weights;
    let mut latency = LatencyReport::default();
    let (kernel, bytes) = match planned.config.pattern {
        _ if planned.config.prune == PruneMethod::Structured => {
            latency.cpu = Some(compare::timings(weights, data, &Device::flex(), protocol, clock).await?);
            if let Some(device) = picked.burn_webgpu() {
                latency.webgpu = Some(compare::timings(weights, data, device, protocol, clock).await?);
            }
            (format!("dense, {} hidden units", weights.hidden), model.report.bytes.bytes_f32)
        }
        Pattern::Unstructured => {
            let csr = SparseMlp::new(weights).map_err(|e| e.to_string())?;
            let bytes = csr_bytes(&csr).0;
            if let Some(gpu) = &picked.gpu {
                latency.webgpu = Some(SparseGpu::new(gpu, &csr).await?.timings(&data.test, protocol, clock).await?);
            }
            latency.cpu = Some(compare::host_timings(&mut SparseRunner::new(csr), data, protocol, clock).await?);
            ("CSR".to_string(), bytes)
        }
        pattern => {
            let config = &planned.config;
            let own = PatternMlp::new(weights, pattern, config.block, config.m_by_n).map_err(|e| e.to_string())?;
            let bytes = own.bytes().0;
            if let Some(gpu) = &picked.gpu {
                latency.webgpu = Some(pattern_gpu(gpu, &own).await?.timings(&data.test, protocol, clock).await?);
            }
            let kernel = match pattern {
                Pattern::Block => format!("block-CSR {} × {}", config.block.rows, config.block.cols),
                _ => format!("{}:{} fixed width", config.m_by_n.m, config.m_by_n.n),
            };
            latency.cpu = Some(compare::host_timings(&mut PatternRunner::new(own), data, protocol, clock).await?);
            (kernel, bytes)
        }
    };
    Ok(StudyPoint {
        pattern: planned.pattern.into(),
        target: planned.target,
        sparsity: model.report.sparsity,
        test_accuracy: model.report.test_accuracy,
        kernel: kernel.into(),
        bytes,
        latency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_at_every_sparsity_from_the_same_knobs() {
        let base = PruneConfig { finetune_epochs: 3, ranking: Ranking::Global, distill: true, ..PruneConfig::default() };
        let plan = plan(&base, 128);
        assert_eq!(plan.len(), 4 * STUDY_SPARSITIES.len() + 1);
        // Each one-shot, per layer, no structured or distilled side model, the same fine-tuning.
        for p in &plan {
            assert_eq!((p.config.finetune_epochs, p.config.ranking, p.config.distill), (3, Ranking::Layer, false), "{}", p.pattern);
        }
        let at_90: Vec<_> = plan.iter().filter(|p| p.target == 0.9).map(|p| (p.pattern, p.config.prune, p.config.pattern, p.config.hidden_keep)).collect();
        assert_eq!(
            at_90,
            [
                ("unstructured", PruneMethod::Oneshot, Pattern::Unstructured, 0),
                ("1 × 4 blocks", PruneMethod::Oneshot, Pattern::Block, 0),
                ("4 × 1 blocks", PruneMethod::Oneshot, Pattern::Block, 0),
                ("whole units (structured)", PruneMethod::Structured, Pattern::Unstructured, 13),
            ]
        );
        assert_eq!(
            plan.iter().filter(|p| p.config.pattern == Pattern::Block).map(|p| p.config.final_sparsity).collect::<Vec<_>>(),
            [0.5, 0.5, 0.75, 0.75, 0.9, 0.9]
        );
        let last = plan.last().unwrap();
        assert_eq!((last.pattern, last.config.pattern, last.config.m_by_n), ("2:4", Pattern::MByN, MByN { m: 2, n: 4 }));
    }
}
