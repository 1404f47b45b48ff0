// Losses and their gradients for a batch of `rows` rows.
// `softmax_ce`: out holds rows×cols scores, y the class index of each row; writes the gradient
//   (softmax − one-hot) · scale and each row's cross-entropy.
// `mse`: out and y hold rows×cols values; writes the gradient (out − y) · scale and each row's
//   half squared error, summed over its columns.
// `scale` is 1 / rows, so the gradient is that of the batch's mean loss.
// CPU reference: `gpu::reference::{softmax_ce, mse}`.

struct Params {
    rows: u32,
    cols: u32,
    scale: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;

fn row_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn softmax_ce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = row_index(gid, nwg);
    if (r >= p.rows) {
        return;
    }
    let base = r * p.cols;
    var m = out[base];
    for (var c = 1u; c < p.cols; c++) {
        m = max(m, out[base + c]);
    }
    var s = 0.0;
    for (var c = 0u; c < p.cols; c++) {
        s += exp(out[base + c] - m);
    }
    let label = u32(y[r]);
    for (var c = 0u; c < p.cols; c++) {
        let prob = exp(out[base + c] - m) / s;
        grad[base + c] = (prob - select(0.0, 1.0, c == label)) * p.scale;
    }
    row_loss[r] = log(s) + m - out[base + label];
}

@compute @workgroup_size(256)
fn mse(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = row_index(gid, nwg);
    if (r >= p.rows) {
        return;
    }
    var l = 0.0;
    for (var c = 0u; c < p.cols; c++) {
        let i = r * p.cols + c;
        let d = out[i] - y[i];
        grad[i] = d * p.scale;
        l += 0.5 * d * d;
    }
    row_loss[r] = l;
}
