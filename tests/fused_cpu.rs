//! The fused training step against burn's autodiff on the CPU backend: same start, same batches,
//! the same loss and parameters after 20 steps; masks hold.

use std::future::Future;

use burn::tensor::Device;
use prunelab::data::{IMAGE_PIXELS, Mnist};
use prunelab::model::Mlp;
use prunelab::prune::mask::layer_mask;
use prunelab::train::Silent;
use prunelab::train::check::{CHECK_STEPS, check_engine};
use prunelab::train::fused::Layout;
use prunelab::train::fused::cpu::FusedCpu;

fn block_on<T>(f: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(f)
}

const BATCH: usize = 64;

#[test]
fn fused_and_autodiff_steps_agree_for_twenty_steps() {
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).unwrap();
    let check = block_on(check_engine(128, &data.train, 3, BATCH, 1e-3, &Device::flex(), &mut Silent)).unwrap();
    println!("{check:?}");
    assert_eq!((check.engine.as_ref(), check.steps, check.batch), ("fused (CPU)", CHECK_STEPS, BATCH));
    assert!(check.max_loss_error < 1e-4, "{check:?}");
    assert!(check.max_param_error < 1e-4, "{check:?}");
}

#[test]
fn masks_hold_through_fused_steps() {
    let data = Mnist::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/mnist")).unwrap();
    let device = Device::flex();
    let weights = block_on(Mlp::new(32, &device).read_weights()).unwrap();
    let layout = Layout { inputs: IMAGE_PIXELS, hidden: 32 };
    let mut fused = FusedCpu::new(layout, layout.flatten(&weights));
    // A few free steps first, so the moments are not zero when the mask arrives.
    let batch = |s: usize| (s * BATCH..(s + 1) * BATCH).collect::<Vec<usize>>();
    for s in 0..3 {
        fused.step(&data.train.inputs(&batch(s)), &data.train.targets(&batch(s)), 1e-3);
    }
    let masks = [layer_mask(&weights.hidden_kernel, 0.8), layer_mask(&weights.output_kernel, 0.8)];
    fused.set_mask(Some(layout.mask(&masks)));
    for s in 3..13 {
        fused.step(&data.train.inputs(&batch(s)), &data.train.targets(&batch(s)), 1e-3);
    }
    let (m, v) = fused.moments();
    let flat_mask = layout.mask(&masks);
    let pruned: Vec<usize> = (0..flat_mask.len()).filter(|&i| flat_mask[i] == 0.0).collect();
    assert_eq!(pruned.len(), masks[0].len() - masks[0].kept() + masks[1].len() - masks[1].kept());
    assert!(pruned.iter().all(|&i| fused.params[i] == 0.0 && m[i] == 0.0 && v[i] == 0.0), "a pruned weight or its moments moved");
    // The kept weights did train.
    let kept_moved = (0..flat_mask.len()).filter(|&i| flat_mask[i] == 1.0).any(|i| m[i] != 0.0);
    assert!(kept_moved);
}
