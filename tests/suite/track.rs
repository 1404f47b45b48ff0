//! Tracking: `cairn train --runs` records every run in the SQLite store; `cairn runs` lists,
//! compares, notes, promotes, deletes and exports them to MLflow (read back by MLflow itself
//! when it is installed).

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use serde_json::Value;
use std::process::Command;

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let o = cairn(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

#[test]
fn runs_are_recorded_compared_promoted_and_exported() {
    let dir = tempdir();
    let store = dir.path().join("runs.sqlite");
    let bundle = dir.path().join("house.cairn");
    let house = asset("california_housing.csv");
    let trained = json_of(&[
        "train",
        s(&house),
        "--target",
        "median_house_value",
        "--out",
        s(&bundle),
        "--runs",
        s(&store),
        "--note",
        "baseline",
        "--tag",
        "baseline",
        "--tag",
        "linear",
        "--json",
    ]);
    let mlp = json_of(&[
        "train",
        s(&house),
        "--target",
        "median_house_value",
        "--model",
        "mlp",
        "--param",
        "epochs=5",
        "--runs",
        s(&store),
        "--json",
    ]);
    assert_eq!((trained["run_id"].as_i64(), mlp["run_id"].as_i64()), (Some(1), Some(2)));

    // The store holds what training reported, newest first.
    let runs = json_of(&["runs", s(&store), "--json"])["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2);
    let first = &runs[1];
    assert_eq!(first["model"], "linear");
    assert_eq!(first["data_hash"], trained["data_hash"]);
    assert_eq!(first["metrics"], trained["metrics"]);
    assert_eq!(
        (first["rows"].as_u64(), first["seed"].as_u64(), first["note"].as_str()),
        (Some(20_640), Some(42), Some("baseline"))
    );
    assert!(first["bundle"].as_str().unwrap().ends_with("house.cairn"));
    assert_eq!(first["tags"], serde_json::json!(["baseline", "linear"]));
    let (_, checksum) = cairn::project::load_bundle(&bundle).unwrap();
    assert_eq!(first["checksum"].as_str(), Some(checksum.as_str()));
    let recipe = first["recipe"].as_array().unwrap();
    assert_eq!(recipe[0]["step"], "drop_missing_target");
    assert_eq!(recipe.len(), 10, "rows without a target left out, then one step per feature column");
    // The network's per-epoch curve is kept.
    assert_eq!(runs[0]["curve"].as_array().unwrap().len(), 5);

    // Compare: the settings that differ, and the metrics side by side.
    let c = json_of(&["runs", s(&store), "--compare", "1,2", "--json"]);
    let diffs: Vec<&str> = c["differences"].as_array().unwrap().iter().map(|d| d[0].as_str().unwrap()).collect();
    assert!(diffs.contains(&"model") && diffs.contains(&"epochs") && !diffs.contains(&"seed"), "{diffs:?}");
    let r2 = c["metrics"].as_array().unwrap().iter().find(|m| m[0] == "r2").unwrap();
    assert_eq!(r2[1][0], trained["metrics"]["r2"]);

    // Promote, note, delete; then a missing run is a clean error.
    let o = cairn(&["runs", s(&store), "--promote", "2", "--note", "1", "first try"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = json_of(&["runs", s(&store), "--json"])["runs"].as_array().unwrap().clone();
    assert_eq!((runs[0]["production"].as_bool(), runs[1]["production"].as_bool()), (Some(true), Some(false)));
    assert_eq!(runs[1]["note"], "first try");
    assert_clean_failure(&cairn(&["runs", s(&store), "--promote", "7"]), "there is no run 7");
    assert_clean_failure(&cairn(&["runs", s(&dir.path().join("none.sqlite"))]), "is not a run store");

    // MLflow's file layout …
    let mlruns = dir.path().join("mlruns");
    let o = cairn(&["runs", s(&store), "--mlflow-dir", s(&mlruns)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run_dirs: Vec<_> =
        std::fs::read_dir(mlruns.join("1")).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    assert_eq!(run_dirs.len(), 2);
    let linear =
        run_dirs.iter().find(|d| std::fs::read_to_string(d.path().join("params/model")).unwrap() == "linear").unwrap();
    let line = std::fs::read_to_string(linear.path().join("metrics/test_r2")).unwrap();
    let value: f64 = line.split(' ').nth(1).unwrap().parse().unwrap();
    assert_eq!(Some(value), trained["metrics"]["r2"].as_f64());

    mlflow_reads_back(dir.path(), &store, &mlruns, &trained);
}

/// The exported runs read back by MLflow itself, from the `mlruns` folder and from a real
/// tracking server that `cairn runs --mlflow-url` pushes to.
fn mlflow_reads_back(dir: &std::path::Path, store: &std::path::Path, mlruns: &std::path::Path, trained: &Value) {
    // … read back by MLflow itself, from the folder and from a real tracking server.
    let has_mlflow = Command::new("python3").args(["-c", "import mlflow"]).status().is_ok_and(|s| s.success());
    if !has_mlflow {
        eprintln!("MLflow is not installed (pip install mlflow): checked the mlruns layout only");
        return;
    }
    let reader = r#"
import sys, json, mlflow
from mlflow.tracking import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
c = MlflowClient()
exp = c.get_experiment_by_name("cairn")
runs = c.search_runs([exp.experiment_id])
out = {r.data.params["model"]: {"r2": r.data.metrics["test_r2"], "status": r.info.status,
       "production": r.data.tags.get("cairn.production"),
       "curve": len(c.get_metric_history(r.info.run_id, "train_loss"))} for r in runs}
print(json.dumps(out))
"#;
    let read_back = |uri: &str| -> Value {
        let o =
            Command::new("python3").args(["-c", reader, uri]).env("MLFLOW_ALLOW_FILE_STORE", "true").output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap()
    };
    let check = |v: &Value| {
        assert_eq!(v["linear"]["r2"].as_f64(), trained["metrics"]["r2"].as_f64(), "{v}");
        assert_eq!((v["linear"]["status"].as_str(), v["mlp"]["production"].as_str()), (Some("FINISHED"), Some("true")));
        assert_eq!(v["mlp"]["curve"], 5);
    };
    check(&read_back(&format!("file://{}", mlruns.display())));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let db = format!("sqlite:///{}", dir.join("mlflow.db").display());
    // Its own process group: the server starts uvicorn and job consumers, all stopped together.
    use std::os::unix::process::CommandExt;
    let mut server = Command::new("mlflow")
        .args(["server", "--host", "127.0.0.1", "--port", &port, "--backend-store-uri", &db, "--workers", "1"])
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while cairn::util::http_request(&url, "GET", "/health", None).is_err() && started.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let o = cairn(&["runs", s(store), "--mlflow-url", &url]);
    let v = o.status.success().then(|| read_back(&url));
    Command::new("kill").args(["-s", "KILL", "--", &format!("-{}", server.id())]).status().ok();
    server.kill().ok();
    server.wait().ok();
    assert!(o.status.success(), "{}", stderr(&o));
    check(&v.unwrap());
}
