//! ONNX export round trip: the exported graph (recipe + model), loaded and run by tract, gives
//! the predictions Cairn gives, on real data with categories and missing cells.

use crate::common::{asset, cairn, stderr, tempdir, train_bundle};
use cairn::data::{Dataset, Values, read_csv_path};
use cairn::serve::export::to_onnx;
use cairn::train::{ModelKind, Params, Pipeline, Prediction, TrainConfig, train};
use tract_onnx::prelude::*;

/// Runs the ONNX model with tract on every row of `ds`; the outputs in graph order.
fn run_onnx(bytes: &[u8], pipeline: &Pipeline, ds: &Dataset) -> Vec<Tensor> {
    let mut model = tract_onnx::onnx().model_for_read(&mut &bytes[..]).expect("tract reads the ONNX model");
    let mut inputs: TVec<TValue> = tvec![];
    for (i, step) in pipeline.fitted_recipe.steps.iter().enumerate() {
        let col = ds.column(step.column()).expect("column");
        let t = match &col.values {
            Values::Numeric(v) => {
                let cells: Vec<f64> = v.iter().map(|x| x.unwrap_or(f64::NAN)).collect();
                tract_ndarray::Array1::from_vec(cells).into_tensor()
            }
            Values::Str(v) => {
                let cells: Vec<String> = v.iter().map(|s| s.unwrap_or_default().to_string()).collect();
                tract_ndarray::Array1::from_vec(cells).into_tensor()
            }
        };
        model = model.with_input_fact(i, InferenceFact::dt_shape(t.datum_type(), t.shape())).unwrap();
        inputs.push(t.into());
    }
    let plan = model.into_optimized().expect("optimise").into_runnable().expect("plan");
    plan.run(inputs).expect("run").into_iter().map(|v| v.into_tensor()).collect()
}

fn doubles(t: &Tensor) -> Vec<f64> {
    t.to_plain_array_view::<f64>().expect("double output").iter().copied().collect()
}

fn strings(t: &Tensor) -> Vec<String> {
    t.to_plain_array_view::<String>().expect("string output").iter().cloned().collect()
}

fn fit(ds: &Dataset, target: &str, model: ModelKind, settings: &[(&str, &str)]) -> Pipeline {
    let mut cfg = TrainConfig::new(target);
    cfg.model = Some(model);
    let mut params = Params::defaults(model);
    for (k, v) in settings {
        params.set(k, v).unwrap();
    }
    cfg.params = Some(params);
    train(ds, None, &cfg, &mut |_| {}).expect("train").pipeline
}

/// Exports, runs with tract, and compares with `Pipeline::predict` (relative tolerance `tol`).
fn round_trip(pipeline: &Pipeline, ds: &Dataset, tol: f64) {
    let bytes = to_onnx(pipeline, "test").expect("export");
    let out = run_onnx(&bytes, pipeline, ds);
    let model = &pipeline.info.model;
    let close = |a: f64, b: f64| (a - b).abs() <= tol * b.abs().max(1.0);
    match pipeline.predict(ds).unwrap() {
        Prediction::Regression(expected) => {
            let got = doubles(&out[0]);
            assert_eq!(got.len(), expected.len());
            let worst = got.iter().zip(&expected).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0.0, f64::max);
            eprintln!("{model}: {} rows, worst relative difference {worst:.2e}", got.len());
            assert!(got.iter().zip(&expected).all(|(a, b)| close(*a, *b)), "{model}: worst {worst}");
        }
        Prediction::Classification { labels, probabilities } => {
            let got_labels = strings(&out[0]);
            // Then one probability column per class.
            assert_eq!(out.len(), 1 + pipeline.target.classes.len());
            let got: Vec<Vec<f64>> = out[1..].iter().map(doubles).collect();
            let mut worst = 0.0f64;
            for (r, row) in probabilities.iter().enumerate() {
                for (c, p) in row.iter().enumerate() {
                    worst = worst.max((got[c][r] - p).abs());
                    assert!(close(got[c][r], *p), "{model} row {r} class {c}: {} vs {p}", got[c][r]);
                }
            }
            let same = got_labels.iter().zip(&labels).filter(|(a, b)| a == b).count();
            eprintln!("{model}: {} rows, labels equal {same}, worst probability difference {worst:.2e}", labels.len());
            assert_eq!(same, labels.len(), "{model}: labels differ");
        }
    }
}

#[test]
fn onnx_round_trip_regression_on_california() {
    let ds = read_csv_path(&asset("california_housing.csv")).unwrap();
    // ocean_proximity is a category column, total_bedrooms has missing cells.
    let rows = ds.take_rows(&(0..ds.n_rows()).step_by(7).collect::<Vec<_>>());
    let target = "median_house_value";
    round_trip(&fit(&ds, target, ModelKind::Linear, &[]), &rows, 1e-9);
    round_trip(&fit(&ds, target, ModelKind::Ridge, &[]), &rows, 1e-9);
    round_trip(&fit(&ds, target, ModelKind::Tree, &[]), &rows, 1e-9);
    round_trip(&fit(&ds, target, ModelKind::RandomForest, &[("n_trees", "10")]), &rows, 1e-9);
    round_trip(&fit(&ds, target, ModelKind::GradientBoosting, &[]), &rows, 1e-9);
    // Histogram boosting: category-set splits on ocean_proximity, gaps of total_bedrooms routed.
    let hist = fit(&ds, target, ModelKind::HistGradientBoosting, &[]);
    let cairn::train::FittedModel::Boosted(m) = &hist.model else { panic!("not boosted") };
    assert!(m.rounds.iter().flatten().any(|t| !t.category_sets.is_empty()), "no category split");
    round_trip(&hist, &rows, 1e-9);
    round_trip(&fit(&ds, target, ModelKind::Mlp, &[("epochs", "3"), ("activation", "gelu")]), &rows, 1e-4);
    // The averaged ensemble (ridge, histogram boosting, a forest): each member's graph, summed.
    round_trip(&fit(&ds, target, ModelKind::Ensemble, &[]), &rows, 1e-9);
}

#[test]
fn onnx_round_trip_classification_on_penguins() {
    let ds = read_csv_path(&asset("penguins.csv")).unwrap();
    // Three species (softmax) from numbers and categories with missing cells in both.
    for (model, settings) in [
        (ModelKind::Logistic, vec![]),
        (ModelKind::Tree, vec![]),
        (ModelKind::RandomForest, vec![("n_trees", "20")]),
        (ModelKind::GradientBoosting, vec![]),
        (ModelKind::HistGradientBoosting, vec![("min_samples_leaf", "5")]),
        (ModelKind::Mlp, vec![("epochs", "20")]),
        (ModelKind::Ensemble, vec![]),
    ] {
        round_trip(&fit(&ds, "species", model, &settings), &ds, 1e-6);
    }
    // Two classes: one score column through a sigmoid.
    let sexed = ds.take_rows(
        &(0..ds.n_rows())
            .filter(|&i| matches!(&ds.column("sex").unwrap().values, Values::Str(v) if v.get(i).is_some()))
            .collect::<Vec<_>>(),
    );
    for model in [ModelKind::Logistic, ModelKind::GradientBoosting, ModelKind::HistGradientBoosting, ModelKind::Mlp] {
        round_trip(&fit(&sexed, "sex", model, &[]), &sexed, 1e-6);
    }
}

#[test]
fn export_cli_writes_onnx_and_an_mlflow_folder_and_refuses_what_it_cannot_export() {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), "iris.csv", "species", "iris.cairn");
    let onnx = dir.path().join("out/iris.onnx");
    let mlflow = dir.path().join("mlflow-model");
    let o = cairn(&[
        "export",
        bundle.to_str().unwrap(),
        "--onnx",
        onnx.to_str().unwrap(),
        "--mlflow",
        mlflow.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The MLflow folder holds the same ONNX model, the bundle and an MLmodel naming both.
    assert_eq!(std::fs::read(&onnx).unwrap(), std::fs::read(mlflow.join("model.onnx")).unwrap());
    assert_eq!(std::fs::read(&bundle).unwrap(), std::fs::read(mlflow.join("model.cairn")).unwrap());
    let mlmodel = std::fs::read_to_string(mlflow.join("MLmodel")).unwrap();
    assert!(mlmodel.contains("loader_module: mlflow.onnx") && mlmodel.contains("data: model.onnx"), "{mlmodel}");
    assert!(mlmodel.contains(r#"{"name":"sepal_length","required":true,"type":"double"}"#), "{mlmodel}");
    let example: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mlflow.join("input_example.json")).unwrap()).unwrap();
    assert_eq!(example["columns"].as_array().unwrap().len(), 4);
    // The exported file runs in tract and agrees with the bundle.
    let (pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    let ds = read_csv_path(&asset("iris.csv")).unwrap();
    let out = run_onnx(&std::fs::read(&onnx).unwrap(), &pipeline, &ds);
    let Prediction::Classification { labels, .. } = pipeline.predict(&ds).unwrap() else { panic!() };
    assert_eq!(strings(&out[0]), labels);

    // Free text and models without an ONNX form are refused by name, with nothing written.
    let spam = train_bundle(dir.path(), "sms_spam.csv", "label", "spam.cairn");
    let target = dir.path().join("spam.onnx");
    let o = cairn(&["export", spam.to_str().unwrap(), "--onnx", target.to_str().unwrap()]);
    crate::common::assert_clean_failure(&o, "column 'text' is free text");
    assert!(!target.exists());
    let knn = dir.path().join("knn.cairn");
    let o = cairn(&[
        "train",
        asset("iris.csv").to_str().unwrap(),
        "--target",
        "species",
        "--model",
        "knn",
        "--out",
        knn.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = cairn(&["export", knn.to_str().unwrap(), "--onnx", target.to_str().unwrap()]);
    crate::common::assert_clean_failure(&o, "ONNX export covers linear");
    let o = cairn(&["export", knn.to_str().unwrap()]);
    crate::common::assert_clean_failure(&o, "--onnx FILE");
}
