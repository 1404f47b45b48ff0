//! Data panel, "Explore" view: a histogram / bar chart of any column split by another (the
//! target by default), box plots of a number by a category, a scatter of two numbers coloured by
//! a third (thinned to `MAX_POINTS` rows so a million rows stay fluid), and the correlation heat
//! map with the strongest pairs in words. Dragging a box on the scatter or clicking a bar selects
//! rows: the preview table shows them, and one click turns the selection into a recipe step.
//! Every chart and selection is computed on a background thread (`data::explore`).

use super::events::Event;
use super::explore_charts as charts;
use super::{AppState, CairnApp, Command};
use crate::data::explore::{
    self, BoxStats, Correlations, Groups, Histogram, MAX_POINTS, RowCondition, Scatter, boxes, correlations, histogram,
    scatter,
};
use crate::data::{ColumnKind, Dataset};
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
        Some((r, ExploreResult::Histogram(h))) if *r == shown => charts::histogram_ui(ui, h, cmds),
        Some((r, ExploreResult::Boxes(b))) if *r == shown => charts::boxes_ui(ui, b, &shown),
        Some((r, ExploreResult::Scatter(s))) if *r == shown => {
            charts::scatter_ui(ui, s, &shown, view.selection.as_ref(), cmds)
        }
        Some((r, ExploreResult::Correlations(c))) if *r == shown => charts::correlations_ui(ui, c, view.spearman),
        _ => {}
    }
    selection_ui(ui, state, cmds);
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
