//! After training: a short written summary in plain words of what happened and what to try
//! next — the score read for a person, how it compares with the earlier runs on the same
//! target ("it beats Linear regression by 0.19 R²"), what drives it, and one or two next steps.

use super::{Importance, Metrics, human_number};
use crate::train::{ModelKind, Task, TrainOutcome};

/// Sentences about `current`, compared with the `earlier` runs (those on another target or
/// task, and `current` itself, are ignored). `importance` is the current model's permutation
/// importance when it has been computed.
pub fn written_summary(
    current: &TrainOutcome,
    earlier: &[&TrainOutcome],
    importance: Option<&Importance>,
) -> Vec<String> {
    let p = &current.pipeline;
    let metrics = &current.report.metrics;
    if p.target.task == Task::Recommendation
        && let Metrics::Regression { rmse, mae, r2 } = *metrics
    {
        return recommender_summary(current, rmse, mae, r2);
    }
    let (_, score) = metrics.headline();
    let label = metrics.headline_label();
    let model = p.model_display_name();
    let mut out = vec![format!(
        "{model} scored {label} {score:.3} on {} test rows. {}",
        p.info.test_rows,
        metrics.plain_words(&p.target.name)
    )];
    if let Some(choice) = &p.info.automatic {
        out.push(choice.summary());
    }
    let others: Vec<&TrainOutcome> = earlier
        .iter()
        .copied()
        .filter(|o| !std::ptr::eq(*o, current))
        .filter(|o| o.pipeline.target.name == p.target.name && o.pipeline.target.task == p.target.task)
        .collect();
    let best = others.iter().copied().max_by(|a, b| headline(a).total_cmp(&headline(b)));
    let mut is_best = true;
    if let Some(best) = best {
        let theirs = headline(best);
        let name = other_name(best, current);
        let gap = score - theirs;
        let runs = if others.len() == 1 {
            "the earlier run".to_string()
        } else {
            format!("the {} earlier runs", others.len())
        };
        out.push(if gap > 0.0005 {
            format!("It beats {name} by {gap:.2} {label} ({theirs:.3} to {score:.3}), the best of {runs}.")
        } else if gap < -0.0005 {
            is_best = false;
            format!(
                "{name} did better: {label} {theirs:.3}, {:.2} above this one. Train it again (or pick it in the Try-all table) to keep it.",
                -gap
            )
        } else {
            format!("It scores the same as {name} ({theirs:.3}): keep the simpler or faster of the two.")
        });
    }
    match importance.map(|i| (i, drivers(i))) {
        Some((i, d)) if !d.is_empty() => {
            let metric = super::metric_label(i.metric);
            let mut s = format!("The biggest driver is '{}' (shuffling it costs {:.3} {metric})", d[0].0, d[0].1);
            match d.len() {
                1 => s.push('.'),
                2 => s.push_str(&format!(", then '{}'.", d[1].0)),
                _ => s.push_str(&format!(", then '{}' and '{}'.", d[1].0, d[2].0)),
            }
            out.push(s);
        }
        Some(_) => out.push("No single column drives it: shuffling any one of them barely changes the score.".into()),
        None => out.push("To see which columns drive it, open Evaluate > Why > Importance.".into()),
    }
    out.extend(next_steps(current, &others, is_best).into_iter().take(2));
    out
}

/// A recommender is read in stars off, against always guessing the average rating (whose
/// error is the spread of the test ratings: RMSE / √(1 − R²)); its inputs are who rated what,
/// so there are no columns to add or drivers to name.
fn recommender_summary(current: &TrainOutcome, rmse: f64, mae: f64, r2: f64) -> Vec<String> {
    let p = &current.pipeline;
    let target = &p.target.name;
    let mut out = vec![format!(
        "{} predicts the held-out '{target}' values of {} test rows with a typical error of {} (RMSE {rmse:.3}, which weighs big misses more).",
        p.model_display_name(),
        p.info.test_rows,
        human_number(mae)
    )];
    let guess = if r2 < 1.0 { rmse / (1.0 - r2).sqrt() } else { f64::NAN };
    if guess.is_finite() && guess > rmse {
        out.push(format!(
            "Always guessing the average '{target}' would be off by {}: knowing who rated what cuts the error by {:.0}%.",
            human_number(guess),
            (1.0 - rmse / guess) * 100.0
        ));
    } else {
        out.push(format!("It does no better than always guessing the average '{target}': train for more epochs."));
    }
    if p.info.device != "cpu" && !p.info.device.is_empty() {
        out.push(format!("It trained on the GPU ({}).", p.info.device));
    }
    out.push(
        "Next, open Evaluate to see a user's top recommendations, or Tune settings to try more factors or epochs."
            .into(),
    );
    out
}

fn headline(o: &TrainOutcome) -> f64 {
    o.report.metrics.headline().1
}

/// "Linear regression", or "Random forest with other settings" when it is the same model.
fn other_name(other: &TrainOutcome, current: &TrainOutcome) -> String {
    let name = other.pipeline.model_display_name();
    if name == current.pipeline.model_display_name() { format!("{name} with other settings") } else { name.to_string() }
}

/// Columns whose shuffling costs a noticeable share of the score, largest first (at most 3).
fn drivers(i: &Importance) -> Vec<(String, f64)> {
    let floor = 0.01 * i.baseline.abs().max(0.1);
    i.columns.iter().filter(|c| c.drop > floor).take(3).map(|c| (c.column.clone(), c.drop)).collect()
}

fn next_steps(current: &TrainOutcome, others: &[&TrainOutcome], is_best: bool) -> Vec<String> {
    let p = &current.pipeline;
    let kind = p.model.kind();
    let target = &p.target.name;
    let mut out = Vec::new();
    let tried = |k: ModelKind| kind == k || others.iter().any(|o| o.pipeline.model.kind() == k);
    let simple = matches!(
        kind,
        ModelKind::Linear
            | ModelKind::Ridge
            | ModelKind::Lasso
            | ModelKind::ElasticNet
            | ModelKind::Logistic
            | ModelKind::NaiveBayes
            | ModelKind::Knn
            | ModelKind::Tree
    );
    match (&current.report.metrics, p.target.task) {
        (Metrics::Regression { r2, mae, .. }, Task::Regression | Task::Recommendation) if *r2 < 0.3 => {
            out.push(format!(
                "It misses most of the pattern (typical error {}): look at the Data step's warnings and add columns that explain '{target}'.",
                human_number(*mae)
            ));
        }
        (Metrics::Classification { recall, precision, .. }, Task::Classification) if p.target.classes.len() == 2 => {
            let positive = p.target.classes.last().map_or("", String::as_str);
            if *recall < 0.8 && *precision > *recall {
                out.push(format!(
                    "It misses {:.0}% of the '{positive}' rows (recall {recall:.2}): lower the decision threshold on the Evaluate panel if a missed '{positive}' costs more than a false alarm.",
                    (1.0 - recall) * 100.0
                ));
            }
        }
        _ => {}
    }
    if simple
        && p.target.task != Task::Clustering
        && !tried(ModelKind::GradientBoosting)
        && !tried(ModelKind::RandomForest)
    {
        out.push(format!(
            "Next, try Gradient boosting or Random forest: on tables like this they often beat a {}, or use Try all models.",
            p.model_display_name().to_lowercase()
        ));
    }
    let (_, score) = current.report.metrics.headline();
    let good = match p.target.task {
        Task::Classification => score >= 0.9,
        Task::Clustering => score >= 0.5,
        _ => score >= 0.75,
    };
    if is_best && good {
        out.push("A good result: deploy it (step 5) and send it a few rows, then watch it in Monitor.".into());
    }
    out
}
