//! The feedback loop on a live server: a new model version is swapped in while clients keep
//! sending requests (none fails), a wrong bundle is refused with the old version still
//! serving, and SIGHUP re-reads the bundle file.

use crate::common::{asset, tempdir, train_bundle};
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
    let forest = dir.path().join("forest.cairn");
    let o = crate::common::cairn(&[
        "train",
        asset("california_housing.csv").to_str().unwrap(),
        "--target",
        "median_house_value",
        "--model",
        "random_forest",
        "--param",
        "n_trees=10",
        "--out",
        forest.to_str().unwrap(),
    ]);
    assert!(o.status.success());
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
    let o = crate::common::cairn(&[
        "train",
        asset("california_housing.csv").to_str().unwrap(),
        "--target",
        "median_house_value",
        "--model",
        "ridge",
        "--out",
        linear.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let ridge_sum = cairn::project::load_bundle(&linear).unwrap().1;
    assert!(std::process::Command::new("kill").args(["-s", "HUP", &pid]).status().unwrap().success());
    let started = std::time::Instant::now();
    while checksum(&url) != ridge_sum {
        assert!(started.elapsed().as_secs() < 10, "SIGHUP did not reload the bundle");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
