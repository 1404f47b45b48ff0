//! Reads a serving process's prediction log (`BUNDLE.predictions.jsonl`) back: the served
//! input rows as a table (to compare with the training data), latency over time, and what was
//! predicted.

use crate::data::{Dataset, Schema};
use serde_json::{Map, Value};
use std::path::Path;

/// Most recent rows kept from the log for the drift check.
pub const MAX_ROWS: usize = 50_000;

/// What the log holds.
#[derive(Clone, Debug)]
pub struct ServedLog {
    /// The served input rows (most recent [`MAX_ROWS`]).
    pub inputs: Dataset,
    /// Per request: (seconds since the first request, latency ms, rows).
    pub requests: Vec<(f64, f64, usize)>,
    /// Every predicted value (regression) or label (classification), most recent last.
    pub values: Vec<f64>,
    pub labels: Vec<String>,
    /// Per predicted row: its prediction id (`POST /predict` answers it) and the seconds since
    /// the first request, aligned with `values` / `labels`.
    pub ids: Vec<(String, f64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot read the prediction log '{path}': {error}")]
    Read { path: String, error: std::io::Error },
    #[error("the prediction log '{0}' has no requests yet")]
    Empty(String),
    #[error("the prediction log's rows do not fit the model: {0}")]
    Rows(#[from] crate::data::DataError),
}

/// Reads the log at `path`; rows are read with `schema` (the served model's inputs).
/// Unreadable lines (a line cut by a crash) are skipped.
pub fn read_prediction_log(path: &Path, schema: &Schema) -> Result<ServedLog, LogError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| LogError::Read { path: name.clone(), error })?;
    let mut records: Vec<Map<String, Value>> = Vec::new();
    let mut requests = Vec::new();
    let (mut values, mut labels, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    let mut first: Option<u64> = None;
    for entry in text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()) {
        let time = entry["time_unix_ms"].as_u64().unwrap_or(0);
        let t0 = *first.get_or_insert(time);
        let rows = entry["rows"].as_u64().unwrap_or(0) as usize;
        requests.push((time.saturating_sub(t0) as f64 / 1000.0, entry["latency_ms"].as_f64().unwrap_or(0.0), rows));
        let at = time.saturating_sub(t0) as f64 / 1000.0;
        let outputs = entry["outputs"].as_array().map_or(0, Vec::len);
        match entry["ids"].as_array() {
            // Logs from before prediction ids: no id, so no late answer can match these rows.
            Some(list) if list.len() == outputs => {
                ids.extend(list.iter().map(|v| (v.as_str().unwrap_or_default().to_string(), at)))
            }
            _ => ids.extend(std::iter::repeat_n((String::new(), at), outputs)),
        }
        if let Some(inputs) = entry["inputs"].as_array() {
            records.extend(inputs.iter().filter_map(|r| r.as_object().cloned()));
        }
        for o in entry["outputs"].as_array().into_iter().flatten() {
            match o {
                Value::Number(n) => values.extend(n.as_f64()),
                Value::String(s) => labels.push(s.clone()),
                _ => {}
            }
        }
    }
    if requests.is_empty() {
        return Err(LogError::Empty(name));
    }
    let skip = records.len().saturating_sub(MAX_ROWS);
    let inputs = schema.dataset_from_records(&records[skip..])?;
    Ok(ServedLog { inputs, requests, values, labels, ids })
}
