//! Settings of the linear models (least squares with penalties, logistic regression, the
//! linear SVM) and of naive Bayes.

use super::{C_RANGE, Checked, ModelSettings, ParamKind, ParamSpec, Params, STRENGTH, spec, stored};
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

/// Least squares with an L2 penalty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RidgeSettings {
    /// Penalty strength.
    pub alpha: f64,
}

impl Default for RidgeSettings {
    fn default() -> Self {
        RidgeSettings { alpha: 1.0 }
    }
}

impl ModelSettings for RidgeSettings {
    const MODEL: ModelKind = ModelKind::Ridge;
    const SPECS: &'static [ParamSpec] = RIDGE;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(RidgeSettings { alpha: c.float("alpha")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("alpha", self.alpha.into())])
    }
}

const LASSO: &[ParamSpec] = &[spec(
    "alpha",
    STRENGTH,
    "1",
    "How strongly weights are pushed to exactly zero; larger = fewer features used.",
    &["0.01", "0.1", "1", "10", "100"],
)];

/// Least squares with an L1 penalty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LassoSettings {
    /// Penalty strength.
    pub alpha: f64,
}

impl Default for LassoSettings {
    fn default() -> Self {
        LassoSettings { alpha: 1.0 }
    }
}

impl ModelSettings for LassoSettings {
    const MODEL: ModelKind = ModelKind::Lasso;
    const SPECS: &'static [ParamSpec] = LASSO;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(LassoSettings { alpha: c.float("alpha")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("alpha", self.alpha.into())])
    }
}

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

/// Least squares with both penalties.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ElasticNetSettings {
    /// Overall penalty strength.
    pub alpha: f64,
    /// Share of the L1 penalty (0 = ridge, 1 = lasso).
    pub l1_ratio: f64,
}

impl Default for ElasticNetSettings {
    fn default() -> Self {
        ElasticNetSettings { alpha: 1.0, l1_ratio: 0.5 }
    }
}

impl ModelSettings for ElasticNetSettings {
    const MODEL: ModelKind = ModelKind::ElasticNet;
    const SPECS: &'static [ParamSpec] = ELASTIC_NET;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(ElasticNetSettings { alpha: c.float("alpha")?, l1_ratio: c.float("l1_ratio")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("alpha", self.alpha.into()), ("l1_ratio", self.l1_ratio.into())])
    }
}

const LOGISTIC: &[ParamSpec] = &[spec(
    "c",
    C_RANGE,
    "1",
    "Inverse penalty strength: larger C fits the training rows more closely.",
    &["0.01", "0.1", "1", "10", "100"],
)];

/// L2-regularised logistic regression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticSettings {
    /// Inverse penalty strength (scikit-learn's C).
    pub c: f64,
}

impl Default for LogisticSettings {
    fn default() -> Self {
        LogisticSettings { c: 1.0 }
    }
}

impl ModelSettings for LogisticSettings {
    const MODEL: ModelKind = ModelKind::Logistic;
    const SPECS: &'static [ParamSpec] = LOGISTIC;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(LogisticSettings { c: c.float("c")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("c", self.c.into())])
    }
}

const SVM: &[ParamSpec] = &[spec(
    "c",
    C_RANGE,
    "1",
    "Inverse penalty strength: larger C tries harder to get every training row right.",
    &["0.01", "0.1", "1", "10"],
)];

/// The linear support vector machine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvmSettings {
    /// Inverse penalty strength.
    pub c: f64,
}

impl Default for SvmSettings {
    fn default() -> Self {
        SvmSettings { c: 1.0 }
    }
}

impl ModelSettings for SvmSettings {
    const MODEL: ModelKind = ModelKind::Svm;
    const SPECS: &'static [ParamSpec] = SVM;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(SvmSettings { c: c.float("c")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("c", self.c.into())])
    }
}

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
];

/// Gaussian / multinomial naive Bayes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NaiveBayesSettings {
    /// Word-count (Laplace) smoothing.
    pub alpha: f64,
    /// Share of the largest variance added to every variance.
    pub var_smoothing: f64,
}

impl Default for NaiveBayesSettings {
    fn default() -> Self {
        NaiveBayesSettings { alpha: 1.0, var_smoothing: 1e-9 }
    }
}

impl ModelSettings for NaiveBayesSettings {
    const MODEL: ModelKind = ModelKind::NaiveBayes;
    const SPECS: &'static [ParamSpec] = NAIVE_BAYES;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(NaiveBayesSettings { alpha: c.float("alpha")?, var_smoothing: c.float("var_smoothing")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("alpha", self.alpha.into()), ("var_smoothing", self.var_smoothing.into())])
    }
}
