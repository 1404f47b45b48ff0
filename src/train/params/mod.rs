//! Model settings, typed in linfa's manner. Every model with settings has a settings struct
//! (`RidgeSettings { alpha }`, `ForestSettings { n_trees, … }`) whose `Default` is the model's
//! default, and which describes its settings once ([`ModelSettings::SPECS`]: name, type,
//! allowed range, default, a one-line explanation and the values a grid search tries). The CLI
//! (`--param name=value`), the Train panel's editors and the tuner are generated from these
//! specs. [`Params`], a validated name → value map, is the serialised form kept in bundles and
//! projects; [`ModelSettings::from_params`] is the one place a value is read by its name, and it
//! checks each value against its spec, so `fit_model` only reads typed fields.

mod ensemble;
mod linear;
mod neighbours;
mod neural;
mod trees;

pub use ensemble::EnsembleSettings;
pub use linear::{
    ElasticNetSettings, LassoSettings, LinearSettings, LogisticSettings, NaiveBayesSettings, RidgeSettings, SvmSettings,
};
pub use neighbours::{KMeansSettings, KnnSettings, KnnWeights};
pub use neural::{FactorizationSettings, HiddenActivation, LrSchedule, MlpSettings, Optimizer};
pub use trees::{BoostingSettings, EarlyStopping, ForestSettings, HistBoostingSettings, MaxFeatures, TreeSettings};
// `ClassWeight` is declared below, beside the spec the models share.

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

impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}

impl From<usize> for ParamValue {
    fn from(v: usize) -> Self {
        ParamValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<Option<usize>> for ParamValue {
    fn from(v: Option<usize>) -> Self {
        v.map_or(ParamValue::None(None), ParamValue::from)
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

/// A setting that is one of a few words, as an enum (`MaxFeatures::Sqrt` for "sqrt").
pub trait Choice: Sized + Copy {
    /// Every word, in display order (the spec's `ParamKind::Choice`).
    const NAMES: &'static [&'static str];
    fn name(self) -> &'static str;
    fn parse(word: &str) -> Option<Self>;
}

/// Declares a [`Choice`] enum: `choice!(Name { #[default] A = "a", B = "b" })`.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $crate::train::params::Choice for $name {
            const NAMES: &'static [&'static str] = &[$($word),+];

            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
use choice;

choice!(
    /// How much each class's rows count in training (classification).
    ClassWeight {
        /// Every row counts once.
        #[default]
        None = "none",
        /// Rows of rare classes count more: class c weighs n / (classes × rows of c), as
        /// scikit-learn's `class_weight="balanced"`.
        Balanced = "balanced",
    }
);

impl ClassWeight {
    /// The weight of each of the `k` classes given the training rows' classes (empty: all 1).
    pub fn weights(self, labels: &[usize], k: usize) -> Vec<f64> {
        if self == ClassWeight::None || k == 0 {
            return vec![];
        }
        let mut counts = vec![0usize; k];
        labels.iter().for_each(|&c| counts[c] += 1);
        let n = labels.len() as f64;
        counts.iter().map(|&m| if m > 0 { n / (k as f64 * m as f64) } else { 1.0 }).collect()
    }
}

/// The `class_weight` setting's spec (logistic regression, trees, forests).
pub(crate) const CLASS_WEIGHT: ParamSpec = spec(
    "class_weight",
    ParamKind::Choice(ClassWeight::NAMES),
    "none",
    "Classification: balanced makes rare classes' rows count more, so the model does not ignore them.",
    &["none"],
);

/// A model's typed settings, built from (and back into) the stored [`Params`].
pub trait ModelSettings: Sized + Default {
    /// The model these settings are for.
    const MODEL: ModelKind;
    /// Each setting's name, range, default, explanation and tuning grid, in display order.
    const SPECS: &'static [ParamSpec];
    /// The checked form: every value is validated against its spec (range, choices), and a
    /// bad one is a [`TrainError::Config`] naming the setting and what is allowed.
    fn from_params(p: &Params) -> Result<Self, TrainError>;
    /// The stored form (every setting, by name).
    fn to_params(&self) -> Params;
}

/// Declares a model's settings struct, its `Default` and its [`ModelSettings`] impl from one
/// description: the struct (with its attributes), the [`ModelKind`] variant, the SPECS constant,
/// then per field its doc comment, name, type, default and how [`Checked`] reads it (`float`,
/// `int`, `opt_int` or `choice`). A setting's stored name is `stringify!(field)`, so a field and
/// its name in [`Params`] cannot differ; the SPECS constant must name the same settings.
///
/// ```ignore
/// model_settings!(
///     /// Least squares with an L2 penalty.
///     RidgeSettings for Ridge, specs RIDGE {
///         /// Penalty strength.
///         alpha: f64 = 1.0 => float,
///     }
/// );
/// ```
macro_rules! model_settings {
    // The stored value of one field: a choice as its word, a number as itself.
    (@store choice $v:expr) => {
        $crate::train::params::word($v)
    };
    (@store $read:ident $v:expr) => {
        $crate::train::params::ParamValue::from($v)
    };
    (
        $(#[$m:meta])*
        $name:ident for $model:ident, specs $specs:ident {
            $($(#[$fm:meta])* $field:ident: $ty:ty = $default:expr => $read:ident),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty),+
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default),+ }
            }
        }

        impl $crate::train::params::ModelSettings for $name {
            const MODEL: $crate::train::ModelKind = $crate::train::ModelKind::$model;
            const SPECS: &'static [$crate::train::params::ParamSpec] = $specs;

            fn from_params(p: &$crate::train::params::Params) -> Result<Self, $crate::train::TrainError> {
                let c = $crate::train::params::Checked::new::<Self>(p)?;
                Ok($name { $($field: c.$read(stringify!($field))?),+ })
            }

            fn to_params(&self) -> $crate::train::params::Params {
                $crate::train::params::stored(
                    Self::MODEL,
                    [$((stringify!($field), model_settings!(@store $read self.$field))),+],
                )
            }
        }
    };
}
use model_settings;

/// The values of one model's stored settings, each checked against its spec when read. Only
/// the `from_params` of the settings structs read values by name.
struct Checked<'a> {
    params: &'a Params,
    specs: &'static [ParamSpec],
}

impl<'a> Checked<'a> {
    /// Refuses settings of another model and names that model does not have.
    fn new<S: ModelSettings>(params: &'a Params) -> Result<Self, TrainError> {
        if params.model != S::MODEL {
            return Err(TrainError::Config(format!(
                "settings of model '{}' cannot configure model '{}'",
                params.model.name(),
                S::MODEL.name()
            )));
        }
        if let Some(name) = params.values.keys().find(|n| !S::SPECS.iter().any(|s| s.name == n.as_str())) {
            return Err(unknown_setting(S::MODEL, name));
        }
        Ok(Checked { params, specs: S::SPECS })
    }

    /// The stored value (else the default), re-checked against the spec: a bundle or project
    /// file may have been edited by hand.
    fn value(&self, name: &str) -> Result<ParamValue, TrainError> {
        let spec =
            self.specs.iter().find(|s| s.name == name).ok_or_else(|| unknown_setting(self.params.model, name))?;
        match self.params.values.get(name) {
            Some(v) => spec.parse(&v.to_string()),
            None => Ok(spec.default_value()),
        }
    }

    fn wrong_type(&self, name: &str, v: &ParamValue) -> TrainError {
        TrainError::Config(format!("setting '{name}' of model '{}' cannot be '{v}'", self.params.model.name()))
    }

    fn float(&self, name: &str) -> Result<f64, TrainError> {
        match self.value(name)? {
            ParamValue::Float(v) => Ok(v),
            ParamValue::Int(v) => Ok(v as f64),
            v => Err(self.wrong_type(name, &v)),
        }
    }

    fn int(&self, name: &str) -> Result<usize, TrainError> {
        match self.value(name)? {
            ParamValue::Int(v) => usize::try_from(v).map_err(|_| self.wrong_type(name, &ParamValue::Int(v))),
            v => Err(self.wrong_type(name, &v)),
        }
    }

    fn opt_int(&self, name: &str) -> Result<Option<usize>, TrainError> {
        match self.value(name)? {
            ParamValue::None(_) => Ok(None),
            _ => self.int(name).map(Some),
        }
    }

    fn choice<C: Choice>(&self, name: &str) -> Result<C, TrainError> {
        match self.value(name)? {
            ParamValue::Text(t) => C::parse(&t).ok_or_else(|| self.wrong_type(name, &ParamValue::Text(t))),
            v => Err(self.wrong_type(name, &v)),
        }
    }
}

fn unknown_setting(model: ModelKind, name: &str) -> TrainError {
    let known: Vec<&str> = model.params().iter().map(|s| s.name).collect();
    TrainError::Config(if known.is_empty() {
        format!("model '{}' has no settings (got '{name}')", model.name())
    } else {
        format!("model '{}' has no setting '{name}' (its settings: {})", model.name(), known.join(", "))
    })
}

/// The stored form of typed settings: `(name, value)` for every setting.
fn stored<const N: usize>(model: ModelKind, values: [(&str, ParamValue); N]) -> Params {
    Params { model, values: values.into_iter().map(|(k, v)| (k.to_string(), v)).collect() }
}

/// A choice as its stored value.
fn word<C: Choice>(c: C) -> ParamValue {
    ParamValue::Text(c.name().to_string())
}

/// Declares [`Settings`]: one variant per model, named as its [`ModelKind`], holding its
/// settings struct.
macro_rules! settings_enum {
    ($($variant:ident($ty:ty)),+ $(,)?) => {
        /// The typed settings of one model: what `fit_model` reads.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Settings {
            $($variant($ty)),+
        }

        impl Settings {
            /// The model these settings are for.
            pub fn model(&self) -> ModelKind {
                match self {
                    $(Settings::$variant(_) => ModelKind::$variant),+
                }
            }

            /// The model's default settings.
            pub fn defaults(model: ModelKind) -> Settings {
                match model {
                    $(ModelKind::$variant => Settings::$variant(<$ty>::default())),+
                }
            }

            /// Checks stored settings and gives them typed (see [`ModelSettings::from_params`]).
            pub fn from_params(p: &Params) -> Result<Settings, TrainError> {
                Ok(match p.model {
                    $(ModelKind::$variant => Settings::$variant(<$ty as ModelSettings>::from_params(p)?)),+
                })
            }

            /// The stored form.
            pub fn to_params(&self) -> Params {
                match self {
                    $(Settings::$variant(s) => s.to_params()),+
                }
            }

            /// The settings `model` declares, in display order.
            pub fn specs(model: ModelKind) -> &'static [ParamSpec] {
                match model {
                    $(ModelKind::$variant => <$ty as ModelSettings>::SPECS),+
                }
            }
        }
    };
}

settings_enum!(
    Linear(LinearSettings),
    Ridge(RidgeSettings),
    Lasso(LassoSettings),
    ElasticNet(ElasticNetSettings),
    Logistic(LogisticSettings),
    Tree(TreeSettings),
    RandomForest(ForestSettings),
    GradientBoosting(BoostingSettings),
    HistGradientBoosting(HistBoostingSettings),
    NaiveBayes(NaiveBayesSettings),
    Knn(KnnSettings),
    Svm(SvmSettings),
    KMeans(KMeansSettings),
    Mlp(MlpSettings),
    MatrixFactorization(FactorizationSettings),
    Ensemble(EnsembleSettings),
);

impl ModelKind {
    /// The model's settings, in display order.
    pub fn params(self) -> &'static [ParamSpec] {
        Settings::specs(self)
    }
}

/// A model's settings in their stored form (bundles, projects, `--param name=value`): every
/// declared setting has a validated value (the default unless set). Read it through
/// [`Settings::from_params`].
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
        let lower = name.to_ascii_lowercase();
        let spec =
            self.model.params().iter().find(|s| s.name == lower).ok_or_else(|| unknown_setting(self.model, name))?;
        let v = spec.parse(text)?;
        self.values.insert(spec.name.to_string(), v);
        Ok(())
    }

    /// `name=value` pairs that differ from the defaults, e.g. "max_depth=5, k=3" (or "defaults").
    pub fn summary(&self) -> String {
        let changed: Vec<String> = self
            .model
            .params()
            .iter()
            .filter_map(|s| {
                let v = self.values.get(s.name).cloned().unwrap_or_else(|| s.default_value());
                (v != s.default_value()).then(|| format!("{}={v}", s.name))
            })
            .collect();
        if changed.is_empty() { "defaults".to_string() } else { changed.join(", ") }
    }
}

#[cfg(test)]
mod tests;
