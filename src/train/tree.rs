//! Decision trees (CART) and random forests for regression and classification.
//!
//! Features are bucketed once into at most 255 quantile bins (u8), so finding a node's best
//! split is one pass over its rows building per-bin histograms plus a scan over the bins —
//! O(rows × features) per tree level instead of a sort per node. Thresholds are stored in raw
//! feature units, so prediction needs no binning. Regression minimises squared error;
//! classification minimises Gini impurity, with leaves holding class proportions.

use super::split::Rng;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

const MAX_BINS: usize = 255;
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
/// node: the mean (regression) or the class proportions (classification).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub n_outputs: usize,
    pub feature: Vec<u32>,
    pub threshold: Vec<f64>,
    /// Left child of each split node; its right child is the next node.
    pub left: Vec<u32>,
    pub value: Vec<f64>,
}

impl Tree {
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }

    /// The leaf node one row reaches.
    pub fn leaf(&self, row: &[f64]) -> usize {
        let mut node = 0usize;
        while self.feature[node] != LEAF {
            let f = self.feature[node] as usize;
            let left = self.left[node] as usize;
            node = if row[f] <= self.threshold[node] { left } else { left + 1 };
        }
        node
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
    let mut out = Array2::<f64>::zeros((x.nrows(), k));
    let mut row = vec![0.0; x.ncols()];
    for (r, xr) in x.rows().into_iter().enumerate() {
        row.iter_mut().zip(xr.iter()).for_each(|(a, b)| *a = *b);
        for t in trees {
            for (o, v) in t.predict_row(&row).iter().enumerate() {
                out[[r, o]] += v;
            }
        }
    }
    out /= trees.len().max(1) as f64;
    out
}

/// Features bucketed into quantile bins, column-major.
pub struct Binned {
    n: usize,
    bins: Vec<u8>,
    /// Per feature, the upper edge of each bin but the last (raw units).
    edges: Vec<Vec<f64>>,
    /// Per feature, the smallest and largest value that falls in each bin, so a split between
    /// two bins sits midway between the data on either side, as in an exact CART.
    lo: Vec<Vec<f64>>,
    hi: Vec<Vec<f64>>,
}

impl Binned {
    pub fn new(x: &Array2<f64>) -> Binned {
        let (n, p) = x.dim();
        let mut bins = vec![0u8; n * p];
        let mut edges = Vec::with_capacity(p);
        let (mut lo, mut hi) = (Vec::with_capacity(p), Vec::with_capacity(p));
        for j in 0..p {
            let col = x.column(j);
            let mut sorted: Vec<f64> = col.iter().copied().collect();
            sorted.sort_by(f64::total_cmp);
            sorted.dedup();
            let e: Vec<f64> = if sorted.len() <= MAX_BINS {
                sorted.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
            } else {
                let mut e: Vec<f64> = (1..MAX_BINS)
                    .map(|b| {
                        let i = b * sorted.len() / MAX_BINS;
                        (sorted[i - 1] + sorted[i]) / 2.0
                    })
                    .collect();
                e.dedup();
                e
            };
            let mut l = vec![f64::INFINITY; e.len() + 1];
            let mut h = vec![f64::NEG_INFINITY; e.len() + 1];
            for (i, &v) in col.iter().enumerate() {
                let b = e.partition_point(|&t| t < v);
                bins[j * n + i] = b as u8;
                l[b] = l[b].min(v);
                h[b] = h[b].max(v);
            }
            edges.push(e);
            lo.push(l);
            hi.push(h);
        }
        Binned { n, bins, edges, lo, hi }
    }

    fn bin(&self, feature: usize, row: usize) -> usize {
        self.bins[feature * self.n + row] as usize
    }
}

/// The target a tree learns: numbers, or class indices with the number of classes.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    Numbers(&'a [f64]),
    Classes(&'a [usize], usize),
}

impl Target<'_> {
    fn outputs(&self) -> usize {
        match self {
            Target::Numbers(_) => 1,
            Target::Classes(_, k) => *k,
        }
    }
}

struct Split {
    feature: usize,
    /// Last bin that goes left; `next` is the first bin of the node's rows that goes right.
    bin: usize,
    next: usize,
    score: f64,
}

/// Grows one tree on the rows in `rows` (repeats allowed: a bootstrap sample).
pub fn grow(data: &Binned, y: Target, mut rows: Vec<usize>, params: &TreeParams, rng: &mut Rng) -> Tree {
    let k = y.outputs();
    let p = data.edges.len();
    let mut tree = Tree { n_outputs: k, feature: vec![], threshold: vec![], left: vec![], value: vec![] };
    let mut features: Vec<usize> = (0..p).collect();
    let max_features = params.max_features.unwrap_or(p).clamp(1, p.max(1));
    // Work stack: (node id, start, end, depth) over `rows`.
    let mut stack = vec![(0usize, 0usize, rows.len(), 0usize)];
    push_node(&mut tree, &leaf_value(y, &rows));
    if p == 0 {
        return tree;
    }
    let mut hist = vec![0.0f64; (MAX_BINS + 1) * (k + 1)];
    let mut touched: Vec<usize> = Vec::with_capacity(MAX_BINS + 1);
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
        // Candidate features: a random subset when max_features < p (ties between equally good
        // features then go to the first in column order, as with all features).
        for i in (0..max_features).filter(|_| max_features < p) {
            let j = i + rng.below(p - i);
            features.swap(i, j);
        }
        let parent = node_score(y, idx, &value);
        let mut best: Option<Split> = None;
        for &f in &features[..max_features] {
            let nb = data.edges[f].len() + 1;
            if nb < 2 {
                continue;
            }
            // Histogram over the bins this node's rows fall in; only those bins are scanned and
            // cleared, so small nodes cost O(rows), not O(bins).
            touched.clear();
            for &i in idx.iter() {
                let b = data.bin(f, i);
                if hist[b * (k + 1)] == 0.0 {
                    touched.push(b);
                }
                hist[b * (k + 1)] += 1.0;
                match y {
                    Target::Numbers(v) => hist[b * (k + 1) + 1] += v[i],
                    Target::Classes(c, _) => hist[b * (k + 1) + 1 + c[i]] += 1.0,
                }
            }
            touched.sort_unstable();
            let mut total = vec![0.0; k + 1];
            for &b in &touched {
                for o in 0..=k {
                    total[o] += hist[b * (k + 1) + o];
                }
            }
            let mut left = vec![0.0; k + 1];
            for (t, &b) in touched[..touched.len() - 1].iter().enumerate() {
                for o in 0..=k {
                    left[o] += hist[b * (k + 1) + o];
                }
                let (nl, nr) = (left[0], total[0] - left[0]);
                if nl < params.min_samples_leaf as f64 || nr < params.min_samples_leaf as f64 {
                    continue;
                }
                // Larger is better: Σ(sum²)/n for each side (squared error and Gini alike).
                let score = (1..=k).map(|o| left[o] * left[o]).sum::<f64>() / nl
                    + (1..=k).map(|o| (total[o] - left[o]).powi(2)).sum::<f64>() / nr;
                // Ties (within rounding) keep the earlier feature and threshold.
                let beats = |s: &Split| score > s.score + 1e-12 * s.score.abs();
                if score > parent + 1e-9 * parent.abs().max(1e-12) && best.as_ref().is_none_or(beats) {
                    best = Some(Split { feature: f, bin: b, next: touched[t + 1], score });
                }
            }
            for &b in &touched {
                hist[b * (k + 1)..(b + 1) * (k + 1)].iter_mut().for_each(|v| *v = 0.0);
            }
        }
        let Some(split) = best else { continue };
        // Partition rows: bin <= split.bin go left.
        let mut mid = 0;
        for i in 0..n {
            if data.bin(split.feature, idx[i]) <= split.bin {
                idx.swap(i, mid);
                mid += 1;
            }
        }
        let (l_rows, r_rows) = idx.split_at(mid);
        let l = push_node(&mut tree, &leaf_value(y, l_rows));
        let r = push_node(&mut tree, &leaf_value(y, r_rows));
        tree.feature[node] = split.feature as u32;
        tree.threshold[node] = (data.hi[split.feature][split.bin] + data.lo[split.feature][split.next]) / 2.0;
        debug_assert_eq!(r, l + 1);
        tree.left[node] = l as u32;
        stack.push((l, start, start + mid, depth + 1));
        stack.push((r, start + mid, end, depth + 1));
    }
    tree
}

/// Σ(sum²)/n of a node: the quantity a split must raise.
fn node_score(y: Target, idx: &[usize], value: &[f64]) -> f64 {
    let n = idx.len() as f64;
    match y {
        Target::Numbers(_) => value[0] * value[0] * n,
        Target::Classes(..) => value.iter().map(|p| p * p).sum::<f64>() * n,
    }
}

fn leaf_value(y: Target, rows: &[usize]) -> Vec<f64> {
    let n = rows.len().max(1) as f64;
    match y {
        Target::Numbers(v) => vec![rows.iter().map(|&i| v[i]).sum::<f64>() / n],
        Target::Classes(c, k) => {
            let mut counts = vec![0.0; k];
            for &i in rows {
                counts[c[i]] += 1.0;
            }
            counts.iter().map(|x| x / n).collect()
        }
    }
}

fn push_node(tree: &mut Tree, value: &[f64]) -> usize {
    tree.feature.push(LEAF);
    tree.threshold.push(0.0);
    tree.left.push(0);
    tree.value.extend_from_slice(value);
    tree.feature.len() - 1
}

/// A random forest: `n_trees` trees on bootstrap samples, grown in parallel on all cores.
pub fn forest(x: &Array2<f64>, y: Target, n_trees: usize, params: &TreeParams, seed: u64) -> Vec<Tree> {
    let data = Binned::new(x);
    let n = x.nrows();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n_trees.max(1));
    let mut trees: Vec<(usize, Tree)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let data = &data;
                s.spawn(move || {
                    (t..n_trees)
                        .step_by(threads)
                        .map(|i| {
                            let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(i as u64));
                            let rows: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                            (i, grow(data, y, rows, params, &mut rng))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    trees.sort_by_key(|(i, _)| *i);
    trees.into_iter().map(|(_, t)| t).collect()
}

/// One tree on all rows.
pub fn single_tree(x: &Array2<f64>, y: Target, params: &TreeParams, seed: u64) -> Tree {
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
        let t = single_tree(&x, Target::Numbers(&y), &TreeParams::default(), 1);
        assert_eq!(t.predict_row(&[3.0]), &[1.0]);
        assert_eq!(t.predict_row(&[30.0]), &[5.0]);
        assert_eq!(t.n_nodes(), 3, "one split suffices");
        let c: Vec<usize> = (0..40).map(|i| usize::from(i >= 10)).collect();
        let t = single_tree(&x, Target::Classes(&c, 2), &TreeParams::default(), 1);
        assert_eq!(t.predict_row(&[12.0]), &[0.0, 1.0]);
        let f = forest(&x, Target::Classes(&c, 2), 10, &TreeParams::default(), 3);
        assert_eq!(f.len(), 10);
        let p = predict_trees(&f, &x);
        assert!(p[[0, 0]] > 0.9 && p[[39, 1]] > 0.9);
    }

    #[test]
    fn depth_and_leaf_size_limits() {
        let x = Array2::from_shape_fn((64, 1), |(i, _)| i as f64);
        let y: Vec<f64> = (0..64).map(|i| i as f64).collect();
        let stump =
            single_tree(&x, Target::Numbers(&y), &TreeParams { max_depth: Some(1), ..TreeParams::default() }, 0);
        assert_eq!(stump.n_nodes(), 3);
        let leafy =
            single_tree(&x, Target::Numbers(&y), &TreeParams { min_samples_leaf: 16, ..TreeParams::default() }, 0);
        assert_eq!(leafy.feature.iter().filter(|&&f| f == LEAF).count(), 4);
    }
}
