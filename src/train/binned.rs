//! Features bucketed once into at most 255 quantile bins (u8) for the tree learners. Dense
//! features are stored column by column; sparse ones (TF-IDF text: thousands of columns, almost
//! all zero) keep only their non-zero cells per column, the zeros falling in each column's
//! "zero bin" — so a node's histogram costs its non-zero cells, not rows × columns.

use crate::features::Csr;
use ndarray::Array2;

pub const MAX_BINS: usize = 255;

/// The rows a tree model learns from or predicts: a dense matrix or sparse rows.
#[derive(Clone, Copy)]
pub enum Features<'a> {
    Dense(&'a Array2<f64>),
    Sparse(&'a Csr),
}

impl Features<'_> {
    pub fn nrows(&self) -> usize {
        match self {
            Features::Dense(x) => x.nrows(),
            Features::Sparse(x) => x.nrows(),
        }
    }

    pub fn ncols(&self) -> usize {
        match self {
            Features::Dense(x) => x.ncols(),
            Features::Sparse(x) => x.ncols,
        }
    }

    /// The value of feature `f` in row `i`.
    pub fn value(&self, i: usize, f: usize) -> f64 {
        match self {
            Features::Dense(x) => x[[i, f]],
            Features::Sparse(x) => x.get(i, f),
        }
    }
}

pub(super) enum Storage {
    /// Bin of every cell, column-major.
    Dense(Vec<u8>),
    /// Per column, the (row, bin) of its non-zero cells in row order; zeros are in `zero_bin`.
    Sparse { columns: Vec<Vec<(u32, u8)>>, zero_bin: Vec<u8> },
}

pub struct Binned {
    pub(super) n: usize,
    pub(super) storage: Storage,
    /// Per feature, the upper edge of each bin but the last (raw units).
    pub(super) edges: Vec<Vec<f64>>,
    /// Per feature, the smallest and largest value that falls in each bin, so a split between
    /// two bins sits midway between the data on either side, as in an exact CART.
    pub(super) lo: Vec<Vec<f64>>,
    pub(super) hi: Vec<Vec<f64>>,
}

/// Bin edges from a column's sorted distinct values: every value its own bin when there are
/// at most [`MAX_BINS`], else quantiles of the distinct values.
pub(super) fn edges_of(sorted: &[f64], max_bins: usize) -> Vec<f64> {
    if sorted.len() <= max_bins {
        sorted.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
    } else {
        let mut e: Vec<f64> = (1..max_bins)
            .map(|b| {
                let i = b * sorted.len() / max_bins;
                (sorted[i - 1] + sorted[i]) / 2.0
            })
            .collect();
        e.dedup();
        e
    }
}

pub(super) fn bin_of(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&t| t < v)
}

impl Binned {
    pub fn new(x: Features) -> Binned {
        match x {
            Features::Dense(x) => Binned::dense(x),
            Features::Sparse(x) => Binned::sparse(x),
        }
    }

    fn dense(x: &Array2<f64>) -> Binned {
        let (n, p) = x.dim();
        let mut bins = vec![0u8; n * p];
        let mut edges = Vec::with_capacity(p);
        let (mut lo, mut hi) = (Vec::with_capacity(p), Vec::with_capacity(p));
        for j in 0..p {
            let col = x.column(j);
            let mut sorted: Vec<f64> = col.iter().copied().collect();
            sorted.sort_by(f64::total_cmp);
            sorted.dedup();
            let e = edges_of(&sorted, MAX_BINS);
            let mut l = vec![f64::INFINITY; e.len() + 1];
            let mut h = vec![f64::NEG_INFINITY; e.len() + 1];
            for (i, &v) in col.iter().enumerate() {
                let b = bin_of(&e, v);
                bins[j * n + i] = b as u8;
                l[b] = l[b].min(v);
                h[b] = h[b].max(v);
            }
            edges.push(e);
            lo.push(l);
            hi.push(h);
        }
        Binned { n, storage: Storage::Dense(bins), edges, lo, hi }
    }

    fn sparse(x: &Csr) -> Binned {
        let n = x.nrows();
        let cells = x.columns();
        let p = x.ncols;
        let (mut edges, mut lo, mut hi) = (Vec::with_capacity(p), Vec::with_capacity(p), Vec::with_capacity(p));
        let mut columns = Vec::with_capacity(p);
        let mut zero_bin = Vec::with_capacity(p);
        for col in cells {
            let has_zero = col.len() < n;
            let mut sorted: Vec<f64> = col.iter().map(|&(_, v)| v).collect();
            if has_zero {
                sorted.push(0.0);
            }
            sorted.sort_by(f64::total_cmp);
            sorted.dedup();
            let e = edges_of(&sorted, MAX_BINS);
            let mut l = vec![f64::INFINITY; e.len() + 1];
            let mut h = vec![f64::NEG_INFINITY; e.len() + 1];
            let zb = bin_of(&e, 0.0);
            if has_zero {
                l[zb] = l[zb].min(0.0);
                h[zb] = h[zb].max(0.0);
            }
            let binned: Vec<(u32, u8)> = col
                .iter()
                .map(|&(i, v)| {
                    let b = bin_of(&e, v);
                    l[b] = l[b].min(v);
                    h[b] = h[b].max(v);
                    (i, b as u8)
                })
                .collect();
            columns.push(binned);
            zero_bin.push(zb as u8);
            edges.push(e);
            lo.push(l);
            hi.push(h);
        }
        Binned { n, storage: Storage::Sparse { columns, zero_bin }, edges, lo, hi }
    }

    pub(super) fn n_features(&self) -> usize {
        self.edges.len()
    }

    /// The bin of feature `f` in row `i` (dense storage).
    pub(super) fn dense_bin(bins: &[u8], n: usize, f: usize, i: usize) -> usize {
        bins[f * n + i] as usize
    }

    /// Reorders `idx` so the rows whose feature `f` falls in a bin ≤ `bin` come first; returns
    /// how many they are. `flags` is scratch space with one zeroed entry per row.
    pub(super) fn partition(&self, idx: &mut [usize], f: usize, bin: usize, flags: &mut [u8]) -> usize {
        let goes_left: Box<dyn Fn(usize) -> bool + '_> = match &self.storage {
            Storage::Dense(bins) => Box::new(move |i| Binned::dense_bin(bins, self.n, f, i) <= bin),
            Storage::Sparse { columns, zero_bin } => {
                for &(i, b) in &columns[f] {
                    flags[i as usize] = if b as usize <= bin { 1 } else { 2 };
                }
                let zero_left = zero_bin[f] as usize <= bin;
                let flags = &*flags;
                Box::new(move |i| match flags[i] {
                    0 => zero_left,
                    v => v == 1,
                })
            }
        };
        let mut mid = 0;
        for i in 0..idx.len() {
            if goes_left(idx[i]) {
                idx.swap(i, mid);
                mid += 1;
            }
        }
        drop(goes_left);
        if let Storage::Sparse { columns, .. } = &self.storage {
            for &(i, _) in &columns[f] {
                flags[i as usize] = 0;
            }
        }
        mid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_bins_equal_dense_bins() {
        // A column with zeros and repeated values, one with more than 255 distinct values.
        let x = Array2::from_shape_fn((600, 2), |(i, j)| match j {
            0 => [0.0, 0.0, 0.5, 1.5, 0.0, 2.0][i % 6],
            _ => {
                if i % 3 == 0 {
                    0.0
                } else {
                    i as f64 * 0.37
                }
            }
        });
        let dense = Binned::new(Features::Dense(&x));
        let csr = Csr::from_dense(&x);
        let sparse = Binned::new(Features::Sparse(&csr));
        assert_eq!(dense.edges, sparse.edges);
        assert_eq!((&dense.lo, &dense.hi), (&sparse.lo, &sparse.hi));
        let (Storage::Dense(bins), Storage::Sparse { columns, zero_bin }) = (&dense.storage, &sparse.storage) else {
            panic!()
        };
        for f in 0..2 {
            for i in 0..600 {
                let s = columns[f].iter().find(|c| c.0 as usize == i).map_or(zero_bin[f], |c| c.1);
                assert_eq!(Binned::dense_bin(bins, 600, f, i), s as usize, "feature {f} row {i}");
            }
        }
    }
}
