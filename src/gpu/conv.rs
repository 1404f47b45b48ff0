//! CPU references of the convolution kernels in `shaders/conv.wgsl`, which the pretrained image
//! encoder (`media::encoder`) runs on. They are also the encoder's CPU path, so they are written
//! for speed where it is cheap: activations are channels-last (`[batch, height, width,
//! channels]`), so a 1×1 convolution is one matrix product (`reference::matmul`, matrixmultiply's
//! SGEMM) and the depthwise loops run over contiguous channels, which the compiler vectorises.

/// A convolution's geometry. Padding is TensorFlow's "SAME" (the model was trained with it):
/// `out = ceil(in / stride)`, the extra row or column of padding on the bottom and right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

impl ConvShape {
    pub fn out_height(&self) -> usize {
        self.height.div_ceil(self.stride)
    }
    pub fn out_width(&self) -> usize {
        self.width.div_ceil(self.stride)
    }
    /// The output pixels of all images.
    pub fn out_pixels(&self) -> usize {
        self.batch * self.out_height() * self.out_width()
    }
    /// The input cell feeding output (`oy`, `ox`) at kernel tap (`ky`, `kx`), if inside.
    fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let y = (oy * self.stride + ky).checked_sub(self.pad_top)?;
        let x = (ox * self.stride + kx).checked_sub(self.pad_left)?;
        (y < self.height && x < self.width).then_some((y, x))
    }
}

/// Patches for a general convolution: row (b, oy, ox) holds the k×k×channels input cells in
/// (ky, kx, c) order, zeros outside the image, so that `cols · W` is the convolution.
pub fn im2col(x: &[f32], cols: &mut [f32], s: &ConvShape) {
    let (oh, ow, c, k) = (s.out_height(), s.out_width(), s.channels, s.kernel);
    let row_len = k * k * c;
    for b in 0..s.batch {
        for oy in 0..oh {
            for ox in 0..ow {
                let row = &mut cols[((b * oh + oy) * ow + ox) * row_len..][..row_len];
                for ky in 0..k {
                    for kx in 0..k {
                        let dst = &mut row[(ky * k + kx) * c..][..c];
                        match s.source(oy, ox, ky, kx) {
                            Some((y, xx)) => dst.copy_from_slice(&x[((b * s.height + y) * s.width + xx) * c..][..c]),
                            None => dst.fill(0.0),
                        }
                    }
                }
            }
        }
    }
}

/// Depthwise convolution (one k×k filter per channel, `w` laid out `[ky, kx, c]`), plus the
/// per-channel bias, then ReLU6 when `relu6`.
pub fn depthwise(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], s: &ConvShape, relu6: bool) {
    let (oh, ow, c, k) = (s.out_height(), s.out_width(), s.channels, s.kernel);
    for b in 0..s.batch {
        for oy in 0..oh {
            for ox in 0..ow {
                let o = &mut out[((b * oh + oy) * ow + ox) * c..][..c];
                o.copy_from_slice(&bias[..c]);
                for ky in 0..k {
                    for kx in 0..k {
                        let Some((y, xx)) = s.source(oy, ox, ky, kx) else { continue };
                        let src = &x[((b * s.height + y) * s.width + xx) * c..][..c];
                        let wt = &w[(ky * k + kx) * c..][..c];
                        for ((o, &v), &wv) in o.iter_mut().zip(src).zip(wt) {
                            *o += v * wv;
                        }
                    }
                }
                if relu6 {
                    o.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0));
                }
            }
        }
    }
}

/// Adds the per-channel bias to `[pixels, channels]` cells, then ReLU6 when `relu6` (what
/// `reference::bias_act` does with `Activation::Relu6` or `Identity`, in place).
pub fn bias_relu6(x: &mut [f32], bias: &[f32], relu6: bool) {
    for row in x.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v += b;
            if relu6 {
                *v = v.clamp(0.0, 6.0);
            }
        }
    }
}

/// `a += b` over the first `len` cells (the inverted-residual skip connection).
pub fn add(a: &mut [f32], b: &[f32], len: usize) {
    a[..len].iter_mut().zip(&b[..len]).for_each(|(a, b)| *a += b);
}

/// Global average pooling: `out[b, c]` = the mean of image b's `pixels` rows of channel c.
pub fn mean_pool(x: &[f32], out: &mut [f32], batch: usize, pixels: usize, channels: usize) {
    for b in 0..batch {
        let o = &mut out[b * channels..][..channels];
        o.fill(0.0);
        for p in 0..pixels {
            let row = &x[(b * pixels + p) * channels..][..channels];
            o.iter_mut().zip(row).for_each(|(o, v)| *o += v);
        }
        let scale = 1.0 / pixels.max(1) as f32;
        o.iter_mut().for_each(|v| *v *= scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct convolution over (out channel, in channel, ky, kx) weights, the textbook way.
    fn direct(x: &[f32], w: &[f32], s: &ConvShape, out_channels: usize) -> Vec<f32> {
        let (oh, ow, c, k) = (s.out_height(), s.out_width(), s.channels, s.kernel);
        let mut out = vec![0.0; s.batch * oh * ow * out_channels];
        for b in 0..s.batch {
            for oy in 0..oh {
                for ox in 0..ow {
                    for o in 0..out_channels {
                        let mut acc = 0.0;
                        for ky in 0..k {
                            for kx in 0..k {
                                if let Some((y, xx)) = s.source(oy, ox, ky, kx) {
                                    for ci in 0..c {
                                        acc += x[((b * s.height + y) * s.width + xx) * c + ci]
                                            * w[((o * c + ci) * k + ky) * k + kx];
                                    }
                                }
                            }
                        }
                        out[((b * oh + oy) * ow + ox) * out_channels + o] = acc;
                    }
                }
            }
        }
        out
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    #[test]
    fn im2col_times_weights_is_the_convolution() {
        let s = ConvShape { batch: 2, height: 7, width: 6, channels: 3, kernel: 3, stride: 2, pad_top: 0, pad_left: 0 };
        let (x, w) = (values(2 * 7 * 6 * 3, 1), values(5 * 3 * 9, 2));
        let mut cols = vec![0.0; s.out_pixels() * 27];
        im2col(&x, &mut cols, &s);
        // weights as [(ky, kx, c), out]
        let mut wt = vec![0.0; 27 * 5];
        for o in 0..5 {
            for ci in 0..3 {
                for t in 0..9 {
                    wt[(t * 3 + ci) * 5 + o] = w[(o * 3 + ci) * 9 + t];
                }
            }
        }
        let mut out = vec![0.0; s.out_pixels() * 5];
        let flags = crate::gpu::reference::MatmulFlags::default();
        crate::gpu::reference::matmul(&cols, &wt, &mut out, s.out_pixels(), 5, 27, flags);
        let want = direct(&x, &w, &s, 5);
        assert_eq!(s.out_height(), 4);
        for (a, b) in out.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn depthwise_is_a_grouped_convolution() {
        let s = ConvShape { batch: 1, height: 5, width: 5, channels: 4, kernel: 3, stride: 1, pad_top: 1, pad_left: 1 };
        let x = values(100, 3);
        let w = values(36, 4); // [ky, kx, c]
        let mut out = vec![0.0; 100];
        depthwise(&x, &w, &[0.0; 4], &mut out, &s, false);
        for c in 0..4 {
            let xc: Vec<f32> = (0..25).map(|p| x[p * 4 + c]).collect();
            let wc: Vec<f32> = (0..9).map(|t| w[t * 4 + c]).collect();
            let one = ConvShape { channels: 1, ..s };
            let want = direct(&xc, &wc, &one, 1);
            for p in 0..25 {
                assert!((out[p * 4 + c] - want[p]).abs() < 1e-5);
            }
        }
        let mut clipped = vec![0.0; 100];
        depthwise(&x, &w, &[10.0; 4], &mut clipped, &s, true);
        assert!(clipped.iter().all(|v| *v <= 6.0 && *v >= 0.0) && clipped.contains(&6.0));
    }

    #[test]
    fn mean_pool_averages_each_image() {
        let mut out = vec![0.0; 4];
        mean_pool(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &mut out, 2, 2, 2);
        assert_eq!(out, vec![2.0, 3.0, 6.0, 7.0]);
    }
}
