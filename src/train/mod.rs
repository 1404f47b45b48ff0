//! Training layer: from a dataset and a target column to a fitted [`Pipeline`] and its test
//! report. Long-running callers (the GUI) pass a progress callback and run this off the UI thread.

mod augment;
pub mod automatic;
mod bayes;
mod binned;
mod boosting;
pub mod calibration;
pub mod cv;
pub mod ensemble;
pub mod factorization;
mod fit;
pub mod forecast;
pub mod groups;
pub mod hist_boost;
mod kmeans;
mod knn;
pub mod leaderboard;
mod linear;
mod logistic;
pub mod metrics;
mod mlp;
mod models;
mod mt;
pub mod params;
mod pipeline;
mod prepare;
pub mod retrain;
mod score;
use score::score_rows;
pub mod split;
mod svm;
pub mod tree;
pub(crate) mod tree_codec;
pub mod tune;

pub use crate::data::{Task, detect_task};
pub use fit::fit_model;
pub use mlp::{FitControl, Mlp};
pub use models::{FitInput, FitTarget, FittedModel, MODEL_NAMES, ModelKind, ModelOutput};
pub use params::{ModelSettings, ParamKind, ParamSpec, ParamValue, Params, Settings};
pub use pipeline::{
    Pipeline, PipelineError, Prediction, REFERENCE_ROWS, Recommendations, Reference, Target, TrainInfo,
};
pub(crate) use prepare::{Prepared, prepare};
use prepare::{TargetValues, class_index, labelled};
pub use prepare::{default_recipe, default_recipe_with, ratings_columns, resolve_task};

use crate::data::{Dataset, Schema};
use crate::features::{FeatureError, FittedRecipe, Recipe};
use crate::gpu::DeviceChoice;
use crate::gpu::net::EpochStats;
use metrics::Report;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Most classes a classifier is trained on; beyond this the target is almost surely a number.
pub const MAX_CLASSES: usize = 200;

/// The task the user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskChoice {
    #[default]
    Auto,
    Regression,
    Classification,
    Clustering,
    Recommendation,
    /// The next values of a time series (needs a time column).
    Forecast,
}

impl TaskChoice {
    pub fn parse(s: &str) -> Result<Self, TrainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(TaskChoice::Auto),
            "regression" => Ok(TaskChoice::Regression),
            "classification" => Ok(TaskChoice::Classification),
            "clustering" => Ok(TaskChoice::Clustering),
            "recommendation" => Ok(TaskChoice::Recommendation),
            "forecast" | "forecasting" => Ok(TaskChoice::Forecast),
            other => Err(TrainError::Config(format!(
                "unknown task '{other}' (use auto, regression, classification, clustering, recommendation or forecast)"
            ))),
        }
    }
}

/// Everything a training run needs besides the data.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// The column to predict. Empty only for clustering, where a target is optional (when
    /// given, it is left out of the features and only used to check the clusters).
    pub target: String,
    pub task: TaskChoice,
    /// `None` picks the default model for the task.
    pub model: Option<ModelKind>,
    /// Settings of the model; `None` (or settings of another model) means its defaults.
    pub params: Option<Params>,
    pub seed: u64,
    pub test_size: f64,
    /// Set from another thread to stop a long fit early (boosting stops between rounds; a
    /// neural network stops between batches and keeps its best weights so far).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Where neural networks (and, with `Gpu`, linear/logistic regression) train.
    pub device: DeviceChoice,
    /// While set, a neural network's training waits between batches.
    pub pause: Option<Arc<AtomicBool>>,
    /// Receives a neural network's loss and metric after every epoch (the live curves).
    pub on_epoch: Option<EpochSink>,
    /// The feature recipe; `None` uses the one proposed from the data's profile.
    pub recipe: Option<Recipe>,
    /// Split by time instead of at random: the latest rows by this date (or number) column
    /// are the test rows, as when a model is used on the future.
    pub time_column: Option<String>,
    /// Forecasting: the column naming each series, the steps to forecast and the frequency
    /// (see `forecast::ForecastConfig`).
    pub series_column: Option<String>,
    pub horizon: Option<usize>,
    pub frequency: Option<crate::data::series::Frequency>,
    /// A file too large for memory was streamed (`data::stream`): the data given to [`train`]
    /// is a sample, and the recipe's number statistics are fitted from every streamed
    /// training row instead.
    pub streamed: Option<Arc<crate::data::stream::ColumnStatistics>>,
    /// Calibrate a classifier's probabilities on out-of-fold predictions of the training rows
    /// (`train::calibration`).
    pub calibration: Option<calibration::Calibration>,
    /// "Try all models": no model starts once this many seconds have passed (a model started
    /// within the budget finishes); the ones left are listed as not tried. Automatic: the
    /// comparison's budget (default 30 s).
    pub time_budget: Option<f64>,
    /// "Automatic" with no model chosen: compare fast candidates by quick cross-validation
    /// and train the best ([`automatic`]); without it, no model means the task's default.
    pub automatic: bool,
    /// Pictures: this many augmented copies (mirror, tighter crop, small rotations) of each
    /// training picture join the training rows; the test rows stay the originals.
    pub augment: usize,
    /// An ensemble's models (Try all's best ones); empty: the fast default ones.
    pub ensemble: Vec<ModelKind>,
}

/// A callback for per-epoch training statistics, shareable across threads.
#[derive(Clone)]
pub struct EpochSink(pub Arc<dyn Fn(&EpochStats) + Send + Sync>);

impl std::fmt::Debug for EpochSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EpochSink")
    }
}

impl TrainConfig {
    pub fn new(target: impl Into<String>) -> Self {
        TrainConfig {
            target: target.into(),
            task: TaskChoice::Auto,
            model: None,
            params: None,
            seed: 42,
            test_size: 0.2,
            cancel: None,
            device: DeviceChoice::Auto,
            pause: None,
            on_epoch: None,
            recipe: None,
            time_column: None,
            series_column: None,
            horizon: None,
            frequency: None,
            streamed: None,
            calibration: None,
            time_budget: None,
            automatic: false,
            augment: 0,
            ensemble: Vec::new(),
        }
    }

    /// The settings for `model`: the configured ones if they are for this model, else defaults.
    pub fn params_for(&self, model: ModelKind) -> Params {
        self.params.clone().filter(|p| p.model == model).unwrap_or_else(|| Params::defaults(model))
    }

    /// The settings for `model`, typed and checked (see [`Settings::from_params`]).
    pub fn settings_for(&self, model: ModelKind) -> Result<Settings, TrainError> {
        Settings::from_params(&self.params_for(model))
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }

    pub fn paused(&self) -> bool {
        self.pause.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// A finished run: the pipeline to save or serve, and the test-set report to show.
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    pub pipeline: Pipeline,
    pub report: Report,
    /// Row number in the input data of each test row the report scores (empty when scored on
    /// a separate test file), so the app can show the rows behind a mistake.
    pub test_source_rows: Vec<usize>,
}

impl TrainOutcome {
    /// The score to show a person: "R² 0.759", or for a recommender "RMSE 0.954" (its R² reads
    /// as poor even when it works: ratings hold much noise no model can predict).
    pub fn score_text(&self) -> String {
        match self.report.metrics {
            metrics::Metrics::Regression { rmse, .. } if self.pipeline.target.task == Task::Recommendation => {
                format!("RMSE {rmse:.3}")
            }
            ref m => format!("{} {:.3}", m.headline_label(), m.headline().1),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Features(#[from] FeatureError),
    #[error("{0}")]
    Config(String),
    #[error("target column '{column}' is {kind}: regression needs numbers (try --task classification)")]
    NonNumericTarget { column: String, kind: &'static str },
    #[error("target column '{0}' has no values")]
    EmptyTarget(String),
    #[error("the target has only one class in the training rows; a classifier needs at least two")]
    OneClass,
    #[error("model '{name}' is a {model_task} model, but the task is {task}")]
    TaskMismatch { name: &'static str, model_task: &'static str, task: &'static str },
    #[error("model '{name}' is not available yet (available: {available})")]
    ModelUnavailable { name: String, available: String },
    #[error("unknown model '{name}' (known: {known})")]
    UnknownModel { name: String, known: String },
    #[error("the {0} task is not available yet")]
    TaskUnavailable(&'static str),
    #[error(
        "target column '{column}' has {classes} different values: too many classes to learn \
         (if it is a number to predict, use --task regression)"
    )]
    TooManyClasses { column: String, classes: usize },
    #[error("too few rows: {rows} with a target value; need at least {needed}")]
    TooFewRows { rows: usize, needed: usize },
    #[error("test file: {0}")]
    TestData(String),
    #[error("fitting failed: {0}")]
    Fit(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// Trains a pipeline. Without `test`, `data` is split (seeded, stratified for classes); with
/// `test`, the model fits on all of `data` and is scored on `test`.
pub fn train(
    data: &Dataset,
    test: Option<&Dataset>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<TrainOutcome, TrainError> {
    if cfg.task == TaskChoice::Forecast {
        return forecast::train_forecast(data, &forecast::ForecastConfig::from_train(cfg)?, progress);
    }
    let started = Instant::now();
    // Automatic: a quick comparison picks the model, which then trains as if chosen.
    let picked;
    let mut choice = None;
    let cfg = if cfg.automatic && cfg.model.is_none() && cfg.params.is_none() {
        choice = automatic::choose(data, cfg, progress)?;
        match &choice {
            Some(c) => {
                picked = TrainConfig { model: Some(ModelKind::parse(&c.chosen)?), automatic: false, ..cfg.clone() };
                progress(&c.summary());
                &picked
            }
            None => cfg,
        }
    } else {
        cfg
    };
    progress("Preparing rows");
    let prepared = prepare(data, cfg, test.is_none())?;
    // The data's fingerprint (for tracking) is computed on another core meanwhile.
    std::thread::scope(|s| {
        let hash = s.spawn(|| crate::data::dataset_hash(&prepared.data));
        let mut outcome = fit_prepared(&prepared, test, cfg, progress, started)?;
        outcome.pipeline.info.data_hash = hash.join().unwrap_or_default();
        outcome.pipeline.info.automatic = choice;
        Ok(outcome)
    })
}

/// "Automatic" never means plain least squares on nearly as many features as rows: it
/// interpolates the training rows (test R² of −1.9 on a table with a title column kept
/// one-hot), where ridge regression generalises. A model the user chose is left alone.
fn automatic_for_width(
    model: ModelKind,
    cfg: &TrainConfig,
    features: usize,
    rows: usize,
    progress: &mut dyn FnMut(&str),
) -> ModelKind {
    if model == ModelKind::Linear && cfg.model.is_none() && cfg.params.is_none() && features * 2 >= rows {
        progress(&format!(
            "{features} features for {rows} training rows: ridge regression instead of plain least squares"
        ));
        return ModelKind::Ridge;
    }
    model
}

/// "Training Random forest (n_trees=50) on 16512 rows × 13 features".
fn training_line(model: ModelKind, params: &Params, rows: usize, features: usize) -> String {
    format!("Training {} ({}) on {rows} rows × {features} features", model.display_name(), params.summary())
}

/// Seconds since 1970 (0 when the clock is before it).
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Fits the recipe and the model on prepared rows and scores them (the body of [`train`]).
fn fit_prepared(
    prepared: &Prepared,
    test: Option<&Dataset>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&str),
    started: Instant,
) -> Result<TrainOutcome, TrainError> {
    let Prepared {
        data,
        y: y_all,
        task,
        model: model_kind,
        classes,
        strata: _,
        train_rows,
        test_rows,
        source_rows,
        recipe,
        augmented: _,
    } = prepared;
    let (task, model_kind) = (*task, *model_kind);
    // The model learns from the split's training rows in file order: the same rows as
    // scikit-learn's split, read front to back (several times faster than in shuffled order).
    let mut in_order = train_rows.clone();
    in_order.sort_unstable();
    let train_rows = &in_order;
    let schema = recipe.input_schema(data, &cfg.target);
    if schema.columns.is_empty() {
        return Err(FeatureError::NoFeatures.into());
    }
    // The rows are used in place (by index): no copies of the training or test part.
    let data_features = schema.coerce_cow(data)?;
    let test_file = test.map(|t| test_rows_of(t, &schema, &cfg.target, task)).transpose()?;
    let class_index = |labels: &[Option<String>]| class_index(classes, labels);

    progress("Fitting the feature recipe on the training rows");
    let recipe = recipe.clone();
    let fitted_recipe = recipe.fit_rows_with(&data_features, train_rows, cfg.streamed.as_deref())?;
    let model_kind = automatic_for_width(model_kind, cfg, fitted_recipe.n_features(), train_rows.len(), progress);
    let (x_train, x_train_sparse) = training_matrix(&fitted_recipe, &data_features, train_rows, model_kind)?;
    let (test_owned, test_y) = test_file.map_or_else(|| (None, y_all.take(test_rows)), |(x, y)| (Some(x), y));
    let (test_data, test_idx): (&Dataset, Vec<usize>) =
        test_owned.as_ref().map_or_else(|| (&*data_features, test_rows.clone()), |x| (x, (0..x.n_rows()).collect()));

    let params = cfg.params_for(model_kind);
    let settings = Settings::from_params(&params)?;
    progress(&training_line(model_kind, &params, train_rows.len(), fitted_recipe.n_features()));
    let mut numbers: Vec<f64> = Vec::new();
    let labels: Vec<usize>;
    let target = match &y_all {
        _ if task == Task::Clustering => FitTarget::Unlabelled,
        TargetValues::Numbers(v) => {
            numbers = train_rows.iter().map(|&i| v[i]).collect();
            FitTarget::Numbers(&numbers)
        }
        TargetValues::Classes(v) => {
            let idx = class_index(v);
            labels = train_rows.iter().map(|&i| idx[i]).collect();
            FitTarget::Classes(&labels, classes.len())
        }
    };
    let (count_features, categorical) = (fitted_recipe.count_features(), fitted_recipe.category_features());
    let (dense, sparse) = (x_train.as_ref(), x_train_sparse.as_ref());
    let input = FitInput { dense, sparse, count_features: &count_features, categorical: &categorical };
    let rows = (&fitted_recipe, &*data_features, &train_rows[..]);
    let (model, device_used) = fit_chosen(&settings, &input, target, (cfg, task), rows, progress)?;
    let train_seconds = started.elapsed().as_secs_f64();

    let resolved = (model_kind, &params, &recipe);
    let calibrator = fit_calibrator(prepared, train_rows, cfg, resolved, progress)?;

    progress("Scoring on the test rows");
    let report = score_rows(&model, calibrator.as_ref(), &fitted_recipe, test_data, &test_idx, &test_y, classes)?;

    let example = pipeline::example_record(&data_features, train_rows, &schema);
    let (dense, sparse) = (x_train.as_ref(), x_train_sparse.as_ref());
    let reference = pipeline::Reference::from_training(&data_features, train_rows, &schema, dense, sparse, cfg.seed);
    let target = Target { name: cfg.target.clone(), task, classes: classes.clone() };
    let info = TrainInfo {
        model: model_kind.name().to_string(),
        params: params.clone(),
        seed: cfg.seed,
        test_size: if test.is_some() { 0.0 } else { cfg.test_size },
        train_rows: train_rows.len(),
        test_rows: test_idx.len(),
        n_features: fitted_recipe.n_features(),
        data_hash: String::new(), // filled in by `train`
        device: device_used,
        train_seconds,
        created_unix: now_unix(),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        target_quantiles: deciles(&numbers),
        automatic: None,
    };
    let pipeline = Pipeline {
        schema,
        recipe,
        fitted_recipe,
        model,
        target,
        info,
        metrics: report.metrics.clone(),
        example,
        intended_use: String::new(),
        thresholds: None,
        reference,
        forecast: None,
        calibrator,
        pictures: data.pictures.clone(),
    };
    let test_source_rows = if test.is_some() { vec![] } else { test_rows.iter().map(|&i| source_rows[i]).collect() };
    Ok(TrainOutcome { pipeline, report, test_source_rows })
}

/// The calibration `cfg` asks for, fitted on out-of-fold probabilities of the training rows;
/// the folds repeat the resolved model, settings and recipe.
fn fit_calibrator(
    prepared: &Prepared,
    train_rows: &[usize],
    cfg: &TrainConfig,
    (model, params, recipe): (ModelKind, &Params, &Recipe),
    progress: &mut dyn FnMut(&str),
) -> Result<Option<calibration::Calibrator>, TrainError> {
    let Some(method) = cfg.calibration else { return Ok(None) };
    let (TargetValues::Classes(v), Task::Classification) = (&prepared.y, prepared.task) else {
        return Err(TrainError::Config(format!(
            "calibrating probabilities needs a classification task; '{}' is {}",
            cfg.target,
            prepared.task.name()
        )));
    };
    let idx = class_index(&prepared.classes, v);
    // The original training pictures only: each fold augments its own (see `cv::calibrator`).
    let originals = prepared.data.n_rows() - prepared.augmented;
    let train_rows: Vec<usize> = train_rows.iter().copied().filter(|&i| i < originals).collect();
    let labels: Vec<usize> = train_rows.iter().map(|&i| idx[i]).collect();
    progress(&format!("Calibrating the probabilities ({}, 5 folds of the training rows)", method.name()));
    let fold_cfg = TrainConfig {
        task: prepared.task.into(),
        model: Some(model),
        params: Some(params.clone()),
        recipe: Some(recipe.clone()),
        calibration: None,
        streamed: None,
        on_epoch: None,
        ..cfg.clone()
    };
    let strata = prepared.strata.as_deref();
    cv::calibrator(&prepared.data, &train_rows, strata, &labels, &prepared.classes, method, &fold_cfg).map(Some)
}

/// A separate test file's rows with a target value, coerced to the training schema, and
/// their target values.
fn test_rows_of(
    test: &Dataset,
    schema: &Schema,
    target: &str,
    task: Task,
) -> Result<(Dataset, TargetValues), TrainError> {
    let (t, y, _) = labelled(test, target, task).map_err(|e| TrainError::TestData(e.to_string()))?;
    let x = schema.coerce(&t).map_err(|e| TrainError::TestData(e.to_string()))?;
    if x.n_rows() == 0 {
        return Err(TrainError::TestData("no row has a target value".into()));
    }
    Ok((x, y))
}

/// Fits the model `settings` describe; an ensemble fits each of its members on the rows as
/// that model reads them.
fn fit_chosen(
    settings: &Settings,
    input: &FitInput,
    target: FitTarget,
    (cfg, task): (&TrainConfig, Task),
    rows: (&FittedRecipe, &Dataset, &[usize]),
    progress: &mut dyn FnMut(&str),
) -> Result<(FittedModel, String), TrainError> {
    let Settings::Ensemble(s) = settings else { return fit_under_control(settings, input, target, cfg) };
    let kinds = ensemble::members(cfg, task, s.size);
    let names: Vec<&str> = kinds.iter().map(|k| k.display_name()).collect();
    progress(&format!("The ensemble averages {}", names.join(", ")));
    ensemble::fit(&kinds, rows, (input.count_features, input.categorical), target, cfg)
}

/// Fits the model with the run's device, pause, stop and per-epoch hooks; gives the model and
/// where it ran.
fn fit_under_control(
    settings: &Settings,
    input: &FitInput,
    target: FitTarget,
    cfg: &TrainConfig,
) -> Result<(FittedModel, String), TrainError> {
    let mut on_epoch = |stats: &EpochStats| {
        if let Some(sink) = &cfg.on_epoch {
            (sink.0)(stats);
        }
    };
    let mut ctl = FitControl {
        device: cfg.device,
        cancelled: &|| cfg.cancelled(),
        paused: &|| cfg.paused(),
        on_epoch: &mut on_epoch,
        device_used: "cpu".into(),
    };
    let model = fit_model(settings, input, target, cfg.seed, &mut ctl)?;
    Ok((model, ctl.device_used))
}

/// The training rows as features. Regularised linear solvers, naive Bayes, kNN and SVMs read
/// sparse rows (TF-IDF and one-hot columns are mostly zeros); trees and least squares a dense
/// matrix — or sparse rows too when the data is wide (a dense matrix would be rows × thousands
/// of word or category columns).
#[allow(clippy::type_complexity)]
fn training_matrix(
    recipe: &FittedRecipe,
    ds: &Dataset,
    rows: &[usize],
    model: ModelKind,
) -> Result<(Option<ndarray::Array2<f64>>, Option<crate::features::Csr>), FeatureError> {
    let wide = recipe.has_text() || recipe.n_features() > WIDE_FEATURES;
    Ok(if model.reads_sparse() || (wide && (model.is_tree() || model == ModelKind::Linear)) {
        (None, Some(recipe.transform_sparse_rows(ds, rows)?))
    } else {
        (Some(recipe.transform_rows(ds, rows)?), None)
    })
}

/// Beyond this many features (thousands of one-hot columns of a kept name or code column),
/// trees read sparse rows too: a dense 16 000 × 15 000 matrix would take 1.9 GB.
const WIDE_FEATURES: usize = 1000;

/// 10 %, 20 % … 90 % quantiles and the maximum of `v` (empty for no values).
fn deciles(v: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if sorted.is_empty() {
        return vec![];
    }
    sorted.sort_by(f64::total_cmp);
    let mut q: Vec<f64> = (1..10).map(|d| sorted[(d * (sorted.len() - 1)) / 10]).collect();
    q.push(sorted[sorted.len() - 1]);
    q.dedup();
    q
}

pub(crate) fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}
