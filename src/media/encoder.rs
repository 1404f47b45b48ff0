//! The pretrained image encoder: EfficientNet-Lite0 (ImageNet), shipped in
//! `assets/encoders/efficientnet_lite0.safetensors` (converted once by
//! `tools/convert_encoder.py`, batch norms folded into the convolutions). A 224×224 picture
//! becomes the 1280 pooled features of its last convolution, which a small classifier head
//! learns from (transfer learning).
//!
//! The CPU path runs the reference kernels of `gpu::conv` (the same arithmetic the WGSL kernels
//! are checked against) with the 1×1 convolutions on `gpu::sgemm`, batches of up to [`BATCH`]
//! pictures per core.

use super::MediaError;
use super::encoder_cpu::{BAND_CELLS, FUSE_ABOVE, Work, expand_then_depthwise, room};
use crate::gpu::reference::{MatmulFlags, matmul};
use crate::gpu::{conv, sgemm};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The converted weights, compiled in: nothing is downloaded at run time.
const SHIPPED_BYTES: &[u8] = include_bytes!("../../assets/encoders/efficientnet_lite0.safetensors");

/// Which encoder made a set of features: bundles keep this, not the weights, and refuse to run
/// with a different encoder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderId {
    pub name: String,
    pub sha256: String,
}

/// Pictures run through the layers together on one core (see [`Encoder::features_batch`]).
pub const BATCH: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LayerKind {
    /// 1×1 convolution: one matrix product, weights `[in, out]`.
    Pointwise,
    /// One k×k filter per channel, weights `[ky, kx, c]`.
    Depthwise,
    /// Any other convolution (the stem): patches × weights `[(ky, kx, in), out]`.
    General,
}

#[derive(Clone, Debug)]
pub(super) struct Layer {
    pub(super) kind: LayerKind,
    pub(super) inputs: usize,
    pub(super) outputs: usize,
    pub(super) kernel: usize,
    pub(super) stride: usize,
    pub(super) pad_top: usize,
    pub(super) pad_left: usize,
    pub(super) relu6: bool,
    /// Keep this layer's input: the block it starts ends with a skip connection.
    pub(super) save_input: bool,
    /// Add the saved block input to this layer's output.
    pub(super) skip: bool,
    pub(super) weight: Vec<f32>,
    pub(super) bias: Vec<f32>,
}

#[derive(Deserialize)]
struct LayerMeta {
    name: String,
    out: usize,
    kernel: usize,
    stride: usize,
    pad: [usize; 4],
    groups: usize,
    relu6: bool,
    block: Option<usize>,
    skip: bool,
}

#[derive(Deserialize)]
struct InputMeta {
    size: usize,
    mean: f32,
    std: f32,
}

/// One convolution laid out as ONNX and PyTorch write it, for exporters.
pub struct ExportLayer {
    /// `[outputs, inputs / groups, kernel, kernel]`
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub inputs: usize,
    pub outputs: usize,
    pub groups: usize,
    pub kernel: usize,
    pub stride: usize,
    /// Zero padding (top, left, bottom, right): TensorFlow's "SAME" for the layer's input size.
    pub pads: [usize; 4],
    pub relu6: bool,
    /// Keep this layer's input for the block's skip connection.
    pub save_input: bool,
    /// Add the kept input to this layer's output.
    pub skip: bool,
}

/// A loaded encoder.
pub struct Encoder {
    pub id: EncoderId,
    /// The square input side in pixels (224).
    pub size: usize,
    /// Input normalisation: `(value - mean) / std` on 0–255 RGB.
    pub mean: f32,
    pub std: f32,
    pub(super) layers: Vec<Layer>,
    /// ImageNet classifier `[features, classes]` and bias (used to check the port).
    classifier: (Vec<f32>, Vec<f32>),
    /// Work buffers kept between calls, at most one set per core that ran the encoder (about
    /// 15 MB each at batches of [`BATCH`]). Fresh buffers cost more than the layers they serve:
    /// the kernel zeroes every new page. With buffers allocated per call, page faults and
    /// zeroing were 24 % of `cairn bench images`' samples in `perf`; with kept ones, 11 %
    /// (mostly the start: loading the weights, the ONNX export).
    pool: Mutex<Vec<Work>>,
}

/// The encoder shipped with Cairn, loaded once.
pub fn shipped() -> Result<&'static Encoder, MediaError> {
    static SHIPPED: OnceLock<Result<Encoder, String>> = OnceLock::new();
    SHIPPED
        .get_or_init(|| Encoder::from_safetensors(SHIPPED_BYTES).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| MediaError::Encoder(e.clone()))
}

fn tensor(st: &safetensors::SafeTensors<'_>, name: &str) -> Result<(Vec<usize>, Vec<f32>), MediaError> {
    let t = st.tensor(name).map_err(|e| MediaError::Encoder(format!("{name}: {e}")))?;
    if t.dtype() != safetensors::Dtype::F32 {
        return Err(MediaError::Encoder(format!("{name}: expected float32, found {:?}", t.dtype())));
    }
    let values = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    Ok((t.shape().to_vec(), values))
}

impl Encoder {
    /// Reads a converted encoder (see `tools/convert_encoder.py` for the layout).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Encoder, MediaError> {
        let bad = |m: String| MediaError::Encoder(m);
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| meta.get(k).cloned().ok_or_else(|| bad(format!("the encoder file has no \"{k}\"")));
        let layer_meta: Vec<LayerMeta> = serde_json::from_str(&get("layers")?).map_err(|e| bad(e.to_string()))?;
        let input: InputMeta = serde_json::from_str(&get("input")?).map_err(|e| bad(e.to_string()))?;
        let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
        let skips: std::collections::HashSet<usize> =
            layer_meta.iter().filter(|l| l.skip).filter_map(|l| l.block).collect();
        let mut layers = Vec::with_capacity(layer_meta.len());
        let mut previous_block = None;
        for m in &layer_meta {
            let (shape, w) = tensor(&st, &format!("{}.weight", m.name))?;
            let (_, bias) = tensor(&st, &format!("{}.bias", m.name))?;
            let [out, per_group, k, k2] = shape[..] else {
                return Err(bad(format!("{}: a convolution weight needs 4 dimensions", m.name)));
            };
            if out != m.out || k != k2 || k != m.kernel || bias.len() != out {
                return Err(bad(format!("{}: the weight's shape {shape:?} does not match the layer", m.name)));
            }
            let inputs = per_group * m.groups;
            let kind = if m.groups > 1 && m.groups == out && per_group == 1 {
                LayerKind::Depthwise
            } else if m.groups == 1 && k == 1 {
                LayerKind::Pointwise
            } else if m.groups == 1 {
                LayerKind::General
            } else {
                return Err(bad(format!("{}: grouped convolutions other than depthwise are not supported", m.name)));
            };
            let weight = match kind {
                LayerKind::Pointwise => (0..inputs * out).map(|i| w[(i % out) * inputs + i / out]).collect(),
                LayerKind::Depthwise => (0..k * k * out).map(|i| w[(i % out) * k * k + i / out]).collect(),
                LayerKind::General => (0..k * k * inputs * out)
                    .map(|i| {
                        let (row, o) = (i / out, i % out);
                        let (tap, ci) = (row / inputs, row % inputs);
                        w[(o * inputs + ci) * k * k + tap]
                    })
                    .collect(),
            };
            let starts_block = m.block.is_some() && m.block != previous_block;
            previous_block = m.block;
            layers.push(Layer {
                kind,
                inputs,
                outputs: out,
                kernel: k,
                stride: m.stride,
                pad_top: m.pad[0],
                pad_left: m.pad[2],
                relu6: m.relu6,
                save_input: starts_block && m.block.is_some_and(|b| skips.contains(&b)),
                skip: m.skip,
                weight,
                bias,
            });
        }
        let (shape, w) = tensor(&st, "classifier.weight")?;
        let (_, b) = tensor(&st, "classifier.bias")?;
        let [classes, features] = shape[..] else { return Err(bad("classifier.weight needs 2 dimensions".into())) };
        let classifier_w = (0..features * classes).map(|i| w[(i % classes) * features + i / classes]).collect();
        Ok(Encoder {
            id: EncoderId { name: get("name")?, sha256: format!("{:x}", Sha256::digest(bytes)) },
            size: input.size,
            mean: input.mean,
            std: input.std,
            layers,
            classifier: (classifier_w, b),
            pool: Mutex::default(),
        })
    }

    /// How many features a picture becomes (1280).
    pub fn width(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// The pooled features of one normalised `size`×`size`×3 picture (channels last).
    pub fn features(&self, input: &[f32]) -> Vec<f32> {
        self.features_batch(&[input]).remove(0)
    }

    /// The pooled features of a few pictures. The early layers (large pictures, few channels)
    /// run one picture at a time, so that a layer's output is still in the core's cache when
    /// the next layer reads it; from [`Self::batched_from`] on (at most 28×28 pixels a picture)
    /// the pictures run together, so that each layer's weights — megabytes in the late 1×1
    /// layers, for 49 pixels a picture — are read once for the whole batch.
    ///
    /// # Panics
    /// When a picture is not `size`·`size`·3 values (see `picture::encoder_input`).
    pub fn features_batch(&self, inputs: &[&[f32]]) -> Vec<Vec<f32>> {
        let mut work = self.take_work();
        let features = self.embed(inputs, &mut work);
        self.keep_work(work);
        features
    }

    /// A set of work buffers from the pool (or a new one when every set is in use).
    fn take_work(&self) -> Work {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default()
    }

    /// Returns `work` to the pool, which keeps one set per core at most.
    fn keep_work(&self, work: Work) {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < rayon::current_num_threads() {
            pool.push(work);
        }
    }

    /// [`Self::features_batch`] with buffers kept from an earlier call.
    fn embed(&self, inputs: &[&[f32]], work: &mut Work) -> Vec<Vec<f32>> {
        let batch = inputs.len();
        let split = self.batched_from();
        let mut joined = std::mem::take(&mut work.joined);
        let (mut h, mut w, mut at) = (self.size, self.size, 0);
        for input in inputs {
            assert_eq!(input.len(), self.size * self.size * 3, "the encoder takes size×size×3 values a picture");
            let mut x = std::mem::take(&mut work.input);
            room(&mut x, input.len()).copy_from_slice(input);
            let (out, oh, ow) = self.run_layers(&self.layers[..split], x, 1, (self.size, self.size), work);
            let len = oh * ow * self.layers[..split].last().map_or(3, |l| l.outputs);
            room(&mut joined, at + len)[at..].copy_from_slice(&out[..len]);
            at += len;
            work.input = out;
            (h, w) = (oh, ow);
        }
        let (x, h, w) = self.run_layers(&self.layers[split..], joined, batch, (h, w), work);
        let width = self.width();
        let mut pooled = vec![0.0; batch * width];
        conv::mean_pool(&x, &mut pooled, batch, h * w, width);
        work.joined = x;
        pooled.chunks_exact(width.max(1)).map(<[f32]>::to_vec).collect()
    }

    /// The first layer that runs on whole batches: the first whose input has at most 28×28
    /// pixels and that is not inside a block with a skip connection.
    fn batched_from(&self) -> usize {
        let (mut h, mut w, mut open_skip) = (self.size, self.size, false);
        for (i, l) in self.layers.iter().enumerate() {
            open_skip |= l.save_input;
            if !open_skip && h * w <= 28 * 28 {
                return i;
            }
            open_skip &= !l.skip;
            let s = self.shape(l, 1, h, w);
            (h, w) = (s.out_height(), s.out_width());
        }
        self.layers.len()
    }

    /// Runs `layers` on `batch` pictures of `h`×`w` cells (the first `batch`·`h`·`w`·inputs cells
    /// of `x`); returns the output (its first cells: a buffer may be longer) and its size.
    fn run_layers(
        &self,
        layers: &[Layer],
        mut x: Vec<f32>,
        batch: usize,
        (mut h, mut w): (usize, usize),
        work: &mut Work,
    ) -> (Vec<f32>, usize, usize) {
        // an expansion layer's bias and ReLU6 are left to the depthwise layer reading its output
        let mut pending_bias: Option<&[f32]> = None;
        let mut i = 0;
        while i < layers.len() {
            let layer = &layers[i];
            if layer.save_input {
                let len = batch * h * w * layer.inputs;
                room(&mut work.block_input, len).copy_from_slice(&x[..len]);
            }
            // an expansion whose output only the depthwise layer after it reads: its bias and
            // ReLU6 go into that layer's loads, or, for a large output, the two run together
            let feeds_depthwise = layers.get(i + 1).filter(|next| {
                layer.kind == LayerKind::Pointwise
                    && layer.relu6
                    && !layer.skip
                    && next.kind == LayerKind::Depthwise
                    && !next.save_input
            });
            let fused = feeds_depthwise.filter(|next| !next.skip && h * w * layer.outputs > FUSE_ABOVE);
            let defer_relu6 = feeds_depthwise.is_some() && fused.is_none();
            let last = fused.unwrap_or(layer);
            let s = self.shape(last, batch, h, w);
            let pixels = s.out_pixels();
            let mut buffer = std::mem::take(&mut work.spare);
            let out = room(&mut buffer, pixels * last.outputs);
            let skip = last.skip.then(|| &work.block_input[..pixels * last.outputs]);
            // a product is written without its bias; bias, ReLU6 and the skip connection follow
            // in one pass (`true`: the skip is in), or in the depthwise layer's loads
            let skip_added = match (layer.kind, fused) {
                (_, Some(depthwise)) => {
                    expand_then_depthwise(&x, layer, depthwise, &s, out, &mut work.band, BAND_CELLS);
                    false
                }
                (LayerKind::Pointwise, None) => {
                    sgemm::matmul_rows(&x, &layer.weight, out, pixels, layer.outputs, layer.inputs);
                    !defer_relu6 && {
                        conv::bias_relu6_skip(out, &layer.bias, layer.relu6, skip);
                        true
                    }
                }
                (LayerKind::Depthwise, None) => {
                    match pending_bias {
                        Some(in_bias) => {
                            conv::depthwise_of_relu6(&x, in_bias, &layer.weight, &layer.bias, out, &s, layer.relu6);
                        }
                        None => conv::depthwise(&x, &layer.weight, &layer.bias, out, &s, layer.relu6),
                    }
                    false
                }
                (LayerKind::General, None) => {
                    !conv::conv_small(&x, &layer.weight, &layer.bias, out, &s, layer.outputs, layer.relu6) && {
                        let taps = layer.kernel * layer.kernel * layer.inputs;
                        let cols = room(&mut work.cols, pixels * taps);
                        conv::im2col(&x, cols, &s);
                        sgemm::matmul_rows(cols, &layer.weight, out, pixels, layer.outputs, taps);
                        conv::bias_relu6_skip(out, &layer.bias, layer.relu6, skip);
                        true
                    }
                }
            };
            if let Some(skip) = skip.filter(|_| !skip_added) {
                conv::add(out, skip, skip.len());
            }
            work.spare = std::mem::replace(&mut x, buffer);
            pending_bias = defer_relu6.then_some(&layer.bias[..]);
            (h, w) = (s.out_height(), s.out_width());
            i += if fused.is_some() { 2 } else { 1 };
        }
        (x, h, w)
    }

    /// The features of many pictures: batches of up to [`BATCH`] pictures, in parallel on the
    /// CPU's cores.
    pub fn features_many(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let per_core = inputs.len().div_ceil(rayon::current_num_threads().max(1));
        let size = per_core.clamp(1, BATCH);
        let batches: Vec<Vec<Vec<f32>>> = inputs
            .par_chunks(size)
            .map(|chunk| self.features_batch(&chunk.iter().map(Vec::as_slice).collect::<Vec<_>>()))
            .collect();
        batches.into_iter().flatten().collect()
    }

    /// The layers in ONNX/PyTorch layout with their padding written out (for exporters).
    pub fn export_layers(&self) -> Vec<ExportLayer> {
        let (mut h, mut w) = (self.size, self.size);
        let mut out = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let (k, ins, outs) = (l.kernel, l.inputs, l.outputs);
            let (weight, groups) = match l.kind {
                LayerKind::Pointwise => ((0..outs * ins).map(|i| l.weight[(i % ins) * outs + i / ins]).collect(), 1),
                LayerKind::Depthwise => {
                    ((0..outs * k * k).map(|i| l.weight[(i % (k * k)) * outs + i / (k * k)]).collect(), outs)
                }
                LayerKind::General => {
                    let w = (0..outs * ins * k * k)
                        .map(|i| {
                            let (o, rest) = (i / (ins * k * k), i % (ins * k * k));
                            let (ci, tap) = (rest / (k * k), rest % (k * k));
                            l.weight[(tap * ins + ci) * outs + o]
                        })
                        .collect();
                    (w, 1)
                }
            };
            let s = self.shape(l, 1, h, w);
            let total = |size: usize, out: usize| ((out - 1) * l.stride + k).saturating_sub(size);
            let (th, tw) = (total(h, s.out_height()), total(w, s.out_width()));
            let pads = [l.pad_top, l.pad_left, th.saturating_sub(l.pad_top), tw.saturating_sub(l.pad_left)];
            out.push(ExportLayer {
                weight,
                bias: l.bias.clone(),
                inputs: ins,
                outputs: outs,
                groups,
                kernel: k,
                stride: l.stride,
                pads,
                relu6: l.relu6,
                save_input: l.save_input,
                skip: l.skip,
            });
            (h, w) = (s.out_height(), s.out_width());
        }
        out
    }

    /// The ImageNet class scores (1000 logits) of pooled features.
    pub fn imagenet_logits(&self, features: &[f32]) -> Vec<f32> {
        let (w, b) = &self.classifier;
        let mut out = b.clone();
        let flags = MatmulFlags { accumulate: true, ..MatmulFlags::default() };
        matmul(features, w, &mut out, 1, b.len(), features.len(), flags);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pictures embedded together (batched late layers, reused buffers, the deferred ReLU6)
    /// give each picture's features alone, in order.
    #[test]
    fn a_batch_gives_each_pictures_own_features() {
        let encoder = shipped().expect("the shipped encoder");
        let size = encoder.size * encoder.size * 3;
        let picture = |seed: usize| -> Vec<f32> {
            (0..size).map(|i| (((i * 2_654_435_761 + seed * 97) % 255) as f32 - 127.0) / 128.0).collect()
        };
        let (a, b) = (picture(1), picture(2));
        let (one_a, one_b) = (encoder.features(&a), encoder.features(&b));
        let together = encoder.features_batch(&[&a, &b, &a]);
        let many = encoder.features_many(&[a.clone(), b.clone(), a.clone(), b.clone()]);
        assert_eq!((together.len(), many.len()), (3, 4));
        let close = |x: &[f32], y: &[f32]| {
            let diff: f32 = x.iter().zip(y).map(|(p, q)| (p - q).powi(2)).sum();
            let norm: f32 = y.iter().map(|q| q * q).sum();
            (diff / norm).sqrt() < 1e-5
        };
        assert!(!close(&one_a, &one_b), "two different pictures should not embed alike");
        for (got, want) in
            together.iter().zip([&one_a, &one_b, &one_a]).chain(many.iter().zip([&one_a, &one_b, &one_a, &one_b]))
        {
            assert!(close(got, want));
        }
    }
}
