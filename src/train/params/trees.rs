//! Settings of the tree models: one decision tree, the random forest and gradient boosting.

use super::{CLASS_WEIGHT, Choice, ClassWeight, DEPTH, LEAF, ParamKind, ParamSpec, choice, model_settings, spec};

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
    CLASS_WEIGHT,
];

model_settings!(
    /// One decision tree (CART).
    TreeSettings for Tree, specs TREE {
        /// Deepest level (`None`: grow until the leaves are pure or too small).
        max_depth: Option<usize> = None => opt_int,
        /// Fewest training rows a leaf may hold.
        min_samples_leaf: usize = 1 => int,
        class_weight: ClassWeight = ClassWeight::None => choice,
    }
);

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
    CLASS_WEIGHT,
];

model_settings!(
    /// Trees on bootstrap samples, averaged.
    ForestSettings for RandomForest, specs FOREST {
        n_trees: usize = 100 => int,
        /// Deepest level of each tree (`None`: until pure).
        max_depth: Option<usize> = None => opt_int,
        min_samples_leaf: usize = 1 => int,
        max_features: MaxFeatures = MaxFeatures::Auto => choice,
        class_weight: ClassWeight = ClassWeight::None => choice,
    }
);

/// Both boosted models' learning rate.
const LEARNING_RATE: ParamSpec = spec(
    "learning_rate",
    ParamKind::Float { min: 1e-4, max: 1.0, log: true },
    "0.1",
    "How much each tree's correction counts; smaller needs more trees but overfits less.",
    &["0.03", "0.1", "0.3"],
);

const BOOSTING: &[ParamSpec] = &[
    spec(
        "n_trees",
        ParamKind::Int { min: 1, max: 5000 },
        "100",
        "Rounds of boosting: each new tree fixes the last ones' errors.",
        &["50", "100", "300"],
    ),
    LEARNING_RATE,
    spec("max_depth", ParamKind::Int { min: 1, max: 16 }, "3", "Depth of each small tree.", &["2", "3", "5"]),
    spec(
        "subsample",
        ParamKind::Float { min: 0.05, max: 1.0, log: false },
        "1",
        "Share of training rows each tree sees; below 1 adds randomness that can generalise better.",
        &["0.7", "1"],
    ),
    CLASS_WEIGHT,
];

model_settings!(
    /// Gradient boosting: small trees added one after another.
    BoostingSettings for GradientBoosting, specs BOOSTING {
        n_trees: usize = 100 => int,
        learning_rate: f64 = 0.1 => float,
        max_depth: usize = 3 => int,
        /// Share of the training rows each tree sees.
        subsample: f64 = 1.0 => float,
        class_weight: ClassWeight = ClassWeight::None => choice,
    }
);

choice!(
    /// Whether histogram boosting holds out a tenth of the training rows and stops adding trees
    /// when their loss stops falling.
    EarlyStopping {
        /// On above 10 000 training rows, as scikit-learn.
        #[default]
        Auto = "auto",
        On = "on",
        Off = "off",
    }
);

impl EarlyStopping {
    pub fn enabled(self) -> Option<bool> {
        match self {
            EarlyStopping::Auto => None,
            EarlyStopping::On => Some(true),
            EarlyStopping::Off => Some(false),
        }
    }
}

const HIST_BOOSTING: &[ParamSpec] = &[
    spec(
        "n_trees",
        ParamKind::Int { min: 1, max: 10000 },
        "100",
        "Most rounds of boosting; early stopping may use fewer.",
        &["100", "300", "1000"],
    ),
    LEARNING_RATE,
    spec(
        "max_leaf_nodes",
        ParamKind::Int { min: 2, max: 4096 },
        "31",
        "Most answers (leaves) per tree; trees grow where it helps most until they have this many.",
        &["15", "31", "63"],
    ),
    spec("max_depth", DEPTH, "none", "Deepest each tree may grow; none = only the leaf limit.", &["none", "6"]),
    spec("min_samples_leaf", LEAF, "20", "Fewest training rows a leaf may rest on.", &["5", "20", "50"]),
    spec(
        "l2_regularization",
        ParamKind::Float { min: 0.0, max: 1000.0, log: false },
        "0",
        "Pulls leaf answers towards zero; larger = more cautious trees.",
        &["0", "1", "10"],
    ),
    spec(
        "max_bins",
        ParamKind::Int { min: 2, max: 255 },
        "255",
        "Buckets each number column is sorted into before training; fewer = faster, coarser.",
        &["63", "255"],
    ),
    spec(
        "subsample",
        ParamKind::Float { min: 0.05, max: 1.0, log: false },
        "1",
        "Share of training rows each tree sees.",
        &["0.7", "1"],
    ),
    spec(
        "colsample",
        ParamKind::Float { min: 0.05, max: 1.0, log: false },
        "1",
        "Share of features each tree may use.",
        &["0.7", "1"],
    ),
    spec(
        "early_stopping",
        ParamKind::Choice(EarlyStopping::NAMES),
        "auto",
        "Stop adding trees when a held-out tenth of the training rows stops improving (auto: above 10 000 rows).",
        &["auto"],
    ),
    CLASS_WEIGHT,
];

model_settings!(
    /// Histogram gradient boosting (LightGBM / scikit-learn `HistGradientBoosting*`).
    HistBoostingSettings for HistGradientBoosting, specs HIST_BOOSTING {
        n_trees: usize = 100 => int,
        learning_rate: f64 = 0.1 => float,
        max_leaf_nodes: usize = 31 => int,
        max_depth: Option<usize> = None => opt_int,
        min_samples_leaf: usize = 20 => int,
        l2_regularization: f64 = 0.0 => float,
        max_bins: usize = 255 => int,
        subsample: f64 = 1.0 => float,
        colsample: f64 = 1.0 => float,
        early_stopping: EarlyStopping = EarlyStopping::Auto => choice,
        class_weight: ClassWeight = ClassWeight::None => choice,
    }
);
