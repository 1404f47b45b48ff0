//! Groups of rows by one column (for fairness across groups) and per-group decision thresholds,
//! the post-processing mitigation that `eval::fairness::equalise_true_positive_rates` fits and
//! `Pipeline::predict` applies when a bundle carries them.
//!
//! A row's group is its cell's text, or for a number column with many values its quarter of the
//! values seen when the grouping was made ("Q2: [1.5, 3.2)"); the quarter edges are kept so a
//! single served row lands in the same group as in the data the thresholds were fitted on.

use crate::data::Values;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A numeric column with more distinct values than this is cut into quarters.
const MAX_NUMERIC_GROUPS: usize = 10;

/// The label of a row with no value in the group column.
pub const MISSING_GROUP: &str = "(missing)";

/// How rows are put into groups: by the cell's text, or by quarter edges for a number column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    /// Quarter edges (ascending, without repeats) when the column is cut into quarters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<f64>>,
}

impl Grouping {
    /// The grouping fitting `values`: quarters for a number column with many values.
    pub fn of(values: &Values) -> Grouping {
        let Values::Numeric(v) = values else { return Grouping::default() };
        let mut all: Vec<f64> = (0..v.len()).filter_map(|r| v.get(r)).filter(|x| x.is_finite()).collect();
        all.sort_by(f64::total_cmp);
        let mut distinct = all.clone();
        distinct.dedup();
        if distinct.len() <= MAX_NUMERIC_GROUPS {
            return Grouping::default();
        }
        let q = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
        let mut edges = vec![q(0.0), q(0.25), q(0.5), q(0.75), q(1.0)];
        edges.dedup();
        Grouping { edges: Some(edges) }
    }

    /// Row `row`'s group label.
    pub fn label(&self, values: &Values, row: usize) -> String {
        if values.is_missing(row) {
            return MISSING_GROUP.to_string();
        }
        let (Some(edges), Values::Numeric(v)) = (&self.edges, values) else { return values.display(row) };
        let Some(x) = v.get(row).filter(|x| x.is_finite()) else { return MISSING_GROUP.to_string() };
        if edges.len() < 2 {
            return values.display(row);
        }
        // Quarter i holds edges[i] ≤ x < edges[i + 1] (the last one includes its top; values
        // outside the fitted range go to the first or last quarter).
        let i = edges[1..edges.len() - 1].iter().position(|&e| x < e).unwrap_or(edges.len() - 2);
        let close = if i + 2 == edges.len() { "]" } else { ")" };
        format!("Q{}: [{}, {}{close}", i + 1, short(edges[i]), short(edges[i + 1]))
    }

    /// Every row's group label.
    pub fn labels(&self, values: &Values) -> Vec<String> {
        (0..values.len()).map(|r| self.label(values, r)).collect()
    }
}

/// A number in at most three decimals, without trailing zeros.
pub fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Per-group decision thresholds on the probability of one class: a row is given `positive`
/// when that probability reaches its group's threshold, otherwise the most likely other class.
/// Rows whose group was not seen when fitting (or is missing) use `default`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupThresholds {
    /// The column that says each row's group; predicting needs it in the input.
    pub column: String,
    #[serde(default)]
    pub grouping: Grouping,
    /// The class the thresholds decide (the "selected" outcome).
    pub positive: String,
    /// Group label → threshold on the probability of `positive`.
    pub thresholds: BTreeMap<String, f64>,
    /// The threshold for other rows.
    pub default: f64,
    /// The true-positive rate the thresholds aim at (the model's overall rate before).
    pub target_true_positive_rate: f64,
    /// Applied by `predict`/`serve` only when true.
    pub enabled: bool,
}

impl GroupThresholds {
    /// The threshold for a row in group `label`.
    pub fn threshold(&self, label: &str) -> f64 {
        self.thresholds.get(label).copied().unwrap_or(self.default)
    }

    /// Relabels `labels` (one per row, from `probabilities` in `classes` order) by the thresholds,
    /// reading each row's group from `group`.
    pub fn apply(&self, classes: &[String], group: &Values, probabilities: &[Vec<f64>], labels: &mut [String]) {
        let Some(pos) = classes.iter().position(|c| *c == self.positive) else { return };
        for (row, (p, label)) in probabilities.iter().zip(labels.iter_mut()).enumerate() {
            let t = self.threshold(&self.grouping.label(group, row));
            let chosen = if p.get(pos).copied().unwrap_or(0.0) >= t {
                pos
            } else {
                // The most likely class other than the positive one.
                let others = p.iter().enumerate().filter(|&(i, _)| i != pos);
                others.max_by(|a, b| a.1.total_cmp(b.1)).map_or(pos, |(i, _)| i)
            };
            if let Some(c) = classes.get(chosen) {
                label.clone_from(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_groups_are_quarters_and_replay_on_one_row() {
        let v = Values::Numeric((0..100).map(|i| Some(i as f64)).collect());
        let g = Grouping::of(&v);
        let labels = g.labels(&v);
        let distinct: std::collections::BTreeSet<&String> = labels.iter().collect();
        assert_eq!(distinct.len(), 4, "{distinct:?}");
        assert_eq!(labels[0], "Q1: [0, 25)");
        assert_eq!(labels[25], "Q2: [25, 50)");
        assert_eq!(labels[99], "Q4: [74, 99]");
        // One served row, outside the fitted range, still lands in a quarter.
        let one = Values::Numeric(vec![Some(500.0)].into_iter().collect());
        assert_eq!(g.label(&one, 0), "Q4: [74, 99]");
        let few = Values::Numeric((0..20).map(|i| Some((i % 3) as f64)).collect());
        assert_eq!(Grouping::of(&few).label(&few, 4), "1");
    }

    #[test]
    fn thresholds_move_labels_by_group() {
        let classes = vec!["no".to_string(), "yes".to_string()];
        let group = Values::Str(vec![Some("a".to_string()), Some("b".to_string()), None].into_iter().collect());
        let probabilities = vec![vec![0.6, 0.4], vec![0.6, 0.4], vec![0.6, 0.4]];
        let t = GroupThresholds {
            column: "g".into(),
            grouping: Grouping::default(),
            positive: "yes".into(),
            thresholds: BTreeMap::from([("a".to_string(), 0.3), ("b".to_string(), 0.5)]),
            default: 0.5,
            target_true_positive_rate: 0.5,
            enabled: true,
        };
        let mut labels = vec!["no".to_string(); 3];
        t.apply(&classes, &group, &probabilities, &mut labels);
        assert_eq!(labels, ["yes", "no", "no"]);
    }
}
