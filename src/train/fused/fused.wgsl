// One fused training step of the 784-h-10 MLP on WebGPU: the batch gathered from the training
// images held on the device as bytes, forward, softmax cross-entropy gradient, hand-written
// backward and Adam with the pruning masks inside the update — seven barrier-free dispatches in
// one submit (the CPU version is src/fused/cpu.rs; both match burn's
// autodiff and Adam, see tests/fused_cpu.rs and the browser tests).
//
// Parameters are one flat array [W1 | b1 | W2 | b2], kernels [in][out] row-major. Each
// invocation owns a few outputs and loops; no shared memory, no workgroupBarrier (software
// adapters execute barriers very slowly), adjacent invocations read adjacent weights.

struct Params {
    batch: u32,
    inputs: u32,
    hidden: u32,
    // Parameters in the flat array.
    count: u32,
    lr: f32,
    // Adam's bias-correction factors for this step (src/fused/adam.rs).
    combined: f32,
    epsilon: f32,
    // 1 / batch.
    scale: f32,
    beta1: f32,
    beta2: f32,
    one_minus_beta1: f32,
    one_minus_beta2: f32,
}

const CLASSES: u32 = 10u;

@group(0) @binding(0) var<storage, read_write> weights: array<f32>;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> moment1: array<f32>;
@group(0) @binding(3) var<storage, read_write> moment2: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> labels: array<u32>;
@group(0) @binding(7) var<storage, read_write> hidden: array<f32>;
@group(0) @binding(8) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(9) var<storage, read_write> dhidden: array<f32>;
@group(0) @binding(10) var<storage, read_write> loss_rows: array<f32>;
@group(0) @binding(11) var<uniform> p: Params;
// The training split's u8 pixels, four to a word, uploaded once; its labels; this batch's images.
@group(0) @binding(12) var<storage, read> pixels: array<u32>;
@group(0) @binding(13) var<storage, read> indices: array<u32>;
// byte → byte / 255 as the host computes it (WGSL's f32 division need not be correctly rounded).
@group(0) @binding(14) var<storage, read> lut: array<f32>;
@group(0) @binding(15) var<storage, read> all_labels: array<u32>;

fn b1_at() -> u32 { return p.inputs * p.hidden; }
fn w2_at() -> u32 { return b1_at() + p.hidden; }
fn b2_at() -> u32 { return w2_at() + p.hidden * CLASSES; }

// The batch from the split's bytes: x[b][i] = pixel / 255, labels[b]: input i (x), image b (y).
@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    let b = id.y;
    if (i >= p.inputs || b >= p.batch) {
        return;
    }
    let image = indices[b];
    let k = image * p.inputs + i;
    x[b * p.inputs + i] = lut[(pixels[k >> 2u] >> ((k & 3u) * 8u)) & 0xffu];
    if (i == 0u) {
        labels[b] = all_labels[image];
    }
}

// hidden[b][j] = relu(Σ_i x[b][i]·W1[i][j] + b1[j]): unit j (x), four images (y).
@compute @workgroup_size(64)
fn forward_hidden(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    let b0 = id.y * 4u;
    if (j >= p.hidden || b0 >= p.batch) {
        return;
    }
    // Rows past the batch read the last row and are not written.
    let r = vec4<u32>(b0, min(b0 + 1u, p.batch - 1u), min(b0 + 2u, p.batch - 1u), min(b0 + 3u, p.batch - 1u)) * p.inputs;
    var acc = vec4<f32>(0.0);
    for (var i = 0u; i < p.inputs; i = i + 1u) {
        let w = weights[i * p.hidden + j];
        acc = acc + vec4<f32>(x[r.x + i], x[r.y + i], x[r.z + i], x[r.w + i]) * w;
    }
    let h = max(acc + weights[b1_at() + j], vec4<f32>(0.0));
    for (var k = 0u; k < 4u; k = k + 1u) {
        if (b0 + k < p.batch) {
            hidden[(b0 + k) * p.hidden + j] = h[k];
        }
    }
}

// Logits, softmax, the loss of image b and d logits = (p − onehot) / batch: one image each.
@compute @workgroup_size(64)
fn forward_output(@builtin(global_invocation_id) id: vec3<u32>) {
    let b = id.x;
    if (b >= p.batch) {
        return;
    }
    var z: array<f32, 10>;
    for (var c = 0u; c < CLASSES; c = c + 1u) {
        z[c] = 0.0;
    }
    for (var j = 0u; j < p.hidden; j = j + 1u) {
        let h = hidden[b * p.hidden + j];
        for (var c = 0u; c < CLASSES; c = c + 1u) {
            z[c] = z[c] + h * weights[w2_at() + j * CLASSES + c];
        }
    }
    var top = -3.4e38;
    for (var c = 0u; c < CLASSES; c = c + 1u) {
        z[c] = z[c] + weights[b2_at() + c];
        top = max(top, z[c]);
    }
    var sum = 0.0;
    for (var c = 0u; c < CLASSES; c = c + 1u) {
        sum = sum + exp(z[c] - top);
    }
    let log_sum = log(sum) + top;
    let label = labels[b];
    loss_rows[b] = log_sum - z[label];
    for (var c = 0u; c < CLASSES; c = c + 1u) {
        var d = exp(z[c] - log_sum) * p.scale;
        if (c == label) {
            d = d - p.scale;
        }
        dlogits[b * CLASSES + c] = d;
    }
}

// dW2[j][c] = Σ_b hidden[b][j]·dlogits[b][c]; row j = hidden is db2[c] = Σ_b dlogits[b][c].
@compute @workgroup_size(64)
fn grad_output(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x / CLASSES;
    let c = id.x % CLASSES;
    if (j > p.hidden) {
        return;
    }
    var acc = 0.0;
    if (j < p.hidden) {
        for (var b = 0u; b < p.batch; b = b + 1u) {
            acc = acc + hidden[b * p.hidden + j] * dlogits[b * CLASSES + c];
        }
        grads[w2_at() + j * CLASSES + c] = acc;
    } else {
        for (var b = 0u; b < p.batch; b = b + 1u) {
            acc = acc + dlogits[b * CLASSES + c];
        }
        grads[b2_at() + c] = acc;
    }
}

// d hidden[b][j] = Σ_c dlogits[b][c]·W2[j][c], zero where the unit was off: unit j (x), image b (y).
@compute @workgroup_size(64)
fn grad_hidden(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    let b = id.y;
    if (j >= p.hidden || b >= p.batch) {
        return;
    }
    var acc = 0.0;
    for (var c = 0u; c < CLASSES; c = c + 1u) {
        acc = acc + dlogits[b * CLASSES + c] * weights[w2_at() + j * CLASSES + c];
    }
    if (hidden[b * p.hidden + j] <= 0.0) {
        acc = 0.0;
    }
    dhidden[b * p.hidden + j] = acc;
}

// dW1[i][j] = Σ_b x[b][i]·d hidden[b][j] for four inputs i (y) of unit j (x); input row
// `inputs` is db1[j] = Σ_b d hidden[b][j].
@compute @workgroup_size(64)
fn grad_w1(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    let i0 = id.y * 4u;
    if (j >= p.hidden || i0 > p.inputs) {
        return;
    }
    // Inputs past the kernel read input 0 and are multiplied by 0; the bias row reads 1.
    let i = vec4<u32>(i0, i0 + 1u, i0 + 2u, i0 + 3u);
    let real = select(vec4<f32>(0.0), vec4<f32>(1.0), i < vec4<u32>(p.inputs));
    let bias = select(vec4<f32>(0.0), vec4<f32>(1.0), i == vec4<u32>(p.inputs));
    let at = select(vec4<u32>(0u), i, i < vec4<u32>(p.inputs));
    var acc = vec4<f32>(0.0);
    for (var b = 0u; b < p.batch; b = b + 1u) {
        let d = dhidden[b * p.hidden + j];
        let row = b * p.inputs;
        let xs = vec4<f32>(x[row + at.x], x[row + at.y], x[row + at.z], x[row + at.w]) * real + bias;
        acc = acc + xs * d;
    }
    for (var k = 0u; k < 4u; k = k + 1u) {
        if (i[k] < p.inputs) {
            grads[i[k] * p.hidden + j] = acc[k];
        } else if (i[k] == p.inputs) {
            grads[b1_at() + j] = acc[k];
        }
    }
}

// Adam over every parameter; a masked one gets no gradient, so it and its moments stay 0.
@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) id: vec3<u32>) {
    let k = id.x + id.y * 65535u * 64u;
    if (k >= p.count) {
        return;
    }
    let keep = mask[k];
    let g = grads[k] * keep;
    let m = moment1[k] * p.beta1 + g * p.one_minus_beta1;
    let v = moment2[k] * p.beta2 + g * g * p.one_minus_beta2;
    moment1[k] = m;
    moment2[k] = v;
    weights[k] = (weights[k] - p.lr * (m * p.combined / (sqrt(v) + p.epsilon))) * keep;
}

// A new mask: pruned weights and their moments to 0.
@compute @workgroup_size(64)
fn apply_mask(@builtin(global_invocation_id) id: vec3<u32>) {
    let k = id.x + id.y * 65535u * 64u;
    if (k >= p.count) {
        return;
    }
    let keep = mask[k];
    weights[k] = weights[k] * keep;
    moment1[k] = moment1[k] * keep;
    moment2[k] = moment2[k] * keep;
}
