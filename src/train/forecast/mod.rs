//! Forecasting: the next values of one or several time series. `train_forecast` reads the
//! series (`data::series`), backtests every method at several cuts of the past
//! (`backtest.rs`), refits the best on the whole history and returns a [`Pipeline`] whose
//! [`Forecaster`] forecasts with a prediction band. The lag regressions' recipe and model are
//! the pipeline's own recipe and model.

pub mod backtest;
pub mod holt;
pub mod lags;
pub mod methods;

use super::metrics::Report;
use super::{Pipeline, Target, Task, TrainError, TrainInfo, TrainOutcome};
use crate::data::Dataset;
use crate::data::series::{Combine, Frequency, GapFill, Series, SeriesSpec, read_series};
use crate::features::Step;
use backtest::{Cut, MethodScore, band_cut, origins, spread_at, stat_cut, stat_spread, z_for};
pub use lags::{LagSpec, SeriesColumns};
pub use methods::{Method, StatFit};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What a forecast run needs besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastConfig {
    pub columns: SeriesColumns,
    /// Steps ahead to forecast (`None`: a season, at most 24).
    pub horizon: Option<usize>,
    /// `None` detects it from the times.
    pub frequency: Option<Frequency>,
    /// How many cuts the backtest makes.
    pub folds: usize,
    /// The band's share (0.8: an 80 % band).
    pub level: f64,
    /// One method only (`None`: every method, the best kept).
    pub method: Option<Method>,
    pub combine: Option<Combine>,
    pub fill: Option<GapFill>,
    pub seed: u64,
}

impl ForecastConfig {
    pub fn new(time: &str, target: &str, series: Option<&str>) -> ForecastConfig {
        ForecastConfig {
            columns: SeriesColumns {
                time: time.into(),
                target: target.into(),
                series: series.unwrap_or_default().into(),
            },
            horizon: None,
            frequency: None,
            folds: 3,
            level: 0.8,
            method: None,
            combine: None,
            fill: None,
            seed: 42,
        }
    }

    /// The forecast a training configuration asks for (`--task forecast --time … `).
    pub fn from_train(cfg: &super::TrainConfig) -> Result<ForecastConfig, TrainError> {
        let time = cfg
            .time_column
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| TrainError::Config("a forecast needs the time column: --time DATE_COLUMN".into()))?;
        if cfg.target.is_empty() {
            return Err(TrainError::Config("choose the column to forecast (--target COLUMN)".into()));
        }
        let mut f = ForecastConfig::new(time, &cfg.target, cfg.series_column.as_deref().filter(|s| !s.is_empty()));
        f.horizon = cfg.horizon;
        f.frequency = cfg.frequency;
        f.seed = cfg.seed;
        if let Some(recipe) = &cfg.recipe {
            f = f.with_recipe_steps(recipe.active());
        }
        Ok(f)
    }

    /// Reads the `CombineTimes` / `FillGaps` steps of a recipe.
    pub fn with_recipe_steps<'a>(mut self, steps: impl Iterator<Item = &'a Step>) -> ForecastConfig {
        for s in steps {
            match s {
                Step::CombineTimes { how, .. } => self.combine = Some(*how),
                Step::FillGaps { how, .. } => self.fill = Some(*how),
                _ => {}
            }
        }
        self
    }

    fn spec(&self) -> SeriesSpec {
        SeriesSpec {
            time: self.columns.time.clone(),
            target: self.columns.target.clone(),
            id: (!self.columns.series.is_empty()).then(|| self.columns.series.clone()),
            frequency: self.frequency,
            combine: self.combine,
            fill: self.fill,
        }
    }
}

/// The backtest of every method, best (lowest MASE) first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    pub folds: usize,
    pub horizon: usize,
    pub level: f64,
    pub scores: Vec<MethodScore>,
    /// Methods that could not run, and why.
    #[serde(default)]
    pub skipped: Vec<(Method, String)>,
}

/// What a forecast pipeline keeps: the series, the chosen method fitted on all of it, and the
/// backtest that chose it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forecaster {
    pub columns: SeriesColumns,
    pub frequency: Frequency,
    /// The season length in steps.
    pub period: usize,
    pub horizon: usize,
    pub method: Method,
    /// The history (gaps filled and repeats combined as the recipe said).
    pub series: Vec<Series>,
    /// The statistical method fitted on each series (empty for a lag method, whose recipe
    /// and model are the pipeline's).
    #[serde(default)]
    pub fits: Vec<StatFit>,
    pub lags: LagSpec,
    /// Per series, the spread of the errors 1 … `horizon` steps ahead on its own history
    /// (the band is ± z × spread).
    pub spread: Vec<Vec<f64>>,
    pub level: f64,
    #[serde(default)]
    pub combine: Option<Combine>,
    #[serde(default)]
    pub fill: Option<GapFill>,
    pub backtest: Backtest,
}

/// A forecast of one series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastPath {
    pub series: String,
    pub times: Vec<String>,
    pub values: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Repeated or missing periods stop training unless the recipe says how to fix them.
fn check_timestamps(
    issues: &crate::data::series::SeriesIssues,
    frequency: Frequency,
    cfg: &ForecastConfig,
) -> Result<(), TrainError> {
    if issues.duplicated > 0 && cfg.combine.is_none() {
        return Err(TrainError::Config(format!(
            "{} {}s hold more than one row (first: {}): add the step 'Combine rows at the same time' (--combine mean|sum|last)",
            issues.duplicated,
            frequency.name(),
            issues.first_duplicate.clone().unwrap_or_default()
        )));
    }
    if issues.missing > 0 && cfg.fill.is_none() {
        return Err(TrainError::Config(format!(
            "{} {}s are missing (first: {}): add the step 'Fill missing times' (--fill interpolate|previous|zero)",
            issues.missing,
            frequency.name(),
            issues.first_missing.clone().unwrap_or_default()
        )));
    }
    Ok(())
}

/// Trains a forecast: backtests the methods, refits the best on all the history.
pub fn train_forecast(
    data: &Dataset,
    cfg: &ForecastConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<TrainOutcome, TrainError> {
    let started = Instant::now();
    progress("Reading the series");
    let table = read_series(data, &cfg.spec())?;
    check_timestamps(&table.issues, table.frequency, cfg)?;
    let (frequency, series) = (table.frequency, table.series);
    let shortest = series.iter().map(|s| s.values.len()).min().unwrap_or(0);
    let period = if frequency.season() > 1 && shortest >= 2 * frequency.season() + 2 { frequency.season() } else { 1 };
    let horizon = cfg.horizon.unwrap_or(period.clamp(3, 24)).max(1);
    let lags = LagSpec::for_frequency(frequency, period, shortest);
    // The backtest's cuts leave enough history before the first for every method.
    let min_train = (2 * period + 2).max(lags.reach() + 6).max(6);
    let folds = (1..=cfg.folds.max(1))
        .rev()
        .find(|&k| shortest >= k * horizon + min_train)
        .ok_or(TrainError::TooFewRows { rows: shortest, needed: horizon + min_train })?;
    let z = z_for(cfg.level);
    let methods: Vec<Method> = match cfg.method {
        Some(m) => vec![m],
        None => Method::ALL.to_vec(),
    };
    let mut backtest = Backtest { folds, horizon, level: cfg.level, scores: vec![], skipped: vec![] };
    let ctx = Context { series: &series, cfg, frequency, period, lags: &lags, folds, horizon, z };
    run_backtest(&methods, &ctx, &mut backtest, progress);
    backtest.scores.sort_by(|a, b| rank(a).total_cmp(&rank(b)));
    let best = backtest.scores.first().ok_or_else(|| {
        TrainError::Fit(format!(
            "no forecasting method could run: {}",
            backtest.skipped.iter().map(|(m, e)| format!("{}: {e}", m.name())).collect::<Vec<_>>().join("; ")
        ))
    })?;
    let method = best.method;
    progress(&format!("Fitting {} on the whole history", method.display_name()));
    let refs: Vec<&Series> = series.iter().collect();
    // The lag regression is the pipeline's recipe and model (the chosen one when it won).
    let lag_method = if method.uses_lags() { method } else { Method::LagsLinear };
    let lag_model = lags::fit_lags(lag_method, &cfg.columns, frequency, &lags, &refs, cfg.seed)?;
    let (fits, spread) = if method.uses_lags() {
        (vec![], lag_model.spread(&cfg.columns, frequency, &refs, horizon)?)
    } else {
        fit_stats(method, &series, period, horizon)?
    };
    let report = backtest_report(best);
    let schema = lag_model.recipe.input_schema(&lags::series_table(&cfg.columns, frequency, &refs).0, "");
    let n_features = lag_model.fitted.n_features();
    let forecaster = Forecaster {
        columns: cfg.columns.clone(),
        frequency,
        period,
        horizon,
        method,
        series: series.clone(),
        fits,
        lags: lags.clone(),
        spread,
        level: cfg.level,
        combine: cfg.combine,
        fill: cfg.fill,
        backtest: backtest.clone(),
    };
    let rows: usize = series.iter().map(|s| s.values.len()).sum();
    let test_rows = match &report.detail {
        super::metrics::Detail::Regression { actual, .. } => actual.len(),
        _ => 0,
    };
    let info = TrainInfo {
        model: method.name().to_string(),
        params: super::Params::defaults(lag_model.model.kind()),
        seed: cfg.seed,
        test_size: 0.0,
        train_rows: rows,
        test_rows,
        n_features,
        data_hash: crate::data::dataset_hash(data),
        device: "cpu".into(),
        train_seconds: started.elapsed().as_secs_f64(),
        created_unix: super::now_unix(),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        target_quantiles: vec![],
        automatic: None,
    };
    let mut example = serde_json::Map::new();
    example.insert("series".into(), serde_json::Value::String(series[0].id.clone()));
    example.insert("horizon".into(), serde_json::Value::from(horizon));
    let pipeline = Pipeline {
        schema,
        recipe: lag_model.recipe,
        fitted_recipe: lag_model.fitted,
        model: lag_model.model,
        target: Target { name: cfg.columns.target.clone(), task: Task::Forecast, classes: vec![] },
        info,
        metrics: report.metrics.clone(),
        example,
        intended_use: String::new(),
        thresholds: None,
        reference: Default::default(),
        forecast: Some(Box::new(forecaster)),
        calibrator: None,
        pictures: None,
    };
    Ok(TrainOutcome { pipeline, report, test_source_rows: vec![] })
}

/// Backtests each of `methods`, adding its score (or why it could not run) to `backtest`.
fn run_backtest(methods: &[Method], ctx: &Context, backtest: &mut Backtest, progress: &mut dyn FnMut(&str)) {
    for &method in methods {
        progress(&format!("Backtesting {} at {} cuts", method.display_name(), ctx.folds));
        let t = Instant::now();
        match backtest_method(method, ctx) {
            Ok((cuts, detail)) => backtest.scores.push(MethodScore::from_cuts(
                method,
                cuts,
                ctx.horizon,
                t.elapsed().as_secs_f64(),
                detail,
            )),
            Err(e) => backtest.skipped.push((method, e.to_string())),
        }
    }
}

/// A statistical method fitted on each whole series, and its spreads 1 … `horizon` ahead.
fn fit_stats(
    method: Method,
    series: &[Series],
    period: usize,
    horizon: usize,
) -> Result<(Vec<StatFit>, Vec<Vec<f64>>), TrainError> {
    let fits: Vec<StatFit> = series
        .iter()
        .map(|s| {
            StatFit::fit(method, &s.values, period)
                .ok_or_else(|| TrainError::Fit(format!("{} cannot fit series '{}'", method.name(), s.id)))
        })
        .collect::<Result<_, _>>()?;
    let spreads = fits.iter().zip(series).map(|(f, s)| stat_spread(f, &s.values, horizon)).collect();
    Ok((fits, spreads))
}

/// The leaderboard's order: MASE, then MAE (a method without a MASE last).
fn rank(s: &MethodScore) -> f64 {
    if s.mase.is_finite() { s.mase } else { f64::MAX / 2.0 + s.mae.min(f64::MAX / 4.0) }
}

/// The backtest of the chosen method as a regression report (actual against forecast).
fn backtest_report(score: &MethodScore) -> Report {
    let (mut actual, mut predicted) = (vec![], vec![]);
    for c in &score.cuts {
        for (f, a) in c.forecast.iter().zip(&c.actual) {
            if a.is_finite() {
                actual.push(*a);
                predicted.push(*f);
            }
        }
    }
    super::metrics::regression_report(&actual, &predicted)
}

/// What every method's backtest shares.
struct Context<'a> {
    series: &'a [Series],
    cfg: &'a ForecastConfig,
    frequency: Frequency,
    period: usize,
    lags: &'a LagSpec,
    folds: usize,
    horizon: usize,
    z: f64,
}

/// One method's cuts over every series.
fn backtest_method(method: Method, ctx: &Context) -> Result<(Vec<Cut>, String), TrainError> {
    let Context { series, cfg, frequency, period, lags, folds, horizon, z } = *ctx;
    let mut cuts = vec![];
    let mut detail = String::new();
    if !method.uses_lags() {
        for s in series {
            for c in origins(s.values.len(), folds, horizon) {
                let (cut, d) = stat_cut(method, s, c, horizon, period, z)
                    .ok_or_else(|| TrainError::Fit(format!("the series is too short for {}", method.display_name())))?;
                cuts.push(cut);
                detail = d;
            }
        }
        return Ok((cuts, detail));
    }
    for k in (1..=folds).rev() {
        // Every series cut `k` windows before its end; one model learns from all the pasts.
        let pasts: Vec<Series> = series
            .iter()
            .map(|s| {
                let c = s.values.len() - k * horizon;
                Series { id: s.id.clone(), start: s.start, values: s.values[..c].to_vec() }
            })
            .collect();
        let refs: Vec<&Series> = pasts.iter().collect();
        let model = lags::fit_lags(method, &cfg.columns, frequency, lags, &refs, cfg.seed)?;
        let forecasts = model.forecast(&cfg.columns, frequency, &refs, horizon)?;
        let spreads = model.spread(&cfg.columns, frequency, &refs, horizon)?;
        for ((s, past), (f, spread)) in series.iter().zip(&pasts).zip(forecasts.into_iter().zip(&spreads)) {
            cuts.push(band_cut(s, past.values.len(), f, spread, z, period));
        }
        detail = format!("{} features", model.fitted.n_features());
    }
    Ok((cuts, detail))
}

/// Why a forecast cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error("no series '{0}' (series: {1})")]
    UnknownSeries(String, String),
    #[error("horizon {0} is out of range (1 … 1000)")]
    Horizon(usize),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Train(#[from] TrainError),
}

impl Forecaster {
    /// The series' names ("" for a single series).
    pub fn series_names(&self) -> Vec<String> {
        self.series.iter().map(|s| s.id.clone()).collect()
    }

    /// The history extended by newer rows of `extra` (same columns as in training): values
    /// after a series' last period are appended (gaps filled as in training, or on a line).
    pub fn extended(&self, extra: &Dataset) -> Result<Vec<Series>, ForecastError> {
        let spec = SeriesSpec {
            time: self.columns.time.clone(),
            target: self.columns.target.clone(),
            id: (!self.columns.series.is_empty()).then(|| self.columns.series.clone()),
            frequency: Some(self.frequency),
            combine: Some(self.combine.unwrap_or_default()),
            fill: None,
        };
        let table = read_series(extra, &spec)?;
        let mut out = self.series.clone();
        for new in table.series {
            let Some(s) = out.iter_mut().find(|s| s.id == new.id) else {
                return Err(ForecastError::UnknownSeries(new.id, self.series_names().join(", ")));
            };
            for (i, v) in new.values.iter().enumerate() {
                let p = new.start + i as i64;
                if p < s.end() || !v.is_finite() {
                    continue;
                }
                while s.end() < p {
                    s.values.push(f64::NAN);
                }
                s.values.push(*v);
            }
            crate::data::series::fill_gaps(&mut s.values, self.fill.unwrap_or_default());
        }
        Ok(out)
    }

    /// Forecasts `horizon` steps of one series (`None`: every series) after `history` (the
    /// training history, or an extension of it).
    pub fn forecast(
        &self,
        pipeline: &Pipeline,
        history: &[Series],
        series: Option<&str>,
        horizon: usize,
    ) -> Result<Vec<ForecastPath>, ForecastError> {
        if horizon == 0 || horizon > 1000 {
            return Err(ForecastError::Horizon(horizon));
        }
        let picked: Vec<usize> = match series {
            None => (0..history.len()).collect(),
            Some(name) => vec![
                history
                    .iter()
                    .position(|s| s.id == name.trim())
                    .ok_or_else(|| ForecastError::UnknownSeries(name.to_string(), self.series_names().join(", ")))?,
            ],
        };
        let refs: Vec<&Series> = picked.iter().map(|&i| &history[i]).collect();
        let values: Vec<Vec<f64>> = if self.method.uses_lags() {
            lags::forecast_lags(
                &pipeline.fitted_recipe,
                &pipeline.model,
                &self.lags,
                &self.columns,
                self.frequency,
                &refs,
                horizon,
            )?
        } else {
            picked.iter().map(|&i| self.fits[i].forecast(&history[i].values, horizon)).collect()
        };
        let z = z_for(self.level);
        Ok(picked
            .iter()
            .zip(values)
            .map(|(&i, v)| {
                let s = &history[i];
                let spread = self.spread.get(i).map_or(&[][..], Vec::as_slice);
                let w = |h: usize| z * spread_at(spread, h);
                ForecastPath {
                    series: s.id.clone(),
                    times: (0..horizon).map(|h| self.frequency.label(s.end() + h as i64)).collect(),
                    lower: v.iter().enumerate().map(|(h, f)| f - w(h)).collect(),
                    upper: v.iter().enumerate().map(|(h, f)| f + w(h)).collect(),
                    values: v,
                }
            })
            .collect())
    }

    /// The chosen method's backtest.
    pub fn best(&self) -> Option<&MethodScore> {
        self.backtest.scores.iter().find(|s| s.method == self.method)
    }

    /// A plain reading of the backtest: "off by 4 % on average one month ahead; the 80 %
    /// band held the truth 78 % of the time".
    pub fn reading(&self) -> String {
        let Some(b) = self.best() else { return String::new() };
        let one = b.per_step.first();
        let step = self.frequency.name();
        let off = match (one, b.mape) {
            (Some(s), Some(_)) => {
                let pct = pct_error_at(b, 0);
                format!("off by {} on average one {step} ahead", pct.map_or(format!("{:.3}", s.mae), pct_text))
            }
            (Some(s), None) => format!("off by {:.3} on average one {step} ahead", s.mae),
            _ => String::new(),
        };
        let far = b.per_step.last().filter(|_| b.per_step.len() > 1).map_or(String::new(), |s| {
            let pct = pct_error_at(b, s.step - 1);
            format!(" and {} {} {step}s ahead", pct.map_or(format!("{:.3}", s.mae), pct_text), s.step)
        });
        format!(
            "{off}{far}; the {:.0} % band held the truth {:.0} % of the time; MASE {:.2} ({} repeating last season)",
            self.level * 100.0,
            b.coverage * 100.0,
            b.mase,
            if b.mase < 1.0 { "better than" } else { "no better than" },
        )
    }
}

/// A percentage with the digits that matter: "4.2 %", "0.08 %".
fn pct_text(p: f64) -> String {
    if p < 1.0 { format!("{p:.2} %") } else { format!("{p:.1} %") }
}

/// Mean absolute percentage error `h` steps ahead over the backtest cuts.
fn pct_error_at(b: &MethodScore, h: usize) -> Option<f64> {
    let e: Vec<f64> = b
        .cuts
        .iter()
        .filter_map(|c| Some((c.forecast.get(h)?, c.actual.get(h)?)))
        .filter(|(_, a)| a.is_finite() && **a != 0.0)
        .map(|(f, a)| 100.0 * (f - a).abs() / a.abs())
        .collect();
    (!e.is_empty()).then(|| e.iter().sum::<f64>() / e.len() as f64)
}
