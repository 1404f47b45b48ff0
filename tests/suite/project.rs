//! Projects: `cairn init` + `cairn run` re-execute a project headless and reproduce it bit for
//! bit; `project.json` survives `kill -9` in the middle of a save.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use cairn::project::{Project, load_bundle};
use serde_json::Value;

fn run_json(dir: &std::path::Path) -> Value {
    let o = cairn(&["run", dir.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

#[test]
fn cairn_run_reexecutes_a_project_and_reproduces_it() {
    let dir = tempdir();
    let project = dir.path().join("penguins");
    // The data file is copied into the folder, so the project refers to it relatively.
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(asset("penguins.csv"), project.join("penguins.csv")).unwrap();
    let o = cairn(&[
        "init",
        project.to_str().unwrap(),
        "--data",
        project.join("penguins.csv").to_str().unwrap(),
        "--target",
        "species",
        "--model",
        "gradient_boosting",
        "--param",
        "n_trees=30",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let saved = Project::load(&project).unwrap();
    assert_eq!((saved.data.as_str(), saved.model.as_deref()), ("penguins.csv", Some("gradient_boosting")));

    let first = run_json(&project);
    let second = run_json(&project);
    assert_eq!((first["run_id"].as_i64(), second["run_id"].as_i64()), (Some(1), Some(2)));
    assert_eq!(first["reproduced"], Value::Null);
    assert_eq!((second["earlier_run"].as_i64(), second["reproduced"].as_bool()), (Some(1), Some(true)));
    assert_eq!(first["metrics"], second["metrics"]);
    assert!(first["metrics"]["accuracy"].as_f64().unwrap() > 0.95);
    // Bit for bit: the same fitted recipe and the same trees.
    let (a, _) = load_bundle(std::path::Path::new(first["bundle"].as_str().unwrap())).unwrap();
    let (b, _) = load_bundle(std::path::Path::new(second["bundle"].as_str().unwrap())).unwrap();
    assert_eq!((a.fitted_recipe, a.model), (b.fitted_recipe, b.model));

    // The folder can move: the data is found relative to it.
    let moved = dir.path().join("moved");
    std::fs::rename(&project, &moved).unwrap();
    assert_eq!(run_json(&moved)["reproduced"].as_bool(), Some(true));

    // Clear failures, nothing created.
    assert_clean_failure(&cairn(&["run", dir.path().join("none").to_str().unwrap()]), "is not a Cairn project");
    let bad = dir.path().join("bad");
    let o =
        cairn(&["init", bad.to_str().unwrap(), "--data", "sample:house-prices", "--target", "x", "--model", "nope"]);
    assert_clean_failure(&o, "nope");
    assert!(!bad.join("project.json").exists());
}

/// The child of the kill -9 test: saves the project in a loop until killed.
#[test]
#[ignore = "run by kill_9_during_save_leaves_the_previous_project_intact"]
fn project_save_loop_child() {
    let Some(dir) = std::env::var_os("CAIRN_SAVE_LOOP_DIR") else { return };
    let mut p = Project::new("stress", "sample:house-prices", "median_house_value");
    for n in 0u64.. {
        // Each version is self-describing: its counter says how long its notes are.
        p.seed = n;
        p.notes = format!("{n}:{}", "x".repeat((n as usize * 7919) % 400_000));
        p.save(std::path::Path::new(&dir)).unwrap();
    }
}

#[test]
fn kill_9_during_save_leaves_the_previous_project_intact() {
    let dir = tempdir();
    let exe = std::env::current_exe().unwrap();
    let mut seen = Vec::new();
    for round in 0..12u64 {
        let mut child = std::process::Command::new(&exe)
            .args(["--ignored", "--exact", "project::project_save_loop_child", "--test-threads=1"])
            .env("CAIRN_SAVE_LOOP_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Let it save for a varying while, then SIGKILL it mid-stream.
        let file = dir.path().join(cairn::project::PROJECT_FILE);
        let started = std::time::Instant::now();
        while !file.exists() && started.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(20 + round * 13));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The file is always one whole version, never a torn one.
        let p = Project::load(dir.path()).expect("project intact after kill -9");
        let (n, xs) = p.notes.split_once(':').unwrap();
        assert_eq!(n.parse::<u64>().unwrap(), p.seed);
        assert_eq!(xs.len(), (p.seed as usize * 7919) % 400_000, "notes of version {}", p.seed);
        seen.push(p.seed);
    }
    eprintln!("versions found after each kill -9: {seen:?}");
    assert!(seen.iter().any(|&n| n > 0), "the child never saved twice");
}

#[test]
fn a_bundle_retrains_from_its_manifest_bit_for_bit() {
    let dir = tempdir();
    let house = asset("california_housing.csv");
    for (name, extra) in [
        ("forest.cairn", vec!["--model", "random_forest", "--param", "n_trees=10"]),
        ("mlp.cairn", vec!["--model", "mlp", "--param", "epochs=5"]),
    ] {
        let bundle =
            crate::common::train_bundle_with(dir.path(), "california_housing.csv", "median_house_value", name, &extra);
        let o = cairn(&["run", bundle.to_str().unwrap(), "--data", house.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(v["reproduced"].as_bool(), Some(true), "{name}: {v}");
        assert_eq!(v["metrics"], v["original_metrics"]);
    }
    // Other data: another fingerprint, not reproduced.
    let part = dir.path().join("part.csv");
    let text = std::fs::read_to_string(&house).unwrap();
    std::fs::write(&part, text.lines().take(5001).collect::<Vec<_>>().join("\n")).unwrap();
    let o =
        cairn(&["run", dir.path().join("forest.cairn").to_str().unwrap(), "--data", part.to_str().unwrap(), "--json"]);
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!((v["same_data"].as_bool(), v["reproduced"].as_bool()), (Some(false), Some(false)));
}
