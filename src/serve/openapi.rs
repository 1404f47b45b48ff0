//! `GET /openapi.json`: an OpenAPI 3.0 description of this server, generated from the served
//! pipeline (the record schema lists its real input columns, with the training example), and
//! `GET /docs`: a self-contained page (no network) that renders it and can try each call.

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
    json!({
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
    })
}

/// The `/docs` page: renders `/openapi.json` and posts each example, all offline.
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
.op{border:1px solid #ccc;border-radius:6px;margin:1em 0;padding:.6em 1em}
.m{display:inline-block;min-width:3.5em;font-weight:bold;color:#fff;border-radius:4px;padding:0 .4em;margin-right:.5em}
.post{background:#2a7}.get{background:#27a} textarea{width:100%;font-family:monospace;height:9em}
pre{background:#f4f4f4;padding:.6em;overflow:auto;max-height:20em}
</style></head><body>
<h1 id="title">Cairn API</h1><p id="desc"></p>
<p>The machine-readable description is at <a href="openapi.json">/openapi.json</a> (OpenAPI 3.0).</p>
<div id="ops"></div>
<script>
fetch('openapi.json').then(r => r.json()).then(spec => {
  document.getElementById('title').textContent = spec.info.title;
  document.getElementById('desc').textContent = spec.info.description;
  const ops = document.getElementById('ops');
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const div = document.createElement('div'); div.className = 'op';
      const head = document.createElement('div');
      const m = document.createElement('span'); m.className = 'm ' + method; m.textContent = method.toUpperCase();
      const p = document.createElement('code'); p.textContent = path;
      head.append(m, p, document.createTextNode(' — ' + op.summary)); div.append(head);
      const out = document.createElement('pre');
      const btn = document.createElement('button'); btn.textContent = 'Try it';
      let body = null;
      if (method === 'post') {
        body = document.createElement('textarea');
        body.value = JSON.stringify(op.requestBody.content['application/json'].example, null, 2);
        div.append(body);
      }
      btn.onclick = async () => {
        const opts = body ? {method: 'POST', headers: {'content-type': 'application/json'}, body: body.value} : {};
        const r = await fetch(path, opts); const t = await r.text();
        try { out.textContent = r.status + '\n' + JSON.stringify(JSON.parse(t), null, 2); } catch { out.textContent = r.status + '\n' + t; }
      };
      div.append(btn, out); ops.append(div);
    }
  }
});
</script></body></html>
"#;
