//! Features panel: the recipe that turns the table into numbers a model can learn from.

use super::{AppState, Command, Panel};
use crate::data::Schema;
use crate::features::Recipe;

pub fn features_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.heading("2 · Features");
    let Some(ds) = &state.dataset else {
        ui.label("Open a dataset first.");
        return;
    };
    let Some(target) = &state.settings.target else {
        ui.label("Choose the column to predict on the Train panel; the recipe is built from the other columns.");
        if ui.button("Go to Train").clicked() {
            cmds.push(Command::Show(Panel::Train));
        }
        return;
    };
    ui.label(format!(
        "A model needs numbers. This recipe turns every column except '{target}' into features. \
         It is fitted on the training rows only and saved inside the model, so serving uses exactly the same steps."
    ));
    ui.add_space(6.0);
    let recipe = Recipe::default_for(&Schema::from_dataset(ds, target));
    egui::Grid::new("recipe").striped(true).num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        ui.strong("#");
        ui.strong("step");
        ui.end_row();
        for (i, step) in recipe.steps.iter().enumerate() {
            ui.label((i + 1).to_string());
            ui.label(step.describe());
            ui.end_row();
        }
    });
    if let Some(o) = &state.outcome {
        ui.add_space(6.0);
        ui.label(format!(
            "The last training run produced {} features from {} columns.",
            o.pipeline.info.n_features,
            recipe.steps.len()
        ));
    }
    ui.add_space(8.0);
    if ui.button("Next: Train").clicked() {
        cmds.push(Command::Show(Panel::Train));
    }
}
