//! Linear support vector machines, as scikit-learn's `LinearSVC` (squared hinge loss, one
//! class against the rest) and `LinearSVR` (absolute error beyond a margin of 0), solved by
//! liblinear's dual coordinate descent over sparse rows. As in liblinear the intercept is a
//! constant feature (scale 1) that is penalised with the weights. For regression the target
//! is standardised first (and the answer scaled back): scikit-learn's LinearSVR on raw
//! house prices with C=1 cannot reach the price scale and scores R² < 0.

use super::models::{sigmoid, softmax_in_place};
use crate::features::Csr;
use crate::util::Rng;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearSvm {
    /// 0 for regression, else the number of classes.
    pub n_classes: usize,
    /// One weight row per decision function (one for regression and binary, else per class).
    pub coef: Vec<Vec<f64>>,
    pub intercept: Vec<f64>,
    /// Regression: the target's mean and standard deviation used to standardise it.
    pub y_mean: f64,
    pub y_std: f64,
}

/// Dual coordinate descent for one decision function. `loss_l2` selects squared hinge
/// (classification, labels ±1) or absolute error (regression, any real labels). `(cp, cn)`:
/// the penalty C of rows labelled +1 and of the others (liblinear's class weights: C times
/// the class's weight; equal without weights).
fn solve(
    x: &Csr,
    y: &[f64],
    (cp, cn): (f64, f64),
    loss_l2: bool,
    tol: f64,
    max_iter: usize,
    rng: &mut Rng,
) -> (Vec<f64>, f64) {
    let n = x.nrows();
    let p = x.ncols;
    let norms = x.row_norms2();
    let c_of = |i: usize| if y[i] > 0.0 || !loss_l2 { cp } else { cn };
    let mut alpha = vec![0.0; n];
    let mut w = vec![0.0; p];
    let mut b = 0.0; // weight of the constant feature 1
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..max_iter {
        rng.shuffle(&mut order);
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        for &i in &order {
            let (diag, upper) = if loss_l2 { (0.5 / c_of(i), f64::INFINITY) } else { (0.0, c_of(i)) };
            let q = norms[i] + 1.0 + diag;
            let wx: f64 = x.row(i).map(|(j, v)| w[j] * v).sum::<f64>() + b;
            let a = alpha[i];
            let new = if loss_l2 {
                // min over α ≥ 0 of ½αᵀQα − Σα, Q = y yᵀ x xᵀ + D.
                let g = y[i] * wx - 1.0 + diag * a;
                let pg = if a == 0.0 { g.min(0.0) } else { g };
                pg_max = pg_max.max(pg);
                pg_min = pg_min.min(pg);
                if pg.abs() <= 1e-12 {
                    continue;
                }
                (a - g / q).max(0.0)
            } else {
                // min over −C ≤ β ≤ C of ½βᵀQβ − yᵀβ.
                let g = wx - y[i];
                let pg = if a <= -upper {
                    g.min(0.0)
                } else if a >= upper {
                    g.max(0.0)
                } else {
                    g
                };
                pg_max = pg_max.max(pg);
                pg_min = pg_min.min(pg);
                if pg.abs() <= 1e-12 {
                    continue;
                }
                (a - g / q).clamp(-upper, upper)
            };
            let d = new - a;
            if d != 0.0 {
                alpha[i] = new;
                let step = if loss_l2 { d * y[i] } else { d };
                for (j, v) in x.row(i) {
                    w[j] += step * v;
                }
                b += step;
            }
        }
        if pg_max - pg_min <= tol {
            break;
        }
    }
    (w, b)
}

/// Classification: one decision function per class (one for two classes), labels `y`, each
/// class's rows weighted by `weights` (empty: all 1) as liblinear does — for two classes each
/// side's C is scaled by its class's weight, for more each one-against-the-rest function
/// scales its own class's C only.
pub fn fit_classifier(x: &Csr, y: &[usize], n_classes: usize, c: f64, weights: &[f64], seed: u64) -> LinearSvm {
    let w_of = |k: usize| weights.get(k).copied().unwrap_or(1.0);
    let mut rng = Rng::new(seed);
    let outputs: Vec<usize> = if n_classes <= 2 { vec![n_classes.saturating_sub(1)] } else { (0..n_classes).collect() };
    let (mut coef, mut intercept) = (Vec::new(), Vec::new());
    for o in outputs {
        let signs: Vec<f64> = y.iter().map(|&c| if c == o { 1.0 } else { -1.0 }).collect();
        let cn = if n_classes <= 2 { c * w_of(0) } else { c };
        let (w, b) = solve(x, &signs, (c * w_of(o), cn), true, 1e-4, 1000, &mut rng);
        coef.push(w);
        intercept.push(b);
    }
    LinearSvm { n_classes, coef, intercept, y_mean: 0.0, y_std: 1.0 }
}

/// Regression on the standardised target.
pub fn fit_regressor(x: &Csr, y: &[f64], c: f64, seed: u64) -> LinearSvm {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    let std = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let std = if std > 0.0 { std } else { 1.0 };
    let ys: Vec<f64> = y.iter().map(|v| (v - mean) / std).collect();
    let (w, b) = solve(x, &ys, (c, c), false, 1e-4, 1000, &mut Rng::new(seed));
    LinearSvm { n_classes: 0, coef: vec![w], intercept: vec![b], y_mean: mean, y_std: std }
}

impl LinearSvm {
    pub fn n_features(&self) -> usize {
        self.coef.first().map_or(0, Vec::len)
    }

    /// Regression values (one column), or per-class scores that sum to 1: a logistic squash of
    /// the margin for two classes, a softmax of the margins otherwise. An SVM has no calibrated
    /// probabilities, but these keep its ranking (ROC) and its chosen class.
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        let margins: Vec<Vec<f64>> = x
            .rows()
            .into_iter()
            .map(|r| self.coef.iter().zip(&self.intercept).map(|(w, b)| r.dot(&ndarray::aview1(w)) + b).collect())
            .collect();
        match self.n_classes {
            0 => Array2::from_shape_fn((x.nrows(), 1), |(i, _)| margins[i][0] * self.y_std + self.y_mean),
            1 | 2 => Array2::from_shape_fn((x.nrows(), self.n_classes), |(i, k)| {
                let pr = sigmoid(margins[i][0]);
                if k + 1 == self.n_classes { pr } else { 1.0 - pr }
            }),
            k => {
                let mut out = Array2::zeros((x.nrows(), k));
                for (i, mut m) in margins.into_iter().enumerate() {
                    softmax_in_place(&mut m);
                    out.row_mut(i).assign(&ndarray::aview1(&m));
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_classes_and_fits_a_line() {
        let x = Array2::from_shape_fn((60, 2), |(i, j)| if j == 0 { i as f64 / 10.0 } else { ((i * 7) % 5) as f64 });
        let y: Vec<usize> = (0..60).map(|i| usize::from(i >= 30)).collect();
        let m = fit_classifier(&Csr::from_dense(&x), &y, 2, 10.0, &[], 1);
        let p = m.predict(&x);
        let correct = (0..60).filter(|&i| usize::from(p[[i, 1]] > 0.5) == y[i]).count();
        assert!(correct >= 58, "{correct}");
        let yr: Vec<f64> = (0..60).map(|i| 3.0 * x[[i, 0]] + 1.0).collect();
        let r = fit_regressor(&Csr::from_dense(&x), &yr, 100.0, 1);
        let pr = r.predict(&x);
        assert!((pr[[10, 0]] - yr[10]).abs() < 0.05, "{} vs {}", pr[[10, 0]], yr[10]);
    }
}
