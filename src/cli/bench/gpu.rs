//! `cairn bench gpu`: one MLP epoch (2 hidden layers of 64, ReLU, Adam, MSE) on California
//! housing and on a synthetic 1M × 64 table, on the GPU engine, the CPU engine and — in the
//! same run, on the same data and batches sizes — PyTorch (CPU, and CUDA when present).

use anyhow::{Result, bail};
use cairn::data::{Schema, read_csv_path};
use cairn::features::Recipe;
use cairn::gpu::net::{Hooks, NetConfig, Schedule, train_net};
use cairn::gpu::reference::Activation;
use cairn::gpu::{CpuEngine, DeviceChoice, Engine, LossKind, Optimiser};
use cairn::util::Rng;
use serde_json::{Value, json};
use std::path::Path;

const TORCH_SCRIPT: &str = include_str!("../../../benches/torch_mlp.py");

struct Case {
    name: String,
    x: Vec<f32>,
    y: Vec<f32>,
    rows: usize,
    cols: usize,
    batch: usize,
}

/// California housing through the default recipe (scaled numbers, one-hot ocean proximity),
/// target standardised.
fn housing(data_dir: &Path) -> Result<Case> {
    let ds = read_csv_path(&data_dir.join("california_housing.csv"))?;
    let target = "median_house_value";
    let schema = Schema::from_dataset(&ds, target);
    let coerced = schema.coerce(&ds)?;
    let x = Recipe::default_for(&schema).fit(&coerced)?.transform(&coerced)?;
    let y: Vec<f64> = match &ds.require(target)?.values {
        cairn::data::Values::Numeric(v) => v.iter().map(|v| v.unwrap_or(0.0)).collect(),
        _ => bail!("{target} is not numeric"),
    };
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let std = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    Ok(Case {
        name: "housing (20 640 × 13)".into(),
        x: x.iter().map(|&v| v as f32).collect(),
        y: y.iter().map(|v| ((v - mean) / std) as f32).collect(),
        rows: x.nrows(),
        cols: x.ncols(),
        batch: 128,
    })
}

/// `rows` × 64 uniform features; y = sin(x0) + x1·x2 + 0.1·x3.
fn synthetic(rows: usize) -> Case {
    let cols = 64;
    let mut rng = Rng::new(42);
    let x: Vec<f32> = (0..rows * cols).map(|_| rng.symmetric_f32()).collect();
    let y = (0..rows).map(|r| x[r * cols].sin() + x[r * cols + 1] * x[r * cols + 2] + 0.1 * x[r * cols + 3]).collect();
    Case { name: format!("synthetic ({rows} × 64)"), x, y, rows, cols, batch: 512 }
}

fn config(batch: usize, epochs: usize) -> NetConfig {
    NetConfig {
        hidden: vec![64, 64],
        activation: Activation::Relu,
        loss: LossKind::Mse,
        outputs: 1,
        epochs,
        batch_size: batch,
        learning_rate: 1e-3,
        l2: 0.0,
        dropout: 0.0,
        optimiser: Optimiser::Adam,
        momentum: 0.9,
        validation: 0.0,
        patience: 0,
        schedule: Schedule::Constant,
        seed: 42,
        class_weights: vec![],
    }
}

/// Best epoch time after the first (warm-up) epoch, the last epoch's loss, device bytes.
fn time_engine(e: &mut dyn Engine, case: &Case, epochs: usize) -> Result<(f64, f64, u64)> {
    let never = || false;
    let mut on = |_: &cairn::gpu::net::EpochStats| {};
    let r = train_net(
        e,
        &case.x,
        &case.y,
        case.rows,
        &config(case.batch, epochs),
        Hooks { on_progress: &mut on, paused: &never, stopped: &never },
    )?;
    let best = r.history.iter().skip(1).map(|h| h.seconds).fold(f64::INFINITY, f64::min);
    let loss = r.history.last().map_or(f64::NAN, |h| h.train_loss);
    Ok((if best.is_finite() { best } else { r.history[0].seconds }, loss, r.device_bytes))
}

fn run_torch(python: &str, cases: &[Case], epochs: usize, dir: &Path) -> Result<Vec<Value>> {
    let mut specs = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let (xp, yp) = (dir.join(format!("x{i}.f32")), dir.join(format!("y{i}.f32")));
        std::fs::write(&xp, bytemuck::cast_slice::<f32, u8>(&c.x))?;
        std::fs::write(&yp, bytemuck::cast_slice::<f32, u8>(&c.y))?;
        specs.push(json!({"name": c.name, "x": xp, "y": yp, "rows": c.rows, "cols": c.cols, "batch": c.batch,
                          "layers": 2, "width": 64, "epochs": epochs}));
    }
    let script = dir.join("torch_mlp.py");
    std::fs::write(&script, TORCH_SCRIPT)?;
    let out = super::run_python(python, &script, &Value::from(specs), true, "torch numpy")?;
    if !out.status.success() {
        eprintln!("PyTorch comparison skipped: the script failed (pip install torch numpy)");
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}

pub fn bench_gpu(data_dir: &Path, python: &str, rows: usize, epochs: usize, as_json: bool) -> Result<()> {
    let epochs = epochs.max(2);
    let cases = vec![housing(data_dir)?, synthetic(rows)];
    let mut gpu = DeviceChoice::Gpu.open().ok().flatten();
    let adapter = gpu.as_ref().map(|g| g.info().clone());
    let dir = tempfile::tempdir()?;
    eprintln!("PyTorch ({python}) …");
    let torch = run_torch(python, &cases, epochs, dir.path())?;
    let mut report = Vec::new();
    for case in &cases {
        eprintln!("{}: Cairn CPU …", case.name);
        let cpu = time_engine(&mut CpuEngine::new(), case, epochs)?;
        // A software adapter (lavapipe) is timed on the small case only: it is far slower.
        let gpu_time = match (&mut gpu, &adapter) {
            (Some(g), Some(a)) if !a.is_software() || case.rows <= 50_000 => {
                eprintln!("{}: Cairn GPU ({}) …", case.name, a.describe());
                Some(time_engine(g, case, epochs)?)
            }
            _ => None,
        };
        let torch_of =
            |device: &str| torch.iter().find(|v| v["name"] == case.name.as_str() && v["device"] == device).cloned();
        let (tc, tg) = (torch_of("cpu"), torch_of("cuda"));
        let secs = |v: &Option<Value>| v.as_ref().and_then(|v| v["epoch_seconds"].as_f64());
        report.push(json!({
            "case": case.name, "batch": case.batch,
            "cairn_cpu_seconds": cpu.0, "cairn_cpu_loss": cpu.1,
            "cairn_gpu_seconds": gpu_time.map(|g| g.0), "cairn_gpu_loss": gpu_time.map(|g| g.1),
            "cairn_gpu_device_bytes": gpu_time.map(|g| g.2),
            "torch_cpu_seconds": secs(&tc), "torch_cuda_seconds": secs(&tg),
            "torch_cuda_memory_bytes": tg.as_ref().and_then(|v| v["memory_bytes"].as_u64()),
            "cpu_vs_torch_cpu": secs(&tc).map(|t| t / cpu.0),
            "gpu_vs_torch_cuda": secs(&tg).zip(gpu_time).map(|(t, g)| t / g.0),
        }));
    }
    let adapter_name = adapter.map_or("none".to_string(), |a| a.describe());
    if as_json {
        println!("{}", json!({"bench": "gpu", "adapter": adapter_name, "epochs": epochs, "cases": report}));
        return Ok(());
    }
    println!("GPU adapter: {adapter_name}");
    println!(
        "{:<26} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "case (s per epoch)", "cairn cpu", "torch cpu", "cairn gpu", "torch cuda", "cpu ratio", "gpu ratio"
    );
    let cell = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.3}"));
    let ratio = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.2}×"));
    for r in &report {
        println!(
            "{:<26} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10}",
            r["case"].as_str().unwrap_or(""),
            cell(&r["cairn_cpu_seconds"]),
            cell(&r["torch_cpu_seconds"]),
            cell(&r["cairn_gpu_seconds"]),
            cell(&r["torch_cuda_seconds"]),
            ratio(&r["cpu_vs_torch_cpu"]),
            ratio(&r["gpu_vs_torch_cuda"]),
        );
        if let Some(b) = r["cairn_gpu_device_bytes"].as_u64() {
            println!("{:<26} GPU memory: {:.1} MB", "", b as f64 / 1e6);
        }
    }
    println!("(one epoch, best after a warm-up epoch; ratio = PyTorch time / Cairn time, above 1 = Cairn faster)");
    Ok(())
}
