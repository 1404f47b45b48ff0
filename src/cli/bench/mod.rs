//! `cairn bench train`: the reference protocol timed in Cairn and, in the same run, in
//! pandas + scikit-learn (benches/sklearn_train.py), printed side by side with ratios.

pub mod bundle;
pub mod explain;
pub mod gpu;
pub mod images;
pub mod import;
pub mod serve;
pub mod wide;

use anyhow::{Context, Result, bail};
use cairn::data::read_csv_path;
use cairn::train::{ModelKind, TrainConfig, train};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

pub(super) const SKLEARN_SCRIPT: &str = include_str!("../../../benches/sklearn_train.py");

pub(super) struct Case {
    name: &'static str,
    file: &'static str,
    target: &'static str,
    model: ModelKind,
    text: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "housing/linear",
        file: "california_housing.csv",
        target: "median_house_value",
        model: ModelKind::Linear,
        text: None,
    },
    Case {
        name: "housing/tree",
        file: "california_housing.csv",
        target: "median_house_value",
        model: ModelKind::Tree,
        text: None,
    },
    Case {
        name: "housing/random_forest",
        file: "california_housing.csv",
        target: "median_house_value",
        model: ModelKind::RandomForest,
        text: None,
    },
    Case {
        name: "housing/hist_gradient_boosting",
        file: "california_housing.csv",
        target: "median_house_value",
        model: ModelKind::HistGradientBoosting,
        text: None,
    },
    Case {
        name: "penguins/hist_gradient_boosting",
        file: "penguins.csv",
        target: "species",
        model: ModelKind::HistGradientBoosting,
        text: None,
    },
    Case {
        name: "spam/logistic",
        file: "sms_spam.csv",
        target: "label",
        model: ModelKind::Logistic,
        text: Some("text"),
    },
    Case {
        name: "spam/naive_bayes",
        file: "sms_spam.csv",
        target: "label",
        model: ModelKind::NaiveBayes,
        text: Some("text"),
    },
    Case { name: "spam/tree", file: "sms_spam.csv", target: "label", model: ModelKind::Tree, text: Some("text") },
    Case {
        name: "spam/random_forest",
        file: "sms_spam.csv",
        target: "label",
        model: ModelKind::RandomForest,
        text: Some("text"),
    },
    Case {
        name: "spam/hist_gradient_boosting",
        file: "sms_spam.csv",
        target: "label",
        model: ModelKind::HistGradientBoosting,
        text: Some("text"),
    },
];

/// Load → fit → score once; returns (seconds, headline score, whether it is classification).
fn cairn_once(path: &Path, case: &Case) -> Result<(f64, f64, bool)> {
    let t = Instant::now();
    let data = read_csv_path(path)?;
    let mut cfg = TrainConfig::new(case.target);
    cfg.model = Some(case.model);
    let outcome = train(&data, None, &cfg, &mut |_| {})?;
    let classify = outcome.pipeline.target.task == cairn::train::Task::Classification;
    Ok((t.elapsed().as_secs_f64(), outcome.report.metrics.headline().1, classify))
}

/// Runs a reference script in Python with `request` (JSON) on its stdin and waits for it; its
/// stderr is shown when `show_stderr`, else kept in the output. `install` names what to
/// `pip install` when Python cannot be started.
pub(super) fn run_python(
    python: &str,
    script: &Path,
    request: &Value,
    show_stderr: bool,
    install: &str,
) -> Result<std::process::Output> {
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if show_stderr { Stdio::inherit() } else { Stdio::piped() })
        .spawn()
        .with_context(|| format!("cannot run {python} (pip install {install})"))?;
    child.stdin.take().context("python stdin")?.write_all(request.to_string().as_bytes())?;
    Ok(child.wait_with_output()?)
}

/// Runs the scikit-learn script on `cases`; one JSON object per case comes back.
pub(super) fn run_sklearn(python: &str, script: &Path, cases: &Value) -> Result<Vec<Value>> {
    let out = run_python(python, script, cases, true, "scikit-learn pandas")?;
    if !out.status.success() {
        bail!("the scikit-learn script failed (is scikit-learn installed? pip install scikit-learn pandas)");
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}

/// Runs the cases (those whose name contains `only`, when given).
pub fn bench_train(data_dir: &Path, python: &str, repeat: usize, only: Option<&str>, as_json: bool) -> Result<()> {
    let repeat = repeat.max(1);
    let script = tempfile::Builder::new().suffix(".py").tempfile()?;
    std::fs::write(script.path(), SKLEARN_SCRIPT)?;
    // Case by case, Cairn then scikit-learn right after, so both run under the same machine
    // conditions (a shared machine's speed drifts over minutes).
    let mut rows = Vec::new();
    let mut sk: Vec<Value> = Vec::new();
    for case in CASES.iter().filter(|c| only.is_none_or(|o| c.name.contains(o))) {
        let path = data_dir.join(case.file);
        eprintln!("{}: Cairn …", case.name);
        // One untimed warm-up run; quick cases get more timed runs, as timing noise is a
        // larger share of them. Both sides use the same counts.
        let warm = cairn_once(&path, case)?;
        let runs = if warm.0 < 0.5 { repeat * 4 } else { repeat };
        let mut best = (f64::INFINITY, f64::NAN, warm.2);
        for _ in 0..runs {
            let r = cairn_once(&path, case)?;
            if r.0 < best.0 {
                best = r;
            }
        }
        eprintln!("{}: scikit-learn ({python}) …", case.name);
        let spec = json!([{"name": case.name, "path": path, "target": case.target, "model": case.model.name(),
                           "text": case.text, "classify": warm.2, "repeat": runs}]);
        sk.extend(run_sklearn(python, script.path(), &spec)?);
        rows.push((case, best));
    }

    let mut report = Vec::new();
    if !as_json {
        println!(
            "{:<32} {:>10} {:>10} {:>9} {:>10} {:>10} {:>10} {:>9} {:>10}",
            "case", "cairn s", "sklearn s", "speed-up", "cairn", "sklearn", "lightgbm s", "vs lgbm", "lightgbm"
        );
    }
    for (case, (secs, score, _)) in &rows {
        let s = sk.iter().find(|v| v["name"] == case.name);
        let sk_secs = s.and_then(|v| v["seconds"].as_f64()).unwrap_or(f64::NAN);
        let sk_score = s.and_then(|v| v["score"].as_f64()).unwrap_or(f64::NAN);
        let ratio = sk_secs / secs;
        // Histogram boosting is also run in LightGBM.
        let lgb = s.and_then(|v| Some((v["lightgbm_seconds"].as_f64()?, v["lightgbm_score"].as_f64()?)));
        if !as_json {
            print!("{:<32} {secs:>10.3} {sk_secs:>10.3} {ratio:>8.1}× {score:>10.4} {sk_score:>10.4}", case.name);
            match lgb {
                Some((l_secs, l_score)) => println!(" {l_secs:>10.3} {:>8.1}× {l_score:>10.4}", l_secs / secs),
                None => println!(),
            }
        }
        let mut row = json!({
            "case": case.name, "cairn_seconds": secs, "sklearn_seconds": sk_secs, "speedup": ratio,
            "cairn_score": score, "sklearn_score": sk_score,
        });
        if let Some((l_secs, l_score)) = lgb {
            row["lightgbm_seconds"] = json!(l_secs);
            row["lightgbm_score"] = json!(l_score);
            row["speedup_vs_lightgbm"] = json!(l_secs / secs);
        }
        report.push(row);
    }
    if as_json {
        println!("{}", json!({ "bench": "train", "repeat": repeat, "cases": report }));
    } else {
        println!(
            "(load → fit → score inside each process after a warm-up run, best of {repeat} ({} for cases under 0.5 s); \
             scores: R² or accuracy on the 20 % test split)",
            repeat * 4
        );
    }
    Ok(())
}
