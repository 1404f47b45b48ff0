//! Evaluate panel, "Compare runs" tab: two models of this session side by side — their scores
//! with the difference, their settings, and (two classes) their ROC curves on one plot.

use super::{AppState, Command};
use crate::eval::{self, Detail};
use crate::train::TrainOutcome;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};
use std::sync::Arc;

/// "#3 Random forest (max_depth=8)".
fn run_name(i: usize, o: &TrainOutcome) -> String {
    let s = o.pipeline.info.params.summary();
    let settings = if s == "defaults" { String::new() } else { format!(" ({s})") };
    match &o.pipeline.forecast {
        Some(f) => format!("#{} Forecast: {} (backtest)", i + 1, f.method.display_name()),
        None => format!("#{} {}{settings}", i + 1, o.pipeline.model_display_name()),
    }
}

fn pick_ui(ui: &mut egui::Ui, label: &str, runs: &[Arc<TrainOutcome>], chosen: &mut usize) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        egui::ComboBox::from_id_salt(label)
            .selected_text(runs.get(*chosen).map(|o| run_name(*chosen, o)).unwrap_or_default())
            .width(360.0)
            .show_ui(ui, |ui| {
                for (i, o) in runs.iter().enumerate() {
                    let (m, v) = o.report.metrics.headline();
                    let m = crate::eval::metric_label(m);
                    ui.selectable_value(chosen, i, format!("{} — {m} {v:.3}", run_name(i, o)));
                }
            })
            .response
            .labelled_by(l.id);
    });
}

/// Metric names where lower is better.
fn lower_is_better(name: &str) -> bool {
    matches!(name, "RMSE" | "MAE")
}

pub fn compare_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    ui.label("Compare two models trained in this session: their scores on the test rows, and what differs.");
    let n = state.runs.len();
    if n < 2 {
        ui.label(
            "Only one model so far. Train another one (a different model or settings, or Try all models) \
             to compare them here.",
        );
        return;
    }
    let (mut a, mut b) = state.eval_view.compare.unwrap_or((n - 2, n - 1));
    pick_ui(ui, "Run A", &state.runs, &mut a);
    pick_ui(ui, "Run B", &state.runs, &mut b);
    state.eval_view.compare = Some((a.min(n - 1), b.min(n - 1)));
    let (ra, rb) = (state.runs[a.min(n - 1)].clone(), state.runs[b.min(n - 1)].clone());
    let (ia, ib) = (&ra.pipeline.info, &rb.pipeline.info);
    let same_rows = ia.seed == ib.seed && ia.test_size == ib.test_size && ia.data_hash == ib.data_hash;
    if !same_rows {
        ui.colored_label(
            egui::Color32::from_rgb(200, 140, 40),
            "These runs were scored on different test rows (another seed or test share), so the comparison is \
             rough. Use the same seed and test share for a fair one.",
        );
    }
    ui.add_space(4.0);
    let cards_a = ra.report.metrics.cards();
    let cards_b = rb.report.metrics.cards();
    egui::Grid::new("compare_grid").striped(true).num_columns(4).spacing([24.0, 4.0]).show(ui, |ui| {
        ui.strong("");
        ui.strong(format!("A: {}", ra.pipeline.model_display_name()));
        ui.strong(format!("B: {}", rb.pipeline.model_display_name()));
        ui.strong("B − A");
        ui.end_row();
        for ((name, va, help), (_, vb, _)) in cards_a.iter().zip(&cards_b) {
            ui.label(*name).on_hover_text(*help);
            ui.label(fmt(*va));
            ui.label(fmt(*vb));
            let d = vb - va;
            let better = if lower_is_better(name) { d < 0.0 } else { d > 0.0 };
            let color = if d == 0.0 {
                ui.visuals().weak_text_color()
            } else if better {
                egui::Color32::from_rgb(40, 160, 80)
            } else {
                egui::Color32::from_rgb(200, 60, 60)
            };
            ui.colored_label(color, format!("{}{}", if d >= 0.0 { "+" } else { "−" }, fmt(d.abs())));
            ui.end_row();
        }
        let rows: [(&str, String, String); 5] = [
            ("settings", ia.params.summary(), ib.params.summary()),
            ("training rows", ia.train_rows.to_string(), ib.train_rows.to_string()),
            ("features", ia.n_features.to_string(), ib.n_features.to_string()),
            ("seed / test share", format!("{} / {}", ia.seed, ia.test_size), format!("{} / {}", ib.seed, ib.test_size)),
            ("training seconds", format!("{:.2}", ia.train_seconds), format!("{:.2}", ib.train_seconds)),
        ];
        for (name, x, y) in rows {
            ui.label(name);
            ui.label(&x);
            ui.label(&y);
            ui.label(if x == y { "same" } else { "" });
            ui.end_row();
        }
    });
    let (_, va) = ra.report.metrics.headline();
    let (_, vb) = rb.report.metrics.headline();
    let label = ra.report.metrics.headline_label();
    let verdict = if (va - vb).abs() < 0.005 {
        format!("A and B are about as good ({label} {va:.3} vs {vb:.3}): prefer the simpler or faster one.")
    } else {
        let (w, l, d) = if vb > va { ("B", "A", vb - va) } else { ("A", "B", va - vb) };
        format!("{w} beats {l} by {d:.3} {label} on the test rows.")
    };
    ui.label(egui::RichText::new(verdict).strong());
    roc_overlay_ui(ui, &ra, &rb);
    ui.horizontal(|ui| {
        if ui.button("Use A").clicked() {
            cmds.push(Command::UseRun(a));
        }
        if ui.button("Use B").clicked() {
            cmds.push(Command::UseRun(b));
        }
    });
}

fn fmt(v: f64) -> String {
    if v.abs() >= 1000.0 { eval::human_number(v) } else { format!("{v:.4}") }
}

/// Both ROC curves on one plot (two-class runs with scores).
fn roc_overlay_ui(ui: &mut egui::Ui, ra: &TrainOutcome, rb: &TrainOutcome) {
    let curve = |o: &TrainOutcome| match &o.report.detail {
        Detail::Classification { classes, actual, scores, .. } if classes.len() == 2 && !scores.is_empty() => {
            let positive: Vec<bool> = actual.iter().map(|&a| a == 1).collect();
            Some(eval::curves(&positive, scores).0)
        }
        _ => None,
    };
    let (Some(ca), Some(cb)) = (curve(ra), curve(rb)) else { return };
    Plot::new("compare_roc")
        .height(260.0)
        .width(320.0)
        .data_aspect(1.0)
        .legend(Legend::default())
        .x_axis_label("false positive rate")
        .y_axis_label("true positive rate")
        .show(ui, |plot| {
            plot.line(Line::new("A", PlotPoints::from(ca)));
            plot.line(Line::new("B", PlotPoints::from(cb)));
            plot.points(Points::new("chance", vec![[0.0, 0.0], [1.0, 1.0]]).radius(1.0));
        });
}
