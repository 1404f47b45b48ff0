//! The Evaluate panel's explaining tabs and the settings search, driven through egui_kittest on
//! real data: permutation importance, learning curve, what-if, comparing two runs, tuning.

use crate::gui::{harness, harness_with, open_file_and_pick_target, train_and_wait, wait_until};
use cairn::app::whatif::Cell;
use cairn::train::ModelKind;
use egui_kittest::kittest::Queryable;

/// The house-price file opened, a linear model trained on it, and the Evaluate panel shown.
fn house_prices_on_evaluate(dir: &std::path::Path) -> egui_kittest::Harness<'static, cairn::app::CairnApp> {
    let mut h = harness(Some(crate::common::asset("california_housing.csv")), dir.to_path_buf());
    open_file_and_pick_target(&mut h, "median_house_value");
    // Linear regression, chosen (Automatic would compare models first).
    crate::gui::pick_model(&mut h, "Linear regression");
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.step();
    h
}

#[test]
fn house_prices_importance_learning_curve_what_if_and_compare() {
    let dir = crate::common::tempdir();
    let mut h = house_prices_on_evaluate(dir.path());

    // Permutation importance: income drives house prices most.
    h.get_by_label("Feature importance").click();
    h.step();
    h.get_by_label("Measure importance").click();
    h.step();
    wait_until(&mut h, "importance", |a| a.state.insight.importance.is_some());
    let imp = h.state().state.insight.importance.clone().unwrap();
    assert_eq!(imp.columns.len(), 9, "every input column");
    assert_eq!(imp.columns[0].column, "median_income", "{:?}", imp.columns);
    assert!(imp.columns[0].drop > 0.3, "{:?}", imp.columns[0]);
    h.get_by_label_contains("Shuffling 'median_income' costs the model");

    // Learning curve: a linear model on housing levels off, and the panel says so.
    h.get_by_label("Learning curve").click();
    h.step();
    h.get_by_label("Draw learning curve").click();
    h.step();
    wait_until(&mut h, "the learning curve", |a| a.state.insight.curve.is_some());
    let curve = h.state().state.insight.curve.clone().unwrap();
    assert_eq!(curve.points.len(), 6);
    let last = curve.points.last().unwrap();
    let test_r2 = h.state().state.outcome.as_ref().unwrap().report.metrics.headline().1;
    assert!((last.test_score - test_r2).abs() < 1e-9, "the full-size point is the trained model");
    h.get_by_label_contains("levelled off");

    // What if: a higher income means a higher predicted price.
    h.get_by_label("What if").click();
    h.run_steps(2);
    h.get_by_label_contains("Original row: predicted median_house_value");
    let income = {
        let app = h.state();
        let o = app.state.outcome.as_ref().unwrap();
        o.pipeline.schema.columns.iter().position(|c| c.name == "median_income").unwrap()
    };
    let Some(Cell::Number(Some(before))) = h.state().state.eval_view.whatif.as_ref().map(|w| w.cells[income].clone())
    else {
        panic!("income is a number")
    };
    h.state_mut().state.eval_view.whatif.as_mut().unwrap().cells[income] = Cell::Number(Some(before + 3.0));
    h.run_steps(2);
    h.get_by_label_contains("compared with the original row");
    let text = format!("{:?}", h.query_all_by_label_contains("compared with the original row").next().unwrap());
    assert!(text.contains('+'), "a higher income raises the price: {text}");

    // Train a second model and compare the two runs.
    h.get_by_label("3  Train").click();
    h.step();
    h.state_mut().state.settings.model = Some(ModelKind::Tree);
    h.run_steps(2);
    h.get_by_label("Train").click();
    h.step();
    wait_until(&mut h, "the tree", |a| a.state.training.is_none() && a.state.runs.len() == 2);
    h.get_by_label("4  Evaluate").click();
    h.step();
    h.get_by_label("Compare runs").click();
    h.run_steps(2);
    h.get_by_label_contains("A: Linear regression");
    h.get_by_label_contains("B: Decision tree");
    // Both were scored on the same test rows; the tree wins on housing.
    assert!(h.query_by_label_contains("scored on different test rows").is_none());
    h.get_by_label_contains("B beats A by");
}

#[test]
fn tuning_knn_on_iris_from_the_train_panel() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("iris.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    h.state_mut().state.settings.model = Some(ModelKind::Knn);
    h.run_steps(2);
    h.get_by_label("Tune settings").click();
    h.step();
    wait_until(&mut h, "tuning", |a| a.state.training.is_none() && a.state.tuning.best.is_some());
    let app = h.state();
    let tuning = &app.state.tuning;
    assert_eq!(tuning.trials.len(), 10, "k × weights grid, every trial kept");
    let best = tuning.best.unwrap();
    assert!(tuning.trials.iter().all(|t| t.score <= tuning.trials[best].score));
    let o = app.state.outcome.as_ref().unwrap();
    assert_eq!(o.pipeline.info.params, tuning.trials[best].params, "the best settings were trained");
    h.get_by_label("best: trained");
    h.get_by_label_contains("Settings search: 10 candidates");
}

#[test]
fn kmeans_groups_penguins_without_a_target() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("penguins.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    h.get_by_label("Target").click();
    h.run_steps(3);
    h.get_by_label("none: find groups (k-means)").click();
    h.run_steps(2);
    assert_eq!(h.state().state.settings.target, None);
    h.get_by_label_contains("Clustering (find groups of similar rows");
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.run_steps(2);
    h.get_by_label_contains("k-means clustering finding 3 groups");
    h.get_by_label("Test rows in each cluster");
    h.get_by_label("Silhouette");
}

#[test]
fn deploy_panel_predicts_a_whole_file_in_the_background() {
    let dir = crate::common::tempdir();
    let out = dir.path().join("predictions.csv");
    let picker = cairn::app::FixedPicker { open: Some(crate::common::asset("iris.csv")), save: Some(out.clone()) };
    let mut h = harness_with(picker, dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    train_and_wait(&mut h);
    h.get_by_label("5  Deploy").click();
    h.step();
    h.get_by_label("Predict a file…").click();
    h.step();
    wait_until(&mut h, "the file's predictions", |a| a.state.batch.as_ref().is_some_and(|b| b.done.is_some()));
    h.get_by_label_contains("Wrote 150 predictions to");
    let ds = cairn::data::read_csv_path(&out).unwrap();
    assert_eq!(ds.n_rows(), 150);
    let predicted = ds.column("prediction").unwrap();
    let actual = ds.column("species").unwrap();
    let right = (0..150).filter(|&r| predicted.cell_text(r) == actual.cell_text(r)).count();
    assert!(right >= 140, "{right} of 150 right");
    assert!(ds.column("probability_setosa").is_some());
}

#[test]
fn monitor_panel_compares_served_rows_with_the_training_data() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("iris.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    train_and_wait(&mut h);
    h.get_by_label("5  Deploy").click();
    h.step();
    h.get_by_label("Deploy").click();
    h.step();
    wait_until(&mut h, "the server", |a| matches!(a.state.deploy, cairn::app::DeployStatus::Running { .. }));
    for _ in 0..3 {
        h.state_mut().state.try_result = None;
        h.get_by_label("Send a test prediction").click();
        h.step();
        wait_until(&mut h, "a served prediction", |a| a.state.try_result.is_some());
    }
    h.get_by_label("6  Monitor").click();
    h.step();
    h.get_by_label("Check the served data").click();
    h.step();
    wait_until(&mut h, "the drift check", |a| a.state.monitor.result.is_some());
    let r = h.state().state.monitor.result.clone().unwrap();
    assert_eq!(r.log.requests.len(), 3);
    assert_eq!(r.log.inputs.n_rows(), 3);
    assert_eq!(r.drift.features.len(), 4);
    // Three copies of one training row are not the training distribution: small samples are
    // decided by the tests, and each is reported.
    assert!(r.drift.features.iter().all(|f| f.method == "ks"));
    h.get_by_label_contains("3 requests, 3 rows served");
    h.get_by_label("Latency of each request");
    // The served answers are set against the training data's.
    assert_eq!(r.reference_labels.len(), 150);
    assert_eq!(r.log.labels.len(), 3);
    h.get_by_label("What the model answered, against the training data's answers");
}

#[test]
fn a_column_type_can_be_overridden_from_the_data_panel() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("penguins.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "species");
    h.get_by_label("1  Data").click();
    h.step();
    // `year` holds three numbers: treat it as a category instead.
    h.state_mut().send(cairn::app::Command::SetColumnKind("year".into(), cairn::data::ColumnKind::Categorical));
    wait_until(&mut h, "the edit", |a| a.state.loading.is_none() && a.state.notice.is_some());
    let app = h.state();
    let ds = app.state.dataset.as_ref().unwrap();
    assert_eq!(ds.column("year").unwrap().kind, cairn::data::ColumnKind::Categorical);
    let year = app.state.profile.as_ref().unwrap().column_profiles.iter().find(|c| c.name == "year").unwrap();
    assert_eq!((year.kind, year.distinct), (cairn::data::ColumnKind::Categorical, 3));
    h.get_by_label("'year' is now treated as categorical.");
    // Text that is not numbers cannot become numbers: an error naming the row.
    h.state_mut().send(cairn::app::Command::SetColumnKind("island".into(), cairn::data::ColumnKind::Numeric));
    h.step();
    let start = std::time::Instant::now();
    while h.state().state.error.is_none() {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "no error for a text column as numbers");
        h.step();
    }
    let err = h.state().state.error.clone().unwrap();
    assert!(err.contains("island") && err.contains("row 1"), "{err}");
}

#[test]
fn coaching_fixes_are_one_click_recipe_steps() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open Spam filter sample").click();
    h.step();
    wait_until(&mut h, "the sample", |a| a.state.dataset.is_some());
    let steps = |h: &egui_kittest::Harness<'static, cairn::app::CairnApp>| {
        h.state().state.recipe.recipe().map_or(0, |r| r.steps.len())
    };
    let before = steps(&h);
    // The spam data has duplicate messages: the warning offers its fix as one click.
    h.get_by_label_contains("403 rows are exact copies of earlier rows");
    h.get_by_label("Remove the duplicate rows").click();
    h.run_steps(2);
    assert_eq!(steps(&h), before + 1, "the fix adds one recipe step");
    h.get_by_label_contains("(in the recipe");
    assert!(h.query_by_label("Remove the duplicate rows").is_none());
    // The Features panel lists it with the other steps and previews the features.
    h.get_by_label("2  Features").click();
    h.run_steps(2);
    h.get_by_label("Rows (before the split)");
    // (the step's row, and the notice saying it was added)
    assert_eq!(h.get_all_by_label_contains("remove rows that repeat an earlier row exactly").count(), 2);
    h.get_by_label_contains("input column");
    // Training honours it: the messages less the 403 copies.
    let n = h.state().state.dataset.as_ref().unwrap().n_rows();
    h.get_by_label("Next: Train").click();
    h.run_steps(2);
    crate::gui::train_and_wait(&mut h);
    let info = &h.state().state.outcome.as_ref().unwrap().pipeline.info;
    assert_eq!(info.train_rows + info.test_rows, n - 403);
    // Undo takes the step back out.
    h.get_by_label("2  Features").click();
    h.step();
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert_eq!(steps(&h), before);
    h.get_by_label("Redo").click();
    h.run_steps(2);
    assert_eq!(steps(&h), before + 1);
}

/// A table large enough that opening it takes a while (written here, 600 000 rows).
fn large_csv(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("large.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "a,b,c,colour,y").unwrap();
    for i in 0..600_000u64 {
        let colour = ["red", "green", "blue"][(i % 3) as usize];
        writeln!(f, "{},{}.5,{},{colour},{}", i % 977, i % 13, (i * 7919) % 10_007, i % 2).unwrap();
    }
    f.flush().unwrap();
    path
}

#[test]
fn a_large_import_runs_in_the_background_and_can_be_cancelled() {
    let dir = crate::common::tempdir();
    let file = large_csv(dir.path());
    let mut h = harness(Some(file), dir.path().to_path_buf());
    h.step();
    h.get_by_label("Open a file…").click();
    h.run_steps(2);
    // The window keeps drawing while the file is read: the spinner line and a Cancel button.
    assert!(h.state().state.loading.is_some(), "still opening after two frames");
    h.get_by_label_contains("Opening large.csv");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.state().state.loading.is_none());
    h.get_by_label("Opening cancelled; the data open before is unchanged.");
    // The thread stops at its next stage and its result never arrives.
    std::thread::sleep(std::time::Duration::from_secs(3));
    h.run_steps(3);
    assert!(h.state().state.dataset.is_none(), "a cancelled import must not open the table");
    // Opening it again, and letting it finish, shows the stages and then the table.
    h.get_by_label("Open a file…").click();
    h.run_steps(2);
    wait_until(&mut h, "the large file", |a| a.state.dataset.is_some());
    assert_eq!(h.state().state.dataset.as_ref().unwrap().n_rows(), 600_000);
    h.get_by_label_contains("600000 rows × 5 columns");
}

/// The Groups tab: house prices scored by ocean proximity (a column the model reads), the same
/// numbers as `cairn fairness` on the test rows, and a warning about the 5-row island group.
#[test]
fn groups_tab_scores_the_test_rows_by_a_chosen_column() {
    let dir = crate::common::tempdir();
    let mut h = house_prices_on_evaluate(dir.path());
    h.get_by_label("Groups").click();
    h.step();
    h.get_by_label("Group by").click();
    h.run_steps(3);
    h.get_all_by_label("ocean_proximity").last().unwrap().click();
    h.step();
    wait_until(&mut h, "metrics by group", |a| a.state.insight.groups.is_some());
    h.run_steps(2);
    let report = h.state().state.insight.groups.clone().unwrap();
    let outcome = h.state().state.outcome.clone().unwrap();
    assert_eq!(report.rows, outcome.test_source_rows.len(), "scored on the test rows");
    assert_eq!(report.groups.iter().map(|g| g.rows).sum::<usize>(), report.rows);
    // The same numbers as the library computes on those rows.
    let ds = cairn::data::read_path(&crate::common::asset("california_housing.csv")).unwrap();
    let test = ds.take_rows(&outcome.test_source_rows);
    let direct = cairn::eval::fairness::fairness(&outcome.pipeline, &test, "ocean_proximity", None).unwrap();
    assert_eq!(report, direct);
    h.get_by_label_contains("The model is off by");
    h.get_by_label("INLAND");
    h.get_by_label_contains("mae gap:");
}

/// The Groups tab's fix on a two-class model: penguins' sex by species. Per-group thresholds
/// narrow the true-positive gap on the test rows; switching them on makes the model decide with
/// them, and the model card (with the intended use typed on the Deploy panel), the report and
/// the saved model all carry them.
#[test]
fn per_group_thresholds_and_the_model_card_from_the_window() {
    let dir = crate::common::tempdir();
    let out = dir.path().join("saved");
    let picker = cairn::app::FixedPicker { open: Some(crate::common::asset("penguins.csv")), save: Some(out.clone()) };
    let mut h = harness_with(picker, dir.path().to_path_buf());
    crate::gui::groups_by(&mut h, "sex", "species");
    assert_eq!(h.state().state.eval_view.group.as_deref(), Some("species"), "the combo box keeps the choice");
    // The learn-more picture opens (its text is laid out: every glyph must exist in the font).
    h.get_by_label("Learn more: how fairness across groups is measured").click();
    h.run_steps(3);
    assert_eq!(h.state().state.learn, Some(cairn::app::learn::Topic::Fairness));
    h.get_by_label_contains("Selection rate: the share approved");
    h.get_by_label("Find per-group thresholds").click();
    h.step();
    wait_until(&mut h, "per-group thresholds", |a| a.state.insight.mitigation.is_some());
    let m = h.state().state.insight.mitigation.clone().unwrap();
    let gap = |r: &cairn::eval::fairness::FairnessReport| r.differences["equal_opportunity_difference"];
    assert!(gap(&m.result.after) <= gap(&m.result.before), "{} -> {}", gap(&m.result.before), gap(&m.result.after));
    h.get_by_label_contains("Accuracy over all rows went from");
    h.get_by_label_contains("Decide with these thresholds").click();
    h.step();
    wait_until(&mut h, "groups scored again", |a| a.state.insight.groups.is_some());
    let current = h.state().state.outcome.clone().unwrap();
    assert!(std::sync::Arc::ptr_eq(&current, &m.with), "the model with thresholds is current");
    let now = h.state().state.insight.groups.clone().unwrap();
    assert!((gap(&now) - gap(&m.result.after)).abs() < 1e-12, "the groups now show the 'after' numbers");

    // Deploy panel: the intended use, then the card, the report and the model file.
    h.get_by_label("5  Deploy").click();
    h.step();
    let text = h.get_by_label("Intended use");
    text.focus();
    h.step();
    h.get_by_label("Intended use").type_text("Teaching: how a model can treat groups differently.");
    h.run_steps(2);
    assert_eq!(h.state().state.intended_use, "Teaching: how a model can treat groups differently.");
    h.get_by_label("Save the model card…").click();
    h.step();
    wait_until(&mut h, "the card", |a| a.state.saves.0.is_empty());
    let card = std::fs::read_to_string(&out).unwrap();
    for needle in [
        "## Intended use",
        "Teaching: how a model",
        "## Metrics by species",
        "equal_opportunity_difference",
        "one threshold per group of `species`",
    ] {
        assert!(card.contains(needle), "{needle} missing from the card:\n{card}");
    }
    h.get_by_label("Export report").click();
    h.step();
    wait_until(&mut h, "the report", |a| a.state.saves.0.is_empty());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<section class=\"modelcard\">") && html.contains("Teaching: how a model"), "no card");
    h.get_by_label("Save the model as a file…").click();
    h.step();
    wait_until(&mut h, "the model", |a| a.state.saves.0.is_empty());
    let (saved, _) = cairn::project::load_bundle(&out).unwrap();
    assert_eq!(saved.intended_use, "Teaching: how a model can treat groups differently.");
    let t = saved.thresholds.expect("the thresholds are saved with the model");
    assert!(t.enabled && t.column == "species" && t.thresholds.len() == 3, "{t:?}");
}

/// Why this prediction, in the window: the What-if tab's contribution bars add up to the
/// prediction and follow an edit (for a linear model only the edited column's bar moves, by
/// the change in the prediction); the Explanations tab's summary and partial dependence.
#[test]
fn explanations_on_the_what_if_and_explanations_tabs() {
    let dir = crate::common::tempdir();
    let mut h = house_prices_on_evaluate(dir.path());
    h.get_by_label("What if").click();
    h.run_steps(2);
    let explained = |h: &egui_kittest::Harness<'static, cairn::app::CairnApp>| {
        let w = h.state().state.eval_view.whatif.as_ref()?;
        let e = w.explained.as_ref().filter(|e| e.cells == w.cells)?;
        e.result.as_ref().ok().cloned()
    };
    wait_until(&mut h, "the row's explanation", |a| {
        a.state.eval_view.whatif.as_ref().is_some_and(|w| w.explained.as_ref().is_some_and(|e| e.cells == w.cells))
    });
    let (columns, first) = explained(&h).expect("explained");
    let sum: f64 = first.base_value + first.contributions.iter().sum::<f64>();
    assert!((sum - first.prediction).abs() < 1e-6 * first.prediction.abs().max(1.0), "{sum} vs {}", first.prediction);
    h.get_by_label_contains("Why this prediction");
    h.get_by_label_contains("they add up to");
    // Raise the income by 3: only its contribution moves, by the change in the prediction.
    let income = columns.iter().position(|c| c == "median_income").unwrap();
    let cell = h
        .state()
        .state
        .outcome
        .as_ref()
        .unwrap()
        .pipeline
        .schema
        .columns
        .iter()
        .position(|c| c.name == "median_income")
        .unwrap();
    let Some(Cell::Number(Some(before))) = h.state().state.eval_view.whatif.as_ref().map(|w| w.cells[cell].clone())
    else {
        panic!("income is a number")
    };
    h.state_mut().state.eval_view.whatif.as_mut().unwrap().cells[cell] = Cell::Number(Some(before + 3.0));
    h.run_steps(2);
    wait_until(&mut h, "the edited row's explanation", |a| {
        a.state.eval_view.whatif.as_ref().is_some_and(|w| w.explained.as_ref().is_some_and(|e| e.cells == w.cells))
    });
    let (_, second) = explained(&h).unwrap();
    let moved = second.prediction - first.prediction;
    assert!(moved > 0.0);
    for (j, column) in columns.iter().enumerate() {
        let d = second.contributions[j] - first.contributions[j];
        let want = if j == income { moved } else { 0.0 };
        assert!((d - want).abs() < 1e-6 * moved.abs().max(1.0), "{column}: moved {d}, want {want}");
    }
    let millis = h.state().state.eval_view.whatif.as_ref().unwrap().explained.as_ref().unwrap().millis;
    assert!(millis < 1000.0, "a linear model's row explains in {millis} ms");

    // The Explanations tab: the summary over the test rows, then partial dependence.
    h.get_by_label("Explanations").click();
    h.step();
    h.get_by_label("Explain the test rows").click();
    h.step();
    wait_until(&mut h, "the summary", |a| a.state.insight.explain.summary.is_some());
    let s = h.state().state.insight.explain.summary.clone().unwrap();
    assert_eq!(s.rows, 200);
    assert!(s.mean_abs.iter().all(|m| m.is_finite() && *m >= 0.0));
    h.get_by_label_contains("Over 200 test rows, '");
    h.state_mut().send(cairn::app::Command::ExplainPdp("median_income".into()));
    h.step();
    wait_until(&mut h, "the partial dependence", |a| a.state.insight.explain.pdp.is_some());
    let p = h.state().state.insight.explain.pdp.clone().unwrap();
    assert_eq!(p.ice.len(), 50);
    // A linear model's partial dependence is a straight line.
    let cairn::eval::explain::Grid::Numbers(x) = &p.grid else { panic!("a number grid") };
    let slope = (p.average[1] - p.average[0]) / (x[1] - x[0]);
    for i in 1..x.len() {
        let s_i = (p.average[i] - p.average[i - 1]) / (x[i] - x[i - 1]);
        assert!((s_i - slope).abs() < 1e-6 * slope.abs().max(1.0), "{s_i} vs {slope}");
    }
    h.get_by_label_contains("as 'median_income' is set to each value");
}
