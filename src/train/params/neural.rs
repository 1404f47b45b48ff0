//! Settings of the models trained by gradient steps: the neural network (MLP) and matrix
//! factorisation.

use super::{Checked, Choice, ModelSettings, ParamKind, ParamSpec, Params, choice, spec, stored, word};
use crate::train::{ModelKind, TrainError};

choice!(
    /// The bend each hidden neuron applies to its sum.
    HiddenActivation {
        #[default]
        Relu = "relu",
        Tanh = "tanh",
        Sigmoid = "sigmoid",
        Gelu = "gelu",
    }
);

choice!(
    /// How the weights are updated.
    Optimizer {
        /// Adam: a step size per weight.
        #[default]
        Adam = "adam",
        /// Stochastic gradient descent with momentum.
        Sgd = "sgd",
    }
);

choice!(
    /// How the learning rate changes over the epochs.
    LrSchedule {
        /// Halved when the validation loss stalls.
        #[default]
        Plateau = "plateau",
        /// Lowered smoothly to zero.
        Cosine = "cosine",
        /// Kept as it is.
        Constant = "constant",
    }
);

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
        ParamKind::Choice(HiddenActivation::NAMES),
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
        ParamKind::Choice(Optimizer::NAMES),
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
        ParamKind::Choice(LrSchedule::NAMES),
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

/// A multilayer perceptron.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MlpSettings {
    /// Hidden layers.
    pub layers: usize,
    /// Neurons per hidden layer.
    pub width: usize,
    pub activation: HiddenActivation,
    /// Most passes over the training rows.
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// L2 penalty (scikit-learn's alpha).
    pub alpha: f64,
    pub dropout: f64,
    pub optimizer: Optimizer,
    /// Epochs without a better validation loss before stopping (0: never early).
    pub patience: usize,
    pub lr_schedule: LrSchedule,
    /// Share of the training rows held out for validation.
    pub validation: f64,
}

impl Default for MlpSettings {
    fn default() -> Self {
        MlpSettings {
            layers: 2,
            width: 64,
            activation: HiddenActivation::Relu,
            epochs: 200,
            batch_size: 128,
            learning_rate: 0.001,
            alpha: 0.0001,
            dropout: 0.0,
            optimizer: Optimizer::Adam,
            patience: 10,
            lr_schedule: LrSchedule::Plateau,
            validation: 0.1,
        }
    }
}

impl ModelSettings for MlpSettings {
    const MODEL: ModelKind = ModelKind::Mlp;
    const SPECS: &'static [ParamSpec] = MLP;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(MlpSettings {
            layers: c.int("layers")?,
            width: c.int("width")?,
            activation: c.choice("activation")?,
            epochs: c.int("epochs")?,
            batch_size: c.int("batch_size")?,
            learning_rate: c.float("learning_rate")?,
            alpha: c.float("alpha")?,
            dropout: c.float("dropout")?,
            optimizer: c.choice("optimizer")?,
            patience: c.int("patience")?,
            lr_schedule: c.choice("lr_schedule")?,
            validation: c.float("validation")?,
        })
    }

    fn to_params(&self) -> Params {
        stored(
            Self::MODEL,
            [
                ("layers", self.layers.into()),
                ("width", self.width.into()),
                ("activation", word(self.activation)),
                ("epochs", self.epochs.into()),
                ("batch_size", self.batch_size.into()),
                ("learning_rate", self.learning_rate.into()),
                ("alpha", self.alpha.into()),
                ("dropout", self.dropout.into()),
                ("optimizer", word(self.optimizer)),
                ("patience", self.patience.into()),
                ("lr_schedule", word(self.lr_schedule)),
                ("validation", self.validation.into()),
            ],
        )
    }
}

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

/// Matrix factorisation (recommendation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FactorizationSettings {
    /// "Taste" numbers per user and per item.
    pub factors: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    pub regularization: f64,
}

impl Default for FactorizationSettings {
    fn default() -> Self {
        FactorizationSettings { factors: 20, epochs: 20, learning_rate: 0.005, regularization: 0.02 }
    }
}

impl ModelSettings for FactorizationSettings {
    const MODEL: ModelKind = ModelKind::MatrixFactorization;
    const SPECS: &'static [ParamSpec] = FACTORIZATION;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(FactorizationSettings {
            factors: c.int("factors")?,
            epochs: c.int("epochs")?,
            learning_rate: c.float("learning_rate")?,
            regularization: c.float("regularization")?,
        })
    }

    fn to_params(&self) -> Params {
        stored(
            Self::MODEL,
            [
                ("factors", self.factors.into()),
                ("epochs", self.epochs.into()),
                ("learning_rate", self.learning_rate.into()),
                ("regularization", self.regularization.into()),
            ],
        )
    }
}
