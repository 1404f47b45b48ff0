//! `fit_model`: fits any model of the zoo from its typed [`Settings`] and the training rows,
//! one function per model family.

use super::bayes;
use super::boosting::{self, BoostParams, BoostTarget};
use super::factorization::{self, MfParams};
use super::hist_boost::{self, HistParams, HistTarget};
use super::kmeans;
use super::knn::Knn;
use super::mlp::{self, FitControl};
use super::models::{FitInput, FitTarget, FittedModel};
use super::params::{FactorizationSettings, KnnWeights, MaxFeatures, Settings};
use super::svm;
use super::tree::{self, TreeParams};
use super::{ModelKind, Task, TrainError, linear};
use crate::features::Csr;
use ndarray::{Array1, Array2};

/// Fits the model `settings` describe.
pub fn fit_model(
    settings: &Settings,
    input: &FitInput,
    y: FitTarget,
    seed: u64,
    ctl: &mut FitControl,
) -> Result<FittedModel, TrainError> {
    let kind = settings.model();
    if let FitTarget::Classes(c, k) = &y {
        let mut seen = vec![false; *k];
        c.iter().for_each(|&ci| seen[ci] = true);
        if seen.iter().filter(|&&s| s).count() < 2 {
            return Err(TrainError::OneClass);
        }
    }
    let on_gpu = ctl.device == crate::gpu::DeviceChoice::Gpu;
    let rows = Rows { kind, input };
    Ok(match (settings, y) {
        // The neural network; linear/logistic regression too when the GPU is asked for (by
        // mini-batch gradient descent rather than the exact CPU solvers).
        (Settings::Mlp(_), y) | (Settings::Linear(_) | Settings::Logistic(_), y)
            if kind == ModelKind::Mlp || on_gpu =>
        {
            let x = mlp::dense_f32(input.dense, input.sparse).ok_or_else(|| rows.missing())?;
            return mlp::fit(settings, x, y, seed, ctl);
        }
        (Settings::Tree(s), y) => fit_trees(&rows, y, (s.max_depth, s.min_samples_leaf, s.class_weight), None, seed)?,
        (Settings::RandomForest(s), y) => {
            let forest = (s.n_trees, s.max_features);
            fit_trees(&rows, y, (s.max_depth, s.min_samples_leaf, s.class_weight), Some(forest), seed)?
        }
        (Settings::GradientBoosting(s), y) => {
            let bp = BoostParams {
                n_trees: s.n_trees,
                learning_rate: s.learning_rate,
                max_depth: s.max_depth,
                subsample: s.subsample,
            };
            let weights = match y {
                FitTarget::Classes(c, k) => s.class_weight.weights(c, k),
                _ => vec![],
            };
            let target = match y {
                FitTarget::Numbers(v) => BoostTarget::Numbers(v),
                FitTarget::Classes(c, k) => BoostTarget::Classes(c, k, &weights),
                FitTarget::Unlabelled => return Err(rows.mismatch()),
            };
            FittedModel::Boosted(boosting::fit(rows.trees()?, target, &bp, seed, ctl.cancelled))
        }
        (Settings::HistGradientBoosting(s), y) => {
            let hp = HistParams {
                n_trees: s.n_trees,
                learning_rate: s.learning_rate,
                max_leaf_nodes: s.max_leaf_nodes,
                max_depth: s.max_depth,
                min_samples_leaf: s.min_samples_leaf,
                l2: s.l2_regularization,
                max_bins: s.max_bins,
                subsample: s.subsample,
                colsample: s.colsample,
                early_stopping: s.early_stopping.enabled(),
                ..HistParams::default()
            };
            let weights = match y {
                FitTarget::Classes(c, k) => s.class_weight.weights(c, k),
                _ => vec![],
            };
            let target = match y {
                FitTarget::Numbers(v) => HistTarget::Numbers(v),
                FitTarget::Classes(c, k) => HistTarget::Classes(c, k, &weights),
                FitTarget::Unlabelled => return Err(rows.mismatch()),
            };
            let x = rows.trees()?;
            let (model, _) = hist_boost::fit(x, input.categorical, target, &hp, seed, ctl.cancelled);
            FittedModel::Boosted(model)
        }
        (Settings::Knn(s), y) => {
            let (values, n_classes, class_weights) = match y {
                FitTarget::Numbers(v) => (v.to_vec(), 0, vec![]),
                FitTarget::Classes(c, k) => (c.iter().map(|&v| v as f64).collect(), k, s.class_weight.weights(c, k)),
                FitTarget::Unlabelled => return Err(rows.mismatch()),
            };
            FittedModel::Knn(Knn {
                k: s.k,
                distance_weighted: s.weights == KnnWeights::Distance,
                rows: rows.sparse()?.clone(),
                y: values,
                n_classes,
                class_weights,
                index: Default::default(),
            })
        }
        (Settings::MatrixFactorization(s), FitTarget::Numbers(v)) => fit_factorization(rows.dense()?, v, s, seed, ctl)?,
        (Settings::KMeans(s), FitTarget::Unlabelled) => {
            FittedModel::KMeans(kmeans::fit(rows.sparse()?, s.k, s.n_init, seed))
        }
        (settings, y) => fit_linear_family(&rows, settings, y, seed)?,
    })
}

/// The training rows of one fit, in the forms the models read, and the errors they share.
struct Rows<'a, 'b> {
    kind: ModelKind,
    input: &'a FitInput<'b>,
}

impl<'b> Rows<'_, 'b> {
    fn missing(&self) -> TrainError {
        TrainError::Fit(format!("{}: the feature rows were not prepared", self.kind.display_name()))
    }

    fn dense(&self) -> Result<&'b Array2<f64>, TrainError> {
        self.input.dense.ok_or_else(|| self.missing())
    }

    fn sparse(&self) -> Result<&'b Csr, TrainError> {
        self.input.sparse.ok_or_else(|| self.missing())
    }

    /// The rows a tree model reads: sparse when given (text), else dense.
    fn trees(&self) -> Result<tree::Features<'b>, TrainError> {
        self.input
            .sparse
            .map(tree::Features::Sparse)
            .or(self.input.dense.map(tree::Features::Dense))
            .ok_or_else(|| self.missing())
    }

    /// The model cannot learn this kind of target (regression or clustering).
    fn mismatch(&self) -> TrainError {
        TrainError::TaskMismatch {
            name: self.kind.name(),
            model_task: self.kind.tasks_label(),
            task: if self.kind.supports(Task::Regression) { "clustering" } else { "regression" },
        }
    }
}

/// One decision tree, or (with `forest`: its tree count and features per split) a forest.
fn fit_trees(
    rows: &Rows,
    y: FitTarget,
    (max_depth, min_samples_leaf, class_weight): (Option<usize>, usize, super::params::ClassWeight),
    forest: Option<(usize, MaxFeatures)>,
    seed: u64,
) -> Result<FittedModel, TrainError> {
    // Text data comes as sparse rows; other data as a dense matrix.
    let x = rows.trees()?;
    let p = x.ncols();
    let weights = match y {
        FitTarget::Classes(c, k) => class_weight.weights(c, k),
        _ => vec![],
    };
    let target = match y {
        FitTarget::Numbers(v) => tree::Target::Numbers(v),
        FitTarget::Classes(c, k) => tree::Target::Classes(c, k, &weights),
        FitTarget::Unlabelled => return Err(rows.mismatch()),
    };
    let tp = TreeParams { max_depth, min_samples_leaf, max_features: None };
    let trees = match forest {
        None => vec![tree::single_tree(x, target, &tp, seed)],
        Some((n_trees, max_features)) => {
            let classes = matches!(target, tree::Target::Classes(..));
            let tp = TreeParams { max_features: max_features.per_split(p, classes), ..tp };
            tree::forest(x, target, n_trees, &tp, seed)
        }
    };
    Ok(FittedModel::Trees { model: rows.kind, n_features: p, trees })
}

/// Matrix factorisation on (user index, item index) rows.
fn fit_factorization(
    x: &Array2<f64>,
    v: &[f64],
    s: &FactorizationSettings,
    seed: u64,
    ctl: &mut FitControl,
) -> Result<FittedModel, TrainError> {
    if x.ncols() != 2 {
        return Err(TrainError::Fit(format!(
            "matrix factorisation reads two features, the user and the item as index numbers \
             (the recipe's \"category numbers\" encoding of each); this recipe makes {}",
            x.ncols()
        )));
    }
    let p = MfParams {
        factors: s.factors,
        epochs: s.epochs,
        learning_rate: s.learning_rate,
        regularization: s.regularization,
    };
    Ok(FittedModel::Factorization(factorization::fit(x, v, &p, seed, ctl)?))
}

/// The linear models, naive Bayes and the SVM on the CPU; any other model with a target it
/// cannot learn is refused here.
fn fit_linear_family(rows: &Rows, settings: &Settings, y: FitTarget, seed: u64) -> Result<FittedModel, TrainError> {
    let kind = rows.kind;
    let linear = |(coef, intercept): (Vec<f64>, f64)| FittedModel::Linear { model: kind, coef, intercept };
    Ok(match (settings, y) {
        (Settings::Linear(_), FitTarget::Numbers(v)) => match (rows.input.dense, rows.input.sparse) {
            (Some(x), _) => linear(linear::fit_ols(x, &Array1::from(v.to_vec()))?),
            (None, Some(x)) => linear(linear::fit_ols_sparse(x, v)?),
            (None, None) => return Err(rows.missing()),
        },
        (Settings::Ridge(s), FitTarget::Numbers(v)) => linear(linear::fit_ridge(rows.sparse()?, v, s.alpha)?),
        (Settings::Lasso(s), FitTarget::Numbers(v)) => {
            linear(linear::fit_elastic_net(rows.sparse()?, v, s.alpha, 1.0, 1000, 1e-4)?)
        }
        (Settings::ElasticNet(s), FitTarget::Numbers(v)) => {
            linear(linear::fit_elastic_net(rows.sparse()?, v, s.alpha, s.l1_ratio, 1000, 1e-4)?)
        }
        (Settings::Logistic(s), FitTarget::Classes(c, k)) => {
            let weights = s.class_weight.weights(c, k);
            let fitted = super::logistic::fit(rows.sparse()?, c, k, 1.0 / s.c, (1000, 1e-4), &weights);
            if fitted.coef.iter().flatten().chain(&fitted.intercept).any(|w| !w.is_finite()) {
                return Err(TrainError::Fit("logistic regression diverged (non-finite weights)".into()));
            }
            FittedModel::Logistic { n_classes: k, coef: fitted.coef, intercept: fitted.intercept }
        }
        (Settings::NaiveBayes(s), FitTarget::Classes(c, k)) => {
            let mut nb = bayes::fit(rows.sparse()?, c, k, rows.input.count_features, s.alpha, s.var_smoothing);
            // Weighted rows weigh the priors (a class's rows all share its weight, so its means,
            // variances and word counts keep their proportions): balanced = equal priors.
            let weights = s.class_weight.weights(c, k);
            if !weights.is_empty() {
                let weighted: Vec<f64> = nb.class_log_prior.iter().zip(&weights).map(|(l, w)| l.exp() * w).collect();
                let total = weighted.iter().sum::<f64>().max(1e-300);
                nb.class_log_prior = weighted.iter().map(|v| (v / total).max(1e-300).ln()).collect();
            }
            FittedModel::NaiveBayes(nb)
        }
        (Settings::Svm(s), FitTarget::Numbers(v)) => FittedModel::Svm(svm::fit_regressor(rows.sparse()?, v, s.c, seed)),
        (Settings::Svm(s), FitTarget::Classes(c, k)) => {
            FittedModel::Svm(svm::fit_classifier(rows.sparse()?, c, k, s.c, &s.class_weight.weights(c, k), seed))
        }
        (_, FitTarget::Classes(..)) => {
            return Err(TrainError::TaskMismatch {
                name: kind.name(),
                model_task: kind.tasks_label(),
                task: "classification",
            });
        }
        _ => return Err(rows.mismatch()),
    })
}
