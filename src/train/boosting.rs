//! Gradient-boosted trees, written here (linfa 0.8 has no boosting), following scikit-learn's
//! `GradientBoostingRegressor`/`Classifier`: squared error for numbers, log loss for classes
//! (one tree per class and round when there are more than two), each round a small regression
//! tree on the current residuals whose leaves take a Newton step (Σ residual / Σ p(1 − p), times
//! Friedman's (K − 1)/K for K > 2 classes, as scikit-learn does), shrunk by the learning rate.
//! Trees reuse the histogram CART of [`super::tree`], binned once for all rounds.

use super::models::{sigmoid, softmax_in_place};
use super::tree::{self, Binned, Features, Tree, TreeParams};
use crate::util::Rng;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug)]
pub struct BoostParams {
    pub n_trees: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub subsample: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Boosted {
    pub n_features: usize,
    /// 0 for regression, else the number of classes.
    pub n_classes: usize,
    /// Starting raw score per output (the mean, or the log-odds / log prior of each class).
    pub init: Vec<f64>,
    pub learning_rate: f64,
    /// Per round, one tree per output; leaf values are raw-score steps before the learning rate.
    pub rounds: Vec<Vec<Tree>>,
    /// Grown by histogram boosting ([`super::hist_boost`]): the model is `hist_gradient_boosting`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub histogram: bool,
}

/// The target: numbers, or class indices with the number of classes.
pub enum BoostTarget<'a> {
    Numbers(&'a [f64]),
    /// Class indices, the number of classes and each class's weight (empty: all 1).
    Classes(&'a [usize], usize, &'a [f64]),
}

pub fn fit(x: Features, y: BoostTarget, params: &BoostParams, seed: u64, cancel: &dyn Fn() -> bool) -> Boosted {
    let (n, p) = (x.nrows(), x.ncols());
    let data = Binned::new(x);
    // The leaf a training row reaches (dense rows are indexed directly; sparse rows are
    // looked up cell by cell).
    let leaf = |t: &Tree, i: usize| t.leaf_by(|f| x.value(i, f));
    let (n_classes, k) = match y {
        BoostTarget::Numbers(_) => (0, 1),
        BoostTarget::Classes(_, c, _) if c <= 2 => (c, 1),
        BoostTarget::Classes(_, c, _) => (c, c),
    };
    // Each row's weight: its class's (balanced classes), else 1. Gradients and Hessians are
    // weighted, so the trees' splits and the Newton leaf values follow the weighted loss.
    let weight = |i: usize| match y {
        BoostTarget::Classes(c, _, w) if !w.is_empty() => w[c[i]],
        _ => 1.0,
    };
    let init: Vec<f64> = match y {
        BoostTarget::Numbers(v) => vec![v.iter().sum::<f64>() / n.max(1) as f64],
        BoostTarget::Classes(c, nc, _) => {
            let mut counts = vec![0.0; nc];
            c.iter().enumerate().for_each(|(i, &ci)| counts[ci] += weight(i));
            let total = counts.iter().sum::<f64>().max(1e-300);
            let prior: Vec<f64> = counts.iter().map(|v| (v / total).clamp(1e-15, 1.0 - 1e-15)).collect();
            if k == 1 {
                vec![(prior[nc - 1] / (1.0 - prior[nc - 1])).ln()]
            } else {
                prior.iter().map(|v| v.ln()).collect()
            }
        }
    };
    // raw[i * k + o]: current raw score of row i for output o.
    let mut raw: Vec<f64> = (0..n).flat_map(|_| init.iter().copied()).collect();
    let tree_params = TreeParams { max_depth: Some(params.max_depth), min_samples_leaf: 1, max_features: None };
    let mut rng = Rng::new(seed);
    let mut rounds = Vec::with_capacity(params.n_trees);
    let n_sub = ((params.subsample * n as f64).round() as usize).clamp(1, n.max(1));
    let mut residual = vec![0.0; n];
    let mut hess = vec![0.0; n];
    let mut probs = vec![0.0; k.max(1)];
    for _ in 0..params.n_trees {
        if cancel() {
            break;
        }
        let rows: Vec<usize> = if n_sub < n {
            let mut all: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut all);
            all.truncate(n_sub);
            all
        } else {
            (0..n).collect()
        };
        let mut round = Vec::with_capacity(k);
        // Every output's gradient is taken at the scores from before this round.
        let start = raw.clone();
        for o in 0..k {
            // Negative gradient (residual) and the Newton denominator per row.
            for i in 0..n {
                let (r, h) = match y {
                    BoostTarget::Numbers(v) => (v[i] - start[i], 1.0),
                    BoostTarget::Classes(c, nc, _) if k == 1 => {
                        let pr = sigmoid(start[i]);
                        (f64::from(u8::from(c[i] == nc - 1)) - pr, pr * (1.0 - pr))
                    }
                    BoostTarget::Classes(c, _, _) => {
                        probs.copy_from_slice(&start[i * k..(i + 1) * k]);
                        softmax_in_place(&mut probs);
                        let r = f64::from(u8::from(c[i] == o)) - probs[o];
                        (r, r.abs() * (1.0 - r.abs()))
                    }
                };
                let w = weight(i);
                residual[i] = w * r;
                hess[i] = w * h;
            }
            let mut t = tree::grow(&data, tree::Target::Numbers(&residual), rows.clone(), &tree_params, &mut rng);
            if n_classes > 0 {
                newton_leaves(
                    &mut t,
                    &leaf,
                    &rows,
                    &residual,
                    &hess,
                    if k == 1 { 1.0 } else { (k - 1) as f64 / k as f64 },
                );
            }
            for i in 0..n {
                raw[i * k + o] += params.learning_rate * t.value[leaf(&t, i)];
            }
            round.push(t);
        }
        rounds.push(round);
    }
    Boosted { n_features: p, n_classes, init, learning_rate: params.learning_rate, rounds, histogram: false }
}

/// Replaces each leaf's value by Σ residual / Σ hessian over the rows that reach it.
fn newton_leaves(
    t: &mut Tree,
    leaf_of: &dyn Fn(&Tree, usize) -> usize,
    rows: &[usize],
    residual: &[f64],
    hess: &[f64],
    scale: f64,
) {
    let nodes = t.n_nodes();
    let mut num = vec![0.0; nodes];
    let mut den = vec![0.0; nodes];
    for &i in rows {
        let leaf = leaf_of(t, i);
        num[leaf] += residual[i];
        den[leaf] += hess[i];
    }
    for leaf in 0..nodes {
        if t.is_leaf(leaf) {
            t.value[leaf] = if den[leaf].abs() < 1e-150 { 0.0 } else { scale * num[leaf] / den[leaf] };
        }
    }
}

/// Rows predicted together on one core.
const PREDICT_BLOCK: usize = 256;

impl Boosted {
    /// Regression values (one column) or class probabilities. Blocks of rows run on all cores,
    /// each block tree after tree (a tree's nodes stay in cache while its rows pass through).
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        use rayon::prelude::*;
        let (k, p) = (self.init.len(), x.ncols());
        let cols = if self.n_classes == 0 { 1 } else { self.n_classes };
        let mut out = vec![0.0; x.nrows() * cols];
        let block = |(b, out): (usize, &mut [f64])| {
            let n = out.len() / cols;
            let first = b * PREDICT_BLOCK;
            let mut rows = Vec::with_capacity(n * p);
            (first..first + n).for_each(|r| rows.extend(x.row(r).iter().copied()));
            let mut raw: Vec<f64> = (0..n).flat_map(|_| self.init.iter().copied()).collect();
            for round in &self.rounds {
                for (o, t) in round.iter().enumerate() {
                    for r in 0..n {
                        raw[r * k + o] += self.learning_rate * t.predict_row(&rows[r * p..(r + 1) * p])[0];
                    }
                }
            }
            for (raw, out) in raw.chunks_exact_mut(k).zip(out.chunks_exact_mut(cols)) {
                self.finish(raw, out);
            }
        };
        if x.nrows() > PREDICT_BLOCK {
            out.par_chunks_mut(PREDICT_BLOCK * cols).enumerate().for_each(block);
        } else {
            out.chunks_mut(PREDICT_BLOCK * cols).enumerate().for_each(block);
        }
        Array2::from_shape_vec((x.nrows(), cols), out).expect("one output row per input row")
    }

    /// A row's output from its raw scores: the regression value or the class probabilities.
    fn finish(&self, raw: &mut [f64], out: &mut [f64]) {
        match (self.n_classes, raw.len()) {
            (0, _) => out[0] = raw[0],
            (_, 1) => {
                let pr = sigmoid(raw[0]);
                out[0] = 1.0 - pr;
                out[1] = pr;
            }
            _ => {
                softmax_in_place(raw);
                out.copy_from_slice(raw);
            }
        }
    }

    /// How often each feature is split on, over all rounds.
    pub fn split_counts(&self) -> Vec<f64> {
        let mut counts = vec![0.0; self.n_features];
        for t in self.rounds.iter().flatten() {
            t.count_splits(&mut counts);
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boosting_fits_a_curve_and_classes() {
        let x = Array2::from_shape_fn((200, 1), |(i, _)| i as f64 / 20.0);
        let y: Vec<f64> = x.column(0).iter().map(|v| v.sin()).collect();
        let params = BoostParams { n_trees: 100, learning_rate: 0.1, max_depth: 3, subsample: 1.0 };
        let m = fit(Features::Dense(&x), BoostTarget::Numbers(&y), &params, 1, &|| false);
        let pred = m.predict(&x);
        let mse: f64 = y.iter().zip(pred.column(0)).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / 200.0;
        assert!(mse < 0.01, "mse {mse}");
        let c: Vec<usize> = (0..200).map(|i| (i / 70).min(2)).collect();
        let m = fit(Features::Dense(&x), BoostTarget::Classes(&c, 3, &[]), &params, 1, &|| false);
        let p = m.predict(&x);
        assert!(p[[0, 0]] > 0.9 && p[[100, 1]] > 0.9 && p[[199, 2]] > 0.9, "{p:?}");
        let b: Vec<usize> = (0..200).map(|i| usize::from(i >= 120)).collect();
        let p = fit(Features::Dense(&x), BoostTarget::Classes(&b, 2, &[]), &params, 1, &|| false).predict(&x);
        assert!(p[[0, 0]] > 0.9 && p[[199, 1]] > 0.9);
    }
}
