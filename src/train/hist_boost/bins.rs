//! Features bucketed once for histogram boosting: up to 255 value bins per feature plus one
//! bin for missing values. Number features get quantile bins; category numbers (the recipe's
//! "one number" encoding) get a bin per category; sparse features (TF-IDF word weights) keep
//! only their non-zero cells, the zeros counted from the node's totals.

// At most MAX_BINS value bins per number feature, as the trees (and LightGBM's, scikit-learn's `max_bins`).
use crate::train::binned::{MAX_BINS, bin_of, edges_of};
use crate::train::tree::{Features, category_bit};

/// Value bins of a sparse feature: word weights need few, and the split scan stays cheap.
const SPARSE_BINS: usize = 32;
/// Rows the quantile edges are taken from (as scikit-learn, which subsamples 200 000).
const EDGE_SAMPLE: usize = 200_000;
/// Most dense features whose bins are also kept row by row (a copy of the bins: one byte per
/// row and feature). LightGBM picks row-wise histograms for few features the same way.
pub(super) const ROW_WISE_MAX: usize = 64;

pub(super) enum Cells {
    /// The bin of every row.
    Dense(Vec<u8>),
    /// The (row, bin) of the non-zero cells in row order; the rest are in `zero`.
    Sparse { rows: Vec<u32>, bins: Vec<u8>, zero: u8 },
}

pub(super) struct Column {
    pub cells: Cells,
    /// Value bins; the missing-value bin comes after them (index `n_bins`).
    pub n_bins: usize,
    pub categorical: bool,
    /// Number features: the upper edge of each value bin but the last (raw units), the
    /// threshold of a split after that bin.
    pub edges: Vec<f64>,
}

impl Column {
    /// Slots in this feature's histogram: the value bins and the missing bin.
    pub fn slots(&self) -> usize {
        self.n_bins + 1
    }

    /// Whether a split on this feature can leave `min_leaf` rows on both sides: a sparse
    /// feature needs that many non-zero cells (one side of its splits holds only those).
    pub fn can_split(&self, min_leaf: usize) -> bool {
        match &self.cells {
            Cells::Dense(_) => true,
            Cells::Sparse { rows, .. } => rows.len() >= min_leaf.max(1),
        }
    }
}

pub(super) struct Bins {
    pub n: usize,
    pub columns: Vec<Column>,
    /// The sparse columns' non-zero cells row by row (start of each row's cells, then the
    /// (feature, bin) cells): a leaf's histogram is then one pass over its rows' cells.
    pub row_start: Vec<usize>,
    pub row_cells: Vec<(u32, u8)>,
    /// The dense columns' bins row by row (`row_bins[r * dense.len() + j]`: the bin of row `r`
    /// in feature `dense[j]`), when there are 2 to `ROW_WISE_MAX` of them (else empty): a
    /// leaf's histogram is then one pass over its rows, each row's bins read together.
    pub dense: Vec<usize>,
    pub row_bins: Vec<u8>,
    /// Start of each feature's histogram slots in a node histogram; the last entry is the total.
    pub offsets: Vec<usize>,
}

/// Sorted distinct finite values of (a sample of) `values`.
fn distinct(values: impl Iterator<Item = f64>, n: usize) -> Vec<f64> {
    let step = n.div_ceil(EDGE_SAMPLE).max(1);
    let mut v: Vec<f64> = values.step_by(step).filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

impl Bins {
    /// The bins of `x`. A sparse column with fewer than `min_leaf` non-zero cells can never split
    /// (`Column::can_split`): it gets no histogram slots and no row-by-row cells.
    pub fn new(x: Features, categorical: &[bool], max_bins: usize, min_leaf: usize) -> Bins {
        let n = x.nrows();
        let max_bins = max_bins.clamp(2, MAX_BINS);
        let is_cat = |f: usize| categorical.get(f).copied().unwrap_or(false);
        let columns: Vec<Column> = match x {
            Features::Dense(m) => {
                use rayon::prelude::*;
                (0..m.ncols())
                    .into_par_iter()
                    .map(|f| {
                        let col = m.column(f);
                        if is_cat(f) {
                            let n_bins = col.iter().filter_map(|&v| category_bit(v)).max().map_or(1, |b| b + 1);
                            let cells = col.iter().map(|&v| category_bit(v).unwrap_or(n_bins) as u8).collect();
                            return Column { cells: Cells::Dense(cells), n_bins, categorical: true, edges: vec![] };
                        }
                        let edges = edges_of(&distinct(col.iter().copied(), n), max_bins);
                        let n_bins = edges.len() + 1;
                        let cells =
                            col.iter().map(|&v| if v.is_nan() { n_bins } else { bin_of(&edges, v) } as u8).collect();
                        Column { cells: Cells::Dense(cells), n_bins, categorical: false, edges }
                    })
                    .collect()
            }
            Features::Sparse(m) => m
                .columns()
                .into_iter()
                .enumerate()
                .map(|(f, cells)| {
                    if is_cat(f) {
                        // Category numbers are few per row: kept whole (0 is a category).
                        let mut codes = vec![0.0; n];
                        cells.iter().for_each(|&(r, v)| codes[r as usize] = v);
                        let n_bins = codes.iter().filter_map(|&v| category_bit(v)).max().map_or(1, |b| b + 1);
                        let cells = codes.iter().map(|&v| category_bit(v).unwrap_or(n_bins) as u8).collect();
                        return Column { cells: Cells::Dense(cells), n_bins, categorical: true, edges: vec![] };
                    }
                    // The zero of the absent cells is one of the values.
                    let sample = cells.iter().map(|&(_, v)| v).chain(std::iter::once(0.0));
                    let edges = edges_of(&distinct(sample, cells.len() + 1), SPARSE_BINS.min(max_bins));
                    let n_bins = edges.len() + 1;
                    let zero = bin_of(&edges, 0.0) as u8;
                    let (rows, bins) = cells
                        .iter()
                        .map(|&(r, v)| (r, if v.is_nan() { n_bins } else { bin_of(&edges, v) } as u8))
                        .unzip();
                    Column { cells: Cells::Sparse { rows, bins, zero }, n_bins, categorical: false, edges }
                })
                .collect(),
        };
        let mut offsets = Vec::with_capacity(columns.len() + 1);
        let mut at = 0;
        for c in &columns {
            offsets.push(at);
            at += if c.can_split(min_leaf) { c.slots() } else { 0 };
        }
        offsets.push(at);
        let (row_start, row_cells) = by_row(n, &columns, min_leaf);
        let (dense, row_bins) = dense_by_row(n, &columns);
        Bins { n, columns, offsets, row_start, row_cells, dense, row_bins }
    }

    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    pub fn total_slots(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }
}

/// The sparse columns' cells regrouped by row, those that can split (empty when none is sparse).
fn by_row(n: usize, columns: &[Column], min_leaf: usize) -> (Vec<usize>, Vec<(u32, u8)>) {
    let sparse = || {
        columns.iter().enumerate().filter_map(|(f, c)| match &c.cells {
            Cells::Sparse { rows, bins, .. } if c.can_split(min_leaf) => Some((f, rows, bins)),
            Cells::Sparse { .. } => None,
            Cells::Dense(_) => None,
        })
    };
    if sparse().next().is_none() {
        return (vec![], vec![]);
    }
    let mut start = vec![0usize; n + 1];
    sparse().for_each(|(_, rows, _)| rows.iter().for_each(|&r| start[r as usize + 1] += 1));
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut at = start.clone();
    let mut cells = vec![(0u32, 0u8); start[n]];
    for (f, rows, bins) in sparse() {
        for (&r, &b) in rows.iter().zip(bins) {
            cells[at[r as usize]] = (f as u32, b);
            at[r as usize] += 1;
        }
    }
    (start, cells)
}

/// The dense columns and their bins row by row (both empty outside 2..=`ROW_WISE_MAX` columns).
fn dense_by_row(n: usize, columns: &[Column]) -> (Vec<usize>, Vec<u8>) {
    let dense: Vec<(usize, &[u8])> = columns
        .iter()
        .enumerate()
        .filter_map(|(f, c)| match &c.cells {
            Cells::Dense(cells) => Some((f, cells.as_slice())),
            Cells::Sparse { .. } => None,
        })
        .collect();
    if !(2..=ROW_WISE_MAX).contains(&dense.len()) {
        return (vec![], vec![]);
    }
    let d = dense.len();
    let mut row_bins = vec![0u8; n * d];
    for (j, (_, cells)) in dense.iter().enumerate() {
        row_bins.iter_mut().skip(j).step_by(d).zip(cells.iter()).for_each(|(a, &b)| *a = b);
    }
    (dense.iter().map(|&(f, _)| f).collect(), row_bins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn numbers_categories_and_gaps_get_their_bins() {
        let x = array![[1.0, 0.0], [2.0, 2.0], [f64::NAN, -1.0], [2.0, 300.0]];
        let b = Bins::new(Features::Dense(&x), &[false, true], 255, 1);
        let Cells::Dense(c0) = &b.columns[0].cells else { panic!() };
        assert_eq!((b.columns[0].n_bins, c0.clone()), (2, vec![0, 1, 2, 1]));
        assert_eq!(b.columns[0].edges, vec![1.5]);
        let Cells::Dense(c1) = &b.columns[1].cells else { panic!() };
        // Category 300 shares the last category bit; −1 (unseen) is missing.
        assert_eq!((b.columns[1].n_bins, c1.clone()), (255, vec![0, 2, 255, 254]));
        assert_eq!(b.offsets, vec![0, 3, 259]);
    }
}
