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
        self.fit_rows(train, &(0..train.n_rows()).collect::<Vec<_>>())
    }

    /// Fits every step on the rows `rows` of `ds` (the training rows only), without copying them.
    pub fn fit_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<FittedRecipe, FeatureError> {
        if rows.is_empty() {
            return Err(FeatureError::NoRows);
        }
        let train = ds;
        // Steps are independent: fit them in parallel.
        let steps = self
            .steps
            .par_iter()
            .map(|step| {
                let col =
                    train.column(step.column()).ok_or_else(|| FeatureError::MissingColumn(step.column().into()))?;
                Ok(match (step, &col.values) {
                    (Step::ImputeScale { column }, Values::Numeric(v)) => fit_impute_scale(column, v, rows),
                    (Step::OneHot { column }, Values::Str(v)) => fit_one_hot(column, v, rows),
                    (Step::Tfidf { column }, Values::Str(v)) => FittedStep::Tfidf {
                        column: column.clone(),
                        model: TfidfModel::fit(rows.iter().map(|&i| v[i].as_deref())),
                    },
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
        self.transform_rows(ds, &(0..ds.n_rows()).collect::<Vec<_>>())
    }

    /// The feature matrix of rows `rows` of `ds` (in that order), without copying the rows.
    /// Blocks of rows are transformed on all cores.
    pub fn transform_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<Array2<f64>, FeatureError> {
        let p = self.n_features();
        let lookups = self.lookups(ds)?;
        let mut buf = vec![0.0; rows.len() * p];
        // Blocks of rows on all cores; within a block, one column at a time, so the rows'
        // cells are fetched from one column (cache-friendly even when `rows` is shuffled).
        const BLOCK: usize = 2048;
        if p > 0 {
            buf.par_chunks_mut(BLOCK * p).zip(rows.par_chunks(BLOCK)).for_each(|(out, block)| {
                let mut offset = 0;
                for (step, lookup) in self.steps.iter().zip(&lookups) {
                    match lookup {
                        Lookup::Scale { v, median, mean, inv_std } => {
                            for (r, &row) in block.iter().enumerate() {
                                out[r * p + offset] = (v[row].unwrap_or(*median) - mean) * inv_std;
                            }
                        }
                        Lookup::OneHot { v, fill, index } => {
                            for (r, &row) in block.iter().enumerate() {
                                if let Some(&i) = index.get(v[row].as_deref().unwrap_or(fill)) {
                                    out[r * p + offset + i] = 1.0;
                                }
                            }
                        }
                        Lookup::Tfidf { v, model, index } => {
                            for (r, &row) in block.iter().enumerate() {
                                for (j, w) in model.weights(index, v[row].as_deref().unwrap_or("")) {
                                    out[r * p + offset + j] = w;
                                }
                            }
                        }
                    }
                    offset += step.width();
                }
            });
        }
        Array2::from_shape_vec((rows.len(), p), buf).map_err(|_| FeatureError::NoRows)
    }

    /// The same matrix as compressed sparse rows (no dense rows × features allocation).
    pub fn transform_sparse(&self, ds: &Dataset) -> Result<Csr, FeatureError> {
        self.transform_sparse_rows(ds, &(0..ds.n_rows()).collect::<Vec<_>>())
    }

    /// Sparse rows of rows `rows` of `ds`.
    pub fn transform_sparse_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<Csr, FeatureError> {
        let lookups = self.lookups(ds)?;
        let mut cells = Vec::new();
        self.for_each_cell(&lookups, rows, |r, j, v| cells.push((r, j, v)));
        Ok(Csr::from_cells(rows.len(), self.n_features(), &cells))
    }

    /// Each step's column of `ds` with what it needs to look values up, checked once.
    fn lookups<'a>(&'a self, ds: &'a Dataset) -> Result<Vec<Lookup<'a>>, FeatureError> {
        self.steps
            .iter()
            .map(|step| {
                let col = ds.column(step.column()).ok_or_else(|| FeatureError::MissingColumn(step.column().into()))?;
                Ok(match (step, &col.values) {
                    (FittedStep::ImputeScale { median, mean, std, .. }, Values::Numeric(v)) => {
                        Lookup::Scale { v, median: *median, mean: *mean, inv_std: 1.0 / std }
                    }
                    (FittedStep::OneHot { fill, categories, .. }, Values::Str(v)) => Lookup::OneHot {
                        v,
                        fill,
                        index: categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect(),
                    },
                    (FittedStep::Tfidf { model, .. }, Values::Str(v)) => {
                        Lookup::Tfidf { v, model, index: model.index() }
                    }
                    _ => {
                        return Err(FeatureError::WrongKind { column: step.column().into(), kind: col.kind.label() });
                    }
                })
            })
            .collect()
    }

    /// Calls `cell(position, feature, value)` for every feature value of the given rows that may
    /// be non-zero, row by row, so within a row features arrive in increasing order.
    fn for_each_cell(&self, lookups: &[Lookup], rows: &[usize], mut cell: impl FnMut(usize, usize, f64)) {
        for (r, &row) in rows.iter().enumerate() {
            let mut offset = 0;
            for (step, lookup) in self.steps.iter().zip(lookups) {
                match lookup {
                    Lookup::Scale { v, median, mean, inv_std } => {
                        cell(r, offset, (v[row].unwrap_or(*median) - mean) * inv_std)
                    }
                    Lookup::OneHot { v, fill, index } => {
                        if let Some(&i) = index.get(v[row].as_deref().unwrap_or(fill)) {
                            cell(r, offset + i, 1.0);
                        }
                    }
                    Lookup::Tfidf { v, model, index } => {
                        for (j, w) in model.weights(index, v[row].as_deref().unwrap_or("")) {
                            cell(r, offset + j, w);
                        }
                    }
                }
                offset += step.width();
            }
        }
    }
}

/// A step's column and its lookup table, ready to transform rows.
enum Lookup<'a> {
    /// Multiplies by `1 / std` (rather than dividing) so that an exported ONNX graph, which
    /// runtimes may rewrite the same way, computes bit-identical features.
    Scale {
        v: &'a [Option<f64>],
        median: f64,
        mean: f64,
        inv_std: f64,
    },
    OneHot {
        v: &'a [Option<String>],
        fill: &'a str,
        index: HashMap<&'a str, usize>,
    },
    Tfidf {
        v: &'a [Option<String>],
        model: &'a TfidfModel,
        index: HashMap<&'a str, usize>,
    },
}

fn fit_impute_scale(column: &str, v: &[Option<f64>], rows: &[usize]) -> FittedStep {
    let cells: Vec<Option<f64>> = rows.iter().map(|&i| v[i]).collect();
    let mut present: Vec<f64> = cells.iter().flatten().copied().collect();
    // The median by selection (linear time), not a full sort.
    let median = match present.len() {
        0 => 0.0,
        n => {
            let (below, &mut upper, _) = present.select_nth_unstable_by(n / 2, f64::total_cmp);
            if n % 2 == 1 { upper } else { (below.iter().copied().fold(f64::NEG_INFINITY, f64::max) + upper) / 2.0 }
        }
    };
    // Scaling statistics over the imputed column, as a scaler after an imputer sees it.
    let n = rows.len() as f64;
    let filled = || cells.iter().map(|c| c.unwrap_or(median));
    let mean = filled().sum::<f64>() / n;
    let var = filled().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
    FittedStep::ImputeScale { column: column.to_string(), median, mean, std }
}

fn fit_one_hot(column: &str, v: &[Option<String>], rows: &[usize]) -> FittedStep {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for s in rows.iter().filter_map(|&i| v[i].as_deref()) {
        *counts.entry(s).or_default() += 1;
    }
    // Most frequent value; ties go to the alphabetically first, as scikit-learn does.
    let fill = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.to_string())
        .unwrap_or_default();
    if rows.iter().any(|&i| v[i].is_none()) {
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
