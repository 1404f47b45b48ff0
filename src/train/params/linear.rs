//! Settings of the linear models (least squares with penalties, logistic regression, the
//! linear SVM) and of naive Bayes.

use super::{C_RANGE, Checked, ModelSettings, ParamKind, ParamSpec, Params, STRENGTH, model_settings, spec, stored};
use crate::train::{ModelKind, TrainError};

/// Ordinary least squares: no settings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinearSettings;

impl ModelSettings for LinearSettings {
    const MODEL: ModelKind = ModelKind::Linear;
    const SPECS: &'static [ParamSpec] = &[];

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        Checked::new::<Self>(p)?;
        Ok(LinearSettings)
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [])
    }
}

const RIDGE: &[ParamSpec] = &[spec(
    "alpha",
    STRENGTH,
    "1",
    "How strongly weights are pulled towards zero; larger = simpler model.",
    &["0.01", "0.1", "1", "10", "100"],
)];

model_settings!(
    /// Least squares with an L2 penalty.
    RidgeSettings for Ridge, specs RIDGE {
        /// Penalty strength.
        alpha: f64 = 1.0 => float,
    }
);

const LASSO: &[ParamSpec] = &[spec(
    "alpha",
    STRENGTH,
    "1",
    "How strongly weights are pushed to exactly zero; larger = fewer features used.",
    &["0.01", "0.1", "1", "10", "100"],
)];

model_settings!(
    /// Least squares with an L1 penalty.
    LassoSettings for Lasso, specs LASSO {
        /// Penalty strength.
        alpha: f64 = 1.0 => float,
    }
);

const ELASTIC_NET: &[ParamSpec] = &[
    spec("alpha", STRENGTH, "1", "Overall strength of the penalty on the weights.", &["0.001", "0.01", "0.1", "1"]),
    spec(
        "l1_ratio",
        ParamKind::Float { min: 0.0, max: 1.0, log: false },
        "0.5",
        "Mix of the two penalties: 0 = ridge (shrink), 1 = lasso (drop features).",
        &["0.1", "0.5", "0.9"],
    ),
];

model_settings!(
    /// Least squares with both penalties.
    ElasticNetSettings for ElasticNet, specs ELASTIC_NET {
        /// Overall penalty strength.
        alpha: f64 = 1.0 => float,
        /// Share of the L1 penalty (0 = ridge, 1 = lasso).
        l1_ratio: f64 = 0.5 => float,
    }
);

const LOGISTIC: &[ParamSpec] = &[
    spec(
        "c",
        C_RANGE,
        "1",
        "Inverse penalty strength: larger C fits the training rows more closely.",
        &["0.01", "0.1", "1", "10", "100"],
    ),
    super::CLASS_WEIGHT,
];

model_settings!(
    /// L2-regularised logistic regression.
    LogisticSettings for Logistic, specs LOGISTIC {
        /// Inverse penalty strength (scikit-learn's C).
        c: f64 = 1.0 => float,
        class_weight: super::ClassWeight = super::ClassWeight::None => choice,
    }
);

const SVM: &[ParamSpec] = &[
    spec(
        "c",
        C_RANGE,
        "1",
        "Inverse penalty strength: larger C tries harder to get every training row right.",
        &["0.01", "0.1", "1", "10"],
    ),
    super::CLASS_WEIGHT,
];

model_settings!(
    /// The linear support vector machine.
    SvmSettings for Svm, specs SVM {
        /// Inverse penalty strength.
        c: f64 = 1.0 => float,
        /// Classification only (regression ignores it).
        class_weight: super::ClassWeight = super::ClassWeight::None => choice,
    }
);

const NAIVE_BAYES: &[ParamSpec] = &[
    spec(
        "alpha",
        ParamKind::Float { min: 0.0, max: 100.0, log: false },
        "1",
        "Word-count smoothing for text: how much an unseen word is forgiven.",
        &["0.01", "0.1", "0.5", "1"],
    ),
    spec(
        "var_smoothing",
        ParamKind::Float { min: 0.0, max: 1.0, log: true },
        "1e-9",
        "Share of the largest variance added to every variance, for numeric columns.",
        &["1e-9", "1e-6", "1e-3"],
    ),
    super::CLASS_WEIGHT,
];

model_settings!(
    /// Gaussian / multinomial naive Bayes.
    NaiveBayesSettings for NaiveBayes, specs NAIVE_BAYES {
        /// Word-count (Laplace) smoothing.
        alpha: f64 = 1.0 => float,
        /// Share of the largest variance added to every variance.
        var_smoothing: f64 = 1e-9 => float,
        /// Balanced: every class gets the same prior (as class-weighted rows would give).
        class_weight: super::ClassWeight = super::ClassWeight::None => choice,
    }
);
