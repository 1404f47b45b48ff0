//! Holt–Winters exponential smoothing: a level, an optional trend and an optional season
//! (added to or multiplying the level), each updated by a smoothing weight after every value.
//! The recursion is statsmodels' `ExponentialSmoothing` (no damping), so with the same
//! weights and starting states the forecasts agree (tested against statsmodels):
//!
//! ```text
//! fitted_t = (l_{t-1} + b_{t-1}) + s_{t-m}            (additive season; × s_{t-m} when multiplicative)
//! l_t = α (y_t − s_{t-m}) + (1 − α)(l_{t-1} + b_{t-1}) (y_t / s_{t-m} when multiplicative)
//! b_t = β (l_t − l_{t-1}) + (1 − β) b_{t-1}
//! s_t = γ (y_t − l_{t-1} − b_{t-1}) + (1 − γ) s_{t-m}   (y_t / (l_{t-1} + b_{t-1}) when multiplicative)
//! ŷ_{n+h} = l_n + h·b_n + s_{n+h-m(k+1)}               (k = ⌊(h−1)/m⌋)
//! ```
//!
//! The starting season `s_{1-m} … s_0` is `season0[0..m]`. Fitting chooses the weights and the
//! starting level and trend that minimise the squared one-step errors (Nelder–Mead), starting
//! from the classical heuristic (the first seasons' means), and the form (season added or
//! multiplied) with the lower AIC.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seasonality {
    None,
    Add,
    Mul,
}

impl Seasonality {
    pub fn name(self) -> &'static str {
        match self {
            Seasonality::None => "no season",
            Seasonality::Add => "added season",
            Seasonality::Mul => "multiplied season",
        }
    }
}

/// A Holt–Winters model: its form, weights and starting states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoltWinters {
    pub trend: bool,
    pub seasonality: Seasonality,
    /// Season length in steps (1 when there is no season).
    pub period: usize,
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub level0: f64,
    pub trend0: f64,
    /// `s_{1-m} … s_0`.
    pub season0: Vec<f64>,
}

/// The states after the last value.
#[derive(Clone, Debug, PartialEq)]
pub struct HwState {
    pub level: f64,
    pub trend: f64,
    /// The last `m` season values, oldest first: `season[i]` is `s_{n-m+1+i}`.
    pub season: Vec<f64>,
}

impl HoltWinters {
    fn m(&self) -> usize {
        if self.seasonality == Seasonality::None { 1 } else { self.period.max(1) }
    }

    /// Runs the recursion over `y`: the one-step fitted values, and the states after the end.
    pub fn run(&self, y: &[f64]) -> (Vec<f64>, HwState) {
        let m = self.m();
        let (mut l, mut b) = (self.level0, if self.trend { self.trend0 } else { 0.0 });
        let neutral = if self.seasonality == Seasonality::Mul { 1.0 } else { 0.0 };
        let mut s: Vec<f64> = match self.seasonality {
            Seasonality::None => vec![neutral; m],
            _ => (0..m).map(|i| self.season0.get(i).copied().unwrap_or(neutral)).collect(),
        };
        let mut fitted = Vec::with_capacity(y.len());
        for (t, &yt) in y.iter().enumerate() {
            let si = t % m;
            let old = s[si];
            let base = l + b;
            let (f, level_input, season_input) = match self.seasonality {
                Seasonality::None => (base, yt, 0.0),
                Seasonality::Add => (base + old, yt - old, yt - base),
                Seasonality::Mul => (base * old, yt / old, yt / base),
            };
            fitted.push(f);
            let nl = self.alpha * level_input + (1.0 - self.alpha) * base;
            if self.trend {
                b = self.beta * (nl - l) + (1.0 - self.beta) * b;
            }
            l = nl;
            if self.seasonality != Seasonality::None {
                s[si] = self.gamma * season_input + (1.0 - self.gamma) * old;
            }
        }
        // Oldest first: the next value uses s[n % m].
        let n = y.len();
        let season = (0..m).map(|i| s[(n + i) % m]).collect();
        (fitted, HwState { level: l, trend: b, season })
    }

    /// `h` values after the states.
    pub fn forecast_from(&self, st: &HwState, h: usize) -> Vec<f64> {
        let m = st.season.len().max(1);
        (1..=h)
            .map(|k| {
                let base = st.level + k as f64 * st.trend;
                let s = st.season.get((k - 1) % m).copied().unwrap_or(0.0);
                match self.seasonality {
                    Seasonality::None => base,
                    Seasonality::Add => base + s,
                    Seasonality::Mul => base * s,
                }
            })
            .collect()
    }

    /// `h` values after the end of `y` (the states run over `y` first).
    pub fn forecast(&self, y: &[f64], h: usize) -> Vec<f64> {
        self.forecast_from(&self.run(y).1, h)
    }

    /// Sum of squared one-step errors on `y`.
    pub fn sse(&self, y: &[f64]) -> f64 {
        let (f, _) = self.run(y);
        let sse: f64 = f.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum();
        if sse.is_finite() { sse } else { f64::INFINITY }
    }

    /// The number of fitted values (weights and starting states), for the AIC.
    fn n_params(&self) -> usize {
        1 + 1 + usize::from(self.trend) * 2 + if self.seasonality == Seasonality::None { 0 } else { 1 + self.m() }
    }

    /// Akaike's information criterion of the fit on `y` (Gaussian errors).
    pub fn aic(&self, y: &[f64]) -> f64 {
        let n = y.len().max(1) as f64;
        n * (self.sse(y) / n).max(1e-300).ln() + 2.0 * self.n_params() as f64
    }

    /// The classical starting states: the first season's mean as the level, the change
    /// between the first two seasons' means as the trend, each step's difference (or ratio)
    /// from the first season's mean as the season.
    fn heuristic(y: &[f64], trend: bool, seasonality: Seasonality, period: usize) -> HoltWinters {
        let m = if seasonality == Seasonality::None { 1 } else { period.max(1) };
        let first = mean(&y[..m.min(y.len())]);
        let trend0 = if trend {
            if y.len() >= 2 * m && m > 1 {
                (mean(&y[m..2 * m]) - first) / m as f64
            } else if y.len() >= 2 {
                y[1] - y[0]
            } else {
                0.0
            }
        } else {
            0.0
        };
        let season0 = match seasonality {
            Seasonality::None => vec![],
            Seasonality::Add => (0..m).map(|i| y[i] - first).collect(),
            Seasonality::Mul => (0..m).map(|i| y[i] / first).collect(),
        };
        let level0 = if m > 1 { first - trend0 * (m as f64 - 1.0) / 2.0 } else { y[0] };
        HoltWinters { trend, seasonality, period: m, alpha: 0.5, beta: 0.1, gamma: 0.1, level0, trend0, season0 }
    }

    /// Fits weights and starting level/trend to `y` by least squares.
    pub fn fit(y: &[f64], trend: bool, seasonality: Seasonality, period: usize) -> Option<HoltWinters> {
        let m = if seasonality == Seasonality::None { 1 } else { period };
        if y.len() < 2 * m + 2 || (seasonality == Seasonality::Mul && y.iter().any(|&v| v <= 0.0)) {
            return None;
        }
        if y.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let start = HoltWinters::heuristic(y, trend, seasonality, period);
        let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-9);
        // The search works on unbounded numbers: weights through a logistic curve, the level
        // and trend in units of the data's scale.
        let build = |x: &[f64]| {
            let mut hw = start.clone();
            hw.alpha = logistic(x[0]);
            hw.beta = logistic(x[1]);
            hw.gamma = logistic(x[2]) * (1.0 - hw.alpha);
            hw.level0 = start.level0 + x[3] * scale;
            hw.trend0 = start.trend0 + x[4] * scale;
            hw
        };
        let objective = |x: &[f64]| build(x).sse(y);
        let mut best = vec![logit(0.5), logit(0.1), logit(0.1 / 0.5), 0.0, 0.0];
        for _ in 0..3 {
            best = nelder_mead(&objective, &best, 0.5, 400);
        }
        Some(build(&best))
    }

    /// The better (by AIC) of the trended forms with the season added, multiplied or none.
    pub fn fit_best(y: &[f64], period: usize) -> Option<HoltWinters> {
        let mut forms = vec![(true, Seasonality::None), (false, Seasonality::None)];
        if period > 1 {
            forms.extend([(true, Seasonality::Add), (true, Seasonality::Mul)]);
        }
        forms
            .into_iter()
            .filter_map(|(t, s)| HoltWinters::fit(y, t, s, period))
            .map(|hw| (hw.aic(y), hw))
            .filter(|(a, _)| a.is_finite())
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, hw)| hw)
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Nelder–Mead simplex search for a minimum of `f` from `x0` (a few dozen lines, so no
/// optimisation crate: the objectives here have at most five unknowns).
pub fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: &[f64], step: f64, iterations: usize) -> Vec<f64> {
    let n = x0.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|i| {
            let mut x = x0.to_vec();
            if i > 0 {
                x[i - 1] += step;
            }
            let v = f(&x);
            (x, v)
        })
        .collect();
    for _ in 0..iterations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= 1e-12 * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|j| simplex[..n].iter().map(|p| p.0[j]).sum::<f64>() / n as f64).collect();
        let towards =
            |t: f64| -> Vec<f64> { (0..n).map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j])).collect() };
        let reflected = towards(-1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = towards(-2.0);
            let fe = f(&expanded);
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < worst { towards(-0.5) } else { towards(0.5) };
            let fc = f(&contracted);
            if fc < worst.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let x0 = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    p.0 = (0..n).map(|j| x0[j] + 0.5 * (p.0[j] - x0[j])).collect();
                    p.1 = f(&p.0);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_a_bowl_minimum() {
        let f = |x: &[f64]| (x[0] - 3.0).powi(2) + 10.0 * (x[1] + 1.0).powi(2);
        let x = nelder_mead(&f, &[0.0, 0.0], 1.0, 500);
        assert!((x[0] - 3.0).abs() < 1e-4 && (x[1] + 1.0).abs() < 1e-4, "{x:?}");
    }

    #[test]
    fn a_clean_seasonal_line_is_learned() {
        let y: Vec<f64> = (0..72).map(|t| 10.0 + 0.5 * t as f64 + [3.0, -1.0, -2.0, 0.0][t % 4]).collect();
        let hw = HoltWinters::fit(&y[..60], true, Seasonality::Add, 4).unwrap();
        let f = hw.forecast(&y[..60], 12);
        for (a, b) in f.iter().zip(&y[60..]) {
            assert!((a - b).abs() < 0.05, "{f:?}");
        }
    }
}
