// Row-major images → the batch-contiguous layout the sparse layer kernel reads (sparse_layer.wgsl).

struct Params {
    // Images in the batch, and vec4 columns (batch rounded up to 4, divided by 4).
    batch: u32,
    batch4: u32,
    // Inputs per image (the transpose's row length).
    inputs: u32,
    // 1: apply ReLU (the hidden layer), 0: logits.
    relu: u32,
}

@group(0) @binding(0) var<storage, read> images: array<f32>;
@group(0) @binding(1) var<storage, read_write> images_t: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// Row-major images [batch][inputs] → batch-contiguous [inputs][batch4], zero-padded.
@compute @workgroup_size(64)
fn transpose(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let feature = id.y;
    if (column >= params.batch4) {
        return;
    }
    var v = vec4<f32>(0.0);
    for (var lane = 0u; lane < 4u; lane = lane + 1u) {
        let image = column * 4u + lane;
        if (image < params.batch) {
            v[lane] = images[image * params.inputs + feature];
        }
    }
    images_t[feature * params.batch4 + column] = v;
}
