// Block-CSR (kernels/pattern/block.rs), after the CSR prelude and the sparse layer's bindings
// (csr.wgsl, sparse_layer.wgsl) and the constants ROWS and COLS: row_ptr is per group of COLS
// units, row_input(k) is block k's first input divided by ROWS, row_values holds ROWS × COLS values
// per block, input-major. One group of units (workgroup id y) for 64 × 4 batch columns
// (invocation x): each input row is read once for the COLS units of its block. Bias first, then
// the inputs in ascending order, as on the CPU.

@compute @workgroup_size(64)
fn block_layer(@builtin(global_invocation_id) id: vec3<u32>) {
    let column = id.x;
    let group = id.y;
    if (column >= params.batch4) {
        return;
    }
    // The real units of this group: the last one may be cut by the layer's edge.
    let first = group * COLS;
    let units = min(COLS, arrayLength(&bias) - first);
    var acc: array<vec4<f32>, COLS>;
    for (var c = 0u; c < units; c = c + 1u) {
        acc[c] = vec4<f32>(bias[first + c]);
    }
    let end = row_ptr[group + 1u];
    for (var k = row_ptr[group]; k < end; k = k + 1u) {
        let row = row_input(k) * ROWS;
        for (var r = 0u; r < ROWS; r = r + 1u) {
            let xv = x[(row + r) * params.batch4 + column];
            for (var c = 0u; c < COLS; c = c + 1u) {
                acc[c] = acc[c] + row_values[(k * ROWS + r) * COLS + c] * xv;
            }
        }
    }
    for (var c = 0u; c < units; c = c + 1u) {
        var v = acc[c];
        if (params.relu != 0u) {
            v = max(v, vec4<f32>(0.0));
        }
        y[(first + c) * params.batch4 + column] = v;
    }
}
