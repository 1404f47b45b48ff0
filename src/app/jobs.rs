//! Background jobs: import, training, "Try all models", deployment and the test request. Each
//! runs on its own thread and reports back through the app's channel, waking the UI with
//! `request_repaint`, so the window never blocks.

use super::{Busy, CairnApp, DeployStatus, Event, LeaderboardEntry, deploy, http_request};
use crate::data::{Dataset, profile};
use crate::train::TrainConfig;
use crate::train::leaderboard::{Trial, try_all_models};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

impl CairnApp {
    pub(super) fn start_load(
        &mut self,
        what: String,
        target: Option<String>,
        load: impl FnOnce() -> Result<Dataset, crate::data::DataError> + Send + 'static,
    ) {
        if self.state.loading.is_some() {
            return;
        }
        self.state.error = None;
        self.state.loading =
            Some(Busy { what: format!("Opening {what}"), stage: "reading".into(), started: Instant::now() });
        let tx = self.tx.clone();
        let repaint = self.repaint();
        std::thread::spawn(move || {
            let dataset = load().map(|ds| {
                let p = profile(&ds);
                (ds, p)
            });
            let _ = tx.send(Event::Loaded { dataset: dataset.map_err(|e| e.to_string()), target });
            repaint();
        });
    }

    pub(super) fn start_training(&mut self) {
        let (Some(ds), Some(target)) = (self.state.dataset.clone(), self.state.settings.target.clone()) else {
            self.state.error = Some("Choose a dataset and a target column first.".into());
            return;
        };
        if self.state.training.is_some() {
            return;
        }
        self.state.error = None;
        let settings = self.state.settings.clone();
        let mut cfg = TrainConfig::new(target);
        cfg.model = settings.model;
        cfg.params = settings.params.clone();
        cfg.seed = settings.seed;
        cfg.test_size = settings.test_size;
        self.state.training = Some(Busy { what: "Training".into(), stage: "starting".into(), started: Instant::now() });
        let tx = self.tx.clone();
        let repaint = self.repaint();
        std::thread::spawn(move || {
            let mut progress = |msg: &str| {
                let _ = tx.send(Event::TrainProgress(msg.to_string()));
                repaint();
            };
            let result = crate::train::train(&ds, None, &cfg, &mut progress).map(Box::new).map_err(|e| e.to_string());
            let _ = tx.send(Event::Trained(result));
            repaint();
        });
    }

    pub(super) fn start_try_all(&mut self) {
        let (Some(ds), Some(target)) = (self.state.dataset.clone(), self.state.settings.target.clone()) else {
            self.state.error = Some("Choose a dataset and a target column first.".into());
            return;
        };
        if self.state.leaderboard_cancel.is_some() || self.state.training.is_some() {
            return;
        }
        self.state.error = None;
        self.state.leaderboard.clear();
        let cancel = Arc::new(AtomicBool::new(false));
        self.state.leaderboard_cancel = Some(cancel.clone());
        self.state.training =
            Some(Busy { what: "Trying all models".into(), stage: "starting".into(), started: Instant::now() });
        let settings = self.state.settings.clone();
        let tx = self.tx.clone();
        let repaint = self.repaint();
        std::thread::spawn(move || {
            let mut cfg = TrainConfig::new(target);
            cfg.seed = settings.seed;
            cfg.test_size = settings.test_size;
            let mut progress = |msg: &str| {
                let _ = tx.send(Event::TrainProgress(msg.to_string()));
                repaint();
            };
            let mut on_trial = |t: Trial| {
                if let Some(cv) = t.cv {
                    let entry = LeaderboardEntry { outcome: Arc::new(t.outcome), cv };
                    let _ = tx.send(Event::LeaderboardEntry(Box::new(entry)));
                }
            };
            let result = try_all_models(&ds, None, &cfg, Some(5), &cancel, &mut progress, &mut on_trial);
            let _ = tx.send(Event::LeaderboardDone(result.err().map(|e| e.to_string())));
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
            let _ = tx.send(Event::Deploy(event));
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
            let _ = tx.send(Event::Deploy(deploy::DeployEvent::TryResult(result)));
            repaint();
        });
    }
}
