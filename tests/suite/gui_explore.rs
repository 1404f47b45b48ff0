//! The Data panel's Explore view through egui_kittest on the house-price sample: each chart is
//! computed in the background and drawn, a box dragged on the scatter selects the rows inside
//! it (the preview shows them and the count matches the data), a clicked bar selects its rows,
//! and one click turns a selection into a recipe step that training honours.

use crate::gui::{harness, wait_until};
use cairn::app::explore::{Chart, ExploreCommand, ExploreRequest, ExploreResult};
use cairn::app::{CairnApp, Command};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn chart_shown(h: &mut Harness<'static, CairnApp>, chart: Chart) {
    wait_until(h, "the chart", |a| {
        a.state.explore.result.as_ref().is_some_and(|(r, _)| r.chart == chart) && !a.state.explore.busy
    });
}

#[test]
fn explore_charts_brushing_and_a_selection_as_a_recipe_step() {
    let dir = crate::common::tempdir();
    let mut h = harness(None, dir.path().to_path_buf());
    crate::gui::open_house_prices(&mut h);
    h.get_by_label("1  Data").click();
    h.step();
    // Each column's distribution picture sits in the profile table.
    let prof = h.state().state.profile.clone().unwrap();
    let income = prof.column_profiles.iter().find(|c| c.name == "median_income").unwrap();
    assert_eq!(income.histogram.iter().sum::<usize>(), 20_640);
    h.get_by_label("Explore").click();
    h.step();
    chart_shown(&mut h, Chart::Histogram);
    let Some((r, ExploreResult::Histogram(hist))) = h.state().state.explore.result.clone() else { panic!() };
    assert_eq!(r.by.as_deref(), Some("median_house_value"), "split by the target by default");
    assert_eq!(hist.totals().iter().sum::<usize>(), 20_640, "every row with a value is in a bar");
    h.get_by_label_contains("How many rows have each value");

    // Correlations: the strongest pair in words.
    h.get_by_label("Correlations").click();
    h.step();
    chart_shown(&mut h, Chart::Correlations);
    h.get_by_label_contains("total_bedrooms and households strongly move together, r = 0.98");

    // Box plots of income by ocean proximity.
    h.state_mut().send(Command::Explore(ExploreCommand::Want(ExploreRequest {
        chart: Chart::Boxes,
        x: "median_income".into(),
        y: String::new(),
        by: Some("ocean_proximity".into()),
    })));
    h.step();
    chart_shown(&mut h, Chart::Boxes);
    let Some((_, ExploreResult::Boxes(b))) = h.state().state.explore.result.clone() else { panic!() };
    assert_eq!(b.iter().map(|x| x.rows).sum::<usize>(), 20_640);
    h.get_by_label_contains("The middle half of 'median_income'");

    // Scatter of income against house value; drag a box over part of it.
    h.state_mut().send(Command::Explore(ExploreCommand::Want(ExploreRequest {
        chart: Chart::Scatter,
        x: "median_income".into(),
        y: "median_house_value".into(),
        by: None,
    })));
    h.step();
    chart_shown(&mut h, Chart::Scatter);
    let caption = h.get_by_label_contains("Drag a box to select the rows inside it").rect();
    let (from, to) =
        (caption.left_bottom() + egui::vec2(200.0, 80.0), caption.left_bottom() + egui::vec2(520.0, 260.0));
    crate::gui::drag_box(&mut h, from, to);
    wait_until(&mut h, "the selection", |a| a.state.explore.selection.is_some());
    let sel = h.state().state.explore.selection.clone().unwrap();
    assert_eq!(sel.conditions.len(), 2, "{:?}", sel.conditions);
    let ds = h.state().state.dataset.clone().unwrap();
    let by_hand = cairn::data::explore::select_rows(&ds, &sel.conditions).unwrap();
    assert!(!by_hand.is_empty() && by_hand.len() < ds.n_rows(), "{} rows", by_hand.len());
    assert_eq!(*sel.rows, by_hand);
    h.get_by_label_contains(&format!("Selected {} of 20640 rows", by_hand.len()));
    h.get_by_label_contains(&format!("Preview: the {} selected rows", by_hand.len()));

    // Drop them in the recipe: training leaves them out.
    // (below the fold of the 900-point window: clicked as a screen reader would)
    h.get_by_label("Drop these rows").click_accesskit();
    h.step();
    assert!(h.state().state.explore.selection.is_none());
    let recipe = h.state().state.recipe.recipe().cloned().unwrap();
    let kept = recipe.kept_rows(&ds).unwrap().unwrap();
    assert_eq!(kept.len(), ds.n_rows() - by_hand.len());
    h.get_by_label("3  Train").click();
    h.step();
    crate::gui::train_and_wait(&mut h);
    let o = h.state().state.outcome.clone().unwrap();
    let used = o.pipeline.info.train_rows + o.pipeline.info.test_rows;
    assert_eq!(used, kept.len(), "training used the rows the step keeps");
}

/// Pearson and Spearman (pairwise, ties averaged) equal pandas' `DataFrame.corr` on the
/// house-price data (which has missing bedrooms).
#[test]
fn correlations_match_pandas() {
    let path = crate::common::asset("california_housing.csv");
    let ds = cairn::data::read_path(&path).unwrap();
    let ours = cairn::data::explore::correlations(&ds, &[]);
    let script = "import sys, json, pandas as pd\nd = pd.read_csv(sys.argv[1]).select_dtypes('number')\n\
                  print(json.dumps({m: d.corr(method=m).values.tolist() for m in ['pearson', 'spearman']}))";
    let o = std::process::Command::new("python3").args(["-c", script, path.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "pandas is this test's reference: {}", String::from_utf8_lossy(&o.stderr));
    let theirs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ours.columns.len(), 9);
    for (name, m) in [("pearson", &ours.pearson), ("spearman", &ours.spearman)] {
        for i in 0..9 {
            for j in 0..9 {
                let want = theirs[name][i][j].as_f64().unwrap();
                assert!((m[i][j] - want).abs() < 1e-9, "{name} {i} {j}: {} vs {want}", m[i][j]);
            }
        }
    }
}
