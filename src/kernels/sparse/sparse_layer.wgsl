// The pruned MLP's sparse kernel on WebGPU, after the CSR prelude (csr.wgsl). Barrier-free: each
// invocation owns four batch columns (one vec4) of one output unit and loops over that unit's
// non-zeros; no shared memory, no workgroupBarrier (software adapters execute barriers very
// slowly).

alias Activation = vec4<f32>;

@group(0) @binding(2) var<storage, read> row_values: array<f32>;

fn activation(v: vec4<f32>) -> Activation {
    return v;
}

// Bias, then each non-zero weight times its input, in CSR order.
fn unit_activation(unit: u32, column: u32) -> Activation {
    var acc = vec4<f32>(bias[unit]);
    let end = row_ptr[unit + 1u];
    for (var k = row_ptr[unit]; k < end; k = k + 1u) {
        acc = acc + row_values[k] * x[row_input(k) * params.batch4 + column];
    }
    if (params.relu != 0u) {
        acc = max(acc, vec4<f32>(0.0));
    }
    return acc;
}
