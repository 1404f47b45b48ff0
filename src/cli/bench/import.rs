//! `cairn bench import`: a generated CSV (mixed numbers, categories, dates, missing cells) is
//! imported and profiled by `cairn inspect` in a child process and, in the same run, by pandas
//! `read_csv` + `describe` (benches/pandas_import.py); times and peak memory side by side.

// `unsafe` here: `getrusage`/libc calls to read a child's peak memory.
#![allow(unsafe_code)]

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const PANDAS_SCRIPT: &str = include_str!("../../../benches/pandas_import.py");

/// Writes `rows` rows × 20 columns: 12 numbers (3 % missing), 5 categories (2 % missing), a
/// count, a date and a numeric target. Seeded, so every run reads the same bytes.
pub fn generate_csv(path: &Path, rows: usize) -> Result<()> {
    let mut out =
        BufWriter::new(std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?);
    let cats: [&[&str]; 5] = [
        &["red", "green", "blue", "yellow"],
        &["north", "south", "east", "west", "centre"],
        &["a", "b", "c", "d", "e", "f", "g", "h"],
        &["yes", "no"],
        &["small", "medium", "large"],
    ];
    let header: Vec<String> = (0..12)
        .map(|i| format!("x{i}"))
        .chain((0..5).map(|i| format!("c{i}")))
        .chain(["count", "when", "target"].map(String::from))
        .collect();
    writeln!(out, "{}", header.join(","))?;
    let mut rng = cairn::util::Rng::new(7);
    let mut line = String::with_capacity(256);
    for _ in 0..rows {
        line.clear();
        for i in 0..12 {
            if uniform(&mut rng) >= 0.03 {
                let scale = 10f64.powi(i % 4);
                line.push_str(&format!("{:.4}", (uniform(&mut rng) - 0.5) * 20.0 * scale));
            }
            line.push(',');
        }
        for c in cats {
            if uniform(&mut rng) >= 0.02 {
                line.push_str(c[(uniform(&mut rng) * c.len() as f64) as usize % c.len()]);
            }
            line.push(',');
        }
        let month = 1 + (uniform(&mut rng) * 12.0) as u32 % 12;
        let day = 1 + (uniform(&mut rng) * 28.0) as u32 % 28;
        line.push_str(&format!(
            "{},2024-{month:02}-{day:02},{:.3}\n",
            (uniform(&mut rng) * 500.0) as u32,
            uniform(&mut rng) * 100.0
        ));
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

fn uniform(rng: &mut cairn::util::Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Peak resident memory (MB) of the largest child process waited for so far.
fn children_peak_mb() -> f64 {
    // SAFETY: `rusage` is plain integers, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` that outlives the call.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

/// The middle value (the upper one of an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn bench_import(rows: usize, python: &str, rounds: usize, as_json: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("bench_import.csv");
    eprintln!("Writing {rows} rows × 20 columns …");
    generate_csv(&file, rows)?;
    let file_mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
    let script = dir.path().join("pandas_import.py");
    std::fs::write(&script, PANDAS_SCRIPT)?;

    // Rounds of Cairn then pandas, back to back (this machine's speed drifts between runs, so
    // each side gets the same conditions and the medians are compared).
    let exe = std::env::current_exe()?;
    let (mut cairn_runs, mut pandas_runs) = (Vec::new(), Vec::new());
    let (mut cairn_peak, mut pandas) = (0.0, None::<Value>);
    for round in 0..rounds.max(1) {
        // Cairn: `cairn inspect --json` (import + profile + warnings) as its own process.
        let started = Instant::now();
        let status = Command::new(&exe)
            .args(["inspect", &file.display().to_string(), "--json"])
            .stdout(Stdio::null())
            .status()
            .context("running cairn inspect")?;
        cairn_runs.push(started.elapsed().as_secs_f64());
        if !status.success() {
            bail!("cairn inspect failed ({status})");
        }
        if round == 0 {
            // The largest child so far: read before pandas runs.
            cairn_peak = children_peak_mb();
        }
        // pandas, in the same round (not again once it could not run).
        if round > 0 && pandas_runs.is_empty() {
            continue;
        }
        let run = run_pandas(python, &script, &file);
        let Some(run) = run else { continue };
        pandas_runs.push(
            run["read_seconds"].as_f64().unwrap_or(f64::NAN) + run["describe_seconds"].as_f64().unwrap_or(f64::NAN),
        );
        pandas = Some(run);
    }
    let cairn_seconds = median(cairn_runs.clone());
    // The stages, in this process (for the breakdown).
    let t = Instant::now();
    let ds = cairn::data::read_path(&file)?;
    let read_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let profile = cairn::data::profile(&ds);
    let profile_seconds = t.elapsed().as_secs_f64();
    drop(ds);

    let pandas_seconds = (!pandas_runs.is_empty()).then(|| median(pandas_runs.clone()));
    let pandas_peak = pandas.as_ref().and_then(|p| p["peak_rss_mb"].as_f64());
    let result = json!({
        "rows": rows,
        "columns": profile.columns,
        "file_mb": file_mb,
        "rounds": cairn_runs.len(),
        "cairn": {
            "seconds": cairn_seconds,
            "runs": cairn_runs,
            "read_seconds": read_seconds,
            "profile_seconds": profile_seconds,
            "peak_rss_mb": cairn_peak,
            "peak_over_file": cairn_peak / file_mb,
        },
        "pandas": pandas,
        "pandas_runs": pandas_runs,
        "speedup_vs_pandas": pandas_seconds.map(|p| p / cairn_seconds),
        "memory_vs_pandas": pandas_peak.map(|p| cairn_peak / p),
    });
    if as_json {
        println!("{result}");
        return Ok(());
    }
    print_import(&result, &cairn_runs, &pandas_runs);
    Ok(())
}

/// One pandas round: its JSON line, or None (said on stderr) when it could not run.
fn run_pandas(python: &str, script: &Path, file: &Path) -> Option<Value> {
    match Command::new(python).arg(script).arg(file).output() {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).ok(),
        Ok(o) => {
            eprintln!("pandas comparison skipped: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""));
            None
        }
        Err(e) => {
            eprintln!("pandas comparison skipped: cannot run {python}: {e}");
            None
        }
    }
}

/// The table `cairn bench import` prints (the same figures as its JSON).
fn print_import(result: &Value, cairn_runs: &[f64], pandas_runs: &[f64]) {
    let rows = &result["rows"];
    let file_mb = result["file_mb"].as_f64().unwrap_or(f64::NAN);
    let c = &result["cairn"];
    let (cairn_seconds, cairn_peak) =
        (c["seconds"].as_f64().unwrap_or(f64::NAN), c["peak_rss_mb"].as_f64().unwrap_or(f64::NAN));
    let (read_seconds, profile_seconds) =
        (c["read_seconds"].as_f64().unwrap_or(f64::NAN), c["profile_seconds"].as_f64().unwrap_or(f64::NAN));
    let pandas_seconds = (!pandas_runs.is_empty()).then(|| median(pandas_runs.to_vec()));
    let pandas_peak = result["pandas"]["peak_rss_mb"].as_f64();
    let columns = &result["columns"];
    println!(
        "Import + profile of {rows} rows × {} columns ({file_mb:.0} MB CSV), median of {} rounds",
        columns,
        cairn_runs.len()
    );
    let spread = |v: &[f64]| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        format!("{lo:.2}–{hi:.2} s")
    };
    println!("{:<34} {:>10} {:>14}", "", "seconds", "peak memory");
    println!(
        "{:<34} {:>10.2} {:>11.0} MB   ({}; read {read_seconds:.2} s + profile {profile_seconds:.2} s in-process)",
        "cairn inspect (whole process)",
        cairn_seconds,
        cairn_peak,
        spread(cairn_runs)
    );
    if let (Some(s), Some(m)) = (pandas_seconds, pandas_peak) {
        println!(
            "{:<34} {:>10.2} {:>11.0} MB   ({}; read_csv + describe, import of pandas not counted)",
            "pandas",
            s,
            m,
            spread(pandas_runs)
        );
        println!(
            "Cairn is {:.2}× pandas' speed; peak memory {:.2}× the file size (pandas {:.2}×).",
            s / cairn_seconds,
            cairn_peak / file_mb,
            m / file_mb
        );
    }
}

/// Prints `cairn bench frames`' result (measured by the app's `frames` module).
pub fn print_frame_times(result: &Value, as_json: bool) {
    let (rows_loaded, import_seconds) = (&result["rows"], result["import_seconds"].as_f64().unwrap_or(f64::NAN));
    if as_json {
        println!("{result}");
        return;
    }
    println!("UI frame time (egui pass + tessellation), {rows_loaded} rows imported in {import_seconds:.2} s");
    println!("{:<28} {:>7} {:>10} {:>10} {:>10}", "", "frames", "median ms", "p95 ms", "max ms");
    for key in [
        "idle",
        "during_import",
        "scrolling_loaded_table",
        "explore_computing",
        "explore_charts_shown",
        "explore_brushing",
    ] {
        let s = &result[key];
        println!(
            "{:<28} {:>7} {:>10.2} {:>10.2} {:>10.2}",
            key.replace('_', " "),
            s["frames"],
            s["median_ms"].as_f64().unwrap_or(f64::NAN),
            s["p95_ms"].as_f64().unwrap_or(f64::NAN),
            s["max_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!("Explore, seconds until each chart was shown: {}", result["explore_chart_seconds"]);
}
