//! k-nearest neighbours (Euclidean distance on the prepared features), as scikit-learn's
//! `KNeighborsRegressor`/`Classifier` with brute-force search. The training rows are kept in
//! sparse form with an inverted index, so TF-IDF text (mostly zeros) is searched quickly; the
//! queries run on all cores.

use crate::features::Csr;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knn {
    pub k: usize,
    pub distance_weighted: bool,
    /// Training rows.
    pub rows: Csr,
    /// Target per training row: a number, or a class index.
    pub y: Vec<f64>,
    /// 0 for regression, else the number of classes.
    pub n_classes: usize,
    /// Each class's vote weight (empty: all 1; `class_weight = balanced`).
    #[serde(default)]
    pub class_weights: Vec<f64>,
    /// The training rows by column and their squared lengths, built on first use.
    #[serde(skip)]
    pub index: IndexCache,
}

type Index = (Vec<Vec<(u32, f64)>>, Vec<f64>);

/// A lazily built search index; not part of the model's identity or its saved form.
#[derive(Clone, Debug, Default)]
pub struct IndexCache(std::sync::OnceLock<Index>);

impl PartialEq for IndexCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Knn {
    pub fn n_features(&self) -> usize {
        self.rows.ncols
    }

    /// Values (one column) or class vote shares per row.
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        let n_train = self.rows.nrows();
        let k = self.k.clamp(1, n_train.max(1));
        let (cols, train_norms) = self.index.0.get_or_init(|| (self.rows.columns(), self.rows.row_norms2()));
        let width = self.n_classes.max(1);
        let mut out = Array2::zeros((x.nrows(), width));
        // One scratch pair (distances, order) per rayon task; each row's answer depends only
        // on that row, so the result is the same however the rows are shared out.
        let results: Vec<Vec<f64>> = (0..x.nrows())
            .into_par_iter()
            .map_init(
                || (vec![0.0; n_train], Vec::with_capacity(n_train)),
                |(dist, order): &mut (Vec<f64>, Vec<usize>), r| {
                    let q = x.row(r);
                    let qn: f64 = q.iter().map(|v| v * v).sum();
                    dist.iter_mut().zip(train_norms.iter()).for_each(|(d, t)| *d = qn + t);
                    for (j, &v) in q.iter().enumerate() {
                        if v != 0.0 {
                            for &(i, tv) in &cols[j] {
                                dist[i as usize] -= 2.0 * v * tv;
                            }
                        }
                    }
                    order.clear();
                    order.extend(0..n_train);
                    // Nearest first; ties go to the earlier training row.
                    let cmp = |a: &usize, b: &usize| dist[*a].total_cmp(&dist[*b]).then(a.cmp(b));
                    if k < n_train {
                        order.select_nth_unstable_by(k - 1, cmp);
                        order.truncate(k);
                    }
                    order.sort_by(cmp);
                    self.vote(order, dist)
                },
            )
            .collect();
        for (r, v) in results.into_iter().enumerate() {
            for (o, x) in v.into_iter().enumerate() {
                out[[r, o]] = x;
            }
        }
        out
    }

    fn vote(&self, neighbours: &[usize], dist2: &[f64]) -> Vec<f64> {
        let weights: Vec<f64> = if self.distance_weighted {
            let d: Vec<f64> = neighbours.iter().map(|&i| dist2[i].max(0.0).sqrt()).collect();
            if d.iter().any(|&v| v < 1e-12) {
                d.iter().map(|&v| f64::from(u8::from(v < 1e-12))).collect()
            } else {
                d.iter().map(|v| 1.0 / v).collect()
            }
        } else {
            vec![1.0; neighbours.len()]
        };
        let total: f64 = weights.iter().sum::<f64>().max(1e-300);
        if self.n_classes == 0 {
            vec![neighbours.iter().zip(&weights).map(|(&i, w)| self.y[i] * w).sum::<f64>() / total]
        } else {
            let mut votes = vec![0.0; self.n_classes];
            for (&i, w) in neighbours.iter().zip(&weights) {
                let class = self.y[i] as usize;
                votes[class] += w * self.class_weights.get(class).copied().unwrap_or(1.0);
            }
            let total = votes.iter().sum::<f64>().max(1e-300);
            votes.iter_mut().for_each(|v| *v /= total);
            votes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rows_decide() {
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * (j + 1)) as f64);
        let y: Vec<f64> = (0..10).map(|i| f64::from(u8::from(i >= 5))).collect();
        let m = Knn {
            k: 3,
            distance_weighted: false,
            rows: Csr::from_dense(&x),
            y: y.clone(),
            n_classes: 2,
            class_weights: vec![],
            index: IndexCache::default(),
        };
        let p = m.predict(&ndarray::array![[0.5, 1.0], [8.2, 16.1]]);
        assert_eq!(p.row(0).to_vec(), vec![1.0, 0.0]);
        assert_eq!(p.row(1).to_vec(), vec![0.0, 1.0]);
        let reg = Knn {
            k: 2,
            distance_weighted: true,
            rows: Csr::from_dense(&x),
            y,
            n_classes: 0,
            class_weights: vec![],
            index: IndexCache::default(),
        };
        assert_eq!(reg.predict(&ndarray::array![[9.0, 18.0]])[[0, 0]], 1.0);
    }
}
