//! The encoder on a [`gpu::Engine`]: the same layers as the CPU path (`encoder::features`), run
//! batch by batch through the engine's kernels — `shaders/conv.wgsl` (im2col, depthwise,
//! skip, pooling), `matmul.wgsl` and `activation.wgsl` (bias + ReLU6) on a GPU, their CPU
//! references on [`gpu::CpuEngine`]. Weights are uploaded once; activations live in three
//! buffers sized for the largest layer, so a block's input stays put until its skip is added.

use super::encoder::{Encoder, LayerKind};
use crate::gpu::conv::ConvShape;
use crate::gpu::reference::{Activation, MatmulFlags};
use crate::gpu::{Buf, Engine, GpuError};

/// An encoder whose weights are on `engine`, for batches of up to `batch` pictures.
pub struct EngineEncoder<'a, E: Engine> {
    encoder: &'a Encoder,
    pub engine: E,
    batch: usize,
    weights: Vec<(Buf, Buf)>,
    input: Buf,
    pool: [Buf; 3],
    z: Buf,
    cols: Buf,
    pooled: Buf,
}

impl<'a, E: Engine> EngineEncoder<'a, E> {
    pub fn new(encoder: &'a Encoder, mut engine: E, batch: usize) -> Result<Self, GpuError> {
        let batch = batch.max(1);
        let weights = encoder
            .layers
            .iter()
            .map(|l| Ok((engine.upload(&l.weight)?, engine.upload(&l.bias)?)))
            .collect::<Result<Vec<_>, GpuError>>()?;
        // The largest activation, matrix-product output and patch matrix of one picture.
        let (mut h, mut w) = (encoder.size, encoder.size);
        let (mut act, mut cols) = (h * w * 3, 1);
        for l in &encoder.layers {
            let s = encoder.shape(l, 1, h, w);
            let pixels = s.out_pixels();
            act = act.max(pixels * l.outputs);
            if l.kind == LayerKind::General {
                cols = cols.max(pixels * l.kernel * l.kernel * l.inputs);
            }
            (h, w) = (s.out_height(), s.out_width());
        }
        let input = engine.zeros(batch * encoder.size * encoder.size * 3)?;
        let pool = [engine.zeros(batch * act)?, engine.zeros(batch * act)?, engine.zeros(batch * act)?];
        let z = engine.zeros(batch * act)?;
        let cols = engine.zeros(batch * cols)?;
        let pooled = engine.zeros(batch * encoder.width())?;
        Ok(EngineEncoder { encoder, engine, batch, weights, input, pool, z, cols, pooled })
    }

    /// The pooled features of normalised pictures (each `size`×`size`×3, channels last).
    pub fn features(&mut self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, GpuError> {
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(self.batch) {
            out.extend(self.batch_features(chunk)?);
        }
        Ok(out)
    }

    fn batch_features(&mut self, chunk: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, GpuError> {
        let enc = self.encoder;
        let b = chunk.len();
        let flat: Vec<f32> = chunk.iter().flatten().copied().collect();
        self.engine.write(self.input, &flat);
        let (mut h, mut w) = (enc.size, enc.size);
        let mut cur = self.input;
        let mut saved = cur;
        for (l, &(weight, bias)) in enc.layers.iter().zip(&self.weights) {
            if l.save_input {
                saved = cur;
            }
            let next = *self.pool.iter().find(|&&p| p != cur && p != saved).unwrap_or(&self.pool[0]);
            let s = enc.shape(l, b, h, w);
            let rows = s.out_pixels();
            let act = if l.relu6 { Activation::Relu6 } else { Activation::Identity };
            match l.kind {
                LayerKind::Pointwise => {
                    self.engine.matmul(cur, weight, self.z, rows, l.outputs, l.inputs, MatmulFlags::default());
                    self.engine.bias_act(self.z, bias, next, rows, l.outputs, act);
                }
                LayerKind::Depthwise => self.engine.depthwise(cur, weight, bias, next, &s, l.relu6),
                LayerKind::General => {
                    let taps = l.kernel * l.kernel * l.inputs;
                    self.engine.im2col(cur, self.cols, &s);
                    self.engine.matmul(self.cols, weight, self.z, rows, l.outputs, taps, MatmulFlags::default());
                    self.engine.bias_act(self.z, bias, next, rows, l.outputs, act);
                }
            }
            if l.skip {
                self.engine.add(next, saved, rows * l.outputs);
            }
            cur = next;
            (h, w) = (s.out_height(), s.out_width());
        }
        let width = enc.width();
        self.engine.mean_pool(cur, self.pooled, b, h * w, width);
        let pooled = self.engine.read(self.pooled, b * width)?;
        Ok(pooled.chunks(width).map(<[f32]>::to_vec).collect())
    }
}

impl Encoder {
    /// The geometry of layer `l` on a `batch` of `h`×`w` inputs.
    pub(super) fn shape(&self, l: &super::encoder::Layer, batch: usize, h: usize, w: usize) -> ConvShape {
        ConvShape {
            batch,
            height: h,
            width: w,
            channels: l.inputs,
            kernel: l.kernel,
            stride: l.stride,
            pad_top: l.pad_top,
            pad_left: l.pad_left,
        }
    }
}
