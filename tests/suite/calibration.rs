//! Probability calibration, the Brier score and the reliability diagram against scikit-learn
//! (`benches/sklearn_calibration.py`): the isotonic curve, Platt's sigmoid, `brier_score_loss`
//! and `calibration_curve` on the same numbers; then end to end, naive Bayes on the spam sample
//! (over-confident) gets a better Brier score on held-out rows once calibrated, and the
//! probabilities `cairn predict` writes are the calibrated ones the test report scored.

use crate::common::{assert_clean_failure, asset, cairn, stderr, tempdir};
use cairn::train::calibration::{brier, interpolate, isotonic, platt, reliability};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn sklearn(request: &Value) -> Value {
    crate::common::python_reference("benches/sklearn_calibration.py", "sklearn", request)
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn isotonic_sigmoid_brier_and_the_reliability_curve_match_scikit_learn() {
    // An over-confident model: it says p, the truth comes with chance 0.2 + 0.6 p (a generated,
    // repeatable stream), with some probabilities repeated (ties).
    let n = 3000;
    let p: Vec<f64> = (0..n).map(|i| ((i as f64 * 0.618_033_988_75).fract() * 100.0).round() / 100.0).collect();
    let y: Vec<bool> =
        p.iter().enumerate().map(|(i, &pi)| ((i * 7919 + 13) % 1009) as f64 / 1009.0 < 0.2 + 0.6 * pi).collect();
    let f: Vec<f64> = p.iter().map(|&pi| (pi.clamp(0.01, 0.99) / (1.0 - pi.clamp(0.01, 0.99))).ln()).collect();
    let grid: Vec<f64> = (0..=40).map(|i| i as f64 / 40.0 - 0.1).collect();
    let ys: Vec<u8> = y.iter().map(|&b| u8::from(b)).collect();
    let reference = sklearn(&json!({ "p": p, "y": ys, "f": f, "grid": grid, "probs": p, "actual": ys }));

    let (x, v) = isotonic(&p, &y);
    for (g, want) in grid.iter().zip(numbers(&reference["isotonic"])) {
        let got = interpolate(&x, &v, *g);
        assert!((got - want).abs() < 1e-9, "isotonic at {g}: {got} against {want}");
    }
    let (a, b) = platt(&f, &y);
    let want = numbers(&reference["sigmoid"]);
    // Both minimise the same convex loss; compare the fitted curves.
    for fi in [-4.0, -1.0, 0.0, 1.0, 4.0] {
        let (ours, theirs) = (1.0 / (1.0 + (a * fi + b).exp()), 1.0 / (1.0 + (want[0] * fi + want[1]).exp()));
        assert!((ours - theirs).abs() < 1e-4, "sigmoid at {fi}: {ours} against {theirs} (a {a}, b {b}; {want:?})");
    }

    let probs = ndarray::Array2::from_shape_fn((n, 2), |(i, c)| if c == 1 { p[i] } else { 1.0 - p[i] });
    let actual: Vec<usize> = y.iter().map(|&b| usize::from(b)).collect();
    let ours = brier(&probs, &actual);
    let theirs = reference["brier"].as_f64().unwrap();
    assert!((ours - theirs).abs() < 1e-12, "Brier {ours} against {theirs}");
    let bins = reliability(&probs, &actual, 10);
    let (true_share, mean_p) = (numbers(&reference["prob_true"]), numbers(&reference["prob_pred"]));
    assert_eq!(bins.len(), true_share.len());
    for ((b, t), m) in bins.iter().zip(&true_share).zip(&mean_p) {
        assert!((b[1] - t).abs() < 1e-12 && (b[0] - m).abs() < 1e-12, "bin {b:?} against ({m}, {t})");
    }
}

/// The spam sample split in two files (every fifth row tests), so that `cairn predict` can score
/// exactly the rows the training report scored.
fn split_spam(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let ds = cairn::data::read_path(&asset("sms_spam.csv")).unwrap();
    let write = |name: &str, keep: &dyn Fn(usize) -> bool| {
        let path = dir.join(name);
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(ds.column_names()).unwrap();
        for r in (0..ds.n_rows()).filter(|&r| keep(r)) {
            w.write_record(ds.columns.iter().map(|c| c.cell_text(r))).unwrap();
        }
        w.flush().unwrap();
        path
    };
    (write("train.csv", &|r| r % 5 != 0), write("test.csv", &|r| r % 5 == 0))
}

fn train_json(args: &[&str]) -> Value {
    let o = cairn(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn calibrating_an_over_confident_model_lowers_its_brier_score_on_held_out_rows() {
    let dir = tempdir();
    let (train, test) = split_spam(dir.path());
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());
    let base = ["train", train, "--test", test, "--target", "label", "--model", "naive_bayes", "--json"];
    let raw = train_json(&base);
    let bundle = dir.path().join("calibrated.cairn");
    let mut args = base.to_vec();
    args.extend(["--calibrate", "isotonic", "--out", bundle.to_str().unwrap()]);
    let calibrated = train_json(&args);
    let (before, after) = (raw["metrics"]["brier"].as_f64().unwrap(), calibrated["metrics"]["brier"].as_f64().unwrap());
    eprintln!("naive Bayes on spam, held-out Brier: {before:.4} raw, {after:.4} isotonic");
    assert!(after < 0.8 * before, "calibration did not help: {before} → {after}");
    assert_eq!(calibrated["calibration"]["method"], "isotonic");
    assert!(calibrated["calibration"]["rows"].as_u64().unwrap() > 4000);
    assert!(raw["calibration"].is_null());

    // The served probabilities are the calibrated ones the report scored.
    let out = dir.path().join("predicted.csv");
    let o = cairn(&["predict", bundle.to_str().unwrap(), test, "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let predicted = cairn::data::read_path(&out).unwrap();
    let (label, spam) = (predicted.column("label").unwrap(), predicted.column("probability_spam").unwrap());
    let gap: f64 = (0..predicted.n_rows())
        .map(|r| {
            let p: f64 = spam.cell_text(r).parse().unwrap();
            (p - if label.cell_text(r) == "spam" { 1.0 } else { 0.0 }).powi(2)
        })
        .sum::<f64>()
        / predicted.n_rows() as f64;
    assert!((gap - after).abs() < 1e-9, "Brier of the predictions {gap} against the report's {after}");

    // Its ONNX export is refused rather than written without the calibration.
    let o = cairn(&["export", bundle.to_str().unwrap(), "--onnx", dir.path().join("m.onnx").to_str().unwrap()]);
    assert_clean_failure(&o, "probabilities are calibrated (isotonic)");
    assert!(!dir.path().join("m.onnx").exists());

    let o = cairn(&[
        "train",
        &asset("california_housing.csv").display().to_string(),
        "--target",
        "median_house_value",
        "--calibrate",
        "sigmoid",
    ]);
    assert_clean_failure(&o, "calibrating probabilities needs a classification task");
    let o = cairn(&["train", train, "--target", "label", "--calibrate", "beta"]);
    assert_clean_failure(&o, "unknown --calibrate 'beta'");
}

/// Opens the spam sample, trains naive Bayes and shows the Evaluate panel.
pub(crate) fn naive_bayes_on_spam_evaluated(h: &mut egui_kittest::Harness<'static, cairn::app::CairnApp>) {
    use crate::gui::{pick_model, train_and_wait, wait_until};
    use egui_kittest::kittest::Queryable;
    h.step();
    h.get_by_label("Open Spam filter sample").click();
    h.step();
    wait_until(h, "the sample", |a| a.state.dataset.is_some());
    h.get_by_label("3  Train").click();
    h.step();
    pick_model(h, "Naive Bayes");
    train_and_wait(h);
    h.get_by_label("4  Evaluate").click();
    h.run_steps(3);
}

/// The Evaluate panel draws the reliability diagram with the Brier score, and when the
/// probabilities are off offers one click that retrains with them calibrated.
#[test]
fn the_evaluate_panel_shows_reliability_and_calibrates_in_one_click() {
    use crate::gui::wait_until;
    use egui_kittest::kittest::Queryable;
    let dir = tempdir();
    // Tall enough that the panel's lower part (the diagram) is on screen without scrolling.
    let options = crate::gui::options(cairn::app::FixedPicker::default(), dir.path());
    let mut h = crate::gui::harness_of(options, egui::vec2(1280.0, 2400.0), false);
    naive_bayes_on_spam_evaluated(&mut h);
    h.get_by_label("Can the probabilities be trusted? (reliability diagram)");
    h.get_by_label_contains("Brier score");
    let before = match h.state().state.outcome.as_ref().unwrap().pipeline.metrics {
        cairn::eval::Metrics::Classification { brier: Some(b), .. } => b,
        ref m => panic!("no Brier score: {m:?}"),
    };
    h.get_by_label("Retrain with calibrated probabilities").click();
    h.step();
    wait_until(&mut h, "the calibrated model", |a| {
        a.state.training.is_none() && a.state.outcome.as_ref().is_some_and(|o| o.pipeline.calibrator.is_some())
    });
    let after = match h.state().state.outcome.as_ref().unwrap().pipeline.metrics {
        cairn::eval::Metrics::Classification { brier: Some(b), .. } => b,
        ref m => panic!("no Brier score: {m:?}"),
    };
    assert!(after < before, "Brier {before} → {after}");
    h.run_steps(3);
    h.get_by_label_contains("Calibrated (isotonic, on");
}

/// Class weights against scikit-learn on a generated imbalanced table (5 % positives; whole
/// numbers, so the trees' bins are exact): `class_weight=balanced` gives scikit-learn's
/// logistic regression weights (on the standardised columns) and its depth-3 tree's
/// probabilities, and it makes the rare class found far more often than without.
#[test]
fn balanced_class_weights_match_scikit_learn_and_find_the_rare_class() {
    let dir = tempdir();
    let data = dir.path().join("rare.csv");
    let mut text = String::from("x0,x1,x2,y\n");
    for i in 0..2000u64 {
        let h = |k: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xD6E8_FEB8_6659_FD93)) >> 40;
        let (a, b, c) = (h(1) % 100, h(2) % 100, h(3) % 50);
        // Rare positives, more likely where x0 and x1 are high.
        let y = u8::from((a + b) as f64 / 200.0 + (h(4) % 1000) as f64 / 1000.0 * 0.35 > 1.05);
        text += &format!("{a},{b},{c},{y}\n");
    }
    std::fs::write(&data, text).unwrap();
    let has = Command::new("python3").args(["-c", "import sklearn, pandas"]).status().is_ok_and(|s| s.success());
    assert!(has, "scikit-learn and pandas are this test's reference (pip install scikit-learn pandas)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sklearn_class_weight.py");
    let o = Command::new("python3").arg(script).arg(&data).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let reference: Value = serde_json::from_slice(&o.stdout).unwrap();

    let ds = cairn::data::read_path(&data).unwrap();
    let positives = (0..ds.n_rows()).filter(|&r| ds.column("y").unwrap().cell_text(r) == "1").count();
    assert!((50..=200).contains(&positives), "{positives} positives");
    let train = |model: &str, params: &[&str]| {
        let mut cfg = cairn::train::TrainConfig::new("y");
        cfg.task = cairn::train::TaskChoice::Classification;
        cfg.model = Some(cairn::train::ModelKind::parse(model).unwrap());
        cfg.device = cairn::gpu::DeviceChoice::Cpu;
        let kind = cfg.model.unwrap();
        cfg.params =
            Some(cairn::train::Params::parse(kind, &params.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap());
        // Every row trains (the test rows are the same file): the fit is scikit-learn's.
        cairn::train::train(&ds, Some(&ds), &cfg, &mut |_| {}).unwrap()
    };
    let recall = |o: &cairn::train::TrainOutcome| match o.report.metrics {
        cairn::eval::Metrics::Classification { recall, .. } => recall,
        _ => panic!(),
    };
    let logistic = train("logistic", &["class_weight=balanced"]);
    let cairn::train::FittedModel::Logistic { coef, intercept, .. } = &logistic.pipeline.model else { panic!() };
    let want = numbers(&reference["coef"]);
    for (got, want) in coef[0].iter().zip(&want) {
        assert!((got - want).abs() < 1e-3 * want.abs().max(1.0), "coef {:?} against {want:?}", coef[0]);
    }
    let b = reference["intercept"].as_f64().unwrap();
    assert!((intercept[0] - b).abs() < 1e-3 * b.abs().max(1.0), "intercept {} against {b}", intercept[0]);

    // The linear SVM: liblinear's per-class C (C × the class's weight).
    let svm = train("svm", &["class_weight=balanced"]);
    let cairn::train::FittedModel::Svm(m) = &svm.pipeline.model else { panic!() };
    let want = numbers(&reference["svc_coef"]);
    for (got, want) in m.coef[0].iter().zip(&want) {
        assert!((got - want).abs() < 1e-2 * want.abs().max(0.1), "svm coef {:?} against {want:?}", m.coef[0]);
    }
    let b = reference["svc_intercept"].as_f64().unwrap();
    assert!((m.intercept[0] - b).abs() < 1e-2 * b.abs().max(0.1), "svm intercept {} against {b}", m.intercept[0]);
    let plain_svm = train("svm", &[]);
    eprintln!("svm recall of the rare class: {:.3} plain, {:.3} balanced", recall(&plain_svm), recall(&svm));
    assert!(recall(&svm) > recall(&plain_svm) + 0.2, "svm recall {} against {}", recall(&svm), recall(&plain_svm));

    let tree = train("tree", &["max_depth=3", "class_weight=balanced"]);
    let cairn::train::Prediction::Classification { probabilities, .. } = tree.pipeline.predict(&ds).unwrap() else {
        panic!()
    };
    for (r, (p, want)) in probabilities.iter().zip(numbers(&reference["tree_proba"])).enumerate() {
        assert!((p[1] - want).abs() < 1e-9, "row {r}: tree probability {} against {want}", p[1]);
    }

    let plain = train("logistic", &[]);
    eprintln!("recall of the rare class: {:.3} plain, {:.3} balanced", recall(&plain), recall(&logistic));
    assert!(recall(&logistic) > recall(&plain) + 0.2, "{} against {}", recall(&logistic), recall(&plain));

    // Gradient boosting (weighted gradients and Hessians), the MLP (each epoch's rows drawn by
    // class weight), naive Bayes (weighted priors) and k-nearest neighbours (weighted votes)
    // find the rare class far more often too, without losing the rest.
    let models: [(&str, &[&str]); 4] =
        [("gradient_boosting", &["max_depth=2"]), ("mlp", &[]), ("naive_bayes", &[]), ("knn", &["k=15"])];
    for (model, params) in models {
        let plain = train(model, params);
        let balanced = train(model, &[params, &["class_weight=balanced"]].concat());
        let accuracy = |o: &cairn::train::TrainOutcome| match o.report.metrics {
            cairn::eval::Metrics::Classification { accuracy, .. } => accuracy,
            _ => panic!(),
        };
        eprintln!(
            "{model}: recall of the rare class {:.3} plain, {:.3} balanced (accuracy {:.3} → {:.3})",
            recall(&plain),
            recall(&balanced),
            accuracy(&plain),
            accuracy(&balanced)
        );
        assert!(recall(&balanced) > recall(&plain) + 0.2, "{model}: {} against {}", recall(&balanced), recall(&plain));
        assert!(accuracy(&balanced) > 0.7, "{model}: accuracy {}", accuracy(&balanced));
    }
}

/// The imbalance warning's one click: logistic regression (under Automatic) with balanced class
/// weights, which the next training uses.
#[test]
fn the_imbalance_warning_balances_the_classes_in_one_click() {
    use crate::gui::{harness, open_file_and_pick_target, train_and_wait};
    use egui_kittest::kittest::Queryable;
    let dir = tempdir();
    let data = dir.path().join("rare.csv");
    let mut text = String::from("x0,x1,label\n");
    for i in 0..600u64 {
        let (a, b) = ((i * 37) % 100, (i * 53) % 100);
        text += &format!("{a},{b},{}\n", if a + b > 175 { "rare" } else { "common" });
    }
    std::fs::write(&data, text).unwrap();
    let mut h = harness(Some(data), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "label");
    h.run_steps(2);
    h.get_by_label_contains("The classes are imbalanced");
    h.get_by_label("Balance the classes").click();
    h.run_steps(2);
    let s = &h.state().state.settings;
    assert_eq!(s.model, Some(cairn::train::ModelKind::Logistic));
    assert_eq!(s.params.as_ref().unwrap().values["class_weight"].to_string(), "balanced");
    h.get_by_label("(classes balanced)");
    train_and_wait(&mut h);
    let info = &h.state().state.outcome.as_ref().unwrap().pipeline.info;
    assert_eq!(info.params.values["class_weight"].to_string(), "balanced");
}
