//! Knowledge distillation (Hinton et al. 2015), with the semantics of Keras' distillation example:
//! the student's loss is `α · CE(labels, student) + (1 − α) · T² · KL(softmax(teacher / T) ‖
//! softmax(student / T))`, averaged over the batch. `T` softens both distributions so the
//! teacher's "dark knowledge" (how wrong answers rank) reaches the student; `T²` keeps the soft
//! term's gradients on the hard term's scale as `T` changes.
//!
//! The teacher's soft targets are computed once for the whole training set (its logits do not
//! change), so a distillation step costs what a plain step costs plus a `[batch, 10]` upload.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::digit::softmax;
use crate::model::CLASSES;

/// The teacher, as the student's loss sees it: its softened probabilities for every training
/// image (row `i` is training image `i`), and the two knobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Teacher {
    soft_targets: Vec<f32>,
    pub temperature: f32,
    pub alpha: f32,
}

impl Teacher {
    /// From the teacher's logits `[images, 10]` on the training images, in order.
    pub fn new(logits: &[f32], temperature: f32, alpha: f32) -> Self {
        Teacher { soft_targets: soften(logits, temperature), temperature, alpha }
    }

    /// Training images the teacher has targets for.
    pub fn len(&self) -> usize {
        self.soft_targets.len() / CLASSES
    }

    pub fn is_empty(&self) -> bool {
        self.soft_targets.is_empty()
    }

    /// The soft targets of the training images `indices`, `[indices, 10]` row-major.
    pub fn targets(&self, indices: &[usize]) -> Vec<f32> {
        indices.iter().flat_map(|&i| &self.soft_targets[i * CLASSES..(i + 1) * CLASSES]).copied().collect()
    }

    /// The distillation loss of a batch on the device: `student` `[batch, 10]` logits (tracked
    /// by autodiff), `labels` the batch's classes, `indices` its training images.
    pub fn loss(&self, student: Tensor<2>, labels: Tensor<1, Int>, indices: &[usize], device: &Device) -> Tensor<1> {
        let batch = indices.len();
        let soft = Tensor::<2>::from_data(TensorData::new(self.targets(indices), [batch, CLASSES]), device);
        let hard = burn::nn::loss::CrossEntropyLossConfig::new().init(device).forward(student.clone(), labels);
        // Σ p·(log p − log q); p is clamped inside the log only, so a p of 0 adds 0·finite = 0.
        let log_q = log_softmax(student.div_scalar(self.temperature), 1);
        let kl = (soft.clone() * (soft.clamp_min(f32::MIN_POSITIVE).log() - log_q)).sum_dim(1).mean();
        let t2 = self.temperature * self.temperature;
        hard.mul_scalar(self.alpha) + kl.mul_scalar((1.0 - self.alpha) * t2)
    }
}

/// `softmax(logits / T)` for each row of 10.
pub fn soften(logits: &[f32], temperature: f32) -> Vec<f32> {
    logits.chunks_exact(CLASSES).flat_map(|row| softmax(&row.iter().map(|x| x / temperature).collect::<Vec<_>>())).collect()
}

/// The same loss computed plainly on the host, in f64: the reference the device loss is tested
/// against, and the definition in one place.
pub fn reference_loss(student: &[f32], teacher: &[f32], labels: &[usize], temperature: f64, alpha: f64) -> f64 {
    let log_softmax = |row: &[f32], t: f64| -> Vec<f64> {
        let scaled: Vec<f64> = row.iter().map(|&x| f64::from(x) / t).collect();
        let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_sum = scaled.iter().map(|x| (x - max).exp()).sum::<f64>().ln() + max;
        scaled.iter().map(|x| x - log_sum).collect()
    };
    let rows = labels.len();
    let mut hard = 0.0;
    let mut kl = 0.0;
    for (i, &label) in labels.iter().enumerate() {
        let s = &student[i * CLASSES..(i + 1) * CLASSES];
        let t = &teacher[i * CLASSES..(i + 1) * CLASSES];
        hard -= log_softmax(s, 1.0)[label];
        let (log_p, log_q) = (log_softmax(t, temperature), log_softmax(s, temperature));
        kl += log_p.iter().zip(&log_q).map(|(lp, lq)| lp.exp() * (lp - lq)).sum::<f64>();
    }
    let n = rows.max(1) as f64;
    alpha * hard / n + (1.0 - alpha) * temperature * temperature * kl / n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot_logits(class: usize, value: f32) -> Vec<f32> {
        let mut row = vec![0.0; CLASSES];
        row[class] = value;
        row
    }

    #[test]
    fn the_reference_loss_matches_values_computed_by_hand() {
        // Student uniform (all logits 0), teacher identical: KL = 0, CE = ln 10.
        let student = vec![0.0; CLASSES];
        assert!((reference_loss(&student, &student, &[3], 10.0, 1.0) - 10f64.ln()).abs() < 1e-12);
        assert!(reference_loss(&student, &student, &[3], 10.0, 0.0).abs() < 1e-12);
        // Teacher puts logit ln 9 · T on class 0 (so p = 9/18 = 0.5 there, 1/18 elsewhere at T):
        // KL(p ‖ uniform) = 0.5 ln 5 + 9 · (1/18) ln(10/18); times T² = 4, with α = 0.25 and
        // CE(label 0, uniform student) = ln 10.
        let t = 2.0f64;
        let teacher = one_hot_logits(0, (9f64.ln() * t) as f32);
        let kl = 0.5 * 5f64.ln() + 0.5 * (10.0f64 / 18.0).ln();
        let expected = 0.25 * 10f64.ln() + 0.75 * 4.0 * kl;
        assert!((reference_loss(&student, &teacher, &[0], t, 0.25) - expected).abs() < 1e-6, "{expected}");
        // Averaged over the batch: two copies of the same row cost what one does.
        let two_s = [student.clone(), student.clone()].concat();
        let two_t = [teacher.clone(), teacher.clone()].concat();
        assert!((reference_loss(&two_s, &two_t, &[0, 0], t, 0.25) - expected).abs() < 1e-6);
    }

    #[test]
    fn soft_targets_are_tempered_probabilities() {
        let logits = [one_hot_logits(2, 10.0), one_hot_logits(7, -5.0)].concat();
        let soft = soften(&logits, 10.0);
        for row in soft.chunks(CLASSES) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        // e¹ / (e¹ + 9) at T = 10, and the sharp distribution at T = 1.
        assert!((soft[2] - (1f32.exp() / (1f32.exp() + 9.0))).abs() < 1e-6);
        assert!(soften(&logits, 1.0)[2] > 0.99);
        let teacher = Teacher::new(&logits, 10.0, 0.1);
        assert_eq!(teacher.len(), 2);
        assert_eq!(teacher.targets(&[1, 0]), [&soft[CLASSES..], &soft[..CLASSES]].concat());
    }

    #[test]
    fn the_device_loss_equals_the_reference() {
        let device = Device::flex();
        let mut random = crate::prune::structured::tests::pseudo_random(7);
        let (batch, t, alpha) = (6, 4.0f32, 0.3f32);
        let student: Vec<f32> = (0..batch * CLASSES).map(|_| random() * 8.0).collect();
        let teacher_logits: Vec<f32> = (0..batch * CLASSES).map(|_| random() * 20.0).collect();
        let labels = [0usize, 3, 9, 9, 1, 5];
        let teacher = Teacher::new(&teacher_logits, t, alpha);
        let loss = teacher.loss(
            Tensor::from_data(TensorData::new(student.clone(), [batch, CLASSES]), &device),
            Tensor::from_data(TensorData::new(labels.iter().map(|&l| l as i32).collect::<Vec<_>>(), [batch]), &device),
            &(0..batch).collect::<Vec<_>>(),
            &device,
        );
        let value: f32 = futures_lite::future::block_on(loss.into_scalar_async()).unwrap();
        let expected = reference_loss(&student, &teacher_logits, &labels, f64::from(t), f64::from(alpha));
        assert!((f64::from(value) - expected).abs() < 1e-4 * expected.max(1.0), "{value} vs {expected}");
    }
}
