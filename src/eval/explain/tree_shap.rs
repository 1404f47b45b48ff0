//! Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Algorithm 2"): the Shapley
//! values of one row for one output of one fitted tree, in O(leaves × depth²), where a
//! feature left out of a coalition sends the row down both branches weighed by the training
//! rows that went each way (the node cover stored at fit time). The same recursion as the
//! `shap` package's C++ `tree_shap_recursive`, on a flat buffer of path segments.

use crate::train::tree::Tree;

/// One element of the path of unique features from the root to the current node.
#[derive(Clone, Copy, Default)]
struct Elem {
    /// Feature index; `usize::MAX` for the root's placeholder.
    feature: usize,
    /// Share of the coalitions without this feature that reach here (cover ratio).
    zero: f64,
    /// 1 when the row itself goes this way, else 0.
    one: f64,
    /// Permutation weight.
    w: f64,
}

const NONE: usize = usize::MAX;

/// Whether a tree keeps what TreeSHAP needs (bundles from before the cover was kept do not).
pub fn has_cover(tree: &Tree) -> bool {
    tree.cover.len() == tree.n_nodes() && tree.cover.first().is_some_and(|&c| c > 0)
}

/// The tree's expected output under its own cover: what it predicts with no feature known.
pub fn expected_value(tree: &Tree, out: usize) -> f64 {
    fn walk(t: &Tree, node: usize, out: usize) -> f64 {
        if t.is_leaf(node) {
            return t.value[node * t.n_outputs + out];
        }
        let l = t.left[node] as usize;
        let (cl, cr) = (f64::from(t.cover[l]), f64::from(t.cover[l + 1]));
        let total = (cl + cr).max(f64::MIN_POSITIVE);
        (cl * walk(t, l, out) + cr * walk(t, l + 1, out)) / total
    }
    walk(tree, 0, out)
}

/// What the walk needs of a tree, computed once per tree rather than once per row.
pub struct Prepared<'a> {
    tree: &'a Tree,
    depth: usize,
    /// `1 / k` for k = 0 ..= depth + 2 (index 0 unused): the walk multiplies instead of dividing.
    recip: Vec<f64>,
}

impl<'a> Prepared<'a> {
    pub fn new(tree: &'a Tree) -> Prepared<'a> {
        let depth = max_depth(tree);
        let recip = (0..depth + 3).map(|k| if k == 0 { 0.0 } else { 1.0 / k as f64 }).collect();
        Prepared { tree, depth, recip }
    }

    pub fn tree(&self) -> &'a Tree {
        self.tree
    }

    /// Adds the Shapley value of every feature for row `x` and output `out`, times `scale`, to
    /// `phi` (one slot per feature). The tree must have its cover ([`has_cover`]).
    pub fn add_shap(&self, x: &[f64], out: usize, scale: f64, phi: &mut [f64]) {
        let d = self.depth;
        let path = vec![Elem::default(); (d + 2) * (d + 3) / 2 + 1];
        let mut walk = Walk { tree: self.tree, x, out, scale, phi, path, recip: &self.recip };
        walk.recurse(0, 0, 0, 1.0, 1.0, NONE);
    }
}

/// [`Prepared::add_shap`] for one tree.
pub fn add_tree_shap(tree: &Tree, x: &[f64], out: usize, scale: f64, phi: &mut [f64]) {
    Prepared::new(tree).add_shap(x, out, scale, phi);
}

fn max_depth(tree: &Tree) -> usize {
    let mut stack = vec![(0usize, 0usize)];
    let mut deepest = 0;
    while let Some((node, d)) = stack.pop() {
        deepest = deepest.max(d);
        if !tree.is_leaf(node) {
            let l = tree.left[node] as usize;
            stack.push((l, d + 1));
            stack.push((l + 1, d + 1));
        }
    }
    deepest
}

struct Walk<'a> {
    tree: &'a Tree,
    x: &'a [f64],
    out: usize,
    scale: f64,
    phi: &'a mut [f64],
    /// Path segments: the segment at depth d starts where its parent's ends.
    path: Vec<Elem>,
    recip: &'a [f64],
}

impl Walk<'_> {
    /// `d` is the number of unique features on the path so far (the new element's index).
    fn recurse(&mut self, node: usize, mut d: usize, parent: usize, zero: f64, one: f64, feature: usize) {
        let start = parent + d + 1;
        self.path.copy_within(parent..parent + d, start);
        let p = &mut self.path[start..start + d + 1];
        let r = self.recip;
        extend(p, d, zero, one, feature, r);
        let t = self.tree;
        if t.is_leaf(node) {
            let value = t.value[node * t.n_outputs + self.out] * self.scale;
            // The elements the row does not follow (one = 0) share one sum.
            let mut cold_sum = None;
            for i in 1..=d {
                let e = p[i];
                let w = if e.one == 0.0 {
                    let s = *cold_sum.get_or_insert_with(|| (0..d).map(|j| p[j].w * r[d - j]).sum::<f64>());
                    s * (d + 1) as f64 / e.zero
                } else {
                    unwound_sum_hot(p, d, e.zero, r)
                };
                self.phi[e.feature] += w * (e.one - e.zero) * value;
            }
            return;
        }
        let f = t.feature[node] as usize;
        let l = t.left[node] as usize;
        let (hot, cold) = if t.goes_left(node, self.x[f]) { (l, l + 1) } else { (l + 1, l) };
        let cover = f64::from(t.cover[node]).max(f64::MIN_POSITIVE);
        let (c_hot, c_cold) = (f64::from(t.cover[hot]), f64::from(t.cover[cold]));
        let (mut in_zero, mut in_one) = (1.0, 1.0);
        if let Some(i) = (1..=d).find(|&i| p[i].feature == f) {
            in_zero = p[i].zero;
            in_one = p[i].one;
            unwind(p, d, i, r);
            d -= 1;
        }
        self.recurse(hot, d + 1, start, c_hot / cover * in_zero, in_one, f);
        self.recurse(cold, d + 1, start, c_cold / cover * in_zero, 0.0, f);
    }
}

fn extend(p: &mut [Elem], d: usize, zero: f64, one: f64, feature: usize, r: &[f64]) {
    p[d] = Elem { feature, zero, one, w: if d == 0 { 1.0 } else { 0.0 } };
    let inv = r[d + 1];
    for i in (0..d).rev() {
        p[i + 1].w += one * p[i].w * (i + 1) as f64 * inv;
        p[i].w = zero * p[i].w * (d - i) as f64 * inv;
    }
}

/// Removes element `i` from the path (the feature is split on again further down).
fn unwind(p: &mut [Elem], d: usize, i: usize, r: &[f64]) {
    let (one, zero) = (p[i].one, p[i].zero);
    let n = (d + 1) as f64;
    let mut next = p[d].w;
    for j in (0..d).rev() {
        if one != 0.0 {
            let tmp = p[j].w;
            p[j].w = next * n * r[j + 1] / one;
            next = tmp - p[j].w * zero * (d - j) as f64 * r[d + 1];
        } else {
            p[j].w = p[j].w * n * r[d - j] / zero;
        }
    }
    for j in i..d {
        p[j].feature = p[j + 1].feature;
        p[j].zero = p[j + 1].zero;
        p[j].one = p[j + 1].one;
    }
}

/// The total permutation weight of the path without an element the row follows (one = 1)
/// whose zero fraction is `zero`.
fn unwound_sum_hot(p: &[Elem], d: usize, zero: f64, r: &[f64]) -> f64 {
    let mut next = p[d].w;
    let mut total = 0.0;
    for j in (0..d).rev() {
        let tmp = next * r[j + 1];
        total += tmp;
        next = p[j].w - tmp * zero * (d - j) as f64;
    }
    total * (d + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::tree::{Features, Target, TreeParams, forest, single_tree};
    use crate::util::Rng;
    use ndarray::Array2;

    /// The path-dependent value of a coalition: features in `known` follow the row, the others
    /// average both branches by cover.
    fn coalition_value(t: &Tree, x: &[f64], known: u32, node: usize, out: usize) -> f64 {
        if t.is_leaf(node) {
            return t.value[node * t.n_outputs + out];
        }
        let (f, l) = (t.feature[node] as usize, t.left[node] as usize);
        if known & (1 << f) != 0 {
            let next = if t.goes_left(node, x[f]) { l } else { l + 1 };
            return coalition_value(t, x, known, next, out);
        }
        let c = |n: usize| f64::from(t.cover[n]);
        (c(l) * coalition_value(t, x, known, l, out) + c(l + 1) * coalition_value(t, x, known, l + 1, out)) / c(node)
    }

    /// Shapley values by enumerating all 2^M coalitions.
    fn brute_force(t: &Tree, x: &[f64], m: usize, out: usize) -> Vec<f64> {
        let fact = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
        let mut phi = vec![0.0; m];
        for (i, slot) in phi.iter_mut().enumerate() {
            for s in 0u32..(1 << m) {
                if s & (1 << i) != 0 {
                    continue;
                }
                let k = s.count_ones() as usize;
                let weight = fact(k) * fact(m - k - 1) / fact(m);
                *slot += weight * (coalition_value(t, x, s | (1 << i), 0, out) - coalition_value(t, x, s, 0, out));
            }
        }
        phi
    }

    fn data(seed: u64, n: usize, m: usize) -> (Array2<f64>, Vec<f64>, Vec<usize>) {
        let mut rng = Rng::new(seed);
        let x = Array2::from_shape_fn((n, m), |_| (rng.below(1000) as f64) / 100.0);
        let y: Vec<f64> = x.rows().into_iter().map(|r| r[0] * r[1] - 3.0 * r[2] + (r[3] > 5.0) as u8 as f64).collect();
        let c: Vec<usize> = y.iter().map(|v| usize::from(*v > 10.0) + usize::from(*v > 40.0)).collect();
        (x, y, c)
    }

    #[test]
    fn tree_shap_equals_brute_force_enumeration_on_small_trees() {
        for (seed, depth) in [(1u64, 3usize), (2, 4), (3, 6)] {
            let (x, y, c) = data(seed, 200, 5);
            let params = TreeParams { max_depth: Some(depth), min_samples_leaf: 3, max_features: None };
            let reg = single_tree(Features::Dense(&x), Target::Numbers(&y), &params, seed);
            let cls = single_tree(Features::Dense(&x), Target::Classes(&c, 3, &[]), &params, seed);
            for t in [&reg, &cls] {
                assert!(has_cover(t));
                for r in [0, 7, 42, 199] {
                    let row = x.row(r).to_vec();
                    for out in 0..t.n_outputs {
                        let mut phi = vec![0.0; 5];
                        add_tree_shap(t, &row, out, 1.0, &mut phi);
                        let exact = brute_force(t, &row, 5, out);
                        for (a, b) in phi.iter().zip(&exact) {
                            assert!((a - b).abs() < 1e-9, "depth {depth} row {r}: {phi:?} vs {exact:?}");
                        }
                        let total = expected_value(t, out) + phi.iter().sum::<f64>();
                        assert!((total - t.predict_row(&row)[out]).abs() < 1e-9);
                    }
                }
            }
        }
    }

    #[test]
    fn a_bootstrapped_forest_tree_adds_up() {
        let (x, y, _) = data(9, 300, 6);
        let params = TreeParams::default();
        for t in forest(Features::Dense(&x), Target::Numbers(&y), 4, &params, 5) {
            let row = x.row(11).to_vec();
            let mut phi = vec![0.0; 6];
            add_tree_shap(&t, &row, 0, 1.0, &mut phi);
            let total = expected_value(&t, 0) + phi.iter().sum::<f64>();
            assert!((total - t.predict_row(&row)[0]).abs() < 1e-8, "{total} vs {:?}", t.predict_row(&row));
        }
    }
}
