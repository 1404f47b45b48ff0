//! Row-major single-precision matrix products on the `gemm` crate: AVX-512 (or AVX2/FMA)
//! kernels chosen at run time, which skip packing operands that are small or already laid out
//! for the kernel. The pretrained encoder's CPU path runs its 1×1 and general convolutions
//! through here: with `matrixmultiply` (via ndarray) 30 % of the encoder's time went to packing
//! its tall, narrow activation matrices (measured with perf on `cairn bench images`).
//!
//! `gemm` takes raw pointers and strides, so this module opts in to `unsafe` for one call,
//! behind a safe function that checks every length first.

#![allow(unsafe_code)]

/// `c` (m×n) = `a` (m×k) · `b` (k×n), all row-major, on the calling thread (the encoder adds
/// biases in the pass after the product, `conv::bias_relu6_skip`).
///
/// # Panics
/// When a slice is shorter than its matrix.
pub fn matmul_rows(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
    let holds = |len: usize, rows: usize, cols: usize| rows.checked_mul(cols).is_some_and(|cells| len >= cells);
    assert!(holds(a.len(), m, k) && holds(b.len(), k, n) && holds(c.len(), m, n), "matmul_rows: a slice is too short");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].fill(0.0);
        return;
    }
    let (n_i, k_i) = (n as isize, k as isize);
    // SAFETY: `a`, `b` and `c` hold at least m·k, k·n and m·n cells (asserted above, with the
    // products checked for overflow, so a huge shape cannot wrap past the check), and the
    // strides (column stride 1, row stride = row length) keep every index of the three
    // row-major matrices inside them; `c` is a unique borrow, so it aliases neither input.
    // With `read_dst` false, `c` is only written (alpha is ignored): c = 1 · a·b.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n_i,
            false,
            a.as_ptr(),
            1,
            k_i,
            b.as_ptr(),
            1,
            n_i,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_product_on_odd_shapes() {
        for (m, n, k) in [(1, 1, 1), (7, 5, 3), (97, 33, 65), (300, 16, 32), (49, 1280, 320), (3, 0, 4), (4, 3, 0)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 89) as f32 - 44.0) / 44.0).collect();
            let mut want = vec![0.0; m * n];
            crate::gpu::reference::matmul(&a, &b, &mut want, m, n, k, Default::default());
            let mut got = vec![f32::NAN; m * n];
            matmul_rows(&a, &b, &mut got, m, n, k);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{m}×{n}×{k}: {g} vs {w}");
            }
        }
    }
}
