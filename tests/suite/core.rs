//! Core pipeline on the shipped data: quality floors (see ../shared/datasets/REFERENCE.md),
//! training-rows-only fitting, and the bundle round trip.

use crate::common::asset;
use cairn::data::{Dataset, read_csv_path};
use cairn::eval::Metrics;
use cairn::features::FittedStep;
use cairn::project::{BundleEncoding, BundleError, load_bundle, save_bundle, save_bundle_with};
use cairn::train::{ModelKind, Params, Prediction, Task, TrainConfig, TrainOutcome, split, train};

fn load(name: &str) -> Dataset {
    read_csv_path(&asset(name)).expect("read shipped dataset")
}

fn fit(ds: &Dataset, target: &str) -> TrainOutcome {
    train(ds, None, &TrainConfig::new(target), &mut |_| {}).expect("train")
}

#[test]
fn california_linear_meets_floor() {
    let ds = load("california_housing.csv");
    assert_eq!((ds.n_rows(), ds.n_cols()), (20640, 10));
    let o = fit(&ds, "median_house_value");
    assert_eq!(o.pipeline.target.task, Task::Regression);
    assert_eq!(o.pipeline.info.model, "linear");
    assert_eq!((o.pipeline.info.train_rows, o.pipeline.info.test_rows), (16512, 4128));
    let Metrics::Regression { rmse, mae, r2 } = o.report.metrics else { panic!("not regression") };
    eprintln!("california linear: R² {r2:.4} RMSE {rmse:.0} MAE {mae:.0} (sklearn: 0.6254 / 70059 / 50670)");
    assert!(r2 >= 0.60, "R² {r2} below the 0.60 floor");
    // The same rows as scikit-learn's split, so the same least-squares answer.
    assert!((r2 - 0.6254).abs() < 0.0005, "R² {r2} is not the reference 0.6254");
}

#[test]
fn spam_logistic_tfidf_meets_floor() {
    let ds = load("sms_spam.csv");
    let o = fit(&ds, "label");
    assert_eq!(o.pipeline.target.classes, vec!["ham", "spam"]);
    assert_eq!(o.pipeline.info.model, "logistic");
    assert_eq!((o.pipeline.info.train_rows, o.pipeline.info.test_rows), (4459, 1115));
    let Metrics::Classification { accuracy, precision, recall, f1, roc_auc, .. } = o.report.metrics else { panic!() };
    eprintln!(
        "spam logistic: acc {accuracy:.4} P {precision:.4} R {recall:.4} F1 {f1:.4} AUC {:?} (sklearn: 0.9749 / 1.0 / 0.8121 / 0.8963 / 0.9908)",
        roc_auc
    );
    assert!(accuracy >= 0.95, "accuracy {accuracy} below the 0.95 floor");
    assert!(roc_auc.unwrap() > 0.97);
    // The text column became TF-IDF features.
    assert!(matches!(o.pipeline.fitted_recipe.steps[0], FittedStep::Tfidf { .. }));
    assert!(o.pipeline.info.n_features > 5000);
}

#[test]
fn iris_multiclass_logistic() {
    let ds = load("iris.csv");
    let o = fit(&ds, "species");
    let Metrics::Classification { accuracy, roc_auc, .. } = o.report.metrics else { panic!() };
    eprintln!("iris logistic: acc {accuracy:.4} (sklearn 0.9333)");
    assert!(accuracy >= 0.9, "iris accuracy {accuracy}");
    assert!(roc_auc.is_none(), "ROC AUC is for binary tasks");
    let cairn::eval::Detail::Classification { confusion, .. } = &o.report.detail else { panic!() };
    assert_eq!(confusion.iter().flatten().sum::<usize>(), 30);
}

#[test]
fn recipe_is_fitted_on_training_rows_only() {
    let ds = load("california_housing.csv");
    let o = fit(&ds, "median_house_value");
    let (train_rows, _) = split::train_test_split(ds.n_rows(), None, 0.2, 42);
    let cairn::data::Values::Numeric(col) = &ds.column("total_bedrooms").unwrap().values else { panic!() };
    let mut v: Vec<f64> = train_rows.iter().filter_map(|&i| col.get(i)).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let expected = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    let median = o
        .pipeline
        .fitted_recipe
        .steps
        .iter()
        .find_map(|s| match s {
            FittedStep::ImputeScale { column, median, .. } if column == "total_bedrooms" => Some(*median),
            _ => None,
        })
        .unwrap();
    assert_eq!(median, expected);
}

#[test]
fn bundle_round_trip_and_damage() {
    let ds = load("california_housing.csv");
    let o = fit(&ds, "median_house_value");
    let dir = crate::common::tempdir();
    let path = dir.path().join("m.cairn");
    let checksum = save_bundle(&o.pipeline, &path).unwrap();
    let (loaded, checksum2) = load_bundle(&path).unwrap();
    assert_eq!(checksum, checksum2);
    assert_eq!(loaded, o.pipeline);
    let sample = ds.take_rows(&[0, 1, 2, 290]);
    assert_eq!(loaded.predict(&sample).unwrap(), o.pipeline.predict(&sample).unwrap());

    // Damage one byte of the body.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(load_bundle(&path), Err(BundleError::Checksum(_))));

    // A newer format version.
    save_bundle(&o.pipeline, &path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(18).position(|w| w == b"\"format_version\":2").unwrap();
    bytes.splice(at..at + 18, b"\"format_version\":99".iter().copied());
    std::fs::write(&path, bytes).unwrap();
    let err = load_bundle(&path).unwrap_err();
    assert!(matches!(err, BundleError::TooNew { found: 99, .. }), "{err}");

    std::fs::write(&path, "hello").unwrap();
    assert!(matches!(load_bundle(&path), Err(BundleError::NotABundle(_))));

    // Format 1 (a JSON body) is still written on request and still read; the binary body is
    // the smaller one and gives back the same pipeline.
    let json = dir.path().join("m-json.cairn");
    save_bundle_with(&o.pipeline, &json, BundleEncoding::Json).unwrap();
    let head = std::fs::read_to_string(&json).unwrap();
    assert!(head.starts_with("{\"magic\":\"cairn-bundle\",\"format_version\":1,"), "{}", &head[..80]);
    let (from_json, _) = load_bundle(&json).unwrap();
    assert_eq!(from_json, o.pipeline);
    save_bundle(&o.pipeline, &path).unwrap();
    let (binary, text) = (std::fs::metadata(&path).unwrap().len(), std::fs::metadata(&json).unwrap().len());
    assert!(binary * 2 < text, "binary {binary} B, JSON {text} B");
}

#[test]
fn a_forest_bundle_is_compact_and_loads_the_same_forest() {
    let ds = load("california_housing.csv");
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(ModelKind::RandomForest);
    cfg.params = Some(Params::parse(ModelKind::RandomForest, &["n_trees=20"]).unwrap());
    let o = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let dir = crate::common::tempdir();
    let (bin, json) = (dir.path().join("f.cairn"), dir.path().join("f-json.cairn"));
    save_bundle(&o.pipeline, &bin).unwrap();
    save_bundle_with(&o.pipeline, &json, BundleEncoding::Json).unwrap();
    let (b, j) = (std::fs::metadata(&bin).unwrap().len(), std::fs::metadata(&json).unwrap().len());
    // 20 full-depth trees on 16 512 rows: ~13 MB as JSON, well under a tenth of that here.
    assert!(b * 8 < j, "binary {b} B against JSON {j} B");
    let (loaded, _) = load_bundle(&bin).unwrap();
    assert_eq!(loaded, o.pipeline);
    let sample = ds.take_rows(&[0, 5, 77, 20000]);
    assert_eq!(loaded.predict(&sample).unwrap(), o.pipeline.predict(&sample).unwrap());
}

#[test]
fn unknown_category_and_missing_values_at_predict_time() {
    let ds = load("california_housing.csv");
    let o = fit(&ds, "median_house_value");
    let mut rec = o.pipeline.example.clone();
    rec.insert("ocean_proximity".into(), "ON THE MOON".into());
    rec.insert("total_bedrooms".into(), serde_json::Value::Null);
    let input = o.pipeline.schema.dataset_from_records(&[rec]).unwrap();
    let Prediction::Regression(v) = o.pipeline.predict(&input).unwrap() else { panic!() };
    assert!(v[0].is_finite());
}

#[test]
fn same_seed_same_result_other_seed_other_split() {
    let ds = load("iris.csv");
    let mut cfg = TrainConfig::new("species");
    let a = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let b = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    assert_eq!(a.report, b.report);
    assert_eq!(a.pipeline.model, b.pipeline.model);
    cfg.seed = 7;
    let c = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    assert_ne!(a.pipeline.model, c.pipeline.model);
}

#[test]
fn penguins_with_missing_cells_and_categories() {
    let ds = load("penguins.csv");
    let o = fit(&ds, "species");
    let Metrics::Classification { accuracy, .. } = o.report.metrics else { panic!() };
    eprintln!("penguins logistic: acc {accuracy:.4} (sklearn 1.0)");
    assert!(accuracy >= 0.97);
}

#[test]
fn trees_and_forest_on_california() {
    // REFERENCE.md: DecisionTreeRegressor R² 0.6348, RandomForestRegressor(100) R² 0.8172.
    let ds = load("california_housing.csv");
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(cairn::train::ModelKind::Tree);
    let tree = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    cfg.model = Some(cairn::train::ModelKind::RandomForest);
    let forest = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let r2 = |o: &TrainOutcome| o.report.metrics.headline().1;
    eprintln!("california tree R² {:.4} (sklearn 0.6348), forest R² {:.4} (sklearn 0.8172)", r2(&tree), r2(&forest));
    assert!(r2(&tree) >= 0.6348 - 0.01, "tree R² {}", r2(&tree));
    assert!(r2(&forest) >= 0.8172 - 0.01, "forest R² {}", r2(&forest));
    assert!(r2(&forest) > r2(&tree) + 0.1, "averaging trees must beat one tree");

    // The tree survives the bundle round trip with identical predictions.
    let dir = crate::common::tempdir();
    let path = dir.path().join("tree.cairn");
    save_bundle(&tree.pipeline, &path).unwrap();
    let (loaded, _) = load_bundle(&path).unwrap();
    let rows = ds.take_rows(&[0, 100, 2000, 20000]);
    assert_eq!(loaded.predict(&rows).unwrap(), tree.pipeline.predict(&rows).unwrap());
}

#[test]
fn trees_classify_with_probabilities() {
    let ds = load("penguins.csv");
    for model in [cairn::train::ModelKind::Tree, cairn::train::ModelKind::RandomForest] {
        let mut cfg = TrainConfig::new("species");
        cfg.model = Some(model);
        let cv = cairn::train::cv::cross_validate(&ds, &cfg, 5, &mut |_| {}).unwrap();
        eprintln!("penguins {model:?} CV5 accuracy {:.4} ± {:.4}", cv.mean["accuracy"], cv.std["accuracy"]);
        assert!(cv.mean["accuracy"] >= 0.93, "{model:?} {:?}", cv.mean);
        let o = train(&ds, None, &cfg, &mut |_| {}).unwrap();
        let Prediction::Classification { probabilities, .. } = o.pipeline.predict(&ds.take_rows(&[0, 200])).unwrap()
        else {
            panic!()
        };
        for p in probabilities {
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn permutation_importance_finds_the_signal_and_ignores_noise() {
    use cairn::data::Column;
    use cairn::eval::permutation_importance;
    // Iris plus a column of seeded noise: the petal measurements carry the species, the noise
    // column must come out near zero.
    let mut ds = load("iris.csv");
    let mut state = 12345u64;
    let noise: Vec<Option<f64>> = (0..ds.n_rows())
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Some((state >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect();
    ds = Dataset::new("iris+noise", [ds.columns, vec![Column::numeric("noise", noise)]].concat()).unwrap();
    let o = fit(&ds, "species");
    let test = ds.take_rows(&o.test_source_rows);
    let imp = permutation_importance(&o.pipeline, &test, 5, 42).unwrap();
    assert_eq!(imp.metric, "accuracy");
    assert_eq!(imp.baseline, o.report.metrics.headline().1, "unshuffled = the test score");
    let names: Vec<&str> = imp.columns.iter().map(|c| c.column.as_str()).collect();
    assert!(names[0].starts_with("petal"), "{names:?}");
    let noise = imp.columns.iter().find(|c| c.column == "noise").unwrap();
    assert!(noise.drop.abs() < 0.05, "noise matters: {noise:?}");
    assert!(imp.columns[0].drop > 0.2, "{:?}", imp.columns[0]);
    // Same seed, same answer.
    assert_eq!(permutation_importance(&o.pipeline, &test, 5, 42).unwrap(), imp);
}

#[test]
fn learning_curve_reads_overfitting_from_a_deep_tree() {
    use cairn::eval::learning_curve;
    let ds = load("california_housing.csv");
    let mut cfg = TrainConfig::new("median_house_value");
    cfg.model = Some(cairn::train::ModelKind::Tree);
    let curve = learning_curve(&ds, &cfg).unwrap();
    let sizes: Vec<usize> = curve.points.iter().map(|p| p.train_rows).collect();
    assert_eq!(sizes, vec![1651, 3302, 5779, 8256, 12384, 16512]);
    let last = curve.points.last().unwrap();
    assert!(last.train_score > 0.95 && last.test_score < 0.75, "{last:?}");
    assert!(curve.note.starts_with("Over-fitting"), "{}", curve.note);
    // The test score grows with more rows.
    assert!(last.test_score > curve.points[0].test_score + 0.05, "{:?}", curve.points);
}

#[test]
fn kmeans_finds_the_iris_species_without_being_told() {
    use cairn::train::ModelKind;
    let ds = load("iris.csv");
    // With the label column named: it is kept out of the features and only checks the clusters.
    let mut cfg = TrainConfig::new("species");
    cfg.model = Some(ModelKind::KMeans);
    let o = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    assert_eq!(o.pipeline.target.task, Task::Clustering);
    assert_eq!(o.pipeline.info.n_features, 4, "the species column is not a feature");
    assert_eq!(o.pipeline.target.classes, vec!["cluster 1", "cluster 2", "cluster 3"]);
    let Metrics::Clustering { silhouette, adjusted_rand, .. } = o.report.metrics else { panic!("not clustering") };
    eprintln!("iris k-means: silhouette {silhouette:.4}, ARI {adjusted_rand:?}");
    assert!(silhouette > 0.35, "{silhouette}");
    assert!(adjusted_rand.unwrap() > 0.55, "{adjusted_rand:?}");
    // Predictions name a cluster, and the bundle round-trips.
    let dir = crate::common::tempdir();
    let path = dir.path().join("k.cairn");
    save_bundle(&o.pipeline, &path).unwrap();
    let (back, _) = load_bundle(&path).unwrap();
    let Prediction::Classification { labels, .. } = back.predict(&ds).unwrap() else { panic!() };
    assert!(labels.iter().all(|l| l.starts_with("cluster ")));
    // Without a target every column is a feature, and nothing is needed to score.
    let mut cfg = TrainConfig::new("");
    cfg.model = Some(ModelKind::KMeans);
    let o = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    assert_eq!(o.pipeline.info.n_features, 7, "4 numbers + 3 one-hot species");
    assert!(matches!(o.report.metrics, Metrics::Clustering { adjusted_rand: None, .. }));
}
