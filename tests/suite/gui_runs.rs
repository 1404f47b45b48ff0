//! The Runs panel: every training run in the app is recorded in the run store; runs can be
//! compared side by side, marked as production and deleted, and are still there in a new
//! session.

use crate::gui::{deploy_and_wait, harness, open_house_prices, train_and_wait, wait_until};
use egui_kittest::kittest::Queryable;

#[test]
fn runs_panel_records_compares_promotes_and_deletes() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    open_house_prices(&mut h);
    crate::gui::pick_model(&mut h, "Linear regression");
    train_and_wait(&mut h);
    crate::gui::pick_model(&mut h, "Decision tree");
    train_and_wait(&mut h);

    // Both runs are in the store, newest first, with their scores.
    h.get_by_label("7  Runs").click();
    h.step();
    wait_until(&mut h, "the run history", |a| a.state.run_log.runs.len() == 2 && !a.state.run_log.loading);
    let runs = h.state().state.run_log.runs.clone();
    assert_eq!((runs[0].model.as_str(), runs[1].model.as_str()), ("tree", "linear"));
    assert_eq!(runs[0].data_hash, runs[1].data_hash);
    assert_eq!(runs[1].metrics, serde_json::to_value(&h.state().state.runs[0].pipeline.metrics).unwrap());

    // Compare: the model differs, the tree's settings appear, both R² side by side.
    h.get_by_label("#1").click();
    h.step();
    h.get_by_label("#2").click();
    h.step();
    h.step();
    h.get_by_label("Compare selected (2)").click();
    h.step();
    h.step();
    let c = h.state().state.run_log.comparison.clone().expect("a comparison");
    assert_eq!(c.ids, [2, 1]);
    assert!(c.differences.iter().any(|(k, v)| k == "model" && v == &["tree", "linear"]), "{c:?}");
    h.get_by_label("Side by side");
    h.get_by_label("test R²");

    // Production: exactly one run selected.
    h.get_by_label("#1").click();
    h.run_steps(2);
    h.get_by_label("Mark as production").click();
    h.step();
    wait_until(&mut h, "the production mark", |a| a.state.run_log.runs.iter().any(|r| r.production && r.id == 2));
    h.get_by_label("production");

    // Delete the linear run.
    h.get_by_label("#2").click();
    h.step();
    h.get_by_label("#1").click();
    h.run_steps(2);
    h.get_by_label("Delete selected").click();
    h.step();
    wait_until(&mut h, "the deletion", |a| a.state.run_log.runs.len() == 1 && !a.state.run_log.loading);

    // A new session over the same store sees the same history.
    drop(h);
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    h.get_by_label("7  Runs").click();
    h.step();
    wait_until(&mut h, "the run history", |a| a.state.run_log.runs.len() == 1 && !a.state.run_log.loading);
    let r = &h.state().state.run_log.runs[0];
    assert!(r.production && r.model == "tree");
}

fn served_checksum(a: &cairn::app::CairnApp) -> String {
    let cairn::app::DeployStatus::Running { url, .. } = &a.state.deploy else { panic!("not serving") };
    let (_, m) = cairn::util::http_request(url, "GET", "/metadata", None).unwrap();
    serde_json::from_str::<serde_json::Value>(&m).unwrap()["checksum"].as_str().unwrap().to_string()
}

#[test]
fn retrain_promote_and_roll_back_from_the_app() {
    let dir = crate::common::tempdir();
    // New rows: a sample of districts whose values have since risen by a fifth.
    let ds = cairn::data::read_csv_path(&crate::common::asset("california_housing.csv")).unwrap();
    let mut new = ds.take_rows(&(0..ds.n_rows()).step_by(5).collect::<Vec<_>>());
    for c in &mut new.columns {
        if let (true, cairn::data::Values::Numeric(v)) = (c.name == "median_house_value", &mut c.values) {
            v.raw_mut().iter_mut().for_each(|x| *x *= 1.2);
        }
    }
    let new_csv = dir.path().join("new-sales.csv");
    let mut text = new.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(",") + "\n";
    for r in 0..new.n_rows() {
        let cells: Vec<String> = new.columns.iter().map(|c| c.cell_text(r)).collect();
        text += &(cells.join(",") + "\n");
    }
    std::fs::write(&new_csv, text).unwrap();

    let mut h = harness(Some(new_csv), dir.path().to_path_buf());
    open_house_prices(&mut h);
    train_and_wait(&mut h);
    deploy_and_wait(&mut h);
    let first = served_checksum(h.state());
    let store_path = dir.path().join("runs.sqlite");
    let production = |store: &std::path::Path| -> Option<String> {
        let runs = cairn::track::RunStore::open(store).ok()?.runs().ok()?;
        runs.into_iter().find(|r| r.production).map(|r| r.note)
    };
    // Deploying marks the deployed run as production.
    wait_until(&mut h, "the deployed run marked", |_| production(&store_path).is_some_and(|n| n.is_empty()));

    // Monitor → retrain with the new rows → a fair comparison appears.
    h.get_by_label("6  Monitor").click();
    h.step();
    h.get_by_label("Retrain with new data…").click();
    h.step();
    wait_until(&mut h, "the retraining", |a| a.state.feedback.result.is_some());
    let r = h.state().state.feedback.result.clone().unwrap();
    assert_eq!(r.new_rows, 4_128);
    assert!(r.holdout_rows > 4_000);
    h.get_by_label_contains("On the same");
    h.get_by_label("current");
    h.get_by_label("retrained");

    // Promote: the live server switches; the deployments list and the run history follow.
    let promote = if r.better() { "Promote (recommended)" } else { "Promote anyway" };
    h.get_by_label(promote).click();
    h.step();
    wait_until(&mut h, "the promotion", |a| a.state.feedback.busy.is_none() && a.state.deployments.len() == 2);
    let second = served_checksum(h.state());
    assert_ne!(first, second);
    assert!(h.state().state.notice.as_deref().unwrap_or("").starts_with("Promoted"));
    let store = cairn::track::RunStore::open(&dir.path().join("runs.sqlite")).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].production && runs[0].note.starts_with("retrained with new-sales.csv"), "{:?}", runs[0]);

    // Rollback from the Deploy panel: the first version serves again.
    h.get_by_label("5  Deploy").click();
    h.step();
    h.get_by_label("Serve this version").click();
    h.step();
    wait_until(&mut h, "the rollback", |a| {
        a.state.feedback.busy.is_none() && a.state.notice.as_deref().is_some_and(|n| n.starts_with("Switching back"))
    });
    assert_eq!(served_checksum(h.state()), first);
    // The rollback is recorded: the first run is production again.
    assert_eq!(production(&store_path), Some(String::new()));
}

#[test]
fn true_answers_added_later_give_the_live_error_in_the_monitor_panel() {
    let dir = crate::common::tempdir();
    let answers = dir.path().join("answers.csv");
    let mut h = harness(Some(answers.clone()), dir.path().to_path_buf());
    open_house_prices(&mut h);
    train_and_wait(&mut h);
    deploy_and_wait(&mut h);
    let cairn::app::DeployStatus::Running { url, .. } = h.state().state.deploy.clone() else { unreachable!() };
    // A first scrape of /metrics before the request, so the request shows up as a change (on a
    // busy machine the first scrape can otherwise come after it, and the rate stays 0).
    wait_until(&mut h, "a first scrape", |a| a.state.server_metrics.is_some());

    // A client sends 200 districts as CSV; their real values become known later.
    let csv = std::fs::read_to_string(crate::common::asset("california_housing.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let body = lines[..201].join("\n");
    let r = ureq::post(format!("{url}/predict")).header("content-type", "text/csv").send(&body).unwrap();
    let v: serde_json::Value = r.into_body().read_json().unwrap();
    let ids: Vec<String> = v["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 200);
    let ds = cairn::data::read_csv_path(&crate::common::asset("california_housing.csv")).unwrap();
    let truth = ds.column("median_house_value").unwrap();
    let mut text = String::from("id,median_house_value\n");
    for (r, id) in ids.iter().enumerate() {
        text += &format!("{id},{}\n", truth.cell_text(r));
    }
    std::fs::write(&answers, text).unwrap();

    h.get_by_label("6  Monitor").click();
    h.step();
    // Live traffic from the server's /metrics: the CSV request shows up as a rate and a latency.
    wait_until(&mut h, "a scrape after the request", |a| {
        a.state.monitor.traffic.rows().iter().any(|r| r.1 > 0.0 && r.4.is_some_and(|p99| p99 > 0.0))
    });
    let rows = h.state().state.monitor.traffic.rows();
    assert!(rows.iter().all(|r| r.2 == 0.0), "no errors: {rows:?}");
    h.get_by_label("Live traffic (the server's /metrics, every second)");
    h.get_by_label("Add the true answers…").click();
    h.step();
    wait_until(&mut h, "the live scores", |a| a.state.feedback.live.is_some());
    let live = h.state().state.feedback.live.clone().unwrap();
    assert_eq!((live.matched, live.metric), (200, "rmse"));
    // The same number as scoring the pipeline on those rows directly.
    let direct = h
        .state()
        .state
        .outcome
        .as_ref()
        .unwrap()
        .pipeline
        .evaluate(&ds.take_rows(&(0..200).collect::<Vec<_>>()))
        .unwrap();
    let cairn::eval::Metrics::Regression { rmse, .. } = direct.metrics else { panic!() };
    assert!((live.live - rmse).abs() < 1e-6 * rmse, "{} vs {rmse}", live.live);
    h.get_by_label_contains("Live RMSE");
}
