//! Evaluate panel, "Why" tabs: permutation feature importance (which input columns the model
//! relies on) and the learning curve (score vs. training size, with an over/under-fitting
//! reading). Both are computed on a background thread on request.

use super::{AppState, Busy, Command};
use crate::eval::{Importance, LearningCurve};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoint, PlotPoints, Points, Text};

/// Results for the current model (cleared when another model becomes current).
#[derive(Clone, Debug, Default)]
pub struct Insight {
    pub importance: Option<Importance>,
    pub curve: Option<LearningCurve>,
    /// The metrics by group of the Groups tab.
    pub groups: Option<crate::eval::fairness::FairnessReport>,
    /// The Explanations tab's results.
    pub explain: super::explain::ExplainView,
    /// Per-group thresholds tried on the Groups tab, with the model with and without them.
    pub mitigation: Option<super::groups::MitigationView>,
    /// The computation in flight, if any.
    pub busy: Option<Busy>,
}

/// What an explaining computation found.
pub enum Found {
    Importance(Importance),
    Curve(LearningCurve),
    Groups(crate::eval::fairness::FairnessReport),
    /// Per-group thresholds and the current model copied with them switched on.
    Mitigation(Box<(crate::eval::mitigation::Mitigation, std::sync::Arc<crate::train::TrainOutcome>)>),
}

pub(super) fn busy_ui(ui: &mut egui::Ui, busy: &Option<Busy>) -> bool {
    if let Some(b) = busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("{} … {:.1} s", b.what, b.started.elapsed().as_secs_f32()));
        });
        return true;
    }
    false
}

pub fn importance_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.label(
        "Permutation importance: each input column of the test rows is shuffled in turn (5 times), which \
         breaks its link to the answer, and the drop in the score is measured. A big drop means the model \
         relies on that column; no drop means it ignores it. Works the same way for every model.",
    );
    let busy = busy_ui(ui, &state.insight.busy);
    let Some(imp) = &state.insight.importance else {
        if ui.add_enabled(!busy, egui::Button::new("Measure importance")).clicked() {
            cmds.push(Command::ComputeImportance);
        }
        return;
    };
    ui.label(egui::RichText::new(imp.plain_words()).strong());
    let n = imp.columns.len();
    // Largest on top: bar i sits at y = n - 1 - i.
    let bars: Vec<Bar> = imp
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| Bar::new((n - 1 - i) as f64, c.drop.max(0.0)).width(0.7).name(&c.column))
        .collect();
    let top = imp.columns.first().map_or(0.0, |c| c.drop).max(1e-9);
    Plot::new("importance")
        .height((28.0 * n as f32 + 40.0).clamp(120.0, 420.0))
        .show_axes([true, false])
        .show_grid(false)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_label(format!("drop in test {} when shuffled", crate::eval::metric_label(imp.metric)))
        .include_x(-0.35 * top)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("drop", bars).horizontal());
            for (i, c) in imp.columns.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                plot.text(
                    Text::new("column", PlotPoint::new(-0.02 * top, y), &c.column).anchor(egui::Align2::RIGHT_CENTER),
                );
            }
        });
    egui::Grid::new("importance_grid").striped(true).num_columns(2).spacing([18.0, 2.0]).show(ui, |ui| {
        ui.strong("column");
        ui.strong(format!("drop in {} (± over 5 shuffles)", crate::eval::metric_label(imp.metric)));
        ui.end_row();
        for c in &imp.columns {
            ui.label(&c.column);
            ui.label(format!("{:.4} ± {:.4}", c.drop, c.std));
            ui.end_row();
        }
    });
    let label = crate::eval::metric_label(imp.metric);
    ui.label(egui::RichText::new(format!("Score with nothing shuffled: {:.4} {label}.", imp.baseline)).weak());
}

pub fn learning_curve_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.label(
        "Learning curve: the same model trained on a growing share of the training rows. Each point is \
         scored on the rows it learned from (training) and on the test rows it never saw. A wide gap \
         means over-fitting; two low lines mean under-fitting; a test line still rising means more data \
         would help.",
    );
    let busy = busy_ui(ui, &state.insight.busy);
    let Some(curve) = &state.insight.curve else {
        if ui.add_enabled(!busy, egui::Button::new("Draw learning curve")).clicked() {
            cmds.push(Command::ComputeLearningCurve);
        }
        return;
    };
    ui.label(egui::RichText::new(&curve.note).strong());
    let train: Vec<[f64; 2]> = curve.points.iter().map(|p| [p.train_rows as f64, p.train_score]).collect();
    let test: Vec<[f64; 2]> = curve.points.iter().map(|p| [p.train_rows as f64, p.test_score]).collect();
    Plot::new("learning_curve")
        .height(300.0)
        .legend(Legend::default())
        .x_axis_label("training rows")
        .y_axis_label(crate::eval::metric_label(curve.metric))
        .show(ui, |plot| {
            let (seen, new) = (egui::Color32::from_rgb(90, 150, 230), egui::Color32::from_rgb(240, 150, 50));
            plot.line(Line::new("training rows (seen)", PlotPoints::from(train.clone())).color(seen));
            plot.points(Points::new("training rows (seen)", train).radius(4.0).color(seen));
            plot.line(Line::new("test rows (new)", PlotPoints::from(test.clone())).color(new));
            plot.points(Points::new("test rows (new)", test).radius(4.0).color(new));
        });
    egui::Grid::new("curve_grid").striped(true).num_columns(3).spacing([18.0, 2.0]).show(ui, |ui| {
        for h in ["training rows", "training score", "test score"] {
            ui.strong(h);
        }
        ui.end_row();
        for p in &curve.points {
            ui.label(p.train_rows.to_string());
            ui.label(format!("{:.4}", p.train_score));
            ui.label(format!("{:.4}", p.test_score));
            ui.end_row();
        }
    });
}
