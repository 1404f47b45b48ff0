//! Feature layer: a [`Recipe`] of steps, fitted on training rows only. The fitted recipe is
//! stored inside the pipeline so serving transforms rows with exactly the same code and numbers.

mod expr;
mod fit;
mod fixes;
mod recipe;
mod sparse;
mod step;
mod table;
mod text;

pub use crate::data::{DateTime, parse_datetime};
pub use expr::{Expr, ExprError};
pub use fixes::{fix_for, fixes_for};
pub use recipe::{Preview, RECIPE_VERSION, Recipe};
pub use sparse::Csr;
pub use step::{CoarsePart, DatePart, Impute, Power, RecipeStep, Scaling, Step, StepGroup};
pub use table::FittedTable;
pub use text::{TfidfModel, TfidfOptions, tokenize};

use crate::data::{Dataset, Strings, Values, format_number};
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;

/// A step with the numbers learned from the training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FittedStep {
    /// `(value, or median when missing − mean) / std`; with other imputations and scalings the
    /// same three numbers are the fill value, the centre and the scale.
    ImputeScale {
        column: String,
        median: f64,
        mean: f64,
        std: f64,
        /// A second feature: 1 where the value was missing.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        indicator: bool,
        /// Gaps stay missing (NaN) for a model that routes them; `median` is then unused.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        keep_missing: bool,
    },
    OneHot {
        column: String,
        fill: String,
        categories: Vec<String>,
        /// A last feature "(other)" for categories too rare in training (and unseen ones).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        other: bool,
        /// One feature holding the category's position instead of one 0/1 feature each.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        ordinal: bool,
    },
    Tfidf {
        column: String,
        model: TfidfModel,
    },
}

/// The name of the rare-category group.
pub const OTHER: &str = "(other)";

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
            FittedStep::ImputeScale { indicator, .. } => 1 + *indicator as usize,
            FittedStep::OneHot { ordinal: true, .. } => 1,
            FittedStep::OneHot { categories, other, .. } => categories.len() + *other as usize,
            FittedStep::Tfidf { model, .. } => model.vocabulary.len(),
        }
    }
}

/// The fitted recipe: turns a dataset with the schema's columns into a numeric matrix.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FittedRecipe {
    /// Table steps, replayed in order before the encodings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub table: Vec<FittedTable>,
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

    /// Per output feature, whether it holds a category's number (a "one number" encoding),
    /// which histogram boosting splits on as categories.
    pub fn category_features(&self) -> Vec<bool> {
        self.steps
            .iter()
            .flat_map(|s| std::iter::repeat_n(matches!(s, FittedStep::OneHot { ordinal: true, .. }), s.width()))
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
                FittedStep::ImputeScale { column, indicator, .. } => {
                    names.push(column.clone());
                    if *indicator {
                        names.push(format!("{column} was missing"));
                    }
                }
                FittedStep::OneHot { column, ordinal: true, .. } => names.push(format!("{column} (number)")),
                FittedStep::OneHot { column, categories, other, .. } => {
                    names.extend(categories.iter().map(|c| format!("{column}={c}")));
                    if *other {
                        names.push(format!("{column}={OTHER}"));
                    }
                }
                FittedStep::Tfidf { column, model } => {
                    names.extend(model.vocabulary.iter().map(|w| format!("{column}:{w}")))
                }
            }
        }
        names
    }

    /// The table after the table steps (the data itself when there are none).
    pub fn working<'a>(&self, ds: &'a Dataset) -> Result<Cow<'a, Dataset>, FeatureError> {
        if self.table.is_empty() {
            return Ok(Cow::Borrowed(ds));
        }
        let mut work = ds.clone();
        for step in &self.table {
            step.apply(&mut work)?;
        }
        Ok(Cow::Owned(work))
    }

    /// Transforms rows into the feature matrix (rows × features).
    pub fn transform(&self, ds: &Dataset) -> Result<Array2<f64>, FeatureError> {
        self.transform_rows(ds, &(0..ds.n_rows()).collect::<Vec<_>>())
    }

    /// The feature matrix of rows `rows` of `ds` (in that order), without copying the rows.
    /// Blocks of rows are transformed on all cores.
    pub fn transform_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<Array2<f64>, FeatureError> {
        let p = self.n_features();
        let ds = self.working(ds)?;
        let lookups = self.lookups(&ds)?;
        let mut buf = vec![0.0; rows.len() * p];
        // Blocks of rows on all cores; within a block, one column at a time, so the rows'
        // cells are fetched from one column (cache-friendly even when `rows` is shuffled).
        const BLOCK: usize = 2048;
        if p > 0 {
            buf.par_chunks_mut(BLOCK * p).zip(rows.par_chunks(BLOCK)).for_each(|(out, block)| {
                let mut offset = 0;
                for (step, lookup) in self.steps.iter().zip(&lookups) {
                    for (r, &row) in block.iter().enumerate() {
                        lookup.cells(row, &mut |j, v| out[r * p + offset + j] = v);
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

    /// Sparse rows of rows `rows` of `ds`: every feature value that may be non-zero, row by
    /// row, so within a row features arrive in increasing order.
    pub fn transform_sparse_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<Csr, FeatureError> {
        let ds = self.working(ds)?;
        let lookups = self.lookups(&ds)?;
        let mut cells = Vec::new();
        for (r, &row) in rows.iter().enumerate() {
            let mut offset = 0;
            for (step, lookup) in self.steps.iter().zip(&lookups) {
                lookup.cells(row, &mut |j, v| cells.push((r, offset + j, v)));
                offset += step.width();
            }
        }
        Ok(Csr::from_cells(rows.len(), self.n_features(), &cells))
    }

    /// Each step's column of `ds` with what it needs to look values up, checked once.
    fn lookups<'a>(&'a self, ds: &'a Dataset) -> Result<Vec<Lookup<'a>>, FeatureError> {
        self.steps
            .iter()
            .map(|step| {
                let col = ds.column(step.column()).ok_or_else(|| FeatureError::MissingColumn(step.column().into()))?;
                Ok(match (step, &col.values) {
                    (
                        FittedStep::ImputeScale { median, mean, std, indicator, keep_missing, .. },
                        Values::Numeric(v),
                    ) => Lookup::Scale {
                        v: v.raw(),
                        median: if *keep_missing { f64::NAN } else { *median },
                        mean: *mean,
                        inv_std: 1.0 / std,
                        indicator: *indicator,
                    },
                    (FittedStep::OneHot { fill, categories, other, ordinal, .. }, values) => {
                        let v: Cow<'a, Strings> = match values {
                            Values::Str(v) => Cow::Borrowed(v),
                            Values::Numeric(v) => Cow::Owned(v.iter().map(|x| x.map(format_number)).collect()),
                        };
                        // Each distinct value is looked up once; rows then go by their code.
                        let index: HashMap<&str, usize> =
                            categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
                        let other = other.then_some(categories.len());
                        let find = |s: &str| index.get(s).copied().or(other);
                        let by_code = v.dict().iter().map(|s| find(s)).collect();
                        Lookup::OneHot { missing: find(fill), by_code, v, ordinal: *ordinal }
                    }
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
}

/// A step's column and its lookup table, ready to transform rows.
enum Lookup<'a> {
    /// Multiplies by `1 / std` (rather than dividing) so that an exported ONNX graph, which
    /// runtimes may rewrite the same way, computes bit-identical features.
    Scale {
        /// Raw cells, NaN = missing.
        v: &'a [f64],
        median: f64,
        mean: f64,
        inv_std: f64,
        indicator: bool,
    },
    OneHot {
        v: Cow<'a, Strings>,
        /// The feature of each dictionary entry of `v` (`None`: no feature), and of a missing cell.
        by_code: Vec<Option<usize>>,
        missing: Option<usize>,
        ordinal: bool,
    },
    Tfidf {
        v: &'a Strings,
        model: &'a TfidfModel,
        index: HashMap<&'a str, usize>,
    },
}

impl Lookup<'_> {
    /// Calls `cell(j, value)` for each feature `j` of this step (counted from the step's first
    /// feature) that may be non-zero in row `row`, in increasing `j`.
    #[inline]
    fn cells(&self, row: usize, cell: &mut impl FnMut(usize, f64)) {
        match self {
            Lookup::Scale { v, median, mean, inv_std, indicator } => {
                let x = v[row];
                cell(0, (if x.is_nan() { *median } else { x } - mean) * inv_std);
                if *indicator {
                    cell(1, x.is_nan() as u8 as f64);
                }
            }
            Lookup::OneHot { v, by_code, missing, ordinal } => {
                let found = by_code.get(v.codes()[row] as usize).copied().unwrap_or(*missing);
                match (ordinal, found) {
                    (true, Some(i)) => cell(0, i as f64),
                    (true, None) => cell(0, -1.0),
                    (false, Some(i)) => cell(i, 1.0),
                    (false, None) => {}
                }
            }
            Lookup::Tfidf { v, model, index } => {
                for (j, w) in model.weights(index, v.get(row).unwrap_or("")) {
                    cell(j, w);
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("the recipe needs column '{0}', which the data does not have (or an earlier step dropped)")]
    MissingColumn(String),
    #[error("column '{column}' is {kind}, which this recipe step cannot use")]
    WrongKind { column: String, kind: &'static str },
    #[error("recipe step {step}: {message}")]
    Step { step: String, message: String },
    #[error("there are no training rows to fit the recipe on")]
    NoRows,
    #[error(
        "the recipe leaves no features: the data needs at least one column besides the target that a model can use (a constant, ID-like or name-like column is left out)"
    )]
    NoFeatures,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, Schema};

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
    fn step_names_are_the_saved_tags() {
        let names = [
            "drop_duplicates",
            "drop_missing_target",
            "drop",
            "power",
            "clip",
            "bin",
            "date_parts",
            "derived",
            "impute_scale",
            "one_hot",
            "tfidf",
        ];
        for name in names {
            let json = serde_json::json!({"step": name, "column": "x", "name": "y", "expression": "x + 1"});
            let step: Step = serde_json::from_value(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(step.name(), name);
            assert_eq!(serde_json::to_value(&step).unwrap()["step"], name);
        }
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
