//! Feature layer: a [`Recipe`] of steps, fitted on training rows only. The fitted recipe is
//! stored inside the pipeline so serving transforms rows with exactly the same code and numbers.

mod sparse;
mod text;

pub use sparse::Csr;
pub use text::{TfidfModel, tokenize};

use crate::data::{ColumnKind, Dataset, Schema, Values};
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One step of a recipe before fitting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Median imputation then standard scaling of a numeric column.
    ImputeScale { column: String },
    /// Most-frequent imputation then one-hot encoding; unknown categories become all zeros.
    OneHot { column: String },
    /// TF-IDF of a text column (lower-cased words of two or more characters, l2-normalised).
    Tfidf { column: String },
}

impl Step {
    pub fn column(&self) -> &str {
        match self {
            Step::ImputeScale { column } | Step::OneHot { column } | Step::Tfidf { column } => column,
        }
    }

    /// A one-line description a beginner can read.
    pub fn describe(&self) -> String {
        match self {
            Step::ImputeScale { column } => format!("{column}: fill gaps with the median, then standardise"),
            Step::OneHot { column } => {
                format!("{column}: fill gaps with the most common value, then one column per category")
            }
            Step::Tfidf { column } => format!("{column}: TF-IDF word weights (how telling each word is)"),
        }
    }
}

/// An ordered list of steps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    pub steps: Vec<Step>,
}

impl Recipe {
    /// The default recipe for a schema: one step per column, chosen by the column's kind.
    pub fn default_for(schema: &Schema) -> Recipe {
        Recipe {
            steps: schema
                .columns
                .iter()
                .map(|c| match c.kind {
                    ColumnKind::Numeric => Step::ImputeScale { column: c.name.clone() },
                    ColumnKind::Categorical => Step::OneHot { column: c.name.clone() },
                    ColumnKind::Text => Step::Tfidf { column: c.name.clone() },
                })
                .collect(),
        }
    }

    /// Fits every step on `train` (the training rows only).
    pub fn fit(&self, train: &Dataset) -> Result<FittedRecipe, FeatureError> {
        if train.n_rows() == 0 {
            return Err(FeatureError::NoRows);
        }
        // Steps are independent: fit them in parallel.
        let steps = self
            .steps
            .par_iter()
            .map(|step| {
                let col =
                    train.column(step.column()).ok_or_else(|| FeatureError::MissingColumn(step.column().into()))?;
                Ok(match (step, &col.values) {
                    (Step::ImputeScale { column }, Values::Numeric(v)) => fit_impute_scale(column, v),
                    (Step::OneHot { column }, Values::Str(v)) => fit_one_hot(column, v),
                    (Step::Tfidf { column }, Values::Str(v)) => {
                        FittedStep::Tfidf { column: column.clone(), model: TfidfModel::fit(v) }
                    }
                    (step, _) => {
                        return Err(FeatureError::WrongKind { column: step.column().into(), kind: col.kind.label() });
                    }
                })
            })
            .collect::<Result<Vec<_>, FeatureError>>()?;
        let fitted = FittedRecipe { steps };
        if fitted.n_features() == 0 {
            return Err(FeatureError::NoFeatures);
        }
        Ok(fitted)
    }
}

/// A step with the numbers learned from the training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FittedStep {
    ImputeScale { column: String, median: f64, mean: f64, std: f64 },
    OneHot { column: String, fill: String, categories: Vec<String> },
    Tfidf { column: String, model: TfidfModel },
}

impl FittedStep {
    pub fn column(&self) -> &str {
        match self {
            FittedStep::ImputeScale { column, .. }
            | FittedStep::OneHot { column, .. }
            | FittedStep::Tfidf { column, .. } => column,
        }
    }

    pub fn width(&self) -> usize {
        match self {
            FittedStep::ImputeScale { .. } => 1,
            FittedStep::OneHot { categories, .. } => categories.len(),
            FittedStep::Tfidf { model, .. } => model.vocabulary.len(),
        }
    }
}

/// The fitted recipe: turns a dataset with the schema's columns into a numeric matrix.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FittedRecipe {
    pub steps: Vec<FittedStep>,
}

impl FittedRecipe {
    pub fn n_features(&self) -> usize {
        self.steps.iter().map(FittedStep::width).sum()
    }

    /// Per output feature, whether it is a word weight or a one-hot indicator of a dataset
    /// with text (naive Bayes treats those as counts); all false without a text column.
    pub fn count_features(&self) -> Vec<bool> {
        let text = self.has_text();
        self.steps
            .iter()
            .flat_map(|s| std::iter::repeat_n(text && !matches!(s, FittedStep::ImputeScale { .. }), s.width()))
            .collect()
    }

    /// Whether a step turns free text into word weights (thousands of mostly-zero features).
    pub fn has_text(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, FittedStep::Tfidf { .. }))
    }

    /// Names of the output features, e.g. `median_income`, `ocean_proximity=INLAND`, `text:free`.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.n_features());
        for step in &self.steps {
            match step {
                FittedStep::ImputeScale { column, .. } => names.push(column.clone()),
                FittedStep::OneHot { column, categories, .. } => {
                    names.extend(categories.iter().map(|c| format!("{column}={c}")))
                }
                FittedStep::Tfidf { column, model } => {
                    names.extend(model.vocabulary.iter().map(|w| format!("{column}:{w}")))
                }
            }
        }
        names
    }

    /// Transforms rows into the feature matrix (rows × features).
    pub fn transform(&self, ds: &Dataset) -> Result<Array2<f64>, FeatureError> {
        let p = self.n_features();
        let mut buf = vec![0.0; ds.n_rows() * p];
        self.for_each_cell(ds, |r, j, v| buf[r * p + j] = v)?;
        Array2::from_shape_vec((ds.n_rows(), p), buf).map_err(|_| FeatureError::NoRows)
    }

    /// The same matrix as compressed sparse rows (no dense rows × features allocation).
    pub fn transform_sparse(&self, ds: &Dataset) -> Result<Csr, FeatureError> {
        let mut cells = Vec::new();
        self.for_each_cell(ds, |r, j, v| cells.push((r, j, v)))?;
        Ok(Csr::from_cells(ds.n_rows(), self.n_features(), &cells))
    }

    /// Calls `cell(row, feature, value)` for every feature value that may be non-zero, step by
    /// step, so within a row features arrive in increasing order.
    fn for_each_cell(&self, ds: &Dataset, mut cell: impl FnMut(usize, usize, f64)) -> Result<(), FeatureError> {
        let mut offset = 0;
        for step in &self.steps {
            let col = ds.column(step.column()).ok_or_else(|| FeatureError::MissingColumn(step.column().into()))?;
            match (step, &col.values) {
                (FittedStep::ImputeScale { median, mean, std, .. }, Values::Numeric(v)) => {
                    for (r, c) in v.iter().enumerate() {
                        cell(r, offset, (c.unwrap_or(*median) - mean) / std);
                    }
                }
                (FittedStep::OneHot { fill, categories, .. }, Values::Str(v)) => {
                    let index: HashMap<&str, usize> =
                        categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
                    for (r, c) in v.iter().enumerate() {
                        if let Some(&i) = index.get(c.as_deref().unwrap_or(fill)) {
                            cell(r, offset + i, 1.0);
                        }
                    }
                }
                (FittedStep::Tfidf { model, .. }, Values::Str(v)) => {
                    let index = model.index();
                    for (r, c) in v.iter().enumerate() {
                        for (j, w) in model.weights(&index, c.as_deref().unwrap_or("")) {
                            cell(r, offset + j, w);
                        }
                    }
                }
                _ => return Err(FeatureError::WrongKind { column: step.column().into(), kind: col.kind.label() }),
            }
            offset += step.width();
        }
        Ok(())
    }
}

fn fit_impute_scale(column: &str, v: &[Option<f64>]) -> FittedStep {
    let mut present: Vec<f64> = v.iter().flatten().copied().collect();
    // The median by selection (linear time), not a full sort.
    let median = match present.len() {
        0 => 0.0,
        n => {
            let (below, &mut upper, _) = present.select_nth_unstable_by(n / 2, f64::total_cmp);
            if n % 2 == 1 { upper } else { (below.iter().copied().fold(f64::NEG_INFINITY, f64::max) + upper) / 2.0 }
        }
    };
    // Scaling statistics over the imputed column, as a scaler after an imputer sees it.
    let n = v.len() as f64;
    let filled = || v.iter().map(|c| c.unwrap_or(median));
    let mean = filled().sum::<f64>() / n;
    let var = filled().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
    FittedStep::ImputeScale { column: column.to_string(), median, mean, std }
}

fn fit_one_hot(column: &str, v: &[Option<String>]) -> FittedStep {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in v.iter().flatten() {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    // Most frequent value; ties go to the alphabetically first, as scikit-learn does.
    let fill = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.to_string())
        .unwrap_or_default();
    if v.iter().any(Option::is_none) {
        counts.entry(fill.as_str()).or_default();
    }
    let mut categories: Vec<String> = counts.keys().map(|k| k.to_string()).collect();
    categories.sort();
    FittedStep::OneHot { column: column.to_string(), fill, categories }
}

#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("the recipe needs column '{0}', which the data does not have")]
    MissingColumn(String),
    #[error("column '{column}' is {kind}, which this recipe step cannot use")]
    WrongKind { column: String, kind: &'static str },
    #[error("there are no training rows to fit the recipe on")]
    NoRows,
    #[error("the recipe produces no features: the data needs at least one column besides the target")]
    NoFeatures,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    fn ds() -> Dataset {
        Dataset::new(
            "t",
            vec![
                Column::numeric("x", vec![Some(1.0), None, Some(3.0), Some(5.0)]),
                Column::strings("c", vec![Some("a".into()), Some("b".into()), None, Some("b".into())]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn impute_scale_and_one_hot_fit_on_training_rows() {
        let d = ds();
        let schema = Schema::from_dataset(&d, "none");
        let fitted = Recipe::default_for(&schema).fit(&d).unwrap();
        assert_eq!(fitted.feature_names(), vec!["x", "c=a", "c=b"]);
        let FittedStep::ImputeScale { median, .. } = fitted.steps[0] else { panic!() };
        assert_eq!(median, 3.0);
        let x = fitted.transform(&d).unwrap();
        // Missing x becomes the median, which standardises to mean(1,3,3,5)=3 -> 0.
        assert!((x[[1, 0]]).abs() < 1e-12);
        // Missing category is filled with the most frequent ("b").
        assert_eq!((x[[2, 1]], x[[2, 2]]), (0.0, 1.0));
    }

    #[test]
    fn unknown_category_is_all_zeros() {
        let d = ds();
        let fitted = Recipe::default_for(&Schema::from_dataset(&d, "x")).fit(&d).unwrap();
        let new = Dataset::new("n", vec![Column::strings("c", vec![Some("zzz".into())])]).unwrap();
        let x = fitted.transform(&new).unwrap();
        assert_eq!(x.row(0).to_vec(), vec![0.0, 0.0]);
    }
}
