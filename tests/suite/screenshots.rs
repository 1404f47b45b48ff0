//! The README's screenshots of the feedback loop and the Runs panel, rendered by egui_kittest
//! through wgpu (lavapipe here): `cargo test screenshots -- --ignored` writes them to assets/.
//! Ignored in the normal run: they produce pictures, not checks (the same paths are asserted
//! by `gui_runs.rs`).

use crate::gui::{deploy_and_wait, open_house_prices, train_and_wait, wait_until};
use cairn::app::{CairnApp, FixedPicker};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn rendering_harness(open: std::path::PathBuf, dir: &std::path::Path) -> Harness<'static, CairnApp> {
    let options = crate::gui::options(FixedPicker { open: Some(open), save: None }, dir);
    crate::gui::harness_of(options, egui::vec2(1280.0, 860.0), true)
}

fn save(h: &mut Harness<'static, CairnApp>, name: &str) {
    h.run_steps(3);
    let image = h.render().expect("render through wgpu");
    let path = crate::common::asset(name);
    image.save(&path).expect("write the screenshot");
    eprintln!("wrote {}", path.display());
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshots_of_the_feedback_loop_and_the_runs_panel() {
    let dir = crate::common::tempdir();
    let ds = cairn::data::read_csv_path(&crate::common::asset("california_housing.csv")).unwrap();
    // New rows: every fifth district, with values risen by a fifth since.
    let new = ds.take_rows(&(0..ds.n_rows()).step_by(5).collect::<Vec<_>>());
    let mut text = new.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(",") + "\n";
    for r in 0..new.n_rows() {
        let cells: Vec<String> = new
            .columns
            .iter()
            .map(|c| match (&c.values, c.name.as_str()) {
                (cairn::data::Values::Numeric(v), "median_house_value") => {
                    v.get(r).map_or(String::new(), |x| (x * 1.2).to_string())
                }
                _ => c.cell_text(r),
            })
            .collect();
        text += &(cells.join(",") + "\n");
    }
    let new_csv = dir.path().join("new-sales.csv");
    std::fs::write(&new_csv, text).unwrap();

    let mut h = rendering_harness(new_csv, dir.path());
    open_house_prices(&mut h);
    crate::gui::pick_model(&mut h, "Random forest");
    train_and_wait(&mut h);
    deploy_and_wait(&mut h);
    h.get_by_label("6  Monitor").click();
    h.step();
    h.get_by_label("Retrain with new data…").click();
    h.step();
    wait_until(&mut h, "the retraining", |a| a.state.feedback.result.is_some());
    save(&mut h, "screenshot-retrain.png");
    let promote = if h.state().state.feedback.result.as_ref().unwrap().better() {
        "Promote (recommended)"
    } else {
        "Promote anyway"
    };
    h.get_by_label(promote).click();
    h.step();
    wait_until(&mut h, "the promotion", |a| a.state.feedback.busy.is_none() && a.state.deployments.len() == 2);
    h.get_by_label("7  Runs").click();
    h.step();
    wait_until(&mut h, "the runs", |a| a.state.run_log.runs.len() == 2 && !a.state.run_log.loading);
    h.get_by_label("#1").click();
    h.run_steps(2);
    h.get_by_label("#2").click();
    h.run_steps(2);
    h.get_by_label("Compare selected (2)").click();
    save(&mut h, "screenshot-runs.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshot_of_the_written_summary_after_training() {
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("california_housing.csv"), dir.path());
    open_house_prices(&mut h);
    for model in [cairn::train::ModelKind::Linear, cairn::train::ModelKind::GradientBoosting] {
        h.state_mut().state.settings.model = Some(model);
        h.run_steps(2);
        let before = h.state().state.runs.len();
        h.get_by_label("Train").click();
        h.step();
        wait_until(&mut h, "training", |a| a.state.training.is_none() && a.state.runs.len() == before + 1);
    }
    h.state_mut().send(cairn::app::Command::ComputeImportance);
    wait_until(&mut h, "importance", |a| a.state.insight.importance.is_some());
    h.get_by_label("3  Train").click();
    h.run_steps(3);
    save(&mut h, "screenshot-summary.png");
    h.state_mut().send(cairn::app::Command::Learn(cairn::app::learn::Topic::R2));
    h.run_steps(4);
    save(&mut h, "screenshot-learn.png");
    for (topic, name) in [
        (cairn::app::learn::Topic::Scaling, "screenshot-learn-scaling.png"),
        (cairn::app::learn::Topic::PrecisionRecall, "screenshot-learn-precision.png"),
    ] {
        h.state_mut().send(cairn::app::Command::Learn(topic));
        h.run_steps(4);
        save(&mut h, name);
    }
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshot_of_the_recipe_editor() {
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("california_housing.csv"), dir.path());
    open_house_prices(&mut h);
    // A few edits a user would make: a derived ratio, a log, rare categories grouped.
    for step in [
        cairn::features::Step::Derived {
            name: "rooms_per_household".into(),
            expression: "total_rooms / households".into(),
        },
        cairn::features::Step::Power { column: "population".into(), kind: cairn::features::Power::Log },
        cairn::features::Step::OneHot { column: "ocean_proximity".into(), min_frequency: 100, ordinal: false },
    ] {
        h.state_mut().send(cairn::app::Command::Recipe(cairn::app::features::RecipeEdit::Add(step)));
        h.run_steps(2);
    }
    h.get_by_label("2  Features").click();
    h.run_steps(3);
    save(&mut h, "screenshot-recipe.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshots_of_the_start_screen_a_lesson_and_the_report() {
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("iris.csv"), dir.path());
    h.run_steps(3);
    save(&mut h, "screenshot-start.png");
    h.get_by_label("Start lesson: Predict house prices").click();
    h.run_steps(2);
    wait_until(&mut h, "the lesson's data", |a| a.state.dataset.is_some());
    h.get_by_label("Next step").click();
    h.run_steps(2);
    h.get_by_label("Next step").click();
    h.run_steps(2);
    train_and_wait(&mut h);
    h.get_by_label("Hint").click();
    h.run_steps(2);
    save(&mut h, "screenshot-lesson.png");
    // The report, as the CLI writes it, for the README (opened in a browser by hand).
    let o = h.state().state.outcome.clone().unwrap();
    let html = cairn::eval::html::html_report(&cairn::eval::html::ReportInput {
        title: "Predict house prices — report".into(),
        profile: h.state().state.profile.as_ref(),
        pipeline: &o.pipeline,
        report: &o.report,
        lesson: None,
        card: None,
        correlations: None,
    });
    std::fs::write(dir.path().join("report.html"), html).unwrap();
    eprintln!("report: {}", dir.path().join("report.html").display());
    std::mem::forget(dir);
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshots_of_the_groups_tab_its_fix_and_the_fairness_picture() {
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("penguins.csv"), dir.path());
    crate::gui::groups_by(&mut h, "sex", "species");
    h.get_by_label("Find per-group thresholds").click();
    h.step();
    wait_until(&mut h, "per-group thresholds", |a| a.state.insight.mitigation.is_some());
    h.get_by_label_contains("Decide with these thresholds").scroll_to_me();
    save(&mut h, "screenshot-groups.png");
    h.get_by_label("Learn more: how fairness across groups is measured").click();
    save(&mut h, "screenshot-learn-fairness.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshots_of_the_explore_view() {
    use cairn::app::Command;
    use cairn::app::explore::{Chart, ExploreCommand, ExploreRequest};
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("california_housing.csv"), dir.path());
    open_house_prices(&mut h);
    h.get_by_label("1  Data").click();
    h.step();
    save(&mut h, "screenshot-profile.png");
    h.get_by_label("Explore").click();
    let want = |chart, x: &str, y: &str| {
        Command::Explore(ExploreCommand::Want(ExploreRequest { chart, x: x.into(), y: y.into(), by: None }))
    };
    h.state_mut().send(want(Chart::Scatter, "median_income", "median_house_value"));
    h.step();
    wait_until(&mut h, "the scatter", |a| a.state.explore.result.is_some() && !a.state.explore.busy);
    let caption = h.get_by_label_contains("Drag a box to select").rect();
    let (from, to) =
        (caption.left_bottom() + egui::vec2(560.0, 60.0), caption.left_bottom() + egui::vec2(900.0, 160.0));
    crate::gui::drag_box(&mut h, from, to);
    wait_until(&mut h, "the selection", |a| a.state.explore.selection.is_some());
    save(&mut h, "screenshot-explore-scatter.png");
    h.state_mut().send(want(Chart::Correlations, "", ""));
    h.step();
    wait_until(&mut h, "the correlations", |a| {
        a.state.explore.result.as_ref().is_some_and(|(r, _)| r.chart == Chart::Correlations)
    });
    save(&mut h, "screenshot-explore-correlations.png");
    h.state_mut().send(want(Chart::Histogram, "median_income", ""));
    h.step();
    wait_until(&mut h, "the histogram", |a| {
        a.state.explore.result.as_ref().is_some_and(|(r, _)| r.chart == Chart::Histogram) && !a.state.explore.busy
    });
    save(&mut h, "screenshot-explore-histogram.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshots_of_the_explanations() {
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("california_housing.csv"), dir.path());
    open_house_prices(&mut h);
    crate::gui::pick_model(&mut h, "Random forest");
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.step();
    h.get_by_label("What if").click();
    h.run_steps(2);
    wait_until(&mut h, "the row's explanation", |a| {
        a.state.eval_view.whatif.as_ref().is_some_and(|w| w.explained.is_some() && w.explaining.is_none())
    });
    h.get_by_label_contains("Why this prediction").scroll_to_me();
    save(&mut h, "screenshot-whatif-why.png");
    h.get_by_label("Explanations").click();
    h.step();
    h.get_by_label("Explain the test rows").click();
    h.step();
    wait_until(&mut h, "the summary", |a| a.state.insight.explain.summary.is_some());
    save(&mut h, "screenshot-explanations.png");
    h.state_mut().send(cairn::app::Command::ExplainPdp("median_income".into()));
    h.step();
    wait_until(&mut h, "the partial dependence", |a| a.state.insight.explain.pdp.is_some());
    h.get_by_label_contains("as 'median_income' is set to each value").scroll_to_me();
    save(&mut h, "screenshot-pdp.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshots_of_a_forecast() {
    let dir = crate::common::tempdir();
    let mut h = rendering_harness(crate::common::asset("co2_monthly.csv"), dir.path());
    crate::gui::open_file_and_pick_target(&mut h, "co2");
    crate::gui_forecast::choose_forecast(&mut h);
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.run_steps(3);
    h.get_by_label_contains("band held the truth");
    save(&mut h, "screenshot-forecast.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshot_of_a_missing_month_warned_before_a_forecast() {
    let dir = crate::common::tempdir();
    let mut csv = String::from("month,sales\n");
    for i in (0..60).filter(|i| ![27, 28, 41].contains(i)) {
        csv += &format!("{}-{:02}-01,{}\n", 2015 + i / 12, 1 + i % 12, 100 + i);
        if i == 50 {
            csv += &format!("{}-{:02}-01,{}\n", 2015 + i / 12, 1 + i % 12, 103 + i);
        }
    }
    let path = dir.path().join("sales.csv");
    std::fs::write(&path, csv).unwrap();
    let mut h = rendering_harness(path, dir.path());
    crate::gui::open_file_and_pick_target(&mut h, "sales");
    crate::gui_forecast::choose_forecast(&mut h);
    h.get_by_label_contains("3 months are missing");
    save(&mut h, "screenshot-forecast-gaps.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshot_of_the_reliability_diagram() {
    let dir = crate::common::tempdir();
    let options = crate::gui::options(FixedPicker::default(), dir.path());
    let mut h = crate::gui::harness_of(options, egui::vec2(1280.0, 1500.0), true);
    crate::calibration::naive_bayes_on_spam_evaluated(&mut h);
    save(&mut h, "screenshot-reliability.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshot_of_a_streamed_file() {
    let dir = crate::common::tempdir();
    let picker = FixedPicker { open: Some(crate::common::asset("california_housing.csv")), save: None };
    // Any file counts as too large for memory here.
    let options = cairn::app::AppOptions { memory_share: 1e-9, ..crate::gui::options(picker, dir.path()) };
    let mut h = crate::gui::harness_of(options, egui::vec2(1280.0, 900.0), true);
    h.step();
    h.get_by_label("Open a file…").click();
    h.step();
    wait_until(&mut h, "the stream", |a| a.state.dataset.is_some());
    save(&mut h, "screenshot-streamed.png");
}

#[test]
#[ignore = "writes the README screenshots: cargo test screenshots -- --ignored"]
fn screenshot_of_the_pictures_behind_a_mistake() {
    let dir = crate::common::tempdir();
    let status = std::process::Command::new("python3")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/picture_sets.py"))
        .arg(dir.path())
        .arg("digits")
        .status()
        .unwrap();
    assert!(status.success(), "tools/picture_sets.py needs scikit-learn and Pillow");
    let options = crate::gui::options(FixedPicker { open: Some(dir.path().join("digits")), save: None }, dir.path());
    let mut h = crate::gui::harness_of(options, egui::vec2(1280.0, 1500.0), true);
    h.step();
    h.get_by_label("Open a folder of examples…").click();
    h.step();
    wait_until(&mut h, "the pictures to be embedded", |a| a.state.dataset.is_some());
    h.get_by_label("3  Train").click();
    h.step();
    h.state_mut().state.settings.model = Some(cairn::train::ModelKind::Logistic);
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.run_steps(3);
    let o = h.state().state.outcome.clone().unwrap();
    let cairn::eval::Detail::Classification { confusion, .. } = &o.report.detail else { panic!() };
    let (a, p) = (0..10)
        .flat_map(|a| (0..10).map(move |p| (a, p)))
        .filter(|&(a, p)| a != p)
        .max_by_key(|&(a, p)| confusion[a][p])
        .unwrap();
    h.state_mut().state.eval_view.cell = Some((a, p));
    h.run_steps(3);
    let first = o.test_source_rows.iter().zip(0..).find_map(|(&src, i)| match &o.report.detail {
        cairn::eval::Detail::Classification { actual, predicted, .. } if actual[i] == a && predicted[i] == p => {
            Some(src)
        }
        _ => None,
    });
    let file = h.state().state.dataset.as_ref().unwrap().require("file").unwrap().cell_text(first.unwrap());
    h.get_by_label(file.rsplit('/').next().unwrap()).click();
    h.run_steps(3);
    h.get_by_label_contains("how sure the model is");
    crate::gui::wait_until(&mut h, "the thumbnails", |a| !a.state.eval_view.pictures.loading());
    save(&mut h, "screenshot-pictures.png");
}
