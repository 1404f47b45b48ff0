//! Fairness across groups: a fitted pipeline's metrics per group of rows (any column of the
//! data, used by the model or not) and the gaps between groups, with the definitions of the
//! fairlearn library so an analyst can check every number there:
//! - classification (one class taken as the positive, "selected" outcome): per group the
//!   accuracy, selection rate, true- and false-positive rates and precision; demographic parity
//!   difference (largest minus smallest selection rate) and ratio (smallest over largest),
//!   equalized odds difference (the larger of the TPR and FPR differences) and equal
//!   opportunity difference (the TPR difference);
//! - regression: per group MAE, RMSE and mean error (prediction − truth, the bias); the largest
//!   gaps between groups.

use crate::data::{Dataset, Values};
use crate::train::groups::{Grouping, short};
use crate::train::{Pipeline, PipelineError, Prediction, Task};
use serde::Serialize;
use std::collections::BTreeMap;

/// Groups smaller than this are flagged: their rates move a lot with one or two rows.
pub const SMALL_GROUP: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum FairnessError {
    #[error("{source_name} has no column '{column}' to group by (columns: {available})")]
    NoGroupColumn { source_name: String, column: String, available: String },
    #[error("{source_name} has no column '{target}': the true answers are needed to compare groups")]
    NoTarget { source_name: String, target: String },
    #[error("'{class}' is not a class of this model (classes: {classes})")]
    UnknownClass { class: String, classes: String },
    #[error("fairness across groups needs a regression or classification model, not {0}")]
    Task(&'static str),
    #[error("per-group thresholds need a model with two classes (this one has {0})")]
    NotBinary(usize),
    #[error("{0} has no row with a known true answer")]
    NoRows(String),
    #[error(transparent)]
    Predict(#[from] PipelineError),
}

/// One group's row count and metrics (the ones that fit the task; undefined rates are 0, as
/// in fairlearn/scikit-learn).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupMetrics {
    pub group: String,
    pub rows: usize,
    /// Metric name → value: `accuracy selection_rate true_positive_rate false_positive_rate
    /// precision`, or `mae rmse mean_error`.
    pub metrics: BTreeMap<String, f64>,
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FairnessReport {
    pub group_column: String,
    pub task: &'static str,
    /// The class counted as selected (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<String>,
    pub rows: usize,
    pub groups: Vec<GroupMetrics>,
    /// Named measures: `demographic_parity_difference`, `demographic_parity_ratio`,
    /// `equalized_odds_difference`, `equal_opportunity_difference`; or `mae_gap`, `rmse_gap`,
    /// `mean_error_gap`.
    pub differences: BTreeMap<String, f64>,
    /// Groups with fewer than [`SMALL_GROUP`] rows.
    pub small_groups: Vec<String>,
    /// The result in plain words.
    pub reading: String,
}

/// Compares the groups of `group_column` in `data`, which must hold the target column.
/// `positive` names the selected class (default: the last class, as the metrics take it).
pub fn fairness(
    pipeline: &Pipeline,
    data: &Dataset,
    group_column: &str,
    positive: Option<&str>,
) -> Result<FairnessReport, FairnessError> {
    let group_col = data.column(group_column).ok_or_else(|| FairnessError::NoGroupColumn {
        source_name: data.source.clone(),
        column: group_column.to_string(),
        available: data.column_names().join(", "),
    })?;
    let target = &pipeline.target;
    let truth = data
        .column(&target.name)
        .ok_or_else(|| FairnessError::NoTarget { source_name: data.source.clone(), target: target.name.clone() })?;
    let groups = group_labels(&group_col.values);
    let prediction = pipeline.predict(data)?;
    let report = match (target.task, prediction) {
        (Task::Regression, Prediction::Regression(pred)) => {
            let rows: Vec<(usize, f64, f64)> = (0..data.n_rows())
                .filter_map(|r| Some((r, number(&truth.values, r)?, pred[r])))
                .filter(|(_, _, p)| p.is_finite())
                .collect();
            regression(group_column, &groups, &rows)
        }
        (Task::Classification, Prediction::Classification { labels, .. }) => {
            let classes = &target.classes;
            let positive =
                match positive {
                    Some(p) => classes.iter().find(|c| c.as_str() == p).cloned().ok_or_else(|| {
                        FairnessError::UnknownClass { class: p.to_string(), classes: classes.join(", ") }
                    })?,
                    None => classes.last().cloned().unwrap_or_default(),
                };
            let rows: Vec<(usize, bool, bool)> = (0..data.n_rows())
                .filter_map(|r| {
                    let actual = truth.values.display(r);
                    (!truth.values.is_missing(r) && classes.contains(&actual))
                        .then(|| (r, actual == positive, labels[r] == positive))
                })
                .collect();
            classification(group_column, &groups, &rows, positive)
        }
        (task, _) => return Err(FairnessError::Task(task.name())),
    };
    if report.rows == 0 {
        return Err(FairnessError::NoRows(data.source.clone()));
    }
    Ok(report)
}

fn number(values: &Values, row: usize) -> Option<f64> {
    match values {
        Values::Numeric(v) => v.get(row).filter(|x| x.is_finite()),
        Values::Str(_) => values.display(row).trim().parse().ok().filter(|x: &f64| x.is_finite()),
    }
}

/// Each row's group label: the cell's text ("(missing)" when empty), or for a number column
/// with many values its quarter ("Q2: [1.5, 3.2)"; the prefix keeps quarters apart and in order
/// even where rounding makes two edges print alike).
pub fn group_labels(values: &Values) -> Vec<String> {
    Grouping::of(values).labels(values)
}

/// Rows of each group, in the order groups first appear sorted by name.
fn by_group<'a, T: Copy>(groups: &'a [String], rows: &[(usize, T, T)]) -> BTreeMap<&'a str, Vec<(T, T)>> {
    let mut out: BTreeMap<&str, Vec<(T, T)>> = BTreeMap::new();
    for &(r, a, p) in rows {
        out.entry(groups[r].as_str()).or_default().push((a, p));
    }
    out
}

/// Largest minus smallest of one metric over the groups.
fn gap(groups: &[GroupMetrics], metric: &str) -> f64 {
    let values: Vec<f64> = groups.iter().filter_map(|g| g.metrics.get(metric).copied()).collect();
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if values.is_empty() { 0.0 } else { hi - lo }
}

fn extreme(groups: &[GroupMetrics], metric: &str, largest: bool) -> Option<(String, f64)> {
    let pick = |a: &&GroupMetrics, b: &&GroupMetrics| a.metrics[metric].total_cmp(&b.metrics[metric]);
    let g = if largest { groups.iter().max_by(pick) } else { groups.iter().min_by(pick) }?;
    Some((g.group.clone(), g.metrics[metric]))
}

fn classification(column: &str, groups: &[String], rows: &[(usize, bool, bool)], positive: String) -> FairnessReport {
    let rate = |num: usize, den: usize| if den == 0 { 0.0 } else { num as f64 / den as f64 };
    let per: Vec<GroupMetrics> = by_group(groups, rows)
        .into_iter()
        .map(|(group, pairs)| {
            let count = |a: bool, p: bool| pairs.iter().filter(|&&(x, y)| x == a && y == p).count();
            let (tp, fp, fn_, tn) = (count(true, true), count(false, true), count(true, false), count(false, false));
            let n = pairs.len();
            let metrics = BTreeMap::from([
                ("accuracy".to_string(), rate(tp + tn, n)),
                ("selection_rate".to_string(), rate(tp + fp, n)),
                ("true_positive_rate".to_string(), rate(tp, tp + fn_)),
                ("false_positive_rate".to_string(), rate(fp, fp + tn)),
                ("precision".to_string(), rate(tp, tp + fp)),
            ]);
            GroupMetrics { group: group.to_string(), rows: n, metrics }
        })
        .collect();
    let (lo, hi) = (extreme(&per, "selection_rate", false), extreme(&per, "selection_rate", true));
    let dp_ratio = match (&lo, &hi) {
        (Some((_, l)), Some((_, h))) => l / h, // 0/0 is NaN (JSON null), as in fairlearn
        _ => f64::NAN,
    };
    let (tpr_gap, fpr_gap) = (gap(&per, "true_positive_rate"), gap(&per, "false_positive_rate"));
    let differences = BTreeMap::from([
        ("demographic_parity_difference".to_string(), gap(&per, "selection_rate")),
        ("demographic_parity_ratio".to_string(), dp_ratio),
        ("equalized_odds_difference".to_string(), tpr_gap.max(fpr_gap)),
        ("equal_opportunity_difference".to_string(), tpr_gap),
    ]);
    let mut reading = match (lo, hi) {
        (Some((lo_g, lo_v)), Some((hi_g, hi_v))) if per.len() > 1 => format!(
            "The model predicts '{positive}' for {:.0} % of rows with {column} = {hi_g} and {:.0} % with {column} = {lo_g} \
             (demographic parity difference {:.2}, ratio {dp_ratio:.2}). Among rows that really are '{positive}', it finds \
             between {:.0} % and {:.0} % depending on the group (equal opportunity difference {tpr_gap:.2}). ",
            hi_v * 100.0,
            lo_v * 100.0,
            hi_v - lo_v,
            (extreme(&per, "true_positive_rate", false).map_or(0.0, |x| x.1)) * 100.0,
            (extreme(&per, "true_positive_rate", true).map_or(0.0, |x| x.1)) * 100.0,
        ),
        _ => format!("Only one group of {column}: there is nothing to compare. "),
    };
    if per.len() > 1 {
        reading.push_str(if dp_ratio.is_nan() {
            "The model never predicts this class, so the groups cannot be compared by how often they are selected."
        } else if dp_ratio < 0.8 {
            "A ratio under 0.8 is the usual line (the 'four-fifths rule') where a difference in treatment needs a good reason."
        } else {
            "The groups are treated alike by the four-fifths rule (ratio of at least 0.8)."
        });
    }
    finish(column, "classification", Some(positive), rows.len(), per, differences, reading)
}

fn regression(column: &str, groups: &[String], rows: &[(usize, f64, f64)]) -> FairnessReport {
    let per: Vec<GroupMetrics> = by_group(groups, rows)
        .into_iter()
        .map(|(group, pairs)| {
            let n = pairs.len().max(1) as f64;
            let mae = pairs.iter().map(|(a, p)| (p - a).abs()).sum::<f64>() / n;
            let rmse = (pairs.iter().map(|(a, p)| (p - a).powi(2)).sum::<f64>() / n).sqrt();
            let mean_error = pairs.iter().map(|(a, p)| p - a).sum::<f64>() / n;
            let metrics =
                BTreeMap::from([("mae".into(), mae), ("rmse".into(), rmse), ("mean_error".into(), mean_error)]);
            GroupMetrics { group: group.to_string(), rows: pairs.len(), metrics }
        })
        .collect();
    let differences = BTreeMap::from([
        ("mae_gap".to_string(), gap(&per, "mae")),
        ("rmse_gap".to_string(), gap(&per, "rmse")),
        ("mean_error_gap".to_string(), gap(&per, "mean_error")),
    ]);
    let reading = match (extreme(&per, "mae", false), extreme(&per, "mae", true)) {
        (Some((lo_g, lo)), Some((hi_g, hi))) if per.len() > 1 => {
            let (under, over) = (extreme(&per, "mean_error", false), extreme(&per, "mean_error", true));
            let bias = match (under, over) {
                (Some((ug, u)), Some((og, o))) => format!(
                    " On average it predicts {} too {} for {column} = {og} and {} too {} for {column} = {ug}.",
                    short(o.abs()),
                    if o >= 0.0 { "high" } else { "low" },
                    short(u.abs()),
                    if u >= 0.0 { "high" } else { "low" }
                ),
                _ => String::new(),
            };
            format!(
                "The model is off by {} on average for {column} = {hi_g} and by {} for {column} = {lo_g} (a gap of {}).{bias}",
                short(hi),
                short(lo),
                short(hi - lo)
            )
        }
        _ => format!("Only one group of {column}: there is nothing to compare."),
    };
    finish(column, "regression", None, rows.len(), per, differences, reading)
}

fn finish(
    column: &str,
    task: &'static str,
    positive_class: Option<String>,
    rows: usize,
    groups: Vec<GroupMetrics>,
    differences: BTreeMap<String, f64>,
    mut reading: String,
) -> FairnessReport {
    let small_groups: Vec<String> = groups.iter().filter(|g| g.rows < SMALL_GROUP).map(|g| g.group.clone()).collect();
    if !small_groups.is_empty() {
        reading.push_str(&format!(
            " Too few rows to judge (under {SMALL_GROUP}): {}; their numbers can change a lot with a few rows.",
            small_groups.join(", ")
        ));
    }
    FairnessReport {
        group_column: column.to_string(),
        task,
        positive_class,
        rows,
        groups,
        differences,
        small_groups,
        reading,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_gaps_by_hand() {
        // Group a: 4 rows, truth 1 1 0 0, predicted 1 0 1 0 → TPR 0.5, FPR 0.5, selection 0.5.
        // Group b: 2 rows, truth 1 0, predicted 1 1 → TPR 1, FPR 1, selection 1.
        let groups: Vec<String> = ["a", "a", "a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
        let t = [true, true, false, false, true, false];
        let p = [true, false, true, false, true, true];
        let rows: Vec<(usize, bool, bool)> = (0..6).map(|i| (i, t[i], p[i])).collect();
        let r = classification("g", &groups, &rows, "yes".into());
        assert_eq!(r.groups[0].metrics["selection_rate"], 0.5);
        assert_eq!(r.groups[1].metrics["false_positive_rate"], 1.0);
        assert_eq!(r.differences["demographic_parity_difference"], 0.5);
        assert_eq!(r.differences["demographic_parity_ratio"], 0.5);
        assert_eq!(r.differences["equalized_odds_difference"], 0.5);
        assert_eq!(r.small_groups, vec!["a".to_string(), "b".to_string()]);
        assert!(r.reading.contains("100 % of rows with g = b"), "{}", r.reading);
    }

    #[test]
    fn a_model_that_selects_no_one_has_no_parity_ratio() {
        let groups: Vec<String> = ["a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
        let rows: Vec<(usize, bool, bool)> = (0..4).map(|i| (i, i % 2 == 0, false)).collect();
        let r = classification("g", &groups, &rows, "yes".into());
        assert!(r.differences["demographic_parity_ratio"].is_nan());
        assert!(r.reading.contains("never predicts this class"), "{}", r.reading);
        let one = classification("g", &vec!["a".to_string(); 4], &rows, "yes".into());
        assert!(!one.reading.contains("four-fifths"), "{}", one.reading);
    }
}
