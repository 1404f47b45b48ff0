//! Explanations of single predictions (`cairn explain`, `cairn predict --explain`, `POST
//! /explain`, `eval::explain`): on the shipped California housing, penguins and SMS spam data,
//! base value + contributions add up to the explained output for every model kind, the output
//! matches `cairn predict`, a linear model's contributions and partial dependence follow its
//! slope, and bad input fails cleanly without a partial file.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir, train_bundle_with};
use crate::serve::{get, post_to, start};
use cairn::data::{Column, Dataset, read_csv_path};
use cairn::eval::explain::{Grid, Method, Options, explain_rows, partial_dependence};
use cairn::features::FittedStep;
use cairn::train::{FittedModel, ModelKind, Pipeline, TrainConfig, train};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The first `n` rows of a shipped CSV (real data, smaller so every model trains quickly).
fn head(dir: &Path, asset_name: &str, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(asset(asset_name)).unwrap();
    let path = dir.join(format!("head_{n}_{asset_name}"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records().take(n) {
        writer.write_record(&r.unwrap()).unwrap();
    }
    writer.flush().unwrap();
    path
}

fn train_on(dir: &Path, data: &Path, target: &str, model: &str) -> PathBuf {
    let bundle = dir.join(format!("{model}_{target}.cairn"));
    let args = ["train", data.to_str().unwrap(), "--target", target, "--model", model, "--device", "cpu"];
    let o = cairn(&[&args[..], &["--out", bundle.to_str().unwrap()]].concat());
    assert!(o.status.success(), "training {model}: {}", stderr(&o));
    bundle
}

fn explain_json(bundle: &Path, input: &Path, extra: &[&str]) -> Value {
    let o = cairn(&[&["explain", bundle.to_str().unwrap(), input.to_str().unwrap(), "--json"][..], extra].concat());
    assert!(o.status.success(), "explain: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// Every row's base value + contributions equals its prediction; returns the rows.
fn assert_adds_up(e: &Value, what: &str) -> Vec<Value> {
    let rows = e["rows"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    for row in &rows {
        let sum: f64 = row["contributions"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
        let (base, pred) = (row["base_value"].as_f64().unwrap(), row["prediction"].as_f64().unwrap());
        let tol = 1e-9 * (1.0 + base.abs() + pred.abs());
        assert!((base + sum - pred).abs() < tol, "{what}: {base} + {sum} != {pred}");
    }
    rows
}

/// `cairn predict`'s rows as CSV records (header first).
fn predicted(bundle: &Path, input: &Path) -> Vec<Vec<String>> {
    let o = cairn(&["predict", bundle.to_str().unwrap(), input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(o.stdout.as_slice());
    reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

#[test]
fn every_regression_model_adds_up_and_explains_the_predicted_number() {
    let dir = tempdir();
    let data = head(dir.path(), "california_housing.csv", 1500);
    let rows = head(dir.path(), "california_housing.csv", 25);
    for &model in crate::common::REGRESSION_MODELS {
        let bundle = train_on(dir.path(), &data, "median_house_value", model);
        let e = explain_json(&bundle, &rows, &[]);
        assert_eq!(e["output"], "the predicted median_house_value", "{model}");
        let exact = matches!(
            model,
            "linear"
                | "ridge"
                | "lasso"
                | "elastic_net"
                | "tree"
                | "random_forest"
                | "gradient_boosting"
                | "hist_gradient_boosting"
        );
        assert_eq!(e["method"] != "sampling", exact, "{model}: {}", e["method"]);
        let explained = assert_adds_up(&e, model);
        let p = predicted(&bundle, &rows);
        let at = p[0].iter().position(|c| c == "prediction").unwrap();
        for (row, want) in explained.iter().zip(&p[1..]) {
            let want: f64 = want[at].parse().unwrap();
            let got = row["prediction"].as_f64().unwrap();
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{model}: {got} vs predict {want}");
            if !exact {
                assert!(row["std_errors"].as_object().unwrap().values().all(|v| v.as_f64().unwrap() >= 0.0));
            }
        }
        println!("{model}: {} rows add up ({})", explained.len(), e["method"]);
    }
}

#[test]
fn every_classifier_adds_up_in_its_stated_output() {
    let dir = tempdir();
    let data = asset("penguins.csv");
    let rows = head(dir.path(), "penguins.csv", 30);
    for &model in crate::common::CLASSIFICATION_MODELS {
        let bundle = train_on(dir.path(), &data, "species", model);
        let e = explain_json(&bundle, &rows, &[]);
        let explained = assert_adds_up(&e, model);
        let p = predicted(&bundle, &rows);
        let at = p[0].iter().position(|c| c == "prediction").unwrap();
        for (row, want) in explained.iter().zip(&p[1..]) {
            let class = row["class"].as_str().unwrap();
            assert_eq!(class, want[at], "{model}: the predicted class is explained");
            let output = row["output"].as_str().unwrap();
            assert!(output.ends_with(&format!("of class '{class}'")), "{model}: {output}");
            if output.starts_with("the probability") {
                let col = p[0].iter().position(|c| *c == format!("probability_{class}")).unwrap();
                let want: f64 = want[col].parse().unwrap();
                assert!((row["prediction"].as_f64().unwrap() - want).abs() < 1e-9, "{model}");
            }
        }
        println!("{model}: {} rows add up; output {}", explained.len(), e["output"]);
    }
    // A named class, in log-odds for logistic regression.
    let bundle = train_on(dir.path(), &data, "species", "logistic");
    let e = explain_json(&bundle, &rows, &["--class", "Gentoo"]);
    assert_adds_up(&e, "logistic --class");
    assert_eq!(e["output"], "the logit (softmax score) of class 'Gentoo'");
}

#[test]
fn text_columns_sum_their_words_and_list_the_top_ones() {
    let dir = tempdir();
    let data = head(dir.path(), "sms_spam.csv", 2000);
    let rows = head(dir.path(), "sms_spam.csv", 12);
    for model in ["logistic", "gradient_boosting", "hist_gradient_boosting"] {
        let bundle = train_on(dir.path(), &data, "label", model);
        let e = explain_json(&bundle, &rows, &["--class", "spam"]);
        assert_eq!(e["output"], "the log-odds of class 'spam'", "{model}");
        assert_eq!(e["columns"], json!(["text"]));
        for row in assert_adds_up(&e, model) {
            let words = row["top_words"]["text"].as_array().unwrap();
            assert!(words.len() <= 5);
            let contrib = row["contributions"]["text"].as_f64().unwrap();
            if contrib.abs() > 1e-6 {
                assert!(!words.is_empty(), "{model}: a text contribution names its words: {row}");
            }
        }
    }
    // The log-odds of the binary logistic model is that of its probability.
    let bundle = dir.path().join("logistic_label.cairn");
    let p = predicted(&bundle, &rows);
    let col = p[0].iter().position(|c| c == "probability_spam").unwrap();
    let e = explain_json(&bundle, &rows, &["--class", "spam"]);
    for (row, want) in e["rows"].as_array().unwrap().iter().zip(&p[1..]) {
        let prob: f64 = want[col].parse().unwrap();
        let logit = (prob / (1.0 - prob)).ln();
        assert!((row["prediction"].as_f64().unwrap() - logit).abs() < 1e-6 * logit.abs().max(1.0));
    }
}

#[test]
fn the_csv_output_streams_and_predict_explain_writes_the_same_file() {
    let dir = tempdir();
    let bundle =
        train_bundle_with(dir.path(), "penguins.csv", "species", "forest.cairn", &["--model", "random_forest"]);
    let input = asset("penguins.csv");
    let out = dir.path().join("why.csv");
    let o = cairn(&["explain", bundle.to_str().unwrap(), input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("base_value + the contrib_ columns add up"), "{}", stderr(&o));
    let ds = read_csv_path(&out).unwrap();
    assert_eq!(ds.n_rows(), 344);
    let contribs: Vec<String> = ds.column_names().into_iter().filter(|c| c.starts_with("contrib_")).collect();
    assert_eq!(contribs.len(), 7, "one per input column: {contribs:?}");
    let num = |name: &str, r: usize| ds.column(name).unwrap().cell_text(r).parse::<f64>().unwrap();
    for r in 0..ds.n_rows() {
        let sum: f64 = contribs.iter().map(|c| num(c, r)).sum();
        assert!((num("base_value", r) + sum - num("prediction", r)).abs() < 1e-9);
    }
    let same = dir.path().join("same.csv");
    let o = cairn(&[
        "predict",
        bundle.to_str().unwrap(),
        input.to_str().unwrap(),
        "--explain",
        "-o",
        same.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), std::fs::read_to_string(&same).unwrap());
}

#[test]
fn bad_input_fails_cleanly_without_a_partial_file() {
    let dir = tempdir();
    let bundle = train_bundle_with(dir.path(), "penguins.csv", "species", "tree.cairn", &["--model", "tree"]);
    let b = bundle.to_str().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "species,island,bill_length_mm\nAdelie,Torgersen,39.1\n").unwrap();
    let out = dir.path().join("out.csv");
    let o = cairn(&["explain", b, bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_clean_failure(&o, "bill_depth_mm");
    assert_clean_failure(&o, "bad.csv");
    assert!(!out.exists(), "no partial output file");
    let o = cairn(&["explain", b, bad.to_str().unwrap(), "--json"]);
    assert_clean_failure(&o, "bill_depth_mm");
    assert!(stdout(&o).is_empty());
    let o = cairn(&["explain", b, "no-such-file.csv"]);
    assert_clean_failure(&o, "no-such-file.csv");
    let input = asset("penguins.csv");
    let o = cairn(&["explain", b, input.to_str().unwrap(), "--json", "--class", "Emperor"]);
    assert_clean_failure(&o, "class 'Emperor' is not one of the model's classes");
    let o = cairn(&["explain", b, input.to_str().unwrap(), "--json", "--pdp", "wingspan"]);
    assert_clean_failure(&o, "column 'wingspan' is not an input");
    // A bad cell in a later row names its row and column.
    let text = std::fs::read_to_string(&input).unwrap().replacen("39.1", "n/a-ish", 1);
    let cell = dir.path().join("cell.csv");
    std::fs::write(&cell, text).unwrap();
    let o = cairn(&["explain", b, cell.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!out.exists());
    if !o.status.success() {
        assert_clean_failure(&o, "bill_length_mm");
    }
}

#[test]
fn post_explain_over_real_http_adds_up_and_refuses_bad_bodies_like_predict() {
    let dir = tempdir();
    let bundle =
        train_bundle_with(dir.path(), "penguins.csv", "species", "gb.cairn", &["--model", "gradient_boosting"]);
    let server = start(&bundle);
    let record = json!({"island": "Biscoe", "bill_length_mm": 45.1, "bill_depth_mm": 14.5, "flipper_length_mm": 215,
        "body_mass_g": 5000, "sex": "female", "year": 2008});
    let body = json!({"records": [record, record]}).to_string();
    let (status, answer) = post_to(&format!("{}/explain", server.url), "application/json", &body);
    assert_eq!(status, 200, "{answer}");
    let (_, predicted) = post_to(&format!("{}/predict", server.url), "application/json", &body);
    let ex = answer["explanations"].as_array().unwrap();
    assert_eq!(ex.len(), 2);
    for e in ex {
        let sum: f64 = e["contributions"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
        let (base, pred) = (e["base_value"].as_f64().unwrap(), e["prediction"].as_f64().unwrap());
        assert!((base + sum - pred).abs() < 1e-9, "{e}");
        assert_eq!(e["class"], predicted["predictions"][0]);
        assert!(e["output"].as_str().unwrap().starts_with("the logit"), "{e}");
        assert_eq!(e["contributions"].as_object().unwrap().len(), 7);
    }
    // CSV bodies work too, and a named class.
    let csv =
        "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\nDream,39,18,190,3700,male,2009\n";
    let (status, answer) = post_to(&format!("{}/explain?class=Chinstrap", server.url), "text/csv", csv);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["explanations"][0]["class"], "Chinstrap");
    // The same refusals as /predict.
    for (ct, bad) in [
        ("application/json", "{\"records\": [{\"island\": \"Biscoe\"}]}".to_string()),
        ("application/json", "not json".to_string()),
        ("application/x-www-form-urlencoded", body.clone()),
    ] {
        let (s1, a1) = post_to(&format!("{}/explain", server.url), ct, &bad);
        let (s2, _) = post_to(&format!("{}/predict", server.url), ct, &bad);
        assert!((400..500).contains(&s1), "{s1} {a1}");
        assert_eq!(s1, s2, "same status as /predict for {bad}");
        assert!(a1["error"].is_string());
    }
    let (status, answer) = post_to(&format!("{}/explain?class=Emperor", server.url), "application/json", &body);
    assert_eq!(status, 422, "{answer}");
    let (_, spec) = get(&format!("{}/openapi.json", server.url));
    let spec: Value = serde_json::from_str(&spec).unwrap();
    assert!(spec["paths"]["/explain"]["post"].is_object());
    let (_, page) = get(&format!("{}/", server.url));
    assert!(
        page.contains("fetch('/explain'") && page.contains("className = 'bar'"),
        "the form draws contribution bars"
    );
}

/// Trains a linear model on the first 2 000 housing rows through the library.
fn linear_pipeline() -> (Pipeline, Dataset) {
    let ds = read_csv_path(&asset("california_housing.csv")).unwrap();
    let ds = ds.take_rows(&(0..2000).collect::<Vec<_>>());
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(ModelKind::Linear);
    (train(&ds, None, &cfg, &mut |_| {}).unwrap().pipeline, ds)
}

/// The weight per raw unit of `column` (its coefficient over the scaling's standard deviation).
fn raw_slope(p: &Pipeline, column: &str) -> f64 {
    let FittedModel::Linear { coef, .. } = &p.model else { panic!("not linear") };
    let mut offset = 0;
    for step in &p.fitted_recipe.steps {
        if let FittedStep::ImputeScale { column: c, std, .. } = step
            && c == column
        {
            return coef[offset] / std;
        }
        offset += step.width();
    }
    panic!("no scaled feature for {column}")
}

fn with_value(ds: &Dataset, column: &str, row: usize, value: f64) -> Dataset {
    let mut one = ds.take_rows(&[row]);
    let at = one.columns.iter().position(|c| c.name == column).unwrap();
    one.columns[at] = Column::numeric(column, vec![Some(value)]);
    one
}

#[test]
fn a_linear_models_contribution_moves_only_with_its_own_input_by_the_change_in_prediction() {
    let (p, ds) = linear_pipeline();
    let opts = Options::default();
    let before = explain_rows(&p, &with_value(&ds, "median_income", 5, 3.0), &opts).unwrap();
    let after = explain_rows(&p, &with_value(&ds, "median_income", 5, 7.5), &opts).unwrap();
    assert_eq!(before.method, Method::Linear);
    let at = before.columns.iter().position(|c| c == "median_income").unwrap();
    let (b, a) = (&before.rows[0], &after.rows[0]);
    for (j, (x, y)) in b.contributions.iter().zip(&a.contributions).enumerate() {
        if j != at {
            assert_eq!(x, y, "column {} must not move", before.columns[j]);
        }
    }
    let moved = a.contributions[at] - b.contributions[at];
    let change = a.prediction - b.prediction;
    assert!((moved - change).abs() < 1e-6, "{moved} vs {change}");
    assert!((change - 4.5 * raw_slope(&p, "median_income")).abs() < 1e-6 * change.abs());
    assert_eq!(a.base_value, b.base_value);
}

#[test]
fn partial_dependence_of_a_linear_model_is_a_straight_line_with_its_slope() {
    let (p, ds) = linear_pipeline();
    let pd = partial_dependence(&p, &ds, "median_income", &Options::default()).unwrap();
    let Grid::Numbers(grid) = &pd.grid else { panic!("a number grid") };
    assert!(grid.len() >= 10, "{grid:?}");
    let slope = raw_slope(&p, "median_income");
    for i in 1..grid.len() {
        let s = (pd.average[i] - pd.average[i - 1]) / (grid[i] - grid[i - 1]);
        assert!((s - slope).abs() < 1e-6 * slope.abs(), "segment {i}: {s} vs {slope}");
    }
    assert_eq!(pd.ice.len(), 50);
    for curve in &pd.ice {
        let s = (curve[grid.len() - 1] - curve[0]) / (grid[grid.len() - 1] - grid[0]);
        assert!((s - slope).abs() < 1e-6 * slope.abs());
    }
    let pd = partial_dependence(&p, &ds, "ocean_proximity", &Options::default()).unwrap();
    assert!(matches!(&pd.grid, Grid::Categories(c) if c.len() >= 2), "{:?}", pd.grid);
    assert_eq!(pd.average.len(), pd.grid.len());
}

#[test]
fn pdp_through_the_cli_is_one_json_object() {
    let dir = tempdir();
    let data = head(dir.path(), "california_housing.csv", 1000);
    let bundle = train_on(dir.path(), &data, "median_house_value", "gradient_boosting");
    let e = explain_json(&bundle, &data, &["--pdp", "housing_median_age"]);
    assert_eq!(e["column"], "housing_median_age");
    let grid = e["grid"].as_array().unwrap();
    assert!(grid.len() >= 10 && grid.len() <= 20, "{grid:?}");
    assert_eq!(e["average"].as_array().unwrap().len(), grid.len());
    assert_eq!(e["ice"].as_array().unwrap().len(), 50);
    assert!(e["ice"][0].as_array().unwrap().len() == grid.len());
    let e = explain_json(&bundle, &data, &["--pdp", "ocean_proximity"]);
    assert!(e["grid"][0].is_string());
}

#[test]
fn bundles_from_before_explanations_still_explain_and_add_up() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (name, method) in [("forest_v1", "sampling"), ("ridge_v1", "linear")] {
        let bundle = fixtures.join(format!("{name}.cairn"));
        let input = fixtures.join(format!("{name}_input.csv"));
        let e = explain_json(&bundle, &input, &[]);
        assert_eq!(e["method"], method, "{name}: no node covers or training means in the bundle");
        let rows = assert_adds_up(&e, name);
        println!("{name}: {} rows add up by {method}", rows.len());
    }
}
