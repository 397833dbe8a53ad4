//! Shuffling and batching of sample indices, as Keras' `fit(shuffle=True)` does it: a new
//! permutation every epoch, batches taken in order, the last partial batch kept.

use rand::{SeedableRng, rngs::ChaCha8Rng, seq::SliceRandom};

/// The permutation of `0..n` for `epoch`, the same for the same `seed` on every platform.
pub fn shuffled_indices(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64);
    indices.shuffle(&mut rng);
    indices
}

/// Steps per epoch: every sample once, the last batch possibly smaller.
pub fn steps_per_epoch(samples: usize, batch_size: usize) -> usize {
    samples.div_ceil(batch_size.max(1))
}

/// The batches of one epoch, in order; the last one holds the remainder.
pub fn batches(indices: &[usize], batch_size: usize) -> std::slice::Chunks<'_, usize> {
    indices.chunks(batch_size.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_order() {
        assert_eq!(shuffled_indices(100, 7, 0), shuffled_indices(100, 7, 0));
        assert_ne!(shuffled_indices(100, 7, 0), shuffled_indices(100, 8, 0));
    }

    #[test]
    fn each_epoch_is_a_new_permutation() {
        let a = shuffled_indices(1000, 1, 0);
        let b = shuffled_indices(1000, 1, 1);
        assert_ne!(a, b);
        let mut sorted = b.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn the_last_partial_batch_is_kept() {
        let indices: Vec<usize> = (0..10).collect();
        let sizes: Vec<usize> = batches(&indices, 4).map(<[usize]>::len).collect();
        assert_eq!(sizes, vec![4, 4, 2]);
        assert_eq!(steps_per_epoch(10, 4), 3);
        assert_eq!(steps_per_epoch(60_000, 128), 469);
        assert_eq!(steps_per_epoch(8, 4), 2);
    }

    #[test]
    fn a_batch_larger_than_the_data_is_one_batch() {
        let indices: Vec<usize> = (0..3).collect();
        assert_eq!(batches(&indices, 128).count(), 1);
        assert_eq!(steps_per_epoch(3, 128), 1);
        assert_eq!(steps_per_epoch(0, 128), 0);
    }
}
