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

    // The real server takes clips: multipart files and base64 JSON, with the same answers as
    // `cairn predict`; a page at / plays each clip beside its answer.
    let picked: Vec<&Vec<&str>> = ["yes", "down"].iter().map(|w| rows.iter().find(|r| r[0] == *w).unwrap()).collect();
    serve_clips(&bundle, &test, &picked);

    // A clip that is not a WAV file is named, and nothing is imported.
    std::fs::write(train.join("yes/broken.wav"), "RIFF but not really").unwrap();
    let o = cairn(&["inspect", train.to_str().unwrap()]);
    assert_clean_failure(&o, "broken.wav");
}

/// `POST /predict` with two clips (as a browser's form sends them, then as base64 JSON) answers
/// as `cairn predict` did for them (`rows`: label, file, prediction, probabilities…).
fn serve_clips(bundle: &std::path::Path, test: &std::path::Path, rows: &[&Vec<&str>]) {
    use base64::Engine as _;
    let server = crate::serve::start(bundle);
    let (status, page) = crate::serve::get(&format!("{}/", server.url));
    assert_eq!(status, 200);
    assert!(page.contains("accept=\".wav") && page.contains("<audio") && page.contains("\"sounds\""), "{page}");
    let files: Vec<(String, &str, Vec<u8>)> =
        rows.iter().map(|r| (r[1].to_string(), "audio/wav", std::fs::read(test.join(r[1])).unwrap())).collect();
    let (status, answer) = crate::serve::post_files(&format!("{}/predict", server.url), &files);
    assert_eq!(status, 200, "{answer}");
    let want: Vec<&str> = rows.iter().map(|r| r[2]).collect();
    assert_eq!(answer["predictions"], serde_json::json!(want), "{answer}");
    let p_first: f64 = rows[0][3..].iter().map(|v| v.parse::<f64>().unwrap()).fold(0.0, f64::max);
    let got = answer["probabilities"][0][rows[0][2]].as_f64().unwrap();
    assert!((got - p_first).abs() < 1e-6, "{got} vs {p_first}");

    let b64 = |f: &str| base64::engine::general_purpose::STANDARD.encode(std::fs::read(test.join(f)).unwrap());
    let json = serde_json::json!({"sounds": rows.iter().map(|r| b64(r[1])).collect::<Vec<_>>()});
    let (status, again) =
        crate::serve::post_to(&format!("{}/predict", server.url), "application/json", &json.to_string());
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["predictions"], answer["predictions"]);
    // Not a WAV file: 422 naming it.
    let bad = serde_json::json!({"sounds": [base64::engine::general_purpose::STANDARD.encode(b"not a sound")]});
    let (status, e) = crate::serve::post_to(&format!("{}/predict", server.url), "application/json", &bad.to_string());
    assert_eq!(status, 422, "{e}");
    assert!(e["error"].as_str().unwrap().contains("sound 0"), "{e}");
}
