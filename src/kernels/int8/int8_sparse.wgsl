// The pruned int8 model on WebGPU, after the CSR prelude (../sparse/csr.wgsl): the float sparse
// kernel's shape (sparse_layer.wgsl) with the int8 engine's arithmetic (kernels/int8): i32 sums of
// code × code, float bias and rescale, ReLU and requantization (round half to even) fused. The
// codes are the activations, so the prelude's transpose quantizes the images; the int8 weights
// are packed four to a u32. The output layer's float logits are stored bit for bit in the
// activation vector, in the float kernels' layout, and read back as floats.

alias Activation = vec4<i32>;

@group(0) @binding(2) var<storage, read> row_codes: array<u32>;
@group(0) @binding(9) var<storage, read> rescale: array<f32>;

// Four values as codes of scale 1 / params.inverse, saturated to [-127, 127].
fn activation(v: vec4<f32>) -> Activation {
    return vec4<i32>(clamp(round(v * params.inverse), vec4<f32>(-127.0), vec4<f32>(127.0)));
}

// The i32 sum of code × code in CSR order, rescaled and biased: the hidden layer's codes, or the
// output layer's logits.
fn unit_activation(unit: u32, column: u32) -> Activation {
    var acc = vec4<i32>(0);
    let end = row_ptr[unit + 1u];
    for (var k = row_ptr[unit]; k < end; k = k + 1u) {
        // Byte k & 3 of the word, sign-extended.
        let code = i32(row_codes[k >> 2u] << (24u - 8u * (k & 3u))) >> 24u;
        acc = acc + code * x[row_input(k) * params.batch4 + column];
    }
    let value = vec4<f32>(acc) * rescale[unit] + bias[unit];
    if (params.relu != 0u) {
        return activation(max(value, vec4<f32>(0.0)));
    }
    return bitcast<vec4<i32>>(value);
}
