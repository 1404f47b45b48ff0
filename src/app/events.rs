//! What background jobs report, and how the app applies it between frames.

use super::{CairnApp, DeployStatus, LeaderboardEntry, TrainSettings, deploy};
use crate::data::{Dataset, Profile};
use crate::train::TrainOutcome;
use crate::train::tune::{TuneResult, TuneTrial};
use std::sync::Arc;

/// Messages from background jobs.
pub(super) enum Event {
    Loaded {
        dataset: Result<(Dataset, Profile), String>,
        target: Option<String>,
        /// Set when the file was streamed (too large for memory).
        streamed: Option<Arc<super::state::StreamedData>>,
    },
    /// The import's stage ("reading", "profiling").
    LoadStage(String),
    TrainProgress(String),
    LeaderboardEntry(Box<LeaderboardEntry>),
    LeaderboardDone(Option<String>),
    Trained(Result<Box<TrainOutcome>, String>),
    TuneTrial(Box<TuneTrial>),
    /// The search finished (the final model then arrives as `Trained`).
    Tuned(Result<Box<TuneResult>, String>),
    /// Permutation importance or a learning curve for the given run.
    Insight(Arc<TrainOutcome>, Result<super::insight::Found, String>),
    /// An edited copy of the open table, its profile and what was done.
    Edited(Result<Box<(Dataset, Profile, String)>, String>),
    /// The Monitor panel's check of the served data.
    Monitored(Result<Box<super::monitor::MonitorResult>, String>),
    Deploy(deploy::DeployEvent),
    /// A neural network's progress: one epoch (or part of a long one).
    Epoch(crate::gpu::net::EpochStats),
    /// The GPU adapters wgpu found.
    Adapters(Vec<crate::gpu::AdapterInfo>),
    /// The run store's runs (after reading it, or after a change to it).
    Runs(Result<Vec<crate::track::RunRecord>, String>),
    FeedbackProgress(String),
    Retrained(Result<Box<crate::train::retrain::Retrained>, String>),
    Swapped(Result<Box<super::feedback::Swapped>, String>),
    Live(Result<crate::monitor::LiveScores, String>),
    /// A finished training run was recorded in the run store (or could not be).
    Recorded(Result<i64, String>),
    /// A background save finished (model, report or project).
    Saved(Box<super::saves::Saved>),
    /// An explanation (What-if row, test-row summary, partial dependence) was computed.
    Explained(Box<super::explain::Explained>),
    /// An Explore chart or selection was computed.
    Explored(Box<super::explore::Explored>),
}

impl CairnApp {
    /// Reads the running server's `/metrics` every second into the Deploy panel.
    fn start_metrics_poll(&mut self, url: String) {
        self.stop_metrics_poll();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        self.metrics_stop = Some(stop.clone());
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        deploy::poll_metrics(url, stop, move |m| {
            tx.send(Event::Deploy(deploy::DeployEvent::Metrics(m))).ok();
            repaint();
        });
    }

    pub(super) fn stop_metrics_poll(&mut self) {
        if let Some(stop) = self.metrics_stop.take() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        self.state.server_metrics = None;
    }

    pub(super) fn drain_events(&mut self) {
        while let Ok(event) = self.rx.try_recv() {
            self.apply(event);
        }
        // A server that exited on its own is reported.
        if let Some(server) = &mut self.server
            && let Some(status) = server.exited()
        {
            self.state.deploy = DeployStatus::Failed(format!("the server stopped ({status})"));
            self.server = None;
            self.stop_metrics_poll();
        }
    }

    fn apply(&mut self, event: Event) {
        let state = &mut self.state;
        match event {
            Event::LoadStage(stage) => {
                if let Some(b) = &mut state.loading {
                    b.stage = stage;
                }
            }
            Event::Loaded { dataset, target, streamed } => {
                if dataset.is_ok() {
                    state.streamed = streamed;
                }
                loaded(state, dataset, target)
            }
            Event::LeaderboardEntry(entry) => {
                state.remember_run(entry.outcome.clone());
                state.leaderboard.push(*entry);
                // Best CV score first (R² or accuracy: higher is better).
                state.leaderboard.sort_by(|a, b| b.scores().1.total_cmp(&a.scores().1));
            }
            Event::LeaderboardDone(failure) => {
                state.training = None;
                state.cancel = None;
                if let Some(best) = state.leaderboard.first().map(|b| b.outcome.clone()) {
                    state.set_outcome(best);
                }
                if let Some(f) = failure {
                    state.error = Some(format!("Trying all models stopped: {f}"));
                }
            }
            Event::TrainProgress(stage) => {
                if let Some(b) = &mut state.training {
                    b.stage = stage;
                }
            }
            Event::Epoch(stats) => state.net.epochs.push(stats),
            Event::Adapters(found) => state.net.adapters = Some(found),
            Event::Runs(result) => {
                state.run_log.loading = false;
                match result {
                    Ok(runs) => state.run_log.set_runs(runs),
                    Err(e) => state.error = Some(format!("Reading the run history failed: {e}")),
                }
            }
            Event::FeedbackProgress(stage) => {
                if let Some(b) = &mut state.feedback.busy {
                    b.stage = stage;
                }
            }
            Event::Retrained(result) => {
                state.feedback.busy = None;
                match result {
                    Ok(r) => state.feedback.result = Some(Arc::new(*r)),
                    Err(e) => state.error = Some(format!("Retraining failed: {e}")),
                }
            }
            Event::Swapped(result) => super::feedback::swapped(state, result),
            Event::Live(result) => {
                state.feedback.busy = None;
                match result {
                    Ok(l) => state.feedback.live = Some(l),
                    Err(e) => state.error = Some(format!("Scoring the served predictions failed: {e}")),
                }
            }
            Event::Saved(saved) => self.finish_save(*saved),
            Event::Explored(found) => super::explore::explored(state, *found),
            Event::Explained(found) => super::explain::explained(state, *found),
            Event::Recorded(result) => match result {
                Ok(_) => state.run_log.stale = true,
                Err(e) => state.notice = Some(format!("This run was not recorded in the history: {e}")),
            },
            Event::Trained(result) => {
                state.training = None;
                state.cancel = None;
                state.net.pause = None;
                match result {
                    Ok(outcome) => state.set_outcome(Arc::new(*outcome)),
                    Err(e) => state.error = Some(format!("Training failed: {e}")),
                }
            }
            Event::TuneTrial(trial) => state.tuning.trials.push(*trial),
            Event::Tuned(result) => match result {
                Ok(r) => state.tuning.best = Some(r.best),
                Err(e) => {
                    state.training = None;
                    state.cancel = None;
                    state.error = Some(format!("Tuning failed: {e}"));
                }
            },
            Event::Insight(run, result) => insight_found(state, &run, result),
            Event::Edited(result) => edited(state, result),
            Event::Monitored(result) => {
                state.monitor.busy = None;
                match result {
                    Ok(r) => state.monitor.result = Some(Arc::new(*r)),
                    Err(e) => state.error = Some(format!("Monitoring: {e}")),
                }
            }
            Event::Deploy(e) => self.deployed(e),
        }
    }

    /// What the deploy job and the metrics poll report.
    fn deployed(&mut self, e: deploy::DeployEvent) {
        let state = &mut self.state;
        match e {
            deploy::DeployEvent::Started(Ok(handle)) => {
                state.deploy = DeployStatus::Running { url: handle.url.clone(), bundle: handle.bundle.clone() };
                state.monitor.traffic = Default::default();
                if let Some(o) = &state.outcome {
                    let (name, value) = (o.report.metrics.headline_label(), o.report.metrics.headline().1);
                    state.deployments.push(deploy::Deployment {
                        bundle: handle.bundle.clone(),
                        model: o.pipeline.model_display_name().to_string(),
                        score: format!("{name} {value:.3}"),
                    });
                }
                // The deployed model's recorded run becomes production (in the background).
                if let Some(o) = state.outcome.clone() {
                    let (store, bundle, sum) = (self.runs_store(), handle.bundle.clone(), handle.checksum.clone());
                    std::thread::spawn(move || super::feedback::mark_production(&store, &o.pipeline, &bundle, &sum));
                }
                let url = handle.url.clone();
                self.server = Some(handle);
                self.start_metrics_poll(url);
            }
            deploy::DeployEvent::Metrics(m) => {
                state.monitor.traffic.push(m.clone());
                state.server_metrics = Some(m);
            }
            deploy::DeployEvent::BatchProgress(done, total, rows) => {
                if let Some(b) = &mut state.batch {
                    b.progress = if total > 0 { done as f32 / total as f32 } else { 1.0 };
                    b.rows = rows;
                }
            }
            deploy::DeployEvent::BatchDone(result) => {
                if let Some(b) = &mut state.batch {
                    b.progress = 1.0;
                    b.done = Some(result.map(|(rows, path)| {
                        b.rows = rows;
                        format!("Wrote {rows} predictions to {}", path.display())
                    }));
                }
            }
            deploy::DeployEvent::Started(Err(msg)) => state.deploy = DeployStatus::Failed(msg),
            deploy::DeployEvent::TryResult(r) => {
                state.try_result = Some(match r {
                    Ok((status, body)) => format!("HTTP {status}: {body}"),
                    Err(e) => format!("Request failed: {e}"),
                });
            }
        }
    }
}

/// A finished import: the new table replaces the old one and everything computed from it.
fn loaded(state: &mut super::AppState, dataset: Result<(Dataset, Profile), String>, target: Option<String>) {
    state.loading = None;
    state.load_cancel = None;
    match dataset {
        Ok((ds, prof)) => {
            let target = target.filter(|t| ds.column(t).is_some());
            // A folder of pictures is there to learn its labels: the target is set already.
            let target = target.or_else(|| ds.pictures.as_ref().and(ds.column("label")).map(|c| c.name.clone()));
            state.settings = TrainSettings { target, ..TrainSettings::default() };
            state.dataset = Some(Arc::new(ds));
            state.profile = Some(prof);
            state.outcome = None;
            state.leaderboard.clear();
            state.tuning.trials.clear();
            state.runs.clear();
            state.recipe.clear();
            state.intended_use.clear();
            state.explore = super::explore::ExploreView { open: state.explore.open, ..Default::default() };
            state.forget_column_caches();
            state.eval_view = Default::default();
            super::projects::apply_pending(state);
            state.settings_history.reset(&state.settings);
            state.autosave = Default::default();
        }
        Err(e) => {
            state.pending_project = None;
            state.error = Some(e);
        }
    }
}

/// A finished edit of the table (type change, row filter): the profile follows.
fn edited(state: &mut super::AppState, result: Result<Box<(Dataset, Profile, String)>, String>) {
    state.loading = None;
    match result {
        Ok(edited) => {
            let (new, profile, note) = *edited;
            if state.settings.target.as_ref().is_some_and(|t| new.column(t).is_none()) {
                state.settings.target = None;
            }
            if let Some(old) = &state.dataset {
                state.recipe.follow_kinds(old, &new);
            }
            state.profile = Some(profile);
            state.dataset = Some(Arc::new(new));
            state.forget_column_caches();
            state.notice = Some(note);
        }
        Err(e) => state.error = Some(e),
    }
}

/// An explaining computation finished; a result for a model that is no longer current is dropped.
fn insight_found(state: &mut super::AppState, run: &Arc<TrainOutcome>, result: Result<super::insight::Found, String>) {
    if !state.outcome.as_ref().is_some_and(|o| Arc::ptr_eq(o, run)) {
        return;
    }
    state.insight.busy = None;
    match result {
        Ok(super::insight::Found::Importance(i)) => state.insight.importance = Some(i),
        Ok(super::insight::Found::Curve(c)) => state.insight.curve = Some(c),
        Ok(super::insight::Found::Groups(g)) => state.insight.groups = Some(g),
        Ok(super::insight::Found::Mitigation(found)) => {
            let (result, with) = *found;
            state.insight.mitigation = Some(super::groups::MitigationView { result, with, without: run.clone() });
        }
        Err(e) => state.error = Some(format!("Explaining the model failed: {e}")),
    }
}
