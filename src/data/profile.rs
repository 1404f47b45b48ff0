//! A per-column profile of a dataset: what `cairn inspect` prints and the Data panel shows.

use super::{ColumnKind, Dataset, Values};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub source: String,
    pub rows: usize,
    pub columns: usize,
    pub column_profiles: Vec<ColumnProfile>,
    /// Plain-words warnings about the table (constant / ID-like columns, many missing cells,
    /// many categories, free text, duplicate rows).
    pub warnings: Vec<super::Warning>,
    /// Set when the file was too large for memory and was streamed (`data::stream`): the
    /// counts, ranges and moments cover every row, the pictures come from the sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streamed: Option<super::stream::StreamSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnProfile {
    pub name: String,
    pub kind: ColumnKind,
    pub missing: usize,
    pub distinct: usize,
    /// Set when `distinct` is an estimate (columns of numbers with over 65 536 distinct values).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distinct_estimated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// The most frequent values with their counts (string columns only), most frequent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top_values: Vec<(String, usize)>,
    /// A small picture of the distribution: rows per equal-width bin between `min` and `max`
    /// (numbers), or per bin of text length in characters from 0 to `longest` (text); empty
    /// for categories (their picture is `top_values`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub histogram: Vec<usize>,
    /// The longest text, in characters (text columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest: Option<usize>,
}

/// Bins of the profile's distribution pictures.
pub const SKETCH_BINS: usize = 16;

/// Rows per equal-width bin between `lo` and `hi` (missing values left out).
pub(super) fn histogram(values: &[f64], lo: f64, hi: f64) -> Vec<usize> {
    sketch(values.iter().map(|&x| (x, 1)), lo, hi)
}

fn sketch(values: impl Iterator<Item = (f64, usize)>, lo: f64, hi: f64) -> Vec<usize> {
    let mut bins = vec![0; SKETCH_BINS];
    let width = if hi > lo { hi - lo } else { 1.0 };
    for (x, n) in values {
        if x.is_nan() {
            continue;
        }
        let b = (((x - lo) / width * SKETCH_BINS as f64) as usize).min(SKETCH_BINS - 1);
        bins[b] += n;
    }
    bins
}

impl ColumnProfile {
    /// The distinct count for people: "about 998 000" when it is an estimate.
    pub fn distinct_text(&self) -> String {
        if !self.distinct_estimated {
            return self.distinct.to_string();
        }
        let digits = (self.distinct as f64).log10().floor() as i32;
        let unit = 10f64.powi((digits - 2).max(0));
        format!("about {}", ((self.distinct as f64 / unit).round() * unit) as u64)
    }
}

/// Profiles every column in one pass each.
pub fn profile(ds: &Dataset) -> Profile {
    use rayon::prelude::*;
    // Columns on all cores, and the duplicate rows beside them; then the warnings from both.
    let (column_profiles, duplicates): (Vec<ColumnProfile>, usize) =
        rayon::join(|| ds.columns.par_iter().map(column_profile).collect(), || ds.duplicate_rows());
    let counts: Vec<(usize, usize)> = column_profiles.iter().map(|p| (p.missing, p.distinct)).collect();
    let warnings = super::coach::table_warnings_counted(ds, &counts, duplicates);
    Profile {
        source: ds.source.clone(),
        rows: ds.n_rows(),
        columns: ds.n_cols(),
        column_profiles,
        warnings,
        streamed: None,
    }
}

fn column_profile(c: &super::Column) -> ColumnProfile {
    let (distinct, exact) = super::coach::distinct(&c.values);
    match &c.values {
        Values::Numeric(v) => {
            let Summary { n, min, max, sum } = summary(v.raw());
            let mean = sum / n as f64;
            let var = squared_deviations(v.raw(), mean) / (n as f64 - 1.0).max(1.0);
            let some = |x: f64| (n > 0).then_some(x);
            ColumnProfile {
                name: c.name.clone(),
                kind: c.kind,
                missing: v.len() - n,
                distinct,
                distinct_estimated: !exact,
                min: some(min),
                max: some(max),
                mean: some(mean),
                std: some(var.sqrt()),
                top_values: vec![],
                histogram: if n > 0 { sketch(v.raw().iter().map(|&x| (x, 1)), min, max) } else { vec![] },
                longest: None,
            }
        }
        Values::Str(v) => {
            let mut top: Vec<(String, usize)> =
                v.dict().iter().zip(v.counts()).filter(|(_, n)| *n > 0).map(|(k, n)| (k.clone(), n)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(5);
            let (histogram, longest) = if c.kind == super::ColumnKind::Text {
                let lengths: Vec<(f64, usize)> =
                    v.dict().iter().zip(v.counts()).map(|(s, n)| (s.chars().count() as f64, n)).collect();
                let longest = lengths.iter().filter(|l| l.1 > 0).map(|l| l.0 as usize).max().unwrap_or(0);
                (sketch(lengths.into_iter(), 0.0, longest as f64), Some(longest))
            } else {
                (vec![], None)
            };
            ColumnProfile {
                name: c.name.clone(),
                kind: c.kind,
                missing: c.missing(),
                distinct,
                distinct_estimated: !exact,
                min: None,
                max: None,
                mean: None,
                std: None,
                top_values: top,
                histogram,
                longest,
            }
        }
    }
}

/// The count, smallest, largest and sum of the present (not NaN) values of a column.
struct Summary {
    n: usize,
    min: f64,
    max: f64,
    sum: f64,
}

/// Lanes of a column's values taken four at a time: four independent chains of additions and
/// comparisons, which the processor runs side by side (a single chain waits on each addition).
const LANES: usize = 4;

fn summary(values: &[f64]) -> Summary {
    let mut n = [0usize; LANES];
    let mut min = [f64::INFINITY; LANES];
    let mut max = [f64::NEG_INFINITY; LANES];
    let mut sum = [0.0; LANES];
    let mut add = |k: usize, x: f64| {
        // A missing value (NaN) fails both comparisons and adds nothing.
        let present = !x.is_nan();
        n[k] += usize::from(present);
        min[k] = if x < min[k] { x } else { min[k] };
        max[k] = if x > max[k] { x } else { max[k] };
        sum[k] += if present { x } else { 0.0 };
    };
    let mut quads = values.chunks_exact(LANES);
    for quad in quads.by_ref() {
        for (k, &x) in quad.iter().enumerate() {
            add(k, x);
        }
    }
    for (k, &x) in quads.remainder().iter().enumerate() {
        add(k, x);
    }
    Summary {
        n: n.iter().sum(),
        min: min.iter().copied().fold(f64::INFINITY, f64::min),
        max: max.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        sum: sum.iter().sum(),
    }
}

/// The sum of squared deviations from `mean` of the present values, in [`LANES`] lanes.
fn squared_deviations(values: &[f64], mean: f64) -> f64 {
    let mut total = [0.0; LANES];
    let mut quads = values.chunks_exact(LANES);
    let deviation = |x: f64| if x.is_nan() { 0.0 } else { (x - mean) * (x - mean) };
    for quad in quads.by_ref() {
        for (t, &x) in total.iter_mut().zip(quad) {
            *t += deviation(x);
        }
    }
    for (t, &x) in total.iter_mut().zip(quads.remainder()) {
        *t += deviation(x);
    }
    total.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_lane_summary_equals_one_pass_over_the_present_values() {
        for len in [0, 1, 3, 4, 5, 1001] {
            let values: Vec<f64> =
                (0..len).map(|i| if i % 7 == 3 { f64::NAN } else { ((i * 37) % 101) as f64 - 50.5 }).collect();
            let present: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
            let s = summary(&values);
            assert_eq!(s.n, present.len());
            assert_eq!(s.min, present.iter().copied().fold(f64::INFINITY, f64::min));
            assert_eq!(s.max, present.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            let sum: f64 = present.iter().sum();
            assert!((s.sum - sum).abs() <= 1e-9 * sum.abs().max(1.0), "{len}: {} against {sum}", s.sum);
            let mean = sum / present.len().max(1) as f64;
            let squares: f64 = present.iter().map(|x| (x - mean).powi(2)).sum();
            let lanes = squared_deviations(&values, mean);
            assert!((lanes - squares).abs() <= 1e-9 * squares.max(1.0), "{len}: {lanes} against {squares}");
        }
    }
}
