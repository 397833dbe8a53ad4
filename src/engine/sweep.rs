//! Dense vs sparse latency across sparsities, on the last run's dense model.

use super::host::HostClock;
use super::{Engine, Host, LastRun};
use crate::data::Mnist;
use crate::engine::compare;
use crate::kernels::gpu::GpuForward;
use crate::kernels::sparse::gpu::SparseGpu;
use crate::kernels::sparse::layout::thresholded;
use crate::kernels::sparse::timing::{SWEEP_SPARSITIES, SweepSeries, crossover};
use crate::kernels::sparse::{SparseMlp, SparseRunner};
use crate::measure::latency::{Backend, BatchTimings};
use crate::model::kind::ModelKind;
use crate::protocol::messages::Event;
use crate::protocol::report::{SparseReport, SweepReport};
use crate::prune::storage::CSR_LAYOUT;

/// Dense vs sparse latency across [`SWEEP_SPARSITIES`], on the CPU and (when the run had it)
/// WebGPU, at batch 1 and 1024. The dense kernel's work does not depend on the weights' values,
/// so its figure is the dense column's, timed with the same protocol on the same images.
pub(super) async fn sweep(engine: &Engine<impl Host>, data: &Mnist, last: &LastRun) {
    let clock = HostClock(&engine.host);
    let measured = &last.measured;
    let Some(dense) = last.trained(ModelKind::Dense) else {
        return;
    };
    let Some(dense_latency) = engine.read(|r| r.dense.as_ref().map(|d| d.latency)) else {
        return;
    };
    let backends: Vec<(Backend, BatchTimings)> =
        [(Backend::Cpu, dense_latency.cpu), (Backend::Webgpu, dense_latency.webgpu.filter(|_| measured.gpu.is_some()))]
            .into_iter()
            .filter_map(|(b, t)| t.map(|t| (b, t)))
            .collect();
    engine.set_phase("sweeping sparsity");
    let total = SWEEP_SPARSITIES.len() * backends.len();
    engine.emit(Event::SweepProgress(Some((0, total))));
    let mut sparse: Vec<Vec<BatchTimings>> = vec![Vec::new(); backends.len()];
    let mut failure = None;
    'sweep: for (done, &sparsity) in SWEEP_SPARSITIES.iter().enumerate() {
        let weights = thresholded(&dense.weights, sparsity);
        let model = match SparseMlp::new(&weights) {
            Ok(model) => model,
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        };
        for (i, (backend, _)) in backends.iter().enumerate() {
            if engine.cancelled() {
                break 'sweep;
            }
            let timings = match (backend, &measured.gpu) {
                (Backend::Webgpu, Some(gpu)) => match SparseGpu::new(gpu, &model).await {
                    Ok(engine) => engine.timings(&data.test, measured.protocol, &clock).await,
                    Err(e) => Err(e),
                },
                _ => compare::host_timings(&mut SparseRunner::new(model.clone()), data, measured.protocol, &clock).await,
            };
            match timings {
                Ok(t) => sparse[i].push(t),
                Err(e) => {
                    failure = Some(e);
                    break 'sweep;
                }
            }
            engine.emit(Event::SweepProgress(Some((done * backends.len() + i + 1, total))));
        }
    }
    let points = sparse.iter().map(Vec::len).min().unwrap_or(0);
    let sparsities = SWEEP_SPARSITIES[..points].to_vec();
    let series = backends
        .iter()
        .zip(&sparse)
        .flat_map(|((backend, dense), sparse)| {
            [(1, dense.b1, sparse.iter().map(|t| t.b1).collect::<Vec<_>>()), (1024, dense.b1024, sparse.iter().map(|t| t.b1024).collect())].map(
                |(batch, dense, mut sparse)| {
                    sparse.truncate(points);
                    SweepSeries { backend: *backend, batch, dense, crossover: crossover(&sparsities, &dense, &sparse), sparse }
                },
            )
        })
        .collect();
    let cancelled = points < SWEEP_SPARSITIES.len();
    engine.update(|r| {
        let sparse = r.sparse.get_or_insert_with(|| SparseReport { layout: CSR_LAYOUT.into(), ..SparseReport::default() });
        sparse.sweep = Some(SweepReport { sparsities, series, cancelled });
        if let Some(e) = failure {
            sparse.error = Some(format!("the sweep stopped: {e}"));
        }
    });
    engine.emit(Event::SweepProgress(None));
}
