//! Table steps: reshapings of the columns (drop, power, clip, bin, date parts, derived columns)
//! fitted on the training rows and replayed on any data with the fitted numbers.

use super::FeatureError;
use super::expr::Expr;
use super::step::{CoarsePart, DatePart, Power, Step};
use crate::data::explore::quantile;
use crate::data::{Column, ColumnKind, Dataset, Values, format_number};
use crate::data::{DateFormat, DateTime, detect_column};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FittedTable {
    Drop {
        column: String,
    },
    Power {
        column: String,
        kind: Power,
        lambda: f64,
    },
    Clip {
        column: String,
        low: f64,
        high: f64,
    },
    /// Inner edges, ascending; `labels` has one more entry than `edges`.
    Bin {
        column: String,
        edges: Vec<f64>,
        labels: Vec<String>,
    },
    DateParts {
        column: String,
        parts: Vec<DatePart>,
        /// The date layout detected on the training rows, replayed when serving. Bundles
        /// saved before it existed have none: their layout is detected on the data at hand.
        #[serde(default)]
        format: Option<DateFormat>,
    },
    Derived {
        name: String,
        expression: String,
    },
    /// `salt`: hex, derived from the training rows (the same data gives the same salt, so a
    /// retrained model hashes alike).
    Hash {
        column: String,
        salt: String,
    },
    Coarsen {
        column: String,
        part: CoarsePart,
        chars: usize,
    },
    Lags {
        column: String,
        time: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        series: String,
        lags: Vec<usize>,
        #[serde(default)]
        windows: Vec<usize>,
    },
}

impl FittedTable {
    /// What the step does, e.g. `clip 'total_rooms'`.
    pub fn describe(&self) -> String {
        match self {
            FittedTable::Drop { column } => format!("drop '{column}'"),
            FittedTable::Power { column, .. } => format!("power transform of '{column}'"),
            FittedTable::Clip { column, .. } => format!("clip '{column}'"),
            FittedTable::Bin { column, .. } => format!("bin '{column}'"),
            FittedTable::DateParts { column, .. } => format!("date parts of '{column}'"),
            FittedTable::Derived { name, .. } => format!("derived column '{name}'"),
            FittedTable::Hash { column, .. } => format!("salted hash of '{column}'"),
            FittedTable::Coarsen { column, .. } => format!("coarse part of '{column}'"),
            FittedTable::Lags { column, .. } => format!("earlier values of '{column}'"),
        }
    }

    /// Fits a table step on rows `rows` of the working table `ds`.
    pub fn fit(step: &Step, ds: &Dataset, rows: &[usize]) -> Result<FittedTable, FeatureError> {
        let numbers = |column: &str| -> Result<Vec<f64>, FeatureError> {
            match &require(ds, column)?.values {
                Values::Numeric(v) => Ok(rows.iter().filter_map(|&r| v.get(r)).collect()),
                Values::Str(_) => Err(FeatureError::WrongKind { column: column.into(), kind: "not numeric" }),
            }
        };
        Ok(match step {
            Step::Drop { column } => {
                require(ds, column)?;
                FittedTable::Drop { column: column.clone() }
            }
            Step::Power { column, kind } => {
                let v = numbers(column)?;
                let lambda = if *kind == Power::YeoJohnson { yeo_johnson_lambda(&v) } else { 0.0 };
                FittedTable::Power { column: column.clone(), kind: *kind, lambda }
            }
            Step::Clip { column, lower, upper } => {
                let mut v = numbers(column)?;
                v.sort_by(f64::total_cmp);
                let (lo, hi) = (lower.clamp(0.0, 1.0), upper.clamp(0.0, 1.0));
                FittedTable::Clip {
                    column: column.clone(),
                    low: quantile(&v, lo.min(hi)),
                    high: quantile(&v, hi.max(lo)),
                }
            }
            Step::Bin { column, bins, quantile: by_rows } => {
                let mut v = numbers(column)?;
                v.sort_by(f64::total_cmp);
                let bins = (*bins).clamp(2, 100);
                let mut edges: Vec<f64> = if v.is_empty() {
                    vec![]
                } else if *by_rows {
                    (1..bins).map(|i| quantile(&v, i as f64 / bins as f64)).collect()
                } else {
                    let (lo, hi) = (v[0], v[v.len() - 1]);
                    (1..bins).map(|i| lo + (hi - lo) * i as f64 / bins as f64).collect()
                };
                edges.dedup();
                let labels = bin_labels(&edges);
                FittedTable::Bin { column: column.clone(), edges, labels }
            }
            Step::DateParts { column, parts } => {
                let col = require(ds, column)?;
                let Values::Str(v) = &col.values else {
                    return Err(FeatureError::WrongKind { column: column.clone(), kind: col.kind.label() });
                };
                // One layout for the column, read off the training rows; a cell that is no
                // date (or written in another layout) names the problem.
                let cells = rows.iter().filter_map(|&r| v.get(r).map(|s| (r, s)));
                let format = match detect_column(cells) {
                    Ok(f) => Some(f),
                    Err(crate::data::DateProblem::Empty) => None,
                    Err(problem) => {
                        return Err(FeatureError::Step {
                            step: format!("date parts of '{column}'"),
                            message: problem.to_string(),
                        });
                    }
                };
                FittedTable::DateParts { column: column.clone(), parts: parts.clone(), format }
            }
            Step::Derived { name, expression } => {
                let e = parse_expr(name, expression)?;
                for c in e.columns() {
                    numbers(&c)?;
                }
                if ds.column(name).is_some() {
                    return Err(FeatureError::Step {
                        step: format!("derived column '{name}'"),
                        message: "a column of that name exists already; choose another name".into(),
                    });
                }
                FittedTable::Derived { name: name.clone(), expression: expression.clone() }
            }
            Step::Hash { column } => {
                let col = require(ds, column)?;
                let mut h = Sha256::new();
                h.update(b"cairn salt\0");
                h.update(column.as_bytes());
                for &r in rows {
                    h.update(b"\0");
                    h.update(col.values.display(r).as_bytes());
                }
                let salt = crate::util::hex(&h.finalize()[..16]);
                FittedTable::Hash { column: column.clone(), salt }
            }
            Step::Coarsen { column, part, chars } => {
                require(ds, column)?;
                FittedTable::Coarsen { column: column.clone(), part: *part, chars: (*chars).clamp(1, 64) }
            }
            Step::Lags { column, time, series, lags, windows } => {
                numbers(column)?;
                require(ds, time)?;
                if !series.is_empty() {
                    require(ds, series)?;
                }
                let positive = |v: &[usize]| v.iter().copied().filter(|&k| (1..=10_000).contains(&k)).collect();
                FittedTable::Lags {
                    column: column.clone(),
                    time: time.clone(),
                    series: series.clone(),
                    lags: positive(lags),
                    windows: positive(windows),
                }
            }
            other => {
                return Err(FeatureError::Step { step: other.title().into(), message: "is not a table step".into() });
            }
        })
    }

    /// Applies the step to the working table in place.
    pub fn apply(&self, ds: &mut Dataset) -> Result<(), FeatureError> {
        let index = |ds: &Dataset, column: &str| {
            ds.columns.iter().position(|c| c.name == column).ok_or_else(|| FeatureError::MissingColumn(column.into()))
        };
        let numeric = |ds: &mut Dataset, column: &str, f: &dyn Fn(f64) -> f64| -> Result<(), FeatureError> {
            let i = index(ds, column)?;
            match &mut ds.columns[i].values {
                Values::Numeric(v) => {
                    v.raw_mut().iter_mut().filter(|x| !x.is_nan()).for_each(|x| {
                        let y = f(*x);
                        *x = if y.is_finite() { y } else { f64::NAN };
                    });
                    Ok(())
                }
                Values::Str(_) => Err(FeatureError::WrongKind { column: column.into(), kind: "not numeric" }),
            }
        };
        match self {
            // Serving data need not have a dropped column at all.
            FittedTable::Drop { column } => ds.columns.retain(|c| &c.name != column),
            FittedTable::Power { column, kind, lambda } => match kind {
                Power::Log => numeric(ds, column, &|x| x.signum() * x.abs().ln_1p())?,
                Power::Sqrt => numeric(ds, column, &|x| x.signum() * x.abs().sqrt())?,
                Power::YeoJohnson => numeric(ds, column, &|x| yeo_johnson(x, *lambda))?,
            },
            FittedTable::Clip { column, low, high } => numeric(ds, column, &|x| x.clamp(*low, *high))?,
            FittedTable::Bin { column, edges, labels } => {
                let i = index(ds, column)?;
                let Values::Numeric(v) = &ds.columns[i].values else {
                    return Err(FeatureError::WrongKind { column: column.clone(), kind: "not numeric" });
                };
                let binned = v.iter().map(|x| x.map(|x| labels[edges.partition_point(|e| *e < x)].clone())).collect();
                ds.columns[i] =
                    Column { name: column.clone(), kind: ColumnKind::Categorical, values: Values::Str(binned) };
            }
            FittedTable::DateParts { column, parts, format } => {
                let i = index(ds, column)?;
                let dates: Vec<Option<DateTime>> = match &ds.columns[i].values {
                    Values::Str(v) => {
                        // Each distinct text is parsed once, in the layout fitted on the training
                        // rows (an old bundle without one: the layout of the texts at hand, else
                        // each text's own).
                        let dict: Vec<&str> = v.dict().iter().map(String::as_str).collect();
                        let format = format.or_else(|| DateFormat::detect(&dict));
                        let parsed: Vec<Option<DateTime>> = dict
                            .iter()
                            .map(|s| match format {
                                Some(f) => f.parse(s),
                                None => crate::data::parse_datetime(s),
                            })
                            .collect();
                        v.codes().iter().map(|&c| parsed.get(c as usize).copied().flatten()).collect()
                    }
                    Values::Numeric(_) => {
                        return Err(FeatureError::WrongKind { column: column.clone(), kind: "numeric" });
                    }
                };
                for p in parts {
                    let name = format!("{column}_{}", p.name());
                    let values = dates.iter().map(|d| d.map(|d| part(d, *p))).collect();
                    ds.columns.retain(|c| c.name != name);
                    ds.columns.push(Column::numeric(name, values));
                }
            }
            FittedTable::Hash { column, salt } => {
                let i = index(ds, column)?;
                map_cells(&mut ds.columns[i], |s| {
                    let digest =
                        Sha256::new().chain_update(salt.as_bytes()).chain_update(s.trim().as_bytes()).finalize();
                    Some(crate::util::hex(&digest[..8]))
                });
            }
            FittedTable::Coarsen { column, part, chars } => {
                let i = index(ds, column)?;
                map_cells(&mut ds.columns[i], |s| coarse(s.trim(), *part, *chars));
            }
            FittedTable::Lags { column, time, series, lags, windows } => {
                let (lagged, means) = lag_columns(ds, column, time, series, lags, windows)?;
                for (k, v) in lags.iter().zip(lagged).map(|(k, v)| (format!("{column}_lag{k}"), v)) {
                    ds.columns.retain(|c| c.name != k);
                    ds.columns.push(Column::numeric(k, v));
                }
                for (w, v) in windows.iter().zip(means).map(|(w, v)| (format!("{column}_mean{w}"), v)) {
                    ds.columns.retain(|c| c.name != w);
                    ds.columns.push(Column::numeric(w, v));
                }
            }
            FittedTable::Derived { name, expression } => {
                let e = parse_expr(name, expression)?;
                let cols: Vec<(String, &crate::data::Numbers)> = e
                    .columns()
                    .into_iter()
                    .map(|c| match ds.column(&c).map(|col| &col.values) {
                        Some(Values::Numeric(v)) => Ok((c, v)),
                        Some(_) => Err(FeatureError::WrongKind { column: c, kind: "not numeric" }),
                        None => Err(FeatureError::MissingColumn(c)),
                    })
                    .collect::<Result<_, _>>()?;
                let values = (0..ds.n_rows())
                    .map(|r| e.eval(&|name| cols.iter().find(|c| c.0 == name).and_then(|c| c.1.get(r))))
                    .collect();
                ds.columns.push(Column::numeric(name.clone(), values));
            }
        }
        Ok(())
    }
}

/// Per lag and per window, the column of earlier values of `column`: rows are put in time
/// order within each series, and the value `k` rows before (or the mean of the `w` before,
/// gaps skipped) is read; a row with too little history gets a gap.
#[allow(clippy::type_complexity)]
fn lag_columns(
    ds: &Dataset,
    column: &str,
    time: &str,
    series: &str,
    lags: &[usize],
    windows: &[usize],
) -> Result<(Vec<Vec<Option<f64>>>, Vec<Vec<Option<f64>>>), FeatureError> {
    let Values::Numeric(values) = &require(ds, column)?.values else {
        return Err(FeatureError::WrongKind { column: column.into(), kind: "not numeric" });
    };
    let times = require(ds, time)?;
    let keys: Vec<f64> = match &times.values {
        Values::Numeric(v) => v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
        Values::Str(v) => {
            let dict: Vec<&str> = v.dict().iter().map(String::as_str).collect();
            let format = DateFormat::detect(&dict);
            let parsed: Vec<f64> =
                dict.iter().map(|s| format.and_then(|f| f.parse(s)).map_or(f64::NAN, |d| d.order_key())).collect();
            v.codes().iter().map(|&c| parsed.get(c as usize).copied().unwrap_or(f64::NAN)).collect()
        }
    };
    let group: Vec<String> = match series {
        "" => vec![String::new(); ds.n_rows()],
        s => {
            let col = require(ds, s)?;
            (0..ds.n_rows()).map(|r| col.cell_text(r)).collect()
        }
    };
    let mut order: Vec<usize> = (0..ds.n_rows()).collect();
    order.sort_by(|&a, &b| group[a].cmp(&group[b]).then(keys[a].total_cmp(&keys[b])).then(a.cmp(&b)));
    let mut lagged = vec![vec![None; ds.n_rows()]; lags.len()];
    let mut means = vec![vec![None; ds.n_rows()]; windows.len()];
    let mut start = 0;
    for (i, &row) in order.iter().enumerate() {
        if i > 0 && group[order[i - 1]] != group[row] {
            start = i;
        }
        let before = &order[start..i];
        for (j, &k) in lags.iter().enumerate() {
            lagged[j][row] = before.len().checked_sub(k).and_then(|p| values.get(before[p]));
        }
        for (j, &w) in windows.iter().enumerate() {
            let last = &before[before.len().saturating_sub(w)..];
            let present: Vec<f64> = last.iter().filter_map(|&r| values.get(r)).collect();
            means[j][row] =
                (last.len() == w && !present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64);
        }
    }
    Ok((lagged, means))
}

/// Replaces every present cell of `col` by `f(cell text)` (computed once per distinct text);
/// the column becomes a category column.
fn map_cells(col: &mut Column, f: impl Fn(&str) -> Option<String>) {
    let values: crate::data::Strings = match &col.values {
        Values::Str(v) => {
            let mapped: Vec<Option<String>> = v.dict().iter().map(|s| f(s)).collect();
            v.codes().iter().map(|&c| mapped.get(c as usize).and_then(|m| m.as_deref())).collect()
        }
        Values::Numeric(v) => v.iter().map(|x| x.and_then(|x| f(&format_number(x)))).collect(),
    };
    *col = Column { name: col.name.clone(), kind: ColumnKind::Categorical, values: Values::Str(values) };
}

/// The coarse part of one value (none when the value has no such part).
fn coarse(s: &str, part: CoarsePart, chars: usize) -> Option<String> {
    match part {
        CoarsePart::EmailDomain => s.rsplit_once('@').map(|(_, d)| d.trim().to_lowercase()).filter(|d| !d.is_empty()),
        CoarsePart::Year => crate::data::parse_datetime(s).map(|d| d.year.to_string()),
        CoarsePart::Prefix => {
            let p: String = s.chars().filter(|c| !c.is_whitespace()).take(chars).collect();
            (!p.is_empty()).then_some(p)
        }
    }
}

fn require<'a>(ds: &'a Dataset, column: &str) -> Result<&'a Column, FeatureError> {
    ds.column(column).ok_or_else(|| FeatureError::MissingColumn(column.into()))
}

fn parse_expr(name: &str, expression: &str) -> Result<Expr, FeatureError> {
    Expr::parse(expression)
        .map_err(|e| FeatureError::Step { step: format!("derived column '{name}'"), message: e.to_string() })
}

fn bin_labels(edges: &[f64]) -> Vec<String> {
    let f = |x: f64| format_number((x * 1000.0).round() / 1000.0);
    let mut labels = Vec::with_capacity(edges.len() + 1);
    if edges.is_empty() {
        return vec!["all".into()];
    }
    labels.push(format!("<= {}", f(edges[0])));
    for w in edges.windows(2) {
        labels.push(format!("{} to {}", f(w[0]), f(w[1])));
    }
    labels.push(format!("> {}", f(edges[edges.len() - 1])));
    labels
}

pub(super) fn yeo_johnson(x: f64, lambda: f64) -> f64 {
    if x >= 0.0 {
        if lambda.abs() < 1e-8 { x.ln_1p() } else { ((x + 1.0).powf(lambda) - 1.0) / lambda }
    } else if (lambda - 2.0).abs() < 1e-8 {
        -(-x).ln_1p()
    } else {
        -((1.0 - x).powf(2.0 - lambda) - 1.0) / (2.0 - lambda)
    }
}

/// The Yeo–Johnson power that maximises the normal log-likelihood (as scikit-learn's
/// `PowerTransformer`), by golden-section search on [-3, 3].
fn yeo_johnson_lambda(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 1.0;
    }
    let log_term: f64 = v.iter().map(|x| x.signum() * x.abs().ln_1p()).sum();
    let n = v.len() as f64;
    let loglik = |l: f64| {
        let t: Vec<f64> = v.iter().map(|&x| yeo_johnson(x, l)).collect();
        let mean = t.iter().sum::<f64>() / n;
        let var = t.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n;
        if var <= 0.0 || !var.is_finite() {
            return f64::NEG_INFINITY;
        }
        -n / 2.0 * var.ln() + (l - 1.0) * log_term
    };
    let (mut a, mut b) = (-3.0f64, 3.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let (c, d) = (b - g * (b - a), a + g * (b - a));
        if loglik(c) > loglik(d) { b = d } else { a = c }
    }
    (a + b) / 2.0
}

/// The value of one date part (what a `date_parts` step makes of a date).
fn part(d: DateTime, p: DatePart) -> f64 {
    match p {
        DatePart::Year => d.year as f64,
        DatePart::Month => d.month as f64,
        DatePart::Day => d.day as f64,
        DatePart::Weekday => d.weekday() as f64,
        DatePart::Hour => d.hour as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_parts_and_hashes() {
        assert_eq!(
            coarse(" Ann.Lee@Mail.EXAMPLE ".trim(), CoarsePart::EmailDomain, 0).as_deref(),
            Some("mail.example")
        );
        assert_eq!(coarse("no address", CoarsePart::EmailDomain, 0), None);
        assert_eq!(coarse("1984-07-02", CoarsePart::Year, 0).as_deref(), Some("1984"));
        assert_eq!(coarse("SW1A 1AA", CoarsePart::Prefix, 3).as_deref(), Some("SW1"));
        let mut col = Column {
            name: "zip".into(),
            kind: ColumnKind::Categorical,
            values: Values::Str(
                vec![Some("90210".to_string()), None, Some("90210".to_string()), Some("10001".to_string())].into(),
            ),
        };
        let mut ds = Dataset::new("t", vec![col.clone()]).unwrap();
        let fitted = FittedTable::fit(&Step::Hash { column: "zip".into() }, &ds, &[0, 1, 2, 3]).unwrap();
        fitted.apply(&mut ds).unwrap();
        let v = &ds.columns[0].values;
        assert_eq!(v.display(0), v.display(2));
        assert_ne!(v.display(0), v.display(3));
        assert!(v.is_missing(1) && v.display(0).len() == 16 && v.display(0) != "90210");
        // Another salt, another hash.
        col.values = Values::Str(vec![Some("90210".to_string())].into());
        let mut other = Dataset::new("t", vec![col]).unwrap();
        FittedTable::Hash { column: "zip".into(), salt: "00".into() }.apply(&mut other).unwrap();
        assert_ne!(other.columns[0].values.display(0), v.display(0));
    }

    #[test]
    fn date_parts_replay_the_layout_fitted_on_the_training_rows() {
        let when = |cells: &[&str]| {
            let col = Column::strings("when", cells.iter().map(|s| Some(s.to_string())).collect());
            Dataset::new("t", vec![col]).unwrap()
        };
        let step = Step::DateParts { column: "when".into(), parts: vec![DatePart::Month, DatePart::Day] };
        // Row 1 (04/25) shows the column is month-first; row 2 is held out of the fit.
        let train = when(&["04/05/2024", "04/25/2024", "13/01/2024"]);
        let fitted = FittedTable::fit(&step, &train, &[0, 1]).unwrap();
        assert!(matches!(fitted, FittedTable::DateParts { format: Some(DateFormat::MdySlash), .. }), "{fitted:?}");
        // Serving a lone ambiguous date replays month-first: 5 April, not 4 May.
        let mut served = when(&["04/05/2024", "31/12/2024"]);
        fitted.apply(&mut served).unwrap();
        let (month, day) = (served.column("when_month").unwrap(), served.column("when_day").unwrap());
        assert_eq!((month.cell_text(0), day.cell_text(0)), ("4".to_string(), "5".to_string()));
        assert_eq!(month.cell_text(1), "", "a day-first cell does not fit the layout: missing");
        // A bundle saved before the layout was stored still loads, and detects it on the data.
        let old = r#"{"step":"date_parts","column":"when","parts":["month","day"]}"#;
        let old: FittedTable = serde_json::from_str(old).unwrap();
        assert!(matches!(old, FittedTable::DateParts { format: None, .. }));
        let mut served = when(&["04/05/2024", "04/25/2024"]);
        old.apply(&mut served).unwrap();
        assert_eq!(served.column("when_day").unwrap().cell_text(0), "5");
        // Training rows in two layouts are an error that names both rows.
        let err = FittedTable::fit(&step, &when(&["25/04/2024", "04/25/2024"]), &[0, 1]).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("row 1"), "{err}");
    }

    #[test]
    fn yeo_johnson_matches_scikit_learn_and_inverts_skew() {
        // scipy.stats.yeojohnson([1, 2, 3, 4, 50]) and PowerTransformer give lambda -0.743341.
        let l = yeo_johnson_lambda(&[1.0, 2.0, 3.0, 4.0, 50.0]);
        assert!((l - -0.743341).abs() < 1e-5, "{l}");
        assert!((yeo_johnson(3.0, 0.0) - 4f64.ln()).abs() < 1e-12);
        assert!((yeo_johnson(-3.0, 2.0) + 4f64.ln()).abs() < 1e-12);
    }
}
