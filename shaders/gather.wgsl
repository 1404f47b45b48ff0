// Mini-batch gather: dst[i, :] = src[idx[offset + i], :] for i < rows (a shuffled batch of
// training rows, picked on the device so the data is uploaded once).
// CPU reference: `gpu::reference::gather`.

struct Params {
    rows: u32,
    cols: u32,
    offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.rows * p.cols) {
        return;
    }
    let r = i / p.cols;
    let c = i % p.cols;
    dst[i] = src[idx[p.offset + r] * p.cols + c];
}
