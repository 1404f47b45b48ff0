//! Why this prediction: Shapley contributions of each input column to one row's output, and
//! partial dependence (with ICE curves) of the output on one column.
//!
//! The API the app, the CLI and the server call:
//!
//! - [`explain_rows`]`(&pipeline, &dataset, &Options)` explains every row of `dataset` (the
//!   pipeline's input columns; extra columns are ignored). Each [`RowExplanation`] holds the
//!   explained output (`prediction`), the `base_value` (the output with no column known) and
//!   one contribution per input column, with `base_value + Σ contributions == prediction`.
//!   One row of a forest of 100 trees takes a few milliseconds, so the What-if view can call it
//!   on every edit.
//! - [`partial_dependence`]`(&pipeline, &dataset, column, &Options)` gives the average output as
//!   `column` is set to each point of a grid, and the curves of up to 50 single rows (ICE).
//!
//! How the values are computed, by model ([`Method`]):
//!
//! - trees, random forests, gradient boosting: exact path-dependent TreeSHAP over the fitted
//!   trees (see [`tree_shap`]), using the training rows that reached each node; a forest
//!   averages its trees, boosting sums them times the learning rate plus its starting score;
//! - linear, ridge, lasso, elastic net and logistic regression: exact, `w_j (x_j − mean_j)`
//!   against the training means of the features;
//! - every other model: a seeded permutation estimate over a background sample of training rows
//!   kept in the bundle, with a standard error per column.
//!
//! Contributions are per input column: a one-hot block or the word weights of a text column
//! are added up to their column (text columns also list their top words).
//!
//! The explained output ([`RowExplanation::output`]) is the predicted number for regression;
//! for classes, the log-odds of a class for logistic regression and gradient boosting (a logit
//! of the softmax for more than two classes), else the probability of a class. The class is
//! `Options::class`, or each row's predicted class.

mod pdp;
mod sampling;
pub mod tree_shap;

pub use pdp::{Grid, PartialDependence, partial_dependence};

use crate::data::{DataError, Dataset};
use crate::features::FittedStep;
use crate::train::{FittedModel, ModelOutput, Pipeline, PipelineError, Task};
use ndarray::Array2;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// What to explain and how hard to sample.
#[derive(Clone, Debug)]
pub struct Options {
    /// The class whose output is explained (classification); `None`: each row's predicted class
    /// (partial dependence: the last class, the positive one of a binary task).
    pub class: Option<String>,
    /// Background rows the sampling estimate averages over (at most the bundle's 100).
    pub background_rows: usize,
    /// Random orders per background row in the sampling estimate.
    pub rounds: usize,
    pub seed: u64,
    /// Words listed per text column.
    pub top_words: usize,
    /// Partial dependence: grid points for a number column, and the rows averaged / drawn.
    pub grid_points: usize,
    pub pdp_rows: usize,
    pub ice_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            class: None,
            background_rows: 50,
            rounds: 2,
            seed: 42,
            top_words: 5,
            grid_points: 20,
            pdp_rows: 500,
            ice_rows: 50,
        }
    }
}

/// How the contributions were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact TreeSHAP over the fitted trees.
    TreeShap,
    /// Exact for a linear model: weight × (value − training mean).
    Linear,
    /// Permutation estimate over a background sample, with standard errors.
    Sampling,
}

/// One explained row.
#[derive(Clone, Debug, PartialEq)]
pub struct RowExplanation {
    /// What `prediction` is, in words: "the predicted median_house_value", "the probability of
    /// class 'spam'", "the log-odds of class 'Adelie'".
    pub output: String,
    /// The explained class (classification).
    pub class: Option<String>,
    /// The model's output for the row, in the space named by `output`.
    pub prediction: f64,
    /// The output with no column known (the average over the training rows).
    pub base_value: f64,
    /// One per column of [`Explanations::columns`].
    pub contributions: Vec<f64>,
    /// Standard error of each contribution (sampling only; empty when exact).
    pub std_errors: Vec<f64>,
    /// Per text column: the words with the largest contributions (exact methods).
    pub top_words: Vec<(String, Vec<(String, f64)>)>,
}

/// Explanations of a batch of rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanations {
    /// The input columns, in the schema's order (then any column a table step derived).
    pub columns: Vec<String>,
    pub method: Method,
    pub rows: Vec<RowExplanation>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("class '{class}' is not one of the model's classes ({})", .classes.join(", "))]
    UnknownClass { class: String, classes: Vec<String> },
    #[error("column '{column}' is not an input of this model (its inputs: {})", .inputs.join(", "))]
    UnknownColumn { column: String, inputs: Vec<String> },
    #[error("column '{0}' is free text: partial dependence needs a number or a category column")]
    TextColumn(String),
    #[error("column '{0}' has no values to build a grid from")]
    EmptyColumn(String),
    #[error("there are no rows to explain")]
    NoRows,
}

impl Explanations {
    /// The output every row explains, or a general wording when rows explain different classes.
    pub fn output(&self) -> String {
        match self.rows.first() {
            Some(first) if self.rows.iter().all(|r| r.output == first.output) => first.output.clone(),
            Some(first) if first.output.contains("class") => {
                let space = first.output.split(" of class").next().unwrap_or("the output");
                format!("{space} of each row's predicted class")
            }
            _ => "the model's output".to_string(),
        }
    }

    /// One JSON object: `{"output", "method", "columns", "rows": [...]}` (see [`Self::row_json`]).
    pub fn to_json(&self) -> Value {
        json!({
            "output": self.output(),
            "method": self.method,
            "columns": self.columns,
            "rows": (0..self.rows.len()).map(|i| self.row_json(i)).collect::<Vec<_>>(),
        })
    }

    /// Row `i` as `{"prediction", "base_value", "output", "class", "contributions": {column: v}}`,
    /// plus `std_errors` (sampling) and `top_words` (text) when there are any.
    pub fn row_json(&self, i: usize) -> Value {
        let Some(row) = self.rows.get(i) else { return Value::Null };
        let by_column = |values: &[f64]| -> Map<String, Value> {
            self.columns.iter().zip(values).map(|(c, v)| (c.clone(), json!(v))).collect()
        };
        let mut out = Map::new();
        out.insert("prediction".into(), json!(row.prediction));
        out.insert("base_value".into(), json!(row.base_value));
        out.insert("output".into(), json!(row.output));
        if let Some(class) = &row.class {
            out.insert("class".into(), json!(class));
        }
        out.insert("method".into(), json!(self.method));
        out.insert("contributions".into(), Value::Object(by_column(&row.contributions)));
        if !row.std_errors.is_empty() {
            out.insert("std_errors".into(), Value::Object(by_column(&row.std_errors)));
        }
        if !row.top_words.is_empty() {
            let words: Map<String, Value> = row
                .top_words
                .iter()
                .map(|(c, w)| (c.clone(), w.iter().map(|(w, v)| json!({"word": w, "contribution": v})).collect()))
                .collect();
            out.insert("top_words".into(), Value::Object(words));
        }
        Value::Object(out)
    }
}

/// Which features make up each input column.
struct Layout {
    columns: Vec<String>,
    groups: Vec<Vec<usize>>,
    /// Per text column (its index in `columns`): the first feature and the vocabulary.
    words: Vec<(usize, usize, Vec<String>)>,
}

impl Layout {
    fn of(p: &Pipeline) -> Layout {
        let mut columns: Vec<String> = p.schema.columns.iter().map(|c| c.name.clone()).collect();
        let mut groups = vec![vec![]; columns.len()];
        let mut words = vec![];
        let mut offset = 0;
        for step in &p.fitted_recipe.steps {
            let name = step.column();
            let g = columns.iter().position(|c| c == name).unwrap_or_else(|| {
                columns.push(name.to_string());
                groups.push(vec![]);
                columns.len() - 1
            });
            groups[g].extend(offset..offset + step.width());
            if let FittedStep::Tfidf { model, .. } = step {
                words.push((g, offset, model.vocabulary.clone()));
            }
            offset += step.width();
        }
        Layout { columns, groups, words }
    }

    fn by_column(&self, phi: &[f64]) -> Vec<f64> {
        self.groups.iter().map(|g| g.iter().map(|&j| phi[j]).sum()).collect()
    }

    fn top_words(&self, phi: &[f64], x: &[f64], n: usize) -> Vec<(String, Vec<(String, f64)>)> {
        self.words
            .iter()
            .map(|(g, offset, vocab)| {
                let mut w: Vec<(String, f64)> = vocab
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| x[offset + j] != 0.0 || phi[offset + j] != 0.0)
                    .map(|(j, word)| (word.clone(), phi[offset + j]))
                    .collect();
                w.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                w.truncate(n);
                (self.columns[*g].clone(), w)
            })
            .collect()
    }
}

/// The space a model's explanation is in.
#[derive(Clone, Copy, PartialEq)]
enum Space {
    Value,
    Probability,
    LogOdds,
}

fn space(model: &FittedModel, method: Method, task: Task) -> Space {
    match (task, model, method) {
        (Task::Classification, FittedModel::Logistic { .. } | FittedModel::Boosted(_), Method::Linear)
        | (Task::Classification, FittedModel::Boosted(_), Method::TreeShap) => Space::LogOdds,
        (Task::Classification | Task::Clustering, ..) => Space::Probability,
        _ => Space::Value,
    }
}

fn method_of(model: &FittedModel) -> Method {
    match model {
        FittedModel::Linear { .. } | FittedModel::Logistic { .. } => Method::Linear,
        FittedModel::Trees { trees, .. } if trees.iter().all(tree_shap::has_cover) => Method::TreeShap,
        FittedModel::Boosted(m) if m.rounds.iter().flatten().all(tree_shap::has_cover) => Method::TreeShap,
        _ => Method::Sampling,
    }
}

fn output_words(p: &Pipeline, space: Space, class: Option<usize>) -> String {
    let class = class.and_then(|c| p.target.classes.get(c)).map_or_else(String::new, |c| format!(" of class '{c}'"));
    match space {
        Space::Value => format!("the predicted {}", p.target.name),
        Space::Probability => format!("the probability{class}"),
        Space::LogOdds if p.target.classes.len() > 2 => format!("the logit (softmax score){class}"),
        Space::LogOdds => format!("the log-odds{class}"),
    }
}

/// The model's outputs as rows × outputs (one column for numbers).
fn output_matrix(model: &FittedModel, x: &Array2<f64>) -> Array2<f64> {
    match model.predict(x) {
        ModelOutput::Values(v) => Array2::from_shape_fn((v.len(), 1), |(r, _)| v[r]),
        ModelOutput::Probabilities(p) => p,
    }
}

/// Per row, the class explained: the named one, else the predicted one (None for numbers).
fn chosen_classes(p: &Pipeline, out: &Array2<f64>, opts: &Options) -> Result<Vec<Option<usize>>, ExplainError> {
    if out.ncols() < 2 {
        return Ok(vec![None; out.nrows()]);
    }
    if let Some(name) = &opts.class {
        let c = class_index(p, name)?;
        return Ok(vec![Some(c); out.nrows()]);
    }
    Ok(out.rows().into_iter().map(|r| Some(crate::train::argmax(r.iter().copied()))).collect())
}

fn class_index(p: &Pipeline, name: &str) -> Result<usize, ExplainError> {
    p.target
        .classes
        .iter()
        .position(|c| c == name.trim())
        .ok_or_else(|| ExplainError::UnknownClass { class: name.to_string(), classes: p.target.classes.clone() })
}

/// The background rows' features: the bundle's sample of training rows, else (older bundles)
/// the first of the rows being explained.
fn background(p: &Pipeline, x: &Array2<f64>, opts: &Options) -> Array2<f64> {
    let n = opts.background_rows.max(1);
    // A column the schema gained after training (a per-group thresholds' group column) is
    // missing from the stored rows: it is left empty there.
    let rows: Vec<Map<String, Value>> = p.reference.rows[..n.min(p.reference.rows.len())]
        .iter()
        .map(|r| {
            let mut r = r.clone();
            for c in &p.schema.columns {
                r.entry(c.name.clone()).or_insert(Value::Null);
            }
            r
        })
        .collect();
    let stored = (!rows.is_empty())
        .then(|| p.schema.dataset_from_records(&rows).ok())
        .flatten()
        .and_then(|ds| p.features(&ds).ok());
    stored.unwrap_or_else(|| x.slice(ndarray::s![..n.min(x.nrows()), ..]).to_owned())
}

/// Explains every row of `ds` (see the module documentation).
pub fn explain_rows(p: &Pipeline, ds: &Dataset, opts: &Options) -> Result<Explanations, ExplainError> {
    let x = p.features(ds)?;
    if x.nrows() == 0 {
        return Err(ExplainError::NoRows);
    }
    let out = output_matrix(&p.model, &x);
    let classes = chosen_classes(p, &out, opts)?;
    let layout = Layout::of(p);
    let method = method_of(&p.model);
    let space = space(&p.model, method, p.target.task);
    let rows = match method {
        Method::Sampling => sampled_rows(p, &x, &out, &classes, &layout, opts),
        _ => {
            let means = if p.reference.feature_means.len() == x.ncols() {
                p.reference.feature_means.clone()
            } else {
                let bg = background(p, &x, opts);
                bg.mean_axis(ndarray::Axis(0)).map(|m| m.to_vec()).unwrap_or_else(|| vec![0.0; x.ncols()])
            };
            let trees = prepare_trees(&p.model);
            (0..x.nrows())
                .into_par_iter()
                .map(|r| {
                    let row = x.row(r).to_vec();
                    let (base, prediction, phi) = exact_row(&p.model, &trees, &means, &row, classes[r]);
                    RowExplanation {
                        output: output_words(p, space, classes[r]),
                        class: classes[r].and_then(|c| p.target.classes.get(c).cloned()),
                        prediction,
                        base_value: base,
                        contributions: layout.by_column(&phi),
                        std_errors: vec![],
                        top_words: layout.top_words(&phi, &row, opts.top_words),
                    }
                })
                .collect()
        }
    };
    Ok(Explanations { columns: layout.columns, method, rows })
}

fn sampled_rows(
    p: &Pipeline,
    x: &Array2<f64>,
    out: &Array2<f64>,
    classes: &[Option<usize>],
    layout: &Layout,
    opts: &Options,
) -> Vec<RowExplanation> {
    let bg = background(p, x, opts);
    let used: Vec<usize> = (0..layout.groups.len()).filter(|&g| !layout.groups[g].is_empty()).collect();
    let groups: Vec<Vec<usize>> = used.iter().map(|&g| layout.groups[g].clone()).collect();
    let space = space(&p.model, Method::Sampling, p.target.task);
    (0..x.nrows())
        .into_par_iter()
        .map(|r| {
            let col = classes[r].unwrap_or(0);
            let f = |z: &Array2<f64>| {
                let o = output_matrix(&p.model, z);
                o.column(col.min(o.ncols().saturating_sub(1))).to_vec()
            };
            let row = x.row(r).to_vec();
            let e = sampling::estimate(&f, &row, &bg, &groups, opts.rounds, opts.seed);
            let mut contributions = vec![0.0; layout.columns.len()];
            let mut std_errors = vec![0.0; layout.columns.len()];
            for (k, &g) in used.iter().enumerate() {
                contributions[g] = e.values[k];
                std_errors[g] = e.std_errors[k];
            }
            RowExplanation {
                output: output_words(p, space, classes[r]),
                class: classes[r].and_then(|c| p.target.classes.get(c).cloned()),
                prediction: out[[r, col.min(out.ncols() - 1)]],
                base_value: e.base_value,
                contributions,
                std_errors,
                top_words: vec![],
            }
        })
        .collect()
}

/// The trees of a tree model, each prepared for TreeSHAP with its expected value per output,
/// and the output (boosting: the class's trees) it adds to.
type PreparedTrees<'a> = Vec<(usize, tree_shap::Prepared<'a>, Vec<f64>)>;

fn prepare_trees(model: &FittedModel) -> PreparedTrees<'_> {
    match model {
        FittedModel::Trees { trees, .. } => trees.par_iter().map(|t| prepare_tree(0, t)).collect(),
        FittedModel::Boosted(m) => m
            .rounds
            .par_iter()
            .flat_map_iter(|round| round.iter().enumerate().map(|(o, t)| prepare_tree(o, t)).collect::<Vec<_>>())
            .collect(),
        _ => vec![],
    }
}

fn prepare_tree(group: usize, t: &crate::train::tree::Tree) -> (usize, tree_shap::Prepared<'_>, Vec<f64>) {
    let expected = (0..t.n_outputs).map(|k| tree_shap::expected_value(t, k)).collect();
    (group, tree_shap::Prepared::new(t), expected)
}

/// Σ over `trees` (those adding to output group `group`) of TreeSHAP for output `out`, times
/// `scale`: `(base, prediction, phi)`. Fixed blocks of trees run on the cores and are added in
/// order, so the sums do not depend on the number of threads.
fn sum_trees(trees: &PreparedTrees, group: usize, out: usize, scale: f64, x: &[f64]) -> (f64, f64, Vec<f64>) {
    const BLOCK: usize = 8;
    let mine: Vec<_> = trees.iter().filter(|(g, ..)| *g == group).collect();
    let blocks: Vec<(f64, f64, Vec<f64>)> = mine
        .par_chunks(BLOCK)
        .map(|block| {
            let (mut base, mut pred, mut phi) = (0.0, 0.0, vec![0.0; x.len()]);
            for (_, t, expected) in block {
                t.add_shap(x, out, scale, &mut phi);
                base += scale * expected[out];
                pred += scale * t.tree().predict_row(x)[out];
            }
            (base, pred, phi)
        })
        .collect();
    let mut total = (0.0, 0.0, vec![0.0; x.len()]);
    for (base, pred, phi) in blocks {
        total.0 += base;
        total.1 += pred;
        total.2.iter_mut().zip(&phi).for_each(|(a, b)| *a += b);
    }
    total
}

/// `(base value, output, per-feature Shapley values)` of one row for an exact method.
fn exact_row(
    model: &FittedModel,
    trees: &PreparedTrees,
    means: &[f64],
    x: &[f64],
    class: Option<usize>,
) -> (f64, f64, Vec<f64>) {
    let linear = |w: &[f64], b: f64, sign: f64| {
        let base = b + w.iter().zip(means).map(|(w, m)| w * m).sum::<f64>();
        let phi: Vec<f64> = w.iter().zip(x).zip(means).map(|((w, x), m)| sign * w * (x - m)).collect();
        let pred = b + w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
        (sign * base, sign * pred, phi)
    };
    let phi = vec![0.0; x.len()];
    match model {
        FittedModel::Linear { coef, intercept, .. } => linear(coef, *intercept, 1.0),
        FittedModel::Logistic { n_classes, coef, intercept } => {
            let c = class.unwrap_or(0);
            let (row, sign) =
                if coef.len() == 1 { (0, if c + 1 == *n_classes { 1.0 } else { -1.0 }) } else { (c, 1.0) };
            match (coef.get(row), intercept.get(row)) {
                (Some(w), Some(b)) => linear(w, *b, sign),
                _ => (0.0, 0.0, phi),
            }
        }
        FittedModel::Trees { trees: all, .. } => {
            sum_trees(trees, 0, class.unwrap_or(0), 1.0 / all.len().max(1) as f64, x)
        }
        FittedModel::Boosted(m) => {
            let c = class.unwrap_or(0);
            let (o, sign) = match (m.n_classes, m.init.len()) {
                (0, _) => (0, 1.0),
                (n, 1) => (0, if c + 1 == n { 1.0 } else { -1.0 }),
                _ => (c, 1.0),
            };
            let start = m.init.get(o).copied().unwrap_or(0.0);
            let (base, pred, phi) = sum_trees(trees, o, 0, m.learning_rate, x);
            (sign * (start + base), sign * (start + pred), phi.iter().map(|v| sign * v).collect())
        }
        // Not reached: other models go through the sampling estimate.
        _ => (0.0, 0.0, phi),
    }
}
