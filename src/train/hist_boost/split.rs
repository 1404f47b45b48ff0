//! The best split of a leaf from its histogram: number features by threshold with missing
//! values tried on either side, category features by categories sorted on gradient/hessian
//! (LightGBM's and scikit-learn's method).

use super::bins::Bins;
use super::grow::GrowParams;
use super::histogram::Slot;
use rayon::prelude::*;

/// Smallest hessian sum of a child (scikit-learn's `min_hessian_to_split`).
const MIN_HESSIAN: f64 = 1e-3;
/// Smoothing of the gradient/hessian ratio categories are sorted by (LightGBM's `cat_smooth`).
const CAT_SMOOTH: f64 = 10.0;
/// Most categories tried on the left of a categorical split, from either end of the order.
const MAX_CAT_THRESHOLD: usize = 64;
/// Below this many bins a leaf's best split is searched on one core: handing a few hundred word
/// columns to the second core cost more than it saved (spam, 2 cores: 0.58 → 0.45 s).
const PARALLEL_SLOTS: usize = 65_536;

#[derive(Clone, Debug)]
pub(super) struct Split {
    pub gain: f64,
    pub feature: usize,
    /// Number split: the last value bin on the left.
    pub bin: usize,
    /// Category split: the left-going bins.
    pub set: Option<[u64; 4]>,
    pub missing_left: bool,
    /// The gradient, hessian and row count of the rows going left.
    pub left: Slot,
}

impl Split {
    pub fn goes_left(&self, bin: usize, n_bins: usize) -> bool {
        match &self.set {
            _ if bin == n_bins => self.missing_left,
            Some(set) => set[bin / 64] >> (bin % 64) & 1 == 1,
            None => bin <= self.bin,
        }
    }
}

fn score(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

/// The best split of a leaf over `features`, its candidates (each passed `may_split`); None: no
/// split keeps enough rows on both sides.
pub(super) fn best_split(
    bins: &Bins,
    hist: &[Slot],
    total: &Slot,
    features: &[usize],
    p: &GrowParams,
) -> Option<Split> {
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
    if features.iter().map(|&f| bins.columns[f].slots()).sum::<usize>() >= PARALLEL_SLOTS {
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
    // The best split's score sum (gain + parent) so far: a bin beats it when
    // G_l²·H_r + G_r²·H_l > best·H_l·H_r (both H > 0), with no division on the way; only a
    // winner's gain is divided out (and compared as before). Two divisions a bin were a seventh
    // of a housing fit.
    let mut beat = f64::NEG_INFINITY;
    let m = p.min_samples_leaf.max(1);
    for missing_left in [false, true] {
        if missing_left && missing.c == 0 {
            break;
        }
        let mut acc = if missing_left { missing } else { Slot::default() };
        // With gaps on the right, the last threshold (every value left) splits off the gaps.
        let last = if missing_left || missing.c == 0 { n_bins.saturating_sub(1) } else { n_bins };
        let bins = &slots[..last];
        // The left side only grows and the right only shrinks (hessians are positive): the
        // thresholds start where the left holds enough rows and hessian, and end once the right
        // does not (most word columns of a leaf end their scan after a few bins).
        let Some(first) = bins.iter().position(|s| {
            acc.add(s);
            acc.c as usize >= m && acc.h >= MIN_HESSIAN
        }) else {
            continue;
        };
        for (b, s) in bins.iter().enumerate().skip(first) {
            if b > first {
                acc.add(s);
            }
            // An empty bin's threshold splits the rows as the last non-empty one does; scoring
            // it could move the threshold on a subtraction's rounding leftover (~1e-16).
            if s.c == 0 {
                continue;
            }
            let right = total.minus(&acc);
            if (right.c as usize) < m || right.h < MIN_HESSIAN {
                break;
            }
            let (hl, hr) = (acc.h + p.l2, right.h + p.l2);
            if acc.g * acc.g * hr + right.g * right.g * hl <= beat * hl * hr {
                continue;
            }
            let gain = score(acc.g, acc.h, p.l2) + score(right.g, right.h, p.l2) - parent;
            if best.as_ref().is_none_or(|s| gain > s.gain) {
                beat = gain + parent;
                // Without missing values in training, they follow the larger side.
                let missing_left = if missing.c == 0 { acc.c >= right.c } else { missing_left };
                best = Some(Split { gain, feature: f, bin: b, set: None, missing_left, left: acc });
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
    let mut left = Slot::default();
    for k in 0..count {
        let b = if reverse { cats[cats.len() - 1 - k] } else { cats[k] };
        left.add(&slots[b]);
        if b == n_bins {
            missing_left = true;
        } else {
            set[b / 64] |= 1 << (b % 64);
        }
    }
    Some(Split { gain, feature: f, bin: 0, set: Some(set), missing_left, left })
}
