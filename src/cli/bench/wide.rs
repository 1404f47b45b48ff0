//! `cairn bench wide`: a table with a title-like column of ~16 000 distinct values, one-hot
//! encoded in full (scikit-learn's plain pipeline, and Cairn's recipe when a user keeps the
//! column after all), fitted by linear, ridge and logistic regression in Cairn and, in the same
//! run, in scikit-learn (benches/sklearn_train.py, whose sparse solvers are the reference).

use super::{Case, SKLEARN_SCRIPT, run_sklearn};
use anyhow::Result;
use cairn::data::{Schema, read_csv_path};
use cairn::features::Recipe;
use cairn::train::{ModelKind, TrainConfig, train};
use cairn::util::Rng;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

const CASES: &[Case] = &[
    Case { name: "wide/linear", file: "", target: "price", model: ModelKind::Linear, text: None },
    Case { name: "wide/ridge", file: "", target: "price", model: ModelKind::Ridge, text: None },
    Case { name: "wide/logistic", file: "", target: "expensive", model: ModelKind::Logistic, text: None },
];

/// `rows` rows: a title drawn from `4 × rows` names (most appear once; ~16 000 distinct among 16 000 training rows of 20 000),
/// two numbers and a price that depends on all three plus noise; written twice, with the price
/// (`price.csv`) and with whether it is expensive (`expensive.csv`).
fn generate(dir: &Path, rows: usize) -> Result<()> {
    let mut rng = Rng::new(7);
    let titles = (rows * 4).max(2);
    let effect: Vec<f64> = (0..titles).map(|_| rng.symmetric_f32() as f64 * 20.0).collect();
    let mut price = std::io::BufWriter::new(std::fs::File::create(dir.join("price.csv"))?);
    let mut expensive = std::io::BufWriter::new(std::fs::File::create(dir.join("expensive.csv"))?);
    writeln!(price, "title,size,age,price")?;
    writeln!(expensive, "title,size,age,expensive")?;
    for _ in 0..rows {
        let t = rng.below(titles);
        let size = 50.0 + rng.below(150) as f64;
        let age = rng.below(60) as f64;
        let p = 2.0 * size - 0.8 * age + effect[t] + rng.symmetric_f32() as f64 * 10.0;
        writeln!(price, "item-{t:05},{size},{age},{p:.2}")?;
        writeln!(expensive, "item-{t:05},{size},{age},{}", if p > 190.0 { "yes" } else { "no" })?;
    }
    price.flush()?;
    expensive.flush()?;
    Ok(())
}

/// Load → fit (every column encoded, the title one-hot in full) → score; (seconds, score, features).
fn cairn_once(path: &Path, case: &Case) -> Result<(f64, f64, usize)> {
    let t = Instant::now();
    let data = read_csv_path(path)?;
    let mut cfg = TrainConfig::new(case.target);
    cfg.model = Some(case.model);
    cfg.recipe = Some(Recipe::default_for(&Schema::from_dataset(&data, case.target)));
    let outcome = train(&data, None, &cfg, &mut |_| {})?;
    let features = outcome.pipeline.fitted_recipe.feature_names().len();
    Ok((t.elapsed().as_secs_f64(), outcome.report.metrics.headline().1, features))
}

pub fn bench_wide(rows: usize, python: &str, as_json: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("sklearn_train.py");
    std::fs::write(&script, SKLEARN_SCRIPT)?;
    generate(dir.path(), rows)?;
    let mut report = Vec::new();
    if !as_json {
        println!(
            "{:<16} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9}",
            "case", "features", "cairn s", "sklearn s", "speed-up", "cairn", "sklearn"
        );
    }
    for case in CASES {
        let path = dir.path().join(format!("{}.csv", case.target));
        eprintln!("{}: Cairn …", case.name);
        let (secs, score, features) = cairn_once(&path, case)?;
        eprintln!("{}: scikit-learn ({python}) …", case.name);
        let spec = json!([{"name": case.name, "path": path, "target": case.target, "model": case.model.name(),
                           "text": null, "classify": case.model == ModelKind::Logistic, "repeat": 1}]);
        let sk = run_sklearn(python, &script, &spec)?;
        let sk_secs = sk.first().and_then(|v| v["seconds"].as_f64()).unwrap_or(f64::NAN);
        let sk_score = sk.first().and_then(|v| v["score"].as_f64()).unwrap_or(f64::NAN);
        if !as_json {
            println!(
                "{:<16} {features:>9} {secs:>10.3} {sk_secs:>10.3} {:>8.1}× {score:>9.4} {sk_score:>9.4}",
                case.name,
                sk_secs / secs
            );
        }
        report.push(json!({"case": case.name, "features": features, "cairn_seconds": secs, "sklearn_seconds": sk_secs,
                           "speedup": sk_secs / secs, "cairn_score": score, "sklearn_score": sk_score}));
    }
    if as_json {
        println!("{}", json!({"bench": "wide", "rows": rows, "cases": report}));
    } else {
        println!(
            "(load → fit → score, one run each; the title column one-hot encoded in full on both sides; scores: R² or accuracy on the 20 % test split)"
        );
    }
    Ok(())
}
