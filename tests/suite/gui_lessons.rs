//! The beginner's path through the GUI: a new user reaches a served house-price model in a
//! handful of clicks with the step bar, and the spam lesson's goals are ticked off live.

use crate::gui::{harness, harness_with, wait_until};
use cairn::app::{CairnApp, DeployStatus, FixedPicker};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::Instant;

/// Clicks the widget labelled `label` and counts the click.
fn click(h: &mut Harness<'static, CairnApp>, label: &str, clicks: &mut usize) {
    h.get_by_label(label).click();
    *clicks += 1;
    h.run_steps(2);
}

#[test]
fn a_new_user_serves_a_house_price_model_in_under_15_clicks() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    let started = Instant::now();
    let mut clicks = 0;
    h.step();
    h.get_by_label("Welcome to Cairn");
    click(&mut h, "Open House prices sample", &mut clicks);
    wait_until(&mut h, "the sample", |a| a.state.dataset.is_some());
    // The sample chose the target, the recipe and the model: Next, Next, Train, Deploy.
    assert_eq!(h.state().state.settings.target.as_deref(), Some("median_house_value"));
    click(&mut h, "Next step", &mut clicks);
    h.get_by_label("2 · Features");
    click(&mut h, "Next step", &mut clicks);
    h.get_by_label("To do: train a model");
    click(&mut h, "Train", &mut clicks);
    wait_until(&mut h, "training", |a| a.state.training.is_none() && a.state.outcome.is_some());
    click(&mut h, "Next step", &mut clicks);
    h.get_by_label("R²");
    click(&mut h, "Next step", &mut clicks);
    click(&mut h, "Deploy", &mut clicks);
    wait_until(&mut h, "the server", |a| matches!(a.state.deploy, DeployStatus::Running { .. }));
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("house-price path: {clicks} clicks, {seconds:.1} s from launch to a served model");
    assert!(clicks < 15, "{clicks} clicks");
    assert!(h.query_by_label_contains("To do:").is_none(), "nothing is missing once served");
    h.get_by_label("Stop server").click();
    h.run_steps(2);
    click(&mut h, "Back", &mut clicks);
    assert_eq!(h.state().state.panel, cairn::app::Panel::Evaluate);
}

#[test]
fn the_spam_lesson_goals_are_ticked_off_live_and_saved() {
    let dir = crate::common::tempdir();
    let report = dir.path().join("report.html");
    let picker = FixedPicker { open: None, save: Some(report.clone()) };
    let mut h = harness_with(picker, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Start lesson: Catch spam messages").click();
    h.run_steps(2);
    wait_until(&mut h, "the lesson's data", |a| a.state.dataset.is_some());
    let done = |h: &Harness<'static, CairnApp>| h.state().state.lesson.as_ref().unwrap().done.clone();
    assert_eq!(done(&h), [true, false, false, true, false, false, false], "data open; target chosen by the sample");
    h.get_by_label_contains("2 of 7 steps done");
    h.get_by_label_contains("Goal: have a 'drop duplicates' step in the recipe");
    h.get_by_label("Hint").click();
    h.run_steps(2);
    h.get_by_label_contains("Hint: Under Things to check");
    // (below the fold beside the lesson: clicked as a screen reader would)
    h.get_by_label("Remove the duplicate rows").click_accesskit();
    h.run_steps(2);
    assert!(done(&h)[1], "the recipe step ticks step 2");
    h.get_by_label("Go to features").click();
    h.run_steps(2);
    assert!(done(&h)[2]);
    h.get_by_label("Next step").click();
    h.run_steps(2);
    h.get_by_label("Train").click();
    h.step();
    wait_until(&mut h, "training", |a| a.state.training.is_none() && a.state.outcome.is_some());
    let metrics = h.state().state.outcome.as_ref().unwrap().report.metrics.named();
    let precision = metrics.iter().find(|m| m.0 == "precision").unwrap().1;
    assert!(precision >= 0.95, "spam precision {precision}");
    assert!(done(&h).iter().all(|d| *d), "{:?}", done(&h));
    h.get_by_label("Lesson complete. Well done!");
    // Progress is saved: a new window on the same store starts the lesson where it ended.
    let saved = std::fs::read_to_string(dir.path().join("lesson-progress.json")).unwrap();
    assert!(saved.contains("spam|-"), "{saved}");
    // The hand-in report: one HTML file with the recipe, the scores and an inline plot.
    h.get_by_label("Export a report").click();
    h.run_steps(2);
    crate::gui::wait_until(&mut h, "the report saved", |a| a.state.saves.0.is_empty());
    h.get_by_label_contains("Saved the report to");
    let html = std::fs::read_to_string(&report).unwrap();
    for part in ["Catch spam messages — report", "Confusion matrix", "<svg", "ROC curve", "7 of 7 steps done", "TF-IDF"]
    {
        assert!(html.contains(part), "the report lacks {part}");
    }
    drop(h);
    let mut again = harness(None, dir.path().to_path_buf());
    again.step();
    again.get_by_label("Start lesson: Catch spam messages").click();
    again.run_steps(2);
    assert!(again.state().state.lesson.as_ref().unwrap().done.iter().all(|d| *d));
}

#[test]
fn the_movie_lesson_factorises_ratings_and_recommends_in_the_app() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Start lesson: Recommend movies").click();
    h.run_steps(2);
    wait_until(&mut h, "the ratings", |a| a.state.dataset.is_some());
    h.get_by_label("Next step").click();
    h.run_steps(2);
    h.get_by_label("Next step").click();
    h.run_steps(2);
    h.get_by_label("Recommendation (predict a user's rating of an item)");
    h.get_by_label("Train").click();
    h.step();
    wait_until(&mut h, "training", |a| a.state.training.is_none() && a.state.outcome.is_some());
    let o = h.state().state.outcome.clone().unwrap();
    let rmse = o.report.metrics.named().into_iter().find(|m| m.0 == "rmse").unwrap().1;
    assert!(rmse <= 0.9479 * 1.05, "the app's recipe reaches the reference RMSE: {rmse}");
    // The written summary reads a recommender in stars off, against guessing the average.
    h.run_steps(2);
    h.get_by_label_contains(&format!("(RMSE {rmse:.3}, which weighs big misses more)"));
    h.get_by_label_contains("Always guessing the average 'rating' would be off by 1.11");
    assert!(h.query_by_label_contains("add columns").is_none() && h.query_by_label_contains("Importance").is_none());
    // Its score reads as RMSE (an R² of 0.26 would look like a failure).
    h.get_by_label_contains(&format!("test RMSE {rmse:.3}."));
    h.get_by_label(&format!("Matrix factorisation: RMSE {rmse:.3}"));
    h.get_by_label("Next step").click();
    h.run_steps(2);
    // Titles of the films user 1 has not rated, from the sample's item table.
    h.get_by_label_contains("user_id 1 rated");
    // Ten rows "item_id 1135  The Glass Machine (1999)" (the other match is the weight line
    // "item_id (number): …").
    let listed = h.query_all_by_label_contains("item_id ").filter(|n| !format!("{n:?}").contains("(number)")).count();
    assert_eq!(listed, 10);
    assert!(h.state().state.lesson.as_ref().unwrap().done.iter().all(|d| *d));
}

#[test]
fn the_sound_lesson_hears_spoken_words_with_logistic_regression_and_an_mlp() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Start lesson: Teach Cairn to hear a word").click();
    h.run_steps(2);
    wait_until(&mut h, "the recordings", |a| a.state.dataset.is_some());
    let done = |h: &Harness<'static, CairnApp>| h.state().state.lesson.as_ref().unwrap().done.clone();
    assert_eq!(done(&h), [true, false, true, false, false, false], "data open; target chosen by the sample");
    let ds = h.state().state.dataset.clone().unwrap();
    assert_eq!(ds.n_rows(), 160, "the sample's 160 clips, unpacked from the binary");
    assert!(ds.column("mel_mean_0").is_some() && ds.column("mel_delta_39").is_some());
    h.get_by_label("Go to features").click();
    h.run_steps(2);
    assert!(done(&h)[1]);
    h.get_by_label("Next step").click();
    h.run_steps(2);
    for (runs, (model, step)) in
        [(cairn::train::ModelKind::Logistic, 4), (cairn::train::ModelKind::Mlp, 5)].into_iter().enumerate()
    {
        h.state_mut().state.settings.model = Some(model);
        h.get_by_label("Train").click_accesskit();
        h.step();
        wait_until(&mut h, "training", |a| a.state.training.is_none() && a.state.runs.len() > runs);
        let metrics = h.state().state.outcome.as_ref().unwrap().report.metrics.named();
        let accuracy = metrics.iter().find(|m| m.0 == "accuracy").unwrap().1;
        eprintln!("spoken-words sample, {model:?}: test accuracy {accuracy:.3}");
        assert!(accuracy >= 0.9, "{model:?}: accuracy {accuracy}");
        h.run_steps(2);
        assert!(done(&h)[..=step].iter().all(|d| *d), "{model:?}: {:?}", done(&h));
    }
    h.run_steps(2);
    h.get_by_label("Lesson complete. Well done!");
}

#[test]
fn learn_more_windows_explain_r2_overfitting_one_hot_scaling_and_precision_with_pictures() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    crate::gui::open_house_prices(&mut h);
    crate::gui::train_and_wait(&mut h);
    // From the Train panel's summary: overfitting, with its training and test error curves.
    h.get_by_label("Learn more: what overfitting looks like").click_accesskit();
    h.run_steps(2);
    assert_eq!(h.state().state.learn, Some(cairn::app::learn::Topic::Overfitting));
    h.run_steps(4); // a new window takes a few frames to be laid out
    h.get_by_label_contains("That is overfitting.");
    h.get_by_label_contains("the test error is lowest at depth 4; deeper models only memorise");
    h.get_by_label("Close window").click();
    h.run_steps(2);
    assert!(h.state().state.learn.is_none());
    // From the Evaluate panel: R², two scatter plots with their own R².
    h.get_by_label("4  Evaluate").click();
    h.run_steps(2);
    h.get_by_label("Learn more: what R² means").click_accesskit();
    h.run_steps(4);
    h.get_by_label_contains("the points hug the line");
    h.get_by_label_contains("they scatter far from it");
    // From the Features panel: a column before and after one-hot encoding.
    h.get_by_label("2  Features").click_accesskit();
    h.run_steps(2);
    h.get_by_label("Learn more: what one-hot encoding does to a column").click_accesskit();
    h.run_steps(4);
    h.get_by_label("color=red");
    assert_eq!(h.state().state.learn, Some(cairn::app::learn::Topic::OneHot));
    h.get_by_label("Learn more: what scaling does to columns").click_accesskit();
    h.run_steps(4);
    assert_eq!(h.state().state.learn, Some(cairn::app::learn::Topic::Scaling));
    h.get_by_label_contains("After standard scaling: both spread alike.");
    // And from the glossary.
    h.state_mut().state.learn = None;
    h.get_by_label("Glossary").click();
    h.run_steps(2);
    h.get_all_by_label("Learn more: what R² means").next().unwrap().click_accesskit();
    h.run_steps(2);
    assert_eq!(h.state().state.learn, Some(cairn::app::learn::Topic::R2));
    h.get_all_by_label("Learn more: how precision and recall trade off").next().unwrap().click_accesskit();
    h.run_steps(4);
    assert_eq!(h.state().state.learn, Some(cairn::app::learn::Topic::PrecisionRecall));
    // The caption's figures come from the made-up scores drawn: precision up, recall down.
    h.get_by_label_contains("At 0.5: precision 0.");
    h.get_by_label("spam that got through");
}

/// Every interactive widget on every panel must have a name a screen reader can read.
pub(crate) fn unlabelled(h: &egui_kittest::Harness<'static, cairn::app::CairnApp>) -> Vec<String> {
    use egui::accesskit::Role;
    use egui_kittest::kittest::{By, NodeT, Queryable};
    let interactive = |r: Role| {
        matches!(
            r,
            Role::Button
                | Role::Link
                | Role::CheckBox
                | Role::RadioButton
                | Role::ComboBox
                | Role::TextInput
                | Role::MultilineTextInput
                | Role::Slider
                | Role::SpinButton
                | Role::Tab
                | Role::MenuItem
        )
    };
    h.query_all(By::new().predicate(move |n| interactive(n.role()) && !n.has_label()))
        .map(|n| {
            let a = n.accesskit_node();
            format!("{:?} value={:?}", a.role(), a.value())
        })
        .collect()
}

#[test]
fn every_control_on_every_panel_has_a_name_for_screen_readers() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.run_steps(2);
    let mut missing = vec![("start".to_string(), unlabelled(&h))];
    crate::gui::open_house_prices(&mut h);
    crate::gui::train_and_wait(&mut h);
    crate::gui::deploy_and_wait(&mut h);
    for panel in ["1  Data", "2  Features", "3  Train", "4  Evaluate", "5  Deploy", "6  Monitor", "7  Runs"] {
        h.get_by_label(panel).click_accesskit();
        h.run_steps(3);
        missing.push((panel.to_string(), unlabelled(&h)));
    }
    let missing: Vec<_> = missing.into_iter().filter(|(_, m)| !m.is_empty()).collect();
    assert!(missing.is_empty(), "controls without a name: {missing:#?}");
}

/// Presses Tab until the control named `label` has the keyboard focus, then Enter.
fn tab_to_and_press(h: &mut Harness<'static, CairnApp>, label: &str) -> usize {
    use egui_kittest::kittest::{By, Queryable};
    for tabs in 1..=150 {
        h.key_press(egui::Key::Tab);
        h.run_steps(1);
        let focused = h
            .query_all(By::new().predicate(|n| n.is_focused() && n.label().is_some_and(|l| l == label)))
            .next()
            .is_some();
        if focused {
            h.key_press(egui::Key::Enter);
            h.run_steps(2);
            return tabs;
        }
    }
    panic!("Tab never reached '{label}'");
}

#[test]
fn the_house_price_path_works_from_the_keyboard_alone() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.run_steps(2);
    let mut tabs = tab_to_and_press(&mut h, "Open House prices sample");
    wait_until(&mut h, "the sample", |a| a.state.dataset.is_some() && a.state.loading.is_none());
    // Alt+digit works while a button holds the focus (found in a real window).
    h.key_press_modifiers(egui::Modifiers::ALT, egui::Key::Num2);
    h.run_steps(2);
    assert_eq!(h.state().state.panel, cairn::app::Panel::Features);
    h.key_press_modifiers(egui::Modifiers::ALT, egui::Key::Num1);
    h.run_steps(2);
    tabs += tab_to_and_press(&mut h, "Next step");
    tabs += tab_to_and_press(&mut h, "Next step");
    assert_eq!(h.state().state.panel, cairn::app::Panel::Train);
    tabs += tab_to_and_press(&mut h, "Train");
    wait_until(&mut h, "training", |a| a.state.training.is_none() && a.state.outcome.is_some());
    eprintln!("trained with {tabs} Tab presses and 4 Enter presses, no mouse");
    // Alt+digit jumps straight to a panel.
    h.key_press_modifiers(egui::Modifiers::ALT, egui::Key::Num4);
    h.run_steps(2);
    assert_eq!(h.state().state.panel, cairn::app::Panel::Evaluate);
    h.key_press_modifiers(egui::Modifiers::ALT, egui::Key::Num1);
    h.run_steps(2);
    assert_eq!(h.state().state.panel, cairn::app::Panel::Data);
}
