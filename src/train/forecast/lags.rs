//! The machine-learning forecasters: a regression (ridge or boosted trees) on the series'
//! earlier values (lags), the means of the last few values and calendar parts. Those features
//! are ordinary recipe steps (`Lags`, `DateParts`, then numbers and categories encodings),
//! fitted on the past only and saved in the bundle. A forecast goes one step at a time: the
//! forecast of step 1 becomes the lag-1 value of step 2, and so on (the recursive strategy).

use super::methods::Method;
use crate::data::series::{Frequency, Series};
use crate::data::{Column, Dataset};
use crate::features::{DatePart, FittedRecipe, Recipe, Step};
use crate::train::mlp::FitControl;
use crate::train::{FitInput, FitTarget, FittedModel, ModelKind, ModelOutput, Settings, TrainError, fit_model};
use serde::{Deserialize, Serialize};

/// The column names a forecast reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesColumns {
    pub time: String,
    pub target: String,
    /// The column naming each series ("" for a table of one series).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub series: String,
}

/// Which earlier values and calendar parts become features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagSpec {
    pub lags: Vec<usize>,
    pub windows: Vec<usize>,
    pub parts: Vec<DatePart>,
}

impl LagSpec {
    /// Lags 1, 2, 3 and one season; the mean of the last season (or 3 steps); the calendar
    /// parts that vary at this frequency. Nothing reaches back further than a third of the
    /// shortest training series.
    pub fn for_frequency(frequency: Frequency, period: usize, shortest: usize) -> LagSpec {
        let limit = (shortest / 3).max(1);
        let mut lags: Vec<usize> = vec![1, 2, 3, period];
        lags.retain(|&k| k >= 1 && k <= limit);
        lags.sort_unstable();
        lags.dedup();
        let mut windows = vec![if period > 1 { period } else { 3 }];
        windows.retain(|&w| w >= 2 && w <= limit);
        let parts = match frequency {
            Frequency::Hour => vec![DatePart::Hour, DatePart::Weekday],
            Frequency::Day => vec![DatePart::Weekday, DatePart::Month],
            Frequency::Week | Frequency::Month | Frequency::Quarter => vec![DatePart::Month],
            Frequency::Year => vec![],
        };
        LagSpec { lags, windows, parts }
    }

    /// How many earlier values a row's features read.
    pub fn reach(&self) -> usize {
        self.lags.iter().chain(&self.windows).copied().max().unwrap_or(1)
    }

    /// The feature recipe: lags and means, calendar parts, each a number; the series' name a
    /// category.
    pub fn recipe(&self, cols: &SeriesColumns) -> Recipe {
        let mut recipe = Recipe::new(vec![]);
        recipe.add(Step::Lags {
            column: cols.target.clone(),
            time: cols.time.clone(),
            series: cols.series.clone(),
            lags: self.lags.clone(),
            windows: self.windows.clone(),
        });
        if !self.parts.is_empty() {
            recipe.add(Step::DateParts { column: cols.time.clone(), parts: self.parts.clone() });
        }
        if !cols.series.is_empty() {
            recipe.add(Step::categories(&cols.series));
        }
        recipe
    }
}

/// Rows of the series as a table (time written as a date, the series' name, the value), one
/// series after another; and, for each row, its position in its series.
pub fn series_table(cols: &SeriesColumns, frequency: Frequency, series: &[&Series]) -> (Dataset, Vec<usize>) {
    let (mut times, mut ids, mut values, mut position) = (vec![], vec![], vec![], vec![]);
    for s in series {
        for (i, v) in s.values.iter().enumerate() {
            times.push(Some(frequency.label(s.start + i as i64)));
            ids.push(Some(s.id.clone()));
            values.push(v.is_finite().then_some(*v));
            position.push(i);
        }
    }
    let mut columns = vec![Column::strings(&cols.time, times)];
    if !cols.series.is_empty() {
        let mut c = Column::strings(&cols.series, ids);
        c.kind = crate::data::ColumnKind::Categorical;
        columns.push(c);
    }
    columns.push(Column::numeric(&cols.target, values));
    let ds = Dataset::new("series", columns).unwrap_or_else(|_| Dataset {
        source: "series".into(),
        columns: vec![],
        pictures: None,
    });
    (ds, position)
}

/// A fitted lag regression: its recipe, fitted on the training rows, and its model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagModel {
    pub method: Method,
    pub spec: LagSpec,
    pub recipe: Recipe,
    pub fitted: FittedRecipe,
    pub model: FittedModel,
}

/// Fits `method` (a lag model) on all of `series`.
pub fn fit_lags(
    method: Method,
    cols: &SeriesColumns,
    frequency: Frequency,
    spec: &LagSpec,
    series: &[&Series],
    seed: u64,
) -> Result<LagModel, TrainError> {
    let (ds, position) = series_table(cols, frequency, series);
    let target: Vec<Option<f64>> = match &ds.require(&cols.target)?.values {
        crate::data::Values::Numeric(v) => v.iter().collect(),
        _ => vec![],
    };
    let rows: Vec<usize> = (0..ds.n_rows()).filter(|&r| position[r] >= spec.reach() && target[r].is_some()).collect();
    if rows.len() < 5 {
        return Err(TrainError::TooFewRows { rows: rows.len(), needed: 5 + spec.reach() });
    }
    let recipe = spec.recipe(cols);
    let fitted = recipe.fit_rows(&ds, &rows)?;
    let x = fitted.transform_rows(&ds, &rows)?;
    let y: Vec<f64> = rows.iter().filter_map(|&r| target[r]).collect();
    let kind = if method == Method::LagsBoosting { ModelKind::GradientBoosting } else { ModelKind::Ridge };
    let settings = Settings::defaults(kind);
    // Linear models read sparse rows, trees dense ones.
    let sparse = kind.reads_sparse().then(|| crate::features::Csr::from_dense(&x));
    let input = FitInput { dense: Some(&x), sparse: sparse.as_ref(), count_features: &[], categorical: &[] };
    let mut on_epoch = |_: &crate::gpu::net::EpochStats| {};
    let mut ctl = FitControl {
        device: crate::gpu::DeviceChoice::Cpu,
        cancelled: &|| false,
        paused: &|| false,
        on_epoch: &mut on_epoch,
        device_used: "cpu".into(),
    };
    let model = fit_model(&settings, &input, FitTarget::Numbers(&y), seed, &mut ctl)?;
    Ok(LagModel { method, spec: spec.clone(), recipe, fitted, model })
}

impl LagModel {
    /// `h` values after the end of each of `series`, one step at a time.
    pub fn forecast(
        &self,
        cols: &SeriesColumns,
        frequency: Frequency,
        series: &[&Series],
        h: usize,
    ) -> Result<Vec<Vec<f64>>, TrainError> {
        forecast_lags(&self.fitted, &self.model, &self.spec, cols, frequency, series, h)
    }

    /// Per series, the spread of the errors 1 … `horizon` steps ahead from the last origins of
    /// each series' history (see `backtest::step_spread`).
    pub fn spread(
        &self,
        cols: &SeriesColumns,
        frequency: Frequency,
        series: &[&Series],
        horizon: usize,
    ) -> Result<Vec<Vec<f64>>, TrainError> {
        // Forecasts from every origin, all series at once (one recipe pass per step).
        let longest = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
        let back = super::backtest::SPREAD_ORIGINS + horizon;
        let mut forecasts: Vec<std::collections::HashMap<usize, Vec<f64>>> = vec![Default::default(); series.len()];
        for j in 1..=back.min(longest) {
            let mut cut: Vec<Series> = vec![];
            let mut which = vec![];
            for (i, s) in series.iter().enumerate() {
                let n = s.values.len();
                if n >= j + self.spec.reach() + 2 && n - j >= n / 2 {
                    cut.push(Series { id: s.id.clone(), start: s.start, values: s.values[..n - j].to_vec() });
                    which.push(i);
                }
            }
            if cut.is_empty() {
                continue;
            }
            let refs: Vec<&Series> = cut.iter().collect();
            let f = self.forecast(cols, frequency, &refs, horizon)?;
            for (k, i) in which.into_iter().enumerate() {
                forecasts[i].insert(series[i].values.len() - j, f[k].clone());
            }
        }
        Ok(series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let nan = vec![f64::NAN; horizon];
                super::backtest::step_spread(&s.values, horizon, &|t| {
                    forecasts[i].get(&t).cloned().unwrap_or_else(|| nan.clone())
                })
            })
            .collect())
    }
}

/// `h` values after the end of each of `series`, one step at a time, with a fitted lag recipe
/// and its model (a bundle keeps them as its pipeline's recipe and model).
pub fn forecast_lags(
    fitted: &FittedRecipe,
    model: &FittedModel,
    spec: &LagSpec,
    cols: &SeriesColumns,
    frequency: Frequency,
    series: &[&Series],
    h: usize,
) -> Result<Vec<Vec<f64>>, TrainError> {
    let reach = spec.reach();
    // Each series' last `reach` values, extended by the forecasts so far.
    let mut tails: Vec<Series> = series
        .iter()
        .map(|s| {
            let from = s.values.len().saturating_sub(reach);
            Series { id: s.id.clone(), start: s.start + from as i64, values: s.values[from..].to_vec() }
        })
        .collect();
    let mut out = vec![Vec::with_capacity(h); series.len()];
    for _ in 0..h {
        tails.iter_mut().for_each(|t| t.values.push(f64::NAN));
        let refs: Vec<&Series> = tails.iter().collect();
        let (ds, _) = series_table(cols, frequency, &refs);
        let mut last = vec![];
        let mut end = 0;
        for t in &tails {
            end += t.values.len();
            last.push(end - 1);
        }
        let x = fitted.transform_rows(&ds, &last)?;
        let ModelOutput::Values(v) = model.predict(&x) else {
            return Err(TrainError::Fit("the lag model gave classes".into()));
        };
        for (i, t) in tails.iter_mut().enumerate() {
            let value = v[i];
            if let Some(slot) = t.values.last_mut() {
                *slot = value;
            }
            out[i].push(value);
            if t.values.len() > reach {
                t.values.remove(0);
                t.start += 1;
            }
        }
    }
    Ok(out)
}
