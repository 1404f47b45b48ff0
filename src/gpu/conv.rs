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
pub(super) use dispatch;

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
    /// `batch` pictures of `height`×`width`×`channels` under a `kernel`×`kernel` filter moved by
    /// `stride`, with TensorFlow's "SAME" padding (the extra row or column at the bottom and
    /// right).
    pub fn same(batch: usize, height: usize, width: usize, channels: usize, kernel: usize, stride: usize) -> Self {
        let pad = |size: usize| ((size.div_ceil(stride) - 1) * stride + kernel).saturating_sub(size) / 2;
        ConvShape { batch, height, width, channels, kernel, stride, pad_top: pad(height), pad_left: pad(width) }
    }
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

/// A general convolution with few inputs per output cell (the encoder's stem: 3×3 taps of 3
/// colours → 32 channels) straight from the picture, without patches: every input value under
/// the kernel is broadcast and multiplied into the output channels' vectors, for several output
/// cells at once (eight inside the picture, four at its frame), so each weight vector is loaded
/// once for all of them. `w` is laid out
/// `[(ky, kx, in), out]`, as for [`im2col`]. Returns `false`, writing nothing, when `outputs`
/// is not one, two or four vector registers wide (then use [`im2col`] and a matrix product).
pub fn conv_small(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    out: &mut [f32],
    s: &ConvShape,
    outputs: usize,
    relu6: bool,
) -> bool {
    let mut done = false;
    dispatch!(simd: ConvSmall { x: &'a [f32] = x, w: &'a [f32] = w, bias: &'a [f32] = bias, out: &'a mut [f32] = out, s: &'a ConvShape = s, outputs: usize = outputs, relu6: bool = relu6, done: &'a mut bool = &mut done }
    => {
        let vectors = if outputs % S::F32_LANES == 0 { outputs / S::F32_LANES } else { 0 };
        *done = matches!(vectors, 1 | 2 | 4);
        match vectors {
            1 => conv_small_loops::<S, 1>(simd, x, w, bias, out, s, relu6),
            2 => conv_small_loops::<S, 2>(simd, x, w, bias, out, s, relu6),
            4 => conv_small_loops::<S, 4>(simd, x, w, bias, out, s, relu6),
            _ => {}
        }
    });
    done
}

/// [`conv_small`] with `V` vectors of output channels: the encoder's stem (3×3 taps of 3
/// colours, stride 2) with its shape fixed at compile time inside the picture, where it spends
/// nearly all its time; any other shape, and the frame, cell by cell.
#[inline(always)]
fn conv_small_loops<S: pulp::Simd, const V: usize>(
    simd: S,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    out: &mut [f32],
    s: &ConvShape,
    relu6: bool,
) {
    let (oh, ow) = (s.out_height(), s.out_width());
    let outputs = V * S::F32_LANES;
    let stem = (s.kernel, s.channels, s.stride) == (3, 3, 2);
    let inside = super::depthwise::inner_columns(s, s.kernel);
    let bias: [S::f32s; V] = std::array::from_fn(|v| load::<S>(&bias[v * S::F32_LANES..]));
    let a = SmallArgs { x, w, bias, s, relu6 };
    for (r, o_row) in out.chunks_exact_mut(ow * outputs).take(s.batch * oh).enumerate() {
        let (b, oy) = (r / oh, r % oh);
        // the first input row under the kernel, when all k rows are inside the picture
        let top = (oy * s.stride).checked_sub(s.pad_top).filter(|y| y + s.kernel <= s.height);
        let mut ox = 0;
        while ox < ow {
            if let Some(y) = top.filter(|_| stem && inside.contains(&ox)) {
                let row = (b * s.height + y) * s.width;
                if V <= 2 && ox + 8 <= inside.end {
                    small_inside::<S, V, 8, 3, 3, 2>(simd, &a, o_row, row, ox);
                    ox += 8;
                    continue;
                }
                if ox + 4 <= inside.end {
                    small_inside::<S, V, 4, 3, 3, 2>(simd, &a, o_row, row, ox);
                    ox += 4;
                    continue;
                }
            }
            // up to four cells, not running into the inside from the left
            let n = 4.min(ow - ox).min(if ox < inside.start { inside.start - ox } else { ow });
            small_cells::<S, V>(simd, &a, o_row, b, oy, ox, n);
            ox += n;
        }
    }
}

/// What the loops of [`conv_small`] read.
struct SmallArgs<'a, S: pulp::Simd, const V: usize> {
    x: &'a [f32],
    w: &'a [f32],
    bias: [S::f32s; V],
    s: &'a ConvShape,
    relu6: bool,
}

/// Writes output cells `ox..ox + n` (n ≤ P) of the `o_row` (`V` vectors each), ReLU6 when set.
#[inline(always)]
fn finish_cells<S: pulp::Simd, const V: usize, const P: usize>(
    simd: S,
    acc: &[[S::f32s; V]; P],
    o_row: &mut [f32],
    ox: usize,
    n: usize,
    relu6: bool,
) {
    let (lanes, outputs) = (S::F32_LANES, V * S::F32_LANES);
    let (zero, six) = (simd.splat_f32s(0.0), simd.splat_f32s(6.0));
    for (j, acc) in acc.iter().enumerate().take(n) {
        for (v, a) in acc.iter().enumerate() {
            let a = if relu6 { simd.min_f32s(simd.max_f32s(*a, zero), six) } else { *a };
            store::<S>(&mut o_row[(ox + j) * outputs + v * lanes..], a);
        }
    }
}

/// `P` output cells from `ox` on whose taps all fall inside the picture (`row`: the cell offset
/// of the first input row under them), with `K`×`K` taps of `C` inputs and stride `ST` known at
/// compile time: every loop unrolls, and each input row the cells read is one fixed-size array,
/// so no load is bounds-checked. Each weight vector is loaded once for the `P` cells; `P`·`V`
/// sums stay in registers.
#[inline(always)]
fn small_inside<S: pulp::Simd, const V: usize, const P: usize, const K: usize, const C: usize, const ST: usize>(
    simd: S,
    a: &SmallArgs<'_, S, V>,
    o_row: &mut [f32],
    row: usize,
    ox: usize,
) {
    let (s, lanes, outputs) = (a.s, S::F32_LANES, V * S::F32_LANES);
    let mut acc = [a.bias; P];
    let span = ((P - 1) * ST + K) * C;
    let first = row + ox * ST - s.pad_left;
    for ky in 0..K {
        let xr = &a.x[(first + ky * s.width) * C..][..span];
        for kx in 0..K {
            for ci in 0..C {
                let t = ((ky * K + kx) * C + ci) * outputs;
                let wv: [S::f32s; V] = std::array::from_fn(|v| load::<S>(&a.w[t + v * lanes..]));
                for (j, acc) in acc.iter_mut().enumerate() {
                    let xv = simd.splat_f32s(xr[(j * ST + kx) * C + ci]);
                    for v in 0..V {
                        acc[v] = simd.mul_add_e_f32s(xv, wv[v], acc[v]);
                    }
                }
            }
        }
    }
    finish_cells::<S, V, P>(simd, &acc, o_row, ox, P, a.relu6);
}

/// Output cells `ox..ox + n` (n ≤ 4) of output row `oy` of picture `b`, each tap checked against
/// the picture's edges.
#[inline(always)]
fn small_cells<S: pulp::Simd, const V: usize>(
    simd: S,
    a: &SmallArgs<'_, S, V>,
    o_row: &mut [f32],
    b: usize,
    oy: usize,
    ox: usize,
    n: usize,
) {
    const P: usize = 4;
    let (s, lanes, outputs) = (a.s, S::F32_LANES, V * S::F32_LANES);
    let (c, k) = (s.channels, s.kernel);
    let mut acc = [a.bias; P];
    for ky in 0..k {
        let Some(y) = (oy * s.stride + ky).checked_sub(s.pad_top).filter(|y| *y < s.height) else { continue };
        let row = (b * s.height + y) * s.width;
        for kx in 0..k {
            // the input cell under tap kx of each of the n output cells, if inside
            let cells: [Option<usize>; P] = std::array::from_fn(|j| {
                let xx = ((ox + j) * s.stride + kx).checked_sub(s.pad_left)?;
                (j < n && xx < s.width).then_some((row + xx) * c)
            });
            for ci in 0..c {
                let t = ((ky * k + kx) * c + ci) * outputs;
                let wv: [S::f32s; V] = std::array::from_fn(|v| load::<S>(&a.w[t + v * lanes..]));
                for (j, cell) in cells.iter().enumerate() {
                    if let Some(at) = cell {
                        let xv = simd.splat_f32s(a.x[at + ci]);
                        for v in 0..V {
                            acc[j][v] = simd.mul_add_e_f32s(xv, wv[v], acc[j][v]);
                        }
                    }
                }
            }
        }
    }
    finish_cells::<S, V, P>(simd, &acc, o_row, ox, n, a.relu6);
}

pub use super::depthwise::{depthwise, depthwise_of_relu6};

/// One vector of `S`'s lanes from the front of `v` (an unaligned load).
#[inline(always)]
pub(super) fn load<S: pulp::Simd>(v: &[f32]) -> S::f32s {
    bytemuck::pod_read_unaligned(bytemuck::cast_slice(&v[..S::F32_LANES]))
}

/// Writes one vector to the front of `v` (an unaligned store).
#[inline(always)]
pub(super) fn store<S: pulp::Simd>(v: &mut [f32], x: S::f32s) {
    bytemuck::cast_slice_mut::<f32, u8>(&mut v[..S::F32_LANES]).copy_from_slice(bytemuck::bytes_of(&x));
}

/// The end of a matrix product written without its bias (the 1×1 layers): `x` += the per-channel
/// `bias` (rows of `bias.len()` cells), then ReLU6 when `relu6`, then + `skip` (the block's input)
/// when given — one pass over the output instead of filling it with the bias first, reading it
/// back in the product and passing over it again for each of the rest.
pub fn bias_relu6_skip(x: &mut [f32], bias: &[f32], relu6: bool, skip: Option<&[f32]>) {
    let c = bias.len().max(1);
    let rows = x.chunks_exact_mut(c);
    match skip {
        Some(skip) => {
            dispatch!(simd: BiasSkip { rows: std::slice::ChunksExactMut<'a, f32> = rows, bias: &'a [f32] = bias, skip: std::slice::ChunksExact<'a, f32> = skip.chunks_exact(c), relu6: bool = relu6 }
            => for (row, skip) in rows.zip(skip) {
                for ((v, b), s) in row.iter_mut().zip(bias).zip(skip) {
                    let a = *v + b;
                    *v = if relu6 { a.clamp(0.0, 6.0) } else { a } + s;
                }
            })
        }
        None => {
            dispatch!(simd: Bias { rows: std::slice::ChunksExactMut<'a, f32> = rows, bias: &'a [f32] = bias, relu6: bool = relu6 }
            => for row in rows {
                for (v, b) in row.iter_mut().zip(bias) {
                    let a = *v + b;
                    *v = if relu6 { a.clamp(0.0, 6.0) } else { a };
                }
            })
        }
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
    fn depthwise_of_relu6_adds_the_input_bias_and_clamps_first() {
        let s =
            ConvShape { batch: 1, height: 6, width: 5, channels: 88, kernel: 3, stride: 1, pad_top: 1, pad_left: 1 };
        let x: Vec<f32> = values(6 * 5 * 88, 8).iter().map(|v| v * 9.0).collect(); // −9 … 9
        let (w, bias, in_bias) = (values(9 * 88, 9), values(88, 10), values(88, 11));
        let clamped: Vec<f32> = x.iter().enumerate().map(|(i, v)| (v + in_bias[i % 88]).clamp(0.0, 6.0)).collect();
        let (mut want, mut got) = (vec![0.0; 6 * 5 * 88], vec![0.0; 6 * 5 * 88]);
        depthwise(&clamped, &w, &bias, &mut want, &s, true);
        depthwise_of_relu6(&x, &in_bias, &w, &bias, &mut got, &s, true);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }

    /// The direct small convolution equals patches times weights, for one, two and four vectors
    /// of output channels (16, 32 and 64 with AVX-512; 8, 16 and 32 with AVX2, where 64 is eight
    /// vectors and left to the patches), with SAME padding on odd sizes, stride 2 and 1; other
    /// widths are left to the patches.
    #[test]
    fn conv_small_is_patches_times_weights() {
        // the stem (3×3 taps of 3 colours, stride 2) inside the picture in blocks of 8 and 4 cells
        // (1, 2 or 4 vectors of outputs), with padding on both sides or only bottom and right
        for (outputs, stride, height, width) in
            [(32, 2, 9, 7), (16, 1, 5, 6), (32, 2, 224, 224), (16, 2, 11, 41), (64, 2, 10, 37), (32, 2, 23, 23)]
        {
            let s = ConvShape::same(2, height, width, 3, 3, stride);
            let x = values(2 * height * width * 3, 12);
            let (w, bias) = (values(27 * outputs, 13), values(outputs, 14));
            let mut cols = vec![0.0; s.out_pixels() * 27];
            im2col(&x, &mut cols, &s);
            let mut want = vec![0.0; s.out_pixels() * outputs];
            crate::gpu::sgemm::matmul_rows(&cols, &w, &mut want, s.out_pixels(), outputs, 27);
            bias_relu6_skip(&mut want, &bias, true, None);
            let mut got = vec![f32::NAN; s.out_pixels() * outputs];
            if !conv_small(&x, &w, &bias, &mut got, &s, outputs, true) {
                // only 64 outputs on a CPU without AVX-512 (eight vectors); nothing is written
                assert!(outputs == 64 && got.iter().all(|v| v.is_nan()), "{s:?}: {outputs} outputs refused");
                continue;
            }
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() < 1e-4, "{s:?}, cell {}: {g} vs {w}", i / outputs);
            }
        }
        let s = ConvShape { batch: 1, height: 4, width: 4, channels: 3, kernel: 3, stride: 1, pad_top: 1, pad_left: 1 };
        let mut untouched = vec![f32::NAN; 16 * 5];
        assert!(!conv_small(&values(48, 1), &values(27 * 5, 2), &values(5, 3), &mut untouched, &s, 5, false));
        assert!(untouched.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn bias_relu6_skip_is_bias_then_relu6_then_the_skip() {
        let (bias, skip) = (values(7, 15), values(21, 16));
        let x: Vec<f32> = values(21, 17).iter().map(|v| v * 9.0).collect();
        for (relu, with_skip) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut got = x.clone();
            bias_relu6_skip(&mut got, &bias, relu, with_skip.then_some(&skip[..]));
            for (i, g) in got.iter().enumerate() {
                let a = x[i] + bias[i % 7];
                let want = if relu { a.clamp(0.0, 6.0) } else { a } + if with_skip { skip[i] } else { 0.0 };
                assert!((g - want).abs() < 1e-6, "{relu} {with_skip} {i}: {g} vs {want}");
            }
        }
    }

    #[test]
    fn mean_pool_averages_each_image() {
        let mut out = vec![0.0; 4];
        mean_pool(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &mut out, 2, 2, 2);
        assert_eq!(out, vec![2.0, 3.0, 6.0, 7.0]);
    }
}
