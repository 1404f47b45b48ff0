//! The GUI driven through egui_kittest, clicking as a person would: open data, pick the target,
//! train, read the metric on the Evaluate panel, deploy and get a prediction from the server.

use cairn::app::{AppOptions, CairnApp, DeployStatus, FixedPicker, Panel};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};

pub(crate) fn harness(open: Option<std::path::PathBuf>, deploy_dir: std::path::PathBuf) -> Harness<'static, CairnApp> {
    harness_with(FixedPicker { open, save: None }, deploy_dir)
}

/// A harness whose file dialogs answer with `picker`'s paths.
pub(crate) fn harness_with(picker: FixedPicker, deploy_dir: std::path::PathBuf) -> Harness<'static, CairnApp> {
    harness_of(options(picker, &deploy_dir), egui::vec2(1280.0, 900.0), false)
}

/// The app's options for a test: dialogs answered by `picker`, the stores and deployed models in
/// `dir`, the binary under test as the server.
pub(crate) fn options(picker: FixedPicker, dir: &std::path::Path) -> AppOptions {
    AppOptions {
        picker: Box::new(picker),
        cairn_exe: crate::common::cairn_exe(),
        deploy_dir: dir.to_path_buf(),
        runs_store: dir.join("runs.sqlite"),
        ..Default::default()
    }
}

/// A harness of the app with `options`, a window of `size`, rendering through wgpu when asked
/// (screenshots).
pub(crate) fn harness_of(options: AppOptions, size: egui::Vec2, wgpu: bool) -> Harness<'static, CairnApp> {
    let builder = Harness::builder().with_size(size);
    let builder = if wgpu { builder.wgpu() } else { builder };
    builder.build_ui_state(|ui, app: &mut CairnApp| app.ui(ui), CairnApp::new(options))
}

/// On the Train panel, picks `target` in the Target combo box.
pub(crate) fn pick_target(h: &mut Harness<'static, CairnApp>, target: &str) {
    h.get_by_label("3  Train").click();
    h.step();
    h.get_by_label("Target").click();
    h.run_steps(3);
    h.get_all_by_label(target).last().unwrap().click();
    h.step();
}

/// Steps the UI until `done` holds (background jobs report through the channel).
pub(crate) fn wait_until(h: &mut Harness<'static, CairnApp>, what: &str, done: impl Fn(&CairnApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        if let Some(e) = &h.state().state.error {
            panic!("error while waiting for {what}: {e}");
        }
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.step();
    h.step();
}

/// Opens the house-price sample and picks its target in the Train panel.
pub(crate) fn open_house_prices(h: &mut Harness<'static, CairnApp>) {
    h.step();
    h.get_by_label("Open House prices sample").click();
    h.step();
    wait_until(h, "the sample to load", |a| a.state.dataset.is_some());
    h.get_by_label("3  Train").click();
    h.step();
    h.get_by_label("Target").click();
    h.run_steps(3);
    h.get_all_by_label("median_house_value").last().unwrap().click();
    h.step();
}

/// Deploys the current model from the Deploy panel and waits for the server.
pub(crate) fn deploy_and_wait(h: &mut Harness<'static, CairnApp>) {
    h.get_by_label("5  Deploy").click();
    h.step();
    h.get_by_label("Deploy").click();
    h.step();
    wait_until(h, "the server", |a| matches!(a.state.deploy, cairn::app::DeployStatus::Running { .. }));
}

/// Chooses `model` (its display name, e.g. "Random forest") in the Train panel's Model box.
pub(crate) fn pick_model(h: &mut Harness<'static, CairnApp>, model: &str) {
    h.get_by_label("Model").click();
    h.run_steps(3);
    h.get_by_label(model).click();
    h.step();
}

/// Drags the mouse from `from` to `to` in small steps (egui needs movement over frames to see a
/// drag), then releases.
pub(crate) fn drag_box(h: &mut Harness<'static, CairnApp>, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for k in 1..=6 {
        h.hover_at(from + (to - from) * (k as f32 / 6.0));
        h.step();
    }
    h.drop_at(to);
    h.step();
}

/// Opens the picker's file, trains for `target`, and scores the test rows by `column` on the
/// Evaluate panel's Groups tab.
pub(crate) fn groups_by(h: &mut Harness<'static, CairnApp>, target: &str, column: &str) {
    open_file_and_pick_target(h, target);
    train_and_wait(h);
    h.get_by_label("4  Evaluate").click();
    h.step();
    h.get_by_label("Groups").click();
    h.step();
    h.get_by_label("Group by").click();
    h.run_steps(3);
    h.get_all_by_label(column).last().unwrap().click();
    h.step();
    wait_until(h, "metrics by group", |a| a.state.insight.groups.is_some());
}

/// Clicks Train and waits until the run is finished.
pub(crate) fn train_and_wait(h: &mut Harness<'static, CairnApp>) {
    // One frame first: a setting changed just before moves the button (a click lands where it
    // was last drawn).
    h.run_steps(1);
    h.get_by_label("Train").click();
    h.step();
    wait_until(h, "training", |a| a.state.training.is_none() && a.state.outcome.is_some());
}

/// "Open a file…" (the picker answers with the test file), then on the Train panel choose the
/// target column from the combo box.
pub(crate) fn open_file_and_pick_target(h: &mut Harness<'static, CairnApp>, target: &str) {
    h.step();
    h.get_by_label("Open a file…").click();
    h.step();
    wait_until(h, "the file to load", |a| a.state.dataset.is_some());
    h.get_by_label_contains(" rows × "); // the Data panel shows the table's size
    pick_target(h, target);
    assert_eq!(h.state().state.settings.target.as_deref(), Some(target));
}

#[test]
fn house_price_path_from_data_to_served_model() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    // The sample gallery is on the first screen.
    h.get_by_label("Open Spam filter sample");
    h.get_by_label("Open House prices sample").click();
    h.step();
    wait_until(&mut h, "the sample to load", |a| a.state.dataset.is_some());
    h.get_by_label_contains("20640 rows");
    // The proposed recipe one-hot encodes ocean_proximity with no grouping of rare values,
    // which the editor says in words (not "group rare < 0").
    h.get_by_label("2  Features").click();
    h.run_steps(2);
    h.get_by_label_contains("ocean_proximity: fill gaps with the most common value, then one column per category");
    h.get_by_value("group rare: off");

    h.get_by_label("3  Train").click();
    h.step();
    // Pick the target explicitly: open the combo box and choose the column.
    h.get_by_label("Target").click();
    h.run_steps(3);
    let options = h.get_all_by_label("median_house_value").count();
    assert!(options >= 1);
    h.get_all_by_label("median_house_value").last().unwrap().click();
    h.step();
    assert_eq!(h.state().state.settings.target.as_deref(), Some("median_house_value"));
    h.get_by_label("Regression (predict a number)");

    train_and_wait(&mut h);

    h.get_by_label("4  Evaluate").click();
    h.step();
    assert_eq!(h.state().state.panel, Panel::Evaluate);
    h.get_by_label("R²");
    let o = h.state().state.outcome.clone().unwrap();
    let (_, r2) = o.report.metrics.headline();
    assert!(r2 >= 0.6, "R² {r2}");
    h.get_by_label(&format!("{r2:.3}"));
    h.get_by_label_contains("On average the predicted median_house_value is off by");

    h.get_by_label("5  Deploy").click();
    h.step();
    h.get_by_label("Deploy").click();
    h.step();
    wait_until(&mut h, "the server", |a| matches!(a.state.deploy, DeployStatus::Running { .. }));
    h.get_by_label("Send a test prediction").click();
    h.step();
    wait_until(&mut h, "a served prediction", |a| a.state.try_result.is_some());
    let answer = h.state().state.try_result.clone().unwrap();
    assert!(answer.starts_with("HTTP 200") && answer.contains("predictions"), "{answer}");
    // The panel reads the server's /metrics: the test prediction is counted.
    wait_until(&mut h, "live server numbers", |a| a.state.server_metrics.as_ref().is_some_and(|m| m.predictions >= 1));
    h.get_by_label("Live (from the server's /metrics, every second)");
    assert_eq!(h.state().state.deployments.len(), 1);
    h.get_by_label_contains("(serving)");
    h.get_by_label("Stop server").click();
    h.step();
    assert_eq!(h.state().state.deploy, DeployStatus::Stopped);
}

#[test]
fn open_own_file_through_the_picker_and_train_a_classifier() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("iris.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    assert_eq!(h.state().state.dataset.as_ref().unwrap().n_rows(), 150);
    // Choose the model by hand: a decision tree.
    pick_model(&mut h, "Decision tree");
    assert_eq!(h.state().state.settings.model, Some(cairn::train::ModelKind::Tree));
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.step();
    h.get_by_label("Accuracy");
    assert_eq!(h.state().state.outcome.as_ref().unwrap().pipeline.info.model, "tree");
    h.get_by_label("Confusion matrix (rows: actual class, columns: predicted class)");
}

#[test]
fn a_bad_file_shows_an_error_not_a_crash() {
    let dir = crate::common::tempdir();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "a,b\n1,2\n3\n").unwrap();
    let mut h = harness(Some(bad), dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open a file…").click();
    h.step();
    let start = Instant::now();
    while h.state().state.error.is_none() {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.step();
    h.get_by_label_contains("line 3");
    assert!(h.state().state.dataset.is_none());
}

#[test]
fn try_all_models_on_iris_then_open_the_winners_confusion_matrix() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("iris.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    h.get_by_label("Try all models").click();
    h.step();
    wait_until(&mut h, "the leaderboard", |a| a.state.cancel.is_none() && !a.state.leaderboard.is_empty());
    // Every classifier was tried, each with 5-fold CV, best CV score first.
    let board = &h.state().state.leaderboard;
    let names: Vec<String> = board.iter().map(|e| e.outcome.pipeline.info.model.clone()).collect();
    let classifiers =
        cairn::train::ModelKind::ALL.iter().filter(|k| k.supports(cairn::train::Task::Classification)).count();
    assert_eq!(board.len(), classifiers, "{names:?}");
    assert!(classifiers >= 7, "logistic, naive Bayes, kNN, SVM, tree, forest, boosting");
    for pair in board.windows(2) {
        assert!(pair[0].scores().1 >= pair[1].scores().1);
    }
    for e in board {
        assert_eq!(e.cv.folds, 5);
        assert!(e.scores().1 > 0.9, "{:?}", e.cv.mean);
    }
    h.get_by_label("Leaderboard");
    // One row averages the three best others, and says which.
    let ensemble = board.iter().find(|e| e.outcome.pipeline.info.model == "ensemble").expect("an ensemble row");
    let summary = ensemble.outcome.pipeline.settings_summary();
    assert!(summary.starts_with("average of ") && summary.contains(" and "), "{summary}");
    h.get_by_label(&summary);
    // The winner is in use; switch to another and back, as a person comparing would.
    let winner = board[0].outcome.pipeline.model_display_name();
    let other = board[1].outcome.pipeline.model_display_name();
    h.get_by_label(&format!("Use {other}")).click();
    h.run_steps(2);
    assert_eq!(h.state().state.outcome.as_ref().unwrap().pipeline.model_display_name(), other);
    h.get_by_label(&format!("Use {winner}")).click();
    h.run_steps(2);
    assert_eq!(h.state().state.outcome.as_ref().unwrap().pipeline.model_display_name(), winner);
    h.get_by_label("4  Evaluate").click();
    h.step();
    h.get_by_label_contains(&format!("{winner} predicting 'species'"));
    h.get_by_label("Confusion matrix (rows: actual class, columns: predicted class)");
    // A mistake's rows can be listed, with their row numbers in the file.
    let detail = h.state().state.outcome.as_ref().unwrap().report.detail.clone();
    let cairn::eval::Detail::Classification { classes, confusion, .. } = detail else { panic!() };
    let mistake = (0..3).flat_map(|a| (0..3).map(move |p| (a, p))).find(|&(a, p)| a != p && confusion[a][p] > 0);
    if let Some((a, p)) = mistake {
        h.get_by_label_contains(&format!("{} taken for {}", classes[a], classes[p])).click();
        h.run_steps(2);
        h.get_by_label_contains(&format!("Test rows that are '{}' and were predicted '{}'", classes[a], classes[p]));
    } else {
        h.get_by_label("none on the test rows.");
    }
}

#[test]
fn spam_threshold_slider_trades_precision_for_recall() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("sms_spam.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "label");
    // The Data panel coaches: the spam data has duplicate messages.
    h.get_by_label("1  Data").click();
    h.step();
    h.get_by_label("Things to check in this data");
    h.get_by_label_contains("403 rows are exact copies of earlier rows");
    h.get_by_label("3  Train").click();
    h.step();
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.run_steps(2);
    h.get_by_label_contains("ROC curve (AUC 0.99");
    h.get_by_label_contains("Precision–recall curve");
    let at_half = h.state().state.eval_view.threshold;
    assert_eq!(at_half, 0.5);
    // Moving the threshold down finds more spam: the live text changes with it.
    h.get_by_label_contains("At 0.50:");
    h.state_mut().state.eval_view.threshold = 0.2;
    h.run_steps(2);
    h.get_by_label_contains("At 0.20:");
}
