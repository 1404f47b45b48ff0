//! Pictures by transfer learning: the shipped EfficientNet-Lite0 port is checked against the
//! original PyTorch model (fixtures written by `tools/convert_encoder.py`), then folders of real
//! pictures are learned from its features.

use cairn::media::{self, picture};
use std::path::PathBuf;

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
