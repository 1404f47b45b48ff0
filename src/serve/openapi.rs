//! `GET /openapi.json`: an OpenAPI 3.0 description of this server, generated from the served
//! pipeline (the record schema lists its real input columns, with the training example), and
//! `GET /docs`: Swagger UI over it, served from files built into the executable (no network).

use crate::data::ColumnKind;
use crate::train::Pipeline;
use serde_json::{Value, json};

/// The OpenAPI document of a server serving `pipeline` under `name`.
pub fn spec(pipeline: &Pipeline, name: &str) -> Value {
    let properties: serde_json::Map<String, Value> = pipeline
        .schema
        .columns
        .iter()
        .map(|c| {
            let t = if c.kind == ColumnKind::Numeric { "number" } else { "string" };
            (c.name.clone(), json!({"type": t, "nullable": true, "description": format!("{} input", c.kind.label())}))
        })
        .collect();
    let required: Vec<&str> = pipeline.schema.columns.iter().map(|c| c.name.as_str()).collect();
    let example = Value::Object(pipeline.example.clone());
    let columns: Vec<&str> = required.clone();
    let row: Vec<Value> = columns.iter().map(|c| example.get(*c).cloned().unwrap_or(Value::Null)).collect();
    let prediction = if pipeline.target.classes.is_empty() {
        json!({"type": "number"})
    } else {
        json!({"type": "string", "enum": pipeline.target.classes})
    };
    let error = json!({"description": "A problem with the request, named", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let json_post = |summary: &str, schema: Value, example: Value, answer: Value| {
        json!({"post": {
            "summary": summary,
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema, "example": example}}},
            "responses": {"200": {"description": "Predictions", "content": {"application/json": {"schema": answer}}},
                          "400": error, "404": error, "413": error, "422": error, "503": error}
        }})
    };
    let get = |summary: &str| json!({"get": {"summary": summary, "responses": {"200": {"description": "OK"}}}});
    let predictions = json!({"type": "object", "properties": {"predictions": {"type": "array", "items": prediction}}});
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("Cairn model '{name}'"),
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("{} {}. Served by Cairn.", pipeline.model_display_name(), pipeline.goal()),
        },
        "paths": {
            "/predict": json_post(
                "Predict rows given as records (or a text/csv body)",
                json!({"type": "object", "required": ["records"], "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}),
                json!({"records": [example]}),
                predictions.clone(),
            ),
            "/explain": json_post(
                "Why each row got its prediction: base value plus one Shapley contribution per input column (same bodies as /predict; ?class=NAME picks the explained class)",
                json!({"type": "object", "required": ["records"], "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}),
                json!({"records": [example]}),
                json!({"type": "object", "properties": {"explanations": {"type": "array", "items": {"type": "object", "properties": {
                    "prediction": {"type": "number"}, "base_value": {"type": "number"}, "output": {"type": "string"},
                    "class": {"type": "string"}, "contributions": {"type": "object", "additionalProperties": {"type": "number"}}}}}}}),
            ),
            "/invocations": json_post(
                "MLflow scoring protocol: dataframe_split, dataframe_records, instances or inputs",
                json!({"type": "object"}),
                json!({"dataframe_split": {"columns": columns, "data": [row]}}),
                predictions,
            ),
            format!("/v2/models/{name}/infer"): json_post(
                "KServe V2 inference: one tensor per input column",
                json!({"type": "object", "required": ["inputs"], "properties": {"id": {"type": "string"}, "inputs": {"type": "array", "items": {"type": "object"}}}}),
                json!({"id": "1", "inputs": pipeline.schema.columns.iter().map(|c| json!({
                    "name": c.name, "shape": [1], "datatype": if c.kind == ColumnKind::Numeric { "FP64" } else { "BYTES" },
                    "data": [example.get(&c.name).cloned().unwrap_or(Value::Null)]})).collect::<Vec<_>>()}),
                json!({"type": "object"}),
            ),
            format!("/v2/models/{name}"): get("KServe V2 model metadata"),
            "/metadata": get("Input schema, model, training metrics, checksum"),
            "/health": get("Status and request counters"),
            "/metrics": get("Prometheus metrics (text)"),
            "/version": get("Cairn and bundle format versions"),
            "/ping": get("Liveness"),
        },
        "components": {"schemas": {
            "Record": {"type": "object", "required": required, "properties": properties, "example": example},
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
        }},
    });
    if let Some(f) = pipeline.forecast.as_deref() {
        add_forecast(&mut doc, f, &error);
    }
    doc
}

/// A forecast answers `POST /forecast`; the row routes do not apply.
fn add_forecast(doc: &mut Value, f: &crate::train::forecast::Forecaster, error: &Value) {
    let paths = &mut doc["paths"];
    if let Some(paths) = paths.as_object_mut() {
        paths.retain(|k, _| !(k == "/predict" || k == "/explain" || k == "/invocations" || k.ends_with("/infer")));
    }
    let mut history_row = serde_json::Map::new();
    if let Some(s) = f.series.first() {
        let last = s.values.len().saturating_sub(1);
        history_row.insert(f.columns.time.clone(), json!(f.frequency.label(s.start + last as i64)));
        history_row.insert(f.columns.target.clone(), json!(s.values.get(last)));
        if !f.columns.series.is_empty() {
            history_row.insert(f.columns.series.clone(), json!(s.id));
        }
    }
    let numbers = json!({"type": "array", "items": {"type": "number"}});
    let request = json!({"type": "object", "properties": {
        "series": {"type": "string", "description": "The series to forecast (default: every series)", "enum": f.series_names()},
        "horizon": {"type": "integer", "minimum": 1, "maximum": 1000, "default": f.horizon},
        "history": {"type": "array", "items": {"type": "object"}, "description": format!("Rows with '{}' and '{}' (and the series column) after the training data", f.columns.time, f.columns.target)}}});
    let answer = json!({"type": "object", "properties": {
        "forecasts": {"type": "array", "items": {"type": "object", "properties": {
            "series": {"type": "string"}, "times": {"type": "array", "items": {"type": "string"}},
            "values": numbers, "lower": numbers, "upper": numbers,
            "ids": {"type": "array", "items": {"type": "string"}}}}},
        "model": {"type": "string"}, "frequency": {"type": "string"}, "level": {"type": "number"}, "horizon": {"type": "integer"}}});
    paths["/forecast"] = json!({"post": {
        "summary": "The next values of a series with the prediction band (history: newer rows that extend the bundle's first)",
        "requestBody": {"required": false, "content": {"application/json": {"schema": request,
            "example": {"horizon": f.horizon, "history": [Value::Object(history_row)]}}}},
        "responses": {"200": {"description": "Forecasts", "content": {"application/json": {"schema": answer}}},
                      "400": error, "404": error, "422": error, "503": error}
    }});
}

/// The `/docs` page: Swagger UI (vendored in `assets/swagger-ui`, served by this process, so it
/// works offline) over `/openapi.json`, with "Try it out" on every call.
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head><body>
<div class="swagger"></div>
<script src="docs/swagger-ui-bundle.js" charset="UTF-8"></script>
<script>
window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "div.swagger",
    deepLinking: true,
    tryItOutEnabled: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
</script></body></html>
"#;

/// Swagger UI's files (Apache-2.0, © SmartBear Software; see `assets/swagger-ui/NOTICE`).
pub const SWAGGER_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
pub const SWAGGER_CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
pub const SWAGGER_ICON: &[u8] = include_bytes!("../../assets/swagger-ui/favicon-32x32.png");
