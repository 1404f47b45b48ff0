//! Sound clips: spoken words made offline by espeak-ng (`tools/spoken_words.py`), learnt from
//! their log-mel statistics and scored on voices that no training clip uses.

use crate::common::{assert_clean_failure, cairn, stderr, stdout, tempdir};
use std::path::PathBuf;
use std::process::Command;

/// Writes the spoken words (train and test voices) into `dir`; espeak-ng must be installed (the
/// test says so if not).
fn spoken_words(dir: &std::path::Path) -> PathBuf {
    let has = Command::new("espeak-ng").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        has,
        "espeak-ng is not installed: it speaks this test's words (bash .ci/system-packages --test installs it)"
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/spoken_words.py");
    let o = Command::new("python3").arg(script).arg(dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir.to_path_buf()
}

#[test]
fn spoken_words_are_recognised_in_voices_never_heard() {
    let dir = tempdir();
    let words = spoken_words(dir.path());
    let (train, test) = (words.join("train"), words.join("test"));
    let ds = cairn::data::read_path(&train).unwrap();
    assert_eq!(ds.n_rows(), 4 * 64);
    assert!(ds.column("mel_mean_0").is_some() && ds.column("mel_delta_39").is_some());
    let bundle = dir.path().join("words.cairn");
    let (t, b) = (test.to_str().unwrap(), bundle.to_str().unwrap());
    let o = cairn(&["train", train.to_str().unwrap(), "--target", "label", "--test", t, "--out", b, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let acc = v["metrics"]["accuracy"].as_f64().unwrap();
    eprintln!("spoken words (yes/no/up/down), voices held out: accuracy {acc:.4}");
    assert_eq!(v["test_rows"].as_u64(), Some(64));
    assert!(acc >= 0.9, "accuracy {acc} on 64 clips in unheard voices");

    // The saved model predicts a folder of clips: one row per clip, with its label.
    let o = cairn(&["predict", bundle.to_str().unwrap(), test.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("label,file,prediction,probability_down,probability_no,probability_up,probability_yes")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 64);
    let right = rows.iter().filter(|r| r[0] == r[2]).count() as f64 / 64.0;
    assert!((right - acc).abs() < 1e-9, "predict agrees with the test score: {right} vs {acc}");

    // A clip that is not a WAV file is named, and nothing is imported.
    std::fs::write(train.join("yes/broken.wav"), "RIFF but not really").unwrap();
    let o = cairn(&["inspect", train.to_str().unwrap()]);
    assert_clean_failure(&o, "broken.wav");
}
