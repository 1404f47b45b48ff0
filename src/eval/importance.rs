//! Permutation feature importance, for any model: shuffle one input column of the test rows,
//! and see how much the headline score (R² or accuracy) drops. A column the model leans on
//! hurts when shuffled; a column it ignores does not. Runs through [`Pipeline::evaluate`], so
//! it measures the whole pipeline (recipe + model) on the columns a user knows.

use crate::data::Dataset;
use crate::train::{Pipeline, TrainError};
use crate::util::Rng;
use rayon::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnImportance {
    pub column: String,
    /// Mean drop of the score when the column is shuffled (can be slightly negative: noise).
    pub drop: f64,
    /// Standard deviation of the drop over the repeats.
    pub std: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Importance {
    /// "r2" or "accuracy".
    pub metric: &'static str,
    /// The score with no column shuffled.
    pub baseline: f64,
    pub repeats: usize,
    /// Largest drop first.
    pub columns: Vec<ColumnImportance>,
}

impl Importance {
    /// One plain-words sentence about the strongest driver.
    pub fn plain_words(&self) -> String {
        match self.columns.first() {
            Some(top) if top.drop > 0.0 => format!(
                "Shuffling '{}' costs the model {:.3} {} — it is what the model relies on most.",
                top.column,
                top.drop,
                super::metric_label(self.metric)
            ),
            _ => "No column matters much: shuffling any of them barely changes the score.".to_string(),
        }
    }
}

/// Permutation importance of every input column of `pipeline` on the labelled rows of `test`,
/// each column shuffled `repeats` times (seeded). Columns run in parallel.
pub fn permutation_importance(
    pipeline: &Pipeline,
    test: &Dataset,
    repeats: usize,
    seed: u64,
) -> Result<Importance, TrainError> {
    let repeats = repeats.max(1);
    let baseline_report = pipeline.evaluate(test)?;
    let (metric, baseline) = baseline_report.metrics.headline();
    let names: Vec<String> = pipeline.schema.columns.iter().map(|c| c.name.clone()).collect();
    let mut columns = names
        .par_iter()
        .enumerate()
        .map(|(c, name)| {
            let index = test.columns.iter().position(|col| &col.name == name).ok_or_else(|| {
                crate::data::DataError::UnknownColumn {
                    source_name: test.source.clone(),
                    column: name.clone(),
                    available: test.column_names().join(", "),
                }
            })?;
            let mut rng = Rng::new(seed.wrapping_add(c as u64 * 7919));
            let mut drops = Vec::with_capacity(repeats);
            for _ in 0..repeats {
                let mut order: Vec<usize> = (0..test.n_rows()).collect();
                rng.shuffle(&mut order);
                let mut shuffled = test.clone();
                shuffled.columns[index].values = test.columns[index].values.take(&order);
                let (_, score) = pipeline.evaluate(&shuffled)?.metrics.headline();
                drops.push(baseline - score);
            }
            let mean = drops.iter().sum::<f64>() / repeats as f64;
            let std = (drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / repeats as f64).sqrt();
            Ok(ColumnImportance { column: name.clone(), drop: mean, std })
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    columns.sort_by(|a, b| b.drop.total_cmp(&a.drop));
    Ok(Importance { metric, baseline, repeats, columns })
}
