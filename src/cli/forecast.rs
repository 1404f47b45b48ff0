//! `cairn train --task forecast` (a leaderboard of forecasting methods by backtest, the best
//! saved) and `cairn predict` of a forecast bundle (the next steps after the history).

use super::TrainArgs;
use anyhow::{Context, Result, bail};
use cairn::data::Dataset;
use cairn::data::series::{Combine, Frequency, GapFill};
use cairn::project::{save_bundle, write_atomically};
use cairn::train::forecast::{ForecastConfig, ForecastPath, Forecaster, Method, train_forecast};
use cairn::train::{Pipeline, TrainOutcome};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// The forecast the command's options describe.
fn config(a: &TrainArgs) -> Result<ForecastConfig> {
    let Some(target) = a.target.as_deref() else { bail!("a forecast needs --target COLUMN (the values to forecast)") };
    let Some(time) = a.time.as_deref().or(a.time_split.as_deref()) else {
        bail!("a forecast needs --time COLUMN (the date or time of each row)")
    };
    let mut cfg = ForecastConfig::new(time, target, a.series.as_deref());
    cfg.seed = a.seed;
    cfg.horizon = a.horizon;
    if a.horizon == Some(0) {
        bail!("--horizon must be at least 1");
    }
    cfg.frequency = match a.frequency.trim() {
        "auto" | "" => None,
        f => Some(Frequency::parse_name(f).with_context(|| {
            format!("unknown --frequency '{f}' (use auto, hour, day, week, month, quarter or year)")
        })?),
    };
    cfg.method = match a.model.as_deref().map(str::trim) {
        None | Some("all") | Some("auto") => None,
        Some(name) => Some(Method::parse(name).with_context(|| {
            let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
            format!("unknown forecasting model '{name}' (known: {}, or all)", known.join(", "))
        })?),
    };
    if let Some(recipe) = a.recipe.as_deref().map(super::runs::read_recipe).transpose()? {
        cfg = cfg.with_recipe_steps(recipe.active());
    }
    if let Some(c) = a.combine.as_deref() {
        cfg.combine = Some(match c {
            "mean" => Combine::Mean,
            "sum" => Combine::Sum,
            "last" => Combine::Last,
            other => bail!("unknown --combine '{other}' (use mean, sum or last)"),
        });
    }
    if let Some(f) = a.fill.as_deref() {
        cfg.fill = Some(match f {
            "interpolate" => GapFill::Interpolate,
            "previous" => GapFill::Previous,
            "zero" => GapFill::Zero,
            other => bail!("unknown --fill '{other}' (use interpolate, previous or zero)"),
        });
    }
    if !(0.5..0.999).contains(&a.level) {
        bail!("--level must be between 0.5 and 0.99 (the band's share, e.g. 0.8)");
    }
    cfg.level = a.level;
    Ok(cfg)
}

pub(super) fn cmd_train_forecast(a: &TrainArgs, data: &Dataset, started: Instant) -> Result<()> {
    let cfg = config(a)?;
    let stamp = |s: Instant| format!("[{:>5.1}s]", s.elapsed().as_secs_f64());
    let mut progress = |msg: &str| eprintln!("{} {msg}", stamp(started));
    let outcome = train_forecast(data, &cfg, &mut progress)?;
    let p = &outcome.pipeline;
    let Some(f) = p.forecast.as_deref() else { bail!("training gave no forecaster") };
    let bundle = match &a.out {
        Some(out) => {
            let sum = save_bundle(p, out)?;
            eprintln!("{} Saved {} ({sum})", stamp(started), out.display());
            Some(out.display().to_string())
        }
        None => None,
    };
    let run_id = match &a.runs {
        Some(store) => {
            let shape = (data.n_rows(), data.columns.len());
            let id = super::runs::record_run(store, p, shape, &a.data, None, None, (a.note.as_deref(), &a.tags))?;
            Some(id)
        }
        None => None,
    };
    let paths = f.forecast(p, &f.series, None, f.horizon)?;
    if a.json {
        println!("{}", forecast_json(&outcome, f, &paths, bundle, run_id));
    } else {
        print_table(p, f, &paths);
    }
    Ok(())
}

fn forecast_json(
    outcome: &TrainOutcome,
    f: &Forecaster,
    paths: &[ForecastPath],
    bundle: Option<String>,
    run_id: Option<i64>,
) -> serde_json::Value {
    let p = &outcome.pipeline;
    let leaderboard: Vec<_> = f
        .backtest
        .scores
        .iter()
        .map(|s| {
            json!({
                "model": s.method.name(),
                "mae": s.mae, "rmse": s.rmse, "mape": s.mape, "smape": s.smape, "mase": s.mase,
                "coverage": s.coverage,
                "per_step": s.per_step,
                "detail": s.detail,
                "seconds": s.seconds,
            })
        })
        .collect();
    let skipped: Vec<_> = f.backtest.skipped.iter().map(|(m, why)| json!({"model": m.name(), "reason": why})).collect();
    json!({
        "task": "forecast",
        "model": p.info.model,
        "target": p.target.name,
        "time": f.columns.time,
        "series_column": (!f.columns.series.is_empty()).then_some(&f.columns.series),
        "series": f.series_names(),
        "frequency": f.frequency.name(),
        "season": f.period,
        "horizon": f.horizon,
        "level": f.level,
        "folds": f.backtest.folds,
        "metrics": outcome.report.metrics,
        "backtest": f.best().map(|b| json!({
            "mae": b.mae, "rmse": b.rmse, "mape": b.mape, "smape": b.smape, "mase": b.mase,
            "coverage": b.coverage, "per_step": b.per_step,
        })),
        "leaderboard": leaderboard,
        "skipped": skipped,
        "reading": f.reading(),
        "forecast": paths,
        "train_rows": p.info.train_rows,
        "train_seconds": p.info.train_seconds,
        "data_hash": p.info.data_hash,
        "seed": p.info.seed,
        "bundle": bundle,
        "run_id": run_id,
    })
}

fn print_table(p: &Pipeline, f: &Forecaster, paths: &[ForecastPath]) {
    println!(
        "Forecast of '{}' by {}, {} steps of a {} ahead ({} series, season {})",
        p.target.name,
        f.columns.time,
        f.horizon,
        f.frequency.name(),
        f.series.len(),
        f.period
    );
    println!("backtest at {} cuts, best first:", f.backtest.folds);
    println!("{:<18} {:>8} {:>10} {:>10} {:>8} {:>9}", "model", "MASE", "MAE", "RMSE", "sMAPE", "coverage");
    for s in &f.backtest.scores {
        println!(
            "{:<18} {:>8.3} {:>10.4} {:>10.4} {:>7.1}% {:>8.0}%",
            s.method.name(),
            s.mase,
            s.mae,
            s.rmse,
            s.smape,
            s.coverage * 100.0
        );
    }
    for (m, why) in &f.backtest.skipped {
        println!("{:<18} {why}", m.name());
    }
    println!("{}", f.reading());
    for path in paths {
        if !path.series.is_empty() {
            println!("series {}:", path.series);
        }
        for i in 0..path.values.len() {
            println!("  {}  {:>12.4}  [{:.4} … {:.4}]", path.times[i], path.values[i], path.lower[i], path.upper[i]);
        }
    }
}

/// `cairn predict` of a forecast bundle: the history in INPUT (the training table, or newer
/// rows) extends the bundle's, and the next steps are written as CSV.
pub(super) fn predict_forecast(p: &Pipeline, input: &Path, out: Option<&Path>, horizon: Option<usize>) -> Result<()> {
    let Some(f) = p.forecast.as_deref() else { bail!("this bundle does not forecast") };
    let data = super::load(input)?;
    let history = f.extended(&data).with_context(|| format!("cannot read the history in '{}'", input.display()))?;
    let paths = f.forecast(p, &history, None, horizon.unwrap_or(f.horizon))?;
    let mut csv = csv::Writer::from_writer(vec![]);
    let mut header = vec![];
    if !f.columns.series.is_empty() {
        header.push(f.columns.series.clone());
    }
    header.extend([f.columns.time.clone(), f.columns.target.clone(), "lower".into(), "upper".into()]);
    csv.write_record(&header)?;
    for path in &paths {
        for i in 0..path.values.len() {
            let mut row = vec![];
            if !f.columns.series.is_empty() {
                row.push(path.series.clone());
            }
            row.extend([
                path.times[i].clone(),
                path.values[i].to_string(),
                path.lower[i].to_string(),
                path.upper[i].to_string(),
            ]);
            csv.write_record(&row)?;
        }
    }
    let bytes = csv.into_inner().context("cannot write the forecast")?;
    match out {
        Some(path) => {
            write_atomically(path, &bytes).with_context(|| format!("cannot write '{}'", path.display()))?;
            let steps: usize = paths.iter().map(|p| p.values.len()).sum();
            eprintln!("Wrote {steps} forecast steps to {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
