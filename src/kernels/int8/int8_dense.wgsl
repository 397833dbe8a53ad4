// The dense int8 model on WebGPU, bit for bit the CPU engine's arithmetic (src/quant): codes
// packed four to a u32, i32 dot products (`dot4`: WGSL's dot4I8Packed where the adapter has
// the packed_4x8_integer_dot_product extension, else unpacked in plain WGSL, prepended to this
// file by int8.rs), float bias and rescale, round half to even (WGSL's `round`).
//
// Barrier-free like the sparse kernels: each invocation owns one image and four output units.
// Codes are batch-contiguous (word k of every image side by side), so the 64 invocations of a
// workgroup read 64 consecutive words, and layer 1's packed output is layer 2's input as it is.

struct Params {
    // Images in the batch.
    batch: u32,
    // Packed words per image of this kernel's input (inputs / 4, rounded up).
    words: u32,
    // Real inputs per image (quantize) or real output units (layers).
    count: u32,
    // 1: the hidden layer (ReLU, requantized, packed codes out); 0: the output layer (float logits).
    relu: u32,
    // 1 / scale of the codes this kernel writes (quantize: the input's; hidden: the activation's).
    inverse: f32,
}

@group(0) @binding(0) var<storage, read> weights: array<u32>;
@group(0) @binding(1) var<storage, read> rescale: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<u32>;
@group(0) @binding(4) var<storage, read_write> codes_out: array<u32>;
@group(0) @binding(5) var<storage, read_write> logits: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

// The quantize kernel's float images arrive in the same binding as the codes would.
fn x_float(i: u32) -> f32 {
    return bitcast<f32>(x[i]);
}

fn code(v: f32) -> u32 {
    // Saturate to [-127, 127]; the two's-complement byte of the code.
    return u32(i32(clamp(round(v * params.inverse), -127.0, 127.0))) & 0xffu;
}

// One image (invocation x) and four units (workgroup y): acc = Σ_k dot4(weights, codes).
@compute @workgroup_size(64)
fn layer(@builtin(global_invocation_id) id: vec3<u32>) {
    let image = id.x;
    let quad = id.y;
    if (image >= params.batch) {
        return;
    }
    var acc = vec4<i32>(0);
    for (var k = 0u; k < params.words; k = k + 1u) {
        let input = x[k * params.batch + image];
        for (var j = 0u; j < 4u; j = j + 1u) {
            acc[j] = acc[j] + dot4(weights[(quad * 4u + j) * params.words + k], input);
        }
    }
    if (params.relu != 0u) {
        var packed = 0u;
        for (var j = 0u; j < 4u; j = j + 1u) {
            let unit = quad * 4u + j;
            // Padding units have rescale 0 and bias 0: code 0.
            let value = max(f32(acc[j]) * rescale[unit] + bias[unit], 0.0);
            packed = packed | (code(value) << (8u * j));
        }
        codes_out[quad * params.batch + image] = packed;
    } else {
        for (var j = 0u; j < 4u; j = j + 1u) {
            let unit = quad * 4u + j;
            if (unit < params.count) {
                logits[image * params.count + unit] = f32(acc[j]) * rescale[unit] + bias[unit];
            }
        }
    }
}

// Row-major float images [batch][count] → packed input codes [word][batch].
@compute @workgroup_size(64)
fn quantize(@builtin(global_invocation_id) id: vec3<u32>) {
    let image = id.x;
    let word = id.y;
    if (image >= params.batch) {
        return;
    }
    var packed = 0u;
    for (var j = 0u; j < 4u; j = j + 1u) {
        let feature = word * 4u + j;
        if (feature < params.count) {
            packed = packed | (code(x_float(image * params.count + feature)) << (8u * j));
        }
    }
    codes_out[word * params.batch + image] = packed;
}
