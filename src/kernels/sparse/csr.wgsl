// The prelude of every kernel that walks a CSR layer (kernels/sparse/layout.rs), float or int8:
// unit u's non-zeros are k in row_ptr[u] .. row_ptr[u + 1], their inputs u16 indices packed two
// to a u32 (WGSL has no 16-bit integers), the even k in the low half.
//
// Activations are batch-contiguous: x[input][batch4] and y[unit][batch4], four images to a vector,
// so a workgroup's 64 invocations read 64 consecutive vectors of the same input row (coalesced),
// and layer 1's output is layer 2's input as it is. The kernel that follows names the vector
// (`Activation`: vec4<f32>, or vec4<i32> codes), says how four images' floats become one
// (`activation`) and what a unit computes (`unit_activation`), and declares its weights at
// binding 2. Invocation x of the entry points owns batch column x (four images), workgroup row y
// one input (`transpose`) or one output unit (`layer`).

struct Params {
    // Images in the batch, and vectors per row (batch rounded up to 4, divided by 4).
    batch: u32,
    batch4: u32,
    // Inputs per image (the transpose's row length).
    inputs: u32,
    // 1: the hidden layer (ReLU), 0: the output layer (logits).
    relu: u32,
    // 1 / scale of the codes this dispatch writes (int8 kernels; float kernels ignore it).
    inverse: f32,
}

@group(0) @binding(0) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(1) var<storage, read> row_inputs: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<Activation>;
@group(0) @binding(5) var<storage, read_write> y: array<Activation>;
@group(0) @binding(6) var<uniform> params: Params;
// The transpose's own: the batch as the page holds it, and the layer's input `x` it becomes.
@group(0) @binding(7) var<storage, read> images: array<f32>;
@group(0) @binding(8) var<storage, read_write> images_t: array<Activation>;

fn row_input(k: u32) -> u32 {
    return (row_inputs[k >> 1u] >> ((k & 1u) * 16u)) & 0xffffu;
}

// Images column * 4 .. column * 4 + 3 of the row-major batch ([batch][inputs] floats), at
// `feature`, zero past the batch.
fn image_column(column: u32, feature: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    for (var lane = 0u; lane < 4u; lane = lane + 1u) {
        let image = column * 4u + lane;
        if (image < params.batch) {
            v[lane] = images[image * params.inputs + feature];
        }
    }
    return v;
}

// Row-major images [batch][inputs] → batch-contiguous activations [inputs][batch4], zero-padded.
@compute @workgroup_size(64)
fn transpose(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x < params.batch4) {
        images_t[id.y * params.batch4 + id.x] = activation(image_column(id.x, id.y));
    }
}

// One layer: unit y's activation for batch column x.
@compute @workgroup_size(64)
fn layer(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x < params.batch4) {
        y[id.y * params.batch4 + id.x] = unit_activation(id.y, id.x);
    }
}
