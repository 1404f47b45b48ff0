//! A fairness mitigation a beginner can try: per-group decision thresholds chosen so that every
//! group's true-positive rate comes as close as it can to the model's overall one (the
//! "equal opportunity" post-processing of Hardt, Price & Srebro, 2016, as fairlearn's
//! `ThresholdOptimizer` does with `constraints="true_positive_rate_parity"`, here with one
//! deterministic threshold per group). The model itself is unchanged; the thresholds are saved
//! in the bundle and `predict`/`serve` apply them when they are switched on.

use super::fairness::{FairnessError, FairnessReport, fairness};
use crate::data::{ColumnKind, Dataset, SchemaColumn};
use crate::train::groups::{GroupThresholds, Grouping, short};
use crate::train::{Pipeline, Prediction, Task};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the thresholds changed, group by group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mitigation {
    pub thresholds: GroupThresholds,
    /// The groups with the model's own decisions (the most likely class).
    pub before: FairnessReport,
    /// The same rows decided with the per-group thresholds.
    pub after: FairnessReport,
    /// Accuracy over all rows, before and after.
    pub accuracy_before: f64,
    pub accuracy_after: f64,
    /// The change in plain words.
    pub reading: String,
}

/// Fits per-group thresholds on `data` (labelled rows holding `group_column`) and returns what
/// they change with a copy of `pipeline` that applies them (its input schema gains the group
/// column when the model does not read it, so the serving form and API ask for it).
pub fn equalise_true_positive_rates(
    pipeline: &Pipeline,
    data: &Dataset,
    group_column: &str,
    positive: Option<&str>,
) -> Result<(Mitigation, Pipeline), FairnessError> {
    if pipeline.target.task != Task::Classification {
        return Err(FairnessError::Task(pipeline.target.task.name()));
    }
    if pipeline.target.classes.len() != 2 {
        return Err(FairnessError::NotBinary(pipeline.target.classes.len()));
    }
    let mut mitigated = pipeline.clone();
    mitigated.thresholds = None;
    let before = fairness(&mitigated, data, group_column, positive)?;
    let positive = before.positive_class.clone().unwrap_or_default();
    let pos = pipeline.target.classes.iter().position(|c| *c == positive).unwrap_or(1);
    let Prediction::Classification { probabilities, .. } = mitigated.predict(data)? else {
        return Err(FairnessError::Task(pipeline.target.task.name()));
    };
    // `fairness` found both columns, so they are there.
    let (Some(group_col), Some(truth)) = (data.column(group_column), data.column(&pipeline.target.name)) else {
        return Err(FairnessError::NoRows(data.source.clone()));
    };
    let grouping = Grouping::of(&group_col.values);
    // Per group: (score of the positive class, truly positive?) of each labelled row.
    let mut rows: BTreeMap<String, Vec<(f64, bool)>> = BTreeMap::new();
    for (r, p) in probabilities.iter().enumerate() {
        let actual = truth.values.display(r);
        if truth.values.is_missing(r) || !pipeline.target.classes.contains(&actual) {
            continue;
        }
        let score = p.get(pos).copied().unwrap_or(0.0);
        rows.entry(grouping.label(&group_col.values, r)).or_default().push((score, actual == positive));
    }
    let positives: Vec<f64> = rows.values().flatten().filter(|r| r.1).map(|r| r.0).collect();
    let default = 0.5;
    let target = rate_at(&sorted(positives), default);
    let thresholds: BTreeMap<String, f64> =
        rows.iter().filter_map(|(g, r)| Some((g.clone(), best_threshold(r, target, default)?))).collect();
    mitigated.thresholds = Some(GroupThresholds {
        column: group_column.to_string(),
        grouping,
        positive: positive.clone(),
        thresholds,
        default,
        target_true_positive_rate: target,
        enabled: true,
    });
    if !mitigated.schema.columns.iter().any(|c| c.name == group_column) {
        let kind = if group_col.kind == ColumnKind::Numeric { ColumnKind::Numeric } else { ColumnKind::Categorical };
        mitigated.schema.columns.push(SchemaColumn { name: group_column.to_string(), kind });
        let first = (0..data.n_rows()).find(|&r| !group_col.values.is_missing(r)).unwrap_or(0);
        mitigated.example.insert(group_column.to_string(), group_col.values.json(first));
    }
    let after = fairness(&mitigated, data, group_column, Some(&positive))?;
    let (accuracy_before, accuracy_after) = (overall(&before, "accuracy"), overall(&after, "accuracy"));
    let reading = reading(&before, &after, mitigated.thresholds.as_ref(), (accuracy_before, accuracy_after));
    let thresholds = mitigated.thresholds.clone().ok_or_else(|| FairnessError::NoRows(data.source.clone()))?;
    Ok((Mitigation { thresholds, before, after, accuracy_before, accuracy_after, reading }, mitigated))
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Share of `sorted_scores` at or above `t`.
fn rate_at(sorted_scores: &[f64], t: f64) -> f64 {
    if sorted_scores.is_empty() {
        return 0.0;
    }
    (sorted_scores.len() - sorted_scores.partition_point(|&s| s < t)) as f64 / sorted_scores.len() as f64
}

/// The threshold whose true-positive rate in the group comes closest to `target` (ties: the
/// one nearest `default`, changing the model the least). Candidates lie halfway between the
/// group's distinct scores. None when the group has no truly positive row.
fn best_threshold(rows: &[(f64, bool)], target: f64, default: f64) -> Option<f64> {
    let pos = sorted(rows.iter().filter(|r| r.1).map(|r| r.0).collect());
    if pos.is_empty() {
        return None;
    }
    let mut scores = sorted(rows.iter().map(|r| r.0).collect());
    scores.dedup();
    let mut candidates = vec![default, scores[0] - 1e-9, scores[scores.len() - 1] + 1e-9];
    candidates.extend(scores.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    candidates.into_iter().filter(|t| t.is_finite()).min_by(|&a, &b| {
        let (ea, eb) = ((rate_at(&pos, a) - target).abs(), (rate_at(&pos, b) - target).abs());
        (ea, (a - default).abs()).partial_cmp(&(eb, (b - default).abs())).unwrap_or(std::cmp::Ordering::Equal)
    })
}

/// A per-group metric averaged over all rows (weighted by group size).
fn overall(r: &FairnessReport, metric: &str) -> f64 {
    let total: usize = r.groups.iter().map(|g| g.rows).sum();
    let sum: f64 = r.groups.iter().map(|g| g.metrics.get(metric).copied().unwrap_or(0.0) * g.rows as f64).sum();
    if total == 0 { 0.0 } else { sum / total as f64 }
}

fn percent_range(r: &FairnessReport) -> String {
    let tpr: Vec<f64> = r.groups.iter().filter_map(|g| g.metrics.get("true_positive_rate").copied()).collect();
    let lo = tpr.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = tpr.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if tpr.is_empty() { "—".into() } else { format!("{:.0} % to {:.0} %", lo * 100.0, hi * 100.0) }
}

fn reading(before: &FairnessReport, after: &FairnessReport, t: Option<&GroupThresholds>, acc: (f64, f64)) -> String {
    let gap = |r: &FairnessReport| r.differences.get("equal_opportunity_difference").copied().unwrap_or(f64::NAN);
    let positive = before.positive_class.clone().unwrap_or_default();
    let listed = t
        .map(|t| t.thresholds.iter().map(|(g, v)| format!("{g}: {}", short(*v))).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    format!(
        "Before: among rows that really are '{positive}', the model found {} depending on the group (equal \
         opportunity difference {:.2}). With its own threshold per group ({listed}; 0.5 was everyone's), it finds {} \
         (difference {:.2}). Accuracy over all rows went from {:.3} to {:.3}. The thresholds were chosen on these \
         rows: check them on new rows before relying on them, and remember that deciding by group needs the group \
         column at prediction time.",
        percent_range(before),
        gap(before),
        percent_range(after),
        gap(after),
        acc.0,
        acc.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_reaches_the_target_rate() {
        // Positives scored 0.2 0.4 0.6 0.8, negatives 0.1 0.3: a target of 0.75 needs t in (0.2, 0.4].
        let rows = [(0.2, true), (0.4, true), (0.6, true), (0.8, true), (0.1, false), (0.3, false)];
        let t = best_threshold(&rows, 0.75, 0.5).unwrap();
        assert!(t > 0.2 && t <= 0.4, "{t}");
        assert_eq!(rate_at(&[0.2, 0.4, 0.6, 0.8], t), 0.75);
        // Already at the target: the default stays.
        assert_eq!(best_threshold(&rows, 0.5, 0.5), Some(0.5));
        assert_eq!(best_threshold(&[(0.3, false)], 0.5, 0.5), None);
    }
}
