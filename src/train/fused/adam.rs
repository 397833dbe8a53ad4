//! Adam as burn 0.22's `AdamConfig::new()` computes it (β₁ 0.9, β₂ 0.999, ε 1e-5, no weight
//! decay), so a fused step and burn's optimizer move every parameter the same way:
//! `θ ← θ − lr · m · c / (√v + ε·√(1 − β₂ᵗ))` with `c = √(1 − β₂ᵗ) / (1 − β₁ᵗ)`, which is
//! `lr · m̂ / (√v̂ + ε)` written as burn writes it.

pub const BETA_1: f32 = 0.9;
pub const BETA_2: f32 = 0.999;
pub const EPSILON: f32 = 1e-5;

/// The step's two scalars, from the 1-based step count `time`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factors {
    /// `c`, multiplying the first moment.
    pub combined: f32,
    /// `ε·√(1 − β₂ᵗ)`, added to `√v`.
    pub epsilon: f32,
}

impl Factors {
    pub fn at(time: i32) -> Self {
        let correction2_sqrt = (1.0 - BETA_2.powi(time)).sqrt();
        Factors { combined: correction2_sqrt / (1.0 - BETA_1.powi(time)), epsilon: EPSILON * correction2_sqrt }
    }
}

/// One update of `params` from `grads`, moments `m` and `v` kept; `mask` (0/1 per parameter)
/// zeroes a pruned weight's gradient, so its moments stay 0 and it stays exactly 0.
pub fn update(params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32], mask: Option<&[f32]>, lr: f32, time: i32) {
    let f = Factors::at(time);
    let ones = std::iter::repeat(1.0);
    let mask: Box<dyn Iterator<Item = f32>> = match mask {
        Some(mask) => Box::new(mask.iter().copied()),
        None => Box::new(ones),
    };
    for ((((p, &g), m), v), keep) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()).zip(mask) {
        let g = g * keep;
        *m = *m * BETA_1 + g * (1.0 - BETA_1);
        *v = *v * BETA_2 + g * g * (1.0 - BETA_2);
        *p = (*p - lr * (*m * f.combined / (v.sqrt() + f.epsilon))) * keep;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_step_moves_each_parameter_by_about_lr_against_its_gradient() {
        let (mut p, mut m, mut v) = (vec![1.0, 1.0, 1.0], vec![0.0; 3], vec![0.0; 3]);
        update(&mut p, &[0.5, -2.0, 0.0], &mut m, &mut v, None, 0.01, 1);
        // m̂ = g, v̂ = g²: the step is lr · g / (|g| + ε).
        assert!((p[0] - (1.0 - 0.01 * 0.5 / (0.5 + 1e-5))).abs() < 1e-6, "{p:?}");
        assert!((p[1] - (1.0 + 0.01 * 2.0 / (2.0 + 1e-5))).abs() < 1e-6, "{p:?}");
        assert_eq!(p[2], 1.0, "no gradient, no move");
    }

    #[test]
    fn a_masked_parameter_stays_zero_with_zero_moments() {
        let (mut p, mut m, mut v) = (vec![0.3, 0.3], vec![0.0; 2], vec![0.0; 2]);
        for t in 1..=5 {
            update(&mut p, &[1.0, 1.0], &mut m, &mut v, Some(&[1.0, 0.0]), 0.01, t);
        }
        assert_eq!((p[1], m[1], v[1]), (0.0, 0.0, 0.0));
        assert!(p[0] < 0.3 - 0.04, "the kept one moved: {p:?}");
    }
}
