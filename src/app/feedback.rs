//! The feedback loop in the app (drawn in the Monitor panel): retrain the current model's
//! recipe and settings on the data plus new rows, compare both on the same held-out rows, then
//! Promote (the running server switches to the new model without dropping requests) or Keep;
//! any earlier deployed version can be served again from the Deploy panel (rollback). Every
//! step is recorded in the run store.

use super::{AppState, Busy, CairnApp, Command, DeployStatus, Event, deploy};
use crate::track::{RunRecord, RunStore};
use crate::train::TrainOutcome;
use crate::train::retrain::Retrained;
use crate::util::http_request;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Default)]
pub struct FeedbackView {
    pub busy: Option<Busy>,
    /// The last retraining, waiting for Promote or Keep.
    pub result: Option<Arc<Retrained>>,
    /// The file the new rows came from.
    pub new_data: Option<PathBuf>,
    /// Live quality from the true answers that arrived later.
    pub live: Option<crate::monitor::LiveScores>,
}

/// A finished switch of the running server to another bundle.
pub struct Swapped {
    pub bundle: PathBuf,
    /// The promoted model (None for a rollback to an earlier deployment).
    pub outcome: Option<Arc<TrainOutcome>>,
    pub what: String,
}

pub fn feedback_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    live_ui(ui, state, cmds);
    ui.add_space(12.0);
    ui.label(egui::RichText::new("Keep the model up to date").strong());
    ui.label(
        "When new rows with known answers arrive (or drift shows the world moved), retrain the same recipe \
         and settings on the old and the new data. Both models are scored on the same held-out rows that \
         neither has seen, so the comparison is fair.",
    );
    let f = &state.feedback;
    ui.horizontal(|ui| {
        let can = state.outcome.is_some() && state.dataset.is_some() && f.busy.is_none() && state.training.is_none();
        if ui.add_enabled(can, egui::Button::new("Retrain with new data…")).clicked() {
            cmds.push(Command::RetrainWithNewData);
        }
        if let Some(b) = &f.busy {
            ui.spinner();
            ui.label(format!("{} — {} … {:.1} s", b.what, b.stage, b.started.elapsed().as_secs_f32()));
        }
    });
    let Some(r) = &f.result else { return };
    ui.add_space(4.0);
    ui.label(r.summary());
    egui::Grid::new("retrain-compare").striped(true).spacing([24.0, 4.0]).show(ui, |ui| {
        ui.label("");
        ui.label(egui::RichText::new("current").strong());
        ui.label(egui::RichText::new("retrained").strong());
        ui.end_row();
        let current = r.current.metrics.cards();
        for ((name, new, _), (_, old, _)) in r.candidate.report.metrics.cards().into_iter().zip(current) {
            ui.label(name);
            ui.label(format!("{old:.4}"));
            ui.label(format!("{new:.4}"));
            ui.end_row();
        }
    });
    ui.label(
        egui::RichText::new(format!(
            "retrained on {} rows ({} of them new); held-out rows: {}",
            r.train_rows, r.new_rows, r.holdout_rows
        ))
        .weak(),
    );
    let running = matches!(state.deploy, DeployStatus::Running { .. });
    ui.horizontal(|ui| {
        let promote = egui::Button::new(if r.better() { "Promote (recommended)" } else { "Promote anyway" });
        if ui
            .add_enabled(running && f.busy.is_none(), promote)
            .on_hover_text(
                "The running server switches to the retrained model; requests in flight finish on the old one",
            )
            .clicked()
        {
            cmds.push(Command::Promote);
        }
        if ui.button("Keep the current model").clicked() {
            cmds.push(Command::KeepCurrent);
        }
    });
    if !running {
        ui.label(egui::RichText::new("Deploy a model to promote into a running server.").italics());
    }
}

/// "How good is it really?": the served predictions against the true answers that came later.
fn live_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.add_space(12.0);
    ui.label(egui::RichText::new("How good is it really?").strong());
    ui.label(
        "Every answer of POST /predict carries an id per row. When the true outcomes are known later, add \
         them as a table with an `id` column and the target column: the served predictions are scored \
         against them.",
    );
    let running = matches!(state.deploy, DeployStatus::Running { .. });
    if ui.add_enabled(running && state.feedback.busy.is_none(), egui::Button::new("Add the true answers…")).clicked()
    {
        cmds.push(Command::AddAnswers);
    }
    let Some(l) = &state.feedback.live else { return };
    let label = crate::track::metric_label(l.metric);
    let worse = if l.metric == "rmse" { l.live > l.at_training } else { l.live < l.at_training };
    ui.label(format!(
        "Live {label} {:.4} on {} answered predictions; at training it was {:.4} on the test rows{}",
        l.live,
        l.matched,
        l.at_training,
        if worse { " — the model does worse on real requests than it did in testing." } else { "." }
    ));
    if l.unmatched > 0 {
        ui.label(egui::RichText::new(format!("{} answers matched no logged prediction.", l.unmatched)).weak());
    }
    let points: Vec<[f64; 2]> = l.over_time.iter().map(|(t, v)| [*t, *v]).collect();
    egui_plot::Plot::new("live-quality").height(150.0).x_axis_label("seconds since the first request").show(
        ui,
        |plot| {
            plot.line(egui_plot::Line::new(format!("live {label}"), points));
            plot.hline(egui_plot::HLine::new(format!("{label} at training"), l.at_training));
        },
    );
}

impl CairnApp {
    /// Scores the served predictions against a table of true answers (background).
    pub(super) fn start_live_check(&mut self) {
        let DeployStatus::Running { bundle, .. } = &self.state.deploy else { return };
        let bundle = bundle.clone();
        let Some(answers) = self.options.picker.pick_data_file() else { return };
        self.state.feedback.busy =
            Some(Busy { what: "Scoring the served predictions".into(), stage: String::new(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = (|| -> Result<crate::monitor::LiveScores, String> {
                let (pipeline, _) = crate::project::load_bundle(&bundle).map_err(|e| e.to_string())?;
                let path = crate::serve::PredictionLog::beside(&bundle).path().to_path_buf();
                let log = crate::monitor::read_prediction_log(&path, &pipeline.schema).map_err(|e| e.to_string())?;
                let answers = crate::data::read_path(&answers).map_err(|e| e.to_string())?;
                crate::monitor::live_scores(&pipeline, &log, &answers).map_err(|e| e.to_string())
            })();
            tx.send(Event::Live(result)).ok();
            repaint();
        });
    }

    pub(super) fn start_retrain(&mut self) {
        let (Some(outcome), Some(old)) = (self.state.outcome.clone(), self.state.dataset.clone()) else { return };
        let Some(path) = self.options.picker.pick_data_file() else { return };
        self.state.feedback.result = None;
        self.state.feedback.new_data = Some(path.clone());
        self.state.feedback.busy =
            Some(Busy { what: "Retraining".into(), stage: "reading the new rows".into(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        let store = self.runs_store();
        std::thread::spawn(move || {
            let mut progress = |msg: &str| {
                tx.send(Event::FeedbackProgress(msg.to_string())).ok();
                repaint();
            };
            let result = crate::data::read_path(&path).map_err(|e| e.to_string()).and_then(|new| {
                let r = crate::train::retrain::retrain(&outcome.pipeline, &old, &new, &mut progress)
                    .map_err(|e| e.to_string())?;
                // Recorded now, whether promoted or not.
                let (old_name, new_name) =
                    (super::short_name(&old.source), super::short_name(&path.display().to_string()));
                let mut run = RunRecord::from_pipeline(
                    &r.candidate.pipeline,
                    &crate::track::project_name(&old.source),
                    &format!("{old_name} + {new_name}"),
                    old.n_rows() + new.n_rows(),
                    old.columns.len(),
                );
                run.note = format!("retrained with {new_name}");
                let recorded = RunStore::open(&store).and_then(|s| s.record(&run));
                tx.send(Event::Recorded(recorded.map_err(|e| e.to_string()))).ok();
                Ok(Box::new(r))
            });
            tx.send(Event::Retrained(result)).ok();
            repaint();
        });
    }

    /// Writes the retrained model beside the deployments and switches the server to it.
    pub(super) fn promote(&mut self) {
        let (Some(r), DeployStatus::Running { url, .. }) = (self.state.feedback.result.clone(), &self.state.deploy)
        else {
            return;
        };
        let url = url.clone();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let bundle = self.options.deploy_dir.join(format!("retrained-{stamp}.cairn"));
        let outcome = Arc::new(TrainOutcome {
            pipeline: r.candidate.pipeline.clone(),
            report: r.candidate.report.clone(),
            test_source_rows: Vec::new(),
        });
        let store = self.runs_store();
        self.swap(url, bundle.clone(), Some(outcome.clone()), "Promoting", move || {
            let checksum = crate::project::save_bundle(&outcome.pipeline, &bundle).map_err(|e| e.to_string())?;
            mark_production(&store, &outcome.pipeline, &bundle, &checksum);
            Ok(())
        });
    }

    /// Rollback: serve an earlier deployment's bundle again (its run becomes production).
    pub(super) fn serve_version(&mut self, bundle: PathBuf) {
        let DeployStatus::Running { url, .. } = &self.state.deploy else { return };
        let (store, path) = (self.runs_store(), bundle.clone());
        self.swap(url.clone(), bundle, None, "Switching back", move || {
            if let Ok((pipeline, checksum)) = crate::project::load_bundle(&path) {
                mark_production(&store, &pipeline, &path, &checksum);
            }
            Ok(())
        });
    }

    fn swap(
        &mut self,
        url: String,
        bundle: PathBuf,
        outcome: Option<Arc<TrainOutcome>>,
        what: &str,
        before: impl FnOnce() -> Result<(), String> + Send + 'static,
    ) {
        self.state.feedback.busy = Some(Busy { what: what.into(), stage: "switching".into(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        let what = what.to_string();
        std::thread::spawn(move || {
            let result = before().and_then(|_| {
                let body = serde_json::json!({ "bundle": bundle }).to_string();
                match http_request(&url, "POST", "/admin/reload", Some(&body)) {
                    Ok((200, _)) => Ok(Swapped { bundle, outcome, what }),
                    Ok((_, answer)) => Err(format!("the server refused the model: {answer}")),
                    Err(e) => Err(e),
                }
            });
            tx.send(Event::Swapped(result.map(Box::new))).ok();
            repaint();
        });
    }
}

/// Marks the recorded run that produced `pipeline` (same creation time, data fingerprint and
/// model) as its project's production model, noting the bundle it was deployed from.
pub(super) fn mark_production(
    store: &std::path::Path,
    pipeline: &crate::train::Pipeline,
    bundle: &std::path::Path,
    checksum: &str,
) {
    let Ok(s) = RunStore::open(store) else { return };
    let Ok(runs) = s.runs() else { return };
    let info = &pipeline.info;
    if let Some(run) = runs
        .iter()
        .find(|r| r.created_unix == info.created_unix && r.data_hash == info.data_hash && r.model == info.model)
    {
        s.set_bundle(run.id, &bundle.display().to_string(), checksum).ok();
        s.promote(run.id).ok();
    }
}

/// Applies a finished swap to the state: the serving bundle, the deployments list, the model.
pub(super) fn swapped(state: &mut AppState, result: Result<Box<Swapped>, String>) {
    state.feedback.busy = None;
    match result {
        Ok(s) => {
            if let DeployStatus::Running { bundle, .. } = &mut state.deploy {
                *bundle = s.bundle.clone();
            }
            if let Some(outcome) = s.outcome {
                let (name, value) = (outcome.report.metrics.headline_label(), outcome.report.metrics.headline().1);
                state.deployments.push(deploy::Deployment {
                    bundle: s.bundle.clone(),
                    model: format!("{} (retrained)", outcome.pipeline.model_display_name()),
                    score: format!("{name} {value:.3}"),
                });
                state.set_outcome(outcome);
                state.feedback.result = None;
                state.notice = Some("Promoted: the server now answers with the retrained model.".into());
            } else {
                state.notice = Some(format!(
                    "{}: the server now answers with {}.",
                    s.what,
                    super::short_name(&s.bundle.display().to_string())
                ));
            }
            state.run_log.stale = true;
        }
        Err(e) => state.error = Some(format!("Switching the served model failed: {e}")),
    }
}
