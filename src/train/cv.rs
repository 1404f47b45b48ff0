//! k-fold cross-validation on the training part of a split (stratified for classes): every fold
//! refits the recipe and the model on its own training rows, so nothing leaks from the held-out
//! fold. Reports each metric's mean and standard deviation over the folds.

use super::{TrainConfig, TrainError, split, train};
use crate::data::Dataset;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CvResult {
    pub folds: usize,
    /// Metric name → mean over folds.
    pub mean: BTreeMap<String, f64>,
    /// Metric name → standard deviation over folds (population, as scikit-learn reports it).
    pub std: BTreeMap<String, f64>,
}

/// Cross-validates `cfg` with `k` folds on the training rows of the usual seeded split of `data`.
pub fn cross_validate(
    data: &Dataset,
    cfg: &TrainConfig,
    k: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<CvResult, TrainError> {
    if k < 2 {
        return Err(TrainError::Config(format!("cross-validation needs at least 2 folds, got {k}")));
    }
    // Folds are cut from the original pictures: each fold augments its own training rows (an
    // altered copy of a held-out picture must not be learned from).
    let prepared = super::prepare(data, &TrainConfig { augment: 0, ..cfg.clone() }, true)?;
    let train_part = prepared.data.take_rows(&prepared.train_rows);
    let strata = prepared.strata.as_ref().map(|s| prepared.train_rows.iter().map(|&i| s[i]).collect::<Vec<_>>());
    if train_part.n_rows() < 2 * k {
        return Err(TrainError::TooFewRows { rows: train_part.n_rows(), needed: 2 * k });
    }
    let folds = split::kfold(train_part.n_rows(), k, strata.as_deref(), cfg.seed);
    // The task is decided once, on all the data: a fold's subset must not re-detect it (a
    // numeric target with a few more than 20 distinct values could look like classes in a fold).
    // Folds fit their own statistics (a streamed file's would include the held-out fold).
    let cfg = &TrainConfig {
        task: prepared.task.into(),
        recipe: Some(prepared.recipe.clone()),
        streamed: None,
        ..cfg.clone()
    };
    progress(&format!("Cross-validation: {k} folds, in parallel"));
    let fold_metrics = folds
        .par_iter()
        .map(|held_out| {
            let rest: Vec<usize> = (0..train_part.n_rows()).filter(|i| held_out.binary_search(i).is_err()).collect();
            let outcome = train(&train_part.take_rows(&rest), Some(&train_part.take_rows(held_out)), cfg, &mut |_| {})?;
            Ok(serde_json::to_value(&outcome.report.metrics).unwrap_or_default())
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    let mut scores: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for metrics in fold_metrics {
        if let Some(obj) = metrics.as_object() {
            for (name, v) in obj {
                if let Some(x) = v.as_f64() {
                    scores.entry(name.clone()).or_default().push(x);
                }
            }
        }
    }
    let mut mean = BTreeMap::new();
    let mut std = BTreeMap::new();
    for (name, v) in scores {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        mean.insert(name.clone(), m);
        std.insert(name, s);
    }
    Ok(CvResult { folds: k, mean, std })
}

/// A calibrator fitted on out-of-fold probabilities of the training rows `rows` of `data`: 5
/// folds (stratified by `strata`), each predicted by a model trained (recipe and all) on the
/// other four with `fold_cfg`. `labels` are the rows' class indices into `classes`.
pub(crate) fn calibrator(
    data: &Dataset,
    rows: &[usize],
    strata: Option<&[usize]>,
    labels: &[usize],
    classes: &[String],
    method: super::calibration::Calibration,
    fold_cfg: &TrainConfig,
) -> Result<super::calibration::Calibrator, TrainError> {
    const K: usize = 5;
    if rows.len() < 2 * K {
        return Err(TrainError::TooFewRows { rows: rows.len(), needed: 2 * K });
    }
    let part = data.take_rows(rows);
    let strata: Option<Vec<usize>> = strata.map(|s| rows.iter().map(|&i| s[i]).collect());
    let folds = split::kfold(part.n_rows(), K, strata.as_deref(), fold_cfg.seed);
    let predicted = folds
        .par_iter()
        .map(|held_out| {
            let rest: Vec<usize> = (0..part.n_rows()).filter(|i| held_out.binary_search(i).is_err()).collect();
            let held = part.take_rows(held_out);
            let outcome = train(&part.take_rows(&rest), Some(&held), fold_cfg, &mut |_| {})?;
            let fold_classes = &outcome.pipeline.target.classes;
            let super::Prediction::Classification { probabilities, .. } =
                outcome.pipeline.predict(&held).map_err(|e| TrainError::Fit(e.to_string()))?
            else {
                return Err(TrainError::Fit("calibration needs class probabilities".into()));
            };
            // A fold may miss a rare class: its probability is 0 there.
            let at: Vec<Option<usize>> = classes.iter().map(|c| fold_classes.iter().position(|f| f == c)).collect();
            Ok(probabilities
                .iter()
                .map(|p| at.iter().map(|i| i.map_or(0.0, |i| p[i])).collect::<Vec<f64>>())
                .collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    let mut oof = ndarray::Array2::<f64>::zeros((part.n_rows(), classes.len()));
    for (held_out, probabilities) in folds.iter().zip(predicted) {
        for (&row, p) in held_out.iter().zip(probabilities) {
            oof.row_mut(row).assign(&ndarray::Array1::from(p));
        }
    }
    Ok(super::calibration::Calibrator::fit(method, &oof, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fold_keeps_the_task_of_the_whole_data() {
        use crate::data::{Column, Dataset};
        // 21 distinct whole numbers: regression on the whole data; a fold's training part
        // (80 % of 80 %) of 30 rows could hold 20 or fewer and look like classes.
        let y: Vec<Option<f64>> = (0..30).map(|i| Some((i % 21) as f64)).collect();
        let x: Vec<Option<f64>> = (0..30).map(|i| Some(i as f64 * 0.5)).collect();
        let ds = Dataset::new("t", vec![Column::numeric("x", x), Column::numeric("y", y)]).unwrap();
        let cv = cross_validate(&ds, &TrainConfig::new("y"), 5, &mut |_| {}).unwrap();
        assert!(cv.mean.contains_key("r2"), "folds were scored as classification: {:?}", cv.mean);
    }
}
