//! Scoring a fitted model on its test rows: through the fitted recipe (in blocks of rows when
//! the features are wide), calibrated when the pipeline is, into the test `Report`.

use super::*;

/// The test report of a model on feature rows `x` against the true target values. Rows whose
/// class was never seen in training cannot be scored against these classes and are left out.
/// Clusters are scored on their shape (and against the target's labels, if there is one).
pub(super) fn score(
    model: &FittedModel,
    x: &ndarray::Array2<f64>,
    y: &TargetValues,
    classes: &[String],
) -> Result<Report, TrainError> {
    if let FittedModel::KMeans(km) = model {
        let assigned = km.assign(x);
        let spread = x
            .rows()
            .into_iter()
            .zip(&assigned)
            .map(|(r, &c)| km.centers[c].iter().zip(r).map(|(a, b)| (a - b).powi(2)).sum::<f64>())
            .sum::<f64>()
            / x.nrows().max(1) as f64;
        let labels = match y {
            TargetValues::Classes(v) => v.clone(),
            TargetValues::Numbers(_) => vec![],
        };
        let csr = crate::features::Csr::from_dense(x);
        return Ok(metrics::clustering_report(&csr, &assigned, km.centers.len(), spread, &labels));
    }
    score_output(&model.predict(x), y, classes)
}

/// Cells of one dense block of test features: a wider test set is transformed and predicted in
/// blocks of rows (4 000 test rows × 16 000 one-hot columns would be one 512 MB matrix).
const SCORE_BLOCK_CELLS: usize = 4 << 20;

/// [`score`] on rows `rows` of `ds`, through the fitted recipe, in blocks when wide.
pub(super) fn score_rows(
    model: &FittedModel,
    calibrator: Option<&calibration::Calibrator>,
    recipe: &FittedRecipe,
    ds: &Dataset,
    rows: &[usize],
    y: &TargetValues,
    classes: &[String],
) -> Result<Report, TrainError> {
    let p = recipe.n_features().max(1);
    if matches!(model, FittedModel::KMeans(_)) {
        return score(model, &recipe.transform_rows(ds, rows)?, y, classes);
    }
    let mut output = if rows.len() * p <= SCORE_BLOCK_CELLS {
        model.predict(&recipe.transform_rows(ds, rows)?)
    } else {
        predict_in_blocks(model, recipe, ds, rows, p)?
    };
    if let (Some(c), ModelOutput::Probabilities(p)) = (calibrator, &mut output) {
        c.apply(p);
    }
    score_output(&output, y, classes)
}

/// The model's output for `rows` of `ds`, a block of rows at a time (a wide test part's
/// features never exist whole).
fn predict_in_blocks(
    model: &FittedModel,
    recipe: &FittedRecipe,
    ds: &Dataset,
    rows: &[usize],
    p: usize,
) -> Result<ModelOutput, TrainError> {
    let (mut values, mut probabilities) = (Vec::new(), Vec::new());
    for block in rows.chunks((SCORE_BLOCK_CELLS / p).max(1)) {
        match model.predict(&recipe.transform(&ds.take_rows(block))?) {
            ModelOutput::Values(v) => values.extend(v),
            ModelOutput::Probabilities(p) => probabilities.push(p),
        }
    }
    let output = if probabilities.is_empty() {
        ModelOutput::Values(values)
    } else {
        let views: Vec<_> = probabilities.iter().map(|p| p.view()).collect();
        ModelOutput::Probabilities(
            ndarray::concatenate(ndarray::Axis(0), &views).map_err(|e| TrainError::Fit(e.to_string()))?,
        )
    };
    Ok(output)
}

/// The test report of a model's output against the true target values.
fn score_output(output: &ModelOutput, y: &TargetValues, classes: &[String]) -> Result<Report, TrainError> {
    Ok(match (y, output) {
        (TargetValues::Numbers(actual), ModelOutput::Values(pred)) => metrics::regression_report(actual, pred),
        (TargetValues::Classes(actual), ModelOutput::Probabilities(p)) => {
            let actual_idx = class_index(classes, actual);
            let known: Vec<usize> = (0..actual_idx.len()).filter(|&i| actual_idx[i] != usize::MAX).collect();
            if known.is_empty() {
                return Err(TrainError::TestData("no test row has a class seen in training".into()));
            }
            let a: Vec<usize> = known.iter().map(|&i| actual_idx[i]).collect();
            let pred: Vec<usize> = known.iter().map(|&i| argmax(p.row(i).iter().copied())).collect();
            let scores: Vec<f64> = known.iter().map(|&i| p[[i, p.ncols() - 1]]).collect();
            let known_p = p.select(ndarray::Axis(0), &known);
            metrics::classification_report(
                classes,
                &a,
                &pred,
                (classes.len() == 2).then_some(scores.as_slice()),
                Some(&known_p),
            )
        }
        _ => return Err(TrainError::Fit("the model's output does not match the task".into())),
    })
}
