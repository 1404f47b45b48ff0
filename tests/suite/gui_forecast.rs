//! Forecasting in the app: the Train panel offers "Forecast the next values" when the table has
//! a date column; training shows the series with the forecast, its band and the backtest on
//! Evaluate; a missing month is warned about and its one-click fix adds the recipe step that
//! lets training succeed. Row explanations are not offered for a forecast.

use crate::gui::{harness, open_file_and_pick_target, train_and_wait, wait_until};
use cairn::app::CairnApp;
use cairn::features::Step;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// Opens the Task box on the Train panel and chooses forecasting.
pub(crate) fn choose_forecast(h: &mut Harness<'static, CairnApp>) {
    h.get_by_label("Task").click();
    h.run_steps(3);
    h.get_all_by_label("Forecast the next values").last().unwrap().click();
    h.run_steps(2);
}

#[test]
fn forecasting_co2_shows_the_forecast_band_the_backtest_and_the_methods() {
    let dir = crate::common::tempdir();
    let mut h = harness(Some(crate::common::asset("co2_monthly.csv")), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "co2");
    choose_forecast(&mut h);
    let f = h.state().state.settings.forecast.clone().expect("forecast chosen");
    assert_eq!(f.time, "month");
    assert_eq!((f.series, f.horizon), (None, None));
    // The general model list is not offered for a forecast, nor "Try all models".
    assert!(h.query_by_label("Try all models").is_none());
    h.get_by_label_contains("every forecasting method is backtested");
    h.get_by_label_contains("one per month");
    assert!(h.query_by_label_contains("missing (first").is_none(), "the CO2 series has no gaps");

    train_and_wait(&mut h);
    let outcome = h.state().state.outcome.clone().unwrap();
    let forecaster = outcome.pipeline.forecast.as_ref().expect("a forecast pipeline");
    h.get_by_label_contains("Trained a forecast");
    h.get_by_label("See the forecast").click();
    h.run_steps(3);
    // The reading, the methods compared (the one in use marked) and the error by steps ahead.
    h.get_by_label_contains("band held the truth");
    h.get_by_label("Methods compared");
    for s in &forecaster.backtest.scores {
        h.get_by_label(s.method.display_name());
    }
    h.get_by_label("in use");
    h.get_by_label("Error by steps ahead");
    h.get_by_label("1 month");
    let paths = h.state().state.forecast_view.paths.clone().expect("forecast computed").expect("forecast made");
    assert_eq!(paths.len(), 1);
    let p = &paths[0];
    assert_eq!(p.values.len(), forecaster.horizon);
    assert!(p.lower.iter().zip(&p.values).zip(&p.upper).all(|((l, v), u)| l <= v && v <= u), "the band holds it");
    // CO2 keeps rising: the forecast sits near the last measured values, not at zero.
    let last = *forecaster.series[0].values.last().unwrap();
    assert!((p.values[0] - last).abs() < 10.0, "first step {} after {last}", p.values[0]);
    h.get_by_label_contains("Forecast values (");
    // The row-explaining tabs are not shown for a forecast.
    assert!(h.query_by_label("Feature importance").is_none());
    assert!(h.query_by_label("What if").is_none());
    // Deploy starts a real forecast server: POST /forecast answers the forecast shown.
    h.get_by_label("5  Deploy").click();
    h.run_steps(2);
    h.get_by_label_contains("Start a local forecast service");
    h.get_by_label("Save the model as a file…");
    crate::gui::deploy_and_wait(&mut h);
    let url = match &h.state().state.deploy {
        cairn::app::DeployStatus::Running { url, .. } => url.clone(),
        other => panic!("not running: {other:?}"),
    };
    h.get_by_label_contains("/forecast -H");
    let (status, answer) = crate::serve::post_to(&format!("{url}/forecast"), "application/json", "{}");
    assert_eq!(status, 200, "{answer}");
    let served = answer["forecasts"][0]["values"].as_array().unwrap();
    assert_eq!(served.len(), forecaster.horizon);
    assert!((served[0].as_f64().unwrap() - p.values[0]).abs() < 1e-9);
    h.get_by_label("Stop server").click();
    h.run_steps(2);
    h.state_mut().send(cairn::app::Command::ComputeImportance);
    h.run_steps(2);
    assert!(h.state().state.insight.busy.is_none(), "importance is not computed for a forecast");
}

#[test]
fn a_missing_month_is_warned_about_and_its_fix_lets_training_succeed() {
    let dir = crate::common::tempdir();
    // Five years of a seasonal monthly series, with one month left out.
    let mut csv = String::from("month,sales\n");
    for i in 0..60 {
        if i == 27 {
            continue;
        }
        let (y, m) = (2015 + i / 12, 1 + i % 12);
        let v = 100.0 + i as f64 + 10.0 * (std::f64::consts::TAU * m as f64 / 12.0).sin();
        csv += &format!("{y}-{m:02}-01,{v:.2}\n");
    }
    let path = dir.path().join("sales.csv");
    std::fs::write(&path, csv).unwrap();
    let mut h = harness(Some(path), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "sales");
    choose_forecast(&mut h);
    h.get_by_label_contains("1 month is missing (first: 2017-04-01)");
    h.get_by_label("Fill them (straight line)").click();
    h.run_steps(3);
    let target = "sales";
    let recipe = h.state().state.recipe.for_target(target).cloned().expect("a recipe");
    assert!(recipe.active().any(|s| matches!(s, Step::FillGaps { column, .. } if column == "month")), "{recipe:?}");
    h.get_by_label_contains("mended by the recipe step (interpolate)");
    assert!(h.query_by_label("Fill them (straight line)").is_none());

    train_and_wait(&mut h);
    let outcome = h.state().state.outcome.clone().unwrap();
    let f = outcome.pipeline.forecast.as_ref().expect("a forecast pipeline");
    assert_eq!(f.series[0].values.len(), 60, "the gap is filled");
    assert!(f.series[0].values.iter().all(|v| v.is_finite()));
    h.get_by_label("4  Evaluate").click();
    h.run_steps(3);
    h.get_by_label_contains("band held the truth");
}

#[test]
fn repeated_months_are_combined_by_the_fix() {
    let dir = crate::common::tempdir();
    let mut csv = String::from("month,sales\n");
    for i in 0..48 {
        let (y, m) = (2016 + i / 12, 1 + i % 12);
        csv += &format!("{y}-{m:02}-01,{}\n", 50 + i);
        if i == 10 {
            csv += &format!("{y}-{m:02}-01,{}\n", 52 + i);
        }
    }
    let path = dir.path().join("sales.csv");
    std::fs::write(&path, csv).unwrap();
    let mut h = harness(Some(path), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "sales");
    choose_forecast(&mut h);
    h.get_by_label_contains("1 month holds more than one row (first: 2016-11-01)");
    h.get_by_label("Combine them (mean)").click();
    h.run_steps(3);
    h.get_by_label_contains("mended by the recipe step (mean)");
    train_and_wait(&mut h);
    wait_until(&mut h, "the forecast", |a| a.state.outcome.as_ref().is_some_and(|o| o.pipeline.forecast.is_some()));
}

#[test]
fn two_stores_are_forecast_each_on_its_own_with_a_chosen_horizon() {
    let dir = crate::common::tempdir();
    let mut csv = String::from("month,store,sales\n");
    for (store, base) in [("north", 100.0), ("south", 400.0)] {
        for i in 0..48 {
            let v = base + 2.0 * i as f64 + 15.0 * (std::f64::consts::TAU * (i % 12) as f64 / 12.0).sin();
            csv += &format!("{}-{:02}-01,{store},{v:.2}\n", 2018 + i / 12, 1 + i % 12);
        }
    }
    let path = dir.path().join("stores.csv");
    std::fs::write(&path, csv).unwrap();
    let mut h = harness(Some(path), dir.path().to_path_buf());
    open_file_and_pick_target(&mut h, "sales");
    choose_forecast(&mut h);
    h.get_by_label("Series").click();
    h.run_steps(3);
    h.get_all_by_label("store").last().unwrap().click();
    h.run_steps(2);
    h.get_by_label("automatic").click();
    h.run_steps(2);
    let f = h.state().state.settings.forecast.clone().unwrap();
    assert_eq!((f.series.as_deref(), f.horizon), (Some("store"), Some(12)));
    h.state_mut().state.settings.forecast.as_mut().unwrap().horizon = Some(6);
    h.run_steps(2);
    h.get_by_label_contains("2 series, up to 48 values");
    train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.run_steps(3);
    let paths = h.state().state.forecast_view.paths.clone().unwrap().unwrap();
    assert_eq!(
        paths.iter().map(|p| (p.series.as_str(), p.values.len())).collect::<Vec<_>>(),
        [("north", 6), ("south", 6)]
    );
    // The series picker switches the plot to the second store.
    h.get_by_label("Series").click();
    h.run_steps(3);
    h.get_all_by_label("south").last().unwrap().click();
    h.run_steps(2);
    assert_eq!(h.state().state.forecast_view.shown, 1);
    h.get_by_label_contains("Forecast values (6 months)");
}

#[test]
fn the_forecast_lesson_goes_from_the_sample_to_a_served_forecast() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    h.step();
    h.get_by_label("Start lesson: Forecast next month").click();
    h.run_steps(2);
    wait_until(&mut h, "the CO2 series", |a| a.state.dataset.is_some());
    assert_eq!(h.state().state.settings.target.as_deref(), Some("co2"));
    h.get_by_label("3  Train").click();
    h.run_steps(2);
    choose_forecast(&mut h);
    train_and_wait(&mut h);
    assert_eq!(h.state().state.outcome.as_ref().unwrap().pipeline.info.model, "holt_winters");
    h.get_by_label("4  Evaluate").click();
    h.run_steps(3);
    h.get_by_label_contains("band held the truth");
    crate::gui::deploy_and_wait(&mut h);
    h.run_steps(2);
    let lesson = h.state().state.lesson.as_ref().unwrap();
    assert!(lesson.done.iter().all(|d| *d), "{:?}", lesson.done);
}
