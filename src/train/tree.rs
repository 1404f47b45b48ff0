//! Decision trees (CART) and random forests for regression and classification.
//!
//! Features are bucketed once into at most 255 quantile bins (see [`super::binned`]), so
//! finding a node's best split is one pass over its rows building per-bin histograms plus a
//! scan over the bins — O(rows × features) per tree level instead of a sort per node; on
//! sparse text features, O(the node's non-zero cells). Thresholds are stored in raw feature
//! units, so prediction needs no binning. Regression minimises squared error; classification
//! minimises Gini impurity, with leaves holding class proportions.

pub use super::binned::{Binned, Features};
use super::binned::{MAX_BINS, Storage};
use crate::util::Rng;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

const LEAF: u32 = u32::MAX;

/// Hyperparameters of one tree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TreeParams {
    /// Deepest level (`None`: grow until leaves are pure or too small).
    pub max_depth: Option<usize>,
    /// Fewest rows a leaf may hold.
    pub min_samples_leaf: usize,
    /// Features considered at each split (`None`: all of them).
    pub max_features: Option<usize>,
}

impl Default for TreeParams {
    fn default() -> Self {
        TreeParams { max_depth: None, min_samples_leaf: 1, max_features: None }
    }
}

/// A fitted tree as parallel arrays; node 0 is the root. `value` holds `n_outputs` numbers per
/// node: at a leaf, the mean (regression) or the class proportions (classification); split
/// nodes hold zeros (trees from before that hold their rows' mean, which nothing reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub n_outputs: usize,
    pub feature: Vec<u32>,
    pub threshold: Vec<f64>,
    /// Left child of each split node; its right child is the next node.
    pub left: Vec<u32>,
    pub value: Vec<f64>,
    /// Training rows that reached each node (bootstrap repeats counted): the node "cover"
    /// path-dependent TreeSHAP weighs branches by. Empty in bundles from before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cover: Vec<u32>,
    /// Per node, whether a missing value (NaN) goes to the left child. Empty: missing values go
    /// right (as `NaN <= threshold` is false) — trees that never saw one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_left: Vec<bool>,
    /// Per node, the index in `category_sets` of a categorical split's left-going categories
    /// (`u32::MAX`: a threshold split). Empty: only threshold splits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_set: Vec<u32>,
    /// Categorical splits' left-going categories as 256-bit sets (bit c: category number c;
    /// see [`category_bit`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_sets: Vec<[u64; 4]>,
}

/// The bit of a category number (a feature holding a category's position) in a 256-bit
/// category set: positions past 254 share bit 254; `None` for a missing value (NaN or the
/// recipe's −1 for an unseen one).
#[inline]
pub fn category_bit(v: f64) -> Option<usize> {
    if v.is_nan() || v < 0.0 { None } else { Some((v as usize).min(254)) }
}

impl Tree {
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }

    /// The leaf node one row reaches.
    pub fn leaf(&self, row: &[f64]) -> usize {
        self.leaf_by(|f| row[f])
    }

    /// The leaf node reached by a row given as "value of feature f".
    pub fn leaf_by(&self, value: impl Fn(usize) -> f64) -> usize {
        let mut node = 0usize;
        while self.feature[node] != LEAF {
            let f = self.feature[node] as usize;
            let left = self.left[node] as usize;
            node = if self.goes_left(node, value(f)) { left } else { left + 1 };
        }
        node
    }

    /// Whether a row whose split feature holds `v` takes split node `node`'s left branch.
    #[inline]
    pub fn goes_left(&self, node: usize, v: f64) -> bool {
        match self.category_set.get(node) {
            Some(&set) if set != LEAF => match category_bit(v) {
                Some(bit) => self.category_sets[set as usize][bit / 64] >> (bit % 64) & 1 == 1,
                None => self.missing_left.get(node).copied().unwrap_or(false),
            },
            _ if v.is_nan() => self.missing_left.get(node).copied().unwrap_or(false),
            _ => v <= self.threshold[node],
        }
    }

    /// Whether any split is on categories or sends missing values left (what the ONNX export
    /// and the packed bundle form must carry).
    pub fn has_native_splits(&self) -> bool {
        !self.category_set.is_empty() || self.missing_left.iter().any(|&m| m)
    }

    pub fn is_leaf(&self, node: usize) -> bool {
        self.feature[node] == LEAF
    }

    /// The leaf values reached by one row.
    pub fn predict_row(&self, row: &[f64]) -> &[f64] {
        let node = self.leaf(row);
        &self.value[node * self.n_outputs..(node + 1) * self.n_outputs]
    }

    /// Adds one to `counts[f]` for every split on feature `f`.
    pub fn count_splits(&self, counts: &mut [f64]) {
        for &f in &self.feature {
            if let Some(c) = counts.get_mut(f as usize) {
                *c += 1.0;
            }
        }
    }
}

/// Averages the trees' leaf values for every row (rows × outputs).
pub fn predict_trees(trees: &[Tree], x: &Array2<f64>) -> Array2<f64> {
    let k = trees.first().map_or(1, |t| t.n_outputs);
    let (n, p) = (x.nrows(), x.ncols());
    let mut buf = vec![0.0; n * k];
    // Blocks of rows on all cores (a forest of deep trees is the slow part of scoring).
    const BLOCK: usize = 256;
    buf.par_chunks_mut(BLOCK * k).enumerate().for_each(|(b, out)| {
        let mut row = vec![0.0; p];
        for (i, cells) in out.chunks_mut(k).enumerate() {
            let r = b * BLOCK + i;
            row.iter_mut().zip(x.row(r).iter()).for_each(|(a, v)| *a = *v);
            for t in trees {
                cells.iter_mut().zip(t.predict_row(&row)).for_each(|(c, v)| *c += v);
            }
        }
    });
    let m = trees.len().max(1) as f64;
    buf.iter_mut().for_each(|v| *v /= m);
    Array2::from_shape_vec((n, k), buf).unwrap_or_else(|_| Array2::zeros((n, k)))
}

/// The target a tree learns: numbers, or class indices with the number of classes and each
/// class's weight (empty: every row counts once; see `params::ClassWeight`).
#[derive(Clone, Copy)]
pub enum Target<'a> {
    Numbers(&'a [f64]),
    Classes(&'a [usize], usize, &'a [f64]),
}

impl Target<'_> {
    fn outputs(&self) -> usize {
        match self {
            Target::Numbers(_) => 1,
            Target::Classes(_, k, _) => *k,
        }
    }
}

/// The weight of a row of class `c` (1 without class weights).
fn weight_of(weights: &[f64], c: usize) -> f64 {
    weights.get(c).copied().unwrap_or(1.0)
}

struct Split {
    feature: usize,
    /// Last bin that goes left; `next` is the first bin of the node's rows that goes right.
    bin: usize,
    next: usize,
    score: f64,
}

/// Scratch space reused across the nodes of one tree.
struct Scratch {
    /// Per bin: row count, then the target sums (one per output).
    hist: Vec<f64>,
    touched: Vec<usize>,
    /// Per row: how often it is in the current node (sparse search) / partition flags.
    mult: Vec<u32>,
    flags: Vec<u8>,
    /// Feature visiting order (sparse search).
    order: Vec<usize>,
}

/// What the split search needs to know about a node.
struct NodeCtx<'a> {
    y: Target<'a>,
    k: usize,
    params: &'a TreeParams,
    /// Σ(sum²)/n of the node: a split must beat it.
    parent: f64,
}

/// Scans the bins of feature `f` that hold rows of the node (sorted, with their histogram in
/// `hist`) for the best threshold, updating `best`.
fn scan_bins(f: usize, touched: &[usize], hist: &[f64], ctx: &NodeCtx, best: &mut Option<Split>) {
    let k = ctx.k;
    let mut total = vec![0.0; k + 1];
    for &b in touched {
        for o in 0..=k {
            total[o] += hist[b * (k + 1) + o];
        }
    }
    let min_leaf = ctx.params.min_samples_leaf as f64;
    let mut left = vec![0.0; k + 1];
    for (t, &b) in touched[..touched.len().saturating_sub(1)].iter().enumerate() {
        for o in 0..=k {
            left[o] += hist[b * (k + 1) + o];
        }
        let (nl, nr) = (left[0], total[0] - left[0]);
        if nl < min_leaf || nr < min_leaf {
            continue;
        }
        // Gini weighs each side by its rows' weight (the sum of its class sums; equal to its
        // row count without class weights).
        let (wl, wr) = if matches!(ctx.y, Target::Classes(..)) {
            let wl: f64 = left[1..].iter().sum();
            (wl, total[1..].iter().sum::<f64>() - wl)
        } else {
            (nl, nr)
        };
        // Larger is better: Σ(sum²)/n for each side (squared error and Gini alike).
        let score = (1..=k).map(|o| left[o] * left[o]).sum::<f64>() / wl
            + (1..=k).map(|o| (total[o] - left[o]).powi(2)).sum::<f64>() / wr;
        // Ties (within rounding) keep the earlier feature and threshold.
        let beats = |s: &Split| score > s.score + 1e-12 * s.score.abs();
        if score > ctx.parent + 1e-9 * ctx.parent.abs().max(1e-12) && best.as_ref().is_none_or(beats) {
            *best = Some(Split { feature: f, bin: b, next: touched[t + 1], score });
        }
    }
}

/// Adds `m` copies of row `i` to bin `b` of the histogram.
fn add_row(hist: &mut [f64], touched: &mut Vec<usize>, y: Target, k: usize, b: usize, i: usize, m: f64) {
    if hist[b * (k + 1)] == 0.0 {
        touched.push(b);
    }
    hist[b * (k + 1)] += m;
    match y {
        Target::Numbers(v) => hist[b * (k + 1) + 1] += m * v[i],
        Target::Classes(c, _, w) => hist[b * (k + 1) + 1 + c[i]] += m * weight_of(w, c[i]),
    }
}

fn clear(hist: &mut [f64], touched: &[usize], k: usize) {
    for &b in touched {
        hist[b * (k + 1)..(b + 1) * (k + 1)].iter_mut().for_each(|v| *v = 0.0);
    }
}

/// Dense features: one histogram pass over the node's rows per candidate feature.
fn dense_best(
    bins: &[u8],
    data: &Binned,
    idx: &[usize],
    features: &[usize],
    ctx: &NodeCtx,
    sc: &mut Scratch,
) -> Option<Split> {
    let mut best = None;
    for &f in features {
        if data.edges[f].is_empty() {
            continue;
        }
        // Only the bins this node's rows fall in are scanned and cleared, so small nodes cost
        // O(rows), not O(bins).
        sc.touched.clear();
        for &i in idx {
            let b = Binned::dense_bin(bins, data.n, f, i);
            add_row(&mut sc.hist, &mut sc.touched, ctx.y, ctx.k, b, i, 1.0);
        }
        sc.touched.sort_unstable();
        scan_bins(f, &sc.touched, &sc.hist, ctx, &mut best);
        clear(&mut sc.hist, &sc.touched, ctx.k);
    }
    best
}

/// Sparse features: a feature's histogram comes from its non-zero cells in the node; its zero
/// bin takes the rest of the node. With `max_features` < all, features are visited in random
/// order as scikit-learn's splitter does — `max_features` of them, and on until one is not
/// constant in the node.
#[allow(clippy::too_many_arguments)]
fn sparse_best(
    columns: &[Vec<(u32, u8)>],
    zero_bin: &[u8],
    idx: &[usize],
    max_features: usize,
    ctx: &NodeCtx,
    sc: &mut Scratch,
    rng: &mut Rng,
) -> Option<Split> {
    let k = ctx.k;
    let p = columns.len();
    let mut node_total = vec![0.0; k + 1];
    for &i in idx {
        sc.mult[i] += 1;
        node_total[0] += 1.0;
        match ctx.y {
            Target::Numbers(v) => node_total[1] += v[i],
            Target::Classes(c, _, w) => node_total[1 + c[i]] += weight_of(w, c[i]),
        }
    }
    let random = max_features < p;
    let (mut visited, mut varied) = (0usize, 0usize);
    let mut best = None;
    let mut t = 0;
    while t < p && (visited < max_features || varied == 0) {
        if random {
            let j = t + rng.below(p - t);
            sc.order.swap(t, j);
        }
        let f = if random { sc.order[t] } else { t };
        t += 1;
        visited += 1;
        sc.touched.clear();
        let mut nonzero = vec![0.0; k + 1];
        for &(i, b) in &columns[f] {
            let m = sc.mult[i as usize];
            if m > 0 {
                let (i, m) = (i as usize, f64::from(m));
                add_row(&mut sc.hist, &mut sc.touched, ctx.y, k, b as usize, i, m);
                nonzero[0] += m;
                match ctx.y {
                    Target::Numbers(v) => nonzero[1] += m * v[i],
                    Target::Classes(c, _, w) => nonzero[1 + c[i]] += m * weight_of(w, c[i]),
                }
            }
        }
        let zb = zero_bin[f] as usize;
        if node_total[0] - nonzero[0] > 0.5 {
            if sc.hist[zb * (k + 1)] == 0.0 {
                sc.touched.push(zb);
            }
            for o in 0..=k {
                sc.hist[zb * (k + 1) + o] += node_total[o] - nonzero[o];
            }
        }
        if sc.touched.len() >= 2 {
            varied += 1;
            sc.touched.sort_unstable();
            scan_bins(f, &sc.touched, &sc.hist, ctx, &mut best);
        }
        clear(&mut sc.hist, &sc.touched, k);
    }
    for &i in idx {
        sc.mult[i] = 0;
    }
    best
}

/// Grows one tree on the rows in `rows` (repeats allowed: a bootstrap sample).
pub fn grow(data: &Binned, y: Target, mut rows: Vec<usize>, params: &TreeParams, rng: &mut Rng) -> Tree {
    let k = y.outputs();
    let p = data.n_features();
    let mut tree =
        Tree { n_outputs: k, feature: vec![], threshold: vec![], left: vec![], value: vec![], ..Tree::default() };
    let mut features: Vec<usize> = (0..p).collect();
    let max_features = params.max_features.unwrap_or(p).clamp(1, p.max(1));
    // Work stack: (node id, start, end, depth) over `rows`.
    let mut stack = vec![(0usize, 0usize, rows.len(), 0usize)];
    push_node(&mut tree, &leaf_value(y, &rows), rows.len());
    if p == 0 {
        return tree;
    }
    let sparse = matches!(data.storage, Storage::Sparse { .. });
    let mut sc = Scratch {
        hist: vec![0.0; (MAX_BINS + 1) * (k + 1)],
        touched: Vec::with_capacity(MAX_BINS + 1),
        mult: if sparse { vec![0; data.n] } else { vec![] },
        flags: if sparse { vec![0; data.n] } else { vec![] },
        order: if sparse { (0..p).collect() } else { vec![] },
    };
    while let Some((node, start, end, depth)) = stack.pop() {
        let idx = &mut rows[start..end];
        let n = idx.len();
        let value = tree.value[node * k..(node + 1) * k].to_vec();
        let pure = match y {
            // As scikit-learn: a node whose squared error is within rounding of 0 is a leaf.
            Target::Numbers(v) => {
                let mean = value[0];
                idx.iter().map(|&i| (v[i] - mean).powi(2)).sum::<f64>() / n as f64 <= f64::EPSILON
            }
            Target::Classes(..) => value.iter().any(|&p| p >= 1.0 - 1e-12),
        };
        if pure || n < 2 * params.min_samples_leaf.max(1) || params.max_depth.is_some_and(|d| depth >= d) {
            continue;
        }
        let ctx = NodeCtx { y, k, params, parent: node_score(y, idx, &value) };
        let best = match &data.storage {
            Storage::Dense(bins) => {
                // Candidate features: a random subset when max_features < p (ties between
                // equally good features then go to the first in column order, as with all).
                for i in (0..max_features).filter(|_| max_features < p) {
                    let j = i + rng.below(p - i);
                    features.swap(i, j);
                }
                dense_best(bins, data, idx, &features[..max_features], &ctx, &mut sc)
            }
            Storage::Sparse { columns, zero_bin } => {
                sparse_best(columns, zero_bin, idx, max_features, &ctx, &mut sc, rng)
            }
        };
        let Some(split) = best else { continue };
        let mid = data.partition(idx, split.feature, split.bin, &mut sc.flags);
        let (l_rows, r_rows) = idx.split_at(mid);
        let l = push_node(&mut tree, &leaf_value(y, l_rows), l_rows.len());
        let r = push_node(&mut tree, &leaf_value(y, r_rows), r_rows.len());
        tree.feature[node] = split.feature as u32;
        tree.threshold[node] = (data.hi[split.feature][split.bin] + data.lo[split.feature][split.next]) / 2.0;
        assert_eq!(r, l + 1);
        tree.left[node] = l as u32;
        stack.push((l, start, start + mid, depth + 1));
        stack.push((r, start + mid, end, depth + 1));
    }
    // A split node's value was only needed to grow it: prediction, explanations and export
    // read leaves. Zeros make a bundle's forest ~40 % smaller.
    for (node, value) in tree.value.chunks_mut(k.max(1)).enumerate() {
        if tree.feature[node] != LEAF {
            value.fill(0.0);
        }
    }
    tree
}

/// Σ(sum²)/n of a node: the quantity a split must raise (classes: n is the rows' weight).
fn node_score(y: Target, idx: &[usize], value: &[f64]) -> f64 {
    let n = idx.len() as f64;
    match y {
        Target::Numbers(_) => value[0] * value[0] * n,
        Target::Classes(c, _, w) => {
            let total = if w.is_empty() { n } else { idx.iter().map(|&i| weight_of(w, c[i])).sum() };
            value.iter().map(|p| p * p).sum::<f64>() * total
        }
    }
}

fn leaf_value(y: Target, rows: &[usize]) -> Vec<f64> {
    let n = rows.len().max(1) as f64;
    match y {
        Target::Numbers(v) => vec![rows.iter().map(|&i| v[i]).sum::<f64>() / n],
        Target::Classes(c, k, w) => {
            let mut counts = vec![0.0; k];
            for &i in rows {
                counts[c[i]] += weight_of(w, c[i]);
            }
            let total: f64 = counts.iter().sum();
            counts.iter().map(|x| x / total.max(f64::MIN_POSITIVE)).collect()
        }
    }
}

fn push_node(tree: &mut Tree, value: &[f64], cover: usize) -> usize {
    tree.feature.push(LEAF);
    tree.cover.push(u32::try_from(cover).unwrap_or(u32::MAX));
    tree.threshold.push(0.0);
    tree.left.push(0);
    tree.value.extend_from_slice(value);
    tree.feature.len() - 1
}

/// A random forest: `n_trees` trees on bootstrap samples, grown in parallel on all cores.
pub fn forest(x: Features, y: Target, n_trees: usize, params: &TreeParams, seed: u64) -> Vec<Tree> {
    let data = Binned::new(x);
    let n = x.nrows();
    // Each tree's generator is seeded by its index alone and rayon's `collect` keeps the
    // index order, so a seed gives the same forest whatever the number of cores.
    (0..n_trees)
        .into_par_iter()
        .map(|i| {
            let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(i as u64));
            let rows: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
            grow(&data, y, rows, params, &mut rng)
        })
        .collect()
}

/// One tree on all rows.
pub fn single_tree(x: Features, y: Target, params: &TreeParams, seed: u64) -> Tree {
    let data = Binned::new(x);
    grow(&data, y, (0..x.nrows()).collect(), params, &mut Rng::new(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_fits_a_step_and_classes() {
        let x = Array2::from_shape_fn((40, 1), |(i, _)| i as f64);
        let y: Vec<f64> = (0..40).map(|i| if i < 20 { 1.0 } else { 5.0 }).collect();
        let t = single_tree(Features::Dense(&x), Target::Numbers(&y), &TreeParams::default(), 1);
        assert_eq!(t.predict_row(&[3.0]), &[1.0]);
        assert_eq!(t.predict_row(&[30.0]), &[5.0]);
        assert_eq!(t.n_nodes(), 3, "one split suffices");
        let c: Vec<usize> = (0..40).map(|i| usize::from(i >= 10)).collect();
        let t = single_tree(Features::Dense(&x), Target::Classes(&c, 2, &[]), &TreeParams::default(), 1);
        assert_eq!(t.predict_row(&[12.0]), &[0.0, 1.0]);
        let f = forest(Features::Dense(&x), Target::Classes(&c, 2, &[]), 10, &TreeParams::default(), 3);
        assert_eq!(f.len(), 10);
        let p = predict_trees(&f, &x);
        assert!(p[[0, 0]] > 0.9 && p[[39, 1]] > 0.9);
    }

    #[test]
    fn depth_and_leaf_size_limits() {
        let x = Array2::from_shape_fn((64, 1), |(i, _)| i as f64);
        let y: Vec<f64> = (0..64).map(|i| i as f64).collect();
        let stump = single_tree(
            Features::Dense(&x),
            Target::Numbers(&y),
            &TreeParams { max_depth: Some(1), ..TreeParams::default() },
            0,
        );
        assert_eq!(stump.n_nodes(), 3);
        let leafy = single_tree(
            Features::Dense(&x),
            Target::Numbers(&y),
            &TreeParams { min_samples_leaf: 16, ..TreeParams::default() },
            0,
        );
        assert_eq!(leafy.feature.iter().filter(|&&f| f == LEAF).count(), 4);
    }
}
