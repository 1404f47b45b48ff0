//! The kind of answer a target column calls for (regression, classes, clusters, ratings), and
//! the guess of it from the column's values.

use super::{DataError, Dataset, Values};
use serde::{Deserialize, Serialize};

/// What kind of answer the model gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Regression,
    Classification,
    /// Grouping rows without a target (k-means).
    Clustering,
    /// Predicting how a user rates an item (matrix factorisation), from user and item columns.
    Recommendation,
    /// The next values of a time series.
    Forecast,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::Classification => "classification",
            Task::Clustering => "clustering",
            Task::Recommendation => "recommendation",
            Task::Forecast => "forecast",
        }
    }

    /// Whether the target is a number (regression and recommendation: scored by RMSE/MAE/R²).
    pub fn numeric_target(self) -> bool {
        matches!(self, Task::Regression | Task::Recommendation | Task::Forecast)
    }
}

/// Guesses the task from the target column: a rating with a user and an item column is a
/// recommendation; text labels, or a few whole numbers, are classes.
pub fn detect_task(ds: &Dataset, target: &str) -> Result<Task, DataError> {
    let col = ds.require(target)?;
    let lower = target.to_ascii_lowercase();
    if matches!(col.values, Values::Numeric(_))
        && ["rating", "stars", "score"].iter().any(|w| lower.contains(w))
        && named_ratings_columns(ds, target).is_some()
    {
        return Ok(Task::Recommendation);
    }
    Ok(match &col.values {
        Values::Str(_) => Task::Classification,
        Values::Numeric(v) => {
            // Classes: whole numbers only, at most 20 distinct (stop at the first that is not).
            let mut distinct = std::collections::HashSet::new();
            let mut classes = true;
            for x in v.iter().flatten() {
                distinct.insert(x.to_bits());
                if x.fract() != 0.0 || distinct.len() > 20 {
                    classes = false;
                    break;
                }
            }
            if classes { Task::Classification } else { Task::Regression }
        }
    })
}

/// A user column and an item column found by their names.
pub fn named_ratings_columns(data: &Dataset, target: &str) -> Option<(String, String)> {
    let find = |words: &[&str]| {
        data.columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| *n != target)
            .find(|n| words.iter().any(|w| n.to_ascii_lowercase().contains(w)))
            .map(str::to_string)
    };
    let user = find(&["user", "customer", "student", "reader"])?;
    let item = find(&["item", "movie", "product", "book", "song", "film"])?;
    (user != item).then_some((user, item))
}
