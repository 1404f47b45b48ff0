//! The command line: `cairn train | predict | serve | inspect`. With no subcommand, the GUI.

pub mod bench;
mod explain;
mod fairness;
mod forecast;
mod pictures;
pub mod runs;
pub mod teach;
mod train;

use anyhow::{Context, Result, bail};
use cairn::data::Dataset;
use cairn::project::load_bundle;
use cairn::serve::batch::{predict_file, predict_file_to};
use cairn::serve::{ServeState, serve_blocking};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "cairn",
    version,
    about = "End-to-end machine learning on a laptop. Run with no command for the app.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open this file in the app: a data table, or a class pack (`.cairnpack`) to start its
    /// lesson (what double-clicking a file does).
    #[arg(value_name = "FILE")]
    pub open: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Train a model on a CSV file and report its test scores.
    Train(Box<TrainArgs>),
    /// The recorded runs of a run store: list, compare, note, promote, delete, export to MLflow.
    Runs(crate::cli::runs::RunsArgs),
    /// Retrain the serving model's recipe and settings on its data plus new rows, compare both
    /// on the same held-out rows, and optionally switch a running server to the new one.
    Retrain(crate::cli::runs::RetrainArgs),
    /// Print the feature recipe proposed for DATA as JSON, to edit and pass to `train --recipe`.
    Recipe(crate::cli::runs::RecipeArgs),
    /// A user's top items from a recommendation bundle (ones they did not rate in training).
    Recommend(crate::cli::teach::RecommendArgs),
    /// Metrics per group of rows and the gaps between groups (fairness; fairlearn's definitions).
    Fairness(crate::cli::fairness::FairnessArgs),
    /// Check a lesson file, or pack it with its data into a class pack.
    Lesson(crate::cli::teach::LessonArgs),
    /// Write an HTML report (data profile, recipe, model, scores and plots) of a bundle on DATA.
    Report(crate::cli::teach::ReportArgs),
    /// Create a project folder: the data, the target and the training choices.
    Init(crate::cli::runs::InitArgs),
    /// Re-execute a project headless: data → recipe → train → evaluate → bundle, recorded in
    /// the project's run store.
    Run {
        /// A project folder, or a bundle (retrained from its manifest on --data).
        project: PathBuf,
        /// With a bundle: the data it was trained on.
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Add a `prediction` column (and class probabilities) to a CSV file; a picture model
    /// takes a folder of pictures or picture files instead.
    Predict {
        bundle: PathBuf,
        input: PathBuf,
        /// More picture files or folders (picture models).
        #[arg(value_name = "MORE")]
        more: Vec<PathBuf>,
        /// Output CSV (default: standard output).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Write explanations instead, as `cairn explain` does.
        #[arg(long)]
        explain: bool,
        /// A forecast bundle: how many steps to forecast (default: the bundle's horizon).
        #[arg(long, value_name = "H")]
        horizon: Option<usize>,
    },
    /// Why each row got its prediction: `base_value` plus one `contrib_<column>` per input
    /// column (Shapley values), or `--pdp COLUMN` partial dependence.
    Explain(crate::cli::explain::ExplainArgs),
    /// Serve a bundle over HTTP: a form at /, JSON at POST /predict.
    Serve {
        bundle: PathBuf,
        /// 0 picks a free port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Exit when standard input closes (used by the app, so its server never outlives it).
        #[arg(long, hide = true)]
        stop_with_parent: bool,
        /// What the prediction log keeps of each request: none, safe (the model's input columns
        /// except those that held personal data in training) or all.
        #[arg(long, default_value = "safe", value_name = "none|safe|all")]
        log_inputs: String,
        /// Open the prediction page in the browser once the server listens (what double-clicking
        /// a `.cairn` file does).
        #[arg(long)]
        open: bool,
    },
    /// Benchmarks: `cairn bench train` times the reference protocol in Cairn and scikit-learn;
    /// `cairn bench serve` puts the real server under load.
    Bench {
        /// What to benchmark: `train`, `boosting` (histogram boosting against scikit-learn and
        /// LightGBM), `serve`, `gpu`, `import` (a generated CSV of --rows
        /// rows × 20 columns through `cairn inspect`, against pandas read_csv + describe), `wide`
        /// (a 16 000-title column one-hot in full: linear, ridge, logistic against scikit-learn),
        /// `bundle` (the 100-tree forest's bundle in both encodings: size, load, predict),
        /// `images` (pictures embedded per second by the image encoder, against onnxruntime on
        /// the same ONNX) or `frames` (the app's UI frame time while that CSV is imported,
        /// against idle frames).
        what: String,
        /// Folder with california_housing.csv and sms_spam.csv.
        #[arg(long, default_value = "assets")]
        data_dir: PathBuf,
        /// The Python with scikit-learn and pandas.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Runs per case; the best is reported.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// `serve`: concurrent keep-alive clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// `serve`: single-row requests in all (the 100-row case sends a tenth as many).
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// `serve`: run each case this many seconds instead of a number of requests.
        #[arg(long, default_value_t = 0.0)]
        seconds: f64,
        /// `serve`: also run the cases against FastAPI + uvicorn + scikit-learn serving the same
        /// model (pip install fastapi uvicorn scikit-learn pandas); 10 s per case unless --seconds.
        #[arg(long)]
        fastapi: bool,
        /// `serve`: then keep Cairn saturated with single rows this many seconds, sampling its memory.
        #[arg(long, default_value_t = 0.0)]
        saturate: f64,
        /// `gpu`: rows of the synthetic 64-column table; `import`: rows of the generated CSV.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long)]
        json: bool,
    },
    /// Package a bundle to run elsewhere: an ONNX model of the whole pipeline, an MLflow model
    /// folder, or a Docker build context (any of them at once).
    Export {
        bundle: PathBuf,
        /// Write the pipeline (recipe + model) as one ONNX model to FILE.
        #[arg(long, value_name = "FILE")]
        onnx: Option<PathBuf>,
        /// Write an MLflow model folder (MLmodel with the ONNX flavour, model.onnx, the bundle).
        #[arg(long, value_name = "DIR")]
        mlflow: Option<PathBuf>,
        /// Write a Dockerfile, the bundle and this `cairn` executable into DIR.
        #[arg(long, value_name = "DIR")]
        docker: Option<PathBuf>,
        /// Write HAProxy in front of --replicas `cairn serve` processes into DIR: haproxy.cfg,
        /// start.sh, rolling-update.sh (a new bundle one replica at a time, no request lost), stop.sh.
        #[arg(long, value_name = "DIR")]
        haproxy: Option<PathBuf>,
        /// With --haproxy: how many replicas.
        #[arg(long, default_value_t = 2, requires = "haproxy")]
        replicas: usize,
        /// With --haproxy: the port HAProxy listens on (the replicas take the next ones).
        #[arg(long, default_value_t = 8080, requires = "haproxy")]
        port: u16,
        /// Write Kubernetes manifests into DIR: a KServe InferenceService (custom predictor, V2
        /// protocol) and a plain Deployment + Service + HorizontalPodAutoscaler.
        #[arg(long, value_name = "DIR")]
        kserve: Option<PathBuf>,
        /// With --kserve: the container image (built from `export --docker`).
        #[arg(long, default_value = "cairn-model:latest", requires = "kserve")]
        image: String,
        /// Only check that the bundle loads (a damaged or too-new bundle fails with a message).
        #[arg(long)]
        check: bool,
        /// Write a model card (Markdown) to FILE: intended use, data, recipe, metrics, limits,
        /// how to reproduce.
        #[arg(long, value_name = "FILE")]
        card: Option<PathBuf>,
        /// With --card: labelled data the card describes (its warnings; with --group, metrics by group).
        #[arg(long, value_name = "DATA", requires = "card")]
        data: Option<PathBuf>,
        /// With --card and --data: the column whose groups the metrics are split by.
        #[arg(long, value_name = "COLUMN", requires = "data")]
        group: Option<String>,
        /// With --card: what the model is for, in your words.
        #[arg(long, value_name = "TEXT", requires = "card")]
        intended_use: Option<String>,
    },
    /// Data drift: does CURRENT (new data, or a server's BUNDLE.predictions.jsonl log) still
    /// look like REFERENCE (the training data)?
    Monitor {
        bundle: PathBuf,
        #[arg(long)]
        reference: PathBuf,
        #[arg(long)]
        current: PathBuf,
        /// True answers that arrived later: a table with the prediction `id` (answered by
        /// `POST /predict`) and the target column; --current must be the server's log.
        #[arg(long, value_name = "ANSWERS")]
        labels: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Profile a data file: column types, missing values, statistics.
    Inspect {
        data: PathBuf,
        /// Also check the features against this target column (imbalance, leakage).
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        large: LargeFileArgs,
    },
}

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Train(args) => train::cmd_train(*args),
        Command::Runs(args) => crate::cli::runs::cmd_runs(args),
        Command::Init(args) => crate::cli::runs::cmd_init(args),
        Command::Recipe(args) => crate::cli::runs::cmd_recipe(args),
        Command::Recommend(args) => crate::cli::teach::cmd_recommend(args),
        Command::Fairness(args) => crate::cli::fairness::cmd_fairness(args),
        Command::Lesson(args) => crate::cli::teach::cmd_lesson(args),
        Command::Report(args) => crate::cli::teach::cmd_report(args),
        Command::Retrain(args) => crate::cli::runs::cmd_retrain(args),
        Command::Run { project, data, json } => match data {
            Some(data) => crate::cli::runs::cmd_rerun(&project, &data, json),
            None => crate::cli::runs::cmd_run(&project, json),
        },
        Command::Predict { bundle, input, more, out, explain: false, horizon } => {
            let (pipeline, _) = load_bundle(&bundle)?;
            // Pictures, or a folder of examples (sounds, texts) read as in training.
            let folder = more.is_empty() && input.is_dir() && !cairn::data::is_parquet_folder(&input);
            if pipeline.pictures.is_some() || folder {
                let inputs: Vec<PathBuf> = std::iter::once(input).chain(more).collect();
                return crate::cli::pictures::cmd_predict_pictures(&pipeline, &inputs, out.as_deref());
            }
            if let Some(extra) = more.first() {
                bail!("'{}': one input file at a time (several are for picture models)", extra.display());
            }
            if pipeline.forecast.is_some() {
                return crate::cli::forecast::predict_forecast(&pipeline, &input, out.as_deref(), horizon);
            }
            cmd_predict(pipeline, &input, out.as_deref())
        }
        Command::Predict { bundle, input, out, explain: true, .. } => {
            let (pipeline, _) = load_bundle(&bundle)?;
            let opts = cairn::eval::explain::Options::default();
            crate::cli::explain::explain_to_csv(&pipeline, &input, out.as_deref(), &opts)
        }
        Command::Explain(args) => crate::cli::explain::cmd_explain(args),
        Command::Serve { bundle, port, host, stop_with_parent, log_inputs, open } => {
            let log_inputs = cairn::serve::LogInputs::parse(&log_inputs)
                .with_context(|| format!("unknown --log-inputs '{log_inputs}' (use none, safe or all)"))?;
            cmd_serve(&bundle, &host, port, stop_with_parent, log_inputs, open)
        }
        Command::Inspect { data, target, json, large } => {
            crate::cli::teach::cmd_inspect(&data, target.as_deref(), json, &large)
        }
        export @ Command::Export { .. } => run_export(export),
        Command::Monitor { bundle, reference, current, labels, json } => {
            crate::cli::runs::cmd_monitor(&bundle, &reference, &current, labels.as_deref(), json)
        }
        Command::Bench {
            what,
            data_dir,
            python,
            repeat,
            clients,
            requests,
            seconds,
            fastapi,
            saturate,
            rows,
            json,
        } => match what.as_str() {
            "train" => crate::cli::bench::bench_train(&data_dir, &python, repeat, None, json),
            // The histogram boosting cases of `train` alone (Cairn, scikit-learn and LightGBM).
            "boosting" => {
                crate::cli::bench::bench_train(&data_dir, &python, repeat, Some("hist_gradient_boosting"), json)
            }
            "serve" => {
                let b = crate::cli::bench::serve::ServeBench { clients, requests, seconds, fastapi, python, saturate };
                crate::cli::bench::serve::bench_serve(&data_dir, &b, json)
            }
            "gpu" => crate::cli::bench::gpu::bench_gpu(&data_dir, &python, rows, repeat.max(2), json),
            "import" => crate::cli::bench::import::bench_import(rows, &python, repeat.max(1), json),
            "explain" => crate::cli::bench::explain::bench_explain(&data_dir, &python, 1, json),
            "bundle" => crate::cli::bench::bundle::bench_bundle(&data_dir, repeat.max(1), json),
            "images" => crate::cli::bench::images::bench_images(&python, repeat.max(1), json),
            // 20 000 rows unless --rows says otherwise (the 1 000 000 default is import's).
            "wide" => {
                let rows = if rows == 1_000_000 { 20_000 } else { rows };
                crate::cli::bench::wide::bench_wide(rows, &python, json)
            }
            // Measured on the app's UI, so `main` runs it before `run` (this file never names the UI).
            "frames" => bail!("'cairn bench frames' is run by the binary's entry point"),
            other => bail!(
                "unknown benchmark '{other}' (available: train, boosting, serve, gpu, import, explain, wide, bundle, images, frames)"
            ),
        },
    }
}

/// The options of `cairn train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// The training data (CSV/TSV).
    pub data: PathBuf,
    /// The column to predict (optional for `--model kmeans`, where it only checks the clusters).
    #[arg(long)]
    pub target: Option<String>,
    /// auto | regression | classification | clustering | recommendation | forecast
    #[arg(long, default_value = "auto")]
    pub task: String,
    /// A model name, `all` for a leaderboard of every model that fits the task, or `auto` to
    /// pick one by a quick cross-validated comparison (ridge/logistic, histogram boosting, a
    /// small forest) under `--time-budget` (30 s).
    #[arg(long)]
    pub model: Option<String>,
    /// auto | cpu | gpu
    #[arg(long, default_value = "auto")]
    pub device: String,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Score on this file instead of a split (the model then fits on all of DATA).
    #[arg(long, conflicts_with = "test_size")]
    pub test: Option<PathBuf>,
    /// Split by time: the latest rows by this date column are the test rows.
    #[arg(long, value_name = "COLUMN", conflicts_with = "test")]
    pub time_split: Option<String>,
    /// Share of DATA held out for testing.
    #[arg(long, default_value_t = 0.2)]
    pub test_size: f64,
    /// Also run K-fold cross-validation (stratified for classes) on the training part.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// A model setting, e.g. `--param max_depth=5` (repeatable; see the README's model table).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Search the model's settings by cross-validation on the training part: grid | random.
    #[arg(long, value_name = "SEARCH")]
    pub tune: Option<String>,
    /// Candidates a random search tries.
    #[arg(long, default_value_t = 10)]
    pub trials: usize,
    /// Also measure permutation feature importance on the test rows (every input column).
    #[arg(long)]
    pub importance: bool,
    /// Also compute a learning curve (score vs. training size) on the split of DATA.
    #[arg(long)]
    pub learning_curve: bool,
    /// Write the trained pipeline to this bundle file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Record the run (data hash, recipe, settings, seed, metrics, curves, bundle) in this run
    /// store (an SQLite file, created if missing); see `cairn runs`.
    #[arg(long, value_name = "STORE")]
    pub runs: Option<PathBuf>,
    /// A note stored with the run (with --runs).
    #[arg(long, requires = "runs")]
    pub note: Option<String>,
    /// A tag stored with the run (with --runs; repeatable).
    #[arg(long = "tag", requires = "runs", value_name = "TAG")]
    pub tags: Vec<String>,
    /// The feature recipe as JSON (see `cairn recipe`); default: the one proposed from the data.
    #[arg(long, value_name = "FILE")]
    pub recipe: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// A folder of pictures becomes: encoder (the pretrained encoder's 1280 features, computed
    /// on the device --device picks), pixels (a grey thumbnail and colour histograms) or both
    /// (default).
    #[arg(long, value_name = "FEATURES")]
    pub pictures: Option<String>,
    /// Pictures: add this many altered copies (mirror, crop, small rotations) of each training
    /// picture to the training rows.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub augment: usize,
    /// Forecasting (`--task forecast`): the date or time column.
    #[arg(long, value_name = "COLUMN")]
    pub time: Option<String>,
    /// Forecasting: the column naming each series (several series in one table).
    #[arg(long, value_name = "COLUMN")]
    pub series: Option<String>,
    /// Forecasting: how many steps ahead (default: one season, at most 24).
    #[arg(long, value_name = "H")]
    pub horizon: Option<usize>,
    /// Forecasting: auto | hour | day | week | month | quarter | year
    #[arg(long, default_value = "auto")]
    pub frequency: String,
    /// Forecasting: rows of a series at the same time are combined: mean | sum | last.
    #[arg(long, value_name = "HOW")]
    pub combine: Option<String>,
    /// Forecasting: missing times are filled: interpolate | previous | zero.
    #[arg(long, value_name = "HOW")]
    pub fill: Option<String>,
    /// Forecasting: the share of the prediction band (0.8: 80 %).
    #[arg(long, default_value_t = 0.8)]
    pub level: f64,
    #[command(flatten)]
    pub large: LargeFileArgs,
    /// Calibrate a classifier's probabilities on out-of-fold predictions of the training rows:
    /// sigmoid (Platt) or isotonic.
    #[arg(long, value_name = "METHOD")]
    pub calibrate: Option<String>,
    /// With `--model all`: start no model after this many seconds (the ones left are listed
    /// as not tried).
    #[arg(long, value_name = "SECONDS")]
    pub time_budget: Option<f64>,
}

/// Files larger than memory (`data::stream`): streamed in one pass, with a sample to train on.
#[derive(clap::Args, Debug, Clone)]
pub struct LargeFileArgs {
    /// Stream the file (one pass; the model trains on a sample) even when it fits in memory.
    #[arg(long)]
    pub out_of_core: bool,
    /// Rows in the training sample of a streamed file.
    #[arg(long, value_name = "ROWS", default_value_t = cairn::data::stream::DEFAULT_SAMPLE_ROWS)]
    pub sample_rows: usize,
    /// A CSV/TSV file whose table would take more than this share of the available memory is
    /// streamed.
    #[arg(long, value_name = "SHARE", default_value_t = cairn::data::stream::DEFAULT_MEMORY_SHARE)]
    pub memory_share: f64,
}

/// Whether `path` is streamed: asked for, or too large for the memory share.
pub(crate) fn streams(path: &Path, large: &LargeFileArgs) -> Result<bool> {
    if !(large.memory_share > 0.0 && large.memory_share <= 1.0) {
        bail!("--memory-share must be above 0 and at most 1 (got {})", large.memory_share);
    }
    if large.sample_rows < 10 {
        bail!("--sample-rows must be at least 10 (got {})", large.sample_rows);
    }
    let text = cairn::data::stream::is_delimited_text(path);
    if large.out_of_core && !text {
        bail!(
            "--out-of-core streams delimited text files (CSV, TSV); '{}' is not one (a PostgreSQL table is sampled \
             in the database above CAIRN_PG_SAMPLE_ROWS rows)",
            cairn::data::data_name(&path.display().to_string())
        );
    }
    Ok(large.out_of_core || (text && cairn::data::stream::too_large_for_memory(path, large.memory_share)))
}

/// A progress bar on stderr for a file read in chunks, redrawn after each: (bytes read, total
/// bytes, rows so far).
fn progress_bar(started: Instant) -> impl FnMut(u64, u64, usize) {
    move |done, total, rows| {
        let share = if total > 0 { done as f64 / total as f64 } else { 1.0 };
        let bar = "#".repeat((share * 30.0).round() as usize);
        eprint!("\r[{bar:<30}] {:>3.0}%  {rows} rows  {:.1} s", share * 100.0, started.elapsed().as_secs_f64());
    }
}

/// Streams `path` once (a progress bar on stderr), holding `test_share` of the rows out.
pub(crate) fn stream(
    path: &Path,
    large: &LargeFileArgs,
    test_share: f64,
    seed: u64,
) -> Result<cairn::data::stream::Streamed> {
    let started = Instant::now();
    let options = cairn::data::stream::StreamOptions { sample_rows: large.sample_rows, test_share, seed };
    let mut progress = progress_bar(started);
    let streamed = cairn::data::stream::stream_csv(path, &options, &mut progress, None);
    eprintln!();
    let streamed = streamed?;
    eprintln!("{}", streamed.summary.describe());
    Ok(streamed)
}

pub(crate) fn load(path: &Path) -> Result<Dataset> {
    Ok(cairn::data::read_path(path)?)
}

/// `cairn export`: what to write, then [`crate::cli::runs::cmd_export`].
fn run_export(command: Command) -> Result<()> {
    let Command::Export {
        bundle,
        onnx,
        mlflow,
        docker,
        haproxy,
        replicas,
        port,
        kserve,
        image,
        check,
        card,
        data,
        group,
        intended_use,
    } = command
    else {
        bail!("not an export command");
    };
    let card =
        card.map(|file| crate::cli::fairness::CardArgs { file, bundle: bundle.clone(), data, group, intended_use });
    let targets = crate::cli::runs::ExportTargets {
        onnx,
        mlflow,
        docker,
        haproxy: haproxy.map(|dir| (dir, replicas, port)),
        kserve: kserve.map(|dir| (dir, image)),
        check,
        card,
    };
    crate::cli::runs::cmd_export(&bundle, targets)
}

fn cmd_predict(pipeline: cairn::train::Pipeline, input: &Path, out: Option<&Path>) -> Result<()> {
    let started = Instant::now();
    // A progress bar on stderr, redrawn after each chunk.
    let mut progress = progress_bar(started);
    let rows = match out {
        Some(path) => predict_file_to(&pipeline, input, path, &mut progress)
            .with_context(|| format!("cannot predict '{}'", input.display()))?,
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let rows = predict_file(&pipeline, input, &mut stdout, &mut progress)
                .with_context(|| format!("cannot predict '{}'", input.display()))?;
            stdout.flush()?;
            rows
        }
    };
    eprintln!();
    if let Some(path) = out {
        eprintln!("Wrote {rows} predictions to {}", path.display());
    }
    Ok(())
}

fn cmd_serve(
    bundle: &Path,
    host: &str,
    port: u16,
    stop_with_parent: bool,
    log_inputs: cairn::serve::LogInputs,
    open: bool,
) -> Result<()> {
    let (pipeline, checksum) = load_bundle(bundle)?;
    if stop_with_parent {
        // The parent holds our stdin open; end of input means it is gone (even after kill -9).
        std::thread::spawn(|| {
            std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink()).ok();
            eprintln!("The app that started this server has exited; stopping.");
            std::process::exit(0);
        });
    }
    let model = pipeline.model_display_name();
    let target = pipeline.target.name.clone();
    let personal = pipeline.schema.personal.clone();
    let mut state = ServeState::new(pipeline, checksum, bundle);
    state.log_inputs = log_inputs;
    let state = Arc::new(state);
    if let Some(log) = &state.log {
        eprintln!("Logging predictions to {}", log.path().display());
        if log_inputs == cairn::serve::LogInputs::Safe && !personal.is_empty() {
            eprintln!(
                "Not logging columns that held personal data: {} (--log-inputs all keeps them)",
                personal.join(", ")
            );
        }
    }
    serve_blocking(state, host, port, |addr| {
        // The first stdout line is read by the app's Deploy panel to learn the address.
        println!("Serving {model} predicting '{target}' at http://{addr}/");
        std::io::stdout().flush().ok();
        if open {
            // The desktop's browser; a machine without one just keeps serving.
            let url = format!("http://{addr}/");
            match std::process::Command::new("xdg-open").arg(&url).spawn() {
                Ok(_) => eprintln!("Opening {url} in the browser."),
                Err(e) => eprintln!("Could not open a browser ({e}); open {url} yourself."),
            }
        }
        eprintln!("Press Ctrl-C to stop.");
    })?;
    eprintln!("Server stopped.");
    Ok(())
}
