//! The WGSL kernels against their CPU references (on lavapipe here: software Vulkan), a
//! finite-difference check of the backward pass, and a whole training run on both engines.
//! These tests fail when no adapter is found, unless CAIRN_ALLOW_NO_GPU=1.

use crate::common::{asset, cairn, stderr, stdout};
use cairn::gpu::net::{Hooks, NetConfig, Schedule, Weights, train_net};
use cairn::gpu::reference::{self, Activation, MatmulFlags, MfStep, Step};
use cairn::gpu::{CpuEngine, DeviceChoice, Engine, GpuEngine, LossKind, Optimiser};
use cairn::util::Rng;

/// The GPU engine, or `None` (test passes vacuously) only when CAIRN_ALLOW_NO_GPU=1.
pub fn gpu() -> Option<GpuEngine> {
    match DeviceChoice::Gpu.open() {
        Ok(Some(e)) => Some(e),
        other => {
            let why = other.err().map(|e| e.to_string()).unwrap_or_default();
            if std::env::var("CAIRN_ALLOW_NO_GPU").as_deref() == Ok("1") {
                eprintln!("no GPU adapter ({why}); skipped because CAIRN_ALLOW_NO_GPU=1");
                None
            } else {
                panic!("no GPU adapter: {why} (install mesa-vulkan-drivers, or set CAIRN_ALLOW_NO_GPU=1)");
            }
        }
    }
}

pub(crate) fn random(rng: &mut Rng, len: usize, scale: f32) -> Vec<f32> {
    (0..len).map(|_| rng.symmetric_f32() * scale).collect()
}

pub(crate) fn assert_close(gpu: &[f32], cpu: &[f32], tol: f32, what: &str) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        let err = (g - c).abs() / c.abs().max(1.0);
        assert!(err <= tol, "{what}: cell {i}: gpu {g} vs cpu {c} (relative error {err})");
    }
}

#[test]
fn matmul_matches_the_reference_on_odd_shapes_and_transposes() {
    let Some(mut e) = gpu() else { return };
    let mut rng = Rng::new(7);
    // Shapes around and away from the 64×64×16 tile, including 1s and non-multiples.
    for &(m, n, k) in &[(1, 1, 1), (3, 5, 7), (17, 33, 5), (64, 64, 16), (65, 63, 17), (130, 3, 200), (7, 129, 64)] {
        for bits in 0..8u32 {
            let flags =
                MatmulFlags { a_transposed: bits & 1 != 0, b_transposed: bits & 2 != 0, accumulate: bits & 4 != 0 };
            let (a, b, c0) = (random(&mut rng, m * k, 1.0), random(&mut rng, k * n, 1.0), random(&mut rng, m * n, 1.0));
            let mut want = c0.clone();
            reference::matmul(&a, &b, &mut want, m, n, k, flags);
            let (ba, bb, bc) = (e.upload(&a).unwrap(), e.upload(&b).unwrap(), e.upload(&c0).unwrap());
            e.matmul(ba, bb, bc, m, n, k, flags);
            let got = e.read(bc, m * n).unwrap();
            assert_close(&got, &want, 1e-4, &format!("matmul {m}×{n}×{k} {flags:?}"));
        }
    }
}

#[test]
fn elementwise_kernels_match_the_reference() {
    let Some(mut e) = gpu() else { return };
    let mut rng = Rng::new(11);
    let (rows, cols) = (37, 19);
    for act in [Activation::Identity, Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Gelu] {
        // Forward: bias add + activation.
        let (z0, bias) = (random(&mut rng, rows * cols, 4.0), random(&mut rng, cols, 1.0));
        let (mut z, mut out) = (z0.clone(), vec![0.0; rows * cols]);
        reference::bias_act(&mut z, &bias, &mut out, rows, cols, act);
        let (bz, bb, bo) = (e.upload(&z0).unwrap(), e.upload(&bias).unwrap(), e.zeros(rows * cols).unwrap());
        e.bias_act(bz, bb, bo, rows, cols, act);
        assert_close(&e.read(bo, rows * cols).unwrap(), &out, 1e-5, &format!("{act:?} forward"));
        assert_close(&e.read(bz, rows * cols).unwrap(), &z, 1e-6, &format!("{act:?} pre-activation"));
        // Backward: gradient through the activation.
        let g0 = random(&mut rng, rows * cols, 1.0);
        let mut g = g0.clone();
        reference::act_grad(&z, &mut g, rows * cols, act);
        let bg = e.upload(&g0).unwrap();
        e.act_grad(bz, bg, rows * cols, act);
        assert_close(&e.read(bg, rows * cols).unwrap(), &g, 1e-5, &format!("{act:?} backward"));
    }
}

#[test]
fn losses_reductions_optimisers_and_gather_match_the_reference() {
    let Some(mut e) = gpu() else { return };
    let mut rng = Rng::new(13);
    // Softmax cross-entropy (5 classes) and squared error, 300 rows (over one workgroup).
    let rows = 300;
    for (kind, cols) in [(LossKind::SoftmaxCe, 5), (LossKind::Mse, 1), (LossKind::Mse, 3)] {
        let out = random(&mut rng, rows * cols, 5.0);
        let y: Vec<f32> = match kind {
            LossKind::SoftmaxCe => (0..rows).map(|_| rng.below(cols) as f32).collect(),
            LossKind::Mse => random(&mut rng, rows * cols, 3.0),
        };
        let (mut grad, mut row_loss) = (vec![0.0; rows * cols], vec![0.0; rows]);
        let scale = 1.0 / rows as f32;
        match kind {
            LossKind::SoftmaxCe => reference::softmax_ce(&out, &y, &mut grad, &mut row_loss, rows, cols, scale),
            LossKind::Mse => reference::mse(&out, &y, &mut grad, &mut row_loss, rows, cols, scale),
        }
        let (bo, by) = (e.upload(&out).unwrap(), e.upload(&y).unwrap());
        let (bg, bl) = (e.zeros(rows * cols).unwrap(), e.zeros(rows).unwrap());
        e.loss(kind, bo, by, bg, bl, rows, cols);
        assert_close(&e.read(bg, rows * cols).unwrap(), &grad, 1e-5, &format!("{kind:?} gradient"));
        assert_close(&e.read(bl, rows).unwrap(), &row_loss, 1e-5, &format!("{kind:?} loss"));
    }
    // Column sums (more rows than threads), plain and accumulating.
    for &(rows, cols) in &[(1, 1), (1000, 7), (257, 300)] {
        let x = random(&mut rng, rows * cols, 1.0);
        let start = random(&mut rng, cols, 1.0);
        for accumulate in [false, true] {
            let mut want = start.clone();
            reference::col_sum(&x, &mut want, rows, cols, accumulate);
            let (bx, bo) = (e.upload(&x).unwrap(), e.upload(&start).unwrap());
            e.col_sum(bx, bo, rows, cols, accumulate);
            assert_close(&e.read(bo, cols).unwrap(), &want, 1e-4, &format!("col_sum {rows}×{cols}"));
        }
    }
    // Three optimiser steps each.
    let len = 1000;
    for kind in [Optimiser::Adam, Optimiser::SgdMomentum] {
        let (mut w, mut m, mut v) = (random(&mut rng, len, 1.0), vec![0.0; len], vec![0.0; len]);
        let (bw, bm, bv) = (e.upload(&w).unwrap(), e.zeros(len).unwrap(), e.zeros(len).unwrap());
        for t in 1..=3 {
            let g = random(&mut rng, len, 1.0);
            let s = Step {
                lr: 0.01,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                l2: 0.1,
                bc1: 1.0 - 0.9f32.powi(t),
                bc2: 1.0 - 0.999f32.powi(t),
            };
            match kind {
                Optimiser::Adam => reference::adam(&mut w, &g, &mut m, &mut v, &s),
                Optimiser::SgdMomentum => reference::sgd(&mut w, &g, &mut m, &s),
            }
            let bg = e.upload(&g).unwrap();
            e.optimise(kind, bw, bg, bm, bv, len, &s);
        }
        assert_close(&e.read(bw, len).unwrap(), &w, 1e-5, &format!("{kind:?} weights"));
        assert_close(&e.read(bm, len).unwrap(), &m, 1e-5, &format!("{kind:?} first moment"));
    }
    // Dropout: the same mask (and scale) from the same seed, about `rate` of the cells zeroed.
    let x = random(&mut rng, 5000, 1.0);
    for (rate, seed) in [(0.3f32, 7u32), (0.5, 123)] {
        let mut want = x.clone();
        reference::dropout(&mut want, rate, seed);
        let b = e.upload(&x).unwrap();
        e.dropout(b, x.len(), rate, seed);
        assert_close(&e.read(b, x.len()).unwrap(), &want, 1e-6, &format!("dropout {rate}"));
        let zeroed = want.iter().filter(|v| **v == 0.0).count() as f32 / x.len() as f32;
        assert!((zeroed - rate).abs() < 0.03, "dropout {rate} zeroed {zeroed}");
    }
    // Gather of shuffled rows from an offset.
    let (n, cols) = (500, 9);
    let src = random(&mut rng, n * cols, 1.0);
    let mut idx: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut idx);
    let mut want = vec![0.0; 100 * cols];
    reference::gather(&src, &idx, &mut want, 100, cols, 123);
    let (bs, bi, bd) = (e.upload(&src).unwrap(), e.upload_index(&idx).unwrap(), e.zeros(100 * cols).unwrap());
    e.gather(bs, bi, bd, 100, cols, 123);
    assert_eq!(e.read(bd, 100 * cols).unwrap(), want, "gather");
}

#[test]
fn the_factorisation_kernel_matches_the_reference_stratum_by_stratum() {
    let Some(mut e) = gpu() else { return };
    let mut rng = Rng::new(21);
    // Block counts below, at and above one 64-thread workgroup; 1 to 20 factors.
    for &(blocks, users, items, k, n) in
        &[(1, 1, 1, 1, 5), (3, 7, 5, 20, 200), (64, 200, 150, 8, 3000), (70, 90, 80, 3, 4000)]
    {
        // Ratings grouped by cell (user u in block u mod B, item i in block i mod B).
        let mut ratings: Vec<(usize, usize, f32)> =
            (0..n).map(|_| (rng.below(users), rng.below(items), 1.0 + rng.below(5) as f32)).collect();
        let cell = |&(u, i, _): &(usize, usize, f32)| (u % blocks) * blocks + i % blocks;
        ratings.sort_by_key(cell);
        let mut cells = vec![0u32; blocks * blocks + 1];
        ratings.iter().for_each(|r| cells[cell(r) + 1] += 1);
        (0..blocks * blocks).for_each(|c| cells[c + 1] += cells[c]);
        let triplets: Vec<u32> = ratings.iter().flat_map(|&(u, i, r)| [u as u32, i as u32, r.to_bits()]).collect();
        let start = random(&mut rng, (users + items) * (k + 1), 0.1);
        let (mut want, mut want_loss) = (start.clone(), vec![0.0f32; blocks]);
        let (bm, br) = (e.upload(&start).unwrap(), e.upload_index(&triplets).unwrap());
        let (bc, bl) = (e.upload_index(&cells).unwrap(), e.zeros(blocks).unwrap());
        for stratum in 0..blocks {
            let s = MfStep { blocks, stratum, factors: k, users, items, lr: 0.05, reg: 0.02, mean: 3.0 };
            reference::mf_sgd(&mut want, &triplets, &cells, &mut want_loss, &s);
            e.mf_sgd(bm, br, bc, bl, &s);
        }
        let what = format!("factorize: {blocks} blocks, {users} users, {items} items, {k} factors");
        assert_ne!(want, start, "{what}: the reference moved nothing");
        assert_close(&e.read(bm, want.len()).unwrap(), &want, 1e-4, &what);
        assert_close(&e.read(bl, blocks).unwrap(), &want_loss, 1e-4, &format!("{what}: loss"));
        let total: f32 = want_loss.iter().sum();
        assert!(total > 0.0, "{what}: every rating adds its squared error");
    }
}

#[test]
fn matrix_factorisation_on_the_gpu_reaches_the_reference_rmse_and_the_cpu_run() {
    if gpu().is_none() {
        return;
    }
    let ratings = asset("ratings_synthetic.csv");
    let run = |device: &str| {
        let o = cairn(&["train", ratings.to_str().unwrap(), "--target", "rating", "--device", device, "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(v["model"], "matrix_factorization");
        (v["device"].as_str().unwrap().to_string(), v["metrics"]["rmse"].as_f64().unwrap())
    };
    let (gpu_device, gpu_rmse) = run("gpu");
    let (cpu_device, cpu_rmse) = run("cpu");
    assert_eq!(cpu_device, "cpu");
    assert_ne!(gpu_device, "cpu", "--device gpu trained on the adapter");
    // REFERENCE.md: biased MF by SGD, 20 factors: RMSE 0.9479 (the 5 % margin is 0.9953); it
    // must also beat the user + item bias baseline (0.9724), which is tighter.
    assert!(gpu_rmse < 0.9724, "GPU RMSE {gpu_rmse} vs reference 0.9479, bias baseline 0.9724");
    assert!(gpu_rmse > 0.8, "GPU RMSE {gpu_rmse} is below the noise floor: test ratings leaked");
    assert!((gpu_rmse - cpu_rmse).abs() <= 0.01 * cpu_rmse, "GPU RMSE {gpu_rmse} vs CPU {cpu_rmse}");
}

/// A small regression problem: y = sin(x0) + x1·x2 + noise.
fn synthetic(n: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let x = random(&mut rng, n * d, 2.0);
    let noise = random(&mut rng, n, 0.05);
    let y = (0..n).map(|r| x[r * d].sin() + x[r * d + 1] * x[r * d + 2] + noise[r]).collect();
    (x, y)
}

fn config(epochs: usize) -> NetConfig {
    NetConfig {
        hidden: vec![24, 12],
        activation: Activation::Tanh,
        loss: LossKind::Mse,
        outputs: 1,
        epochs,
        batch_size: 50,
        learning_rate: 0.01,
        l2: 1e-4,
        dropout: 0.0,
        optimiser: Optimiser::Adam,
        momentum: 0.9,
        validation: 0.1,
        patience: 0,
        schedule: Schedule::Constant,
        seed: 5,
        class_weights: vec![],
    }
}

fn quiet() -> (impl FnMut(&cairn::gpu::net::EpochStats), impl Fn() -> bool) {
    (|_: &cairn::gpu::net::EpochStats| {}, || false)
}

#[test]
fn backward_pass_matches_finite_differences() {
    // One step of plain SGD (no momentum) moves each weight by −lr·∂L/∂w: compare that with
    // a central difference of the loss, computed by the CPU forward pass in f64 terms.
    let (n, d) = (40, 3);
    let (x, y) = synthetic(n, d, 3);
    let mut cfg = config(1);
    (cfg.batch_size, cfg.validation, cfg.l2, cfg.optimiser, cfg.momentum) = (n, 0.0, 0.0, Optimiser::SgdMomentum, 0.0);
    cfg.learning_rate = 1e-3;
    let sizes = [d, 24, 12, 1];
    let start = Weights::init(&sizes, Activation::Tanh, cfg.seed);
    let (mut on, off) = quiet();
    let mut e = CpuEngine::new();
    let trained = train_net(&mut e, &x, &y, n, &cfg, Hooks { on_progress: &mut on, paused: &off, stopped: &off })
        .expect("train one step");
    let loss = |w: &Weights| {
        let out = w.forward(&x, n);
        out.iter().zip(&y).map(|(p, t)| 0.5 * ((p - t) as f64).powi(2)).sum::<f64>() / n as f64
    };
    let mut checked = 0;
    for l in 0..3 {
        for i in (0..start.layers[l].w.len()).step_by(7) {
            let h = 1e-2f32;
            let (mut plus, mut minus) = (start.clone(), start.clone());
            plus.layers[l].w[i] += h;
            minus.layers[l].w[i] -= h;
            let numeric = (loss(&plus) - loss(&minus)) / (2.0 * h as f64);
            let analytic = (start.layers[l].w[i] - trained.weights.layers[l].w[i]) as f64 / cfg.learning_rate as f64;
            assert!(
                (numeric - analytic).abs() <= 2e-3 + 0.03 * numeric.abs(),
                "layer {l} weight {i}: finite difference {numeric} vs backward pass {analytic}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40);
}

#[test]
fn a_training_run_on_the_gpu_ends_where_the_cpu_run_ends() {
    let Some(mut g) = gpu() else { return };
    let (n, d) = (1200, 6);
    let (x, y) = synthetic(n, d, 9);
    let mut cfg = config(15);
    cfg.dropout = 0.1; // the masks must match too
    let run = |e: &mut dyn Engine| {
        let (mut on, off) = quiet();
        train_net(e, &x, &y, n, &cfg, Hooks { on_progress: &mut on, paused: &off, stopped: &off }).expect("train")
    };
    let cpu = run(&mut CpuEngine::new());
    let gpu = run(&mut g);
    assert_eq!(cpu.history.len(), 15);
    let first = cpu.history[0].train_loss;
    let last = cpu.history[14].train_loss;
    assert!(last < first * 0.5, "the CPU run did not learn: {first} → {last}");
    for (c, g) in cpu.history.iter().zip(&gpu.history) {
        let (cv, gv) = (c.val_loss.unwrap(), g.val_loss.unwrap());
        assert!((cv - gv).abs() <= 1e-3 + 1e-2 * cv, "epoch {}: val loss cpu {cv} vs gpu {gv}", c.epoch);
    }
    let (cm, gm) = (cpu.history[14].val_metric.unwrap(), gpu.history[14].val_metric.unwrap());
    assert!((cm - gm).abs() < 0.01, "final validation R²: cpu {cm} vs gpu {gm}");
    assert!(gpu.device_bytes > 0 && gpu.device != "cpu");
}

#[test]
fn the_zero_skipping_cpu_product_equals_the_dense_one() {
    // Wide, mostly-zero inputs (TF-IDF) take the CPU's zero-skipping path; it must give the
    // dense product.
    let mut rng = Rng::new(17);
    let (m, n, k) = (40, 9, 600);
    let mut a = vec![0.0f32; m * k];
    for _ in 0..200 {
        a[rng.below(m * k)] = 1.0 + rng.below(5) as f32;
    }
    let b = random(&mut rng, k * n, 1.0);
    for transposed in [false, true] {
        let flags = MatmulFlags { a_transposed: transposed, ..Default::default() };
        let mut fast = vec![0.0; m * n];
        reference::matmul(&a, &b, &mut fast, m, n, k, flags);
        let mut slow = vec![0.0f32; m * n];
        for r in 0..m {
            for c in 0..n {
                slow[r * n + c] =
                    (0..k).map(|kk| if transposed { a[kk * m + r] } else { a[r * k + kk] } * b[kk * n + c]).sum();
            }
        }
        assert_close(&fast, &slow, 1e-5, "zero-skipping matmul");
    }
}
