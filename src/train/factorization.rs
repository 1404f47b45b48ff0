//! Matrix factorisation for recommendations: each user and each item gets a bias and a short
//! vector of "taste" numbers; a predicted rating is the overall mean plus both biases plus the
//! dot product of the two vectors. Fitted by stochastic gradient descent over the ratings in
//! shuffled order (Funk's SVD, as in Surprise), with L2 regularisation on everything learned.
//!
//! On a GPU the same updates run as blocked ("stratified") SGD: `fit_blocked` and the
//! `shaders/factorize.wgsl` kernel.
//!
//! The model reads two features: the user's and the item's index, which the recipe's ordinal
//! encoding of the user and item columns makes (an unseen user or item is -1 and gets no bias
//! and no vector: the prediction falls back to the mean plus the other side's bias).

use super::TrainError;
use super::mlp::FitControl;
use super::mt::Mt19937;
use crate::gpu::net::EpochStats;
use crate::gpu::reference::MfStep;
use crate::gpu::{DeviceChoice, Engine, GpuError};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixFactorization {
    pub mean: f64,
    pub factors: usize,
    pub user_bias: Vec<f64>,
    pub item_bias: Vec<f64>,
    /// Users × factors, row by row.
    pub user_factors: Vec<f64>,
    /// Items × factors, row by row.
    pub item_factors: Vec<f64>,
    /// Predictions are clipped to the training ratings' range.
    pub min: f64,
    pub max: f64,
    /// The items each user rated in training (left out of their recommendations).
    pub rated: Vec<Vec<u32>>,
}

/// The settings of one fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MfParams {
    pub factors: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    pub regularization: f64,
}

/// A feature cell as an index into `n` (None for -1, missing or out of range).
fn index(v: f64, n: usize) -> Option<usize> {
    (v >= 0.0 && v.fract() == 0.0 && (v as usize) < n).then_some(v as usize)
}

/// Blocks per side for the blocked SGD of the GPU path: 64 threads walk cells at once, and
/// with a thousand users each cell still holds a run of ratings.
const BLOCKS: usize = 64;

/// Fits on rows of `x` = (user index, item index) with ratings `y`: by sequential SGD on the
/// CPU, or by blocked SGD on the GPU when `ctl.device` opens one (`auto` with a hardware GPU,
/// `gpu` with any adapter). Under `auto`, data too large for the GPU trains on the CPU.
pub fn fit(
    x: &Array2<f64>,
    y: &[f64],
    p: &MfParams,
    seed: u64,
    ctl: &mut FitControl,
) -> Result<MatrixFactorization, TrainError> {
    let (mut m, pairs) = start(x, y, p, seed);
    let gpu = ctl.device.open().map_err(|e| TrainError::Fit(e.to_string()))?;
    if let Some(mut engine) = gpu {
        match fit_blocked(&mut engine, &mut m, &pairs, p, seed, ctl) {
            Ok(()) => {
                ctl.device_used = engine.device();
                return Ok(m);
            }
            Err(GpuError::TooLarge { .. }) if ctl.device == DeviceChoice::Auto => {}
            Err(e) => return Err(TrainError::Fit(e.to_string())),
        }
    }
    fit_sequential(&mut m, &pairs, p, seed, ctl);
    ctl.device_used = "cpu".into();
    Ok(m)
}

/// The model before training (zero biases, N(0, 0.1²) factors drawn from `seed`, the rated
/// items per user) and the ratings as (user, item, rating) with valid indices.
fn start(x: &Array2<f64>, y: &[f64], p: &MfParams, seed: u64) -> (MatrixFactorization, Vec<(usize, usize, f64)>) {
    let n_users = x.column(0).iter().filter(|v| **v >= 0.0).fold(0.0f64, |a, &b| a.max(b + 1.0)) as usize;
    let n_items = x.column(1).iter().filter(|v| **v >= 0.0).fold(0.0f64, |a, &b| a.max(b + 1.0)) as usize;
    let k = p.factors.max(1);
    let mut rng = Mt19937::new(seed);
    let mut normal = || {
        // Box–Muller: N(0, 0.1²) starting vectors.
        let (u1, u2) = (rng.next_f64().max(1e-300), rng.next_f64());
        0.1 * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let mut m = MatrixFactorization {
        mean: y.iter().sum::<f64>() / y.len().max(1) as f64,
        factors: k,
        user_bias: vec![0.0; n_users],
        item_bias: vec![0.0; n_items],
        user_factors: (0..n_users * k).map(|_| normal()).collect(),
        item_factors: (0..n_items * k).map(|_| normal()).collect(),
        min: y.iter().copied().fold(f64::INFINITY, f64::min),
        max: y.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        rated: vec![Vec::new(); n_users],
    };
    let pairs: Vec<(usize, usize, f64)> = x
        .rows()
        .into_iter()
        .zip(y)
        .filter_map(|(row, &r)| Some((index(row[0], n_users)?, index(row[1], n_items)?, r)))
        .collect();
    for &(u, i, _) in &pairs {
        m.rated[u].push(i as u32);
    }
    m.rated.iter_mut().for_each(|r| {
        r.sort_unstable();
        r.dedup();
    });
    (m, pairs)
}

/// Waits while the caller pauses; true when it stopped the fit.
fn stopped(ctl: &FitControl) -> bool {
    while (ctl.paused)() && !(ctl.cancelled)() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (ctl.cancelled)()
}

/// The epoch loop of both fits: stop (or wait out a pause) between epochs, the ratings in a
/// fresh order shuffled from the seed each epoch, and the mean squared error reported after.
/// `epoch(order)` runs one epoch and returns its summed squared error.
fn each_epoch<E>(
    n: usize,
    p: &MfParams,
    seed: u64,
    ctl: &mut FitControl,
    mut epoch: impl FnMut(&[usize]) -> Result<f64, E>,
) -> Result<(), E> {
    let mut order: Vec<usize> = (0..n).collect();
    for e in 0..p.epochs {
        if stopped(ctl) {
            break;
        }
        let started = std::time::Instant::now();
        Mt19937::new(seed.wrapping_add(e as u64)).shuffle(&mut order);
        let squared = epoch(&order)?;
        (ctl.on_epoch)(&EpochStats {
            epoch: (e + 1) as f64,
            train_loss: squared / n.max(1) as f64,
            val_loss: None,
            val_metric: None,
            learning_rate: p.learning_rate,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(())
}

/// Funk's SVD: one SGD step per rating, all ratings in a fresh shuffled order each epoch (f64).
fn fit_sequential(
    m: &mut MatrixFactorization,
    pairs: &[(usize, usize, f64)],
    p: &MfParams,
    seed: u64,
    ctl: &mut FitControl,
) {
    let (k, lr, reg) = (m.factors, p.learning_rate, p.regularization);
    let _ = each_epoch::<std::convert::Infallible>(pairs.len(), p, seed, ctl, |order| {
        let mut squared = 0.0;
        for &o in order {
            let (u, i, r) = pairs[o];
            let (pu, qi) = (u * k, i * k);
            let dot: f64 = (0..k).map(|f| m.user_factors[pu + f] * m.item_factors[qi + f]).sum();
            let err = r - (m.mean + m.user_bias[u] + m.item_bias[i] + dot);
            squared += err * err;
            m.user_bias[u] += lr * (err - reg * m.user_bias[u]);
            m.item_bias[i] += lr * (err - reg * m.item_bias[i]);
            for f in 0..k {
                let (puf, qif) = (m.user_factors[pu + f], m.item_factors[qi + f]);
                m.user_factors[pu + f] += lr * (err * qif - reg * puf);
                m.item_factors[qi + f] += lr * (err * puf - reg * qif);
            }
        }
        Ok(squared)
    });
}

/// Blocked SGD on an engine (the `shaders/factorize.wgsl` kernel, or its CPU reference): users
/// and items are dealt in shuffled order to B blocks each, and an epoch walks the B × B cells
/// in B strata of B cells that share no user or item, so B threads update at once with no
/// conflicts. Inside a cell the ratings keep the epoch's shuffled order. `m` is written only
/// when every step succeeded.
fn fit_blocked(
    e: &mut dyn Engine,
    m: &mut MatrixFactorization,
    pairs: &[(usize, usize, f64)],
    p: &MfParams,
    seed: u64,
    ctl: &mut FitControl,
) -> Result<(), GpuError> {
    let (k, users, items) = (m.factors, m.n_users(), m.n_items());
    let blocks = BLOCKS.min(users).min(items).max(1);
    let deal = |n: usize, salt: u64| {
        let mut order: Vec<usize> = (0..n).collect();
        Mt19937::new(seed ^ salt).shuffle(&mut order);
        let mut block = vec![0usize; n];
        for (position, &x) in order.iter().enumerate() {
            block[x] = position % blocks;
        }
        block
    };
    let (user_block, item_block) = (deal(users, 0x75e2), deal(items, 0x17e3));
    let cell = |(u, i, _): (usize, usize, f64)| user_block[u] * blocks + item_block[i];
    // Cell c's ratings are [cells[c], cells[c + 1]); the counts do not change between epochs.
    let mut cells = vec![0u32; blocks * blocks + 1];
    for &pair in pairs {
        cells[cell(pair) + 1] += 1;
    }
    for c in 0..blocks * blocks {
        cells[c + 1] += cells[c];
    }
    let model: Vec<f32> = m
        .user_bias
        .iter()
        .chain(&m.item_bias)
        .chain(&m.user_factors)
        .chain(&m.item_factors)
        .map(|&v| v as f32)
        .collect();
    let mut triplets = vec![0u32; 3 * pairs.len()];
    let model_buf = e.upload(&model)?;
    let ratings_buf = e.upload_index(&triplets)?;
    let cells_buf = e.upload_index(&cells)?;
    let loss_buf = e.zeros(blocks)?;
    let zeros = vec![0.0f32; blocks];
    let mean = m.mean as f32;
    each_epoch(pairs.len(), p, seed, ctl, |order| {
        let mut next = cells.clone();
        for &o in order {
            let (u, i, r) = pairs[o];
            let at = &mut next[cell(pairs[o])];
            let t = *at as usize * 3;
            *at += 1;
            triplets[t..t + 3].copy_from_slice(&[u as u32, i as u32, (r as f32).to_bits()]);
        }
        e.write_index(ratings_buf, &triplets);
        e.write(loss_buf, &zeros);
        for stratum in 0..blocks {
            let step = MfStep {
                blocks,
                stratum,
                factors: k,
                users,
                items,
                lr: p.learning_rate as f32,
                reg: p.regularization as f32,
                mean,
            };
            e.mf_sgd(model_buf, ratings_buf, cells_buf, loss_buf, &step);
        }
        Ok(e.read(loss_buf, blocks)?.iter().map(|&v| v as f64).sum())
    })?;
    let learned = e.read(model_buf, model.len())?;
    let mut parts = learned.iter().map(|&v| v as f64);
    for part in [&mut m.user_bias, &mut m.item_bias, &mut m.user_factors, &mut m.item_factors] {
        part.iter_mut().zip(parts.by_ref()).for_each(|(v, l)| *v = l);
    }
    Ok(())
}

impl MatrixFactorization {
    pub fn n_users(&self) -> usize {
        self.user_bias.len()
    }

    pub fn n_items(&self) -> usize {
        self.item_bias.len()
    }

    /// The predicted rating of item `i` by user `u` (either may be unknown).
    pub fn rating(&self, u: Option<usize>, i: Option<usize>) -> f64 {
        let k = self.factors;
        let mut r = self.mean;
        if let Some(u) = u {
            r += self.user_bias[u];
        }
        if let Some(i) = i {
            r += self.item_bias[i];
        }
        if let (Some(u), Some(i)) = (u, i) {
            r += (0..k).map(|f| self.user_factors[u * k + f] * self.item_factors[i * k + f]).sum::<f64>();
        }
        // (max then min, not clamp: no panic should a bound be missing)
        r.max(self.min).min(self.max)
    }

    /// Predicted ratings for rows of (user index, item index).
    pub fn predict(&self, x: &Array2<f64>) -> Vec<f64> {
        x.rows()
            .into_iter()
            .map(|row| self.rating(index(row[0], self.n_users()), index(row[1], self.n_items())))
            .collect()
    }

    /// The `n` items with the highest predicted rating for user `u` that the user did not rate
    /// in training, best first, with their predicted rating. An unknown user (`None`) gets the
    /// items with the highest average appeal (mean plus item bias).
    pub fn recommend(&self, u: Option<usize>, n: usize) -> Vec<(usize, f64)> {
        let seen = u.and_then(|u| self.rated.get(u)).map(Vec::as_slice).unwrap_or(&[]);
        let mut scored: Vec<(usize, f64)> = (0..self.n_items())
            .filter(|i| seen.binary_search(&(*i as u32)).is_err())
            .map(|i| (i, self.rating(u, Some(i))))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(n);
        scored
    }

    /// How much each input (user, item) moves ratings: the spread of its biases.
    pub fn spread(&self) -> Vec<f64> {
        let sd = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
        };
        vec![sd(&self.user_bias), sd(&self.item_bias)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 30 users × 20 items: users of group A love even items, group B odd ones; every fifth
    /// pair is held out.
    fn planted() -> (Array2<f64>, Vec<f64>) {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for u in 0..30 {
            for i in 0..20 {
                if (u * 7 + i * 3) % 5 == 0 {
                    continue; // held out
                }
                rows.extend([u as f64, i as f64]);
                y.push(if (u % 2 == 0) == (i % 2 == 0) { 5.0 } else { 1.0 });
            }
        }
        (Array2::from_shape_vec((y.len(), 2), rows).unwrap(), y)
    }

    const PLANTED: MfParams = MfParams { factors: 4, epochs: 200, learning_rate: 0.02, regularization: 0.01 };

    /// Every held-out pair lands on the right side of the middle.
    fn assert_learned(m: &MatrixFactorization) {
        for u in 0..30usize {
            for i in (0..20usize).filter(|i| (u * 7 + i * 3) % 5 == 0) {
                let r = m.rating(Some(u), Some(i));
                assert_eq!(r > 3.0, (u % 2 == 0) == (i % 2 == 0), "user {u}, item {i}: {r}");
            }
        }
    }

    /// Fit controls for the CPU that never stop or pause, reporting to `on_epoch`.
    fn cpu_control<'a>(on_epoch: &'a mut dyn FnMut(&EpochStats)) -> FitControl<'a> {
        FitControl {
            device: crate::gpu::DeviceChoice::Cpu,
            cancelled: &|| false,
            paused: &|| false,
            on_epoch,
            device_used: String::new(),
        }
    }

    #[test]
    fn learns_a_planted_low_rank_structure_and_recommends_unrated_items() {
        let (x, y) = planted();
        let mut on_epoch = |_: &EpochStats| {};
        let mut ctl = cpu_control(&mut on_epoch);
        let m = fit(&x, &y, &PLANTED, 1, &mut ctl).unwrap();
        assert_eq!(ctl.device_used, "cpu");
        assert_learned(&m);
        let top = m.recommend(Some(0), 2);
        assert!(top.iter().all(|(i, _)| i % 2 == 0), "{top:?}");
        assert!(top.iter().all(|(i, _)| m.rated[0].binary_search(&(*i as u32)).is_err()));
        assert_eq!(m.rating(None, None), m.mean.clamp(1.0, 5.0));
    }

    #[test]
    fn blocked_sgd_learns_the_same_structure_and_reports_every_epoch() {
        let (x, y) = planted();
        let mut losses = Vec::new();
        let mut on_epoch = |s: &EpochStats| losses.push(s.train_loss);
        let mut ctl = cpu_control(&mut on_epoch);
        let (mut m, pairs) = start(&x, &y, &PLANTED, 1);
        let before = m.clone();
        fit_blocked(&mut crate::gpu::CpuEngine::new(), &mut m, &pairs, &PLANTED, 1, &mut ctl).unwrap();
        assert_ne!(m.user_factors, before.user_factors, "the learned factors are read back");
        assert_learned(&m);
        assert_eq!(losses.len(), 200);
        assert!(losses[199] < losses[0] / 10.0, "{} → {}", losses[0], losses[199]);
    }
}
