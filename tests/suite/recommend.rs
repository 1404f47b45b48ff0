//! Recommendations: matrix factorisation on the ratings data reaches the reference RMSE, and a
//! bundle lists a user's top unrated items.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use serde_json::Value;

/// ../shared/datasets/REFERENCE.md: biased MF by SGD, 20 factors, random 80/20 split.
const REFERENCE_RMSE: f64 = 0.9479;

#[test]
fn matrix_factorisation_reaches_the_reference_rmse_and_recommends() {
    let dir = tempdir();
    let bundle = dir.path().join("movies.cairn");
    let ratings = asset("ratings_synthetic.csv");
    let o =
        cairn(&["train", ratings.to_str().unwrap(), "--target", "rating", "--out", bundle.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["task"], "recommendation", "a rating with user and item columns is detected");
    assert_eq!(v["model"], "matrix_factorization");
    assert_eq!((v["train_rows"].as_u64(), v["test_rows"].as_u64()), (Some(73141), Some(18286)));
    let rmse = v["metrics"]["rmse"].as_f64().unwrap();
    assert!(rmse <= REFERENCE_RMSE * 1.05, "RMSE {rmse} vs reference {REFERENCE_RMSE}");
    // The generator's own noise puts the best possible RMSE near 0.8: lower would be a leak.
    assert!(rmse > 0.8, "RMSE {rmse} is below the noise floor: test ratings leaked");
    // The bias-only baseline (0.9724) and the global mean (1.1097) are beaten.
    assert!(rmse < 0.9724, "RMSE {rmse}");

    // Top 5 for user 1, with film titles, best first, none rated by the user in training.
    let items = asset("items_synthetic.csv");
    let o = cairn(&[
        "recommend",
        bundle.to_str().unwrap(),
        "1",
        "--top",
        "5",
        "--items",
        items.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(r["known_user"], true);
    let list = r["items"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let scores: Vec<f64> = list.iter().map(|i| i["predicted_rating"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]) && scores.iter().all(|s| (1.0..=5.0).contains(s)), "{scores:?}");
    assert!(list.iter().all(|i| i["title"].as_str().is_some_and(|t| t.contains('('))), "{list:?}");
    let data = cairn::data::read_csv_path(&ratings).unwrap();
    let (users, all_items) = (data.require("user_id").unwrap(), data.require("item_id").unwrap());
    let rated_by_1: Vec<String> =
        (0..data.n_rows()).filter(|&r| users.cell_text(r) == "1").map(|r| all_items.cell_text(r)).collect();
    let in_training = r["rated_in_training"].as_u64().unwrap() as usize;
    assert!(in_training < rated_by_1.len() && in_training * 10 > rated_by_1.len() * 6, "{in_training}");
    // The same pipeline predicts ratings for user/item rows (an unknown user gets a rating too).
    let rows = dir.path().join("pairs.csv");
    std::fs::write(&rows, "user_id,item_id\n1,1135\n99999,1135\n1,424242\n").unwrap();
    let o = cairn(&["predict", bundle.to_str().unwrap(), rows.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let predictions: Vec<f64> =
        stdout(&o).lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(predictions.len(), 3);
    assert!(predictions.iter().all(|p| (1.0..=5.0).contains(p)), "{predictions:?}");
    // A classifier bundle cannot recommend; the message says what to do.
    let iris = crate::common::train_bundle(dir.path(), "iris.csv", "species", "iris.cairn");
    assert_clean_failure(&cairn(&["recommend", iris.to_str().unwrap(), "1"]), "--task recommendation");
    // Ratings need a user and an item column.
    let thin = dir.path().join("thin.csv");
    std::fs::write(&thin, "user,rating\na,1\nb,2\n").unwrap();
    let o = cairn(&["train", thin.to_str().unwrap(), "--target", "rating", "--task", "recommendation"]);
    assert_clean_failure(&o, "needs a user column, an item column");
}
