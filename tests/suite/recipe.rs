//! The feature recipe on real data: every kind of step fitted on the training rows, saved in
//! the bundle and replayed by `cairn predict`; text options on the spam data; date parts on
//! generated dates; row steps; the CLI's `recipe` / `train --recipe`; clear errors.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use cairn::data::read_path;
use cairn::features::{DatePart, FittedTable, Impute, Power, Recipe, Scaling, Step, TfidfOptions};
use cairn::train::{ModelKind, TrainConfig, train};

fn housing() -> cairn::data::Dataset {
    read_path(&asset("california_housing.csv")).unwrap()
}

/// A recipe using every kind of table step and encoding option on California housing.
fn rich_housing_recipe(ds: &cairn::data::Dataset) -> Recipe {
    let mut r = Recipe::proposed(ds, "median_house_value");
    r.add(Step::Derived { name: "rooms_per_household".into(), expression: "total_rooms / households".into() });
    r.add(Step::Derived { name: "bedroom_share".into(), expression: "total_bedrooms / max(total_rooms, 1)".into() });
    r.add(Step::Power { column: "population".into(), kind: Power::Log });
    r.add(Step::Power { column: "median_income".into(), kind: Power::YeoJohnson });
    r.add(Step::Clip { column: "rooms_per_household".into(), lower: 0.01, upper: 0.99 });
    r.add(Step::Bin { column: "housing_median_age".into(), bins: 5, quantile: true });
    r.add(Step::ImputeScale {
        column: "total_bedrooms".into(),
        impute: Impute::Mean,
        fill_value: 0.0,
        indicator: true,
        scale: Scaling::Robust,
    });
    r.add(Step::ImputeScale {
        column: "total_rooms".into(),
        impute: Impute::Median,
        fill_value: 0.0,
        indicator: false,
        scale: Scaling::MinMax,
    });
    r.add(Step::OneHot { column: "ocean_proximity".into(), min_frequency: 100, ordinal: false });
    r
}

#[test]
fn every_step_kind_trains_saves_and_serves_the_same_numbers() {
    let ds = housing();
    let recipe = rich_housing_recipe(&ds);
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(ModelKind::Linear);
    cfg.recipe = Some(recipe.clone());
    let out = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let p = &out.pipeline;
    let names = p.fitted_recipe.feature_names();
    for expected in ["rooms_per_household", "bedroom_share", "total_bedrooms was missing", "ocean_proximity=(other)"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    assert!(!names.iter().any(|n| n == "ocean_proximity=ISLAND"), "ISLAND (5 rows) is grouped as (other)");
    assert_eq!(names.iter().filter(|n| n.starts_with("housing_median_age=")).count(), 5, "{names:?}");
    // The derived columns read other columns, so those stay in the schema.
    assert_eq!(p.schema.columns.len(), 9);
    // Fitted on the training rows: the clip bounds are quantiles of the training rows only.
    let clip = p.fitted_recipe.table.iter().find_map(|t| match t {
        FittedTable::Clip { low, high, .. } => Some((*low, *high)),
        _ => None,
    });
    let (low, high) = clip.unwrap();
    assert!(low > 1.0 && high < 20.0 && low < high, "{low} {high}");
    // Still a sensible model: the log and Yeo–Johnson steps help a linear model.
    let r2 = out.report.metrics.headline().1;
    assert!(r2 > 0.58, "R² {r2} (default recipe: 0.6254)");

    // The bundle keeps every fitted number: `cairn predict` gives the same predictions.
    let dir = tempdir();
    let bundle = dir.path().join("rich.cairn");
    cairn::project::save_bundle(p, &bundle).unwrap();
    let (loaded, _) = cairn::project::load_bundle(&bundle).unwrap();
    assert_eq!(loaded.recipe, recipe);
    assert_eq!(loaded.fitted_recipe, p.fitted_recipe);
    let csv = dir.path().join("pred.csv");
    let o = cairn(&[
        "predict",
        bundle.to_str().unwrap(),
        asset("california_housing.csv").to_str().unwrap(),
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let served = read_path(&csv).unwrap();
    let cairn::train::Prediction::Regression(in_process) = p.predict(&ds).unwrap() else { panic!("regression") };
    let col = served.column("prediction").unwrap();
    for row in [0, 1, 290, 20_000] {
        let a = col.values.display(row).parse::<f64>().unwrap();
        let b = in_process[row];
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "row {row}: {a} vs {b}");
    }
}

#[test]
fn text_options_on_the_spam_data() {
    let ds = read_path(&asset("sms_spam.csv")).unwrap();
    let options =
        TfidfOptions { word_ngrams: 2, stop_words: true, min_df: 2, max_features: 3000, ..Default::default() };
    let mut recipe = Recipe::proposed(&ds, "label");
    recipe.add(Step::Tfidf { column: "text".into(), options });
    let mut cfg = TrainConfig::new("label");
    cfg.model = Some(ModelKind::Logistic);
    cfg.recipe = Some(recipe);
    let out = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let names = out.pipeline.fitted_recipe.feature_names();
    assert_eq!(names.len(), 3000, "capped at max_features");
    assert!(names.iter().any(|n| n == "text:call now"), "word pairs are terms");
    assert!(!names.iter().any(|n| n == "text:the"), "stop words are left out");
    let f1 = |m: &cairn::eval::Metrics| match m {
        cairn::eval::Metrics::Classification { f1, .. } => *f1,
        _ => panic!("classification"),
    };
    let f1_words = f1(&out.report.metrics);
    assert!(f1_words > 0.85, "spam F1 {f1_words}");
    // Character n-grams catch spellings: the vocabulary holds word pieces.
    let char_opts = TfidfOptions { char_min: 2, char_max: 3, word_ngrams: 1, max_features: 4000, ..Default::default() };
    let mut recipe = Recipe::proposed(&ds, "label");
    recipe.add(Step::Tfidf { column: "text".into(), options: char_opts });
    cfg.recipe = Some(recipe);
    let out = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    assert!(out.pipeline.fitted_recipe.feature_names().iter().any(|n| n == "text: fr"));
    assert!(f1(&out.report.metrics) > 0.85, "{:?}", out.report.metrics);
}

/// Sales by date: weekends and evenings sell more. Dates must become numbers to learn that.
fn sales_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::from("when,store,sales\n");
    let days_in = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut i = 0;
    for (m, &days) in days_in.iter().enumerate() {
        for d in 1..=days {
            for hour in [9, 13, 19] {
                // 1 January 2023 was a Sunday: weekday (Mon = 0) = (i/3 + 6) % 7.
                let weekday = (i / 3 + 6) % 7;
                let weekend = weekday >= 5;
                let sales = 100.0
                    + if weekend { 50.0 } else { 0.0 }
                    + if hour == 19 { 30.0 } else { 0.0 }
                    + (i % 5) as f64 * 1.37;
                text.push_str(&format!(
                    "2023-{:02}-{:02} {hour:02}:00,{},{sales}\n",
                    m + 1,
                    d,
                    ["north", "south"][i % 2]
                ));
                i += 1;
            }
        }
    }
    let path = dir.join("sales.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn date_columns_are_split_into_parts_and_served() {
    let dir = tempdir();
    let path = sales_csv(dir.path());
    let ds = read_path(&path).unwrap();
    // The profile says it is a date, and the proposed recipe splits it.
    let warnings = cairn::data::table_warnings(&ds);
    assert!(warnings.iter().any(|w| w.kind == "date" && w.column.as_deref() == Some("when")), "{warnings:?}");
    let recipe = Recipe::proposed(&ds, "sales");
    assert!(recipe.active().any(
        |s| matches!(s, Step::DateParts { column, parts } if column == "when" && parts.contains(&DatePart::Weekday))
    ));
    let out = dir.path().join("sales.cairn");
    let o = cairn(&[
        "train",
        path.to_str().unwrap(),
        "--target",
        "sales",
        "--model",
        "random_forest",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r2 = v["metrics"]["r2"].as_f64().unwrap();
    assert!(r2 > 0.9, "weekday and hour explain the sales: R² {r2}");
    // Serving reads the date text and splits it the same way.
    let input = dir.path().join("new.csv");
    std::fs::write(&input, "when,store\n2024-03-30 19:00,north\n2024-03-27 09:00,south\n").unwrap();
    let pred = dir.path().join("pred.csv");
    let o = cairn(&["predict", out.to_str().unwrap(), input.to_str().unwrap(), "-o", pred.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p = read_path(&pred).unwrap();
    let (sat_evening, wed_morning) =
        (p.column("prediction").unwrap().values.display(0), p.column("prediction").unwrap().values.display(1));
    let (a, b): (f64, f64) = (sat_evening.parse().unwrap(), wed_morning.parse().unwrap());
    assert!(a > b + 50.0, "a Saturday evening sells more than a Wednesday morning: {a} vs {b}");
    // A time-ordered split: the test rows are the latest fifth of the year (the file is in
    // time order), and the CLI takes it as --time-split.
    let mut cfg = TrainConfig::new("sales");
    cfg.time_column = Some("when".into());
    let out_t = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let n = ds.n_rows();
    let cut = n - (n as f64 * 0.2).ceil() as usize;
    let mut test_rows = out_t.test_source_rows.clone();
    test_rows.sort_unstable();
    assert_eq!(test_rows, (cut..n).collect::<Vec<_>>());
    let o = cairn(&["train", path.to_str().unwrap(), "--target", "sales", "--time-split", "store", "--json"]);
    assert_clean_failure(&o, "row 1 of 'store' holds 'north', which is not a date");
    // A cell that is not a date is named.
    std::fs::write(&input, "when,store\nsoon,north\n").unwrap();
    let o = cairn(&["predict", out.to_str().unwrap(), input.to_str().unwrap()]);
    assert!(o.status.success(), "an unreadable date is a missing value at prediction time: {}", stderr(&o));
}

#[test]
fn row_steps_and_recipe_errors() {
    let ds = read_path(&asset("penguins.csv")).unwrap();
    // penguins has rows without a sex: with the row step off, training says what to add.
    let mut recipe = Recipe::proposed(&ds, "sex");
    recipe.steps.retain(|s| s.op != Step::DropMissingTarget);
    let mut cfg = TrainConfig::new("sex");
    cfg.recipe = Some(recipe.clone());
    let e = train(&ds, None, &cfg, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("11 rows have no value in 'sex'") && e.contains("Drop rows without a target"), "{e}");
    // A derived column naming a column that does not exist.
    recipe.add(Step::DropMissingTarget);
    recipe.add(Step::Derived { name: "ratio".into(), expression: "bill_length_mm / wingspan".into() });
    cfg.recipe = Some(recipe.clone());
    let e = train(&ds, None, &cfg, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("wingspan"), "{e}");
    // A syntax error points at the character.
    recipe.steps.retain(|s| s.op.column() != "ratio");
    recipe.add(Step::Derived { name: "ratio".into(), expression: "bill_length_mm / (bill_depth_mm".into() });
    cfg.recipe = Some(recipe.clone());
    let e = train(&ds, None, &cfg, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("missing ')'") && e.contains("derived column 'ratio'"), "{e}");
    // Dropping a column removes its steps and it is no longer asked for when serving.
    let mut recipe = Recipe::proposed(&ds, "species");
    recipe.add(Step::Drop { column: "island".into() });
    cfg = TrainConfig::new("species");
    cfg.recipe = Some(recipe);
    let out = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    assert!(out.pipeline.schema.columns.iter().all(|c| c.name != "island"));
    assert!(out.pipeline.fitted_recipe.feature_names().iter().all(|n| !n.starts_with("island")));
}

#[test]
fn cli_prints_a_recipe_and_trains_with_an_edited_one() {
    let dir = tempdir();
    let data = asset("california_housing.csv");
    let o = cairn(&["recipe", data.to_str().unwrap(), "--target", "median_house_value"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut recipe: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(recipe["steps"][0]["step"], "drop_missing_target");
    assert_eq!(recipe["steps"].as_array().unwrap().len(), 10);
    // Edit it as a user would: log the income, switch the ocean step off.
    let steps = recipe["steps"].as_array_mut().unwrap();
    steps.insert(1, serde_json::json!({"step": "power", "column": "median_income"}));
    for s in steps.iter_mut() {
        if s["column"] == "ocean_proximity" {
            s["enabled"] = false.into();
        }
    }
    let file = dir.path().join("recipe.json");
    std::fs::write(&file, serde_json::to_string_pretty(&recipe).unwrap()).unwrap();
    let o = cairn(&[
        "train",
        data.to_str().unwrap(),
        "--target",
        "median_house_value",
        "--recipe",
        file.to_str().unwrap(),
        "--model",
        "linear",
        "--json",
        "--out",
        dir.path().join("b.cairn").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (p, _) = cairn::project::load_bundle(&dir.path().join("b.cairn")).unwrap();
    assert_eq!(p.info.n_features, 8, "ocean_proximity's step is off");
    assert!(matches!(p.fitted_recipe.table[0], FittedTable::Power { kind: Power::Log, .. }));
    // ONNX export names the step it cannot express.
    let o = cairn(&[
        "export",
        dir.path().join("b.cairn").to_str().unwrap(),
        "--onnx",
        dir.path().join("m.onnx").to_str().unwrap(),
    ]);
    assert_clean_failure(&o, "power transform of 'median_income'");
    assert!(!dir.path().join("m.onnx").exists());
    // A broken recipe file is named.
    std::fs::write(&file, r#"{"steps": [{"step": "shuffle_columns"}]}"#).unwrap();
    let o =
        cairn(&["train", data.to_str().unwrap(), "--target", "median_house_value", "--recipe", file.to_str().unwrap()]);
    assert_clean_failure(&o, "recipe.json");
}

#[test]
fn recipes_written_before_options_existed_still_load() {
    // A bundle's recipe as written by earlier versions: no version, no options, no switches.
    let old = r#"{"steps":[{"step":"impute_scale","column":"x"},{"step":"one_hot","column":"c"},{"step":"tfidf","column":"t"}]}"#;
    let r: Recipe = serde_json::from_str(old).unwrap();
    assert_eq!(r.version, 0);
    assert!(r.drops_missing_target(), "old recipes always left out rows without a target");
    assert_eq!(r.steps[0].op, Step::numbers("x"));
    assert_eq!(r.steps[2].op, Step::text("t"));
    assert!(r.steps.iter().all(|s| s.enabled));
    // And written today, the defaults stay out of the file.
    let text = serde_json::to_string(&Recipe::new(vec![Step::numbers("x")])).unwrap();
    assert_eq!(text, r#"{"steps":[{"step":"impute_scale","column":"x"}],"version":1}"#);
}
