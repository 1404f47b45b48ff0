//! The feedback loop's retraining: the same recipe, model and settings fitted on the old data
//! plus new data, and compared with the current model on one held-out set neither has seen —
//! the current model's own test rows of the old data plus a seeded share of the new rows.

use super::metrics::Report;
use super::{Pipeline, TaskChoice, TrainConfig, TrainError, TrainOutcome, prepare, train};
use crate::data::Dataset;

/// A retrained candidate next to the current model, scored on the same rows.
pub struct Retrained {
    /// Fitted on the old and new training rows, scored on the held-out rows.
    pub candidate: TrainOutcome,
    /// The current model on the same held-out rows.
    pub current: Report,
    pub holdout_rows: usize,
    pub train_rows: usize,
    pub new_rows: usize,
}

impl Retrained {
    /// Whether the candidate scores better on the held-out rows (R² or accuracy higher).
    pub fn better(&self) -> bool {
        self.candidate.report.metrics.headline().1 > self.current.metrics.headline().1
    }

    /// One plain sentence: which model wins on the shared held-out rows, by how much.
    pub fn summary(&self) -> String {
        let new = self.candidate.report.metrics.headline().1;
        let old = self.current.metrics.headline().1;
        let label = self.candidate.report.metrics.headline_label();
        let name = label;
        let verdict = if self.better() {
            format!("the retrained model is better by {:.3} {label}", new - old)
        } else if new == old {
            "both models score the same".to_string()
        } else {
            format!("the current model is better by {:.3} {label}: keep it", old - new)
        };
        format!(
            "On the same {} held-out rows, current {name} {old:.4}, retrained {name} {new:.4}: {verdict}.",
            self.holdout_rows
        )
    }
}

/// Retrains `current`'s recipe, model and settings on `old` (the data it was trained on) plus
/// `new`, and scores both models on the shared held-out rows.
pub fn retrain(
    current: &Pipeline,
    old: &Dataset,
    new: &Dataset,
    progress: &mut dyn FnMut(&str),
) -> Result<Retrained, TrainError> {
    if current.forecast.is_some() {
        return Err(TrainError::Config(
            "a forecast is retrained on its whole, longer history: cairn train DATA --task forecast … (the new rows appended)"
                .into(),
        ));
    }
    let cfg = manifest_config(current);
    progress("Splitting the old and the new rows");
    // The same seeded split as the current model's own training (its test rows stay unseen).
    let (old_p, new_p) = (prepare(old, &cfg, true)?, prepare(new, &cfg, true)?);
    let part = |p: &super::Prepared, rows: &[usize]| p.data.take_rows(rows);
    let train_rows = part(&old_p, &old_p.train_rows).append(&part(&new_p, &new_p.train_rows))?;
    let holdout = part(&old_p, &old_p.test_rows).append(&part(&new_p, &new_p.test_rows))?;
    let candidate = train(&train_rows, Some(&holdout), &cfg, progress)?;
    progress("Scoring the current model on the same rows");
    let current_report = current.evaluate(&holdout)?;
    Ok(Retrained {
        holdout_rows: holdout.n_rows(),
        train_rows: train_rows.n_rows(),
        new_rows: new.n_rows(),
        candidate,
        current: current_report,
    })
}

/// The training configuration a bundle records (its reproducibility manifest): target, task,
/// model, settings, seed and test share.
pub fn manifest_config(p: &Pipeline) -> TrainConfig {
    let mut cfg = TrainConfig::new(p.target.name.clone());
    cfg.task = match p.target.task {
        super::Task::Regression => TaskChoice::Regression,
        super::Task::Classification => TaskChoice::Classification,
        super::Task::Clustering => TaskChoice::Clustering,
        super::Task::Recommendation => TaskChoice::Recommendation,
        super::Task::Forecast => TaskChoice::Forecast,
    };
    cfg.model = Some(p.model.kind());
    cfg.params = Some(p.info.params.clone());
    if let super::FittedModel::Ensemble(e) = &p.model {
        cfg.ensemble = e.members.iter().map(|m| m.params.model).collect();
    }
    cfg.seed = p.info.seed;
    cfg.test_size = p.info.test_size;
    cfg.recipe = Some(p.recipe.clone());
    if let Some(f) = p.forecast.as_deref() {
        // A forecast's run: its columns, horizon and frequency, and the timestamp fixes.
        cfg.time_column = Some(f.columns.time.clone());
        cfg.series_column = (!f.columns.series.is_empty()).then(|| f.columns.series.clone());
        cfg.horizon = Some(f.horizon);
        cfg.frequency = Some(f.frequency);
        let mut fixes = vec![];
        if let Some(how) = f.combine {
            fixes.push(crate::features::Step::CombineTimes { column: f.columns.time.clone(), how });
        }
        if let Some(how) = f.fill {
            fixes.push(crate::features::Step::FillGaps { column: f.columns.time.clone(), how });
        }
        cfg.recipe = Some(crate::features::Recipe::new(fixes));
    }
    cfg
}

/// A bundle retrained from its manifest on the data it names.
pub struct Rerun {
    pub outcome: TrainOutcome,
    /// The data has the fingerprint the bundle recorded.
    pub same_data: bool,
    /// Identical test metrics, and an identical fitted recipe and model.
    pub same_metrics: bool,
    pub same_model: bool,
}

/// Retrains `bundle`'s recipe, model, settings and seed on `data` and compares bit for bit.
pub fn rerun(bundle: &Pipeline, data: &Dataset, progress: &mut dyn FnMut(&str)) -> Result<Rerun, TrainError> {
    let outcome = train(data, None, &manifest_config(bundle), progress)?;
    let p = &outcome.pipeline;
    Ok(Rerun {
        same_data: p.info.data_hash == bundle.info.data_hash,
        same_metrics: p.metrics == bundle.metrics,
        same_model: p.fitted_recipe == bundle.fitted_recipe && same_fit(&p.model, &bundle.model),
        outcome,
    })
}

/// Equal fitted models; a network's training history is left out (it holds wall-clock times).
fn same_fit(a: &super::FittedModel, b: &super::FittedModel) -> bool {
    match (a, b) {
        (super::FittedModel::Mlp(x), super::FittedModel::Mlp(y)) => {
            (&x.weights, x.y_mean, x.y_std, x.n_classes, x.best_epoch)
                == (&y.weights, y.y_mean, y.y_std, y.n_classes, y.best_epoch)
        }
        _ => a == b,
    }
}
