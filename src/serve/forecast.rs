//! `POST /forecast`: the next values of a forecast bundle's series, with the prediction band.
//!
//! ```json
//! {"series": "shop 3", "horizon": 6,
//!  "history": [{"month": "2002-01-01", "sales": 120.5}]}
//! ```
//!
//! Every field is optional: without `series` every series is forecast, without `horizon` the
//! bundle's, and `history` holds newer rows (the training table's columns) that extend the
//! bundle's history first. The answer: `{"forecasts": [{"series", "times", "values", "lower",
//! "upper", "ids"}], "model", "frequency", "level", "horizon"}`. Each forecast step gets an id
//! and is logged, so actual values arriving later can be matched (`cairn monitor --labels`).

use super::{ApiError, REQUEST_TIMEOUT, ServeState, error};
use crate::data::{Column, Dataset};
use crate::train::Pipeline;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// The forecast a request asks for: (series, horizon, history rows as a table).
fn parse_request(p: &Pipeline, body: &[u8]) -> Result<(Option<String>, usize, Option<Dataset>), ApiError> {
    let f = p.forecast.as_deref().ok_or_else(|| {
        error(StatusCode::NOT_FOUND, "this model does not forecast: use POST /predict (see GET /docs)")
    })?;
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| error(StatusCode::BAD_REQUEST, format!("the body is not JSON: {e} (see GET /docs)")))?
    };
    let Value::Object(o) = v else {
        return Err(error(StatusCode::BAD_REQUEST, "send a JSON object like {\"horizon\": 6}"));
    };
    let series = match o.get("series") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(error(StatusCode::BAD_REQUEST, "'series' must be a series' name")),
    };
    let horizon =
        match o.get("horizon") {
            None | Some(Value::Null) => f.horizon,
            Some(h) => h.as_u64().filter(|h| (1..=1000).contains(h)).ok_or_else(|| {
                error(StatusCode::BAD_REQUEST, "'horizon' must be a whole number of steps from 1 to 1000")
            })? as usize,
        };
    let history = match o.get("history") {
        None | Some(Value::Null) => None,
        Some(Value::Array(rows)) if rows.is_empty() => None,
        Some(Value::Array(rows)) => Some(history_table(f, rows)?),
        Some(_) => return Err(error(StatusCode::BAD_REQUEST, "'history' must be a list of rows")),
    };
    Ok((series, horizon, history))
}

/// History rows (`{time: …, target: …, series: …}`) as a table.
fn history_table(f: &crate::train::forecast::Forecaster, rows: &[Value]) -> Result<Dataset, ApiError> {
    let c = &f.columns;
    let (mut times, mut values, mut ids) = (vec![], vec![], vec![]);
    for (i, row) in rows.iter().enumerate() {
        let bad = |what: &str| error(StatusCode::BAD_REQUEST, format!("history row {}: {what}", i + 1));
        let o = row.as_object().ok_or_else(|| bad("not an object"))?;
        let cell = |name: &str| match o.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        times.push(Some(cell(&c.time).ok_or_else(|| bad(&format!("needs '{}' (a date)", c.time)))?));
        let value = match o.get(&c.target) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::Null) | None => None,
            Some(Value::String(s)) => {
                Some(s.trim().parse().map_err(|_| bad(&format!("'{}' must be a number, not '{s}'", c.target)))?)
            }
            Some(_) => return Err(bad(&format!("'{}' must be a number", c.target))),
        };
        values.push(value);
        if !c.series.is_empty() {
            ids.push(Some(cell(&c.series).ok_or_else(|| bad(&format!("needs '{}' (the series)", c.series)))?));
        }
    }
    let mut columns = vec![Column::strings(&c.time, times), Column::numeric(&c.target, values)];
    if !c.series.is_empty() {
        columns.push(Column::strings(&c.series, ids));
    }
    Dataset::new("history", columns).map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))
}

pub(super) async fn forecast(State(state): State<Arc<ServeState>>, body: Bytes) -> Response {
    let started = Instant::now();
    let served = state.current();
    let job = tokio::task::spawn_blocking(move || {
        let p = &served.pipeline;
        let (series, horizon, history) = parse_request(p, &body)?;
        let Some(f) = p.forecast.as_deref() else { return Err(error(StatusCode::NOT_FOUND, "no forecaster")) };
        let unprocessable = |e: String| error(StatusCode::UNPROCESSABLE_ENTITY, e);
        let extended = match &history {
            Some(h) => f.extended(h).map_err(|e| unprocessable(e.to_string()))?,
            None => f.series.clone(),
        };
        let paths = f.forecast(p, &extended, series.as_deref(), horizon).map_err(|e| unprocessable(e.to_string()))?;
        Ok::<_, ApiError>((paths, f.columns.clone(), f.method.name(), f.frequency.name(), f.level, horizon))
    });
    let result = match tokio::time::timeout(REQUEST_TIMEOUT, job).await {
        Err(_) => Err(error(StatusCode::SERVICE_UNAVAILABLE, "the forecast took too long; ask for fewer steps")),
        Ok(Err(_)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "the model failed on this request")),
        Ok(Ok(r)) => r,
    };
    let latency = started.elapsed();
    let steps = result.as_ref().map_or(0, |(paths, ..)| paths.iter().map(|p| p.values.len()).sum());
    state.stats.record(latency, steps, result.is_ok());
    let (paths, columns, model, frequency, level, horizon) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let ids = state.prediction_ids(steps);
    let mut at = 0;
    let mut forecasts = vec![];
    let (mut inputs, mut outputs) = (vec![], vec![]);
    for path in &paths {
        let n = path.values.len();
        let mut v = serde_json::to_value(path).unwrap_or_default();
        v["ids"] = json!(ids[at..at + n]);
        at += n;
        forecasts.push(v);
        for (t, value) in path.times.iter().zip(&path.values) {
            let mut record = serde_json::Map::new();
            record.insert(columns.time.clone(), json!(t));
            if !columns.series.is_empty() {
                record.insert(columns.series.clone(), json!(path.series));
            }
            inputs.push(Value::Object(record));
            outputs.push(json!(value));
        }
    }
    state.metrics.predicted(crate::monitor::Predicted::Values(
        &paths.iter().flat_map(|p| p.values.iter().copied()).collect::<Vec<_>>(),
    ));
    if let Some(log) = &state.log {
        let time_ms =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let entry = json!({
            "time_unix_ms": time_ms,
            "route": "/forecast",
            "latency_ms": latency.as_secs_f64() * 1e3,
            "rows": steps,
            "ids": ids,
            "outputs": outputs,
            "inputs": inputs,
        });
        if let Err(e) = log.append(&entry) {
            eprintln!("warning: cannot write the prediction log {}: {e}", log.path().display());
        }
    }
    axum::Json(json!({
        "forecasts": forecasts,
        "model": model,
        "frequency": frequency,
        "level": level,
        "horizon": horizon,
    }))
    .into_response()
}
