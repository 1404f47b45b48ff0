//! The image encoder as ONNX operators: `image` (`float [N, 224, 224, 3]`, RGB 0–255, already
//! resized and centre-cropped as `media::picture::square` does) → normalise → NCHW →
//! convolutions (batch norms folded, TensorFlow-"SAME" pads written out) with `Clip(0, 6)` and
//! the skip `Add`s → `GlobalAveragePool` → `float [N, 1280]`. A picture model's export feeds
//! these features to its recipe's `enc_*` columns; `cairn bench images` runs the encoder alone.

use super::{FLOAT, Graph, attr_int, attr_ints, tensor_type};
use crate::features::FittedStep;
use crate::media::Encoder;

/// The input's name.
pub const IMAGE_INPUT: &str = "image";

impl Graph {
    /// Adds the `image` input and the encoder; returns the features (`float [N, width]`).
    pub(super) fn encoder(&mut self, encoder: &Encoder) -> String {
        let side = encoder.size as i64;
        self.inputs.push(super::Msg::new().str(1, IMAGE_INPUT).msg(2, tensor_type(FLOAT, &[-1, side, side, 3])));
        let mean = self.const_floats(&[], &[encoder.mean]);
        let scale = self.const_floats(&[], &[1.0 / encoder.std]);
        let centred = self.binary("Sub", IMAGE_INPUT, &mean);
        let x = self.binary("Mul", &centred, &scale);
        let mut x = self.node("Transpose", &[&x], vec![attr_ints("perm", &[0, 3, 1, 2])]);
        let (lo, hi) = (self.const_floats(&[], &[0.0]), self.const_floats(&[], &[6.0]));
        let mut saved = x.clone();
        for l in encoder.export_layers() {
            if l.save_input {
                saved = x.clone();
            }
            let k = l.kernel as i64;
            let w = self.const_floats(&[l.outputs as i64, (l.inputs / l.groups) as i64, k, k], &l.weight);
            let b = self.const_floats(&[l.outputs as i64], &l.bias);
            let [top, left, bottom, right] = l.pads.map(|p| p as i64);
            let attrs = vec![
                attr_ints("kernel_shape", &[k, k]),
                attr_ints("strides", &[l.stride as i64, l.stride as i64]),
                attr_ints("pads", &[top, left, bottom, right]),
                attr_int("group", l.groups as i64),
            ];
            let mut y = self.node("Conv", &[&x, &w, &b], attrs);
            if l.relu6 {
                y = self.node("Clip", &[&y, &lo, &hi], vec![]);
            }
            if l.skip {
                y = self.binary("Add", &y, &saved);
            }
            x = y;
        }
        let pooled = self.node("GlobalAveragePool", &[&x], vec![]);
        self.node("Flatten", &[&pooled], vec![attr_int("axis", 1)])
    }

    /// The index of `step`'s column among the provided features, when it is a plain scaling
    /// of one (no missing indicator: computed features are never missing).
    pub(super) fn provided_scaled(&self, step: &FittedStep) -> Option<usize> {
        let (_, columns) = self.provided.as_ref()?;
        match step {
            FittedStep::ImputeScale { column, indicator: false, .. } => columns.get(column).copied(),
            _ => None,
        }
    }

    /// `(x - mean) × (1 / std)` of provided feature columns at once (`[N, run]`).
    pub(super) fn scaled_block(&mut self, run: &[(usize, &FittedStep)]) -> String {
        let features = self.provided.as_ref().map(|(f, _)| f.clone()).unwrap_or_default();
        let idx: Vec<i64> = run.iter().map(|(j, _)| *j as i64).collect();
        let (mut means, mut inv_std) = (Vec::new(), Vec::new());
        for (_, step) in run {
            if let FittedStep::ImputeScale { mean, std, .. } = step {
                means.push(*mean);
                inv_std.push(1.0 / std);
            }
        }
        let at = self.const_ints(&[idx.len() as i64], &idx);
        let x = self.node("Gather", &[&features, &at], vec![attr_int("axis", 1)]);
        let mean = self.const_doubles(&[means.len() as i64], &means);
        let centred = self.binary("Sub", &x, &mean);
        let inv = self.const_doubles(&[inv_std.len() as i64], &inv_std);
        self.binary("Mul", &centred, &inv)
    }
}

/// The encoder alone as an ONNX model: `image` → `features` (`float [N, 1280]`).
pub fn encoder_onnx(encoder: &Encoder) -> Vec<u8> {
    let mut g = Graph::default();
    let features = g.encoder(encoder);
    g.output("features", &features, FLOAT, &[-1, encoder.width() as i64]);
    let doc = format!(
        "{} image encoder: image [N, {side}, {side}, 3] RGB 0-255 -> features",
        encoder.id.name,
        side = encoder.size
    );
    super::model_proto(g, &encoder.id.name, &doc, &[("encoder_sha256", encoder.id.sha256.clone())])
}
