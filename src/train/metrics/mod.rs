//! Test-set metrics: the numbers a fitted pipeline is scored by on held-out rows, and the
//! data behind the Evaluate panel's charts (confusion, ROC/PR curves, thresholds). They live in
//! the training layer because a training run ends with its report; `eval` builds the
//! analyses (importance, learning curves, the HTML report) on top of them.

mod cluster;

pub use cluster::{SILHOUETTE_ROWS, adjusted_rand_index, clustering_report};

use serde::{Deserialize, Serialize};

/// Test-set metrics. Serialises as a flat object: `{rmse, mae, r2}` or
/// `{accuracy, precision, recall, f1, roc_auc}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Metrics {
    Regression {
        rmse: f64,
        mae: f64,
        r2: f64,
    },
    Classification {
        accuracy: f64,
        /// Binary: of the positive class. Multi-class: macro average.
        precision: f64,
        recall: f64,
        f1: f64,
        /// Binary only.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        roc_auc: Option<f64>,
        /// The Brier score of the probabilities (lower is better; see `calibration::brier`).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        brier: Option<f64>,
    },
    Clustering {
        /// Mean silhouette, −1 … 1: how much closer rows are to their own cluster than to the
        /// next one.
        silhouette: f64,
        /// Mean squared distance of a row to its cluster's centre (in scaled feature units).
        spread: f64,
        /// Agreement of the clusters with the data's label column, when it has one.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        adjusted_rand: Option<f64>,
    },
}

impl Metrics {
    /// Every metric by its short name (`r2`, `precision`, …), as lessons and monitoring read them.
    pub fn named(&self) -> Vec<(String, f64)> {
        let pairs: Vec<(&str, f64)> = match *self {
            Metrics::Regression { rmse, mae, r2 } => vec![("rmse", rmse), ("mae", mae), ("r2", r2)],
            Metrics::Classification { accuracy, precision, recall, f1, roc_auc, brier } => {
                let mut v = vec![("accuracy", accuracy), ("precision", precision), ("recall", recall), ("f1", f1)];
                v.extend(roc_auc.map(|a| ("roc_auc", a)));
                v.extend(brier.map(|b| ("brier", b)));
                v
            }
            Metrics::Clustering { silhouette, spread, adjusted_rand } => {
                let mut v = vec![("silhouette", silhouette), ("spread", spread)];
                v.extend(adjusted_rand.map(|a| ("adjusted_rand", a)));
                v
            }
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// (name, value, one-line explanation) for each metric, in display order.
    pub fn cards(&self) -> Vec<(&'static str, f64, &'static str)> {
        match *self {
            Metrics::Regression { rmse, mae, r2 } => vec![
                ("R²", r2, "Share of the variation the model explains: 1 is perfect, 0 is no better than the average."),
                ("MAE", mae, "Mean absolute error: how far off a prediction is on average."),
                ("RMSE", rmse, "Root mean squared error: like MAE, but large misses count more."),
            ],
            Metrics::Classification { accuracy, precision, recall, f1, roc_auc, brier } => {
                let mut v = vec![
                    ("Accuracy", accuracy, "Share of test rows whose class was predicted correctly."),
                    ("Precision", precision, "Of the rows predicted as the class, the share that really are."),
                    ("Recall", recall, "Of the rows that really are the class, the share the model found."),
                    ("F1", f1, "Balance of precision and recall (their harmonic mean)."),
                ];
                if let Some(auc) = roc_auc {
                    v.push(("ROC AUC", auc, "Chance that a random positive row scores above a random negative one."));
                }
                if let Some(b) = brier {
                    v.push((
                        "Brier",
                        b,
                        "Mean squared gap between the predicted probability and what happened: lower is better; \
                         good when the probabilities can be trusted as chances.",
                    ));
                }
                v
            }
            Metrics::Clustering { silhouette, spread, adjusted_rand } => {
                let mut v = vec![
                    (
                        "Silhouette",
                        silhouette,
                        "How clearly each row belongs to its own cluster: 1 = tight, well separated groups; \
                         0 = overlapping; negative = rows sit closer to another cluster.",
                    ),
                    ("Spread", spread, "Average squared distance of a row to its cluster's centre: lower is tighter."),
                ];
                if let Some(ari) = adjusted_rand {
                    v.push((
                        "Match with labels",
                        ari,
                        "Adjusted Rand index between the clusters and the label column: 1 = the same groups, \
                         0 = no better than chance.",
                    ));
                }
                v
            }
        }
    }

    /// The headline number: R² for regression, accuracy for classification.
    pub fn headline(&self) -> (&'static str, f64) {
        match *self {
            Metrics::Regression { r2, .. } => ("r2", r2),
            Metrics::Classification { accuracy, .. } => ("accuracy", accuracy),
            Metrics::Clustering { silhouette, .. } => ("silhouette", silhouette),
        }
    }

    /// The headline metric's name as a person writes it ("R²", "accuracy").
    pub fn headline_label(&self) -> &'static str {
        match self {
            Metrics::Regression { .. } => "R²",
            Metrics::Classification { .. } => "accuracy",
            Metrics::Clustering { .. } => "silhouette",
        }
    }

    /// A plain-words reading of the result for a beginner.
    pub fn plain_words(&self, target: &str) -> String {
        match *self {
            Metrics::Regression { mae, r2, .. } => format!(
                "On average the predicted {target} is off by {}. The model explains {:.0}% of the variation in {target}.",
                human_number(mae),
                (r2 * 100.0).max(0.0)
            ),
            Metrics::Classification { accuracy, .. } => format!(
                "The model gets {:.1}% of the test rows right: about {} mistakes per 100.",
                accuracy * 100.0,
                ((1.0 - accuracy) * 100.0).round()
            ),
            Metrics::Clustering { silhouette, adjusted_rand, .. } => {
                let shape = if silhouette > 0.5 {
                    "The clusters are clearly separated"
                } else if silhouette > 0.25 {
                    "The clusters are distinct but touch each other"
                } else {
                    "The clusters overlap a lot: the data may not fall into these groups naturally"
                };
                let labels = match adjusted_rand {
                    Some(a) if a > 0.5 => format!(" They largely match the groups in '{target}'."),
                    Some(_) => format!(" They do not match the groups in '{target}' well."),
                    None => String::new(),
                };
                format!("{shape} (silhouette {silhouette:.2}).{labels}")
            }
        }
    }
}

/// A metric's name as a person writes it: "r2" → "R²", "accuracy" → "accuracy".
pub fn metric_label(name: &str) -> &str {
    match name {
        "r2" => "R²",
        "rmse" => "RMSE",
        "mae" => "MAE",
        "roc_auc" => "ROC AUC",
        other => other,
    }
}

/// 48213.7 → "48.2k", 0.123 → "0.123".
pub fn human_number(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// What the Evaluate panel plots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    Regression {
        actual: Vec<f64>,
        predicted: Vec<f64>,
    },
    /// `confusion[actual][predicted]` counts.
    Classification {
        classes: Vec<String>,
        confusion: Vec<Vec<usize>>,
        /// Per test row: actual and predicted class index, and (binary only) the score of the
        /// positive class, so the panel can move the decision threshold and list a cell's rows.
        #[serde(default)]
        actual: Vec<usize>,
        #[serde(default)]
        predicted: Vec<usize>,
        #[serde(default)]
        scores: Vec<f64>,
        /// The reliability diagram: per probability bin, [mean predicted, share true, rows].
        #[serde(default)]
        reliability: Vec<[f64; 3]>,
    },
    Clustering {
        /// Rows per cluster.
        sizes: Vec<usize>,
        /// The cluster of each scored row.
        assigned: Vec<usize>,
        /// The label column's values (sorted), when the data has one.
        labels: Vec<String>,
        /// `table[cluster][label]` counts.
        table: Vec<Vec<usize>>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub metrics: Metrics,
    pub detail: Detail,
}

pub fn regression_report(actual: &[f64], predicted: &[f64]) -> Report {
    let n = actual.len().max(1) as f64;
    let mean = actual.iter().sum::<f64>() / n;
    let (mut se, mut ae, mut tot) = (0.0, 0.0, 0.0);
    for (a, p) in actual.iter().zip(predicted) {
        se += (a - p).powi(2);
        ae += (a - p).abs();
        tot += (a - mean).powi(2);
    }
    let r2 = if tot > 0.0 { 1.0 - se / tot } else { 0.0 };
    Report {
        metrics: Metrics::Regression { rmse: (se / n).sqrt(), mae: ae / n, r2 },
        detail: Detail::Regression { actual: actual.to_vec(), predicted: predicted.to_vec() },
    }
}

/// `actual`/`predicted` are class indices into `classes`; `positive_scores` (binary only) is the
/// predicted probability of the positive class, which is the last class.
pub fn classification_report(
    classes: &[String],
    actual: &[usize],
    predicted: &[usize],
    positive_scores: Option<&[f64]>,
    probabilities: Option<&ndarray::Array2<f64>>,
) -> Report {
    let k = classes.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&a, &p) in actual.iter().zip(predicted) {
        confusion[a][p] += 1;
    }
    let n = actual.len().max(1) as f64;
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let prf = |c: usize| {
        let tp = confusion[c][c] as f64;
        let predicted_c: usize = (0..k).map(|i| confusion[i][c]).sum();
        let actual_c: usize = confusion[c].iter().sum();
        let precision = if predicted_c > 0 { tp / predicted_c as f64 } else { 0.0 };
        let recall = if actual_c > 0 { tp / actual_c as f64 } else { 0.0 };
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        (precision, recall, f1)
    };
    let (precision, recall, f1, roc_auc) = if k == 2 {
        let (p, r, f) = prf(1);
        let auc = positive_scores.map(|s| roc_auc(&actual.iter().map(|&a| a == 1).collect::<Vec<_>>(), s));
        (p, r, f, auc)
    } else {
        let all: Vec<_> = (0..k).map(prf).collect();
        let m = k.max(1) as f64;
        (
            all.iter().map(|x| x.0).sum::<f64>() / m,
            all.iter().map(|x| x.1).sum::<f64>() / m,
            all.iter().map(|x| x.2).sum::<f64>() / m,
            None,
        )
    };
    Report {
        metrics: Metrics::Classification {
            accuracy: correct as f64 / n,
            precision,
            recall,
            f1,
            roc_auc,
            brier: probabilities.map(|p| super::calibration::brier(p, actual)),
        },
        detail: Detail::Classification {
            classes: classes.to_vec(),
            confusion,
            actual: actual.to_vec(),
            predicted: predicted.to_vec(),
            scores: positive_scores.map(<[f64]>::to_vec).unwrap_or_default(),
            reliability: probabilities.map(|p| super::calibration::reliability(p, actual, 10)).unwrap_or_default(),
        },
    }
}

/// Area under the ROC curve via the rank-sum (Mann–Whitney) statistic, ties counted half.
pub fn roc_auc(is_positive: &[bool], scores: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = avg;
        }
        i = j + 1;
    }
    let n_pos = is_positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = is_positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    let rank_sum: f64 = ranks.iter().zip(is_positive).filter(|(_, p)| **p).map(|(r, _)| r).sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// ROC and precision–recall curves of a binary scorer: (ROC points as [false positive rate,
/// true positive rate], PR points as [recall, precision], average precision). One point per
/// distinct score, from the strictest threshold to the loosest.
pub fn curves(is_positive: &[bool], scores: &[f64]) -> (Vec<[f64; 2]>, Vec<[f64; 2]>, f64) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let n_pos = is_positive.iter().filter(|&&p| p).count().max(1) as f64;
    let n_neg = (is_positive.len() as f64 - n_pos).max(1.0);
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut roc = vec![[0.0, 0.0]];
    let mut pr = vec![[0.0, 1.0]];
    let mut ap = 0.0;
    let mut last_recall = 0.0;
    for (i, &r) in order.iter().enumerate() {
        if is_positive[r] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let boundary = order.get(i + 1).is_none_or(|&next| scores[next] != scores[r]);
        if boundary {
            let (recall, precision) = (tp / n_pos, tp / (tp + fp));
            roc.push([fp / n_neg, recall]);
            pr.push([recall, precision]);
            ap += (recall - last_recall) * precision;
            last_recall = recall;
        }
    }
    (roc, pr, ap)
}

/// Binary scores at a decision threshold: a row is called positive when its score ≥ `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtThreshold {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// [[true negatives, false positives], [false negatives, true positives]]
    pub confusion: [[usize; 2]; 2],
}

pub fn at_threshold(is_positive: &[bool], scores: &[f64], t: f64) -> AtThreshold {
    let mut c = [[0usize; 2]; 2];
    for (&p, &s) in is_positive.iter().zip(scores) {
        c[usize::from(p)][usize::from(s >= t)] += 1;
    }
    let (tp, fp, fn_) = (c[1][1] as f64, c[0][1] as f64, c[1][0] as f64);
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    let accuracy = (c[0][0] + c[1][1]) as f64 / is_positive.len().max(1) as f64;
    AtThreshold { accuracy, precision, recall, f1, confusion: c }
}

/// Evenly thins `n` items to at most `max` (every k-th), for plots of large test sets.
pub fn thin(n: usize, max: usize) -> impl Iterator<Item = usize> {
    (0..n).step_by(n.div_ceil(max.max(1)).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_metrics() {
        let r = regression_report(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0]);
        let Metrics::Regression { rmse, mae, r2 } = r.metrics else { panic!() };
        assert!((mae - 1.0 / 3.0).abs() < 1e-12);
        assert!((rmse - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((r2 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn binary_metrics_and_auc() {
        let classes = vec!["ham".to_string(), "spam".to_string()];
        let r = classification_report(&classes, &[0, 0, 1, 1], &[0, 1, 1, 0], Some(&[0.1, 0.6, 0.8, 0.4]), None);
        let Metrics::Classification { accuracy, precision, recall, roc_auc, .. } = r.metrics else { panic!() };
        assert_eq!((accuracy, precision, recall), (0.5, 0.5, 0.5));
        assert!((roc_auc.unwrap() - 0.75).abs() < 1e-12);
        assert!((super::roc_auc(&[false, true, false, true], &[0.5, 0.5, 0.1, 0.9]) - 0.875).abs() < 1e-12);
    }

    #[test]
    fn curves_and_threshold() {
        let pos = [false, false, true, true];
        let scores = [0.1, 0.6, 0.8, 0.4];
        let (roc, pr, ap) = curves(&pos, &scores);
        assert_eq!(roc.first(), Some(&[0.0, 0.0]));
        assert_eq!(roc.last(), Some(&[1.0, 1.0]));
        assert_eq!(pr[1], [0.5, 1.0], "the top-scored row is positive");
        // AP = 0.5·1 + 0.5·(2/3) (recall rises at ranks 1 and 3).
        assert!((ap - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
        let t = at_threshold(&pos, &scores, 0.5);
        assert_eq!(t.confusion, [[1, 1], [1, 1]]);
        assert_eq!((t.precision, t.recall), (0.5, 0.5));
        let strict = at_threshold(&pos, &scores, 0.7);
        assert_eq!((strict.precision, strict.recall), (1.0, 0.5));
        assert_eq!(thin(10, 3).collect::<Vec<_>>(), vec![0, 4, 8]);
    }
}
