//! Saving files off the UI thread: the model bundle, the HTML report and the project folder
//! (by hand or by autosave) are written on a background thread that reports back with
//! `Event::Saved`, so a large bundle never freezes the window. While a save runs, its kind
//! shows "Saving…"; a second save of the same kind is refused with a notice
//! (autosave simply tries again on a later frame).

use super::{CairnApp, Event};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What is being saved.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveKind {
    /// The trained model as a `.cairn` bundle.
    Model,
    /// The HTML report.
    Report,
    /// The model card (Markdown).
    Card,
    /// The project folder's `project.json`; `quiet` for autosave, with the choices it holds.
    Project { quiet: bool, name: String, fingerprint: String },
}

impl SaveKind {
    fn same(&self, other: &SaveKind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A save that is running.
#[derive(Clone, Debug)]
pub struct Saving {
    pub kind: SaveKind,
    pub path: PathBuf,
    pub started: Instant,
}

/// A finished save: its size in bytes, or what went wrong.
pub struct Saved {
    pub kind: SaveKind,
    pub path: PathBuf,
    pub result: Result<u64, String>,
}

/// The saves that are running now (at most one of each kind).
#[derive(Clone, Debug, Default)]
pub struct Saves(pub Vec<Saving>);

impl Saves {
    /// The running save of this kind (for a project save, any project save).
    pub fn running(&self, kind: &SaveKind) -> Option<&Saving> {
        self.0.iter().find(|s| s.kind.same(kind))
    }

    /// "Saving the model to …" for a running save of this kind.
    pub fn label(&self, kind: &SaveKind) -> Option<String> {
        self.running(kind).map(|s| format!("Saving… {} ({:.0} s)", s.path.display(), s.started.elapsed().as_secs_f32()))
    }
}

/// The size of the file at `path` (0 when it cannot be read).
fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// "12.3 MB", "4.0 kB", "512 bytes".
pub fn human_size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a file size shown to one decimal
    let b = bytes as f64;
    if bytes >= 1_000_000 {
        format!("{:.1} MB", b / 1e6)
    } else if bytes >= 1_000 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

impl CairnApp {
    /// Runs `write` on a background thread unless a save of the same kind is running; returns
    /// whether it started.
    pub(super) fn start_save(
        &mut self,
        kind: SaveKind,
        path: PathBuf,
        write: impl FnOnce(&Path) -> Result<(), String> + Send + 'static,
    ) -> bool {
        if let Some(running) = self.state.saves.running(&kind) {
            // Autosave simply tries again later; a save by hand is told why nothing happened.
            if !matches!(kind, SaveKind::Project { quiet: true, .. }) {
                let path = running.path.display().to_string();
                self.state.notice = Some(format!("Still saving {path}: save again when it has finished."));
            }
            return false;
        }
        self.state.saves.0.push(Saving { kind: kind.clone(), path: path.clone(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = write(&path).map(|()| size_of(&path));
            tx.send(Event::Saved(Box::new(Saved { kind, path, result }))).ok();
            repaint();
        });
        true
    }

    /// Saves the trained model as a bundle the user picks.
    pub(super) fn save_bundle(&mut self) {
        if self.state.saves.running(&SaveKind::Model).is_some() {
            return;
        }
        let Some(outcome) = self.state.outcome.clone() else { return };
        let Some(path) = self.options.picker.pick_save_path("model.cairn") else { return };
        let intended_use = self.state.intended_use.trim().to_string();
        self.start_save(SaveKind::Model, path, move |path| {
            let saved = if intended_use == outcome.pipeline.intended_use {
                crate::project::save_bundle(&outcome.pipeline, path)
            } else {
                let mut pipeline = outcome.pipeline.clone();
                pipeline.intended_use = intended_use;
                crate::project::save_bundle(&pipeline, path)
            };
            saved.map(|_| ()).map_err(|e| e.to_string())
        });
    }

    /// What the model card is written from, taken from the window's state (the card itself is
    /// made on the saving thread: scoring the groups takes a while on a big test set).
    pub(super) fn card_source(&self) -> Option<CardSource> {
        Some(CardSource {
            outcome: self.state.outcome.clone()?,
            dataset: self.state.dataset.clone(),
            intended_use: self.state.intended_use.clone(),
            group: self.state.eval_view.group.clone(),
            warnings: self.state.profile.as_ref().map(|p| p.warnings.clone()).unwrap_or_default(),
            data: self.state.data_ref.clone(),
        })
    }

    /// Asks where to save, then writes the current model's card (Markdown).
    pub(super) fn save_card(&mut self) {
        let Some(source) = self.card_source() else { return };
        let Some(path) = self.options.picker.pick_save_path("model-card.md") else { return };
        self.start_save(SaveKind::Card, path, move |path| {
            crate::project::write_atomically(path, source.markdown().as_bytes()).map_err(|e| e.to_string())
        });
    }

    /// Applies a finished save: the notice with the path and size, or the error.
    pub(super) fn finish_save(&mut self, saved: Saved) {
        self.state.saves.0.retain(|s| !s.kind.same(&saved.kind));
        let Saved { kind, path, result } = saved;
        let shown = path.display();
        match (kind, result) {
            (SaveKind::Model, Ok(n)) => {
                self.state.notice = Some(format!("Saved the model to {shown} ({})", human_size(n)));
            }
            (SaveKind::Model, Err(e)) => self.state.error = Some(e),
            (SaveKind::Report, Ok(n)) => {
                self.state.notice = Some(format!("Saved the report to {shown} ({})", human_size(n)));
            }
            (SaveKind::Report, Err(e)) => self.state.error = Some(format!("cannot save the report to {shown}: {e}")),
            (SaveKind::Card, Ok(n)) => {
                self.state.notice = Some(format!("Saved the model card to {shown} ({})", human_size(n)));
            }
            (SaveKind::Card, Err(e)) => self.state.error = Some(format!("cannot save the model card to {shown}: {e}")),
            (SaveKind::Project { quiet, name, fingerprint }, Ok(_)) => {
                let dir = path.parent().map_or_else(|| path.clone(), Path::to_path_buf);
                self.project_saved(dir, &name, quiet, fingerprint);
            }
            (SaveKind::Project { .. }, Err(e)) => {
                self.state.error = Some(format!("Saving the project failed: {e}"));
            }
        }
    }
}

/// Everything the model card needs, owned, to be written off the UI thread.
pub struct CardSource {
    outcome: Arc<crate::train::TrainOutcome>,
    dataset: Option<Arc<crate::data::Dataset>>,
    intended_use: String,
    /// The Groups tab's column: the card shows the metrics by it on the test rows.
    group: Option<String>,
    warnings: Vec<crate::data::Warning>,
    /// The data's path (or `sample:…`), for the card's reproduce line.
    data: Option<String>,
}

impl CardSource {
    /// The card as Markdown.
    pub fn markdown(&self) -> String {
        use crate::eval::card::{CardInput, model_card};
        let p = &self.outcome.pipeline;
        let test = self.dataset.as_ref().map(|ds| ds.take_rows(&self.outcome.test_source_rows));
        let groups = match (&test, &self.group) {
            (Some(t), Some(g)) => crate::eval::fairness::fairness(p, t, g, None).ok(),
            _ => None,
        };
        let data = match (&self.dataset, &self.data) {
            (Some(ds), Some(path)) => Some((ds.as_ref(), path.as_str())),
            (Some(ds), None) => Some((ds.as_ref(), ds.source.as_str())),
            _ => None,
        };
        let input = CardInput {
            intended_use: Some(self.intended_use.as_str()).filter(|t| !t.trim().is_empty()),
            data,
            groups: groups.as_ref(),
            warnings: &self.warnings,
            bundle: None,
        };
        model_card(p, &input)
    }
}

/// The "Saving…" line for a running save of this kind, if any.
pub fn saving_ui(ui: &mut egui::Ui, saves: &Saves, kind: &SaveKind) {
    if let Some(text) = saves.label(kind) {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(text);
        });
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
    }
}
