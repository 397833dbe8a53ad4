// The pruned MLP's sparse kernels on WebGPU. Barrier-free: each invocation owns four batch
// columns (one vec4) of one output unit and loops over that unit's non-zeros; no shared memory,
// no workgroupBarrier (software adapters execute barriers very slowly).
//
// Activations are batch-contiguous: x[input][batch4] and y[unit][batch4] as vec4<f32>, so a
// workgroup's 64 invocations read 64 consecutive vec4 of the same input row (coalesced), and
// layer 1's output is layer 2's input as it is.

struct Params {
    // Images in the batch, and vec4 columns (batch rounded up to 4, divided by 4).
    batch: u32,
    batch4: u32,
    // Inputs per image (the transpose's row length).
    inputs: u32,
    // 1: apply ReLU (the hidden layer), 0: logits.
    relu: u32,
}

@group(0) @binding(0) var<storage, read> row_ptr: array<u32>;
// u16 input indices, two per u32 (WGSL has no 16-bit integers); the even index in the low half.
@group(0) @binding(1) var<storage, read> row_inputs: array<u32>;
@group(0) @binding(2) var<storage, read> row_values: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(6) var<uniform> params: Params;

// One unit (workgroup id y) for 64 × 4 batch columns (invocation x).
@compute @workgroup_size(64)
fn layer(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let unit = id.y;
    if (column >= params.batch4) {
        return;
    }
    var acc = vec4<f32>(bias[unit]);
    let end = row_ptr[unit + 1u];
    for (var k = row_ptr[unit]; k < end; k = k + 1u) {
        let feature = (row_inputs[k >> 1u] >> ((k & 1u) * 16u)) & 0xffffu;
        acc = acc + row_values[k] * x[feature * params.batch4 + column];
    }
    if (params.relu != 0u) {
        acc = max(acc, vec4<f32>(0.0));
    }
    y[unit * params.batch4 + column] = acc;
}
