//! A permutation estimate of Shapley values for models without an exact method (kNN, SVM, MLP,
//! naive Bayes, …), over groups of features (one group per input column). Each sample takes a
//! background row and a random order of the groups, swaps the explained row's groups in one by
//! one and credits each group with the change in output. Every background row is used the same
//! number of times, so the estimates add up exactly to the output minus the background average.

use crate::util::Rng;
use ndarray::Array2;

/// Estimates for one row: per group the mean marginal contribution and its standard error.
pub struct Estimate {
    pub base_value: f64,
    pub values: Vec<f64>,
    pub std_errors: Vec<f64>,
}

/// `f` gives the explained output for each row of a matrix; `groups[g]` lists the features of
/// group `g`; every background row is paired with `rounds` random orders.
pub fn estimate(
    f: &dyn Fn(&Array2<f64>) -> Vec<f64>,
    x: &[f64],
    background: &Array2<f64>,
    groups: &[Vec<usize>],
    rounds: usize,
    seed: u64,
) -> Estimate {
    let (m, g) = (background.nrows(), groups.len());
    let rounds = rounds.max(1);
    let samples = m * rounds;
    let steps = g + 1;
    let mut rng = Rng::new(seed);
    let mut batch = Array2::zeros((samples * steps, x.len()));
    let mut orders = Vec::with_capacity(samples);
    for s in 0..samples {
        let mut row = background.row(s % m.max(1)).to_vec();
        let mut order: Vec<usize> = (0..g).collect();
        rng.shuffle(&mut order);
        batch.row_mut(s * steps).iter_mut().zip(&row).for_each(|(a, b)| *a = *b);
        for (k, &grp) in order.iter().enumerate() {
            groups[grp].iter().for_each(|&j| row[j] = x[j]);
            batch.row_mut(s * steps + k + 1).iter_mut().zip(&row).for_each(|(a, b)| *a = *b);
        }
        orders.push(order);
    }
    let out = f(&batch);
    let mut sum = vec![0.0; g];
    let mut sum2 = vec![0.0; g];
    let mut base = 0.0;
    for (s, order) in orders.iter().enumerate() {
        base += out[s * steps];
        for (k, &grp) in order.iter().enumerate() {
            let delta = out[s * steps + k + 1] - out[s * steps + k];
            sum[grp] += delta;
            sum2[grp] += delta * delta;
        }
    }
    let n = samples.max(1) as f64;
    let values: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std_errors = values
        .iter()
        .zip(&sum2)
        .map(|(mean, s2)| if n > 1.0 { ((s2 / n - mean * mean).max(0.0) * n / (n - 1.0) / n).sqrt() } else { 0.0 })
        .collect();
    Estimate { base_value: base / n, values, std_errors }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_exact_for_an_additive_function_and_adds_up_otherwise() {
        let background = Array2::from_shape_fn((20, 3), |(i, j)| (i * (j + 1)) as f64 / 7.0);
        let groups = vec![vec![0], vec![1, 2]];
        let additive = |z: &Array2<f64>| z.rows().into_iter().map(|r| 2.0 * r[0] + r[1] - r[2]).collect::<Vec<_>>();
        let x = [1.0, 2.0, 3.0];
        let e = estimate(&additive, &x, &background, &groups, 2, 7);
        let mean = |j: usize| background.column(j).mean().unwrap_or(0.0);
        assert!((e.values[0] - 2.0 * (1.0 - mean(0))).abs() < 1e-9);
        assert!((e.values[1] - ((2.0 - mean(1)) - (3.0 - mean(2)))).abs() < 1e-9);
        let product = |z: &Array2<f64>| z.rows().into_iter().map(|r| r[0] * r[1] * r[2]).collect::<Vec<_>>();
        let e = estimate(&product, &x, &background, &groups, 3, 7);
        let avg: f64 = product(&background).iter().sum::<f64>() / 20.0;
        assert!((e.base_value - avg).abs() < 1e-9);
        assert!((e.base_value + e.values.iter().sum::<f64>() - 6.0).abs() < 1e-9);
        assert!(e.std_errors.iter().all(|s| s.is_finite()));
    }
}
