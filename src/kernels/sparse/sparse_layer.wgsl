// The pruned MLP's sparse kernels on WebGPU, after the CSR prelude (csr.wgsl). Barrier-free:
// each invocation owns four batch columns (one vec4) of one output unit and loops over that
// unit's non-zeros; no shared memory, no workgroupBarrier (software adapters execute barriers
// very slowly).
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

@group(0) @binding(2) var<storage, read> row_values: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(6) var<uniform> params: Params;
// The transpose's own: the batch as the page holds it, and the layer's input `x` it becomes.
@group(0) @binding(7) var<storage, read> images: array<f32>;
@group(0) @binding(8) var<storage, read_write> images_t: array<vec4<f32>>;

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
        acc = acc + row_values[k] * x[row_input(k) * params.batch4 + column];
    }
    if (params.relu != 0u) {
        acc = max(acc, vec4<f32>(0.0));
    }
    y[unit * params.batch4 + column] = acc;
}

// Row-major images [batch][inputs] → batch-contiguous [inputs][batch4], zero-padded.
@compute @workgroup_size(64)
fn transpose(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let feature = id.y;
    if (column >= params.batch4) {
        return;
    }
    images_t[feature * params.batch4 + column] = image_column(column, feature, params.inputs);
}
