//! Averaged ensembles: `--model ensemble` is the mean of its members' answers (checked against
//! the members trained alone), it survives a bundle, and "Try all models" adds the average of
//! its best models as one more leaderboard row whose members are the top-scoring ones.

use crate::common::{asset, cairn, stderr, stdout, tempdir};
use cairn::data::read_csv_path;
use cairn::train::{FittedModel, ModelKind, ModelOutput, Prediction, TrainConfig, train};
use ndarray::Array2;
use serde_json::Value;

fn fit(ds: &cairn::data::Dataset, target: &str, model: ModelKind) -> cairn::train::Pipeline {
    let mut cfg = TrainConfig::new(target);
    cfg.model = Some(model);
    cfg.device = cairn::gpu::DeviceChoice::Cpu;
    train(ds, None, &cfg, &mut |_| {}).expect("train").pipeline
}

fn probabilities(p: &cairn::train::Pipeline, ds: &cairn::data::Dataset) -> Vec<Vec<f64>> {
    match p.predict(ds).unwrap() {
        Prediction::Classification { probabilities, .. } => probabilities,
        Prediction::Regression(v) => v.into_iter().map(|x| vec![x]).collect(),
    }
}

#[test]
fn an_ensemble_averages_its_members_answers_and_survives_a_bundle() {
    for (file, target, linear) in [
        ("penguins.csv", "species", ModelKind::Logistic),
        ("california_housing.csv", "median_house_value", ModelKind::Ridge),
    ] {
        let full = read_csv_path(&asset(file)).unwrap();
        let ds = full.take_rows(&(0..full.n_rows()).step_by(full.n_rows() / 2000 + 1).collect::<Vec<_>>());
        let ensemble = fit(&ds, target, ModelKind::Ensemble);
        let FittedModel::Ensemble(e) = &ensemble.model else { panic!("not an ensemble") };
        let members: Vec<ModelKind> = e.members.iter().map(|m| m.params.model).collect();
        assert_eq!(members, [linear, ModelKind::HistGradientBoosting, ModelKind::RandomForest]);
        // Its answers are the mean of its members' answers on the same feature rows.
        let x = ensemble.features(&ds).unwrap();
        let got = probabilities(&ensemble, &ds);
        let outputs: Vec<Array2<f64>> = e
            .members
            .iter()
            .map(|m| match m.fitted.predict(&x) {
                ModelOutput::Probabilities(p) => p,
                ModelOutput::Values(v) => Array2::from_shape_vec((v.len(), 1), v).unwrap(),
            })
            .collect();
        let mut worst = 0.0f64;
        for (r, row) in got.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let mean = outputs.iter().map(|o| o[[r, c]]).sum::<f64>() / 3.0;
                worst = worst.max((v - mean).abs() / mean.abs().max(1.0));
            }
        }
        eprintln!("{file}: ensemble of {members:?}, worst difference from the members' mean {worst:.1e}");
        assert!(worst < 1e-12, "{file}: {worst}");
        // The members that read the recipe as it is are the very models trained alone (the same
        // split and seed); histogram boosting reads it with categories one-hot and gaps filled,
        // as the others share, where alone it would take them natively.
        for m in e.members.iter().filter(|m| m.params.model != ModelKind::HistGradientBoosting) {
            assert!(m.fitted == fit(&ds, target, m.params.model).model, "{file}: {:?} differs", m.params.model);
        }
        // Saved and loaded: the same answers; retraining keeps the same members.
        let dir = tempdir();
        let bundle = dir.path().join("e.cairn");
        cairn::project::save_bundle(&ensemble, &bundle).unwrap();
        let (loaded, _) = cairn::project::load_bundle(&bundle).unwrap();
        assert_eq!(probabilities(&loaded, &ds), got);
        assert_eq!(cairn::train::retrain::manifest_config(&loaded).ensemble, members);
        assert!(ensemble.settings_summary().starts_with("average of "), "{}", ensemble.settings_summary());
    }
}

#[test]
fn try_all_models_adds_the_average_of_its_best_three_as_a_row() {
    let data = asset("penguins.csv");
    let o = cairn(&["train", data.to_str().unwrap(), "--target", "species", "--model", "all", "--cv", "3", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let board = v["leaderboard"].as_array().unwrap();
    let cv = |r: &Value| r["cv"]["mean"]["accuracy"].as_f64().unwrap();
    let row = board.iter().find(|r| r["model"] == "ensemble").expect("an ensemble row");
    let members: Vec<&str> = row["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(members.len(), 3, "{row}");
    // Its members are the best three by cross-validated accuracy (ties may go either way).
    let mut others: Vec<f64> = board.iter().filter(|r| r["model"] != "ensemble").map(cv).collect();
    others.sort_by(|a, b| b.total_cmp(a));
    for m in &members {
        let score = cv(board.iter().find(|r| r["model"] == *m).unwrap());
        assert!(score >= others[2] - 1e-12, "{m} ({score}) is not among the best three {others:?}");
    }
    eprintln!("penguins: ensemble of {members:?}: CV {:.4}, best single {:.4}", cv(row), others[0]);
    assert!(cv(row) >= others[0] - 0.02, "the ensemble is about as good as the best model");
}
