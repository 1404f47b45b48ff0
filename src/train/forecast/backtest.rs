//! Rolling-origin backtesting: the series is cut at several points in its past; at each cut
//! the method learns from what came before only and forecasts the next `horizon` steps, which
//! are compared with what happened. Errors are given per step ahead and overall: MAE, RMSE,
//! MAPE, sMAPE and MASE (the error against that of repeating last season's value, so below 1
//! beats it), and the share of actual values inside the prediction band (its coverage).

use super::methods::{Method, StatFit};
use serde::{Deserialize, Serialize};

/// z of a two-sided normal band holding `level` of the values (0.8 → 1.2816).
pub fn z_for(level: f64) -> f64 {
    // Acklam's rational approximation of the normal quantile (error < 1.2e-9).
    let p = 0.5 + level.clamp(0.01, 0.999) / 2.0;
    let a = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    let b =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    let c = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    let d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    if p > 0.97575 {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    }
}

/// The half-width of the band `h` steps ahead, from the spread of one-step errors: errors
/// add up step by step, so the spread grows with √h.
pub fn half_width(sd: f64, h: usize, z: f64) -> f64 {
    z * sd * (h as f64).sqrt()
}

/// The scale MASE divides by: the mean absolute change over one season (one step when the
/// series is shorter than two seasons) in the training values.
pub fn mase_scale(train: &[f64], period: usize) -> f64 {
    let m = if train.len() > 2 * period { period.max(1) } else { 1 };
    let d: Vec<f64> = (m..train.len()).map(|t| (train[t] - train[t - m]).abs()).filter(|x| x.is_finite()).collect();
    if d.is_empty() { f64::NAN } else { d.iter().sum::<f64>() / d.len() as f64 }
}

/// One cut of one series: what was forecast and what happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    /// The series' name ("" for one series).
    pub series: String,
    /// The first forecast period (see `Frequency::period`).
    pub origin: i64,
    pub forecast: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub actual: Vec<f64>,
    /// MASE's scale for this cut.
    pub scale: f64,
}

/// Errors `step` steps ahead (1-based).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepScore {
    pub step: usize,
    pub mae: f64,
    pub mase: f64,
    pub coverage: f64,
}

/// A method's backtest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodScore {
    pub method: Method,
    pub mae: f64,
    pub rmse: f64,
    /// Mean absolute percentage error (%), over actual values that are not 0.
    pub mape: Option<f64>,
    /// Symmetric MAPE (%), 0 … 200.
    pub smape: f64,
    pub mase: f64,
    /// Share of actual values inside the band.
    pub coverage: f64,
    pub per_step: Vec<StepScore>,
    pub seconds: f64,
    /// The fit at the last cut, in words.
    #[serde(default)]
    pub detail: String,
    pub cuts: Vec<Cut>,
}

impl MethodScore {
    /// Scores the cuts of one method.
    pub fn from_cuts(method: Method, cuts: Vec<Cut>, horizon: usize, seconds: f64, detail: String) -> MethodScore {
        let mut ae = vec![vec![]; horizon];
        let mut scaled = vec![vec![]; horizon];
        let mut inside = vec![vec![]; horizon];
        let (mut se, mut pe, mut spe) = (vec![], vec![], vec![]);
        for c in &cuts {
            for (h, (&f, &a)) in c.forecast.iter().zip(&c.actual).enumerate().take(horizon) {
                if !a.is_finite() {
                    continue;
                }
                let e = (f - a).abs();
                ae[h].push(e);
                se.push((f - a).powi(2));
                if c.scale.is_finite() && c.scale > 0.0 {
                    scaled[h].push(e / c.scale);
                }
                if a != 0.0 {
                    pe.push(100.0 * e / a.abs());
                }
                let denom = f.abs() + a.abs();
                spe.push(if denom > 0.0 { 200.0 * e / denom } else { 0.0 });
                inside[h].push(if a >= c.lower[h] && a <= c.upper[h] { 1.0 } else { 0.0 });
            }
        }
        let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
        let flat = |v: &[Vec<f64>]| v.concat();
        let per_step = (0..horizon)
            .map(|h| StepScore { step: h + 1, mae: mean(&ae[h]), mase: mean(&scaled[h]), coverage: mean(&inside[h]) })
            .collect();
        MethodScore {
            method,
            mae: mean(&flat(&ae)),
            rmse: mean(&se).sqrt(),
            mape: (!pe.is_empty()).then(|| mean(&pe)),
            smape: mean(&spe),
            mase: mean(&flat(&scaled)),
            coverage: mean(&flat(&inside)),
            per_step,
            seconds,
            detail,
            cuts,
        }
    }
}

/// The cut points of a series of `n` values: the starts of the last `folds` windows of
/// `horizon` steps.
pub fn origins(n: usize, folds: usize, horizon: usize) -> Vec<usize> {
    (1..=folds).rev().filter_map(|k| n.checked_sub(k * horizon)).collect()
}

/// A statistical method's cut of one series at `c`: fitted on `y[..c]`, forecast `horizon`.
pub fn stat_cut(
    method: Method,
    id: &str,
    start: i64,
    y: &[f64],
    c: usize,
    horizon: usize,
    period: usize,
    z: f64,
) -> Option<(Cut, String)> {
    let train = &y[..c];
    let fit = StatFit::fit(method, train, period)?;
    let forecast = fit.forecast(train, horizon);
    let sd = residual_sd(&fit, train);
    Some((
        band_cut(id, start + c as i64, forecast, sd, z, y[c..(c + horizon).min(y.len())].to_vec(), train, period),
        fit.describe(),
    ))
}

/// The spread of a statistical fit's one-step errors on `y`.
pub fn residual_sd(fit: &StatFit, y: &[f64]) -> f64 {
    let f = fit.fitted(y);
    let e: Vec<f64> = f.iter().zip(y).filter(|(a, b)| a.is_finite() && b.is_finite()).map(|(a, b)| b - a).collect();
    super::lags::sd(&e)
}

/// A cut with its band, scale and the actual values.
#[allow(clippy::too_many_arguments)]
pub fn band_cut(
    id: &str,
    origin: i64,
    forecast: Vec<f64>,
    sd: f64,
    z: f64,
    actual: Vec<f64>,
    train: &[f64],
    period: usize,
) -> Cut {
    let lower = forecast.iter().enumerate().map(|(h, f)| f - half_width(sd, h + 1, z)).collect();
    let upper = forecast.iter().enumerate().map(|(h, f)| f + half_width(sd, h + 1, z)).collect();
    Cut { series: id.to_string(), origin, forecast, lower, upper, actual, scale: mase_scale(train, period) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_and_scores() {
        assert!((z_for(0.8) - 1.2815515655446004).abs() < 1e-8);
        assert!((z_for(0.95) - 1.959963984540054).abs() < 1e-8);
        assert_eq!(origins(100, 3, 12), vec![64, 76, 88]);
        // Seasonal naive on a clean seasonal series: MASE against itself is 1 when the
        // season shifts by a constant.
        let y: Vec<f64> = (0..48).map(|t| t as f64 + [5.0, 0.0, -5.0, 0.0][t % 4]).collect();
        let (cut, _) = stat_cut(Method::SeasonalNaive, "", 0, &y, 40, 4, 4, 1.28).unwrap();
        let score = MethodScore::from_cuts(Method::SeasonalNaive, vec![cut], 4, 0.0, String::new());
        assert!((score.mase - 1.0).abs() < 1e-12, "{}", score.mase);
        assert!((score.mae - 4.0).abs() < 1e-12);
    }
}
