//! Naive Bayes, as scikit-learn's `GaussianNB` and `MultinomialNB`. Numeric features get a
//! Gaussian per class; word weights (TF-IDF) and one-hot columns of a text dataset get the
//! multinomial model. Without text every feature is Gaussian (scikit-learn's GaussianNB on
//! the whole matrix); with only text it is exactly MultinomialNB; mixed data adds both
//! log-likelihoods, which is what "naive" (independent features) means.

use crate::features::Csr;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayes {
    pub n_features: usize,
    pub class_log_prior: Vec<f64>,
    /// Features modelled as Gaussians, with per-class mean and variance (class × these columns).
    pub gaussian: Vec<usize>,
    pub theta: Vec<Vec<f64>>,
    pub var: Vec<Vec<f64>>,
    /// Features modelled as counts, with per-class log probabilities (class × these columns).
    pub multinomial: Vec<usize>,
    pub feature_log_prob: Vec<Vec<f64>>,
}

/// Fits on rows `x` with class indices `y`; `counts[j]` marks the multinomial features.
pub fn fit(x: &Csr, y: &[usize], n_classes: usize, counts: &[bool], alpha: f64, var_smoothing: f64) -> NaiveBayes {
    let n = x.nrows();
    let p = x.ncols;
    let mut class_n = vec![0.0f64; n_classes];
    let mut sum = vec![vec![0.0; p]; n_classes];
    let mut sum2 = vec![vec![0.0; p]; n_classes];
    for (i, &c) in y.iter().enumerate().take(n) {
        class_n[c] += 1.0;
        for (j, v) in x.row(i) {
            sum[c][j] += v;
            sum2[c][j] += v * v;
        }
    }
    let gaussian: Vec<usize> = (0..p).filter(|&j| !counts.get(j).copied().unwrap_or(false)).collect();
    let multinomial: Vec<usize> = (0..p).filter(|&j| counts.get(j).copied().unwrap_or(false)).collect();
    // ε = var_smoothing × the largest variance of any Gaussian feature over all rows.
    let max_var = gaussian
        .iter()
        .map(|&j| {
            let s: f64 = (0..n_classes).map(|c| sum[c][j]).sum();
            let s2: f64 = (0..n_classes).map(|c| sum2[c][j]).sum();
            (s2 / n as f64 - (s / n as f64).powi(2)).max(0.0)
        })
        .fold(0.0f64, f64::max);
    let eps = var_smoothing * max_var;
    let mut theta = vec![vec![0.0; gaussian.len()]; n_classes];
    let mut var = vec![vec![0.0; gaussian.len()]; n_classes];
    let mut feature_log_prob = vec![vec![0.0; multinomial.len()]; n_classes];
    for c in 0..n_classes {
        let nc = class_n[c].max(1.0);
        for (g, &j) in gaussian.iter().enumerate() {
            let m = sum[c][j] / nc;
            theta[c][g] = m;
            var[c][g] = (sum2[c][j] / nc - m * m).max(0.0) + eps;
            if var[c][g] <= 0.0 {
                var[c][g] = 1e-12;
            }
        }
        let total: f64 = multinomial.iter().map(|&j| sum[c][j] + alpha).sum();
        for (m, &j) in multinomial.iter().enumerate() {
            feature_log_prob[c][m] = ((sum[c][j] + alpha).max(1e-300) / total.max(1e-300)).ln();
        }
    }
    let class_log_prior = class_n.iter().map(|v| (v / n as f64).max(1e-300).ln()).collect();
    NaiveBayes { n_features: p, class_log_prior, gaussian, theta, var, multinomial, feature_log_prob }
}

impl NaiveBayes {
    /// Class probabilities per row.
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        let k = self.class_log_prior.len();
        let mut out = Array2::zeros((x.nrows(), k));
        for (r, row) in x.rows().into_iter().enumerate() {
            let mut jll: Vec<f64> = self.class_log_prior.clone();
            for (c, l) in jll.iter_mut().enumerate() {
                for (g, &j) in self.gaussian.iter().enumerate() {
                    let v = self.var[c][g];
                    *l -= 0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (row[j] - self.theta[c][g]).powi(2) / v);
                }
                for (m, &j) in self.multinomial.iter().enumerate() {
                    if row[j] != 0.0 {
                        *l += row[j] * self.feature_log_prob[c][m];
                    }
                }
            }
            super::models::softmax_in_place(&mut jll);
            out.row_mut(r).assign(&ndarray::aview1(&jll));
        }
        out
    }

    /// How far apart the classes' means (Gaussian) or word probabilities (multinomial) are,
    /// per feature: a rough "which features tell the classes apart".
    pub fn separation(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.n_features];
        let spread = |vals: &mut dyn Iterator<Item = f64>| {
            let v: Vec<f64> = vals.collect();
            v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b)) - v.iter().fold(f64::INFINITY, |a, &b| a.min(b))
        };
        for (g, &j) in self.gaussian.iter().enumerate() {
            let sd = self.var.iter().map(|v| v[g]).sum::<f64>().sqrt().max(1e-12);
            out[j] = spread(&mut self.theta.iter().map(|t| t[g])) / sd;
        }
        for (m, &j) in self.multinomial.iter().enumerate() {
            out[j] = spread(&mut self.feature_log_prob.iter().map(|t| t[m]));
        }
        out
    }
}
