//! CPU reference implementations of the WGSL kernels in `shaders/`, op for op. The CPU
//! training path runs these, and the parity tests compare every kernel with them.

#![allow(clippy::needless_range_loop)] // index loops mirror the shaders, cell for cell

use ndarray::{ArrayView2, ArrayViewMut2, linalg::general_mat_mul};

/// An activation function, with the code the shaders use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Identity = 0,
    Relu = 1,
    Tanh = 2,
    Sigmoid = 3,
    Gelu = 4,
    /// min(max(x, 0), 6): the pretrained image encoder's activation (not offered for the MLP).
    Relu6 = 5,
}

impl Activation {
    pub const HIDDEN: [Activation; 4] = [Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Gelu];

    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Gelu => "gelu",
            Activation::Relu6 => "relu6",
        }
    }

    pub fn parse(s: &str) -> Option<Activation> {
        [Activation::Identity].into_iter().chain(Activation::HIDDEN).find(|a| a.name() == s)
    }

    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            Activation::Relu => x.max(0.0),
            Activation::Relu6 => x.clamp(0.0, 6.0),
            Activation::Tanh => tanh(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::Gelu => 0.5 * x * (1.0 + tanh(GELU_C * (x + 0.044715 * x * x * x))),
        }
    }

    pub fn derivative(self, x: f32) -> f32 {
        match self {
            Activation::Identity => 1.0,
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Relu6 => {
                if x > 0.0 && x < 6.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => 1.0 - tanh(x).powi(2),
            Activation::Sigmoid => sigmoid(x) * (1.0 - sigmoid(x)),
            Activation::Gelu => {
                let t = tanh(GELU_C * (x + 0.044715 * x * x * x));
                let du = GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
            }
        }
    }
}

const GELU_C: f32 = 0.797_884_6;

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// tanh as the shader computes it (from a clamped exponential).
fn tanh(x: f32) -> f32 {
    let e = (-2.0 * x.abs().min(20.0)).exp();
    x.signum() * (1.0 - e) / (1.0 + e)
}

/// How a matrix multiply reads its operands (see `shaders/matmul.wgsl`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatmulFlags {
    pub a_transposed: bool,
    pub b_transposed: bool,
    pub accumulate: bool,
}

impl MatmulFlags {
    pub fn bits(self) -> u32 {
        self.a_transposed as u32 | (self.b_transposed as u32) << 1 | (self.accumulate as u32) << 2
    }
}

/// C (m×n) = op(A) · op(B) (or C += …); A is m×k (or k×m transposed), B k×n (or n×k).
#[allow(clippy::too_many_arguments)]
pub fn matmul(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, flags: MatmulFlags) {
    fn view(
        data: &[f32],
        rows: usize,
        cols: usize,
        transposed: bool,
    ) -> Result<ArrayView2<'_, f32>, ndarray::ShapeError> {
        if transposed {
            ArrayView2::from_shape((cols, rows), &data[..rows * cols]).map(|v| v.reversed_axes())
        } else {
            ArrayView2::from_shape((rows, cols), &data[..rows * cols])
        }
    }
    if !flags.b_transposed && k >= 256 && mostly_zeros(&a[..m * k]) {
        return matmul_sparse_a(a, b, c, m, n, k, flags);
    }
    let (Ok(a), Ok(b), Ok(mut c)) = (
        view(a, m, k, flags.a_transposed),
        view(b, k, n, flags.b_transposed),
        ArrayViewMut2::from_shape((m, n), &mut c[..m * n]),
    ) else {
        panic!("matmul: buffers smaller than {m}×{k} · {k}×{n}");
    };
    general_mat_mul(1.0, &a, &b, if flags.accumulate { 1.0 } else { 0.0 }, &mut c);
}

/// Fewer than one cell in 20 is non-zero (e.g. TF-IDF rows): worth skipping the zeros.
fn mostly_zeros(a: &[f32]) -> bool {
    let limit = a.len() / 20;
    let mut nonzero = 0;
    for chunk in a.chunks(4096) {
        nonzero += chunk.iter().filter(|v| **v != 0.0).count();
        if nonzero > limit {
            return false;
        }
    }
    true
}

/// The same product visiting only A's non-zero cells (the same sums, in another order).
#[allow(clippy::too_many_arguments)]
fn matmul_sparse_a(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, flags: MatmulFlags) {
    if !flags.accumulate {
        c[..m * n].fill(0.0);
    }
    let mut add = |row: usize, kk: usize, v: f32| {
        let (dst, src) = (&mut c[row * n..(row + 1) * n], &b[kk * n..(kk + 1) * n]);
        dst.iter_mut().zip(src).for_each(|(d, s)| *d += v * s);
    };
    if flags.a_transposed {
        // A is stored k×m: cell (kk, row) feeds C's row `row`.
        for kk in 0..k {
            for (row, &v) in a[kk * m..(kk + 1) * m].iter().enumerate() {
                if v != 0.0 {
                    add(row, kk, v);
                }
            }
        }
    } else {
        for row in 0..m {
            for (kk, &v) in a[row * k..(row + 1) * k].iter().enumerate() {
                if v != 0.0 {
                    add(row, kk, v);
                }
            }
        }
    }
}

/// z += bias per column; out = act(z).
pub fn bias_act(z: &mut [f32], bias: &[f32], out: &mut [f32], rows: usize, cols: usize, act: Activation) {
    for r in 0..rows {
        for c in 0..cols {
            let i = r * cols + c;
            z[i] += bias[c];
            out[i] = act.apply(z[i]);
        }
    }
}

/// g *= act'(z) over the first `len` cells.
pub fn act_grad(z: &[f32], g: &mut [f32], len: usize, act: Activation) {
    g[..len].iter_mut().zip(z).for_each(|(g, &z)| *g *= act.derivative(z));
}

/// Softmax cross-entropy of `rows` score rows against class indices `y`: the gradient of the
/// mean loss (× `scale` = 1/rows) into `grad`, each row's loss into `row_loss`.
pub fn softmax_ce(
    out: &[f32],
    y: &[f32],
    grad: &mut [f32],
    row_loss: &mut [f32],
    rows: usize,
    cols: usize,
    scale: f32,
) {
    for r in 0..rows {
        let s_row = &out[r * cols..(r + 1) * cols];
        let m = s_row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let s: f32 = s_row.iter().map(|v| (v - m).exp()).sum();
        let label = y[r] as usize;
        for (c, v) in s_row.iter().enumerate() {
            let p = (v - m).exp() / s;
            grad[r * cols + c] = (p - if c == label { 1.0 } else { 0.0 }) * scale;
        }
        row_loss[r] = s.ln() + m - s_row[label];
    }
}

/// Half squared error: gradient (out − y) · scale, each row's loss summed over its columns.
pub fn mse(out: &[f32], y: &[f32], grad: &mut [f32], row_loss: &mut [f32], rows: usize, cols: usize, scale: f32) {
    for r in 0..rows {
        let mut l = 0.0;
        for c in 0..cols {
            let i = r * cols + c;
            let d = out[i] - y[i];
            grad[i] = d * scale;
            l += 0.5 * d * d;
        }
        row_loss[r] = l;
    }
}

/// out[c] (+)= Σ_r x[r, c].
pub fn col_sum(x: &[f32], out: &mut [f32], rows: usize, cols: usize, accumulate: bool) {
    for c in 0..cols {
        let s: f32 = (0..rows).map(|r| x[r * cols + c]).sum();
        out[c] = if accumulate { out[c] + s } else { s };
    }
}

/// Settings of one optimiser step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub l2: f32,
    /// 1 − β1^t and 1 − β2^t (Adam's bias corrections at step t).
    pub bc1: f32,
    pub bc2: f32,
}

pub fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: &Step) {
    for i in 0..w.len() {
        let grad = g[i] + s.l2 * w[i];
        m[i] = s.beta1 * m[i] + (1.0 - s.beta1) * grad;
        v[i] = s.beta2 * v[i] + (1.0 - s.beta2) * grad * grad;
        w[i] -= s.lr * (m[i] / s.bc1) / ((v[i] / s.bc2).sqrt() + s.eps);
    }
}

pub fn sgd(w: &mut [f32], g: &[f32], m: &mut [f32], s: &Step) {
    for i in 0..w.len() {
        m[i] = s.beta1 * m[i] + g[i] + s.l2 * w[i];
        w[i] -= s.lr * m[i];
    }
}

/// dst[i, :] = src[idx[offset + i], :] for i < rows.
pub fn gather(src: &[f32], idx: &[u32], dst: &mut [f32], rows: usize, cols: usize, offset: usize) {
    for r in 0..rows {
        let from = idx[offset + r] as usize * cols;
        dst[r * cols..(r + 1) * cols].copy_from_slice(&src[from..from + cols]);
    }
}

fn hash(x: u32) -> u32 {
    let h = x.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let h = ((h >> ((h >> 28) + 4)) ^ h).wrapping_mul(277_803_737);
    (h >> 22) ^ h
}

/// Inverted dropout: cell i is zeroed when hash(i, seed) falls below rate·2³², else scaled by
/// 1/(1 − rate) (the same mask on the GPU; applied to the gradient, it is the backward pass).
pub fn dropout(x: &mut [f32], rate: f32, seed: u32) {
    let threshold = (rate.min(0.9999) * 4_294_967_040.0) as u32;
    let (salt, scale) = (hash(seed), 1.0 / (1.0 - rate));
    for (i, v) in x.iter_mut().enumerate() {
        *v *= if hash(i as u32 ^ salt) < threshold { 0.0 } else { scale };
    }
}

/// One stratum of blocked SGD for matrix factorisation (see `shaders/factorize.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MfStep {
    /// B: users and items are each cut into this many blocks.
    pub blocks: usize,
    /// Which diagonal of the B × B cells this step walks (0..B).
    pub stratum: usize,
    pub factors: usize,
    pub users: usize,
    pub items: usize,
    pub lr: f32,
    pub reg: f32,
    pub mean: f32,
}

/// The ratings of cell (b, (b + stratum) mod B) for every block b, each cell in its order:
/// biases and factors in `model` ([user bias | item bias | user factors | item factors]) take
/// one SGD step per rating, and `loss[b]` gains the squared errors. The blocks are independent
/// (no user or item is in two cells of a stratum), so walking them one after another here is
/// the same as the kernel's threads walking them at once.
pub fn mf_sgd(model: &mut [f32], ratings: &[u32], cells: &[u32], loss: &mut [f32], s: &MfStep) {
    let (k, blocks) = (s.factors, s.blocks);
    let item_bias = s.users;
    let user_factors = s.users + s.items;
    let item_factors = user_factors + s.users * k;
    for b in 0..blocks {
        let cell = b * blocks + (b + s.stratum) % blocks;
        let mut squared = 0.0f32;
        for r in cells[cell] as usize..cells[cell + 1] as usize {
            let (u, i) = (ratings[3 * r] as usize, ratings[3 * r + 1] as usize);
            let rating = f32::from_bits(ratings[3 * r + 2]);
            let (pu, qi) = (user_factors + u * k, item_factors + i * k);
            let mut dot = 0.0f32;
            for f in 0..k {
                dot += model[pu + f] * model[qi + f];
            }
            let err = rating - (s.mean + model[u] + model[item_bias + i] + dot);
            squared += err * err;
            model[u] += s.lr * (err - s.reg * model[u]);
            model[item_bias + i] += s.lr * (err - s.reg * model[item_bias + i]);
            for f in 0..k {
                let (puf, qif) = (model[pu + f], model[qi + f]);
                model[pu + f] = puf + s.lr * (err * qif - s.reg * puf);
                model[qi + f] = qif + s.lr * (err * puf - s.reg * qif);
            }
        }
        loss[b] += squared;
    }
}
