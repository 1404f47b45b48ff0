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
    let (column_profiles, duplicates): (Vec<ColumnProfile>, usize) = rayon::join(
        || ds.columns.par_iter().map(column_profile).collect(),
        || ds.n_rows() - ds.first_occurrences().len(),
    );
    let counts: Vec<(usize, usize)> = column_profiles.iter().map(|p| (p.missing, p.distinct)).collect();
    let warnings = super::coach::table_warnings_counted(ds, &counts, duplicates);
    Profile { source: ds.source.clone(), rows: ds.n_rows(), columns: ds.n_cols(), column_profiles, warnings }
}

fn column_profile(c: &super::Column) -> ColumnProfile {
    let (distinct, exact) = super::coach::distinct(&c.values);
    match &c.values {
        Values::Numeric(v) => {
            let (mut n, mut min, mut max, mut sum) = (0usize, f64::INFINITY, f64::NEG_INFINITY, 0.0);
            for x in v.present() {
                n += 1;
                min = min.min(x);
                max = max.max(x);
                sum += x;
            }
            let mean = sum / n as f64;
            let var = v.present().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0).max(1.0);
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
            }
        }
        Values::Str(v) => {
            let mut top: Vec<(String, usize)> =
                v.dict().iter().zip(v.counts()).filter(|(_, n)| *n > 0).map(|(k, n)| (k.clone(), n)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(5);
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
            }
        }
    }
}
