//! The request and answer shapes of the serving APIs, all turned into the same input table:
//! Cairn's `POST /predict` (`{"records": [...]}` or a CSV body), MLflow's `POST /invocations`
//! (`dataframe_split`, `dataframe_records`, `instances`, `inputs`) and KServe's Open Inference
//! Protocol V2 (`POST /v2/models/{name}/infer` with one tensor per input column).

use super::{ApiError, error};
use crate::data::{ColumnKind, Dataset};
use crate::train::{Pipeline, Prediction};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

fn bad(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, message)
}

/// Parses a JSON body, naming the problem when it is not JSON.
pub(super) fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad(format!("body is not valid JSON: {e}")))
}

/// Records (one object per row) as the pipeline's input table; a missing field or a wrong type
/// is a 422 naming the record and field.
pub(super) fn records_table(pipeline: &Pipeline, records: &[Value]) -> Result<Dataset, ApiError> {
    if records.is_empty() {
        return Err(bad("no rows: send at least one record"));
    }
    check_size(records.len())?;
    let mut objects: Vec<Map<String, Value>> = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        match r {
            Value::Object(m) => objects.push(m.clone()),
            _ => return Err(bad(format!("record {i} is not an object of column → value"))),
        }
    }
    pipeline.schema.dataset_from_records(&objects).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))
}

fn check_size(rows: usize) -> Result<(), ApiError> {
    if rows > super::MAX_RECORDS {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{rows} rows in one request; the limit is {}", super::MAX_RECORDS),
        ));
    }
    Ok(())
}

/// `POST /predict`: `{"records": [...]}`, or a CSV table when the content type says CSV.
pub(super) fn predict_table(pipeline: &Pipeline, content_type: Option<&str>, body: &[u8]) -> Result<Dataset, ApiError> {
    match content_type {
        Some(ct) if ct.contains("csv") => {
            let ds = crate::data::read_csv_bytes("request body", body.to_vec())
                .map_err(|e| bad(format!("CSV body: {e}")))?;
            check_size(ds.n_rows())?;
            pipeline.schema.coerce(&ds).map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))
        }
        Some(ct) if !ct.contains("json") => Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send JSON (application/json) or CSV (text/csv), not {ct}"),
        )),
        _ => {
            let value = json_body(body)?;
            let records = value
                .get("records")
                .ok_or_else(|| bad("expected an object with a \"records\" array"))?
                .as_array()
                .ok_or_else(|| bad("\"records\" must be an array of objects"))?;
            records_table(pipeline, records)
        }
    }
}

/// `POST /invocations`, MLflow's scoring protocol: `dataframe_split` (`columns` + `data`),
/// `dataframe_records` (a list of records), `instances` (records) or `inputs` (records, or an
/// object of column → values).
pub(super) fn mlflow_table(pipeline: &Pipeline, content_type: Option<&str>, body: &[u8]) -> Result<Dataset, ApiError> {
    if content_type.is_some_and(|ct| ct.contains("csv")) {
        return predict_table(pipeline, content_type, body);
    }
    let value = json_body(body)?;
    let Value::Object(obj) = &value else { return Err(bad("expected a JSON object")) };
    let keys = ["dataframe_split", "dataframe_records", "instances", "inputs"];
    let found: Vec<&str> = keys.iter().copied().filter(|k| obj.contains_key(*k)).collect();
    let [key] = found.as_slice() else {
        return Err(bad(format!("send exactly one of {} (got {})", keys.join(", "), found.len())));
    };
    let input = &obj[*key];
    let records: Vec<Value> = match (*key, input) {
        ("dataframe_split", Value::Object(split)) => {
            let columns = split
                .get("columns")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("dataframe_split needs \"columns\": [names]"))?;
            let names: Vec<&str> = columns
                .iter()
                .map(|c| c.as_str().ok_or_else(|| bad("column names must be strings")))
                .collect::<Result<_, _>>()?;
            let data = split
                .get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("dataframe_split needs \"data\": [rows]"))?;
            data.iter()
                .enumerate()
                .map(|(i, row)| {
                    let cells = row.as_array().ok_or_else(|| bad(format!("data row {i} is not a list")))?;
                    if cells.len() != names.len() {
                        return Err(bad(format!(
                            "data row {i} has {} values for {} columns",
                            cells.len(),
                            names.len()
                        )));
                    }
                    Ok(Value::Object(names.iter().map(|n| n.to_string()).zip(cells.iter().cloned()).collect()))
                })
                .collect::<Result<_, _>>()?
        }
        ("inputs", Value::Object(columns)) => columns_to_records(columns)?,
        (_, Value::Array(rows)) => rows.clone(),
        (k, _) => return Err(bad(format!("\"{k}\" has the wrong shape (see the MLflow scoring protocol)"))),
    };
    records_table(pipeline, &records)
}

/// `{"col": [v1, v2], ...}` → one record per row (every column as long as the first).
fn columns_to_records(columns: &Map<String, Value>) -> Result<Vec<Value>, ApiError> {
    let mut n = None;
    for (name, v) in columns {
        let len = v.as_array().ok_or_else(|| bad(format!("input \"{name}\" must be a list of values")))?.len();
        if *n.get_or_insert(len) != len {
            return Err(bad(format!("input \"{name}\" has {len} values; the others have {}", n.unwrap_or(0))));
        }
    }
    Ok((0..n.unwrap_or(0))
        .map(|i| Value::Object(columns.iter().map(|(k, v)| (k.clone(), v[i].clone())).collect()))
        .collect())
}

/// MLflow's answer: `{"predictions": [...]}` (labels, or numbers).
pub(super) fn mlflow_answer(prediction: &Prediction) -> Value {
    match prediction {
        Prediction::Regression(v) => json!({ "predictions": v }),
        Prediction::Classification { labels, .. } => json!({ "predictions": labels }),
    }
}

/// The V2 datatype of an input column.
fn v2_datatype(kind: ColumnKind) -> &'static str {
    if kind == ColumnKind::Numeric { "FP64" } else { "BYTES" }
}

/// `GET /v2/models/{name}`: the model's inputs and outputs.
pub(super) fn kserve_metadata(pipeline: &Pipeline, name: &str) -> Value {
    let inputs: Vec<Value> = pipeline
        .schema
        .columns
        .iter()
        .map(|c| json!({"name": c.name, "datatype": v2_datatype(c.kind), "shape": [-1]}))
        .collect();
    let mut outputs = vec![
        json!({"name": "prediction", "datatype": if pipeline.target.classes.is_empty() { "FP64" } else { "BYTES" }, "shape": [-1]}),
    ];
    if !pipeline.target.classes.is_empty() {
        outputs
            .push(json!({"name": "probabilities", "datatype": "FP64", "shape": [-1, pipeline.target.classes.len()]}));
    }
    json!({"name": name, "versions": ["1"], "platform": "cairn", "inputs": inputs, "outputs": outputs})
}

/// `POST /v2/models/{name}/infer`: one tensor per input column, `{"name", "shape": [n],
/// "datatype", "data": [n values]}`. Returns the table and the request id, if any.
pub(super) fn kserve_table(pipeline: &Pipeline, body: &[u8]) -> Result<(Dataset, Option<Value>), ApiError> {
    let value = json_body(body)?;
    let inputs =
        value.get("inputs").and_then(Value::as_array).ok_or_else(|| bad("expected {\"inputs\": [tensors]}"))?;
    let mut columns = Map::new();
    for (i, t) in inputs.iter().enumerate() {
        let name = t.get("name").and_then(Value::as_str).ok_or_else(|| bad(format!("input {i} has no \"name\"")))?;
        let data = t.get("data").ok_or_else(|| bad(format!("input \"{name}\" has no \"data\"")))?;
        // Data may be nested by the shape ([[v], [v]]); a column is flat.
        let flat: Vec<Value> = match data {
            Value::Array(items) => items
                .iter()
                .flat_map(|v| match v {
                    Value::Array(inner) => inner.clone(),
                    other => vec![other.clone()],
                })
                .collect(),
            _ => return Err(bad(format!("input \"{name}\": \"data\" must be a list"))),
        };
        if let Some(shape) = t.get("shape").and_then(Value::as_array) {
            let expected: u64 = shape.iter().filter_map(Value::as_u64).product();
            if expected != flat.len() as u64 {
                return Err(bad(format!("input \"{name}\": shape says {expected} values, data has {}", flat.len())));
            }
        }
        columns.insert(name.to_string(), Value::Array(flat));
    }
    let records = columns_to_records(&columns)?;
    Ok((records_table(pipeline, &records)?, value.get("id").cloned()))
}

/// The V2 answer: a `prediction` tensor (and `probabilities`, rows × classes, for classes).
pub(super) fn kserve_answer(pipeline: &Pipeline, name: &str, id: Option<Value>, prediction: &Prediction) -> Value {
    let n = prediction.len();
    let mut outputs = Vec::new();
    match prediction {
        Prediction::Regression(v) => {
            outputs.push(json!({"name": "prediction", "shape": [n], "datatype": "FP64", "data": v}))
        }
        Prediction::Classification { labels, probabilities } => {
            outputs.push(json!({"name": "prediction", "shape": [n], "datatype": "BYTES", "data": labels}));
            let k = pipeline.target.classes.len();
            let flat: Vec<f64> = probabilities.iter().flatten().copied().collect();
            outputs.push(json!({"name": "probabilities", "shape": [n, k], "datatype": "FP64", "data": flat}));
        }
    }
    let mut answer = json!({"model_name": name, "model_version": "1", "outputs": outputs});
    if let Some(id) = id {
        answer["id"] = id;
    }
    answer
}
