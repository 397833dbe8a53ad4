//! What a model costs to store: dense float32, CSR, and each gzipped — the answer to TFMOT users
//! who ask why their pruned file is not smaller (zeros take as much room as any float until
//! the file is compressed or stored sparsely).

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use serde::{Deserialize, Serialize};

use crate::model::CLASSES;
use crate::model::weights::MlpWeights;

/// CSR layout used for the byte counts: each kernel stored as `[out, in]` rows (one row per
/// output unit), f32 values, u16 column indices (every layer here has fewer than 65,536
/// inputs), u32 row pointers; biases stored dense as f32.
pub const CSR_LAYOUT: &str = "CSR per kernel: f32 values, u16 column indices, u32 row pointers; biases dense f32";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageBytes {
    pub bytes_f32: usize,
    pub bytes_sparse: usize,
    /// gzip -6 of the dense float32 bytes.
    pub bytes_gzip: usize,
    /// gzip -6 of the CSR bytes.
    pub bytes_sparse_gzip: usize,
}

fn dense_bytes(w: &MlpWeights) -> Vec<u8> {
    [&w.hidden_kernel, &w.hidden_bias, &w.output_kernel, &w.output_bias].iter().flat_map(|v| v.iter().flat_map(|x| x.to_le_bytes())).collect()
}

/// One kernel, `[inputs, outputs]` row-major, in CSR over its transpose.
fn csr_kernel(kernel: &[f32], inputs: usize, outputs: usize, out: &mut Vec<u8>) {
    let mut row_ptr = Vec::with_capacity(outputs + 1);
    let (mut values, mut columns) = (Vec::new(), Vec::new());
    row_ptr.push(0u32);
    for o in 0..outputs {
        for i in 0..inputs {
            let w = kernel[i * outputs + o];
            if w != 0.0 {
                values.push(w);
                columns.push(i as u16);
            }
        }
        row_ptr.push(values.len() as u32);
    }
    out.extend(row_ptr.iter().flat_map(|p| p.to_le_bytes()));
    out.extend(columns.iter().flat_map(|c| c.to_le_bytes()));
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
}

fn sparse_bytes(w: &MlpWeights) -> Vec<u8> {
    let mut out = Vec::new();
    csr_kernel(&w.hidden_kernel, w.inputs, w.hidden, &mut out);
    out.extend(w.hidden_bias.iter().flat_map(|x| x.to_le_bytes()));
    csr_kernel(&w.output_kernel, w.hidden, CLASSES, &mut out);
    out.extend(w.output_bias.iter().flat_map(|x| x.to_le_bytes()));
    out
}

/// The length of `bytes` after gzip -6.
pub fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().map(|v| v.len()).unwrap_or(0)
}

pub fn storage(w: &MlpWeights) -> StorageBytes {
    let (dense, sparse) = (dense_bytes(w), sparse_bytes(w));
    StorageBytes { bytes_f32: dense.len(), bytes_sparse: sparse.len(), bytes_gzip: gzip_len(&dense), bytes_sparse_gzip: gzip_len(&sparse) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prune::structured::tests::tiny;

    #[test]
    fn byte_counts_follow_the_layout() {
        let w = tiny();
        let s = storage(&w);
        assert_eq!(s.bytes_f32, w.total_weights() * 4);
        let nnz = w.nonzero_kernel_weights();
        // Row pointers (5+1 and 10+1) × 4, per non-zero 2 + 4 bytes, biases dense.
        assert_eq!(s.bytes_sparse, (6 + 11) * 4 + nnz * 6 + (5 + 10) * 4);
    }

    #[test]
    fn zeros_do_not_shrink_the_dense_file_but_shrink_the_others() {
        // Realistic floats (a 784 × 32 layer of pseudo-random values) barely compress.
        let mut random = crate::prune::structured::tests::pseudo_random(12345);
        let mut w = MlpWeights {
            inputs: 784,
            hidden: 32,
            hidden_kernel: (0..784 * 32).map(|_| random()).collect(),
            hidden_bias: (0..32).map(|_| random()).collect(),
            output_kernel: (0..32 * CLASSES).map(|_| random()).collect(),
            output_bias: (0..CLASSES).map(|_| random()).collect(),
        };
        let before = storage(&w);
        for (i, x) in w.hidden_kernel.iter_mut().enumerate() {
            if i % 10 != 0 {
                *x = 0.0;
            }
        }
        let after = storage(&w);
        assert_eq!(after.bytes_f32, before.bytes_f32);
        assert!(after.bytes_sparse < before.bytes_sparse);
        assert!(after.bytes_gzip < before.bytes_gzip / 2, "{after:?} vs {before:?}");
        assert!(before.bytes_gzip > before.bytes_f32 * 8 / 10, "random floats barely compress: {before:?}");
    }
}
