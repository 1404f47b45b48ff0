//! Evaluate panel, forecasts: each series' history with the forecast and its band, the
//! backtest's cut-offs and what was forecast from them, a plain reading of the backtest, the
//! methods' leaderboard and the error by steps ahead. The forecast is computed once per model
//! (milliseconds on the stored history) and kept here.

use super::AppState;
use crate::data::series::Frequency;
use crate::train::TrainOutcome;
use crate::train::forecast::{ForecastPath, Forecaster};
use egui_plot::{FilledArea, Legend, Line, LineStyle, Plot, PlotPoints, VLine};
use std::sync::Arc;

/// The forecast of the current model and the series shown.
#[derive(Clone, Debug, Default)]
pub struct ForecastView {
    /// The model the paths are for.
    run: Option<Arc<TrainOutcome>>,
    /// Every series' forecast after its history.
    pub paths: Option<Result<Vec<ForecastPath>, String>>,
    /// The series drawn (an index into the forecaster's series).
    pub shown: usize,
    /// Draw the whole history (else its recent part, where the backtest and forecast are).
    pub whole: bool,
}

impl ForecastView {
    /// Forecasts every series of `o` unless that was done already.
    fn follow(&mut self, o: &Arc<TrainOutcome>, f: &Forecaster) {
        if !self.run.as_ref().is_some_and(|r| Arc::ptr_eq(r, o)) {
            let paths = f.forecast(&o.pipeline, &f.series, None, f.horizon).map_err(|e| e.to_string());
            *self = ForecastView { run: Some(o.clone()), paths: Some(paths), shown: 0, whole: self.whole };
        }
    }
}

/// The Evaluate panel for a forecast model.
pub fn forecast_ui(ui: &mut egui::Ui, state: &mut AppState, o: &Arc<TrainOutcome>, f: &Forecaster) {
    state.forecast_view.follow(o, f);
    let unit = f.frequency.name();
    ui.label(format!(
        "{} forecasts '{}' {} {unit}{} ahead: {}. It was chosen by a backtest at {} cut{} of the past, \
         each forecast compared with what happened next.",
        f.method.display_name(),
        f.columns.target,
        f.horizon,
        if f.horizon == 1 { "" } else { "s" },
        f.method.explain(),
        f.backtest.folds,
        if f.backtest.folds == 1 { "" } else { "s" },
    ));
    ui.add_space(4.0);
    egui::Frame::group(ui.style()).inner_margin(8.0).show(ui, |ui| {
        ui.strong("How good is it");
        ui.label(capitalised(&f.reading()));
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if f.series.len() > 1 {
            series_picker(ui, &mut state.forecast_view.shown, f);
            ui.add_space(16.0);
        }
        ui.checkbox(&mut state.forecast_view.whole, "Whole history")
            .on_hover_text("Draw every value since the start, not only the recent ones around the backtest.");
    });
    match &state.forecast_view.paths {
        Some(Ok(paths)) => {
            let shown = state.forecast_view.shown.min(f.series.len().saturating_sub(1));
            let path = f.series.get(shown).and_then(|s| paths.iter().find(|p| p.series == s.id));
            plot_ui(ui, f, shown, path, state.forecast_view.whole);
            if let Some(p) = path {
                values_ui(ui, f, p);
            }
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().warn_fg_color, format!("The forecast could not be made: {e}"));
        }
        None => {}
    }
    ui.add_space(8.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| leaderboard_ui(ui, f));
        ui.add_space(32.0);
        ui.vertical(|ui| steps_ui(ui, f));
    });
}

/// A period as short as its frequency allows: "2002" for years, "2002-07" for months.
fn axis_label(frequency: Frequency, period: i64) -> String {
    let full = frequency.label(period);
    let keep = match frequency {
        Frequency::Year => 4,
        Frequency::Month | Frequency::Quarter => 7,
        _ => full.len(),
    };
    full.chars().take(keep).collect()
}

/// A number with about four significant digits ("0.2841", "1.414", "352.1").
fn short(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let digits = if v == 0.0 { 0 } else { (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize };
    format!("{v:.digits$}")
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |first| first.to_uppercase().chain(c).collect())
}

/// Which series is drawn, when the table holds several.
fn series_picker(ui: &mut egui::Ui, shown: &mut usize, f: &Forecaster) {
    {
        let label = ui.label("Series");
        let current = f.series.get(*shown).map_or(String::new(), |s| s.id.clone());
        egui::ComboBox::from_id_salt("forecast_shown")
            .selected_text(current)
            .width(220.0)
            .height(360.0)
            .show_ui(ui, |ui| {
                for (i, s) in f.series.iter().enumerate() {
                    ui.selectable_value(shown, i, &s.id);
                }
            })
            .response
            .labelled_by(label.id);
        ui.label(egui::RichText::new(format!("{} series, each forecast on its own", f.series.len())).weak());
    }
}

/// The history, the forecast with its band, and the backtest's cut-offs with their forecasts.
fn plot_ui(ui: &mut egui::Ui, f: &Forecaster, shown: usize, path: Option<&ForecastPath>, whole: bool) {
    let Some(s) = f.series.get(shown) else { return };
    let x = |period: i64| period as f64;
    // The recent part: the backtest's windows with a few seasons before them.
    let recent = (f.backtest.folds + 2) * f.horizon + 3 * f.period.max(4);
    let from = if whole { 0 } else { s.values.len().saturating_sub(recent) };
    let history: Vec<[f64; 2]> = s
        .values
        .iter()
        .enumerate()
        .skip(from)
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| [x(s.start + i as i64), *v])
        .collect();
    let last = history.last().copied();
    let frequency = f.frequency;
    let cuts: Vec<&crate::train::forecast::backtest::Cut> =
        f.best().map_or(vec![], |b| b.cuts.iter().filter(|c| c.series == s.id).collect());
    let (band, cut, past, future) = (
        egui::Color32::from_rgba_unmultiplied(70, 140, 230, 60),
        egui::Color32::from_rgb(150, 150, 150),
        egui::Color32::from_rgb(230, 140, 40),
        egui::Color32::from_rgb(40, 110, 220),
    );
    Plot::new(("forecast_plot", shown))
        .height(320.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .y_axis_label(f.columns.target.clone())
        .x_axis_formatter(move |mark, _| {
            let p = mark.value.round();
            if (mark.value - p).abs() < 1e-6 { axis_label(frequency, p as i64) } else { String::new() }
        })
        .show(ui, |plot| {
            plot.line(Line::new("history", PlotPoints::from(history)).color(egui::Color32::GRAY).width(1.5));
            for (k, c) in cuts.iter().enumerate() {
                let name = "backtest cut-off";
                plot.vline(
                    VLine::new(name, c.origin as f64 - 0.5).color(cut).style(LineStyle::dashed_dense()).id(("cut", k)),
                );
                let pts: Vec<[f64; 2]> =
                    c.forecast.iter().enumerate().map(|(h, v)| [x(c.origin + h as i64), *v]).collect();
                let line = Line::new("backtest forecast", PlotPoints::from(pts)).color(past).width(1.5);
                plot.line(line.style(LineStyle::dashed_loose()).id(("cut_forecast", k)));
            }
            if let Some(p) = path {
                let xs: Vec<f64> = (0..p.values.len()).map(|h| x(s.end() + h as i64)).collect();
                let band_name = format!("{:.0} % band", f.level * 100.0);
                if p.lower.len() == xs.len() && p.upper.len() == xs.len() {
                    plot.add(FilledArea::new(band_name, &xs, &p.lower, &p.upper).fill_color(band));
                }
                let mut pts: Vec<[f64; 2]> = last.into_iter().collect();
                pts.extend(xs.iter().zip(&p.values).map(|(x, v)| [*x, *v]));
                plot.line(Line::new("forecast", PlotPoints::from(pts)).color(future).width(2.0));
            }
        });
    ui.label(
        egui::RichText::new(
            "Grey: what happened. Blue: the forecast and its band. Dashed: the backtest, forecasting from \
             a cut-off with only the past before it.",
        )
        .weak(),
    );
}

/// The forecast's values with their band, in a table that opens on demand.
fn values_ui(ui: &mut egui::Ui, f: &Forecaster, p: &ForecastPath) {
    egui::CollapsingHeader::new(format!("Forecast values ({} {}s)", p.values.len(), f.frequency.name()))
        .id_salt("forecast_values")
        .show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("forecast_values_scroll").max_height(200.0).show(ui, |ui| {
                egui::Grid::new("forecast_values_grid").striped(true).num_columns(4).spacing([18.0, 2.0]).show(
                    ui,
                    |ui| {
                        for h in ["when", "forecast", "lower", "upper"] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for i in 0..p.values.len() {
                            ui.label(&p.times[i]);
                            for v in [p.values[i], p.lower[i], p.upper[i]] {
                                ui.label(short(v));
                            }
                            ui.end_row();
                        }
                    },
                );
            });
        });
}

/// Every method's backtest, best first, the one in use marked.
fn leaderboard_ui(ui: &mut egui::Ui, f: &Forecaster) {
    ui.strong("Methods compared").on_hover_text(
        "MASE: the error divided by that of repeating last season's value (below 1 beats it). MAE: the mean \
         error in the target's units. sMAPE: the error in percent. Band held: how often the truth fell inside \
         the band.",
    );
    egui::Grid::new("forecast_methods").striped(true).num_columns(6).spacing([14.0, 4.0]).show(ui, |ui| {
        for h in ["method", "MASE", "MAE", "sMAPE", "band held", ""] {
            ui.strong(h);
        }
        ui.end_row();
        for s in &f.backtest.scores {
            ui.label(s.method.display_name()).on_hover_text(s.method.explain());
            ui.label(format!("{:.3}", s.mase));
            ui.label(short(s.mae));
            ui.label(format!("{:.2} %", s.smape));
            ui.label(format!("{:.0} %", s.coverage * 100.0));
            ui.label(if s.method == f.method { "in use" } else { "" });
            ui.end_row();
        }
    });
    for (m, why) in &f.backtest.skipped {
        ui.label(egui::RichText::new(format!("{} could not run: {why}", m.display_name())).weak());
    }
}

/// The chosen method's error by steps ahead (errors grow the further it looks).
fn steps_ui(ui: &mut egui::Ui, f: &Forecaster) {
    let Some(best) = f.best() else { return };
    ui.strong("Error by steps ahead").on_hover_text("The backtest's error at each step after a cut-off.");
    egui::ScrollArea::vertical().id_salt("forecast_steps").max_height(260.0).show(ui, |ui| {
        egui::Grid::new("forecast_steps_grid").striped(true).num_columns(4).spacing([14.0, 2.0]).show(ui, |ui| {
            for h in ["ahead", "MAE", "MASE", "band held"] {
                ui.strong(h);
            }
            ui.end_row();
            for s in &best.per_step {
                ui.label(format!("{} {}{}", s.step, f.frequency.name(), if s.step == 1 { "" } else { "s" }));
                ui.label(short(s.mae));
                ui.label(format!("{:.3}", s.mase));
                ui.label(format!("{:.0} %", s.coverage * 100.0));
                ui.end_row();
            }
        });
    });
}

/// The Deploy panel for a forecast model: a local forecast service (its page, POST /forecast)
/// and the bundle saved as a file.
pub fn deploy_note_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<super::Command>) {
    ui.label(
        "Start a local forecast service: its page draws the next values with their band, and programs ask \
         POST /forecast for them (with newer rows of the series, if any). From the command line, \
         cairn predict MODEL HISTORY.csv writes them to a file.",
    );
    ui.add_space(8.0);
    if let Some((url, bundle)) = super::deploy::deploy_button_ui(ui, state, cmds) {
        ui.horizontal(|ui| {
            ui.colored_label(egui::Color32::from_rgb(40, 160, 80), "Running at");
            ui.hyperlink(url);
        });
        ui.label(egui::RichText::new(format!("bundle: {}", bundle.display())).small().weak());
        let horizon = state.outcome.as_ref().and_then(|o| o.pipeline.forecast.as_ref()).map_or(1, |f| f.horizon);
        ui.label(
            egui::RichText::new(format!(
                "curl -X POST {url}/forecast -H 'content-type: application/json' -d '{{\"horizon\": {horizon}}}'"
            ))
            .monospace()
            .small(),
        );
        if ui.button("Stop server").clicked() {
            cmds.push(super::Command::StopServer);
        }
    }
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        let saving = state.saves.running(&super::saves::SaveKind::Model).is_some();
        if ui.add_enabled(!saving, egui::Button::new("Save the model as a file…")).clicked() {
            cmds.push(super::Command::SaveBundle);
        }
        super::saves::saving_ui(ui, &state.saves, &super::saves::SaveKind::Model);
    });
}
