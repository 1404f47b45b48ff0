//! Projects in the app: save the data reference and training choices as a project folder,
//! reopen it exactly in a new session (from the dialog or the recent list).

use crate::gui::{harness_with, open_house_prices, train_and_wait, wait_until};
use cairn::app::FixedPicker;
use cairn::project::Project;
use cairn::train::ModelKind;
use egui_kittest::kittest::Queryable;

#[test]
fn a_project_saved_in_the_app_reopens_exactly() {
    let dir = crate::common::tempdir();
    let folder = dir.path().join("houses");
    let mut h = harness_with(FixedPicker { open: None, save: Some(folder.clone()) }, dir.path().to_path_buf());
    open_house_prices(&mut h);
    crate::gui::pick_model(&mut h, "Decision tree");
    h.get_by_label("1  Data").click();
    h.step();
    h.get_by_label("Save as project…").click();
    h.step();
    wait_until(&mut h, "the project saved", |a| a.state.saves.0.is_empty());
    let saved = Project::load(&folder).expect("project.json written");
    assert_eq!(saved.data, "sample:house-prices");
    assert_eq!((saved.target.as_str(), saved.model.as_deref(), saved.seed), ("median_house_value", Some("tree"), 42));
    assert!(h.state().state.notice.as_deref().unwrap_or("").starts_with("Saved the project"));
    drop(h);

    // A new session: the project is in the recent list; opening it restores data and choices.
    let mut h = harness_with(FixedPicker { open: Some(folder.clone()), save: None }, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open houses");
    h.get_by_label("Open a project…").click();
    h.step();
    wait_until(&mut h, "the project's data", |a| a.state.dataset.is_some() && a.state.loading.is_none());
    let s = &h.state().state.settings;
    assert_eq!((s.target.as_deref(), s.model), (Some("median_house_value"), Some(ModelKind::Tree)));
    assert_eq!(h.state().state.project.as_deref(), Some(folder.as_path()));
    h.get_by_label("3  Train").click();
    h.step();
    train_and_wait(&mut h);
    assert_eq!(h.state().state.outcome.as_ref().unwrap().pipeline.info.model, "tree");
    // With a project open, runs are recorded in the project's own store.
    wait_until(&mut h, "the run recorded in the project", |_| {
        cairn::track::RunStore::open(&folder.join("runs.sqlite")).is_ok_and(|s| s.runs().is_ok_and(|r| r.len() == 1))
    });

    // A project whose data file is gone: a clear message, no crash.
    let broken = dir.path().join("broken");
    Project::new("broken", "missing.csv", "y").save(&broken).unwrap();
    let mut h = harness_with(FixedPicker { open: Some(broken), save: None }, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open a project…").click();
    h.step();
    let start = std::time::Instant::now();
    while h.state().state.error.is_none() && start.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    let error = h.state().state.error.clone().unwrap_or_default();
    assert!(error.contains("missing.csv"), "{error}");
}

#[test]
fn an_open_project_saves_its_changes_by_itself() {
    let dir = crate::common::tempdir();
    let folder = dir.path().join("houses");
    let mut p = Project::new("houses", "sample:house-prices", "median_house_value");
    p.notes = "kept".into();
    p.save(&folder).unwrap();
    let mut h = harness_with(FixedPicker { open: Some(folder.clone()), save: None }, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open a project…").click();
    h.step();
    wait_until(&mut h, "the project's data", |a| a.state.dataset.is_some() && a.state.loading.is_none());
    h.get_by_label_contains("changes are saved by themselves");
    // Opening writes nothing; a change is written two seconds after it, without asking.
    let written = || std::fs::metadata(folder.join("project.json")).and_then(|m| m.modified()).unwrap();
    let opened = written();
    h.get_by_label("3  Train").click();
    h.step();
    crate::gui::pick_model(&mut h, "Decision tree");
    h.state_mut().state.settings.seed = 7;
    h.step();
    assert_eq!(written(), opened, "not before the quiet period");
    wait_until(&mut h, "the autosave", |_| Project::load(&folder).is_ok_and(|p| p.seed == 7));
    let saved = Project::load(&folder).unwrap();
    assert_eq!((saved.model.as_deref(), saved.seed, saved.notes.as_str()), (Some("tree"), 7, "kept"));
    assert!(h.state().state.notice.is_none(), "autosave is quiet");
}
