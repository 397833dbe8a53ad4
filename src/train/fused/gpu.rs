//! The fused training step on WebGPU (`fused.wgsl`), on the very `wgpu::Device` burn trains on:
//! seven barrier-free dispatches in one submit per step. The training images live on the device
//! as bytes (uploaded once per split); a step uploads only its batch's indices and gathers the
//! batch there. The loss is read back only when the loop asks for it. The math is
//! `src/fused/cpu.rs`'s, and both are held to burn's autodiff by the tests.

use crate::data::Split;
use crate::kernels::gpu::{Gpu, GpuBuffer, checked, pipeline, read_back, storage};
use crate::train::fused::Layout;
use crate::train::fused::adam::{BETA_1, BETA_2, Factors};

const WORKGROUP: u32 = 64;

const SOURCE: &str = include_str!("fused.wgsl");

/// The entry points of `fused.wgsl`, in step order (then the mask update).
const ENTRIES: [&str; 8] = ["gather", "forward_hidden", "forward_output", "grad_output", "grad_hidden", "grad_w1", "adam", "apply_mask"];
/// Dispatches in one step (all but the mask update).
pub const STEP_DISPATCHES: usize = 7;
const MASK: usize = 7;

/// The buffers one batch size needs, and the bind group of every entry point over them.
struct Batch {
    capacity: usize,
    indices: GpuBuffer,
    loss_rows: GpuBuffer,
    loss_staging: GpuBuffer,
    groups: Vec<wgpu::BindGroup>,
    /// The scratch buffers only the bind groups use, kept (and destroyed) with them.
    _bound: [GpuBuffer; 5],
}

pub struct FusedGpu {
    pub layout: Layout,
    gpu: Gpu,
    pipelines: Vec<wgpu::ComputePipeline>,
    weights: GpuBuffer,
    grads: GpuBuffer,
    moment1: GpuBuffer,
    moment2: GpuBuffer,
    mask: GpuBuffer,
    uniform: GpuBuffer,
    params_staging: GpuBuffer,
    /// The split's pixels (bytes, four to a word) and labels, and which split they are.
    pixels: GpuBuffer,
    labels: GpuBuffer,
    lut: GpuBuffer,
    holds: Option<(usize, usize)>,
    batch: Option<Batch>,
    time: i32,
}

fn buffer(gpu: &Gpu, label: &str, bytes: u64, usage: wgpu::BufferUsages) -> GpuBuffer {
    gpu.buffer(&wgpu::BufferDescriptor { label: Some(label), size: bytes.max(4), usage, mapped_at_creation: false })
}

impl FusedGpu {
    /// Uploads `params` (flat) with fresh Adam moments and no mask.
    pub async fn new(gpu: &Gpu, layout: Layout, params: &[f32]) -> Result<Self, String> {
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let n = layout.len();
        let init = |label, contents: &[f32]| {
            gpu.buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: bytemuck::cast_slice(contents), usage: storage })
        };
        checked(gpu, "building the fused training step", || FusedGpu {
            layout,
            pipelines: ENTRIES.iter().map(|entry| pipeline(gpu, SOURCE, entry)).collect(),
            weights: init("fused weights", params),
            grads: init("fused grads", &vec![0.0; n]),
            moment1: init("fused m", &vec![0.0; n]),
            moment2: init("fused v", &vec![0.0; n]),
            mask: init("fused mask", &vec![1.0; n]),
            uniform: buffer(gpu, "fused params", 48, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST),
            params_staging: buffer(gpu, "fused params readback", 4 * n as u64, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
            pixels: buffer(gpu, "fused pixels", 4, wgpu::BufferUsages::STORAGE),
            labels: buffer(gpu, "fused labels", 4, wgpu::BufferUsages::STORAGE),
            lut: init("fused byte to float", &(0..=255u8).map(|b| f32::from(b) / 255.0).collect::<Vec<_>>()),
            holds: None,
            batch: None,
            time: 0,
            gpu: gpu.clone(),
        })
        .await
    }

    /// Buffers and bind groups for batches of up to `size` images (kept while big enough).
    fn batch_for(&mut self, size: usize) {
        if self.batch.as_ref().is_none_or(|b| b.capacity < size) {
            let gpu = &self.gpu;
            let (inputs, hidden) = (self.layout.inputs as u64, self.layout.hidden as u64);
            let rows = size as u64;
            let scratch = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
            let x = buffer(gpu, "fused x", 4 * rows * inputs, scratch);
            let labels = buffer(gpu, "fused batch labels", 4 * rows, scratch);
            let indices = buffer(gpu, "fused indices", 4 * rows, scratch);
            let hidden_buf = buffer(gpu, "fused hidden", 4 * rows * hidden, scratch);
            let dlogits = buffer(gpu, "fused dlogits", 4 * rows * 10, scratch);
            let dhidden = buffer(gpu, "fused dhidden", 4 * rows * hidden, scratch);
            let loss_rows = buffer(gpu, "fused loss", 4 * rows, scratch);
            let loss_staging = buffer(gpu, "fused loss readback", 4 * rows, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
            let all: [(u32, &wgpu::Buffer); 16] = [
                (0, &self.weights),
                (1, &self.grads),
                (2, &self.moment1),
                (3, &self.moment2),
                (4, &self.mask),
                (5, &x),
                (6, &labels),
                (7, &hidden_buf),
                (8, &dlogits),
                (9, &dhidden),
                (10, &loss_rows),
                (11, &self.uniform),
                (12, &self.pixels),
                (13, &indices),
                (14, &self.lut),
                (15, &self.labels),
            ];
            // Each entry point binds what it uses (auto layouts stay under the 8 storage buffers
            // a stage may have by default).
            let uses: [&[u32]; 8] = [
                &[5, 6, 11, 12, 13, 14, 15],
                &[0, 5, 7, 11],
                &[0, 6, 7, 8, 10, 11],
                &[1, 7, 8, 11],
                &[0, 7, 8, 9, 11],
                &[1, 5, 9, 11],
                &[0, 1, 2, 3, 4, 11],
                &[0, 2, 3, 4, 11],
            ];
            let groups = self
                .pipelines
                .iter()
                .zip(uses)
                .map(|(pipeline, used)| {
                    let entries: Vec<wgpu::BindGroupEntry> = all
                        .iter()
                        .filter(|(i, _)| used.contains(i))
                        .map(|(i, b)| wgpu::BindGroupEntry { binding: *i, resource: b.as_entire_binding() })
                        .collect();
                    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &pipeline.get_bind_group_layout(0), entries: &entries })
                })
                .collect();
            self.batch = Some(Batch { capacity: size, indices, loss_rows, loss_staging, groups, _bound: [x, labels, hidden_buf, dlogits, dhidden] });
        }
    }

    fn write_uniform(&self, batch: usize, lr: f32, factors: Factors) {
        let Layout { inputs, hidden } = self.layout;
        let u = [batch as u32, inputs as u32, hidden as u32, self.layout.len() as u32];
        let f = [lr, factors.combined, factors.epsilon, 1.0 / batch.max(1) as f32, BETA_1, BETA_2, 1.0 - BETA_1, 1.0 - BETA_2];
        let mut bytes = Vec::with_capacity(48);
        u.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
        f.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
        self.gpu.queue.write_buffer(&self.uniform, 0, &bytes);
    }

    /// Workgroups of each entry point for `batch` images.
    fn dispatches(&self, batch: usize) -> [[u32; 2]; 8] {
        let Layout { inputs, hidden } = self.layout;
        let (b, h, n) = (batch as u32, hidden as u32, self.layout.len() as u32);
        let units = h.div_ceil(WORKGROUP);
        [
            [(inputs as u32).div_ceil(WORKGROUP), b],
            [units, b.div_ceil(4)],
            [b.div_ceil(WORKGROUP), 1],
            [((h + 1) * 10).div_ceil(WORKGROUP), 1],
            [units, b],
            [units, (inputs as u32 + 1).div_ceil(4)],
            [n.div_ceil(WORKGROUP), 1],
            [n.div_ceil(WORKGROUP), 1],
        ]
    }

    /// Puts `split`'s images (as bytes) and labels on the device, unless they are there already.
    fn hold(&mut self, split: &Split) {
        let key = (split.pixels.as_ptr() as usize, split.len());
        if self.holds == Some(key) {
            return;
        }
        let read = wgpu::BufferUsages::STORAGE;
        self.pixels = storage(&self.gpu, "fused pixels", &split.pixels, read);
        let labels: Vec<u32> = split.labels.iter().map(|&l| u32::from(l)).collect();
        self.labels = storage(&self.gpu, "fused labels", bytemuck::cast_slice(&labels), read);
        self.holds = Some(key);
        // The bind groups name the old buffers.
        self.batch = None;
    }

    /// Counts a step and queues its inputs: the uniform (this step's Adam factors) and the
    /// batch's indices into the split held. Returns the workgroups of each entry point.
    fn upload(&mut self, split: &Split, indices: &[usize], lr: f32) -> [[u32; 2]; 8] {
        self.hold(split);
        let size = indices.len();
        self.time += 1;
        self.write_uniform(size, lr, Factors::at(self.time));
        self.batch_for(size);
        let batch = self.batch.as_ref().expect("made above");
        let indices: Vec<u32> = indices.iter().map(|&i| i as u32).collect();
        self.gpu.queue.write_buffer(&batch.indices, 0, bytemuck::cast_slice(&indices));
        self.dispatches(size)
    }

    /// One step on the images `indices` of `split`; the batch's mean loss when `read_loss`.
    pub async fn step(&mut self, split: &Split, indices: &[usize], lr: f32, read_loss: bool) -> Result<Option<f32>, String> {
        let size = indices.len();
        let dispatches = self.upload(split, indices, lr);
        let (gpu, pipelines, batch) = (&self.gpu, &self.pipelines, self.batch.as_ref().expect("made by upload"));
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused step") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("fused step"), timestamp_writes: None });
            for k in 0..STEP_DISPATCHES {
                pass.set_pipeline(&pipelines[k]);
                pass.set_bind_group(0, &batch.groups[k], &[]);
                pass.dispatch_workgroups(dispatches[k][0], dispatches[k][1], 1);
            }
        }
        if read_loss {
            encoder.copy_buffer_to_buffer(&batch.loss_rows, 0, &batch.loss_staging, 0, Some(4 * size as u64));
        }
        gpu.queue.submit([encoder.finish()]);
        if !read_loss {
            return Ok(None);
        }
        let rows = read_back(gpu, &batch.loss_staging, size).await?;
        Ok(Some(rows.iter().sum::<f32>() / size as f32))
    }

    /// One step with a GPU timestamp around each dispatch (each in its own compute pass):
    /// milliseconds per kernel, in step order. Needs the `timestamp-query` feature, which burn's
    /// WebGPU runtime requires anyway. The step counts (the weights move).
    pub async fn profile(&mut self, split: &Split, indices: &[usize], lr: f32) -> Result<Vec<(&'static str, f64)>, String> {
        if !self.gpu.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return Err("this device has no timestamp queries".into());
        }
        let dispatches = self.upload(split, indices, lr);
        let (gpu, pipelines, batch) = (&self.gpu, &self.pipelines, self.batch.as_ref().expect("made by upload"));
        let count = 2 * STEP_DISPATCHES as u32;
        let queries = gpu.device.create_query_set(&wgpu::QuerySetDescriptor { label: Some("fused profile"), ty: wgpu::QueryType::Timestamp, count });
        let resolved = buffer(gpu, "fused profile", 8 * u64::from(count), wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let staging = buffer(gpu, "fused profile readback", 8 * u64::from(count), wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused profile") });
        for k in 0..STEP_DISPATCHES {
            let writes = wgpu::ComputePassTimestampWrites {
                query_set: &queries,
                beginning_of_pass_write_index: Some(2 * k as u32),
                end_of_pass_write_index: Some(2 * k as u32 + 1),
            };
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(ENTRIES[k]), timestamp_writes: Some(writes) });
            pass.set_pipeline(&pipelines[k]);
            pass.set_bind_group(0, &batch.groups[k], &[]);
            pass.dispatch_workgroups(dispatches[k][0], dispatches[k][1], 1);
        }
        encoder.resolve_query_set(&queries, 0..count, &resolved, 0);
        encoder.copy_buffer_to_buffer(&resolved, 0, &staging, 0, None);
        gpu.queue.submit([encoder.finish()]);
        let (done, mapped) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
            let _ = done.send(result);
        });
        gpu.settle();
        mapped.await.map_err(|_| "the GPU dropped the profile".to_string())?.map_err(|e| format!("reading the profile back failed: {e}"))?;
        let ticks: Vec<u64> = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| format!("reading the profile back failed: {e}"))?;
            bytemuck::cast_slice::<u8, u64>(&view).to_vec()
        };
        staging.unmap();
        let period_ns = f64::from(gpu.queue.get_timestamp_period());
        Ok((0..STEP_DISPATCHES).map(|k| (ENTRIES[k], ticks[2 * k + 1].saturating_sub(ticks[2 * k]) as f64 * period_ns / 1e6)).collect())
    }

    /// The flat parameters, read back (awaits every step queued before).
    pub async fn params(&mut self) -> Result<Vec<f32>, String> {
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused params readback") });
        encoder.copy_buffer_to_buffer(&self.weights, 0, &self.params_staging, 0, None);
        self.gpu.queue.submit([encoder.finish()]);
        read_back(&self.gpu, &self.params_staging, self.layout.len()).await
    }

    /// Prunes with `mask` (flat 0/1) from now on; zeroes the pruned weights and their moments.
    pub fn set_mask(&mut self, mask: &[f32]) {
        self.gpu.queue.write_buffer(&self.mask, 0, bytemuck::cast_slice(mask));
        // The kernel reads the parameter count from the uniform, which may not be written yet.
        self.write_uniform(1, 0.0, Factors::at(self.time.max(1)));
        let dispatches = self.dispatches(1);
        self.batch_for(1);
        let batch = self.batch.as_ref().expect("made above");
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused mask") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("fused mask"), timestamp_writes: None });
            pass.set_pipeline(&self.pipelines[MASK]);
            pass.set_bind_group(0, &batch.groups[MASK], &[]);
            pass.dispatch_workgroups(dispatches[MASK][0], dispatches[MASK][1], 1);
        }
        self.gpu.queue.submit([encoder.finish()]);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn naga_accepts_the_fused_step() {
        assert_eq!(crate::kernels::gpu::naga_errors(super::SOURCE), None);
    }
}
