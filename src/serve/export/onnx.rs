//! ONNX export of a whole [`Pipeline`]: the fitted recipe (median fill, standard scaling,
//! one-hot with the training categories) and the model (linear, logistic, trees, forest,
//! gradient boosting, MLP) as one graph of standard operators (opset 13, plus the `ai.onnx.ml`
//! CategoryMapper), so any ONNX runtime runs what `cairn serve` runs.
//!
//! Inputs: one per feature column, as MLflow's ONNX flavour feeds a DataFrame — numbers as
//! `double [N]` (NaN = missing), categories as `string [N]` (empty = missing). Outputs: `prediction`
//! (`double [N, 1]`) for regression; `label` (`string [N]`) and `probabilities`
//! (`double [N, classes]`) for classification. Trees are walked with Gather/Where steps (one per
//! level), so no ML-domain tree operator is needed.

mod vision;

pub use vision::{IMAGE_INPUT, encoder_onnx};

use super::proto::Msg;
use crate::features::FittedStep;
use crate::gpu::net::Weights;
use crate::gpu::reference::Activation;
use crate::train::tree::Tree;
use crate::train::{FittedModel, Pipeline, Task};

const OPSET: i64 = 13;
const IR_VERSION: i64 = 7;
// TensorProto.DataType
const FLOAT: i64 = 1;
const INT64: i64 = 7;
const STRING: i64 = 8;
const DOUBLE: i64 = 11;

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error(
        "ONNX export covers linear, ridge, lasso, elastic net, logistic, tree, random forest, \
         gradient boosting and neural network (MLP) models; this bundle holds {0}"
    )]
    Model(String),
    #[error(
        "column '{0}' is free text (TF-IDF words); ONNX export covers number and category columns \
         only — serve this model with `cairn serve` instead"
    )]
    Text(String),
    #[error(
        "the recipe step '{0}' has no ONNX form yet; ONNX export covers the default number and \
         category steps — serve this model with `cairn serve` instead"
    )]
    Step(String),
    #[error("ONNX export is for regression and classification models, not {0}")]
    Task(&'static str),
    #[error(
        "this picture model also learns from simple pixels; ONNX export covers models trained on the \
         encoder's features alone (cairn train FOLDER --pictures encoder)"
    )]
    Pictures,
    #[error("{0}")]
    Encoder(String),
    #[error(
        "this model's probabilities are calibrated ({0}); ONNX export does not carry the calibration yet — \
         serve this model with `cairn serve` instead"
    )]
    Calibrated(&'static str),
}

/// The ONNX model (serialised `ModelProto`) computing `pipeline`'s predictions.
pub fn to_onnx(pipeline: &Pipeline, checksum: &str) -> Result<Vec<u8>, OnnxError> {
    if let Some(c) = &pipeline.calibrator {
        return Err(OnnxError::Calibrated(c.method.name()));
    }
    let mut g = Graph::default();
    // A picture model: the image goes through the encoder, whose features are the `enc_*` columns.
    if let Some(pictures) = &pipeline.pictures {
        if pictures.features.pixels() {
            return Err(OnnxError::Pictures);
        }
        pictures.check_encoder().map_err(OnnxError::Encoder)?;
        let encoder = crate::media::shipped().map_err(|e| OnnxError::Encoder(e.to_string()))?;
        let features = g.encoder(encoder);
        let features = g.node("Cast", &[&features], vec![attr_int("to", DOUBLE)]);
        let columns = (0..encoder.width()).map(|j| (format!("enc_{j}"), j)).collect();
        g.provided = Some((features, columns));
    }
    let features = g.recipe(pipeline)?;
    let classes = &pipeline.target.classes;
    match pipeline.target.task {
        Task::Regression => {
            let value = g.model(&pipeline.model, &features)?;
            let flat = g.const_ints(&[1], &[-1]);
            let value = g.binary("Reshape", &value, &flat);
            g.output("prediction", &value, DOUBLE, &[-1]);
        }
        Task::Classification => {
            let probs = g.model(&pipeline.model, &features)?;
            let best = g.node("ArgMax", &[&probs], vec![attr_int("axis", 1), attr_int("keepdims", 0)]);
            let names = g.const_strings(classes);
            let label = g.node("Gather", &[&names, &best], vec![]);
            g.output("label", &label, STRING, &[-1]);
            // One column per class, named as `cairn predict` names them.
            for (c, class) in classes.iter().enumerate() {
                let at = g.const_ints(&[], &[c as i64]);
                let p = g.node("Gather", &[&probs, &at], vec![attr_int("axis", 1)]);
                g.output(&format!("probability_{class}"), &p, DOUBLE, &[-1]);
            }
        }
        Task::Clustering => return Err(OnnxError::Task("clustering")),
        Task::Forecast => return Err(OnnxError::Task("forecast")),
        Task::Recommendation => return Err(OnnxError::Task("recommendation")),
    }
    let meta = [
        ("model", pipeline.info.model.clone()),
        ("target", pipeline.target.name.clone()),
        ("classes", serde_json::Value::from(classes.clone()).to_string()),
        ("bundle_checksum", checksum.to_string()),
        ("data_hash", pipeline.info.data_hash.clone()),
    ];
    let doc = format!("{} predicting '{}'", pipeline.model_display_name(), pipeline.target.name);
    Ok(model_proto(g, &format!("cairn_{}", pipeline.info.model), &doc, &meta))
}

/// The serialised `ModelProto` of a finished graph, with Cairn's version and `meta` as metadata.
fn model_proto(g: Graph, name: &str, doc: &str, meta: &[(&str, String)]) -> Vec<u8> {
    let graph = g.finish(name);
    let mut model = Msg::new()
        .int(1, IR_VERSION)
        .str(2, "cairn")
        .str(3, env!("CARGO_PKG_VERSION"))
        .str(6, doc)
        .msg(8, Msg::new().str(1, "").int(2, OPSET))
        .msg(8, Msg::new().str(1, "ai.onnx.ml").int(2, 1))
        .msg(7, graph)
        .msg(14, Msg::new().str(1, "cairn_version").str(2, env!("CARGO_PKG_VERSION")));
    for (k, v) in meta {
        model = model.msg(14, Msg::new().str(1, k).str(2, v));
    }
    model.into_bytes()
}

/// A graph under construction: nodes in topological order, constants as initializers.
#[derive(Default)]
struct Graph {
    nodes: Vec<Msg>,
    initializers: Vec<Msg>,
    inputs: Vec<Msg>,
    outputs: Vec<Msg>,
    counter: usize,
    /// Columns computed inside the graph (a picture's encoder features): a `double [N, W]`
    /// tensor and each column's index in it, read instead of graph inputs.
    provided: Option<(String, std::collections::HashMap<String, usize>)>,
}

fn attr_int(name: &str, v: i64) -> Msg {
    Msg::new().str(1, name).int(3, v).int(20, 2)
}

fn attr_ints(name: &str, v: &[i64]) -> Msg {
    Msg::new().str(1, name).packed_ints(8, v).int(20, 7)
}

fn attr_strings(name: &str, v: &[String]) -> Msg {
    v.iter().fold(Msg::new().str(1, name), |m, s| m.str(9, s)).int(20, 8)
}

fn tensor_type(elem: i64, dims: &[i64]) -> Msg {
    let shape = dims
        .iter()
        .fold(Msg::new(), |m, &d| m.msg(1, if d < 0 { Msg::new().str(2, "N") } else { Msg::new().int(1, d) }));
    Msg::new().msg(1, Msg::new().int(1, elem).msg(2, shape))
}

impl Graph {
    fn fresh(&mut self) -> String {
        self.counter += 1;
        format!("t{}", self.counter)
    }

    /// Adds a node with one output and returns the output's name.
    fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<Msg>) -> String {
        self.node_in("", op, inputs, attrs)
    }

    fn node_in(&mut self, domain: &str, op: &str, inputs: &[&str], attrs: Vec<Msg>) -> String {
        let out = self.fresh();
        let mut n = inputs.iter().fold(Msg::new(), |m, i| m.str(1, i)).str(2, &out).str(3, &out).str(4, op);
        if !domain.is_empty() {
            n = n.str(7, domain);
        }
        self.nodes.push(attrs.into_iter().fold(n, |m, a| m.msg(5, a)));
        out
    }

    fn constant(&mut self, t: Msg) -> String {
        let name = self.fresh();
        self.initializers.push(t.str(8, &name));
        name
    }

    fn const_doubles(&mut self, dims: &[i64], v: &[f64]) -> String {
        self.constant(Msg::new().packed_ints(1, dims).int(2, DOUBLE).packed_doubles(10, v))
    }

    fn const_double(&mut self, v: f64) -> String {
        self.const_doubles(&[], &[v])
    }

    fn const_floats(&mut self, dims: &[i64], v: &[f32]) -> String {
        self.constant(Msg::new().packed_ints(1, dims).int(2, FLOAT).packed_floats(4, v))
    }

    fn const_ints(&mut self, dims: &[i64], v: &[i64]) -> String {
        self.constant(Msg::new().packed_ints(1, dims).int(2, INT64).packed_ints(7, v))
    }

    fn const_strings(&mut self, v: &[String]) -> String {
        let t = v.iter().fold(Msg::new().packed_ints(1, &[v.len() as i64]).int(2, STRING), |m, s| m.str(6, s));
        self.constant(t)
    }

    /// A column input (`[N]`, as MLflow's pyfunc feeds DataFrame columns) and its `[N, 1]` form.
    fn input(&mut self, name: &str, elem: i64) -> String {
        if let Some((features, columns)) = &self.provided
            && let Some(&j) = columns.get(name)
        {
            let features = features.clone();
            let at = self.const_ints(&[1], &[j as i64]);
            return self.node("Gather", &[&features, &at], vec![attr_int("axis", 1)]);
        }
        self.inputs.push(Msg::new().str(1, name).msg(2, tensor_type(elem, &[-1])));
        let shape = self.const_ints(&[2], &[-1, 1]);
        self.binary("Reshape", name, &shape)
    }

    /// Names `value` as a graph output.
    fn output(&mut self, name: &str, value: &str, elem: i64, dims: &[i64]) {
        let n = Msg::new().str(1, value).str(2, name).str(3, name).str(4, "Identity");
        self.nodes.push(n);
        self.outputs.push(Msg::new().str(1, name).msg(2, tensor_type(elem, dims)));
    }

    fn finish(self, name: &str) -> Msg {
        let mut g = Msg::new();
        for n in self.nodes {
            g = g.msg(1, n);
        }
        g = g.str(2, name);
        for t in self.initializers {
            g = g.msg(5, t);
        }
        for i in self.inputs {
            g = g.msg(11, i);
        }
        for o in self.outputs {
            g = g.msg(12, o);
        }
        g
    }

    fn binary(&mut self, op: &str, a: &str, b: &str) -> String {
        self.node(op, &[a, b], vec![])
    }

    /// The fitted recipe: one input per column, the features as `double [N, F]`.
    fn recipe(&mut self, p: &Pipeline) -> Result<String, OnnxError> {
        let mut parts = Vec::new();
        // A dropped column is simply not read; other table steps have no ONNX form yet.
        if let Some(t) = p.fitted_recipe.table.iter().find(|t| !matches!(t, crate::features::FittedTable::Drop { .. }))
        {
            return Err(OnnxError::Step(t.describe()));
        }
        let mut steps = p.fitted_recipe.steps.iter().peekable();
        while let Some(step) = steps.next() {
            // A run of scaled encoder features: one Gather, Sub and Mul for the whole run.
            if let Some(j) = self.provided_scaled(step) {
                let mut run = vec![(j, step)];
                while let Some(j) = steps.peek().and_then(|s| self.provided_scaled(s)) {
                    run.push((j, steps.next().unwrap_or(step)));
                }
                parts.push(self.scaled_block(&run));
                continue;
            }
            match step {
                FittedStep::ImputeScale { column, median, mean, std, indicator, keep_missing } => {
                    let x = self.input(column, DOUBLE);
                    // NaN is the one value not equal to itself (the same as IsNaN, which
                    // not every runtime types the same way).
                    let present = self.binary("Equal", &x, &x);
                    // Kept gaps: NaN flows on (the trees route it).
                    let median = self.const_double(if *keep_missing { f64::NAN } else { *median });
                    let filled = self.node("Where", &[&present, &x, &median], vec![]);
                    let mean = self.const_double(*mean);
                    let centred = self.binary("Sub", &filled, &mean);
                    // × (1 / std), exactly as Cairn computes it (see features::Lookup::Scale).
                    let inv_std = self.const_double(1.0 / std);
                    parts.push(self.binary("Mul", &centred, &inv_std));
                    if *indicator {
                        let missing = self.node("Not", &[&present], vec![]);
                        parts.push(self.node("Cast", &[&missing], vec![attr_int("to", DOUBLE)]));
                    }
                }
                FittedStep::OneHot { column, fill, categories, other, ordinal } => {
                    let x = self.input(column, STRING);
                    // Known categories → their index; empty (missing) → the fill's; others → the
                    // "(other)" group's (one past the last category) when rare ones are grouped,
                    // else -1 (no feature set; "no category" as a category number).
                    let unknown = if *other { categories.len() as i64 } else { -1 };
                    let fill_at = categories.iter().position(|c| c == fill).map_or(unknown, |i| i as i64);
                    let mut names = categories.clone();
                    let mut codes: Vec<i64> = (0..categories.len() as i64).collect();
                    if !categories.iter().any(String::is_empty) {
                        names.push(String::new());
                        codes.push(fill_at);
                    }
                    let attrs = vec![attr_strings("cats_strings", &names), attr_ints("cats_int64s", &codes)];
                    let code = self.node_in("ai.onnx.ml", "CategoryMapper", &[&x], {
                        let mut a = attrs;
                        a.push(attr_int("default_int64", unknown));
                        a
                    });
                    if *ordinal {
                        // One feature: the category's number ([N, 1], as the input).
                        parts.push(self.node("Cast", &[&code], vec![attr_int("to", DOUBLE)]));
                        continue;
                    }
                    let width = categories.len() + usize::from(*other);
                    let all: Vec<i64> = (0..width as i64).collect();
                    let all = self.const_ints(&[width as i64], &all);
                    let hit = self.binary("Equal", &code, &all);
                    parts.push(self.node("Cast", &[&hit], vec![attr_int("to", DOUBLE)]));
                }
                FittedStep::Tfidf { column, .. } => return Err(OnnxError::Text(column.clone())),
            }
        }
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        Ok(self.node("Concat", &parts, vec![attr_int("axis", 1)]))
    }

    /// The model on `x`: regression values (`[N, 1]`) or class probabilities (`[N, classes]`).
    fn model(&mut self, model: &FittedModel, x: &str) -> Result<String, OnnxError> {
        Ok(match model {
            FittedModel::Linear { coef, intercept, .. } => {
                let w = self.const_doubles(&[coef.len() as i64, 1], coef);
                let z = self.binary("MatMul", x, &w);
                let b = self.const_double(*intercept);
                self.binary("Add", &z, &b)
            }
            FittedModel::Logistic { coef, intercept, .. } => {
                let (k, f) = (coef.len(), coef.first().map_or(0, Vec::len));
                let w: Vec<f64> = (0..f).flat_map(|j| coef.iter().map(move |row| row[j])).collect();
                let w = self.const_doubles(&[f as i64, k as i64], &w);
                let z = self.binary("MatMul", x, &w);
                let b = self.const_doubles(&[k as i64], intercept);
                let z = self.binary("Add", &z, &b);
                self.scores_to_probabilities(&z, k)
            }
            FittedModel::Trees { trees, .. } => {
                let k = trees.first().map_or(1, |t| t.n_outputs);
                let refs: Vec<(&Tree, usize)> = trees.iter().map(|t| (t, 0)).collect();
                let sum = self.tree_sum(&refs, k, x);
                let n = self.const_double(1.0 / trees.len().max(1) as f64);
                self.binary("Mul", &sum, &n)
            }
            FittedModel::Boosted(m) => {
                let k = m.init.len();
                let refs: Vec<(&Tree, usize)> =
                    m.rounds.iter().flat_map(|round| round.iter().enumerate().map(|(o, t)| (t, o))).collect();
                let sum = self.tree_sum(&refs, k, x);
                let lr = self.const_double(m.learning_rate);
                let steps = self.binary("Mul", &sum, &lr);
                let init = self.const_doubles(&[k as i64], &m.init);
                let raw = self.binary("Add", &steps, &init);
                if m.n_classes == 0 { raw } else { self.scores_to_probabilities(&raw, k) }
            }
            FittedModel::Mlp(m) => {
                let out = self.mlp(&m.weights, x);
                let out = self.node("Cast", &[&out], vec![attr_int("to", DOUBLE)]);
                if m.n_classes == 0 {
                    let s = self.const_double(m.y_std);
                    let scaled = self.binary("Mul", &out, &s);
                    let mean = self.const_double(m.y_mean);
                    self.binary("Add", &scaled, &mean)
                } else {
                    self.node("Softmax", &[&out], vec![attr_int("axis", 1)])
                }
            }
            FittedModel::Ensemble(e) => {
                // Each member on the same features, their outputs averaged.
                let mut outs = Vec::with_capacity(e.members.len());
                for m in &e.members {
                    outs.push(self.model(&m.fitted, x)?);
                }
                let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
                let sum = self.node("Sum", &outs, vec![]);
                let n = self.const_double(1.0 / e.members.len().max(1) as f64);
                self.binary("Mul", &sum, &n)
            }
            other => return Err(OnnxError::Model(other.kind().display_name().to_lowercase())),
        })
    }

    /// One score column → [1 - σ, σ]; several → softmax.
    fn scores_to_probabilities(&mut self, z: &str, k: usize) -> String {
        if k == 1 {
            // 1 / (1 + e^-z), as Cairn computes it (and not every runtime has a double Sigmoid).
            let minus = self.node("Neg", &[z], vec![]);
            let e = self.node("Exp", &[&minus], vec![]);
            let one = self.const_double(1.0);
            let denominator = self.binary("Add", &one, &e);
            let p = self.binary("Div", &one, &denominator);
            let q = self.binary("Sub", &one, &p);
            self.node("Concat", &[&q, &p], vec![attr_int("axis", 1)])
        } else {
            self.node("Softmax", &[z], vec![attr_int("axis", 1)])
        }
    }

    /// Σ over `trees` of each tree's leaf values (`[N, k]`); a tree given with output `o` and one
    /// value per leaf adds it to column `o`, a tree with `k` values per leaf to all columns.
    fn tree_sum(&mut self, trees: &[(&Tree, usize)], k: usize, x: &str) -> String {
        // All trees' nodes in one table; a leaf points to itself, so extra steps keep it there.
        let (mut feature, mut threshold, mut left, mut right, mut roots) = (vec![], vec![], vec![], vec![], vec![]);
        let mut values = Vec::new();
        let mut depth = 0;
        // Histogram boosting's native splits: where gaps go, and per node a 256-entry table of
        // the categories that go left (all zero for a threshold split).
        let native = trees.iter().any(|(t, _)| t.has_native_splits());
        let (mut gaps_left, mut categorical, mut member) = (vec![], vec![], vec![]);
        for (t, o) in trees {
            let base = feature.len() as i64;
            roots.push(base);
            for node in 0..t.n_nodes() {
                let g = base + node as i64;
                if t.is_leaf(node) {
                    feature.push(0);
                    threshold.push(0.0);
                    left.push(g);
                    right.push(g);
                } else {
                    feature.push(i64::from(t.feature[node]));
                    threshold.push(t.threshold[node]);
                    left.push(base + i64::from(t.left[node]));
                    right.push(base + i64::from(t.left[node]) + 1);
                }
                if native {
                    gaps_left.push(i64::from(t.missing_left.get(node).copied().unwrap_or(false)));
                    let set =
                        t.category_set.get(node).filter(|&&s| s != u32::MAX).map(|&s| t.category_sets[s as usize]);
                    categorical.push(i64::from(set.is_some()));
                    let set = set.unwrap_or_default();
                    member.extend((0..256).map(|b| i64::from(set[b / 64] >> (b % 64) & 1 == 1)));
                }
                let v = &t.value[node * t.n_outputs..(node + 1) * t.n_outputs];
                let mut row = vec![0.0; k];
                if v.len() == k {
                    row.copy_from_slice(v);
                } else if let (Some(cell), Some(&first)) = (row.get_mut(*o), v.first()) {
                    *cell = first;
                }
                values.extend(row);
            }
            depth = depth.max(tree_depth(t));
        }
        let g = feature.len() as i64;
        let feature = self.const_ints(&[g], &feature);
        let threshold = self.const_doubles(&[g], &threshold);
        let left = self.const_ints(&[g], &left);
        let right = self.const_ints(&[g], &right);
        let values = self.const_doubles(&[g, k as i64], &values);
        // node [N, T]: every row starts at every tree's root (0 × the first feature + roots).
        let first = self.const_ints(&[1], &[0]);
        let col = self.node("Gather", &[x, &first], vec![attr_int("axis", 1)]);
        let zero = self.const_double(0.0);
        let zeros = self.binary("Mul", &col, &zero);
        let zeros = self.node("Cast", &[&zeros], vec![attr_int("to", INT64)]);
        let roots = self.const_ints(&[roots.len() as i64], &roots);
        let mut node = self.binary("Add", &zeros, &roots);
        let native = native.then(|| {
            (
                self.const_ints(&[g], &gaps_left),
                self.const_ints(&[g], &categorical),
                self.const_ints(&[g * 256], &member),
            )
        });
        for _ in 0..depth {
            let f = self.binary("Gather", &feature, &node);
            let v = self.node("GatherElements", &[x, &f], vec![attr_int("axis", 1)]);
            let t = self.binary("Gather", &threshold, &node);
            let mut go_left = self.binary("LessOrEqual", &v, &t);
            if let Some((gaps_left, categorical, member)) = &native {
                go_left = self.native_split(&v, &node, &go_left, (gaps_left, categorical, member));
            }
            let l = self.binary("Gather", &left, &node);
            let r = self.binary("Gather", &right, &node);
            node = self.node("Where", &[&go_left, &l, &r], vec![]);
        }
        let leaf_values = self.binary("Gather", &values, &node); // [N, T, k]
        let mean = self.node("ReduceMean", &[&leaf_values], vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)]);
        let count = self.const_double(trees.len() as f64);
        self.binary("Mul", &mean, &count)
    }

    /// `go_left` (the threshold test) corrected for histogram boosting's native splits: a gap
    /// (NaN, or a category number below 0) goes where the node sends gaps; at a categorical
    /// node a category goes left when its bit (`tree::category_bit`: numbers past 254 share
    /// bit 254) is in the node's set.
    fn native_split(&mut self, v: &str, node: &str, go_left: &str, tables: (&str, &str, &str)) -> String {
        let (gaps_left, categorical, member) = tables;
        let one = self.const_ints(&[], &[1]);
        let is_one = |s: &mut Self, t: &str| {
            let picked = s.binary("Gather", t, node);
            s.binary("Equal", &picked, &one)
        };
        let gap_left = is_one(self, gaps_left);
        let is_cat = is_one(self, categorical);
        let present = self.binary("Equal", v, v);
        let zero = self.const_double(0.0);
        let negative = self.binary("Less", v, &zero);
        // Category number → its bit: clip to 0 … 254, NaN → 0 (a gap is decided apart).
        let safe = self.node("Where", &[&present, v, &zero], vec![]);
        let hi = self.const_double(254.0);
        let clipped = self.binary("Max", &safe, &zero);
        let clipped = self.binary("Min", &clipped, &hi);
        let code = self.node("Floor", &[&clipped], vec![]);
        let code = self.node("Cast", &[&code], vec![attr_int("to", INT64)]);
        let width = self.const_ints(&[], &[256]);
        let base = self.binary("Mul", node, &width);
        let at = self.binary("Add", &base, &code);
        let bit = self.binary("Gather", member, &at);
        let in_set = self.binary("Equal", &bit, &one);
        let not_present = self.node("Not", &[&present], vec![]);
        let cat_gap = self.node("Or", &[&not_present, &negative], vec![]);
        let cat_side = self.node("Where", &[&cat_gap, &gap_left, &in_set], vec![]);
        let num_side = self.node("Where", &[&present, go_left, &gap_left], vec![]);
        self.node("Where", &[&is_cat, &cat_side, &num_side], vec![])
    }

    /// The network in single precision, as Cairn runs it (`[N, outputs]`, float).
    fn mlp(&mut self, w: &Weights, x: &str) -> String {
        let mut h = self.node("Cast", &[x], vec![attr_int("to", FLOAT)]);
        for (l, layer) in w.layers.iter().enumerate() {
            let wt = self.const_floats(&[layer.inputs as i64, layer.outputs as i64], &layer.w);
            let b = self.const_floats(&[layer.outputs as i64], &layer.b);
            let z = self.binary("MatMul", &h, &wt);
            let z = self.binary("Add", &z, &b);
            h = match w.act(l) {
                Activation::Identity => z,
                Activation::Relu => self.node("Relu", &[&z], vec![]),
                Activation::Relu6 => {
                    let (lo, hi) = (self.const_floats(&[], &[0.0]), self.const_floats(&[], &[6.0]));
                    self.node("Clip", &[&z, &lo, &hi], vec![])
                }
                Activation::Tanh => self.node("Tanh", &[&z], vec![]),
                Activation::Sigmoid => self.node("Sigmoid", &[&z], vec![]),
                // The tanh form Cairn trains with: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
                Activation::Gelu => {
                    let cube = self.binary("Mul", &z, &z);
                    let cube = self.binary("Mul", &cube, &z);
                    let a = self.const_floats(&[], &[0.044715]);
                    let cube = self.binary("Mul", &cube, &a);
                    let inner = self.binary("Add", &z, &cube);
                    let c = self.const_floats(&[], &[(2.0 / std::f32::consts::PI).sqrt()]);
                    let inner = self.binary("Mul", &inner, &c);
                    let t = self.node("Tanh", &[&inner], vec![]);
                    let one = self.const_floats(&[], &[1.0]);
                    let t = self.binary("Add", &t, &one);
                    let half = self.const_floats(&[], &[0.5]);
                    let zt = self.binary("Mul", &z, &t);
                    self.binary("Mul", &zt, &half)
                }
            };
        }
        h
    }
}

/// The number of splits on the longest root-to-leaf path.
fn tree_depth(t: &Tree) -> usize {
    let mut depth = vec![0usize; t.n_nodes()];
    let mut deepest = 0;
    for node in 0..t.n_nodes() {
        if !t.is_leaf(node) {
            // Children come after their parent in the node table.
            let (l, d) = (t.left[node] as usize, depth[node] + 1);
            for child in [l, l + 1] {
                if let Some(slot) = depth.get_mut(child) {
                    *slot = d;
                    deepest = deepest.max(d);
                }
            }
        }
    }
    deepest
}
