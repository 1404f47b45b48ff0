//! Settings of the tree models: one decision tree, the random forest and gradient boosting.

use super::{Checked, Choice, DEPTH, LEAF, ModelSettings, ParamKind, ParamSpec, Params, choice, spec, stored, word};
use crate::train::{ModelKind, TrainError};

const TREE: &[ParamSpec] = &[
    spec(
        "max_depth",
        DEPTH,
        "none",
        "Most questions asked on the way to an answer; none = until pure.",
        &["3", "5", "8", "12", "none"],
    ),
    spec(
        "min_samples_leaf",
        LEAF,
        "1",
        "Fewest training rows an answer (leaf) may rest on; larger = smoother.",
        &["1", "5", "20"],
    ),
];

/// One decision tree (CART).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TreeSettings {
    /// Deepest level (`None`: grow until the leaves are pure or too small).
    pub max_depth: Option<usize>,
    /// Fewest training rows a leaf may hold.
    pub min_samples_leaf: usize,
}

impl Default for TreeSettings {
    fn default() -> Self {
        TreeSettings { max_depth: None, min_samples_leaf: 1 }
    }
}

impl ModelSettings for TreeSettings {
    const MODEL: ModelKind = ModelKind::Tree;
    const SPECS: &'static [ParamSpec] = TREE;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(TreeSettings { max_depth: c.opt_int("max_depth")?, min_samples_leaf: c.int("min_samples_leaf")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("max_depth", self.max_depth.into()), ("min_samples_leaf", self.min_samples_leaf.into())])
    }
}

choice!(
    /// How many features each split of a forest's tree may look at.
    MaxFeatures {
        /// scikit-learn's default: all for regression, √p for classes.
        #[default]
        Auto = "auto",
        /// √p.
        Sqrt = "sqrt",
        /// A third of them (rounded up).
        Third = "third",
        /// All of them.
        All = "all",
    }
);

impl MaxFeatures {
    /// Features per split out of `p` (`None`: all), for a classification forest or not.
    pub fn per_split(self, p: usize, classes: bool) -> Option<usize> {
        let root = || Some((p as f64).sqrt().round() as usize);
        let n = match self {
            MaxFeatures::Sqrt => root(),
            MaxFeatures::Third => Some(p.div_ceil(3)),
            MaxFeatures::Auto if classes => root(),
            MaxFeatures::Auto | MaxFeatures::All => None,
        };
        n.map(|m| m.max(1))
    }
}

const FOREST: &[ParamSpec] = &[
    spec(
        "n_trees",
        ParamKind::Int { min: 1, max: 2000 },
        "100",
        "How many trees vote; more = steadier but slower.",
        &["50", "100", "200"],
    ),
    spec("max_depth", DEPTH, "none", "Deepest each tree may grow; none = until pure.", &["8", "16", "none"]),
    spec("min_samples_leaf", LEAF, "1", "Fewest training rows a leaf may rest on.", &["1", "3", "10"]),
    spec(
        "max_features",
        ParamKind::Choice(MaxFeatures::NAMES),
        "auto",
        "Features each split may look at: auto = all for numbers, sqrt for classes.",
        &["auto", "sqrt", "third"],
    ),
];

/// Trees on bootstrap samples, averaged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForestSettings {
    pub n_trees: usize,
    /// Deepest level of each tree (`None`: until pure).
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub max_features: MaxFeatures,
}

impl Default for ForestSettings {
    fn default() -> Self {
        ForestSettings { n_trees: 100, max_depth: None, min_samples_leaf: 1, max_features: MaxFeatures::Auto }
    }
}

impl ModelSettings for ForestSettings {
    const MODEL: ModelKind = ModelKind::RandomForest;
    const SPECS: &'static [ParamSpec] = FOREST;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(ForestSettings {
            n_trees: c.int("n_trees")?,
            max_depth: c.opt_int("max_depth")?,
            min_samples_leaf: c.int("min_samples_leaf")?,
            max_features: c.choice("max_features")?,
        })
    }

    fn to_params(&self) -> Params {
        stored(
            Self::MODEL,
            [
                ("n_trees", self.n_trees.into()),
                ("max_depth", self.max_depth.into()),
                ("min_samples_leaf", self.min_samples_leaf.into()),
                ("max_features", word(self.max_features)),
            ],
        )
    }
}

const BOOSTING: &[ParamSpec] = &[
    spec(
        "n_trees",
        ParamKind::Int { min: 1, max: 5000 },
        "100",
        "Rounds of boosting: each new tree fixes the last ones' errors.",
        &["50", "100", "300"],
    ),
    spec(
        "learning_rate",
        ParamKind::Float { min: 1e-4, max: 1.0, log: true },
        "0.1",
        "How much each tree's correction counts; smaller needs more trees but overfits less.",
        &["0.03", "0.1", "0.3"],
    ),
    spec("max_depth", ParamKind::Int { min: 1, max: 16 }, "3", "Depth of each small tree.", &["2", "3", "5"]),
    spec(
        "subsample",
        ParamKind::Float { min: 0.05, max: 1.0, log: false },
        "1",
        "Share of training rows each tree sees; below 1 adds randomness that can generalise better.",
        &["0.7", "1"],
    ),
];

/// Gradient boosting: small trees added one after another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoostingSettings {
    pub n_trees: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    /// Share of the training rows each tree sees.
    pub subsample: f64,
}

impl Default for BoostingSettings {
    fn default() -> Self {
        BoostingSettings { n_trees: 100, learning_rate: 0.1, max_depth: 3, subsample: 1.0 }
    }
}

impl ModelSettings for BoostingSettings {
    const MODEL: ModelKind = ModelKind::GradientBoosting;
    const SPECS: &'static [ParamSpec] = BOOSTING;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(BoostingSettings {
            n_trees: c.int("n_trees")?,
            learning_rate: c.float("learning_rate")?,
            max_depth: c.int("max_depth")?,
            subsample: c.float("subsample")?,
        })
    }

    fn to_params(&self) -> Params {
        stored(
            Self::MODEL,
            [
                ("n_trees", self.n_trees.into()),
                ("learning_rate", self.learning_rate.into()),
                ("max_depth", self.max_depth.into()),
                ("subsample", self.subsample.into()),
            ],
        )
    }
}
