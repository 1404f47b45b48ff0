//! What the panels draw: the app's state (data, settings, runs, jobs in flight, the current
//! model) and the few derived values it caches so frames stay cheap.

use super::*;

/// A job in flight, for the spinner.
#[derive(Clone, Debug)]
pub struct Busy {
    pub what: String,
    pub stage: String,
    pub started: Instant,
}

/// Training settings chosen in the Train panel.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSettings {
    pub target: Option<String>,
    /// `None` = automatic choice for the task.
    pub model: Option<ModelKind>,
    /// The settings of the model being edited (reset to its defaults when the model changes).
    pub params: Option<crate::train::Params>,
    pub seed: u64,
    pub test_size: f64,
    /// Where neural networks train.
    pub device: crate::gpu::DeviceChoice,
    /// Split by this date column instead of at random.
    pub time_column: Option<String>,
    /// Forecast the target's next values instead (the task chosen on the Train panel).
    pub forecast: Option<super::forecast_setup::ForecastSettings>,
    /// Calibrate a classifier's probabilities (the Evaluate panel's reliability diagram offers it).
    pub calibration: Option<crate::train::calibration::Calibration>,
    /// "Try all models" starts no model after this many seconds (None: no limit).
    pub time_budget: Option<f64>,
    /// "Automatic" compares its candidates within this many seconds.
    pub auto_budget: f64,
    /// Pictures: altered copies of each training picture added to the training rows.
    pub augment: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            target: None,
            model: None,
            params: None,
            seed: 42,
            test_size: 0.2,
            device: crate::gpu::DeviceChoice::Auto,
            time_column: None,
            forecast: None,
            calibration: None,
            time_budget: None,
            auto_budget: crate::train::automatic::DEFAULT_BUDGET,
            augment: 0,
        }
    }
}

/// Everything the panels draw.
pub struct AppState {
    pub panel: Panel,
    pub dataset: Option<Arc<Dataset>>,
    pub profile: Option<Profile>,
    pub loading: Option<Busy>,
    /// Set to stop the import in flight.
    pub load_cancel: Option<Arc<AtomicBool>>,
    pub settings: TrainSettings,
    /// Undo/redo of the settings' edits.
    pub settings_history: SettingsHistory,
    pub training: Option<Busy>,
    pub outcome: Option<Arc<TrainOutcome>>,
    pub deploy: DeployStatus,
    /// Last error, shown in a banner until dismissed.
    pub error: Option<String>,
    /// Last informational message (e.g. "saved").
    pub notice: Option<String>,
    /// The answer to "Try a prediction" on the Deploy panel.
    pub try_result: Option<String>,
    /// Threshold and selected confusion cell on the Evaluate panel.
    pub eval_view: evaluate::EvalView,
    /// "Try all models": one entry per finished model, best cross-validation score first.
    pub leaderboard: Vec<LeaderboardEntry>,
    /// Set while "Try all models" or tuning runs; storing `true` asks it to stop after the
    /// current model or candidate.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Every model trained since the data was opened, oldest first (for comparing runs).
    pub runs: Vec<Arc<TrainOutcome>>,
    /// The settings search and its trials.
    pub tuning: train::TuneView,
    /// Permutation importance and learning curve of the current model.
    pub insight: insight::Insight,
    /// The running server's live numbers.
    pub server_metrics: Option<crate::monitor::Snapshot>,
    /// Models deployed in this session, oldest first.
    pub deployments: Vec<Deployment>,
    /// "Predict a file…": progress, then the outcome.
    pub batch: Option<deploy::BatchStatus>,
    /// The Monitor panel's last check of the served data.
    pub monitor: monitor::MonitorView,
    /// A neural network's live training curves, pause flag and the GPU adapters.
    pub net: curves::NetView,
    /// The Runs panel: the recorded runs, the filter, sorting and selection.
    pub run_log: runs::RunsView,
    /// Retraining with new rows, waiting for Promote or Keep.
    pub feedback: feedback::FeedbackView,
    /// Where the open data came from: a file path or `sample:<id>` (what a project saves).
    pub data_ref: Option<String>,
    /// The open project folder, if any.
    pub project: Option<PathBuf>,
    /// A project's choices, applied once its data has loaded.
    pub pending_project: Option<crate::project::Project>,
    /// What the model is for (Deploy panel); goes into the model card and the saved model.
    pub intended_use: String,
    /// The Data panel's Explore view.
    pub explore: super::explore::ExploreView,
    /// Autosave of the open project's choices.
    pub autosave: projects::Autosave,
    /// Saves running on background threads (model, report, project).
    pub saves: super::saves::Saves,
    /// The feature recipe being edited on the Features panel, with its preview.
    pub recipe: features::RecipeView,
    /// Recently opened or saved projects, newest first.
    pub recent: Vec<projects::Recent>,
    /// The task detected for (target column), so the Train panel does not rescan the column
    /// every frame; cleared when new data loads.
    task_cache: Option<(String, Option<crate::train::Task>)>,
    /// Warnings that depend on the target (imbalance, leakage), per target column.
    target_warnings_cache: Option<(String, Vec<crate::data::Warning>)>,
    /// The lesson being followed, if any.
    pub lesson: Option<super::guide::LessonRun>,
    /// The panels looked at since the data was opened (lesson goals).
    pub visited: Vec<Panel>,
    /// Theme and UI scale.
    pub view: super::guide::ViewSettings,
    pub glossary_open: bool,
    /// The open "learn more" window.
    pub learn: Option<learn::Topic>,
    /// The series read with the Train panel's forecast settings (gaps, repeats).
    pub series_check: super::forecast_setup::SeriesCheck,
    /// The current forecast model's paths and the series shown (Evaluate panel).
    pub forecast_view: super::forecast::ForecastView,
    /// Set when the open file was too large for memory and was streamed: `dataset` is then the
    /// training sample.
    pub streamed: Option<Arc<StreamedData>>,
    /// Rows in the training sample of a streamed file (the Data panel changes it).
    pub sample_rows: usize,
}

/// A file too large for memory, streamed once (`data::stream`): the held-out rows' sample the
/// model is scored on, and the statistics of every training row the recipe is fitted with.
pub struct StreamedData {
    pub path: PathBuf,
    pub test: Option<Arc<Dataset>>,
    pub statistics: Arc<crate::data::stream::ColumnStatistics>,
    pub summary: crate::data::stream::StreamSummary,
}

impl AppState {
    /// Imbalance and leakage warnings for the chosen target, computed once per target.
    pub fn target_warnings(&mut self) -> Vec<crate::data::Warning> {
        let (Some(ds), Some(target)) = (&self.dataset, &self.settings.target) else { return vec![] };
        match &self.target_warnings_cache {
            Some((t, w)) if t == target => w.clone(),
            _ => {
                let w = crate::data::target_warnings(ds, target);
                self.target_warnings_cache = Some((target.clone(), w.clone()));
                w
            }
        }
    }

    /// Makes `outcome` the current model: Evaluate and Deploy show it, its settings fill the
    /// Train panel, and it joins the session's runs.
    pub fn set_outcome(&mut self, outcome: Arc<TrainOutcome>) {
        // A forecast's model is its lag regression, not a choice from the model list.
        if outcome.pipeline.forecast.is_none() {
            self.settings.model = Some(outcome.pipeline.model.kind());
            self.settings.params = Some(outcome.pipeline.info.params.clone());
        }
        self.remember_run(outcome.clone());
        self.outcome = Some(outcome);
        self.eval_view.cell = None;
        self.eval_view.whatif = None;
        self.insight = insight::Insight::default();
    }

    /// Makes the model with (or without) the per-group thresholds of the Groups tab current,
    /// in place of the other in the session's runs, and scores the groups again.
    pub fn use_thresholds(&mut self, on: bool) {
        let Some(view) = &self.insight.mitigation else { return };
        let (new, old) =
            if on { (view.with.clone(), view.without.clone()) } else { (view.without.clone(), view.with.clone()) };
        for r in self.runs.iter_mut().filter(|r| Arc::ptr_eq(r, &old)) {
            *r = new.clone();
        }
        self.outcome = Some(new);
        self.insight.groups = None;
    }

    /// Drops what was derived from the table's columns (after new data or an edit).
    pub(super) fn forget_column_caches(&mut self) {
        self.task_cache = None;
        self.target_warnings_cache = None;
    }

    pub(super) fn remember_run(&mut self, outcome: Arc<TrainOutcome>) {
        if !self.runs.iter().any(|r| Arc::ptr_eq(r, &outcome)) {
            self.runs.push(outcome);
        }
    }

    /// The task for the chosen target (regression or classification), detected once per target.
    pub fn detected_task(&mut self) -> Option<crate::train::Task> {
        let (Some(ds), Some(target)) = (&self.dataset, &self.settings.target) else { return None };
        match &self.task_cache {
            Some((t, task)) if t == target => *task,
            _ => {
                let task = crate::train::detect_task(ds, target).ok();
                self.task_cache = Some((target.clone(), task));
                task
            }
        }
    }
}

/// One row of the "Try all models" leaderboard.
#[derive(Clone, Debug)]
pub struct LeaderboardEntry {
    pub outcome: Arc<TrainOutcome>,
    pub cv: crate::train::cv::CvResult,
}

impl LeaderboardEntry {
    /// The test score and the CV mean ± std of the headline metric.
    pub fn scores(&self) -> (f64, f64, f64) {
        let (name, test) = self.outcome.report.metrics.headline();
        (test, self.cv.mean.get(name).copied().unwrap_or(f64::NAN), self.cv.std.get(name).copied().unwrap_or(f64::NAN))
    }
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            streamed: None,
            sample_rows: crate::data::stream::DEFAULT_SAMPLE_ROWS,
            panel: Panel::Data,
            dataset: None,
            profile: None,
            loading: None,
            load_cancel: None,
            settings: TrainSettings::default(),
            settings_history: SettingsHistory::default(),
            eval_view: evaluate::EvalView::default(),
            training: None,
            outcome: None,
            deploy: DeployStatus::Stopped,
            error: None,
            notice: None,
            try_result: None,
            leaderboard: Vec::new(),
            cancel: None,
            runs: Vec::new(),
            tuning: train::TuneView::default(),
            insight: insight::Insight::default(),
            server_metrics: None,
            deployments: Vec::new(),
            batch: None,
            monitor: monitor::MonitorView::default(),
            net: curves::NetView::default(),
            run_log: runs::RunsView::default(),
            feedback: feedback::FeedbackView::default(),
            data_ref: None,
            project: None,
            pending_project: None,
            intended_use: String::new(),
            explore: Default::default(),
            autosave: Default::default(),
            saves: Default::default(),
            recent: Vec::new(),
            recipe: features::RecipeView::default(),
            task_cache: None,
            target_warnings_cache: None,
            lesson: None,
            visited: Vec::new(),
            view: super::guide::ViewSettings::default(),
            glossary_open: false,
            learn: None,
            series_check: Default::default(),
            forecast_view: Default::default(),
        }
    }
}

/// An undo and a redo stack of whole values (the recipe, the settings).
#[derive(Clone, Debug)]
pub struct UndoStack<T> {
    undo: Vec<T>,
    redo: Vec<T>,
}

impl<T> Default for UndoStack<T> {
    fn default() -> Self {
        UndoStack { undo: Vec::new(), redo: Vec::new() }
    }
}

impl<T> UndoStack<T> {
    /// A new edit was made from `before`: it can be undone, and nothing is left to redo.
    pub fn record(&mut self, before: T) {
        self.undo.push(before);
        self.redo.clear();
    }

    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Puts back the value before the last edit; false when there is none.
    pub fn undo(&mut self, current: &mut T) -> bool {
        Self::step(&mut self.undo, &mut self.redo, current)
    }

    /// Makes the last undone edit again; false when there is none.
    pub fn redo(&mut self, current: &mut T) -> bool {
        Self::step(&mut self.redo, &mut self.undo, current)
    }

    fn step(from: &mut Vec<T>, to: &mut Vec<T>, current: &mut T) -> bool {
        let Some(value) = from.pop() else { return false };
        to.push(std::mem::replace(current, value));
        true
    }
}

/// Undo/redo of the Train panel's settings (target, model and its settings, test share, seed,
/// device, time split). Every change a person makes is recorded; changes less than a second
/// apart (dragging a slider, typing a number) count as one.
#[derive(Clone, Debug, Default)]
pub struct SettingsHistory {
    stack: UndoStack<TrainSettings>,
    last: Option<TrainSettings>,
    last_change: Option<Instant>,
}

impl SettingsHistory {
    /// Called once a frame after the panels: records what changed since the last frame.
    pub fn observe(&mut self, now: &TrainSettings) {
        match &self.last {
            Some(last) if last == now => {}
            Some(last) => {
                let same_gesture =
                    self.last_change.is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(900));
                if same_gesture {
                    self.stack.redo.clear();
                } else {
                    self.stack.record(last.clone());
                }
                self.last = Some(now.clone());
                self.last_change = Some(Instant::now());
            }
            None => self.last = Some(now.clone()),
        }
    }

    /// Forgets the history (new data: its settings are a fresh start).
    pub fn reset(&mut self, now: &TrainSettings) {
        *self = SettingsHistory { last: Some(now.clone()), ..Default::default() };
    }

    pub fn can_undo(&self) -> bool {
        self.stack.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.stack.can_redo()
    }

    /// Puts back the settings before the last change; false when there is none.
    pub fn undo(&mut self, settings: &mut TrainSettings) -> bool {
        let done = self.stack.undo(settings);
        self.follow(settings);
        done
    }

    /// Makes the last undone change again; false when there is none.
    pub fn redo(&mut self, settings: &mut TrainSettings) -> bool {
        let done = self.stack.redo(settings);
        self.follow(settings);
        done
    }

    /// After an undo or redo: the settings shown are the new starting point, not an edit.
    fn follow(&mut self, settings: &TrainSettings) {
        self.last = Some(settings.clone());
        self.last_change = None;
    }
}
