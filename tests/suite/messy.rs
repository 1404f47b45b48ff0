//! Messy real tables: a name column (car names in the StatLib auto-mpg table, as shipped by the
//! `vega_datasets` package) is recognised and left out by the proposed recipe, which brings the
//! linear model to scikit-learn's score without the names (one-hot names drag it down); the app
//! says so and puts the column back in one click.

use crate::common::{cairn, stderr, stdout};
use crate::gui::{harness, open_file_and_pick_target, train_and_wait};
use cairn::features::Step;
use egui_kittest::kittest::Queryable;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cars() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy/cars.csv")
}

/// scikit-learn's plain pipeline (median + scale, one-hot, OLS; seed 42, 80/20) on cars,
/// with and without the Name column: (with, without).
fn sklearn_cars() -> (f64, f64) {
    const SCRIPT: &str = r#"
import sys, pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
d = pd.read_csv(sys.argv[1]).dropna(subset=["Miles_per_Gallon"])
y = d.pop("Miles_per_Gallon")
num = [c for c in d.columns if c not in ("Name", "Origin")]
tr, te, ytr, yte = train_test_split(d, y, test_size=0.2, random_state=42)
for cats in (["Name", "Origin"], ["Origin"]):
    ct = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), cats),
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num))
    m = make_pipeline(ct, LinearRegression()).fit(tr[cats + num], ytr)
    print(m.score(te[cats + num], yte))
"#;
    let o = Command::new("python3").args(["-c", SCRIPT, cars().to_str().unwrap()]).output().unwrap();
    assert!(
        o.status.success(),
        "scikit-learn is this test's reference (bash .ci/system-packages --test installs it): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Vec<f64> = String::from_utf8_lossy(&o.stdout).lines().map(|l| l.trim().parse().unwrap()).collect();
    (v[0], v[1])
}

#[test]
fn a_name_column_is_left_out_and_the_score_reaches_scikit_learn_without_it() {
    let c = cars();
    let o = cairn(&["inspect", c.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w["kind"] == "name_like" && w["column"] == "Name"), "{warnings:?}");
    let o = cairn(&["train", c.to_str().unwrap(), "--target", "Miles_per_Gallon", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ours = v["metrics"]["r2"].as_f64().unwrap();
    let (with_names, without) = sklearn_cars();
    eprintln!("cars R²: cairn {ours:.4}; scikit-learn one-hot names {with_names:.4}, without them {without:.4}");
    assert!((ours - without).abs() < 1e-6, "cairn {ours}, scikit-learn without names {without}");
    assert!(ours > with_names + 0.03, "{ours} vs {with_names}");
    assert_eq!(v["features"], 9);
}

#[test]
fn the_app_says_why_a_name_column_is_left_out_and_puts_it_back_in_one_click() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(cars()), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "Miles_per_Gallon");
    h.get_by_label("1  Data").click();
    h.run_steps(2);
    h.get_by_label_contains("'Name' reads like names or titles");
    let dropped = |h: &egui_kittest::Harness<'static, cairn::app::CairnApp>| {
        let r = h.state().state.recipe.recipe().cloned().unwrap();
        r.active().any(|s| *s == Step::Drop { column: "Name".into() })
    };
    assert!(dropped(&h));
    h.get_by_label("Use it after all").click();
    h.run_steps(3);
    assert!(!dropped(&h));
    let recipe = h.state().state.recipe.recipe().cloned().unwrap();
    assert!(recipe.active().any(|s| s.column() == "Name" && s.name() != "drop"), "{recipe:?}");
    h.get_by_label("3  Train").click();
    h.run_steps(2);
    train_and_wait(&mut h);
    let features = h.state().state.outcome.as_ref().unwrap().pipeline.info.n_features;
    assert!(features > 200, "the names are one-hot columns again: {features}");
}

/// With the names kept as one-hot columns (a user's own recipe), "Automatic" sees nearly as
/// many features as rows and fits ridge rather than least squares, which would interpolate;
/// least squares chosen by hand still gives scikit-learn's (minimum-norm) answer.
#[test]
fn automatic_is_not_least_squares_when_names_are_kept() {
    use cairn::data::{Schema, read_csv_path};
    use cairn::features::Recipe;
    use cairn::train::{ModelKind, TrainConfig, train};
    let ds = read_csv_path(&cars()).unwrap();
    let mut cfg = TrainConfig::new("Miles_per_Gallon");
    cfg.recipe = Some(Recipe::default_for(&Schema::from_dataset(&ds, "Miles_per_Gallon")));
    let auto = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    cfg.model = Some(ModelKind::Linear);
    let ols = train(&ds, None, &cfg, &mut |_| {}).unwrap();
    let (with_names, _) = sklearn_cars();
    let r2 = |o: &cairn::train::TrainOutcome| o.report.metrics.headline().1;
    eprintln!(
        "cars with names: automatic ({}) R² {:.4}, least squares {:.4}, scikit-learn OLS {with_names:.4}",
        auto.pipeline.info.model,
        r2(&auto),
        r2(&ols)
    );
    assert_eq!(auto.pipeline.info.model, "ridge");
    assert!(auto.pipeline.info.n_features * 2 >= auto.pipeline.info.train_rows, "{:?}", auto.pipeline.info);
    assert!(r2(&auto) > r2(&ols) + 0.02, "ridge {} vs least squares {}", r2(&auto), r2(&ols));
    assert!((r2(&ols) - with_names).abs() < 0.01, "least squares {} vs scikit-learn {with_names}", r2(&ols));
}
