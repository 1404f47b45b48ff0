// Optimiser updates of one parameter tensor w from its gradient g, with L2 penalty l2·w added
// to the gradient. `adam`: m, v are the moment estimates; bc1 = 1 − β1^t, bc2 = 1 − β2^t.
// `sgd`: m is the velocity, β1 the momentum.
// CPU reference: `gpu::reference::{adam, sgd}`.

struct Params {
    len: u32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    l2: f32,
    bc1: f32,
    bc2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.len) {
        return;
    }
    let grad = g[i] + p.l2 * w[i];
    let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * grad;
    let v1 = p.beta2 * v[i] + (1.0 - p.beta2) * grad * grad;
    m[i] = m1;
    v[i] = v1;
    w[i] = w[i] - p.lr * (m1 / p.bc1) / (sqrt(v1 / p.bc2) + p.eps);
}

@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if (i >= p.len) {
        return;
    }
    let vel = p.beta1 * m[i] + g[i] + p.l2 * w[i];
    m[i] = vel;
    w[i] = w[i] - p.lr * vel;
}
