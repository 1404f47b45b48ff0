//! The operations a neural network trains with, behind one trait with two engines: the wgpu
//! kernels ([`super::device::GpuEngine`]) and their CPU references ([`CpuEngine`]). The training
//! loop (`super::net`) is written once against this trait, so both paths run the same steps.

use super::GpuError;
use super::conv::{self, ConvShape};
use super::reference::{self, Activation, MatmulFlags, MfStep, Step};

/// A buffer on the engine (an index into its buffer list).
pub type Buf = usize;

/// Which loss the output layer trains with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// Softmax + cross-entropy against class indices (classification).
    SoftmaxCe,
    /// Half squared error (regression).
    Mse,
}

/// How the weights follow their gradients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimiser {
    Adam,
    SgdMomentum,
}

/// Device operations; each mirrors one kernel in `shaders/` (see `gpu::reference`).
pub trait Engine {
    /// Where it runs, in words: "cpu" or the adapter's name and backend.
    fn device(&self) -> String;
    fn upload(&mut self, data: &[f32]) -> Result<Buf, GpuError>;
    fn zeros(&mut self, len: usize) -> Result<Buf, GpuError>;
    fn upload_index(&mut self, data: &[u32]) -> Result<Buf, GpuError>;
    fn write(&mut self, buf: Buf, data: &[f32]);
    fn write_index(&mut self, buf: Buf, data: &[u32]);
    /// Waits for the queued work and reads the first `len` values of a buffer.
    fn read(&mut self, buf: Buf, len: usize) -> Result<Vec<f32>, GpuError>;
    #[allow(clippy::too_many_arguments)]
    fn matmul(&mut self, a: Buf, b: Buf, c: Buf, m: usize, n: usize, k: usize, flags: MatmulFlags);
    fn bias_act(&mut self, z: Buf, bias: Buf, out: Buf, rows: usize, cols: usize, act: Activation);
    fn act_grad(&mut self, z: Buf, g: Buf, len: usize, act: Activation);
    #[allow(clippy::too_many_arguments)]
    fn loss(&mut self, kind: LossKind, out: Buf, y: Buf, grad: Buf, row_loss: Buf, rows: usize, cols: usize);
    fn col_sum(&mut self, x: Buf, out: Buf, rows: usize, cols: usize, accumulate: bool);
    #[allow(clippy::too_many_arguments)]
    fn optimise(&mut self, kind: Optimiser, w: Buf, g: Buf, m: Buf, v: Buf, len: usize, step: &Step);
    fn gather(&mut self, src: Buf, idx: Buf, dst: Buf, rows: usize, cols: usize, offset: usize);
    /// Inverted dropout of the first `len` cells with a mask drawn from `seed`.
    fn dropout(&mut self, x: Buf, len: usize, rate: f32, seed: u32);
    /// One stratum of blocked SGD for matrix factorisation: `model` is f32, `ratings` and
    /// `cells` are index buffers (see `reference::mf_sgd`), `loss` has one cell per block.
    fn mf_sgd(&mut self, model: Buf, ratings: Buf, cells: Buf, loss: Buf, step: &MfStep);
    /// Image encoder: the k×k patches of `x` (channels last) as rows of `cols`.
    fn im2col(&mut self, x: Buf, cols: Buf, shape: &ConvShape);
    /// Image encoder: depthwise convolution + per-channel bias (+ ReLU6).
    #[allow(clippy::too_many_arguments)]
    fn depthwise(&mut self, x: Buf, w: Buf, bias: Buf, out: Buf, shape: &ConvShape, relu6: bool);
    /// `a += b` over `len` cells (a skip connection).
    fn add(&mut self, a: Buf, b: Buf, len: usize);
    /// The mean of each image's `pixels` rows per channel.
    fn mean_pool(&mut self, x: Buf, out: Buf, batch: usize, pixels: usize, channels: usize);
    /// Sends the queued work (a no-op on the CPU).
    fn flush(&mut self) -> Result<(), GpuError>;
    /// Bytes of buffers allocated on the device.
    fn memory_bytes(&self) -> u64;
}

/// The CPU path: the reference implementations over plain vectors.
#[derive(Default)]
pub struct CpuEngine {
    bufs: Vec<Vec<f32>>,
    ints: Vec<Vec<u32>>,
}

impl CpuEngine {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, data: Vec<f32>) -> Buf {
        self.bufs.push(data);
        self.ints.push(Vec::new());
        self.bufs.len() - 1
    }

    /// Runs `f` with buffer `out` taken out mutably and the others readable.
    fn with_out<R>(&mut self, out: Buf, f: impl FnOnce(&mut [f32], &[Vec<f32>]) -> R) -> R {
        let mut o = std::mem::take(&mut self.bufs[out]);
        let r = f(&mut o, &self.bufs);
        self.bufs[out] = o;
        r
    }
}

impl Engine for CpuEngine {
    fn device(&self) -> String {
        "cpu".into()
    }
    fn upload(&mut self, data: &[f32]) -> Result<Buf, GpuError> {
        Ok(self.push(data.to_vec()))
    }
    fn zeros(&mut self, len: usize) -> Result<Buf, GpuError> {
        Ok(self.push(vec![0.0; len]))
    }
    fn upload_index(&mut self, data: &[u32]) -> Result<Buf, GpuError> {
        let b = self.push(Vec::new());
        self.ints[b] = data.to_vec();
        Ok(b)
    }
    fn write(&mut self, buf: Buf, data: &[f32]) {
        self.bufs[buf][..data.len()].copy_from_slice(data);
    }
    fn write_index(&mut self, buf: Buf, data: &[u32]) {
        self.ints[buf][..data.len()].copy_from_slice(data);
    }
    fn read(&mut self, buf: Buf, len: usize) -> Result<Vec<f32>, GpuError> {
        Ok(self.bufs[buf][..len].to_vec())
    }
    fn matmul(&mut self, a: Buf, b: Buf, c: Buf, m: usize, n: usize, k: usize, flags: MatmulFlags) {
        self.with_out(c, |c, bufs| reference::matmul(&bufs[a], &bufs[b], c, m, n, k, flags));
    }
    fn bias_act(&mut self, z: Buf, bias: Buf, out: Buf, rows: usize, cols: usize, act: Activation) {
        let mut zv = std::mem::take(&mut self.bufs[z]);
        self.with_out(out, |o, bufs| reference::bias_act(&mut zv, &bufs[bias], o, rows, cols, act));
        self.bufs[z] = zv;
    }
    fn act_grad(&mut self, z: Buf, g: Buf, len: usize, act: Activation) {
        self.with_out(g, |g, bufs| reference::act_grad(&bufs[z], g, len, act));
    }
    fn loss(&mut self, kind: LossKind, out: Buf, y: Buf, grad: Buf, row_loss: Buf, rows: usize, cols: usize) {
        let mut rl = std::mem::take(&mut self.bufs[row_loss]);
        let scale = 1.0 / rows.max(1) as f32;
        self.with_out(grad, |g, bufs| match kind {
            LossKind::SoftmaxCe => reference::softmax_ce(&bufs[out], &bufs[y], g, &mut rl, rows, cols, scale),
            LossKind::Mse => reference::mse(&bufs[out], &bufs[y], g, &mut rl, rows, cols, scale),
        });
        self.bufs[row_loss] = rl;
    }
    fn col_sum(&mut self, x: Buf, out: Buf, rows: usize, cols: usize, accumulate: bool) {
        self.with_out(out, |o, bufs| reference::col_sum(&bufs[x], o, rows, cols, accumulate));
    }
    fn optimise(&mut self, kind: Optimiser, w: Buf, g: Buf, m: Buf, v: Buf, len: usize, step: &Step) {
        let mut mv = std::mem::take(&mut self.bufs[m]);
        let mut vv = std::mem::take(&mut self.bufs[v]);
        self.with_out(w, |w, bufs| match kind {
            Optimiser::Adam => reference::adam(&mut w[..len], &bufs[g], &mut mv, &mut vv, step),
            Optimiser::SgdMomentum => reference::sgd(&mut w[..len], &bufs[g], &mut mv, step),
        });
        self.bufs[m] = mv;
        self.bufs[v] = vv;
    }
    fn gather(&mut self, src: Buf, idx: Buf, dst: Buf, rows: usize, cols: usize, offset: usize) {
        let ints = std::mem::take(&mut self.ints[idx]);
        self.with_out(dst, |d, bufs| reference::gather(&bufs[src], &ints, d, rows, cols, offset));
        self.ints[idx] = ints;
    }
    fn dropout(&mut self, x: Buf, len: usize, rate: f32, seed: u32) {
        reference::dropout(&mut self.bufs[x][..len], rate, seed);
    }
    fn mf_sgd(&mut self, model: Buf, ratings: Buf, cells: Buf, loss: Buf, step: &MfStep) {
        let mut l = std::mem::take(&mut self.bufs[loss]);
        let (ints, bufs) = (&self.ints, &mut self.bufs);
        reference::mf_sgd(&mut bufs[model], &ints[ratings], &ints[cells], &mut l, step);
        self.bufs[loss] = l;
    }
    fn im2col(&mut self, x: Buf, cols: Buf, shape: &ConvShape) {
        self.with_out(cols, |c, bufs| conv::im2col(&bufs[x], c, shape));
    }
    fn depthwise(&mut self, x: Buf, w: Buf, bias: Buf, out: Buf, shape: &ConvShape, relu6: bool) {
        self.with_out(out, |o, bufs| conv::depthwise(&bufs[x], &bufs[w], &bufs[bias], o, shape, relu6));
    }
    fn add(&mut self, a: Buf, b: Buf, len: usize) {
        self.with_out(a, |a, bufs| conv::add(a, &bufs[b], len));
    }
    fn mean_pool(&mut self, x: Buf, out: Buf, batch: usize, pixels: usize, channels: usize) {
        self.with_out(out, |o, bufs| conv::mean_pool(&bufs[x], o, batch, pixels, channels));
    }
    fn flush(&mut self) -> Result<(), GpuError> {
        Ok(())
    }
    fn memory_bytes(&self) -> u64 {
        self.bufs.iter().map(|b| b.len() as u64 * 4).chain(self.ints.iter().map(|b| b.len() as u64 * 4)).sum()
    }
}
