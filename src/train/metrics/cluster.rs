//! Scores for clustering (no right answer to compare with): the silhouette (how well each row
//! sits in its own cluster rather than the next one), the spread within clusters, and — when
//! the data has a label column — how well the clusters match it (adjusted Rand index).

use super::{Detail, Metrics, Report};
use crate::features::Csr;

/// Rows the silhouette is computed on at most (it compares every pair); larger sets are
/// thinned evenly.
pub const SILHOUETTE_ROWS: usize = 2000;

/// `x`: the rows' features; `assigned`: each row's cluster (< `k`); `spread`: mean squared
/// distance of a row to its centre; `labels`: a known label per row, if the data has one.
pub fn clustering_report(x: &Csr, assigned: &[usize], k: usize, spread: f64, labels: &[Option<String>]) -> Report {
    let mut sizes = vec![0usize; k];
    assigned.iter().for_each(|&c| sizes[c] += 1);
    let sample: Vec<usize> = super::thin(assigned.len(), SILHOUETTE_ROWS).collect();
    let silhouette = silhouette(x, assigned, k, &sample);
    let known: Vec<usize> = (0..assigned.len()).filter(|&i| labels.get(i).is_some_and(Option::is_some)).collect();
    let (adjusted_rand, label_names, table) = if known.is_empty() {
        (None, vec![], vec![])
    } else {
        let mut names: Vec<String> = known.iter().filter_map(|&i| labels[i].clone()).collect();
        names.sort();
        names.dedup();
        let mut table = vec![vec![0usize; names.len()]; k];
        for &i in &known {
            if let Some(l) = labels[i].as_ref().and_then(|l| names.binary_search(l).ok()) {
                table[assigned[i]][l] += 1;
            }
        }
        (Some(adjusted_rand_index(&table)), names, table)
    };
    Report {
        metrics: Metrics::Clustering { silhouette, spread, adjusted_rand },
        detail: Detail::Clustering { sizes, assigned: assigned.to_vec(), labels: label_names, table },
    }
}

/// Mean silhouette over `rows`: for each row, (b − a) / max(a, b) with `a` its mean distance to
/// its own cluster and `b` to the nearest other cluster (scikit-learn's definition; a row
/// alone in its cluster scores 0).
fn silhouette(x: &Csr, assigned: &[usize], k: usize, rows: &[usize]) -> f64 {
    if k < 2 || rows.len() < 2 {
        return 0.0;
    }
    let norms = x.row_norms2();
    let dense: Vec<Vec<f64>> = rows
        .iter()
        .map(|&i| {
            let mut d = vec![0.0; x.ncols];
            x.row(i).for_each(|(j, v)| d[j] = v);
            d
        })
        .collect();
    let scores: Vec<f64> = rows
        .iter()
        .enumerate()
        .map(|(a, &i)| {
            let mut sum = vec![0.0; k];
            let mut count = vec![0usize; k];
            for &j in rows.iter().filter(|&&j| j != i) {
                let dot: f64 = x.row(j).map(|(c, v)| v * dense[a][c]).sum();
                sum[assigned[j]] += (norms[i] + norms[j] - 2.0 * dot).max(0.0).sqrt();
                count[assigned[j]] += 1;
            }
            let own = assigned[i];
            if count[own] == 0 {
                return 0.0;
            }
            let a_i = sum[own] / count[own] as f64;
            let b_i = (0..k)
                .filter(|&c| c != own && count[c] > 0)
                .map(|c| sum[c] / count[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !b_i.is_finite() || a_i.max(b_i) == 0.0 { 0.0 } else { (b_i - a_i) / a_i.max(b_i) }
        })
        .collect();
    scores.iter().sum::<f64>() / scores.len() as f64
}

/// Adjusted Rand index from a contingency table (clusters × labels): 1 = the same grouping,
/// about 0 = no better than chance.
pub fn adjusted_rand_index(table: &[Vec<usize>]) -> f64 {
    let c2 = |n: usize| (n * n.saturating_sub(1)) as f64 / 2.0;
    let n: usize = table.iter().flatten().sum();
    let sum_cells: f64 = table.iter().flatten().map(|&v| c2(v)).sum();
    let sum_rows: f64 = table.iter().map(|r| c2(r.iter().sum())).sum();
    let cols = table.first().map_or(0, Vec::len);
    let sum_cols: f64 = (0..cols).map(|j| c2(table.iter().map(|r| r[j]).sum())).sum();
    let expected = sum_rows * sum_cols / c2(n).max(1.0);
    let max = (sum_rows + sum_cols) / 2.0;
    if max == expected { 1.0 } else { (sum_cells - expected) / (max - expected) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjusted_rand_matches_scikit_learn() {
        // sklearn.metrics.adjusted_rand_score([0,0,1,1,2,2], [0,0,1,2,2,2]) = 0.4444444444444444
        let table = vec![vec![2, 0, 0], vec![0, 1, 1], vec![0, 0, 2]];
        assert!((adjusted_rand_index(&table) - 0.4444444444444444).abs() < 1e-12);
        assert_eq!(adjusted_rand_index(&[vec![3, 0], vec![0, 3]]), 1.0);
    }

    #[test]
    fn silhouette_matches_scikit_learn() {
        // sklearn.metrics.silhouette_score([[0],[1],[4],[5],[10]], [0,0,1,1,1]) = 0.4817982456140351
        let x = ndarray::array![[0.0], [1.0], [4.0], [5.0], [10.0]];
        let s = silhouette(&Csr::from_dense(&x), &[0, 0, 1, 1, 1], 2, &[0, 1, 2, 3, 4]);
        assert!((s - 0.4817982456140351).abs() < 1e-9, "{s}");
    }
}
