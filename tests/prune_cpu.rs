//! Pruning with the page's own code on burn's CPU backend: schedules reach their target, masks
//! survive optimizer steps, and the compact structured model equals the masked one.

mod common;

use std::future::Future;

use burn::tensor::{Device, Tensor, TensorData};
use prunelab::data::{IMAGE_PIXELS, Mnist};
use prunelab::model::Mlp;
use prunelab::model::kind::ModelKind;
use prunelab::prune::mask::{Mask, global_masks, layer_mask};
use prunelab::prune::pattern::{BlockSize, MByN, Pattern, Pooling, block_mask, m_by_n_mask};
use prunelab::prune::schedule::Schedule;
use prunelab::prune::structured::{Norm, compact, masked, unit_norms, units_to_keep};
use prunelab::train::config::TrainStep;
use prunelab::train::config::{PruneConfig, TrainingConfig};
use prunelab::train::pruning::{FixedMasks, GradualPruning};
use prunelab::train::{Setup, Silent, fit, train};

fn mnist() -> Mnist {
    Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).unwrap()
}

fn block_on<T>(f: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(f)
}

/// A dense model trained with `config`, as the comparison's first column.
fn dense_column(config: &TrainingConfig, data: &Mnist, device: &Device) -> prunelab::engine::compare::TrainedModel {
    let dense = block_on(train(config, &data.train, &data.test, device, &mut Silent)).unwrap();
    let accuracy = dense.report.test_accuracy.final_;
    block_on(prunelab::engine::compare::trained_model(dense.model, accuracy)).unwrap()
}

fn small() -> TrainingConfig {
    TrainingConfig::new().with_train_samples(3000).with_epochs(1).with_batch(50).with_lr(2e-3)
}

#[test]
fn gradual_pruning_reaches_exactly_the_scheduled_sparsity_per_layer() {
    let data = mnist();
    let device = Device::flex();
    let device_ad = device.clone().autodiff();
    // 60 steps; prune every 10 from step 0 to 40, 0 → 0.8.
    let mut schedule = Schedule::polynomial(0.0, 0.8, 0, 40);
    if let Schedule::PolynomialDecay { frequency, .. } = &mut schedule {
        *frequency = 10;
    }
    let mut pruning = GradualPruning::new(schedule, PruneConfig::default(), &device_ad);
    let mut pictures = common::Recorder::new();
    let trained =
        block_on(fit(Mlp::new(64, &device_ad), Setup::new(&small().with_epochs(2), &data.train, &data.test, &device), &mut pictures, &mut pruning)).unwrap();

    assert_eq!(pruning.curve.iter().map(|p| p.step).collect::<Vec<_>>(), vec![0, 10, 20, 30, 40]);
    // The live picture: one per mask update, each showing exactly what that mask cut.
    let cut: Vec<usize> = pictures.snapshots.iter().map(|s| s.layer.pruned_count()).collect();
    assert_eq!(pictures.snapshots.len(), 5);
    assert!(pictures.snapshots.iter().all(|s| s.model == ModelKind::Pruned));
    assert!(cut.windows(2).all(|w| w[0] <= w[1]), "{cut:?}");
    // TFMOT keeps k = round(n · (1 − s)): round(50,176 × 0.2) = 10,035 of the first kernel.
    assert_eq!(cut[4], 50_176 - 10_035);
    assert_eq!(pictures.snapshots[4].note, "step 40 · target sparsity 80.0 %");
    assert_eq!(pruning.threshold, pictures.snapshots[4].layer.threshold);
    assert!(pruning.curve.windows(2).all(|w| w[0].measured <= w[1].measured), "sparsity never falls");
    let weights = block_on(trained.model.read_weights()).unwrap();
    for kernel in weights.kernels() {
        let nonzero = kernel.iter().filter(|w| **w != 0.0).count();
        // Trained float weights do not tie, so exactly k survive.
        let expected = match kernel.len() {
            50_176 => 10_035, // round(784 · 64 × 0.2)
            640 => 128,       // round(64 · 10 × 0.2)
            n => panic!("unexpected kernel of {n}"),
        };
        assert_eq!(nonzero, expected, "kernel of {}", kernel.len());
    }
    assert!(weights.hidden_bias.iter().all(|b| *b != 0.0), "biases are never pruned");
    let accuracy = trained.report.test_accuracy.final_.unwrap();
    assert!(accuracy > 0.8, "accuracy {accuracy}");
}

#[test]
fn fixed_masks_survive_optimizer_steps() {
    let data = mnist();
    let device = Device::flex();
    let device_ad = device.clone().autodiff();
    let dense = block_on(train(&small().with_hidden(32), &data.train, &data.test, &device, &mut Silent)).unwrap();
    let weights = block_on(dense.model.read_weights()).unwrap();
    let masks = global_masks(&weights.kernels(), 0.9);
    let expected: usize = masks.iter().map(Mask::kept).sum();
    assert_eq!(expected, weights.kernel_weights() - (0.9 * weights.kernel_weights() as f64).round() as usize);

    let masks = [masks[0].clone(), masks[1].clone()];
    // 60 Adam steps of fine-tuning, on both engines: a pruned weight still gets a gradient
    // (input × error), so Adam would move it; autodiff re-applies the masks before every step,
    // the fused step masks the gradient inside the update.
    let mut accuracies = Vec::new();
    for engine in [TrainStep::Autodiff, TrainStep::Fused] {
        let model = Mlp::from_weights(&weights, &device_ad);
        let mut hook = FixedMasks::new(masks.clone(), &model, &device_ad);
        let tuned = block_on(fit(model, Setup::new(&small().with_engine(engine), &data.train, &data.test, &device), &mut Silent, &mut hook)).unwrap();
        assert_eq!(tuned.report.engine, if engine == TrainStep::Fused { "fused (CPU)" } else { "autodiff" });
        let after = block_on(tuned.model.read_weights()).unwrap();
        assert_eq!(after.nonzero_kernel_weights(), expected, "{engine:?}");
        for (kernel, mask) in after.kernels().iter().zip(&masks) {
            assert!(kernel.iter().zip(&mask.keep).all(|(w, keep)| *keep || *w == 0.0), "{engine:?}: a pruned weight came back");
        }
        accuracies.push(tuned.report.test_accuracy.final_.unwrap());
    }
    assert!(accuracies.iter().all(|&a| a > 0.8), "{accuracies:?}");
    // The same training, either way: the kept weights follow the same updates.
    assert!((accuracies[0] - accuracies[1]).abs() <= 0.002, "{accuracies:?}");
}

#[test]
fn per_layer_masks_prune_each_kernel_to_the_same_sparsity() {
    let device = Device::flex();
    let weights = block_on(Mlp::new(128, &device).read_weights()).unwrap();
    for kernel in weights.kernels() {
        // round(784 · 128 × 0.1) = 10,035 and round(128 · 10 × 0.1) = 128.
        let expected = if kernel.len() == 100_352 { 10_035 } else { 128 };
        assert_eq!(layer_mask(kernel, 0.9).kept(), expected, "kernel of {}", kernel.len());
    }
}

#[test]
fn the_compact_structured_model_equals_the_masked_one_in_burn() {
    let data = mnist();
    let device = Device::flex();
    let dense = block_on(train(&small(), &data.train, &data.test, &device, &mut Silent)).unwrap();
    let weights = block_on(dense.model.read_weights()).unwrap();
    let kept = units_to_keep(&unit_norms(&weights, Norm::L1), 32);
    let compact_model = Mlp::from_weights(&compact(&weights, &kept), &device);
    let masked_model = Mlp::from_weights(&masked(&weights, &kept), &device);
    assert_eq!(compact_model.hidden_units(), 32);

    let batch: Vec<usize> = (0..64).collect();
    let images = || Tensor::<2>::from_data(TensorData::new(data.test.inputs(&batch), [64, IMAGE_PIXELS]), &device);
    let a = block_on(compact_model.forward(images()).into_data_async()).unwrap().try_to_vec::<f32>().unwrap();
    let b = block_on(masked_model.forward(images()).into_data_async()).unwrap().try_to_vec::<f32>().unwrap();
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "largest difference {worst}");
}

/// A clock that moves 1 ms per reading, whatever the device does: the protocol's arithmetic
/// can then be checked exactly, with no dependence on this machine's speed.
struct SteppingClock(std::cell::Cell<f64>);

impl prunelab::measure::latency::Clock for SteppingClock {
    fn now_ms(&self) -> f64 {
        let now = self.0.get() + 1.0;
        self.0.set(now);
        now
    }
    fn pause(&self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

#[test]
fn the_latency_protocol_grows_k_until_a_window_is_long_enough() {
    use prunelab::kernels::dense::measure;
    use prunelab::measure::latency::Protocol;
    let data = mnist();
    let device = Device::flex();
    let model = Mlp::new(16, &device);
    let clock = SteppingClock(std::cell::Cell::new(0.0));
    // Every window reads 1 ms here, so a 5 ms minimum is never met and K stops at max_k.
    let protocol = Protocol { warmup: 1, windows: 5, min_window_ms: 5.0, max_k: 8, round_trips: 0 };
    let timing = block_on(measure(&model, &data.test, 3, &device, protocol, &clock)).unwrap();
    assert_eq!((timing.k, timing.runs), (8, 40));
    assert_eq!((timing.median_ms, timing.p95_ms), (1.0 / 8.0, 1.0 / 8.0), "a window's time is split over its K passes");

    // A minimum below one window keeps K at 1.
    let protocol = Protocol { warmup: 0, windows: 3, min_window_ms: 0.5, max_k: 8, round_trips: 0 };
    let timing = block_on(measure(&model, &data.test, 1024, &device, protocol, &clock)).unwrap();
    assert_eq!((timing.k, timing.runs, timing.median_ms), (1, 3, 1.0));

    // The empty round trip (one readback, no pass) reads 1 ms too: windows must then last 10 ms.
    let protocol = Protocol { round_trips: 3, ..protocol };
    let timing = block_on(measure(&model, &data.test, 1, &device, protocol, &clock)).unwrap();
    assert_eq!((timing.round_trip_ms, timing.k), (1.0, 8));
}

#[test]
fn the_comparison_builds_all_three_columns() {
    use prunelab::engine::compare::prune;
    use prunelab::train::config::{PruneConfig, PruneMethod, Ranking};
    let (data, device) = (mnist(), Device::flex());
    let config = small().with_hidden(64);
    let dense = dense_column(&config, &data, &device);
    let settings = PruneConfig {
        prune: PruneMethod::Oneshot,
        final_sparsity: 0.9,
        ranking: Ranking::Global,
        finetune_epochs: 1,
        hidden_keep: 16,
        ..PruneConfig::default()
    };
    let mut pictures = common::Recorder::new();
    let pruned = block_on(prune(&dense, &config, &settings, &data, &device, &mut pictures)).unwrap();

    // Pictures: the mask as cut, the fine-tuned pruned model, then the structured model before and
    // after fine-tuning, its 16 kept units among the dense model's others, greyed out.
    let models: Vec<ModelKind> = pictures.snapshots.iter().map(|s| s.model).collect();
    assert_eq!(models, [ModelKind::Pruned, ModelKind::Pruned, ModelKind::Structured, ModelKind::Structured]);
    let hidden_pruned = pruned.report.layers[0].total - pruned.report.layers[0].kept;
    assert_eq!(pictures.snapshots[0].layer.pruned_count(), hidden_pruned);
    assert_eq!(pictures.snapshots[1].layer.pruned_count(), hidden_pruned, "fine-tuning revives nothing");
    assert_eq!(pictures.snapshots[0].layer.threshold, pictures.snapshots[1].layer.threshold);
    assert_eq!(pictures.snapshots[3].layer.removed_count(), dense.weights.hidden - 16);
    assert_eq!(pruned.kept_units.as_ref().map(Vec::len), Some(16));

    let unstructured = pruned.unstructured.unwrap().report;
    assert_eq!(unstructured.kernel_weights, dense.report.kernel_weights);
    assert_eq!(unstructured.weights_nonzero, dense.report.weights_nonzero - (0.9 * dense.report.kernel_weights as f64).round() as usize);
    assert!((unstructured.sparsity - 0.9).abs() < 1e-4);
    assert_eq!(unstructured.bytes.bytes_f32, dense.report.bytes.bytes_f32, "masked weights take the same room as f32");
    assert!(unstructured.bytes.bytes_sparse < dense.report.bytes.bytes_f32 / 3);
    assert!(unstructured.bytes.bytes_gzip < dense.report.bytes.bytes_gzip / 2);
    assert_eq!(unstructured.macs_dense_kernel, dense.report.macs_dense_kernel);
    let layers: usize = pruned.report.layers.iter().map(|l| l.kept).sum();
    assert_eq!(layers, unstructured.macs);

    let structured = pruned.structured.unwrap().report;
    assert_eq!(structured.hidden_units, 16);
    assert_eq!(structured.weights_total, 784 * 16 + 16 + 16 * 10 + 10);
    assert_eq!(structured.sparsity, 0.0);
    assert_eq!(pruned.report.structured_units_kept, Some(16));
    let before = pruned.report.structured_accuracy_before_finetune.unwrap();
    let after = structured.test_accuracy.unwrap();
    assert!(after > 0.8 && after >= before - 0.01, "fine-tuning helps: {before} → {after}");
    assert!(unstructured.test_accuracy.unwrap() > 0.8);
}

#[test]
fn without_fine_tuning_the_pruned_models_are_only_evaluated() {
    use prunelab::engine::compare::prune;
    use prunelab::train::config::{PruneConfig, PruneMethod};
    let (data, device) = (mnist(), Device::flex());
    let config = small().with_hidden(32);
    let dense = dense_column(&config, &data, &device);
    let settings = PruneConfig { prune: PruneMethod::Oneshot, final_sparsity: 0.5, finetune_epochs: 0, hidden_keep: 8, ..PruneConfig::default() };
    let pruned = block_on(prune(&dense, &config, &settings, &data, &device, &mut Silent)).unwrap();
    let unstructured = pruned.unstructured.unwrap().report;
    // Half of each kernel: 12,544 of 784 · 32 and 160 of 32 · 10.
    assert_eq!(unstructured.macs, 12_544 + 160);
    assert!(unstructured.test_accuracy.unwrap() > 0.5);
    // Without fine-tuning, the compact model is exactly the one measured before fine-tuning.
    let structured = pruned.structured.unwrap().report;
    assert_eq!(structured.test_accuracy, pruned.report.structured_accuracy_before_finetune);
}

#[test]
fn distillation_trains_the_structured_student_beside_a_rival_from_scratch() {
    use prunelab::engine::compare::{prune, students};
    use prunelab::train::config::{PruneConfig, PruneMethod};
    let (data, device) = (mnist(), Device::flex());
    let config = small().with_hidden(64);
    let dense = dense_column(&config, &data, &device);
    let settings = PruneConfig { prune: PruneMethod::Structured, finetune_epochs: 1, hidden_keep: 16, ..PruneConfig::default() };
    let pruned = block_on(prune(&dense, &config, &settings, &data, &device, &mut Silent)).unwrap();
    let kept = pruned.kept_units.unwrap();
    let structured = pruned.structured.unwrap();

    let s = block_on(students(&dense, &kept, &config, &settings, &data, &device, &mut Silent)).unwrap();
    assert_eq!((s.report.temperature, s.report.alpha, s.report.student_hidden), (10.0, 0.1, 16));
    assert_eq!((s.report.epochs, s.report.steps), (1, 3000 / 50), "one fine-tuning epoch, as the structured model had");
    let scratch = s.scratch.unwrap();
    assert_eq!((s.distilled.weights.hidden, scratch.weights.hidden), (16, 16));
    let distilled_accuracy = s.distilled.report.test_accuracy.unwrap();
    assert!(distilled_accuracy > 0.8, "{distilled_accuracy}");
    assert!(scratch.report.test_accuracy.unwrap() > 0.5);
    assert_ne!(s.distilled.weights, structured.weights, "the teacher changed what the student learnt");

    // With α = 1 the loss is the hard labels' alone: the distilled student is the fine-tuned one.
    let hard_only = PruneConfig { distill_alpha: 1.0, ..settings.clone() };
    let s = block_on(students(&dense, &kept, &config, &hard_only, &data, &device, &mut Silent)).unwrap();
    let max_diff = s
        .distilled
        .weights
        .kernels()
        .iter()
        .zip(structured.weights.kernels())
        .flat_map(|(a, b)| a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()))
        .fold(0.0f32, f32::max);
    assert!(max_diff < 1e-5, "{max_diff}");
    assert_eq!(s.distilled.report.test_accuracy, structured.report.test_accuracy);
}

#[test]
fn a_teacher_without_targets_for_every_training_image_is_refused() {
    use prunelab::train::TrainError;
    use prunelab::train::distill::Teacher;
    let data = mnist();
    let device = Device::flex();
    let teacher = Teacher::new(&vec![0.0; 10 * 100], 4.0, 0.5);
    let model = Mlp::new(8, &device.clone().autodiff());
    let result = block_on(fit(model, Setup::new(&small(), &data.train, &data.test, &device).with_teacher(&teacher), &mut Silent, &mut prunelab::train::NoHook));
    assert_eq!(result.err(), Some(TrainError::Teacher { have: 100, need: 3000 }));
}

/// Gradual pruning under a pattern: 60 steps, masks from step 0 to 40 every 10.
fn pattern_run(pattern: PruneConfig, target: f32) -> (GradualPruning, prunelab::model::weights::MlpWeights) {
    let data = mnist();
    let device = Device::flex();
    let device_ad = device.clone().autodiff();
    let mut schedule = Schedule::polynomial(0.0, target, 0, 40);
    if let Schedule::PolynomialDecay { frequency, .. } = &mut schedule {
        *frequency = 10;
    }
    let mut pruning = GradualPruning::new(schedule, pattern, &device_ad);
    let config = small().with_epochs(2);
    let setup = Setup::new(&config, &data.train, &data.test, &device);
    let trained = block_on(fit(Mlp::new(64, &device_ad), setup, &mut Silent, &mut pruning)).unwrap();
    let weights = block_on(trained.model.read_weights()).unwrap();
    (pruning, weights)
}

#[test]
fn block_pruning_removes_whole_blocks_to_the_scheduled_sparsity() {
    let pattern = PruneConfig::default().with_pattern(Pattern::Block).with_block(BlockSize { rows: 1, cols: 4 }).with_block_pooling(Pooling::Max);
    let (pruning, weights) = pattern_run(pattern, 0.8);
    // [784, 64] in blocks of one input and four units: each block all zero or all trained.
    let kernel = &weights.hidden_kernel;
    for block in kernel.chunks(4) {
        let zeros = block.iter().filter(|w| **w == 0.0).count();
        assert!(zeros == 0 || zeros == 4, "{block:?}");
    }
    // k = round(12,544 blocks × 0.2) = 2,509 blocks kept, 10,036 weights.
    assert_eq!(kernel.iter().filter(|w| **w != 0.0).count(), 2_509 * 4);
    assert!((pruning.curve.last().unwrap().measured - 0.8).abs() < 0.01);
}

#[test]
fn m_by_n_pruning_is_made_once_and_keeps_two_of_every_four_inputs() {
    let pattern = PruneConfig::default().with_pattern(Pattern::MByN).with_m_by_n(MByN { m: 2, n: 4 });
    let (pruning, weights) = pattern_run(pattern, 0.8);
    let outputs = weights.hidden;
    for o in 0..outputs {
        for i in (0..784).step_by(4) {
            let kept = (i..i + 4).filter(|r| weights.hidden_kernel[r * outputs + o] != 0.0).count();
            assert_eq!(kept, 2, "output {o}, inputs {i}..{}", i + 4);
        }
    }
    // The schedule's 80 % and its steps do not apply: as TFMOT, one 2:4 mask (50 %) at step 1, kept.
    assert_eq!(pruning.curve.iter().map(|p| (p.step, p.target, p.measured)).collect::<Vec<_>>(), vec![(1, 0.5, 0.5)]);
}

/// Masks TFMOT's own code made (`tests/fixtures/tfmot_patterns.py`): blocks of 1 × 4, 4 × 1, 2 × 2
/// and 1 × 1 with AVG and MAX pooling, and 2:4, 1:4, 4:8, on kernels whose sides are and are not
/// multiples of the block (13 × 6: SAME padding before and after).
#[test]
fn block_and_m_by_n_masks_are_tfmots_own() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("fixtures/tfmot_patterns.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 16);
    for case in cases {
        let kernel: Vec<f32> = case["kernel"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let outputs = case["outputs"].as_u64().unwrap() as usize;
        let pair = |key: &str| {
            let v = case[key].as_array().unwrap();
            (v[0].as_u64().unwrap() as usize, v[1].as_u64().unwrap() as usize)
        };
        let mask = match case["pattern"].as_str().unwrap() {
            "block" => {
                let (rows, cols) = pair("block");
                let pooling = if case["pooling"] == "max" { Pooling::Max } else { Pooling::Avg };
                block_mask(&kernel, outputs, BlockSize { rows, cols }, pooling, case["sparsity"].as_f64().unwrap() as f32)
            }
            _ => {
                let (m, n) = pair("m_by_n");
                m_by_n_mask(&kernel, outputs, MByN { m, n })
            }
        };
        let expected: Vec<bool> = case["mask"].as_array().unwrap().iter().map(|v| v.as_u64() == Some(1)).collect();
        assert_eq!(mask.keep, expected, "{} {}", case["pattern"], case.get("block").or(case.get("m_by_n")).unwrap());
    }
}
