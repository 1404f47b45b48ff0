//! Saving never blocks the window: a large model bundle (a random forest on the California
//! housing sample: ~2 million nodes, a few MB packed and compressed, a third of a second
//! to encode) is written on a background thread while the frame loop
//! keeps drawing, with "Saving…" shown and the button disabled until the save reports back.

use crate::gui::{harness_with, open_house_prices, train_and_wait};
use cairn::app::FixedPicker;
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};

#[test]
fn a_large_model_saves_while_the_window_keeps_drawing() {
    let dir = crate::common::tempdir();
    let file = dir.path().join("forest.cairn");
    let mut h = harness_with(FixedPicker { open: None, save: Some(file.clone()) }, dir.path().to_path_buf());
    open_house_prices(&mut h);
    crate::gui::pick_model(&mut h, "Random forest");
    train_and_wait(&mut h);
    h.get_by_label("5  Deploy").click();
    h.step();

    h.get_by_label("Save the model as a file…").click();
    let started = Instant::now();
    h.step();
    let mut longest = started.elapsed();
    assert_eq!(h.state().state.saves.0.len(), 1, "the save runs in the background");
    // While it runs: every frame returns quickly and shows "Saving…"; a second click on the
    // (disabled) button starts no second save of the same file.
    let (mut frames, mut with_label) = (0, 0);
    while !h.state().state.saves.0.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(120), "the save never finished");
        std::thread::sleep(Duration::from_millis(5));
        let step = Instant::now();
        h.step();
        longest = longest.max(step.elapsed());
        frames += 1;
        if h.query_by_label_contains("Saving…").is_some() {
            with_label += 1;
            h.get_by_label("Save the model as a file…").click();
        }
        assert!(h.state().state.saves.0.len() <= 1, "no overlapping save");
    }
    let total = started.elapsed();
    eprintln!("save took {total:?}: {frames} frames drawn, {with_label} showed Saving…, longest step {longest:?}");
    assert!(with_label >= 3, "only {with_label} frames showed the save running ({frames} frames in {total:?})");
    assert!(longest * 2 < total, "a frame took {longest:?} of a {total:?} save: the save blocked the UI thread");

    h.run_steps(2);
    assert!(h.state().state.error.is_none(), "{:?}", h.state().state.error);
    let size = std::fs::metadata(&file).expect("the bundle is written").len();
    assert!(size > 2_000_000, "a forest bundle is large ({size} bytes)");
    let (pipeline, _) = cairn::project::load_bundle(&file).expect("the bundle loads");
    assert_eq!(pipeline.target.name, "median_house_value");
    let notice = h.state().state.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with("Saved the model to") && notice.contains("forest.cairn") && notice.contains("MB"),
        "{notice}"
    );
    h.get_by_label_contains("Saved the model to");
}
