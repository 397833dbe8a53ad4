//! The fused training step on WebGPU (`fused.wgsl`), on the very `wgpu::Device` burn trains on:
//! six barrier-free dispatches in one submit per step, the batch uploaded with
//! `queue.write_buffer`, the loss read back only when the loop asks for it. The math is
//! `src/fused/cpu.rs`'s, and both are held to burn's autodiff by the tests.

use wgpu::util::DeviceExt;

use super::gpu::{Gpu, checked, pipeline, read_back};
use crate::fused::Layout;
use crate::fused::adam::{BETA_1, BETA_2, Factors};

const WORKGROUP: u32 = 64;

/// The entry points of `fused.wgsl`, in step order (then the mask update).
const ENTRIES: [&str; 7] = ["forward_hidden", "forward_output", "grad_output", "grad_hidden", "grad_w1", "adam", "apply_mask"];

/// The buffers one batch size needs, and the bind group of every entry point over them.
struct Batch {
    capacity: usize,
    x: wgpu::Buffer,
    labels: wgpu::Buffer,
    loss_rows: wgpu::Buffer,
    loss_staging: wgpu::Buffer,
    groups: Vec<wgpu::BindGroup>,
}

pub struct FusedGpu {
    pub layout: Layout,
    gpu: Gpu,
    pipelines: Vec<wgpu::ComputePipeline>,
    weights: wgpu::Buffer,
    grads: wgpu::Buffer,
    moment1: wgpu::Buffer,
    moment2: wgpu::Buffer,
    mask: wgpu::Buffer,
    uniform: wgpu::Buffer,
    params_staging: wgpu::Buffer,
    batch: Option<Batch>,
    time: i32,
}

fn buffer(gpu: &Gpu, label: &str, bytes: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
    gpu.device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: bytes.max(4), usage, mapped_at_creation: false })
}

impl FusedGpu {
    /// Uploads `params` (flat) with fresh Adam moments and no mask.
    pub async fn new(gpu: &Gpu, layout: Layout, params: &[f32]) -> Result<Self, String> {
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let n = layout.len();
        let init = |label, contents: &[f32]| {
            gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: bytemuck::cast_slice(contents), usage: storage })
        };
        checked(gpu, "building the fused training step", || FusedGpu {
            layout,
            pipelines: ENTRIES.iter().map(|entry| pipeline(gpu, include_str!("fused.wgsl"), entry)).collect(),
            weights: init("fused weights", params),
            grads: init("fused grads", &vec![0.0; n]),
            moment1: init("fused m", &vec![0.0; n]),
            moment2: init("fused v", &vec![0.0; n]),
            mask: init("fused mask", &vec![1.0; n]),
            uniform: buffer(gpu, "fused params", 48, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST),
            params_staging: buffer(gpu, "fused params readback", 4 * n as u64, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
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
            let labels = buffer(gpu, "fused labels", 4 * rows, scratch);
            let hidden_buf = buffer(gpu, "fused hidden", 4 * rows * hidden, scratch);
            let dlogits = buffer(gpu, "fused dlogits", 4 * rows * 10, scratch);
            let dhidden = buffer(gpu, "fused dhidden", 4 * rows * hidden, scratch);
            let loss_rows = buffer(gpu, "fused loss", 4 * rows, scratch);
            let loss_staging = buffer(gpu, "fused loss readback", 4 * rows, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
            let all: [(u32, &wgpu::Buffer); 12] = [
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
            ];
            // Each entry point binds what it uses (auto layouts stay under the 8 storage buffers
            // a stage may have by default).
            let uses: [&[u32]; 7] =
                [&[0, 5, 7, 11], &[0, 6, 7, 8, 10, 11], &[1, 7, 8, 11], &[0, 7, 8, 9, 11], &[1, 5, 9, 11], &[0, 1, 2, 3, 4, 11], &[0, 2, 3, 4, 11]];
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
            self.batch = Some(Batch { capacity: size, x, labels, loss_rows, loss_staging, groups });
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
    fn dispatches(&self, batch: usize) -> [[u32; 2]; 7] {
        let Layout { inputs, hidden } = self.layout;
        let (b, h, n) = (batch as u32, hidden as u32, self.layout.len() as u32);
        let units = h.div_ceil(WORKGROUP);
        [
            [units, b.div_ceil(4)],
            [b.div_ceil(WORKGROUP), 1],
            [((h + 1) * 10).div_ceil(WORKGROUP), 1],
            [units, b],
            [units, (inputs as u32 + 1).div_ceil(4)],
            [n.div_ceil(WORKGROUP), 1],
            [n.div_ceil(WORKGROUP), 1],
        ]
    }

    /// Counts a step and queues its inputs: the uniform (this step's Adam factors), the images and
    /// labels. Returns the workgroups of each entry point.
    fn upload(&mut self, images: &[f32], labels: &[i32], lr: f32) -> [[u32; 2]; 7] {
        let size = labels.len();
        self.time += 1;
        self.write_uniform(size, lr, Factors::at(self.time));
        self.batch_for(size);
        let batch = self.batch.as_ref().expect("made above");
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        self.gpu.queue.write_buffer(&batch.x, 0, bytemuck::cast_slice(images));
        self.gpu.queue.write_buffer(&batch.labels, 0, bytemuck::cast_slice(&labels));
        self.dispatches(size)
    }

    /// One step on `images` (`[batch, inputs]`); the batch's mean loss when `read_loss`.
    pub async fn step(&mut self, images: &[f32], labels: &[i32], lr: f32, read_loss: bool) -> Result<Option<f32>, String> {
        let size = labels.len();
        let dispatches = self.upload(images, labels, lr);
        let (gpu, pipelines, batch) = (&self.gpu, &self.pipelines, self.batch.as_ref().expect("made by upload"));
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused step") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("fused step"), timestamp_writes: None });
            for k in 0..6 {
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
        let rows = read_back(&batch.loss_staging, size).await?;
        Ok(Some(rows.iter().sum::<f32>() / size as f32))
    }

    /// One step with a GPU timestamp around each dispatch (each in its own compute pass):
    /// milliseconds per kernel, in step order. Needs the `timestamp-query` feature, which burn's
    /// WebGPU runtime requires anyway. The step counts (the weights move).
    pub async fn profile(&mut self, images: &[f32], labels: &[i32], lr: f32) -> Result<Vec<(&'static str, f64)>, String> {
        if !self.gpu.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return Err("this device has no timestamp queries".into());
        }
        let dispatches = self.upload(images, labels, lr);
        let (gpu, pipelines, batch) = (&self.gpu, &self.pipelines, self.batch.as_ref().expect("made by upload"));
        let queries = gpu.device.create_query_set(&wgpu::QuerySetDescriptor { label: Some("fused profile"), ty: wgpu::QueryType::Timestamp, count: 12 });
        let resolved = buffer(gpu, "fused profile", 96, wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let staging = buffer(gpu, "fused profile readback", 96, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused profile") });
        for k in 0..6 {
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
        encoder.resolve_query_set(&queries, 0..12, &resolved, 0);
        encoder.copy_buffer_to_buffer(&resolved, 0, &staging, 0, None);
        gpu.queue.submit([encoder.finish()]);
        let (done, mapped) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
            let _ = done.send(result);
        });
        mapped.await.map_err(|_| "the GPU dropped the profile".to_string())?.map_err(|e| format!("reading the profile back failed: {e}"))?;
        let ticks: Vec<u64> = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| format!("reading the profile back failed: {e}"))?;
            bytemuck::cast_slice::<u8, u64>(&view).to_vec()
        };
        staging.unmap();
        let period_ns = f64::from(gpu.queue.get_timestamp_period());
        Ok((0..6).map(|k| (ENTRIES[k], ticks[2 * k + 1].saturating_sub(ticks[2 * k]) as f64 * period_ns / 1e6)).collect())
    }

    /// The flat parameters, read back (awaits every step queued before).
    pub async fn params(&mut self) -> Result<Vec<f32>, String> {
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fused params readback") });
        encoder.copy_buffer_to_buffer(&self.weights, 0, &self.params_staging, 0, None);
        self.gpu.queue.submit([encoder.finish()]);
        read_back(&self.params_staging, self.layout.len()).await
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
            pass.set_pipeline(&self.pipelines[6]);
            pass.set_bind_group(0, &batch.groups[6], &[]);
            pass.dispatch_workgroups(dispatches[6][0], dispatches[6][1], 1);
        }
        self.gpu.queue.submit([encoder.finish()]);
    }
}
