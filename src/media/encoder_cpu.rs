//! The working parts of the encoder's CPU path (`Encoder::run_layers`): its reusable buffers and
//! the expansion layers run together with the depthwise layer after them.

use super::encoder::Layer;
use crate::gpu::conv::ConvShape;
use crate::gpu::{conv, sgemm};

/// Buffers reused from layer to layer (and picture to picture) by [`Encoder::features_batch`](super::encoder::Encoder::features_batch).
#[derive(Default)]
pub(super) struct Work {
    /// The input of the block being run, for its skip connection.
    pub(super) block_input: Vec<f32>,
    /// The previous layer's input, reused as the next layer's output.
    pub(super) spare: Vec<f32>,
    /// A general convolution's patches.
    pub(super) cols: Vec<f32>,
    /// One picture's input to the first layers.
    pub(super) input: Vec<f32>,
    /// The batch's pictures joined after the first layers.
    pub(super) joined: Vec<f32>,
    /// The rows of an expansion layer's output a band of [`expand_then_depthwise`] reads.
    pub(super) band: Vec<f32>,
}

/// The input rows of a depthwise layer that [`expand_then_depthwise`] keeps at once (512 KB:
/// a quarter of this machine's 2 MB second-level cache per core).
pub(super) const BAND_CELLS: usize = 128 * 1024;

/// An expansion and its depthwise layer run together (see [`expand_then_depthwise`]) when one
/// picture's expansion output has more cells than this (2 MB, the second-level cache of a
/// core): in the encoder, only the 112×112×96 one (4.8 MB). Measured per layer, fusing saved
/// 0.1–0.3 ms a picture there (the pair 1.16–1.41 ms → 0.91–1.13 ms) but changed each smaller
/// pair by −0.03 to +0.06 ms, as their output stays in that cache between the two layers anyway.
pub(super) const FUSE_ABOVE: usize = 512 * 1024;

/// An expansion layer (1×1 convolution, bias, ReLU6) and the depthwise layer reading its output
/// (geometry `s`, whose channels are the expansion's outputs), computed together: the expansion
/// writes a band of rows into `band`, which stays in the core's cache while the depthwise layer
/// reads it. One after the other, an expansion output larger than that cache goes to memory
/// and comes back.
///
/// The band holds the input rows (at most `band_cells` cells, or k rows) of a run of output
/// rows; the rows two runs share (k − stride, more where the first run is clipped by the top
/// edge) are moved to its front rather than computed again.
pub(super) fn expand_then_depthwise(
    x: &[f32],
    e: &Layer,
    dw: &Layer,
    s: &ConvShape,
    out: &mut [f32],
    band: &mut Vec<f32>,
    band_cells: usize,
) {
    let (c, k, stride) = (s.channels, s.kernel, s.stride);
    let (row_in, row_out, oh) = (s.width * c, s.out_width() * c, s.out_height());
    // expands input rows `rows` of picture `b` into `into`, then bias and ReLU6
    let expand = |b: usize, rows: std::ops::Range<usize>, into: &mut [f32]| {
        let pixels = rows.len() * s.width;
        let first = (b * s.height + rows.start) * s.width * e.inputs;
        sgemm::matmul_rows(&x[first..], &e.weight, into, pixels, c, e.inputs);
        conv::bias_relu6_skip(&mut into[..pixels * c], &e.bias, true, None);
    };
    // output rows per band: their input rows, (rows − 1)·stride + k, fit the band
    let per_band = ((band_cells / row_in.max(1)).saturating_sub(k) / stride + 1).max(1);
    for b in 0..s.batch {
        let mut held = 0..0; // the input rows in the band
        for oy0 in (0..oh).step_by(per_band) {
            let oy1 = (oy0 + per_band).min(oh);
            let y0 = (oy0 * stride).saturating_sub(s.pad_top);
            let y1 = ((oy1 - 1) * stride + k).saturating_sub(s.pad_top).min(s.height);
            let rows_in_band = room(band, (y1 - y0).max(held.len()) * row_in);
            // rows y0.. already held move to the front; the rest are expanded after them
            let kept = if held.contains(&y0) { held.end - y0 } else { 0 };
            if kept > 0 {
                let from = (y0 - held.start) * row_in;
                rows_in_band.copy_within(from..from + kept * row_in, 0);
            }
            expand(b, y0 + kept..y1, &mut rows_in_band[kept * row_in..]);
            held = y0..y1;
            // the band as a picture of rows y0..y1; its output rows from 0 are oy0..oy1
            let sub = ConvShape { batch: 1, height: y1 - y0, pad_top: y0 + s.pad_top - oy0 * stride, ..*s };
            let rows = &mut out[(b * oh + oy0) * row_out..][..(oy1 - oy0) * row_out];
            conv::depthwise(&rows_in_band[..(y1 - y0) * row_in], &dw.weight, &dw.bias, rows, &sub, dw.relu6);
        }
    }
}

/// The first `len` cells of `buffer`, grown (never shrunk) to hold them. Each buffer of [`Work`]
/// serves layers of different sizes in turn: resizing it to each one's exact size wrote zeros
/// over the growth every time (3 % of the encoder's time), which the layers then overwrite.
/// The cells past `len` are stale and never read.
pub(super) fn room(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    &mut buffer[..len]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::encoder::LayerKind;

    /// An expansion and its depthwise layer together, in bands of a few rows (so that bands
    /// share rows, clipped at the top and bottom), equal the two layers one after the other:
    /// kernels 3 and 5, strides 1 and 2, odd sizes, two pictures.
    #[test]
    fn expansion_then_depthwise_in_bands_is_the_two_layers() {
        let value = |i: usize, seed: usize| ((i * 2_654_435_761 + seed * 40_503) % 1000) as f32 / 250.0 - 2.0;
        for (height, width, inputs, c, k, stride, band_rows) in
            [(23, 9, 5, 20, 3, 2, 4), (30, 7, 3, 24, 5, 1, 6), (17, 6, 4, 16, 3, 1, 3), (12, 11, 6, 40, 5, 2, 5)]
        {
            let s = ConvShape::same(2, height, width, c, k, stride);
            let layer = |kind, inputs, outputs, kernel, weights: usize, seed| Layer {
                kind,
                inputs,
                outputs,
                kernel,
                stride,
                pad_top: s.pad_top,
                pad_left: s.pad_left,
                relu6: true,
                save_input: false,
                skip: false,
                weight: (0..weights).map(|i| value(i, seed) / 4.0).collect(),
                bias: (0..outputs).map(|i| value(i, seed + 1)).collect(),
            };
            let e = layer(LayerKind::Pointwise, inputs, c, 1, inputs * c, 1);
            let dw = layer(LayerKind::Depthwise, c, c, k, k * k * c, 3);
            let x: Vec<f32> = (0..2 * height * width * inputs).map(|i| value(i, 5)).collect();
            let mut expanded = vec![0.0; 2 * height * width * c];
            sgemm::matmul_rows(&x, &e.weight, &mut expanded, 2 * height * width, c, inputs);
            conv::bias_relu6_skip(&mut expanded, &e.bias, true, None);
            let mut want = vec![0.0; s.out_pixels() * c];
            conv::depthwise(&expanded, &dw.weight, &dw.bias, &mut want, &s, true);
            let mut got = vec![f32::NAN; s.out_pixels() * c];
            expand_then_depthwise(&x, &e, &dw, &s, &mut got, &mut Vec::new(), band_rows * width * c);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{s:?} cell {}: {g} vs {w}", i / c);
            }
        }
    }
}
