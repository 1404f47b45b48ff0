//! `cairn bench bundle`: the 100-tree California forest saved as a format-2 bundle
//! (MessagePack + zstd) and as a format-1 bundle (JSON), in the same run: file sizes, save and
//! load times, and `cairn predict` on 100 rows from the start of the process to its end.

use anyhow::{Context, Result, bail};
use cairn::data::read_csv_path;
use cairn::project::{BundleEncoding, load_bundle, save_bundle_with};
use cairn::train::{ModelKind, TrainConfig, train};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn best_of<T>(n: usize, mut f: impl FnMut() -> Result<T>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

pub fn bench_bundle(data_dir: &Path, repeat: usize, as_json: bool) -> Result<()> {
    let data = read_csv_path(&data_dir.join("california_housing.csv"))?;
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(ModelKind::RandomForest);
    eprintln!("Training the 100-tree forest on California housing …");
    let outcome = train(&data, None, &cfg, &mut |_| {})?;
    let dir = tempfile::tempdir()?;
    let rows = dir.path().join("rows.csv");
    let head: String = std::fs::read_to_string(data_dir.join("california_housing.csv"))?
        .lines()
        .take(101)
        .map(|l| l.to_string() + "\n")
        .collect();
    std::fs::write(&rows, head)?;
    let exe = std::env::current_exe()?;
    let mut report = Vec::new();
    for (name, encoding) in [("msgpack+zstd", BundleEncoding::Binary), ("json", BundleEncoding::Json)] {
        let path = dir.path().join(format!("forest-{name}.cairn").replace('+', "-"));
        let save = best_of(repeat, || Ok(save_bundle_with(&outcome.pipeline, &path, encoding)?))?;
        let bytes = std::fs::metadata(&path)?.len();
        let load = best_of(repeat, || Ok(load_bundle(&path)?))?;
        let out = dir.path().join("out.csv");
        let predict = best_of(repeat, || {
            let status = Command::new(&exe)
                .arg("predict")
                .arg(&path)
                .arg(&rows)
                .arg("-o")
                .arg(&out)
                .stderr(Stdio::null())
                .status()
                .context("running cairn predict")?;
            if !status.success() {
                bail!("cairn predict failed ({status})");
            }
            Ok(())
        })?;
        if !as_json {
            println!(
                "{name:<13} {:>8.2} MB   save {:>7.1} ms   load {:>7.1} ms   predict 100 rows (whole process) {:>7.1} ms",
                bytes as f64 / 1e6,
                save * 1e3,
                load * 1e3,
                predict * 1e3
            );
        }
        report.push(json!({"encoding": name, "bytes": bytes, "save_seconds": save, "load_seconds": load,
                           "predict_process_seconds": predict}));
    }
    if as_json {
        println!(
            "{}",
            json!({"bench": "bundle", "model": "random_forest (100 trees)", "data": "california_housing", "results": report})
        );
    } else {
        println!("(best of {repeat} each; the same pipeline in both files)");
    }
    Ok(())
}
