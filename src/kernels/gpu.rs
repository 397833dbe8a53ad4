//! Our own GPU kernels beside burn's (the fused training step, sparse, int8), in WGSL on burn's
//! wgpu device: WebGPU in the browser, Vulkan, Metal or DX12 natively. What they share is here:
//! burn's device and queue, buffers, pipelines, error scopes and the awaited readback.

use std::borrow::Cow;
use std::future::Future;

use wgpu::util::DeviceExt;

use crate::data::Split;
use crate::measure::latency::BatchTimings;
use crate::measure::latency::{Clock, Passes, Protocol, batch_of, time};
use crate::model::CLASSES;

/// The WebGPU device and queue our kernels run on: burn's, shared, or one of their own where
/// burn's runtime cannot start (an adapter without `timestamp-query`).
#[derive(Clone, Debug)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// The browser's WGSL has `dot4I8Packed` (the packed_4x8_integer_dot_product extension).
    pub packed_dot: bool,
}

/// A GPU buffer destroyed when it is dropped. wgpu's WebGPU backend leaves `GPUBuffer.destroy()`
/// to its caller (dropping a `wgpu::Buffer` there does nothing), so a dropped buffer would hold its
/// GPU memory until the JavaScript collector happened to find it, and repeated runs in one page
/// would pile them up by the thousand.
#[derive(Debug)]
pub struct GpuBuffer(wgpu::Buffer);

impl std::ops::Deref for GpuBuffer {
    type Target = wgpu::Buffer;
    fn deref(&self) -> &wgpu::Buffer {
        &self.0
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        // Work already submitted that uses it still completes (WebGPU defers the release).
        self.0.destroy();
    }
}

impl Gpu {
    /// The device and queue burn's wgpu runtime was started with.
    pub fn from_setup(setup: &burn::tensor::wgpu::WgpuSetup) -> Self {
        Gpu::new(&setup.instance, setup.device.clone(), setup.queue.clone())
    }

    /// A device and queue of `instance`, and whether its WGSL has packed int8 dot products.
    pub fn new(instance: &wgpu::Instance, device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let packed_dot = instance.wgsl_language_features().contains(wgpu::WgslLanguageFeatures::Packed4x8IntegerDotProduct);
        Gpu { device, queue, packed_dot }
    }

    pub fn buffer(&self, descriptor: &wgpu::BufferDescriptor) -> GpuBuffer {
        GpuBuffer(self.device.create_buffer(descriptor))
    }

    /// Natively (Vulkan, Metal, DX12: the benchmark) a mapping completes only while the device
    /// is polled, so this waits for the queue; in the browser the event loop completes it.
    pub fn settle(&self) {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }

    pub fn buffer_init(&self, descriptor: &wgpu::util::BufferInitDescriptor) -> GpuBuffer {
        GpuBuffer(self.device.create_buffer_init(descriptor))
    }
}

/// A storage buffer never empty (WebGPU refuses zero-sized bindings).
pub fn storage(gpu: &Gpu, label: &str, bytes: &[u8], usage: wgpu::BufferUsages) -> GpuBuffer {
    let padded: Cow<[u8]> = if bytes.is_empty() { Cow::Owned(vec![0; 4]) } else { Cow::Borrowed(bytes) };
    gpu.buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: &padded, usage })
}

/// A layer kernel's `Params` uniform, as the sparse and int8 kernels declare it: the batch, a
/// count of its own, another count, ReLU on or off, then `inverse` (1 / scale of the codes the
/// dispatch writes), padded to 32 bytes.
pub fn layer_params(gpu: &Gpu, label: &str, [batch, second, count]: [u32; 3], relu: bool, inverse: f32) -> GpuBuffer {
    let words = [batch, second, count, u32::from(relu), inverse.to_bits(), 0, 0, 0];
    gpu.buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: bytemuck::cast_slice(&words), usage: wgpu::BufferUsages::UNIFORM })
}

pub fn pipeline(gpu: &Gpu, source: &str, entry_point: &str) -> wgpu::ComputePipeline {
    let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(entry_point), source: wgpu::ShaderSource::Wgsl(source.into()) });
    gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry_point),
        layout: None,
        module: &module,
        entry_point: Some(entry_point),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// A bind group for `pipeline`'s group 0: each buffer at its binding.
pub fn bind(gpu: &Gpu, pipeline: &wgpu::ComputePipeline, buffers: &[(u32, &wgpu::Buffer)]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers.iter().map(|(i, b)| wgpu::BindGroupEntry { binding: *i, resource: b.as_entire_binding() }).collect();
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &pipeline.get_bind_group_layout(0), entries: &entries })
}

/// Runs `make` inside a validation error scope, so a WebGPU error is a message, not a panic.
pub async fn checked<T>(gpu: &Gpu, what: &str, make: impl FnOnce() -> T) -> Result<T, String> {
    let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let made = make();
    match scope.pop().await {
        Some(error) => Err(format!("{what} failed on WebGPU: {error}")),
        None => Ok(made),
    }
}

/// Maps `staging` (already copied into) and returns its first `floats` f32s; awaiting it waits for
/// every submit before it, since the queue runs in order.
pub async fn read_back(gpu: &Gpu, staging: &wgpu::Buffer, floats: usize) -> Result<Vec<f32>, String> {
    let (done, mapped) = futures_channel::oneshot::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
        let _ = done.send(result);
    });
    gpu.settle();
    mapped.await.map_err(|_| "the GPU dropped a readback".to_string())?.map_err(|e| format!("reading back failed: {e}"))?;
    let out = {
        let view = staging.slice(..).get_mapped_range().map_err(|e| format!("reading back failed: {e}"))?;
        bytemuck::cast_slice::<u8, f32>(&view)[..floats].to_vec()
    };
    staging.unmap();
    Ok(out)
}

/// A model's forward pass on the GPU: upload a batch, queue passes over it, read its logits
/// (`[batch, 10]`) back. The sparse and int8 engines are this; the checks and the latency
/// protocol are written once here.
pub trait GpuForward: Sized {
    type Batch;
    /// Inputs per image.
    fn inputs(&self) -> usize;
    /// Uploads `images` (`[batch, inputs]`, row-major) for passes over them.
    fn prepare(&self, images: &[f32], batch: usize) -> impl Future<Output = Result<Self::Batch, String>>;
    /// Queues one forward pass (one submit).
    fn submit(&self, batch: &Self::Batch);
    /// The last pass's logits, awaited (the queue runs in order, so after every pass before it).
    fn read(&self, batch: &Self::Batch) -> impl Future<Output = Result<Vec<f32>, String>>;

    /// Logits of every image of `images`, in batches of at most `chunk` (for the checks against
    /// the CPU). Each batch is made into floats on its own: all 10,000 test images at once would be
    /// 31 MB of wasm memory, which the allocator cannot always find in one piece again.
    fn logits(&self, images: &Split, chunk: usize) -> impl Future<Output = Result<Vec<f32>, String>> {
        async move {
            let mut out = Vec::with_capacity(images.len() * CLASSES);
            let all: Vec<usize> = (0..images.len()).collect();
            for indices in all.chunks(chunk.max(1)) {
                let batch = self.prepare(&images.inputs(indices), indices.len()).await?;
                self.submit(&batch);
                out.extend(self.read(&batch).await?);
            }
            Ok(out)
        }
    }

    /// Batch 1 and batch 1024 latency on the test images every engine is timed on: K submitted
    /// passes, then one awaited readback, under the latency protocol.
    fn timings(&self, images: &Split, protocol: Protocol, clock: &impl Clock) -> impl Future<Output = Result<BatchTimings, String>> {
        async move {
            let at = |size: usize| async move {
                let batch = self.prepare(&batch_of(images, size), size).await?;
                time(&mut GpuPasses { engine: self, batch }, protocol, clock).await
            };
            Ok(BatchTimings { b1: at(1).await?, b1024: at(1024).await? })
        }
    }
}

/// An engine on one uploaded batch, as the latency protocol drives it.
struct GpuPasses<'a, E: GpuForward> {
    engine: &'a E,
    batch: E::Batch,
}

impl<E: GpuForward> Passes for GpuPasses<'_, E> {
    async fn passes(&mut self, k: usize) -> Result<(), String> {
        for _ in 0..k {
            self.engine.submit(&self.batch);
        }
        self.engine.read(&self.batch).await.map(|_| ())
    }
}

/// What naga (wgpu's WGSL front end and validator, Firefox's too) finds wrong with `source`; the
/// kernels' tests run every shader the engine builds through it, natively and with no GPU.
#[cfg(test)]
pub(crate) fn naga_errors(source: &str) -> Option<String> {
    let module = match naga::front::wgsl::parse_str(source) {
        Ok(module) => module,
        Err(e) => return Some(e.emit_to_string(source)),
    };
    let mut validator = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default());
    validator.validate(&module).err().map(|e| format!("{e:?}"))
}
