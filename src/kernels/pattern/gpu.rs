//! The pattern kernels on WebGPU: the sparse engine's transpose and batch-contiguous layout
//! (`kernels::sparse::gpu`), with a layer kernel of their own. The block shape and the values kept
//! per run are WGSL constants, prepended to the source, so that the accumulator array has its
//! exact size and the compiler unrolls the inner loops.

use super::block::BlockLayer;
use super::nm::NmLayer;
use super::{PatternLayers, PatternMlp};
use crate::kernels::gpu::{Gpu, storage};
use crate::kernels::sparse::gpu::{GpuLayer, SOURCE, SparseGpu, TransposedInput};

const BLOCK: &str = include_str!("block.wgsl");
const NM: &str = include_str!("nm.wgsl");

/// The WGSL of the block kernel for blocks of `rows × cols`.
fn block_source(rows: usize, cols: usize) -> String {
    format!("const ROWS: u32 = {rows}u;\nconst COLS: u32 = {cols}u;\n{SOURCE}{BLOCK}")
}

/// The WGSL of the N:M kernel keeping `keep` of every four inputs.
fn nm_source(keep: usize) -> String {
    format!("const KEEP: u32 = {keep}u;\n{SOURCE}{NM}")
}

fn upload_block(gpu: &Gpu, layer: &BlockLayer, output_rows: usize) -> GpuLayer {
    let read = wgpu::BufferUsages::STORAGE;
    GpuLayer {
        buffers: vec![
            (0, storage(gpu, "block group_ptr", bytemuck::cast_slice(&layer.group_ptr), read)),
            (1, storage(gpu, "block inputs", bytemuck::cast_slice(&layer.packed_block_inputs()), read)),
            (2, storage(gpu, "block values", bytemuck::cast_slice(&layer.values), read)),
            (3, storage(gpu, "block bias", bytemuck::cast_slice(&layer.bias), read)),
        ],
        dispatch_rows: (layer.group_ptr.len() - 1) as u32,
        output_rows: output_rows as u32,
        inputs: layer.inputs as u32,
        inverse: 0.0,
    }
}

fn upload_nm(gpu: &Gpu, layer: &NmLayer, output_rows: usize) -> GpuLayer {
    let read = wgpu::BufferUsages::STORAGE;
    GpuLayer {
        buffers: vec![
            (2, storage(gpu, "n:m values", bytemuck::cast_slice(&layer.values), read)),
            (3, storage(gpu, "n:m bias", bytemuck::cast_slice(&layer.bias), read)),
            (9, storage(gpu, "n:m positions", bytemuck::cast_slice(&layer.positions), read)),
        ],
        dispatch_rows: layer.outputs as u32,
        output_rows: output_rows as u32,
        inputs: layer.inputs as u32,
        inverse: 0.0,
    }
}

/// The pattern model's kernels on `gpu`.
pub async fn pattern_gpu(gpu: &Gpu, model: &PatternMlp) -> Result<SparseGpu, String> {
    let (input_rows, hidden_rows) = model.tile_rows();
    let transposed = TransposedInput { rows: input_rows as u32, inverse: 0.0 };
    match &model.layers {
        PatternLayers::Block { hidden, output } => {
            let source = block_source(hidden.rows, hidden.cols);
            let logits_rows = (output.group_ptr.len() - 1) * output.cols;
            let upload = || (upload_block(gpu, hidden, hidden_rows), upload_block(gpu, output, logits_rows));
            SparseGpu::with_layers(gpu, "the block kernels", &source, "block_layer", transposed, upload).await
        }
        PatternLayers::Nm { hidden, output } => {
            let source = nm_source(hidden.keep);
            let upload = || (upload_nm(gpu, hidden, hidden_rows), upload_nm(gpu, output, output.outputs));
            SparseGpu::with_layers(gpu, "the N:M kernels", &source, "nm_layer", transposed, upload).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naga_accepts_every_pattern_kernel() {
        for (rows, cols) in super::super::block::SHAPES {
            assert_eq!(crate::kernels::gpu::naga_errors(&block_source(rows, cols)), None, "{rows} × {cols}");
        }
        for keep in 1..=3 {
            assert_eq!(crate::kernels::gpu::naga_errors(&nm_source(keep)), None, "keep {keep}");
        }
    }
}
