//! The Train panel: the neural network's live loss curves that grow epoch by epoch, Pause,
//! Resume and Stop (keeping the best weights), and the device choice; the written summary
//! after training.

use crate::gui::{harness, open_house_prices, train_and_wait, wait_until};
use cairn::app::CairnApp;
use cairn::gpu::net::Ending;
use cairn::train::{FittedModel, ModelKind};
use egui_kittest::kittest::Queryable;

fn whole_epochs(a: &CairnApp) -> usize {
    a.state.net.epochs.iter().filter(|e| e.is_whole()).count()
}

#[test]
fn the_mlp_loss_curve_grows_live_and_pause_resume_stop_work() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    open_house_prices(&mut h);
    crate::gui::pick_model(&mut h, "Neural network (MLP)");
    assert_eq!(h.state().state.settings.model, Some(ModelKind::Mlp));
    // The device row: adapters are looked up in the background when the panel first shows.
    h.get_by_label("Device");
    wait_until(&mut h, "the adapter lookup", |a| a.state.net.adapters.is_some());

    h.get_by_label("Train").click();
    h.step();
    wait_until(&mut h, "three epochs", |a| whole_epochs(a) >= 3);
    h.get_by_label_contains("Training curves · epoch");
    assert!(h.get_all_by_label_contains("training loss").count() >= 1);
    let curve = &h.state().state.net.epochs;
    assert!(curve.windows(2).all(|w| w[1].epoch > w[0].epoch), "epochs arrive in order");
    assert!(curve.iter().all(|e| e.train_loss.is_finite() && e.train_loss > 0.0));

    // Pause: the curve stops growing (at most the epoch in flight still lands).
    h.get_by_label("Pause").click();
    h.step();
    std::thread::sleep(std::time::Duration::from_millis(300));
    h.run_steps(2);
    let paused_at = whole_epochs(h.state());
    for _ in 0..10 {
        std::thread::sleep(std::time::Duration::from_millis(60));
        h.step();
    }
    assert!(whole_epochs(h.state()) <= paused_at + 1, "training went on while paused");
    assert!(h.state().state.training.is_some());
    // Resume: it grows again.
    h.get_by_label("Resume").click();
    h.step();
    wait_until(&mut h, "more epochs after Resume", |a| whole_epochs(a) >= paused_at + 3);
    // Stop: training ends now with the best epoch's weights.
    h.get_by_label("Stop").click();
    h.step();
    wait_until(&mut h, "training to stop", |a| a.state.training.is_none() && a.state.outcome.is_some());
    let outcome = h.state().state.outcome.clone().unwrap();
    let FittedModel::Mlp(m) = &outcome.pipeline.model else { panic!("not an MLP") };
    assert_eq!(m.ending, Ending::Stopped);
    assert!(m.history.len() < 200 && m.best_epoch >= 1);
    assert!(outcome.report.metrics.headline().1 > 0.5, "R² after a few epochs: {:?}", outcome.report.metrics);
    h.get_by_label_contains("Trained Neural network (MLP)");
}

#[test]
fn after_training_a_written_summary_compares_runs_and_names_the_driver() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    open_house_prices(&mut h);
    h.state_mut().state.settings.model = Some(ModelKind::Linear);
    h.run_steps(2);
    train_and_wait(&mut h);
    let r2 = |a: &CairnApp| a.state.outcome.as_ref().map_or(f64::NAN, |o| o.report.metrics.headline().1);
    let linear = r2(h.state());
    h.get_by_label("What happened");
    h.get_by_label_contains(&format!("Linear regression scored R² {linear:.3} on 4128 test rows."));
    h.get_by_label_contains("Next, try Gradient boosting or Random forest");
    h.get_by_label_contains("To see which columns drive it, open Evaluate > Why > Importance.");
    assert!(h.query_by_label_contains("It beats").is_none(), "nothing to compare with yet");

    // A second model on the same target is compared with the first.
    h.state_mut().state.settings.model = Some(ModelKind::Tree);
    h.run_steps(2);
    h.get_by_label("Train").click();
    h.step();
    wait_until(&mut h, "the tree", |a| a.state.training.is_none() && a.state.runs.len() == 2);
    let tree = r2(h.state());
    assert!(tree > linear, "the tree wins on housing: {tree} against {linear}");
    h.get_by_label_contains(&format!(
        "It beats Linear regression by {:.2} R² ({linear:.3} to {tree:.3}), the best of the earlier run.",
        tree - linear
    ));
    assert!(h.query_by_label_contains("Next, try Gradient boosting").is_some(), "a single tree is still simple");

    // Once importance is computed, the summary names what drives the model.
    h.state_mut().send(cairn::app::Command::ComputeImportance);
    wait_until(&mut h, "importance", |a| a.state.insight.importance.is_some());
    h.get_by_label("3  Train").click();
    h.run_steps(2);
    let top = h.state().state.insight.importance.as_ref().unwrap().columns[0].column.clone();
    h.get_by_label_contains(&format!("The biggest driver is '{top}'"));
}

#[test]
fn settings_edits_are_undone_and_redone_from_buttons_and_keys() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    open_house_prices(&mut h);
    let before = h.state().state.settings.model;
    assert_ne!(before, Some(ModelKind::Tree));
    h.get_by_label("Model").click();
    h.run_steps(3);
    h.get_by_label("Decision tree").click();
    h.run_steps(2);
    assert_eq!(h.state().state.settings.model, Some(ModelKind::Tree));
    // A second edit, later (edits within a second count as one, like a slider drag).
    std::thread::sleep(std::time::Duration::from_millis(1000));
    h.state_mut().state.settings.test_size = 0.3;
    h.run_steps(2);

    h.get_by_label("Undo").click();
    h.run_steps(2);
    let s = &h.state().state.settings;
    assert_eq!((s.test_size, s.model), (0.2, Some(ModelKind::Tree)), "the last edit is undone first");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().state.settings.model, before, "Ctrl+Z undoes the model choice");
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().state.settings.model, Some(ModelKind::Tree), "Ctrl+Shift+Z redoes it");
    h.get_by_label("Redo").click();
    h.run_steps(2);
    assert_eq!(h.state().state.settings.test_size, 0.3);
    assert!(!h.state().state.settings_history.can_redo());
    // A new edit after an undo starts a new branch: nothing left to redo.
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert!(h.state().state.settings_history.can_redo());
    h.state_mut().state.settings.seed = 7;
    h.run_steps(2);
    assert!(!h.state().state.settings_history.can_redo());
}

#[test]
fn automatic_says_what_it_compared_and_keeps_the_best() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    open_house_prices(&mut h);
    assert!(h.state().state.settings.model.is_none(), "Automatic is the starting choice");
    // Automatic's budget and Try all's are two boxes, each showing what it will use.
    h.get_by_label("3  Train").click();
    h.run_steps(2);
    let shown = |h: &egui_kittest::Harness<'static, CairnApp>, label: &str, role: &str| {
        h.get_all_by_label(label).find(|n| format!("{n:?}").contains(role)).and_then(|n| n.value())
    };
    assert_eq!(shown(&h, "Model", "ComboBox").as_deref(), Some("Automatic (quick comparison, ≤ 30 s)"));
    assert_eq!(shown(&h, "Comparison budget", "SpinButton").as_deref(), Some("30 s"));
    assert_eq!(shown(&h, "within", "SpinButton").as_deref(), Some("no time limit"), "Try all's budget");
    h.state_mut().state.settings.auto_budget = 20.0;
    h.run_steps(2);
    assert_eq!(shown(&h, "Model", "ComboBox").as_deref(), Some("Automatic (quick comparison, ≤ 20 s)"));
    train_and_wait(&mut h);
    let outcome = h.state().state.outcome.clone().expect("trained");
    let choice = outcome.pipeline.info.automatic.clone().expect("Automatic compared models");
    assert_eq!(choice.budget_seconds, 20.0, "the budget shown is the budget used");
    assert_eq!(choice.candidates.len(), 3);
    assert_eq!(outcome.pipeline.info.model, choice.chosen);
    assert_ne!(choice.chosen, "linear");
    h.run_steps(2);
    h.get_by_label_contains("Automatic compared 3 models by 3-fold cross-validated R²");
}
