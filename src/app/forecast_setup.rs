//! Train panel, forecasting: the task choice offered when the table has a date column, the
//! time and series columns and the horizon, and the series' missing or repeated times, warned
//! about before training with a one-click fix that adds the recipe step mending them.

use super::features::RecipeEdit;
use super::{AppState, Command};
use crate::data::series::{Combine, Frequency, GapFill, SeriesIssues, SeriesSpec, read_series};
use crate::data::{ColumnKind, Dataset};
use crate::features::Step;
use std::sync::Arc;

/// What a forecast is trained on (`TrainSettings::forecast`; `None` there: no forecast).
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastSettings {
    /// The date column that orders the series.
    pub time: String,
    /// The column naming each series (`None`: the whole table is one series).
    pub series: Option<String>,
    /// Steps ahead (`None`: a season, chosen by the training).
    pub horizon: Option<usize>,
}

/// The series read with the current settings, cached so frames stay cheap.
#[derive(Clone, Debug, Default)]
pub struct SeriesCheck {
    /// The data and (time, target, series) the result is for.
    data: Option<Arc<Dataset>>,
    key: Option<(String, String, Option<String>)>,
    found: Option<Result<Found, String>>,
}

/// What reading the series found.
#[derive(Clone, Debug)]
struct Found {
    frequency: Frequency,
    series: usize,
    longest: usize,
    issues: SeriesIssues,
}

/// The date columns the profile found.
pub fn date_columns(state: &AppState) -> Vec<String> {
    state
        .profile
        .as_ref()
        .map_or(vec![], |p| p.warnings.iter().filter(|w| w.kind == "date").filter_map(|w| w.column.clone()).collect())
}

/// The "Task" row: the task the target implies, or forecasting when the table has a date
/// column. Returns whether a forecast is chosen.
pub fn task_row(ui: &mut egui::Ui, state: &mut AppState, detected: &str) -> bool {
    let dates = date_columns(state);
    let label = ui.label("Task").on_hover_text(
        "Regression predicts a number; classification predicts a label. With a date column, a forecast \
         predicts the next values of the target over time.",
    );
    if dates.is_empty() && state.settings.forecast.is_none() {
        ui.label(detected);
        ui.end_row();
        return false;
    }
    let forecast_text = "Forecast the next values";
    let shown = if state.settings.forecast.is_some() { forecast_text } else { detected };
    egui::ComboBox::from_id_salt("task")
        .selected_text(shown)
        .width(260.0)
        .show_ui(ui, |ui| {
            if ui.selectable_label(state.settings.forecast.is_none(), detected).clicked() {
                state.settings.forecast = None;
            }
            let on = state.settings.forecast.is_some();
            let hover = "Learns how the target moves over time and forecasts what comes next, with a band.";
            if ui.selectable_label(on, forecast_text).on_hover_text(hover).clicked() && !on {
                let time = dates.first().cloned().unwrap_or_default();
                state.settings.forecast = Some(ForecastSettings { time, series: None, horizon: None });
                state.settings.model = None;
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    state.settings.forecast.is_some()
}

/// The forecast's rows of the settings grid: time column, series column, horizon, method.
pub fn forecast_rows(ui: &mut egui::Ui, state: &mut AppState, ds: &Dataset) {
    let dates = date_columns(state);
    let target = state.settings.target.clone().unwrap_or_default();
    let Some(f) = state.settings.forecast.as_mut() else { return };
    let label = ui.label("Time column").on_hover_text("The date column that orders the values.");
    egui::ComboBox::from_id_salt("forecast_time")
        .selected_text(f.time.clone())
        .width(260.0)
        .show_ui(ui, |ui| {
            for d in dates {
                let text = d.clone();
                ui.selectable_value(&mut f.time, d, text);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();

    let label = ui
        .label("Series")
        .on_hover_text("A column naming several series in one table (a store, a sensor): each is forecast on its own.");
    let one = "one series (every row)";
    egui::ComboBox::from_id_salt("forecast_series")
        .selected_text(f.series.clone().unwrap_or_else(|| one.into()))
        .width(260.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut f.series, None, one);
            let names = ds.columns.iter().filter(|c| c.kind == ColumnKind::Categorical);
            for c in names.filter(|c| c.name != target && c.name != f.time) {
                ui.selectable_value(&mut f.series, Some(c.name.clone()), &c.name);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();

    let label = ui.label("Horizon").on_hover_text("How many steps ahead to forecast. Automatic: one season.");
    ui.horizontal(|ui| {
        let mut auto = f.horizon.is_none();
        if ui.checkbox(&mut auto, "automatic").changed() {
            f.horizon = if auto { None } else { Some(12) };
        }
        if let Some(h) = f.horizon.as_mut() {
            ui.add(egui::DragValue::new(h).range(1..=1000).suffix(" steps")).labelled_by(label.id);
        }
    });
    ui.end_row();

    ui.label("Model").on_hover_text("A forecast does not use the model list: every forecasting method competes.");
    ui.label("Automatic: every forecasting method is backtested on the past; the best is kept");
    ui.end_row();
}

/// Reads the series with the current settings (once per change) and warns about missing and
/// repeated times, each with a button adding the recipe step that mends them.
pub fn issues_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    let (Some(ds), Some(f), Some(target)) =
        (state.dataset.clone(), state.settings.forecast.clone(), state.settings.target.clone())
    else {
        return;
    };
    let key = (f.time.clone(), target.clone(), f.series.clone());
    let same_data = state.series_check.data.as_ref().is_some_and(|d| Arc::ptr_eq(d, &ds));
    if !same_data || state.series_check.key.as_ref() != Some(&key) {
        let found = Some(check(&ds, &f, &target));
        state.series_check = SeriesCheck { data: Some(ds), key: Some(key), found };
    }
    let Some(found) = &state.series_check.found else { return };
    let found = match found {
        Ok(found) => found.clone(),
        Err(e) => {
            ui.colored_label(ui.visuals().warn_fg_color, format!("This cannot be forecast yet: {e}"));
            return;
        }
    };
    let steps: Vec<Step> = state.recipe.for_target(&target).map_or(vec![], |r| r.active().cloned().collect());
    let filled = steps.iter().find_map(|s| if let Step::FillGaps { how, .. } = s { Some(*how) } else { None });
    let combined = steps.iter().find_map(|s| if let Step::CombineTimes { how, .. } = s { Some(*how) } else { None });
    let unit = found.frequency.name();
    let series = if found.series > 1 { format!("{} series, up to ", found.series) } else { String::new() };
    ui.label(format!("The data reads as {series}{} values, one per {unit}.", found.longest));
    let i = &found.issues;
    if i.missing > 0 {
        let what =
            format!("{} missing (first: {})", count(i.missing, unit), i.first_missing.clone().unwrap_or_default());
        fix_row(
            ui,
            &what,
            filled.map(GapFill::name),
            "Fill them (straight line)",
            || Step::FillGaps { column: f.time.clone(), how: GapFill::Interpolate },
            cmds,
        );
    }
    if i.duplicated > 0 {
        let what = format!(
            "{} more than one row (first: {})",
            count_hold(i.duplicated, unit),
            i.first_duplicate.clone().unwrap_or_default()
        );
        fix_row(
            ui,
            &what,
            combined.map(Combine::name),
            "Combine them (mean)",
            || Step::CombineTimes { column: f.time.clone(), how: Combine::Mean },
            cmds,
        );
    }
    if i.rows_left_out > 0 {
        ui.label(
            egui::RichText::new(format!("{} without a time or a value are left out.", rows(i.rows_left_out))).weak(),
        );
    }
}

/// One issue: fixed by a recipe step already (its option named), or a warning with a fix button.
fn fix_row(
    ui: &mut egui::Ui,
    what: &str,
    fixed: Option<&str>,
    button: &str,
    step: impl FnOnce() -> Step,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| match fixed {
        Some(how) => {
            ui.label(format!("{what}: mended by the recipe step ({how})."));
        }
        None => {
            ui.colored_label(ui.visuals().warn_fg_color, format!("{what}: the forecast needs this mended."));
            let step = step();
            let hover = format!("Adds the recipe step '{}'; change how on the Features panel.", step.describe());
            if ui.button(button).on_hover_text(hover).clicked() {
                cmds.push(Command::Recipe(RecipeEdit::Add(step)));
            }
        }
    });
}

fn check(ds: &Dataset, f: &ForecastSettings, target: &str) -> Result<Found, String> {
    let spec = SeriesSpec {
        time: f.time.clone(),
        target: target.to_string(),
        id: f.series.clone(),
        frequency: None,
        combine: None,
        fill: None,
    };
    let table = read_series(ds, &spec).map_err(|e| e.to_string())?;
    Ok(Found {
        frequency: table.frequency,
        series: table.series.len(),
        longest: table.series.iter().map(|s| s.values.len()).max().unwrap_or(0),
        issues: table.issues,
    })
}

/// "1 month is" / "3 months are".
fn count(n: usize, unit: &str) -> String {
    if n == 1 { format!("1 {unit} is") } else { format!("{n} {unit}s are") }
}

/// "1 month holds" / "3 months hold".
fn count_hold(n: usize, unit: &str) -> String {
    if n == 1 { format!("1 {unit} holds") } else { format!("{n} {unit}s hold") }
}

fn rows(n: usize) -> String {
    if n == 1 { "1 row".into() } else { format!("{n} rows") }
}
