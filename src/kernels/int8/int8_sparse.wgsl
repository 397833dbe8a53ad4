// The pruned int8 model on WebGPU, after the CSR prelude (../sparse/csr.wgsl): the sparse kernels' shape (sparse_layer.wgsl: barrier-free,
// one output unit per workgroup row, four batch columns per invocation, looping over the unit's
// non-zeros) with the int8 engine's arithmetic (src/quant): i32 sums of code × code, float bias
// and rescale, ReLU and requantization (round half to even) fused, float logits.
//
// Codes are batch-contiguous vec4<i32> (x[input][batch4]), so layer 1's output is layer 2's
// input as it is; the kernels' int8 codes are packed four to a u32.

struct Params {
    // Images in the batch, and vec4 columns (batch rounded up to 4, divided by 4).
    batch: u32,
    batch4: u32,
    // Inputs per image (quantize) or output units (layers).
    count: u32,
    // 1: the hidden layer (codes out); 0: the output layer (logits out, [image][count]).
    relu: u32,
    // 1 / scale of the codes this kernel writes.
    inverse: f32,
}

@group(0) @binding(2) var<storage, read> row_codes: array<u32>;
@group(0) @binding(3) var<storage, read> rescale: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> x: array<vec4<i32>>;
@group(0) @binding(6) var<storage, read_write> codes_out: array<vec4<i32>>;
@group(0) @binding(7) var<storage, read_write> logits: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;
@group(0) @binding(9) var<storage, read> images: array<f32>;

fn codes(v: vec4<f32>) -> vec4<i32> {
    return vec4<i32>(clamp(round(v * params.inverse), vec4<f32>(-127.0), vec4<f32>(127.0)));
}

// One unit (workgroup id y) for 64 × 4 batch columns (invocation x).
@compute @workgroup_size(64)
fn layer(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let unit = id.y;
    if (column >= params.batch4) {
        return;
    }
    var acc = vec4<i32>(0);
    let end = row_ptr[unit + 1u];
    for (var k = row_ptr[unit]; k < end; k = k + 1u) {
        // Byte k & 3 of the word, sign-extended.
        let code = i32(row_codes[k >> 2u] << (24u - 8u * (k & 3u))) >> 24u;
        acc = acc + code * x[row_input(k) * params.batch4 + column];
    }
    let value = vec4<f32>(acc) * rescale[unit] + bias[unit];
    if (params.relu != 0u) {
        codes_out[unit * params.batch4 + column] = codes(max(value, vec4<f32>(0.0)));
    } else {
        for (var lane = 0u; lane < 4u; lane = lane + 1u) {
            let image = column * 4u + lane;
            if (image < params.batch) {
                logits[image * params.count + unit] = value[lane];
            }
        }
    }
}

// Row-major float images [batch][count] → batch-contiguous input codes [feature][batch4].
@compute @workgroup_size(64)
fn quantize(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let feature = id.y;
    if (column >= params.batch4) {
        return;
    }
    codes_out[feature * params.batch4 + column] = codes(image_column(column, feature, params.count));
}
