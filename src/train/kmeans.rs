//! k-means clustering (Lloyd's algorithm with k-means++ seeding, as scikit-learn's `KMeans`):
//! groups rows around `k` centres so each row is near its own centre. Reads sparse rows, so it
//! also works on TF-IDF text. Several seeded starts run in parallel; the tightest one wins.

use crate::features::Csr;
use crate::util::Rng;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    /// `k` centres, each with one value per feature.
    pub centers: Vec<Vec<f64>>,
    /// Sum of squared distances of the training rows to their centre.
    pub inertia: f64,
    /// Lloyd iterations of the winning start.
    pub iterations: usize,
}

impl KMeans {
    pub fn n_features(&self) -> usize {
        self.centers.first().map_or(0, Vec::len)
    }

    /// Index of the nearest centre of every row.
    pub fn assign(&self, x: &Array2<f64>) -> Vec<usize> {
        x.rows()
            .into_iter()
            .map(|r| {
                let d = self.centers.iter().map(|c| c.iter().zip(r).map(|(a, b)| (a - b).powi(2)).sum::<f64>());
                super::argmax(d.map(|v| -v))
            })
            .collect()
    }
}

/// Squared distances from a sparse row (with squared norm `n2`) to every centre.
fn distances(x: &Csr, i: usize, n2: f64, centers: &[Vec<f64>], c_norms: &[f64], out: &mut [f64]) {
    for (c, center) in centers.iter().enumerate() {
        let dot: f64 = x.row(i).map(|(j, v)| v * center[j]).sum();
        out[c] = (n2 - 2.0 * dot + c_norms[c]).max(0.0);
    }
}

/// k-means++: each next centre is drawn with probability ∝ squared distance to the nearest
/// centre so far, taking the best of `2 + ln k` candidates (scikit-learn's greedy variant).
fn seed_centers(x: &Csr, norms: &[f64], k: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let n = x.nrows();
    let dense = |i: usize| {
        let mut c = vec![0.0; x.ncols];
        x.row(i).for_each(|(j, v)| c[j] = v);
        c
    };
    let sq =
        |i: usize, c: &[f64], c2: f64| (norms[i] - 2.0 * x.row(i).map(|(j, v)| v * c[j]).sum::<f64>() + c2).max(0.0);
    let first = dense(rng.below(n));
    let f2 = first.iter().map(|v| v * v).sum::<f64>();
    let mut closest: Vec<f64> = (0..n).map(|i| sq(i, &first, f2)).collect();
    let mut centers = vec![first];
    let trials = 2 + (k as f64).ln() as usize;
    while centers.len() < k {
        let total: f64 = closest.iter().sum();
        let mut best: Option<(f64, Vec<f64>, Vec<f64>)> = None;
        for _ in 0..trials {
            let pick = if total > 0.0 {
                let mut u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
                closest.iter().position(|&d| {
                    u -= d;
                    u < 0.0
                })
            } else {
                None
            }
            .unwrap_or_else(|| rng.below(n));
            let cand = dense(pick);
            let c2 = cand.iter().map(|v| v * v).sum::<f64>();
            let new: Vec<f64> = (0..n).map(|i| closest[i].min(sq(i, &cand, c2))).collect();
            let pot: f64 = new.iter().sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, cand, new));
            }
        }
        let Some((_, cand, new)) = best else { break };
        centers.push(cand);
        closest = new;
    }
    centers
}

/// One seeded start: k-means++ then Lloyd iterations until the centres move less than `tol`
/// (scaled by the data's mean variance, as scikit-learn does) or `max_iter`.
fn run(x: &Csr, norms: &[f64], k: usize, max_iter: usize, tol: f64, seed: u64) -> KMeans {
    let (n, p) = (x.nrows(), x.ncols);
    let mut rng = Rng::new(seed);
    let mut centers = seed_centers(x, norms, k, &mut rng);
    let mut labels = vec![0usize; n];
    let mut d = vec![0.0; k];
    let mut iterations = 0;
    for it in 0..max_iter {
        iterations = it + 1;
        let c_norms: Vec<f64> = centers.iter().map(|c| c.iter().map(|v| v * v).sum()).collect();
        for i in 0..n {
            distances(x, i, norms[i], &centers, &c_norms, &mut d);
            labels[i] = super::argmax(d.iter().map(|v| -v));
        }
        let mut sums = vec![vec![0.0; p]; k];
        let mut counts = vec![0usize; k];
        for i in 0..n {
            counts[labels[i]] += 1;
            x.row(i).for_each(|(j, v)| sums[labels[i]][j] += v);
        }
        let mut shift = 0.0;
        for c in 0..k {
            if counts[c] == 0 {
                continue; // an empty cluster keeps its centre
            }
            for j in 0..p {
                let v = sums[c][j] / counts[c] as f64;
                shift += (v - centers[c][j]).powi(2);
                centers[c][j] = v;
            }
        }
        if shift <= tol {
            break;
        }
    }
    let c_norms: Vec<f64> = centers.iter().map(|c| c.iter().map(|v| v * v).sum()).collect();
    let inertia = (0..n)
        .map(|i| {
            distances(x, i, norms[i], &centers, &c_norms, &mut d);
            d.iter().copied().fold(f64::INFINITY, f64::min)
        })
        .sum();
    KMeans { centers, inertia, iterations }
}

/// Fits k-means with `n_init` seeded starts (in parallel) and keeps the lowest inertia.
pub fn fit(x: &Csr, k: usize, n_init: usize, seed: u64) -> KMeans {
    let k = k.clamp(1, x.nrows().max(1));
    let norms = x.row_norms2();
    // scikit-learn's tolerance: 1e-4 × the mean variance of the features.
    let n = x.nrows().max(1) as f64;
    let mut mean = vec![0.0; x.ncols];
    let mut sq = vec![0.0; x.ncols];
    for i in 0..x.nrows() {
        x.row(i).for_each(|(j, v)| {
            mean[j] += v / n;
            sq[j] += v * v / n;
        });
    }
    let var = mean.iter().zip(&sq).map(|(m, s)| (s - m * m).max(0.0)).sum::<f64>() / x.ncols.max(1) as f64;
    let tol = 1e-4 * var;
    (0..n_init.max(1) as u64)
        .into_par_iter()
        .map(|s| run(x, &norms, k, 300, tol, seed.wrapping_add(s.wrapping_mul(0x9E37_79B9))))
        .min_by(|a, b| a.inertia.total_cmp(&b.inertia))
        .unwrap_or(KMeans { centers: vec![], inertia: 0.0, iterations: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_three_separated_blobs() {
        let mut rng = Rng::new(7);
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let mut x = Array2::zeros((300, 2));
        for i in 0..300 {
            let c = centres[i % 3];
            for j in 0..2 {
                x[[i, j]] = c[j] + (rng.below(1000) as f64 / 1000.0 - 0.5);
            }
        }
        let m = fit(&Csr::from_dense(&x), 3, 3, 42);
        let labels = m.assign(&x);
        // Rows of the same blob share a cluster, different blobs differ.
        for i in 0..300 {
            assert_eq!(labels[i], labels[i % 3], "row {i}");
        }
        assert!(labels[0] != labels[1] && labels[1] != labels[2] && labels[0] != labels[2]);
        assert!(m.inertia < 300.0 * 0.2, "inertia {}", m.inertia);
    }
}
