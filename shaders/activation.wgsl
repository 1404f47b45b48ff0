// Activations. `forward`: z += bias (per column), out = f(z), keeping z for the backward pass.
// `backward`: g *= f'(z). Codes: 0 identity, 1 ReLU, 2 tanh, 3 sigmoid, 4 GELU (tanh form),
// 5 ReLU6 (the image encoder's).
// CPU reference: `gpu::reference::{bias_act, act_grad}`.

struct Params {
    rows: u32,
    cols: u32,
    act: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> other: array<f32>; // bias (forward) or g (backward)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const GELU_C: f32 = 0.7978845608; // sqrt(2 / pi)

fn sigmoid(x: f32) -> f32 {
    return 1.0 / (1.0 + exp(-x));
}

fn tanh_safe(x: f32) -> f32 {
    // tanh via exp of a clamped argument (some drivers overflow tanh for large |x|).
    let e = exp(-2.0 * clamp(abs(x), 0.0, 20.0));
    return sign(x) * (1.0 - e) / (1.0 + e);
}

fn f(x: f32) -> f32 {
    switch p.act {
        case 1u: { return max(x, 0.0); }
        case 2u: { return tanh_safe(x); }
        case 3u: { return sigmoid(x); }
        case 4u: { return 0.5 * x * (1.0 + tanh_safe(GELU_C * (x + 0.044715 * x * x * x))); }
        case 5u: { return clamp(x, 0.0, 6.0); }
        default: { return x; }
    }
}

fn df(x: f32) -> f32 {
    switch p.act {
        case 1u: { return select(0.0, 1.0, x > 0.0); }
        case 2u: { let t = tanh_safe(x); return 1.0 - t * t; }
        case 3u: { let s = sigmoid(x); return s * (1.0 - s); }
        case 4u: {
            let u = GELU_C * (x + 0.044715 * x * x * x);
            let t = tanh_safe(u);
            let du = GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
            return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du;
        }
        case 5u: { return select(0.0, 1.0, x > 0.0 && x < 6.0); }
        default: { return 1.0; }
    }
}

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.rows * p.cols) {
        return;
    }
    let v = z[i] + other[i % p.cols];
    z[i] = v;
    out[i] = f(v);
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.rows * p.cols) {
        return;
    }
    other[i] = other[i] * df(z[i]);
}

// Inverted dropout with a counter-based mask: cell i of a batch is kept when
// hash(seed, i) ≥ p·2³², and kept cells are scaled by 1/(1 − p). The same hash on the CPU
// (`gpu::reference::dropout`) gives the same mask; `backward` applies it to the gradient.
// Params reuse the block: rows·cols = cells, act = seed, _pad = p as f32 bits.

fn hash(x: u32) -> u32 {
    // PCG-style integer hash (the CPU reference uses the same steps).
    var h = x * 747796405u + 2891336453u;
    h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
    return (h >> 22u) ^ h;
}

fn kept(i: u32) -> f32 {
    let rate = bitcast<f32>(p._pad);
    let threshold = u32(min(rate, 0.9999) * 4294967040.0);
    if (hash(i ^ hash(p.act)) < threshold) {
        return 0.0;
    }
    return 1.0 / (1.0 - rate);
}

@compute @workgroup_size(256)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.rows * p.cols) {
        return;
    }
    out[i] = out[i] * kept(i);
}
