//! Train panel: choose the target and the model, start training on a background thread.

use super::{AppState, Command, Panel};
use crate::data::Dataset;
use crate::train::tune::{Search, TuneTrial};
use crate::train::{ModelKind, ParamKind, ParamValue, Params, Task};
use std::sync::Arc;

/// The settings search: how to search, and every trial so far.
#[derive(Clone, Debug)]
pub struct TuneView {
    /// Random search (else grid).
    pub random: bool,
    /// Candidates a random search tries.
    pub random_trials: usize,
    pub trials: Vec<TuneTrial>,
    /// The winning trial, once the search has finished.
    pub best: Option<usize>,
}

impl Default for TuneView {
    fn default() -> Self {
        TuneView { random: false, random_trials: 10, trials: Vec::new(), best: None }
    }
}

impl TuneView {
    pub fn search(&self) -> Search {
        if self.random { Search::Random { trials: self.random_trials } } else { Search::Grid }
    }
}

pub fn train_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading("3 · Train");
        ui.add_space(16.0);
        let undo = ui.add_enabled(state.settings_history.can_undo(), egui::Button::new("Undo"));
        if undo.on_hover_text("Put back the settings before the last change (Ctrl+Z).").clicked() {
            cmds.push(Command::Undo);
        }
        let redo = ui.add_enabled(state.settings_history.can_redo(), egui::Button::new("Redo"));
        if redo.on_hover_text("Make the undone change again (Ctrl+Shift+Z).").clicked() {
            cmds.push(Command::Redo);
        }
    });
    let Some(ds) = state.dataset.clone() else {
        ui.label("Open a dataset first.");
        return;
    };
    let mut forecast = false;
    egui::Grid::new("train_settings").num_columns(2).spacing([16.0, 8.0]).show(ui, |ui| {
        target_row(ui, state, &ds);
        forecast = model_rows(ui, state);
        if forecast {
            super::forecast_setup::forecast_rows(ui, state, &ds);
        } else {
            split_rows(ui, state);
            super::curves::device_ui(ui, state, cmds);
        }
    });
    let warnings = state.target_warnings();
    super::warnings_ui(ui, "About this target", &warnings, state, cmds);
    super::forecast_setup::issues_ui(ui, state, cmds);
    let kind = state.settings.model.or(state.detected_task().map(ModelKind::default_for));
    let kind = kind.filter(|_| !forecast);
    if let Some(kind) = kind {
        params_ui(ui, kind, &mut state.settings.params);
    }
    ui.add_space(10.0);
    buttons_ui(ui, state, kind, cmds);
    if let Some(busy) = &state.training {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("{} … {:.1} s", busy.stage, busy.started.elapsed().as_secs_f32()));
        });
    }
    super::curves::curves_ui(ui, state, cmds);
    tuning_ui(ui, &state.tuning);
    leaderboard_ui(ui, state, cmds);
    if let (None, Some(o)) = (&state.training, &state.outcome) {
        outcome_ui(ui, state, o, cmds);
    }
}

/// The target column (or none, for k-means).
fn target_row(ui: &mut egui::Ui, state: &mut AppState, ds: &Dataset) {
    let label = ui.label("Target").on_hover_text("The column the model learns to predict.");
    let current = match (&state.settings.target, state.settings.model) {
        (Some(t), _) => t.clone(),
        (None, Some(ModelKind::KMeans)) => "none: find groups (k-means)".into(),
        (None, _) => "choose a column".into(),
    };
    egui::ComboBox::from_id_salt("target")
        .selected_text(current)
        .width(260.0)
        .show_ui(ui, |ui| {
            for name in ds.column_names() {
                if ui.selectable_label(state.settings.target.as_deref() == Some(&name), &name).clicked() {
                    state.settings.target = Some(name);
                    state.settings.model = None;
                }
            }
            let none = state.settings.target.is_none();
            if ui.selectable_label(none, "none: find groups (k-means)").clicked() {
                state.settings.target = None;
                state.settings.model = Some(ModelKind::KMeans);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// The task the target implies (or a forecast, with a date column), the model and its
/// explanation. Returns whether a forecast is chosen (its rows replace the model's).
fn model_rows(ui: &mut egui::Ui, state: &mut AppState) -> bool {
    let detected = state.detected_task();
    let task = if state.settings.model == Some(ModelKind::KMeans) { Some(Task::Clustering) } else { detected };
    let text = match task {
        Some(Task::Regression) => "Regression (predict a number)",
        Some(Task::Classification) => "Classification (predict a label)",
        Some(Task::Recommendation) => "Recommendation (predict a user's rating of an item)",
        Some(Task::Forecast) => "Forecast (predict the next values of a series)",
        Some(Task::Clustering) => "Clustering (find groups of similar rows; a target only checks them)",
        None => "—",
    };
    if super::forecast_setup::task_row(ui, state, text) {
        return true;
    }

    let label = ui.label("Model").on_hover_text(
        "The kind of model to fit. Automatic compares a linear model, histogram boosting and a small forest \
             by quick cross-validation and keeps the best.",
    );
    let auto = detected.map(ModelKind::default_for);
    let selected = match (state.settings.model, auto) {
        (Some(m), _) => m.display_name().to_string(),
        (None, Some(_)) if matches!(detected, Some(Task::Regression | Task::Classification)) => {
            format!("Automatic (quick comparison, ≤ {:.0} s)", state.settings.auto_budget)
        }
        (None, Some(a)) => format!("Automatic ({})", a.display_name()),
        (None, None) => "Automatic".into(),
    };
    egui::ComboBox::from_id_salt("model")
        .selected_text(selected)
        .width(260.0)
        .height(420.0)
        .show_ui(ui, |ui| {
            if ui.selectable_label(state.settings.model.is_none(), "Automatic").clicked() {
                state.settings.model = None;
            }
            // k-means needs no target: it is offered whatever the target is.
            let offered = ModelKind::ALL
                .into_iter()
                .filter(|k| *k == ModelKind::KMeans || detected.is_some_and(|t| k.supports(t)));
            for kind in offered {
                if ui
                    .selectable_label(state.settings.model == Some(kind), kind.display_name())
                    .on_hover_text(kind.explain())
                    .clicked()
                {
                    state.settings.model = Some(kind);
                }
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    if state.settings.model.is_none() && matches!(detected, Some(Task::Regression | Task::Classification)) {
        let label = ui.label("Comparison budget").on_hover_text(
            "Automatic compares a linear model, histogram boosting and a small forest by quick cross-validation; \
             no candidate starts after this many seconds.",
        );
        ui.add(egui::DragValue::new(&mut state.settings.auto_budget).range(5.0..=600.0).speed(5.0).suffix(" s"))
            .labelled_by(label.id);
        ui.end_row();
    }
    if let Some(kind) = state.settings.model.or(auto) {
        ui.label("");
        ui.label(egui::RichText::new(kind.explain()).weak());
        ui.end_row();
    }
    false
}

/// The test share, how the rows are split (at random or by a date column) and the seed.
fn split_rows(ui: &mut egui::Ui, state: &mut AppState) {
    let label = ui.label("Test share").on_hover_text("Rows kept aside to check the model on data it never saw.");
    ui.add(egui::Slider::new(&mut state.settings.test_size, 0.1..=0.5).fixed_decimals(2)).labelled_by(label.id);
    ui.end_row();

    // Date columns (from the profile) can order the split: train on the past, test on the future.
    let dates = super::forecast_setup::date_columns(state);
    if !dates.is_empty() || state.settings.time_column.is_some() {
        let label = ui.label("Split").on_hover_text(
            "At random (classes kept in proportion), or by time: the latest rows are the test rows, as when \
             the model is used on the future.",
        );
        let shown = state.settings.time_column.as_ref().map_or("at random".to_string(), |c| format!("by time: {c}"));
        egui::ComboBox::from_id_salt("split")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.settings.time_column, None, "at random");
                for d in dates {
                    let text = format!("by time: {d}");
                    ui.selectable_value(&mut state.settings.time_column, Some(d), text);
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
    }

    let label = ui.label("Seed").on_hover_text("Fixes the random split, so the same seed gives the same result.");
    ui.add(egui::DragValue::new(&mut state.settings.seed)).labelled_by(label.id);
    ui.end_row();

    if state.dataset.as_ref().is_some_and(|d| d.pictures.as_ref().is_some_and(|p| p.root.is_some())) {
        let label = ui.label("Augment pictures").on_hover_text(
            "Each training picture also joins as this many altered copies (mirrored, a tighter crop, small \
             rotations), which helps with a few dozen pictures per class. The test pictures stay as they are.",
        );
        ui.add(egui::DragValue::new(&mut state.settings.augment).range(0..=8).suffix(" copies")).labelled_by(label.id);
        ui.end_row();
    }
}

/// Train, Try all models, Tune settings (grid or random, with its trial count) and Cancel.
fn buttons_ui(ui: &mut egui::Ui, state: &mut AppState, kind: Option<ModelKind>, cmds: &mut Vec<Command>) {
    let training = state.training.is_some();
    let can_train = (state.settings.target.is_some() || state.settings.model == Some(ModelKind::KMeans)) && !training;
    ui.horizontal(|ui| {
        if ui.add_enabled(can_train, egui::Button::new("Train").min_size(egui::vec2(120.0, 32.0))).clicked() {
            cmds.push(Command::Train);
        }
        if state.settings.forecast.is_some() {
            ui.label(egui::RichText::new("Training a forecast backtests every method and keeps the best.").weak());
            if state.cancel.is_some() && ui.button("Cancel").clicked() {
                cmds.push(Command::Cancel);
            }
            return;
        }
        let try_all = egui::Button::new("Try all models").min_size(egui::vec2(140.0, 32.0));
        if ui
            .add_enabled(can_train, try_all)
            .on_hover_text("Trains every model that fits the task, each checked with 5-fold cross-validation.")
            .clicked()
        {
            cmds.push(Command::TryAllModels);
        }
        let mut budget = state.settings.time_budget.unwrap_or(0.0);
        let before = budget;
        let label = ui.label("within");
        ui.add(
            egui::DragValue::new(&mut budget)
                .range(0.0..=3600.0)
                .speed(5.0)
                .custom_formatter(|v, _| if v <= 0.0 { "no time limit".into() } else { format!("{v:.0} s") })
                .custom_parser(|t| {
                    let t = t.trim().trim_end_matches('s').trim();
                    if t.starts_with("no") { Some(0.0) } else { t.parse().ok() }
                }),
        )
        .labelled_by(label.id)
        .on_hover_text("Time budget of Try all models: no model starts after it (0 = no time limit).");
        if budget != before {
            cmds.push(Command::TimeBudget((budget > 0.0).then_some(budget)));
        }
        let tunable = kind.is_some_and(|k| !k.params().is_empty());
        let tune = egui::Button::new("Tune settings").min_size(egui::vec2(130.0, 32.0));
        if ui
            .add_enabled(can_train && tunable, tune)
            .on_hover_text(
                "Tries many combinations of this model's settings, each checked with 5-fold cross-validation on \
                 the training rows only, then trains the best one.",
            )
            .clicked()
        {
            cmds.push(Command::Tune);
        }
        if tunable {
            ui.selectable_value(&mut state.tuning.random, false, "grid")
                .on_hover_text("Every combination of a few values per setting.");
            ui.selectable_value(&mut state.tuning.random, true, "random")
                .on_hover_text("Settings drawn at random within the same ranges.");
        }
        if tunable && state.tuning.random {
            let label = ui.label("trials");
            ui.add(egui::DragValue::new(&mut state.tuning.random_trials).range(2..=100)).labelled_by(label.id);
        }
        if state.cancel.is_some() && ui.button("Cancel").clicked() {
            cmds.push(Command::Cancel);
        }
    });
}

/// After training: the score, the plain-words summary and the way to the evaluation.
fn outcome_ui(ui: &mut egui::Ui, state: &AppState, o: &crate::train::TrainOutcome, cmds: &mut Vec<Command>) {
    ui.add_space(6.0);
    if let Some(f) = &o.pipeline.forecast {
        ui.label(format!(
            "Trained a forecast in {:.2} s: {} was best in the backtest.",
            o.pipeline.info.train_seconds,
            f.method.display_name()
        ));
        ui.label(f.reading());
        if ui.button("See the forecast").clicked() {
            cmds.push(Command::Show(Panel::Evaluate));
        }
        return;
    }
    ui.label(format!(
        "Trained {} in {:.2} s: test {}.",
        o.pipeline.model_display_name(),
        o.pipeline.info.train_seconds,
        o.score_text()
    ));
    let earlier: Vec<&crate::train::TrainOutcome> = state.runs.iter().map(|r| r.as_ref()).collect();
    let summary = crate::eval::summary::written_summary(o, &earlier, state.insight.importance.as_ref());
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong("What happened");
        for line in summary {
            ui.label(line);
        }
        super::learn::learn_link(ui, super::learn::Topic::Overfitting, cmds);
    });
    if ui.button("See the evaluation").clicked() {
        cmds.push(Command::Show(Panel::Evaluate));
    }
}

/// Every candidate of the settings search with its cross-validated score.
fn tuning_ui(ui: &mut egui::Ui, view: &TuneView) {
    let Some(first) = view.trials.first() else { return };
    ui.add_space(8.0);
    ui.label(egui::RichText::new(format!("Settings search: {} candidates so far", view.trials.len())).strong())
        .on_hover_text("Each row is one combination of settings, scored by 5-fold cross-validation.");
    let leader = (0..view.trials.len()).fold(0, |b, i| if view.trials[i].score > view.trials[b].score { i } else { b });
    let metric = if first.cv.mean.contains_key("r2") { "R²" } else { "accuracy" };
    egui::ScrollArea::vertical().id_salt("tuning").max_height(220.0).show(ui, |ui| {
        egui::Grid::new("tuning_grid").striped(true).num_columns(4).spacing([18.0, 4.0]).show(ui, |ui| {
            for h in ["settings", &format!("CV {metric}"), "seconds", ""] {
                ui.strong(h);
            }
            ui.end_row();
            for (i, t) in view.trials.iter().enumerate() {
                ui.label(if t.summary.is_empty() { "defaults" } else { &t.summary });
                ui.label(format!("{:.4} ± {:.4}", t.score, t.std));
                ui.label(format!("{:.2}", t.seconds));
                ui.label(match view.best {
                    Some(b) if b == i => "best: trained",
                    None if i == leader => "best so far",
                    _ => "",
                });
                ui.end_row();
            }
        });
    });
}

/// The "Try all models" table: every trial stays visible, best cross-validation score first.
fn leaderboard_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    if state.leaderboard.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Leaderboard").strong()).on_hover_text(
        "Cross-validation trains and scores each model five times on different parts of the training rows: \
         the mean says how good it is, the ± how much that depends on luck.",
    );
    let metric = state.leaderboard[0].outcome.report.metrics.headline_label();
    egui::Grid::new("leaderboard").striped(true).num_columns(6).spacing([18.0, 4.0]).show(ui, |ui| {
        for h in ["model", "settings", &format!("CV {metric}"), &format!("test {metric}"), "seconds", ""] {
            ui.strong(h);
        }
        ui.end_row();
        for (i, entry) in state.leaderboard.iter().enumerate() {
            let (test, cv_mean, cv_std) = entry.scores();
            let current = state.outcome.as_ref().is_some_and(|o| Arc::ptr_eq(o, &entry.outcome));
            ui.label(entry.outcome.pipeline.model_display_name());
            let params = &entry.outcome.pipeline.info.params;
            let all: Vec<String> = params.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            ui.label(entry.outcome.pipeline.settings_summary()).on_hover_text(if all.is_empty() {
                "no settings".into()
            } else {
                all.join(", ")
            });
            ui.label(format!("{cv_mean:.3} ± {cv_std:.3}"));
            ui.label(format!("{test:.3}"));
            ui.label(format!("{:.2}", entry.outcome.pipeline.info.train_seconds));
            if current {
                ui.label("in use");
            } else if ui.button(format!("Use {}", entry.outcome.pipeline.model_display_name())).clicked() {
                cmds.push(Command::UseLeaderboardEntry(i));
            }
            ui.end_row();
        }
    });
}

/// The model's settings, one editor per setting with its one-line explanation. Values stay
/// within each setting's allowed range, so what is sent to training is always valid.
fn params_ui(ui: &mut egui::Ui, kind: ModelKind, params: &mut Option<Params>) {
    if kind.params().is_empty() {
        return;
    }
    if params.as_ref().is_none_or(|p| p.model != kind) {
        *params = Some(Params::defaults(kind));
    }
    let Some(p) = params.as_mut() else { return };
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(format!("{} settings", kind.display_name())).strong());
        if ui.small_button("Defaults").on_hover_text("Put every setting back to its default.").clicked() {
            *p = Params::defaults(kind);
        }
    });
    egui::Grid::new("model_params").num_columns(3).spacing([16.0, 6.0]).show(ui, |ui| {
        for spec in kind.params() {
            let label = ui.label(spec.name).on_hover_text(spec.help);
            let value = p.values.get(spec.name).cloned().unwrap_or_else(|| spec.default_value());
            let new_value = match (spec.kind, value) {
                (ParamKind::Int { min, max }, ParamValue::Int(mut v)) => {
                    ui.add(egui::DragValue::new(&mut v).range(min..=max)).labelled_by(label.id);
                    ParamValue::Int(v)
                }
                (ParamKind::OptInt { min, max }, v) => {
                    let mut limited = matches!(v, ParamValue::Int(_));
                    let mut n = if let ParamValue::Int(n) = v { n } else { 8 };
                    ui.horizontal(|ui| {
                        ui.checkbox(&mut limited, "limit").labelled_by(label.id);
                        if limited {
                            ui.add(egui::DragValue::new(&mut n).range(min..=max));
                        } else {
                            ui.label("none");
                        }
                    });
                    if limited { ParamValue::Int(n) } else { ParamValue::None(None) }
                }
                (ParamKind::Float { min, max, log }, v) => {
                    let mut f = if let ParamValue::Float(f) = v { f } else { spec.default.parse().unwrap_or(min) };
                    let speed = if log { (f.abs() * 0.05).max(1e-6) } else { (max - min) / 200.0 };
                    ui.add(egui::DragValue::new(&mut f).range(min..=max).speed(speed).max_decimals(6))
                        .labelled_by(label.id);
                    ParamValue::Float(f)
                }
                (ParamKind::Choice(options), v) => {
                    let mut current = v.to_string();
                    egui::ComboBox::from_id_salt(spec.name)
                        .selected_text(current.clone())
                        .show_ui(ui, |ui| {
                            for o in options {
                                ui.selectable_value(&mut current, (*o).to_string(), *o);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ParamValue::Text(current)
                }
                (_, v) => {
                    ui.label(v.to_string());
                    v
                }
            };
            p.values.insert(spec.name.to_string(), new_value);
            ui.label(egui::RichText::new(spec.help).weak());
            ui.end_row();
        }
    });
}
