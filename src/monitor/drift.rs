//! Data drift: does new data (what the served model sees) still look like the training data?
//! Per feature, numbers get the two-sample Kolmogorov–Smirnov test, the Wasserstein distance
//! (in units of the reference's standard deviation) and PSI; categories get the chi-squared
//! test, the Jensen–Shannon distance and PSI. Small samples (≤ 1 000 rows) decide by the tests
//! (p < 0.05), larger ones by the distances (> 0.1), where a test would flag differences too
//! small to matter. Free text is compared by its words: the Jensen–Shannon distance between the
//! word shares (the reference's 300 most frequent words, the rest pooled), next to the share of
//! words the reference never had and the messages' lengths (KS).
//!
//! The data-set verdict weighs each feature by what the model relies on
//! ([`drift_report_for`]): the permutation importance measured on the reference rows. The data
//! set drifts when the drifted features carry at least a quarter of the model's importance, or
//! (Evidently's rule, kept as a second line) when at least half of the features drift.

use crate::data::{ColumnKind, Dataset, Schema, Strings, Values};
use serde::Serialize;
use std::collections::BTreeMap;

/// Up to this many rows (in the smaller sample) the tests decide; above, the distances.
pub const SMALL_SAMPLE: usize = 1000;
pub const P_VALUE: f64 = 0.05;
pub const DISTANCE: f64 = 0.1;
/// The data set drifts when the drifted features carry at least this share of the importance.
pub const IMPORTANCE_SHARE: f64 = 0.25;
/// Reference rows the importance is measured on (at most, evenly spaced).
const IMPORTANCE_ROWS: usize = 2000;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureDrift {
    pub column: String,
    pub kind: &'static str,
    /// What decided: "ks", "chi2", "wasserstein" or "jensen_shannon".
    pub method: &'static str,
    /// The deciding number and the threshold it was held against.
    pub score: f64,
    pub threshold: f64,
    pub drifted: bool,
    /// Everything measured, by name (ks_statistic, ks_p_value, wasserstein_std, psi, …).
    pub measures: BTreeMap<&'static str, f64>,
    /// Rows with a value, in the reference and the current data.
    pub reference_rows: usize,
    pub current_rows: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftReport {
    pub features: Vec<FeatureDrift>,
    pub drifted_features: usize,
    pub share_drifted: f64,
    /// The verdict: the drifted features carry at least [`IMPORTANCE_SHARE`] of the model's
    /// importance, or at least half of the features drifted.
    pub dataset_drift: bool,
    /// Columns not compared, with why.
    pub skipped: Vec<(String, String)>,
    /// Each feature's share of the model's permutation importance on the reference rows
    /// (shares sum to 1; empty when it could not be measured).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub importance: BTreeMap<String, f64>,
    /// The share of the importance carried by the drifted features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importance_share_drifted: Option<f64>,
    /// Evidently's rule alone: at least half of the features drifted.
    pub share_rule_drift: bool,
    /// The verdict in words, the importance-weighted line first, then the share-of-columns line.
    pub reading: Vec<String>,
}

/// [`drift_report`] with the verdict weighted by the model's reliance on each feature: the
/// permutation importance of `pipeline` measured on up to 2 000 rows of `reference` (which
/// needs the target column; without it the share-of-columns rule decides, and the reading says
/// why).
pub fn drift_report_for(
    pipeline: &crate::train::Pipeline,
    reference: &Dataset,
    current: &Dataset,
) -> Result<DriftReport, crate::data::DataError> {
    let mut report = drift_report(&pipeline.schema, reference, current)?;
    report.reading.clear(); // read again below, with the importance
    let step = (reference.n_rows() / IMPORTANCE_ROWS).max(1);
    let rows: Vec<usize> = (0..reference.n_rows()).step_by(step).take(IMPORTANCE_ROWS).collect();
    let sample = reference.take_rows(&rows);
    match crate::eval::permutation_importance(pipeline, &sample, 3, 42) {
        Ok(imp) => {
            let total: f64 = imp.columns.iter().map(|c| c.drop.max(0.0)).sum();
            if total > 0.0 {
                report.importance = imp.columns.iter().map(|c| (c.column.clone(), c.drop.max(0.0) / total)).collect();
            }
        }
        Err(e) => report.reading.push(format!("The model's reliance on each column could not be measured ({e}).")),
    }
    weigh(&mut report);
    Ok(report)
}

/// Sets the verdict and its reading from the features and the importance shares.
fn weigh(report: &mut DriftReport) {
    let n = report.features.len();
    let mut lines = Vec::new();
    let mut weighted = false;
    if !report.importance.is_empty() {
        let mut carried: Vec<(&str, f64)> = report
            .features
            .iter()
            .filter(|f| f.drifted)
            .map(|f| (f.column.as_str(), report.importance.get(&f.column).copied().unwrap_or(0.0)))
            .collect();
        carried.sort_by(|a, b| b.1.total_cmp(&a.1));
        let share: f64 = carried.iter().map(|c| c.1).sum();
        weighted = share >= IMPORTANCE_SHARE;
        report.importance_share_drifted = Some(share);
        let listed: Vec<String> = carried.iter().map(|(c, w)| format!("{c} {:.0} %", w * 100.0)).collect();
        lines.push(if carried.is_empty() {
            "No feature the model relies on has drifted.".to_string()
        } else {
            format!(
                "The drifted features carry {:.0} % of what the model relies on ({}): {}.",
                share * 100.0,
                listed.join(", "),
                if weighted {
                    "data-set drift, the predictions are likely affected"
                } else {
                    "under a quarter, no data-set drift"
                }
            )
        });
    }
    lines.push(format!(
        "By the share of columns (half must drift): {} of {n} features drifted ({:.0} %), {}.",
        report.drifted_features,
        report.share_drifted * 100.0,
        if report.share_rule_drift { "data-set drift" } else { "no data-set drift" }
    ));
    report.dataset_drift = weighted || report.share_rule_drift;
    report.reading.extend(lines);
}

/// Compares `current` with `reference` on the schema's columns.
pub fn drift_report(
    schema: &Schema,
    reference: &Dataset,
    current: &Dataset,
) -> Result<DriftReport, crate::data::DataError> {
    let reference = schema.coerce(reference)?;
    let current = schema.coerce(current)?;
    let mut features = Vec::new();
    let mut skipped = Vec::new();
    for (sc, (r, c)) in schema.columns.iter().zip(reference.columns.iter().zip(&current.columns)) {
        match (sc.kind, &r.values, &c.values) {
            (ColumnKind::Numeric, Values::Numeric(a), Values::Numeric(b)) => {
                let a: Vec<f64> = a.present().collect();
                let b: Vec<f64> = b.present().collect();
                features.push(numeric(&sc.name, a, b));
            }
            (ColumnKind::Categorical, Values::Str(a), Values::Str(b)) => features.push(categorical(&sc.name, a, b)),
            (ColumnKind::Text, Values::Str(a), Values::Str(b)) => features.push(text(&sc.name, a, b)),
            _ => skipped.push((sc.name.clone(), "the column's values do not match its kind".to_string())),
        }
    }
    let drifted = features.iter().filter(|f| f.drifted).count();
    let share = drifted as f64 / features.len().max(1) as f64;
    let share_rule_drift = !features.is_empty() && share >= 0.5;
    let mut report = DriftReport {
        drifted_features: drifted,
        share_drifted: share,
        dataset_drift: share_rule_drift,
        features,
        skipped,
        importance: BTreeMap::new(),
        importance_share_drifted: None,
        share_rule_drift,
        reading: vec![],
    };
    weigh(&mut report);
    Ok(report)
}

fn numeric(name: &str, mut a: Vec<f64>, mut b: Vec<f64>) -> FeatureDrift {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (d, p) = ks_2samp(&a, &b);
    let mean = a.iter().sum::<f64>() / a.len().max(1) as f64;
    let std = (a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / a.len().max(1) as f64).sqrt();
    let w = wasserstein(&a, &b);
    let w_std = if std > 0.0 {
        w / std
    } else if w > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let psi = psi_numeric(&a, &b);
    let small = a.len().min(b.len()) <= SMALL_SAMPLE;
    let (method, score, threshold, drifted) =
        if small { ("ks", p, P_VALUE, p < P_VALUE) } else { ("wasserstein", w_std, DISTANCE, w_std > DISTANCE) };
    let measures = BTreeMap::from([
        ("ks_statistic", d),
        ("ks_p_value", p),
        ("wasserstein", w),
        ("wasserstein_std", w_std),
        ("psi", psi),
    ]);
    FeatureDrift {
        column: name.into(),
        kind: "numeric",
        method,
        score,
        threshold,
        drifted,
        measures,
        reference_rows: a.len(),
        current_rows: b.len(),
    }
}

fn categorical(name: &str, a: &Strings, b: &Strings) -> FeatureDrift {
    let mut counts: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for v in a.iter().flatten() {
        counts.entry(v).or_default().0 += 1.0;
    }
    for v in b.iter().flatten() {
        counts.entry(v).or_default().1 += 1.0;
    }
    let ra: Vec<f64> = counts.values().map(|c| c.0).collect();
    let rb: Vec<f64> = counts.values().map(|c| c.1).collect();
    let (chi2, p) = chi2_homogeneity(&ra, &rb);
    let js = jensen_shannon(&ra, &rb);
    let psi = psi(&ra, &rb);
    let (na, nb) = (ra.iter().sum::<f64>() as usize, rb.iter().sum::<f64>() as usize);
    let small = na.min(nb) <= SMALL_SAMPLE;
    let (method, score, threshold, drifted) =
        if small { ("chi2", p, P_VALUE, p < P_VALUE) } else { ("jensen_shannon", js, DISTANCE, js > DISTANCE) };
    let measures =
        BTreeMap::from([("chi2_statistic", chi2), ("chi2_p_value", p), ("jensen_shannon", js), ("psi", psi)]);
    FeatureDrift {
        column: name.into(),
        kind: "categorical",
        method,
        score,
        threshold,
        drifted,
        measures,
        reference_rows: na,
        current_rows: nb,
    }
}

/// Words the text comparison keeps apart; the rest are pooled as "other words".
pub const TEXT_VOCABULARY: usize = 300;

fn text(name: &str, a: &Strings, b: &Strings) -> FeatureDrift {
    use crate::features::tokenize;
    let docs = |v: &Strings| -> Vec<Vec<String>> { v.iter().flatten().map(tokenize).collect() };
    let (da, db) = (docs(a), docs(b));
    let mut freq: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for w in da.iter().flatten() {
        *freq.entry(w).or_default() += 1.0;
    }
    let mut top: Vec<(&str, f64)> = freq.iter().map(|(w, c)| (*w, *c)).collect();
    top.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(y.0)));
    top.truncate(TEXT_VOCABULARY);
    let index: std::collections::HashMap<&str, usize> = top.iter().enumerate().map(|(i, (w, _))| (*w, i)).collect();
    let shares = |d: &[Vec<String>]| -> Vec<f64> {
        let mut c = vec![0.0; top.len() + 1];
        for w in d.iter().flatten() {
            c[index.get(w.as_str()).copied().unwrap_or(top.len())] += 1.0;
        }
        c
    };
    let (ca, cb) = (shares(&da), shares(&db));
    let js = jensen_shannon(&ca, &cb);
    let unseen = db.iter().flatten().filter(|w| !freq.contains_key(w.as_str())).count() as f64
        / db.iter().map(Vec::len).sum::<usize>().max(1) as f64;
    let lengths = |d: &[Vec<String>]| -> Vec<f64> {
        let mut l: Vec<f64> = d.iter().map(|x| x.len() as f64).collect();
        l.sort_by(f64::total_cmp);
        l
    };
    let (d, p) = ks_2samp(&lengths(&da), &lengths(&db));
    let measures = BTreeMap::from([
        ("jensen_shannon", js),
        ("unseen_word_share", unseen),
        ("length_ks_statistic", d),
        ("length_ks_p_value", p),
        ("psi", psi(&ca, &cb)),
    ]);
    FeatureDrift {
        column: name.into(),
        kind: "text",
        method: "words_jensen_shannon",
        score: js,
        threshold: DISTANCE,
        drifted: js > DISTANCE,
        measures,
        reference_rows: da.len(),
        current_rows: db.len(),
    }
}

/// Two-sample Kolmogorov–Smirnov on sorted samples: the largest gap between the empirical
/// distribution functions, and its asymptotic p-value with Stephens' small-sample correction.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> (f64, f64) {
    if a.is_empty() || b.is_empty() {
        return (0.0, 1.0);
    }
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    (d, kolmogorov_sf((en + 0.12 + 0.11 / en) * d))
}

/// P(K > x) for the Kolmogorov distribution.
fn kolmogorov_sf(x: f64) -> f64 {
    if x < 0.2 {
        return 1.0;
    }
    let s: f64 = (1..=100)
        .map(|k| {
            let k = k as f64;
            (if k as i64 % 2 == 1 { 2.0 } else { -2.0 }) * (-2.0 * k * k * x * x).exp()
        })
        .sum();
    s.clamp(0.0, 1.0)
}

/// The 1-D Wasserstein (earth mover's) distance between two sorted samples: ∫ |F_a − F_b|.
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let (mut i, mut j, mut total) = (0, 0, 0.0);
    for w in all.windows(2) {
        while i < a.len() && a[i] <= w[0] {
            i += 1;
        }
        while j < b.len() && b[j] <= w[0] {
            j += 1;
        }
        total += (i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs() * (w[1] - w[0]);
    }
    total
}

/// Chi-squared test that two count vectors come from the same distribution (no continuity
/// correction): statistic and p-value.
pub fn chi2_homogeneity(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (na, nb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    let n = na + nb;
    let mut stat = 0.0;
    let mut cells = 0usize;
    for (&x, &y) in a.iter().zip(b) {
        let col = x + y;
        if col == 0.0 {
            continue;
        }
        cells += 1;
        let (ea, eb) = (na * col / n, nb * col / n);
        stat += (x - ea).powi(2) / ea + (y - eb).powi(2) / eb;
    }
    let dof = cells.saturating_sub(1);
    if dof == 0 || na == 0.0 || nb == 0.0 {
        return (0.0, 1.0);
    }
    (stat, gamma_q(dof as f64 / 2.0, stat / 2.0))
}

/// Regularised upper incomplete gamma Q(s, x) = P(χ²(2s) > 2x), from statrs.
fn gamma_q(s: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    statrs::function::gamma::checked_gamma_ur(s, x).unwrap_or(1.0)
}

/// Jensen–Shannon distance (natural log, as scipy's default) between two count vectors.
pub fn jensen_shannon(a: &[f64], b: &[f64]) -> f64 {
    let (sa, sb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    if sa == 0.0 || sb == 0.0 {
        return 0.0;
    }
    let kl = |p: f64, m: f64| if p > 0.0 { p * (p / m).ln() } else { 0.0 };
    let div: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let (p, q) = (x / sa, y / sb);
            let m = (p + q) / 2.0;
            (kl(p, m) + kl(q, m)) / 2.0
        })
        .sum();
    div.max(0.0).sqrt()
}

/// Population stability index of two count vectors (empty bins count as 0.0001 of the rows).
pub fn psi(a: &[f64], b: &[f64]) -> f64 {
    let (sa, sb) = (a.iter().sum::<f64>().max(1.0), b.iter().sum::<f64>().max(1.0));
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let (p, q) = ((x / sa).max(1e-4), (y / sb).max(1e-4));
            (q - p) * (q / p).ln()
        })
        .sum()
}

/// PSI over ten bins cut at the reference's deciles.
fn psi_numeric(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut edges: Vec<f64> = (1..10).map(|d| a[d * (a.len() - 1) / 10]).collect();
    edges.dedup();
    let count = |v: &[f64]| {
        let mut c = vec![0.0; edges.len() + 1];
        v.iter().for_each(|x| c[edges.partition_point(|e| e < x)] += 1.0);
        c
    };
    psi(&count(a), &count(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_match_scipy() {
        // scipy.stats.ks_2samp(a, b, method="asymp") → 0.065, 0.19048; wasserstein_distance → 0.4646
        let mut a: Vec<f64> = (0..500).map(|i| ((i * 37) % 101) as f64 / 10.0).collect();
        let mut b: Vec<f64> = (0..600).map(|i| ((i * 53) % 103) as f64 / 10.0 + 0.4).collect();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let (d, p) = ks_2samp(&a, &b);
        assert!((d - 0.065).abs() < 1e-12, "{d}");
        assert!((p - 0.19048).abs() < 0.005, "{p}");
        assert!((wasserstein(&a, &b) - 0.4646).abs() < 1e-9);
        assert!(
            (wasserstein(
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                &[2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5]
            ) - 2.5)
                .abs()
                < 1e-12
        );
        // scipy.stats.chi2_contingency([[30,20,10],[20,25,25]], correction=False) → 8.26379, 0.016052
        let (chi2, p) = chi2_homogeneity(&[30.0, 20.0, 10.0], &[20.0, 25.0, 25.0]);
        assert!((chi2 - 8.263794406651549).abs() < 1e-9 && (p - 0.016052395257302402).abs() < 1e-9, "{chi2} {p}");
        // scipy.stats.chi2.sf(7.5, 3) = 0.0575584519726364
        assert!((gamma_q(1.5, 3.75) - 0.0575584519726364).abs() < 1e-9);
        // scipy.spatial.distance.jensenshannon([30,20,10]/60, [20,25,25]/70) = 0.1808916827915676
        assert!((jensen_shannon(&[30.0, 20.0, 10.0], &[20.0, 25.0, 25.0]) - 0.1808916827915676).abs() < 1e-12);
    }

    #[test]
    fn chi_squared_tail_matches_scipy() {
        // scipy 1.17.1: scipy.stats.chi2.sf(2 * x, 2 * s)
        for (s, x, want) in [
            (1.5, 3.75, 0.0575584519726364),
            (0.5, 0.1, 0.6547208460185768),
            (5.0, 2.0, 0.9473469826562889),
            (10.0, 30.0, 7.121750862815593e-06),
            (50.0, 45.0, 0.7531979655998298),
        ] {
            let got = gamma_q(s, x);
            assert!((got - want).abs() <= 1e-12 * want.max(1e-3), "Q({s}, {x}) = {got}, scipy {want}");
        }
        assert_eq!(gamma_q(2.0, 0.0), 1.0);
    }
}
