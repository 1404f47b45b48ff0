//! Time series read from a table: a time column, a value column and, optionally, a column
//! naming the series (several shops, sensors or users in one table). Each time falls in a
//! period of a [`Frequency`] (an hour, a day, a Monday-to-Sunday week, a month …); the
//! series is a run of consecutive periods. Duplicated periods and missing periods are found
//! and reported, and fixed only when the recipe asks (`Combine` and `FillGaps`).

use super::{DataError, Dataset, Values};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How often a series has a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Frequency {
    pub const ALL: [Frequency; 6] =
        [Frequency::Hour, Frequency::Day, Frequency::Week, Frequency::Month, Frequency::Quarter, Frequency::Year];

    pub fn name(self) -> &'static str {
        match self {
            Frequency::Hour => "hour",
            Frequency::Day => "day",
            Frequency::Week => "week",
            Frequency::Month => "month",
            Frequency::Quarter => "quarter",
            Frequency::Year => "year",
        }
    }

    /// Parses `hour`, `hourly`, `days` … (for the CLI, which also accepts `auto`).
    pub fn parse_name(s: &str) -> Option<Frequency> {
        let s = s.trim().to_ascii_lowercase();
        Frequency::ALL.iter().copied().find(|f| {
            let n = f.name();
            s == n || s == format!("{n}s") || s == format!("{n}ly") || (n == "day" && s == "daily")
        })
    }

    /// The usual length of a season in periods: 24 hours, 7 days, 52 weeks, 12 months, 4
    /// quarters (1: no season).
    pub fn season(self) -> usize {
        match self {
            Frequency::Hour => 24,
            Frequency::Day => 7,
            Frequency::Week => 52,
            Frequency::Month => 12,
            Frequency::Quarter => 4,
            Frequency::Year => 1,
        }
    }

    /// The period a time falls in, as a count from a fixed origin.
    pub fn period(self, t: NaiveDateTime) -> i64 {
        let days = t.date().signed_duration_since(epoch()).num_days();
        match self {
            Frequency::Hour => days * 24 + i64::from(t.hour()),
            Frequency::Day => days,
            // 1970-01-05 was a Monday: weeks run Monday to Sunday.
            Frequency::Week => (days - 4).div_euclid(7),
            Frequency::Month => i64::from(t.year()) * 12 + i64::from(t.month0()),
            Frequency::Quarter => i64::from(t.year()) * 4 + i64::from(t.month0() / 3),
            Frequency::Year => i64::from(t.year()),
        }
    }

    /// The first moment of a period.
    pub fn start(self, period: i64) -> NaiveDateTime {
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
        let ymd = |y: i64, m0: i64| {
            NaiveDate::from_ymd_opt(i32::try_from(y).unwrap_or(1970), (m0 + 1) as u32, 1).unwrap_or(epoch())
        };
        match self {
            Frequency::Hour => midnight(epoch()) + Duration::hours(period),
            Frequency::Day => midnight(epoch() + Duration::days(period)),
            Frequency::Week => midnight(epoch() + Duration::days(period * 7 + 4)),
            Frequency::Month => midnight(ymd(period.div_euclid(12), period.rem_euclid(12))),
            Frequency::Quarter => midnight(ymd(period.div_euclid(4), period.rem_euclid(4) * 3)),
            Frequency::Year => midnight(ymd(period, 0)),
        }
    }

    /// A period written as a date (`2024-03-01`), or a date and hour for hourly series.
    pub fn label(self, period: i64) -> String {
        let t = self.start(period);
        match self {
            Frequency::Hour => t.format("%Y-%m-%d %H:00").to_string(),
            _ => t.format("%Y-%m-%d").to_string(),
        }
    }

    /// The frequency whose periods are about `days` long.
    pub fn guess(days: f64) -> Option<Frequency> {
        match days {
            d if (0.03..0.06).contains(&d) => Some(Frequency::Hour),
            d if (0.9..1.1).contains(&d) => Some(Frequency::Day),
            d if (6.5..7.5).contains(&d) => Some(Frequency::Week),
            d if (27.5..31.5).contains(&d) => Some(Frequency::Month),
            d if (88.0..93.0).contains(&d) => Some(Frequency::Quarter),
            d if (360.0..370.0).contains(&d) => Some(Frequency::Year),
            _ => None,
        }
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// How values that fall in the same period are combined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    #[default]
    Mean,
    Sum,
    Last,
}

impl Combine {
    pub fn name(self) -> &'static str {
        match self {
            Combine::Mean => "mean",
            Combine::Sum => "sum",
            Combine::Last => "last",
        }
    }
}

/// How a period without a value is filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapFill {
    /// A straight line between the values on either side.
    #[default]
    Interpolate,
    /// The last value before the gap.
    Previous,
    /// Zero (counts and sales: nothing happened).
    Zero,
}

impl GapFill {
    pub fn name(self) -> &'static str {
        match self {
            GapFill::Interpolate => "interpolate",
            GapFill::Previous => "previous",
            GapFill::Zero => "zero",
        }
    }
}

/// One series: values of consecutive periods from `start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The series' name in the id column ("" when the table holds one series).
    pub id: String,
    /// The first period (see [`Frequency::period`]).
    pub start: i64,
    pub values: Vec<f64>,
}

impl Series {
    /// The period after the last value.
    pub fn end(&self) -> i64 {
        self.start + self.values.len() as i64
    }
}

/// What was found (and, when asked, fixed) while reading the series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesIssues {
    /// Periods holding more than one row, and the first one.
    pub duplicated: usize,
    pub first_duplicate: Option<String>,
    /// Periods without a row between a series' first and last, and the first one.
    pub missing: usize,
    pub first_missing: Option<String>,
    /// Rows without a time or a value, left out.
    pub rows_left_out: usize,
}

/// A table read as series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesTable {
    pub frequency: Frequency,
    pub series: Vec<Series>,
    pub issues: SeriesIssues,
}

/// How to read the series: the columns, and the fixes the recipe asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeriesSpec {
    pub time: String,
    pub target: String,
    pub id: Option<String>,
    /// `None` detects it from the times.
    pub frequency: Option<Frequency>,
    pub combine: Option<Combine>,
    pub fill: Option<GapFill>,
}

/// The times of a column, parsed in one layout: `None` for an empty cell.
pub fn parse_times(ds: &Dataset, column: &str) -> Result<Vec<Option<NaiveDateTime>>, DataError> {
    let col = ds.require(column)?;
    let problem = |message: String| DataError::Invalid {
        source_name: ds.source.clone(),
        message: format!("column '{column}': {message}"),
    };
    let Values::Str(v) = &col.values else {
        // Whole years written as numbers.
        let Values::Numeric(n) = &col.values else { unreachable!() };
        return n
            .iter()
            .enumerate()
            .map(|(row, x)| match x {
                None => Ok(None),
                Some(y) if y.fract() == 0.0 && (1000.0..3000.0).contains(&y) => {
                    Ok(NaiveDate::from_ymd_opt(y as i32, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)))
                }
                Some(y) => Err(problem(format!(
                    "row {} holds {y}, which is not a date (write dates like 2024-03-31)",
                    row + 1
                ))),
            })
            .collect();
    };
    let format = super::detect_column(v.iter().enumerate().filter_map(|(r, s)| s.map(|s| (r, s))))
        .map_err(|p| problem(p.to_string()))?;
    v.iter()
        .enumerate()
        .map(|(row, s)| match s {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => {
                let d = format.parse(s).ok_or_else(|| problem(format!("row {} holds '{s}', not a date", row + 1)))?;
                let date = i32::try_from(d.year).ok().and_then(|y| NaiveDate::from_ymd_opt(y, d.month, d.day));
                Ok(date.and_then(|x| x.and_hms_opt(d.hour, 0, 0)))
            }
        })
        .collect()
}

/// The frequency the times are written at: the most common gap between consecutive distinct
/// times of a series.
pub fn detect_frequency(times: &[(String, NaiveDateTime)]) -> Option<Frequency> {
    let mut by_id: BTreeMap<&str, Vec<NaiveDateTime>> = BTreeMap::new();
    times.iter().for_each(|(id, t)| by_id.entry(id).or_default().push(*t));
    let mut gaps: BTreeMap<i64, usize> = BTreeMap::new();
    for ts in by_id.values_mut() {
        ts.sort();
        ts.dedup();
        for w in ts.windows(2) {
            *gaps.entry((w[1] - w[0]).num_minutes()).or_default() += 1;
        }
    }
    let (&minutes, _) = gaps.iter().max_by_key(|(m, n)| (**n, -**m))?;
    Frequency::guess(minutes as f64 / 1440.0).or_else(|| {
        // Months vary in length: count gaps of 28–31 days together.
        let month: usize = gaps.iter().filter(|(m, _)| (28 * 1440..=31 * 1440).contains(*m)).map(|(_, n)| n).sum();
        let total: usize = gaps.values().sum();
        (month * 2 > total).then_some(Frequency::Month)
    })
}

/// Reads the series of `ds` as `spec` says.
pub fn read_series(ds: &Dataset, spec: &SeriesSpec) -> Result<SeriesTable, DataError> {
    let times = parse_times(ds, &spec.time)?;
    let target = ds.require(&spec.target)?;
    let Values::Numeric(values) = &target.values else {
        return Err(DataError::Invalid {
            source_name: ds.source.clone(),
            message: format!(
                "column '{}' holds text; a forecast needs numbers (row 1: '{}')",
                spec.target,
                target.cell_text(0)
            ),
        });
    };
    let ids: Vec<String> = match &spec.id {
        Some(c) => {
            let col = ds.require(c)?;
            (0..ds.n_rows()).map(|r| col.cell_text(r)).collect()
        }
        None => vec![String::new(); ds.n_rows()],
    };
    let mut issues = SeriesIssues::default();
    let mut rows: Vec<(String, NaiveDateTime, f64)> = vec![];
    for r in 0..ds.n_rows() {
        match (times[r], values.get(r)) {
            (Some(t), Some(v)) => rows.push((ids[r].clone(), t, v)),
            _ => issues.rows_left_out += 1,
        }
    }
    if rows.len() < 3 {
        return Err(DataError::Invalid {
            source_name: ds.source.clone(),
            message: format!("fewer than 3 rows have both a time in '{}' and a number in '{}'", spec.time, spec.target),
        });
    }
    let pairs: Vec<(String, NaiveDateTime)> = rows.iter().map(|(i, t, _)| (i.clone(), *t)).collect();
    let frequency = match spec.frequency {
        Some(f) => f,
        None => detect_frequency(&pairs).ok_or_else(|| DataError::Invalid {
            source_name: ds.source.clone(),
            message: format!(
                "the times in '{}' are not evenly spaced (hourly, daily, weekly, monthly, quarterly or yearly): choose the frequency",
                spec.time
            ),
        })?,
    };
    // Series in the order they first appear; periods in order within each.
    let mut order: Vec<String> = vec![];
    let mut cells: BTreeMap<String, BTreeMap<i64, Vec<f64>>> = BTreeMap::new();
    for (id, t, v) in rows {
        if !cells.contains_key(&id) {
            order.push(id.clone());
        }
        cells.entry(id).or_default().entry(frequency.period(t)).or_default().push(v);
    }
    let mut series = vec![];
    for id in order {
        let periods = &cells[&id];
        let (first, last) = (*periods.keys().next().unwrap_or(&0), *periods.keys().last().unwrap_or(&0));
        let mut out = Vec::with_capacity((last - first + 1) as usize);
        for p in first..=last {
            match periods.get(&p) {
                Some(v) if v.len() > 1 => {
                    issues.duplicated += 1;
                    issues.first_duplicate.get_or_insert_with(|| where_(&id, frequency.label(p)));
                    out.push(match spec.combine.unwrap_or(Combine::Mean) {
                        Combine::Mean => v.iter().sum::<f64>() / v.len() as f64,
                        Combine::Sum => v.iter().sum(),
                        Combine::Last => v[v.len() - 1],
                    });
                }
                Some(v) => out.push(v[0]),
                None => {
                    issues.missing += 1;
                    issues.first_missing.get_or_insert_with(|| where_(&id, frequency.label(p)));
                    out.push(f64::NAN);
                }
            }
        }
        if let Some(fill) = spec.fill {
            fill_gaps(&mut out, fill);
        }
        series.push(Series { id, start: first, values: out });
    }
    Ok(SeriesTable { frequency, series, issues })
}

fn where_(id: &str, label: String) -> String {
    if id.is_empty() { label } else { format!("{label} in series '{id}'") }
}

/// Fills the NaN gaps of `v` in place.
pub fn fill_gaps(v: &mut [f64], how: GapFill) {
    let n = v.len();
    let mut i = 0;
    while i < n {
        if !v[i].is_nan() {
            i += 1;
            continue;
        }
        let j = (i..n).find(|&k| !v[k].is_nan()).unwrap_or(n);
        let before = if i > 0 { Some(v[i - 1]) } else { None };
        let after = if j < n { Some(v[j]) } else { None };
        for k in i..j {
            v[k] = match (how, before, after) {
                (GapFill::Zero, ..) => 0.0,
                (GapFill::Interpolate, Some(a), Some(b)) => a + (b - a) * (k + 1 - i) as f64 / (j + 1 - i) as f64,
                (_, Some(a), _) => a,
                (_, None, Some(b)) => b,
                _ => 0.0,
            };
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    fn table(times: &[&str], values: &[f64]) -> Dataset {
        Dataset::new(
            "t.csv",
            vec![
                Column::strings("when", times.iter().map(|s| Some(s.to_string())).collect()),
                Column::numeric("sales", values.iter().map(|&v| Some(v)).collect()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn months_weeks_and_days_are_detected_and_round_trip() {
        let ds = table(&["2020-01-01", "2020-02-01", "2020-03-01", "2020-05-01"], &[1.0, 2.0, 3.0, 5.0]);
        let spec = SeriesSpec { time: "when".into(), target: "sales".into(), ..Default::default() };
        let s = read_series(&ds, &spec).unwrap();
        assert_eq!(s.frequency, Frequency::Month);
        assert_eq!(s.issues.missing, 1);
        assert_eq!(s.issues.first_missing.as_deref(), Some("2020-04-01"));
        assert!(s.series[0].values[3].is_nan());
        let fixed = read_series(&ds, &SeriesSpec { fill: Some(GapFill::Interpolate), ..spec }).unwrap();
        assert_eq!(fixed.series[0].values, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        for f in Frequency::ALL {
            for p in [0, 17, 600, 24_000] {
                assert_eq!(f.period(f.start(p)), p, "{f:?}");
            }
        }
        assert_eq!(Frequency::Week.label(Frequency::Week.period(Frequency::Day.start(19_000))), "2022-01-03");
        let days = table(&["2024-03-01", "2024-03-02", "2024-03-02", "2024-03-03"], &[1.0, 2.0, 4.0, 5.0]);
        let spec = SeriesSpec { time: "when".into(), target: "sales".into(), ..Default::default() };
        let s = read_series(&days, &spec).unwrap();
        assert_eq!((s.frequency, s.issues.duplicated), (Frequency::Day, 1));
        assert_eq!(s.series[0].values, vec![1.0, 3.0, 5.0]);
    }

    #[test]
    fn gaps_fill_three_ways() {
        let mut v = vec![f64::NAN, 1.0, f64::NAN, f64::NAN, 4.0, f64::NAN];
        fill_gaps(&mut v, GapFill::Interpolate);
        assert_eq!(v, vec![1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
        let mut v = vec![2.0, f64::NAN, 5.0];
        fill_gaps(&mut v, GapFill::Previous);
        assert_eq!(v, vec![2.0, 2.0, 5.0]);
        let mut v = vec![2.0, f64::NAN, 5.0];
        fill_gaps(&mut v, GapFill::Zero);
        assert_eq!(v, vec![2.0, 0.0, 5.0]);
    }
}
