// Matrix factorisation by blocked ("stratified") SGD. Users and items are cut into B blocks
// each; in stratum s, thread b walks the ratings of cell (user block b, item block (b + s) mod B)
// in their shuffled order. No two threads of one stratum touch the same user or item, so the
// updates need no atomics, and each thread's updates are exactly the sequential SGD of Funk's
// SVD (the CPU path) over its cell. B dispatches, one per stratum, make one epoch.
//
// model   = [user bias (users) | item bias (items) | user factors (users × k) | item factors (items × k)]
// ratings = (user, item, rating's f32 bits) triplets grouped by cell: cell c is
//           ratings[cells[c] .. cells[c + 1]], with cell c = user block × B + item block.
// loss[b] += the squared error of every rating thread b visits (before its update).
// CPU reference: `gpu::reference::mf_sgd`.

struct Params {
    blocks: u32,
    stratum: u32,
    k: u32,
    users: u32,
    items: u32,
    lr: f32,
    reg: f32,
    mean: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> model: array<f32>;
@group(0) @binding(2) var<storage, read_write> ratings: array<u32>;
@group(0) @binding(3) var<storage, read_write> cells: array<u32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let b = gid.x;
    if (b >= p.blocks) {
        return;
    }
    let cell = b * p.blocks + (b + p.stratum) % p.blocks;
    let item_bias = p.users;
    let user_factors = p.users + p.items;
    let item_factors = user_factors + p.users * p.k;
    var squared = 0.0;
    for (var r = cells[cell]; r < cells[cell + 1u]; r++) {
        let u = ratings[3u * r];
        let i = ratings[3u * r + 1u];
        let rating = bitcast<f32>(ratings[3u * r + 2u]);
        let pu = user_factors + u * p.k;
        let qi = item_factors + i * p.k;
        var dot = 0.0;
        for (var f = 0u; f < p.k; f++) {
            dot += model[pu + f] * model[qi + f];
        }
        let err = rating - (p.mean + model[u] + model[item_bias + i] + dot);
        squared += err * err;
        model[u] += p.lr * (err - p.reg * model[u]);
        model[item_bias + i] += p.lr * (err - p.reg * model[item_bias + i]);
        for (var f = 0u; f < p.k; f++) {
            let puf = model[pu + f];
            let qif = model[qi + f];
            model[pu + f] = puf + p.lr * (err * qif - p.reg * puf);
            model[qi + f] = qif + p.lr * (err * puf - p.reg * qif);
        }
    }
    loss[b] += squared;
}
