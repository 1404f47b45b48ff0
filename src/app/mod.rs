//! The egui front end. Panels draw [`AppState`] and push [`Command`]s; the app turns commands
//! into background jobs (import, training, serving) that report back over a channel and wake the
//! UI with `request_repaint`. Nothing slow runs on the UI thread.

mod commands;
mod compare;
pub mod curves;
mod data;
mod deploy;
mod evaluate;
mod events;
mod explain;
pub mod explore;
mod explore_charts;
pub mod features;
mod feedback;
pub mod forecast;
pub mod forecast_setup;
pub mod frames;
mod groups;
pub mod guide;
mod insight;
mod jobs;
mod keys;
pub mod learn;
pub mod monitor;
mod picker;
mod pictures;
mod projects;
mod runs;
pub mod saves;
mod state;
mod train;
pub mod whatif;

use events::Event;

pub use deploy::{DeployStatus, Deployment, ServerHandle};
pub use picker::{FilePicker, FixedPicker, RfdPicker};
pub use state::{AppState, Busy, LeaderboardEntry, TrainSettings};

use crate::data::{Dataset, Profile};
use crate::project::Sample;
use crate::train::{ModelKind, TrainOutcome};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

/// The panels, in the order of the ML workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Data,
    Features,
    Train,
    Evaluate,
    Deploy,
    Monitor,
    /// Every recorded run (the run store), across sessions.
    Runs,
}

impl Panel {
    pub const ALL: [Panel; 7] =
        [Panel::Data, Panel::Features, Panel::Train, Panel::Evaluate, Panel::Deploy, Panel::Monitor, Panel::Runs];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Data => "Data",
            Panel::Features => "Features",
            Panel::Train => "Train",
            Panel::Evaluate => "Evaluate",
            Panel::Deploy => "Deploy",
            Panel::Monitor => "Monitor",
            Panel::Runs => "Runs",
        }
    }

    fn icon(self) -> &'static str {
        match self {
            Panel::Data => "1",
            Panel::Features => "2",
            Panel::Train => "3",
            Panel::Evaluate => "4",
            Panel::Deploy => "5",
            Panel::Monitor => "6",
            Panel::Runs => "7",
        }
    }
}

/// What a panel asks the app to do.
#[derive(Clone, Debug)]
pub enum Command {
    /// Set (or clear) the time budget of "Try all models", in seconds.
    TimeBudget(Option<f64>),
    /// Make rare classes count more: `class_weight = balanced` for the model chosen (or, with
    /// Automatic, logistic regression).
    BalanceClasses,
    /// Read the open folder of pictures again as these features.
    PictureFeatures(crate::data::PictureFeatures),
    /// Set (or clear) probability calibration and retrain.
    Calibrate(Option<crate::train::calibration::Calibration>),
    /// Start the lesson of a class pack file.
    OpenClassPack(PathBuf),
    /// Stream the open (too large) file again with a training sample of this many rows.
    Resample(usize),
    /// Undo the last edit of the panel shown (the recipe on Features, the settings elsewhere).
    Undo,
    Redo,
    /// Open a "learn more" window.
    Learn(learn::Topic),
    OpenSample(&'static Sample),
    PickFile,
    OpenFile(PathBuf),
    /// Asks for a folder with one sub-folder of examples (text files or pictures) per label.
    PickExamplesFolder,
    /// Follow a lesson: opens its data and shows its steps beside the panels.
    StartLesson(Box<crate::project::Lesson>),
    /// Asks for a class pack file (a lesson with its data) and starts it.
    PickClassPack,
    LeaveLesson,
    /// Asks where to save an HTML report of the data, recipe, model and scores.
    ExportReport,
    Train,
    /// Train every model that fits the task, with 5-fold CV, into the leaderboard.
    TryAllModels,
    /// Stop the running training job (after the current model, candidate or boosting round).
    Cancel,
    /// Make a leaderboard entry the current model (for Evaluate and Deploy).
    UseLeaderboardEntry(usize),
    /// Make an earlier run of this session the current model.
    UseRun(usize),
    /// Search the chosen model's settings with cross-validation, then train the best.
    Tune,
    /// Permutation feature importance / learning curve of the current model (background).
    ComputeImportance,
    ComputeLearningCurve,
    /// Metrics by the groups of a column, on the test rows (background).
    ComputeGroups(String),
    /// Explain the test rows (mean |contribution| and the beeswarm), in the background.
    ExplainSummary,
    /// The partial dependence of the prediction on one column, in the background.
    ExplainPdp(String),
    /// Fit per-group thresholds equalising the true-positive rate on the test rows (background).
    ComputeMitigation,
    /// Decide with the fitted per-group thresholds (true) or the model's own (false).
    UseThresholds(bool),
    /// The Data panel's Explore view: charts, selections, a selection as a recipe step.
    Explore(explore::ExploreCommand),
    /// The text of the model card's "Intended use" box changed.
    SetIntendedUse(String),
    /// Asks where to save the current model's card (Markdown), then writes it.
    SaveCard,
    Deploy,
    StopServer,
    TryPrediction,
    SaveBundle,
    /// Predict a CSV file chosen by the user into another, in the background.
    PredictFile,
    /// Read the running server's prediction log and compare it with the training data.
    CheckServedData,
    /// Stop opening a file (the table open before stays).
    CancelLoad,
    /// Treat a column as another kind than the one inferred (Data panel).
    SetColumnKind(String, crate::data::ColumnKind),
    /// An edit of the feature recipe (Features panel, and the one-click fixes of warnings).
    Recipe(features::RecipeEdit),
    /// The Features panel's "Add a step" form changed.
    RecipeForm(features::AddForm),
    /// Look up the GPU adapters (for the Train panel's device choice).
    FindAdapters,
    /// Pause or resume the neural network being trained.
    TogglePause,
    /// Pick a file of new rows, retrain the current model's recipe on old + new, compare.
    RetrainWithNewData,
    /// Switch the running server to the retrained model.
    Promote,
    /// Drop the retrained model.
    KeepCurrent,
    /// Rollback: serve an earlier deployed bundle again.
    ServeVersion(PathBuf),
    /// Pick a table of true answers (id + target) and score the served predictions.
    AddAnswers,
    /// Save the open data reference and training choices as a project (asks for a folder the
    /// first time).
    SaveProject,
    /// Open a project folder (`None`: ask for it).
    OpenProject(Option<PathBuf>),
    /// Read the run store (Runs panel).
    LoadRuns,
    /// Mark a recorded run as its project's production model.
    PromoteRun(i64),
    /// Delete recorded runs.
    DeleteRuns(Vec<i64>),
    Show(Panel),
}

/// How the app reaches the outside world; tests swap these.
pub struct AppOptions {
    pub picker: Box<dyn FilePicker>,
    /// The `cairn` executable that Deploy starts as `cairn serve`.
    pub cairn_exe: PathBuf,
    /// Where deployed bundles are written.
    pub deploy_dir: PathBuf,
    /// The run store every training run is recorded in.
    pub runs_store: PathBuf,
    /// A delimited file whose table would take more than this share of the available memory
    /// is streamed (`CAIRN_MEMORY_SHARE`, default 0.5).
    pub memory_share: f64,
}

impl Default for AppOptions {
    fn default() -> Self {
        let data_home = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(std::env::temp_dir);
        AppOptions {
            picker: Box::new(RfdPicker),
            cairn_exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cairn")),
            deploy_dir: data_home.join("cairn").join("deployments"),
            runs_store: data_home.join("cairn").join("runs.sqlite"),
            memory_share: std::env::var("CAIRN_MEMORY_SHARE")
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| *s > 0.0 && *s <= 1.0)
                .unwrap_or(crate::data::stream::DEFAULT_MEMORY_SHARE),
        }
    }
}

pub struct CairnApp {
    pub state: AppState,
    options: AppOptions,
    commands: Vec<Command>,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    server: Option<ServerHandle>,
    /// Set to stop the running server's metrics poller.
    metrics_stop: Option<Arc<AtomicBool>>,
    ctx: Option<egui::Context>,
    /// Frames drawn in the native window.
    frames: u64,
}

impl CairnApp {
    pub fn new(options: AppOptions) -> Self {
        let (tx, rx) = channel();
        let mut state = AppState::default();
        state.recent = projects::read_recent(&options.runs_store.with_file_name("recent-projects.json"));
        CairnApp {
            state,
            options,
            commands: Vec::new(),
            tx,
            rx,
            server: None,
            metrics_stop: None,
            ctx: None,
            frames: 0,
        }
    }

    /// Queues a command, as a panel would.
    pub fn send(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// True while an import, training or deployment is in progress.
    pub fn is_busy(&self) -> bool {
        self.state.loading.is_some()
            || self.state.training.is_some()
            || matches!(self.state.deploy, DeployStatus::Starting)
    }

    /// One frame: apply finished jobs, draw, then run the commands the panels queued.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.ctx = Some(ui.ctx().clone());
        self.drain_events();
        self.handle_dropped_files(ui.ctx());
        if let (Some(ds), Some(profile)) = (&self.state.dataset, &self.state.profile) {
            let target = self.state.settings.target.as_deref().unwrap_or("");
            self.state.recipe.sync(ds, profile, target);
        }

        if !self.state.visited.contains(&self.state.panel) {
            self.state.visited.push(self.state.panel);
        }
        let before = self.state.lesson.as_ref().map(|r| r.done.clone());
        guide::update_lesson(&mut self.state);
        if let Some(before) = before {
            self.save_progress(&before);
        }
        guide::apply_view(ui.ctx(), self.state.view);

        egui::Panel::left("nav").resizable(false).exact_size(170.0).show(ui, |ui| self.nav_ui(ui));
        let mut guide_cmds = Vec::new();
        egui::Panel::top("steps").show(ui, |ui| guide::step_bar_ui(ui, &self.state, &mut guide_cmds));
        if self.state.lesson.is_some() {
            egui::Panel::right("lesson")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| guide::lesson_ui(ui, &mut self.state, &mut guide_cmds));
        }
        let mut glossary_open = self.state.glossary_open;
        guide::glossary_ui(ui.ctx(), &mut glossary_open, &mut self.state.learn);
        self.state.glossary_open = glossary_open;
        learn::learn_window(ui.ctx(), &mut self.state.learn);
        self.commands.extend(guide_cmds);
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.banner_ui(ui);
            egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
                let mut cmds = Vec::new();
                match self.state.panel {
                    Panel::Data => data::data_ui(ui, &self.state, &mut cmds),
                    Panel::Features => features::features_ui(ui, &self.state, &mut cmds),
                    Panel::Train => train::train_ui(ui, &mut self.state, &mut cmds),
                    Panel::Evaluate => evaluate::evaluate_ui(ui, &mut self.state, &mut cmds),
                    Panel::Deploy => deploy::deploy_ui(ui, &self.state, &mut cmds),
                    Panel::Monitor => {
                        monitor::monitor_ui(ui, &self.state, &mut cmds);
                        feedback::feedback_ui(ui, &self.state, &mut cmds);
                    }
                    Panel::Runs => runs::runs_ui(ui, &mut self.state, &mut cmds),
                }
                self.commands.extend(cmds);
            });
        });

        keys::shortcuts(ui, &mut self.state, &mut self.commands);
        let commands = std::mem::take(&mut self.commands);
        for c in commands {
            self.execute(c);
        }
        self.refresh_explore();
        self.refresh_whatif_explanation();
        self.state.settings_history.observe(&self.state.settings);
        self.autosave(ui.ctx());
        if self.is_busy() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn nav_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(8.0);
        ui.heading("Cairn");
        ui.label(egui::RichText::new("machine learning, step by step").small().weak());
        ui.separator();
        for panel in Panel::ALL {
            let ready = guide::ready(&self.state, panel);
            let text = format!("{}  {}", panel.icon(), panel.title());
            let button = egui::Button::selectable(self.state.panel == panel, text).min_size(egui::vec2(150.0, 28.0));
            let response = ui.add_enabled(ready, button);
            let key = Panel::ALL.iter().position(|p| *p == panel).map_or(0, |i| i + 1);
            if response.on_hover_text(format!("Alt+{key}")).clicked() {
                self.state.panel = panel;
            }
        }
        ui.separator();
        if let Some(ds) = &self.state.dataset {
            ui.label(egui::RichText::new(short_name(&ds.source)).small());
        }
        if let Some(o) = &self.state.outcome {
            let text = match &o.pipeline.forecast {
                Some(f) => format!("Forecast: {}", f.method.display_name()),
                None => format!("{}: {}", o.pipeline.model_display_name(), o.score_text()),
            };
            ui.label(egui::RichText::new(text).small());
        }
        if let DeployStatus::Running { url, .. } = &self.state.deploy {
            ui.label(
                egui::RichText::new(format!("Serving at {url}")).small().color(egui::Color32::from_rgb(40, 160, 80)),
            );
        }
        ui.separator();
        if ui.button("Glossary").on_hover_text("The words of machine learning, in plain words").clicked() {
            self.state.glossary_open = !self.state.glossary_open;
        }
        if self.state.outcome.is_some()
            && ui
                .button("Export report")
                .on_hover_text("One HTML file with the data, recipe, model and scores")
                .clicked()
        {
            self.commands.push(Command::ExportReport);
        }
        guide::view_settings_ui(ui, &mut self.state.view);
    }

    fn banner_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(err) = self.state.error.clone() {
            egui::Frame::new().fill(egui::Color32::from_rgb(120, 30, 30)).inner_margin(8.0).corner_radius(4.0).show(
                ui,
                |ui| {
                    ui.horizontal(|ui| {
                        ui.colored_label(egui::Color32::WHITE, format!("Problem: {err}"));
                        if ui.button("Dismiss").clicked() {
                            self.state.error = None;
                        }
                    });
                },
            );
            ui.add_space(6.0);
        }
        if let Some(note) = self.state.notice.clone() {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(note).italics());
                if ui.small_button("Dismiss").clicked() {
                    self.state.notice = None;
                }
            });
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            self.commands.push(Command::OpenFile(path));
        }
    }

    fn repaint(&self) -> impl Fn() + Send + Sync + 'static {
        let ctx = self.ctx.clone();
        move || {
            if let Some(c) = &ctx {
                c.request_repaint();
            }
        }
    }
}

impl eframe::App for CairnApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        CairnApp::ui(self, ui);
        self.frames += 1;
        // `CAIRN_EXIT_AFTER_FIRST_FRAME=1`: measure the cold start (process start to the first
        // frame shown), print it and close (the install test and the README's figure).
        if self.frames == 2 && std::env::var_os("CAIRN_EXIT_AFTER_FIRST_FRAME").is_some() {
            let ms = PROCESS_START.get().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
            eprintln!("first frame after {ms:.0} ms");
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.frames == 1 {
            ui.ctx().request_repaint();
        }
    }
}

/// When the process started (set by `main`), for the cold-start figure.
pub static PROCESS_START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// A framed list of plain-words warnings (nothing when there are none).
/// A framed list of plain-words warnings (nothing when there are none), each with its fix as
/// one click where there is one: drop the column, or remove the duplicate rows.
pub(crate) fn warnings_ui(
    ui: &mut egui::Ui,
    title: &str,
    warnings: &[crate::data::Warning],
    state: &AppState,
    cmds: &mut Vec<Command>,
) {
    let Some(ds) = &state.dataset else { return };
    if warnings.is_empty() {
        return;
    }
    let target = state.settings.target.as_deref().unwrap_or("");
    let recipe = state.recipe.recipe();
    egui::Frame::group(ui.style()).inner_margin(8.0).show(ui, |ui| {
        ui.label(egui::RichText::new(title).strong().color(egui::Color32::from_rgb(230, 170, 60)));
        for w in warnings {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("• {}", w.message));
                // Each fix is a recipe step: done once the recipe holds one of them.
                let fixes = crate::features::fixes_for(w, ds, target);
                if let Some((_, done)) =
                    fixes.iter().find(|(_, step)| recipe.is_some_and(|r| r.active().any(|s| s == step)))
                {
                    let text = format!("(in the recipe: {})", done.title().to_lowercase());
                    ui.label(egui::RichText::new(text).color(egui::Color32::from_rgb(90, 170, 90)));
                    // A column the proposed recipe left out comes back in one click.
                    if let (crate::features::Step::Drop { column }, Some(r)) = (done, recipe) {
                        let at = r.steps.iter().position(|s| s.enabled && &s.op == done);
                        let kind = ds.column(column).map(|c| c.kind);
                        if let (Some(at), Some(kind)) = (at, kind) {
                            let back = ui
                                .small_button("Use it after all")
                                .on_hover_text(format!("Put '{column}' back into the recipe"));
                            if back.clicked() {
                                cmds.push(Command::Recipe(features::RecipeEdit::Remove(at)));
                                let encoding = crate::features::Step::encoding_for(column, kind);
                                cmds.push(Command::Recipe(features::RecipeEdit::Add(encoding)));
                            }
                        }
                    }
                } else {
                    for (label, step) in fixes {
                        if ui.small_button(label).on_hover_text(step.describe()).clicked() {
                            cmds.push(Command::Recipe(features::RecipeEdit::Add(step)));
                        }
                    }
                }
                if w.kind == "imbalance" {
                    let balanced = state
                        .settings
                        .params
                        .as_ref()
                        .is_some_and(|p| p.values.get("class_weight").is_some_and(|v| v.to_string() == "balanced"));
                    if balanced {
                        ui.label(egui::RichText::new("(classes balanced)").color(egui::Color32::from_rgb(90, 170, 90)));
                    } else if ui
                        .small_button("Balance the classes")
                        .on_hover_text(
                            "Rows of the rare classes count more in training (class_weight = balanced), so the \
                             model does not ignore them.",
                        )
                        .clicked()
                    {
                        cmds.push(Command::BalanceClasses);
                    }
                }
            });
        }
    });
}

/// The file name of a path, for compact display.
pub fn short_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Opens the native window.
/// Opens the window; `open` is a file to open at once (a table, or a `.cairnpack` whose lesson
/// starts), as when a file is double-clicked.
pub fn run_native(open: Option<PathBuf>) -> Result<(), eframe::Error> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Cairn")
        .with_app_id("cairn")
        .with_inner_size([1200.0, 800.0])
        .with_min_inner_size([800.0, 500.0])
        .with_drag_and_drop(true);
    if let Some(icon) = window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, ..Default::default() };
    eframe::run_native(
        "Cairn",
        options,
        Box::new(move |_cc| {
            let mut app = CairnApp::new(AppOptions::default());
            if let Some(path) = open {
                let is_pack = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("cairnpack"));
                app.send(if is_pack { Command::OpenClassPack(path) } else { Command::OpenFile(path) });
            }
            Ok(Box::new(app))
        }),
    )
}

/// Cairn's icon (`assets/linux/cairn.svg`, rendered at 128 px) for the window.
fn window_icon() -> Option<egui::IconData> {
    let png = include_bytes!("../../assets/linux/cairn-128.png");
    let rgba = image::load_from_memory(png).ok()?.into_rgba8();
    let (width, height) = rgba.dimensions();
    Some(egui::IconData { rgba: rgba.into_raw(), width, height })
}
