//! "Automatic": the model is picked by a quick cross-validated comparison of fast candidates —
//! a regularised linear model, histogram gradient boosting and a small random forest — on the
//! training rows, under a time budget. Never plain least squares: ridge regression stands in
//! for it (least squares interpolates when the features approach the rows). The comparison is
//! kept in the bundle (`TrainInfo::automatic`), so the app, `--json` and the model card can say
//! why the model was chosen.

use super::cv::cross_validate;
use super::{ModelKind, Params, Task, TrainConfig, TrainError, prepare};
use crate::data::Dataset;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::time::Instant;

/// Default seconds for the whole comparison.
pub const DEFAULT_BUDGET: f64 = 30.0;
/// Folds of the quick comparison.
const FOLDS: usize = 3;
/// Above this many training rows the comparison runs on a seeded sample of them.
const SAMPLE_ROWS: usize = 20_000;

/// One candidate of the comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub model: String,
    /// Mean cross-validated score (R² or accuracy); `None` when not tried or failed.
    pub score: Option<f64>,
    pub seconds: f64,
    /// Why there is no score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What Automatic compared and chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoChoice {
    pub chosen: String,
    /// The score compared: "r2" or "accuracy".
    pub metric: String,
    pub folds: usize,
    /// Training rows the comparison ran on (a sample above 20 000).
    pub rows: usize,
    pub budget_seconds: f64,
    pub seconds: f64,
    pub candidates: Vec<Candidate>,
}

impl AutoChoice {
    /// One line for a person: "Automatic compared 3 models by 3-fold cross-validated R² in
    /// 2.1 s (budget 30 s): Histogram gradient boosting 0.83, Random forest 0.80, Ridge 0.62."
    pub fn summary(&self) -> String {
        let label = if self.metric == "r2" { "R²" } else { self.metric.as_str() };
        let parts: Vec<String> = self
            .candidates
            .iter()
            .map(|c| {
                let name = ModelKind::parse(&c.model).map_or(c.model.clone(), |k| k.display_name().to_string());
                match (c.score, &c.note) {
                    (Some(s), _) => format!("{name} {s:.3}"),
                    (None, Some(note)) => format!("{name} ({note})"),
                    (None, None) => name,
                }
            })
            .collect();
        format!(
            "Automatic compared {} models by {}-fold cross-validated {label} in {:.1} s (budget {:.0} s): {}.",
            self.candidates.len(),
            self.folds,
            self.seconds,
            self.budget_seconds,
            parts.join(", ")
        )
    }
}

/// The candidates for a task, fastest first; `None` for tasks Automatic does not compare
/// (clustering, recommendation and forecasting have one way each).
fn candidates(task: Task) -> Option<Vec<Params>> {
    let linear = match task {
        Task::Regression => ModelKind::Ridge,
        Task::Classification => ModelKind::Logistic,
        _ => return None,
    };
    let mut forest = Params::defaults(ModelKind::RandomForest);
    // A small forest: the comparison is quick; the chosen model trains with its defaults.
    forest.set("n_trees", "30").ok()?;
    Some(vec![Params::defaults(linear), Params::defaults(ModelKind::HistGradientBoosting), forest])
}

/// Compares the candidates on the training rows of `data` and returns the choice (`None`:
/// the task has nothing to compare).
pub fn choose(
    data: &Dataset,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<AutoChoice>, TrainError> {
    // Original rows only: the cross-validation augments each fold's own training pictures.
    let prepared = prepare(data, &TrainConfig { augment: 0, ..cfg.clone() }, true)?;
    let Some(list) = candidates(prepared.task) else { return Ok(None) };
    let budget = cfg.time_budget.unwrap_or(DEFAULT_BUDGET);
    // The comparison sees the training rows only (and at most a sample of them): the test rows
    // stay unseen until the chosen model is scored.
    // Folds are cut from the training rows of the usual split of what `cross_validate` is
    // given: the data itself, or above 20 000 training rows a seeded sample of them.
    let part: Cow<Dataset> = if prepared.train_rows.len() > SAMPLE_ROWS {
        let mut rows = prepared.train_rows.clone();
        crate::util::Rng::new(cfg.seed ^ 0xA070).shuffle(&mut rows);
        rows.truncate(SAMPLE_ROWS);
        rows.sort_unstable();
        Cow::Owned(prepared.data.take_rows(&rows))
    } else {
        Cow::Borrowed(data)
    };
    let n_rows = prepared.train_rows.len().min(SAMPLE_ROWS);
    let started = Instant::now();
    let mut out = Vec::new();
    let metric = if prepared.task == Task::Regression { "r2" } else { "accuracy" };
    progress(&format!(
        "Automatic: comparing {} models by {FOLDS}-fold cross-validation on {} training rows (budget {budget:.0} s)",
        list.len(),
        n_rows
    ));
    for params in list {
        let kind = params.model;
        if cfg.cancelled() {
            break;
        }
        if !out.is_empty() && started.elapsed().as_secs_f64() >= budget {
            out.push(Candidate {
                model: kind.name().into(),
                score: None,
                seconds: 0.0,
                note: Some("not tried: the time budget was spent".into()),
            });
            continue;
        }
        let t = Instant::now();
        let fold_cfg = TrainConfig {
            model: Some(kind),
            params: Some(params.clone()),
            task: prepared.task.into(),
            recipe: Some(prepared.recipe.clone()),
            calibration: None,
            automatic: false,
            ..cfg.clone()
        };
        let result = cross_validate(&part, &fold_cfg, FOLDS, &mut |_| {});
        let seconds = t.elapsed().as_secs_f64();
        let (score, note) = match result {
            Ok(cv) => (cv.mean.get(metric).copied().filter(|s| s.is_finite()), None),
            Err(e) => (None, Some(format!("failed: {e}"))),
        };
        progress(&format!(
            "Automatic: {} {}",
            kind.display_name(),
            score.map_or_else(|| note.clone().unwrap_or_default(), |s| format!("{metric} {s:.3} in {seconds:.1} s"))
        ));
        out.push(Candidate { model: kind.name().into(), score, seconds, note });
    }
    // The best score; on a tie the earlier (simpler, faster) candidate.
    let best = out
        .iter()
        .filter_map(|c| c.score.map(|s| (c, s)))
        .fold(None::<(&Candidate, f64)>, |acc, (c, s)| match acc {
            Some((_, b)) if b >= s => acc,
            _ => Some((c, s)),
        })
        .map(|(c, _)| c.model.clone());
    let chosen = match best {
        Some(m) => m,
        // Nothing could be compared: the linear candidate, as before.
        None => out.first().map_or_else(|| ModelKind::default_for(prepared.task).name().into(), |c| c.model.clone()),
    };
    Ok(Some(AutoChoice {
        chosen,
        metric: metric.into(),
        folds: FOLDS,
        rows: n_rows,
        budget_seconds: budget,
        seconds: started.elapsed().as_secs_f64(),
        candidates: out,
    }))
}
