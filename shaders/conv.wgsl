// The image encoder's convolution kernels, on channels-last activations ([batch, height, width,
// channels]). A 1×1 convolution is a matrix product (`matmul.wgsl`) followed by `bias_act`
// (activation.wgsl, ReLU6 or identity); the stem's 3×3 convolution is `im2col` then the same.
// Padding is TensorFlow's "SAME": out = ceil(in / stride), the extra padding bottom and right.
// CPU references: `gpu::conv::{im2col, depthwise, add, mean_pool}`.
//
// Parameters (8 words): batch, height, width, channels, kernel | stride << 8 | relu6 << 16,
// pad_top | pad_left << 8, out_height, out_width. `add` uses the first word as the length;
// `mean_pool` uses batch, pixels (word 1) and channels (word 3).

struct Params {
    batch: u32,
    height: u32,
    width: u32,
    channels: u32,
    shape: u32,
    pad: u32,
    out_h: u32,
    out_w: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;   // im2col: the patches (output)
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

fn kernel_size() -> u32 { return p.shape & 0xffu; }
fn stride() -> u32 { return (p.shape >> 8u) & 0xffu; }
fn relu6() -> bool { return ((p.shape >> 16u) & 1u) == 1u; }
fn pad_top() -> u32 { return p.pad & 0xffu; }
fn pad_left() -> u32 { return (p.pad >> 8u) & 0xffu; }

// The input cell (y, x) feeding output (oy, ox) at tap (ky, kx); -1 outside the image.
fn source(oy: u32, ox: u32, ky: u32, kx: u32) -> vec2<i32> {
    let y = i32(oy * stride() + ky) - i32(pad_top());
    let xx = i32(ox * stride() + kx) - i32(pad_left());
    if (y < 0 || xx < 0 || y >= i32(p.height) || xx >= i32(p.width)) {
        return vec2<i32>(-1, -1);
    }
    return vec2<i32>(y, xx);
}

// One thread per patch cell: row (b, oy, ox), column (ky, kx, c).
@compute @workgroup_size(256)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    let k = kernel_size();
    let row_len = k * k * p.channels;
    let total = p.batch * p.out_h * p.out_w * row_len;
    if (i >= total) {
        return;
    }
    let row = i / row_len;
    let col = i % row_len;
    let c = col % p.channels;
    let tap = col / p.channels;
    let ky = tap / k;
    let kx = tap % k;
    let ox = row % p.out_w;
    let oy = (row / p.out_w) % p.out_h;
    let b = row / (p.out_w * p.out_h);
    let s = source(oy, ox, ky, kx);
    var v = 0.0;
    if (s.x >= 0) {
        v = x[((b * p.height + u32(s.x)) * p.width + u32(s.y)) * p.channels + c];
    }
    w[i] = v;
}

// One thread per output cell (b, oy, ox, c): one k×k filter per channel, weights [ky, kx, c].
@compute @workgroup_size(256)
fn depthwise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    let total = p.batch * p.out_h * p.out_w * p.channels;
    if (i >= total) {
        return;
    }
    let c = i % p.channels;
    let pixel = i / p.channels;
    let ox = pixel % p.out_w;
    let oy = (pixel / p.out_w) % p.out_h;
    let b = pixel / (p.out_w * p.out_h);
    let k = kernel_size();
    var acc = bias[c];
    for (var ky = 0u; ky < k; ky = ky + 1u) {
        for (var kx = 0u; kx < k; kx = kx + 1u) {
            let s = source(oy, ox, ky, kx);
            if (s.x >= 0) {
                acc = acc + x[((b * p.height + u32(s.x)) * p.width + u32(s.y)) * p.channels + c]
                    * w[(ky * k + kx) * p.channels + c];
            }
        }
    }
    if (relu6()) {
        acc = clamp(acc, 0.0, 6.0);
    }
    out[i] = acc;
}

// x += w over the first `batch` cells (the skip connection; `batch` holds the length here).
@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.batch) {
        return;
    }
    x[i] = x[i] + w[i];
}

// One thread per (image, channel): the mean over the image's `height` (= pixels) rows.
@compute @workgroup_size(256)
fn mean_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.batch * p.channels) {
        return;
    }
    let b = i / p.channels;
    let c = i % p.channels;
    var acc = 0.0;
    for (var q = 0u; q < p.height; q = q + 1u) {
        acc = acc + x[(b * p.height + q) * p.channels + c];
    }
    w[i] = acc / f32(max(p.height, 1u));
}
