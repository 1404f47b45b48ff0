//! Fitting a recipe on the training rows: table steps in order, then the encodings.

use super::recipe::Recipe;
use super::step::{Impute, Scaling, Step, StepGroup};
use super::table::FittedTable;
use super::{FeatureError, FittedRecipe, FittedStep, TfidfModel};
use crate::data::explore::quantile;
use crate::data::stream::{ColumnStatistics, NumberStatistics as ColumnStats};
use crate::data::{Dataset, Values, format_number};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;

impl Recipe {
    /// Fits every step on `train` (the training rows only).
    pub fn fit(&self, train: &Dataset) -> Result<FittedRecipe, FeatureError> {
        self.fit_rows(train, &(0..train.n_rows()).collect::<Vec<_>>())
    }

    /// Fits every step on the rows `rows` of `ds` (the training rows only), without copying
    /// them. Row steps are not fitted: they act on the data before it is split.
    pub fn fit_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<FittedRecipe, FeatureError> {
        self.fit_rows_with(ds, rows, None)
    }

    /// [`Recipe::fit_rows`], with number columns' statistics taken from `streamed` when given:
    /// a file too large for memory was streamed, and its training rows' means, spreads, ranges
    /// and (sketched) medians cover every row, not only the sample in `ds`.
    pub fn fit_rows_with(
        &self,
        ds: &Dataset,
        rows: &[usize],
        streamed: Option<&ColumnStatistics>,
    ) -> Result<FittedRecipe, FeatureError> {
        if rows.is_empty() {
            return Err(FeatureError::NoRows);
        }
        let mut work: Cow<Dataset> = Cow::Borrowed(ds);
        let mut table = Vec::new();
        for step in self.active().filter(|s| s.group() == StepGroup::Table) {
            let fitted = FittedTable::fit(step, &work, rows)?;
            fitted.apply(work.to_mut())?;
            table.push(fitted);
        }
        let train = &*work;
        // Encodings are independent: fit them in parallel.
        let encodings: Vec<&Step> = self.active().filter(|s| s.group() == StepGroup::Encoding).collect();
        let steps = encodings
            .par_iter()
            .map(|step| {
                let col =
                    train.column(step.column()).ok_or_else(|| FeatureError::MissingColumn(step.column().into()))?;
                Ok(match (step, &col.values) {
                    (Step::ImputeScale { column, impute, fill_value, indicator, scale }, Values::Numeric(v)) => {
                        match streamed.and_then(|s| s.numbers.get(column)) {
                            Some(stats) => {
                                fit_numbers_streamed(column, stats, v, rows, *impute, *fill_value, *indicator, *scale)
                            }
                            None => fit_numbers(column, v, rows, *impute, *fill_value, *indicator, *scale),
                        }
                    }
                    (Step::OneHot { column, min_frequency, ordinal }, values) => {
                        let owned;
                        let v = match values {
                            Values::Str(v) => v,
                            Values::Numeric(v) => {
                                owned = v.iter().map(|x| x.map(format_number)).collect::<crate::data::Strings>();
                                &owned
                            }
                        };
                        fit_one_hot(column, v, rows, *min_frequency, *ordinal)
                    }
                    (Step::Tfidf { column, options }, Values::Str(v)) => FittedStep::Tfidf {
                        column: column.clone(),
                        model: TfidfModel::fit_with(rows.iter().map(|&i| v.get(i)), options),
                    },
                    (step, _) => {
                        return Err(FeatureError::WrongKind { column: step.column().into(), kind: col.kind.label() });
                    }
                })
            })
            .collect::<Result<Vec<_>, FeatureError>>()?;
        let fitted = FittedRecipe { table, steps };
        if fitted.n_features() == 0 {
            return Err(FeatureError::NoFeatures);
        }
        Ok(fitted)
    }
}

fn fit_numbers(
    column: &str,
    v: &crate::data::Numbers,
    rows: &[usize],
    impute: Impute,
    fill_value: f64,
    indicator: bool,
    scale: Scaling,
) -> FittedStep {
    let cells: Vec<Option<f64>> = rows.iter().map(|&i| v.get(i)).collect();
    let mut present: Vec<f64> = cells.iter().flatten().copied().collect();
    let n = rows.len() as f64;
    let fill = match impute {
        _ if present.is_empty() => 0.0,
        Impute::Median => median(&mut present),
        Impute::Mean => present.iter().sum::<f64>() / present.len() as f64,
        Impute::MostFrequent => most_frequent(&present),
        Impute::Constant => fill_value,
        Impute::Keep => median(&mut present),
    };
    // Scaling statistics over the imputed column, as a scaler after an imputer sees it.
    let filled = || cells.iter().map(|c| c.unwrap_or(fill));
    let (center, spread) = match scale {
        Scaling::Standard => {
            let mean = filled().sum::<f64>() / n;
            (mean, (filled().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt())
        }
        Scaling::MinMax => {
            let (lo, hi) = filled().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
            (lo, hi - lo)
        }
        Scaling::Robust => {
            let mut all: Vec<f64> = filled().collect();
            all.sort_by(f64::total_cmp);
            (quantile(&all, 0.5), quantile(&all, 0.75) - quantile(&all, 0.25))
        }
        Scaling::None => (0.0, 1.0),
    };
    impute_scale(column, fill, center, spread, indicator, impute == Impute::Keep)
}

fn impute_scale(column: &str, fill: f64, center: f64, spread: f64, indicator: bool, keep: bool) -> FittedStep {
    let std = if spread > 1e-12 && spread.is_finite() { spread } else { 1.0 };
    FittedStep::ImputeScale {
        column: column.to_string(),
        median: fill,
        mean: center,
        std,
        indicator,
        keep_missing: keep,
    }
}

/// The most frequent value; ties go to the smallest value, as scikit-learn does.
fn most_frequent(present: &[f64]) -> f64 {
    let mut counts: HashMap<u64, usize> = HashMap::new();
    present.iter().for_each(|x| *counts.entry(x.to_bits()).or_default() += 1);
    counts
        .into_iter()
        .map(|(b, c)| (f64::from_bits(b), c))
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.total_cmp(&a.0)))
        .map_or(0.0, |p| p.0)
}

/// [`fit_numbers`] from the statistics of every streamed training row: the fill value (median
/// from the sketch, exact mean) and the scaling over the imputed column, worked out from the
/// present values' moments and the missing count (exact); quartiles from the sketch. Only the
/// most frequent value, which a stream cannot count exactly, comes from the sample `v`.
#[allow(clippy::too_many_arguments)]
fn fit_numbers_streamed(
    column: &str,
    s: &ColumnStats,
    v: &crate::data::Numbers,
    rows: &[usize],
    impute: Impute,
    fill_value: f64,
    indicator: bool,
    scale: Scaling,
) -> FittedStep {
    let m = &s.moments;
    let fill = match impute {
        _ if m.count == 0 => 0.0,
        Impute::Median => s.quantile(0.5).unwrap_or(0.0),
        Impute::Mean => m.mean,
        Impute::MostFrequent => most_frequent(&rows.iter().filter_map(|&i| v.get(i)).collect::<Vec<_>>()),
        Impute::Constant => fill_value,
        Impute::Keep => s.quantile(0.5).unwrap_or(0.0),
    };
    let (present, missing) = (m.count as f64, s.missing as f64);
    let n = (present + missing).max(1.0);
    let (center, spread) = match scale {
        _ if m.count == 0 => (fill, 1.0),
        Scaling::Standard => {
            let mean = (m.mean * present + fill * missing) / n;
            let squares = m.m2 + present * (m.mean - mean).powi(2) + missing * (fill - mean).powi(2);
            (mean, (squares / n).sqrt())
        }
        Scaling::MinMax => {
            let (lo, hi) = if s.missing > 0 { (m.min.min(fill), m.max.max(fill)) } else { (m.min, m.max) };
            (lo, hi - lo)
        }
        Scaling::Robust => {
            let q = |p: f64| s.quantile_filled(p, fill).unwrap_or(fill);
            (q(0.5), q(0.75) - q(0.25))
        }
        Scaling::None => (0.0, 1.0),
    };
    impute_scale(column, fill, center, spread, indicator, impute == Impute::Keep)
}

/// The median by selection (linear time), not a full sort.
fn median(present: &mut [f64]) -> f64 {
    let n = present.len();
    let (below, &mut upper, _) = present.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 { upper } else { (below.iter().copied().fold(f64::NEG_INFINITY, f64::max) + upper) / 2.0 }
}

fn fit_one_hot(
    column: &str,
    v: &crate::data::Strings,
    rows: &[usize],
    min_frequency: usize,
    ordinal: bool,
) -> FittedStep {
    let mut by_code = vec![0usize; v.dict().len()];
    let mut any_missing = false;
    for &i in rows {
        match by_code.get_mut(v.codes()[i] as usize) {
            Some(n) => *n += 1,
            None => any_missing = true,
        }
    }
    let mut counts: HashMap<&str, usize> =
        v.dict().iter().zip(by_code).filter(|(_, n)| *n > 0).map(|(s, n)| (s.as_str(), n)).collect();
    // Most frequent value; ties go to the alphabetically first, as scikit-learn does.
    let fill = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.to_string())
        .unwrap_or_default();
    if any_missing {
        *counts.entry(fill.as_str()).or_default() += 0;
    }
    let total = counts.len();
    let mut categories: Vec<String> =
        counts.iter().filter(|(_, n)| **n >= min_frequency || **n == 0).map(|(k, _)| k.to_string()).collect();
    categories.sort();
    let other = categories.len() < total;
    FittedStep::OneHot { column: column.to_string(), fill, categories, other, ordinal }
}
