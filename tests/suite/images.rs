//! Pictures by transfer learning: the shipped EfficientNet-Lite0 port is checked against the
//! original PyTorch model (fixtures written by `tools/convert_encoder.py`), then folders of real
//! pictures are learned from its features.

use crate::common;
use cairn::media::{self, picture};
use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder").join(name)
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// ‖a − b‖ / ‖b‖
fn relative_error(a: &[f32], b: &[f32]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    let norm: f64 = b.iter().map(|y| f64::from(*y).powi(2)).sum();
    (diff / norm).sqrt()
}

#[test]
fn the_encoder_port_matches_pytorch_on_real_photos() {
    let encoder = media::shipped().unwrap();
    let want = expected();
    assert_eq!(encoder.id.name, "efficientnet-lite0");
    assert_eq!(want["encoder_sha256"].as_str().unwrap(), encoder.id.sha256, "the fixtures belong to the shipped file");
    assert_eq!(encoder.width(), 1280);
    for (photo, class_name) in [("chelsea", "Egyptian cat"), ("coffee", "espresso")] {
        let img = image::open(fixture(&format!("{photo}_224.png"))).unwrap();
        let x = picture::encoder_input(&img, encoder.size, encoder.mean, encoder.std);
        let features = encoder.features(&x);
        let torch: Vec<f32> =
            want["photos"][photo]["features"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        let err = relative_error(&features, &torch);
        assert!(err < 1e-4, "{photo}: features differ from PyTorch's by {err:.2e} (relative)");
        let logits = encoder.imagenet_logits(&features);
        let top = (0..logits.len()).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap();
        let top5 = want["photos"][photo]["top5"].as_array().unwrap();
        assert_eq!(top as u64, top5[0][0].as_u64().unwrap(), "{photo}: top-1 ImageNet class is not {class_name}");
        for pair in top5 {
            let (class, logit) = (pair[0].as_u64().unwrap() as usize, pair[1].as_f64().unwrap());
            assert!((f64::from(logits[class]) - logit).abs() < 1e-3, "{photo}: logit {class}");
        }
    }
}

/// Writes `which` (digits, lfw) as folders of examples with `tools/picture_sets.py`; the sets
/// come from scikit-learn and scikit-image, which must be installed (the test says so if not).
fn picture_sets(dir: &std::path::Path, which: &str) -> PathBuf {
    let module = if which == "digits" { "sklearn" } else { "skimage" };
    let has = Command::new("python3").args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success());
    assert!(
        has,
        "{module} is not installed: it ships this test's pictures (bash .ci/system-packages --test installs it)"
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/picture_sets.py");
    let o = Command::new("python3").arg(script).arg(dir).arg(which).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir.join(which)
}

/// `cairn ARGS` with its own embedding cache.
fn cairn_cached(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(common::cairn_exe()).args(args).env("CAIRN_CACHE_DIR", cache).output().unwrap()
}

fn train_json(cache: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.push("--json");
    let o = cairn_cached(cache, &all);
    assert!(o.status.success(), "{}", common::stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn handwritten_digits_by_transfer_learning_pass_the_floor() {
    let dir = common::tempdir();
    let digits = picture_sets(dir.path(), "digits");
    let cache = dir.path().join("cache");
    let data = digits.to_str().unwrap();
    let both = train_json(&cache, &[data, "--target", "label"]);
    let pixels = train_json(&cache, &[data, "--target", "label", "--pictures", "pixels"]);
    let encoder = train_json(&cache, &[data, "--target", "label", "--pictures", "encoder"]);
    let acc = |v: &serde_json::Value| v["metrics"]["accuracy"].as_f64().unwrap();
    eprintln!("digits: encoder + pixels {:.4}, pixels {:.4}, encoder {:.4}", acc(&both), acc(&pixels), acc(&encoder));
    assert_eq!(both["test_rows"].as_u64(), Some(360));
    assert!(acc(&both) >= 0.95, "encoder + simple pixels: {}", acc(&both));
    assert!(acc(&encoder) >= 0.93, "encoder alone: {}", acc(&encoder));
    // every picture was embedded once: the second and third runs read the cache
    let cached = walk(&cache.join("embeddings")).len();
    assert_eq!(cached, 1797, "one cache entry per picture");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn faces_are_told_from_backgrounds_and_predicted_from_files() {
    let dir = common::tempdir();
    let lfw = picture_sets(dir.path(), "lfw");
    let cache = dir.path().join("cache");
    let bundle = dir.path().join("faces.cairn");
    let b = bundle.to_str().unwrap();
    let out = train_json(&cache, &[lfw.to_str().unwrap(), "--target", "label", "--pictures", "encoder", "--out", b]);
    let acc = out["metrics"]["accuracy"].as_f64().unwrap();
    eprintln!("lfw_subset faces vs backgrounds: encoder {acc:.4}");
    assert!(acc >= 0.95, "faces vs backgrounds: {acc}");

    // predict a folder with class sub-folders: one row per picture, with its label
    let o = cairn_cached(&cache, &["predict", b, lfw.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = common::stdout(&o);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("label,file,prediction,probability_background,probability_face"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 200);
    let right = rows.iter().filter(|r| r[0] == r[2]).count();
    assert!(right >= 190, "{right} of 200 right");

    // single files (one face, one background), written atomically to -o
    let predictions = dir.path().join("p.csv");
    let face = lfw.join("face/000.png");
    let background = lfw.join("background/150.png");
    let o = cairn_cached(
        &cache,
        &["predict", b, face.to_str().unwrap(), background.to_str().unwrap(), "-o", predictions.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let written = std::fs::read_to_string(&predictions).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains("000.png,face,"), "{written}");
    assert!(lines[2].contains("150.png,background,"), "{written}");

    // a file that is not a picture, or missing: one error line, no output file
    let bad = dir.path().join("bad.csv");
    let o =
        cairn_cached(&cache, &["predict", b, common::asset("iris.csv").to_str().unwrap(), "-o", bad.to_str().unwrap()]);
    common::assert_clean_failure(&o, "iris.csv");
    assert!(!bad.exists());

    serve_pictures(&bundle, &face, &background);

    // a bundle whose encoder differs from the shipped one is refused
    let (mut pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    pipeline.pictures.as_mut().unwrap().encoder.as_mut().unwrap().sha256 = "0".repeat(64);
    let other = dir.path().join("other-encoder.cairn");
    cairn::project::save_bundle(&pipeline, &other).unwrap();
    let o = cairn_cached(&cache, &["predict", other.to_str().unwrap(), face.to_str().unwrap()]);
    common::assert_clean_failure(&o, "image encoder");
}

#[test]
fn augmented_copies_join_the_training_rows_only() {
    let dir = common::tempdir();
    let lfw = picture_sets(dir.path(), "lfw");
    let cache = dir.path().join("cache");
    let data = lfw.to_str().unwrap();
    let plain = train_json(&cache, &[data, "--target", "label", "--pictures", "encoder"]);
    let augmented = train_json(&cache, &[data, "--target", "label", "--pictures", "encoder", "--augment", "2"]);
    assert_eq!(plain["train_rows"].as_u64(), Some(160));
    assert_eq!(augmented["train_rows"].as_u64(), Some(480), "two altered copies of each training picture");
    assert_eq!(augmented["test_rows"].as_u64(), Some(40), "the test pictures are the originals");
    assert!(augmented["metrics"]["accuracy"].as_f64().unwrap() >= 0.9);
    // the copies were embedded (and cached) as their own variants
    assert_eq!(walk(&cache.join("embeddings")).len(), 200 + 320);
    // augmentation is for pictures only
    let o = cairn_cached(
        &cache,
        &["train", common::asset("iris.csv").to_str().unwrap(), "--target", "species", "--augment", "2"],
    );
    common::assert_clean_failure(&o, "--augment");
}

/// The real server with a picture model: multipart files and base64 JSON at POST /predict, a
/// picture page at /, and clean errors for what is not a picture.
fn serve_pictures(bundle: &std::path::Path, face: &std::path::Path, background: &std::path::Path) {
    use base64::Engine as _;
    let server = crate::serve::start(bundle);
    let (status, page) = crate::serve::get(&format!("{}/", server.url));
    assert_eq!(status, 200);
    assert!(page.contains("type=\"file\"") && page.contains("multipart/form-data"), "the page has a file picker");

    // a boundary with capitals, as browsers make them (it is case-sensitive)
    let files: Vec<(String, &str, Vec<u8>)> = [face, background]
        .iter()
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_string(), "image/png", std::fs::read(p).unwrap()))
        .collect();
    let (status, answer) = crate::serve::post_files(&format!("{}/predict", server.url), &files);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["predictions"], serde_json::json!(["face", "background"]), "{answer}");
    let p_face = answer["probabilities"][0]["face"].as_f64().unwrap();
    assert!(p_face > 0.5, "{answer}");

    // the same pictures as base64 JSON (one as a data URL) give the same answers
    let b64 = |p: &std::path::Path| base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).unwrap());
    let json = serde_json::json!({"images": [format!("data:image/png;base64,{}", b64(face)), b64(background)]});
    let (status, answer2) =
        crate::serve::post_to(&format!("{}/predict", server.url), "application/json", &json.to_string());
    assert_eq!(status, 200, "{answer2}");
    assert_eq!(answer2["predictions"], answer["predictions"]);
    assert!((answer2["probabilities"][0]["face"].as_f64().unwrap() - p_face).abs() < 1e-9);

    // not a picture: 422 naming it; not base64: 400
    let bad = serde_json::json!({"images": [base64::engine::general_purpose::STANDARD.encode(b"not a picture")]});
    let (status, e) = crate::serve::post_to(&format!("{}/predict", server.url), "application/json", &bad.to_string());
    assert_eq!(status, 422, "{e}");
    assert!(e["error"].as_str().unwrap().contains("image 0"), "{e}");
    let (status, _) =
        crate::serve::post_to(&format!("{}/predict", server.url), "application/json", r#"{"images": ["%%%"]}"#);
    assert_eq!(status, 400);
}
