//! Robustness sweep: every messy table of `sweep_cases.rs` (ID and name columns, dates in three
//! formats, numbers and money as text, booleans as words, missing cells and targets, odd classes
//! and headers, tiny and wide tables, text, duplicates) goes through the real
//! `cairn train FILE --target T --model all --json`, each under a time bound. No run may panic or
//! hang; a refusal is one clear `error:` line; every model the task supports trains (a finite
//! test score) or is listed as skipped with its reason; and the best model's test score is at
//! least scikit-learn's plain pipeline (median + scale, most-frequent + one-hot; linear model or
//! random forest, the better; the same seed-42 80/20 split, which Cairn draws row for row as
//! scikit-learn does) − [`MARGIN`], and at least the case's floor where one is stated. The best
//! model is saved and predicts the same file back, and `cairn inspect` profiles it. One summary
//! line per case is printed (`--nocapture`) so the figures can be quoted.

use crate::common::{CLASSIFICATION_MODELS, REGRESSION_MODELS, cairn_exe, tempdir};
use crate::sweep_cases::all_cases;
use crate::sweep_tables::{Case, Flavour, Kind, Refusal};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run longer than this is a hang (every case takes well under a second here).
const CASE_LIMIT: Duration = Duration::from_secs(60);
/// Cairn's best test score may trail scikit-learn's plain pipeline by at most this much.
const MARGIN: f64 = 0.05;

/// What one `cairn train … --model all --json` process did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    seconds: f64,
}

/// Runs the real binary with its output in files (a full pipe cannot stall it), killed after
/// [`CASE_LIMIT`]; `None` is a hang.
fn run_bounded(dir: &Path, name: &str, args: &[&str]) -> Option<Run> {
    let out = dir.join(format!("{name}.stdout"));
    let err = dir.join(format!("{name}.stderr"));
    let started = Instant::now();
    let mut child = Command::new(cairn_exe())
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("run cairn");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CASE_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    Some(Run { code: status.code(), stdout: read(&out), stderr: read(&err), seconds: started.elapsed().as_secs_f64() })
}

/// A refusal's one `error:` line, or what is wrong with it (several, none, not last, a Rust
/// debug dump rather than words).
fn clean_error(stderr: &str) -> Result<String, String> {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let [line] = errors[..] else { return Err(format!("{} error lines: {stderr}", errors.len())) };
    if line != last || !line.starts_with("error: ") {
        return Err(format!("the error is not one last 'error: ' line: {stderr}"));
    }
    let junk = ["unwrap", "Os {", "Some(", "NaN", "\\u{", "kind: ", "Error {"];
    if let Some(j) = junk.iter().find(|j| line.contains(*j)) {
        return Err(format!("the error reads like a debug dump ({j:?}): {line}"));
    }
    if line.len() > 400 {
        return Err(format!("the error is {} characters long: {line}", line.len()));
    }
    Ok(line.to_string())
}

/// What a case showed: the best model and score, or the refusal.
enum Outcome {
    Trained { best: String, score: f64, skipped: Vec<String> },
    Refused(String),
}

/// Checks one run against the contract; `Err` lists what broke.
fn check(case: &Case, run: &Run) -> Result<Outcome, String> {
    if run.code == Some(101) || run.stderr.contains("panicked") {
        return Err(format!("panicked (exit {:?}): {}", run.code, run.stderr));
    }
    if run.code != Some(0) {
        let line = clean_error(&run.stderr)?;
        return match case.refusal {
            Refusal::Never => Err(format!("refused a table it should learn from: {line}")),
            Refusal::Expected(words) if !line.contains(words) => {
                Err(format!("the refusal does not say {words:?}: {line}"))
            }
            _ => Ok(Outcome::Refused(line)),
        };
    }
    if let Refusal::Expected(words) = case.refusal {
        return Err(format!("trained a table with nothing to learn (expected an error saying {words:?})"));
    }
    let v: Value = serde_json::from_str(run.stdout.trim())
        .map_err(|e| format!("stdout is not one JSON object ({e}): {}", run.stdout))?;
    if v["task"] != case.kind.name() {
        return Err(format!("task {} instead of {}", v["task"], case.kind.name()));
    }
    let (metric, expected) = match case.kind {
        Kind::Regression => ("r2", REGRESSION_MODELS),
        Kind::Classification => ("accuracy", CLASSIFICATION_MODELS),
    };
    let mut problems = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let board = v["leaderboard"].as_array().cloned().unwrap_or_default();
    for row in &board {
        let model = row["model"].as_str().unwrap_or("?").to_string();
        if !row["metrics"][metric].as_f64().is_some_and(f64::is_finite) {
            problems.push(format!("{model}: test {metric} is {}", row["metrics"][metric]));
        }
        seen.insert(model);
    }
    let mut skipped = Vec::new();
    for row in v["skipped"].as_array().cloned().unwrap_or_default() {
        let model = row["model"].as_str().unwrap_or("?").to_string();
        let reason = row["reason"].as_str().unwrap_or("");
        if reason.trim().is_empty() {
            problems.push(format!("{model}: skipped with no reason"));
        }
        skipped.push(format!("{model} ({reason})"));
        seen.insert(model);
    }
    for m in expected.iter().filter(|m| !seen.contains(**m)) {
        problems.push(format!("{m}: neither trained nor skipped"));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let best = &board[0];
    Ok(Outcome::Trained {
        best: best["model"].as_str().unwrap_or("?").into(),
        score: best["metrics"][metric].as_f64().unwrap_or(f64::NAN),
        skipped,
    })
}

/// scikit-learn's plain pipeline on each compared file: `name -> (linear, forest)` test scores
/// (R² or accuracy). A class with one row cannot be stratified by scikit-learn; such a split
/// falls back to a plain one and says so.
fn sklearn_scores(dir: &Path, cases: &[(&Case, PathBuf)]) -> HashMap<String, (f64, f64, String)> {
    const SCRIPT: &str = r#"
import json, sys, warnings
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
warnings.filterwarnings("ignore")
for c in json.load(open(sys.argv[1])):
    d = pd.read_csv(c["file"], sep=c["sep"], decimal=c["decimal"], thousands=c["thousands"]).dropna(subset=[c["target"]])
    y = d.pop(c["target"])
    cls = c["task"] == "classification"
    if cls:
        y = y.astype(str)
    elif not pd.api.types.is_numeric_dtype(y):
        # A money target ('$1,234'): the plain pipeline needs numbers to regress on.
        y = pd.to_numeric(y.str.replace(r"[^0-9.\-]", "", regex=True))
    num = [k for k in d.columns if pd.api.types.is_numeric_dtype(d[k]) and not pd.api.types.is_bool_dtype(d[k])]
    cat = [k for k in d.columns if k not in num]
    for k in cat:
        d[k] = d[k].map(lambda v: v if pd.isna(v) else str(v))
    note = ""
    try:
        tr, te, ytr, yte = train_test_split(d, y, test_size=0.2, random_state=42, stratify=y if cls else None)
    except ValueError:
        tr, te, ytr, yte = train_test_split(d, y, test_size=0.2, random_state=42)
        note = "; scikit-learn cannot stratify: plain split"
    def pipe(model):
        ct = make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                           OneHotEncoder(handle_unknown="ignore")), cat),
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num))
        return make_pipeline(ct, model).fit(tr, ytr).score(te, yte)
    if cls:
        s = (pipe(LogisticRegression(max_iter=1000)), pipe(RandomForestClassifier(random_state=0)))
    else:
        s = (pipe(LinearRegression()), pipe(RandomForestRegressor(random_state=0)))
    print(json.dumps({"name": c["name"], "linear": s[0], "forest": s[1], "note": note}))
"#;
    let spec: Vec<Value> = cases
        .iter()
        .map(|(c, file)| {
            // A European file is read as pandas is told to read one (its dates then read as
            // numbers, 31.03.2021 -> 31032021: the target does not depend on them).
            let (sep, decimal, thousands) =
                if c.flavour == Flavour::Semicolon { (";", ",", Some(".")) } else { (",", ".", None) };
            serde_json::json!({"name": c.name, "file": file, "target": c.target, "task": c.kind.name(), "sep": sep, "decimal": decimal, "thousands": thousands})
        })
        .collect();
    let spec_file = dir.join("sklearn_cases.json");
    std::fs::write(&spec_file, serde_json::to_string(&spec).unwrap()).unwrap();
    let o = Command::new("python3").args(["-c", SCRIPT, spec_file.to_str().unwrap()]).output();
    let o = o.expect("python3 is this test's reference (bash .ci/system-packages --test installs it)");
    assert!(
        o.status.success(),
        "pandas + scikit-learn are this test's reference (bash .ci/system-packages --test installs them): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let score = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            let note = v["note"].as_str().unwrap_or("").to_string();
            (v["name"].as_str().unwrap().to_string(), (score("linear"), score("forest"), note))
        })
        .collect()
}

/// Where the tables go: a temporary folder, or `CAIRN_SWEEP_DIR` to keep them for a look.
fn table_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("CAIRN_SWEEP_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            (None, PathBuf::from(d))
        }
        None => {
            let t = tempdir();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

/// `cairn predict` with the saved best model on the same messy file: every row gets a
/// prediction (the file is read the same way at prediction time as at training time).
fn check_predict(dir: &Path, case: &Case, file: &Path) -> Result<(), String> {
    let bundle = dir.join(format!("{}.cairn", case.name));
    let out = dir.join(format!("{}.predicted.csv", case.name));
    let args = ["predict", bundle.to_str().unwrap(), file.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let run = run_bounded(dir, &format!("{}.predict", case.name), &args)
        .ok_or_else(|| format!("predict: no answer in {CASE_LIMIT:?} (a hang)"))?;
    if run.code == Some(101) || run.stderr.contains("panicked") {
        return Err(format!("predict panicked: {}", run.stderr));
    }
    if run.code != Some(0) {
        return Err(format!("predict failed on the file it was trained on: {}", clean_error(&run.stderr)?));
    }
    let predicted = cairn::data::read_csv_path(&out).map_err(|e| format!("predict wrote an unreadable file: {e}"))?;
    let column = predicted.column("prediction").ok_or("predict wrote no 'prediction' column")?;
    if predicted.n_rows() != case.table.rows.len() || column.missing() > 0 {
        return Err(format!(
            "predict gave {} rows ({} without a prediction) for {}",
            predicted.n_rows(),
            column.missing(),
            case.table.rows.len()
        ));
    }
    Ok(())
}

/// Runs one case; returns its summary line and what failed.
fn sweep_one(dir: &Path, case: &Case, file: &Path, reference: Option<&(f64, f64, String)>) -> (String, Vec<String>) {
    let bundle = dir.join(format!("{}.cairn", case.name));
    let args = [
        "train",
        file.to_str().unwrap(),
        "--target",
        &case.target,
        "--model",
        "all",
        "--json",
        "--out",
        bundle.to_str().unwrap(),
    ];
    let Some(run) = run_bounded(dir, case.name, &args) else {
        return (format!("HANG (killed after {CASE_LIMIT:?})"), vec![format!("no answer in {CASE_LIMIT:?} (a hang)")]);
    };
    let mut failures = Vec::new();
    let mut line = match check(case, &run) {
        Ok(Outcome::Refused(error)) => format!("refused cleanly: {error}"),
        Ok(Outcome::Trained { best, score, skipped }) => {
            let mut line = format!("{} best {best} {score:.4}", case.kind.name());
            if let Some((linear, forest, note)) = reference {
                let theirs = linear.max(*forest);
                line += &format!(" | scikit-learn {theirs:.4} (linear {linear:.4}, forest {forest:.4}{note})");
                if score.is_nan() || score < theirs - MARGIN {
                    failures.push(format!("best {best} {score:.4} < scikit-learn {theirs:.4} − {MARGIN}"));
                }
            }
            if let Some(floor) = case.floor.filter(|f| score.is_nan() || score < *f) {
                failures
                    .push(format!("best {best} {score:.4} < {floor}: the messy column was not read for what it is"));
            }
            if let Err(problem) = check_predict(dir, case, file) {
                failures.push(problem);
                line += " | PREDICT FAILED";
            }
            if !skipped.is_empty() {
                line += &format!(" | skipped: {}", skipped.join(", "));
            }
            line
        }
        Err(problem) => {
            let first = problem.lines().next().unwrap_or("").to_string();
            failures.push(problem);
            format!("FAILED: {first}")
        }
    };
    if let Err(problem) = check_inspect(dir, case, file) {
        failures.push(problem);
        line += " | INSPECT FAILED";
    }
    line = format!("{:>5.1}s  {line}", run.seconds);
    (line, failures)
}

/// `cairn inspect --json` (the profile and the warnings) on the file: one JSON object.
fn check_inspect(dir: &Path, case: &Case, file: &Path) -> Result<(), String> {
    let args = ["inspect", file.to_str().unwrap(), "--json"];
    let run = run_bounded(dir, &format!("{}.inspect", case.name), &args)
        .ok_or_else(|| format!("inspect: no answer in {CASE_LIMIT:?} (a hang)"))?;
    if run.code != Some(0) || run.stderr.contains("panicked") {
        return Err(format!("inspect failed (exit {:?}): {}", run.code, run.stderr));
    }
    serde_json::from_str::<Value>(run.stdout.trim()).map_err(|e| format!("inspect printed no JSON ({e})"))?;
    Ok(())
}

/// Successful `train` runs whose stderr still holds lines starting with "error" (not a failure
/// here, but worth a line in the summary).
fn stray_error_lines(dir: &Path, cases: &[(&Case, PathBuf)]) -> Vec<String> {
    let mut lines: Vec<String> = cases
        .iter()
        .filter_map(|(c, _)| std::fs::read_to_string(dir.join(format!("{}.stderr", c.name))).ok())
        .filter(|err| !err.lines().last().is_some_and(|l| l.starts_with("error")))
        .flat_map(|err| err.lines().filter(|l| l.starts_with("error")).map(str::to_string).collect::<Vec<_>>())
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

#[test]
fn messy_tables_never_panic_or_hang_and_reach_scikit_learn() {
    let cases = all_cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let (_keep, dir) = table_dir();
    let files: Vec<(&Case, PathBuf)> = cases
        .iter()
        .map(|c| {
            let file = dir.join(format!("{}.csv", c.name));
            std::fs::write(&file, c.text()).unwrap();
            (c, file)
        })
        .collect();
    let compared: Vec<(&Case, PathBuf)> = files.iter().filter(|(c, _)| c.compare).cloned().collect();
    let reference = sklearn_scores(&dir, &compared);
    assert_eq!(reference.len(), compared.len(), "scikit-learn scored every compared case: {reference:?}");
    let mut failures = Vec::new();
    let started = Instant::now();
    for (case, file) in &files {
        let (line, failed) = sweep_one(&dir, case, file, reference.get(case.name));
        let shape = format!("{}×{}", case.table.rows.len(), case.table.header.len());
        eprintln!("sweep {:<20} {shape:>7} {line}  [{}]", case.name, case.what);
        failures.extend(failed.into_iter().map(|f| format!("{}: {f}", case.name)));
    }
    eprintln!("sweep: {} cases in {:.1}s", files.len(), started.elapsed().as_secs_f64());
    for stray in stray_error_lines(&dir, &files) {
        eprintln!("sweep: note: successful runs printed {stray:?} on stderr");
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}
