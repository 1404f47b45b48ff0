//! Evaluate panel, "What if" tab: take one test row, change its values, and see the prediction
//! and how far it moved. Predicting one row is quick for every model, so it runs on the UI
//! thread, and only when a value changes.

use super::AppState;
use crate::data::{ColumnKind, Dataset, Values};
use crate::features::FittedStep;
use crate::train::{Pipeline, Prediction, TrainOutcome};
use serde_json::{Map, Value};

/// Most choices offered for a category column.
const MAX_CHOICES: usize = 60;

/// One editable input value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Number(Option<f64>),
    Text(String),
}

/// The row being edited and the predictions for it.
#[derive(Clone, Debug)]
pub struct WhatIf {
    /// Index into the test rows.
    pub row: usize,
    pub original: Vec<Cell>,
    pub cells: Vec<Cell>,
    /// Distinct values of each category column (empty for numbers and free text).
    choices: Vec<Vec<String>>,
    base: Result<Prediction, String>,
    /// The prediction for `cells`, and the cells it was computed for.
    edited: Option<(Vec<Cell>, Result<Prediction, String>)>,
    /// The cells being explained on a background thread, and the last finished explanation.
    pub explaining: Option<Vec<Cell>>,
    pub explained: Option<super::explain::WhatIfExplanation>,
}

impl WhatIf {
    /// Starts from test row `row` (or the training example when there are no test rows).
    pub fn new(ds: &Dataset, o: &TrainOutcome, row: usize) -> WhatIf {
        let p = &o.pipeline;
        let source = o.test_source_rows.get(row).copied();
        let cells: Vec<Cell> = p
            .schema
            .columns
            .iter()
            .map(|sc| {
                let col = ds.column(&sc.name);
                match (sc.kind, source.zip(col)) {
                    (ColumnKind::Numeric, Some((r, c))) => Cell::Number(match &c.values {
                        Values::Numeric(v) => v.get(r),
                        Values::Str(v) => v.get(r).and_then(|s| s.trim().parse().ok()),
                    }),
                    (ColumnKind::Numeric, None) => Cell::Number(p.example.get(&sc.name).and_then(Value::as_f64)),
                    (_, Some((r, c))) => Cell::Text(c.values.display(r)),
                    (_, None) => Cell::Text(p.example.get(&sc.name).and_then(Value::as_str).unwrap_or("").to_string()),
                }
            })
            .collect();
        let choices = p
            .schema
            .columns
            .iter()
            .map(|sc| match (sc.kind, ds.column(&sc.name).map(|c| &c.values)) {
                (ColumnKind::Categorical, Some(Values::Str(v))) => {
                    let counts = v.counts();
                    let mut d: Vec<String> =
                        v.dict().iter().zip(counts).filter(|(_, n)| *n > 0).map(|(s, _)| s.clone()).collect();
                    d.sort();
                    d.truncate(MAX_CHOICES);
                    d
                }
                _ => vec![],
            })
            .collect();
        let base = predict(p, &cells);
        WhatIf { row, original: cells.clone(), cells, choices, base, edited: None, explaining: None, explained: None }
    }
}

/// The pipeline's prediction for one row of cells (in schema order).
fn predict(p: &Pipeline, cells: &[Cell]) -> Result<Prediction, String> {
    let ds = record_dataset(p, cells)?;
    p.predict(&ds).map_err(|e| e.to_string())
}

/// One row of cells (in schema order) as the pipeline's input table.
pub(super) fn record_dataset(p: &Pipeline, cells: &[Cell]) -> Result<Dataset, String> {
    let mut record = Map::new();
    for (sc, cell) in p.schema.columns.iter().zip(cells) {
        let v = match cell {
            Cell::Number(Some(x)) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Cell::Number(None) => Value::Null,
            Cell::Text(t) if t.is_empty() => Value::Null,
            Cell::Text(t) => Value::String(t.clone()),
        };
        record.insert(sc.name.clone(), v);
    }
    p.schema.dataset_from_records(&[record]).map_err(|e| e.to_string())
}

/// "412.3k" or "spam (97% sure)".
fn describe(p: &Pipeline, pred: &Prediction) -> String {
    match pred {
        Prediction::Regression(v) => v.first().map(|x| crate::eval::human_number(*x)).unwrap_or_default(),
        Prediction::Classification { labels, probabilities } => {
            let (Some(label), Some(probs)) = (labels.first(), probabilities.first()) else { return String::new() };
            let i = p.target.classes.iter().position(|c| c == label).unwrap_or(0);
            format!("{label} ({:.0}% sure)", probs.get(i).copied().unwrap_or(0.0) * 100.0)
        }
    }
}

/// How the edited prediction differs from the original one, in words.
fn change(p: &Pipeline, base: &Prediction, edited: &Prediction) -> String {
    match (base, edited) {
        (Prediction::Regression(a), Prediction::Regression(b)) => match (a.first(), b.first()) {
            (Some(a), Some(b)) if (b - a).abs() > 0.0 => {
                let sign = if b > a { "+" } else { "−" };
                format!("{sign}{} compared with the original row", crate::eval::human_number((b - a).abs()))
            }
            _ => "no change".to_string(),
        },
        (
            Prediction::Classification { labels: la, probabilities: pa },
            Prediction::Classification { labels: lb, probabilities: pb },
        ) => {
            let (Some(la), Some(lb), Some(pa), Some(pb)) = (la.first(), lb.first(), pa.first(), pb.first()) else {
                return String::new();
            };
            let i = p.target.classes.iter().position(|c| c == la).unwrap_or(0);
            let delta = (pb.get(i).copied().unwrap_or(0.0) - pa.get(i).copied().unwrap_or(0.0)) * 100.0;
            let moved = format!("the chance of '{la}' moved {delta:+.1} points");
            if la == lb { moved } else { format!("the answer flipped from '{la}' to '{lb}'; {moved}") }
        }
        _ => String::new(),
    }
}

pub fn whatif_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let (Some(ds), Some(o)) = (state.dataset.clone(), state.outcome.clone()) else { return };
    let p = &o.pipeline;
    ui.label(
        "What if: change the values of one row and watch the prediction move. It shows how the model \
         reacts to each input — for example, what a higher income does to the predicted price.",
    );
    let n_test = o.test_source_rows.len();
    let mut row = state.eval_view.whatif.as_ref().map_or(0, |w| w.row);
    ui.horizontal(|ui| {
        if n_test > 0 {
            let label = ui.label(format!("test row (1–{n_test})"));
            let mut shown = row + 1;
            ui.add(egui::DragValue::new(&mut shown).range(1..=n_test)).labelled_by(label.id);
            row = shown - 1;
            if let Some(&src) = o.test_source_rows.get(row) {
                ui.label(egui::RichText::new(format!("(row {} of the file)", src + 1)).weak());
            }
        }
        if ui.button("Reset the values").clicked() {
            state.eval_view.whatif = None;
        }
    });
    let stale = state.eval_view.whatif.as_ref().is_none_or(|w| w.row != row);
    if stale {
        state.eval_view.whatif = Some(WhatIf::new(&ds, &o, row));
    }
    let Some(w) = state.eval_view.whatif.as_mut() else { return };

    whatif_grid_ui(ui, p, w);

    if w.edited.as_ref().is_none_or(|(cells, _)| cells != &w.cells) {
        w.edited = Some((w.cells.clone(), predict(p, &w.cells)));
    }
    ui.add_space(6.0);
    let target = &p.target.name;
    let actual = o.test_source_rows.get(row).and_then(|&r| ds.column(target).map(|c| c.values.display(r)));
    match (&w.base, w.edited.as_ref().map(|e| &e.1)) {
        (Ok(base), Some(Ok(edited))) => {
            let actual = match actual.filter(|a| !a.is_empty()) {
                Some(a) => {
                    let a = a.parse::<f64>().map(crate::eval::human_number).unwrap_or(a);
                    format!(" (the file says {a})")
                }
                None => String::new(),
            };
            ui.label(format!("Original row: predicted {target} = {}{actual}", describe(p, base)));
            ui.label(
                egui::RichText::new(format!("Edited row: predicted {target} = {}", describe(p, edited)))
                    .strong()
                    .size(18.0),
            );
            ui.label(change(p, base, edited));
        }
        (Err(e), _) | (_, Some(Err(e))) => {
            ui.colored_label(egui::Color32::from_rgb(200, 60, 60), format!("Cannot predict this row: {e}"));
        }
        _ => {}
    }
    ui.add_space(6.0);
    match &w.explained {
        Some(e) => super::explain::contributions_ui(ui, e, w.explaining.is_some()),
        None if w.explaining.is_some() => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Explaining this row…");
            });
        }
        None => {}
    }
}

/// The What-if table: each column's editable value beside the original one.
fn whatif_grid_ui(ui: &mut egui::Ui, p: &Pipeline, w: &mut WhatIf) {
    egui::Grid::new("whatif_grid").num_columns(3).spacing([16.0, 6.0]).striped(true).show(ui, |ui| {
        ui.strong("column");
        ui.strong("value");
        ui.strong("original");
        ui.end_row();
        for (i, sc) in p.schema.columns.iter().enumerate() {
            let label = ui.label(&sc.name);
            match &mut w.cells[i] {
                Cell::Number(Some(x)) => {
                    let speed = (x.abs() * 0.01).max(0.01);
                    ui.add(egui::DragValue::new(x).speed(speed).max_decimals(4)).labelled_by(label.id);
                }
                cell @ Cell::Number(None) => {
                    ui.horizontal(|ui| {
                        ui.label("missing");
                        // The value the recipe fills in for a missing cell: the training median.
                        let median = p.fitted_recipe.steps.iter().find_map(|s| match s {
                            FittedStep::ImputeScale { column, median, .. } if *column == sc.name => Some(*median),
                            _ => None,
                        });
                        if ui.small_button("set a value").on_hover_text("Starts from the training median.").clicked() {
                            *cell = Cell::Number(Some(median.unwrap_or(0.0)));
                        }
                    });
                }
                Cell::Text(t) if !w.choices[i].is_empty() => {
                    egui::ComboBox::from_id_salt(("whatif", i))
                        .selected_text(t.clone())
                        .show_ui(ui, |ui| {
                            for c in &w.choices[i] {
                                ui.selectable_value(t, c.clone(), c);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                }
                Cell::Text(t) => {
                    ui.add(egui::TextEdit::multiline(t).desired_rows(1).desired_width(360.0)).labelled_by(label.id);
                }
            }
            let original = match &w.original[i] {
                Cell::Number(Some(x)) => crate::data::format_number(*x),
                Cell::Number(None) => "missing".into(),
                Cell::Text(t) => t.chars().take(40).collect(),
            };
            let changed = w.original[i] != w.cells[i];
            ui.label(if changed {
                egui::RichText::new(original).strong()
            } else {
                egui::RichText::new(original).weak()
            });
            ui.end_row();
        }
    });
}
