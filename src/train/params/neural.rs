//! Settings of the models trained by gradient steps: the neural network (MLP) and matrix
//! factorisation.

use super::{Choice, ParamKind, ParamSpec, choice, model_settings, spec};

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
    super::CLASS_WEIGHT,
];

model_settings!(
    /// A multilayer perceptron.
    MlpSettings for Mlp, specs MLP {
        /// Hidden layers.
        layers: usize = 2 => int,
        /// Neurons per hidden layer.
        width: usize = 64 => int,
        activation: HiddenActivation = HiddenActivation::Relu => choice,
        /// Most passes over the training rows.
        epochs: usize = 200 => int,
        batch_size: usize = 128 => int,
        learning_rate: f64 = 0.001 => float,
        /// L2 penalty (scikit-learn's alpha).
        alpha: f64 = 0.0001 => float,
        dropout: f64 = 0.0 => float,
        optimizer: Optimizer = Optimizer::Adam => choice,
        /// Epochs without a better validation loss before stopping (0: never early).
        patience: usize = 10 => int,
        lr_schedule: LrSchedule = LrSchedule::Plateau => choice,
        /// Share of the training rows held out for validation.
        validation: f64 = 0.1 => float,
        /// Classification: balanced draws each epoch's rows so every class is seen equally.
        class_weight: super::ClassWeight = super::ClassWeight::None => choice,
    }
);

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

model_settings!(
    /// Matrix factorisation (recommendation).
    FactorizationSettings for MatrixFactorization, specs FACTORIZATION {
        /// "Taste" numbers per user and per item.
        factors: usize = 20 => int,
        epochs: usize = 20 => int,
        learning_rate: f64 = 0.005 => float,
        regularization: f64 = 0.02 => float,
    }
);
