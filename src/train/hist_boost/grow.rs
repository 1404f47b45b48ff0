//! One tree of histogram boosting, grown leaf by leaf (best gain first, as LightGBM): each
//! leaf's gradient/hessian histogram is built once — the larger child of a split as the parent's
//! minus the smaller's — and its best split is a scan over the bins of every feature: number
//! features by threshold with missing values tried on either side, category features by
//! categories sorted on gradient/hessian (LightGBM's and scikit-learn's method).

use super::bins::{Bins, Cells, Column};
use crate::train::tree::Tree;
use rayon::prelude::*;

const LEAF: u32 = u32::MAX;
/// Smallest hessian sum of a child (scikit-learn's `min_hessian_to_split`).
const MIN_HESSIAN: f64 = 1e-3;
/// Smoothing of the gradient/hessian ratio categories are sorted by (LightGBM's `cat_smooth`).
const CAT_SMOOTH: f64 = 10.0;
/// Most categories tried on the left of a categorical split, from either end of the order.
const MAX_CAT_THRESHOLD: usize = 64;
/// Histograms kept for the subtraction trick, at most this many bytes per tree.
const HISTOGRAM_BUDGET: usize = 512 << 20;

#[derive(Clone, Copy, Default, Debug)]
pub(super) struct Slot {
    g: f64,
    h: f64,
    c: u32,
}

impl Slot {
    fn add(&mut self, o: &Slot) {
        self.g += o.g;
        self.h += o.h;
        self.c += o.c;
    }
    fn minus(&self, o: &Slot) -> Slot {
        Slot { g: self.g - o.g, h: self.h - o.h, c: self.c - o.c }
    }
}

pub(super) struct GrowParams {
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2: f64,
}

#[derive(Clone, Debug)]
pub(super) struct Split {
    gain: f64,
    feature: usize,
    /// Number split: the last value bin on the left.
    bin: usize,
    /// Category split: the left-going bins.
    set: Option<[u64; 4]>,
    missing_left: bool,
}

impl Split {
    fn goes_left(&self, bin: usize, n_bins: usize) -> bool {
        match &self.set {
            _ if bin == n_bins => self.missing_left,
            Some(set) => set[bin / 64] >> (bin % 64) & 1 == 1,
            None => bin <= self.bin,
        }
    }
}

struct Leaf {
    start: usize,
    end: usize,
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

/// Below this many (row, feature) cells a histogram is filled on one core: handing the features
/// to other cores costs more than it saves on small leaves (measured on California housing, 2
/// cores: 4 096 → 65 536 took the fit from 0.21–0.23 s to 0.19 s; 262 144 was no better).
const PARALLEL_CELLS: usize = 65_536;
const PAR_SLOTS: usize = 65536;

/// The gradient, hessian and count of the rows `rows`.
fn total_of(rows: &[u32], g: &[f64], h: &[f64]) -> Slot {
    let mut s = Slot { c: rows.len() as u32, ..Slot::default() };
    for &r in rows {
        s.g += g[r as usize];
        s.h += h[r as usize];
    }
    s
}

fn score(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

/// Grows one tree on the rows `order` (rearranged in place, leaf by leaf) with gradients `g` and
/// hessians `h` (per row of the data), on the features `features`. Leaf values are
/// −G / (H + λ) (before the learning rate); `cover` counts the rows reaching each node.
pub(super) fn grow(
    bins: &Bins,
    order: &mut [u32],
    g: &[f64],
    h: &[f64],
    features: &[usize],
    p: &GrowParams,
    work: &mut Workspace,
) -> (Tree, Vec<LeafRows>, Vec<Option<Split>>) {
    let Workspace { leaf_of, pool, goes_left, scratch, mark } = work;
    if leaf_of.len() != bins.n {
        *leaf_of = vec![u32::MAX; bins.n];
        *goes_left = vec![false; bins.n];
    }
    if mark.len() != bins.n_features() {
        *mark = vec![0; bins.n_features()];
    }
    let mut tree = Tree { n_outputs: 1, ..Tree::default() };
    // Each node's split (None: a leaf), as found on the bins.
    let mut splits: Vec<Option<Split>> = vec![None];
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
    let (hist, written, candidates) = (Some(root.slots), root.written, root.candidates);
    let mut leaves =
        vec![Leaf { start: 0, end: order.len(), depth: 0, node: 0, total, hist, written, best, candidates }];
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
        // The split node and its two children (left, then right right after it).
        let (node, left_node) = (leaf.node, tree.n_nodes());
        write_split(&mut tree, node, left_node, &split, col);
        splits[node] = Some(split.clone());
        splits.extend([None, None]);
        let (lt, rt) = (total_of(&order[leaf.start..mid], g, h), total_of(&order[mid..leaf.end], g, h));
        push_node(&mut tree, &lt, p.l2);
        push_node(&mut tree, &rt, p.l2);
        let depth = leaf.depth + 1;
        let none = || (None, None, vec![], vec![]);
        let (hist, best, written, candidates) = none();
        let mut left =
            Leaf { start: leaf.start, end: mid, depth, node: left_node, total: lt, hist, written, best, candidates };
        let (hist, best, written, candidates) = none();
        let mut right =
            Leaf { start: mid, end: leaf.end, depth, node: left_node + 1, total: rt, hist, written, best, candidates };
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
    let rows = leaves.iter().map(|l| LeafRows { node: l.node, start: l.start, end: l.end }).collect();
    for l in leaves {
        if let Some(hist) = l.hist {
            pool.give(hist, bins, &l.written);
        }
    }
    (tree, rows, splits)
}

/// The leaf of row `r` in a tree grown here with `splits`, read from the bins: the same leaf as
/// the tree's raw thresholds give (the bins were cut at them) without reading `x` — rows held
/// out for early stopping are routed through every tree. Sparse split features read `value`.
pub(super) fn leaf_of_row(
    bins: &Bins,
    tree: &Tree,
    splits: &[Option<Split>],
    r: usize,
    value: impl Fn(usize) -> f64,
) -> usize {
    let mut node = 0;
    while let Some(split) = &splits[node] {
        let col = &bins.columns[split.feature];
        let left = match &col.cells {
            Cells::Dense(cells) => split.goes_left(cells[r] as usize, col.n_bins),
            Cells::Sparse { .. } => tree.goes_left(node, value(split.feature)),
        };
        node = tree.left[node] as usize + usize::from(!left);
    }
    node
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

/// Histogram buffers reused across leaves and trees. A buffer in the pool is all zeros; when
/// one comes back only what its leaf wrote is cleared (the ranges of `written` features) — on
/// thousands of word columns, allocating and zeroing a whole histogram per leaf was most of the
/// time, and then visiting every word's zero slot was a fifth of it.
#[derive(Default)]
pub(super) struct Pool {
    free: Vec<Vec<Slot>>,
}

impl Pool {
    fn take(&mut self, slots: usize) -> Vec<Slot> {
        match self.free.pop() {
            Some(buf) if buf.len() == slots => buf,
            _ => vec![Slot::default(); slots],
        }
    }

    fn give(&mut self, mut buf: Vec<Slot>, bins: &Bins, written: &[usize]) {
        for &f in written {
            buf[bins.offsets[f]..bins.offsets[f + 1]].fill(Slot::default());
        }
        if self.free.len() < 256 {
            self.free.push(buf);
        }
    }
}

/// A final leaf and its rows' positions in the rearranged `order`.
pub(super) struct LeafRows {
    pub node: usize,
    pub start: usize,
    pub end: usize,
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
    scratch.clear();
    let mut n_left = 0;
    let mut place = |rows: &mut [u32], k: usize, left: bool| {
        let r = rows[k];
        if left {
            rows[n_left] = r;
            n_left += 1;
        } else {
            scratch.push(r);
        }
    };
    match &col.cells {
        Cells::Dense(cells) => {
            for k in 0..rows.len() {
                let left = split.goes_left(cells[rows[k] as usize] as usize, col.n_bins);
                place(rows, k, left);
            }
        }
        Cells::Sparse { rows: nz_rows, bins: nz_bins, zero } => {
            let zero_left = split.goes_left(*zero as usize, col.n_bins);
            rows.iter().for_each(|&r| goes_left[r as usize] = zero_left);
            for (&r, &b) in nz_rows.iter().zip(nz_bins) {
                if leaf_of[r as usize] == id {
                    goes_left[r as usize] = split.goes_left(b as usize, col.n_bins);
                }
            }
            for k in 0..rows.len() {
                let left = goes_left[rows[k] as usize];
                place(rows, k, left);
            }
        }
    }
    let n_left_final = n_left;
    rows[n_left_final..].copy_from_slice(scratch);
    n_left_final
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

/// A leaf's identity in `leaf_of` (sparse features): its first row position, unique among the
/// current leaves.
fn gain_of(l: &Leaf) -> f64 {
    l.best.as_ref().map_or(f64::NEG_INFINITY, |s| s.gain)
}

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

/// A leaf's histogram: the slots, the features written in them, and those that may split it.
struct Hist {
    slots: Vec<Slot>,
    /// The leaf's gradient, hessian and row count.
    total: Slot,
    written: Vec<usize>,
    candidates: Vec<usize>,
}

/// Whether a feature whose histogram is `slots` may split a leaf of `total`: a sparse feature
/// needs `min_samples_leaf` non-zero cells among its rows (one side of its splits holds only those).
fn may_split(col: &Column, slots: &[Slot], total: &Slot, p: &GrowParams) -> bool {
    match &col.cells {
        Cells::Dense(_) => true,
        Cells::Sparse { zero, .. } => (total.c - slots[*zero as usize].c) as usize >= p.min_samples_leaf.max(1),
    }
}

/// The gradient histogram of the rows `rows` over `features` (`mark` all 0, and left so).
#[allow(clippy::too_many_arguments)]
fn histogram(
    bins: &Bins,
    rows: &[u32],
    (g, h): (&[f64], &[f64]),
    features: &[usize],
    total: &Slot,
    p: &GrowParams,
    pool: &mut Pool,
    mark: &mut [u8],
) -> Hist {
    let mut hist = pool.take(bins.total_slots());
    // Each dense feature's slots, handed out to the cores.
    let mut dense: Vec<usize> =
        features.iter().copied().filter(|&f| matches!(bins.columns[f].cells, Cells::Dense(_))).collect();
    dense.sort_unstable();
    let mut parts: Vec<(usize, &mut [Slot])> = Vec::with_capacity(dense.len());
    let mut rest: &mut [Slot] = &mut hist;
    let mut at = 0;
    for &f in &dense {
        let (_, tail) = rest.split_at_mut(bins.offsets[f] - at);
        let (mine, tail) = tail.split_at_mut(bins.columns[f].slots());
        rest = tail;
        at = bins.offsets[f + 1];
        parts.push((f, mine));
    }
    // Gradients in the leaf's row order, read once per feature.
    let gh: Vec<(f64, f64)> = rows.iter().map(|&r| (g[r as usize], h[r as usize])).collect();
    let fill = |(f, slots): &mut (usize, &mut [Slot])| {
        if let Cells::Dense(cells) = &bins.columns[*f].cells {
            for (&r, &(gv, hv)) in rows.iter().zip(&gh) {
                let s = &mut slots[cells[r as usize] as usize];
                s.g += gv;
                s.h += hv;
                s.c += 1;
            }
        }
    };
    if rows.len() * parts.len() >= PARALLEL_CELLS {
        parts.par_iter_mut().for_each(fill);
    } else {
        parts.iter_mut().for_each(fill);
    }
    let mut written = dense;
    // Sparse columns: a row starts in the zero bin, then each non-zero cell of the leaf's rows
    // moves its row to its own bin — one pass over the leaf's cells. Mark 1: wanted, 2: written.
    if !bins.row_start.is_empty() {
        features.iter().for_each(|&f| mark[f] = 1);
        for (&r, &(gv, hv)) in rows.iter().zip(&gh) {
            let r = r as usize;
            for &(f, b) in &bins.row_cells[bins.row_start[r]..bins.row_start[r + 1]] {
                let f = f as usize;
                if mark[f] == 0 {
                    continue;
                }
                let Cells::Sparse { zero, .. } = &bins.columns[f].cells else { continue };
                let z = bins.offsets[f] + *zero as usize;
                if mark[f] == 1 {
                    mark[f] = 2;
                    written.push(f);
                    hist[z] = *total;
                }
                let s = Slot { g: gv, h: hv, c: 1 };
                hist[bins.offsets[f] + b as usize].add(&s);
                hist[z] = hist[z].minus(&s);
            }
        }
        features.iter().for_each(|&f| mark[f] = 0);
    }
    let candidates = written
        .iter()
        .copied()
        .filter(|&f| may_split(&bins.columns[f], &hist[bins.offsets[f]..bins.offsets[f + 1]], total, p))
        .collect();
    Hist { slots: hist, total: *total, written, candidates }
}

/// The larger child's histogram: the parent's minus the smaller child's, over the parent's
/// candidates (the only slots read below it). A sparse feature the small child never touched
/// has all its rows in the zero bin there, so only the parent's zero slot changes.
fn subtract(
    bins: &Bins,
    mut parent: Vec<Slot>,
    small: &Hist,
    features: &[usize],
    total: &Slot,
    p: &GrowParams,
    mark: &mut [u8],
) -> (Vec<Slot>, Vec<usize>) {
    small.written.iter().for_each(|&f| mark[f] = 1);
    for &f in features {
        let range = bins.offsets[f]..bins.offsets[f + 1];
        if mark[f] == 1 {
            parent[range.clone()].iter_mut().zip(&small.slots[range]).for_each(|(a, b)| *a = a.minus(b));
        } else if let Cells::Sparse { zero, .. } = &bins.columns[f].cells {
            let z = &mut parent[range.start + *zero as usize];
            *z = z.minus(&small.total);
        }
    }
    small.written.iter().for_each(|&f| mark[f] = 0);
    let candidates = features
        .iter()
        .copied()
        .filter(|&f| may_split(&bins.columns[f], &parent[bins.offsets[f]..bins.offsets[f + 1]], total, p))
        .collect();
    (parent, candidates)
}

/// The best split of a leaf over `features`, its candidates (each passed `may_split`); None: no
/// split keeps enough rows on both sides.
fn best_split(bins: &Bins, hist: &[Slot], total: &Slot, features: &[usize], p: &GrowParams) -> Option<Split> {
    let parent = score(total.g, total.h, p.l2);
    let best_of = |&f: &usize| {
        let col = &bins.columns[f];
        let slots = &hist[bins.offsets[f]..bins.offsets[f] + col.slots()];
        if col.categorical {
            category_split(f, slots, total, parent, p)
        } else {
            number_split(f, slots, total, parent, p)
        }
    };
    let better = |a: Option<Split>, b: Option<Split>| match (a, b) {
        (Some(a), Some(b)) => Some(if b.gain > a.gain || (b.gain == a.gain && b.feature < a.feature) { b } else { a }),
        (a, b) => a.or(b),
    };
    if features.iter().map(|&f| bins.columns[f].slots()).sum::<usize>() >= PAR_SLOTS {
        features.par_iter().map(best_of).reduce(|| None, better)
    } else {
        features.iter().map(best_of).fold(None, better)
    }
}

fn allowed(l: &Slot, r: &Slot, p: &GrowParams) -> bool {
    l.c as usize >= p.min_samples_leaf.max(1)
        && r.c as usize >= p.min_samples_leaf.max(1)
        && l.h >= MIN_HESSIAN
        && r.h >= MIN_HESSIAN
}

fn number_split(f: usize, slots: &[Slot], total: &Slot, parent: f64, p: &GrowParams) -> Option<Split> {
    let n_bins = slots.len() - 1;
    let missing = slots[n_bins];
    let mut best: Option<Split> = None;
    for missing_left in [false, true] {
        if missing_left && missing.c == 0 {
            break;
        }
        let mut acc = if missing_left { missing } else { Slot::default() };
        // With gaps on the right, the last threshold (every value left) splits off the gaps.
        let last = if missing_left || missing.c == 0 { n_bins.saturating_sub(1) } else { n_bins };
        for (b, s) in slots[..last].iter().enumerate() {
            acc.add(s);
            if s.c == 0 {
                continue;
            }
            let right = total.minus(&acc);
            // The right side only shrinks from here: once too small, it stays so (most word
            // columns of a leaf end their scan after a few bins).
            if (right.c as usize) < p.min_samples_leaf.max(1) || right.h < MIN_HESSIAN {
                break;
            }
            if !allowed(&acc, &right, p) {
                continue;
            }
            let gain = score(acc.g, acc.h, p.l2) + score(right.g, right.h, p.l2) - parent;
            if best.as_ref().is_none_or(|s| gain > s.gain) {
                // Without missing values in training, they follow the larger side.
                let missing_left = if missing.c == 0 { acc.c >= right.c } else { missing_left };
                best = Some(Split { gain, feature: f, bin: b, set: None, missing_left });
            }
        }
    }
    best
}

fn category_split(f: usize, slots: &[Slot], total: &Slot, parent: f64, p: &GrowParams) -> Option<Split> {
    let n_bins = slots.len() - 1;
    // Present categories (the missing bin among them) by their smoothed gradient ratio.
    let mut cats: Vec<usize> = (0..=n_bins).filter(|&b| slots[b].c > 0).collect();
    if cats.len() < 2 {
        return None;
    }
    let ratio = |b: usize| slots[b].g / (slots[b].h + CAT_SMOOTH);
    cats.sort_by(|&a, &b| ratio(a).total_cmp(&ratio(b)).then(a.cmp(&b)));
    let mut best: Option<(f64, bool, usize)> = None;
    for reverse in [false, true] {
        let mut acc = Slot::default();
        let limit = (cats.len() - 1).min(MAX_CAT_THRESHOLD);
        for k in 0..limit {
            let b = if reverse { cats[cats.len() - 1 - k] } else { cats[k] };
            acc.add(&slots[b]);
            let right = total.minus(&acc);
            if !allowed(&acc, &right, p) {
                continue;
            }
            let gain = score(acc.g, acc.h, p.l2) + score(right.g, right.h, p.l2) - parent;
            if best.is_none_or(|(g, _, _)| gain > g) {
                best = Some((gain, reverse, k + 1));
            }
        }
    }
    let (gain, reverse, count) = best?;
    let mut set = [0u64; 4];
    let mut missing_left = false;
    for k in 0..count {
        let b = if reverse { cats[cats.len() - 1 - k] } else { cats[k] };
        if b == n_bins {
            missing_left = true;
        } else {
            set[b / 64] |= 1 << (b % 64);
        }
    }
    Some(Split { gain, feature: f, bin: 0, set: Some(set), missing_left })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Csr;
    use crate::train::tree::Features;
    use ndarray::Array2;

    /// The larger child's histogram found by subtraction equals the one filled from its rows,
    /// on every slot a split may read — words the small child never saw included.
    #[test]
    fn subtraction_matches_a_histogram_filled_from_the_rows() {
        let n = 600;
        // Word-like sparse columns (one with gaps), one only in each half, one empty.
        let x = Array2::from_shape_fn((n, 6), |(i, j)| match j {
            0 => (i % 37) as f64,
            1 if i % 3 == 0 => 0.5 + (i % 7) as f64,
            2 if i < n / 2 && i % 2 == 0 => 1.0 + (i % 5) as f64,
            3 if i % 11 == 0 => f64::NAN,
            3 if i % 4 == 0 => (i % 13) as f64,
            4 if i >= n / 2 && i % 5 < 2 => 2.0,
            _ => 0.0,
        });
        let csr = Csr::from_dense(&x);
        let bins = Bins::new(Features::Sparse(&csr), &[false; 6], 255);
        let g: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0).collect();
        let h: Vec<f64> = (0..n).map(|i| 0.1 + (i % 9) as f64 / 10.0).collect();
        let p = GrowParams { max_leaf_nodes: 31, max_depth: None, min_samples_leaf: 5, l2: 0.0 };
        let (mut pool, mut mark) = (Pool::default(), vec![0u8; bins.n_features()]);
        let total_of = |rows: &[u32]| {
            let mut s = Slot { c: rows.len() as u32, ..Slot::default() };
            rows.iter().for_each(|&r| (s.g, s.h) = (s.g + g[r as usize], s.h + h[r as usize]));
            s
        };
        let all: Vec<u32> = (0..n as u32).collect();
        let features: Vec<usize> = (0..6).collect();
        let root = histogram(&bins, &all, (&g, &h), &features, &total_of(&all), &p, &mut pool, &mut mark);
        // The last column is all zeros: never written, never a candidate.
        assert!(!root.written.contains(&5) && root.candidates.len() == 5, "{:?}", root.candidates);
        let (small, large) = all.split_at(n / 3);
        let (st, lt) = (total_of(small), total_of(large));
        let small_hist = histogram(&bins, small, (&g, &h), &root.candidates, &st, &p, &mut pool, &mut mark);
        // Column 4 appears only in the second half: the small child never touched it.
        assert!(!small_hist.written.contains(&4));
        let direct = histogram(&bins, large, (&g, &h), &root.candidates, &lt, &p, &mut pool, &mut mark);
        let (slots, candidates) = subtract(&bins, root.slots, &small_hist, &root.candidates, &lt, &p, &mut mark);
        let mut sorted = direct.candidates.clone();
        sorted.sort_unstable();
        let mut found = candidates.clone();
        found.sort_unstable();
        assert_eq!(found, sorted);
        for &f in &candidates {
            let range = bins.offsets[f]..bins.offsets[f + 1];
            for (k, (a, b)) in slots[range.clone()].iter().zip(&direct.slots[range]).enumerate() {
                assert!(
                    a.c == b.c && (a.g - b.g).abs() < 1e-9 && (a.h - b.h).abs() < 1e-9,
                    "feature {f} slot {k}: {a:?} vs {b:?}"
                );
            }
        }
        assert!(mark.iter().all(|&m| m == 0), "marks are left cleared");
    }
}
