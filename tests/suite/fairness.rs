//! `cairn fairness`: per-group metrics and the gaps between groups, checked number for number
//! against fairlearn (`MetricFrame`, `demographic_parity_*`, `equalized_odds_difference`,
//! `equal_opportunity_difference`) on the same predictions (`cairn predict`'s output).

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir, train_bundle};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// fairlearn's numbers for (truth, prediction, group) read from DATA and PREDICTIONS.
const FAIRLEARN: &str = r#"
import sys, json
import numpy as np, pandas as pd
from fairlearn.metrics import (MetricFrame, selection_rate, true_positive_rate, false_positive_rate,
    demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference,
    equal_opportunity_difference)
from sklearn.metrics import accuracy_score, precision_score, mean_absolute_error, mean_squared_error
data, preds, target, group, positive = sys.argv[1:6]
d = pd.read_csv(data)
p = pd.read_csv(preds)
g = d[group].astype(object).where(d[group].notna(), "(missing)").astype(str)
keep = d[target].notna()
if positive:
    t = (d[target] == positive)[keep].astype(int)
    y = (p["prediction"] == positive)[keep].astype(int)
    g = g[keep]
    mf = MetricFrame(metrics={"accuracy": accuracy_score, "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate, "false_positive_rate": false_positive_rate,
        "precision": lambda a, b: precision_score(a, b, zero_division=0)},
        y_true=t, y_pred=y, sensitive_features=g)
    diffs = {"demographic_parity_difference": demographic_parity_difference(t, y, sensitive_features=g),
             "demographic_parity_ratio": demographic_parity_ratio(t, y, sensitive_features=g),
             "equalized_odds_difference": equalized_odds_difference(t, y, sensitive_features=g),
             "equal_opportunity_difference": equal_opportunity_difference(t, y, sensitive_features=g)}
else:
    t, y, g = d[target][keep], p["prediction"][keep], g[keep]
    mf = MetricFrame(metrics={"mae": mean_absolute_error,
        "rmse": lambda a, b: float(np.sqrt(mean_squared_error(a, b))),
        "mean_error": lambda a, b: float(np.mean(np.asarray(b) - np.asarray(a)))},
        y_true=t, y_pred=y, sensitive_features=g)
    gaps = mf.difference()
    diffs = {"mae_gap": gaps["mae"], "rmse_gap": gaps["rmse"], "mean_error_gap": gaps["mean_error"]}
groups = {str(k): {m: float(v) for m, v in row.items()} for k, row in mf.by_group.iterrows()}
print(json.dumps({"groups": groups, "differences": {k: float(v) for k, v in diffs.items()}}))
"#;

fn fairlearn(data: &Path, preds: &Path, target: &str, group: &str, positive: &str) -> Value {
    let has = Command::new("python3").args(["-c", "import fairlearn"]).status().is_ok_and(|s| s.success());
    assert!(
        has,
        "fairlearn is not installed: it is this test's reference (bash .ci/system-packages --test installs it, \
         or pip install fairlearn)"
    );
    let o = Command::new("python3")
        .args(["-c", FAIRLEARN])
        .args([data.to_str().unwrap(), preds.to_str().unwrap(), target, group, positive])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap()
}

/// Trains, predicts and compares `cairn fairness` with fairlearn on every group and measure.
fn compare(dataset: &str, target: &str, group: &str, positive: &str) -> Value {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), dataset, target, "model.cairn");
    compare_bundle(&bundle, &asset(dataset), target, group, positive)
}

/// `cairn fairness BUNDLE DATA` against fairlearn on `cairn predict BUNDLE DATA`'s predictions.
fn compare_bundle(bundle: &Path, data: &Path, target: &str, group: &str, positive: &str) -> Value {
    let dir = tempdir();
    let data = data.to_path_buf();
    let preds = dir.path().join("predictions.csv");
    let o = cairn(&["predict", bundle.to_str().unwrap(), data.to_str().unwrap(), "-o", preds.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut args = vec!["fairness", bundle.to_str().unwrap(), data.to_str().unwrap(), "--group", group, "--json"];
    if !positive.is_empty() {
        args.extend(["--positive", positive]);
    }
    let o = cairn(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let theirs = fairlearn(&data, &preds, target, group, positive);
    let groups = ours["groups"].as_array().unwrap();
    assert_eq!(groups.len(), theirs["groups"].as_object().unwrap().len(), "{ours}\n{theirs}");
    for g in groups {
        let name = g["group"].as_str().unwrap();
        for (metric, value) in g["metrics"].as_object().unwrap() {
            let want = theirs["groups"][name][metric].as_f64().unwrap_or_else(|| panic!("{name} {metric}: {theirs}"));
            assert!((value.as_f64().unwrap() - want).abs() < 1e-9, "{name} {metric}: cairn {value}, fairlearn {want}");
        }
    }
    for (measure, want) in theirs["differences"].as_object().unwrap() {
        let got = ours["differences"][measure].as_f64().unwrap_or_else(|| panic!("{measure} missing: {ours}"));
        assert!((got - want.as_f64().unwrap()).abs() < 1e-9, "{measure}: cairn {got}, fairlearn {want}");
    }
    ours
}

#[test]
fn classification_groups_match_fairlearn() {
    // Penguins' sex from body measurements, grouped by island (a column the model also uses)
    // and by year (one it does not).
    let ours = compare("penguins.csv", "sex", "island", "male");
    assert_eq!(ours["positive_class"], "male");
    assert_eq!(ours["rows"], 333, "rows without a known sex are left out");
    assert!(ours["reading"].as_str().unwrap().contains("'male'"), "{ours}");
    compare("penguins.csv", "sex", "year", "female");
}

#[test]
fn regression_groups_match_fairlearn() {
    let ours = compare("california_housing.csv", "median_house_value", "ocean_proximity", "");
    let island = ours["groups"].as_array().unwrap().iter().find(|g| g["group"] == "ISLAND").unwrap();
    assert_eq!(island["rows"], 5);
    assert!(ours["small_groups"].as_array().unwrap().contains(&Value::from("ISLAND")), "{ours}");
    assert!(ours["reading"].as_str().unwrap().contains("Too few rows to judge"), "{ours}");
}

#[test]
fn bad_fairness_input_is_one_clean_error() {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), "penguins.csv", "sex", "p.cairn");
    let data = asset("penguins.csv");
    let (b, d) = (bundle.to_str().unwrap(), data.to_str().unwrap());
    assert_clean_failure(&cairn(&["fairness", b, d, "--group", "colour"]), "has no column 'colour' to group by");
    assert_clean_failure(
        &cairn(&["fairness", b, d, "--group", "island", "--positive", "unknown"]),
        "'unknown' is not a class of this model",
    );
    let iris = asset("iris.csv");
    assert_clean_failure(&cairn(&["fairness", b, iris.to_str().unwrap(), "--group", "species"]), "has no column 'sex'");
}

#[test]
fn the_model_card_says_use_data_recipe_metrics_groups_limits_and_how_to_reproduce() {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), "penguins.csv", "sex", "penguins.cairn");
    let data = asset("penguins.csv");
    let card = dir.path().join("card.md");
    let (b, d, c) = (bundle.to_str().unwrap(), data.to_str().unwrap(), card.to_str().unwrap());
    let use_text = "Teaching: guess a penguin's sex from its measurements.";
    let o = cairn(&["export", b, "--card", c, "--data", d, "--group", "island", "--intended-use", use_text]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(&card).unwrap();
    let (pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    for needle in [
        "# Model card: Logistic regression predicting 'sex'",
        use_text,
        &format!("Fingerprint (sha256 of the content): `{}`", pipeline.info.data_hash),
        "## How rows become features (the recipe)",
        "| Accuracy |",
        "## Metrics by island",
        "| Torgersen | 47 |",
        "- demographic_parity_difference:",
        "## Known limits",
        &format!("cairn run {b} --data {d}"),
    ] {
        assert!(md.contains(needle), "{needle:?} missing from:\n{md}");
    }
    // Without a statement of use the card asks for one; a bad group writes no file.
    let bare = dir.path().join("bare.md");
    assert!(cairn(&["export", b, "--card", bare.to_str().unwrap()]).status.success());
    assert!(std::fs::read_to_string(&bare).unwrap().contains("_Not stated yet"));
    let none = dir.path().join("none.md");
    let o = cairn(&["export", b, "--card", none.to_str().unwrap(), "--data", d, "--group", "colour"]);
    assert_clean_failure(&o, "no column 'colour'");
    assert!(!none.exists(), "no partial card");
}

/// The penguins table without its `species` column (so a model trained on it cannot use it).
fn penguins_without_species(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(asset("penguins.csv")).unwrap();
    let out: String = text.lines().map(|l| format!("{}\n", l.split_once(',').unwrap().1)).collect();
    assert!(text.starts_with("species,"), "the first column of penguins.csv moved");
    let path = dir.join("no_species.csv");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn per_group_thresholds_close_the_gap_and_are_served() {
    // Sex from body measurements, by a model that never sees the species; the groups are the
    // species. Thresholds per species bring the true-positive rates together.
    let dir = tempdir();
    let d = dir.path();
    let train_data = penguins_without_species(d);
    let bundle = d.join("model.cairn");
    let (b, t) = (bundle.to_str().unwrap(), train_data.to_str().unwrap());
    let o = cairn(&["train", t, "--target", "sex", "--model", "logistic", "--out", b]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fixed = d.join("fair.cairn");
    let data = asset("penguins.csv");
    let o = cairn(&[
        "fairness",
        b,
        data.to_str().unwrap(),
        "--group",
        "species",
        "--positive",
        "female",
        "--mitigate",
        "--out",
        fixed.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let m = &ours["mitigation"];
    let gap = |r: &Value| r["differences"]["equal_opportunity_difference"].as_f64().unwrap();
    let (before, after) = (gap(&m["before"]), gap(&m["after"]));
    assert!(after < before, "the thresholds did not narrow the gap: {before} -> {after}");
    assert_eq!(m["thresholds"]["column"], "species");
    assert_eq!(m["thresholds"]["thresholds"].as_object().unwrap().len(), 3, "{m}");
    assert!(m["reading"].as_str().unwrap().contains("Accuracy over all rows"), "{m}");
    eprintln!("equal opportunity difference {before:.4} -> {after:.4}; {}", m["thresholds"]["thresholds"]);
    // The saved bundle decides with the thresholds: fairlearn on its predictions agrees with
    // the "after" numbers, and they differ from the plain model's.
    let served = compare_bundle(&fixed, &data, "sex", "species", "female");
    assert!((gap(&served) - after).abs() < 1e-9, "{served}\n{}", m["after"]);
    let plain = compare_bundle(&bundle, &data, "sex", "species", "female");
    assert!((gap(&plain) - before).abs() < 1e-9);
    // Predicting without the group column is one clear error.
    let o = cairn(&["predict", fixed.to_str().unwrap(), t]);
    assert_clean_failure(&o, "no column 'species'");
    // The server asks for the group too, and answers as `cairn predict` does.
    let server = crate::serve::start(&fixed);
    let row = serde_json::json!({"island": "Dream", "bill_length_mm": 46.0, "bill_depth_mm": 17.8,
        "flipper_length_mm": 195.0, "body_mass_g": 3700.0, "year": 2008});
    let (status, answer) = crate::serve::post_to(
        &format!("{}/predict", server.url),
        "application/json",
        &format!("{{\"records\": [{row}]}}"),
    );
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("species"), "{answer}");
    let mut labels = Vec::new();
    for species in ["Adelie", "Chinstrap", "Gentoo"] {
        let mut r = row.clone();
        r["species"] = species.into();
        let (status, answer) = crate::serve::post_to(
            &format!("{}/predict", server.url),
            "application/json",
            &format!("{{\"records\": [{r}]}}"),
        );
        assert_eq!(status, 200, "{answer}");
        labels.push(answer["predictions"][0].clone());
    }
    let (_, form) = crate::serve::get(&format!("{}/", server.url));
    assert!(form.contains("species"), "the serving form does not ask for the group");
    eprintln!("one row, three species: {labels:?}");
}

#[test]
fn thresholds_need_two_classes() {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), "penguins.csv", "species", "model.cairn");
    let data = asset("penguins.csv");
    let o = cairn(&["fairness", bundle.to_str().unwrap(), data.to_str().unwrap(), "--group", "island", "--mitigate"]);
    assert_clean_failure(&o, "need a model with two classes (this one has 3)");
}

/// `cairn report`: the data's distribution pictures and correlations, and the model card with
/// the metrics by group; the intended use is shown as text; a bad group writes no file.
#[test]
fn the_report_has_distributions_correlations_and_the_model_card() {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), "penguins.csv", "sex", "model.cairn");
    let data = asset("penguins.csv");
    let out = dir.path().join("report.html");
    let (b, d, o) = (bundle.to_str().unwrap(), data.to_str().unwrap(), out.to_str().unwrap());
    let run = cairn(&["report", b, d, "-o", o, "--group", "island", "--intended-use", "Class <b>demo</b>"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let html = std::fs::read_to_string(&out).unwrap();
    assert_eq!(html.matches("<svg width=\"96\"").count(), 8, "one picture per column");
    assert!(html.contains("<h2>Correlations</h2>"), "no correlation table");
    assert!(html.contains("flipper_length_mm and body_mass_g strongly move together, r = 0.87"), "strongest pair");
    assert!(html.contains("<section class=\"modelcard\">") && html.contains("Metrics by island"), "no card");
    assert!(html.contains("Class &lt;b&gt;demo&lt;/b&gt;") && !html.contains("<b>demo"), "intended use not escaped");
    let bad = dir.path().join("bad.html");
    let run = cairn(&["report", b, d, "-o", bad.to_str().unwrap(), "--group", "colour"]);
    assert_clean_failure(&run, "has no column 'colour' to group by");
    assert!(!bad.exists(), "a failed report leaves no file");
}

/// A model with per-group thresholds still explains its rows: its background rows (kept from
/// training, before the schema gained the group column) are used, not the explained row itself.
#[test]
fn a_model_with_thresholds_still_explains_against_its_training_rows() {
    let dir = tempdir();
    let d = dir.path();
    let train_data = penguins_without_species(d);
    let (bundle, fixed) = (d.join("knn.cairn"), d.join("fixed.cairn"));
    let o = cairn(&[
        "train",
        train_data.to_str().unwrap(),
        "--target",
        "sex",
        "--model",
        "knn",
        "--out",
        bundle.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let data = asset("penguins.csv");
    let o = cairn(&[
        "fairness",
        bundle.to_str().unwrap(),
        data.to_str().unwrap(),
        "--group",
        "species",
        "--mitigate",
        "--out",
        fixed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = d.join("three.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&rows, text.lines().take(4).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    let explain = |b: &Path| -> Value {
        let o = cairn(&["explain", b.to_str().unwrap(), rows.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).unwrap()
    };
    let (plain, with) = (explain(&bundle), explain(&fixed));
    for (a, b) in plain["rows"].as_array().unwrap().iter().zip(with["rows"].as_array().unwrap()) {
        assert!((a["base_value"].as_f64().unwrap() - b["base_value"].as_f64().unwrap()).abs() < 1e-12, "{a}\n{b}");
        assert_eq!(a["contributions"]["bill_depth_mm"], b["contributions"]["bill_depth_mm"], "{a}\n{b}");
    }
    assert!(with["rows"][0]["contributions"]["bill_depth_mm"].as_f64().unwrap() != 0.0, "{with}");
}
