//! The forecasting methods, from the simplest to the strongest: the last value, the value a
//! season ago, the mean of the last few, Holt–Winters, and a regression on earlier values and
//! calendar parts (`lags.rs`). The statistical methods are fitted per series.

use super::holt::{HoltWinters, HwState};
use serde::{Deserialize, Serialize};

/// A forecasting method, as named on the leaderboard and in `--model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Naive,
    SeasonalNaive,
    MovingAverage,
    HoltWinters,
    /// Ridge regression on lags, rolling means and calendar parts, one step at a time.
    LagsLinear,
    /// Gradient-boosted trees on the same features.
    LagsBoosting,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Naive,
        Method::SeasonalNaive,
        Method::MovingAverage,
        Method::HoltWinters,
        Method::LagsLinear,
        Method::LagsBoosting,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Naive => "naive",
            Method::SeasonalNaive => "seasonal_naive",
            Method::MovingAverage => "moving_average",
            Method::HoltWinters => "holt_winters",
            Method::LagsLinear => "lags_linear",
            Method::LagsBoosting => "lags_boosting",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Method::Naive => "Last value (naive)",
            Method::SeasonalNaive => "Same time last season",
            Method::MovingAverage => "Moving average",
            Method::HoltWinters => "Holt–Winters smoothing",
            Method::LagsLinear => "Linear on earlier values",
            Method::LagsBoosting => "Boosted trees on earlier values",
        }
    }

    /// How the method forecasts, for a beginner.
    pub fn explain(self) -> &'static str {
        match self {
            Method::Naive => "every future step is the last value seen",
            Method::SeasonalNaive => "every future step repeats the value one season earlier",
            Method::MovingAverage => "every future step is the mean of the last few values",
            Method::HoltWinters => "a smoothed level, trend and season, each updated after every value",
            Method::LagsLinear => "a linear model of earlier values and the calendar, one step at a time",
            Method::LagsBoosting => "boosted trees on earlier values and the calendar, one step at a time",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Method::ALL.iter().copied().find(|m| m.name() == s).or(match s.as_str() {
            "snaive" => Some(Method::SeasonalNaive),
            "ets" | "exponential_smoothing" => Some(Method::HoltWinters),
            _ => None,
        })
    }

    pub fn uses_lags(self) -> bool {
        matches!(self, Method::LagsLinear | Method::LagsBoosting)
    }
}

/// A statistical method fitted on one series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum StatFit {
    Naive,
    SeasonalNaive { period: usize },
    MovingAverage { window: usize },
    HoltWinters(HoltWinters),
}

impl StatFit {
    /// Fits `method` on `y` (`period`: the season length). `None` when the series is too
    /// short for it.
    pub fn fit(method: Method, y: &[f64], period: usize) -> Option<StatFit> {
        if y.is_empty() {
            return None;
        }
        match method {
            Method::Naive => Some(StatFit::Naive),
            Method::SeasonalNaive => (y.len() >= period).then_some(StatFit::SeasonalNaive { period: period.max(1) }),
            Method::MovingAverage => {
                // The window (of 2, 3, 6, 12 or a season) with the smallest one-step error.
                let mut windows = vec![2, 3, 6, 12, period];
                windows.retain(|&w| w >= 2 && w * 2 <= y.len());
                windows.sort_unstable();
                windows.dedup();
                let best = windows
                    .into_iter()
                    .map(|w| (one_step_error(&StatFit::MovingAverage { window: w }, y), w))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map_or(1, |(_, w)| w);
                Some(StatFit::MovingAverage { window: best })
            }
            Method::HoltWinters => HoltWinters::fit_best(y, period).map(StatFit::HoltWinters),
            Method::LagsLinear | Method::LagsBoosting => None,
        }
    }

    /// `h` values after the end of `y`.
    pub fn forecast(&self, y: &[f64], h: usize) -> Vec<f64> {
        let n = y.len();
        match self {
            StatFit::Naive => vec![y[n - 1]; h],
            StatFit::SeasonalNaive { period } => {
                let m = (*period).min(n).max(1);
                (0..h).map(|k| y[n - m + k % m]).collect()
            }
            StatFit::MovingAverage { window } => {
                let w = (*window).min(n).max(1);
                vec![y[n - w..].iter().sum::<f64>() / w as f64; h]
            }
            StatFit::HoltWinters(hw) => hw.forecast(y, h),
        }
    }

    /// One-step-ahead fitted values over `y` (NaN where the method has too little history).
    pub fn fitted(&self, y: &[f64]) -> Vec<f64> {
        match self {
            StatFit::HoltWinters(hw) => hw.run(y).0,
            _ => (0..y.len())
                .map(|t| {
                    let need = match self {
                        StatFit::SeasonalNaive { period } => *period,
                        StatFit::MovingAverage { window } => *window,
                        _ => 1,
                    };
                    if t < need { f64::NAN } else { self.forecast(&y[..t], 1)[0] }
                })
                .collect(),
        }
    }

    /// Holt–Winters' states after `y` (for the app's description of the fit).
    pub fn states(&self, y: &[f64]) -> Option<HwState> {
        match self {
            StatFit::HoltWinters(hw) => Some(hw.run(y).1),
            _ => None,
        }
    }

    /// A short description of the fitted method: "Holt–Winters, trend and multiplied season
    /// (α 0.52, β 0.01, γ 0.30)".
    pub fn describe(&self) -> String {
        match self {
            StatFit::Naive => "last value".into(),
            StatFit::SeasonalNaive { period } => format!("value {period} steps before"),
            StatFit::MovingAverage { window } => format!("mean of the last {window} values"),
            StatFit::HoltWinters(hw) => format!(
                "{}{} (α {:.2}, β {:.2}, γ {:.2})",
                if hw.trend { "trend and " } else { "" },
                hw.seasonality.name(),
                hw.alpha,
                hw.beta,
                hw.gamma
            ),
        }
    }
}

/// Root mean squared one-step error of `fit` on `y` (the steps it can forecast).
pub fn one_step_error(fit: &StatFit, y: &[f64]) -> f64 {
    let f = fit.fitted(y);
    let e: Vec<f64> = f.iter().zip(y).filter(|(a, _)| a.is_finite()).map(|(a, b)| (a - b).powi(2)).collect();
    if e.is_empty() { f64::INFINITY } else { (e.iter().sum::<f64>() / e.len() as f64).sqrt() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_methods_forecast_what_they_say() {
        let y = [1.0, 2.0, 3.0, 10.0, 20.0, 30.0];
        assert_eq!(StatFit::Naive.forecast(&y, 2), vec![30.0, 30.0]);
        assert_eq!(StatFit::SeasonalNaive { period: 3 }.forecast(&y, 4), vec![10.0, 20.0, 30.0, 10.0]);
        assert_eq!(StatFit::MovingAverage { window: 2 }.forecast(&y, 1), vec![25.0]);
        assert!(StatFit::SeasonalNaive { period: 3 }.fitted(&y)[2].is_nan());
        assert_eq!(StatFit::SeasonalNaive { period: 3 }.fitted(&y)[3], 1.0);
        for m in Method::ALL {
            assert_eq!(Method::parse(m.name()), Some(m));
        }
    }
}
