//! Evaluate panel, "Groups" tab: the model's metrics on the test rows group by group (any column
//! of the data, one the model reads or not) and the gaps between groups, with fairlearn's
//! definitions (`eval::fairness`), computed on a background thread on request.

use super::{AppState, Command};
use crate::eval::fairness::FairnessReport;
use crate::eval::mitigation::Mitigation;
use crate::train::TrainOutcome;
use std::sync::Arc;

/// Per-group thresholds tried on this tab: what they change, and the current model with and
/// without them (switching makes one or the other current; saving keeps the current one).
#[derive(Clone, Debug)]
pub struct MitigationView {
    pub result: Mitigation,
    pub with: Arc<TrainOutcome>,
    pub without: Arc<TrainOutcome>,
}
use egui_plot::{Bar, BarChart, Plot};

/// What each gap measures, in one line a beginner can read.
fn explain(measure: &str) -> &'static str {
    match measure {
        "demographic_parity_difference" => "largest minus smallest share of rows given the class",
        "demographic_parity_ratio" => "smallest share over largest (under 0.8 is the usual warning line)",
        "equalized_odds_difference" => "the larger gap of the true- and false-positive rates",
        "equal_opportunity_difference" => "gap in the share of real positives the model finds",
        "mae_gap" => "largest minus smallest typical error",
        "rmse_gap" => "the same with large misses counting more",
        "mean_error_gap" => "gap in bias: how much more one group is over- or under-predicted",
        _ => "",
    }
}

pub fn groups_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.label(
        "Does the model work as well for every group of people or things? Pick a column: the test rows are \
         split by its values (numbers into quarters) and scored group by group. The column may be one the \
         model does not use, such as a sensitive attribute kept out of training on purpose.",
    );
    let (Some(ds), Some(o)) = (&state.dataset, &state.outcome) else { return };
    let target = &o.pipeline.target.name;
    let chosen = state.eval_view.group.clone();
    ui.horizontal(|ui| {
        let mut pick = chosen.clone();
        egui::ComboBox::from_label("Group by")
            .selected_text(pick.clone().unwrap_or_else(|| "choose a column".into()))
            .show_ui(ui, |ui| {
                for c in ds.columns.iter().filter(|c| &c.name != target) {
                    ui.selectable_value(&mut pick, Some(c.name.clone()), &c.name);
                }
            });
        if pick != chosen
            && let Some(column) = pick
        {
            cmds.push(Command::ComputeGroups(column));
        }
    });
    if super::insight::busy_ui(ui, &state.insight.busy) {
        return;
    }
    let Some(report) = &state.insight.groups else { return };
    report_ui(ui, report);
    super::learn::learn_link(ui, super::learn::Topic::Fairness, cmds);
    if o.pipeline.target.classes.len() == 2 && report.task == "classification" {
        mitigation_ui(ui, state, cmds);
    }
}

/// "Try a fix": per-group thresholds, before/after, and the switch that makes them the model's.
fn mitigation_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.separator();
    ui.label(egui::RichText::new("Try a fix: one decision threshold per group").strong());
    ui.label(
        "The model gives each row a probability and decides at 0.5. Cairn can pick a threshold for each group \
         so that every group's real positives are found about as often as overall (equal opportunity). The \
         model itself does not change; deciding needs the group column.",
    );
    let view = state.insight.mitigation.as_ref().filter(|v| {
        state.eval_view.group.as_deref() == Some(v.result.thresholds.column.as_str())
            && state.outcome.as_ref().is_some_and(|o| Arc::ptr_eq(o, &v.with) || Arc::ptr_eq(o, &v.without))
    });
    let Some(view) = view else {
        if ui.button("Find per-group thresholds").clicked() {
            cmds.push(Command::ComputeMitigation);
        }
        return;
    };
    let m = &view.result;
    let tpr = |r: &FairnessReport, g: &str| {
        r.groups.iter().find(|x| x.group == g).and_then(|x| x.metrics.get("true_positive_rate").copied())
    };
    egui::Grid::new("mitigation_grid").striped(true).num_columns(4).spacing([14.0, 3.0]).show(ui, |ui| {
        ui.strong(&m.thresholds.column);
        ui.strong("threshold");
        ui.strong("true-positive rate before");
        ui.strong("after");
        ui.end_row();
        for g in &m.before.groups {
            ui.label(&g.group);
            ui.label(format!("{:.3}", m.thresholds.threshold(&g.group)));
            let shown = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.0} %", v * 100.0));
            ui.label(shown(tpr(&m.before, &g.group)));
            ui.label(shown(tpr(&m.after, &g.group)));
            ui.end_row();
        }
    });
    ui.label(&m.reading);
    let mut on = state.outcome.as_ref().is_some_and(|o| Arc::ptr_eq(o, &view.with));
    if ui.checkbox(&mut on, "Decide with these thresholds (saved with the model; used by Predict and Serve)").changed()
    {
        cmds.push(Command::UseThresholds(on));
    }
}

fn report_ui(ui: &mut egui::Ui, r: &FairnessReport) {
    ui.add_space(6.0);
    ui.label(egui::RichText::new(&r.reading).strong());
    if !r.small_groups.is_empty() {
        ui.colored_label(
            egui::Color32::from_rgb(230, 170, 60),
            format!("Too few test rows to judge: {} (under 30 rows each).", r.small_groups.join(", ")),
        );
    }
    let headline = if r.task == "classification" { "selection_rate" } else { "mae" };
    let bars: Vec<Bar> = r
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| Bar::new(i as f64, g.metrics.get(headline).copied().unwrap_or(0.0)).width(0.6).name(&g.group))
        .collect();
    let names: Vec<String> = r.groups.iter().map(|g| g.group.clone()).collect();
    Plot::new("groups_plot")
        .height(160.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label(headline.replace('_', " "))
        .x_axis_formatter(super::explore_charts::named_ticks(names))
        .show(ui, |plot| plot.bar_chart(BarChart::new(headline, bars)));
    let metrics: Vec<&String> = r.groups.first().map(|g| g.metrics.keys().collect()).unwrap_or_default();
    egui::Grid::new("groups_grid").striped(true).num_columns(metrics.len() + 2).spacing([14.0, 3.0]).show(ui, |ui| {
        ui.strong(&r.group_column);
        ui.strong("rows");
        for m in &metrics {
            ui.strong(m.replace('_', " "));
        }
        ui.end_row();
        for g in &r.groups {
            ui.label(&g.group);
            ui.label(g.rows.to_string());
            for m in &metrics {
                ui.label(format!("{:.3}", g.metrics[*m]));
            }
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    ui.label(egui::RichText::new("Gaps between groups (fairlearn's definitions)").strong());
    for (measure, value) in &r.differences {
        let shown = if value.is_nan() { "—".to_string() } else { format!("{value:.3}") };
        ui.label(format!("{}: {shown} — {}", measure.replace('_', " "), explain(measure)));
    }
    if let Some(p) = &r.positive_class {
        ui.label(egui::RichText::new(format!("'{p}' counts as the selected outcome.")).weak());
    }
}
