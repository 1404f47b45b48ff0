//! Learning curve: the model trained on growing shares of the training rows, each scored on
//! the rows it learned from and on the same held-out test rows. The gap between the two lines
//! shows over-fitting; two low lines show under-fitting; a test line still climbing says more
//! data would help.

use crate::data::Dataset;
use crate::train::{TrainConfig, TrainError, prepare, train};
use rayon::prelude::*;
use serde::Serialize;

/// The shares of the training rows each point trains on.
pub const FRACTIONS: [f64; 6] = [0.1, 0.2, 0.35, 0.5, 0.75, 1.0];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    pub train_rows: usize,
    /// Score on the rows the model was trained on.
    pub train_score: f64,
    /// Score on the held-out test rows (the same rows for every point).
    pub test_score: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearningCurve {
    pub metric: &'static str,
    pub points: Vec<CurvePoint>,
    /// A plain-words reading: over-fitting, under-fitting, or "more data would help".
    pub note: String,
}

/// Trains `cfg` on growing prefixes of the (shuffled) training rows of the usual seeded split
/// and scores each on its own rows and on the test rows. Points train in parallel.
pub fn learning_curve(data: &Dataset, cfg: &TrainConfig) -> Result<LearningCurve, TrainError> {
    let prepared = prepare(data, cfg, true)?;
    // The split's training rows come shuffled, so a prefix is a random sample of them.
    let test = prepared.data.take_rows(&prepared.test_rows);
    let cfg = &TrainConfig {
        task: prepared.task.into(),
        model: Some(prepared.model),
        recipe: Some(prepared.recipe.clone()),
        streamed: None,
        ..cfg.clone()
    };
    let n = prepared.train_rows.len();
    let min_rows = (2 * prepared.classes.len()).max(10).min(n);
    let mut sizes: Vec<usize> =
        FRACTIONS.iter().map(|f| ((n as f64 * f).round() as usize).clamp(min_rows, n)).collect();
    sizes.dedup();
    let points = sizes
        .par_iter()
        .map(|&size| {
            // In file order, as `train` reads its training rows: the full-size point is then
            // exactly the trained model.
            let mut rows = prepared.train_rows[..size].to_vec();
            rows.sort_unstable();
            let part = prepared.data.take_rows(&rows);
            let outcome = train(&part, Some(&test), cfg, &mut |_| {})?;
            let train_score = outcome.pipeline.evaluate(&part)?.metrics.headline().1;
            Ok(CurvePoint { train_rows: size, train_score, test_score: outcome.report.metrics.headline().1 })
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    let metric = crate::train::tune::headline_metric(prepared.task);
    let note = reading(&points, metric);
    Ok(LearningCurve { metric, points, note })
}

/// What the curve says, in plain words.
fn reading(points: &[CurvePoint], metric: &str) -> String {
    let Some(last) = points.last() else { return String::new() };
    let gap = last.train_score - last.test_score;
    let rising = points.len() >= 2 && last.test_score - points[points.len() - 2].test_score > 0.01;
    let more_data = if rising {
        " The test score is still climbing at the full size, so more data would likely help."
    } else {
        " The test score has levelled off: more rows of the same kind will not help much."
    };
    if gap > 0.10 {
        format!(
            "Over-fitting: the model scores {:.2} {} on rows it has seen but {:.2} on new ones. \
             Try a simpler model or stronger regularisation.{more_data}",
            last.train_score,
            super::metric_label(metric),
            last.test_score
        )
    } else if last.train_score < 0.75 {
        format!(
            "Under-fitting: even on its own training rows the model only reaches {:.2} {}. \
             Try a more flexible model (a forest or boosting) or better features.{more_data}",
            last.train_score,
            super::metric_label(metric)
        )
    } else {
        format!(
            "Balanced: training ({:.2}) and test ({:.2}) scores are close, so the model generalises well.{more_data}",
            last.train_score, last.test_score
        )
    }
}

/// A plain-words reading of a neural network's per-epoch curves: overfitting (validation loss
/// rising since its best while training loss falls), still improving (more epochs would help),
/// or settled.
pub fn epoch_curve_reading(epochs: &[crate::gpu::net::EpochStats]) -> Option<String> {
    let done: Vec<_> = epochs.iter().filter(|e| e.is_whole() && e.val_loss.is_some()).collect();
    let last = done.last()?;
    if done.len() < 3 {
        return None;
    }
    let val = |e: &crate::gpu::net::EpochStats| e.val_loss.unwrap_or(f64::NAN);
    let best = done.iter().copied().min_by(|a, b| val(a).total_cmp(&val(b)))?;
    let since_best = last.epoch - best.epoch;
    let earlier = done[done.len().saturating_sub(4)];
    let train_falling = last.train_loss < earlier.train_loss * 0.99;
    Some(if since_best >= 3.0 && val(last) > val(best) * 1.02 && train_falling {
        format!(
            "Overfitting: the validation loss is {:.0} % above its best (epoch {}) while the training loss keeps \
             falling — the network is memorising the training rows. Early stopping keeps epoch {}'s weights; a \
             larger alpha or a smaller network would help.",
            (val(last) / val(best) - 1.0) * 100.0,
            best.epoch,
            best.epoch
        )
    } else if since_best < 1.0 && val(last) < val(earlier) * 0.98 {
        "Still improving: both losses are still falling, so more epochs (or a higher learning rate) would help — \
         the model is not yet fitting as well as it can (underfitting)."
            .to_string()
    } else if val(last) > last.train_loss * 1.5 {
        format!(
            "The validation loss ({:.3}) is well above the training loss ({:.3}): some overfitting; more data or \
             a larger alpha would help.",
            val(last),
            last.train_loss
        )
    } else {
        "Settled: training and validation losses have levelled off close together — the network fits about as \
         well as it can with these settings."
            .to_string()
    })
}
