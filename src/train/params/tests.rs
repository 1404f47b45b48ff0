//! Tests of the settings specs and of the typed settings' round trip through [`Params`].

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
    assert_eq!(
        TreeSettings::from_params(&p).unwrap(),
        TreeSettings { max_depth: Some(5), min_samples_leaf: 3, ..Default::default() }
    );
    assert_eq!(p.summary(), "max_depth=5, min_samples_leaf=3");
    assert_eq!(TreeSettings::from_params(&Params::defaults(ModelKind::Tree)).unwrap().max_depth, None);
}

#[test]
fn stored_values_are_checked_again_when_read() {
    // A hand-edited project or bundle: out of range, wrong kind, unknown name, other model.
    let mut p = Params::defaults(ModelKind::Ridge);
    p.values.insert("alpha".into(), ParamValue::Float(-1.0));
    let err = RidgeSettings::from_params(&p).unwrap_err().to_string();
    assert_eq!(err, "setting 'alpha' must be a number from 0 to 1000000, got '-1'");
    p.values.insert("alpha".into(), ParamValue::Text("big".into()));
    assert!(RidgeSettings::from_params(&p).unwrap_err().to_string().contains("setting 'alpha' must be"));
    let mut p = Params::defaults(ModelKind::Knn);
    p.values.insert("neighbours".into(), ParamValue::Int(3));
    let err = Settings::from_params(&p).unwrap_err().to_string();
    assert_eq!(err, "model 'knn' has no setting 'neighbours' (its settings: k, weights, class_weight)");
    let err = KnnSettings::from_params(&Params::defaults(ModelKind::KMeans)).unwrap_err().to_string();
    assert!(err.contains("'kmeans'") && err.contains("'knn'"), "{err}");
    // A missing value is its default; a whole number is a valid float.
    let mut p = Params::defaults(ModelKind::ElasticNet);
    p.values.remove("l1_ratio");
    p.values.insert("alpha".into(), ParamValue::Int(2));
    assert_eq!(ElasticNetSettings::from_params(&p).unwrap(), ElasticNetSettings { alpha: 2.0, l1_ratio: 0.5 });
}

/// A valid value of `spec` other than its default: a grid value, an end of the range, or
/// another choice.
fn other_value(spec: &ParamSpec) -> String {
    let mut tries: Vec<String> = spec.grid.iter().map(|g| (*g).to_string()).collect();
    match spec.kind {
        ParamKind::Int { min, max } | ParamKind::OptInt { min, max } => {
            tries.extend([min.to_string(), max.to_string(), "none".into()]);
        }
        ParamKind::Float { min, max, .. } => tries.extend([min.to_string(), max.to_string()]),
        ParamKind::Choice(options) => tries.extend(options.iter().map(|o| (*o).to_string())),
    }
    tries
        .into_iter()
        .find(|t| spec.parse(t).is_ok_and(|v| v != spec.default_value()))
        .unwrap_or_else(|| panic!("no value of '{}' differs from its default", spec.name))
}

/// The checks every settings struct passes: its `Default` is the specs' defaults, both round
/// trip through `Params`, and every setting in `SPECS` lands in a field (a setting that
/// `from_params` did not read, or `to_params` did not write, comes back as its default).
fn check_round_trip<S: ModelSettings + PartialEq + std::fmt::Debug>() {
    let defaults = S::default().to_params();
    assert_eq!(defaults, Params::defaults(S::MODEL), "{}: Default differs from the specs", S::MODEL.name());
    assert_eq!(S::from_params(&defaults).unwrap(), S::default());
    assert_eq!(S::SPECS, S::MODEL.params());
    for spec in S::SPECS {
        let mut p = Params::defaults(S::MODEL);
        p.set(spec.name, &other_value(spec)).unwrap();
        let typed = S::from_params(&p).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_ne!(typed, S::default(), "{}: '{}' is not read into a field", S::MODEL.name(), spec.name);
        assert_eq!(typed.to_params(), p, "{}: '{}' does not round-trip", S::MODEL.name(), spec.name);
    }
    let mut all = Params::defaults(S::MODEL);
    for spec in S::SPECS {
        all.set(spec.name, &other_value(spec)).unwrap();
    }
    let typed = S::from_params(&all).unwrap();
    assert_eq!(typed.to_params(), all);
    let settings = Settings::from_params(&all).unwrap();
    assert_eq!((settings.model(), settings.to_params()), (S::MODEL, all));
    assert_eq!(Settings::defaults(S::MODEL).to_params(), defaults);
}

macro_rules! round_trip_tests {
    ($($test:ident: $ty:ty),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_round_trip::<$ty>();
            }
        )+
    };
}

round_trip_tests!(
    linear_settings_round_trip: LinearSettings,
    ridge_settings_round_trip: RidgeSettings,
    lasso_settings_round_trip: LassoSettings,
    elastic_net_settings_round_trip: ElasticNetSettings,
    logistic_settings_round_trip: LogisticSettings,
    svm_settings_round_trip: SvmSettings,
    naive_bayes_settings_round_trip: NaiveBayesSettings,
    tree_settings_round_trip: TreeSettings,
    forest_settings_round_trip: ForestSettings,
    boosting_settings_round_trip: BoostingSettings,
    knn_settings_round_trip: KnnSettings,
    kmeans_settings_round_trip: KMeansSettings,
    mlp_settings_round_trip: MlpSettings,
    factorization_settings_round_trip: FactorizationSettings,
);

#[test]
fn every_model_has_a_settings_variant() {
    for kind in ModelKind::ALL {
        assert_eq!(Settings::defaults(kind).model(), kind);
        assert_eq!(Settings::from_params(&Params::defaults(kind)).unwrap(), Settings::defaults(kind));
    }
}

#[test]
fn choices_match_their_specs() {
    assert_eq!(MaxFeatures::NAMES, ["auto", "sqrt", "third", "all"]);
    assert_eq!(KnnWeights::parse("distance"), Some(KnnWeights::Distance));
    assert_eq!(HiddenActivation::Gelu.name(), "gelu");
    assert_eq!((MaxFeatures::Auto.per_split(16, true), MaxFeatures::Auto.per_split(16, false)), (Some(4), None));
    assert_eq!((MaxFeatures::Third.per_split(10, false), MaxFeatures::Sqrt.per_split(0, true)), (Some(4), Some(1)));
}
