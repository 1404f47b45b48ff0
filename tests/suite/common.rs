//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name)
}

pub fn cairn_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cairn"))
}

/// Runs the real `cairn` binary.
pub fn cairn(args: &[&str]) -> Output {
    Command::new(cairn_exe()).args(args).output().expect("run cairn")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts a clean failure: non-zero exit, a one-line `error:` naming `needle`, and no panic.
pub fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure, got success; stderr: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(err.contains("error"), "no error line: {err}");
    assert!(err.contains(needle), "error does not mention {needle:?}: {err}");
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Trains `dataset` (a shipped asset) for `target` with the real binary and writes the bundle
/// `name` into `dir`; returns its path.
pub fn train_bundle(dir: &Path, dataset: &str, target: &str, name: &str) -> PathBuf {
    train_bundle_with(dir, dataset, target, name, &[])
}

/// [`train_bundle`] with more `cairn train` arguments (a model, its settings).
pub fn train_bundle_with(dir: &Path, dataset: &str, target: &str, name: &str, extra: &[&str]) -> PathBuf {
    let bundle = dir.join(name);
    let data = asset(dataset);
    let mut args = vec!["train", data.to_str().unwrap(), "--target", target, "--out", bundle.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = cairn(&args);
    assert!(o.status.success(), "training {dataset}: {}", stderr(&o));
    bundle
}

/// Runs the Python reference script `script` (a path in the repository) with `request` as JSON
/// on its standard input and returns its JSON answer. `module` is the package the reference
/// needs: without it the test fails and says so (it must not pass without its reference).
pub fn python_reference(script: &str, module: &str, request: &serde_json::Value) -> serde_json::Value {
    use std::io::Write;
    use std::process::Stdio;
    let has = Command::new("python3").args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success());
    assert!(
        has,
        "{module} is not installed: it is this test's reference (bash .ci/system-packages --test installs it, \
         or pip install {module})"
    );
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Every model that learns a number, in the order `--model all` tries them.
pub const REGRESSION_MODELS: &[&str] = &[
    "linear",
    "ridge",
    "lasso",
    "elastic_net",
    "tree",
    "random_forest",
    "gradient_boosting",
    "hist_gradient_boosting",
    "knn",
    "svm",
    "mlp",
    "ensemble",
];

/// Every model that learns classes.
pub const CLASSIFICATION_MODELS: &[&str] = &[
    "logistic",
    "naive_bayes",
    "knn",
    "svm",
    "tree",
    "random_forest",
    "gradient_boosting",
    "hist_gradient_boosting",
    "mlp",
    "ensemble",
];
