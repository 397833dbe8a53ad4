//! The sparse CPU engine on a really trained model and all 10,000 MNIST test images: its logits
//! match burn's dense forward pass (the masked model run by flex) and it predicts the same digits.

use std::future::Future;
use std::sync::OnceLock;

use burn::tensor::Device;
use prunelab::data::Mnist;
use prunelab::engine::compare::{cpu_agreement, dense_logits};
use prunelab::kernels::int8::{Calibration, Int8Mlp, Int8Runner};
use prunelab::kernels::sparse::agreement::{TOLERANCE, compare};
use prunelab::kernels::sparse::layout::thresholded;
use prunelab::kernels::sparse::{SparseMlp, SparseRunner};
use prunelab::measure::latency::CpuForward;
use prunelab::model::weights::MlpWeights;
use prunelab::model::{CLASSES, Mlp};
use prunelab::prune::structured::{Norm, compact, unit_norms, units_to_keep};
use prunelab::train::config::TrainingConfig;
use prunelab::train::{Silent, train};

fn block_on<T>(f: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(f)
}

/// MNIST and a model trained briefly on it, once for every test in this file.
fn trained() -> &'static (Mnist, MlpWeights) {
    static TRAINED: OnceLock<(Mnist, MlpWeights)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).unwrap();
        let config = TrainingConfig::new().with_train_samples(3000).with_epochs(1).with_batch(50).with_lr(2e-3);
        let trained = block_on(train(&config, &data.train, &data.test, &Device::flex(), &mut Silent)).unwrap();
        let dense = block_on(trained.model.read_weights()).unwrap();
        (data, dense)
    })
}

#[test]
fn sparse_logits_match_the_masked_dense_model_on_every_test_image() {
    let (data, dense) = trained();
    let device = Device::flex();
    assert_eq!(dense.hidden, 128);

    for sparsity in [0.0, 0.9, 0.99] {
        let pruned = thresholded(dense, sparsity);
        let mut runner = SparseRunner::new(SparseMlp::new(&pruned).unwrap());
        let agreement = block_on(cpu_agreement(&pruned, &mut runner, &data.test)).unwrap();
        assert_eq!(agreement.images, 10_000);
        assert!(agreement.within_tolerance(), "sparsity {sparsity}: {agreement:?} (tolerance {TOLERANCE})");
        // The batch-1 path on a sample of images, against the same reference.
        let reference = block_on(dense_logits(&pruned, &data.test.truncated(200), &device)).unwrap();
        let one_by_one: Vec<f32> = (0..200).flat_map(|i| runner.run(&data.test.inputs(&[i]), 1).to_vec()).collect();
        let batch1 = compare(&one_by_one, &reference, CLASSES);
        assert!(batch1.within_tolerance(), "sparsity {sparsity}, batch 1: {batch1:?}");
    }

    // The structured model (hidden 32) through the same engine.
    let kept = units_to_keep(&unit_norms(dense, Norm::L1), 32);
    let small = compact(dense, &kept);
    let mut runner = SparseRunner::new(SparseMlp::new(&small).unwrap());
    let agreement = block_on(cpu_agreement(&small, &mut runner, &data.test)).unwrap();
    assert!(agreement.within_tolerance(), "structured: {agreement:?}");
    // And a model with one hidden unit does not panic.
    let one = compact(dense, &kept[..1]);
    assert_eq!(SparseRunner::new(SparseMlp::new(&one).unwrap()).run(&data.test.inputs(&[0, 1, 2]), 3).len(), 3 * CLASSES);
    let _ = Mlp::from_weights(&one, &device);
}

#[test]
fn int8_matches_its_integer_reference_and_the_float_model_on_mnist() {
    let (data, dense) = trained();
    let device = Device::flex();
    let calibration_images: Vec<usize> = (0..500).collect();
    let calibration = Calibration::measure(dense, &data.train.inputs(&calibration_images));
    assert_eq!((calibration.images, calibration.input_max), (500, 1.0));

    for (weights, sparse) in [(dense.clone(), false), (thresholded(dense, 0.9), true)] {
        let model = Int8Mlp::new(&weights, &calibration, sparse).unwrap();
        let mut runner = Int8Runner::new(model.clone());
        let int8 = prunelab::engine::compare::host_logits(&mut runner, &data.test);
        // Exact: the fast paths' integer sums are the reference's, whatever their order.
        let reference = model.reference(&data.test.inputs(&(0..1000).collect::<Vec<_>>()));
        assert_eq!(&int8[..1000 * CLASSES], &reference[..], "sparse {sparse}");
        let one_by_one: Vec<f32> = (0..100).flat_map(|i| runner.run(&data.test.inputs(&[i]), 1).to_vec()).collect();
        assert_eq!(&one_by_one[..], &reference[..100 * CLASSES], "sparse {sparse}, batch 1");
        // The float model's predicted class on at least 99 % of the test images.
        let float = block_on(dense_logits(&weights, &data.test, &device)).unwrap();
        let agreement = compare(&int8, &float, CLASSES);
        assert!(agreement.argmax_mismatches <= 100, "sparse {sparse}: {agreement:?}");
    }
}
