//! Settings of the distance-based models: k-nearest neighbours and k-means.

use super::{Checked, Choice, ModelSettings, ParamKind, ParamSpec, Params, choice, spec, stored, word};
use crate::train::{ModelKind, TrainError};

choice!(
    /// How the k nearest neighbours' answers are combined.
    KnnWeights {
        /// Each neighbour counts equally.
        #[default]
        Uniform = "uniform",
        /// Closer neighbours count more (1 / distance).
        Distance = "distance",
    }
);

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
        ParamKind::Choice(KnnWeights::NAMES),
        "uniform",
        "uniform = each neighbour votes equally; distance = closer neighbours count more.",
        &["uniform", "distance"],
    ),
];

/// k-nearest neighbours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnnSettings {
    /// How many neighbours are asked.
    pub k: usize,
    pub weights: KnnWeights,
}

impl Default for KnnSettings {
    fn default() -> Self {
        KnnSettings { k: 5, weights: KnnWeights::Uniform }
    }
}

impl ModelSettings for KnnSettings {
    const MODEL: ModelKind = ModelKind::Knn;
    const SPECS: &'static [ParamSpec] = KNN;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(KnnSettings { k: c.int("k")?, weights: c.choice("weights")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("k", self.k.into()), ("weights", word(self.weights))])
    }
}

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

/// k-means clustering.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KMeansSettings {
    /// How many groups.
    pub k: usize,
    /// Random starts tried (the tightest is kept).
    pub n_init: usize,
}

impl Default for KMeansSettings {
    fn default() -> Self {
        KMeansSettings { k: 3, n_init: 4 }
    }
}

impl ModelSettings for KMeansSettings {
    const MODEL: ModelKind = ModelKind::KMeans;
    const SPECS: &'static [ParamSpec] = KMEANS;

    fn from_params(p: &Params) -> Result<Self, TrainError> {
        let c = Checked::new::<Self>(p)?;
        Ok(KMeansSettings { k: c.int("k")?, n_init: c.int("n_init")? })
    }

    fn to_params(&self) -> Params {
        stored(Self::MODEL, [("k", self.k.into()), ("n_init", self.n_init.into())])
    }
}
