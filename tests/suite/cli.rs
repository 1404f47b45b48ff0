//! The CLI contract: JSON output, predict output, and clean failures on bad input.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use serde_json::Value;

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn train_json_has_the_contract_keys_and_writes_a_bundle() {
    let dir = tempdir();
    let bundle = dir.path().join("iris.cairn");
    let o = cairn(&["train", s(&asset("iris.csv")), "--target", "species", "--json", "--out", s(&bundle)]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object on stdout");
    assert_eq!(v["task"], "classification");
    assert_eq!(v["model"], "logistic");
    assert_eq!(v["device"], "cpu");
    assert!(v["train_seconds"].as_f64().unwrap() >= 0.0);
    for k in ["accuracy", "precision", "recall", "f1"] {
        let m = v["metrics"][k].as_f64().unwrap_or_else(|| panic!("metric {k}"));
        assert!((0.0..=1.0).contains(&m));
    }
    assert!(bundle.exists());
}

#[test]
fn train_regression_json_and_test_file() {
    let dir = tempdir();
    // Split the file by hand: first 16000 rows train, the rest test.
    let text = std::fs::read_to_string(asset("california_housing.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let train = dir.path().join("train.csv");
    let test = dir.path().join("test.csv");
    std::fs::write(&train, format!("{header}\n{}\n", rows[..16000].join("\n"))).unwrap();
    std::fs::write(&test, format!("{header}\n{}\n", rows[16000..].join("\n"))).unwrap();
    let o = cairn(&["train", s(&train), "--target", "median_house_value", "--test", s(&test), "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["task"], "regression");
    assert_eq!(v["train_rows"], 16000);
    assert_eq!(v["test_rows"], rows.len() - 16000);
    for k in ["rmse", "mae", "r2"] {
        assert!(v["metrics"][k].is_number(), "metric {k}");
    }
}

#[test]
fn model_all_prints_a_leaderboard() {
    let o = cairn(&["train", s(&asset("iris.csv")), "--target", "species", "--model", "all", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let board = v["leaderboard"].as_array().unwrap();
    let names: Vec<&str> = board.iter().map(|r| r["model"].as_str().unwrap()).collect();
    for &m in crate::common::CLASSIFICATION_MODELS {
        assert!(names.contains(&m), "{m} missing from {names:?}");
    }
    // Best first, each with its settings.
    let acc: Vec<f64> = board.iter().map(|r| r["metrics"]["accuracy"].as_f64().unwrap()).collect();
    assert!(acc.windows(2).all(|w| w[0] >= w[1]), "{acc:?}");
    assert!(board.iter().all(|r| r["params"].is_object()));

    // Text: every classifier runs, trees included (they read the sparse word columns).
    let o = cairn(&["train", s(&asset("sms_spam.csv")), "--target", "label", "--model", "all", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert!(v["skipped"].as_array().unwrap().is_empty(), "{}", v["skipped"]);
    let board = v["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 10, "nine classifiers and the ensemble of the best three");
    assert!(board.iter().all(|r| r["metrics"]["accuracy"].as_f64().unwrap() > 0.9), "{board:?}");
}

#[test]
fn model_settings_are_validated_and_used() {
    let iris = asset("iris.csv");
    let o = cairn(&["train", s(&iris), "--target", "species", "--model", "tree", "--param", "max_depth=0"]);
    assert_clean_failure(&o, "max_depth");
    let o = cairn(&["train", s(&iris), "--target", "species", "--model", "knn", "--param", "neighbours=3"]);
    assert_clean_failure(&o, "its settings: k, weights");
    let o = cairn(&["train", s(&iris), "--target", "species", "--model", "knn", "--param", "k"]);
    assert_clean_failure(&o, "name=value");
    let o = cairn(&["train", s(&iris), "--target", "species", "--model", "tree", "--param", "max_depth=1", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["params"]["max_depth"], 1);
    // One question can tell one species from the other two, not all three: a stump is worse.
    let acc = v["metrics"]["accuracy"].as_f64().unwrap();
    assert!(acc < 0.7, "a depth-1 tree cannot separate three classes: {acc}");
}

#[test]
fn tuning_searches_by_cross_validation_and_reports_every_trial() {
    let iris = asset("iris.csv");
    let o = cairn(&["train", s(&iris), "--target", "species", "--model", "knn", "--tune", "grid", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let trials = v["tuning"]["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 10, "5 values of k × 2 weightings");
    let best = &trials[v["tuning"]["best"].as_u64().unwrap() as usize];
    let top = trials.iter().map(|t| t["score"].as_f64().unwrap()).fold(f64::MIN, f64::max);
    assert_eq!(best["score"].as_f64().unwrap(), top);
    // The final model uses the winning settings.
    assert_eq!(v["params"], best["params"]["values"]);
    assert_eq!(v["tuning"]["folds"], 5);

    let o = cairn(&[
        "train",
        s(&iris),
        "--target",
        "species",
        "--model",
        "random_forest",
        "--tune",
        "random",
        "--trials",
        "3",
        "--cv",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["tuning"]["trials"].as_array().unwrap().len(), 3);
    assert_eq!(v["tuning"]["folds"], 3);

    let o = cairn(&["train", s(&iris), "--target", "species", "--tune", "sideways"]);
    assert_clean_failure(&o, "grid or random");
    let o = cairn(&["train", s(&asset("california_housing.csv")), "--target", "median_house_value", "--tune", "grid"]);
    assert_clean_failure(&o, "no settings to tune");
}

#[test]
fn bad_input_fails_cleanly() {
    let dir = tempdir();
    let housing = asset("california_housing.csv");

    let o = cairn(&["train", s(&housing), "--target", "price"]);
    assert_clean_failure(&o, "price");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_clean_failure(&cairn(&["train", s(&empty), "--target", "x"]), "empty");

    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, "a,b,c\n1,2,3\n4,5\n").unwrap();
    assert_clean_failure(&cairn(&["inspect", s(&ragged)]), "line 3");

    let o = cairn(&["train", s(&housing), "--target", "ocean_proximity", "--task", "regression"]);
    assert_clean_failure(&o, "ocean_proximity");

    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--model", "logistic"]);
    assert_clean_failure(&o, "logistic");

    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--model", "banana"]);
    assert_clean_failure(&o, "banana");

    let o = cairn(&["train", s(&dir.path().join("nope.csv")), "--target", "x"]);
    assert_clean_failure(&o, "nope.csv");

    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--test-size", "1.5"]);
    assert_clean_failure(&o, "test size");

    let o = cairn(&["predict", s(&housing), s(&housing)]);
    assert_clean_failure(&o, "not a Cairn bundle");
}

#[test]
fn predict_adds_columns_and_never_writes_partial_output() {
    let dir = tempdir();
    let bundle = dir.path().join("spam.cairn");
    let o = cairn(&["train", s(&asset("sms_spam.csv")), "--target", "label", "--out", s(&bundle)]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));

    let input = dir.path().join("in.csv");
    std::fs::write(&input, "text\n\"WINNER!! Claim your free prize, call 09061701461 now\"\nsee you at lunch?\n")
        .unwrap();
    let out = dir.path().join("out.csv");
    let o = cairn(&["predict", s(&bundle), s(&input), "-o", s(&out)]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "text,prediction,probability_ham,probability_spam");
    assert!(lines.next().unwrap().contains(",spam,"), "{text}");
    assert!(lines.next().unwrap().contains(",ham,"), "{text}");

    // A file without the text column: clear error, and no output file at all.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "message\nhello\n").unwrap();
    let out2 = dir.path().join("out2.csv");
    let o = cairn(&["predict", s(&bundle), s(&bad), "-o", s(&out2)]);
    assert_clean_failure(&o, "text");
    assert!(!out2.exists());
}

#[test]
fn inspect_json_profiles_the_data() {
    let o = cairn(&["inspect", s(&asset("california_housing.csv")), "--json"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["rows"], 20640);
    let cols = v["column_profiles"].as_array().unwrap();
    let beds = cols.iter().find(|c| c["name"] == "total_bedrooms").unwrap();
    assert_eq!(beds["missing"], 207);
    let ocean = cols.iter().find(|c| c["name"] == "ocean_proximity").unwrap();
    assert_eq!(ocean["kind"], "categorical");
    assert_eq!(ocean["distinct"], 5);
    let human = cairn(&["inspect", s(&asset("sms_spam.csv"))]);
    assert!(stdout(&human).contains("text"));
}

#[test]
fn wrong_model_for_the_task_and_too_many_classes() {
    let housing = asset("california_housing.csv");
    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--model", "logistic"]);
    assert_clean_failure(&o, "classification model, but the task is regression");
    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--task", "classification"]);
    assert_clean_failure(&o, "too many classes");
    let o = cairn(&["train", s(&asset("nope.csv")), "--target", "x"]);
    let err = crate::common::stderr(&o);
    assert_eq!(err.matches("No such file").count(), 1, "cause printed once: {err}");
}

#[test]
fn degenerate_tables_get_specific_messages() {
    let dir = tempdir();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let only_target = write("only.csv", "y\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
    assert_clean_failure(
        &cairn(&["train", s(&only_target), "--target", "y"]),
        "at least one column besides the target",
    );
    let one_class = write("one.csv", "x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n");
    assert_clean_failure(&cairn(&["train", s(&one_class), "--target", "y"]), "only one class");
    let no_target = write("none.csv", "x,y\n1,\n2,\n3,\n");
    assert_clean_failure(&cairn(&["train", s(&no_target), "--target", "y"]), "has no values");
    let unclosed = write("q.csv", "x,y\n\"1,2\n");
    assert_clean_failure(&cairn(&["inspect", s(&unclosed)]), "never closed");
}

#[test]
fn cross_validation_matches_the_reference_protocol() {
    // REFERENCE.md: CV5 LinearRegression on the 80 % training part: R² 0.6477 ± 0.0132;
    // TF-IDF + LogisticRegression on spam: accuracy 0.9668 ± 0.0027.
    let o =
        cairn(&["train", s(&asset("california_housing.csv")), "--target", "median_house_value", "--cv", "5", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let (mean, std) = (v["cv"]["mean"]["r2"].as_f64().unwrap(), v["cv"]["std"]["r2"].as_f64().unwrap());
    eprintln!("california CV5 linear R² {mean:.4} ± {std:.4} (sklearn 0.6477 ± 0.0132)");
    // The folds are scikit-learn's own (same rows), so the figures agree to rounding.
    assert!((mean - 0.6477).abs() < 0.0005 && (std - 0.0132).abs() < 0.0005, "{mean} ± {std}");
    assert_eq!(v["cv"]["folds"], 5);

    let o = cairn(&["train", s(&asset("sms_spam.csv")), "--target", "label", "--cv", "5", "--json"]);
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let (mean, std) = (v["cv"]["mean"]["accuracy"].as_f64().unwrap(), v["cv"]["std"]["accuracy"].as_f64().unwrap());
    eprintln!("spam CV5 logistic accuracy {mean:.4} ± {std:.4} (sklearn 0.9668 ± 0.0027)");
    assert!((mean - 0.9668).abs() < 0.0005 && (std - 0.0027).abs() < 0.0005, "{mean} ± {std}");

    let o = cairn(&["train", s(&asset("iris.csv")), "--target", "species", "--cv", "1"]);
    assert_clean_failure(&o, "at least 2 folds");
}

#[test]
fn importance_and_learning_curve_in_the_json() {
    let data = asset("iris.csv");
    let o = cairn(&["train", s(&data), "--target", "species", "--importance", "--learning-curve", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let columns = v["importance"]["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 4);
    assert!(columns[0]["column"].as_str().unwrap().starts_with("petal"), "{columns:?}");
    assert_eq!(v["importance"]["baseline"], v["metrics"]["accuracy"]);
    let points = v["learning_curve"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 6);
    assert_eq!(points[5]["test_score"], v["metrics"]["accuracy"], "the full-size point is the trained model");
    assert!(!v["learning_curve"]["note"].as_str().unwrap().is_empty());
}

#[test]
fn kmeans_needs_no_target() {
    let data = asset("penguins.csv");
    let o = cairn(&["train", s(&data), "--model", "kmeans", "--param", "k=4", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["task"], "clustering");
    assert_eq!(v["params"]["k"], 4);
    let sil = v["metrics"]["silhouette"].as_f64().unwrap();
    assert!(sil > 0.0 && sil <= 1.0, "{sil}");
    assert!(v["metrics"].get("adjusted_rand").is_none());
    // Any other model still needs a target, and says so.
    let o = cairn(&["train", s(&data), "--model", "tree"]);
    assert_clean_failure(&o, "choose the target column");
}

#[test]
fn serve_load_benchmark_runs_the_real_server() {
    let o = cairn(&["bench", "serve", "--data-dir", s(&asset("")), "--clients", "2", "--requests", "200", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases[0]["requests"], 200);
    assert_eq!(cases[1]["requests"], 20);
    assert!(cases.iter().all(|c| c["errors"] == 0 && c["p99_ms"].as_f64().unwrap() > 0.0), "{cases:?}");
    // The server counted every row itself (warm-up included).
    assert!(v["server_predictions"].as_u64().unwrap() >= 200 + 20 * 100);
}

#[test]
fn monitor_weighs_drift_by_what_the_model_relies_on() {
    let dir = tempdir();
    let data = asset("california_housing.csv");
    let bundle = dir.path().join("house.cairn");
    assert!(cairn(&["train", s(&data), "--target", "median_house_value", "--out", s(&bundle)]).status.success());
    let ds = cairn::data::read_csv_path(&data).unwrap();
    // Reference: even rows; current: odd rows as they are, and odd rows with incomes × 1.5.
    let write = |name: &str, rows: Vec<usize>, scale: f64| {
        let mut part = ds.take_rows(&rows);
        for c in &mut part.columns {
            if c.name == "median_income"
                && let cairn::data::Values::Numeric(v) = &mut c.values
            {
                v.raw_mut().iter_mut().for_each(|x| *x *= scale);
            }
        }
        let mut csv = part.column_names().join(",") + "\n";
        for r in 0..part.n_rows() {
            let cells: Vec<String> = part.columns.iter().map(|c| c.cell_text(r)).collect();
            csv.push_str(&(cells.join(",") + "\n"));
        }
        let path = dir.path().join(name);
        std::fs::write(&path, csv).unwrap();
        path
    };
    let reference = write("ref.csv", (0..ds.n_rows()).step_by(2).collect(), 1.0);
    let same = write("same.csv", (1..ds.n_rows()).step_by(2).collect(), 1.0);
    let shifted = write("shifted.csv", (1..ds.n_rows()).step_by(2).collect(), 1.5);
    let run = |current: &std::path::Path| -> Value {
        let o = cairn(&["monitor", s(&bundle), "--reference", s(&reference), "--current", s(current), "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let v = run(&same);
    assert_eq!(v["drifted_features"], 0, "{v}");
    assert_eq!(v["dataset_drift"], false);
    let v = run(&shifted);
    let features = v["features"].as_array().unwrap();
    let income = features.iter().find(|f| f["column"] == "median_income").unwrap();
    assert_eq!(income["drifted"], true, "{income}");
    assert_eq!(income["method"], "wasserstein", "10 320 rows: decided by the distance");
    assert!(income["measures"]["psi"].as_f64().unwrap() > 0.25, "{income}");
    assert_eq!(v["drifted_features"], 1, "only the income moved");
    // One feature of nine is not half of the columns, but it is what the model leans on most:
    // the importance-weighted verdict flags the data set; the share-of-columns rule does not.
    assert_eq!(v["share_rule_drift"], false, "{v}");
    let carried = v["importance_share_drifted"].as_f64().unwrap();
    assert!(carried >= 0.25, "income carries {carried} of the importance");
    assert!(carried == v["importance"]["median_income"].as_f64().unwrap());
    assert_eq!(v["dataset_drift"], true, "{v}");
    assert!(v["reading"][0].as_str().unwrap().contains("median_income"), "{v}");
    // The same rows in another order: nothing drifts.
    let mut order: Vec<usize> = (0..ds.n_rows()).step_by(2).collect();
    order.reverse();
    let v = run(&write("shuffled.csv", order, 1.0));
    assert_eq!((v["drifted_features"].as_u64(), v["dataset_drift"].as_bool()), (Some(0), Some(false)), "{v}");
    // Small samples are decided by the tests.
    let small = write("small.csv", (1..400).step_by(2).collect(), 1.5);
    let v = run(&small);
    let income = v["features"].as_array().unwrap().iter().find(|f| f["column"] == "median_income").unwrap().clone();
    assert_eq!((income["method"].as_str(), income["drifted"].as_bool()), (Some("ks"), Some(true)), "{income}");
}

#[test]
fn export_docker_writes_a_build_context_that_serves_the_bundle() {
    let dir = tempdir();
    let bundle = crate::common::train_bundle(dir.path(), "iris.csv", "species", "iris.cairn");
    let out = dir.path().join("image");
    let o = cairn(&["export", s(&bundle), "--docker", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dockerfile = std::fs::read_to_string(out.join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("\nFROM scratch\n"), "{dockerfile}");
    assert!(dockerfile.contains("COPY model.cairn /model/model.cairn"));
    assert!(dockerfile.contains("\"--host\", \"0.0.0.0\""));
    assert_eq!(std::fs::read(out.join("model.cairn")).unwrap(), std::fs::read(&bundle).unwrap());
    // Exactly the libraries `ldd` lists, the loader among them.
    let libs = cairn::serve::export::shared_libraries(&crate::common::cairn_exe()).unwrap();
    assert!(libs.iter().any(|l| l.to_string_lossy().contains("ld-linux")), "{libs:?}");
    for lib in &libs {
        assert!(out.join("rootfs").join(lib.strip_prefix("/").unwrap()).is_file(), "{lib:?} not copied");
    }

    // podman builds the image with no network (FROM scratch). Containers cannot run in this
    // sandbox (crun: cgroups in hybrid mode), so the image's own file system is exported and its
    // entry point run with the image's loader and libraries only: it serves the bundle.
    let found = std::process::Command::new("sh").args(["-c", "command -v podman"]).output().unwrap();
    assert!(found.status.success(), "podman builds the image here (bash .ci/system-packages --test installs it)");
    let tag = format!("localhost/cairn-export-test-{}", std::process::id());
    let podman = |args: &[&str]| {
        let o = std::process::Command::new("podman").args(args).output().unwrap();
        assert!(o.status.success(), "podman {args:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    podman(&["build", "-q", "-t", &tag, s(&out)]);
    let entry: Vec<String> =
        serde_json::from_str(&podman(&["image", "inspect", "--format", "{{json .Config.Entrypoint}}", &tag])).unwrap();
    let container = podman(&["create", &tag]);
    let root = dir.path().join("rootfs-of-image");
    std::fs::create_dir_all(&root).unwrap();
    let tar = dir.path().join("image.tar");
    podman(&["export", "-o", s(&tar), &container]);
    podman(&["rm", &container]);
    podman(&["rmi", &tag]);
    let o = std::process::Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&root).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let in_image = |p: &str| root.join(p.trim_start_matches('/'));
    let loader = libs.iter().find(|l| l.to_string_lossy().contains("ld-linux")).unwrap();
    let dirs: Vec<String> =
        libs.iter().filter_map(|l| l.parent()).map(|d| in_image(&d.to_string_lossy()).display().to_string()).collect();
    assert_eq!(entry[..3], ["/usr/local/bin/cairn", "serve", "/model/model.cairn"]);
    let mut child = std::process::Command::new(in_image(&loader.to_string_lossy()))
        .arg("--library-path")
        .arg(dirs.join(":"))
        .arg(in_image(&entry[0]))
        .args(["serve", s(&in_image(&entry[2])), "--host", "127.0.0.1", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
    let (status, body) = crate::serve::get(&format!("{url}/v2/health/ready"));
    child.kill().ok();
    child.wait().ok();
    assert_eq!(status, 200, "the image's entry point serves: {line} {body}");
    // A damaged bundle is refused before anything is written.
    std::fs::write(dir.path().join("bad.cairn"), "nope").unwrap();
    let o = cairn(&["export", s(&dir.path().join("bad.cairn")), "--docker", s(&dir.path().join("x"))]);
    assert_clean_failure(&o, "bad.cairn");
    assert!(!dir.path().join("x").exists());
}

#[test]
fn json_and_json_lines_train_like_the_csv() {
    let dir = tempdir();
    let ds = cairn::data::read_csv_path(&asset("iris.csv")).unwrap();
    let records: Vec<Value> = (0..ds.n_rows())
        .map(|r| {
            let mut m = serde_json::Map::new();
            for c in &ds.columns {
                let v = match &c.values {
                    cairn::data::Values::Numeric(v) => serde_json::json!(v.get(r)),
                    cairn::data::Values::Str(v) => serde_json::json!(v.get(r)),
                };
                m.insert(c.name.clone(), v);
            }
            Value::Object(m)
        })
        .collect();
    let json = dir.path().join("iris.json");
    std::fs::write(&json, serde_json::to_string(&records).unwrap()).unwrap();
    let ndjson = dir.path().join("iris.ndjson");
    std::fs::write(&ndjson, records.iter().map(|r| r.to_string() + "\n").collect::<String>()).unwrap();
    let accuracy = |path: &std::path::Path| -> Value {
        let o = cairn(&["train", s(path), "--target", "species", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str::<Value>(&stdout(&o)).unwrap()["metrics"]["accuracy"].clone()
    };
    let csv = accuracy(&asset("iris.csv"));
    assert_eq!(accuracy(&json), csv);
    assert_eq!(accuracy(&ndjson), csv);
}

#[test]
fn inspect_coaches_about_the_data_and_the_target() {
    let o = cairn(&["inspect", s(&asset("sms_spam.csv")), "--target", "label", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    let kinds: Vec<&str> = warnings.iter().map(|w| w["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"duplicates") && kinds.contains(&"text"), "{kinds:?}");
    let dup = warnings.iter().find(|w| w["kind"] == "duplicates").unwrap();
    assert!(dup["message"].as_str().unwrap().starts_with("403 rows"), "the 403 duplicates REFERENCE.md notes: {dup}");
    // A leaking column is named: the label written out again under another name.
    let dir = tempdir();
    let ds = cairn::data::read_csv_path(&asset("penguins.csv")).unwrap();
    let mut csv = String::from("species,bill_length_mm,tag\n");
    for r in 0..ds.n_rows() {
        let sp = ds.column("species").unwrap().cell_text(r);
        let bill = ds.column("bill_length_mm").unwrap().cell_text(r);
        csv.push_str(&format!("{sp},{bill},{}\n", sp.to_uppercase()));
    }
    let path = dir.path().join("leak.csv");
    std::fs::write(&path, csv).unwrap();
    let o = cairn(&["inspect", s(&path), "--target", "species"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("'tag' predicts 'species' almost perfectly"), "{text}");
    assert!(!text.contains("'bill_length_mm' predicts"), "{text}");
}

#[test]
fn an_mlp_trains_on_the_gpu_and_its_bundle_predicts_on_the_cpu() {
    if crate::gpu::gpu().is_none() {
        return;
    }
    let dir = tempdir();
    let bundle = dir.path().join("iris-mlp.cairn");
    let iris = asset("iris.csv");
    let args = ["train", s(&iris), "--target", "species", "--model", "mlp", "--param", "epochs=30"];
    let o = cairn(&[&args[..], &["--device", "gpu", "--json", "--out", s(&bundle)]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let device = v["device"].as_str().unwrap();
    assert!(device != "cpu" && device.contains('('), "device should name the adapter: {device}");
    assert!(v["train_seconds"].as_f64().unwrap() > 0.0);
    // Live epochs on stderr, 30 of them.
    assert_eq!(stderr(&o).matches("training loss").count(), 30, "{}", stderr(&o));

    // The same run on the CPU engine ends at (nearly) the same score.
    let o = cairn(&[&args[..], &["--device", "cpu", "--json"]].concat());
    let c: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(c["device"], "cpu");
    let (g, cpu) = (v["metrics"]["accuracy"].as_f64().unwrap(), c["metrics"]["accuracy"].as_f64().unwrap());
    assert!((g - cpu).abs() <= 0.034, "gpu {g} vs cpu {cpu}");

    // The bundle predicts (on the CPU) with class probabilities.
    let out = dir.path().join("pred.csv");
    let o = cairn(&["predict", s(&bundle), s(&iris), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains("prediction") && header.contains("setosa"), "{header}");
    let correct = text
        .lines()
        .skip(1)
        .filter(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            cells.get(4) == cells.get(5)
        })
        .count();
    // 30 small steps: well above chance (50), short of a fully trained net.
    assert!(correct >= 120, "only {correct} of 150 iris rows predicted right");
}

/// A table too small to split says how many rows it needs, and that many rows train.
#[test]
fn too_few_rows_names_the_rows_needed_and_that_many_train() {
    let dir = tempdir();
    let two = dir.path().join("two.csv");
    std::fs::write(&two, "size,price\n50,100.5\n70,140.25\n").unwrap();
    let o = cairn(&["train", s(&two), "--target", "price"]);
    assert_clean_failure(&o, "too few rows: 2 with a target value; need at least 3");
    let three = dir.path().join("three.csv");
    std::fs::write(&three, "size,price\n50,100.5\n70,140.25\n60,119.75\n").unwrap();
    let o = cairn(&["train", s(&three), "--target", "price"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// "Try all models" under a time budget: once it is spent no model starts (the first always
/// runs), and the ones left are listed as not tried; without one, every model runs.
#[test]
fn try_all_models_stops_starting_models_when_the_time_budget_is_spent() {
    let iris = crate::common::asset("iris.csv");
    let run = |extra: &[&str]| {
        let mut args = vec!["train", iris.to_str().unwrap(), "--target", "species", "--model", "all", "--json"];
        args.extend_from_slice(extra);
        let o = crate::common::cairn(&args);
        assert!(o.status.success(), "{}", crate::common::stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let all = run(&[]);
    let every = all["leaderboard"].as_array().unwrap().len();
    assert!(every >= 5, "{all}");
    let not_tried = |v: &serde_json::Value| {
        v["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["reason"].as_str().unwrap().contains("time budget"))
            .count()
    };
    assert_eq!(not_tried(&all), 0);
    // A millisecond: the first models (under a millisecond each on iris) may fit in it, the
    // slow ones (forest, boosting, the network, last in the order) cannot.
    let quick = run(&["--time-budget", "0.001"]);
    let tried = quick["leaderboard"].as_array().unwrap().len();
    assert!(tried >= 1 && not_tried(&quick) >= 1, "{quick}");
    assert_eq!(tried + not_tried(&quick), every, "{quick}");
    let left: Vec<&str> = quick["skipped"].as_array().unwrap().iter().map(|s| s["model"].as_str().unwrap()).collect();
    assert_eq!(left[left.len() - 2..], ["mlp", "ensemble"], "the last models are the ones left: {quick}");
    let o = crate::common::cairn(&["train", iris.to_str().unwrap(), "--target", "species", "--time-budget", "5"]);
    crate::common::assert_clean_failure(&o, "--time-budget is for --model all");
}

#[test]
fn model_auto_compares_fast_candidates_by_cross_validation_under_a_budget() {
    let housing = asset("california_housing.csv");
    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--model", "auto", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let auto = &v["automatic"];
    let candidates = auto["candidates"].as_array().unwrap();
    let names: Vec<&str> = candidates.iter().map(|c| c["model"].as_str().unwrap()).collect();
    // Never plain least squares: a regularised linear model, histogram boosting, a small forest.
    assert_eq!(names, ["ridge", "hist_gradient_boosting", "random_forest"]);
    let best =
        candidates.iter().max_by(|a, b| a["score"].as_f64().unwrap().total_cmp(&b["score"].as_f64().unwrap())).unwrap();
    assert_eq!(auto["chosen"], best["model"]);
    assert_eq!(v["model"], auto["chosen"], "the chosen model is the one trained");
    assert_eq!((auto["metric"].as_str(), auto["folds"].as_u64()), (Some("r2"), Some(3)));
    // Cross-validated on the training rows only (80 % of 20 640), then scored on the test rows.
    assert_eq!(auto["rows"], 16512);
    assert!(v["metrics"]["r2"].as_f64().unwrap() > 0.78, "{}", v["metrics"]);
    assert!(crate::common::stderr(&o).contains("Automatic compared 3 models"), "{}", crate::common::stderr(&o));

    // A spent budget: only the first candidate is compared, and it is chosen.
    let o = cairn(&[
        "train",
        s(&asset("iris.csv")),
        "--target",
        "species",
        "--model",
        "auto",
        "--time-budget",
        "0.000001",
        "--json",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let candidates = v["automatic"]["candidates"].as_array().unwrap();
    assert!(candidates[0]["score"].as_f64().unwrap() > 0.8);
    assert!(candidates[1..].iter().all(|c| c["score"].is_null() && c["note"].as_str().unwrap().contains("budget")));
    assert_eq!(v["model"], "logistic");
    // --param needs one model.
    let o = cairn(&["train", s(&housing), "--target", "median_house_value", "--model", "auto", "--param", "alpha=2"]);
    assert_clean_failure(&o, "--model all or auto");
}
