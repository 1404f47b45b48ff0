//! `cairn runs STORE`: list, compare, annotate, promote and delete recorded runs, and export
//! them to MLflow; the recording that `cairn train --runs STORE` does; and `cairn export`.

use anyhow::{Context, Result, bail};
use cairn::track::{RunRecord, RunStore, compare};
use cairn::train::{Pipeline, cv::CvResult};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct RunsArgs {
    /// The run store (an SQLite file; `cairn train --runs STORE` records into it).
    pub store: PathBuf,
    /// Show these runs side by side: the settings that differ and every metric (e.g. 3,5).
    #[arg(long, value_delimiter = ',', value_name = "ID,ID")]
    pub compare: Vec<i64>,
    /// Mark this run as its project's production model.
    #[arg(long, value_name = "ID")]
    pub promote: Option<i64>,
    /// Delete this run.
    #[arg(long, value_name = "ID")]
    pub delete: Option<i64>,
    /// Set a run's note: `--note ID TEXT`.
    #[arg(long, num_args = 2, value_names = ["ID", "TEXT"])]
    pub note: Vec<String>,
    /// Write every run into an MLflow `mlruns` folder (`mlflow ui --backend-store-uri DIR`).
    #[arg(long, value_name = "DIR")]
    pub mlflow_dir: Option<PathBuf>,
    /// Send every run to an MLflow tracking server (e.g. http://127.0.0.1:5000).
    #[arg(long, value_name = "URL")]
    pub mlflow_url: Option<String>,
    /// The MLflow experiment the runs go into.
    #[arg(long, default_value = "cairn")]
    pub experiment: String,
    #[arg(long)]
    pub json: bool,
}

/// Records a trained pipeline into the store at `path`; returns the run's id.
pub fn record_run(
    path: &Path,
    pipeline: &Pipeline,
    data: &cairn::data::Dataset,
    data_path: &Path,
    cv: Option<&CvResult>,
    bundle: Option<(&Path, &str)>,
    note: Option<&str>,
) -> Result<i64> {
    let store = RunStore::open(path)?;
    let project = data_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let dataset = std::path::absolute(data_path).unwrap_or_else(|_| data_path.to_path_buf());
    let mut run =
        RunRecord::from_pipeline(pipeline, &project, &dataset.display().to_string(), data.n_rows(), data.columns.len())
            .with_cv(cv);
    run.note = note.unwrap_or_default().to_string();
    let id = store.record(&run)?;
    if let Some((bundle, checksum)) = bundle {
        let bundle = std::path::absolute(bundle).unwrap_or_else(|_| bundle.to_path_buf());
        store.set_bundle(id, &bundle.display().to_string(), checksum)?;
    }
    Ok(id)
}

pub fn cmd_runs(a: RunsArgs) -> Result<()> {
    if !a.store.exists() {
        bail!("'{}' is not a run store (train with --runs {} to start one)", a.store.display(), a.store.display());
    }
    let store = RunStore::open(&a.store)?;
    if let Some(id) = a.delete {
        store.delete(id)?;
        eprintln!("Deleted run {id}");
    }
    if let Some(id) = a.promote {
        store.promote(id)?;
        eprintln!("Run {id} is now the production model of its project");
    }
    if let [id, text] = a.note.as_slice() {
        let id: i64 = id.parse().with_context(|| format!("--note: '{id}' is not a run id"))?;
        let run = store.run(id)?;
        store.annotate(id, text, &run.tags)?;
    }
    let runs = store.runs()?;
    if let Some(dir) = &a.mlflow_dir {
        let ids = cairn::track::mlflow::write_mlruns(&runs, dir, &a.experiment)?;
        eprintln!(
            "Wrote {} runs to {} (open with: mlflow ui --backend-store-uri {})",
            ids.len(),
            dir.display(),
            dir.display()
        );
    }
    if let Some(url) = &a.mlflow_url {
        let ids = cairn::track::mlflow::push_to_server(&runs, url, &a.experiment)?;
        eprintln!("Sent {} runs to the MLflow server at {url} (experiment '{}')", ids.len(), a.experiment);
    }
    if !a.compare.is_empty() {
        let chosen = a.compare.iter().map(|&id| store.run(id)).collect::<Result<Vec<_>, _>>()?;
        let c = compare(&chosen);
        if a.json {
            println!("{}", serde_json::to_string(&c)?);
            return Ok(());
        }
        let head: Vec<String> = c.ids.iter().map(|id| format!("run {id}")).collect();
        println!("{:<22} {}", "", head.iter().map(|h| format!("{h:>24}")).collect::<String>());
        for (name, values) in &c.differences {
            let cells: String = values.iter().map(|v| format!("{:>24}", clip(v, 24))).collect();
            println!("{:<22} {cells}", clip(name, 22));
        }
        for (name, values) in &c.metrics {
            let cells: String =
                values.iter().map(|v| v.map_or(format!("{:>24}", "—"), |x| format!("{x:>24.4}"))).collect();
            println!("{:<22} {cells}", format!("test {name}"));
        }
        return Ok(());
    }
    if a.json {
        println!("{}", json!({"runs": runs}));
        return Ok(());
    }
    println!(
        "{:>4} {:<1} {:<19} {:<16} {:<20} {:<18} {:>10} {:>8}  note",
        "id", "", "when (UTC)", "project", "model", "metric", "value", "seconds"
    );
    for r in &runs {
        let (metric, value) = r.headline().unwrap_or_default();
        println!(
            "{:>4} {:<1} {:<19} {:<16} {:<20} {:<18} {:>10.4} {:>8.2}  {}",
            r.id,
            if r.production { "★" } else { "" },
            cairn::serve::export::utc_time(r.created_unix).get(..19).unwrap_or(""),
            clip(&r.project, 16),
            clip(&r.model, 20),
            format!("test {metric}"),
            value,
            r.seconds,
            r.note
        );
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// `cairn export BUNDLE --onnx FILE --mlflow DIR --docker DIR`.
pub fn cmd_export(bundle: &Path, onnx: Option<PathBuf>, mlflow: Option<PathBuf>, docker: Option<PathBuf>) -> Result<()> {
    use cairn::serve::export;
    if onnx.is_none() && mlflow.is_none() && docker.is_none() {
        bail!("say what to export: --onnx FILE, --mlflow DIR and/or --docker DIR");
    }
    let (pipeline, checksum) = cairn::project::load_bundle(bundle)?; // refuses a damaged bundle before copying it
    if let Some(path) = onnx {
        export::write_onnx(&pipeline, &checksum, &path)?;
        eprintln!("Wrote {} (ONNX, opset 13: recipe + {})", path.display(), pipeline.model_display_name());
    }
    if let Some(dir) = mlflow {
        export::write_mlflow(&pipeline, &checksum, bundle, &dir)?;
        eprintln!("Wrote {} (MLmodel, model.onnx, model.cairn, input_example.json)", dir.display());
    }
    if let Some(dir) = docker {
        let exe = std::env::current_exe().context("cannot find the cairn executable")?;
        export::write_docker(&pipeline, &checksum, bundle, &exe, &dir)?;
        eprintln!("Wrote {} (Dockerfile, model.cairn, cairn, README.txt)", dir.display());
    }
    Ok(())
}

