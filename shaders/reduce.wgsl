// Column sums: out[c] (+)= Σ_r x[r, c] for a rows×cols matrix (bias gradients; with cols = 1,
// the sum of a vector, e.g. an epoch's loss). One workgroup per column: 256 threads stride
// down the rows, then a tree reduction in workgroup memory.
// CPU reference: `gpu::reference::col_sum`.

struct Params {
    rows: u32,
    cols: u32,
    accumulate: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let col = wg.x;
    var s = 0.0;
    if (col < p.cols) {
        for (var r = lid.x; r < p.rows; r += 256u) {
            s += x[r * p.cols + col];
        }
    }
    partial[lid.x] = s;
    workgroupBarrier();
    for (var width = 128u; width > 0u; width = width / 2u) {
        if (lid.x < width) {
            partial[lid.x] += partial[lid.x + width];
        }
        workgroupBarrier();
    }
    if (lid.x == 0u && col < p.cols) {
        if (p.accumulate != 0u) {
            out[col] = out[col] + partial[0];
        } else {
            out[col] = partial[0];
        }
    }
}
