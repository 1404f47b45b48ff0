//! ONNX export of a picture model: one graph from the image tensor (`image`, float
//! `[N, 224, 224, 3]`, RGB 0–255) through the encoder to the label, run by tract and compared
//! with Cairn's predictions; and the encoder alone against Cairn's embeddings.

use crate::common::tempdir;
use cairn::data::{ImageOptions, PictureFeatures, Progress, read_label_folder_with};
use cairn::media::{self, picture};
use cairn::serve::export::onnx::encoder_onnx;
use cairn::serve::export::to_onnx;
use cairn::train::{ModelKind, Prediction, TrainConfig, train};
use tract_onnx::prelude::*;

/// Two kinds of drawings, 8 of each, as a folder of examples.
fn drawings(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("drawings");
    for (kind, name) in ["stripes", "square"].iter().enumerate() {
        std::fs::create_dir_all(root.join(name)).unwrap();
        for i in 0..8u64 {
            crate::sources::draw(kind * 2, i).save(root.join(name).join(format!("{i}.png"))).unwrap();
        }
    }
    root
}

/// The pictures as the graph's input: each squared to 224 as Cairn does, RGB 0–255.
fn image_tensor(paths: &[std::path::PathBuf]) -> Tensor {
    let mut cells = Vec::new();
    for p in paths {
        let img = image::open(p).unwrap();
        cells.extend(picture::square(&img, 224).as_raw().iter().map(|&v| f32::from(v)));
    }
    tract_ndarray::Array4::from_shape_vec((paths.len(), 224, 224, 3), cells).unwrap().into_tensor()
}

fn run(bytes: &[u8], input: Tensor) -> Vec<Tensor> {
    let model = tract_onnx::onnx().model_for_read(&mut &bytes[..]).expect("tract reads the ONNX model");
    let model = model.with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), input.shape())).unwrap();
    let plan = model.into_optimized().expect("optimise").into_runnable().expect("plan");
    plan.run(tvec![input.into()]).expect("run").into_iter().map(|v| v.into_tensor()).collect()
}

#[test]
fn a_picture_model_exports_as_one_graph_from_image_to_label() {
    let dir = tempdir();
    let root = drawings(dir.path());
    let options = ImageOptions { features: PictureFeatures::Encoder, cache: false, ..Default::default() };
    let ds = read_label_folder_with(&root, options, &Progress::default()).unwrap();
    let mut cfg = TrainConfig::new("label");
    cfg.model = Some(ModelKind::Logistic);
    let pipeline = train(&ds, None, &cfg, &mut |_| {}).unwrap().pipeline;
    let others: Vec<&str> =
        pipeline.fitted_recipe.steps.iter().map(|s| s.column()).filter(|c| !c.starts_with("enc_")).collect();
    assert!(others.is_empty(), "only the encoder's features are inputs: {others:?}");
    let bytes = to_onnx(&pipeline, "sha256:test").unwrap();

    let rows = [0usize, 3, 9, 14];
    let paths: Vec<std::path::PathBuf> =
        rows.iter().map(|&r| root.join(ds.require("file").unwrap().cell_text(r))).collect();
    let out = run(&bytes, image_tensor(&paths));
    let labels: Vec<String> = out[0].to_plain_array_view::<String>().unwrap().iter().cloned().collect();
    let Prediction::Classification { labels: want, probabilities } = pipeline.predict(&ds.take_rows(&rows)).unwrap()
    else {
        panic!("a classifier")
    };
    assert_eq!(labels, want);
    for (c, class) in pipeline.target.classes.iter().enumerate() {
        let got: Vec<f64> = out[1 + c].to_plain_array_view::<f64>().unwrap().iter().copied().collect();
        for (i, g) in got.iter().enumerate() {
            assert!(
                (g - probabilities[i][c]).abs() < 1e-4,
                "probability_{class}, picture {i}: {g} vs {}",
                probabilities[i][c]
            );
        }
    }

    // A model that also learns from simple pixels says what export covers.
    let both = read_label_folder_with(&root, ImageOptions { cache: false, ..Default::default() }, &Progress::default())
        .unwrap();
    let p2 = train(&both, None, &cfg, &mut |_| {}).unwrap().pipeline;
    let err = to_onnx(&p2, "sha256:test").unwrap_err().to_string();
    assert!(err.contains("--pictures encoder"), "{err}");
}

#[test]
fn the_encoder_alone_exports_and_gives_cairns_embeddings() {
    let encoder = media::shipped().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder");
    let paths = vec![fixtures.join("chelsea_224.png"), fixtures.join("coffee_224.png")];
    let out = run(&encoder_onnx(encoder), image_tensor(&paths));
    let features: Vec<f32> = out[0].to_plain_array_view::<f32>().unwrap().iter().copied().collect();
    assert_eq!(features.len(), 2 * 1280);
    for (i, p) in paths.iter().enumerate() {
        let img = image::open(p).unwrap();
        let want = encoder.features(&picture::encoder_input(&img, encoder.size, encoder.mean, encoder.std));
        let got = &features[i * 1280..(i + 1) * 1280];
        let diff: f64 = got.iter().zip(&want).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        let norm: f64 = want.iter().map(|b| f64::from(*b).powi(2)).sum();
        let err = (diff / norm).sqrt();
        eprintln!("photo {i}: tract on the exported encoder vs Cairn: {err:.2e} relative");
        assert!(err < 1e-4, "photo {i}: {err}");
    }
}
