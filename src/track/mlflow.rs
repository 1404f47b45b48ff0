//! Runs to MLflow: an `mlruns` folder (MLflow's file store layout, which `mlflow ui` and the
//! MLflow client read), or a tracking server's REST API (`/api/2.0/mlflow/...`).

use super::RunRecord;
use crate::util::http_request;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum MlflowError {
    #[error("cannot write '{path}': {error}")]
    Write { path: PathBuf, error: std::io::Error },
    #[error("MLflow server at {url}: {message}")]
    Server { url: String, message: String },
}

/// What MLflow gets of a run: parameters, final metrics, per-epoch curves, tags.
struct Logged {
    name: String,
    params: Vec<(String, String)>,
    /// (key, value, step)
    metrics: Vec<(String, f64, i64)>,
    tags: Vec<(String, String)>,
}

fn logged(r: &RunRecord) -> Logged {
    let mut params = vec![
        ("model".to_string(), r.model.clone()),
        ("target".to_string(), r.target.clone()),
        ("task".to_string(), r.task.clone()),
        ("seed".to_string(), r.seed.to_string()),
        ("test_size".to_string(), r.test_size.to_string()),
        ("dataset".to_string(), r.dataset.clone()),
        ("data_hash".to_string(), r.data_hash.clone()),
        ("rows".to_string(), r.rows.to_string()),
        ("device".to_string(), r.device.clone()),
    ];
    if let Value::Object(m) = &r.params {
        params.extend(m.iter().map(|(k, v)| (format!("param.{k}"), v.to_string().trim_matches('"').to_string())));
    }
    // MLflow limits a parameter value to 6 000 characters.
    params.push(("recipe".to_string(), r.recipe.to_string().chars().take(6000).collect()));
    let mut metrics: Vec<(String, f64, i64)> =
        r.metric_pairs().into_iter().map(|(k, v)| (format!("test_{k}"), v, 0)).collect();
    metrics.push(("train_seconds".into(), r.seconds, 0));
    if let Some(Value::Object(cv)) = &r.cv
        && let Some(Value::Object(mean)) = cv.get("mean")
    {
        metrics.extend(mean.iter().filter_map(|(k, v)| Some((format!("cv_{k}"), v.as_f64()?, 0))));
    }
    for point in &r.curve {
        let step = point["epoch"].as_f64().unwrap_or(0.0) as i64;
        for key in ["train_loss", "val_loss", "val_metric"] {
            if let Some(v) = point[key].as_f64() {
                metrics.push((key.to_string(), v, step));
            }
        }
    }
    let name = format!("{} #{}", r.model, r.id);
    let mut tags = vec![
        ("mlflow.runName".to_string(), name.clone()),
        ("mlflow.source.name".to_string(), "cairn".to_string()),
        ("mlflow.user".to_string(), "cairn".to_string()),
        ("cairn.run_id".to_string(), r.id.to_string()),
        ("cairn.project".to_string(), r.project.clone()),
        ("cairn.app_version".to_string(), r.app_version.clone()),
        ("cairn.production".to_string(), r.production.to_string()),
    ];
    if !r.note.is_empty() {
        tags.push(("mlflow.note.content".to_string(), r.note.clone()));
    }
    if let (Some(b), Some(c)) = (&r.bundle, &r.checksum) {
        tags.push(("cairn.bundle".to_string(), b.clone()));
        tags.push(("cairn.bundle_checksum".to_string(), c.clone()));
    }
    tags.extend(r.tags.iter().map(|t| (format!("cairn.tag.{t}"), "true".to_string())));
    Logged { name, params, metrics, tags }
}

/// A stable 32-hex-digit MLflow run id for a Cairn run.
fn run_uuid(r: &RunRecord) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}:{}:{}:{}", r.project, r.id, r.created_unix, r.data_hash));
    super::hex(&h)[..32].to_string()
}

/// MLflow's file store keeps one value or line per file; keys may hold `/` (sub-folders).
fn put(path: &Path, text: &str) -> Result<(), MlflowError> {
    let err = |error| MlflowError::Write { path: path.to_path_buf(), error };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, text).map_err(err)
}

/// Writes `runs` into `dir` (an `mlruns` folder) as experiment `experiment` (id 1); returns the
/// MLflow run ids. Open it with `mlflow ui --backend-store-uri DIR`.
pub fn write_mlruns(runs: &[RunRecord], dir: &Path, experiment: &str) -> Result<Vec<String>, MlflowError> {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let uri = |p: &Path| format!("file://{}", p.display());
    let now_ms = runs.iter().map(|r| r.created_unix * 1000).max().unwrap_or(0);
    // The default experiment MLflow expects, and Cairn's.
    for (id, name) in [("0", "Default"), ("1", experiment)] {
        put(
            &abs.join(id).join("meta.yaml"),
            &format!(
                "artifact_location: {}\ncreation_time: {now_ms}\nexperiment_id: '{id}'\nlast_update_time: {now_ms}\n\
                 lifecycle_stage: active\nname: {}\n",
                uri(&abs.join(id)),
                yaml_string(name)
            ),
        )?;
    }
    let mut ids = Vec::new();
    for r in runs {
        let uuid = run_uuid(r);
        let run_dir = abs.join("1").join(&uuid);
        let l = logged(r);
        let start = r.created_unix * 1000;
        let end = start + (r.seconds * 1000.0) as u64;
        put(
            &run_dir.join("meta.yaml"),
            &format!(
                "artifact_uri: {}\nend_time: {end}\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\n\
                 run_id: {uuid}\nrun_name: {}\nrun_uuid: {uuid}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n\
                 start_time: {start}\nstatus: 3\ntags: []\nuser_id: cairn\n",
                uri(&run_dir.join("artifacts")),
                yaml_string(&l.name)
            ),
        )?;
        std::fs::create_dir_all(run_dir.join("artifacts"))
            .map_err(|error| MlflowError::Write { path: run_dir.join("artifacts"), error })?;
        for (k, v) in &l.params {
            put(&run_dir.join("params").join(k), v)?;
        }
        let mut by_key: Vec<(String, String)> = Vec::new();
        for (k, v, step) in &l.metrics {
            let line = format!("{end} {v} {step}\n");
            match by_key.iter_mut().find(|(key, _)| key == k) {
                Some((_, text)) => text.push_str(&line),
                None => by_key.push((k.clone(), line)),
            }
        }
        for (k, text) in by_key {
            put(&run_dir.join("metrics").join(k), &text)?;
        }
        for (k, v) in &l.tags {
            put(&run_dir.join("tags").join(k), v)?;
        }
        ids.push(uuid);
    }
    Ok(ids)
}

/// A YAML scalar that stays a string (quoted, with single quotes doubled).
fn yaml_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Sends `runs` to the MLflow tracking server at `url` (e.g. `http://127.0.0.1:5000`) into
/// experiment `experiment` (created if missing); returns the server's run ids.
pub fn push_to_server(runs: &[RunRecord], url: &str, experiment: &str) -> Result<Vec<String>, MlflowError> {
    let url = url.trim_end_matches('/');
    let call = |method: &str, path: &str, body: Option<&Value>| -> Result<(u16, Value), MlflowError> {
        let text = body.map(Value::to_string);
        let (status, answer) = http_request(url, method, path, text.as_deref())
            .map_err(|e| MlflowError::Server { url: url.to_string(), message: e.to_string() })?;
        Ok((status, serde_json::from_str(&answer).unwrap_or(Value::String(answer))))
    };
    let fail = |what: &str, v: &Value| MlflowError::Server { url: url.to_string(), message: format!("{what}: {v}") };
    let query: String = experiment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let (status, found) =
        call("GET", &format!("/api/2.0/mlflow/experiments/get-by-name?experiment_name={query}"), None)?;
    let experiment_id = if status == 200 {
        found["experiment"]["experiment_id"].as_str().map(str::to_string)
    } else {
        let (status, created) = call("POST", "/api/2.0/mlflow/experiments/create", Some(&json!({"name": experiment})))?;
        if status != 200 {
            return Err(fail("creating the experiment", &created));
        }
        created["experiment_id"].as_str().map(str::to_string)
    }
    .ok_or_else(|| fail("no experiment id in the answer", &found))?;
    let mut ids = Vec::new();
    for r in runs {
        let l = logged(r);
        let start = (r.created_unix * 1000) as i64;
        let (status, created) = call(
            "POST",
            "/api/2.0/mlflow/runs/create",
            Some(&json!({"experiment_id": experiment_id, "start_time": start, "run_name": l.name})),
        )?;
        let run_id = created["run"]["info"]["run_id"].as_str().map(str::to_string);
        let Some(run_id) = run_id.filter(|_| status == 200) else { return Err(fail("creating a run", &created)) };
        // log-batch takes at most 1 000 metrics, 100 params and 100 tags per call.
        let metrics: Vec<Value> = l
            .metrics
            .iter()
            .map(|(k, v, step)| json!({"key": k, "value": v, "timestamp": start, "step": step}))
            .collect();
        let params: Vec<Value> = l.params.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
        let tags: Vec<Value> = l.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
        let chunks = metrics.len().div_ceil(1000).max(params.len().div_ceil(100)).max(tags.len().div_ceil(100));
        for i in 0..chunks {
            let part = |v: &[Value], n: usize| v.iter().skip(i * n).take(n).cloned().collect::<Vec<_>>();
            let body = json!({"run_id": run_id, "metrics": part(&metrics, 1000), "params": part(&params, 100),
                              "tags": part(&tags, 100)});
            let (status, answer) = call("POST", "/api/2.0/mlflow/runs/log-batch", Some(&body))?;
            if status != 200 {
                return Err(fail("logging the run", &answer));
            }
        }
        let end = start + (r.seconds * 1000.0) as i64;
        let body = json!({"run_id": run_id, "status": "FINISHED", "end_time": end});
        let (status, answer) = call("POST", "/api/2.0/mlflow/runs/update", Some(&body))?;
        if status != 200 {
            return Err(fail("finishing the run", &answer));
        }
        ids.push(run_id);
    }
    Ok(ids)
}
