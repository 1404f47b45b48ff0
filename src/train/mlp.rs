//! The multilayer perceptron (and mini-batch linear/logistic regression on the GPU): the
//! training loop of `gpu::net` on the GPU engine or the CPU one, the weights kept as plain
//! numbers so `predict` and `serve` run them on the CPU.

use super::models::FitTarget;
use super::params::{HiddenActivation, LrSchedule, Optimizer, Settings};
use super::{FittedModel, ModelKind, TrainError};
use crate::features::Csr;
use crate::gpu::net::{Ending, EpochStats, Hooks, NetConfig, NetResult, Schedule, Weights, train_net};
use crate::gpu::reference::Activation;
use crate::gpu::{CpuEngine, DeviceChoice, Engine, GpuError, LossKind, Optimiser};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A trained network: its weights and how to read its outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    pub weights: Weights,
    /// Regression: the network predicts the standardised target; these undo it.
    pub y_mean: f64,
    pub y_std: f64,
    /// 0 for regression, else the number of classes (one softmax output each).
    pub n_classes: usize,
    /// Train/validation loss and metric per epoch (the curves the Train panel draws).
    pub history: Vec<EpochStats>,
    pub best_epoch: usize,
    pub ending: Ending,
}

impl Mlp {
    pub fn n_features(&self) -> usize {
        self.weights.n_inputs()
    }

    /// Rows × 1 predicted values, or rows × classes probabilities.
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        let rows = x.nrows();
        let input: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let out = self.weights.forward(&input, rows);
        if self.n_classes == 0 {
            return Array2::from_shape_fn((rows, 1), |(r, _)| out[r] as f64 * self.y_std + self.y_mean);
        }
        let k = self.n_classes;
        let mut p = Array2::from_shape_fn((rows, k), |(r, c)| out[r * k + c] as f64);
        for mut row in p.rows_mut() {
            if let Some(r) = row.as_slice_mut() {
                super::models::softmax_in_place(r);
            }
        }
        p
    }

    /// How much each input feature feeds the first layer (summed absolute weights).
    pub fn input_weights(&self) -> Vec<f64> {
        let Some(first) = self.weights.layers.first() else { return vec![] };
        (0..first.inputs)
            .map(|i| first.w[i * first.outputs..(i + 1) * first.outputs].iter().map(|w| w.abs() as f64).sum())
            .collect()
    }
}

/// What the caller of a fit can see and steer: the device, live progress, pause and stop.
pub struct FitControl<'a> {
    pub device: DeviceChoice,
    pub cancelled: &'a dyn Fn() -> bool,
    pub paused: &'a dyn Fn() -> bool,
    pub on_epoch: &'a mut dyn FnMut(&EpochStats),
    /// Set by the fit: where it ran ("cpu" or the adapter).
    pub device_used: String,
}

/// The training rows as one dense f32 matrix (what the engines read).
pub(super) fn dense_f32(dense: Option<&Array2<f64>>, sparse: Option<&Csr>) -> Option<(Vec<f32>, usize, usize)> {
    if let Some(x) = dense {
        return Some((x.iter().map(|&v| v as f32).collect(), x.nrows(), x.ncols()));
    }
    let s = sparse?;
    let mut out = vec![0.0f32; s.nrows() * s.ncols];
    for r in 0..s.nrows() {
        for (j, v) in s.row(r) {
            out[r * s.ncols + j] = v as f32;
        }
    }
    Some((out, s.nrows(), s.ncols))
}

/// The network settings `settings` describe: an MLP's, or (for linear / logistic regression
/// on the GPU) none hidden.
fn net_config(settings: &Settings, loss: LossKind, outputs: usize, n: usize, seed: u64) -> NetConfig {
    let Settings::Mlp(m) = settings else {
        // Linear / logistic regression by mini-batch gradient descent: no hidden layer; the
        // logistic penalty matches scikit-learn's C on the summed loss.
        let l2 = if let Settings::Logistic(l) = settings { (1.0 / (l.c * n as f64)) as f32 } else { 0.0 };
        return NetConfig {
            hidden: vec![],
            activation: Activation::Identity,
            loss,
            outputs,
            epochs: 100,
            batch_size: 256,
            learning_rate: 0.01,
            l2,
            dropout: 0.0,
            optimiser: Optimiser::Adam,
            momentum: 0.9,
            validation: 0.1,
            patience: 10,
            schedule: Schedule::Plateau,
            seed,
            class_weights: vec![],
        };
    };
    NetConfig {
        hidden: vec![m.width; m.layers],
        activation: match m.activation {
            HiddenActivation::Relu => Activation::Relu,
            HiddenActivation::Tanh => Activation::Tanh,
            HiddenActivation::Sigmoid => Activation::Sigmoid,
            HiddenActivation::Gelu => Activation::Gelu,
        },
        loss,
        outputs,
        epochs: m.epochs,
        batch_size: m.batch_size,
        learning_rate: m.learning_rate as f32,
        // scikit-learn's alpha: L2 penalty alpha/2·‖W‖² on the batch's summed loss.
        l2: (m.alpha / m.batch_size.min(n).max(1) as f64) as f32,
        dropout: m.dropout as f32,
        optimiser: match m.optimizer {
            Optimizer::Sgd => Optimiser::SgdMomentum,
            Optimizer::Adam => Optimiser::Adam,
        },
        momentum: 0.9,
        validation: m.validation,
        patience: m.patience,
        schedule: match m.lr_schedule {
            LrSchedule::Plateau => Schedule::Plateau,
            LrSchedule::Cosine => Schedule::Cosine,
            LrSchedule::Constant => Schedule::Constant,
        },
        seed,
        class_weights: vec![],
    }
}

/// Trains the network on the device `ctl` asks for (falling back to the CPU under `auto`
/// when the GPU cannot hold the data).
pub fn fit(
    settings: &Settings,
    x: (Vec<f32>, usize, usize),
    y: FitTarget,
    seed: u64,
    ctl: &mut FitControl,
) -> Result<FittedModel, TrainError> {
    let (x, n, _d) = x;
    let kind = settings.model();
    let (targets, loss, outputs, y_mean, y_std, n_classes) = match y {
        FitTarget::Numbers(v) => {
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            let var = v.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64;
            let std = if var > 0.0 { var.sqrt() } else { 1.0 };
            (v.iter().map(|t| ((t - mean) / std) as f32).collect::<Vec<f32>>(), LossKind::Mse, 1, mean, std, 0)
        }
        FitTarget::Classes(c, k) => {
            (c.iter().map(|&c| c as f32).collect(), LossKind::SoftmaxCe, k.max(2), 0.0, 1.0, k.max(2))
        }
        FitTarget::Unlabelled => return Err(TrainError::Fit("a neural network needs a target column".into())),
    };
    let mut cfg = net_config(settings, loss, outputs, n, seed);
    if let FitTarget::Classes(c, k) = y {
        cfg.class_weights = match settings {
            Settings::Mlp(m) => m.class_weight.weights(c, k),
            Settings::Logistic(l) => l.class_weight.weights(c, k),
            _ => vec![],
        };
    }
    let gpu = ctl.device.open().map_err(|e| TrainError::Fit(e.to_string()))?;
    let stopped = ctl.cancelled;
    let paused = ctl.paused;
    let run = |e: &mut dyn Engine, on_epoch: &mut dyn FnMut(&EpochStats)| -> Result<NetResult, GpuError> {
        train_net(e, &x, &targets, n, &cfg, Hooks { on_progress: on_epoch, paused, stopped })
    };
    let result = match gpu {
        Some(mut g) => match run(&mut g, ctl.on_epoch) {
            Err(GpuError::TooLarge { .. }) if ctl.device == DeviceChoice::Auto => {
                run(&mut CpuEngine::new(), ctl.on_epoch)
            }
            other => other,
        },
        None => run(&mut CpuEngine::new(), ctl.on_epoch),
    }
    .map_err(|e| TrainError::Fit(e.to_string()))?;
    ctl.device_used = result.device.clone();
    let mlp = Mlp {
        weights: result.weights,
        y_mean,
        y_std,
        n_classes,
        history: result.history,
        best_epoch: result.best_epoch,
        ending: result.ending,
    };
    Ok(match kind {
        ModelKind::Linear => {
            let l = &mlp.weights.layers[0];
            FittedModel::Linear {
                model: kind,
                coef: l.w.iter().map(|&w| w as f64 * y_std).collect(),
                intercept: l.b[0] as f64 * y_std + y_mean,
            }
        }
        ModelKind::Logistic => {
            let l = &mlp.weights.layers[0];
            let k = l.outputs;
            FittedModel::Logistic {
                n_classes: k,
                coef: (0..k).map(|c| (0..l.inputs).map(|i| l.w[i * k + c] as f64).collect()).collect(),
                intercept: l.b.iter().map(|&b| b as f64).collect(),
            }
        }
        _ => FittedModel::Mlp(Box::new(mlp)),
    })
}
