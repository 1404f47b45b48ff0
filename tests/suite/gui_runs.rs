//! The Runs panel: every training run in the app is recorded in the run store; runs can be
//! compared side by side, marked as production and deleted, and are still there in a new
//! session.

use crate::gui::{harness, train_and_wait, wait_until};
use egui_kittest::kittest::Queryable;

#[test]
fn runs_panel_records_compares_promotes_and_deletes() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open House prices sample").click();
    h.step();
    wait_until(&mut h, "the sample to load", |a| a.state.dataset.is_some());
    h.get_by_label("3  Train").click();
    h.step();
    h.get_by_label("Target").click();
    h.run_steps(3);
    h.get_all_by_label("median_house_value").last().unwrap().click();
    h.step();
    train_and_wait(&mut h);
    h.get_by_label("Model").click();
    h.run_steps(3);
    h.get_by_label("Decision tree").click();
    h.step();
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
    h.get_by_label("test r2");

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
