//! `cairn train`: one model (optionally tuned, cross-validated, with importance and a learning
//! curve), or `--model all` for a leaderboard; prints a table or one JSON object, saves the
//! bundle and records the run.

use super::{TrainArgs, load};
use anyhow::{Context, Result, bail};
use cairn::data::Dataset;
use cairn::eval::{Importance, LearningCurve, learning_curve, permutation_importance};
use cairn::gpu;
use cairn::project::save_bundle;
use cairn::train::cv::{CvResult, cross_validate};
use cairn::train::leaderboard::try_all_models;
use cairn::train::tune::{Search, TuneResult, tune};
use cairn::train::{ModelKind, Params, TaskChoice, TrainConfig, TrainOutcome, train};
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Seconds since the command started, as the progress lines print it.
fn stamp(started: Instant) -> String {
    format!("[{:>5.1}s]", started.elapsed().as_secs_f64())
}

pub(super) fn cmd_train(a: TrainArgs) -> Result<()> {
    let started = Instant::now();
    let device = gpu::DeviceChoice::parse(&a.device)
        .with_context(|| format!("unknown device '{}' (use auto, cpu or gpu)", a.device))?;
    if TaskChoice::parse(&a.task)? == TaskChoice::Forecast {
        eprintln!("{} Reading {}", stamp(started), cairn::data::data_name(&a.data.display().to_string()));
        let data = load(&a.data)?;
        return super::forecast::cmd_train_forecast(&a, &data, started);
    }
    let leaderboard = a.model.as_deref().map(str::trim) == Some("all");
    // `--model auto`: a quick cross-validated comparison picks the model (as the app's Automatic).
    let automatic = a.model.as_deref().map(str::trim) == Some("auto");
    let model = match a.model.as_deref() {
        Some(name) if !leaderboard && !automatic => Some(ModelKind::parse(name)?),
        _ => None,
    };
    if device == gpu::DeviceChoice::Gpu && gpu::adapters().is_empty() {
        bail!("--device gpu: no GPU adapter found (install a Vulkan driver, or use --device cpu)");
    }
    eprintln!("{} Reading {}", stamp(started), cairn::data::data_name(&a.data.display().to_string()));
    let mut cfg = train_config(&a, device, model, started)?;
    cfg.automatic = automatic;
    let (data, test, streamed) = if super::streams(&a.data, &a.large)? {
        if a.time_split.is_some() {
            bail!("--time-split needs the whole table in memory; a streamed file is split at random");
        }
        let share = if a.test.is_some() { 0.0 } else { a.test_size };
        let s = super::stream(&a.data, &a.large, share, a.seed)?;
        cfg.streamed = Some(s.statistics.clone());
        let test = match a.test.as_deref() {
            Some(path) => Some(load(path)?),
            None => s.test,
        };
        (s.train, test, Some(s.summary))
    } else {
        let features = match a.pictures.as_deref() {
            None => cairn::data::PictureFeatures::Both,
            Some(name) => cairn::data::PictureFeatures::parse(name)
                .with_context(|| format!("unknown --pictures '{name}' (use encoder, pixels or both)"))?,
        };
        let load = |path: &std::path::Path| super::pictures::load_pictures(path, features, device);
        (load(&a.data)?, a.test.as_deref().map(load).transpose()?, None)
    };
    if a.augment > 0 && data.pictures.is_none() {
        bail!("--augment is for a folder of pictures (one sub-folder per class)");
    }
    cfg.augment = a.augment;
    let mut progress = |msg: &str| eprintln!("{} {msg}", stamp(started));
    let search = a.tune.as_deref().map(|s| Search::parse(s, a.trials)).transpose()?;
    if (leaderboard || automatic) && (search.is_some() || !a.params.is_empty()) {
        bail!("--tune and --param need one model, not --model all or auto");
    }
    match a.time_budget {
        Some(_) if !leaderboard && !automatic => {
            bail!("--time-budget is for --model all or auto (it limits how many models are tried)")
        }
        Some(b) if !(b > 0.0 && b.is_finite()) => bail!("--time-budget must be a number of seconds above 0 (got {b})"),
        b => cfg.time_budget = b,
    }
    if !a.params.is_empty() {
        let kind = match model {
            Some(kind) => kind,
            None => ModelKind::default_for(cairn::train::resolve_task(&data, &cfg)?),
        };
        cfg.params = Some(Params::parse(kind, &a.params)?);
    }
    if leaderboard {
        return run_leaderboard(&a, &data, test.as_ref(), &cfg, &mut progress);
    }
    let tuning = match search {
        Some(search) => Some(run_tuning(&a, &data, &mut cfg, search, started, &mut progress)?),
        None => None,
    };
    let outcome = train(&data, test.as_ref(), &cfg, &mut progress)?;
    let cv = a.cv.map(|k| cross_validate(&data, &cfg, k, &mut progress)).transpose()?;
    let importance = if a.importance {
        progress("Permutation importance on the test rows");
        let test_rows = match &test {
            Some(t) => t.clone(),
            None => data.take_rows(&outcome.test_source_rows),
        };
        Some(permutation_importance(&outcome.pipeline, &test_rows, 5, a.seed)?)
    } else {
        None
    };
    let curve = if a.learning_curve {
        progress("Learning curve");
        Some(learning_curve(&data, &cfg)?)
    } else {
        None
    };
    let (bundle, run_id) = save_and_record(&a, &data, &outcome, cv.as_ref(), started)?;
    let extras = Extras { cv, tuning, importance, curve, bundle, run_id, streamed };
    if a.json {
        print_json(&outcome, &extras)
    } else {
        print_table(&outcome, &extras)
    }
    Ok(())
}

/// The training configuration from the command's options (the recipe file read, the epoch
/// printer attached).
fn train_config(
    a: &TrainArgs,
    device: gpu::DeviceChoice,
    model: Option<ModelKind>,
    started: Instant,
) -> Result<TrainConfig> {
    let mut cfg = TrainConfig::new(a.target.clone().unwrap_or_default());
    cfg.task = TaskChoice::parse(&a.task)?;
    cfg.model = model;
    cfg.seed = a.seed;
    cfg.test_size = a.test_size;
    cfg.device = device;
    cfg.recipe = a.recipe.as_deref().map(super::runs::read_recipe).transpose()?;
    cfg.time_column = a.time_split.clone();
    cfg.calibration = a
        .calibrate
        .as_deref()
        .map(|m| {
            cairn::train::calibration::Calibration::parse(m)
                .with_context(|| format!("unknown --calibrate '{m}' (use sigmoid or isotonic)"))
        })
        .transpose()?;
    // A neural network's epochs, as they finish.
    cfg.on_epoch = Some(cairn::train::EpochSink(std::sync::Arc::new(move |e: &gpu::net::EpochStats| {
        if e.is_whole() {
            let val = match (e.val_loss, e.val_metric) {
                (Some(l), Some(m)) => format!(", validation loss {l:.4}, validation score {m:.4}"),
                _ => String::new(),
            };
            eprintln!("{} epoch {}: training loss {:.4}{val}", stamp(started), e.epoch, e.train_loss);
        }
    })));
    Ok(cfg)
}

/// `--tune`: searches the settings by cross-validation and puts the best into `cfg`.
fn run_tuning(
    a: &TrainArgs,
    data: &Dataset,
    cfg: &mut TrainConfig,
    search: Search,
    started: Instant,
    progress: &mut dyn FnMut(&str),
) -> Result<TuneResult> {
    let folds = a.cv.unwrap_or(5);
    let result = tune(data, cfg, search, folds, progress, &mut |t| {
        eprintln!("    {:<40} CV {:.4} ± {:.4}  ({:.2}s)", t.summary, t.score, t.std, t.seconds)
    })?;
    let best = result.best_params().clone();
    eprintln!(
        "{} Best settings: {} (CV {} {:.4})",
        stamp(started),
        best.summary(),
        result.metric,
        result.trials[result.best].score
    );
    cfg.model = Some(best.model);
    cfg.params = Some(best);
    Ok(result)
}

/// `--out` and `--runs`: the bundle path and the run id, when asked for.
fn save_and_record(
    a: &TrainArgs,
    data: &Dataset,
    outcome: &TrainOutcome,
    cv: Option<&CvResult>,
    started: Instant,
) -> Result<(Option<String>, Option<i64>)> {
    let p = &outcome.pipeline;
    let mut checksum = None;
    if let Some(out) = &a.out {
        let sum = save_bundle(p, out)?;
        eprintln!("{} Saved {} ({sum})", stamp(started), out.display());
        checksum = Some(sum);
    }
    let run_id = match &a.runs {
        Some(store) => {
            let bundle = a.out.as_deref().zip(checksum.as_deref());
            let shape = (data.n_rows(), data.columns.len());
            let id = super::runs::record_run(store, p, shape, &a.data, cv, bundle, (a.note.as_deref(), &a.tags))?;
            eprintln!("{} Recorded as run {id} in {}", stamp(started), store.display());
            Some(id)
        }
        None => None,
    };
    Ok((a.out.as_ref().map(|o| o.display().to_string()), run_id))
}

/// What a single-model run computed besides the model.
struct Extras {
    cv: Option<CvResult>,
    tuning: Option<TuneResult>,
    importance: Option<Importance>,
    curve: Option<LearningCurve>,
    bundle: Option<String>,
    run_id: Option<i64>,
    /// Set when the file was streamed (too large for memory, or `--out-of-core`).
    streamed: Option<cairn::data::stream::StreamSummary>,
}

fn print_json(outcome: &TrainOutcome, x: &Extras) {
    let p = &outcome.pipeline;
    let v = json!({
        "task": p.target.task.name(),
        "model": p.info.model,
        "params": p.info.params.values,
        "metrics": outcome.report.metrics,
        "device": p.info.device,
        "train_seconds": p.info.train_seconds,
        "train_rows": p.info.train_rows,
        "test_rows": p.info.test_rows,
        "features": p.info.n_features,
        "seed": p.info.seed,
        "data_hash": p.info.data_hash,
        "cv": x.cv,
        "tuning": x.tuning,
        "importance": x.importance,
        "learning_curve": x.curve,
        "bundle": x.bundle,
        "run_id": x.run_id,
        "calibration": p.calibrator.as_ref().map(|c| json!({ "method": c.method.name(), "rows": c.rows })),
        "automatic": p.info.automatic,
    });
    let mut v = v;
    if let Some(s) = &x.streamed {
        let mut o = serde_json::to_value(s).unwrap_or_default();
        o["peak_memory_bytes"] = json!(cairn::data::stream::peak_memory());
        v["out_of_core"] = o;
    }
    println!("{v}");
}

fn print_table(outcome: &TrainOutcome, x: &Extras) {
    let p = &outcome.pipeline;
    println!("{} ({}) {}, settings: {}", p.model_display_name(), p.target.task.name(), p.goal(), p.settings_summary());
    println!(
        "trained on {} rows, tested on {} rows, {} features",
        p.info.train_rows, p.info.test_rows, p.info.n_features
    );
    if let Some(choice) = &p.info.automatic {
        println!("{}", choice.summary());
    }
    for (name, value, _) in outcome.report.metrics.cards() {
        println!("  {name:<10} {value:.4}");
    }
    if let Some(cv) = &x.cv {
        let name = outcome.report.metrics.headline().0;
        println!("{}-fold cross-validation on the training part: {name} {}", cv.folds, cv_text(cv, name));
    }
    println!("{}", outcome.report.metrics.plain_words(&p.target.name));
    if let Some(imp) = &x.importance {
        println!("permutation importance (drop in test {} when shuffled, {} repeats):", imp.metric, imp.repeats);
        for c in &imp.columns {
            println!("  {:<24} {:>8.4} ± {:.4}", c.column, c.drop, c.std);
        }
    }
    if let Some(curve) = &x.curve {
        println!("learning curve ({}): rows, train score, test score", curve.metric);
        for pt in &curve.points {
            println!("  {:>8} {:>8.4} {:>8.4}", pt.train_rows, pt.train_score, pt.test_score);
        }
        println!("{}", curve.note);
    }
}

/// `--model all`: every model that fits the task, best first; `--out` saves the best.
fn run_leaderboard(
    a: &TrainArgs,
    data: &Dataset,
    test: Option<&Dataset>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<()> {
    if a.out.is_some() {
        eprintln!("note: --out saves the best model of the leaderboard");
    }
    let task = cairn::train::resolve_task(data, cfg)?;
    let mut results: Vec<(TrainOutcome, Option<CvResult>)> = Vec::new();
    let never = AtomicBool::new(false);
    let skipped = try_all_models(data, test, cfg, a.cv, &never, progress, &mut |t| results.push((t.outcome, t.cv)))?;
    // Best first: highest R² / accuracy.
    results.sort_by(|(x, _), (y, _)| y.report.metrics.headline().1.total_cmp(&x.report.metrics.headline().1));
    let mut saved = None;
    if let (Some(out), Some((best, _))) = (&a.out, results.first()) {
        saved = Some(save_bundle(&best.pipeline, out)?);
    }
    if let Some(store) = &a.runs {
        for (i, (r, cv)) in results.iter().enumerate() {
            let bundle = a.out.as_deref().zip(saved.as_deref()).filter(|_| i == 0);
            let shape = (data.n_rows(), data.columns.len());
            super::runs::record_run(
                store,
                &r.pipeline,
                shape,
                &a.data,
                cv.as_ref(),
                bundle,
                (a.note.as_deref(), &a.tags),
            )?;
        }
    }
    if a.json {
        let rows: Vec<_> = results
            .iter()
            .map(|(r, cv)| {
                let mut row = json!({
                    "model": r.pipeline.info.model,
                    "params": r.pipeline.info.params.values,
                    "metrics": r.report.metrics,
                    "cv": cv,
                    "train_seconds": r.pipeline.info.train_seconds,
                });
                if let cairn::train::FittedModel::Ensemble(e) = &r.pipeline.model {
                    row["members"] = json!(e.members.iter().map(|m| m.params.model.name()).collect::<Vec<_>>());
                }
                row
            })
            .collect();
        let skipped: Vec<_> = skipped.iter().map(|(k, why)| json!({"model": k.name(), "reason": why})).collect();
        println!("{}", json!({"task": task.name(), "leaderboard": rows, "skipped": skipped, "device": "cpu"}));
        return Ok(());
    }
    let Some(first) = results.first() else { bail!("no model could be trained for the {} task", task.name()) };
    let name = first.0.report.metrics.headline().0;
    println!("{:<20} {:>12} {:>20} {:>10}", "model", format!("test {name}"), "CV mean ± std", "seconds");
    for (r, cv) in &results {
        println!(
            "{:<20} {:>12.4} {:>20} {:>10.2}",
            r.pipeline.info.model,
            r.report.metrics.headline().1,
            cv.as_ref().map(|c| cv_text(c, name)).unwrap_or_else(|| "-".into()),
            r.pipeline.info.train_seconds
        );
    }
    for (r, _) in &results {
        if let cairn::train::FittedModel::Ensemble(_) = &r.pipeline.model {
            println!("ensemble = {}", r.pipeline.settings_summary());
        }
    }
    for (k, why) in &skipped {
        println!("{:<20} {why}", k.name());
    }
    Ok(())
}

fn cv_text(cv: &CvResult, metric: &str) -> String {
    format!(
        "{:.4} ± {:.4}",
        cv.mean.get(metric).copied().unwrap_or(f64::NAN),
        cv.std.get(metric).copied().unwrap_or(f64::NAN)
    )
}
