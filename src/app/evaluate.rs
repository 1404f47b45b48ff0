//! Evaluate panel: metric cards in plain words and one chart — predicted vs actual for
//! regression, the confusion matrix for classification.

use super::{AppState, Command, Panel};
use crate::eval::Detail;
use egui_plot::{Heatmap, Line, Plot, PlotPoint, PlotPoints, Points, Text};

/// Most points drawn in a scatter; larger test sets are thinned evenly.
const MAX_POINTS: usize = 3000;

pub fn evaluate_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.heading("4 · Evaluate");
    let Some(o) = &state.outcome else {
        ui.label("Train a model first.");
        return;
    };
    let p = &o.pipeline;
    ui.label(format!(
        "{} predicting '{}', scored on {} test rows it never saw during training.",
        p.model_display_name(),
        p.target.name,
        p.info.test_rows
    ));
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        for (name, value, help) in o.report.metrics.cards() {
            egui::Frame::group(ui.style()).inner_margin(10.0).show(ui, |ui| {
                ui.set_min_width(120.0);
                ui.vertical(|ui| {
                    ui.label(egui::RichText::new(name).small());
                    let text =
                        if value.abs() >= 1000.0 { crate::eval::human_number(value) } else { format!("{value:.3}") };
                    ui.label(egui::RichText::new(text).size(24.0).strong());
                })
                .response
                .on_hover_text(help);
            });
        }
    });
    ui.add_space(4.0);
    ui.label(o.report.metrics.plain_words(&p.target.name));
    ui.add_space(8.0);

    match &o.report.detail {
        Detail::Regression { actual, predicted } => {
            ui.label(egui::RichText::new("Predicted vs actual (points on the diagonal are perfect)").strong());
            let step = actual.len().div_ceil(MAX_POINTS).max(1);
            let pts: Vec<[f64; 2]> = actual.iter().zip(predicted).step_by(step).map(|(&a, &p)| [a, p]).collect();
            let lo = actual.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = actual.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Plot::new("pred_vs_actual")
                .height(360.0)
                .x_axis_label(format!("actual {}", p.target.name))
                .y_axis_label("predicted")
                .show(ui, |plot| {
                    plot.points(Points::new("test rows", pts).radius(1.5));
                    plot.line(Line::new("perfect", PlotPoints::from(vec![[lo, lo], [hi, hi]])));
                });
        }
        Detail::Classification { classes, confusion } => {
            ui.label(egui::RichText::new("Confusion matrix (rows: actual class, columns: predicted class)").strong());
            let k = classes.len();
            // Heatmap rows are drawn bottom-up; put the first actual class on top.
            let values: Vec<f64> = (0..k).rev().flat_map(|a| confusion[a].iter().map(|&c| c as f64)).collect();
            Plot::new("confusion")
                .height(360.0)
                .data_aspect(1.0)
                .show_grid(false)
                .show_axes(false)
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .show(ui, |plot| {
                    plot.heatmap(Heatmap::new(values, k).show_labels(true).at(PlotPoint::new(0.0, 0.0)));
                    for (i, c) in classes.iter().enumerate() {
                        plot.text(Text::new("predicted", PlotPoint::new(i as f64 + 0.5, -0.3), format!("pred. {c}")));
                        plot.text(
                            Text::new("actual", PlotPoint::new(-0.5, (k - 1 - i) as f64 + 0.5), c.clone())
                                .anchor(egui::Align2::RIGHT_CENTER),
                        );
                    }
                });
        }
    }

    ui.add_space(8.0);
    let how = match p.model.kind() {
        crate::train::ModelKind::Tree | crate::train::ModelKind::RandomForest => {
            "The features the trees split on most often (share of all splits)."
        }
        _ => "The features with the largest weights. Numbers are standardised, so weights are comparable.",
    };
    ui.label(egui::RichText::new("What the model leans on most").strong()).on_hover_text(how);
    for (name, w) in p.top_features(5) {
        let sign = if w < 0.0 { "−" } else { "+" };
        ui.label(format!("{name}: {sign}{}", crate::eval::human_number(w.abs())));
    }
    ui.add_space(8.0);
    if ui.button("Next: Deploy").clicked() {
        cmds.push(Command::Show(Panel::Deploy));
    }
}
