//! Histogram gradient boosting, the LightGBM / scikit-learn `HistGradientBoosting*` kind of
//! boosted trees: features bucketed once into at most 255 bins (plus one for missing values),
//! trees grown leaf by leaf up to a number of leaves, splits found on gradient/hessian
//! histograms (the larger child's as the parent's minus the smaller's), category features split
//! natively on sets of categories, missing values routed to the side that helps, an L2 penalty
//! on leaf values, shrinkage, row and column sampling, class weights, and early stopping on a
//! held-out part of the training rows (automatic above 10 000 rows, as scikit-learn).
//!
//! The result is a [`Boosted`] model (its trees carry the category sets and missing-value
//! directions), so prediction, explanations (TreeSHAP), bundles and ONNX export are shared with
//! [`super::boosting`].

mod bins;
mod grow;
mod histogram;
mod split;

use super::boosting::Boosted;
use super::models::{sigmoid, softmax_in_place};
use super::tree::{Features, Tree};
use crate::util::Rng;
use bins::Bins;
use grow::GrowParams;

#[derive(Clone, Debug, PartialEq)]
pub struct HistParams {
    /// Most boosting rounds (scikit-learn's `max_iter`, LightGBM's `num_iterations`).
    pub n_trees: usize,
    pub learning_rate: f64,
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    /// L2 penalty on leaf values (`l2_regularization`, LightGBM's `lambda_l2`).
    pub l2: f64,
    pub max_bins: usize,
    /// Share of rows each tree learns from (drawn without replacement).
    pub subsample: f64,
    /// Share of features each tree may split on.
    pub colsample: f64,
    /// Hold out part of the training rows and stop when their loss stops falling (`None`: when
    /// there are more than 10 000 rows).
    pub early_stopping: Option<bool>,
    pub validation_fraction: f64,
    /// Rounds without improvement before stopping.
    pub n_iter_no_change: usize,
}

impl Default for HistParams {
    fn default() -> Self {
        HistParams {
            n_trees: 100,
            learning_rate: 0.1,
            max_leaf_nodes: 31,
            max_depth: None,
            min_samples_leaf: 20,
            l2: 0.0,
            max_bins: 255,
            subsample: 1.0,
            colsample: 1.0,
            early_stopping: None,
            validation_fraction: 0.1,
            n_iter_no_change: 10,
        }
    }
}

/// The target: numbers, or class indices with the number of classes and each class's weight
/// (empty: every row counts once).
#[derive(Clone, Copy)]
pub enum HistTarget<'a> {
    Numbers(&'a [f64]),
    Classes(&'a [usize], usize, &'a [f64]),
}

/// What fitting found besides the model: rounds kept and whether early stopping ended it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistReport {
    pub rounds: usize,
    pub stopped_early: bool,
}

/// Fits the model. `categorical[f]`: feature `f` holds category numbers (split on sets).
pub fn fit(
    x: Features,
    categorical: &[bool],
    y: HistTarget,
    params: &HistParams,
    seed: u64,
    cancel: &dyn Fn() -> bool,
) -> (Boosted, HistReport) {
    let (n, p) = (x.nrows(), x.ncols());
    let mut rng = Rng::new(seed);
    let (n_classes, k) = match y {
        HistTarget::Numbers(_) => (0, 1),
        HistTarget::Classes(_, c, _) if c <= 2 => (c, 1),
        HistTarget::Classes(_, c, _) => (c, c),
    };
    let weight: Vec<f64> = match y {
        HistTarget::Classes(c, _, w) if !w.is_empty() => {
            c.iter().map(|&ci| w.get(ci).copied().unwrap_or(1.0)).collect()
        }
        _ => vec![1.0; n],
    };
    // The rows trees learn from and the rows early stopping watches.
    let (fit_rows, held_out) = split_validation(n, y, params, &mut rng);
    let bins = Bins::new(x, categorical, params.max_bins, params.min_samples_leaf);
    let init = baseline(y, &fit_rows, &weight, k);
    let mut raw: Vec<f64> = (0..n).flat_map(|_| init.iter().copied()).collect();
    let grow_params = GrowParams {
        max_leaf_nodes: params.max_leaf_nodes.max(2),
        max_depth: params.max_depth,
        min_samples_leaf: params.min_samples_leaf,
        l2: params.l2,
    };
    let n_sub = ((params.subsample * fit_rows.len() as f64).round() as usize).clamp(1, fit_rows.len().max(1));
    // A sparse feature with fewer non-zero cells than a leaf's rows can never split: one side
    // of any split holds only rows with a non-zero cell. Most words of a text are such.
    let usable: Vec<usize> = (0..p).filter(|&f| bins.columns[f].can_split(params.min_samples_leaf)).collect();
    let n_cols = ((params.colsample * usable.len() as f64).round() as usize).clamp(1, usable.len().max(1));
    let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
    let mut rounds: Vec<Vec<Tree>> = Vec::with_capacity(params.n_trees);
    let (mut best_loss, mut best_round) = (f64::INFINITY, 0);
    let mut report = HistReport::default();
    let mut in_tree = vec![false; n];
    let mut work = grow::Workspace::default();
    for round_no in 0..params.n_trees {
        if cancel() {
            break;
        }
        let start = raw.clone();
        let mut order = sample_sorted(&fit_rows, n_sub, &mut rng);
        // The rows this round's trees do not learn from: held out, or outside the sample.
        let mut others = if order.len() == fit_rows.len() {
            held_out.clone()
        } else {
            order.iter().for_each(|&r| in_tree[r as usize] = true);
            let others = (0..n as u32).filter(|&r| !in_tree[r as usize]).collect();
            order.iter().for_each(|&r| in_tree[r as usize] = false);
            others
        };
        let features = sample_sorted(&usable, n_cols, &mut rng);
        let mut round = Vec::with_capacity(k);
        for o in 0..k {
            gradients(y, (&start, k, o), &fit_rows, &weight, (&mut g, &mut h));
            let (tree, leaves) = grow::grow(&bins, &mut order, &mut others, &g, &h, &features, &grow_params, &mut work);
            // Every row moves by its leaf's step: those the tree learnt from and the others.
            for l in &leaves {
                let step = params.learning_rate * tree.value[l.node];
                for &r in order[l.rows.clone()].iter().chain(&others[l.others.clone()]) {
                    raw[r as usize * k + o] += step;
                }
            }
            round.push(tree);
        }
        rounds.push(round);
        if !held_out.is_empty() {
            let loss = mean_loss(y, &raw, &held_out, &weight, k);
            if round_no == 0 || loss < best_loss - 1e-7 * best_loss.abs().max(1e-12) {
                (best_loss, best_round) = (loss, round_no);
            } else if round_no - best_round >= params.n_iter_no_change {
                report.stopped_early = true;
                break;
            }
        }
    }
    if !held_out.is_empty() && report.stopped_early {
        rounds.truncate(best_round + 1);
    }
    report.rounds = rounds.len();
    let model =
        Boosted { n_features: p, n_classes, init, learning_rate: params.learning_rate, rounds, histogram: true };
    (model, report)
}

/// The gradient and hessian of the loss for output `o` of every row in `rows`, at the raw
/// scores `raw` (`k` per row), times the row's weight.
fn gradients(
    y: HistTarget,
    (raw, k, o): (&[f64], usize, usize),
    rows: &[u32],
    weight: &[f64],
    (g, h): (&mut [f64], &mut [f64]),
) {
    let mut probs = vec![0.0; k];
    for &r in rows {
        let i = r as usize;
        let (gi, hi) = match y {
            HistTarget::Numbers(v) => (raw[i] - v[i], 1.0),
            HistTarget::Classes(c, nc, _) if k == 1 => {
                let pr = sigmoid(raw[i]);
                (pr - f64::from(u8::from(c[i] == nc - 1)), pr * (1.0 - pr))
            }
            HistTarget::Classes(c, _, _) => {
                probs.copy_from_slice(&raw[i * k..(i + 1) * k]);
                softmax_in_place(&mut probs);
                (probs[o] - f64::from(u8::from(c[i] == o)), probs[o] * (1.0 - probs[o]))
            }
        };
        g[i] = gi * weight[i];
        h[i] = hi.max(1e-16) * weight[i];
    }
}

/// `n` of `items` drawn without replacement, in their order (all of them when `n` covers them).
fn sample_sorted<T: Copy + Ord>(items: &[T], n: usize, rng: &mut Rng) -> Vec<T> {
    let mut all = items.to_vec();
    if n < all.len() {
        rng.shuffle(&mut all);
        all.truncate(n);
        all.sort_unstable();
    }
    all
}

/// The training rows trees learn from and, with early stopping, the rows held out to watch
/// (a seeded tenth, stratified by class).
fn split_validation(n: usize, y: HistTarget, params: &HistParams, rng: &mut Rng) -> (Vec<u32>, Vec<u32>) {
    let all: Vec<u32> = (0..n as u32).collect();
    let on = params.early_stopping.unwrap_or(n > 10_000);
    let share = params.validation_fraction.clamp(0.0, 0.5);
    if !on || n < 20 || share <= 0.0 {
        return (all, vec![]);
    }
    let mut shuffled = all;
    rng.shuffle(&mut shuffled);
    let group = |i: u32| match y {
        HistTarget::Classes(c, _, _) => c[i as usize],
        HistTarget::Numbers(_) => 0,
    };
    let groups = match y {
        HistTarget::Classes(_, nc, _) => nc,
        HistTarget::Numbers(_) => 1,
    };
    let mut seen = vec![0usize; groups.max(1)];
    let mut taken = vec![0usize; groups.max(1)];
    let (mut fit, mut held) = (Vec::with_capacity(n), Vec::new());
    for r in shuffled {
        let c = group(r);
        seen[c] += 1;
        if ((seen[c] as f64) * share).floor() as usize > taken[c] {
            taken[c] += 1;
            held.push(r);
        } else {
            fit.push(r);
        }
    }
    fit.sort_unstable();
    (fit, held)
}

/// The starting raw score: the (weighted) mean, log-odds of the positive class or log priors.
fn baseline(y: HistTarget, rows: &[u32], weight: &[f64], k: usize) -> Vec<f64> {
    match y {
        HistTarget::Numbers(v) => vec![rows.iter().map(|&r| v[r as usize]).sum::<f64>() / rows.len().max(1) as f64],
        HistTarget::Classes(c, nc, _) => {
            let mut counts = vec![0.0; nc];
            rows.iter().for_each(|&r| counts[c[r as usize]] += weight[r as usize]);
            let total: f64 = counts.iter().sum::<f64>().max(1e-300);
            let prior: Vec<f64> = counts.iter().map(|v| (v / total).clamp(1e-15, 1.0 - 1e-15)).collect();
            if k == 1 {
                vec![(prior[nc - 1] / (1.0 - prior[nc - 1])).ln()]
            } else {
                prior.iter().map(|v| v.ln()).collect()
            }
        }
    }
}

/// The weighted mean loss over `rows`: squared error or log loss.
fn mean_loss(y: HistTarget, raw: &[f64], rows: &[u32], weight: &[f64], k: usize) -> f64 {
    let mut probs = vec![0.0; k];
    let (mut sum, mut wsum) = (0.0, 0.0);
    for &r in rows {
        let i = r as usize;
        let l = match y {
            HistTarget::Numbers(v) => (v[i] - raw[i]).powi(2),
            HistTarget::Classes(c, nc, _) if k == 1 => {
                let pr = sigmoid(raw[i]).clamp(1e-15, 1.0 - 1e-15);
                if c[i] == nc - 1 { -pr.ln() } else { -(1.0 - pr).ln() }
            }
            HistTarget::Classes(c, _, _) => {
                probs.copy_from_slice(&raw[i * k..(i + 1) * k]);
                softmax_in_place(&mut probs);
                -probs[c[i]].max(1e-15).ln()
            }
        };
        sum += weight[i] * l;
        wsum += weight[i];
    }
    sum / wsum.max(1e-300)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn fits_curves_categories_and_gaps() {
        // y = sin(x0) + 2·[x1 ∈ {1, 3}], with x0 missing in a fifth of the rows (their y is 5).
        let n = 2000;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| match j {
            0 if i % 5 == 0 => f64::NAN,
            0 => (i % 97) as f64 / 10.0,
            _ => (i % 4) as f64,
        });
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let c = if matches!(i % 4, 1 | 3) { 2.0 } else { 0.0 };
                if i % 5 == 0 { 5.0 + c } else { x[[i, 0]].sin() + c }
            })
            .collect();
        let (m, report) =
            fit(Features::Dense(&x), &[false, true], HistTarget::Numbers(&y), &HistParams::default(), 1, &|| false);
        assert_eq!(report.rounds, 100);
        let pred = m.predict(&x);
        let mse: f64 = y.iter().zip(pred.column(0)).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n as f64;
        assert!(mse < 0.01, "mse {mse}");
        // Every tree's first split is categorical or on the gap: both carry native splits.
        assert!(m.rounds.iter().flatten().any(|t| !t.category_sets.is_empty()));
        assert!(m.rounds.iter().flatten().any(|t| t.missing_left.iter().any(|&l| l)));
    }

    #[test]
    fn classes_weights_and_early_stopping() {
        let n = 12_000;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * (j + 7)) % 101) as f64);
        // Three classes from two rules, with one label in eight replaced by a seeded random one.
        let mut rng = Rng::new(5);
        let c: Vec<usize> = (0..n)
            .map(|i| {
                let rule = usize::from(x[[i, 0]] + x[[i, 1]] > 120.0) + usize::from(x[[i, 2]] > 90.0);
                if rng.below(8) == 0 { rng.below(3) } else { rule }
            })
            .collect();
        let (m, report) = fit(
            Features::Dense(&x),
            &[],
            HistTarget::Classes(&c, 3, &[]),
            &HistParams { n_trees: 300, ..HistParams::default() },
            3,
            &|| false,
        );
        assert!(report.stopped_early && report.rounds < 300, "{report:?}");
        let p = m.predict(&x);
        let right = (0..n).filter(|&i| super::super::argmax(p.row(i).iter().copied()) == c[i]).count();
        assert!(right as f64 / n as f64 > 0.9, "{right}");
        // A weight on the rare class raises its predicted share.
        let b: Vec<usize> = (0..n).map(|i| usize::from(x[[i, 2]] > 95.0)).collect();
        let plain = fit(
            Features::Dense(&x),
            &[],
            HistTarget::Classes(&b, 2, &[]),
            &HistParams { n_trees: 5, ..HistParams::default() },
            3,
            &|| false,
        )
        .0;
        let weighted = fit(
            Features::Dense(&x),
            &[],
            HistTarget::Classes(&b, 2, &[1.0, 20.0]),
            &HistParams { n_trees: 5, ..HistParams::default() },
            3,
            &|| false,
        )
        .0;
        let mean = |m: &Boosted| m.predict(&x).column(1).sum() / n as f64;
        assert!(mean(&weighted) > 2.0 * mean(&plain), "{} vs {}", mean(&weighted), mean(&plain));
    }
}
