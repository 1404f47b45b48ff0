// Tiled matrix multiply: C (m×n) = op(A) · op(B), or C += … when accumulating.
// op(A) is A (stored m×k, row-major) or Aᵀ (A stored k×m); op(B) is B (k×n) or Bᵀ (B stored n×k).
// A workgroup of 16×16 threads computes a 64×64 tile of C, each thread a 4×4 block, reading
// op(A) and op(B) through 64×16 / 16×64 tiles in workgroup memory. Sizes need not be multiples
// of the tile: out-of-range reads are zeros and out-of-range writes are skipped.
// CPU reference: `gpu::reference::matmul`.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // bit 0: A transposed, bit 1: B transposed, bit 2: accumulate into C.
    flags: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;

// tile_a[kk * TM + mm] = op(A)[row0 + mm, t + kk]; tile_b[kk * TN + nn] = op(B)[t + kk, col0 + nn]
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;

fn load_a(row: u32, kk: u32) -> f32 {
    if (row >= p.m || kk >= p.k) {
        return 0.0;
    }
    if ((p.flags & 1u) != 0u) {
        return a[kk * p.m + row];
    }
    return a[row * p.k + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
    if (kk >= p.k || col >= p.n) {
        return 0.0;
    }
    if ((p.flags & 2u) != 0u) {
        return b[col * p.k + kk];
    }
    return b[kk * p.n + col];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tid = lid.y * 16u + lid.x;
    let row0 = wg.y * TM;
    let col0 = wg.x * TN;
    let a_t = (p.flags & 1u) != 0u;
    let b_t = (p.flags & 2u) != 0u;
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
    for (var t = 0u; t < p.k; t += TK) {
        // 1024 cells per tile, 4 per thread; neighbouring threads read neighbouring addresses.
        for (var i = 0u; i < 4u; i++) {
            let e = tid + i * 256u;
            var mm = e / TK;
            var kk = e % TK;
            if (a_t) {
                kk = e / TM;
                mm = e % TM;
            }
            tile_a[kk * TM + mm] = load_a(row0 + mm, t + kk);
            var kb = e / TN;
            var nn = e % TN;
            if (b_t) {
                nn = e / TK;
                kb = e % TK;
            }
            tile_b[kb * TN + nn] = load_b(t + kb, col0 + nn);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = tile_a[kk * TM + lid.y * 4u + i];
                bv[i] = tile_b[kk * TN + lid.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    let accumulate = (p.flags & 4u) != 0u;
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + lid.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x * 4u + j;
            if (r < p.m && col < p.n) {
                let idx = r * p.n + col;
                if (accumulate) {
                    c[idx] = c[idx] + acc[i * 4u + j];
                } else {
                    c[idx] = acc[i * 4u + j];
                }
            }
        }
    }
}
