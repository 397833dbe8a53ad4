//! The sparse model on WebGPU: two WGSL compute pipelines (`csr.wgsl`'s `transpose` and
//! `sparse_layer.wgsl`'s `layer`) on the very `wgpu::Device` burn trains on (cubecl hands it out
//! through `WgpuSetup`). The pattern kernels (`kernels::pattern::gpu`) and the pruned int8 model
//! (`kernels::int8::gpu`) run here too, each with a layer kernel of its own.
//!
//! Why raw WGSL rather than a cubecl `#[cube]` kernel through burn's backend extension: the
//! kernel is 20 lines whose point is its exact shape (barrier-free, one vec4 of batch columns
//! per invocation, u16 indices packed two to a u32), its buffers are the sparse layout's own
//! and never burn tensors, and its timing must end in our own awaited readback. A compute
//! pipeline states all of that directly; a cube kernel would add a code generator between us and
//! the shader we want to measure.

use crate::kernels::gpu::{Gpu, GpuBuffer, GpuForward, bind, checked, layer_params, pipeline, read_back, storage};
use crate::kernels::sparse::{SparseLayer, SparseMlp};
use crate::model::CLASSES;

/// The CSR prelude (with the transpose) and the float layer kernel.
pub(crate) const SOURCE: &str = concat!(include_str!("csr.wgsl"), include_str!("sparse_layer.wgsl"));

/// Invocations per workgroup; each handles 4 batch columns.
const WORKGROUP: u32 = 64;

/// One layer's buffers on the GPU, each at its binding, and the shape of its dispatch.
pub(crate) struct GpuLayer {
    pub buffers: Vec<(u32, GpuBuffer)>,
    /// Invocation rows: one per output unit (CSR), per group of units (blocks).
    pub dispatch_rows: u32,
    /// Rows of the layer's output, padded where the next layer reads whole blocks or runs (the
    /// padding stays zero: WebGPU zeroes new buffers and no kernel writes past its units).
    pub output_rows: u32,
    /// The layer's real inputs (the kernel's `params.inputs`).
    pub inputs: u32,
    /// 1 / scale of the codes the layer writes (the kernel's `params.inverse`; int8 only).
    pub inverse: f32,
}

/// What the transpose makes of the images: their rows, padded to what the first layer reads, and
/// 1 / scale of the codes it writes (int8 only).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TransposedInput {
    pub rows: u32,
    pub inverse: f32,
}

/// A pruned model's kernels uploaded once, and the two pipelines: the transpose and one layer
/// kernel (CSR here; block-CSR or N:M for `kernels::pattern`, int8 CSR for `kernels::int8`),
/// which both layers run.
pub struct SparseGpu {
    gpu: Gpu,
    transpose: wgpu::ComputePipeline,
    layer: wgpu::ComputePipeline,
    hidden: GpuLayer,
    output: GpuLayer,
    inputs: usize,
    transposed: TransposedInput,
}

/// One batch of images uploaded, with the buffers and bindings of a forward pass over it.
pub struct GpuBatch {
    batch: usize,
    batch4: u32,
    transpose: wgpu::BindGroup,
    hidden: wgpu::BindGroup,
    output: wgpu::BindGroup,
    logits: GpuBuffer,
    staging: GpuBuffer,
    /// The input, scratch and parameter buffers only the bind groups use, kept (and destroyed)
    /// with them.
    _bound: Vec<GpuBuffer>,
}

fn upload(gpu: &Gpu, layer: &SparseLayer) -> GpuLayer {
    let read = wgpu::BufferUsages::STORAGE;
    GpuLayer {
        buffers: vec![
            (0, storage(gpu, "sparse row_ptr", bytemuck::cast_slice(&layer.row_ptr), read)),
            (1, storage(gpu, "sparse row_inputs", bytemuck::cast_slice(&layer.packed_row_inputs()), read)),
            (2, storage(gpu, "sparse row_values", bytemuck::cast_slice(&layer.row_values), read)),
            (3, storage(gpu, "sparse bias", bytemuck::cast_slice(&layer.bias), read)),
        ],
        dispatch_rows: layer.outputs as u32,
        output_rows: layer.outputs as u32,
        inputs: layer.inputs as u32,
        inverse: 0.0,
    }
}

impl SparseGpu {
    pub async fn new(gpu: &Gpu, model: &SparseMlp) -> Result<Self, String> {
        let transposed = TransposedInput { rows: model.inputs() as u32, inverse: 0.0 };
        Self::with_layers(gpu, "the sparse kernels", SOURCE, "layer", transposed, || (upload(gpu, &model.hidden), upload(gpu, &model.output))).await
    }

    /// `source`'s transpose (csr.wgsl's) and its `entry` as the layer kernel, on the layers
    /// `upload` makes (inside the same error scope).
    pub(crate) async fn with_layers(
        gpu: &Gpu,
        what: &str,
        source: &str,
        entry: &str,
        transposed: TransposedInput,
        upload: impl FnOnce() -> (GpuLayer, GpuLayer),
    ) -> Result<Self, String> {
        checked(gpu, &format!("building {what}"), || {
            let (hidden, output) = upload();
            SparseGpu {
                transpose: pipeline(gpu, source, "transpose"),
                layer: pipeline(gpu, source, entry),
                inputs: hidden.inputs as usize,
                transposed,
                hidden,
                output,
                gpu: gpu.clone(),
            }
        })
        .await
    }
}

impl GpuForward for SparseGpu {
    type Batch = GpuBatch;

    fn inputs(&self) -> usize {
        self.inputs
    }

    /// Uploads `images` (`[batch, inputs]`, row-major) for forward passes over them.
    async fn prepare(&self, images: &[f32], batch: usize) -> Result<GpuBatch, String> {
        let gpu = &self.gpu;
        let batch4 = batch.div_ceil(4) as u32;
        let columns = u64::from(batch4) * 16;
        let scratch = |label, units: u32| {
            gpu.buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: columns * u64::from(units.max(1)),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        };
        checked(gpu, "preparing a batch for the sparse kernels", || {
            let input = storage(gpu, "sparse images", bytemuck::cast_slice(images), wgpu::BufferUsages::STORAGE);
            let transposed = scratch("sparse images_t", self.transposed.rows);
            let hidden = scratch("sparse hidden", self.hidden.output_rows);
            let logits = scratch("sparse logits", self.output.output_rows);
            let staging = gpu.buffer(&wgpu::BufferDescriptor {
                label: Some("sparse readback"),
                size: logits.size(),
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let params = [
                layer_params(gpu, "sparse params", [batch as u32, batch4, self.inputs as u32], false, self.transposed.inverse),
                layer_params(gpu, "sparse params", [batch as u32, batch4, self.hidden.inputs], true, self.hidden.inverse),
                layer_params(gpu, "sparse params", [batch as u32, batch4, self.output.inputs], false, self.output.inverse),
            ];
            let layer = |l: &GpuLayer, x: &wgpu::Buffer, y: &wgpu::Buffer, params: &wgpu::Buffer| {
                let own = l.buffers.iter().map(|(binding, buffer)| (*binding, &**buffer));
                bind(gpu, &self.layer, &own.chain([(4, x), (5, y), (6, params)]).collect::<Vec<_>>())
            };
            let transpose = bind(gpu, &self.transpose, &[(7, &input), (8, &transposed), (6, &params[0])]);
            let hidden_group = layer(&self.hidden, &transposed, &hidden, &params[1]);
            let output = layer(&self.output, &hidden, &logits, &params[2]);
            let [transpose_params, hidden_params, output_params] = params;
            GpuBatch {
                batch,
                batch4,
                transpose,
                hidden: hidden_group,
                output,
                logits,
                staging,
                _bound: vec![input, transposed, hidden, transpose_params, hidden_params, output_params],
            }
        })
        .await
    }

    /// Queues one forward pass over `batch`: transpose, hidden layer, output layer, in one submit.
    fn submit(&self, batch: &GpuBatch) {
        let groups = batch.batch4.div_ceil(WORKGROUP);
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sparse forward") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("sparse forward"), timestamp_writes: None });
            pass.set_pipeline(&self.transpose);
            pass.set_bind_group(0, &batch.transpose, &[]);
            pass.dispatch_workgroups(groups, self.inputs as u32, 1);
            pass.set_pipeline(&self.layer);
            pass.set_bind_group(0, &batch.hidden, &[]);
            pass.dispatch_workgroups(groups, self.hidden.dispatch_rows, 1);
            pass.set_bind_group(0, &batch.output, &[]);
            pass.dispatch_workgroups(groups, self.output.dispatch_rows, 1);
        }
        self.gpu.queue.submit([encoder.finish()]);
    }

    /// Reads the last pass's logits back (`[batch, 10]`), awaiting the GPU: the queue runs in
    /// order, so this waits for every pass submitted before it.
    async fn read(&self, batch: &GpuBatch) -> Result<Vec<f32>, String> {
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sparse readback") });
        encoder.copy_buffer_to_buffer(&batch.logits, 0, &batch.staging, 0, None);
        self.gpu.queue.submit([encoder.finish()]);
        // The logits come back as [class][batch4 × 4]; the page wants [image][class].
        let stride = batch.batch4 as usize * 4;
        let by_class = read_back(&self.gpu, &batch.staging, stride * CLASSES).await?;
        Ok((0..batch.batch).flat_map(|image| (0..CLASSES).map(move |class| (image, class))).map(|(image, class)| by_class[class * stride + image]).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn naga_accepts_the_sparse_kernels() {
        assert_eq!(crate::kernels::gpu::naga_errors(super::SOURCE), None);
    }
}
