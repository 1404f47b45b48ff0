//! `cairn bench explain`: exact TreeSHAP of a 100-tree random forest on California housing over
//! 1 000 rows, in Cairn (`eval::explain`) and, in the same run, with the `shap` package's
//! TreeExplainer on scikit-learn's RandomForestRegressor of the same size
//! (benches/shap_explain.py); also one row at a time (the What-if view's case).

use anyhow::{Context, Result, bail};
use cairn::data::read_csv_path;
use cairn::eval::explain::{Options, explain_rows};
use cairn::train::{FittedModel, ModelKind, TrainConfig, train};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

const SHAP_SCRIPT: &str = include_str!("../../../benches/shap_explain.py");
const ROWS: usize = 1000;

/// Runs the shap script; its one JSON object comes back.
fn run_shap(python: &str, path: &Path, repeat: usize) -> Result<Value> {
    let script = tempfile::Builder::new().suffix(".py").tempfile()?;
    std::fs::write(script.path(), SHAP_SCRIPT)?;
    let case = json!({"path": path, "target": "median_house_value", "rows": ROWS, "repeat": repeat});
    let out = super::run_python(python, script.path(), &case, true, "shap scikit-learn pandas")?;
    if !out.status.success() {
        bail!("the shap script failed (is shap installed? pip install shap scikit-learn pandas)");
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| serde_json::from_str(l).ok()).context("the shap script printed no result")
}

pub fn bench_explain(data_dir: &Path, python: &str, repeat: usize, as_json: bool) -> Result<()> {
    let repeat = repeat.max(1);
    let path = data_dir.join("california_housing.csv");
    let data = read_csv_path(&path)?;
    eprintln!("Cairn: training a 100-tree random forest on {} …", path.display());
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(ModelKind::RandomForest);
    let pipeline = train(&data, None, &cfg, &mut |_| {})?.pipeline;
    let nodes: usize = match &pipeline.model {
        FittedModel::Trees { trees, .. } => trees.iter().map(|t| t.n_nodes()).sum(),
        _ => 0,
    };
    let rows = data.take_rows(&(0..ROWS.min(data.n_rows())).collect::<Vec<_>>());
    let opts = Options::default();
    eprintln!("Cairn: TreeSHAP over {} rows …", rows.n_rows());
    let mut best = f64::INFINITY;
    let mut explained = None;
    for _ in 0..repeat {
        let t = Instant::now();
        explained = Some(explain_rows(&pipeline, &rows, &opts)?);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let gap = explained
        .iter()
        .flat_map(|e| &e.rows)
        .fold(0.0f64, |g, r| g.max((r.base_value + r.contributions.iter().sum::<f64>() - r.prediction).abs()));
    let mut single: Vec<f64> = (0..20)
        .map(|i| {
            let one = rows.take_rows(&[i * 7]);
            let t = Instant::now();
            explain_rows(&pipeline, &one, &opts).map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<Result<_, _>>()?;
    single.sort_by(f64::total_cmp);
    let one_row = single[single.len() / 2];
    eprintln!("shap ({python}): the same forest size with scikit-learn …");
    let shap = run_shap(python, &path, repeat)?;
    let shap_secs = shap["seconds"].as_f64().unwrap_or(f64::NAN);
    let report = json!({
        "bench": "explain", "rows": rows.n_rows(), "trees": 100, "threads": rayon::current_num_threads(),
        "cairn_seconds": best, "cairn_one_row_ms": one_row * 1e3, "cairn_nodes": nodes, "cairn_additivity_gap": gap,
        "shap_seconds": shap_secs, "shap_one_row_ms": shap["one_row_seconds"].as_f64().map(|s| s * 1e3),
        "shap_nodes": shap["nodes"], "shap_additivity_gap": shap["additivity_gap"], "shap_version": shap["shap"],
        "speedup": shap_secs / best,
    });
    if as_json {
        println!("{report}");
    } else {
        println!("{:<34} {:>12} {:>12}", "TreeSHAP, 100-tree forest", "cairn", "shap");
        println!("{:<34} {:>12.3} {:>12.3}", format!("{} rows, seconds", rows.n_rows()), best, shap_secs);
        println!(
            "{:<34} {:>12.1} {:>12.1}",
            "one row, ms (median)",
            one_row * 1e3,
            report["shap_one_row_ms"].as_f64().unwrap_or(f64::NAN)
        );
        println!("{:<34} {:>12} {:>12}", "tree nodes in all", nodes, shap["nodes"]);
        println!(
            "{:<34} {:>12.1e} {:>12.1e}",
            "largest additivity gap",
            gap,
            shap["additivity_gap"].as_f64().unwrap_or(f64::NAN)
        );
        println!("speed-up (shap s / cairn s): {:.2}×, {} threads", shap_secs / best, rayon::current_num_threads());
    }
    Ok(())
}
