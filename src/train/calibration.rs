//! Probability calibration: a classifier's probabilities mapped so that "70 %" comes true about
//! 70 % of the time. Fitted, as scikit-learn's `CalibratedClassifierCV(ensemble=False)`, on
//! out-of-fold probabilities of the training rows (each row predicted by a model that did not
//! see it), then applied to the final model's output: per class, one against the rest, and the
//! row renormalised (binary: the positive class only, the other is one minus it).
//! - `sigmoid` (Platt scaling): `1 / (1 + e^(a·f + b))` with `f` the probability's logit, fitted
//!   by Newton's method on Platt's smoothed targets. Few parameters: right for small data.
//! - `isotonic`: the best non-decreasing step function (pool-adjacent-violators), interpolated
//!   linearly between its steps and clipped at the ends. More flexible; needs more rows.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How to calibrate (`--calibrate`, the Train panel's option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calibration {
    Sigmoid,
    Isotonic,
}

impl Calibration {
    pub fn parse(text: &str) -> Option<Calibration> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sigmoid" | "platt" => Some(Calibration::Sigmoid),
            "isotonic" => Some(Calibration::Isotonic),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Calibration::Sigmoid => "sigmoid",
            Calibration::Isotonic => "isotonic",
        }
    }
}

/// One class's map from the model's probability to a calibrated one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClassMap {
    /// `1 / (1 + exp(a·logit(p) + b))`.
    Sigmoid { a: f64, b: f64 },
    /// Points (probability, calibrated) of a non-decreasing curve, interpolated linearly.
    Isotonic { x: Vec<f64>, y: Vec<f64> },
}

impl ClassMap {
    fn apply(&self, p: f64) -> f64 {
        match self {
            ClassMap::Sigmoid { a, b } => 1.0 / (1.0 + (a * logit(p) + b).exp()),
            ClassMap::Isotonic { x, y } => interpolate(x, y, p),
        }
    }
}

/// The calibration a pipeline applies to its model's probabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibrator {
    pub method: Calibration,
    /// One map per class (binary: one, for the positive class).
    pub maps: Vec<ClassMap>,
    /// Out-of-fold rows the maps were fitted on.
    pub rows: usize,
}

impl Calibrator {
    /// Fits the maps on out-of-fold probabilities (`rows × classes`) and the true classes.
    pub fn fit(method: Calibration, probabilities: &Array2<f64>, actual: &[usize]) -> Calibrator {
        let k = probabilities.ncols();
        let classes: Vec<usize> = if k == 2 { vec![1] } else { (0..k).collect() };
        let maps = classes
            .into_iter()
            .map(|c| {
                let p: Vec<f64> = probabilities.column(c).to_vec();
                let y: Vec<bool> = actual.iter().map(|&a| a == c).collect();
                match method {
                    Calibration::Sigmoid => {
                        let f: Vec<f64> = p.iter().map(|&v| logit(v)).collect();
                        let (a, b) = platt(&f, &y);
                        ClassMap::Sigmoid { a, b }
                    }
                    Calibration::Isotonic => {
                        let (x, y) = isotonic(&p, &y);
                        ClassMap::Isotonic { x, y }
                    }
                }
            })
            .collect();
        Calibrator { method, maps, rows: actual.len() }
    }

    /// Calibrates `p` (rows × classes) in place.
    pub fn apply(&self, p: &mut Array2<f64>) {
        let k = p.ncols();
        for mut row in p.rows_mut() {
            if k == 2 {
                let q = self.maps[0].apply(row[1]).clamp(0.0, 1.0);
                row[1] = q;
                row[0] = 1.0 - q;
                continue;
            }
            for (c, map) in self.maps.iter().enumerate().take(k) {
                row[c] = map.apply(row[c]).max(0.0);
            }
            let sum: f64 = row.iter().sum();
            if sum > 0.0 {
                row.mapv_inplace(|v| v / sum);
            } else {
                row.fill(1.0 / k as f64);
            }
        }
    }
}

/// The logit of a probability, clipped away from 0 and 1.
fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

/// Platt's sigmoid `1 / (1 + exp(a·f + b))` fitted to `y` by Newton's method with a
/// backtracking step, on Platt's smoothed targets (as scikit-learn's `_sigmoid_calibration`).
pub fn platt(f: &[f64], y: &[bool]) -> (f64, f64) {
    let positives = y.iter().filter(|&&v| v).count() as f64;
    let negatives = y.len() as f64 - positives;
    let (hi, lo) = ((positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0));
    let t: Vec<f64> = y.iter().map(|&v| if v { hi } else { lo }).collect();
    // Negative log-likelihood of (a, b), stable for large |a·f + b|.
    let loss = |a: f64, b: f64| -> f64 {
        f.iter()
            .zip(&t)
            .map(|(&fi, &ti)| {
                let z = a * fi + b; // p = 1 / (1 + e^z)
                // −[t ln p + (1 − t) ln(1 − p)] = t·ln(1 + e^z) + (1 − t)·ln(1 + e^−z)
                ti * softplus(z) + (1.0 - ti) * softplus(-z)
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, ((negatives + 1.0) / (positives + 1.0)).ln());
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
        for (&fi, &ti) in f.iter().zip(&t) {
            let p = 1.0 / (1.0 + (a * fi + b).exp());
            let d = ti - p; // d loss / d z
            let w = p * (1.0 - p);
            ga += d * fi;
            gb += d;
            haa += w * fi * fi;
            hab += w * fi;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-10 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l < current {
                (a, b, current, improved) = (na, nb, l, true);
                break;
            }
            step /= 2.0;
        }
        if !improved || (ga.abs() < 1e-9 && gb.abs() < 1e-9) {
            break;
        }
    }
    (a, b)
}

fn softplus(z: f64) -> f64 {
    if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() }
}

/// Isotonic regression of `y` on `p` (pool-adjacent-violators, equal weights; tied `p` values
/// pooled first). Returns the curve's points: each block's lowest and highest `p` with the
/// block's mean, as scikit-learn keeps its thresholds.
pub fn isotonic(p: &[f64], y: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    // Tied probabilities first become one point (their mean outcome, weighted by their count).
    let mut points: Vec<(f64, f64, f64)> = Vec::new();
    for &i in &order {
        let v = if y[i] { 1.0 } else { 0.0 };
        match points.last_mut() {
            Some(last) if last.0 == p[i] => {
                last.1 += v;
                last.2 += 1.0;
            }
            _ => points.push((p[i], v, 1.0)),
        }
    }
    // Blocks: (lowest p, highest p, sum of y, count); a block above a higher mean is pooled.
    let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
    for (x, sum, count) in points {
        blocks.push((x, x, sum, count));
        while blocks.len() >= 2 {
            let n = blocks.len();
            let (prev, last) = (blocks[n - 2], blocks[n - 1]);
            if prev.2 / prev.3 <= last.2 / last.3 {
                break;
            }
            blocks[n - 2] = (prev.0, last.1, prev.2 + last.2, prev.3 + last.3);
            blocks.pop();
        }
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (lo, hi, sum, count) in blocks {
        let mean = sum / count;
        xs.push(lo);
        ys.push(mean);
        if hi > lo {
            xs.push(hi);
            ys.push(mean);
        }
    }
    (xs, ys)
}

/// Linear interpolation through the points, clipped to the first and last.
pub fn interpolate(x: &[f64], y: &[f64], v: f64) -> f64 {
    match x.len() {
        0 => v,
        1 => y[0],
        _ if v <= x[0] => y[0],
        n if v >= x[n - 1] => y[n - 1],
        _ => {
            let i = x.partition_point(|&t| t <= v).clamp(1, x.len() - 1);
            let (x0, x1, y0, y1) = (x[i - 1], x[i], y[i - 1], y[i]);
            if x1 > x0 { y0 + (y1 - y0) * (v - x0) / (x1 - x0) } else { y1 }
        }
    }
}

/// The reliability of probabilities: per bin of equal width over 0–1, the mean predicted
/// probability, the share that came true and the rows (scikit-learn's `calibration_curve`,
/// `strategy="uniform"`; empty bins left out). Binary: the positive class's probability against
/// being positive. Multi-class: the top class's probability against being right.
pub fn reliability(probabilities: &Array2<f64>, actual: &[usize], bins: usize) -> Vec<[f64; 3]> {
    let k = probabilities.ncols();
    let mut sum_p = vec![0.0; bins];
    let mut sum_y = vec![0.0; bins];
    let mut count = vec![0.0; bins];
    for (row, &a) in probabilities.rows().into_iter().zip(actual) {
        let (p, hit) = if k == 2 {
            (row[1], a == 1)
        } else {
            let top = super::argmax(row.iter().copied());
            (row[top], a == top)
        };
        // scikit-learn's bins: a probability on an edge (`k · 1/bins`, as numpy's linspace
        // computes it) belongs to the bin below it.
        let step = 1.0 / bins as f64;
        let b = (1..bins).filter(|&k| k as f64 * step < p).count();
        sum_p[b] += p;
        sum_y[b] += if hit { 1.0 } else { 0.0 };
        count[b] += 1.0;
    }
    (0..bins).filter(|&b| count[b] > 0.0).map(|b| [sum_p[b] / count[b], sum_y[b] / count[b], count[b]]).collect()
}

/// The Brier score: the mean squared gap between probability and outcome. Binary: of the
/// positive class (scikit-learn's `brier_score_loss`, 0–1); multi-class: summed over the
/// classes (0–2). Lower is better; always answering the base rate scores its variance.
pub fn brier(probabilities: &Array2<f64>, actual: &[usize]) -> f64 {
    let k = probabilities.ncols();
    let n = actual.len().max(1) as f64;
    let total: f64 = probabilities
        .rows()
        .into_iter()
        .zip(actual)
        .map(|(row, &a)| {
            if k == 2 {
                (row[1] - if a == 1 { 1.0 } else { 0.0 }).powi(2)
            } else {
                row.iter().enumerate().map(|(c, &p)| (p - if c == a { 1.0 } else { 0.0 }).powi(2)).sum()
            }
        })
        .sum();
    total / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators_into_a_non_decreasing_curve() {
        let p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
        let y = [false, true, false, false, true, true];
        let (x, v) = isotonic(&p, &y);
        // 0.1 → 0; (0.2, 0.3, 0.4) pooled → 1/3; 0.5, 0.6 → 1.
        assert_eq!(x, vec![0.1, 0.2, 0.4, 0.5, 0.6]);
        assert_eq!(v, vec![0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0, 1.0]);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
        assert!((interpolate(&x, &v, 0.45) - (1.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
        assert_eq!(interpolate(&x, &v, 0.0), 0.0);
        assert_eq!(interpolate(&x, &v, 0.9), 1.0);
    }

    #[test]
    fn platt_recovers_a_known_sigmoid() {
        // Outcomes drawn (deterministically, by a fine grid) from p = 1 / (1 + e^(−2f + 0.5)).
        let mut f = Vec::new();
        let mut y = Vec::new();
        for i in 0..4000 {
            let fi = -3.0 + 6.0 * (i as f64 / 4000.0);
            let p = 1.0 / (1.0 + (-2.0 * fi + 0.5).exp());
            f.push(fi);
            y.push(((i * 7919) % 1000) as f64 / 1000.0 < p);
        }
        let (a, b) = platt(&f, &y);
        assert!((a + 2.0).abs() < 0.15 && (b - 0.5).abs() < 0.15, "a {a}, b {b}");
    }

    #[test]
    fn calibrated_rows_still_sum_to_one() {
        let p = ndarray::array![[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.2, 0.2, 0.6]];
        let c = Calibrator::fit(Calibration::Isotonic, &p, &[0, 1, 2, 0]);
        let mut q = p.clone();
        c.apply(&mut q);
        for row in q.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-12, "{row}");
        }
    }
}
