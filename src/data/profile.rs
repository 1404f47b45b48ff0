//! A per-column profile of a dataset: what `cairn inspect` prints and the Data panel shows.

use super::{ColumnKind, Dataset, Values};
use serde::Serialize;
use std::collections::HashMap;

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

/// Profiles every column in one pass each.
pub fn profile(ds: &Dataset) -> Profile {
    use rayon::prelude::*;
    // Columns on all cores, and the warnings (which scan the rows again) beside them.
    let (column_profiles, warnings) =
        rayon::join(|| ds.columns.par_iter().map(column_profile).collect(), || super::table_warnings(ds));
    Profile { source: ds.source.clone(), rows: ds.n_rows(), columns: ds.n_cols(), column_profiles, warnings }
}

fn column_profile(c: &super::Column) -> ColumnProfile {
    match &c.values {
        Values::Numeric(v) => {
            let present: Vec<f64> = v.iter().flatten().copied().collect();
            let n = present.len() as f64;
            let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
            for &x in &present {
                min = min.min(x);
                max = max.max(x);
                sum += x;
            }
            let mean = sum / n;
            let var = present.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            let mut bits: Vec<u64> = present.iter().map(|x| x.to_bits()).collect();
            bits.sort_unstable();
            bits.dedup();
            let some = |x: f64| (!present.is_empty()).then_some(x);
            ColumnProfile {
                name: c.name.clone(),
                kind: c.kind,
                missing: v.len() - present.len(),
                distinct: bits.len(),
                min: some(min),
                max: some(max),
                mean: some(mean),
                std: some(var.sqrt()),
                top_values: vec![],
            }
        }
        Values::Str(v) => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for s in v.iter().flatten() {
                *counts.entry(s.as_str()).or_default() += 1;
            }
            let mut top: Vec<(String, usize)> = counts.iter().map(|(k, &n)| (k.to_string(), n)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(5);
            ColumnProfile {
                name: c.name.clone(),
                kind: c.kind,
                missing: c.missing(),
                distinct: counts.len(),
                min: None,
                max: None,
                mean: None,
                std: None,
                top_values: top,
            }
        }
    }
}
