//! Data panel, "Explore" view: a histogram / bar chart of any column split by another (the
//! target by default), box plots of a number by a category, a scatter of two numbers coloured by
//! a third (thinned to `MAX_POINTS` rows so a million rows stay fluid), and the correlation heat
//! map with the strongest pairs in words. Dragging a box on the scatter or clicking a bar selects
//! rows: the preview table shows them, and one click turns the selection into a recipe step.
//! Every chart and selection is computed on a background thread (`data::explore`).

use super::events::Event;
use super::{AppState, CairnApp, Command};
use crate::data::explore::{
    self, BoxStats, Correlations, Groups, Histogram, MAX_POINTS, RowCondition, Scatter, boxes, correlations, histogram,
    scatter,
};
use crate::data::{ColumnKind, Dataset};
use egui_plot::{Bar, BarChart, BoxElem, BoxPlot, BoxSpread, Legend, Plot, PlotPoints, Points, Polygon};
use std::sync::Arc;

/// The kinds of chart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Chart {
    #[default]
    Histogram,
    Boxes,
    Scatter,
    Correlations,
}

impl Chart {
    const ALL: [Chart; 4] = [Chart::Histogram, Chart::Boxes, Chart::Scatter, Chart::Correlations];

    fn label(self) -> &'static str {
        match self {
            Chart::Histogram => "Distribution",
            Chart::Boxes => "Box plots",
            Chart::Scatter => "Scatter",
            Chart::Correlations => "Correlations",
        }
    }
}

/// What to draw: the chart and its columns (`by`: the colour / split column).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExploreRequest {
    pub chart: Chart,
    pub x: String,
    pub y: String,
    pub by: Option<String>,
}

/// A computed chart.
#[derive(Clone, Debug)]
pub enum ExploreResult {
    Histogram(Histogram),
    Boxes(Vec<BoxStats>),
    Scatter(Scatter),
    Correlations(Correlations),
}

/// Selected rows: the conditions (in the data's columns) and the rows meeting them.
#[derive(Clone, Debug)]
pub struct Selection {
    pub conditions: Vec<RowCondition>,
    pub rows: Arc<Vec<usize>>,
}

impl Selection {
    pub fn describe(&self) -> String {
        self.conditions.iter().map(RowCondition::describe).collect::<Vec<_>>().join(" and ")
    }
}

/// The Explore view's state.
#[derive(Clone, Debug, Default)]
pub struct ExploreView {
    /// The Data panel shows Explore (else the column list).
    pub open: bool,
    /// The chart the user chose (columns filled in with defaults when empty).
    pub want: ExploreRequest,
    /// The last request sent, and its result when it arrived.
    pub requested: Option<ExploreRequest>,
    pub result: Option<(ExploreRequest, ExploreResult)>,
    pub busy: bool,
    /// Spearman instead of Pearson in the heat map.
    pub spearman: bool,
    pub selection: Option<Selection>,
    /// Bumped per selection, so a late answer to an older one is dropped.
    pub generation: u64,
}

/// What the view asks the app to do.
#[derive(Clone, Debug)]
pub enum ExploreCommand {
    Open(bool),
    Want(ExploreRequest),
    Spearman(bool),
    Select(Vec<RowCondition>),
    ClearSelection,
    /// Keep (true) or drop (false) the selected rows, as a recipe row step.
    SelectionToRecipe(bool),
}

/// The finished computations.
pub enum Explored {
    Chart(ExploreRequest, Result<ExploreResult, String>),
    Selected(u64, Result<Selection, String>),
}

/// The chart request with its columns filled in: x the first number column (not the target),
/// y the next, `by` the target.
pub fn resolve(want: &ExploreRequest, ds: &Dataset, target: Option<&str>) -> ExploreRequest {
    let numbers: Vec<&str> = ds
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Numeric && Some(c.name.as_str()) != target)
        .map(|c| c.name.as_str())
        .collect();
    let categories: Vec<&str> =
        ds.columns.iter().filter(|c| c.kind == ColumnKind::Categorical).map(|c| c.name.as_str()).collect();
    let exists = |c: &str| ds.column(c).is_some();
    let mut r = want.clone();
    if !exists(&r.x) {
        let first = ds.columns.first().map(|c| c.name.as_str());
        r.x = numbers.first().copied().or(first).unwrap_or_default().to_string();
    }
    if !exists(&r.y) || r.y == r.x {
        r.y = numbers.iter().find(|c| **c != r.x).copied().unwrap_or_default().to_string();
    }
    if r.by.as_ref().is_some_and(|b| !exists(b)) {
        r.by = None;
    }
    if want.by.is_none() && r.by.is_none() {
        r.by = target.filter(|t| exists(t)).map(str::to_string);
        if r.chart == Chart::Boxes
            && r.by.as_ref().is_none_or(|b| ds.column(b).is_some_and(|c| c.kind != ColumnKind::Categorical))
        {
            r.by = categories.first().map(|c| c.to_string());
        }
    }
    r
}

/// Computes one chart (off the UI thread).
pub fn compute(ds: &Dataset, r: &ExploreRequest) -> Result<ExploreResult, String> {
    let col = |name: &str| ds.column(name).ok_or_else(|| format!("no column '{name}'"));
    let groups = match &r.by {
        Some(b) => Groups::of(col(b)?),
        None => Groups::one(ds.n_rows()),
    };
    Ok(match r.chart {
        Chart::Histogram => ExploreResult::Histogram(histogram(col(&r.x)?, &groups, 30)),
        Chart::Boxes => ExploreResult::Boxes(boxes(col(&r.x)?, &groups)),
        Chart::Scatter => ExploreResult::Scatter(scatter(col(&r.x)?, col(&r.y)?, &groups, MAX_POINTS)),
        Chart::Correlations => ExploreResult::Correlations(correlations(ds, &[])),
    })
}

impl CairnApp {
    pub(super) fn explore_command(&mut self, command: ExploreCommand) {
        let view = &mut self.state.explore;
        match command {
            ExploreCommand::Open(open) => view.open = open,
            ExploreCommand::Want(want) => view.want = want,
            ExploreCommand::Spearman(on) => view.spearman = on,
            ExploreCommand::ClearSelection => view.selection = None,
            ExploreCommand::Select(conditions) => self.start_selection(conditions),
            ExploreCommand::SelectionToRecipe(keep) => {
                if let Some(sel) = view.selection.take() {
                    let step = crate::features::Step::FilterRows { conditions: sel.conditions, keep };
                    self.execute(Command::Recipe(super::features::RecipeEdit::Add(step)));
                }
            }
        }
    }

    /// Sends the chart the view wants when it differs from the last one sent.
    pub(super) fn refresh_explore(&mut self) {
        let Some(ds) = self.state.dataset.clone() else { return };
        if !self.state.explore.open {
            return;
        }
        let request = resolve(&self.state.explore.want, &ds, self.state.settings.target.as_deref());
        if self.state.explore.requested.as_ref() == Some(&request) {
            return;
        }
        let view = &mut self.state.explore;
        view.requested = Some(request.clone());
        view.busy = true;
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = compute(&ds, &request);
            tx.send(Event::Explored(Box::new(Explored::Chart(request, result)))).ok();
            repaint();
        });
    }

    fn start_selection(&mut self, conditions: Vec<RowCondition>) {
        let Some(ds) = self.state.dataset.clone() else { return };
        self.state.explore.generation += 1;
        let generation = self.state.explore.generation;
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = explore::select_rows(&ds, &conditions)
                .map(|rows| Selection { conditions, rows: Arc::new(rows) })
                .map_err(|e| e.to_string());
            tx.send(Event::Explored(Box::new(Explored::Selected(generation, result)))).ok();
            repaint();
        });
    }
}

/// Applies a finished computation (one for an older request is dropped).
pub(super) fn explored(state: &mut AppState, found: Explored) {
    let view = &mut state.explore;
    match found {
        Explored::Chart(request, result) => {
            if view.requested.as_ref() != Some(&request) {
                return;
            }
            view.busy = false;
            match result {
                Ok(r) => view.result = Some((request, r)),
                Err(e) => state.error = Some(format!("Explore: {e}")),
            }
        }
        Explored::Selected(generation, result) => {
            if generation != view.generation {
                return;
            }
            match result {
                Ok(sel) => view.selection = Some(sel),
                Err(e) => state.error = Some(format!("Selecting rows: {e}")),
            }
        }
    }
}

const PALETTE: [egui::Color32; 9] = [
    egui::Color32::from_rgb(90, 150, 230),
    egui::Color32::from_rgb(240, 150, 50),
    egui::Color32::from_rgb(90, 190, 110),
    egui::Color32::from_rgb(220, 90, 90),
    egui::Color32::from_rgb(170, 120, 220),
    egui::Color32::from_rgb(150, 110, 80),
    egui::Color32::from_rgb(230, 120, 190),
    egui::Color32::from_rgb(160, 160, 160),
    egui::Color32::from_rgb(200, 200, 80),
];

fn colour(i: usize, name: &str) -> egui::Color32 {
    if name == explore::MISSING || name == explore::OTHER {
        egui::Color32::from_gray(120)
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

fn column_combo(ui: &mut egui::Ui, label: &str, value: &str, choices: &[&str], out: &mut Option<String>) {
    let mut pick = value.to_string();
    let shown = ui.label(label);
    let combo = egui::ComboBox::from_id_salt(("explore", label)).selected_text(&pick).width(150.0).show_ui(ui, |ui| {
        for c in choices {
            ui.selectable_value(&mut pick, c.to_string(), *c);
        }
    });
    combo.response.labelled_by(shown.id);
    if pick != value {
        *out = Some(pick);
    }
}

/// The Explore view (inside the Data panel).
pub fn explore_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let Some(ds) = &state.dataset else { return };
    let view = &state.explore;
    let shown = resolve(&view.want, ds, state.settings.target.as_deref());
    let mut want = view.want.clone();
    ui.horizontal(|ui| {
        for chart in Chart::ALL {
            if ui.selectable_label(shown.chart == chart, chart.label()).clicked() {
                want.chart = chart;
            }
        }
    });
    let numbers: Vec<&str> =
        ds.columns.iter().filter(|c| c.kind == ColumnKind::Numeric).map(|c| c.name.as_str()).collect();
    let all: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
    let splits: Vec<&str> = ds.columns.iter().filter(|c| c.kind != ColumnKind::Text).map(|c| c.name.as_str()).collect();
    ui.horizontal(|ui| {
        let mut pick = None;
        match shown.chart {
            Chart::Histogram => column_combo(ui, "column", &shown.x, &all, &mut pick),
            Chart::Boxes => column_combo(ui, "number", &shown.x, &numbers, &mut pick),
            Chart::Scatter => {
                column_combo(ui, "x", &shown.x, &numbers, &mut pick);
                let mut y = None;
                column_combo(ui, "y", &shown.y, &numbers, &mut y);
                if let Some(y) = y {
                    want.y = y;
                }
            }
            Chart::Correlations => {
                let mut on = view.spearman;
                if ui.checkbox(&mut on, "Spearman (ranks) instead of Pearson").changed() {
                    cmds.push(Command::Explore(ExploreCommand::Spearman(on)));
                }
            }
        }
        if let Some(x) = pick {
            want.x = x;
        }
        if shown.chart != Chart::Correlations {
            let label = if shown.chart == Chart::Boxes { "by" } else { "colour by" };
            let mut by = None;
            let current = shown.by.clone().unwrap_or_else(|| "(none)".into());
            let mut choices = vec!["(none)"];
            choices.extend(splits.iter().copied());
            column_combo(ui, label, &current, &choices, &mut by);
            if let Some(b) = by {
                want.by = (b != "(none)").then_some(b);
            }
        }
    });
    if want != view.want {
        cmds.push(Command::Explore(ExploreCommand::Want(want)));
    }
    if view.busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Computing the chart…");
        });
    }
    match &view.result {
        Some((r, ExploreResult::Histogram(h))) if *r == shown => histogram_ui(ui, h, cmds),
        Some((r, ExploreResult::Boxes(b))) if *r == shown => boxes_ui(ui, b, &shown),
        Some((r, ExploreResult::Scatter(s))) if *r == shown => scatter_ui(ui, s, &shown, view.selection.as_ref(), cmds),
        Some((r, ExploreResult::Correlations(c))) if *r == shown => correlations_ui(ui, c, view.spearman),
        _ => {}
    }
    selection_ui(ui, state, cmds);
}

fn histogram_ui(ui: &mut egui::Ui, h: &Histogram, cmds: &mut Vec<Command>) {
    if h.labels.is_empty() {
        ui.label("No values to draw.");
        return;
    }
    ui.label(if h.lengths {
        "Lengths of the texts in characters, split by the colour column. Click a bar to select its rows."
    } else {
        "How many rows have each value, split by the colour column. Click a bar to select its rows."
    });
    let labels = h.labels.clone();
    let mut below = vec![0.0; h.labels.len()];
    let charts: Vec<BarChart> = h
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| {
            let bars: Vec<Bar> = (0..h.labels.len())
                .map(|b| {
                    let n = h.counts[g][b] as f64;
                    let bar = Bar::new(b as f64, n).base_offset(below[b]).width(0.9).name(&h.labels[b]);
                    below[b] += n;
                    bar
                })
                .collect();
            BarChart::new(name.clone(), bars).color(colour(g, name))
        })
        .collect();
    let response = Plot::new("explore_histogram")
        .height(300.0)
        .legend(Legend::default())
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .y_axis_label("rows")
        .x_axis_formatter(named_ticks(labels))
        .show(ui, |plot| charts.into_iter().for_each(|c| plot.bar_chart(c)));
    if response.response.clicked()
        && let Some(pos) = response.response.interact_pointer_pos()
    {
        let bar = response.transform.value_from_position(pos).x.round();
        if bar >= 0.0
            && let Some(c) = h.condition(bar as usize)
        {
            cmds.push(Command::Explore(ExploreCommand::Select(vec![c])));
        }
    }
}

fn boxes_ui(ui: &mut egui::Ui, b: &[BoxStats], r: &ExploreRequest) {
    if b.is_empty() {
        ui.label("Pick a number column and a column to split it by.");
        return;
    }
    ui.label(format!(
        "The middle half of '{}' in each group (the box), its median (the line) and the range without outliers \
         (the whiskers).",
        r.x
    ));
    let names: Vec<String> = b.iter().map(|x| x.group.clone()).collect();
    let elems: Vec<BoxElem> = b
        .iter()
        .enumerate()
        .map(|(i, s)| {
            BoxElem::new(i as f64, BoxSpread::new(s.lower_whisker, s.q1, s.median, s.q3, s.upper_whisker))
                .name(format!("{} ({} rows, {} outliers)", s.group, s.rows, s.outliers))
                .fill(colour(i, &s.group).gamma_multiply(0.4))
                .stroke(egui::Stroke::new(1.5, colour(i, &s.group)))
        })
        .collect();
    Plot::new("explore_boxes")
        .height(300.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label(r.x.clone())
        .x_axis_formatter(named_ticks(names))
        .show(ui, |plot| plot.box_plot(BoxPlot::new(r.x.clone(), elems)));
}

/// The scatter; a drag draws a box and selects the rows inside it.
fn scatter_ui(ui: &mut egui::Ui, s: &Scatter, r: &ExploreRequest, sel: Option<&Selection>, cmds: &mut Vec<Command>) {
    if s.x.is_empty() {
        ui.label("Pick two number columns.");
        return;
    }
    let thinned = if s.total > s.x.len() {
        format!(" Showing a random {} of the {} rows (enough to see the shape).", s.x.len(), s.total)
    } else {
        String::new()
    };
    ui.label(format!("Each dot is a row. Drag a box to select the rows inside it.{thinned}"));
    let drag_id = ui.make_persistent_id("explore_scatter_drag");
    let drag: Option<[f64; 4]> = ui.data(|d| d.get_temp(drag_id));
    // The box being dragged, else the selection's box when it is on these two columns.
    let shown_box = drag.or_else(|| match sel.map(|s| s.conditions.as_slice()) {
        Some([a, b]) if a.column == r.x && b.column == r.y => Some([a.min?, b.min?, a.max?, b.max?]),
        _ => None,
    });
    let response = Plot::new("explore_scatter")
        .height(340.0)
        .legend(Legend::default())
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_label(r.x.clone())
        .y_axis_label(r.y.clone())
        .show(ui, |plot| {
            for (g, name) in s.groups.iter().enumerate() {
                let pts: Vec<[f64; 2]> =
                    (0..s.x.len()).filter(|&i| s.group[i] as usize == g).map(|i| [s.x[i], s.y[i]]).collect();
                if !pts.is_empty() {
                    plot.points(Points::new(name.clone(), pts).radius(1.5).color(colour(g, name)));
                }
            }
            if let Some([x0, y0, x1, y1]) = shown_box {
                let corners = vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
                plot.polygon(
                    Polygon::new("selection", PlotPoints::from(corners))
                        .fill_color(egui::Color32::from_white_alpha(30)),
                );
            }
        });
    let resp = &response.response;
    // Where the scatter is on screen (the frame-time benchmark drags across it).
    ui.data_mut(|d| d.insert_temp(scatter_rect_id(), resp.rect));
    let at = |p: egui::Pos2| response.transform.value_from_position(p);
    if resp.drag_started()
        && let Some(p) = resp.interact_pointer_pos()
    {
        let v = at(p);
        ui.data_mut(|d| d.insert_temp(drag_id, [v.x, v.y, v.x, v.y]));
    } else if resp.dragged()
        && let (Some(p), Some([x0, y0, ..])) = (resp.interact_pointer_pos(), drag)
    {
        let v = at(p);
        ui.data_mut(|d| d.insert_temp(drag_id, [x0, y0, v.x, v.y]));
    } else if resp.drag_stopped()
        && let Some([x0, y0, x1, y1]) = drag
    {
        ui.data_mut(|d| d.remove::<[f64; 4]>(drag_id));
        if x0 != x1 && y0 != y1 {
            let cond = |column: &str, a: f64, b: f64| RowCondition {
                column: column.to_string(),
                min: Some(a.min(b)),
                max: Some(a.max(b)),
                values: vec![],
            };
            cmds.push(Command::Explore(ExploreCommand::Select(vec![cond(&r.x, x0, x1), cond(&r.y, y0, y1)])));
        }
    }
}

/// An axis that names the whole-number positions 0, 1, … by `names` (bars, boxes, groups).
pub(super) fn named_ticks(
    names: Vec<String>,
) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String {
    move |mark, _| {
        let i = mark.value.round();
        if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// The memory key of the scatter's last screen rectangle.
pub fn scatter_rect_id() -> egui::Id {
    egui::Id::unique("explore_scatter_rect")
}

/// Blue for negative, red for positive correlation, white at 0.
fn heat(r: f64) -> egui::Color32 {
    if !r.is_finite() {
        return egui::Color32::from_gray(90);
    }
    let t = r.abs().min(1.0) as f32;
    let (base, toward) = if r >= 0.0 { ((220.0, 70.0, 60.0), t) } else { ((60.0, 110.0, 220.0), t) };
    let mix = |a: f32, b: f32| (a + (b - a) * toward) as u8;
    egui::Color32::from_rgb(mix(245.0, base.0), mix(245.0, base.1), mix(245.0, base.2))
}

fn correlations_ui(ui: &mut egui::Ui, c: &Correlations, spearman: bool) {
    if c.columns.len() < 2 {
        ui.label("Correlations need at least two number columns.");
        return;
    }
    let m = if spearman { &c.spearman } else { &c.pearson };
    ui.label(format!(
        "How strongly each pair of number columns moves together ({}; 1: perfectly together, −1: perfectly opposite, \
         0: no straight-line link), over {} rows.",
        if spearman { "Spearman's rank correlation" } else { "Pearson's r" },
        c.rows
    ));
    for s in &c.strongest {
        ui.label(egui::RichText::new(format!("• {s}")).strong());
    }
    let k = c.columns.len();
    let cell = (520.0 / k as f32).clamp(14.0, 44.0);
    let label_w = 150.0;
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(label_w + cell * k as f32, cell * k as f32 + 18.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional((cell * 0.38).clamp(8.0, 12.0));
    for (i, (column, row)) in c.columns.iter().zip(m).enumerate() {
        let y = rect.top() + 18.0 + i as f32 * cell;
        let name: String = column.chars().take(22).collect();
        painter.text(
            egui::pos2(rect.left() + label_w - 6.0, y + cell / 2.0),
            egui::Align2::RIGHT_CENTER,
            name,
            font.clone(),
            text,
        );
        painter.text(
            egui::pos2(rect.left() + label_w + i as f32 * cell + cell / 2.0, rect.top() + 8.0),
            egui::Align2::CENTER_CENTER,
            (i + 1).to_string(),
            font.clone(),
            text,
        );
        for (j, &value) in row.iter().enumerate() {
            let r = egui::Rect::from_min_size(
                egui::pos2(rect.left() + label_w + j as f32 * cell, y),
                egui::vec2(cell - 1.0, cell - 1.0),
            );
            painter.rect_filled(r, 0.0, heat(value));
            if cell >= 26.0 && value.is_finite() {
                painter.text(
                    r.center(),
                    egui::Align2::CENTER_CENTER,
                    format!("{value:.2}"),
                    font.clone(),
                    egui::Color32::BLACK,
                );
            }
        }
    }
    if let Some(p) = response.hover_pos() {
        let (j, i) = (((p.x - rect.left() - label_w) / cell).floor(), ((p.y - rect.top() - 18.0) / cell).floor());
        if i >= 0.0 && j >= 0.0 && (i as usize) < k && (j as usize) < k {
            let (i, j) = (i as usize, j as usize);
            response.on_hover_text(format!("{} and {}: {:.3}", c.columns[i], c.columns[j], m[i][j]));
        }
    }
    ui.label(egui::RichText::new("Columns are numbered in the order of the rows.").weak());
}

/// The selection line: how many rows, and the buttons that keep or drop them in the recipe.
fn selection_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let (Some(sel), Some(ds)) = (&state.explore.selection, &state.dataset) else { return };
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new(format!("Selected {} of {} rows: {}.", sel.rows.len(), ds.n_rows(), sel.describe()))
                .strong(),
        );
        if ui
            .button("Keep only these rows")
            .on_hover_text("Adds a recipe step that trains on these rows only.")
            .clicked()
        {
            cmds.push(Command::Explore(ExploreCommand::SelectionToRecipe(true)));
        }
        if ui
            .button("Drop these rows")
            .on_hover_text("Adds a recipe step that leaves them out of training (e.g. outliers).")
            .clicked()
        {
            cmds.push(Command::Explore(ExploreCommand::SelectionToRecipe(false)));
        }
        if ui.button("Clear selection").clicked() {
            cmds.push(Command::Explore(ExploreCommand::ClearSelection));
        }
    });
}

/// A column's small distribution picture for the profile table: bars of its histogram (numbers,
/// text lengths) or of its top categories.
pub fn sketch_ui(ui: &mut egui::Ui, c: &crate::data::ColumnProfile) {
    let counts: Vec<usize> =
        if c.histogram.is_empty() { c.top_values.iter().map(|t| t.1).collect() } else { c.histogram.clone() };
    let (rect, response) = ui.allocate_exact_size(egui::vec2(96.0, 18.0), egui::Sense::hover());
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
    if counts.is_empty() {
        return;
    }
    let w = rect.width() / counts.len() as f32;
    let painter = ui.painter_at(rect);
    let fill = egui::Color32::from_rgb(90, 150, 230);
    for (i, &n) in counts.iter().enumerate() {
        let h = (n as f32 / max) * rect.height();
        let x = rect.left() + i as f32 * w;
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(x + 0.5, rect.bottom() - h), egui::pos2(x + w - 0.5, rect.bottom())),
            0.0,
            fill,
        );
    }
    let what = match (&c.histogram.is_empty(), c.longest) {
        (true, _) => "the most frequent values".to_string(),
        (false, Some(l)) => format!("text lengths, 0 to {l} characters"),
        (false, None) => "values from smallest to largest".to_string(),
    };
    response.on_hover_text(format!("Distribution of '{}': {what}", c.name));
}
