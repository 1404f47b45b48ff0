//! Projects in the app: save the open data reference and the training choices as a project
//! folder (`project.json`, saved atomically), open one again exactly, and a list of recent
//! projects on the Data panel.

use super::saves::SaveKind;
use super::{AppState, CairnApp, Command};
use crate::project::{Project, SAMPLES};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long after the last change an open project is saved by itself.
const AUTOSAVE_AFTER: Duration = Duration::from_secs(2);

/// What autosave last wrote, and a change waiting for its quiet period.
#[derive(Clone, Debug, Default)]
pub struct Autosave {
    pub saved: Option<String>,
    pub pending: Option<(String, Instant)>,
}

/// A recently opened or saved project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recent {
    pub name: String,
    pub path: PathBuf,
}

const RECENT_MAX: usize = 6;

/// Reads the recent-projects list (missing or damaged: empty).
pub fn read_recent(file: &Path) -> Vec<Recent> {
    std::fs::read(file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn remember(state: &mut AppState, file: &Path, name: &str, path: &Path) {
    state.recent.retain(|r| r.path != path);
    state.recent.insert(0, Recent { name: name.to_string(), path: path.to_path_buf() });
    state.recent.truncate(RECENT_MAX);
    if let Ok(text) = serde_json::to_vec_pretty(&state.recent) {
        std::fs::create_dir_all(file.parent().unwrap_or(Path::new("."))).ok();
        crate::project::write_atomically(file, &text).ok();
    }
}

/// The Data panel's project row: open, save, and the recent ones.
pub fn projects_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    egui::Frame::group(ui.style()).inner_margin(10.0).show(ui, |ui| {
        ui.set_width(ui.available_width().min(960.0) - 20.0);
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.strong("Projects");
                ui.label("— a folder with your data reference and training choices, to come back to.");
            });
            ui.horizontal(|ui| {
                if ui.button("Open a project…").clicked() {
                    cmds.push(Command::OpenProject(None));
                }
                let label = if state.project.is_some() { "Save project" } else { "Save as project…" };
                if ui.add_enabled(state.dataset.is_some(), egui::Button::new(label)).clicked() {
                    cmds.push(Command::SaveProject);
                }
            });
            if let Some(p) = &state.project {
                ui.label(
                    egui::RichText::new(format!("Open: {} (changes are saved by themselves)", p.display())).small(),
                );
            }
            if !state.recent.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(egui::RichText::new("Recent:").small());
                    for r in &state.recent {
                        if ui.link(format!("Open {}", r.name)).on_hover_text(r.path.display().to_string()).clicked() {
                            cmds.push(Command::OpenProject(Some(r.path.clone())));
                        }
                    }
                });
            }
        });
    });
}

impl CairnApp {
    /// Where runs are recorded: the open project's `runs.sqlite`, else the app's own store.
    pub(super) fn runs_store(&self) -> PathBuf {
        match &self.state.project {
            Some(dir) => dir.join("runs.sqlite"),
            None => self.options.runs_store.clone(),
        }
    }

    fn recent_file(&self) -> PathBuf {
        self.options.runs_store.with_file_name("recent-projects.json")
    }

    /// Saves the open data reference and the Train panel's choices into the project folder
    /// (asking for one the first time).
    pub(super) fn save_project(&mut self) {
        let dir = match &self.state.project {
            Some(dir) => dir.clone(),
            None => match self.options.picker.pick_folder("Save the project in a folder") {
                Some(dir) => dir,
                None => return,
            },
        };
        self.write_project(dir, false);
    }

    /// Autosave: once the project has a folder, its choices are written there two seconds
    /// after the last change (quietly; a failure is shown).
    pub(super) fn autosave(&mut self, ctx: &egui::Context) {
        let (Some(dir), Some(_), None) = (&self.state.project, &self.state.dataset, &self.state.loading) else {
            return;
        };
        let kind = SaveKind::Project { quiet: true, name: String::new(), fingerprint: String::new() };
        if self.state.saves.running(&kind).is_some() {
            ctx.request_repaint_after(Duration::from_millis(200));
            return;
        }
        let target = self.state.settings.target.as_deref().unwrap_or_default();
        let now =
            format!("{:?}{:?}{:?}", self.state.settings, self.state.recipe.edited(target), self.state.intended_use);
        let a = &mut self.state.autosave;
        match (&a.saved, &a.pending) {
            (None, _) => a.saved = Some(now),
            (Some(saved), _) if *saved == now => a.pending = None,
            (_, Some((pending, since))) if *pending == now => {
                if since.elapsed() >= AUTOSAVE_AFTER {
                    let dir = dir.clone();
                    a.saved = Some(now);
                    a.pending = None;
                    self.write_project(dir, true);
                } else {
                    ctx.request_repaint_after(AUTOSAVE_AFTER.saturating_sub(since.elapsed()));
                }
            }
            _ => {
                a.pending = Some((now, Instant::now()));
                ctx.request_repaint_after(AUTOSAVE_AFTER);
            }
        }
    }

    /// Writes the project on a background thread (see `saves`); the outcome arrives as
    /// `Event::Saved` and [`Self::project_saved`] applies it.
    fn write_project(&mut self, dir: PathBuf, quiet: bool) {
        let Some(ds) = &self.state.dataset else { return };
        let s = &self.state.settings;
        let name = dir.file_name().map_or_else(|| "project".to_string(), |n| n.to_string_lossy().into_owned());
        let data = self.state.data_ref.clone().unwrap_or_else(|| ds.source.clone());
        let mut project = Project::new(&name, &data, s.target.as_deref().unwrap_or_default());
        project.model = s.model.map(|m| m.name().to_string());
        project.params = s.params.clone();
        (project.seed, project.test_size, project.device) = (s.seed, s.test_size, s.device.name().to_string());
        project.recipe = s.target.as_deref().and_then(|t| self.state.recipe.edited(t)).cloned();
        project.intended_use.clone_from(&self.state.intended_use);
        let target = s.target.as_deref().unwrap_or_default();
        let fingerprint = format!("{s:?}{:?}{:?}", self.state.recipe.edited(target), self.state.intended_use);
        let kind = SaveKind::Project { quiet, name, fingerprint };
        self.start_save(kind, dir.join(crate::project::PROJECT_FILE), move |_| {
            if let Ok(old) = Project::load(&dir) {
                (project.production, project.notes) = (old.production, old.notes);
            }
            project.save(&dir).map_err(|e| e.to_string())
        });
    }

    /// A project save finished: the notice (unless autosave), the open project and the
    /// recent list.
    pub(super) fn project_saved(&mut self, dir: PathBuf, name: &str, quiet: bool, fingerprint: String) {
        if !quiet {
            self.state.notice = Some(format!("Saved the project to {}", dir.display()));
        }
        (self.state.autosave.saved, self.state.autosave.pending) = (Some(fingerprint), None);
        self.state.project = Some(dir.clone());
        self.state.run_log.stale = true;
        let file = self.recent_file();
        remember(&mut self.state, &file, name, &dir);
    }

    /// Opens a project folder: its data loads in the background, then its choices apply.
    pub(super) fn open_project(&mut self, dir: Option<PathBuf>) {
        let Some(dir) = dir.or_else(|| self.options.picker.pick_folder("Open a project folder")) else { return };
        let project = match Project::load(&dir) {
            Ok(p) => p,
            Err(e) => {
                self.state.error = Some(e.to_string());
                return;
            }
        };
        let target = Some(project.target.clone());
        let what = project.name.clone();
        let file = self.recent_file();
        remember(&mut self.state, &file, &project.name, &dir);
        self.state.project = Some(dir.clone());
        self.state.run_log.stale = true;
        self.state.data_ref = Some(project.data.clone());
        self.state.pending_project = Some(project.clone());
        match project.data.strip_prefix("sample:").and_then(|id| SAMPLES.iter().find(|s| s.id == id)) {
            Some(sample) => self.start_load(what, target, move |_| sample.load()),
            None => {
                let path = project.data_path(&dir);
                self.start_load(what, target, move |progress| crate::data::read_path_with(&path, progress));
            }
        }
    }
}

/// After a project's data loaded: its model, settings, seed and test share.
pub(super) fn apply_pending(state: &mut AppState) {
    let Some(p) = state.pending_project.take() else { return };
    state.intended_use.clone_from(&p.intended_use);
    let s = &mut state.settings;
    s.model = p.model.as_deref().and_then(|m| crate::train::ModelKind::parse(m).ok());
    s.params = p.params.filter(|params| Some(params.model) == s.model);
    (s.seed, s.test_size) = (p.seed, p.test_size);
    s.device = crate::gpu::DeviceChoice::parse(&p.device).unwrap_or(crate::gpu::DeviceChoice::Auto);
    if let (Some(recipe), Some(ds)) = (p.recipe, &state.dataset) {
        state.recipe.set(ds, &p.target, recipe);
    }
}
