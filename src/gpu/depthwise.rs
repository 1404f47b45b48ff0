//! The depthwise convolution (one k×k filter per channel) of the encoder's CPU path, and the
//! CPU reference of `shaders/conv.wgsl`'s depthwise kernel.
//!
//! Channels-last activations; the loops run on whole vector registers of channels, compiled per
//! instruction set (`dispatch!`). Two loops, chosen by the layer's width (see [`by_kernel`]):
//! - cell by cell: each output cell sums its taps (those inside the picture) for four vectors
//!   of channels at a time in registers;
//! - row by row, for narrow layers: inside the picture (every tap on an input cell: all but a
//!   frame one or two cells wide) one vector of channels at a time along an output row, four
//!   cells at once with one kernel row's weights in registers, so each multiply-add loads only
//!   its input; the frame goes cell by cell. Its loads are unchecked: their indices are bounded
//!   once per row (the asserts in [`inner_row`]), because a bounds check and overflow-checked
//!   index arithmetic on each took more instructions than the multiply-add.

#![allow(unsafe_code)]

use super::conv::{ConvShape, dispatch, load, store};

/// Depthwise convolution (one k×k filter per channel, `w` laid out `[ky, kx, c]`), plus the
/// per-channel bias, then ReLU6 when `relu6`.
pub fn depthwise(x: &[f32], w: &[f32], bias: &[f32], out: &mut [f32], s: &ConvShape, relu6: bool) {
    dispatch!(simd: Depthwise { x: &'a [f32] = x, w: &'a [f32] = w, bias: &'a [f32] = bias, out: &'a mut [f32] = out, s: &'a ConvShape = s, relu6: bool = relu6 }
        => by_kernel::<_, false>(simd, Args { x, in_bias: &[], w, bias, s, relu6 }, out));
}

/// [`depthwise`] of ReLU6(`x` + `in_bias`) (`in_bias` per channel): the previous layer's bias and
/// activation applied as each input vector is loaded, which saves the encoder two passes over
/// its largest activations (the expansion layers' outputs, which only the depthwise layer after
/// them reads). The padding outside the picture stays zero.
///
/// # Panics
/// When `in_bias` has fewer than `s.channels` values.
pub fn depthwise_of_relu6(
    x: &[f32],
    in_bias: &[f32],
    w: &[f32],
    bias: &[f32],
    out: &mut [f32],
    s: &ConvShape,
    relu6: bool,
) {
    assert!(in_bias.len() >= s.channels, "depthwise_of_relu6: one input bias per channel");
    dispatch!(simd: DepthwiseOfRelu6 { x: &'a [f32] = x, in_bias: &'a [f32] = in_bias, w: &'a [f32] = w, bias: &'a [f32] = bias, out: &'a mut [f32] = out, s: &'a ConvShape = s, relu6: bool = relu6 }
        => by_kernel::<_, true>(simd, Args { x, in_bias, w, bias, s, relu6 }, out));
}

/// What every loop below reads.
#[derive(Clone, Copy)]
struct Args<'a> {
    x: &'a [f32],
    /// Added to the input before its clamp (only read when the input is clamped).
    in_bias: &'a [f32],
    w: &'a [f32],
    bias: &'a [f32],
    s: &'a ConvShape,
    relu6: bool,
}

/// Wide layers (at least four vector registers of channels) cell by cell; narrow ones with the
/// encoder's kernel sizes (3 and 5) row by row, with the size fixed at compile time.
///
/// Measured on this machine's layer shapes (GMAC/s, row by row against cell by cell): 32
/// channels at 112×112, 13.6 against 5.1 (a cell's 32 channels are two vectors, too few to
/// hide each tap's bookkeeping); from 96 channels on the cell-by-cell loop was as fast or
/// faster (56×56×144: 13.5 against 12.8; 28×28×240, 5×5: 10.5 against 16.2; 7×7×1152 in
/// batches of 8: 7.0 against 10.1), as reading every weight vector once per row costs more
/// there than the taps' bookkeeping.
#[inline(always)]
fn by_kernel<S: pulp::Simd, const CLAMP_INPUT: bool>(simd: S, a: Args<'_>, out: &mut [f32]) {
    if a.s.channels >= 4 * S::F32_LANES {
        return by_cells::<S, CLAMP_INPUT>(simd, a, out);
    }
    match a.s.kernel {
        3 => by_rows::<S, 3, CLAMP_INPUT>(simd, a, out),
        5 => by_rows::<S, 5, CLAMP_INPUT>(simd, a, out),
        _ => by_cells::<S, CLAMP_INPUT>(simd, a, out),
    }
}

/// An input vector `xv` as the layer reads it: ReLU6(`xv` + `ib`) when it reads ReLU6 of its
/// input plus the previous layer's bias `ib`, else `xv`.
#[inline(always)]
fn activated<S: pulp::Simd, const CLAMP_INPUT: bool>(simd: S, xv: S::f32s, ib: S::f32s) -> S::f32s {
    if CLAMP_INPUT {
        let v = simd.add_f32s(xv, ib);
        simd.min_f32s(simd.max_f32s(v, simd.splat_f32s(0.0)), simd.splat_f32s(6.0))
    } else {
        xv
    }
}

/// The input bias of channels `at..at + lanes` (zeros when the input is not clamped).
#[inline(always)]
fn in_bias<S: pulp::Simd, const CLAMP_INPUT: bool>(simd: S, a: Args<'_>, at: usize) -> S::f32s {
    if CLAMP_INPUT { load::<S>(&a.in_bias[at..]) } else { simd.splat_f32s(0.0) }
}

/// One input channel's value as the layer reads it (the scalar [`activated`]).
#[inline(always)]
fn activated_one<const CLAMP_INPUT: bool>(a: Args<'_>, xv: f32, ch: usize) -> f32 {
    if CLAMP_INPUT { (xv + a.in_bias[ch]).clamp(0.0, 6.0) } else { xv }
}

/// ReLU6 of a finished sum when `on`.
#[inline(always)]
fn finish<S: pulp::Simd>(simd: S, v: S::f32s, on: bool) -> S::f32s {
    if on { simd.min_f32s(simd.max_f32s(v, simd.splat_f32s(0.0)), simd.splat_f32s(6.0)) } else { v }
}

/// The output columns whose k taps all fall inside an input row: `lo..hi` (possibly empty).
pub(super) fn inner_columns(s: &ConvShape, k: usize) -> std::ops::Range<usize> {
    let lo = s.pad_left.div_ceil(s.stride);
    // ox·stride − pad_left + k − 1 ≤ width − 1
    let hi = match (s.width + s.pad_left).checked_sub(k) {
        Some(last) => (last / s.stride + 1).min(s.out_width()),
        None => 0,
    };
    lo..hi.max(lo)
}

/// Output row by output row: the frame cell by cell, the inside with [`inner_row`].
#[inline(always)]
fn by_rows<S: pulp::Simd, const K: usize, const CLAMP_INPUT: bool>(simd: S, a: Args<'_>, out: &mut [f32]) {
    let s = a.s;
    let (oh, ow, c) = (s.out_height(), s.out_width(), s.channels);
    if c == 0 || ow == 0 {
        return;
    }
    let inner = inner_columns(s, K);
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(K * K);
    let mut present: Vec<(usize, usize)> = Vec::with_capacity(K); // (ky, offset of input row y)
    for (r, o_row) in out.chunks_exact_mut(ow * c).take(s.batch * oh).enumerate() {
        let (b, oy) = (r / oh, r % oh);
        rows_present(s, b, oy, &mut present);
        let mut rows = [0; K];
        for &(ky, row) in &present {
            rows[ky] = row;
        }
        let inside = if present.len() == K { inner.clone() } else { 0..0 };
        for ox in (0..ow).filter(|ox| !inside.contains(ox)) {
            cell_taps(s, &present, ox, &mut taps);
            cell::<S, CLAMP_INPUT>(simd, a, &mut o_row[ox * c..][..c], &taps);
        }
        if !inside.is_empty() {
            inner_row::<S, K, 4, CLAMP_INPUT>(simd, a, o_row, &rows, inside);
        }
    }
}

/// Every output cell. When a cell's weights (k·k taps of every channel) outgrow a third of the
/// core's 48 KB first-level cache, a block of channels at a time along each output row: the
/// block's weights (6.4 KB for 5×5 taps of four AVX-512 vectors) then stay in that cache while
/// the row's cells use them, and so do the input rows' cells of the block; else cell by cell.
/// Measured, the two orders interleaved in one process (GMAC/s, cell by cell → blocks along the
/// row): 5×5 taps of 1152 channels at 7×7 (batch 8) 6.6–9.3 → 9.1–14.3, of 672 at 14×14
/// 5.5–5.9 → 7.7–8.1, of 240 at 28×28 4.9–7.4 → 6.2–9.8; but 3×3 taps of 144 channels at 56×56
/// 4.9–9.3 → 4.9–8.2 and of 96 with stride 2 3.8–6.5 → 3.6–5.2 (their weights fit already).
#[inline(always)]
fn by_cells<S: pulp::Simd, const CLAMP_INPUT: bool>(simd: S, a: Args<'_>, out: &mut [f32]) {
    let s = a.s;
    let (oh, ow, c, k) = (s.out_height(), s.out_width(), s.channels, s.kernel);
    if c == 0 || ow == 0 {
        return;
    }
    let lanes = S::F32_LANES;
    let blocked = k * k * c * std::mem::size_of::<f32>() > 16 * 1024;
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(k * k);
    let mut present: Vec<(usize, usize)> = Vec::with_capacity(k);
    // every cell's taps in the row, cell ox's from starts[ox] to starts[ox + 1]
    let mut row_taps: Vec<(usize, usize)> = Vec::with_capacity(ow * k * k);
    let mut starts: Vec<usize> = Vec::with_capacity(ow + 1);
    for (r, o_row) in out.chunks_exact_mut(ow * c).take(s.batch * oh).enumerate() {
        let (b, oy) = (r / oh, r % oh);
        rows_present(s, b, oy, &mut present);
        row_taps.clear();
        starts.clear();
        for ox in 0..ow {
            starts.push(row_taps.len());
            cell_taps(s, &present, ox, &mut taps);
            row_taps.extend_from_slice(&taps);
        }
        starts.push(row_taps.len());
        let cell_of = |ox: usize| &row_taps[starts[ox]..starts[ox + 1]];
        if !blocked {
            for ox in 0..ow {
                cell::<S, CLAMP_INPUT>(simd, a, &mut o_row[ox * c..][..c], cell_of(ox));
            }
            continue;
        }
        let mut cb = 0;
        while cb + 4 * lanes <= c {
            for ox in 0..ow {
                cell_block::<S, 4, CLAMP_INPUT>(simd, a, &mut o_row[ox * c..][..c], cell_of(ox), cb);
            }
            cb += 4 * lanes;
        }
        while cb + lanes <= c {
            for ox in 0..ow {
                cell_block::<S, 1, CLAMP_INPUT>(simd, a, &mut o_row[ox * c..][..c], cell_of(ox), cb);
            }
            cb += lanes;
        }
        if cb < c {
            for ox in 0..ow {
                last_channels::<CLAMP_INPUT>(a, &mut o_row[ox * c..][..c], cell_of(ox), cb);
            }
        }
    }
}

/// The kernel rows of output row `oy` of picture `b` that fall inside the picture, as (ky,
/// offset of input row y).
fn rows_present(s: &ConvShape, b: usize, oy: usize, present: &mut Vec<(usize, usize)>) {
    present.clear();
    for ky in 0..s.kernel {
        if let Some(y) = (oy * s.stride + ky).checked_sub(s.pad_top).filter(|y| *y < s.height) {
            present.push((ky, (b * s.height + y) * s.width * s.channels));
        }
    }
}

/// The (weight offset, input offset) of each tap of output column `ox` that falls inside the
/// picture, given the input rows present.
fn cell_taps(s: &ConvShape, present: &[(usize, usize)], ox: usize, taps: &mut Vec<(usize, usize)>) {
    let (k, c) = (s.kernel, s.channels);
    // taps kx_lo..kx_hi land inside the row: 0 ≤ ox·stride + kx − pad_left < width
    let left = ox * s.stride;
    let kx_lo = s.pad_left.saturating_sub(left);
    let kx_hi = (s.width + s.pad_left).saturating_sub(left).min(k);
    taps.clear();
    for &(ky, row) in present {
        for kx in kx_lo..kx_hi {
            taps.push(((ky * k + kx) * c, row + (left + kx - s.pad_left) * c));
        }
    }
}

/// The inside of one output row: per vector of channels, its k×k weights in registers, then
/// the row's cells `B` at a time; the last channels (fewer than a vector) one by one.
///
/// The loads here are unchecked: bounds checks and overflow-checked index arithmetic on every
/// one of them (`cargo test` builds with overflow checks) took more instructions than the
/// multiply-adds. Instead every index is bounded once per row, before the loops (the asserts).
#[inline(always)]
fn inner_row<S: pulp::Simd, const K: usize, const B: usize, const CLAMP_INPUT: bool>(
    simd: S,
    a: Args<'_>,
    o_row: &mut [f32],
    rows: &[usize; K],
    inside: std::ops::Range<usize>,
) {
    let (c, stride, pad) = (a.s.channels, a.s.stride, a.s.pad_left);
    let lanes = S::F32_LANES;
    let x = a.x;
    // The last input cell read in a row (+1), in cells from the row's start: the taps of the
    // last inside column. Each load below reads channels cb..cb + lanes ≤ c of a cell before it.
    let end = (inside.end - 1) * stride + K - pad;
    assert!(rows.iter().all(|&row| row + end * c <= x.len()), "depthwise: input row out of bounds");
    assert!(inside.end * c <= o_row.len() && a.w.len() >= K * K * c && a.bias.len() >= c);
    let (step, xp, op) = (stride * c, x.as_ptr(), o_row.as_mut_ptr());
    let mut cb = 0;
    while cb + lanes <= c {
        let bias = load::<S>(&a.bias[cb..]);
        let ib = in_bias::<S, CLAMP_INPUT>(simd, a, cb);
        // this vector of channels' weights for kernel row ky
        let weights = |ky: usize| {
            let mut wk = [bias; K];
            for (kx, wt) in wk.iter_mut().enumerate() {
                *wt = load::<S>(&a.w[(ky * K + kx) * c + cb..]);
            }
            wk
        };
        let mut ox = inside.start;
        while ox + B <= inside.end {
            // offset of tap kx = 0 of cell ox in a row (ox ≥ inside.start, so ox·stride ≥ pad)
            let first = (ox * stride - pad) * c + cb;
            let mut acc = [bias; B];
            for (ky, &row) in rows.iter().enumerate() {
                let wk = weights(ky);
                for (kx, wt) in wk.iter().enumerate() {
                    for (j, acc) in acc.iter_mut().enumerate() {
                        // SAFETY: row + first + (j·stride + kx)·c + lanes ≤ row + end·c ≤ x.len()
                        // (asserted above: ox + j < inside.end, kx < K, cb + lanes ≤ c).
                        let xv = unsafe { read::<S>(xp, row + first + j * step + kx * c) };
                        *acc = simd.mul_add_e_f32s(activated::<S, CLAMP_INPUT>(simd, xv, ib), *wt, *acc);
                    }
                }
            }
            for (j, acc) in acc.into_iter().enumerate() {
                // SAFETY: (ox + j)·c + cb + lanes ≤ inside.end·c ≤ o_row.len() (asserted above).
                unsafe { write::<S>(op, (ox + j) * c + cb, finish(simd, acc, a.relu6)) };
            }
            ox += B;
        }
        for ox in ox..inside.end {
            let first = (ox * stride - pad) * c + cb;
            let mut acc = bias;
            for (ky, &row) in rows.iter().enumerate() {
                for (kx, wt) in weights(ky).iter().enumerate() {
                    // SAFETY: as in the blocks above, with j = 0.
                    let xv = unsafe { read::<S>(xp, row + first + kx * c) };
                    acc = simd.mul_add_e_f32s(activated::<S, CLAMP_INPUT>(simd, xv, ib), *wt, acc);
                }
            }
            // SAFETY: ox·c + cb + lanes ≤ inside.end·c ≤ o_row.len().
            unsafe { write::<S>(op, ox * c + cb, finish(simd, acc, a.relu6)) };
        }
        cb += lanes;
    }
    for ch in cb..c {
        for ox in inside.clone() {
            let mut acc = a.bias[ch];
            for (ky, &row) in rows.iter().enumerate() {
                for kx in 0..K {
                    let xv = activated_one::<CLAMP_INPUT>(a, x[row + (ox * stride + kx - pad) * c + ch], ch);
                    acc += xv * a.w[(ky * K + kx) * c + ch];
                }
            }
            o_row[ox * c + ch] = if a.relu6 { acc.clamp(0.0, 6.0) } else { acc };
        }
    }
}

/// One input vector at `p + at`.
///
/// # Safety
/// `p + at .. p + at + lanes` must lie inside one live slice of `f32`.
#[inline(always)]
unsafe fn read<S: pulp::Simd>(p: *const f32, at: usize) -> S::f32s {
    // SAFETY: the caller's contract; `read_unaligned` needs no alignment.
    unsafe { std::ptr::read_unaligned(p.add(at).cast::<S::f32s>()) }
}

/// Writes one vector at `p + at`.
///
/// # Safety
/// `p + at .. p + at + lanes` must lie inside one live, uniquely borrowed slice of `f32`.
#[inline(always)]
unsafe fn write<S: pulp::Simd>(p: *mut f32, at: usize, v: S::f32s) {
    // SAFETY: the caller's contract; `write_unaligned` needs no alignment.
    unsafe { std::ptr::write_unaligned(p.add(at).cast::<S::f32s>(), v) };
}

/// `N` vectors of channels from `cb` on of one output cell: the bias plus every tap's input
/// times its weights, accumulated in registers (independent sums, so the multiply-adds overlap),
/// then ReLU6 and one store.
#[inline(always)]
fn cell_block<S: pulp::Simd, const N: usize, const CLAMP_INPUT: bool>(
    simd: S,
    a: Args<'_>,
    o: &mut [f32],
    taps: &[(usize, usize)],
    cb: usize,
) {
    let lanes = S::F32_LANES;
    let width = N * lanes;
    let bias = &a.bias[cb..][..width];
    let mut acc: [S::f32s; N] = std::array::from_fn(|j| load::<S>(&bias[j * lanes..]));
    let ib: [S::f32s; N] = std::array::from_fn(|j| in_bias::<S, CLAMP_INPUT>(simd, a, cb + j * lanes));
    for &(wo, xo) in taps {
        let (xs, ws) = (&a.x[xo + cb..][..width], &a.w[wo + cb..][..width]);
        for (j, acc) in acc.iter_mut().enumerate() {
            let xv = activated::<S, CLAMP_INPUT>(simd, load::<S>(&xs[j * lanes..]), ib[j]);
            *acc = simd.mul_add_e_f32s(xv, load::<S>(&ws[j * lanes..]), *acc);
        }
    }
    let o = &mut o[cb..][..width];
    for (j, acc) in acc.into_iter().enumerate() {
        store::<S>(&mut o[j * lanes..], finish(simd, acc, a.relu6));
    }
}

/// One output cell (`o`: its channels) from the taps inside the picture: channels four vector
/// registers at a time (64 with AVX-512), then one at a time, then any last ones one by one.
#[inline(always)]
fn cell<S: pulp::Simd, const CLAMP_INPUT: bool>(simd: S, a: Args<'_>, o: &mut [f32], taps: &[(usize, usize)]) {
    let (c, lanes) = (a.s.channels, S::F32_LANES);
    let mut cb = 0;
    while cb + 4 * lanes <= c {
        cell_block::<S, 4, CLAMP_INPUT>(simd, a, o, taps, cb);
        cb += 4 * lanes;
    }
    while cb + lanes <= c {
        cell_block::<S, 1, CLAMP_INPUT>(simd, a, o, taps, cb);
        cb += lanes;
    }
    last_channels::<CLAMP_INPUT>(a, o, taps, cb);
}

/// Channels `from..` of one output cell one by one (those after the last whole vector).
#[inline(always)]
fn last_channels<const CLAMP_INPUT: bool>(a: Args<'_>, o: &mut [f32], taps: &[(usize, usize)], from: usize) {
    for (ch, o) in o.iter_mut().enumerate().take(a.s.channels).skip(from) {
        let mut acc = a.bias[ch];
        for &(wo, xo) in taps {
            let xv = activated_one::<CLAMP_INPUT>(a, a.x[xo + ch], ch);
            acc += xv * a.w[wo + ch];
        }
        *o = if a.relu6 { acc.clamp(0.0, 6.0) } else { acc };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook loop: every output cell, channel and tap, zeros outside the picture.
    fn naive(x: &[f32], in_bias: Option<&[f32]>, w: &[f32], bias: &[f32], s: &ConvShape, relu6: bool) -> Vec<f32> {
        let (oh, ow, c, k) = (s.out_height(), s.out_width(), s.channels, s.kernel);
        let mut out = vec![0.0; s.out_pixels() * c];
        for b in 0..s.batch {
            for oy in 0..oh {
                for ox in 0..ow {
                    for ch in 0..c {
                        let mut acc = f64::from(bias[ch]);
                        for ky in 0..k {
                            for kx in 0..k {
                                let (y, xx) = (oy * s.stride + ky, ox * s.stride + kx);
                                if y < s.pad_top || xx < s.pad_left {
                                    continue;
                                }
                                let (y, xx) = (y - s.pad_top, xx - s.pad_left);
                                if y >= s.height || xx >= s.width {
                                    continue;
                                }
                                let v = x[((b * s.height + y) * s.width + xx) * c + ch];
                                let v = in_bias.map_or(v, |ib| (v + ib[ch]).clamp(0.0, 6.0));
                                acc += f64::from(v) * f64::from(w[(ky * k + kx) * c + ch]);
                            }
                        }
                        let acc = acc as f32;
                        out[((b * oh + oy) * ow + ox) * c + ch] = if relu6 { acc.clamp(0.0, 6.0) } else { acc };
                    }
                }
            }
        }
        out
    }

    /// Rows of every kind (full, clipped at the top or bottom), the inside in blocks of four
    /// cells and one by one, a frame on both sides, vector and leftover channels, kernels of
    /// 3, 5 (compiled for their size) and 7 (the general loop), strides 1 and 2, two pictures;
    /// wide layers cell by cell and, above 16 KB of weights (the last two), in channel blocks
    /// along the row.
    #[test]
    fn every_row_column_and_channel_path_matches_the_textbook_loop() {
        let value = |i: usize, seed: usize| ((i * 2_654_435_761 + seed * 40_503) % 1000) as f32 / 125.0 - 4.0;
        for (k, stride, height, width, c) in [
            (3_usize, 1_usize, 7_usize, 13_usize, 40_usize),
            (3, 2, 9, 16, 96),
            (5, 1, 8, 14, 24),
            (5, 2, 11, 15, 37),
            (7, 1, 6, 9, 20),
            (3, 1, 2, 2, 17),
            (5, 1, 6, 7, 200),
            (5, 2, 7, 9, 184),
        ] {
            let s = ConvShape::same(2, height, width, c, k, stride);
            let x: Vec<f32> = (0..2 * height * width * c).map(|i| value(i, 1)).collect();
            let w: Vec<f32> = (0..k * k * c).map(|i| value(i, 2) / 8.0).collect();
            let bias: Vec<f32> = (0..c).map(|i| value(i, 3)).collect();
            let ib: Vec<f32> = (0..c).map(|i| value(i, 4) / 2.0).collect();
            for (in_bias, relu6) in [(None, false), (Some(&ib[..]), true), (None, true), (Some(&ib[..]), false)] {
                let mut got = vec![f32::NAN; s.out_pixels() * c];
                match in_bias {
                    Some(ib) => depthwise_of_relu6(&x, ib, &w, &bias, &mut got, &s, relu6),
                    None => depthwise(&x, &w, &bias, &mut got, &s, relu6),
                }
                let want = naive(&x, in_bias, &w, &bias, &s, relu6);
                for (i, (g, want)) in got.iter().zip(&want).enumerate() {
                    assert!((g - want).abs() <= 1e-4 * (1.0 + want.abs()), "{s:?} cell {}: {g} vs {want}", i / c);
                }
            }
        }
    }
}
