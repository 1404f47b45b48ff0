//! Why the model predicts what it does (`eval::explain`), in the window:
//! - the What-if tab's contribution chart for the edited row, recomputed on a background
//!   thread after each edit (the chart of the last finished edit stays up meanwhile);
//! - the Evaluate panel's "Explanations" tab: the mean |contribution| of each input column over
//!   the test rows, a beeswarm of contribution against value for the top columns, and the
//!   partial dependence (with ICE curves) of a chosen column.

use super::events::Event;
use super::whatif::Cell;
use super::{AppState, CairnApp, Command};
use crate::data::{Dataset, Values};
use crate::eval::explain::{Grid, Options, PartialDependence, RowExplanation, explain_rows, partial_dependence};
use crate::train::TrainOutcome;
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoint, PlotPoints, Points, Text};
use std::sync::Arc;
use std::time::Instant;

/// Test rows the summary explains (at most).
const SUMMARY_ROWS: usize = 200;
/// Columns the beeswarm shows.
const SWARM_COLUMNS: usize = 6;

/// The explanation of the What-if row, for the cells it was computed from.
#[derive(Clone, Debug)]
pub struct WhatIfExplanation {
    pub cells: Vec<Cell>,
    pub result: Result<(Vec<String>, RowExplanation), String>,
    pub millis: f64,
}

/// The Explanations tab's results for the current model.
#[derive(Clone, Debug, Default)]
pub struct ExplainView {
    pub summary: Option<Summary>,
    pub pdp: Option<PartialDependence>,
    pub pdp_column: Option<String>,
    pub busy: bool,
}

/// Contributions over the test rows.
#[derive(Clone, Debug)]
pub struct Summary {
    pub output: String,
    pub method: String,
    pub columns: Vec<String>,
    /// Mean |contribution| per column.
    pub mean_abs: Vec<f64>,
    /// Per column: (contribution, the value's position 0…1 among the rows, or NaN for a category).
    pub points: Vec<Vec<(f64, f64)>>,
    pub rows: usize,
    pub seconds: f64,
}

/// Finished computations.
pub enum Explained {
    WhatIf(Arc<TrainOutcome>, Box<WhatIfExplanation>),
    Summary(Arc<TrainOutcome>, Result<Summary, String>),
    Pdp(Arc<TrainOutcome>, Result<PartialDependence, String>),
}

impl CairnApp {
    /// Explains the What-if row in the background when its cells changed since the last one.
    pub(super) fn refresh_whatif_explanation(&mut self) {
        let Some(o) = self.state.outcome.clone() else { return };
        let Some(w) = self.state.eval_view.whatif.as_mut() else { return };
        if w.explaining.as_ref() == Some(&w.cells) || w.explained.as_ref().is_some_and(|e| e.cells == w.cells) {
            return;
        }
        if w.explaining.is_some() {
            return; // one at a time; the newest cells are picked up when it finishes
        }
        let cells = w.cells.clone();
        w.explaining = Some(cells.clone());
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let started = Instant::now();
            let result = super::whatif::record_dataset(&o.pipeline, &cells)
                .and_then(|ds| explain_rows(&o.pipeline, &ds, &Options::default()).map_err(|e| e.to_string()))
                .and_then(|e| {
                    let columns = e.columns;
                    e.rows.into_iter().next().map(|r| (columns, r)).ok_or_else(|| "no row to explain".to_string())
                });
            let millis = started.elapsed().as_secs_f64() * 1e3;
            let found = WhatIfExplanation { cells, result, millis };
            tx.send(Event::Explained(Box::new(Explained::WhatIf(o, Box::new(found))))).ok();
            repaint();
        });
    }

    pub(super) fn start_explain_summary(&mut self) {
        self.start_explain_job(|ds, o| Explained::Summary(o.clone(), summary(ds, o)));
    }

    pub(super) fn start_pdp(&mut self, column: String) {
        self.state.insight.explain.pdp_column = Some(column.clone());
        self.start_explain_job(move |ds, o| {
            let test = ds.take_rows(&o.test_source_rows);
            let pdp = partial_dependence(&o.pipeline, &test, &column, &Options::default()).map_err(|e| e.to_string());
            Explained::Pdp(o.clone(), pdp)
        });
    }

    fn start_explain_job(&mut self, job: impl FnOnce(&Dataset, &Arc<TrainOutcome>) -> Explained + Send + 'static) {
        let (Some(ds), Some(o)) = (self.state.dataset.clone(), self.state.outcome.clone()) else { return };
        if self.state.insight.explain.busy {
            return;
        }
        self.state.insight.explain.busy = true;
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let found = job(&ds, &o);
            tx.send(Event::Explained(Box::new(found))).ok();
            repaint();
        });
    }
}

/// Explains up to [`SUMMARY_ROWS`] test rows.
fn summary(ds: &Dataset, o: &TrainOutcome) -> Result<Summary, String> {
    let started = Instant::now();
    let step = (o.test_source_rows.len() / SUMMARY_ROWS).max(1);
    let rows: Vec<usize> = o.test_source_rows.iter().step_by(step).take(SUMMARY_ROWS).copied().collect();
    let test = ds.take_rows(&rows);
    let e = explain_rows(&o.pipeline, &test, &Options::default()).map_err(|e| e.to_string())?;
    let k = e.columns.len();
    let n = e.rows.len().max(1) as f64;
    let mean_abs: Vec<f64> = (0..k).map(|j| e.rows.iter().map(|r| r.contributions[j].abs()).sum::<f64>() / n).collect();
    let points = (0..k)
        .map(|j| {
            let position = positions(test.column(&e.columns[j]).map(|c| &c.values), e.rows.len());
            e.rows.iter().enumerate().map(|(i, r)| (r.contributions[j], position[i])).collect()
        })
        .collect();
    Ok(Summary {
        output: e.rows.first().map(|r| r.output.clone()).unwrap_or_default(),
        method: format!("{:?}", e.method),
        columns: e.columns,
        mean_abs,
        points,
        rows: e.rows.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Each row's value as a position 0…1 between the column's smallest and largest (NaN for
/// categories, text and missing values).
fn positions(values: Option<&Values>, n: usize) -> Vec<f64> {
    let Some(Values::Numeric(v)) = values else { return vec![f64::NAN; n] };
    let (lo, hi) = v.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    (0..n).map(|r| v.get(r).map_or(f64::NAN, |x| if hi > lo { (x - lo) / (hi - lo) } else { 0.5 })).collect()
}

/// Applies a finished computation (one for a model that is no longer current is dropped).
pub(super) fn explained(state: &mut AppState, found: Explained) {
    let current = |o: &Arc<TrainOutcome>| state.outcome.as_ref().is_some_and(|c| Arc::ptr_eq(c, o));
    match found {
        Explained::WhatIf(o, e) => {
            if !current(&o) {
                return;
            }
            if let Some(w) = state.eval_view.whatif.as_mut() {
                w.explaining = None;
                w.explained = Some(*e);
            }
        }
        Explained::Summary(o, result) => {
            if !current(&o) {
                return;
            }
            state.insight.explain.busy = false;
            match result {
                Ok(s) => state.insight.explain.summary = Some(s),
                Err(e) => state.error = Some(format!("Explaining the test rows failed: {e}")),
            }
        }
        Explained::Pdp(o, result) => {
            if !current(&o) {
                return;
            }
            state.insight.explain.busy = false;
            match result {
                Ok(p) => state.insight.explain.pdp = Some(p),
                Err(e) => state.error = Some(format!("Partial dependence failed: {e}")),
            }
        }
    }
}

const UP: egui::Color32 = egui::Color32::from_rgb(220, 90, 70);
const DOWN: egui::Color32 = egui::Color32::from_rgb(70, 130, 220);

/// The contributions of one row as horizontal bars, largest first (the smallest columns summed),
/// with the base value and the output they add up to.
pub fn contributions_ui(ui: &mut egui::Ui, e: &WhatIfExplanation, computing: bool) {
    let (columns, r) = match &e.result {
        Ok(x) => x,
        Err(err) => {
            ui.colored_label(egui::Color32::from_rgb(200, 60, 60), format!("Cannot explain this row: {err}"));
            return;
        }
    };
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by(|&a, &b| r.contributions[b].abs().total_cmp(&r.contributions[a].abs()));
    let shown = order.len().min(10);
    let mut items: Vec<(String, f64)> =
        order[..shown].iter().map(|&j| (columns[j].clone(), r.contributions[j])).collect();
    if order.len() > shown {
        let rest: f64 = order[shown..].iter().map(|&j| r.contributions[j]).sum();
        items.push((format!("{} other columns", order.len() - shown), rest));
    }
    let n = items.len();
    ui.label(egui::RichText::new("Why this prediction").strong());
    ui.label(format!(
        "Each bar is what a column adds to (red) or takes from (blue) {}: starting from the average, {}, they add \
         up to {} for this row.{}",
        r.output,
        crate::eval::human_number(r.base_value),
        crate::eval::human_number(r.prediction),
        if r.std_errors.is_empty() { String::new() } else { " (Estimated by sampling: ± shown on hover.)".into() }
    ));
    let bars: Vec<Bar> = items
        .iter()
        .enumerate()
        .map(|(i, (name, v))| {
            Bar::new((n - 1 - i) as f64, *v).width(0.7).fill(if *v >= 0.0 { UP } else { DOWN }).name(name)
        })
        .collect();
    let span = items.iter().map(|(_, v)| v.abs()).fold(0.0, f64::max).max(1e-12);
    Plot::new("whatif_contributions")
        .height((24.0 * n as f32 + 40.0).clamp(120.0, 320.0))
        .show_axes([true, false])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .include_x(-span * 1.6)
        .include_x(span * 1.1)
        .x_axis_label(format!("contribution to {}", r.output))
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("contribution", bars).horizontal());
            for (i, (name, v)) in items.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let label =
                    format!("{name} {}{}", if *v >= 0.0 { "+" } else { "−" }, crate::eval::human_number(v.abs()));
                plot.text(
                    Text::new("column", PlotPoint::new(-span * 1.55, y), label).anchor(egui::Align2::LEFT_CENTER),
                );
            }
        });
    for (column, words) in &r.top_words {
        let listed: Vec<String> = words.iter().map(|(w, v)| format!("{w} ({v:+.3})")).collect();
        ui.label(format!("Words of '{column}' that weigh most: {}", listed.join(", ")));
    }
    let note = if computing { "updating…".to_string() } else { format!("explained in {:.1} ms", e.millis) };
    ui.label(egui::RichText::new(note).weak().small());
}

/// The Explanations tab.
pub fn explanations_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let Some(o) = &state.outcome else { return };
    let view = &state.insight.explain;
    ui.label(
        "Which columns push the predictions up or down, row by row (Shapley values: exact for trees and linear \
         models, estimated by sampling for the others), and how the prediction changes as one column changes \
         (partial dependence).",
    );
    if view.busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Explaining…");
        });
    }
    match &view.summary {
        None => {
            if ui.add_enabled(!view.busy, egui::Button::new("Explain the test rows")).clicked() {
                cmds.push(Command::ExplainSummary);
            }
        }
        Some(s) => summary_ui(ui, s),
    }
    ui.separator();
    ui.label(egui::RichText::new("Partial dependence").strong());
    ui.horizontal(|ui| {
        let chosen = view.pdp_column.clone();
        let label = ui.label("column");
        let combo = egui::ComboBox::from_id_salt("pdp_column")
            .selected_text(chosen.clone().unwrap_or_else(|| "choose a column".into()))
            .show_ui(ui, |ui| {
                let mut pick = chosen.clone();
                for c in o.pipeline.schema.columns.iter().filter(|c| c.kind != crate::data::ColumnKind::Text) {
                    ui.selectable_value(&mut pick, Some(c.name.clone()), &c.name);
                }
                if pick != chosen
                    && let Some(c) = pick
                {
                    cmds.push(Command::ExplainPdp(c));
                }
            });
        combo.response.labelled_by(label.id);
    });
    if let Some(p) = view.pdp.as_ref().filter(|p| Some(&p.column) == view.pdp_column.as_ref()) {
        pdp_ui(ui, p);
    }
}

fn summary_ui(ui: &mut egui::Ui, s: &Summary) {
    let mut order: Vec<usize> = (0..s.columns.len()).collect();
    order.sort_by(|&a, &b| s.mean_abs[b].total_cmp(&s.mean_abs[a]));
    if let Some(&top) = order.first() {
        ui.label(
            egui::RichText::new(format!(
                "Over {} test rows, '{}' moves {} the most: by {} on average.",
                s.rows,
                s.columns[top],
                s.output.trim_start_matches("the "),
                crate::eval::human_number(s.mean_abs[top])
            ))
            .strong(),
        );
    }
    let n = order.len().min(12);
    let bars: Vec<Bar> = order[..n]
        .iter()
        .enumerate()
        .map(|(i, &j)| Bar::new((n - 1 - i) as f64, s.mean_abs[j]).width(0.7).name(&s.columns[j]))
        .collect();
    let top = order.first().map_or(1.0, |&j| s.mean_abs[j]).max(1e-12);
    Plot::new("explain_summary")
        .height((22.0 * n as f32 + 40.0).clamp(120.0, 320.0))
        .show_axes([true, false])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .include_x(-0.45 * top)
        .x_axis_label(format!("mean |contribution| to {}", s.output))
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("mean |contribution|", bars).horizontal());
            for (i, &j) in order[..n].iter().enumerate() {
                plot.text(
                    Text::new("column", PlotPoint::new(-0.02 * top, (n - 1 - i) as f64), &s.columns[j])
                        .anchor(egui::Align2::RIGHT_CENTER),
                );
            }
        });
    // Beeswarm: one dot per row and column, at its contribution; colour by the value (blue low,
    // red high; grey for categories), spread vertically so dots do not hide each other.
    ui.label("Each dot is a test row: how much the column moved its prediction, coloured by the column's value (blue low, red high).");
    let m = order.len().min(SWARM_COLUMNS);
    Plot::new("explain_swarm")
        .height(40.0 * m as f32 + 40.0)
        .show_axes([true, false])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .legend(Legend::default())
        .x_axis_label(format!("contribution to {}", s.output))
        .show(ui, |plot| {
            for (i, &j) in order[..m].iter().enumerate() {
                let y = (m - 1 - i) as f64;
                let mut buckets: [Vec<[f64; 2]>; 4] = Default::default();
                for (k, &(c, pos)) in s.points[j].iter().enumerate() {
                    let jitter = ((k as f64 * 0.618_034).fract() - 0.5) * 0.6;
                    let b = if pos.is_nan() { 3 } else { ((pos * 3.0) as usize).min(2) };
                    buckets[b].push([c, y + jitter]);
                }
                let colours = [DOWN, egui::Color32::from_rgb(200, 170, 200), UP, egui::Color32::GRAY];
                let names = ["low value", "middle value", "high value", "category"];
                for (b, pts) in buckets.into_iter().enumerate() {
                    if !pts.is_empty() {
                        plot.points(Points::new(names[b], pts).radius(2.0).color(colours[b]));
                    }
                }
                plot.text(Text::new("", PlotPoint::new(0.0, y + 0.42), &s.columns[j]));
            }
        });
    ui.label(
        egui::RichText::new(format!("{} rows explained in {:.1} s ({}).", s.rows, s.seconds, s.method.to_lowercase()))
            .weak(),
    );
}

fn pdp_ui(ui: &mut egui::Ui, p: &PartialDependence) {
    ui.label(format!(
        "The average of {} as '{}' is set to each value in every test row (thick line), and single rows' curves (thin).",
        p.output, p.column
    ));
    let (xs, labels): (Vec<f64>, Vec<String>) = match &p.grid {
        Grid::Numbers(v) => (v.clone(), vec![]),
        Grid::Categories(c) => ((0..c.len()).map(|i| i as f64).collect(), c.clone()),
    };
    Plot::new("explain_pdp")
        .height(260.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_label(p.column.clone())
        .y_axis_label(p.output.clone())
        .x_axis_formatter(move |mark, _| {
            if labels.is_empty() {
                crate::data::format_number((mark.value * 1e6).round() / 1e6)
            } else {
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        })
        .show(ui, |plot| {
            for curve in &p.ice {
                let pts: Vec<[f64; 2]> = xs.iter().zip(curve).map(|(x, y)| [*x, *y]).collect();
                plot.line(
                    Line::new("one row", PlotPoints::from(pts)).color(egui::Color32::from_white_alpha(40)).width(1.0),
                );
            }
            let avg: Vec<[f64; 2]> = xs.iter().zip(&p.average).map(|(x, y)| [*x, *y]).collect();
            plot.line(Line::new("average", PlotPoints::from(avg.clone())).color(UP).width(3.0));
            plot.points(Points::new("average", avg).radius(3.5).color(UP));
        });
}
