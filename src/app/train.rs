//! Train panel: choose the target and the model, start training on a background thread.

use super::{AppState, Command, Panel};
use crate::train::{ModelKind, Task, detect_task};

pub fn train_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    ui.heading("3 · Train");
    let Some(ds) = state.dataset.clone() else {
        ui.label("Open a dataset first.");
        return;
    };
    let training = state.training.is_some();
    egui::Grid::new("train_settings").num_columns(2).spacing([16.0, 8.0]).show(ui, |ui| {
        let label = ui.label("Target").on_hover_text("The column the model learns to predict.");
        let current = state.settings.target.clone().unwrap_or_else(|| "choose a column".into());
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
            })
            .response
            .labelled_by(label.id);
        ui.end_row();

        let task = state.settings.target.as_deref().and_then(|t| detect_task(&ds, t).ok());
        ui.label("Task").on_hover_text("Regression predicts a number; classification predicts a label.");
        ui.label(match task {
            Some(Task::Regression) => "Regression (predict a number)",
            Some(Task::Classification) => "Classification (predict a label)",
            None => "—",
        });
        ui.end_row();

        let label =
            ui.label("Model").on_hover_text("The kind of model to fit. Automatic picks a good default for the task.");
        let auto = task.map(ModelKind::default_for);
        let selected = match (state.settings.model, auto) {
            (Some(m), _) => m.display_name().to_string(),
            (None, Some(a)) => format!("Automatic ({})", a.display_name()),
            (None, None) => "Automatic".into(),
        };
        egui::ComboBox::from_id_salt("model")
            .selected_text(selected)
            .width(260.0)
            .show_ui(ui, |ui| {
                if ui.selectable_label(state.settings.model.is_none(), "Automatic").clicked() {
                    state.settings.model = None;
                }
                for kind in ModelKind::ALL.into_iter().filter(|k| task.is_some_and(|t| k.supports(t))) {
                    if ui.selectable_label(state.settings.model == Some(kind), kind.display_name()).clicked() {
                        state.settings.model = Some(kind);
                    }
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();

        let label = ui.label("Test share").on_hover_text("Rows kept aside to check the model on data it never saw.");
        ui.add(egui::Slider::new(&mut state.settings.test_size, 0.1..=0.5).fixed_decimals(2)).labelled_by(label.id);
        ui.end_row();

        let label = ui.label("Seed").on_hover_text("Fixes the random split, so the same seed gives the same result.");
        ui.add(egui::DragValue::new(&mut state.settings.seed)).labelled_by(label.id);
        ui.end_row();
    });
    ui.add_space(10.0);
    let can_train = state.settings.target.is_some() && !training;
    if ui.add_enabled(can_train, egui::Button::new("Train").min_size(egui::vec2(120.0, 32.0))).clicked() {
        cmds.push(Command::Train);
    }
    if let Some(busy) = &state.training {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("{} … {:.1} s", busy.stage, busy.started.elapsed().as_secs_f32()));
        });
    } else if let Some(o) = &state.outcome {
        ui.add_space(6.0);
        let (name, value) = o.report.metrics.headline();
        ui.label(format!(
            "Trained {} in {:.2} s: test {name} = {value:.3}.",
            o.pipeline.model_display_name(),
            o.pipeline.info.train_seconds
        ));
        if ui.button("See the evaluation").clicked() {
            cmds.push(Command::Show(Panel::Evaluate));
        }
    }
}
