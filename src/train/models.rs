//! The model zoo. Models are fitted (linfa for least squares, our sparse L-BFGS for logistic
//! regression) and stored as plain numbers (our own serde types),
//! so a bundle does not depend on a library's internal layout.

use super::{Task, TrainError};
use linfa::prelude::*;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

/// Every model name the CLI accepts (`--model NAME`).
pub const MODEL_NAMES: &[&str] = &[
    "linear",
    "ridge",
    "lasso",
    "elastic_net",
    "logistic",
    "tree",
    "random_forest",
    "gradient_boosting",
    "naive_bayes",
    "knn",
    "svm",
    "mlp",
    "kmeans",
    "matrix_factorization",
];

/// The models that can be trained today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Ordinary least squares (regression).
    Linear,
    /// L2-regularised logistic regression, binary or multinomial (classification).
    Logistic,
    /// One decision tree (CART), regression or classification.
    Tree,
    /// 100 trees on bootstrap samples, averaged (regression or classification).
    RandomForest,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [ModelKind::Linear, ModelKind::Logistic, ModelKind::Tree, ModelKind::RandomForest];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Logistic => "logistic",
            ModelKind::Tree => "tree",
            ModelKind::RandomForest => "random_forest",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            ModelKind::Linear => "Linear regression",
            ModelKind::Logistic => "Logistic regression",
            ModelKind::Tree => "Decision tree",
            ModelKind::RandomForest => "Random forest",
        }
    }

    /// Whether the model can learn this task.
    pub fn supports(self, task: Task) -> bool {
        match self {
            ModelKind::Linear => task == Task::Regression,
            ModelKind::Logistic => task == Task::Classification,
            ModelKind::Tree | ModelKind::RandomForest => true,
        }
    }

    /// The tasks it can learn, in words.
    pub fn tasks_label(self) -> &'static str {
        match self {
            ModelKind::Linear => "regression",
            ModelKind::Logistic => "classification",
            ModelKind::Tree | ModelKind::RandomForest => "regression and classification",
        }
    }

    /// The default model for a task.
    pub fn default_for(task: Task) -> ModelKind {
        match task {
            Task::Regression => ModelKind::Linear,
            Task::Classification => ModelKind::Logistic,
        }
    }

    /// Parses a CLI model name; known names that are not trainable yet get a clear error.
    pub fn parse(name: &str) -> Result<ModelKind, TrainError> {
        let name = name.trim().to_ascii_lowercase();
        if let Some(kind) = ModelKind::ALL.iter().find(|k| k.name() == name) {
            return Ok(*kind);
        }
        let available = ModelKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
        if MODEL_NAMES.contains(&name.as_str()) || name == "all" {
            Err(TrainError::ModelUnavailable { name, available })
        } else {
            Err(TrainError::UnknownModel { name, known: MODEL_NAMES.join(", ") })
        }
    }
}

/// A fitted model: the learned numbers only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedModel {
    Linear {
        coef: Vec<f64>,
        intercept: f64,
    },
    /// `coef` has one row for a binary model (the positive, i.e. last, class) or one row per class.
    Logistic {
        n_classes: usize,
        coef: Vec<Vec<f64>>,
        intercept: Vec<f64>,
    },
    /// One tree (`trees.len() == 1`) or a forest; leaves hold a value (regression) or class
    /// proportions (classification).
    Trees {
        model: ModelKind,
        n_features: usize,
        trees: Vec<super::tree::Tree>,
    },
}

/// What a model outputs for a batch of rows.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelOutput {
    Values(Vec<f64>),
    /// Rows × classes, each row summing to 1.
    Probabilities(Array2<f64>),
}

impl FittedModel {
    pub fn kind(&self) -> ModelKind {
        match self {
            FittedModel::Linear { .. } => ModelKind::Linear,
            FittedModel::Logistic { .. } => ModelKind::Logistic,
            FittedModel::Trees { model, .. } => *model,
        }
    }

    pub fn n_inputs(&self) -> usize {
        match self {
            FittedModel::Linear { coef, .. } => coef.len(),
            FittedModel::Logistic { coef, .. } => coef.first().map_or(0, Vec::len),
            FittedModel::Trees { n_features, .. } => *n_features,
        }
    }

    pub fn predict(&self, x: &Array2<f64>) -> ModelOutput {
        match self {
            FittedModel::Linear { coef, intercept } => {
                let w = Array1::from(coef.clone());
                ModelOutput::Values((x.dot(&w) + *intercept).to_vec())
            }
            FittedModel::Logistic { n_classes, coef, intercept } => {
                let w = Array2::from_shape_fn((coef[0].len(), coef.len()), |(j, k)| coef[k][j]);
                let mut z = x.dot(&w);
                z += &Array1::from(intercept.clone());
                let probs = if coef.len() == 1 {
                    Array2::from_shape_fn((x.nrows(), 2), |(r, k)| {
                        let p = sigmoid(z[[r, 0]]);
                        if k == 1 { p } else { 1.0 - p }
                    })
                } else {
                    for mut row in z.axis_iter_mut(Axis(0)) {
                        let m = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                        row.mapv_inplace(|v| (v - m).exp());
                        let s = row.sum();
                        row /= s;
                    }
                    z
                };
                debug_assert_eq!(probs.ncols(), *n_classes);
                ModelOutput::Probabilities(probs)
            }
            FittedModel::Trees { trees, .. } => {
                let out = super::tree::predict_trees(trees, x);
                if out.ncols() == 1 {
                    ModelOutput::Values(out.column(0).to_vec())
                } else {
                    ModelOutput::Probabilities(out)
                }
            }
        }
    }

    /// The learned weight of every input feature (for "what drives the prediction").
    pub fn weights(&self) -> Vec<f64> {
        match self {
            FittedModel::Linear { coef, .. } => coef.clone(),
            FittedModel::Logistic { coef, .. } => {
                (0..self.n_inputs()).map(|j| coef.iter().map(|row| row[j].abs()).sum::<f64>()).collect()
            }
            // How often each feature is split on, as a share of all splits.
            FittedModel::Trees { n_features, trees, .. } => {
                let mut counts = vec![0.0; *n_features];
                for t in trees {
                    for &f in &t.feature {
                        if let Some(c) = counts.get_mut(f as usize) {
                            *c += 1.0;
                        }
                    }
                }
                let total: f64 = counts.iter().sum::<f64>().max(1.0);
                counts.iter().map(|c| c / total).collect()
            }
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Ordinary least squares with an intercept. Columns that are exact linear combinations of
/// others (e.g. a full one-hot block next to the intercept) get weight 0, which leaves the
/// predictions of the least-squares fit unchanged.
pub fn fit_linear(x: &Array2<f64>, y: &Array1<f64>) -> Result<FittedModel, TrainError> {
    let keep = independent_columns(x);
    let xs = x.select(Axis(1), &keep);
    let fitted = LinearRegression::new()
        .fit(&Dataset::new(xs, y.clone()))
        .map_err(|e| TrainError::Fit(format!("linear regression: {e}")))?;
    let mut coef = vec![0.0; x.ncols()];
    for (w, &j) in fitted.params().iter().zip(&keep) {
        coef[j] = *w;
    }
    if coef.iter().any(|w| !w.is_finite()) || !fitted.intercept().is_finite() {
        return Err(TrainError::Fit("linear regression diverged (non-finite weights)".into()));
    }
    Ok(FittedModel::Linear { coef, intercept: fitted.intercept() })
}

/// Greedy Gram–Schmidt over the columns (after a constant column for the intercept): keeps a
/// column only if it adds a new direction. Skipped for wide matrices, where it would be slow.
fn independent_columns(x: &Array2<f64>) -> Vec<usize> {
    let (n, p) = x.dim();
    if p > 200 || n == 0 {
        return (0..p).collect();
    }
    let mut basis: Vec<Array1<f64>> = vec![Array1::from_elem(n, 1.0 / (n as f64).sqrt())];
    let mut keep = Vec::with_capacity(p);
    for j in 0..p {
        let mut v = x.column(j).to_owned();
        let norm0 = v.dot(&v).sqrt();
        if norm0 == 0.0 {
            continue;
        }
        for b in &basis {
            let d = v.dot(b);
            v.scaled_add(-d, b);
        }
        let norm = v.dot(&v).sqrt();
        if norm > 1e-8 * norm0 {
            basis.push(v / norm);
            keep.push(j);
        }
    }
    keep
}

/// Logistic regression with L2 penalty `alpha` (= 1/C in scikit-learn terms), the intercept not
/// penalised; binary (one output for the last class) or multinomial. `y` holds class indices.
/// Fitted by L-BFGS over sparse rows (see [`super::logistic`]); scikit-learn's `tol=1e-4`.
pub fn fit_logistic(
    x: &crate::features::Csr,
    y: &Array1<usize>,
    n_classes: usize,
    alpha: f64,
) -> Result<FittedModel, TrainError> {
    let mut seen = vec![false; n_classes];
    for &c in y {
        seen[c] = true;
    }
    if seen.iter().filter(|&&s| s).count() < 2 {
        return Err(TrainError::OneClass);
    }
    let y: Vec<usize> = y.to_vec();
    let fitted = super::logistic::fit(x, &y, n_classes, alpha, 1000, 1e-4);
    if fitted.coef.iter().flatten().chain(&fitted.intercept).any(|w| !w.is_finite()) {
        return Err(TrainError::Fit("logistic regression diverged (non-finite weights)".into()));
    }
    Ok(FittedModel::Logistic { n_classes, coef: fitted.coef, intercept: fitted.intercept })
}
