//! Hyperparameter search: grid (every combination of each setting's grid values) or random
//! (settings drawn from the grid's range, numbers on a log scale where the spec says so).
//! Every candidate is scored by k-fold cross-validation on the training part only — the test
//! rows are never looked at — and every trial is reported, so the choice is never a black box.

use super::cv::{CvResult, cross_validate};
use super::mt::Mt19937;
use super::params::{ParamKind, Params};
use super::{ModelKind, Task, TrainConfig, TrainError, prepare};
use crate::data::Dataset;
use serde::Serialize;
use std::time::Instant;

/// Most candidates a grid search tries; larger grids are sampled (seeded) down to this.
pub const MAX_GRID: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    Grid,
    Random { trials: usize },
}

impl Search {
    pub fn parse(s: &str, trials: usize) -> Result<Search, TrainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "grid" => Ok(Search::Grid),
            "random" => Ok(Search::Random { trials: trials.max(1) }),
            other => Err(TrainError::Config(format!("unknown search '{other}' (use grid or random)"))),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TuneTrial {
    pub params: Params,
    /// `name=value` of the settings that differ from the defaults.
    pub summary: String,
    pub cv: CvResult,
    /// Mean cross-validated score on the headline metric (R² or accuracy).
    pub score: f64,
    /// Standard deviation of that score over the folds.
    pub std: f64,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TuneResult {
    pub metric: &'static str,
    pub folds: usize,
    pub trials: Vec<TuneTrial>,
    /// Index of the best trial.
    pub best: usize,
}

impl TuneResult {
    pub fn best_params(&self) -> &Params {
        &self.trials[self.best].params
    }
}

/// The metric tuning maximises.
pub fn headline_metric(task: Task) -> &'static str {
    match task {
        Task::Regression => "r2",
        Task::Recommendation | Task::Forecast => "r2",
        Task::Classification => "accuracy",
        Task::Clustering => "silhouette",
    }
}

/// The candidates a search tries for `model` (the defaults always among them).
pub fn candidates(model: ModelKind, search: Search, seed: u64) -> Vec<Params> {
    let specs = model.params();
    let mut rng = Mt19937::new(seed);
    let mut out = vec![Params::defaults(model)];
    match search {
        Search::Grid => {
            let mut combos: Vec<Vec<&str>> = vec![vec![]];
            for s in specs {
                combos = combos
                    .into_iter()
                    .flat_map(|c| s.grid.iter().map(move |g| [c.clone(), vec![*g]].concat()))
                    .collect();
            }
            if combos.len() > MAX_GRID {
                let keep = rng.choice(&(0..combos.len()).collect::<Vec<_>>(), MAX_GRID);
                let mut keep = keep;
                keep.sort_unstable();
                combos = keep.into_iter().map(|i| combos[i].clone()).collect();
            }
            for combo in combos {
                let mut p = Params::defaults(model);
                for (s, v) in specs.iter().zip(combo) {
                    p.set(s.name, v).ok();
                }
                out.push(p);
            }
        }
        Search::Random { trials } => {
            for _ in 0..trials.saturating_sub(1) {
                let mut p = Params::defaults(model);
                for s in specs {
                    p.set(s.name, &sample(s.kind, s.grid, &mut rng)).ok();
                }
                out.push(p);
            }
        }
    }
    let mut unique: Vec<Params> = Vec::with_capacity(out.len());
    for p in out {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    unique
}

/// One random value within the span of a setting's grid.
fn sample(kind: ParamKind, grid: &[&str], rng: &mut Mt19937) -> String {
    let nums: Vec<f64> = grid.iter().filter_map(|g| g.parse::<f64>().ok()).collect();
    let (lo, hi) = nums.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let pick = |rng: &mut Mt19937| grid[rng.interval(grid.len().saturating_sub(1) as u64) as usize].to_string();
    match kind {
        ParamKind::Float { log, .. } if nums.len() >= 2 => {
            let u = rng.next_f64();
            let v = if log && lo > 0.0 { (lo.ln() + u * (hi.ln() - lo.ln())).exp() } else { lo + u * (hi - lo) };
            format!("{:.4e}", v)
        }
        ParamKind::Int { .. } if nums.len() >= 2 => {
            let (lo, hi) = (lo as u64, hi as u64);
            (lo + rng.interval(hi - lo)).to_string()
        }
        _ => pick(rng),
    }
}

/// Cross-validates every candidate for `cfg`'s model with `folds` folds and picks the best.
pub fn tune(
    data: &Dataset,
    cfg: &TrainConfig,
    search: Search,
    folds: usize,
    progress: &mut dyn FnMut(&str),
    on_trial: &mut dyn FnMut(&TuneTrial),
) -> Result<TuneResult, TrainError> {
    let prepared = prepare(data, cfg, true)?;
    let model = prepared.model;
    if model.params().is_empty() {
        return Err(TrainError::Config(format!("model '{}' has no settings to tune", model.name())));
    }
    let metric = headline_metric(prepared.task);
    let cands = candidates(model, search, cfg.seed);
    let n = cands.len();
    let mut trials = Vec::with_capacity(n);
    for (i, params) in cands.into_iter().enumerate() {
        if cfg.cancelled() {
            break;
        }
        progress(&format!("Tuning {}: candidate {}/{n} ({})", model.display_name(), i + 1, params.summary()));
        let started = Instant::now();
        let trial_cfg = TrainConfig {
            model: Some(model),
            task: prepared.task.into(),
            params: Some(params.clone()),
            // The recipe resolved once, not proposed again for every candidate.
            recipe: Some(prepared.recipe.clone()),
            ..cfg.clone()
        };
        let cv = cross_validate(data, &trial_cfg, folds, &mut |_| {})?;
        let score = cv.mean.get(metric).copied().unwrap_or(f64::NEG_INFINITY);
        let std = cv.std.get(metric).copied().unwrap_or(0.0);
        let seconds = started.elapsed().as_secs_f64();
        let trial = TuneTrial { summary: params.summary(), params, cv, score, std, seconds };
        on_trial(&trial);
        trials.push(trial);
    }
    if trials.is_empty() {
        return Err(TrainError::Config("tuning was cancelled before any candidate finished".into()));
    }
    // Best mean score; ties keep the earlier (simpler: defaults come first) candidate.
    let best = (0..trials.len()).fold(0, |b, i| if trials[i].score > trials[b].score { i } else { b });
    Ok(TuneResult { metric, folds, trials, best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_valid_distinct_and_start_with_defaults() {
        for kind in ModelKind::ALL.into_iter().filter(|k| !k.params().is_empty()) {
            for search in [Search::Grid, Search::Random { trials: 8 }] {
                let c = candidates(kind, search, 42);
                assert_eq!(c[0], Params::defaults(kind));
                assert!(c.len() >= 2 && c.len() <= MAX_GRID + 1, "{kind:?} {search:?}: {}", c.len());
                for (i, p) in c.iter().enumerate() {
                    assert!(!c[..i].contains(p), "duplicate candidate");
                }
            }
        }
        let grid = candidates(ModelKind::Knn, Search::Grid, 1);
        assert_eq!(grid.len(), 1 + 5 * 2 - 1, "k × weights, the default combination once");
    }
}
