//! `cairn bench images`: pictures embedded per second by the image encoder on the CPU path
//! (Cairn's kernels, batches of up to 8 pictures per core) against onnxruntime running the same
//! encoder as ONNX (exported by Cairn, batches of 8, as many threads) on the same pictures in the
//! same run, and — when a hardware GPU is present — Cairn's wgpu path. Best of `repeat` timed
//! runs after a warm-up, the two alternating round by round.

use anyhow::{Context, Result, bail};
use cairn::gpu::DeviceChoice;
use cairn::media::{self, EngineEncoder, picture};
use serde_json::{Value, json};
use std::time::Instant;

const ORT_SCRIPT: &str = include_str!("../../../benches/onnxruntime_images.py");

/// scikit-image's Chelsea the cat and coffee cup (CC0), as the encoder's 224×224 input.
const PHOTOS: [(&str, &[u8]); 2] = [
    ("chelsea_224.png", include_bytes!("../../../tests/fixtures/encoder/chelsea_224.png")),
    ("coffee_224.png", include_bytes!("../../../tests/fixtures/encoder/coffee_224.png")),
];

/// One timed run of onnxruntime (after its warm-up) in a fresh Python process.
fn onnxruntime(python: &str, script: &std::path::Path, request: &Value) -> Result<Value> {
    let out = super::run_python(python, script, request, false, "onnxruntime pillow numpy")?;
    if !out.status.success() {
        bail!(
            "onnxruntime failed (pip install onnxruntime pillow numpy): {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Pictures per timed run.
const COUNT: usize = 32;

fn best_of(repeat: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?; // warm-up
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

pub fn bench_images(python: &str, repeat: usize, json_out: bool) -> Result<()> {
    let encoder = media::shipped()?;
    let dir = tempfile::tempdir()?;
    // The two real photos of the port check (already 224×224), repeated.
    let mut photos = Vec::new();
    for (name, bytes) in PHOTOS {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes)?;
        photos.push(path);
    }
    let inputs: Vec<Vec<f32>> = photos
        .iter()
        .map(|p| {
            let img = image::open(p).with_context(|| format!("cannot read {}", p.display()))?;
            Ok(picture::encoder_input(&img, encoder.size, encoder.mean, encoder.std))
        })
        .collect::<Result<_>>()?;
    let inputs: Vec<Vec<f32>> = (0..COUNT).map(|i| inputs[i % inputs.len()].clone()).collect();
    let threads = rayon::current_num_threads();

    let onnx = dir.path().join("encoder.onnx");
    std::fs::write(&onnx, cairn::serve::export::onnx::encoder_onnx(encoder))?;
    let script = dir.path().join("onnxruntime_images.py");
    std::fs::write(&script, ORT_SCRIPT)?;
    let request =
        json!({"onnx": onnx, "pictures": photos, "count": COUNT, "batch": 8, "threads": threads, "repeat": 1});

    // Rounds alternate between the two (one timed run each after a warm-up), so that a slower
    // spell of this shared machine falls on both rather than on whichever ran second.
    std::hint::black_box(encoder.features_many(&inputs)); // warm-up
    let (mut cpu, mut ort_seconds, mut ort) = (f64::INFINITY, f64::INFINITY, Value::Null);
    let mut cairn_features = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let mut all = std::hint::black_box(encoder.features_many(&inputs));
        cpu = cpu.min(t.elapsed().as_secs_f64());
        cairn_features = all.swap_remove(0); // the first picture, as embedded in a batch
        let answer = onnxruntime(python, &script, &request)?;
        ort_seconds = ort_seconds.min(answer["seconds"].as_f64().context("onnxruntime's answer")?);
        ort = answer;
    }
    let ort_first: Vec<f32> =
        ort["features"].as_array().context("features")?.iter().map(|v| v.as_f64().unwrap_or(f64::NAN) as f32).collect();
    let diff: f64 = cairn_features.iter().zip(&ort_first).map(|(a, b)| f64::from(a - b).powi(2)).sum();
    let norm: f64 = ort_first.iter().map(|b| f64::from(*b).powi(2)).sum();
    let agreement = (diff / norm.max(1e-30)).sqrt();

    // A hardware GPU, when there is one (a software rasteriser is slower than the CPU path).
    let gpu = match DeviceChoice::Auto.open()? {
        Some(engine) => {
            let name = engine.info().describe();
            let mut on_gpu = EngineEncoder::new(encoder, engine, 16)?;
            let secs = best_of(repeat, || {
                std::hint::black_box(on_gpu.features(&inputs)?);
                Ok(())
            })?;
            Some((name, secs))
        }
        None => None,
    };

    let per_second = |s: f64| COUNT as f64 / s;
    if json_out {
        let mut v = json!({
            "pictures": COUNT,
            "threads": threads,
            "cairn_cpu_per_second": per_second(cpu),
            "onnxruntime_per_second": per_second(ort_seconds),
            "ratio": ort_seconds / cpu,
            "onnxruntime_version": ort["version"],
            "features_relative_difference": agreement,
        });
        if let Some((name, s)) = &gpu {
            v["gpu"] = json!({"device": name, "per_second": per_second(*s)});
        }
        println!("{v}");
        return Ok(());
    }
    println!("Image encoder (EfficientNet-Lite0, 224×224), {COUNT} pictures, {threads} threads, best of {repeat}:");
    println!("  Cairn CPU path      {:>7.1} pictures/s", per_second(cpu));
    println!(
        "  onnxruntime {:<7} {:>7.1} pictures/s  (same ONNX graph, exported by Cairn)",
        ort["version"].as_str().unwrap_or(""),
        per_second(ort_seconds)
    );
    if let Some((name, s)) = &gpu {
        println!("  Cairn on {name}  {:>7.1} pictures/s", per_second(*s));
    }
    println!("Cairn / onnxruntime: {:.2}× (features agree to {agreement:.1e} relative)", ort_seconds / cpu);
    Ok(())
}
