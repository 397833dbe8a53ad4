//! What the WebGPU engines beside burn share (sparse, int8, the fused training step): burn's
//! device and queue, buffers, pipelines, error scopes and the awaited readback.

use std::borrow::Cow;

use wgpu::util::DeviceExt;

/// burn's WebGPU device and queue, shared.
#[derive(Clone, Debug)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// The browser's WGSL has `dot4I8Packed` (the packed_4x8_integer_dot_product extension).
    pub packed_dot: bool,
}

/// A storage buffer never empty (WebGPU refuses zero-sized bindings).
pub fn storage(gpu: &Gpu, label: &str, bytes: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
    let padded: Cow<[u8]> = if bytes.is_empty() { Cow::Owned(vec![0; 4]) } else { Cow::Borrowed(bytes) };
    gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: &padded, usage })
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
pub async fn read_back(staging: &wgpu::Buffer, floats: usize) -> Result<Vec<f32>, String> {
    let (done, mapped) = futures_channel::oneshot::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
        let _ = done.send(result);
    });
    mapped.await.map_err(|_| "the GPU dropped a readback".to_string())?.map_err(|e| format!("reading back failed: {e}"))?;
    let out = {
        let view = staging.slice(..).get_mapped_range().map_err(|e| format!("reading back failed: {e}"))?;
        bytemuck::cast_slice::<u8, f32>(&view)[..floats].to_vec()
    };
    staging.unmap();
    Ok(out)
}
