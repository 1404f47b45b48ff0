//! The image encoder's WGSL kernels (`shaders/conv.wgsl`) against their CPU references on
//! random shapes (odd sizes, strides 1 and 2, asymmetric padding), and the whole encoder on the
//! GPU against the CPU path on real photos. They fail without an adapter, unless
//! CAIRN_ALLOW_NO_GPU=1.

use crate::gpu::{assert_close, gpu, random};
use cairn::gpu::conv::{self, ConvShape};
use cairn::gpu::reference::{self, Activation};
use cairn::gpu::{CpuEngine, Engine};
use cairn::media::{self, EngineEncoder, picture};
use cairn::util::Rng;

/// batch, height, width, channels, kernel, stride, pad_top, pad_left
type Geometry = [usize; 8];

const SHAPES: [Geometry; 5] = [
    [1, 7, 7, 3, 3, 2, 0, 0],
    [2, 9, 6, 5, 3, 1, 1, 1],
    [1, 11, 13, 17, 5, 2, 1, 1],
    [3, 4, 4, 8, 5, 1, 2, 2],
    [1, 1, 1, 33, 3, 1, 1, 1],
];

fn shapes() -> impl Iterator<Item = ConvShape> {
    SHAPES.iter().map(|&[batch, height, width, channels, kernel, stride, pad_top, pad_left]| ConvShape {
        batch,
        height,
        width,
        channels,
        kernel,
        stride,
        pad_top,
        pad_left,
    })
}

#[test]
fn convolution_kernels_match_their_references() {
    let Some(mut e) = gpu() else { return };
    let mut rng = Rng::new(5);
    for s in shapes() {
        let cells = s.batch * s.height * s.width * s.channels;
        let x = random(&mut rng, cells, 3.0);
        let bx = e.upload(&x).unwrap();
        // im2col
        let len = s.out_pixels() * s.kernel * s.kernel * s.channels;
        let mut want = vec![0.0; len];
        conv::im2col(&x, &mut want, &s);
        let cols = e.zeros(len).unwrap();
        e.im2col(bx, cols, &s);
        assert_close(&e.read(cols, len).unwrap(), &want, 0.0, &format!("im2col {s:?}"));
        // depthwise, with and without ReLU6 (a bias that pushes cells past 6)
        let w = random(&mut rng, s.kernel * s.kernel * s.channels, 1.0);
        let bias = random(&mut rng, s.channels, 4.0);
        let (bw, bb) = (e.upload(&w).unwrap(), e.upload(&bias).unwrap());
        for relu6 in [false, true] {
            let len = s.out_pixels() * s.channels;
            let mut want = vec![0.0; len];
            conv::depthwise(&x, &w, &bias, &mut want, &s, relu6);
            let out = e.zeros(len).unwrap();
            e.depthwise(bx, bw, bb, out, &s, relu6);
            assert_close(&e.read(out, len).unwrap(), &want, 1e-5, &format!("depthwise {s:?} relu6 {relu6}"));
            if relu6 {
                assert!(want.iter().all(|v| (0.0..=6.0).contains(v)));
            }
        }
        // mean pool over each image's pixels
        let pixels = s.height * s.width;
        let mut want = vec![0.0; s.batch * s.channels];
        conv::mean_pool(&x, &mut want, s.batch, pixels, s.channels);
        let out = e.zeros(s.batch * s.channels).unwrap();
        e.mean_pool(bx, out, s.batch, pixels, s.channels);
        assert_close(&e.read(out, s.batch * s.channels).unwrap(), &want, 1e-5, &format!("mean_pool {s:?}"));
        // skip connection
        let y = random(&mut rng, cells, 1.0);
        let mut want = x.clone();
        conv::add(&mut want, &y, cells);
        let (ba, by) = (e.upload(&x).unwrap(), e.upload(&y).unwrap());
        e.add(ba, by, cells);
        assert_close(&e.read(ba, cells).unwrap(), &want, 1e-6, &format!("add {s:?}"));
    }
    // bias + ReLU6 (activation.wgsl, code 5)
    let (rows, cols) = (29, 13);
    let (z0, bias) = (random(&mut rng, rows * cols, 8.0), random(&mut rng, cols, 2.0));
    let (mut z, mut want) = (z0.clone(), vec![0.0; rows * cols]);
    reference::bias_act(&mut z, &bias, &mut want, rows, cols, Activation::Relu6);
    assert!(want.contains(&6.0) && want.contains(&0.0), "the test reaches both clamps");
    let (bz, bb, bo) = (e.upload(&z0).unwrap(), e.upload(&bias).unwrap(), e.zeros(rows * cols).unwrap());
    e.bias_act(bz, bb, bo, rows, cols, Activation::Relu6);
    assert_close(&e.read(bo, rows * cols).unwrap(), &want, 1e-6, "bias + ReLU6");
}

/// The normalised 224×224 inputs of the two fixture photos.
fn photos(encoder: &media::Encoder) -> Vec<Vec<f32>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder");
    ["chelsea_224.png", "coffee_224.png"]
        .iter()
        .map(|name| {
            let img = image::open(dir.join(name)).unwrap();
            picture::encoder_input(&img, encoder.size, encoder.mean, encoder.std)
        })
        .collect()
}

fn relative_error(a: &[f32], b: &[f32]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    let norm: f64 = b.iter().map(|y| f64::from(*y).powi(2)).sum();
    (diff / norm).sqrt()
}

#[test]
fn the_encoder_on_the_gpu_gives_the_cpu_embeddings_of_real_photos() {
    let Some(engine) = gpu() else { return };
    let encoder = media::shipped().unwrap();
    let inputs = photos(encoder);
    let cpu = encoder.features_many(&inputs);
    // a batch of two on the GPU, and the same layers on the engine trait's CPU twin
    let mut on_gpu = EngineEncoder::new(encoder, engine, 2).unwrap();
    let gpu_features = on_gpu.features(&inputs).unwrap();
    let mut on_cpu_engine = EngineEncoder::new(encoder, CpuEngine::new(), 2).unwrap();
    let twin = on_cpu_engine.features(&inputs).unwrap();
    for i in 0..2 {
        let err = relative_error(&gpu_features[i], &cpu[i]);
        eprintln!("photo {i}: GPU vs CPU embeddings, relative error {err:.2e}");
        assert!(err < 1e-3, "photo {i}: GPU embeddings differ from the CPU path by {err:.2e} (relative)");
        assert!(relative_error(&twin[i], &cpu[i]) < 1e-5, "photo {i}: the engine's CPU twin");
    }
    // and they still name the photos' ImageNet classes
    let top = |f: &[f32]| {
        let l = encoder.imagenet_logits(f);
        (0..l.len()).max_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap()
    };
    assert_eq!((top(&gpu_features[0]), top(&gpu_features[1])), (285, 967), "Egyptian cat, espresso");
}
