// The prelude of every kernel that walks a CSR layer (kernels/sparse/layout.rs), float or int8:
// unit u's non-zeros are k in row_ptr[u] .. row_ptr[u + 1], their inputs u16 indices packed two
// to a u32 (WGSL has no 16-bit integers), the even k in the low half. Activations are
// batch-contiguous (x[input][batch4], four images to a vec4); the kernel that follows declares
// the row-major `images` it starts from and `params.batch`.

@group(0) @binding(0) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(1) var<storage, read> row_inputs: array<u32>;

fn row_input(k: u32) -> u32 {
    return (row_inputs[k >> 1u] >> ((k & 1u) * 16u)) & 0xffffu;
}

// Images column * 4 .. column * 4 + 3 of the row-major batch ([batch][row] floats), at `feature`:
// one vec4 of the batch-contiguous layout, zero past the batch.
fn image_column(column: u32, feature: u32, row: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    for (var lane = 0u; lane < 4u; lane = lane + 1u) {
        let image = column * 4u + lane;
        if (image < params.batch) {
            v[lane] = images[image * row + feature];
        }
    }
    return v;
}
