//! What the page asks of a finished run: every model's answer for a drawn digit, and a model's
//! file.

use super::{Host, LastRun};
use crate::kernels::gpu::GpuForward;
use crate::kernels::int8::export::ExportedInt8;
use crate::kernels::sparse::agreement;
use crate::measure::latency::CpuForward;
use crate::model::batch;
use crate::model::export::{About, ExportedModel, burnpack};
use crate::model::kind::{ModelKind, SPARSE_KERNEL};
use crate::protocol::messages::{ExportFormat, Prediction, SavedFile};

/// A prediction from logits.
fn prediction(model: String, logits: &[f32], latency_ms: f64) -> Prediction {
    let probabilities = crate::data::digit::softmax(logits);
    Prediction { model, top: agreement::argmax(&probabilities), probabilities, latency_ms }
}

/// Every trained model's prediction for one 28 × 28 input, each timed on its own device, then
/// the pruned model's on the sparse kernels (CPU, and WebGPU when the run used it), then int8.
pub(super) async fn predict(host: &impl Host, last: &LastRun, input: Vec<f32>) -> Result<Vec<Prediction>, String> {
    let mut out = Vec::with_capacity(last.trained.len() + 4);
    for trained in &last.trained {
        let device = trained.model.hidden.weight.device();
        let started = host.now_ms();
        let image = batch::images(input.clone(), &device);
        let logits = trained.model.forward(image).into_data_async().await.map_err(|e| format!("{e:?}"))?;
        let latency_ms = host.now_ms() - started;
        out.push(prediction(trained.kind.label().into(), &logits.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?, latency_ms));
    }
    if let Some(sparse) = &last.sparse {
        let started = host.now_ms();
        let logits = sparse.cpu.borrow_mut().run(&input, 1).to_vec();
        out.push(prediction(format!("{SPARSE_KERNEL} (CPU)"), &logits, host.now_ms() - started));
        if let Some(gpu) = &sparse.gpu {
            let started = host.now_ms();
            let batch = gpu.prepare(&input, 1).await?;
            gpu.submit(&batch);
            let logits = gpu.read(&batch).await?;
            out.push(prediction(format!("{SPARSE_KERNEL} (WebGPU)"), &logits, host.now_ms() - started));
        }
    }
    for engine in &last.int8 {
        let started = host.now_ms();
        let logits = engine.runner.borrow_mut().run(&input, 1).to_vec();
        out.push(prediction(format!("{} (CPU)", engine.kind.label()), &logits, host.now_ms() - started));
    }
    Ok(out)
}

/// The file of model `kind` in `format`: burn's record or the JSON of a float model, the JSON
/// of an int8 model (its codes, scales and biases as the engine runs them).
pub(super) fn export(last: &LastRun, kind: ModelKind, format: ExportFormat, settings: &str) -> Result<SavedFile, String> {
    let key = kind.key();
    if let Some(engine) = last.int8.iter().find(|e| e.kind == kind) {
        let json = ExportedInt8::new(&engine.runner.borrow().model, kind, engine.test_accuracy, settings).to_json();
        return Ok(SavedFile { name: format!("prunelab-{key}.json"), mime: "application/json".into(), bytes: json.into_bytes() });
    }
    let model = last.trained(kind).ok_or("the model is gone; train again")?;
    Ok(match format {
        ExportFormat::Burnpack => {
            let bytes = burnpack(&model.weights).map_err(|e| e.to_string())?;
            SavedFile { name: format!("prunelab-{key}.bpk"), mime: "application/octet-stream".into(), bytes }
        }
        ExportFormat::Json => {
            let about = About { model: kind, test_accuracy: model.test_accuracy, settings, kept_units: model.kept_units.as_deref() };
            let json = ExportedModel::new(&model.weights, &about).to_json();
            SavedFile { name: format!("prunelab-{key}.json"), mime: "application/json".into(), bytes: json.into_bytes() }
        }
    })
}
