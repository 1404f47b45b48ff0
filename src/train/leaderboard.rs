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
/// is set. An error names the model that failed. Plain least squares is skipped on data with
/// a text column (a dense solve over thousands of word columns; ridge covers it); the skipped
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
    let mut skipped = Vec::new();
    for kind in ModelKind::ALL.into_iter().filter(|k| k.supports(task)) {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        if has_text && kind == ModelKind::Linear {
            let why = "skipped: dense least squares on thousands of word columns is slow (ridge covers it)".to_string();
            progress(&format!("{}: {why}", kind.display_name()));
            skipped.push((kind, why));
            continue;
        }
        let cfg = TrainConfig {
            model: Some(kind),
            params: None,
            task: task.into(),
            recipe: Some(recipe.clone()),
            ..cfg.clone()
        };
        let mut progress = |msg: &str| progress(&format!("{}: {msg}", kind.display_name()));
        let named = |e: TrainError| TrainError::Fit(format!("{}: {e}", kind.display_name()));
        let outcome = train(data, test, &cfg, &mut progress).map_err(named)?;
        let cv = cv_folds.map(|k| cross_validate(data, &cfg, k, &mut progress)).transpose().map_err(named)?;
        on_trial(Trial { outcome, cv });
    }
    Ok(skipped)
}
