// The prelude of every kernel that walks a CSR layer (kernels/sparse/layout.rs), float or int8:
// unit u's non-zeros are k in row_ptr[u] .. row_ptr[u + 1], their inputs u16 indices packed two
// to a u32 (WGSL has no 16-bit integers), the even k in the low half.

@group(0) @binding(0) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(1) var<storage, read> row_inputs: array<u32>;

fn row_input(k: u32) -> u32 {
    return (row_inputs[k >> 1u] >> ((k & 1u) * 16u)) & 0xffffu;
}
