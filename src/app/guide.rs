//! The beginner's path: the step bar (where you are, what is missing, Back/Next), the lesson
//! side panel (steps ticked off live from the app's state), the glossary and the view settings
//! (theme, UI scale).

use super::{AppState, Command, DeployStatus, Panel};
use crate::project::{Lesson, Snapshot};

/// A lesson being followed: its steps and which are done (a done step stays done).
#[derive(Clone, Debug)]
pub struct LessonRun {
    pub lesson: Lesson,
    pub done: Vec<bool>,
    /// The step whose hint is shown.
    pub hint: Option<usize>,
}

impl LessonRun {
    pub fn new(lesson: Lesson) -> Self {
        let done = vec![false; lesson.steps.len()];
        LessonRun { lesson, done, hint: None }
    }

    /// The first step not done yet.
    pub fn current(&self) -> Option<usize> {
        self.done.iter().position(|d| !d)
    }
}

/// Light or dark, and how large everything is drawn (for projectors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewSettings {
    pub dark: bool,
    pub scale: f32,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings { dark: true, scale: 1.0 }
    }
}

/// The workflow the step bar walks (Runs is a history, not a step).
const STEPS: [Panel; 6] = [Panel::Data, Panel::Features, Panel::Train, Panel::Evaluate, Panel::Deploy, Panel::Monitor];

/// What the app knows, in the form lessons check.
pub fn snapshot(state: &AppState) -> Snapshot {
    Snapshot {
        data: state.dataset.as_ref().and(state.data_ref.clone()),
        visited: state.visited.iter().map(|p| p.title().to_ascii_lowercase()).collect(),
        target: state.settings.target.clone(),
        recipe_steps: state
            .recipe
            .recipe()
            .map(|r| r.active().map(|s| s.name().to_string()).collect())
            .unwrap_or_default(),
        trained: state.runs.iter().map(|o| o.pipeline.info.model.clone()).collect(),
        metrics: state.outcome.as_ref().map(|o| o.report.metrics.named()).unwrap_or_default(),
        deployed: matches!(state.deploy, DeployStatus::Running { .. }),
    }
}

/// Ticks off the lesson's steps whose goals now hold.
pub fn update_lesson(state: &mut AppState) {
    if state.lesson.is_none() {
        return;
    }
    let now = snapshot(state);
    if let Some(run) = state.lesson.as_mut() {
        for (done, met) in run.done.iter_mut().zip(run.lesson.check(&now)) {
            *done |= met;
        }
    }
}

/// What still stands between the user and the next step, in words (None when nothing).
pub fn missing(state: &AppState) -> Option<&'static str> {
    match state.panel {
        Panel::Data if state.dataset.is_none() => Some("open a sample or your own data"),
        Panel::Features | Panel::Train if state.settings.target.is_none() => Some("choose a target column to predict"),
        Panel::Train if state.outcome.is_none() => Some("train a model"),
        Panel::Deploy if !matches!(state.deploy, DeployStatus::Running { .. }) => Some("deploy the model"),
        _ => None,
    }
}

/// Whether a panel can be opened yet.
pub fn ready(state: &AppState, panel: Panel) -> bool {
    match panel {
        Panel::Data | Panel::Runs => true,
        Panel::Features | Panel::Train => state.dataset.is_some(),
        Panel::Evaluate | Panel::Deploy => state.outcome.is_some(),
        Panel::Monitor => !state.deployments.is_empty(),
    }
}

/// The bar across the top: the six steps, the current one highlighted, what is missing, and
/// Back / Next step.
pub fn step_bar_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let at = STEPS.iter().position(|p| *p == state.panel);
        for (i, panel) in STEPS.iter().enumerate() {
            if i > 0 {
                ui.label(egui::RichText::new(">").weak());
            }
            let text = egui::RichText::new(format!("{}. {}", i + 1, panel.title()));
            let text = if Some(i) == at { text.strong().underline() } else { text };
            let r = ui.add_enabled(ready(state, *panel), egui::Label::new(text).sense(egui::Sense::click()));
            if r.clicked() {
                cmds.push(Command::Show(*panel));
            }
        }
        ui.separator();
        let back = at.and_then(|i| i.checked_sub(1)).map(|i| STEPS[i]);
        let next = at.and_then(|i| STEPS.get(i + 1)).copied();
        if ui.add_enabled(back.is_some(), egui::Button::new("Back")).on_hover_text("The previous step").clicked()
            && let Some(p) = back
        {
            cmds.push(Command::Show(p));
        }
        let can_next = next.is_some_and(|p| ready(state, p));
        if ui.add_enabled(can_next, egui::Button::new("Next step")).on_hover_text("The next step").clicked()
            && let Some(p) = next
        {
            cmds.push(Command::Show(p));
        }
        if let Some(m) = missing(state) {
            ui.label(egui::RichText::new(format!("To do: {m}")).italics());
        }
    });
}

/// The lesson beside the panels: every step with its goal, done steps ticked, the current one
/// open with its text and a hint button.
pub fn lesson_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    let Some(run) = state.lesson.as_mut() else { return };
    ui.heading(&run.lesson.title);
    let done = run.done.iter().filter(|d| **d).count();
    ui.add(
        egui::ProgressBar::new(done as f32 / run.done.len().max(1) as f32)
            .text(format!("{done} of {} steps done", run.done.len())),
    );
    ui.label(egui::RichText::new(&run.lesson.summary).small());
    ui.separator();
    let current = run.current();
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (i, step) in run.lesson.steps.iter().enumerate() {
            let mark = if run.done[i] {
                "[done]"
            } else if Some(i) == current {
                "[now]"
            } else {
                "[ ]"
            };
            let title = egui::RichText::new(format!("{mark} {}. {}", i + 1, step.title));
            ui.label(if Some(i) == current { title.strong() } else { title.weak() });
            if Some(i) == current {
                ui.label(&step.read);
                ui.label(egui::RichText::new(format!("Goal: {}", step.goal.describe())).italics());
                ui.horizontal(|ui| {
                    if ui.button(format!("Go to {}", step.panel)).clicked()
                        && let Some(p) = Panel::ALL.iter().find(|p| p.title().eq_ignore_ascii_case(&step.panel))
                    {
                        cmds.push(Command::Show(*p));
                    }
                    if !step.hint.is_empty() && ui.button("Hint").clicked() {
                        run.hint = Some(i);
                    }
                });
                if run.hint == Some(i) {
                    ui.label(egui::RichText::new(format!("Hint: {}", step.hint)).color(ui.visuals().warn_fg_color));
                }
                ui.add_space(6.0);
            }
        }
        if current.is_none() {
            ui.label(egui::RichText::new("Lesson complete. Well done!").strong());
            let kind = super::saves::SaveKind::Report;
            if ui.add_enabled(state.saves.running(&kind).is_none(), egui::Button::new("Export a report")).clicked() {
                cmds.push(Command::ExportReport);
            }
            super::saves::saving_ui(ui, &state.saves, &kind);
        }
        ui.add_space(8.0);
        if ui.button("Leave the lesson").clicked() {
            cmds.push(Command::LeaveLesson);
        }
    });
}

/// The words a beginner meets, each in one or two plain sentences.
pub const GLOSSARY: &[(&str, &str)] = &[
    ("Accuracy", "The share of test rows the model labels correctly. Misleading when one class is rare."),
    ("Classification", "Predicting a label (spam or ham, a species) rather than a number."),
    ("Cross-validation", "Training and testing k times on different slices of the data, to see how steady a score is."),
    ("Feature", "One number the model reads about a row, made from a column by the recipe."),
    (
        "Matrix factorisation",
        "Recommends by learning a few taste numbers per user and per item; a rating is how well they match.",
    ),
    ("MAE", "Mean absolute error: the average size of a wrong guess, in the target's units."),
    ("Model", "The rule learned from the training rows that turns features into a prediction."),
    ("One-hot encoding", "A category column becomes one 0/1 column per category, so a model can weigh each category."),
    (
        "Overfitting",
        "A model that memorises its training rows and does worse on new ones: training score high, test score lower.",
    ),
    ("Precision", "Of the rows the model flags as the positive class, the share that really are."),
    ("R²", "How much of the target's variation the model explains: 0 = as good as guessing the average, 1 = perfect."),
    ("Recall", "Of the rows that really are the positive class, the share the model catches."),
    (
        "Recipe",
        "The steps that turn the table into features (fill gaps, scale, encode). It is fitted on training rows only and saved with the model.",
    ),
    ("Regression", "Predicting a number (a price, a rating)."),
    ("RMSE", "Root mean squared error: the typical size of a wrong guess; big misses count extra."),
    ("ROC AUC", "How well the scores rank positives above negatives: 0.5 is chance, 1 is perfect."),
    (
        "Scaling",
        "Putting columns on a common scale (mean 0, spread 1) so one measured in big units does not drown the others.",
    ),
    ("Target", "The column the model learns to predict."),
    ("Test rows", "Rows kept aside during training and used only to score the model, like an exam it has not seen."),
    ("TF-IDF", "Turns text into one number per word: frequent in this text, rare in others = high."),
    (
        "Threshold",
        "The probability above which a row is called the positive class; moving it trades precision for recall.",
    ),
];

/// The glossary as a window (opened from the left bar).
pub fn glossary_ui(ctx: &egui::Context, open: &mut bool, learn: &mut Option<super::learn::Topic>) {
    egui::Window::new("Glossary").open(open).default_width(420.0).vscroll(true).show(ctx, |ui| {
        for (term, meaning) in GLOSSARY {
            ui.label(egui::RichText::new(*term).strong());
            ui.label(*meaning);
            if let Some(topic) = super::learn::Topic::for_term(term)
                && ui.link(topic.link_text()).clicked()
            {
                *learn = Some(topic);
            }
            ui.add_space(4.0);
        }
    });
}

/// Theme and UI scale controls (in the left bar).
pub fn view_settings_ui(ui: &mut egui::Ui, view: &mut ViewSettings) {
    ui.horizontal(|ui| {
        if ui.selectable_label(view.dark, "Dark").clicked() {
            view.dark = true;
        }
        if ui.selectable_label(!view.dark, "Light").clicked() {
            view.dark = false;
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Size");
        for (text, scale) in [("S", 0.9), ("M", 1.0), ("L", 1.25), ("XL", 1.5)] {
            if ui.selectable_label((view.scale - scale).abs() < 0.01, text).labelled_by(label.id).clicked() {
                view.scale = scale;
            }
        }
    });
}

/// Applies the theme and scale when they change.
pub fn apply_view(ctx: &egui::Context, view: ViewSettings) {
    let theme = if view.dark { egui::Theme::Dark } else { egui::Theme::Light };
    if ctx.theme() != theme {
        ctx.set_theme(theme);
    }
    if (ctx.zoom_factor() - view.scale).abs() > 0.001 {
        ctx.set_zoom_factor(view.scale);
    }
}

impl super::CairnApp {
    /// Follows `lesson`: restores its saved progress and opens its data (from the class pack
    /// when it came in one).
    pub(super) fn start_lesson(&mut self, lesson: Lesson, pack: Option<crate::project::ClassPack>) {
        let mut run = LessonRun::new(lesson.clone());
        if let Some(saved) = self.read_progress().get(&self.progress_key(&lesson.id))
            && saved.len() == run.done.len()
        {
            run.done.clone_from(saved);
        }
        self.state.lesson = Some(run);
        self.state.visited.clear();
        let target = Some(lesson.target.clone());
        match pack {
            Some(pack) if pack.data_csv.is_some() => {
                self.state.data_ref = pack.data_name.clone();
                self.state.project = None;
                self.start_load(lesson.title.clone(), target, move |_| pack.dataset());
            }
            _ => match lesson.data.strip_prefix("sample:").and_then(crate::project::Sample::by_id) {
                Some(sample) => self.execute(Command::OpenSample(sample)),
                None => {
                    self.state.error =
                        Some(format!("lesson '{}': its data '{}' is not here", lesson.title, lesson.data))
                }
            },
        }
    }

    /// Lesson progress is saved per project (or per sample when no project is open).
    fn progress_key(&self, lesson: &str) -> String {
        let place = self.state.project.as_ref().map(|p| p.display().to_string());
        format!("{lesson}|{}", place.unwrap_or_else(|| "-".into()))
    }

    fn progress_file(&self) -> std::path::PathBuf {
        self.options.runs_store.with_file_name("lesson-progress.json")
    }

    fn read_progress(&self) -> std::collections::BTreeMap<String, Vec<bool>> {
        std::fs::read_to_string(self.progress_file())
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Saves the lesson's progress when a step was ticked off since the last save.
    pub(super) fn save_progress(&mut self, before: &[bool]) {
        let Some(run) = &self.state.lesson else { return };
        if run.done == before {
            return;
        }
        let mut all = self.read_progress();
        all.insert(self.progress_key(&run.lesson.id), run.done.clone());
        if let Ok(text) = serde_json::to_string_pretty(&all) {
            crate::project::write_atomically(&self.progress_file(), text.as_bytes()).ok();
        }
    }

    /// Asks where to save, then writes the HTML report of the current model.
    pub(super) fn export_report(&mut self) {
        if self.state.saves.running(&super::saves::SaveKind::Report).is_some() {
            return;
        }
        let Some(outcome) = self.state.outcome.clone() else {
            self.state.error = Some("train a model first: the report shows its scores".into());
            return;
        };
        let Some(path) = self.options.picker.pick_save_path("cairn-report.html") else { return };
        let title = match &self.state.lesson {
            Some(run) => format!("{} — report", run.lesson.title),
            None => format!("{} — report", outcome.pipeline.goal()),
        };
        let lesson = self.state.lesson.as_ref().map(|run| {
            let steps = run.lesson.steps.iter().zip(&run.done).map(|(s, d)| (s.title.clone(), *d)).collect();
            (run.lesson.title.clone(), steps)
        });
        let (profile, card, dataset) = (self.state.profile.clone(), self.card_source(), self.state.dataset.clone());
        let kind = super::saves::SaveKind::Report;
        self.start_save(kind, path, move |path| {
            let html = crate::eval::html::html_report(&crate::eval::html::ReportInput {
                title,
                profile: profile.as_ref(),
                pipeline: &outcome.pipeline,
                report: &outcome.report,
                lesson,
                card: card.map(|c| c.markdown()),
                correlations: dataset.as_deref().map(|ds| crate::data::explore::correlations(ds, &[])),
            });
            crate::project::write_atomically(path, html.as_bytes()).map_err(|e| e.to_string())
        });
    }
}
