//! The one `Pipeline` type: input schema + fitted feature recipe + model + target. Training
//! produces it, bundles store it, `cairn predict` and `cairn serve` load and run it.

use super::metrics::{Metrics, Report};
use super::{FittedModel, ModelOutput, Task, TrainError, argmax};
use crate::data::{Dataset, Schema};
use crate::features::{FeatureError, FittedRecipe, Recipe};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub task: Task,
    /// Sorted class labels (classification only); the last is the positive class of a binary task.
    #[serde(default)]
    pub classes: Vec<String>,
}

/// How the pipeline was trained (for tracking and the Deploy/metadata views).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainInfo {
    pub model: String,
    /// The model's settings.
    #[serde(default = "default_params")]
    pub params: super::Params,
    pub seed: u64,
    pub test_size: f64,
    pub train_rows: usize,
    pub test_rows: usize,
    pub n_features: usize,
    /// sha256 of the training data's content (see `track::dataset_hash`).
    pub data_hash: String,
    pub device: String,
    pub train_seconds: f64,
    pub created_unix: u64,
    pub app_version: String,
    /// Regression: the training target's deciles (10 %, 20 % … 90 %, then the maximum), the
    /// buckets the server's prediction histogram uses.
    #[serde(default)]
    pub target_quantiles: Vec<f64>,
    /// How "Automatic" chose the model, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic: Option<super::automatic::AutoChoice>,
}

fn default_params() -> super::Params {
    super::Params::defaults(super::ModelKind::Linear)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub schema: Schema,
    pub recipe: Recipe,
    pub fitted_recipe: FittedRecipe,
    pub model: FittedModel,
    pub target: Target,
    pub info: TrainInfo,
    /// Test-set metrics at training time.
    pub metrics: Metrics,
    /// One training row, used to pre-fill the serving form.
    pub example: Map<String, Value>,
    /// What the model is for and who uses its answers, in the owner's words (the model card's
    /// "Intended use").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub intended_use: String,
    /// Per-group decision thresholds (a fairness mitigation), applied when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<super::groups::GroupThresholds>,
    /// What explanations compare a row with (see `eval::explain`); empty in older bundles.
    #[serde(default)]
    pub reference: Reference,
    /// A forecast pipeline's series, method and backtest (see `train::forecast`); its recipe
    /// and model are then the lag regression's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<Box<super::forecast::Forecaster>>,
    /// Maps the model's class probabilities to calibrated ones (`--calibrate`), applied to
    /// every prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrator: Option<super::calibration::Calibrator>,
    /// How pictures became the input columns (encoder id + sha256, simple pixels), when the
    /// training data was a folder of pictures: `predict` and `serve` make the same columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pictures: Option<crate::data::PictureSource>,
}

/// The training data's reference point for explanations: each feature's mean over the
/// training rows, and a small seeded sample of training rows (input columns, personal data
/// left out) that the sampling Shapley estimate and old-bundle fallbacks average over.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(default)]
    pub feature_means: Vec<f64>,
    #[serde(default)]
    pub rows: Vec<Map<String, Value>>,
}

/// How many training rows a bundle keeps as the explanations' background sample.
pub const REFERENCE_ROWS: usize = 100;

impl Reference {
    /// Feature means of the training features (dense or sparse) and a seeded sample of
    /// `REFERENCE_ROWS` training rows of `ds` as records.
    pub(crate) fn from_training(
        ds: &Dataset,
        rows: &[usize],
        schema: &Schema,
        dense: Option<&ndarray::Array2<f64>>,
        sparse: Option<&crate::features::Csr>,
        seed: u64,
    ) -> Reference {
        let feature_means = match (dense, sparse) {
            // Means of the present values (histogram boosting keeps gaps as NaN).
            (Some(x), _) => x
                .columns()
                .into_iter()
                .map(|c| {
                    let (sum, n) = c.iter().filter(|v| !v.is_nan()).fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
                    if n == 0 { 0.0 } else { sum / n as f64 }
                })
                .collect(),
            (None, Some(x)) => {
                let mut sums = vec![0.0; x.ncols];
                (0..x.nrows()).flat_map(|i| x.row(i)).for_each(|(j, v)| sums[j] += v);
                sums.iter().map(|s| s / x.nrows().max(1) as f64).collect()
            }
            (None, None) => vec![],
        };
        let mut picked = rows.to_vec();
        crate::util::Rng::new(seed ^ 0x5EED_E8A1).shuffle(&mut picked);
        picked.truncate(REFERENCE_ROWS);
        let rows = picked.iter().map(|&r| example_record(ds, &[r], schema)).collect();
        Reference { feature_means, rows }
    }
}

/// Predictions for a batch of rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Prediction {
    Regression(Vec<f64>),
    Classification {
        labels: Vec<String>,
        /// Per row, the probability of each class in `Pipeline::target.classes` order.
        probabilities: Vec<Vec<f64>>,
    },
}

impl Prediction {
    pub fn len(&self) -> usize {
        match self {
            Prediction::Regression(v) => v.len(),
            Prediction::Classification { labels, .. } => labels.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A user's top items (see [`Pipeline::recommend`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendations {
    pub user_column: String,
    pub item_column: String,
    /// False when the user had no ratings in training (the items are then the best on average).
    pub known_user: bool,
    /// How many items the user rated in training (left out of the list).
    pub rated: usize,
    /// (item, predicted rating), best first.
    pub items: Vec<(String, f64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("this model ({0}) does not recommend items: train with --task recommendation")]
    NotRecommender(&'static str),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Features(#[from] FeatureError),
    #[error("the model expects {expected} features but the recipe made {got}: the bundle is inconsistent")]
    Shape { expected: usize, got: usize },
    #[error("this is a forecasting model: ask it for the next values (cairn predict BUNDLE HISTORY, POST /forecast)")]
    Forecast,
    #[error(
        "this model decides with per-group thresholds by '{0}': the input needs that column (or switch the thresholds off)"
    )]
    NoGroupColumn(String),
}

impl Pipeline {
    /// Predicts every row of `ds`. Columns are matched by name (extra columns are ignored) and
    /// converted to the kinds seen in training; a missing column is an error naming it.
    pub fn predict(&self, ds: &Dataset) -> Result<Prediction, PipelineError> {
        Ok(match self.model_output(ds)? {
            ModelOutput::Values(v) => Prediction::Regression(v),
            ModelOutput::Probabilities(p) => {
                let probabilities: Vec<Vec<f64>> = p.rows().into_iter().map(|r| r.to_vec()).collect();
                let mut labels: Vec<String> =
                    probabilities.iter().map(|r| self.target.classes[argmax(r.iter().copied())].clone()).collect();
                if let Some(t) = self.thresholds.as_ref().filter(|t| t.enabled) {
                    let group = ds.column(&t.column).ok_or_else(|| PipelineError::NoGroupColumn(t.column.clone()))?;
                    t.apply(&self.target.classes, &group.values, &probabilities, &mut labels);
                }
                Prediction::Classification { labels, probabilities }
            }
        })
    }

    /// The model's raw output (values or class probabilities) for every row of `ds`.
    fn model_output(&self, ds: &Dataset) -> Result<ModelOutput, PipelineError> {
        let mut output = self.model.predict(&self.features(ds)?);
        if let (Some(c), ModelOutput::Probabilities(p)) = (&self.calibrator, &mut output) {
            c.apply(p);
        }
        Ok(output)
    }

    /// The feature rows the recipe makes of `ds`, checked against what the model expects.
    pub fn features(&self, ds: &Dataset) -> Result<ndarray::Array2<f64>, PipelineError> {
        if self.forecast.is_some() {
            return Err(PipelineError::Forecast);
        }
        let input = self.schema.coerce(ds)?;
        let x = self.fitted_recipe.transform(&input)?;
        if x.ncols() != self.model.n_inputs() {
            return Err(PipelineError::Shape { expected: self.model.n_inputs(), got: x.ncols() });
        }
        Ok(x)
    }

    /// Scores the pipeline on labelled rows: `ds` must hold the target column; rows without a
    /// target value (or, for classes, with a class unseen in training) are left out.
    pub fn evaluate(&self, ds: &Dataset) -> Result<Report, TrainError> {
        let (rows, y, _) = super::labelled(ds, &self.target.name, self.target.task)?;
        if rows.n_rows() == 0 {
            return Err(TrainError::EmptyTarget(self.target.name.clone()));
        }
        super::score::score(&self.model, &self.features(&rows)?, &y, &self.target.classes)
    }

    /// The human name of the model, e.g. "Linear regression".
    pub fn model_display_name(&self) -> &'static str {
        if let Some(f) = &self.forecast {
            return f.method.display_name();
        }
        self.model.kind().display_name()
    }

    /// The model's settings in one line ("max_depth=5"); an ensemble's are the models it
    /// averages ("average of Logistic regression, Random forest and Linear SVM").
    pub fn settings_summary(&self) -> String {
        match &self.model {
            FittedModel::Ensemble(e) => format!("average of {}", e.describe()),
            _ => self.info.params.summary(),
        }
    }

    /// What the model does, in words: "predicting 'price'" or "finding 3 groups".
    pub fn goal(&self) -> String {
        match (self.target.task, self.target.name.as_str()) {
            (Task::Clustering, "") => format!("finding {} groups", self.target.classes.len()),
            (Task::Clustering, t) => format!("finding {} groups (checked against '{t}')", self.target.classes.len()),
            (_, t) => format!("predicting '{t}'"),
        }
    }

    /// The `n` items user `user` is predicted to rate highest, among those they did not rate
    /// in training, best first (recommendation pipelines only). The user's name is as written
    /// in the user column; an unknown user gets the items with the highest average appeal.
    pub fn recommend(&self, user: &str, n: usize) -> Result<Recommendations, PipelineError> {
        let FittedModel::Factorization(model) = &self.model else {
            return Err(PipelineError::NotRecommender(self.model_display_name()));
        };
        let ids: Vec<(&str, &[String])> = self
            .fitted_recipe
            .steps
            .iter()
            .filter_map(|s| match s {
                crate::features::FittedStep::OneHot { column, categories, ordinal: true, .. } => {
                    Some((column.as_str(), categories.as_slice()))
                }
                _ => None,
            })
            .collect();
        let [(user_column, users), (item_column, items)] = ids[..] else {
            return Err(PipelineError::NotRecommender(self.model_display_name()));
        };
        let u = users.iter().position(|x| x == user.trim());
        let scored = model.recommend(u, n);
        Ok(Recommendations {
            user_column: user_column.to_string(),
            item_column: item_column.to_string(),
            known_user: u.is_some(),
            rated: u.map_or(0, |u| model.rated.get(u).map_or(0, Vec::len)),
            items: scored.into_iter().filter_map(|(i, r)| Some((items.get(i)?.clone(), r))).collect(),
        })
    }

    /// Features ranked by the size of their weight (largest first), at most `n`.
    pub fn top_features(&self, n: usize) -> Vec<(String, f64)> {
        let mut pairs: Vec<(String, f64)> =
            self.fitted_recipe.feature_names().into_iter().zip(self.model.weights()).collect();
        pairs.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        pairs.truncate(n);
        pairs
    }
}

/// The first of `rows` with no missing input cell (else the first), as a JSON record of the
/// schema's columns.
pub(crate) fn example_record(ds: &Dataset, rows: &[usize], schema: &Schema) -> Map<String, Value> {
    let columns: Vec<_> = schema.columns.iter().filter_map(|sc| ds.column(&sc.name)).collect();
    let mut out = Map::new();
    let Some(&first) = rows.first() else { return out };
    let row = rows.iter().copied().find(|&r| columns.iter().all(|c| !c.values.is_missing(r))).unwrap_or(first);
    for c in columns {
        // A training row's personal data stays out of the bundle (the example is shown on the
        // serving form): the field is left empty.
        let value = if schema.personal.contains(&c.name) { Value::Null } else { c.values.json(row) };
        out.insert(c.name.clone(), value);
    }
    out
}
