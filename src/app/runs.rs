//! The Runs panel: every recorded training run (the run store), filtered and sorted; pick two
//! or more to compare side by side (settings that differ, metrics, overlaid curves); mark one
//! as production; delete.

use super::{AppState, Command};
use crate::track::{Comparison, RunRecord, compare, metric_label};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Newest,
    BestScore,
}

/// What the Runs panel shows.
pub struct RunsView {
    pub runs: Vec<RunRecord>,
    /// A read of the store is under way.
    pub loading: bool,
    /// The store changed (or was never read): read it when the panel shows.
    pub stale: bool,
    pub filter: String,
    pub sort: SortBy,
    pub selected: BTreeSet<i64>,
    pub comparison: Option<Comparison>,
}

impl Default for RunsView {
    fn default() -> Self {
        RunsView {
            runs: Vec::new(),
            loading: false,
            stale: true,
            filter: String::new(),
            sort: SortBy::Newest,
            selected: BTreeSet::new(),
            comparison: None,
        }
    }
}

impl RunsView {
    pub fn set_runs(&mut self, runs: Vec<RunRecord>) {
        self.selected.retain(|id| runs.iter().any(|r| r.id == *id));
        if let Some(c) = &self.comparison
            && !c.ids.iter().all(|id| runs.iter().any(|r| r.id == *id))
        {
            self.comparison = None;
        }
        self.runs = runs;
    }

    /// The runs the filter keeps, in the chosen order.
    pub fn shown(&self) -> Vec<&RunRecord> {
        let needle = self.filter.trim().to_lowercase();
        let mut shown: Vec<&RunRecord> = self
            .runs
            .iter()
            .filter(|r| {
                needle.is_empty()
                    || [&r.model, &r.project, &r.note, &r.target, &r.task]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&needle))
                    || r.tags.iter().any(|t| t.to_lowercase().contains(&needle))
            })
            .collect();
        if self.sort == SortBy::BestScore {
            let score = |r: &RunRecord| r.headline().map_or(f64::NEG_INFINITY, |(_, v)| v);
            shown.sort_by(|a, b| score(b).total_cmp(&score(a)));
        }
        shown
    }
}

pub fn runs_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    let view = &mut state.run_log;
    if view.stale && !view.loading {
        cmds.push(Command::LoadRuns);
    }
    ui.heading("7 · Runs");
    ui.label(
        "Every model trained in Cairn is recorded here — its data (with a fingerprint), recipe, settings, \
         seed, scores and training curves — so you can compare runs, go back to one, and mark the one \
         you trust as the production model.",
    );
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        ui.add(egui::TextEdit::singleline(&mut view.filter).hint_text("model, project, note…").desired_width(200.0))
            .labelled_by(label.id);
        ui.separator();
        ui.selectable_value(&mut view.sort, SortBy::Newest, "Newest first");
        ui.selectable_value(&mut view.sort, SortBy::BestScore, "Best score first");
        if view.loading {
            ui.spinner();
        }
    });
    if view.runs.is_empty() {
        ui.add_space(8.0);
        ui.label(if view.loading {
            "Reading the run history…"
        } else {
            "No runs yet: train a model and it appears here."
        });
        return;
    }
    ui.add_space(4.0);
    let n = view.selected.len();
    ui.horizontal(|ui| {
        if ui.add_enabled(n >= 2, egui::Button::new(format!("Compare selected ({n})"))).clicked() {
            let chosen: Vec<RunRecord> = view.runs.iter().filter(|r| view.selected.contains(&r.id)).cloned().collect();
            view.comparison = Some(compare(&chosen));
        }
        let one = (n == 1).then(|| view.selected.iter().next().copied()).flatten();
        if ui
            .add_enabled(one.is_some(), egui::Button::new("Mark as production"))
            .on_hover_text("The model you trust to serve: one per project")
            .clicked()
            && let Some(id) = one
        {
            cmds.push(Command::PromoteRun(id));
        }
        if ui.add_enabled(n >= 1, egui::Button::new("Delete selected")).clicked() {
            cmds.push(Command::DeleteRuns(view.selected.iter().copied().collect()));
            view.selected.clear();
        }
    });
    ui.add_space(4.0);
    let mut toggled = Vec::new();
    egui::Grid::new("runs").striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
        for h in ["run", "", "when (UTC)", "project", "model", "score", "seconds", "device", "note"] {
            ui.label(egui::RichText::new(h).strong());
        }
        ui.end_row();
        for r in view.shown() {
            let mut on = view.selected.contains(&r.id);
            if ui.checkbox(&mut on, format!("#{}", r.id)).changed() {
                toggled.push(r.id);
            }
            if r.production {
                ui.label(egui::RichText::new("production").strong().color(egui::Color32::from_rgb(40, 160, 80)))
                    .on_hover_text("The model you trust to serve for this project");
            } else {
                ui.label("");
            }
            ui.label(crate::track::utc_time(r.created_unix).get(..16).unwrap_or(""));
            ui.label(&r.project);
            ui.label(&r.model);
            let (metric, value) = r.headline().unwrap_or_default();
            ui.label(format!("{} {value:.4}", metric_label(&metric)));
            ui.label(format!("{:.2}", r.seconds));
            ui.label(if r.device == "cpu" { "cpu".to_string() } else { "gpu".to_string() }).on_hover_text(&r.device);
            let tags: String = r.tags.iter().map(|t| format!(" #{t}")).collect();
            ui.label(format!("{}{tags}", r.note).trim());
            ui.end_row();
        }
    });
    for id in toggled {
        if !view.selected.remove(&id) {
            view.selected.insert(id);
        }
    }
    if let Some(c) = &view.comparison {
        ui.add_space(10.0);
        comparison_ui(ui, c, &view.runs);
    }
}

fn comparison_ui(ui: &mut egui::Ui, c: &Comparison, runs: &[RunRecord]) {
    ui.heading("Side by side");
    egui::Grid::new("run-compare").striped(true).spacing([18.0, 4.0]).show(ui, |ui| {
        ui.label("");
        for id in &c.ids {
            ui.label(egui::RichText::new(format!("run #{id}")).strong());
        }
        ui.end_row();
        for (name, values) in &c.metrics {
            ui.label(egui::RichText::new(format!("test {}", metric_label(name))).strong());
            let best = values.iter().flatten().copied().fold(f64::NAN, |a, b| {
                let lower_better = matches!(name.as_str(), "rmse" | "mae" | "brier");
                if a.is_nan() || (lower_better && b < a) || (!lower_better && b > a) { b } else { a }
            });
            for v in values {
                match v {
                    Some(x) if *x == best && c.ids.len() > 1 => {
                        ui.label(egui::RichText::new(format!("{x:.4}")).strong())
                    }
                    Some(x) => ui.label(format!("{x:.4}")),
                    None => ui.label("—"),
                };
            }
            ui.end_row();
        }
        for (name, values) in &c.differences {
            ui.label(name);
            for v in values {
                let short: String = v.chars().take(64).collect();
                ui.label(short).on_hover_text(v);
            }
            ui.end_row();
        }
    });
    if c.differences.is_empty() {
        ui.label("Same data, recipe and settings.");
    } else if c.differences.iter().any(|(k, _)| matches!(k.as_str(), "data" | "test size" | "seed")) {
        ui.label(
            egui::RichText::new(
                "These runs were scored on different test rows (other data, split or seed): compare their scores with care.",
            )
            .italics(),
        );
    }
    // Validation curves of iterative models, overlaid.
    let curves: Vec<(i64, Vec<[f64; 2]>)> = c
        .ids
        .iter()
        .filter_map(|id| runs.iter().find(|r| r.id == *id))
        .map(|r| {
            let points = r
                .curve
                .iter()
                .filter_map(|p| Some([p["epoch"].as_f64()?, p["val_loss"].as_f64().or(p["train_loss"].as_f64())?]))
                .collect();
            (r.id, points)
        })
        .filter(|(_, p): &(i64, Vec<[f64; 2]>)| !p.is_empty())
        .collect();
    if !curves.is_empty() {
        ui.add_space(6.0);
        ui.label("Validation loss per epoch");
        egui_plot::Plot::new("run-curves").height(200.0).legend(egui_plot::Legend::default()).show(ui, |plot| {
            for (id, points) in curves {
                plot.line(egui_plot::Line::new(format!("run #{id}"), points));
            }
        });
    }
}
