//! The feedback loop on a live server: a new model version is swapped in while clients keep
//! sending requests (none fails), a wrong bundle is refused with the old version still
//! serving, and SIGHUP re-reads the bundle file.

use crate::common::{asset, tempdir, train_bundle, train_bundle_with};
use crate::serve::{get, post_to, start};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn checksum(url: &str) -> String {
    let (_, m) = get(&format!("{url}/metadata"));
    serde_json::from_str::<Value>(&m).unwrap()["checksum"].as_str().unwrap().to_string()
}

#[test]
fn swapping_the_model_under_load_drops_no_request() {
    let dir = tempdir();
    let linear = train_bundle(dir.path(), "california_housing.csv", "median_house_value", "house.cairn");
    let forest = train_bundle_with(
        dir.path(),
        "california_housing.csv",
        "median_house_value",
        "forest.cairn",
        &["--model", "random_forest", "--param", "n_trees=10"],
    );
    let iris = train_bundle(dir.path(), "iris.csv", "species", "iris.cairn");
    let server = start(&linear);
    let url = server.url.clone();
    let (linear_sum, forest_sum) =
        (cairn::project::load_bundle(&linear).unwrap().1, cairn::project::load_bundle(&forest).unwrap().1);
    assert_eq!(checksum(&url), linear_sum);
    let (_, meta) = get(&format!("{url}/metadata"));
    let example = serde_json::from_str::<Value>(&meta).unwrap()["example"].clone();
    let body = json!({"records": [example]}).to_string();
    let before = post_to(&format!("{url}/predict"), "application/json", &body).1["predictions"][0].clone();

    // Four clients send requests back to back while the model is swapped.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (url, body, stop, ok, failed) = (url.clone(), body.clone(), stop.clone(), ok.clone(), failed.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, v) = post_to(&format!("{url}/predict"), "application/json", &body);
                    if status == 200 && v["predictions"].as_array().is_some_and(|p| p.len() == 1) {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let reload = |bundle: &std::path::Path| {
        post_to(&format!("{url}/admin/reload"), "application/json", &json!({"bundle": bundle}).to_string())
    };
    let (status, swapped) = reload(&forest);
    assert_eq!(status, 200, "{swapped}");
    assert_eq!(
        (swapped["previous"].as_str(), swapped["checksum"].as_str()),
        (Some(linear_sum.as_str()), Some(forest_sum.as_str()))
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    // A bundle for another target is refused; the forest keeps serving.
    let (status, refused) = reload(&iris);
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("species"), "{refused}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    clients.into_iter().for_each(|c| c.join().unwrap());
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("{ok} requests answered during the swap, {failed} failed");
    assert!(ok > 20, "{ok}");
    assert_eq!(failed, 0);
    assert_eq!(checksum(&url), forest_sum);
    let after = post_to(&format!("{url}/predict"), "application/json", &body).1["predictions"][0].clone();
    assert_ne!(before, after, "the forest answers differently from the linear model");

    // A missing bundle is refused too.
    let (status, missing) = reload(&dir.path().join("nothing.cairn"));
    assert_eq!(status, 422, "{missing}");
    // SIGHUP: the server's own bundle file is re-read, after a retrained model replaced it.
    let pid = server.pid().to_string();
    // (A retrained model replaces the server's own bundle file.)
    train_bundle_with(dir.path(), "california_housing.csv", "median_house_value", "house.cairn", &["--model", "ridge"]);
    let ridge_sum = cairn::project::load_bundle(&linear).unwrap().1;
    assert!(std::process::Command::new("kill").args(["-s", "HUP", &pid]).status().unwrap().success());
    let started = std::time::Instant::now();
    while checksum(&url) != ridge_sum {
        assert!(started.elapsed().as_secs() < 10, "SIGHUP did not reload the bundle");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn retrain_compare_promote_on_a_live_server() {
    let dir = tempdir();
    // The first half of California (by row order, i.e. by region) is the old data, the rest
    // arrives later.
    let csv = std::fs::read_to_string(asset("california_housing.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (old, new) = (dir.path().join("old.csv"), dir.path().join("new.csv"));
    std::fs::write(&old, format!("{header}\n{}\n", rows[..10_000].join("\n"))).unwrap();
    std::fs::write(&new, format!("{header}\n{}\n", rows[10_000..].join("\n"))).unwrap();
    let (current, store, candidate) =
        (dir.path().join("current.cairn"), dir.path().join("runs.sqlite"), dir.path().join("retrained.cairn"));
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let o = crate::common::cairn(&[
        "train",
        &s(&old),
        "--target",
        "median_house_value",
        "--out",
        &s(&current),
        "--runs",
        &s(&store),
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let o = crate::common::cairn(&["runs", &s(&store), "--promote", "1"]);
    assert!(o.status.success());
    let server = start(&current);
    let served_before = checksum(&server.url);

    let o = crate::common::cairn(&[
        "retrain",
        &s(&current),
        "--data",
        &s(&old),
        "--new",
        &s(&new),
        "--out",
        &s(&candidate),
        "--server",
        &server.url,
        "--runs",
        &s(&store),
        "--json",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(crate::common::stdout(&o).trim()).unwrap();
    eprintln!("retrain: {v}");
    // Both scored on the same held-out rows: the current model's own test rows of the old data
    // plus a fifth of the new rows.
    assert_eq!(v["holdout_rows"], 2_000 + 2_128);
    assert_eq!(v["train_rows"], 8_000 + 8_512);
    let (cur, new_r2) = (v["current"]["r2"].as_f64().unwrap(), v["retrained"]["r2"].as_f64().unwrap());
    assert!(new_r2 > cur, "{cur} → {new_r2}");
    assert_eq!((v["better"].as_bool(), v["promoted"].as_bool()), (Some(true), Some(true)));
    // The live server now answers with the retrained model, and the store says so.
    let served_now = checksum(&server.url);
    assert_ne!(served_now, served_before);
    assert_eq!(Some(served_now.as_str()), v["checksum"].as_str());
    let runs: Value =
        serde_json::from_str(crate::common::stdout(&crate::common::cairn(&["runs", &s(&store), "--json"])).trim())
            .unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0]["production"].as_bool(), runs[1]["production"].as_bool()), (Some(true), Some(false)));
    assert_eq!(runs[0]["rows"], 20_640);
    assert!(runs[0]["note"].as_str().unwrap().starts_with("retrained with"));
    // Rollback: the earlier version serves again.
    let (status, back) =
        post_to(&format!("{}/admin/reload", server.url), "application/json", &json!({"bundle": current}).to_string());
    assert_eq!(status, 200, "{back}");
    assert_eq!(checksum(&server.url), served_before);
}

#[test]
fn text_drift_flags_a_change_of_topic_and_not_a_resample() {
    use cairn::data::{Schema, read_csv_path};
    let ds = read_csv_path(&asset("sms_spam.csv")).unwrap();
    let schema = Schema::from_dataset(&ds, "label");
    let label = |i: usize| ds.column("label").unwrap().cell_text(i);
    let even: Vec<usize> = (0..ds.n_rows()).step_by(2).collect();
    let odd: Vec<usize> = (1..ds.n_rows()).step_by(2).collect();
    let spam: Vec<usize> = odd.iter().copied().filter(|&i| label(i) == "spam").collect();
    let report = |rows: &[usize]| {
        let r = cairn::monitor::drift_report(&schema, &ds.take_rows(&even), &ds.take_rows(rows)).unwrap();
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        r.features.into_iter().find(|f| f.column == "text").unwrap()
    };
    let same = report(&odd);
    let topic = report(&spam);
    eprintln!(
        "text drift: odd rows JS {:.3} (unseen words {:.3}); spam only JS {:.3} (unseen {:.3}, length KS p {:.2e})",
        same.score,
        same.measures["unseen_word_share"],
        topic.score,
        topic.measures["unseen_word_share"],
        topic.measures["length_ks_p_value"]
    );
    assert_eq!((same.kind, same.method), ("text", "words_jensen_shannon"));
    assert!(!same.drifted && same.score < 0.05, "{same:?}");
    assert!(topic.drifted && topic.score > 0.2, "{topic:?}");
    // Spam messages are longer than the mix: the length test sees it too.
    assert!(topic.measures["length_ks_p_value"] < 1e-6);
}

#[test]
fn late_answers_give_the_live_accuracy_of_the_served_model() {
    let dir = tempdir();
    let bundle = train_bundle(dir.path(), "penguins.csv", "species", "penguins.cairn");
    let server = start(&bundle);
    let ds = cairn::data::read_csv_path(&asset("penguins.csv")).unwrap();
    let records = |rows: std::ops::Range<usize>| -> Vec<Value> {
        rows.map(|r| {
            let mut m = serde_json::Map::new();
            for c in ds.columns.iter().filter(|c| c.name != "species") {
                let text = c.cell_text(r);
                let v = match &c.values {
                    cairn::data::Values::Numeric(v) => v.get(r).map_or(Value::Null, |x| json!(x)),
                    _ if text.is_empty() => Value::Null,
                    _ => json!(text),
                };
                m.insert(c.name.clone(), v);
            }
            Value::Object(m)
        })
        .collect()
    };
    // Three requests; /predict answers an id per row.
    let mut ids = Vec::new();
    let mut predicted = Vec::new();
    for range in [0..120, 120..240, 240..344] {
        let (status, v) = post_to(
            &format!("{}/predict", server.url),
            "application/json",
            &json!({"records": records(range)}).to_string(),
        );
        assert_eq!(status, 200, "{v}");
        ids.extend(v["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_string()));
        predicted.extend(v["predictions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()));
    }
    assert_eq!(ids.len(), 344);
    assert_eq!(ids.iter().collect::<std::collections::HashSet<_>>().len(), 344, "ids are unique");
    // The true answers arrive later, for 300 of the rows (shuffled order, plus an unknown id);
    // 20 of them are relabelled, as if the world disagreed with the training data.
    let species = ds.column("species").unwrap();
    let mut answers = String::from("id,species\n");
    let mut right = 0;
    for r in (0..300).rev() {
        let truth = if r % 15 == 0 { "Chinstrap".to_string() } else { species.cell_text(r) };
        right += usize::from(predicted[r] == truth);
        answers += &format!("{},{truth}\n", ids[r]);
    }
    answers += "ffff-99999,Adelie\n";
    let answers_csv = dir.path().join("answers.csv");
    std::fs::write(&answers_csv, answers).unwrap();
    let log = dir.path().join("penguins.cairn.predictions.jsonl");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let o = crate::common::cairn(&[
        "monitor",
        &s(&bundle),
        "--reference",
        &s(&asset("penguins.csv")),
        "--current",
        &s(&log),
        "--labels",
        &s(&answers_csv),
        "--json",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: Value = serde_json::from_str(crate::common::stdout(&o).trim()).unwrap();
    let live = &v["live"];
    eprintln!("live: {live}");
    assert_eq!((live["matched"].as_u64(), live["unmatched"].as_u64()), (Some(300), Some(1)));
    assert_eq!(live["metric"], "accuracy");
    assert!((live["live"].as_f64().unwrap() - right as f64 / 300.0).abs() < 1e-12);
    assert!(live["live"].as_f64().unwrap() < live["at_training"].as_f64().unwrap());
    assert_eq!(live["over_time"].as_array().unwrap().len(), 10);
    // An answers file without ids is refused by name.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "species\nAdelie\n").unwrap();
    let o = crate::common::cairn(&[
        "monitor",
        &s(&bundle),
        "--reference",
        &s(&asset("penguins.csv")),
        "--current",
        &s(&log),
        "--labels",
        &s(&bad),
    ]);
    crate::common::assert_clean_failure(&o, "needs a column 'id'");
}
