// N:M in runs of four inputs (kernels/pattern/nm.rs), after the CSR prelude and the sparse layer's
// bindings (csr.wgsl, sparse_layer.wgsl) and the constant KEEP: row_values holds KEEP values per
// run of four inputs of each unit, `positions` their places in the run, 2 bits each, the runs of
// a word 16 / KEEP (a run never split), each unit's first on a new word. No pointers: a unit's
// values are where its index says.
// One unit (workgroup id y) for 64 × 4 batch columns (invocation x).

@group(0) @binding(9) var<storage, read> positions: array<u32>;

@compute @workgroup_size(64)
fn nm_layer(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let unit = id.y;
    if (column >= params.batch4) {
        return;
    }
    let runs = (params.inputs + 3u) / 4u;
    let per_word = 16u / KEEP;
    let words = (runs + per_word - 1u) / per_word;
    var acc = vec4<f32>(bias[unit]);
    for (var run = 0u; run < runs; run = run + 1u) {
        var bits = positions[unit * words + run / per_word] >> (2u * KEEP * (run % per_word));
        for (var t = 0u; t < KEEP; t = t + 1u) {
            let feature = run * 4u + (bits & 3u);
            bits = bits >> 2u;
            acc = acc + row_values[(unit * runs + run) * KEEP + t] * x[feature * params.batch4 + column];
        }
    }
    if (params.relu != 0u) {
        acc = max(acc, vec4<f32>(0.0));
    }
    y[unit * params.batch4 + column] = acc;
}
