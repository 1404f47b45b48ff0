//! "Try all models": every model that can learn the task, trained and (optionally)
//! cross-validated the same way, reported one by one as each finishes. The CLI's
//! `--model all` and the app's leaderboard both run this.

use super::cv::{CvResult, cross_validate};
use super::{ModelKind, TrainConfig, TrainError, TrainOutcome, resolve_task, train};
use crate::data::Dataset;
use std::sync::atomic::{AtomicBool, Ordering};

/// One model's result.
#[derive(Clone, Debug)]
pub struct Trial {
    pub outcome: TrainOutcome,
    /// Present when cross-validation was asked for.
    pub cv: Option<CvResult>,
}

/// Trains each model that supports the task of `cfg` (in [`ModelKind::ALL`] order; `cfg.model`
/// is ignored), calling `on_trial` as each finishes. Stops before the next model once `cancel`
/// is set. A model that fails is skipped with its error (named), and the others still run; only
/// when none trains is the first error returned. Plain least squares is skipped on data with a
/// text column (it would fit the training rows exactly over thousands of word columns; ridge
/// covers it). With `cfg.time_budget`, no model starts once the budget is spent. The skipped
/// models and why are returned, so the leaderboard can say so.
pub fn try_all_models(
    data: &Dataset,
    test: Option<&Dataset>,
    cfg: &TrainConfig,
    cv_folds: Option<usize>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&str),
    on_trial: &mut dyn FnMut(Trial),
) -> Result<Vec<(ModelKind, String)>, TrainError> {
    let task = resolve_task(data, cfg)?;
    let has_text = crate::data::Schema::from_dataset(data, &cfg.target)
        .columns
        .iter()
        .any(|c| c.kind == crate::data::ColumnKind::Text);
    // The recipe is proposed once (from the whole data), not again for every model and fold.
    let recipe = match &cfg.recipe {
        Some(r) => r.clone(),
        None => super::default_recipe(data, &cfg.target, task)?,
    };
    let (mut skipped, mut trained, mut first_error) = (Vec::new(), 0usize, None);
    // Each trained model's cross-validated score, to pick the ensemble's members.
    let mut scores: Vec<(ModelKind, f64)> = Vec::new();
    let metric = super::tune::headline_metric(task);
    let started = std::time::Instant::now();
    let budget_spent = |trained: usize| {
        cfg.time_budget
            .filter(|&b| trained > 0 && started.elapsed().as_secs_f64() >= b)
            .map(|budget| format!("not tried: the {budget} s time budget was spent"))
    };
    for kind in ModelKind::ALL.into_iter().filter(|k| k.supports(task)) {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let why = match budget_spent(trained) {
            Some(why) => Some(why),
            None if has_text && kind == ModelKind::Linear => Some(
                "skipped: least squares on thousands of word columns fits the training rows exactly (ridge covers it)"
                    .to_string(),
            ),
            // The ensemble averages the best of the others, once they are all known.
            None if kind == ModelKind::Ensemble && trained < 2 => {
                Some("skipped: fewer than two models trained, nothing to average".to_string())
            }
            None => None,
        };
        if let Some(why) = why {
            progress(&format!("{}: {why}", kind.display_name()));
            skipped.push((kind, why));
            continue;
        }
        let cfg = TrainConfig {
            model: Some(kind),
            params: None,
            task: task.into(),
            recipe: Some(recipe.clone()),
            ensemble: best_members(&scores, ENSEMBLE_SIZE),
            ..cfg.clone()
        };
        let mut progress = |msg: &str| progress(&format!("{}: {msg}", kind.display_name()));
        let named = |e: TrainError| TrainError::Fit(format!("{}: {e}", kind.display_name()));
        // One model that cannot learn these rows (too few of a class for its settings, a
        // solver that gives up) is listed with its reason; the others still run.
        let trial = train(data, test, &cfg, &mut progress).and_then(|outcome| {
            let cv = cv_folds.map(|k| cross_validate(data, &cfg, k, &mut progress)).transpose()?;
            Ok(Trial { outcome, cv })
        });
        match trial {
            Ok(trial) => {
                trained += 1;
                if let Some(score) = headline(&trial, metric) {
                    scores.push((kind, score));
                }
                on_trial(trial);
            }
            Err(e) => {
                let why = format!("failed: {e}");
                progress(&why);
                first_error.get_or_insert_with(|| named(e));
                skipped.push((kind, why));
            }
        }
    }
    // When no model could learn, the reason is the data's, not a model's: say it once.
    match first_error {
        Some(e) if trained == 0 && !cancel.load(Ordering::Relaxed) => Err(e),
        _ => Ok(skipped),
    }
}

/// How many of the best models Try all's ensemble averages.
pub const ENSEMBLE_SIZE: usize = 3;

/// A trial's cross-validated mean of `metric` (None without cross-validation: test scores must
/// not choose the ensemble that is then scored on the same test rows).
fn headline(trial: &Trial, metric: &str) -> Option<f64> {
    trial.cv.as_ref().and_then(|cv| cv.mean.get(metric).copied()).filter(|v| v.is_finite())
}

/// The `size` best-scoring models (ties in training order); none — the ensemble's fast
/// defaults — with fewer than two scores (no cross-validation).
fn best_members(scores: &[(ModelKind, f64)], size: usize) -> Vec<ModelKind> {
    if scores.len() < 2 {
        return vec![];
    }
    let mut ranked = scores.to_vec();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.into_iter().take(size).map(|(k, _)| k).collect()
}
