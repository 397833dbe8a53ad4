//! The int8 models on WebGPU, on the very `wgpu::Device` burn trains on, like the sparse kernels
//! beside them (`kernels::sparse::gpu`, which says why raw WGSL): the dense int8 model
//! (`int8_dense.wgsl`) and the pruned one in its CSR layout (`int8_sparse.wgsl`, a layer kernel
//! on the sparse engine's plumbing).
//!
//! Three dispatches per pass, one submit: quantize the images to codes, the hidden layer (i32
//! sums, bias, ReLU, requantized to codes), the output layer (float logits). The dense kernels'
//! dot product is WGSL's `dot4I8Packed` where the browser offers the
//! `packed_4x8_integer_dot_product` language extension, otherwise the same sum unpacked in plain
//! WGSL; the report says which ran.

use crate::kernels::gpu::{Gpu, GpuBuffer, GpuForward, bind, checked, layer_params, pipeline, read_back, storage};
use crate::kernels::int8::Int8Mlp;
use crate::kernels::int8::model::{Codes, Int8Layer};
use crate::kernels::int8::scale::pack_codes;
use crate::kernels::sparse::gpu::{GpuBatch, GpuLayer, SparseGpu, TransposedInput};
use crate::model::CLASSES;

/// Invocations per workgroup of the dense kernels; each handles one image.
const WORKGROUP: u32 = 64;

/// `dot4`, as the shader calls it: the packed built-in, or the same sum in plain WGSL.
const DOT4_PACKED: &str = "fn dot4(a: u32, b: u32) -> i32 { return dot4I8Packed(a, b); }\n";
const DOT4_UNPACKED: &str = "fn dot4(a: u32, b: u32) -> i32 {
    let x = vec4<i32>(i32(a << 24u) >> 24u, i32(a << 16u) >> 24u, i32(a << 8u) >> 24u, i32(a) >> 24u);
    let y = vec4<i32>(i32(b << 24u) >> 24u, i32(b << 16u) >> 24u, i32(b << 8u) >> 24u, i32(b) >> 24u);
    return dot(x, y);
}\n";

/// Which dot product the kernels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dot4 {
    /// WGSL's `dot4I8Packed` (the `packed_4x8_integer_dot_product` extension).
    Packed,
    /// Four sign-extended byte products in plain WGSL.
    Unpacked,
}

/// The dense int8 kernels with `dot4`'s definition in front.
fn dense_source(dot4: Dot4) -> String {
    let helper = match dot4 {
        Dot4::Packed => DOT4_PACKED,
        Dot4::Unpacked => DOT4_UNPACKED,
    };
    format!("{helper}{}", include_str!("int8_dense.wgsl"))
}

/// The sparse int8 kernels, after the CSR prelude they share with the float ones.
const SPARSE_SOURCE: &str = concat!(include_str!("../sparse/csr.wgsl"), include_str!("int8_sparse.wgsl"));

impl Dot4 {
    pub fn describe(self) -> &'static str {
        match self {
            Dot4::Packed => "WGSL dot4I8Packed (packed 4×8-bit dot products)",
            Dot4::Unpacked => "unpacked int8 dot products (this browser lacks packed_4x8_integer_dot_product)",
        }
    }
}

/// A dense layer: codes `[units padded to 4][words]`, rescale and bias padded (padding units
/// have zero codes, rescale and bias, so they yield code 0).
struct DenseLayer {
    weights: GpuBuffer,
    rescale: GpuBuffer,
    bias: GpuBuffer,
    quads: u32,
    outputs: u32,
    /// Packed words per input row.
    words: u32,
}

const READ: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE;

fn upload_dense(gpu: &Gpu, layer: &Int8Layer, codes: &[i8]) -> DenseLayer {
    let words = layer.inputs.div_ceil(4);
    let quads = layer.outputs.div_ceil(4);
    let mut packed = vec![0u32; quads * 4 * words];
    for (o, row) in codes.chunks_exact(layer.inputs.max(1)).enumerate() {
        packed[o * words..(o + 1) * words].copy_from_slice(&pack_codes(row));
    }
    let padded = |v: &[f32]| -> Vec<f32> { v.iter().copied().chain(std::iter::repeat(0.0)).take(quads * 4).collect() };
    DenseLayer {
        weights: storage(gpu, "int8 codes", bytemuck::cast_slice(&packed), READ),
        rescale: storage(gpu, "int8 rescale", bytemuck::cast_slice(&padded(&layer.rescale)), READ),
        bias: storage(gpu, "int8 bias", bytemuck::cast_slice(&padded(&layer.bias)), READ),
        quads: quads as u32,
        outputs: layer.outputs as u32,
        words: words as u32,
    }
}

/// A pruned layer for the sparse engine's plumbing: its CSR rows, codes packed four to a u32, and
/// the rescale the int8 layer kernel adds (binding 9).
fn upload_sparse(gpu: &Gpu, layer: &Int8Layer, codes: &crate::kernels::sparse::SparseLayer<i8>, inverse: f32) -> GpuLayer {
    GpuLayer {
        buffers: vec![
            (0, storage(gpu, "int8 row_ptr", bytemuck::cast_slice(&codes.row_ptr), READ)),
            (1, storage(gpu, "int8 row_inputs", bytemuck::cast_slice(&codes.packed_row_inputs()), READ)),
            (2, storage(gpu, "int8 row_codes", bytemuck::cast_slice(&pack_codes(&codes.row_values)), READ)),
            (3, storage(gpu, "int8 bias", bytemuck::cast_slice(&layer.bias), READ)),
            (9, storage(gpu, "int8 rescale", bytemuck::cast_slice(&layer.rescale), READ)),
        ],
        dispatch_rows: layer.outputs as u32,
        output_rows: layer.outputs as u32,
        inputs: layer.inputs as u32,
        inverse,
    }
}

/// An int8 model's kernels on WebGPU: the dense model's own, or the pruned model's on the sparse
/// engine's plumbing (`SparseGpu`, with the int8 layer kernel).
pub enum Int8Gpu {
    Dense(DenseInt8Gpu),
    Sparse(SparseGpu),
}

/// The dense int8 model's codes uploaded once, and its pipelines.
pub struct DenseInt8Gpu {
    gpu: Gpu,
    dot4: Dot4,
    quantize: wgpu::ComputePipeline,
    layer: wgpu::ComputePipeline,
    hidden: DenseLayer,
    output: DenseLayer,
    inputs: usize,
    input_inverse: f32,
    activation_inverse: f32,
}

/// One batch uploaded, with the bindings and workgroup counts of a forward pass over it.
pub struct DenseBatch {
    batch: usize,
    steps: [(wgpu::BindGroup, [u32; 2]); 3],
    logits: GpuBuffer,
    staging: GpuBuffer,
    /// The input, scratch and parameter buffers only the bind groups use, kept (and destroyed)
    /// with them.
    _bound: Vec<GpuBuffer>,
}

/// A batch prepared by one of [`Int8Gpu`]'s engines, for that engine.
pub enum Int8Batch {
    Dense(DenseBatch),
    Sparse(GpuBatch),
}

impl Int8Gpu {
    /// Uploads `model`: dense codes run packed dot products (when the browser has them), a pruned
    /// model's CSR codes the sparse int8 kernel.
    pub async fn new(gpu: &Gpu, model: &Int8Mlp) -> Result<Self, String> {
        match (&model.hidden.codes, &model.output.codes) {
            (Codes::Dense(h), Codes::Dense(o)) => {
                let dot4 = if gpu.packed_dot { Dot4::Packed } else { Dot4::Unpacked };
                let source = dense_source(dot4);
                let (hidden, output) = (upload_dense(gpu, &model.hidden, h), upload_dense(gpu, &model.output, o));
                let kernels = checked(gpu, "building the int8 kernels", || DenseInt8Gpu {
                    dot4,
                    quantize: pipeline(gpu, &source, "quantize"),
                    layer: pipeline(gpu, &source, "layer"),
                    hidden,
                    output,
                    inputs: model.inputs(),
                    input_inverse: model.input.inverse(),
                    activation_inverse: model.activation.inverse(),
                    gpu: gpu.clone(),
                });
                Ok(Int8Gpu::Dense(kernels.await?))
            }
            (Codes::Sparse(h), Codes::Sparse(o)) => {
                let transposed = TransposedInput { rows: model.inputs() as u32, inverse: model.input.inverse() };
                let upload = || (upload_sparse(gpu, &model.hidden, h, model.activation.inverse()), upload_sparse(gpu, &model.output, o, 0.0));
                Ok(Int8Gpu::Sparse(SparseGpu::with_layers(gpu, "the int8 kernels", SPARSE_SOURCE, "layer", transposed, upload).await?))
            }
            _ => Err("an int8 model stores both layers the same way".into()),
        }
    }

    /// The dense kernels' dot product (the sparse kernel multiplies one code at a time).
    pub fn dot4(&self) -> Option<Dot4> {
        match self {
            Int8Gpu::Dense(kernels) => Some(kernels.dot4),
            Int8Gpu::Sparse(_) => None,
        }
    }
}

impl GpuForward for Int8Gpu {
    type Batch = Int8Batch;

    fn inputs(&self) -> usize {
        match self {
            Int8Gpu::Dense(kernels) => kernels.inputs,
            Int8Gpu::Sparse(kernels) => kernels.inputs(),
        }
    }

    async fn prepare(&self, images: &[f32], batch: usize) -> Result<Int8Batch, String> {
        match self {
            Int8Gpu::Dense(kernels) => kernels.prepare(images, batch).await.map(Int8Batch::Dense),
            Int8Gpu::Sparse(kernels) => kernels.prepare(images, batch).await.map(Int8Batch::Sparse),
        }
    }

    fn submit(&self, batch: &Int8Batch) {
        match (self, batch) {
            (Int8Gpu::Dense(kernels), Int8Batch::Dense(batch)) => kernels.submit(batch),
            (Int8Gpu::Sparse(kernels), Int8Batch::Sparse(batch)) => kernels.submit(batch),
            _ => unreachable!("a batch is prepared by the engine it is submitted to"),
        }
    }

    async fn read(&self, batch: &Int8Batch) -> Result<Vec<f32>, String> {
        match (self, batch) {
            (Int8Gpu::Dense(kernels), Int8Batch::Dense(batch)) => kernels.read(batch).await,
            (Int8Gpu::Sparse(kernels), Int8Batch::Sparse(batch)) => kernels.read(batch).await,
            _ => unreachable!("a batch is prepared by the engine it is submitted to"),
        }
    }
}

impl DenseInt8Gpu {
    /// Uploads `images` (`[batch, inputs]`, row-major floats) for forward passes over them.
    async fn prepare(&self, images: &[f32], batch: usize) -> Result<DenseBatch, String> {
        let gpu = &self.gpu;
        let scratch = |label, bytes: u64| {
            gpu.buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.max(4),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        };
        let groups = (batch as u32).div_ceil(WORKGROUP);
        let b = batch as u64;
        let (hidden, output) = (&self.hidden, &self.output);
        checked(gpu, "preparing a batch for the int8 kernels", || {
            let input = storage(gpu, "int8 images", bytemuck::cast_slice(images), READ);
            let logits = scratch("int8 logits", 4 * b * CLASSES as u64);
            // An entry point that writes logits (or codes) still binds a buffer for the other.
            let unused = scratch("int8 unused", 16);
            let staging = gpu.buffer(&wgpu::BufferDescriptor {
                label: Some("int8 readback"),
                size: logits.size(),
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let input_codes = scratch("int8 input codes", 4 * b * u64::from(hidden.words));
            let hidden_codes = scratch("int8 hidden codes", 4 * b * u64::from(hidden.quads));
            let p = [
                layer_params(gpu, "int8 params", [batch as u32, hidden.words, self.inputs as u32], false, self.input_inverse),
                layer_params(gpu, "int8 params", [batch as u32, hidden.words, hidden.outputs], true, self.activation_inverse),
                layer_params(gpu, "int8 params", [batch as u32, output.words, output.outputs], false, 0.0),
            ];
            let layer = |l: &DenseLayer, x: &wgpu::Buffer, codes: &wgpu::Buffer, logits: &wgpu::Buffer, p: &wgpu::Buffer| {
                let group = bind(gpu, &self.layer, &[(0, &l.weights), (1, &l.rescale), (2, &l.bias), (3, x), (4, codes), (5, logits), (6, p)]);
                (group, [groups, l.quads])
            };
            let steps = [
                (bind(gpu, &self.quantize, &[(3, &input), (4, &input_codes), (6, &p[0])]), [groups, hidden.words]),
                layer(hidden, &input_codes, &hidden_codes, &unused, &p[1]),
                layer(output, &hidden_codes, &unused, &logits, &p[2]),
            ];
            let bound = [input, unused, input_codes, hidden_codes].into_iter().chain(p).collect();
            DenseBatch { batch, steps, logits, staging, _bound: bound }
        })
        .await
    }

    /// Queues one forward pass over `batch`: quantize, hidden layer, output layer, one submit.
    fn submit(&self, batch: &DenseBatch) {
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("int8 forward") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("int8 forward"), timestamp_writes: None });
            for (i, (group, [x, y])) in batch.steps.iter().enumerate() {
                pass.set_pipeline(if i == 0 { &self.quantize } else { &self.layer });
                pass.set_bind_group(0, group, &[]);
                pass.dispatch_workgroups(*x, *y, 1);
            }
        }
        self.gpu.queue.submit([encoder.finish()]);
    }

    /// Reads the last pass's logits back (`[batch, 10]`), awaiting the GPU.
    async fn read(&self, batch: &DenseBatch) -> Result<Vec<f32>, String> {
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("int8 readback") });
        encoder.copy_buffer_to_buffer(&batch.logits, 0, &batch.staging, 0, None);
        self.gpu.queue.submit([encoder.finish()]);
        read_back(&self.gpu, &batch.staging, batch.batch * CLASSES).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::gpu::naga_errors;

    #[test]
    fn naga_accepts_the_int8_kernels() {
        for dot4 in [Dot4::Packed, Dot4::Unpacked] {
            assert_eq!(naga_errors(&dense_source(dot4)), None, "{dot4:?}");
        }
        assert_eq!(naga_errors(SPARSE_SOURCE), None);
    }
}
