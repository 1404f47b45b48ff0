//! Typed hyperparameters. Every model declares its settings once ([`ParamSpec`]: name, type,
//! allowed range, default, a one-line explanation and the values a grid search tries); the CLI
//! (`--param name=value`), the Train panel's editors and the tuner all read these specs, and
//! every value is validated against them with an error that says what is allowed.

use super::{ModelKind, TrainError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// A whole number in `min..=max`, or `none` (no limit).
    OptInt { min: i64, max: i64 },
    /// A number in `min..=max`; `log` means tuning samples it on a log scale.
    Float { min: f64, max: f64, log: bool },
    /// One of a few words.
    Choice(&'static [&'static str]),
}

/// One setting of a model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: &'static str,
    /// What it does, in one line a beginner can read.
    pub help: &'static str,
    /// The values grid search tries.
    pub grid: &'static [&'static str],
}

/// A validated value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Text(String),
    None(Option<()>),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Text(v) => write!(f, "{v}"),
            ParamValue::None(_) => write!(f, "none"),
        }
    }
}

impl ParamSpec {
    /// Parses and checks one value given as text.
    pub fn parse(&self, text: &str) -> Result<ParamValue, TrainError> {
        let t = text.trim();
        let bad = |allowed: String| TrainError::Config(format!("setting '{}' must be {allowed}, got '{t}'", self.name));
        match self.kind {
            ParamKind::Int { min, max } | ParamKind::OptInt { min, max } => {
                let is_opt = matches!(self.kind, ParamKind::OptInt { .. });
                if is_opt && t.eq_ignore_ascii_case("none") {
                    return Ok(ParamValue::None(None));
                }
                let allowed = format!("a whole number from {min} to {max}{}", if is_opt { " or none" } else { "" });
                let v: i64 = t.parse().map_err(|_| bad(allowed.clone()))?;
                if v < min || v > max {
                    return Err(bad(allowed));
                }
                Ok(ParamValue::Int(v))
            }
            ParamKind::Float { min, max, .. } => {
                let allowed = format!("a number from {min} to {max}");
                let v: f64 = t.parse().map_err(|_| bad(allowed.clone()))?;
                if !v.is_finite() || v < min || v > max {
                    return Err(bad(allowed));
                }
                Ok(ParamValue::Float(v))
            }
            ParamKind::Choice(options) => {
                let lower = t.to_ascii_lowercase();
                options
                    .iter()
                    .find(|o| **o == lower)
                    .map(|o| ParamValue::Text((*o).to_string()))
                    .ok_or_else(|| bad(format!("one of {}", options.join(", "))))
            }
        }
    }

    pub fn default_value(&self) -> ParamValue {
        self.parse(self.default).unwrap_or(ParamValue::None(None))
    }
}

const fn spec(
    name: &'static str,
    kind: ParamKind,
    default: &'static str,
    help: &'static str,
    grid: &'static [&'static str],
) -> ParamSpec {
    ParamSpec { name, kind, default, help, grid }
}

const STRENGTH: ParamKind = ParamKind::Float { min: 0.0, max: 1e6, log: true };
const C_RANGE: ParamKind = ParamKind::Float { min: 1e-6, max: 1e6, log: true };
const DEPTH: ParamKind = ParamKind::OptInt { min: 1, max: 64 };
const LEAF: ParamKind = ParamKind::Int { min: 1, max: 100_000 };

const RIDGE: &[ParamSpec] = &[spec(
    "alpha",
    STRENGTH,
    "1",
    "How strongly weights are pulled towards zero; larger = simpler model.",
    &["0.01", "0.1", "1", "10", "100"],
)];
const LASSO: &[ParamSpec] = &[spec(
    "alpha",
    STRENGTH,
    "1",
    "How strongly weights are pushed to exactly zero; larger = fewer features used.",
    &["0.01", "0.1", "1", "10", "100"],
)];
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
const LOGISTIC: &[ParamSpec] = &[spec(
    "c",
    C_RANGE,
    "1",
    "Inverse penalty strength: larger C fits the training rows more closely.",
    &["0.01", "0.1", "1", "10", "100"],
)];
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
        ParamKind::Choice(&["auto", "sqrt", "third", "all"]),
        "auto",
        "Features each split may look at: auto = all for numbers, sqrt for classes.",
        &["auto", "sqrt", "third"],
    ),
];
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
const KNN: &[ParamSpec] = &[
    spec(
        "k",
        ParamKind::Int { min: 1, max: 1000 },
        "5",
        "How many most similar training rows are asked.",
        &["1", "3", "5", "10", "25"],
    ),
    spec(
        "weights",
        ParamKind::Choice(&["uniform", "distance"]),
        "uniform",
        "uniform = each neighbour votes equally; distance = closer neighbours count more.",
        &["uniform", "distance"],
    ),
];
const KMEANS: &[ParamSpec] = &[
    spec("k", ParamKind::Int { min: 1, max: 100 }, "3", "How many groups to find.", &["2", "3", "4", "5", "6", "8"]),
    spec(
        "n_init",
        ParamKind::Int { min: 1, max: 50 },
        "4",
        "How many random starts to try; the tightest grouping is kept.",
        &["4"],
    ),
];
const SVM: &[ParamSpec] = &[spec(
    "c",
    C_RANGE,
    "1",
    "Inverse penalty strength: larger C tries harder to get every training row right.",
    &["0.01", "0.1", "1", "10"],
)];
const MLP: &[ParamSpec] = &[
    spec(
        "layers",
        ParamKind::Int { min: 0, max: 8 },
        "2",
        "How many hidden layers; more can learn more complex patterns.",
        &["1", "2", "3"],
    ),
    spec("width", ParamKind::Int { min: 1, max: 4096 }, "64", "Neurons in each hidden layer.", &["32", "64", "128"]),
    spec(
        "activation",
        ParamKind::Choice(&["relu", "tanh", "sigmoid", "gelu"]),
        "relu",
        "The bend each neuron applies to its sum; relu is the usual choice.",
        &["relu", "tanh"],
    ),
    spec("epochs", ParamKind::Int { min: 1, max: 5000 }, "200", "Most passes over the training rows.", &["200"]),
    spec(
        "batch_size",
        ParamKind::Int { min: 1, max: 65_536 },
        "128",
        "Rows per weight update; smaller = noisier but more updates per pass.",
        &["64", "128", "256"],
    ),
    spec(
        "learning_rate",
        ParamKind::Float { min: 1e-6, max: 1.0, log: true },
        "0.001",
        "Size of each weight update; too large diverges, too small crawls.",
        &["0.0003", "0.001", "0.003"],
    ),
    spec(
        "alpha",
        ParamKind::Float { min: 0.0, max: 100.0, log: true },
        "0.0001",
        "L2 penalty on the weights (as scikit-learn's alpha); larger = smoother model.",
        &["0.0001", "0.001", "0.01"],
    ),
    spec(
        "dropout",
        ParamKind::Float { min: 0.0, max: 0.9, log: false },
        "0",
        "Share of hidden neurons switched off at random in each step; makes the network less likely to memorise.",
        &["0", "0.1", "0.3"],
    ),
    spec(
        "optimizer",
        ParamKind::Choice(&["adam", "sgd"]),
        "adam",
        "adam adapts each weight's step size; sgd uses momentum with one step size.",
        &["adam"],
    ),
    spec(
        "patience",
        ParamKind::Int { min: 0, max: 1000 },
        "10",
        "Stop after this many passes without a better validation loss (0 = never stop early).",
        &["10"],
    ),
    spec(
        "lr_schedule",
        ParamKind::Choice(&["plateau", "cosine", "constant"]),
        "plateau",
        "plateau halves the rate when progress stalls; cosine lowers it smoothly to zero.",
        &["plateau"],
    ),
    spec(
        "validation",
        ParamKind::Float { min: 0.0, max: 0.5, log: false },
        "0.1",
        "Share of the training rows held out to watch for overfitting (and stop early).",
        &["0.1"],
    ),
];

const FACTORIZATION: &[ParamSpec] = &[
    spec(
        "factors",
        ParamKind::Int { min: 1, max: 500 },
        "20",
        "How many 'taste' numbers each user and item gets; more can fit finer tastes.",
        &["10", "20", "50"],
    ),
    spec("epochs", ParamKind::Int { min: 1, max: 1000 }, "20", "Passes over all the ratings.", &["20", "40"]),
    spec(
        "learning_rate",
        ParamKind::Float { min: 1e-6, max: 1.0, log: true },
        "0.005",
        "Size of each update; too large diverges, too small learns little.",
        &["0.002", "0.005", "0.01"],
    ),
    spec(
        "regularization",
        ParamKind::Float { min: 0.0, max: 10.0, log: false },
        "0.02",
        "Pull towards zero on biases and tastes; larger = less memorising of single ratings.",
        &["0.02", "0.05", "0.1"],
    ),
];

impl ModelKind {
    /// The model's settings, in display order.
    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            ModelKind::Linear => &[],
            ModelKind::Ridge => RIDGE,
            ModelKind::Lasso => LASSO,
            ModelKind::ElasticNet => ELASTIC_NET,
            ModelKind::Logistic => LOGISTIC,
            ModelKind::Tree => TREE,
            ModelKind::RandomForest => FOREST,
            ModelKind::GradientBoosting => BOOSTING,
            ModelKind::NaiveBayes => NAIVE_BAYES,
            ModelKind::Knn => KNN,
            ModelKind::Svm => SVM,
            ModelKind::KMeans => KMEANS,
            ModelKind::Mlp => MLP,
            ModelKind::MatrixFactorization => FACTORIZATION,
        }
    }
}

/// A model's settings: every declared setting has a validated value (the default unless set).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub model: ModelKind,
    pub values: BTreeMap<String, ParamValue>,
}

impl Params {
    pub fn defaults(model: ModelKind) -> Params {
        let values = model.params().iter().map(|s| (s.name.to_string(), s.default_value())).collect();
        Params { model, values }
    }

    /// Defaults overridden by `name=value` pairs; an unknown name or a bad value is an error.
    pub fn parse<S: AsRef<str>>(model: ModelKind, pairs: &[S]) -> Result<Params, TrainError> {
        let mut p = Params::defaults(model);
        for pair in pairs {
            let pair = pair.as_ref();
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| TrainError::Config(format!("setting '{pair}' must look like name=value")))?;
            p.set(name.trim(), value)?;
        }
        Ok(p)
    }

    /// Sets one value, checked against the spec.
    pub fn set(&mut self, name: &str, text: &str) -> Result<(), TrainError> {
        let spec = self.spec(name)?;
        let v = spec.parse(text)?;
        self.values.insert(spec.name.to_string(), v);
        Ok(())
    }

    fn spec(&self, name: &str) -> Result<&'static ParamSpec, TrainError> {
        let lower = name.to_ascii_lowercase();
        self.model.params().iter().find(|s| s.name == lower).ok_or_else(|| {
            let known: Vec<&str> = self.model.params().iter().map(|s| s.name).collect();
            TrainError::Config(if known.is_empty() {
                format!("model '{}' has no settings (got '{name}')", self.model.name())
            } else {
                format!("model '{}' has no setting '{name}' (its settings: {})", self.model.name(), known.join(", "))
            })
        })
    }

    fn get(&self, name: &str) -> ParamValue {
        self.values
            .get(name)
            .cloned()
            .or_else(|| self.model.params().iter().find(|s| s.name == name).map(ParamSpec::default_value))
            .unwrap_or(ParamValue::None(None))
    }

    pub fn float(&self, name: &str) -> f64 {
        match self.get(name) {
            ParamValue::Float(v) => v,
            ParamValue::Int(v) => v as f64,
            _ => f64::NAN,
        }
    }

    pub fn int(&self, name: &str) -> usize {
        self.opt_int(name).unwrap_or(1)
    }

    pub fn opt_int(&self, name: &str) -> Option<usize> {
        match self.get(name) {
            ParamValue::Int(v) => Some(v.max(0) as usize),
            _ => None,
        }
    }

    pub fn choice(&self, name: &str) -> String {
        self.get(name).to_string()
    }

    /// `name=value` pairs that differ from the defaults, e.g. "max_depth=5, k=3" (or "defaults").
    pub fn summary(&self) -> String {
        let changed: Vec<String> = self
            .model
            .params()
            .iter()
            .filter_map(|s| {
                let v = self.get(s.name);
                (v != s.default_value()).then(|| format!("{}={v}", s.name))
            })
            .collect();
        if changed.is_empty() { "defaults".to_string() } else { changed.join(", ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_and_grid_value_is_valid() {
        for kind in ModelKind::ALL {
            for s in kind.params() {
                s.parse(s.default).unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
                for g in s.grid {
                    s.parse(g).unwrap_or_else(|e| panic!("{} grid: {e}", kind.name()));
                }
            }
        }
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Params::parse(ModelKind::Tree, &["max_depth=0"]).unwrap_err().to_string();
        assert!(err.contains("max_depth") && err.contains("from 1 to 64 or none"), "{err}");
        let err = Params::parse(ModelKind::Knn, &["neighbours=3"]).unwrap_err().to_string();
        assert!(err.contains("its settings: k, weights"), "{err}");
        let err = Params::parse(ModelKind::Knn, &["weights=closest"]).unwrap_err().to_string();
        assert!(err.contains("uniform, distance"), "{err}");
        let p = Params::parse(ModelKind::Tree, &["max_depth=5", "MIN_SAMPLES_LEAF = 3"]).unwrap();
        assert_eq!((p.opt_int("max_depth"), p.int("min_samples_leaf")), (Some(5), 3));
        assert_eq!(p.summary(), "max_depth=5, min_samples_leaf=3");
        assert_eq!(Params::defaults(ModelKind::Tree).opt_int("max_depth"), None);
    }
}
