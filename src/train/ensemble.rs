//! Averaged ensembles: several different models fitted on the same feature rows, their answers
//! averaged (values, or class probabilities), as scikit-learn's `VotingRegressor` and soft
//! `VotingClassifier`. "Try all models" averages its best ones and lists the result as one more
//! leaderboard row; `--model ensemble` averages the fast ones. The fitted ensemble is one
//! [`FittedModel`], so it is saved, served, explained and exported like any model.

use super::models::{FitInput, FitTarget, ModelOutput};
use super::{FittedModel, ModelKind, Params, Settings, Task, TrainConfig, TrainError};
use crate::data::Dataset;
use crate::features::FittedRecipe;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    pub members: Vec<Member>,
}

/// One averaged model and the settings it was fitted with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub params: Params,
    pub fitted: FittedModel,
}

impl Ensemble {
    /// The mean of the members' outputs (values, or probabilities: rows still sum to 1). Only
    /// outputs of the first member's kind and shape count (members of one task always agree).
    pub fn predict(&self, x: &Array2<f64>) -> ModelOutput {
        let mut outputs = self.members.iter().map(|m| m.fitted.predict(x));
        match outputs.next() {
            Some(ModelOutput::Values(first)) => {
                let (mut sum, mut n) = (first, 1.0);
                for out in outputs {
                    if let ModelOutput::Values(v) = out
                        && v.len() == sum.len()
                    {
                        sum.iter_mut().zip(v).for_each(|(s, v)| *s += v);
                        n += 1.0;
                    }
                }
                ModelOutput::Values(sum.into_iter().map(|s| s / n).collect())
            }
            Some(ModelOutput::Probabilities(first)) => {
                let (mut sum, mut n) = (first, 1.0);
                for out in outputs {
                    if let ModelOutput::Probabilities(p) = out
                        && p.dim() == sum.dim()
                    {
                        sum += &p;
                        n += 1.0;
                    }
                }
                ModelOutput::Probabilities(sum / n)
            }
            None => ModelOutput::Values(vec![0.0; x.nrows()]),
        }
    }

    /// Each feature's share of the members' weights (each member's as a share, averaged).
    pub fn weights(&self) -> Vec<f64> {
        let p = self.members.first().map_or(0, |m| m.fitted.n_inputs());
        let mut out = vec![0.0; p];
        for m in &self.members {
            let w: Vec<f64> = m.fitted.weights().iter().map(|v| v.abs()).collect();
            let total = w.iter().sum::<f64>().max(1e-300);
            out.iter_mut().zip(&w).for_each(|(o, v)| *o += v / total / self.members.len() as f64);
        }
        out
    }

    /// "Ridge regression, Histogram gradient boosting and Random forest".
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.members.iter().map(|m| m.params.model.display_name()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }
}

/// The models averaged when none are named: fast and different from each other.
pub fn default_members(task: Task) -> Vec<ModelKind> {
    let linear = if task == Task::Classification { ModelKind::Logistic } else { ModelKind::Ridge };
    vec![linear, ModelKind::HistGradientBoosting, ModelKind::RandomForest, ModelKind::Mlp, ModelKind::Knn]
}

/// The members an ensemble of `cfg` averages: the ones it names (Try all's best), else the
/// default ones, `size` of them.
pub fn members(cfg: &TrainConfig, task: Task, size: usize) -> Vec<ModelKind> {
    let named = if cfg.ensemble.is_empty() { default_members(task) } else { cfg.ensemble.clone() };
    named.into_iter().filter(|k| *k != ModelKind::Ensemble && k.supports(task)).take(size.max(1)).collect()
}

/// Fits each of `kinds` on the training rows (dense or sparse, as that model reads them) and
/// returns the ensemble with where it ran.
pub(super) fn fit(
    kinds: &[ModelKind],
    (recipe, data, rows): (&FittedRecipe, &Dataset, &[usize]),
    (count_features, categorical): (&[bool], &[bool]),
    target: FitTarget,
    cfg: &TrainConfig,
) -> Result<(FittedModel, String), TrainError> {
    if kinds.len() < 2 {
        return Err(TrainError::Config("an ensemble averages at least two models".into()));
    }
    let mut members = Vec::with_capacity(kinds.len());
    let mut devices: Vec<String> = Vec::new();
    for &kind in kinds {
        if cfg.cancelled() {
            return Err(TrainError::Fit("cancelled before the ensemble's models were all fitted".into()));
        }
        let params = cfg.params_for(kind);
        let settings = Settings::from_params(&params)?;
        let (dense, sparse) = super::training_matrix(recipe, data, rows, kind)?;
        let input = FitInput { dense: dense.as_ref(), sparse: sparse.as_ref(), count_features, categorical };
        let (fitted, device) = super::fit_under_control(&settings, &input, target, cfg)
            .map_err(|e| TrainError::Fit(format!("{} in the ensemble: {e}", kind.display_name())))?;
        if !devices.contains(&device) {
            devices.push(device);
        }
        members.push(Member { params, fitted });
    }
    Ok((FittedModel::Ensemble(Box::new(Ensemble { members })), devices.join(", ")))
}
