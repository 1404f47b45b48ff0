//! `cairn runs STORE`: list, compare, annotate, promote and delete recorded runs, and export
//! them to MLflow; the recording that `cairn train --runs STORE` does; projects (`cairn init`,
//! `cairn run`); and `cairn export`.

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
    (rows, columns): (usize, usize),
    data_path: &Path,
    cv: Option<&CvResult>,
    bundle: Option<(&Path, &str)>,
    (note, tags): (Option<&str>, &[String]),
) -> Result<i64> {
    let store = RunStore::open(path)?;
    let given = data_path.display().to_string();
    let dataset = if cairn::data::is_database_url(&given) {
        cairn::data::data_name(&given)
    } else {
        std::path::absolute(data_path).unwrap_or_else(|_| data_path.to_path_buf()).display().to_string()
    };
    let project = cairn::track::project_name(&dataset);
    let mut run = RunRecord::from_pipeline(pipeline, &project, &dataset, rows, columns).with_cv(cv);
    run.note = note.unwrap_or_default().to_string();
    run.tags = tags.to_vec();
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
            println!("{:<22} {cells}", format!("test {}", cairn::track::metric_label(name)));
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
            cairn::track::utc_time(r.created_unix).get(..19).unwrap_or(""),
            clip(&r.project, 16),
            clip(&r.model, 20),
            format!("test {}", cairn::track::metric_label(&metric)),
            value,
            r.seconds,
            note_and_tags(r)
        );
    }
    Ok(())
}

fn note_and_tags(r: &RunRecord) -> String {
    let tags: String = r.tags.iter().map(|t| format!(" #{t}")).collect();
    format!("{}{tags}", r.note).trim().to_string()
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// What `cairn export` writes.
pub struct ExportTargets {
    pub onnx: Option<PathBuf>,
    pub mlflow: Option<PathBuf>,
    pub docker: Option<PathBuf>,
    /// Folder, replicas, port.
    pub haproxy: Option<(PathBuf, usize, u16)>,
    /// Folder, image.
    pub kserve: Option<(PathBuf, String)>,
    pub check: bool,
    pub card: Option<super::fairness::CardArgs>,
}

/// `cairn export BUNDLE --onnx FILE --mlflow DIR --docker DIR --haproxy DIR --kserve DIR --card FILE`.
pub fn cmd_export(bundle: &Path, targets: ExportTargets) -> Result<()> {
    use cairn::serve::export;
    let ExportTargets { onnx, mlflow, docker, haproxy, kserve, check, card } = targets;
    let nothing =
        [onnx.is_none(), mlflow.is_none(), docker.is_none(), haproxy.is_none(), kserve.is_none(), card.is_none()];
    if nothing.iter().all(|&n| n) && !check {
        bail!(
            "say what to export: --onnx FILE, --mlflow DIR, --docker DIR, --haproxy DIR, --kserve DIR and/or --card FILE \
             (or --check)"
        );
    }
    let (pipeline, checksum) = cairn::project::load_bundle(bundle)?; // refuses a damaged bundle before copying it
    if check {
        println!("{} loads: {} ({checksum})", bundle.display(), pipeline.model_display_name());
    }
    if let Some((dir, image)) = kserve {
        export::write_kserve(&pipeline, &checksum, bundle, &image, &dir)?;
        eprintln!(
            "Wrote {} (inferenceservice.json, deployment.json, service.json, hpa.json, README.txt)",
            dir.display()
        );
    }
    if let Some((dir, replicas, port)) = haproxy {
        export::write_haproxy(bundle, &dir, replicas, port)?;
        eprintln!(
            "Wrote {} (haproxy.cfg, start.sh, rolling-update.sh, stop.sh, model.cairn, README.txt)",
            dir.display()
        );
    }
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
    if let Some(card) = card {
        super::fairness::write_card(&pipeline, &card)?;
    }
    Ok(())
}

/// The options of `cairn recipe`.
#[derive(clap::Args, Debug)]
pub struct RecipeArgs {
    /// The data the recipe is proposed for.
    pub data: PathBuf,
    /// The column to predict (left out of the features).
    #[arg(long, default_value = "")]
    pub target: String,
    /// auto, regression, classification or recommendation (which recipe to propose).
    #[arg(long, default_value = "auto")]
    pub task: String,
}

/// Prints the recipe proposed from DATA's profile, one step per line, as JSON.
pub fn cmd_recipe(a: RecipeArgs) -> Result<()> {
    let data = cairn::data::read_path(&a.data)?;
    if !a.target.is_empty() {
        data.require(&a.target)?;
    }
    let mut cfg = cairn::train::TrainConfig::new(a.target.clone());
    cfg.task = cairn::train::TaskChoice::parse(&a.task)?;
    let task =
        if a.target.is_empty() { cairn::train::Task::Clustering } else { cairn::train::resolve_task(&data, &cfg)? };
    let recipe = cairn::train::default_recipe(&data, &a.target, task)?;
    println!("{}", serde_json::to_string_pretty(&recipe)?);
    Ok(())
}

/// Reads a recipe file (`{"steps": [...]}` as `cairn recipe` prints, or just the list).
pub fn read_recipe(path: &Path) -> Result<cairn::features::Recipe> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read recipe '{}'", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("recipe '{}' is not JSON", path.display()))?;
    let value = if value.is_array() { json!({ "steps": value, "version": 1 }) } else { value };
    let mut recipe: cairn::features::Recipe = serde_json::from_value(value).with_context(|| {
        format!("recipe '{}': a step is not one Cairn knows (see `cairn recipe DATA`)", path.display())
    })?;
    recipe.version = recipe.version.max(cairn::features::RECIPE_VERSION);
    Ok(recipe)
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The project folder (created if missing).
    pub dir: PathBuf,
    /// The data file (or `sample:house-prices`, `sample:spam`).
    #[arg(long)]
    pub data: String,
    #[arg(long)]
    pub target: String,
    #[arg(long, default_value = "auto")]
    pub task: String,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 0.2)]
    pub test_size: f64,
    /// The project's name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
}

/// `cairn init DIR --data DATA --target COL …`: a project folder others can re-run.
pub fn cmd_init(a: InitArgs) -> Result<()> {
    use cairn::project::Project;
    let name = a.name.clone().unwrap_or_else(|| {
        a.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into())
    });
    // A data file inside the folder is referenced relatively (the folder can move), else absolutely.
    let data = if a.data.starts_with("sample:") {
        a.data.clone()
    } else {
        let path = std::path::absolute(&a.data).with_context(|| format!("bad data path '{}'", a.data))?;
        let dir = std::path::absolute(&a.dir)?;
        path.strip_prefix(&dir).unwrap_or(&path).display().to_string()
    };
    let mut project = Project::new(&name, &data, &a.target);
    (project.task, project.model, project.seed, project.test_size) = (a.task, a.model, a.seed, a.test_size);
    let cfg = project.config()?; // checks task and model names before anything is written
    if !a.params.is_empty() {
        let kind = match cfg.model {
            Some(kind) => kind,
            None => {
                let ds = project.read_data(&a.dir)?;
                cairn::train::ModelKind::default_for(cairn::train::resolve_task(&ds, &cfg)?)
            }
        };
        project.params = Some(cairn::train::Params::parse(kind, &a.params)?);
    }
    project.read_data(&a.dir)?; // the data must be readable now, not at the first run
    project.save(&a.dir)?;
    eprintln!("Created project '{name}' in {} (run it with: cairn run {})", a.dir.display(), a.dir.display());
    Ok(())
}

/// `cairn run PROJECT [--json]`: data → recipe → train → evaluate → bundle, recorded.
pub fn cmd_run(dir: &Path, as_json: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let mut progress = |msg: &str| eprintln!("[{:>5.1}s] {msg}", started.elapsed().as_secs_f64());
    let run = cairn::project::run_project(dir, &mut progress)?;
    let p = &run.outcome.pipeline;
    let reproduced = run.earlier.map(|(_, same)| same);
    if as_json {
        println!(
            "{}",
            json!({
                "task": p.target.task.name(), "model": p.info.model, "metrics": run.outcome.report.metrics,
                "device": p.info.device, "train_seconds": p.info.train_seconds, "data_hash": p.info.data_hash,
                "run_id": run.run_id, "bundle": run.bundle.display().to_string(), "checksum": run.checksum,
                "earlier_run": run.earlier.map(|(id, _)| id), "reproduced": reproduced,
            })
        );
        return Ok(());
    }
    println!("{} ({}) {}", p.model_display_name(), p.target.task.name(), p.goal());
    for (name, value, _) in run.outcome.report.metrics.cards() {
        println!("  {name:<10} {value:.4}");
    }
    println!("run {} recorded; model saved to {}", run.run_id, run.bundle.display());
    match run.earlier {
        Some((id, true)) => println!("same data, settings and seed as run {id}: identical test metrics (reproduced)"),
        Some((id, false)) => println!("same data, settings and seed as run {id}, but the metrics differ"),
        None => {}
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct RetrainArgs {
    /// The model serving now.
    pub bundle: PathBuf,
    /// The data it was trained on.
    #[arg(long)]
    pub data: PathBuf,
    /// The new rows (same columns, with the target).
    #[arg(long)]
    pub new: PathBuf,
    /// Save the retrained model here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Promote: switch the running server at this URL to the retrained model (when it is
    /// better, or always with --force); needs --out.
    #[arg(long, value_name = "URL", requires = "out")]
    pub server: Option<String>,
    #[arg(long)]
    pub force: bool,
    /// Record the retrained run (and the promotion) in this run store.
    #[arg(long, value_name = "STORE")]
    pub runs: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// `cairn retrain BUNDLE --data OLD --new NEW`: retrain, compare on shared held-out rows,
/// optionally promote on a live server.
pub fn cmd_retrain(a: RetrainArgs) -> Result<()> {
    let (current, _) = cairn::project::load_bundle(&a.bundle)?;
    let old = cairn::data::read_path(&a.data)?;
    let new = cairn::data::read_path(&a.new)?;
    let started = std::time::Instant::now();
    let mut progress = |msg: &str| eprintln!("[{:>5.1}s] {msg}", started.elapsed().as_secs_f64());
    let r = cairn::train::retrain::retrain(&current, &old, &new, &mut progress)?;
    let candidate = &r.candidate.pipeline;
    let mut saved = None;
    if let Some(out) = &a.out {
        let checksum = cairn::project::save_bundle(candidate, out)?;
        saved = Some((std::path::absolute(out)?, checksum));
    }
    let run_id = match &a.runs {
        Some(store) => {
            let bundle = saved.as_ref().map(|(p, c)| (p.as_path(), c.as_str()));
            let size = (old.n_rows() + new.n_rows(), old.columns.len());
            let note = format!("retrained with {}", a.new.display());
            Some(record_run(store, candidate, size, &a.data, None, bundle, (Some(&note), &["retrained".to_string()]))?)
        }
        None => None,
    };
    let mut promoted = false;
    if let (Some(url), Some((path, _))) = (&a.server, &saved)
        && (r.better() || a.force)
    {
        let body = json!({"bundle": path}).to_string();
        let (status, answer) = cairn::util::http_request(url, "POST", "/admin/reload", Some(&body))
            .map_err(|e| anyhow::anyhow!("cannot reach the server at {url}: {e}"))?;
        if status != 200 {
            bail!("the server at {url} refused the new model: {answer}");
        }
        promoted = true;
        if let (Some(store), Some(id)) = (&a.runs, run_id) {
            RunStore::open(store)?.promote(id)?;
        }
    }
    if a.json {
        println!(
            "{}",
            json!({
                "current": r.current.metrics, "retrained": r.candidate.report.metrics,
                "better": r.better(), "holdout_rows": r.holdout_rows, "train_rows": r.train_rows,
                "new_rows": r.new_rows, "bundle": saved.as_ref().map(|(p, _)| p.display().to_string()),
                "checksum": saved.as_ref().map(|(_, c)| c), "run_id": run_id, "promoted": promoted,
            })
        );
        return Ok(());
    }
    println!("{}", r.summary());
    match (&a.server, promoted) {
        (Some(url), true) => println!("promoted: {url} now serves the retrained model"),
        (Some(_), false) => println!("kept the current model (use --force to promote anyway)"),
        _ => {}
    }
    Ok(())
}

/// `cairn monitor BUNDLE --reference TRAIN --current NEW|LOG [--labels ANSWERS]`: drift, and
/// live quality from late answers.
pub fn cmd_monitor(
    bundle: &Path,
    reference: &Path,
    current: &Path,
    labels: Option<&Path>,
    as_json: bool,
) -> Result<()> {
    let (pipeline, _) = cairn::project::load_bundle(bundle)?;
    let r = cairn::data::read_path(reference)?;
    // The server's own prediction log can be the current data.
    let is_log = current.to_string_lossy().ends_with(".predictions.jsonl");
    let (c, log) = if is_log {
        let log = cairn::monitor::read_prediction_log(current, &pipeline.schema)?;
        (log.inputs.clone(), Some(log))
    } else {
        (cairn::data::read_path(current)?, None)
    };
    let live = match (labels, &log) {
        (Some(answers), Some(log)) => {
            Some(cairn::monitor::live_scores(&pipeline, log, &cairn::data::read_path(answers)?)?)
        }
        (Some(_), None) => bail!("--labels needs the server's prediction log as --current (BUNDLE.predictions.jsonl)"),
        _ => None,
    };
    if pipeline.forecast.is_some() {
        // A forecast is watched by its errors once the actual values arrive (drift of the
        // time column would say only that time went on).
        let Some(l) = live else {
            bail!(
                "a forecast bundle is monitored with --labels ACTUALS (the later values) and --current BUNDLE.predictions.jsonl"
            )
        };
        if as_json {
            println!("{}", serde_json::json!({"task": "forecast", "live": l}));
        } else {
            println!(
                "forecasts served: {} matched with actual values; live {} {:.4} (backtest at training: {:.4}){}",
                l.matched,
                l.metric,
                l.live,
                l.at_training,
                if l.unmatched > 0 {
                    format!("; {} actual values matched no served forecast", l.unmatched)
                } else {
                    String::new()
                }
            );
            for (name, v) in &l.measures {
                println!("  {name:<6} {v:.4}");
            }
        }
        return Ok(());
    }
    let report = cairn::monitor::drift_report_for(&pipeline, &r, &c)?;
    if as_json {
        let mut v = serde_json::to_value(&report)?;
        if let Some(live) = &live {
            v["live"] = serde_json::to_value(live)?;
        }
        println!("{v}");
        return Ok(());
    }
    if let Some(l) = &live {
        println!(
            "live {}: {:.4} on {} answered predictions (at training: {:.4}){}",
            l.metric,
            l.live,
            l.matched,
            l.at_training,
            if l.unmatched > 0 { format!("; {} answers matched no prediction", l.unmatched) } else { String::new() }
        );
    }
    println!(
        "{:<24} {:<12} {:<15} {:>10} {:>10} {:>8}  drift?",
        "column", "kind", "method", "score", "threshold", "PSI"
    );
    for f in &report.features {
        println!(
            "{:<24} {:<12} {:<15} {:>10.4} {:>10} {:>8.3}  {}",
            f.column,
            f.kind,
            f.method,
            f.score,
            if f.method == "ks" || f.method == "chi2" {
                format!("p < {}", f.threshold)
            } else {
                format!("> {}", f.threshold)
            },
            f.measures.get("psi").copied().unwrap_or(f64::NAN),
            if f.drifted { "DRIFT" } else { "ok" }
        );
    }
    for (col, why) in &report.skipped {
        println!("{col:<24} skipped: {why}");
    }
    for line in &report.reading {
        println!("{line}");
    }
    println!(
        "{}",
        if report.dataset_drift { "The data set has drifted: consider retraining." } else { "No data-set drift." }
    );
    Ok(())
}

/// `cairn run BUNDLE --data DATA`: retrain a bundle from its manifest and compare bit for bit.
pub fn cmd_rerun(bundle: &Path, data: &Path, as_json: bool) -> Result<()> {
    let (original, _) = cairn::project::load_bundle(bundle)?;
    let ds = cairn::data::read_path(data)?;
    let started = std::time::Instant::now();
    let mut progress = |msg: &str| eprintln!("[{:>5.1}s] {msg}", started.elapsed().as_secs_f64());
    let r = cairn::train::retrain::rerun(&original, &ds, &mut progress)?;
    let reproduced = r.same_data && r.same_metrics && r.same_model;
    if as_json {
        println!(
            "{}",
            json!({
                "model": r.outcome.pipeline.info.model, "metrics": r.outcome.report.metrics,
                "original_metrics": original.metrics, "same_data": r.same_data,
                "same_metrics": r.same_metrics, "same_model": r.same_model, "reproduced": reproduced,
            })
        );
        return Ok(());
    }
    if !r.same_data {
        println!("the data differs from what {} was trained on (another fingerprint)", bundle.display());
    }
    println!(
        "{}: {}",
        bundle.display(),
        if reproduced {
            "reproduced bit for bit (same data, same fitted recipe and model, same metrics)"
        } else if r.same_metrics {
            "same metrics, but the fitted model differs"
        } else {
            "NOT reproduced: the metrics differ"
        }
    );
    Ok(())
}
