//! Background jobs: import, training, "Try all models", deployment and the test request. Each
//! runs on its own thread and reports back through the app's channel, waking the UI with
//! `request_repaint`, so the window never blocks.

use super::insight::Found;
use super::{Busy, CairnApp, DeployStatus, Event, LeaderboardEntry, deploy};
use crate::data::{Dataset, profile};
use crate::eval::{learning_curve, permutation_importance};
use crate::track::{RunRecord, RunStore};
use crate::train::cv::CvResult;
use crate::train::leaderboard::{Trial, try_all_models};
use crate::train::tune::{TuneTrial, tune};
use crate::train::{TrainConfig, TrainOutcome};
use crate::util::http_request;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::time::Instant;

impl CairnApp {
    pub(super) fn start_load(
        &mut self,
        what: String,
        target: Option<String>,
        load: impl FnOnce(&crate::data::Progress) -> Result<Dataset, crate::data::DataError> + Send + 'static,
    ) {
        if self.state.loading.is_some() {
            return;
        }
        self.state.error = None;
        self.state.loading =
            Some(Busy { what: format!("Opening {what}"), stage: "reading".into(), started: Instant::now() });
        // Cancel forgets the job at once; the reader stops at its next chunk and sends nothing.
        let cancel = Arc::new(AtomicBool::new(false));
        self.state.load_cancel = Some(cancel.clone());
        let tx = self.tx.clone();
        let repaint = self.repaint();
        std::thread::spawn(move || {
            let cancelled = || cancel.load(std::sync::atomic::Ordering::Relaxed);
            let report = |share: f32| {
                tx.send(Event::LoadStage(format!("reading: {:.0} %", 100.0 * share))).ok();
                repaint();
            };
            let progress = crate::data::Progress { report: Some(&report), cancel: Some(&cancel) };
            let dataset = load(&progress);
            if cancelled() {
                return;
            }
            let dataset = dataset.map(|ds| {
                tx.send(Event::LoadStage(format!("profiling {} rows × {} columns", ds.n_rows(), ds.n_cols()))).ok();
                repaint();
                let p = profile(&ds);
                (ds, p)
            });
            if cancelled() {
                return;
            }
            tx.send(Event::Loaded { dataset: dataset.map_err(|e| e.to_string()), target, streamed: None }).ok();
            repaint();
        });
    }

    /// Opens a delimited file too large for memory: one streaming pass profiles it and keeps a
    /// sample of `state.sample_rows` training rows (and one of the held-out rows), off the UI
    /// thread, with progress and Cancel as for any import.
    pub(super) fn start_stream(&mut self, path: std::path::PathBuf) {
        if self.state.loading.is_some() {
            return;
        }
        self.state.error = None;
        let what =
            format!("Opening {} (streamed: too large for memory)", super::short_name(&path.display().to_string()));
        self.state.loading = Some(Busy { what, stage: "reading".into(), started: Instant::now() });
        let cancel = Arc::new(AtomicBool::new(false));
        self.state.load_cancel = Some(cancel.clone());
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        let options = crate::data::stream::StreamOptions {
            sample_rows: self.state.sample_rows,
            test_share: super::state::TrainSettings::default().test_size,
            seed: 42,
        };
        std::thread::spawn(move || {
            let mut progress = |done: u64, total: u64, rows: usize| {
                let share = if total > 0 { 100.0 * done as f64 / total as f64 } else { 100.0 };
                tx.send(Event::LoadStage(format!("streaming: {share:.0} %, {rows} rows"))).ok();
                repaint();
            };
            let result = crate::data::stream::stream_csv(&path, &options, &mut progress, Some(&cancel));
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            let (dataset, streamed) = match result {
                Ok(s) => {
                    let data = super::state::StreamedData {
                        path,
                        test: s.test.map(Arc::new),
                        statistics: s.statistics,
                        summary: s.summary,
                    };
                    (Ok((s.train, s.profile)), Some(Arc::new(data)))
                }
                Err(e) => (Err(e.to_string()), None),
            };
            tx.send(Event::Loaded { dataset, target: None, streamed }).ok();
            repaint();
        });
    }

    /// The data and the training configuration the Train panel describes, and the held-out
    /// sample of a streamed file, or `None` (with a message) when no target is chosen yet or a
    /// training job already runs.
    fn train_job(&mut self) -> Option<(Arc<Dataset>, TrainConfig, Option<Arc<Dataset>>)> {
        // k-means needs no target (an empty one).
        let kmeans = self.state.settings.model == Some(crate::train::ModelKind::KMeans);
        let target = self.state.settings.target.clone().or_else(|| kmeans.then(String::new));
        let (Some(ds), Some(target)) = (self.state.dataset.clone(), target) else {
            self.state.error = Some("Choose a dataset and a target column first.".into());
            return None;
        };
        if self.state.training.is_some() {
            return None;
        }
        self.state.error = None;
        let s = &self.state.settings;
        let mut cfg = TrainConfig::new(target);
        cfg.model = s.model;
        cfg.params = s.params.clone();
        // "Automatic": a quick cross-validated comparison picks the model (its budget below).
        cfg.automatic = s.model.is_none() && s.params.is_none();
        cfg.seed = s.seed;
        cfg.test_size = s.test_size;
        cfg.device = s.device;
        // The recipe the Features panel shows (proposed from the profile, or edited).
        cfg.recipe = self.state.recipe.for_target(&cfg.target).cloned();
        cfg.time_column = s.time_column.clone();
        cfg.calibration = s.calibration;
        // Training the ensemble in use again keeps its members (Try all's best three).
        if let Some(crate::train::FittedModel::Ensemble(e)) = self.state.outcome.as_ref().map(|o| &o.pipeline.model)
            && cfg.model == Some(crate::train::ModelKind::Ensemble)
        {
            cfg.ensemble = e.members.iter().map(|m| m.params.model).collect();
        }
        // Automatic's quick comparison has its own budget; Try all's is set where it starts.
        cfg.time_budget = cfg.automatic.then_some(s.auto_budget);
        if self.state.dataset.as_ref().is_some_and(|d| d.pictures.is_some()) {
            cfg.augment = s.augment;
        }
        if let Some(f) = &s.forecast {
            // A forecast backtests every method itself: the model list and the split do not apply.
            cfg.task = crate::train::TaskChoice::Forecast;
            (cfg.model, cfg.params) = (None, None);
            cfg.time_column = Some(f.time.clone());
            cfg.series_column = f.series.clone();
            cfg.horizon = f.horizon;
        }
        // A streamed file: the model learns from the sample, scored on the held-out sample, and
        // the recipe's number statistics cover every streamed training row.
        let test = self.state.streamed.as_ref().and_then(|st| {
            cfg.streamed = Some(st.statistics.clone());
            st.test.clone()
        });
        Some((ds, cfg, test))
    }

    /// Marks a training job as started; returns its cancel flag, its event sender and the
    /// repaint callback, for the job's thread.
    fn begin(&mut self, what: &str) -> (Arc<AtomicBool>, Sender<Event>, impl Fn() + Send + 'static) {
        let cancel = Arc::new(AtomicBool::new(false));
        self.state.cancel = Some(cancel.clone());
        self.state.training = Some(Busy { what: what.into(), stage: "starting".into(), started: Instant::now() });
        (cancel, self.tx.clone(), self.repaint())
    }

    pub(super) fn start_training(&mut self) {
        let Some((ds, mut cfg, test)) = self.train_job() else { return };
        let store = self.runs_store();
        self.state.net.regression = self.state.detected_task() == Some(crate::train::Task::Regression);
        let (cancel, tx, repaint) = self.begin("Training");
        cfg.cancel = Some(cancel);
        // A neural network streams its epochs to the Train panel's curves and can be paused.
        let pause = Arc::new(AtomicBool::new(false));
        (self.state.net.epochs, self.state.net.pause) = (Vec::new(), Some(pause.clone()));
        cfg.pause = Some(pause);
        let sink = std::sync::Mutex::new((tx.clone(), self.repaint()));
        cfg.on_epoch = Some(crate::train::EpochSink(Arc::new(move |stats| {
            if let Ok(s) = sink.lock() {
                s.0.send(Event::Epoch(stats.clone())).ok();
                (s.1)();
            }
        })));
        std::thread::spawn(move || {
            let mut progress = |msg: &str| {
                tx.send(Event::TrainProgress(msg.to_string())).ok();
                repaint();
            };
            let result =
                crate::train::train(&ds, test.as_deref(), &cfg, &mut progress).map(Box::new).map_err(|e| e.to_string());
            if let Ok(outcome) = &result {
                record_run(&store, outcome, &ds, None, &tx);
            }
            tx.send(Event::Trained(result)).ok();
            repaint();
        });
    }

    /// Runs `change` on the run store off the UI thread, then reads every run back for the
    /// Runs panel.
    pub(super) fn runs_job(
        &mut self,
        change: impl FnOnce(&RunStore) -> Result<(), crate::track::TrackError> + Send + 'static,
    ) {
        self.state.run_log.loading = true;
        self.state.run_log.stale = false;
        let (store, tx, repaint) = (self.runs_store(), self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = RunStore::open(&store).and_then(|s| {
                change(&s)?;
                s.runs()
            });
            tx.send(Event::Runs(result.map_err(|e| e.to_string()))).ok();
            repaint();
        });
    }

    /// Looks up the GPU adapters off the UI thread (wgpu's enumeration can take a moment).
    pub(super) fn find_adapters(&mut self) {
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            tx.send(Event::Adapters(crate::gpu::adapters())).ok();
            repaint();
        });
    }

    pub(super) fn start_try_all(&mut self) {
        if self.state.settings.forecast.is_some() {
            return self.start_training();
        }
        let Some((ds, mut cfg, test)) = self.train_job() else { return };
        let store = self.runs_store();
        self.state.leaderboard.clear();
        let (cancel, tx, repaint) = self.begin("Trying all models");
        (cfg.model, cfg.params, cfg.time_budget) = (None, None, self.state.settings.time_budget);
        std::thread::spawn(move || {
            let mut progress = |msg: &str| {
                tx.send(Event::TrainProgress(msg.to_string())).ok();
                repaint();
            };
            let mut on_trial = |t: Trial| {
                record_run(&store, &t.outcome, &ds, t.cv.as_ref(), &tx);
                if let Some(cv) = t.cv {
                    let entry = LeaderboardEntry { outcome: Arc::new(t.outcome), cv };
                    tx.send(Event::LeaderboardEntry(Box::new(entry))).ok();
                }
            };
            let result = try_all_models(&ds, test.as_deref(), &cfg, Some(5), &cancel, &mut progress, &mut on_trial);
            tx.send(Event::LeaderboardDone(result.err().map(|e| e.to_string()))).ok();
            repaint();
        });
    }

    /// Grid or random search over the chosen model's settings (5-fold CV on the training
    /// part), every trial reported as it finishes; then the best settings are trained.
    pub(super) fn start_tuning(&mut self) {
        if self.state.settings.forecast.is_some() {
            return self.start_training();
        }
        let Some((ds, mut cfg, test)) = self.train_job() else { return };
        let store = self.runs_store();
        let search = self.state.tuning.search();
        self.state.tuning.trials.clear();
        self.state.tuning.best = None;
        let (cancel, tx, repaint) = self.begin("Tuning");
        cfg.cancel = Some(cancel);
        std::thread::spawn(move || {
            let mut progress = |msg: &str| {
                tx.send(Event::TrainProgress(msg.to_string())).ok();
                repaint();
            };
            let mut on_trial = |t: &TuneTrial| {
                tx.send(Event::TuneTrial(Box::new(t.clone()))).ok();
                repaint();
            };
            let result = tune(&ds, &cfg, search, 5, &mut progress, &mut on_trial);
            match result {
                Ok(r) => {
                    let best = r.best_params().clone();
                    tx.send(Event::Tuned(Ok(Box::new(r)))).ok();
                    let cfg = TrainConfig { model: Some(best.model), params: Some(best), cancel: None, ..cfg };
                    let trained = crate::train::train(&ds, test.as_deref(), &cfg, &mut progress);
                    if let Ok(outcome) = &trained {
                        record_run(&store, outcome, &ds, None, &tx);
                    }
                    tx.send(Event::Trained(trained.map(Box::new).map_err(|e| e.to_string()))).ok();
                }
                Err(e) => {
                    tx.send(Event::Tuned(Err(e.to_string()))).ok();
                }
            }
            repaint();
        });
    }

    /// Permutation importance of the current model on its test rows.
    pub(super) fn start_importance(&mut self) {
        self.start_insight("Feature importance", |ds, run| {
            let test = ds.take_rows(&run.test_source_rows);
            permutation_importance(&run.pipeline, &test, 5, run.pipeline.info.seed).map(Found::Importance)
        });
    }

    /// The current model's metrics by the groups of `column`, on its test rows.
    pub(super) fn start_groups(&mut self, column: String) {
        self.state.eval_view.group = Some(column.clone());
        self.start_insight("Metrics by group", move |ds, run| {
            let test = ds.take_rows(&run.test_source_rows);
            crate::eval::fairness::fairness(&run.pipeline, &test, &column, None)
                .map(Found::Groups)
                .map_err(|e| crate::train::TrainError::Config(e.to_string()))
        });
    }

    /// Per-group thresholds for the chosen group column, fitted on the test rows.
    pub(super) fn start_mitigation(&mut self) {
        let Some(column) = self.state.eval_view.group.clone() else { return };
        self.start_insight("Fitting per-group thresholds", move |ds, run| {
            let test = ds.take_rows(&run.test_source_rows);
            let (result, pipeline) =
                crate::eval::mitigation::equalise_true_positive_rates(&run.pipeline, &test, &column, None)
                    .map_err(|e| crate::train::TrainError::Config(e.to_string()))?;
            let with = Arc::new(TrainOutcome {
                pipeline,
                report: run.report.clone(),
                test_source_rows: run.test_source_rows.clone(),
            });
            Ok(Found::Mitigation(Box::new((result, with))))
        });
    }

    /// The learning curve of the current model's kind and settings.
    pub(super) fn start_learning_curve(&mut self) {
        self.start_insight("Learning curve", |ds, run| {
            // The run's own configuration (an ensemble's members included).
            let mut cfg = crate::train::retrain::manifest_config(&run.pipeline);
            if cfg.test_size <= 0.0 {
                cfg.test_size = 0.2;
            }
            learning_curve(ds, &cfg).map(Found::Curve)
        });
    }

    /// Runs one explaining computation on the current model in the background (one at a time).
    fn start_insight(
        &mut self,
        what: &str,
        job: impl FnOnce(&Dataset, &TrainOutcome) -> Result<Found, crate::train::TrainError> + Send + 'static,
    ) {
        let (Some(ds), Some(run)) = (self.state.dataset.clone(), self.state.outcome.clone()) else { return };
        // Importance, curves and groups predict rows; a forecast model forecasts series instead.
        if run.pipeline.forecast.is_some() {
            self.state.notice = Some(format!("{what} is not for forecasts."));
            return;
        }
        if self.state.insight.busy.is_some() {
            return;
        }
        self.state.insight.busy = Some(Busy { what: what.into(), stage: String::new(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = job(&ds, &run).map_err(|e| e.to_string());
            tx.send(Event::Insight(run, result)).ok();
            repaint();
        });
    }

    /// "Predict a file…": asks for the input CSV and where to write, then predicts it in chunks
    /// on a background thread, reporting progress.
    pub(super) fn start_predict_file(&mut self) {
        let Some(outcome) = self.state.outcome.clone() else { return };
        let Some(input) = self.options.picker.pick_data_file() else { return };
        let Some(output) = self.options.picker.pick_save_path("predictions.csv") else { return };
        self.state.batch =
            Some(super::deploy::BatchStatus { input: input.clone(), progress: 0.0, rows: 0, done: None });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let mut progress = |done: u64, total: u64, rows: usize| {
                tx.send(Event::Deploy(deploy::DeployEvent::BatchProgress(done, total, rows))).ok();
                repaint();
            };
            let result = crate::serve::batch::predict_file_to(&outcome.pipeline, &input, &output, &mut progress)
                .map(|rows| (rows, output))
                .map_err(|e| e.to_string());
            tx.send(Event::Deploy(deploy::DeployEvent::BatchDone(result))).ok();
            repaint();
        });
    }

    /// Monitor: reads the running server's prediction log and compares the served rows with
    /// the training data, in the background.
    pub(super) fn start_monitor_check(&mut self) {
        let (Some(ds), DeployStatus::Running { bundle, .. }) = (self.state.dataset.clone(), &self.state.deploy) else {
            return;
        };
        if self.state.monitor.busy.is_some() {
            return;
        }
        let bundle = bundle.clone();
        self.state.monitor.busy =
            Some(Busy { what: "Reading the prediction log".into(), stage: String::new(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = (|| -> Result<super::monitor::MonitorResult, String> {
                let (pipeline, _) = crate::project::load_bundle(&bundle).map_err(|e| e.to_string())?;
                let path = crate::serve::PredictionLog::beside(&bundle).path().to_path_buf();
                let log = crate::monitor::read_prediction_log(&path, &pipeline.schema).map_err(|e| e.to_string())?;
                let drift = crate::monitor::drift_report_for(&pipeline, &ds, &log.inputs).map_err(|e| e.to_string())?;
                let (mut reference_values, mut reference_labels) = (Vec::new(), Vec::new());
                match ds.column(&pipeline.target.name).map(|c| &c.values) {
                    Some(crate::data::Values::Numeric(v)) if pipeline.target.classes.is_empty() => {
                        reference_values = v.present().collect();
                    }
                    Some(values) => {
                        reference_labels =
                            (0..values.len()).map(|r| values.display(r)).filter(|s| !s.is_empty()).collect();
                    }
                    None => {}
                }
                let model = pipeline.model_display_name().to_string();
                Ok(super::monitor::MonitorResult { log, drift, model, reference_values, reference_labels })
            })();
            tx.send(Event::Monitored(result.map(Box::new))).ok();
            repaint();
        });
    }

    pub(super) fn start_deploy(&mut self) {
        let Some(outcome) = self.state.outcome.clone() else { return };
        self.server = None;
        self.state.try_result = None;
        self.state.deploy = DeployStatus::Starting;
        let tx = self.tx.clone();
        let repaint = self.repaint();
        let exe = self.options.cairn_exe.clone();
        let dir = self.options.deploy_dir.clone();
        std::thread::spawn(move || {
            let event = deploy::DeployEvent::Started(deploy::launch(&exe, &dir, &outcome.pipeline));
            tx.send(Event::Deploy(event)).ok();
            repaint();
        });
    }

    pub(super) fn try_prediction(&mut self) {
        let (DeployStatus::Running { url, .. }, Some(outcome)) = (&self.state.deploy, &self.state.outcome) else {
            return;
        };
        let body = serde_json::json!({ "records": [outcome.pipeline.example] }).to_string();
        let url = url.clone();
        let tx = self.tx.clone();
        let repaint = self.repaint();
        std::thread::spawn(move || {
            let result = http_request(&url, "POST", "/predict", Some(&body));
            tx.send(Event::Deploy(deploy::DeployEvent::TryResult(result))).ok();
            repaint();
        });
    }
}

/// Records a finished run in the run store (on the job's thread) and tells the app.
fn record_run(
    store: &std::path::Path,
    outcome: &TrainOutcome,
    ds: &Dataset,
    cv: Option<&CvResult>,
    tx: &Sender<Event>,
) {
    let project = crate::track::project_name(&ds.source);
    let run = RunRecord::from_pipeline(&outcome.pipeline, &project, &ds.source, ds.n_rows(), ds.columns.len());
    let result = RunStore::open(store).and_then(|s| s.record(&run.with_cv(cv)));
    tx.send(Event::Recorded(result.map_err(|e| e.to_string()))).ok();
}
