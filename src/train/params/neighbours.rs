//! Settings of the distance-based models: k-nearest neighbours and k-means.

use super::{Choice, ParamKind, ParamSpec, choice, model_settings, spec};

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
    super::CLASS_WEIGHT,
];

model_settings!(
    /// k-nearest neighbours.
    KnnSettings for Knn, specs KNN {
        /// How many neighbours are asked.
        k: usize = 5 => int,
        weights: KnnWeights = KnnWeights::Uniform => choice,
        /// Balanced: a neighbour's vote counts its class's weight.
        class_weight: super::ClassWeight = super::ClassWeight::None => choice,
    }
);

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

model_settings!(
    /// k-means clustering.
    KMeansSettings for KMeans, specs KMEANS {
        /// How many groups.
        k: usize = 3 => int,
        /// Random starts tried (the tightest is kept).
        n_init: usize = 4 => int,
    }
);
