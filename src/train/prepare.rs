//! From a dataset and a training configuration to labelled rows ready to fit: the task
//! (detected or chosen), the target values, the recipe's row steps and the seeded split.

use super::{MAX_CLASSES, ModelKind, Task, TaskChoice, TrainConfig, TrainError, detect_task, split};
use crate::data::{Dataset, Values, format_number, named_ratings_columns};
use crate::features::Recipe;
use std::borrow::Cow;

/// The target column as labels (classification) or numbers (regression), for the given rows.
pub(super) enum TargetValues {
    Numbers(Vec<f64>),
    Classes(Vec<Option<String>>),
}

fn target_values(ds: &Dataset, target: &str, task: Task) -> Result<TargetValues, TrainError> {
    let col = ds.require(target)?;
    Ok(match (task, &col.values) {
        (Task::Regression | Task::Recommendation | Task::Forecast, Values::Numeric(v)) => {
            TargetValues::Numbers(v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        }
        (Task::Regression | Task::Recommendation | Task::Forecast, Values::Str(_)) => {
            return Err(TrainError::NonNumericTarget { column: target.to_string(), kind: col.kind.label() });
        }
        (Task::Classification | Task::Clustering, Values::Numeric(v)) => {
            TargetValues::Classes(v.iter().map(|x| x.map(format_number)).collect())
        }
        (Task::Classification | Task::Clustering, Values::Str(v)) => TargetValues::Classes(v.to_options()),
    })
}

/// The labelled rows of a dataset with everything derived from the target: the task, the model,
/// the sorted classes and (unless scoring on a separate test file) the seeded split.
pub(crate) struct Prepared<'a> {
    /// Rows with a target value (the input itself when every row has one).
    pub data: Cow<'a, Dataset>,
    pub(super) y: TargetValues,
    pub task: Task,
    pub model: ModelKind,
    /// Sorted class labels (classification), so the positive class of a binary task is the last.
    pub classes: Vec<String>,
    /// Class index of every row (classification only): the strata of stratified splits.
    pub strata: Option<Vec<usize>>,
    pub train_rows: Vec<usize>,
    pub test_rows: Vec<usize>,
    /// Row number in the input data of each labelled row.
    pub source_rows: Vec<usize>,
    /// The recipe (the configured one, or the one proposed from the whole data).
    pub recipe: Recipe,
    /// Rows appended at the end of `data` as augmented copies of training pictures (they are
    /// training rows; cross-validation leaves them out and augments each fold's own rows).
    pub augmented: usize,
}

/// Rows with a target value, and those values; the rest cannot teach or test anything.
/// Clustering keeps every row (its target, if any, only checks the clusters).
pub(super) fn labelled<'a>(
    ds: &'a Dataset,
    target: &str,
    task: Task,
) -> Result<(Cow<'a, Dataset>, TargetValues, Vec<usize>), TrainError> {
    if task == Task::Clustering {
        let all: Vec<usize> = (0..ds.n_rows()).collect();
        // A target only checks the clusters when it holds a few labels, not a measurement.
        let labels = !target.is_empty() && detect_task(ds, target)? == Task::Classification;
        let values =
            if labels { target_values(ds, target, task)? } else { TargetValues::Classes(vec![None; ds.n_rows()]) };
        return Ok((Cow::Borrowed(ds), values, all));
    }
    let values = target_values(ds, target, task)?;
    let keep: Vec<usize> = match &values {
        TargetValues::Numbers(v) => (0..v.len()).filter(|&i| v[i].is_finite()).collect(),
        TargetValues::Classes(v) => (0..v.len()).filter(|&i| v[i].is_some()).collect(),
    };
    if keep.len() == ds.n_rows() {
        return Ok((Cow::Borrowed(ds), values, keep));
    }
    Ok((Cow::Owned(ds.take_rows(&keep)), values.take(&keep), keep))
}

impl TargetValues {
    pub(super) fn take(&self, rows: &[usize]) -> TargetValues {
        match self {
            TargetValues::Numbers(v) => TargetValues::Numbers(rows.iter().map(|&i| v[i]).collect()),
            TargetValues::Classes(v) => TargetValues::Classes(rows.iter().map(|&i| v[i].clone()).collect()),
        }
    }
}

/// Index of each label in the sorted `classes` (`usize::MAX` for a label not among them).
pub(super) fn class_index(classes: &[String], labels: &[Option<String>]) -> Vec<usize> {
    labels.iter().map(|l| l.as_ref().and_then(|l| classes.binary_search(l).ok()).unwrap_or(usize::MAX)).collect()
}

/// The task `cfg` asks for, detecting it from the target column for `auto`.
pub fn resolve_task(data: &Dataset, cfg: &TrainConfig) -> Result<Task, TrainError> {
    let model = cfg.model.or(cfg.params.as_ref().map(|p| p.model));
    if model == Some(ModelKind::KMeans) || cfg.task == TaskChoice::Clustering {
        return Ok(Task::Clustering);
    }
    if cfg.target.is_empty() {
        return Err(TrainError::Config(
            "choose the target column to predict (or --model kmeans to find groups without one)".into(),
        ));
    }
    match cfg.task {
        TaskChoice::Clustering => Ok(Task::Clustering),
        TaskChoice::Auto => Ok(detect_task(data, &cfg.target)?),
        TaskChoice::Regression => Ok(Task::Regression),
        TaskChoice::Forecast => Ok(Task::Forecast),
        TaskChoice::Classification => Ok(Task::Classification),
        TaskChoice::Recommendation => {
            ratings_columns(data, &cfg.target)?;
            Ok(Task::Recommendation)
        }
    }
}

impl From<Task> for TaskChoice {
    fn from(task: Task) -> Self {
        match task {
            Task::Regression => TaskChoice::Regression,
            Task::Classification => TaskChoice::Classification,
            Task::Clustering => TaskChoice::Clustering,
            Task::Recommendation => TaskChoice::Recommendation,
            Task::Forecast => TaskChoice::Forecast,
        }
    }
}

/// The user and item columns of ratings data: the first column whose name mentions "user"
/// and the first naming an item ("item", "movie", "product", "book", "song"), else the first
/// two columns other than the target.
pub fn ratings_columns(data: &Dataset, target: &str) -> Result<(String, String), TrainError> {
    let others: Vec<&str> = data.columns.iter().map(|c| c.name.as_str()).filter(|n| *n != target).collect();
    match named_ratings_columns(data, target) {
        Some(pair) => Ok(pair),
        _ if others.len() >= 2 => Ok((others[0].to_string(), others[1].to_string())),
        _ => Err(TrainError::Config(format!(
            "recommendation needs a user column, an item column and the rating to predict ('{target}'); '{}' has {} other column(s)",
            data.source,
            others.len()
        ))),
    }
}

/// The recipe used when none is given: for recommendations, the user and item columns as
/// index numbers (every other column dropped); else the one proposed from the data's profile.
pub fn default_recipe(data: &Dataset, target: &str, task: Task) -> Result<Recipe, TrainError> {
    default_recipe_with(data, target, task, None)
}

/// [`default_recipe`] with the profile's table warnings when they are at hand (the app's), so
/// they are not computed again.
pub fn default_recipe_with(
    data: &Dataset,
    target: &str,
    task: Task,
    warnings: Option<&[crate::data::Warning]>,
) -> Result<Recipe, TrainError> {
    if task == Task::Recommendation {
        let (user, item) = ratings_columns(data, target)?;
        return Ok(Recipe::for_ratings(data, target, &user, &item));
    }
    Ok(match warnings {
        Some(w) => Recipe::proposed_from(&crate::data::Schema::from_dataset(data, target), w, target),
        None => Recipe::proposed(data, target),
    })
}

/// Resolves the task and model, keeps the labelled rows and, with `split`, splits them.
pub(crate) fn prepare<'a>(data: &'a Dataset, cfg: &TrainConfig, split: bool) -> Result<Prepared<'a>, TrainError> {
    if !cfg.target.is_empty() {
        data.require(&cfg.target)?;
    }
    if split && !(cfg.test_size > 0.0 && cfg.test_size < 1.0) {
        return Err(TrainError::Config(format!("test size must be between 0 and 1, got {}", cfg.test_size)));
    }
    let task = resolve_task(data, cfg)?;
    let model = cfg.model.or(cfg.params.as_ref().map(|p| p.model)).unwrap_or_else(|| ModelKind::default_for(task));
    if !model.supports(task) {
        return Err(TrainError::TaskMismatch {
            name: model.name(),
            model_task: model.tasks_label(),
            task: task.name(),
        });
    }
    let recipe = match &cfg.recipe {
        Some(r) => r.clone(),
        None => default_recipe(data, &cfg.target, task)?,
    };
    // Histogram boosting takes categories and gaps as they are.
    let recipe =
        if model == ModelKind::HistGradientBoosting { recipe.for_native_trees() } else { recipe.with_gaps_filled() };
    let input_rows;
    let kept = recipe.kept_rows(data).map_err(|e| TrainError::Config(e.to_string()))?;
    let (data, y, source_rows) = if recipe.drops_duplicates() || kept.is_some() {
        // Row steps act before the split, so no copy lands on both sides.
        let kept = kept.unwrap_or_else(|| (0..data.n_rows()).collect());
        let base = data.take_rows(&kept);
        let first = if recipe.drops_duplicates() { base.first_occurrences() } else { (0..base.n_rows()).collect() };
        let unique = base.take_rows(&first);
        input_rows = unique.n_rows();
        let (d, y, rows) = labelled(&unique, &cfg.target, task)?;
        (Cow::Owned(d.into_owned()), y, rows.iter().map(|&r| kept[first[r]]).collect())
    } else {
        input_rows = data.n_rows();
        labelled(data, &cfg.target, task)?
    };
    let without_target = input_rows - source_rows.len();
    if without_target > 0 && !recipe.drops_missing_target() {
        return Err(TrainError::Config(format!(
            "{without_target} rows have no value in '{}': add the recipe step \"Drop rows without a target\"",
            cfg.target
        )));
    }
    if data.n_rows() == 0 {
        return Err(TrainError::EmptyTarget(cfg.target.clone()));
    }
    let (classes, strata) = match &y {
        // Clusters are named "cluster 1" … "cluster k"; the split is plain (no strata).
        _ if task == Task::Clustering => {
            // Another model than k-means is refused when it is fitted.
            let k = match cfg.settings_for(model)? {
                super::Settings::KMeans(s) => s.k,
                _ => 1,
            };
            if k > data.n_rows() {
                return Err(TrainError::TooFewRows { rows: data.n_rows(), needed: k });
            }
            ((1..=k).map(|c| format!("cluster {c}")).collect(), None)
        }
        TargetValues::Numbers(_) => (vec![], None),
        TargetValues::Classes(v) => {
            let mut c: Vec<String> = v.iter().flatten().cloned().collect();
            c.sort();
            c.dedup();
            if c.len() > MAX_CLASSES {
                return Err(TrainError::TooManyClasses { column: cfg.target.clone(), classes: c.len() });
            }
            let idx = class_index(&c, v);
            (c, Some(idx))
        }
    };
    let (train_rows, test_rows) = if let (true, Some(column)) = (split, &cfg.time_column) {
        split::time_split(&data, column, cfg.test_size)?
    } else if split {
        split::train_test_split(data.n_rows(), strata.as_deref(), cfg.test_size, cfg.seed)
    } else {
        ((0..data.n_rows()).collect(), vec![])
    };
    if train_rows.len() < 2 || (split && test_rows.is_empty()) {
        // The fewest rows that give two training rows and, with a split, one test row.
        let enough = |n: usize| {
            let (train, test) = split::train_test_split(n, None, cfg.test_size, cfg.seed);
            train.len() >= 2 && (!split || !test.is_empty())
        };
        let needed = (2..=10_000).find(|&n| enough(n)).unwrap_or(5);
        return Err(TrainError::TooFewRows { rows: data.n_rows(), needed });
    }
    let mut prepared =
        Prepared { data, y, task, model, classes, strata, train_rows, test_rows, source_rows, recipe, augmented: 0 };
    if cfg.augment > 0 {
        super::augment::augment_pictures(&mut prepared, cfg.augment)?;
    }
    Ok(prepared)
}
