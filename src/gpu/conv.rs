//! CPU references of the convolution kernels in `shaders/conv.wgsl`, which the pretrained image
//! encoder (`media::encoder`) runs on. They are also the encoder's CPU path, so they are written
//! for speed: activations are channels-last (`[batch, height, width, channels]`), so a 1×1
//! convolution is one matrix product (`sgemm`, the gemm crate's AVX-512 kernels) and the
//! depthwise loops run over contiguous channels in vector registers — AVX-512 or AVX2 when the
//! CPU has them: `pulp::Arch::dispatch` compiles each loop once per instruction set and picks at
//! run time (the default x86-64 target stops at SSE2).

/// Runs `$body` (the fields of `$name` in scope) compiled for the best instruction set this CPU
/// has. A struct with an `#[inline(always)]` method rather than a closure: pulp's dispatch only
/// vectorises what is inlined into its target-feature function, and a closure's body was not
/// (measured: scalar SSE code, 1.5–2.5 GMAC/s in the depthwise loops).
macro_rules! dispatch {
    ($simd:ident: $name:ident { $($field:ident: $ty:ty = $value:expr),* $(,)? } => $body:expr) => {{
        struct $name<'a> {
            $($field: $ty,)*
            _life: std::marker::PhantomData<&'a ()>,
        }
        impl pulp::WithSimd for $name<'_> {
            type Output = ();
            #[inline(always)]
            #[allow(unused_variables)]
            fn with_simd<S: pulp::Simd>(self, $simd: S) {
                let $name { $($field,)* .. } = self;
                $body
            }
        }
        pulp::Arch::new().dispatch($name { $($field: $value,)* _life: std::marker::PhantomData });
    }};
}

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
    #[inline(always)]
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
    dispatch!(simd: Depthwise { x: &'a [f32] = x, w: &'a [f32] = w, bias: &'a [f32] = bias, out: &'a mut [f32] = out, s: &'a ConvShape = s, relu6: bool = relu6 }
        => depthwise_loops::<_, false>(simd, x, w, bias, out, s, relu6));
}

/// [`depthwise`] of ReLU6(`x`): the clamp done as each input vector is loaded, which saves the
/// encoder a pass over its largest activations (the expansion layers' outputs, which only the
/// depthwise layer after them reads).
pub fn depthwise_of_relu6(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], s: &ConvShape, relu6: bool) {
    dispatch!(simd: DepthwiseOfRelu6 { x: &'a [f32] = x, w: &'a [f32] = w, bias: &'a [f32] = bias, out: &'a mut [f32] = out, s: &'a ConvShape = s, relu6: bool = relu6 }
        => depthwise_loops::<_, true>(simd, x, w, bias, out, s, relu6));
}

/// One vector of `S`'s lanes from the front of `v` (an unaligned load).
#[inline(always)]
fn load<S: pulp::Simd>(v: &[f32]) -> S::f32s {
    bytemuck::pod_read_unaligned(bytemuck::cast_slice(&v[..S::F32_LANES]))
}

/// Writes one vector to the front of `v` (an unaligned store).
#[inline(always)]
fn store<S: pulp::Simd>(v: &mut [f32], x: S::f32s) {
    bytemuck::cast_slice_mut::<f32, u8>(&mut v[..S::F32_LANES]).copy_from_slice(bytemuck::bytes_of(&x));
}

/// `N` vectors of channels from `cb` on of one output cell: the bias plus every tap's input
/// times its weights, accumulated in registers (independent sums, so the multiply-adds overlap),
/// then ReLU6 and one store.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn depthwise_block<S: pulp::Simd, const N: usize, const CLAMP_INPUT: bool>(
    simd: S,
    o: &mut [f32],
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    taps: &[(usize, usize)],
    cb: usize,
    relu6: bool,
) {
    let lanes = S::F32_LANES;
    let width = N * lanes;
    let bias = &bias[cb..][..width];
    let (zero, six) = (simd.splat_f32s(0.0), simd.splat_f32s(6.0));
    let mut acc: [S::f32s; N] = std::array::from_fn(|j| load::<S>(&bias[j * lanes..]));
    for &(wo, xo) in taps {
        let (xs, ws) = (&x[xo + cb..][..width], &w[wo + cb..][..width]);
        for j in 0..N {
            let xv = load::<S>(&xs[j * lanes..]);
            let xv = if CLAMP_INPUT { simd.min_f32s(simd.max_f32s(xv, zero), six) } else { xv };
            acc[j] = simd.mul_add_e_f32s(xv, load::<S>(&ws[j * lanes..]), acc[j]);
        }
    }
    let o = &mut o[cb..][..width];
    for (j, a) in acc.into_iter().enumerate() {
        let a = if relu6 { simd.min_f32s(simd.max_f32s(a, zero), six) } else { a };
        store::<S>(&mut o[j * lanes..], a);
    }
}

/// For each output cell: the taps inside the picture, then its channels four vector registers
/// at a time (64 channels with AVX-512), then one at a time, then any last channels one by one.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn depthwise_loops<S: pulp::Simd, const CLAMP_INPUT: bool>(
    simd: S,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    out: &mut [f32],
    s: &ConvShape,
    relu6: bool,
) {
    let (oh, ow, c, k) = (s.out_height(), s.out_width(), s.channels, s.kernel);
    if c == 0 {
        return;
    }
    let lanes = S::F32_LANES;
    // (weight offset, input offset) of each tap inside the picture, for the current cell
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(k * k);
    let mut rows: Vec<(usize, usize)> = Vec::with_capacity(k); // (ky, offset of input row y)
    let cells = out.chunks_exact_mut(c).take(s.batch * oh * ow);
    for (cell, o) in cells.enumerate() {
        let ox = cell % ow;
        if ox == 0 {
            let (b, oy) = (cell / (oh * ow), cell / ow % oh);
            rows.clear();
            for ky in 0..k {
                if let Some(y) = (oy * s.stride + ky).checked_sub(s.pad_top).filter(|y| *y < s.height) {
                    rows.push((ky, (b * s.height + y) * s.width * c));
                }
            }
        }
        // taps kx_lo..kx_hi land inside the row: 0 ≤ ox·stride + kx − pad_left < width
        let left = ox * s.stride;
        let kx_lo = s.pad_left.saturating_sub(left);
        let kx_hi = (s.width + s.pad_left).saturating_sub(left).min(k);
        taps.clear();
        for &(ky, row) in &rows {
            for kx in kx_lo..kx_hi {
                taps.push(((ky * k + kx) * c, row + (left + kx - s.pad_left) * c));
            }
        }
        let o = &mut o[..];
        let mut cb = 0;
        while cb + 4 * lanes <= c {
            depthwise_block::<S, 4, CLAMP_INPUT>(simd, o, x, w, bias, &taps, cb, relu6);
            cb += 4 * lanes;
        }
        while cb + lanes <= c {
            depthwise_block::<S, 1, CLAMP_INPUT>(simd, o, x, w, bias, &taps, cb, relu6);
            cb += lanes;
        }
        for ch in cb..c {
            let mut acc = bias[ch];
            for &(wo, xo) in &taps {
                let xv = if CLAMP_INPUT { x[xo + ch].clamp(0.0, 6.0) } else { x[xo + ch] };
                acc += xv * w[wo + ch];
            }
            o[ch] = if relu6 { acc.clamp(0.0, 6.0) } else { acc };
        }
    }
}

/// Every row of `x` set to `row` (a bias, before a matrix product adds to it).
pub fn fill_rows(x: &mut [f32], row: &[f32]) {
    x.chunks_exact_mut(row.len().max(1)).for_each(|r| r.copy_from_slice(row));
}

/// ReLU6 in place, when `on`.
pub fn relu6(x: &mut [f32], on: bool) {
    if on {
        dispatch!(simd: Relu6 { x: &'a mut [f32] = x } => x.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0)));
    }
}

/// `a += b` over the first `len` cells (the inverted-residual skip connection).
pub fn add(a: &mut [f32], b: &[f32], len: usize) {
    dispatch!(simd: Add { a: &'a mut [f32] = &mut a[..len], b: &'a [f32] = &b[..len] } => a.iter_mut().zip(b).for_each(|(a, b)| *a += b));
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
    fn depthwise_blocks_and_tail_channels_match_the_direct_convolution() {
        // 88 channels: with AVX-512 a block of four vectors (64), one vector (16) and 8 channels
        // one by one (with AVX2: two blocks of 32, three vectors of 8); stride 2 with SAME
        // padding, 2 images
        const C: usize = 88;
        let s = ConvShape { batch: 2, height: 9, width: 8, channels: C, kernel: 5, stride: 2, pad_top: 1, pad_left: 2 };
        let x = values(2 * 9 * 8 * C, 5);
        let w = values(25 * C, 6);
        let bias = values(C, 7);
        let mut out = vec![0.0; s.out_pixels() * C];
        depthwise(&x, &w, &bias, &mut out, &s, false);
        for b in 0..2 {
            for c in 0..C {
                let xc: Vec<f32> = (0..72).map(|p| x[(b * 72 + p) * C + c]).collect();
                let wc: Vec<f32> = (0..25).map(|t| w[t * C + c]).collect();
                let one = ConvShape { batch: 1, channels: 1, ..s };
                let want = direct(&xc, &wc, &one, 1);
                for (p, want) in want.iter().enumerate() {
                    let got = out[(b * one.out_pixels() + p) * C + c];
                    assert!(
                        (got - want - bias[c]).abs() < 1e-5,
                        "image {b} channel {c} cell {p}: {got} vs {}",
                        want + bias[c]
                    );
                }
            }
        }
    }

    #[test]
    fn depthwise_of_relu6_clamps_its_input_first() {
        let s =
            ConvShape { batch: 1, height: 6, width: 5, channels: 88, kernel: 3, stride: 1, pad_top: 1, pad_left: 1 };
        let x: Vec<f32> = values(6 * 5 * 88, 8).iter().map(|v| v * 9.0).collect(); // −9 … 9
        let (w, bias) = (values(9 * 88, 9), values(88, 10));
        let clamped: Vec<f32> = x.iter().map(|v| v.clamp(0.0, 6.0)).collect();
        let (mut want, mut got) = (vec![0.0; 6 * 5 * 88], vec![0.0; 6 * 5 * 88]);
        depthwise(&clamped, &w, &bias, &mut want, &s, true);
        depthwise_of_relu6(&x, &w, &bias, &mut got, &s, true);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }

    #[test]
    fn mean_pool_averages_each_image() {
        let mut out = vec![0.0; 4];
        mean_pool(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &mut out, 2, 2, 2);
        assert_eq!(out, vec![2.0, 3.0, 6.0, 7.0]);
    }
}
