//! The fused step on host slices. Five matrix products by `gemm` (the same crate burn's CPU
//! backend multiplies with, so the sums come out alike), everything else in plain loops the
//! compiler vectorises; no allocation per step.

use super::Layout;
use super::adam;
use crate::model::CLASSES;

/// The model being trained, its Adam moments, its masks and the step's scratch space.
pub struct FusedCpu {
    pub layout: Layout,
    /// `[W1 | b1 | W2 | b2]`.
    pub params: Vec<f32>,
    grads: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    /// 0/1 per parameter; `None`: nothing pruned.
    mask: Option<Vec<f32>>,
    /// Adam's step count.
    time: i32,
    hidden: Vec<f32>,
    d_logits: Vec<f32>,
    d_hidden: Vec<f32>,
}

/// `dst[m×n] = Σ_k lhs(i, k) · rhs(k, j)`, each operand given as (slice, row stride, column
/// stride), so a transpose is only a swap of strides.
fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], lhs: (&[f32], usize, usize), rhs: (&[f32], usize, usize)) {
    assert!(dst.len() >= m * n);
    // The largest index each operand is read at, so the unsafe call below stays in bounds.
    let reach = |(s, rs, cs): (&[f32], usize, usize), rows: usize, cols: usize| rows == 0 || cols == 0 || s.len() > (rows - 1) * rs + (cols - 1) * cs;
    assert!(reach(lhs, m, k) && reach(rhs, k, n), "matmul operands too short");
    // SAFETY: every pointer offset gemm forms is (row · row stride + column · column stride)
    // within the shapes checked above; dst is exclusively borrowed and does not alias the inputs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.0.as_ptr(),
            lhs.2 as isize,
            lhs.1 as isize,
            rhs.0.as_ptr(),
            rhs.2 as isize,
            rhs.1 as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

impl FusedCpu {
    /// Starts from `params` (flat, as [`Layout::flatten`] makes them) with fresh Adam moments.
    pub fn new(layout: Layout, params: Vec<f32>) -> Self {
        let n = layout.len();
        assert_eq!(params.len(), n);
        FusedCpu {
            layout,
            params,
            grads: vec![0.0; n],
            m: vec![0.0; n],
            v: vec![0.0; n],
            mask: None,
            time: 0,
            hidden: Vec::new(),
            d_logits: Vec::new(),
            d_hidden: Vec::new(),
        }
    }

    /// Prunes with `mask` (flat 0/1, see [`Layout::mask`]) from now on: the pruned weights and
    /// their moments become 0 and stay 0.
    pub fn set_mask(&mut self, mask: Option<Vec<f32>>) {
        if let Some(mask) = &mask {
            for (((p, m), v), &keep) in self.params.iter_mut().zip(&mut self.m).zip(&mut self.v).zip(mask) {
                *p *= keep;
                *m *= keep;
                *v *= keep;
            }
        }
        self.mask = mask;
    }

    /// The Adam moments (for tests: a pruned weight's stay 0).
    pub fn moments(&self) -> (&[f32], &[f32]) {
        (&self.m, &self.v)
    }

    /// One step on `images` (`[batch, inputs]`) with `labels`; returns the batch's mean
    /// cross-entropy before the update (what burn's loss reads).
    pub fn step(&mut self, images: &[f32], labels: &[i32], lr: f32) -> f32 {
        let Layout { inputs, hidden: h } = self.layout;
        let batch = labels.len();
        assert_eq!(images.len(), batch * inputs);
        let (w1, b1, w2, b2) = (self.layout.w1(), self.layout.b1(), self.layout.w2(), self.layout.b2());
        self.hidden.resize(batch * h, 0.0);
        self.d_logits.resize(batch * CLASSES, 0.0);
        self.d_hidden.resize(batch * h, 0.0);

        // Forward: hidden = relu(X·W1 + b1), logits = hidden·W2 + b2.
        matmul(batch, h, inputs, &mut self.hidden, (images, inputs, 1), (&self.params[w1.clone()], h, 1));
        for row in self.hidden.chunks_exact_mut(h) {
            row.iter_mut().zip(&self.params[b1.clone()]).for_each(|(x, b)| *x = (*x + b).max(0.0));
        }
        matmul(batch, CLASSES, h, &mut self.d_logits, (&self.hidden, h, 1), (&self.params[w2.clone()], CLASSES, 1));

        // Softmax cross-entropy, mean over the batch: the loss, and d logits = (p − onehot) / B.
        let mut loss = 0.0f32;
        let scale = 1.0 / batch as f32;
        for (row, &label) in self.d_logits.chunks_exact_mut(CLASSES).zip(labels) {
            row.iter_mut().zip(&self.params[b2.clone()]).for_each(|(x, b)| *x += b);
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = row.iter().map(|x| (x - max).exp()).sum();
            let log_sum = sum.ln() + max;
            loss += log_sum - row[label as usize];
            row.iter_mut().for_each(|x| *x = (*x - log_sum).exp() * scale);
            row[label as usize] -= scale;
        }
        loss *= scale;

        // Backward. dW2 = hiddenᵀ·dlogits, db2 = Σ dlogits.
        let grads = &mut self.grads;
        matmul(h, CLASSES, batch, &mut grads[w2.clone()], (&self.hidden, 1, h), (&self.d_logits, CLASSES, 1));
        grads[b2.clone()].fill(0.0);
        for row in self.d_logits.chunks_exact(CLASSES) {
            grads[b2.clone()].iter_mut().zip(row).for_each(|(g, d)| *g += d);
        }
        // d hidden = dlogits·W2ᵀ, through the ReLU (zero where the unit was off).
        matmul(batch, h, CLASSES, &mut self.d_hidden, (&self.d_logits, CLASSES, 1), (&self.params[w2.clone()], 1, CLASSES));
        for (d, &a) in self.d_hidden.iter_mut().zip(&self.hidden) {
            if a <= 0.0 {
                *d = 0.0;
            }
        }
        // dW1 = Xᵀ·d hidden, db1 = Σ d hidden.
        matmul(inputs, h, batch, &mut grads[w1.clone()], (images, 1, inputs), (&self.d_hidden, h, 1));
        grads[b1.clone()].fill(0.0);
        for row in self.d_hidden.chunks_exact(h) {
            grads[b1.clone()].iter_mut().zip(row).for_each(|(g, d)| *g += d);
        }

        self.time += 1;
        adam::update(&mut self.params, &self.grads, &mut self.m, &mut self.v, self.mask.as_deref(), lr, self.time);
        loss
    }
}
