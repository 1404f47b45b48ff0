//! Live quality from late answers: when the true outcomes of served predictions arrive (a
//! table with the prediction `id` that `POST /predict` answered and the target column), they
//! are matched with the prediction log to give the accuracy (classes) or RMSE / MAE / R²
//! (numbers) the deployed model really reaches, over time, next to its test score at training.

use super::ServedLog;
use crate::data::Dataset;
use crate::train::{Pipeline, Task};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveScores {
    /// Served rows whose answer arrived, and answers that matched no logged prediction.
    pub matched: usize,
    pub unmatched: usize,
    /// The headline measure (`accuracy`, or `rmse` for numbers) over all matched rows, and at
    /// training time on the test rows.
    pub metric: &'static str,
    pub live: f64,
    pub at_training: f64,
    /// Every measure over all matched rows (accuracy; or rmse, mae, r2).
    pub measures: Vec<(&'static str, f64)>,
    /// (seconds since the first request, the headline measure over that tenth of the matched
    /// rows), in time order.
    pub over_time: Vec<(f64, f64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("'{file}' needs a column '{column}' ({why})")]
    Column { file: String, column: String, why: &'static str },
    #[error("none of the {answers} answers in '{file}' matches a logged prediction id")]
    NoMatch { file: String, answers: usize },
    #[error("'{file}': the answer for prediction {id} is '{value}', but '{column}' holds numbers")]
    NotANumber { file: String, id: String, value: String, column: String },
}

/// Each row's (series, period) in a forecast's terms (`None` where the time is missing).
fn forecast_keys(
    f: &crate::train::forecast::Forecaster,
    ds: &Dataset,
) -> Result<Vec<Option<(String, i64)>>, LiveError> {
    let column = |name: &str| LiveError::Column {
        file: ds.source.clone(),
        column: name.to_string(),
        why: "the time (and series) of each actual value",
    };
    ds.column(&f.columns.time).ok_or_else(|| column(&f.columns.time))?;
    let times = crate::data::series::parse_times(ds, &f.columns.time).map_err(|_| column(&f.columns.time))?;
    let ids: Vec<String> = match f.columns.series.as_str() {
        "" => vec![String::new(); ds.n_rows()],
        s => {
            let c = ds.column(s).ok_or_else(|| column(s))?;
            (0..ds.n_rows()).map(|r| c.cell_text(r)).collect()
        }
    };
    Ok(times.iter().zip(ids).map(|(t, id)| t.map(|t| (id, f.frequency.period(t)))).collect())
}

pub fn live_scores(p: &Pipeline, log: &ServedLog, answers: &Dataset) -> Result<LiveScores, LiveError> {
    let file = answers.source.clone();
    let col = |name: &str, why| {
        answers.column(name).ok_or(LiveError::Column { file: file.clone(), column: name.to_string(), why })
    };
    let truth_col = col(&p.target.name, "the true answer")?;
    let mut truth: HashMap<String, String> = HashMap::new();
    match p.forecast.as_deref() {
        // Actual values of a series arrive by time: matched with the forecast steps served
        // for that series and time.
        Some(f) if answers.column("id").is_none() => {
            let served = forecast_keys(f, &log.inputs)?;
            let offset = log.ids.len().saturating_sub(served.len());
            let answered = forecast_keys(f, answers)?;
            let mut by_key: HashMap<(String, i64), String> = HashMap::new();
            for (r, key) in answered.into_iter().enumerate() {
                let t = truth_col.cell_text(r);
                if let (Some(key), false) = (key, t.is_empty()) {
                    by_key.insert(key, t);
                }
            }
            for (i, key) in served.into_iter().enumerate() {
                if let Some(t) = key.and_then(|k| by_key.get(&k)) {
                    truth.insert(log.ids[offset + i].0.clone(), t.clone());
                }
            }
        }
        _ => {
            let id_col = col("id", "the prediction id that POST /predict answered")?;
            for r in 0..answers.n_rows() {
                let (id, t) = (id_col.cell_text(r), truth_col.cell_text(r));
                if !id.is_empty() && !t.is_empty() {
                    truth.insert(id, t);
                }
            }
        }
    }
    // (time, predicted, true) for every logged row with an answer, in log order.
    let mut pairs: Vec<(f64, usize, String)> = Vec::new();
    for (i, (id, at)) in log.ids.iter().enumerate() {
        if let Some(t) = truth.get(id) {
            pairs.push((*at, i, t.clone()));
        }
    }
    if pairs.is_empty() {
        return Err(LiveError::NoMatch { file, answers: truth.len() });
    }
    let unmatched = truth.len() - pairs.len().min(truth.len());
    let regression = matches!(p.target.task, Task::Regression | Task::Forecast);
    let numbers = |rows: &[(f64, usize, String)]| -> Result<Vec<(f64, f64)>, LiveError> {
        rows.iter()
            .map(|(_, i, t)| {
                let y: f64 = t.trim().parse().map_err(|_| LiveError::NotANumber {
                    file: file.clone(),
                    id: log.ids.get(*i).map(|x| x.0.clone()).unwrap_or_default(),
                    value: t.clone(),
                    column: p.target.name.clone(),
                })?;
                Ok((log.values.get(*i).copied().unwrap_or(f64::NAN), y))
            })
            .collect()
    };
    let headline = |rows: &[(f64, usize, String)]| -> Result<f64, LiveError> {
        if regression {
            let v = numbers(rows)?;
            Ok((v.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt())
        } else {
            let right = rows.iter().filter(|(_, i, t)| log.labels.get(*i) == Some(t)).count();
            Ok(right as f64 / rows.len().max(1) as f64)
        }
    };
    let measures = if regression {
        let v = numbers(&pairs)?;
        let (pred, actual): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
        match crate::eval::regression_report(&actual, &pred).metrics {
            crate::eval::Metrics::Regression { rmse, mae, r2 } => vec![("rmse", rmse), ("mae", mae), ("r2", r2)],
            _ => vec![],
        }
    } else {
        vec![("accuracy", headline(&pairs)?)]
    };
    let chunk = pairs.len().div_ceil(10).max(1);
    let over_time =
        pairs.chunks(chunk).map(|c| Ok((c[c.len() - 1].0, headline(c)?))).collect::<Result<Vec<_>, LiveError>>()?;
    let (metric, at_training) = match &p.metrics {
        crate::eval::Metrics::Regression { rmse, .. } => ("rmse", *rmse),
        m => ("accuracy", m.headline().1),
    };
    Ok(LiveScores {
        matched: pairs.len(),
        unmatched,
        metric,
        live: headline(&pairs)?,
        at_training,
        measures,
        over_time,
    })
}
