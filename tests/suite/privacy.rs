//! Personal data in a table: `cairn inspect --json` warns with `kind: "personal_data"`, the
//! column and what was found; the shipped samples raise no such warning.

use crate::common::{asset, cairn, stderr, stdout, tempdir};
use serde_json::Value;

fn warnings(path: &std::path::Path) -> Vec<Value> {
    let o = cairn(&["inspect", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    v["warnings"].as_array().unwrap_or_else(|| panic!("no warnings array: {v}")).clone()
}

#[test]
fn personal_columns_are_found_with_their_share() {
    let dir = tempdir();
    let file = dir.path().join("customers.csv");
    let mut csv = String::from("customer_id,contact,full_name,phone,card,zip_code,date_of_birth,spend\n");
    let given = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda"];
    let surnames = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis"];
    let cards = ["4111 1111 1111 1111", "5500 0000 0000 0004", "4012 8888 8888 1881", "6011 0009 9013 9424"];
    for i in 0..40 {
        let (g, s) = (given[i % 8], surnames[(i * 3) % 8]);
        // One row in ten has an address that is not one, so the share is 90 %.
        let contact =
            if i % 10 == 3 { "ask at desk".to_string() } else { format!("{}.{}@example.org", g.to_lowercase(), i) };
        csv.push_str(&format!(
            "{i},{contact},{g} {s},+44 20 7946 {:04},{},{:05},19{:02}-0{}-1{},{}\n",
            1000 + i,
            cards[i % 4],
            10000 + i * 37,
            50 + i,
            1 + i % 9,
            i % 10,
            100 + i * 7
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let found: Vec<(String, String, f64)> = warnings(&file)
        .iter()
        .filter(|w| w["kind"] == "personal_data")
        .map(|w| {
            (
                w["column"].as_str().unwrap().into(),
                w["found"]["what"].as_str().unwrap().into(),
                w["found"]["share"].as_f64().unwrap(),
            )
        })
        .collect();
    let get = |c: &str| found.iter().find(|f| f.0 == c).unwrap_or_else(|| panic!("{c} not flagged: {found:?}"));
    assert_eq!(get("contact").1, "email");
    assert!((get("contact").2 - 0.9).abs() < 1e-9, "{found:?}");
    assert_eq!(get("full_name").1, "person_name");
    assert_eq!(get("phone").1, "phone");
    assert_eq!(get("card").1, "payment_card");
    assert_eq!(get("zip_code").1, "postal_code");
    assert_eq!(get("date_of_birth").1, "date_of_birth");
    assert!(!found.iter().any(|f| f.0 == "spend" || f.0 == "customer_id"), "{found:?}");
    let message =
        warnings(&file).into_iter().find(|w| w["column"] == "contact" && w["kind"] == "personal_data").unwrap();
    assert!(
        message["message"].as_str().unwrap().contains("'contact' holds e-mail addresses in 90 % of its filled cells"),
        "{message}"
    );
}

#[test]
fn the_shipped_samples_raise_no_personal_data_warning() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets");
    let mut files: Vec<std::path::PathBuf> = [
        "california_housing.csv",
        "iris.csv",
        "penguins.csv",
        "sms_spam.csv",
        "sentiment.csv",
        "items_synthetic.csv",
        "ratings_synthetic.csv",
    ]
    .iter()
    .map(|f| asset(f))
    .collect();
    files.extend(
        std::fs::read_dir(&shared)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv")),
    );
    assert!(files.len() >= 7);
    for f in files {
        let personal: Vec<Value> = warnings(&f).into_iter().filter(|w| w["kind"] == "personal_data").collect();
        assert!(personal.is_empty(), "{}: {personal:?}", f.display());
    }
}

/// A table whose `zip_code` (a model input) holds postal codes, with an e-mail column the
/// recipe drops as an ID.
fn customers(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("spend.csv");
    let zips = ["90210", "10001", "02139", "60614", "94103"];
    let mut csv = String::from("email,zip_code,age,income,spend\n");
    for i in 0..200 {
        let (age, income) = (20 + (i * 7) % 50, 20_000 + (i % 40) * 1_500);
        csv.push_str(&format!(
            "p{i}@example.org,{},{age},{income},{}\n",
            zips[i % 5],
            income / 100 + age * 3 + (i % 5) * 40
        ));
    }
    std::fs::write(&file, csv).unwrap();
    file
}

#[test]
fn the_prediction_log_keeps_personal_columns_out_unless_asked() {
    use crate::serve::{post_to, start_with};
    let dir = tempdir();
    let data = customers(dir.path());
    let bundle = dir.path().join("spend.cairn");
    let o = cairn(&["train", data.to_str().unwrap(), "--target", "spend", "--out", bundle.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    assert_eq!(pipeline.schema.personal, vec!["zip_code".to_string()], "{:?}", pipeline.schema);
    assert_eq!(pipeline.example["zip_code"], Value::Null, "no training row's postal code in the bundle");
    let body = r#"{"records": [{"email": "x@y.org", "zip_code": "90210", "age": 30, "income": 50000}]}"#;
    let log = dir.path().join("spend.cairn.predictions.jsonl");
    let mut logged = Vec::new();
    for mode in ["safe", "all", "none"] {
        std::fs::remove_file(&log).ok();
        let server = start_with(&bundle, &["--log-inputs", mode]);
        let (status, answer) = post_to(&format!("{}/predict", server.url), "application/json", body);
        assert_eq!(status, 200, "{answer}");
        drop(server);
        let line: Value = serde_json::from_str(std::fs::read_to_string(&log).unwrap().lines().next().unwrap()).unwrap();
        logged.push(line["inputs"].clone());
    }
    assert_eq!(logged[0], serde_json::json!([{"age": 30.0, "income": 50000.0}]), "safe: {}", logged[0]);
    assert_eq!(
        logged[1],
        serde_json::json!([{"age": 30.0, "income": 50000.0, "zip_code": 90210.0}]),
        "all: {}",
        logged[1]
    );
    assert_eq!(logged[2], Value::Null, "none: {}", logged[2]);
    let o = cairn(&["serve", bundle.to_str().unwrap(), "--log-inputs", "some"]);
    crate::common::assert_clean_failure(&o, "unknown --log-inputs 'some'");
}

/// Customers whose spend depends on the e-mail domain and the year of birth (not on who they
/// are), with postal codes.
fn shop(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("shop.csv");
    let zips = ["90210", "10001", "02139", "60614", "94103"];
    let mut csv = String::from("email,zip_code,date_of_birth,visits,spend\n");
    for i in 0..300 {
        let domain = if i % 3 == 0 { "corp.example" } else { "home.example" };
        let year = 1950 + (i * 7) % 50;
        let visits = 1 + (i * 13) % 20;
        let spend = 100 + if i % 3 == 0 { 300 } else { 0 } + (2000 - year) * 4 + visits * 10;
        csv.push_str(&format!("p{i}@{domain},{},{year}-0{}-1{},{visits},{spend}\n", zips[i % 5], 1 + i % 9, i % 10));
    }
    std::fs::write(&file, csv).unwrap();
    file
}

#[test]
fn personal_columns_can_be_hashed_or_coarsened_and_the_bundle_keeps_no_raw_value() {
    use cairn::features::{CoarsePart, Recipe, Step, fixes_for};
    let dir = tempdir();
    let path = shop(dir.path());
    let ds = cairn::data::read_path(&path).unwrap();
    // Each personal-data warning offers its fixes: drop, a salted hash, and a coarse part where
    // one fits.
    let warnings = cairn::data::table_warnings(&ds);
    let labels = |column: &str| -> Vec<String> {
        let w = warnings.iter().find(|w| w.kind == "personal_data" && w.column.as_deref() == Some(column));
        let w = w.unwrap_or_else(|| panic!("{column} not flagged: {warnings:?}"));
        fixes_for(w, &ds, "spend").into_iter().map(|f| f.0).collect()
    };
    assert_eq!(labels("email"), ["Drop 'email'", "Hash 'email'", "Keep only the e-mail domain of 'email'"]);
    assert_eq!(labels("date_of_birth")[2], "Keep only the year of 'date_of_birth'");
    assert_eq!(labels("zip_code")[2], "Keep only the first 2 characters of 'zip_code'");
    let mut recipe = Recipe::proposed(&ds, "spend");
    recipe.add(Step::Coarsen { column: "email".into(), part: CoarsePart::EmailDomain, chars: 2 });
    recipe.add(Step::Coarsen { column: "date_of_birth".into(), part: CoarsePart::Year, chars: 2 });
    recipe.add(Step::Hash { column: "zip_code".into() });
    let recipe_file = dir.path().join("recipe.json");
    std::fs::write(&recipe_file, serde_json::to_string(&recipe).unwrap()).unwrap();
    let bundle = dir.path().join("shop.cairn");
    let (p, r, b) = (path.to_str().unwrap(), recipe_file.to_str().unwrap(), bundle.to_str().unwrap());
    let args = ["train", p, "--target", "spend", "--model", "ridge", "--recipe", r, "--out", b, "--json"];
    let o = cairn(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let r2 = v["metrics"]["r2"].as_f64().unwrap();
    assert!(r2 > 0.9, "the domain and the year carry the signal: R² {r2}");
    let (pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    let names = pipeline.fitted_recipe.feature_names();
    assert!(names.iter().any(|n| n == "email=corp.example"), "{names:?}");
    assert!(names.iter().any(|n| n == "date_of_birth=1960"), "{names:?}");
    // No address, postal code or birth date is in the model file (its body is compressed, so
    // the check reads the pipeline it decodes to, written out as JSON text).
    let text = serde_json::to_string(&pipeline).unwrap();
    for raw in ["p3@", "90210", "10001", "1960-0"] {
        assert!(!text.contains(raw), "the bundle holds '{raw}'");
    }
    // Hashes: equal postal codes share one, different ones differ, and retraining on the same
    // rows gives the same salt (the same model).
    let salt = |p: &cairn::train::Pipeline| {
        p.fitted_recipe.table.iter().find_map(|t| match t {
            cairn::features::FittedTable::Hash { salt, .. } => Some(salt.clone()),
            _ => None,
        })
    };
    let again = dir.path().join("again.cairn");
    let o =
        cairn(&["train", p, "--target", "spend", "--model", "ridge", "--recipe", r, "--out", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(salt(&pipeline), salt(&cairn::project::load_bundle(&again).unwrap().0));
    assert_eq!(salt(&pipeline).unwrap().len(), 32);
    // Serving replays the steps on raw values: a corp address predicts more than a home one.
    let input = dir.path().join("new.csv");
    std::fs::write(
        &input,
        "email,zip_code,date_of_birth,visits\nnew@corp.example,90210,1970-05-05,5\nnew@home.example,90210,1970-05-05,5\n",
    )
    .unwrap();
    let o = cairn(&["predict", b, input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let preds: Vec<f64> = out.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert!(preds[0] > preds[1] + 200.0, "{out}");
}
