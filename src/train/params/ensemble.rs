//! Settings of the averaged ensemble.

use super::{ParamKind, ParamSpec, model_settings, spec};

const ENSEMBLE: &[ParamSpec] = &[spec(
    "size",
    ParamKind::Int { min: 2, max: 5 },
    "3",
    "How many models are averaged: Try all models takes its best ones; trained alone, a linear model, \
     histogram boosting and a forest (then the neural network and nearest neighbours).",
    &["2", "3", "4"],
)];

model_settings!(
    /// The average of several models.
    EnsembleSettings for Ensemble, specs ENSEMBLE {
        /// How many models are averaged.
        size: usize = 3 => int,
    }
);
