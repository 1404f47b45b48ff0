//! The model zoo: names, what each model can learn, and the fitted models (`fit_model`, in
//! `fit.rs`, fits any of them).
//! Fitted models are plain numbers (our own serde types), so a bundle does not depend on a
//! library's internal layout.

use super::bayes::NaiveBayes;
use super::boosting::Boosted;
use super::factorization::MatrixFactorization;
use super::kmeans::KMeans;
use super::knn::Knn;
use super::mlp::Mlp;
use super::svm::LinearSvm;
use super::{Task, TrainError};
use crate::features::Csr;
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
    "hist_gradient_boosting",
    "naive_bayes",
    "knn",
    "svm",
    "mlp",
    "kmeans",
    "matrix_factorization",
    "ensemble",
];

/// The models that can be trained today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Ordinary least squares (regression).
    Linear,
    /// Least squares with an L2 penalty (regression).
    Ridge,
    /// Least squares with an L1 penalty (regression).
    Lasso,
    /// Least squares with both penalties (regression).
    ElasticNet,
    /// L2-regularised logistic regression, binary or multinomial (classification).
    Logistic,
    /// One decision tree (CART), regression or classification.
    Tree,
    /// Trees on bootstrap samples, averaged (regression or classification).
    RandomForest,
    /// Small trees added one after another, each fixing the last ones' errors.
    GradientBoosting,
    /// Boosting the LightGBM way: binned features, trees grown leaf by leaf, categories and
    /// missing values handled natively, early stopping.
    HistGradientBoosting,
    /// Gaussian / multinomial naive Bayes (classification).
    NaiveBayes,
    /// k-nearest neighbours.
    Knn,
    /// Linear support vector machine.
    Svm,
    /// k-means clustering: groups rows without a target.
    KMeans,
    /// A multilayer perceptron (neural network), trained on the GPU when there is one.
    Mlp,
    /// Matrix factorisation: ratings from user and item "taste" vectors (recommendation).
    MatrixFactorization,
    /// The average of several models' answers (see [`super::ensemble`]).
    Ensemble,
}

impl ModelKind {
    pub const ALL: [ModelKind; 16] = [
        ModelKind::Linear,
        ModelKind::Ridge,
        ModelKind::Lasso,
        ModelKind::ElasticNet,
        ModelKind::Logistic,
        ModelKind::NaiveBayes,
        ModelKind::Knn,
        ModelKind::Svm,
        ModelKind::Tree,
        ModelKind::RandomForest,
        ModelKind::GradientBoosting,
        ModelKind::HistGradientBoosting,
        ModelKind::Mlp,
        ModelKind::KMeans,
        ModelKind::MatrixFactorization,
        ModelKind::Ensemble,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Ridge => "ridge",
            ModelKind::Lasso => "lasso",
            ModelKind::ElasticNet => "elastic_net",
            ModelKind::Logistic => "logistic",
            ModelKind::Tree => "tree",
            ModelKind::RandomForest => "random_forest",
            ModelKind::GradientBoosting => "gradient_boosting",
            ModelKind::HistGradientBoosting => "hist_gradient_boosting",
            ModelKind::NaiveBayes => "naive_bayes",
            ModelKind::Knn => "knn",
            ModelKind::Svm => "svm",
            ModelKind::KMeans => "kmeans",
            ModelKind::Mlp => "mlp",
            ModelKind::MatrixFactorization => "matrix_factorization",
            ModelKind::Ensemble => "ensemble",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            ModelKind::Linear => "Linear regression",
            ModelKind::Ridge => "Ridge regression",
            ModelKind::Lasso => "Lasso regression",
            ModelKind::ElasticNet => "Elastic net",
            ModelKind::Logistic => "Logistic regression",
            ModelKind::Tree => "Decision tree",
            ModelKind::RandomForest => "Random forest",
            ModelKind::GradientBoosting => "Gradient boosting",
            ModelKind::HistGradientBoosting => "Histogram gradient boosting",
            ModelKind::NaiveBayes => "Naive Bayes",
            ModelKind::Knn => "Nearest neighbours",
            ModelKind::Svm => "Linear SVM",
            ModelKind::KMeans => "k-means clustering",
            ModelKind::Mlp => "Neural network (MLP)",
            ModelKind::MatrixFactorization => "Matrix factorisation",
            ModelKind::Ensemble => "Averaged ensemble",
        }
    }

    /// One line on how the model decides, for beginners.
    pub fn explain(self) -> &'static str {
        match self {
            ModelKind::Linear => "Adds up each feature times a learned weight.",
            ModelKind::Ridge => "A linear model whose weights are kept small, so no feature dominates.",
            ModelKind::Lasso => "A linear model that sets unhelpful features' weights to exactly zero.",
            ModelKind::ElasticNet => "A linear model mixing ridge's shrinking and lasso's feature dropping.",
            ModelKind::Logistic => "Weighs the features into a probability for each class.",
            ModelKind::Tree => "Asks yes/no questions about the features, like a flow chart.",
            ModelKind::RandomForest => "Many trees, each on a random sample of rows, vote together.",
            ModelKind::GradientBoosting => "Small trees added one by one, each correcting the errors so far.",
            ModelKind::HistGradientBoosting => {
                "Boosted trees the fast way: values sorted into bins, categories and gaps handled as they are."
            }
            ModelKind::NaiveBayes => "Counts how typical each feature value is of each class.",
            ModelKind::Knn => "Answers like the most similar training rows did.",
            ModelKind::Svm => "Draws the straight boundary with the widest margin between classes.",
            ModelKind::KMeans => "Finds k groups of similar rows on its own, without a target to learn.",
            ModelKind::Mlp => "Layers of weighted sums and bends learn curved patterns, step by step over the data.",
            ModelKind::MatrixFactorization => {
                "Learns a few 'taste' numbers per user and per item; a rating is how well they match."
            }
            ModelKind::Ensemble => {
                "Several different models answer and their answers are averaged; their mistakes partly cancel out."
            }
        }
    }

    /// Whether the model can learn this task.
    pub fn supports(self, task: Task) -> bool {
        match self {
            ModelKind::Linear | ModelKind::Ridge | ModelKind::Lasso | ModelKind::ElasticNet => task == Task::Regression,
            ModelKind::Logistic | ModelKind::NaiveBayes => task == Task::Classification,
            ModelKind::KMeans => task == Task::Clustering,
            ModelKind::MatrixFactorization => task == Task::Recommendation,
            ModelKind::Tree
            | ModelKind::RandomForest
            | ModelKind::GradientBoosting
            | ModelKind::HistGradientBoosting
            | ModelKind::Knn
            | ModelKind::Svm
            | ModelKind::Mlp
            | ModelKind::Ensemble => matches!(task, Task::Regression | Task::Classification),
        }
    }

    /// The tasks it can learn, in words.
    pub fn tasks_label(self) -> &'static str {
        match self {
            ModelKind::KMeans => return "clustering",
            ModelKind::MatrixFactorization => return "recommendation",
            _ => {}
        }
        match (self.supports(Task::Regression), self.supports(Task::Classification)) {
            (true, true) => "regression and classification",
            (true, false) => "regression",
            _ => "classification",
        }
    }

    /// Whether it reads the features as sparse rows (good for wide TF-IDF text) rather than a
    /// dense matrix.
    pub fn reads_sparse(self) -> bool {
        !matches!(
            self,
            ModelKind::Linear
                | ModelKind::Tree
                | ModelKind::RandomForest
                | ModelKind::GradientBoosting
                | ModelKind::HistGradientBoosting
                | ModelKind::MatrixFactorization
        )
    }

    /// Tree models: a tree, a forest, boosting.
    pub fn is_tree(self) -> bool {
        matches!(
            self,
            ModelKind::Tree | ModelKind::RandomForest | ModelKind::GradientBoosting | ModelKind::HistGradientBoosting
        )
    }

    /// The default model for a task.
    pub fn default_for(task: Task) -> ModelKind {
        match task {
            Task::Regression => ModelKind::Linear,
            Task::Classification => ModelKind::Logistic,
            Task::Clustering => ModelKind::KMeans,
            Task::Recommendation => ModelKind::MatrixFactorization,
            Task::Forecast => ModelKind::Ridge,
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
    /// Linear, ridge, lasso or elastic net.
    Linear {
        #[serde(default = "linear_kind")]
        model: ModelKind,
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
        #[serde(with = "super::tree_codec")]
        trees: Vec<super::tree::Tree>,
    },
    Boosted(Boosted),
    NaiveBayes(NaiveBayes),
    Knn(Knn),
    Svm(LinearSvm),
    KMeans(KMeans),
    Mlp(Box<Mlp>),
    Factorization(MatrixFactorization),
    /// Several fitted models on the same features, their outputs averaged.
    Ensemble(Box<super::ensemble::Ensemble>),
}

fn linear_kind() -> ModelKind {
    ModelKind::Linear
}

/// What a model outputs for a batch of rows.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelOutput {
    Values(Vec<f64>),
    /// Rows × classes, each row summing to 1.
    Probabilities(Array2<f64>),
}

impl ModelOutput {
    /// One column of numbers is a regression answer; more columns are class probabilities.
    fn from_columns(out: Array2<f64>) -> ModelOutput {
        if out.ncols() == 1 { ModelOutput::Values(out.column(0).to_vec()) } else { ModelOutput::Probabilities(out) }
    }
}

impl FittedModel {
    pub fn kind(&self) -> ModelKind {
        match self {
            FittedModel::Linear { model, .. } => *model,
            FittedModel::Logistic { .. } => ModelKind::Logistic,
            FittedModel::Trees { model, .. } => *model,
            FittedModel::Boosted(m) if m.histogram => ModelKind::HistGradientBoosting,
            FittedModel::Boosted(_) => ModelKind::GradientBoosting,
            FittedModel::NaiveBayes(_) => ModelKind::NaiveBayes,
            FittedModel::Knn(_) => ModelKind::Knn,
            FittedModel::Svm(_) => ModelKind::Svm,
            FittedModel::KMeans(_) => ModelKind::KMeans,
            FittedModel::Mlp(_) => ModelKind::Mlp,
            FittedModel::Factorization(_) => ModelKind::MatrixFactorization,
            FittedModel::Ensemble(_) => ModelKind::Ensemble,
        }
    }

    pub fn n_inputs(&self) -> usize {
        match self {
            FittedModel::Linear { coef, .. } => coef.len(),
            FittedModel::Logistic { coef, .. } => coef.first().map_or(0, Vec::len),
            FittedModel::Trees { n_features, .. } => *n_features,
            FittedModel::Boosted(m) => m.n_features,
            FittedModel::NaiveBayes(m) => m.n_features,
            FittedModel::Knn(m) => m.n_features(),
            FittedModel::Svm(m) => m.n_features(),
            FittedModel::KMeans(m) => m.n_features(),
            FittedModel::Mlp(m) => m.n_features(),
            FittedModel::Factorization(_) => 2,
            FittedModel::Ensemble(e) => e.members.first().map_or(0, |m| m.fitted.n_inputs()),
        }
    }

    pub fn predict(&self, x: &Array2<f64>) -> ModelOutput {
        match self {
            FittedModel::Linear { coef, intercept, .. } => {
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
                        if let Some(r) = row.as_slice_mut() {
                            softmax_in_place(r);
                        }
                    }
                    z
                };
                assert_eq!(probs.ncols(), *n_classes);
                ModelOutput::Probabilities(probs)
            }
            FittedModel::Trees { trees, .. } => ModelOutput::from_columns(super::tree::predict_trees(trees, x)),
            FittedModel::Boosted(m) => ModelOutput::from_columns(m.predict(x)),
            FittedModel::NaiveBayes(m) => ModelOutput::Probabilities(m.predict(x)),
            FittedModel::Knn(m) => ModelOutput::from_columns(m.predict(x)),
            FittedModel::Svm(m) => ModelOutput::from_columns(m.predict(x)),
            FittedModel::Mlp(m) => ModelOutput::from_columns(m.predict(x)),
            FittedModel::Factorization(m) => ModelOutput::Values(m.predict(x)),
            FittedModel::Ensemble(e) => e.predict(x),
            // Each row belongs to its nearest centre: probability 1 for that cluster.
            FittedModel::KMeans(m) => {
                let assigned = m.assign(x);
                let k = m.centers.len().max(1);
                ModelOutput::Probabilities(Array2::from_shape_fn((x.nrows(), k), |(r, c)| {
                    if assigned[r] == c { 1.0 } else { 0.0 }
                }))
            }
        }
    }

    /// The learned weight of every input feature (for "what drives the prediction"): signed
    /// weights for linear models, else a non-negative share of how much each feature is used.
    pub fn weights(&self) -> Vec<f64> {
        let share = |counts: Vec<f64>| {
            let total: f64 = counts.iter().sum::<f64>().max(1e-300);
            counts.iter().map(|c| c / total).collect()
        };
        let summed = |coef: &[Vec<f64>]| -> Vec<f64> {
            (0..self.n_inputs()).map(|j| coef.iter().map(|row| row[j].abs()).sum::<f64>()).collect()
        };
        match self {
            FittedModel::Linear { coef, .. } => coef.clone(),
            FittedModel::Logistic { coef, .. } => summed(coef),
            FittedModel::Svm(m) => summed(&m.coef),
            FittedModel::Mlp(m) => share(m.input_weights()),
            FittedModel::Factorization(m) => share(m.spread()),
            FittedModel::Ensemble(e) => e.weights(),
            // How often each feature is split on, as a share of all splits.
            FittedModel::Trees { n_features, trees, .. } => {
                let mut counts = vec![0.0; *n_features];
                trees.iter().for_each(|t| t.count_splits(&mut counts));
                share(counts)
            }
            FittedModel::Boosted(m) => share(m.split_counts()),
            FittedModel::NaiveBayes(m) => share(m.separation()),
            // kNN has no weights: every feature counts the same in the distance.
            FittedModel::Knn(m) => vec![1.0 / m.n_features().max(1) as f64; m.n_features()],
            // How far apart the centres are along each feature: what separates the clusters.
            FittedModel::KMeans(m) => share(
                (0..m.n_features())
                    .map(|j| {
                        let k = m.centers.len().max(1) as f64;
                        let mean = m.centers.iter().map(|c| c[j]).sum::<f64>() / k;
                        m.centers.iter().map(|c| (c[j] - mean).powi(2)).sum::<f64>() / k
                    })
                    .collect(),
            ),
        }
    }
}

pub(super) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Turns scores into probabilities summing to 1 (shifted by the largest, so it cannot overflow).
pub(super) fn softmax_in_place(v: &mut [f64]) {
    let m = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    v.iter_mut().for_each(|x| *x = (*x - m).exp());
    let s: f64 = v.iter().sum();
    v.iter_mut().for_each(|x| *x /= s);
}

/// What a model learns from: numbers, or class indices with the number of classes.
#[derive(Clone, Copy)]
pub enum FitTarget<'a> {
    Numbers(&'a [f64]),
    Classes(&'a [usize], usize),
    /// Clustering: no target.
    Unlabelled,
}

/// The training rows in the form(s) the model reads.
pub struct FitInput<'a> {
    /// Dense rows (every model but the sparse readers).
    pub dense: Option<&'a Array2<f64>>,
    /// Sparse rows (see [`ModelKind::reads_sparse`]).
    pub sparse: Option<&'a Csr>,
    /// Features that are word weights or one-hot indicators of a text dataset (naive Bayes
    /// models these as counts).
    pub count_features: &'a [bool],
    /// Features that hold a category's number (the recipe's "one number" encoding), which
    /// histogram boosting splits on as categories.
    pub categorical: &'a [bool],
}
