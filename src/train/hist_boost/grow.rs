//! One tree of histogram boosting, grown leaf by leaf (best gain first, as LightGBM): each
//! leaf's gradient/hessian histogram is built once (`histogram.rs`) — the larger child of a
//! split as the parent's minus the smaller's — and its best split found from it (`split.rs`);
//! rows are partitioned to the children and the tree's nodes written here.

use super::bins::{Bins, Cells, Column};
use super::histogram::{Hist, Pool, Slot, histogram, subtract, total_of};
use super::split::{Split, best_split};
use crate::train::tree::Tree;

const LEAF: u32 = u32::MAX;
/// Histograms kept for the subtraction trick, at most this many bytes per tree.
const HISTOGRAM_BUDGET: usize = 512 << 20;

pub(super) struct GrowParams {
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2: f64,
}

struct Leaf {
    start: usize,
    end: usize,
    /// The leaf's range of `others` (rows routed, not learnt from).
    others: (usize, usize),
    depth: usize,
    node: usize,
    total: Slot,
    hist: Option<Vec<Slot>>,
    /// The features whose slots `hist` holds (what must be cleared when it goes back).
    written: Vec<usize>,
    /// Features that may split the leaf: the dense ones, and the sparse ones with at least
    /// `min_samples_leaf` non-zero cells among its rows. A feature that cannot split a leaf
    /// cannot split any leaf below it, so children look only at their parent's candidates.
    candidates: Vec<usize>,
    best: Option<Split>,
}

/// Grows one tree on the rows `order` (rearranged in place, leaf by leaf) with gradients `g` and
/// hessians `h` (per row of the data), on the features `features`. Leaf values are
/// −G / (H + λ) (before the learning rate); `cover` counts the rows reaching each node. The
/// rows `others` (held out, or outside this tree's sample) follow each split too, without
/// taking part in it: each final leaf knows its rows of both kinds.
#[allow(clippy::too_many_arguments)]
pub(super) fn grow(
    bins: &Bins,
    order: &mut [u32],
    others: &mut [u32],
    g: &[f64],
    h: &[f64],
    features: &[usize],
    p: &GrowParams,
    work: &mut Workspace,
) -> (Tree, Vec<LeafRows>) {
    let Workspace { leaf_of, pool, goes_left, scratch, mark } = work;
    if leaf_of.len() != bins.n {
        *leaf_of = vec![u32::MAX; bins.n];
        *goes_left = vec![false; bins.n];
    }
    if mark.len() != bins.n_features() {
        *mark = vec![0; bins.n_features()];
    }
    let mut tree = Tree { n_outputs: 1, ..Tree::default() };
    let keep_histograms = bins.total_slots() * std::mem::size_of::<Slot>() * p.max_leaf_nodes <= HISTOGRAM_BUDGET;
    let sparse = bins.columns.iter().any(|c| matches!(c.cells, Cells::Sparse { .. }));
    let total = total_of(order, g, h);
    push_node(&mut tree, &total, p.l2);
    if sparse {
        // Rows outside this tree's sample (or held out) belong to no leaf.
        leaf_of.fill(u32::MAX);
        order.iter().for_each(|&r| leaf_of[r as usize] = 0);
    }
    let root = histogram(bins, order, (g, h), features, &total, p, pool, mark);
    let best = best_split(bins, &root.slots, &total, &root.candidates, p);
    let mut leaves = vec![Leaf {
        hist: Some(root.slots),
        written: root.written,
        candidates: root.candidates,
        best,
        ..Leaf::new((0, order.len()), (0, others.len()), 0, 0, total)
    }];
    while leaves.len() < p.max_leaf_nodes {
        let pick = leaves
            .iter()
            .enumerate()
            .filter(|(_, l)| l.best.as_ref().is_some_and(|b| b.gain > 1e-12))
            .max_by(|a, b| gain_of(a.1).total_cmp(&gain_of(b.1)))
            .map(|(i, _)| i);
        let Some(i) = pick else { break };
        let leaf = leaves.swap_remove(i);
        let Some(split) = leaf.best.clone() else { break };
        let col = &bins.columns[split.feature];
        let n_left =
            partition(&mut order[leaf.start..leaf.end], &split, col, leaf_id(&leaf), leaf_of, goes_left, scratch);
        let mid = leaf.start + n_left;
        let (o_start, o_end) = leaf.others;
        let o_mid = o_start + route(&mut others[o_start..o_end], &split, col, scratch);
        // The split node and its two children (left, then right right after it).
        let (node, left_node) = (leaf.node, tree.n_nodes());
        write_split(&mut tree, node, left_node, &split, col);
        // The children's totals are the histogram's (its left side at the split), not another
        // pass over the rows' gradients.
        assert_eq!(split.left.c as usize, n_left, "the split's left count is its rows'");
        let (lt, rt) = (split.left, leaf.total.minus(&split.left));
        push_node(&mut tree, &lt, p.l2);
        push_node(&mut tree, &rt, p.l2);
        let depth = leaf.depth + 1;
        let mut left = Leaf::new((leaf.start, mid), (o_start, o_mid), depth, left_node, lt);
        let mut right = Leaf::new((mid, leaf.end), (o_mid, o_end), depth, left_node + 1, rt);
        if sparse {
            order[left.start..left.end].iter().for_each(|&r| leaf_of[r as usize] = leaf_id(&left));
            order[right.start..right.end].iter().for_each(|&r| leaf_of[r as usize] = leaf_id(&right));
        }
        let can_split =
            |l: &Leaf| p.max_depth.is_none_or(|d| l.depth < d) && l.end - l.start >= 2 * p.min_samples_leaf.max(1);
        let (small, large) = if n_left <= leaf.end - mid { (&mut left, &mut right) } else { (&mut right, &mut left) };
        let gh = (g, h);
        let small_hist =
            histogram(bins, &order[small.start..small.end], gh, &leaf.candidates, &small.total, p, pool, mark);
        let large_hist = match leaf.hist {
            Some(parent) if keep_histograms => {
                let (slots, candidates) = subtract(bins, parent, &small_hist, &leaf.candidates, &large.total, p, mark);
                Hist { slots, total: large.total, written: leaf.written, candidates }
            }
            _ => histogram(bins, &order[large.start..large.end], gh, &leaf.candidates, &large.total, p, pool, mark),
        };
        for (l, hist) in [(small, small_hist), (large, large_hist)] {
            if can_split(l) {
                l.best = best_split(bins, &hist.slots, &l.total, &hist.candidates, p);
            }
            if can_split(l) && keep_histograms {
                l.hist = Some(hist.slots);
            } else {
                pool.give(hist.slots, bins, &hist.written);
            }
            l.written = hist.written;
            l.candidates = hist.candidates;
        }
        leaves.push(left);
        leaves.push(right);
    }
    let rows = leaves
        .iter()
        .map(|l| LeafRows { node: l.node, rows: l.start..l.end, others: l.others.0..l.others.1 })
        .collect();
    for l in leaves {
        if let Some(hist) = l.hist {
            pool.give(hist, bins, &l.written);
        }
    }
    (tree, rows)
}

/// What growing reuses from tree to tree: each row's leaf (sparse features), the histogram
/// buffers, the partition's scratch space, and a mark per feature (all 0 between uses).
#[derive(Default)]
pub(super) struct Workspace {
    leaf_of: Vec<u32>,
    pool: Pool,
    goes_left: Vec<bool>,
    scratch: Vec<u32>,
    mark: Vec<u8>,
}

/// A final leaf and its rows' positions in the rearranged `order` and `others`.
pub(super) struct LeafRows {
    pub node: usize,
    pub rows: std::ops::Range<usize>,
    pub others: std::ops::Range<usize>,
}

/// Rearranges a leaf's rows, left-going ones first (each side in its order); the left count.
fn partition(
    rows: &mut [u32],
    split: &Split,
    col: &Column,
    id: u32,
    leaf_of: &[u32],
    goes_left: &mut [bool],
    scratch: &mut Vec<u32>,
) -> usize {
    match &col.cells {
        Cells::Dense(cells) => {
            let side = sides(split, col);
            place_rows(rows, scratch, |r| side[cells[r as usize] as usize])
        }
        Cells::Sparse { rows: nz_rows, bins: nz_bins, zero } => {
            let zero_left = split.goes_left(*zero as usize, col.n_bins);
            rows.iter().for_each(|&r| goes_left[r as usize] = zero_left);
            for (&r, &b) in nz_rows.iter().zip(nz_bins) {
                if leaf_of[r as usize] == id {
                    goes_left[r as usize] = split.goes_left(b as usize, col.n_bins);
                }
            }
            let goes_left = &*goes_left;
            place_rows(rows, scratch, |r| goes_left[r as usize])
        }
    }
}

/// Rearranges rows that follow a split without taking part in it (held out, or outside the
/// tree's sample), left-going ones first (each side in its order); the left count. A sparse
/// feature's cell is looked up among its non-zero cells (in row order).
fn route(rows: &mut [u32], split: &Split, col: &Column, scratch: &mut Vec<u32>) -> usize {
    let side = sides(split, col);
    match &col.cells {
        Cells::Dense(cells) => place_rows(rows, scratch, |r| side[cells[r as usize] as usize]),
        Cells::Sparse { rows: nz_rows, bins: nz_bins, zero } => {
            place_rows(rows, scratch, |r| side[nz_rows.binary_search(&r).map_or(*zero, |i| nz_bins[i]) as usize])
        }
    }
}

/// Which side each bin of `col` (the missing-value bin included) goes to under `split`.
fn sides(split: &Split, col: &Column) -> [bool; 256] {
    let mut side = [false; 256];
    (0..=col.n_bins.min(255)).for_each(|b| side[b] = split.goes_left(b, col.n_bins));
    side
}

/// Rearranges `rows`, those with `left(row)` first (each side in its order); the left count.
/// Each row is written to both sides and only its own side's count moves: no branch to
/// mispredict on rows that go left and right at random.
fn place_rows(rows: &mut [u32], scratch: &mut Vec<u32>, left: impl Fn(u32) -> bool) -> usize {
    scratch.clear();
    scratch.resize(rows.len(), 0);
    let (mut n_left, mut n_right) = (0, 0);
    for k in 0..rows.len() {
        let r = rows[k];
        let l = left(r);
        rows[n_left] = r;
        scratch[n_right] = r;
        n_left += usize::from(l);
        n_right += usize::from(!l);
    }
    rows[n_left..].copy_from_slice(&scratch[..n_right]);
    n_left
}

/// Turns leaf `node` into the split `split` whose children will be `left` and `left + 1`.
fn write_split(tree: &mut Tree, node: usize, left: usize, split: &Split, col: &Column) {
    tree.feature[node] = split.feature as u32;
    tree.left[node] = left as u32;
    tree.threshold[node] = match split.set {
        Some(_) => 0.0,
        // Every value left (the gaps right): a finite bound, which JSON can hold.
        None => col.edges.get(split.bin).copied().unwrap_or(f64::MAX),
    };
    tree.value[node] = 0.0;
    tree.missing_left[node] = split.missing_left;
    if let Some(set) = split.set {
        if tree.category_set.is_empty() {
            tree.category_set = vec![LEAF; tree.feature.len()];
        }
        tree.category_set[node] = tree.category_sets.len() as u32;
        tree.category_sets.push(set);
    }
}

impl Leaf {
    /// A leaf of the rows `order[rows]` and `others[others]`, its histogram and split not yet found.
    fn new(rows: (usize, usize), others: (usize, usize), depth: usize, node: usize, total: Slot) -> Leaf {
        let (start, end) = rows;
        Leaf { start, end, others, depth, node, total, hist: None, written: vec![], candidates: vec![], best: None }
    }
}

/// The gain of a leaf's best split (none: −∞).
fn gain_of(l: &Leaf) -> f64 {
    l.best.as_ref().map_or(f64::NEG_INFINITY, |s| s.gain)
}

/// A leaf's identity in `leaf_of` (sparse features): its first row position, unique among the
/// current leaves.
fn leaf_id(l: &Leaf) -> u32 {
    l.start as u32
}

fn push_node(tree: &mut Tree, s: &Slot, l2: f64) {
    tree.feature.push(LEAF);
    tree.threshold.push(0.0);
    tree.left.push(0);
    tree.value.push(if s.h + l2 > 0.0 { -s.g / (s.h + l2) } else { 0.0 });
    tree.cover.push(s.c);
    tree.missing_left.push(false);
    if !tree.category_set.is_empty() {
        tree.category_set.push(LEAF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Csr;
    use crate::train::tree::Features;
    use ndarray::Array2;

    /// Every row of a final leaf — learnt from or only routed (`others`) — reaches that leaf
    /// when the tree reads its raw values: on dense columns with gaps and categories, and on
    /// sparse (word-like) columns.
    #[test]
    fn routed_rows_end_in_the_leaf_the_tree_gives_them() {
        let n = 3000;
        let x = Array2::from_shape_fn((n, 4), |(i, j)| match j {
            0 if i % 17 == 0 => f64::NAN,
            0 => ((i * 7919) % 1000) as f64 / 100.0,
            1 => (i % 6) as f64,
            2 if i % 5 == 0 => 1.0 + (i % 7) as f64,
            _ => ((i * 31) % 13) as f64,
        });
        let g: Vec<f64> = (0..n).map(|i| (x[[i, 0]].min(5.0) - 3.0) + x[[i, 1]] - 2.0 + (i % 3) as f64).collect();
        let h = vec![1.0; n];
        let p = GrowParams { max_leaf_nodes: 15, max_depth: None, min_samples_leaf: 10, l2: 1.0 };
        let csr = Csr::from_dense(&x);
        for (features, categorical) in
            [(Features::Dense(&x), [false, true, false, false]), (Features::Sparse(&csr), [false; 4])]
        {
            let bins = Bins::new(features, &categorical, 255, p.min_samples_leaf);
            let mut order: Vec<u32> = (0..n as u32).filter(|r| r % 4 != 0).collect();
            let mut others: Vec<u32> = (0..n as u32).filter(|r| r % 4 == 0).collect();
            let mut work = Workspace::default();
            let (tree, leaves) = grow(&bins, &mut order, &mut others, &g, &h, &[0, 1, 2, 3], &p, &mut work);
            assert!(leaves.len() > 5, "a tree of {} leaves", leaves.len());
            let mut seen = 0;
            for l in &leaves {
                for &r in order[l.rows.clone()].iter().chain(&others[l.others.clone()]) {
                    let row: Vec<f64> = x.row(r as usize).to_vec();
                    assert_eq!(tree.leaf(&row), l.node, "row {r}");
                    seen += 1;
                }
            }
            assert_eq!(seen, n, "every row is in one leaf");
        }
    }
}
