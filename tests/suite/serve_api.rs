//! The standard APIs of the real `cairn serve` process: MLflow's `/invocations` (all four input
//! shapes), KServe V2, `/metadata`, `/version`, `/ping`, Prometheus `/metrics`, CSV bodies, and
//! the JSON-lines prediction log — each answer equal to `POST /predict` on the same row.

use crate::common::{asset, cairn, tempdir};
use crate::serve::{get, post_to as post, start};
use serde_json::{Value, json};

#[test]
fn mlflow_kserve_metadata_metrics_and_the_prediction_log() {
    let dir = tempdir();
    let bundle = crate::common::train_bundle(dir.path(), "iris.csv", "species", "iris.cairn");
    let server = start(&bundle);
    let url = &server.url;
    let json_ct = "application/json";
    let (a, b) = (json!([5.1, 3.5, 1.4, 0.2]), json!([6.7, 3.0, 5.2, 2.3]));
    let cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let record = |v: &Value| -> Value { cols.iter().enumerate().map(|(i, c)| (c.to_string(), v[i].clone())).collect() };

    // The reference: Cairn's own route.
    let (status, reference) =
        post(&format!("{url}/predict"), json_ct, &json!({"records": [record(&a), record(&b)]}).to_string());
    assert_eq!(status, 200, "{reference}");
    let labels = reference["predictions"].clone();
    assert_eq!(labels, json!(["setosa", "virginica"]));

    // MLflow's four input shapes answer {"predictions": [...]} with the same labels.
    let bodies = [
        json!({"dataframe_split": {"columns": cols, "data": [a, b]}}),
        json!({"dataframe_records": [record(&a), record(&b)]}),
        json!({"instances": [record(&a), record(&b)]}),
        json!({"inputs": {"sepal_length": [5.1, 6.7], "sepal_width": [3.5, 3.0], "petal_length": [1.4, 5.2], "petal_width": [0.2, 2.3]}}),
    ];
    for body in &bodies {
        let (status, v) = post(&format!("{url}/invocations"), json_ct, &body.to_string());
        assert_eq!(status, 200, "{body} → {v}");
        assert_eq!(v, json!({"predictions": labels}), "{body}");
    }
    // CSV bodies too.
    let csv = format!("{}\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n", cols.join(","));
    for route in ["predict", "invocations"] {
        let (status, v) = post(&format!("{url}/{route}"), "text/csv", &csv);
        assert_eq!((status, &v["predictions"]), (200, &labels), "{route}: {v}");
    }

    // KServe V2: metadata, readiness, inference with one tensor per column.
    let (status, meta) = get(&format!("{url}/v2/models/iris"));
    assert_eq!(status, 200);
    let meta: Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["inputs"].as_array().unwrap().len(), 4);
    assert_eq!(meta["inputs"][0], json!({"name": "sepal_length", "datatype": "FP64", "shape": [-1]}));
    assert_eq!(get(&format!("{url}/v2/models/iris/ready")).0, 200);
    assert_eq!(get(&format!("{url}/v2/health/ready")).0, 200);
    let tensors: Vec<Value> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"name": c, "shape": [2], "datatype": "FP64", "data": [a[i], b[i]]}))
        .collect();
    let (status, v) =
        post(&format!("{url}/v2/models/iris/infer"), json_ct, &json!({"id": "req-7", "inputs": tensors}).to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["id"], "req-7");
    assert_eq!(v["model_name"], "iris");
    assert_eq!(v["outputs"][0]["data"], labels);
    assert_eq!(v["outputs"][1]["shape"], json!([2, 3]));
    let p_setosa = v["outputs"][1]["data"][0].as_f64().unwrap();
    assert_eq!(p_setosa, reference["probabilities"][0]["setosa"].as_f64().unwrap());

    bad_requests_are_4xx_naming_the_problem(url, &cols, &tensors);
    metadata_version_and_openapi(url, &cols);
    prometheus_counts(url);

    // The prediction log beside the bundle: one line per answered prediction request.
    let log = std::fs::read_to_string(dir.path().join("iris.cairn.predictions.jsonl")).unwrap();
    let entries: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 11);
    assert_eq!(entries[1]["route"], "/invocations");
    assert_eq!(entries[1]["inputs"][0]["petal_length"], 1.4);
    assert_eq!(entries[1]["outputs"], labels);
    assert!(entries.iter().all(|e| e["latency_ms"].as_f64().is_some() && e["time_unix_ms"].as_u64().is_some()));

    // `cairn monitor` reads the log as the current data: 19 served rows against the training data.
    let log_path = dir.path().join("iris.cairn.predictions.jsonl");
    let o = cairn(&[
        "monitor",
        bundle.to_str().unwrap(),
        "--reference",
        asset("iris.csv").to_str().unwrap(),
        "--current",
        log_path.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let features = report["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    assert!(features.iter().all(|f| f["current_rows"] == 19 && f["method"] == "ks"), "{report}");
}

/// Bad requests: 4xx naming the problem.
fn bad_requests_are_4xx_naming_the_problem(url: &str, cols: &[&str], tensors: &[Value]) {
    let json_ct = "application/json";
    let (status, v) = post(
        &format!("{url}/invocations"),
        json_ct,
        &json!({"dataframe_split": {"columns": cols, "data": [[1.0]]}}).to_string(),
    );
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("row 0 has 1 values for 4 columns"), "{v}");
    let (status, v) = post(&format!("{url}/invocations"), json_ct, &json!({"instances": [], "inputs": {}}).to_string());
    assert_eq!(status, 400, "{v}");
    let (status, v) =
        post(&format!("{url}/invocations"), json_ct, &json!({"instances": [{"sepal_length": 1}]}).to_string());
    assert_eq!(status, 422);
    assert!(v["error"].as_str().unwrap().contains("sepal_width"), "{v}");
    let bad_shape = json!({"inputs": [{"name": "sepal_length", "shape": [3], "datatype": "FP64", "data": [1.0]}]});
    let (status, v) = post(&format!("{url}/v2/models/iris/infer"), json_ct, &bad_shape.to_string());
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("shape says 3"), "{v}");
    let (status, v) =
        post(&format!("{url}/v2/models/roses/infer"), json_ct, &json!({"id": "req-7", "inputs": tensors}).to_string());
    assert_eq!(status, 404);
    assert!(v["error"].as_str().unwrap().contains("'iris'"), "{v}");
}

/// Metadata, version, ping, and the OpenAPI description with its runnable examples.
fn metadata_version_and_openapi(url: &str, cols: &[&str]) {
    let json_ct = "application/json";
    let (status, m) = get(&format!("{url}/metadata"));
    assert_eq!(status, 200);
    let m: Value = serde_json::from_str(&m).unwrap();
    assert_eq!(m["classes"], json!(["setosa", "versicolor", "virginica"]));
    assert_eq!(m["inputs"][3], json!({"name": "petal_width", "kind": "numeric"}));
    assert!(m["metrics"]["accuracy"].as_f64().unwrap() > 0.9);
    assert!(m["checksum"].as_str().unwrap().starts_with("sha256:"));
    let (status, version) = get(&format!("{url}/version"));
    assert_eq!(status, 200);
    assert!(version.contains(env!("CARGO_PKG_VERSION")));
    assert_eq!(get(&format!("{url}/ping")).0, 200);

    // The OpenAPI description names the real inputs, and its examples are valid calls.
    let (status, spec) = get(&format!("{url}/openapi.json"));
    assert_eq!(status, 200);
    let spec: Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(spec["openapi"], "3.0.3");
    assert_eq!(spec["components"]["schemas"]["Record"]["required"], json!(cols));
    for path in ["/predict", "/invocations", "/v2/models/iris/infer"] {
        let example = &spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"];
        let (status, v) = post(&format!("{url}{path}"), json_ct, &example.to_string());
        assert_eq!(status, 200, "{path} example: {v}");
    }
    let (status, docs) = get(&format!("{url}/docs"));
    assert_eq!(status, 200);
    assert!(docs.contains("openapi.json") && docs.contains("SwaggerUIBundle"), "{docs}");
    // Swagger UI's own files come from the process itself (no network).
    for (file, needle) in [("swagger-ui-bundle.js", "SwaggerUIBundle"), ("swagger-ui.css", ".swagger-ui")] {
        let (status, body) = get(&format!("{url}/docs/{file}"));
        assert_eq!(status, 200, "{file}");
        assert!(body.len() > 100_000 && body.contains(needle), "{file}");
    }
    assert_eq!(get(&format!("{url}/docs/nothing.js")).0, 404);
}

/// Prometheus metrics count what happened (after the calls above).
fn prometheus_counts(url: &str) {
    let (status, metrics) = get(&format!("{url}/metrics"));
    assert_eq!(status, 200);
    let line = |needle: &str| {
        metrics.lines().find(|l| l.starts_with(needle)).map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
    };
    assert_eq!(
        line("cairn_requests_total{model=\"iris\",route=\"/invocations\",status=\"200\"}").as_deref(),
        Some("6"),
        "{metrics}"
    );
    assert_eq!(
        line("cairn_requests_total{model=\"iris\",route=\"/invocations\",status=\"400\"}").as_deref(),
        Some("2")
    );
    assert_eq!(
        line("cairn_requests_total{model=\"iris\",route=\"/v2/models/{name}/infer\",status=\"404\"}").as_deref(),
        Some("1")
    );
    // 8 successful prediction requests × 2 rows, and the 3 one-row OpenAPI examples.
    assert_eq!(line("cairn_predictions_total{model=\"iris\"}").as_deref(), Some("19"));
    assert!(line("cairn_predicted_class_total{model=\"iris\",class=\"setosa\"}").is_some());
    assert!(metrics.contains("cairn_request_duration_seconds_bucket{model=\"iris\",le=\"+Inf\"}"));
}
