//! The comparison the page is about: from the trained dense model, make the pruned
//! (unstructured, masked) model and the structured (smaller) one, the way the settings say,
//! and describe each with the same [`ModelReport`]. Runs on any burn device, so it is tested
//! natively on the CPU backend.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{IMAGE_PIXELS, Mnist, Split};
use crate::latency::{self, Clock, Protocol};
use crate::model::{CLASSES, Mlp};
use crate::prune::mask::{Mask, global_masks, layer_mask};
use crate::prune::on_device::{DeviceMasks, FixedMasks, GradualPruning};
use crate::prune::structured::{compact, unit_norms, units_to_keep};
use crate::prune::weights::MlpWeights;
use crate::report::{BatchTimings, LayerSparsity, ModelReport, PruneReport};
use crate::settings::{PruneConfig, PruneMethod, Ranking};
use crate::sparse::SparseRunner;
use crate::sparse::agreement::{self, Agreement};
use crate::sparse::timing::CpuPasses;
use crate::tiles::{FirstLayer, Snapshot};
use crate::train::{self, Finish, Observer, TrainError, TrainingConfig, fit};

/// A finished column: the model (plain device) and its host weights.
pub struct Column {
    pub model: Mlp,
    pub weights: MlpWeights,
    pub report: ModelReport,
}

pub struct Pruned {
    pub unstructured: Option<Column>,
    pub structured: Option<Column>,
    /// The dense model's hidden units that the structured model keeps, in order.
    pub kept_units: Option<Vec<usize>>,
    pub report: PruneReport,
    pub finish: Finish,
}

/// A trained model's column: its weights read back once, and its report.
pub async fn column(model: Mlp, accuracy: Option<f64>) -> Result<Column, TrainError> {
    let weights = model.read_weights().await.map_err(TrainError::Device)?;
    let report = ModelReport::of(&weights, accuracy);
    Ok(Column { model, weights, report })
}

fn masks_for(weights: &MlpWeights, ranking: Ranking, sparsity: f32) -> [Mask; 2] {
    match ranking {
        Ranking::Layer => [layer_mask(&weights.hidden_kernel, sparsity), layer_mask(&weights.output_kernel, sparsity)],
        Ranking::Global => {
            let [hidden, output] = <[Mask; 2]>::try_from(global_masks(&weights.kernels(), f64::from(sparsity))).expect("two kernels");
            [hidden, output]
        }
    }
}

/// Trains `model` for `epochs` with `hook`, or only evaluates it when `epochs` is 0.
async fn tune(
    model: Mlp,
    config: &TrainingConfig,
    epochs: usize,
    data: &Mnist,
    device: &Device,
    observer: &mut impl Observer,
    hook: &mut impl train::StepHook,
) -> Result<(Mlp, Option<f64>, Finish), TrainError> {
    if epochs == 0 {
        let model = hook.finish(model).valid();
        let accuracy = train::test_accuracy(&model, &data.test, device).await?;
        return Ok((model, Some(accuracy), Finish::Completed));
    }
    let trained = fit(model, &config.clone().with_epochs(epochs), &data.train, &data.test, device, observer, hook).await?;
    Ok((trained.model, trained.report.test_accuracy.final_, trained.finish))
}

/// Makes the pruned and structured columns from `dense` (on `device`).
pub async fn prune(
    dense: &Column,
    config: &TrainingConfig,
    settings: &PruneConfig,
    data: &Mnist,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Pruned, TrainError> {
    let device_ad = device.clone().autodiff();
    let mut report = PruneReport {
        config: settings.clone(),
        schedule: settings.schedule(),
        schedule_summary: None,
        layers: Vec::new(),
        sparsity_curve: Vec::new(),
        structured_units_kept: None,
        structured_accuracy_before_finetune: None,
    };
    let mut unstructured = None;
    let mut finish = Finish::Completed;

    match settings.prune {
        PruneMethod::Poly | PruneMethod::Constant => {
            observer.phase("training with gradual pruning");
            let schedule = settings.schedule().expect("gradual methods have a schedule");
            let cfg = config.clone().with_batch(settings.prune_batch);
            device_ad.seed(config.seed);
            let mut hook = GradualPruning::new(schedule, &device_ad);
            let trained = fit(Mlp::new(config.hidden, &device_ad), &cfg, &data.train, &data.test, device, observer, &mut hook).await?;
            let steps = crate::data::batches::steps_per_epoch(cfg.train_samples.min(data.train.len()), cfg.batch) * cfg.epochs;
            report.schedule_summary = Some(schedule.summary(steps));
            report.sparsity_curve = hook.curve;
            finish = trained.finish;
            let pruned = column(trained.model, trained.report.test_accuracy.final_).await?;
            observer.snapshot(Snapshot { model: "pruned", note: "trained".into(), layer: FirstLayer::from_zeros(&pruned.weights, hook.threshold) });
            unstructured = Some(pruned);
        }
        PruneMethod::Oneshot => {
            observer.phase("one-shot pruning, then fine-tuning");
            let masks = masks_for(&dense.weights, settings.ranking, settings.final_sparsity);
            let at_mask = FirstLayer::masked(&dense.weights, &masks[0]);
            let threshold = at_mask.threshold;
            let note = format!("one-shot mask, {:.1} % sparsity", settings.final_sparsity * 100.0);
            observer.snapshot(Snapshot { model: "pruned", note, layer: at_mask });
            let model = Mlp::from_weights(&dense.weights, &device_ad);
            let mut hook = FixedMasks(DeviceMasks::upload(&masks, &model, &device_ad));
            let (model, accuracy, f) = tune(model, config, settings.finetune_epochs, data, device, observer, &mut hook).await?;
            finish = f;
            let pruned = column(model, accuracy).await?;
            observer.snapshot(Snapshot { model: "pruned", note: "fine-tuned".into(), layer: FirstLayer::from_zeros(&pruned.weights, threshold) });
            unstructured = Some(pruned);
        }
        PruneMethod::Structured | PruneMethod::None => {}
    }
    if let Some(column) = &unstructured {
        report.layers = [("hidden", &column.weights.hidden_kernel), ("output", &column.weights.output_kernel)]
            .into_iter()
            .map(|(layer, kernel)| {
                let kept = kernel.iter().filter(|w| **w != 0.0).count();
                LayerSparsity { layer, kept, total: kernel.len(), sparsity: 1.0 - kept as f64 / kernel.len() as f64 }
            })
            .collect();
    }

    let mut structured = None;
    let mut kept_units = None;
    let wants_structured = settings.prune != PruneMethod::None && settings.hidden_keep > 0;
    if wants_structured && finish == Finish::Completed {
        observer.phase("removing hidden units, then fine-tuning");
        let kept = units_to_keep(&unit_norms(&dense.weights, settings.norm), settings.hidden_keep.min(dense.weights.hidden));
        let small = compact(&dense.weights, &kept);
        let note = format!("{} of {} units kept", kept.len(), dense.weights.hidden);
        observer.snapshot(Snapshot { model: "structured", note, layer: FirstLayer::structured(&dense.weights, &small, &kept) });
        report.structured_units_kept = Some(kept.len());
        let before = Mlp::from_weights(&small, device);
        report.structured_accuracy_before_finetune = Some(train::test_accuracy(&before, &data.test, device).await?);
        let (model, accuracy, f) =
            tune(Mlp::from_weights(&small, &device_ad), config, settings.finetune_epochs, data, device, observer, &mut train::NoHook).await?;
        finish = f;
        let small = column(model, accuracy).await?;
        let note = format!("{} of {} units kept, fine-tuned", kept.len(), dense.weights.hidden);
        observer.snapshot(Snapshot { model: "structured", note, layer: FirstLayer::structured(&dense.weights, &small.weights, &kept) });
        structured = Some(small);
        kept_units = Some(kept);
    }
    Ok(Pruned { unstructured, structured, kept_units, report, finish })
}

/// Logits `[images, 10]` of `weights` run densely by burn on `device` (zeros multiplied like
/// any weight), in chunks of 1,000 images: the reference the sparse kernels must match.
pub async fn dense_logits(weights: &MlpWeights, images: &Split, device: &Device) -> Result<Vec<f32>, String> {
    let model = Mlp::from_weights(weights, device);
    let mut out = Vec::with_capacity(images.len() * CLASSES);
    for start in (0..images.len()).step_by(1000) {
        let indices: Vec<usize> = (start..(start + 1000).min(images.len())).collect();
        let input = Tensor::<2>::from_data(TensorData::new(images.inputs(&indices), [indices.len(), IMAGE_PIXELS]), device);
        let logits = model.forward(input).into_data_async().await.map_err(|e| format!("reading logits back failed: {e:?}"))?;
        out.extend(logits.try_to_vec::<f32>().map_err(|e| format!("logits are not float32: {e:?}"))?);
    }
    Ok(out)
}

/// The CPU sparse engine against burn's dense CPU forward on every image of `images`.
pub async fn cpu_agreement(weights: &MlpWeights, runner: &mut SparseRunner, images: &Split) -> Result<Agreement, String> {
    let dense = dense_logits(weights, images, &Device::flex()).await?;
    let mut sparse = Vec::with_capacity(dense.len());
    for start in (0..images.len()).step_by(1000) {
        let indices: Vec<usize> = (start..(start + 1000).min(images.len())).collect();
        sparse.extend_from_slice(runner.run(&images.inputs(&indices), indices.len()));
    }
    Ok(agreement::compare(&sparse, &dense, CLASSES))
}

/// Batch 1 and batch 1024 latency of the CPU sparse engine, on the images the dense one sees.
pub async fn sparse_cpu_timings(runner: &mut SparseRunner, data: &Mnist, protocol: Protocol, clock: &impl Clock) -> Result<BatchTimings, String> {
    // An async closure may lend the runner to each timing in turn.
    let mut at =
        async |batch| latency::time(&mut CpuPasses { images: latency::batch_of(&data.test, batch), batch, runner: &mut *runner }, protocol, clock).await;
    Ok(BatchTimings { b1: at(1).await?, b1024: at(1024).await? })
}

/// Batch 1 and batch 1024 latency of `weights` on `device`.
pub async fn timings(weights: &MlpWeights, data: &Mnist, device: &Device, protocol: Protocol, clock: &impl Clock) -> Result<BatchTimings, String> {
    let model = Mlp::from_weights(weights, device);
    Ok(BatchTimings {
        b1: latency::measure(&model, &data.test, 1, device, protocol, clock).await?,
        b1024: latency::measure(&model, &data.test, 1024, device, protocol, clock).await?,
    })
}
