//! Data larger than memory (`data::stream`): a generated CSV of several GB is profiled, trained
//! on and predicted with the real `cairn` processes, each one's peak memory read from
//! `/proc/PID/status` (VmHWM) while it runs, and required under 1 GB. The generator knows every
//! column's exact count, missing cells, mean and median, so the streamed profile and the
//! recipe's statistics are checked against the truth, not against another estimate.

use crate::common::{asset, cairn, cairn_exe, stderr, tempdir};
use rayon::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GB: f64 = 1e9;

/// SplitMix64 of a row and a column: the generator's only source of randomness.
fn hash(row: u64, col: u64) -> u64 {
    let mut z = row.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ col.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const NUMBERS: usize = 10;
const COLORS: [&str; 5] = ["red", "green", "blue", "amber", "violet"];

/// The exact statistics of what was written.
#[derive(Default, Clone)]
struct Truth {
    rows: usize,
    present: [u64; NUMBERS],
    sum: [f64; NUMBERS],
    /// How often each whole value 0..1000 of `x0` appears (for its exact median).
    x0_counts: Vec<u64>,
    colors: [u64; COLORS.len()],
}

impl Truth {
    fn merge(mut self, o: Truth) -> Truth {
        self.rows += o.rows;
        for j in 0..NUMBERS {
            self.present[j] += o.present[j];
            self.sum[j] += o.sum[j];
        }
        if self.x0_counts.is_empty() {
            self.x0_counts = vec![0; 1000];
        }
        for (a, b) in self.x0_counts.iter_mut().zip(&o.x0_counts) {
            *a += b;
        }
        for (a, b) in self.colors.iter_mut().zip(o.colors) {
            *a += b;
        }
        self
    }

    /// The exact median of `x0` (the mean of the two middle values when the count is even).
    fn x0_median(&self) -> f64 {
        let n = self.present[0];
        let at = |rank: u64| {
            let mut seen = 0;
            self.x0_counts.iter().position(|&c| {
                seen += c;
                seen > rank
            })
        };
        let (lo, hi) = (at((n - 1) / 2).unwrap(), at(n / 2).unwrap());
        (lo + hi) as f64 / 2.0
    }
}

/// Writes rows `rows` of the generated table: `x0` whole numbers 0–999, `x1`…`x9` decimals
/// (`x1`–`x3` with about 3 % missing), `color` (5 labels) and `y`, a noisy linear function of
/// them.
fn write_rows(rows: std::ops::Range<u64>, out: &mut Vec<u8>) -> Truth {
    let mut t = Truth { x0_counts: vec![0; 1000], ..Truth::default() };
    for r in rows {
        t.rows += 1;
        let mut y = 0.0;
        for j in 0..NUMBERS {
            let h = hash(r, j as u64);
            if (1..=3).contains(&j) && h % 100 < 3 {
                out.push(b',');
                continue;
            }
            let x = if j == 0 { (h >> 20) % 1000 } else { (h >> 20) % 200_000 } as f64;
            let x = if j == 0 { x } else { x / 1000.0 - 100.0 };
            if j == 0 {
                t.x0_counts[x as usize] += 1;
                write!(out, "{x}").unwrap();
            } else {
                write!(out, "{x:.3}").unwrap();
            }
            out.push(b',');
            t.present[j] += 1;
            t.sum[j] += x;
            y += x * [0.01, 2.0, -1.0, 0.5, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0][j];
        }
        let c = (hash(r, 99) % COLORS.len() as u64) as usize;
        t.colors[c] += 1;
        let noise = (hash(r, 100) % 10_000) as f64 / 1000.0 - 5.0;
        y += c as f64 * 10.0 + noise;
        writeln!(out, "{},{y:.3}", COLORS[c]).unwrap();
    }
    t
}

/// Writes `n` generated rows to `path`, several blocks at a time on all cores.
fn generate(path: &Path, n: u64, first_row: u64) -> Truth {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let names: Vec<String> = (0..NUMBERS).map(|j| format!("x{j}")).collect();
    writeln!(file, "{},color,y", names.join(",")).unwrap();
    const BLOCK: u64 = 200_000;
    let mut truth = Truth::default();
    let blocks: Vec<u64> = (0..n.div_ceil(BLOCK)).collect();
    for group in blocks.chunks(8) {
        let parts: Vec<(Vec<u8>, Truth)> = group
            .par_iter()
            .map(|&b| {
                let mut out = Vec::with_capacity(24 << 20);
                let rows = first_row + b * BLOCK..first_row + ((b + 1) * BLOCK).min(n);
                let t = write_rows(rows, &mut out);
                (out, t)
            })
            .collect();
        for (bytes, t) in parts {
            file.write_all(&bytes).unwrap();
            truth = truth.merge(t);
        }
    }
    file.flush().unwrap();
    truth
}

/// Runs `cairn ARGS`, reading its peak resident memory (VmHWM) from `/proc` every 20 ms while it
/// runs. Returns the output, the peak in bytes and the seconds taken.
fn cairn_measured(args: &[&str]) -> (std::process::Output, u64, f64) {
    let started = Instant::now();
    let mut child = Command::new(cairn_exe()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out_pipe, &mut b).unwrap();
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err_pipe, &mut b).unwrap();
        b
    });
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kb) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(kb * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output =
        std::process::Output { status, stdout: out_reader.join().unwrap(), stderr: err_reader.join().unwrap() };
    (output, peak, started.elapsed().as_secs_f64())
}

fn json_of(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "cairn failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// Counts the lines of a file without holding it.
fn count_lines(path: &Path) -> usize {
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 8 << 20];
    let mut n = 0;
    loop {
        let k = std::io::Read::read(&mut f, &mut buf).unwrap();
        if k == 0 {
            return n;
        }
        n += buf[..k].iter().filter(|&&b| b == b'\n').count();
    }
}

#[test]
fn a_file_of_several_gigabytes_is_profiled_trained_on_and_predicted_in_under_a_gigabyte() {
    let dir = tempdir();
    let rows: u64 = std::env::var("CAIRN_LARGE_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(36_000_000);
    let big = dir.path().join("big.csv");
    let started = Instant::now();
    let truth = generate(&big, rows, 0);
    let size = std::fs::metadata(&big).unwrap().len();
    eprintln!("generated {rows} rows, {:.2} GB, in {:.1} s", size as f64 / GB, started.elapsed().as_secs_f64());
    // Test rows from the same generator, further on.
    let test = dir.path().join("test.csv");
    generate(&test, 20_000, rows);
    const LIMIT: u64 = 1 << 30;

    // 1. Profile: streamed on its own because the table would take more than 1 % of the memory available.
    let (o, peak, secs) = cairn_measured(&["inspect", big.to_str().unwrap(), "--json", "--memory-share", "0.01"]);
    let p = json_of(&o);
    eprintln!("inspect: {secs:.1} s, peak {:.0} MB", peak as f64 / 1e6);
    assert!(peak < LIMIT, "inspect peaked at {peak} bytes");
    assert_eq!(p["rows"], rows as usize, "{p}");
    assert_eq!(p["streamed"]["rows"], rows as usize);
    let column =
        |name: &str| p["column_profiles"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    for j in 0..NUMBERS {
        let c = column(&format!("x{j}"));
        assert_eq!(c["missing"], truth.rows as u64 - truth.present[j], "x{j}: {c}");
        let mean = truth.sum[j] / truth.present[j] as f64;
        let got = c["mean"].as_f64().unwrap();
        assert!((got - mean).abs() <= 1e-9 * mean.abs().max(1.0), "x{j}: mean {got} against {mean}");
    }
    let color = column("color");
    let red = color["top_values"].as_array().unwrap().iter().find(|v| v[0] == "red").unwrap()[1].as_u64().unwrap();
    assert_eq!(red, truth.colors[0], "{color}");
    assert_eq!(column("x0")["distinct"], 1000);

    // 2. Train on a sample; the recipe's statistics come from every row of the file.
    let bundle = dir.path().join("big.cairn");
    let (o, peak, secs) = cairn_measured(&[
        "train",
        big.to_str().unwrap(),
        "--target",
        "y",
        "--model",
        "linear",
        "--out-of-core",
        "--test",
        test.to_str().unwrap(),
        "--out",
        bundle.to_str().unwrap(),
        "--json",
    ]);
    let t = json_of(&o);
    eprintln!("train: {secs:.1} s, peak {:.0} MB; {}", peak as f64 / 1e6, t["out_of_core"]);
    assert!(peak < LIMIT, "train peaked at {peak} bytes");
    let ooc = &t["out_of_core"];
    assert_eq!(ooc["rows"], rows as usize);
    assert_eq!(ooc["training_rows"], rows as usize, "a test file was given: every row trains");
    assert_eq!(ooc["sample_rows"], 200_000);
    assert_eq!(t["train_rows"], 200_000);
    assert_eq!(t["test_rows"], 20_000);
    assert!(ooc["peak_memory_bytes"].as_u64().unwrap() < LIMIT);
    // The noise is uniform on ±5 around a linear function: R² is high when the model is right.
    let r2 = t["metrics"]["r2"].as_f64().unwrap();
    assert!(r2 > 0.99, "R² {r2}");
    let (pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    let fitted = |name: &str| {
        pipeline
            .fitted_recipe
            .steps
            .iter()
            .find_map(|s| match s {
                cairn::features::FittedStep::ImputeScale { column, median, mean, std, .. } if column == name => {
                    Some((*median, *mean, *std))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no scaling step for {name}"))
    };
    // x0 has no missing cells: its scaling mean is the exact mean of all rows, its median the
    // sketch's (within 0.1 %, plus half a step of the whole numbers).
    let (median, mean, _) = fitted("x0");
    let exact_mean = truth.sum[0] / truth.rows as f64;
    assert!((mean - exact_mean).abs() < 1e-9 * exact_mean, "x0 mean {mean} against {exact_mean}");
    let exact_median = truth.x0_median();
    assert!((median - exact_median).abs() <= 0.001 * exact_median + 0.5, "x0 median {median} against {exact_median}");
    // x1 has missing cells, filled with the median before scaling: the mean of the filled column.
    let (median1, mean1, _) = fitted("x1");
    let missing1 = (truth.rows as u64 - truth.present[1]) as f64;
    let filled_mean = (truth.sum[1] + missing1 * median1) / truth.rows as f64;
    assert!((mean1 - filled_mean).abs() < 1e-9 * filled_mean.abs().max(1.0), "x1 mean {mean1} against {filled_mean}");

    // 3. Predict every row in a stream.
    let preds = dir.path().join("preds.csv");
    let (o, peak, secs) =
        cairn_measured(&["predict", bundle.to_str().unwrap(), big.to_str().unwrap(), "-o", preds.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    eprintln!("predict: {secs:.1} s, peak {:.0} MB", peak as f64 / 1e6);
    assert!(peak < LIMIT, "predict peaked at {peak} bytes");
    assert_eq!(count_lines(&preds), rows as usize + 1);
}

/// The held-out rows of a streamed file: on California housing, a model trained on a 5 000-row
/// sample with the recipe fitted on every training row scores close to the one trained on all
/// of them, and the counts add up.
#[test]
fn a_streamed_file_holds_test_rows_out_and_scores_close_to_the_whole_table() {
    let data = asset("california_housing.csv");
    let whole =
        cairn(&["train", data.to_str().unwrap(), "--target", "median_house_value", "--model", "linear", "--json"]);
    let whole = json_of(&whole);
    let o = cairn(&[
        "train",
        data.to_str().unwrap(),
        "--target",
        "median_house_value",
        "--model",
        "linear",
        "--out-of-core",
        "--sample-rows",
        "5000",
        "--json",
    ]);
    let s = json_of(&o);
    let ooc = &s["out_of_core"];
    assert_eq!(ooc["rows"], 20_640);
    assert_eq!(ooc["training_rows"].as_u64().unwrap() + ooc["test_rows"].as_u64().unwrap(), 20_640);
    let held = ooc["test_rows"].as_f64().unwrap() / 20_640.0;
    assert!((held - 0.2).abs() < 0.02, "held out {held}");
    assert_eq!(s["train_rows"], 5000);
    assert_eq!(ooc["test_sample_rows"], 1250);
    let (a, b) = (whole["metrics"]["r2"].as_f64().unwrap(), s["metrics"]["r2"].as_f64().unwrap());
    assert!(b > a - 0.03, "streamed R² {b} against the whole table's {a}");
    assert!(stderr(&o).contains("streamed 20640 rows"), "{}", stderr(&o));

    // Files that cannot be streamed, and bad settings, are one clean error line.
    let dir = tempdir();
    let o = cairn(&["inspect", dir.path().to_str().unwrap(), "--out-of-core"]);
    crate::common::assert_clean_failure(&o, "streams delimited text files");
    let o = cairn(&["inspect", data.to_str().unwrap(), "--memory-share", "0"]);
    crate::common::assert_clean_failure(&o, "--memory-share");
}

/// The app streams a file it is told is too large (here: any file, by the memory share), says
/// so on the Data panel, resamples at the size asked for, and scores the model on the
/// held-out sample.
#[test]
fn the_app_streams_a_large_file_and_trains_on_the_sample_it_shows() {
    use cairn::app::{AppOptions, Command, FixedPicker};
    use egui_kittest::kittest::Queryable;
    let dir = tempdir();
    let picker = FixedPicker { open: Some(asset("california_housing.csv")), save: None };
    let options = AppOptions { memory_share: 1e-9, ..crate::gui::options(picker, dir.path()) };
    let mut h = crate::gui::harness_of(options, egui::vec2(1280.0, 900.0), false);
    crate::gui::open_file_and_pick_target(&mut h, "median_house_value");
    let streamed = h.state().state.streamed.as_ref().expect("the file was streamed");
    assert_eq!(streamed.summary.rows, 20_640);
    assert_eq!(h.state().state.profile.as_ref().unwrap().rows, 20_640);
    h.get_by_label("1  Data").click();
    h.step();
    h.get_by_label("Large file: streamed, with a sample to train on");
    h.get_by_label_contains("streamed 20640 rows");

    h.state_mut().send(Command::Resample(4000));
    h.step();
    crate::gui::wait_until(&mut h, "the resample", |a| {
        a.state.streamed.as_ref().is_some_and(|s| s.summary.sample_rows == 4000) && a.state.loading.is_none()
    });
    let test_rows = h.state().state.streamed.as_ref().unwrap().summary.test_sample_rows;
    assert_eq!(h.state().state.dataset.as_ref().unwrap().n_rows(), 4000);
    crate::gui::pick_target(&mut h, "median_house_value");
    crate::gui::train_and_wait(&mut h);
    let info = &h.state().state.outcome.as_ref().unwrap().pipeline.info;
    assert_eq!((info.train_rows, info.test_rows), (4000, test_rows));
}
