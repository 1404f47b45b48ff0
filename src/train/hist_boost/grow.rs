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
struct Split {
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
    /// Features that may split the leaf: the dense ones, and the sparse ones with a non-zero
    /// cell among its rows (of the parent's, for a histogram found by subtraction).
    candidates: Vec<usize>,
    best: Option<Split>,
}

/// Below this many (row, feature) cells a histogram is filled on one core: handing the features
/// to other cores costs more than it saves on small leaves (measured on California housing, 2
/// cores: 4 096 → 65 536 took the fit from 0.21–0.23 s to 0.19 s; 262 144 was no better).
const PARALLEL_CELLS: usize = 65_536;

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
) -> (Tree, Vec<LeafRows>) {
    let Workspace { leaf_of, pool, goes_left, scratch } = work;
    if leaf_of.len() != bins.n {
        *leaf_of = vec![u32::MAX; bins.n];
        *goes_left = vec![false; bins.n];
    }
    let mut tree = Tree { n_outputs: 1, ..Tree::default() };
    let keep_histograms = bins.total_slots() * std::mem::size_of::<Slot>() * p.max_leaf_nodes <= HISTOGRAM_BUDGET;
    let sparse = bins.columns.iter().any(|c| matches!(c.cells, Cells::Sparse { .. }));
    let mut total = Slot::default();
    for &r in order.iter() {
        total.g += g[r as usize];
        total.h += h[r as usize];
    }
    total.c = order.len() as u32;
    push_node(&mut tree, &total, p.l2);
    if sparse {
        // Rows outside this tree's sample (or held out) belong to no leaf.
        leaf_of.fill(u32::MAX);
        order.iter().for_each(|&r| leaf_of[r as usize] = 0);
    }
    let (hist, candidates) = histogram(bins, order, g, h, features, &total, pool);
    let best = best_split(bins, &hist, &total, &candidates, p);
    let mut leaves =
        vec![Leaf { start: 0, end: order.len(), depth: 0, node: 0, total, hist: Some(hist), best, candidates }];
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
        let sum = |range: &[u32]| {
            let mut s = Slot { c: range.len() as u32, ..Slot::default() };
            for &r in range {
                s.g += g[r as usize];
                s.h += h[r as usize];
            }
            s
        };
        let (lt, rt) = (sum(&order[leaf.start..mid]), sum(&order[mid..leaf.end]));
        push_node(&mut tree, &lt, p.l2);
        push_node(&mut tree, &rt, p.l2);
        let depth = leaf.depth + 1;
        let none = || (None, None, vec![]);
        let (hist, best, candidates) = none();
        let mut left = Leaf { start: leaf.start, end: mid, depth, node: left_node, total: lt, hist, best, candidates };
        let (hist, best, candidates) = none();
        let mut right =
            Leaf { start: mid, end: leaf.end, depth, node: left_node + 1, total: rt, hist, best, candidates };
        if sparse {
            order[left.start..left.end].iter().for_each(|&r| leaf_of[r as usize] = leaf_id(&left));
            order[right.start..right.end].iter().for_each(|&r| leaf_of[r as usize] = leaf_id(&right));
        }
        let can_split =
            |l: &Leaf| p.max_depth.is_none_or(|d| l.depth < d) && l.end - l.start >= 2 * p.min_samples_leaf.max(1);
        let (small, large) = if n_left <= leaf.end - mid { (&mut left, &mut right) } else { (&mut right, &mut left) };
        let (small_hist, small_candidates) =
            histogram(bins, &order[small.start..small.end], g, h, features, &small.total, pool);
        let (large_hist, large_candidates) = match leaf.hist {
            Some(mut parent) if keep_histograms => {
                // Only the slots of features that can split are read later.
                for &f in &leaf.candidates {
                    let range = bins.offsets[f]..bins.offsets[f + 1];
                    parent[range.clone()].iter_mut().zip(&small_hist[range]).for_each(|(a, b)| *a = a.minus(b));
                }
                (parent, leaf.candidates)
            }
            _ => histogram(bins, &order[large.start..large.end], g, h, features, &large.total, pool),
        };
        for (l, hist, candidates) in [(small, small_hist, small_candidates), (large, large_hist, large_candidates)] {
            if can_split(l) {
                l.best = best_split(bins, &hist, &l.total, &candidates, p);
            }
            if can_split(l) && keep_histograms {
                l.hist = Some(hist);
            } else {
                pool.give(hist, bins, &candidates);
            }
            l.candidates = candidates;
        }
        leaves.push(left);
        leaves.push(right);
    }
    let rows = leaves.iter().map(|l| LeafRows { node: l.node, start: l.start, end: l.end }).collect();
    for l in leaves {
        if let Some(hist) = l.hist {
            pool.give(hist, bins, &l.candidates);
        }
    }
    (tree, rows)
}

/// What growing reuses from tree to tree: each row's leaf (sparse features), the histogram
/// buffers, and the partition's scratch space.
#[derive(Default)]
pub(super) struct Workspace {
    leaf_of: Vec<u32>,
    pool: Pool,
    goes_left: Vec<bool>,
    scratch: Vec<u32>,
}

/// Histogram buffers reused across leaves and trees. A buffer in the pool is all zeros; when
/// one comes back only what its leaf wrote is cleared (the ranges of `written` features and
/// the sparse features' zero slots) — on thousands of word columns, allocating and zeroing a
/// whole histogram per leaf was most of the time.
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
        for (f, col) in bins.columns.iter().enumerate() {
            if let Cells::Sparse { zero, .. } = &col.cells {
                buf[bins.offsets[f] + *zero as usize] = Slot::default();
            }
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

/// The gradient histogram of the rows `rows` over `features`.
fn histogram(
    bins: &Bins,
    rows: &[u32],
    g: &[f64],
    h: &[f64],
    features: &[usize],
    total: &Slot,
    pool: &mut Pool,
) -> (Vec<Slot>, Vec<usize>) {
    let mut hist = pool.take(bins.total_slots());
    // Each feature's slots, handed out to the cores.
    let mut parts: Vec<(usize, &mut [Slot])> = Vec::with_capacity(features.len());
    let mut rest: &mut [Slot] = &mut hist;
    let mut at = 0;
    let mut wanted = vec![false; bins.n_features()];
    features.iter().for_each(|&f| wanted[f] = true);
    for (f, col) in bins.columns.iter().enumerate() {
        let (mine, tail) = rest.split_at_mut(col.slots());
        rest = tail;
        at += col.slots();
        // Sparse columns are filled below, row by row.
        if wanted[f] && matches!(col.cells, Cells::Dense(_)) {
            parts.push((f, mine));
        }
    }
    debug_assert_eq!(at, bins.total_slots());
    // Gradients in the leaf's row order, read once per feature.
    let gh: Vec<(f64, f64)> = rows.iter().map(|&r| (g[r as usize], h[r as usize])).collect();
    let fill = |(f, slots): &mut (usize, &mut [Slot])| match &bins.columns[*f].cells {
        Cells::Dense(cells) => {
            for (&r, &(gv, hv)) in rows.iter().zip(&gh) {
                let s = &mut slots[cells[r as usize] as usize];
                s.g += gv;
                s.h += hv;
                s.c += 1;
            }
        }
        // Filled below, row by row.
        Cells::Sparse { .. } => {}
    };
    if rows.len() * parts.len() >= PARALLEL_CELLS {
        parts.par_iter_mut().for_each(fill);
    } else {
        parts.iter_mut().for_each(fill);
    }
    let mut candidates: Vec<usize> =
        features.iter().copied().filter(|&f| matches!(bins.columns[f].cells, Cells::Dense(_))).collect();
    // Sparse columns: every row starts in the zero bin, then each non-zero cell of the leaf's
    // rows moves its row to its own bin — one pass over the leaf's cells.
    if !bins.row_start.is_empty() {
        let mut touched = vec![false; bins.n_features()];
        for &f in features {
            if let Cells::Sparse { zero, .. } = &bins.columns[f].cells {
                hist[bins.offsets[f] + *zero as usize] = *total;
            }
        }
        for (&r, &(gv, hv)) in rows.iter().zip(&gh) {
            let r = r as usize;
            for &(f, b) in &bins.row_cells[bins.row_start[r]..bins.row_start[r + 1]] {
                let f = f as usize;
                if !wanted[f] {
                    continue;
                }
                let Cells::Sparse { zero, .. } = &bins.columns[f].cells else { continue };
                let s = Slot { g: gv, h: hv, c: 1 };
                if !touched[f] {
                    touched[f] = true;
                    candidates.push(f);
                }
                hist[bins.offsets[f] + b as usize].add(&s);
                let z = &mut hist[bins.offsets[f] + *zero as usize];
                *z = z.minus(&s);
            }
        }
    }
    (hist, candidates)
}

/// The best split of a leaf over `features` (None: no split keeps enough rows on both sides).
fn best_split(bins: &Bins, hist: &[Slot], total: &Slot, features: &[usize], p: &GrowParams) -> Option<Split> {
    let parent = score(total.g, total.h, p.l2);
    let best_of = |&f: &usize| {
        let col = &bins.columns[f];
        let slots = &hist[bins.offsets[f]..bins.offsets[f] + col.slots()];
        // A sparse feature with fewer non-zero cells in the leaf than a child's rows cannot
        // split it (one side would hold only those).
        if let Cells::Sparse { zero, .. } = &col.cells
            && ((total.c - slots[*zero as usize].c) as usize) < p.min_samples_leaf.max(1)
        {
            return None;
        }
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
    if features.len() >= 16 {
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
