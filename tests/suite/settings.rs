//! Typed model settings and the stored ones: bundles written when settings were read by name
//! (`tests/fixtures/*_v1.cairn`, made by `cairn train … --out` before the typed settings)
//! still load, read back as the same typed settings, predict what they predicted then, and
//! retrained from their manifest fit the same model again.

use crate::common::asset;
use cairn::data::{Dataset, read_path};
use cairn::project::load_bundle;
use cairn::train::params::{ForestSettings, MaxFeatures, ModelSettings, RidgeSettings};
use cairn::train::retrain::manifest_config;
use cairn::train::{Pipeline, Prediction, Settings, train};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The recorded predictions (`cairn predict` output): per row, the `prediction` cell and the
/// `probability_*` cells.
fn expected(name: &str) -> Vec<(String, Vec<f64>)> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "prediction").unwrap();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[at].to_string(), cells[at + 1..].iter().map(|c| c.parse().unwrap()).collect())
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// `pipeline`'s predictions on `input` are the recorded ones.
fn assert_predicts_as_recorded(pipeline: &Pipeline, input: &Dataset, recorded: &str) {
    let want = expected(recorded);
    match pipeline.predict(input).unwrap() {
        Prediction::Regression(v) => {
            assert_eq!(v.len(), want.len());
            for (got, (w, _)) in v.iter().zip(&want) {
                assert!(close(*got, w.parse().unwrap()), "{recorded}: predicted {got}, recorded {w}");
            }
        }
        Prediction::Classification { labels, probabilities } => {
            assert_eq!(labels.len(), want.len());
            for ((label, p), (w, wp)) in labels.iter().zip(&probabilities).zip(&want) {
                assert_eq!(label, w, "{recorded}");
                assert_eq!(p.len(), wp.len());
                assert!(p.iter().zip(wp).all(|(a, b)| close(*a, *b)), "{recorded}: {p:?} vs {wp:?}");
            }
        }
    }
}

#[test]
fn old_ridge_bundle_loads_reads_typed_and_predicts_the_same() {
    let (pipeline, _) = load_bundle(&fixture("ridge_v1.cairn")).unwrap();
    assert_eq!(RidgeSettings::from_params(&pipeline.info.params).unwrap(), RidgeSettings { alpha: 3.0 });
    let input = read_path(&fixture("ridge_v1_input.csv")).unwrap();
    assert_predicts_as_recorded(&pipeline, &input, "ridge_v1_expected.csv");

    // Refit from the manifest on the same 200 rows: the typed settings fit the same model.
    let dir = crate::common::tempdir();
    let text = std::fs::read_to_string(asset("california_housing.csv")).unwrap();
    let slice: Vec<&str> = text.lines().take(201).collect();
    let data = dir.path().join("housing200.csv");
    std::fs::write(&data, slice.join("\n") + "\n").unwrap();
    let data = read_path(&data).unwrap();
    let outcome = train(&data, None, &manifest_config(&pipeline), &mut |_| {}).unwrap();
    assert_eq!(outcome.pipeline.info.data_hash, pipeline.info.data_hash, "not the rows the bundle was trained on");
    assert_predicts_as_recorded(&outcome.pipeline, &input, "ridge_v1_expected.csv");
}

#[test]
fn old_forest_bundle_loads_reads_typed_and_predicts_the_same() {
    let (pipeline, _) = load_bundle(&fixture("forest_v1.cairn")).unwrap();
    let want = ForestSettings {
        n_trees: 4,
        max_depth: Some(4),
        min_samples_leaf: 1,
        max_features: MaxFeatures::Sqrt,
        ..Default::default()
    };
    assert_eq!(Settings::from_params(&pipeline.info.params).unwrap(), Settings::RandomForest(want));
    // Written back, the old settings are unchanged; settings added since (class_weight) take
    // their defaults.
    let mut written = want.to_params();
    assert_eq!(written.values.remove("class_weight").map(|v| v.to_string()).as_deref(), Some("none"));
    assert_eq!(written, pipeline.info.params);
    let input = read_path(&fixture("forest_v1_input.csv")).unwrap();
    assert_predicts_as_recorded(&pipeline, &input, "forest_v1_expected.csv");

    let data = read_path(&asset("iris.csv")).unwrap();
    let outcome = train(&data, None, &manifest_config(&pipeline), &mut |_| {}).unwrap();
    assert_eq!(outcome.pipeline.info.data_hash, pipeline.info.data_hash);
    assert_predicts_as_recorded(&outcome.pipeline, &input, "forest_v1_expected.csv");
}
