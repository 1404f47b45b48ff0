//! A multilayer perceptron trained by mini-batch gradient descent on an [`Engine`]: the same
//! steps on the GPU kernels and on their CPU references. Shuffling, the validation split and
//! the initial weights come from the seed, so both engines see identical batches.

use super::GpuError;
use super::engine::{Buf, Engine, LossKind, Optimiser};
use super::reference::{self, Activation, MatmulFlags, Step};
use crate::util::Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Rows per chunk when predicting the validation rows on the device.
const EVAL_CHUNK: usize = 4096;

/// One dense layer: `w` is inputs × outputs (row-major), `b` one bias per output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

/// The learned layers; hidden layers use `activation`, the last one none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub layers: Vec<Layer>,
    pub activation: Activation,
}

impl Weights {
    /// Seeded Glorot-uniform weights (as scikit-learn and PyTorch's `xavier_uniform_`), zero biases.
    pub fn init(sizes: &[usize], activation: Activation, seed: u64) -> Weights {
        let mut rng = Rng::new(seed);
        let layers = sizes
            .windows(2)
            .map(|s| {
                let (inputs, outputs) = (s[0], s[1]);
                let gain = if activation == Activation::Sigmoid { 2.0 } else { 6.0 };
                let bound = (gain / (inputs + outputs) as f32).sqrt();
                let w = (0..inputs * outputs).map(|_| rng.symmetric_f32() * bound).collect();
                Layer { inputs, outputs, w, b: vec![0.0; outputs] }
            })
            .collect();
        Weights { layers, activation }
    }

    pub fn act(&self, layer: usize) -> Activation {
        if layer + 1 == self.layers.len() { Activation::Identity } else { self.activation }
    }

    /// The network's raw outputs (rows × outputs) for `rows` input rows, on the CPU.
    pub fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        let mut h = x.to_vec();
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = vec![0.0; rows * layer.outputs];
            reference::matmul(&h, &layer.w, &mut z, rows, layer.outputs, layer.inputs, MatmulFlags::default());
            let mut a = vec![0.0; rows * layer.outputs];
            reference::bias_act(&mut z, &layer.b, &mut a, rows, layer.outputs, self.act(l));
            h = a;
        }
        h
    }

    pub fn n_inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }
}

/// How the learning rate changes over the epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    Constant,
    /// Halve it when the validation loss has not improved for half the patience.
    Plateau,
    /// Cosine decay from the initial rate to zero over the epochs.
    Cosine,
}

impl Schedule {
    pub const NAMES: [&'static str; 3] = ["plateau", "cosine", "constant"];
    pub fn parse(s: &str) -> Schedule {
        match s {
            "cosine" => Schedule::Cosine,
            "constant" => Schedule::Constant,
            _ => Schedule::Plateau,
        }
    }
}

/// Everything the training loop needs besides the data.
#[derive(Clone, Debug)]
pub struct NetConfig {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub loss: LossKind,
    /// Outputs of the last layer: 1 for regression, the number of classes for classification.
    pub outputs: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Share of hidden activations zeroed at random in each training step (0: none).
    pub dropout: f32,
    pub optimiser: Optimiser,
    pub momentum: f32,
    /// Share of the rows held out to watch for overfitting (0: none).
    pub validation: f64,
    /// Epochs without a better validation loss before stopping (0: never stop early).
    pub patience: usize,
    pub schedule: Schedule,
    pub seed: u64,
    /// Classification: each class's weight (empty: all 1). Each epoch's training rows are then
    /// drawn with replacement in proportion to their class's weight, which weighs the loss the
    /// same way in expectation (balanced classes: every class is seen about equally often).
    pub class_weights: Vec<f64>,
}

/// One point of the live curves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based; fractional for a report within an epoch.
    pub epoch: f64,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    /// R² (regression) or accuracy (classification) on the validation rows.
    pub val_metric: Option<f64>,
    pub learning_rate: f64,
    /// Seconds this epoch's training steps took (validation excluded).
    pub seconds: f64,
}

impl EpochStats {
    /// A report at the end of an epoch (not one from within a long epoch).
    pub fn is_whole(&self) -> bool {
        self.epoch.fract() == 0.0
    }
}

/// Why training ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    AllEpochs,
    EarlyStopped,
    Stopped,
}

/// The trained network and how it got there.
#[derive(Clone, Debug)]
pub struct NetResult {
    /// The weights of the epoch with the best validation loss.
    pub weights: Weights,
    /// One entry per finished epoch (the within-epoch reports are only streamed).
    pub history: Vec<EpochStats>,
    pub best_epoch: usize,
    pub ending: Ending,
    pub device: String,
    pub device_bytes: u64,
}

/// What the training loop reports to and asks of its caller.
pub struct Hooks<'a> {
    /// Called after each epoch (and a few times within long epochs).
    pub on_progress: &'a mut dyn FnMut(&EpochStats),
    /// While true, training waits between batches.
    pub paused: &'a dyn Fn() -> bool,
    /// When true, training stops and keeps the best weights so far.
    pub stopped: &'a dyn Fn() -> bool,
}

struct DeviceLayer {
    w: Buf,
    b: Buf,
    z: Buf,
    a: Buf,
    g: Buf,
    gw: Buf,
    gb: Buf,
    moments: [Buf; 4],
}

/// The network as it lives on the device, with the buffers one training step needs.
struct DeviceNet<'c> {
    cfg: &'c NetConfig,
    sizes: Vec<usize>,
    acts: Vec<Activation>,
    layers: Vec<DeviceLayer>,
    /// A batch of inputs (up to `cap` rows) and of targets.
    bx: Buf,
    by: Buf,
    row_loss: Buf,
    /// The epoch's running loss total.
    loss_sum: Buf,
    y_cols: usize,
}

impl<'c> DeviceNet<'c> {
    fn upload(
        e: &mut dyn Engine,
        cfg: &'c NetConfig,
        weights: &Weights,
        sizes: Vec<usize>,
        cap: usize,
        batch: usize,
    ) -> Result<Self, GpuError> {
        let y_cols = if cfg.loss == LossKind::Mse { cfg.outputs } else { 1 };
        let mut layers = Vec::new();
        for layer in &weights.layers {
            let o = layer.outputs;
            layers.push(DeviceLayer {
                w: e.upload(&layer.w)?,
                b: e.upload(&layer.b)?,
                z: e.zeros(cap * o)?,
                a: e.zeros(cap * o)?,
                g: e.zeros(batch * o)?,
                gw: e.zeros(layer.w.len())?,
                gb: e.zeros(o)?,
                moments: [e.zeros(layer.w.len())?, e.zeros(layer.w.len())?, e.zeros(o)?, e.zeros(o)?],
            });
        }
        let acts = (0..layers.len()).map(|l| weights.act(l)).collect();
        Ok(DeviceNet {
            cfg,
            acts,
            layers,
            bx: e.zeros(cap * sizes[0])?,
            by: e.zeros(batch * y_cols)?,
            row_loss: e.zeros(batch)?,
            loss_sum: e.zeros(1)?,
            sizes,
            y_cols,
        })
    }

    /// The training step's dropout seed for a layer (validation runs without dropout).
    fn dropout_seed(&self, step: i32, layer: usize) -> u32 {
        (step as u32).wrapping_mul(31).wrapping_add(layer as u32) ^ self.cfg.seed as u32
    }

    /// Runs `rows` rows of `bx` through the network; `mask` is the training step (dropout on).
    fn forward(&self, e: &mut dyn Engine, rows: usize, mask: Option<i32>) {
        let n_layers = self.layers.len();
        let mut h = self.bx;
        for (l, dl) in self.layers.iter().enumerate() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            e.matmul(h, dl.w, dl.z, rows, o, i, MatmulFlags::default());
            e.bias_act(dl.z, dl.b, dl.a, rows, o, self.acts[l]);
            if let Some(step) = mask.filter(|_| self.cfg.dropout > 0.0 && l + 1 < n_layers) {
                e.dropout(dl.a, rows * o, self.cfg.dropout, self.dropout_seed(step, l));
            }
            h = dl.a;
        }
    }

    /// Loss and gradients of the batch in `bx`/`by` (step `t`, batch `s` of the epoch).
    fn backward(&self, e: &mut dyn Engine, rows: usize, s: usize, t: i32) {
        let cfg = self.cfg;
        let last = &self.layers[self.layers.len() - 1];
        e.loss(cfg.loss, last.a, self.by, last.g, self.row_loss, rows, cfg.outputs);
        e.col_sum(self.row_loss, self.loss_sum, rows, 1, s > 0);
        for l in (0..self.layers.len()).rev() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let h_prev = if l == 0 { self.bx } else { self.layers[l - 1].a };
            let dl = &self.layers[l];
            e.matmul(h_prev, dl.g, dl.gw, i, o, rows, MatmulFlags { a_transposed: true, ..Default::default() });
            e.col_sum(dl.g, dl.gb, rows, o, false);
            if l > 0 {
                let below = &self.layers[l - 1];
                e.matmul(dl.g, dl.w, below.g, rows, i, o, MatmulFlags { b_transposed: true, ..Default::default() });
                if cfg.dropout > 0.0 {
                    // The same mask as the forward pass: dropped cells pass no gradient.
                    e.dropout(below.g, rows * i, cfg.dropout, self.dropout_seed(t, l - 1));
                }
                e.act_grad(below.z, below.g, rows * i, cfg.activation);
            }
        }
    }

    /// The optimiser's update of every weight and bias after step `t` (counted from 1).
    fn optimise(&self, e: &mut dyn Engine, lr: f32, t: i32) {
        let cfg = self.cfg;
        let step = Step {
            lr,
            beta1: if cfg.optimiser == Optimiser::Adam { 0.9 } else { cfg.momentum },
            beta2: 0.999,
            eps: 1e-8,
            l2: cfg.l2,
            bc1: 1.0 - 0.9f32.powi(t),
            bc2: 1.0 - 0.999f32.powi(t),
        };
        for (l, dl) in self.layers.iter().enumerate() {
            let [mw, vw, mb, vb] = dl.moments;
            e.optimise(cfg.optimiser, dl.w, dl.gw, mw, vw, self.sizes[l] * self.sizes[l + 1], &step);
            e.optimise(cfg.optimiser, dl.b, dl.gb, mb, vb, self.sizes[l + 1], &Step { l2: 0.0, ..step });
        }
    }

    /// Loss and score on the validation rows (`val` holds their indices into `x_all`).
    fn validate(
        &self,
        e: &mut dyn Engine,
        data: (Buf, Buf, &[u32]),
        y: &[f32],
        cap: usize,
    ) -> Result<(f64, f64), GpuError> {
        let (x_all, val, val_idx) = data;
        let (n_val, d, outputs, y_cols) = (val_idx.len(), self.sizes[0], self.cfg.outputs, self.y_cols);
        let mut out = Vec::with_capacity(n_val * outputs);
        for start in (0..n_val).step_by(cap) {
            let rows = cap.min(n_val - start);
            e.gather(x_all, val, self.bx, rows, d, start);
            self.forward(e, rows, None);
            out.extend(e.read(self.layers[self.layers.len() - 1].a, rows * outputs)?);
        }
        let truth: Vec<f32> =
            val_idx.iter().flat_map(|&r| &y[r as usize * y_cols..(r as usize + 1) * y_cols]).copied().collect();
        Ok(score(self.cfg.loss, &out, &truth, outputs))
    }

    /// Copies the device's weights back into `weights`.
    fn read_into(&self, e: &mut dyn Engine, weights: &mut Weights) -> Result<(), GpuError> {
        for (layer, dl) in weights.layers.iter_mut().zip(&self.layers) {
            layer.w = e.read(dl.w, layer.w.len())?;
            layer.b = e.read(dl.b, layer.b.len())?;
        }
        Ok(())
    }
}

/// Early stopping and the plateau schedule: the best watched loss so far and the epochs since.
struct Watch {
    best_loss: f64,
    best_epoch: usize,
    since_best: usize,
    since_cut: usize,
}

impl Watch {
    /// Records an epoch's watched loss; true when it is the best so far.
    fn improved(&mut self, epoch: usize, watched: f64) -> bool {
        self.since_cut += 1;
        if self.best_epoch == 0 || watched < self.best_loss - 1e-4 * self.best_loss.abs() {
            (self.best_loss, self.best_epoch, self.since_best) = (watched, epoch, 0);
            true
        } else {
            self.since_best += 1;
            false
        }
    }

    /// The plateau schedule halves the rate after half the patience without progress.
    fn cut_rate(&mut self, cfg: &NetConfig, lr: f32) -> f32 {
        let wait = (cfg.patience / 2).max(2);
        if cfg.schedule == Schedule::Plateau && self.since_best >= wait && self.since_cut >= wait {
            self.since_cut = 0;
            (lr * 0.5).max(cfg.learning_rate / 64.0)
        } else {
            lr
        }
    }
}

/// Trains a network on `n` rows: `x` is n × inputs, `y` one class index or target value per row
/// (n × outputs for regression).
pub fn train_net(
    e: &mut dyn Engine,
    x: &[f32],
    y: &[f32],
    n: usize,
    cfg: &NetConfig,
    hooks: Hooks,
) -> Result<NetResult, GpuError> {
    let d = x.len().checked_div(n).unwrap_or(0);
    let mut sizes = vec![d];
    sizes.extend(&cfg.hidden);
    sizes.push(cfg.outputs);
    let mut weights = Weights::init(&sizes, cfg.activation, cfg.seed);

    // Seeded split: the last `n_val` rows of a permutation watch for overfitting.
    let mut rng = Rng::new(cfg.seed ^ 0x005E_ED0F_7A11);
    let mut order: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut order);
    let n_val = if cfg.validation > 0.0 && n >= 20 { ((n as f64 * cfg.validation).round() as usize).max(1) } else { 0 };
    let (train_idx, val_idx) = order.split_at(n - n_val);
    let n_train = train_idx.len();
    let batch = cfg.batch_size.clamp(1, n_train.max(1));
    let cap = batch.max(EVAL_CHUNK.min(n_val.max(1)));

    let drawn = class_draw(cfg, y, train_idx);
    let x_all = e.upload(x)?;
    let y_all = e.upload(y)?;
    let mut perm = train_idx.to_vec();
    let idx = e.upload_index(&perm)?;
    let val = e.upload_index(val_idx)?;
    let net = DeviceNet::upload(e, cfg, &weights, sizes, cap, batch)?;

    let steps_per_epoch = n_train.div_ceil(batch);
    let report_every = if steps_per_epoch >= 100 { steps_per_epoch / 10 } else { usize::MAX };
    let mut history: Vec<EpochStats> = Vec::new();
    let mut watch = Watch { best_loss: f64::INFINITY, best_epoch: 0, since_best: 0, since_cut: 0 };
    let mut lr = cfg.learning_rate;
    let mut t = 0i32;
    let mut ending = Ending::AllEpochs;
    'epochs: for epoch in 1..=cfg.epochs {
        if cfg.schedule == Schedule::Cosine {
            let progress = (epoch - 1) as f32 / cfg.epochs.max(1) as f32;
            lr = cfg.learning_rate * 0.5 * (1.0 + (std::f32::consts::PI * progress).cos());
        }
        let started = Instant::now();
        draw_epoch(&mut rng, train_idx, drawn.as_deref(), &mut perm);
        e.write_index(idx, &perm);
        for s in 0..steps_per_epoch {
            if (hooks.stopped)() {
                ending = Ending::Stopped;
                break 'epochs;
            }
            if (hooks.paused)() {
                e.flush()?;
                while (hooks.paused)() && !(hooks.stopped)() {
                    std::thread::sleep(std::time::Duration::from_millis(30));
                }
            }
            let offset = s * batch;
            let rows = batch.min(n_train - offset);
            e.gather(x_all, idx, net.bx, rows, d, offset);
            e.gather(y_all, idx, net.by, rows, net.y_cols, offset);
            net.forward(e, rows, Some(t));
            net.backward(e, rows, s, t);
            t += 1;
            net.optimise(e, lr, t);
            if (s + 1) % report_every == 0 && s + 1 < steps_per_epoch {
                let seen = (s + 1) * batch;
                let loss = e.read(net.loss_sum, 1)?[0] as f64 / seen as f64;
                (hooks.on_progress)(&EpochStats {
                    epoch: epoch as f64 - 1.0 + (s + 1) as f64 / steps_per_epoch as f64,
                    train_loss: loss,
                    val_loss: None,
                    val_metric: None,
                    learning_rate: lr as f64,
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
        }
        let train_loss = e.read(net.loss_sum, 1)?[0] as f64 / n_train as f64;
        let seconds = started.elapsed().as_secs_f64();
        let (val_loss, val_metric) = if n_val > 0 {
            let (l, m) = net.validate(e, (x_all, val, val_idx), y, cap)?;
            (Some(l), Some(m))
        } else {
            (None, None)
        };
        let stats =
            EpochStats { epoch: epoch as f64, train_loss, val_loss, val_metric, learning_rate: lr as f64, seconds };
        (hooks.on_progress)(&stats);
        history.push(stats);
        if !train_loss.is_finite() {
            return Err(GpuError::Device(format!(
                "training diverged at epoch {epoch} (loss is not a number): lower the learning rate"
            )));
        }
        // Early stopping watches the validation loss (the training loss without one).
        if watch.improved(epoch, val_loss.unwrap_or(train_loss)) {
            net.read_into(e, &mut weights)?;
        }
        lr = watch.cut_rate(cfg, lr);
        if cfg.patience > 0 && watch.since_best >= cfg.patience {
            ending = Ending::EarlyStopped;
            break;
        }
    }
    e.flush()?;
    if watch.best_epoch == 0 {
        // Stopped before the first epoch ended: the weights as they are now.
        net.read_into(e, &mut weights)?;
    }
    let best_epoch = watch.best_epoch;
    Ok(NetResult { weights, history, best_epoch, ending, device: e.device(), device_bytes: e.memory_bytes() })
}

/// Weighted classes: the running sum of the training rows' weights, to draw rows from.
fn class_draw(cfg: &NetConfig, y: &[f32], train_idx: &[u32]) -> Option<Vec<f64>> {
    (cfg.loss == LossKind::SoftmaxCe && !cfg.class_weights.is_empty()).then(|| {
        let mut sum = 0.0;
        let weight = |i: u32| cfg.class_weights.get(y[i as usize] as usize).copied().unwrap_or(1.0);
        train_idx
            .iter()
            .map(|&i| {
                sum += weight(i);
                sum
            })
            .collect()
    })
}

/// An epoch's order of the training rows: shuffled, or (weighted classes) `perm` filled with
/// rows of `rows` drawn with replacement, row j with probability
/// (cumulative[j] − cumulative[j−1]) / total.
fn draw_epoch(rng: &mut Rng, rows: &[u32], cumulative: Option<&[f64]>, perm: &mut [u32]) {
    let Some(cumulative) = cumulative else { return rng.shuffle(perm) };
    let total = cumulative.last().copied().unwrap_or(0.0);
    for slot in perm.iter_mut() {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let j = cumulative.partition_point(|&c| c <= u).min(rows.len().saturating_sub(1));
        *slot = rows[j];
    }
}

/// Mean loss and R² (regression) or accuracy (classification) of outputs against the truth.
pub fn score(loss: LossKind, out: &[f32], truth: &[f32], outputs: usize) -> (f64, f64) {
    let rows = truth.len() / if loss == LossKind::Mse { outputs } else { 1 };
    let n = rows.max(1) as f64;
    match loss {
        LossKind::Mse => {
            let sse: f64 = out.iter().zip(truth).map(|(&p, &t)| (p as f64 - t as f64).powi(2)).sum();
            let mean = truth.iter().map(|&t| t as f64).sum::<f64>() / truth.len().max(1) as f64;
            let sst: f64 = truth.iter().map(|&t| (t as f64 - mean).powi(2)).sum();
            (0.5 * sse / n, if sst > 0.0 { 1.0 - sse / sst } else { 0.0 })
        }
        LossKind::SoftmaxCe => {
            let (mut l, mut correct) = (0.0, 0usize);
            for (r, &label) in truth.iter().enumerate() {
                let row = &out[r * outputs..(r + 1) * outputs];
                let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
                let s: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
                l += s.ln() + m - row[label as usize] as f64;
                let best = (0..outputs).fold(0, |b, c| if row[c] > row[b] { c } else { b });
                correct += (best == label as usize) as usize;
            }
            (l / n, correct as f64 / n)
        }
    }
}
