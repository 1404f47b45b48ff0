//! What each [`Command`] does: the dispatch from the panels' commands to the app's jobs and
//! state changes (`execute`), grouped by panel, plus the recipe and data edits and undo/redo.

use super::*;

impl CairnApp {
    /// Undo or redo: the recipe's edits on the Features panel, else the training settings.
    fn undo_redo(&mut self, redo: bool) {
        if self.state.panel == Panel::Features {
            let edit = if redo { features::RecipeEdit::Redo } else { features::RecipeEdit::Undo };
            return self.execute(Command::Recipe(edit));
        }
        let s = &mut self.state;
        s.notice = if redo {
            s.settings_history.redo(&mut s.settings).then(|| "Redone.".into())
        } else {
            s.settings_history.undo(&mut s.settings).then(|| "Undone: the settings are back.".into())
        };
    }

    /// Forgets the import that runs; its reader stops at its next chunk.
    fn cancel_load(&mut self) {
        if let Some(flag) = self.state.load_cancel.take() {
            flag.store(true, Ordering::Relaxed);
            self.state.loading = None;
            self.state.pending_project = None;
            self.state.notice = Some("Opening cancelled; the data open before is unchanged.".into());
        }
    }

    /// Opens a table (streamed when it is too large for memory).
    fn open_file(&mut self, path: std::path::PathBuf) {
        let name = short_name(&path.display().to_string());
        let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        (self.state.data_ref, self.state.project) = (Some(absolute.display().to_string()), None);
        if crate::data::stream::too_large_for_memory(&path, self.options.memory_share) {
            self.start_stream(path);
        } else {
            self.start_load(name, None, move |progress| crate::data::read_path_with(&path, progress));
        }
    }

    /// Reads the open folder of pictures again as `features` (in the background; the encoder's
    /// embeddings come from the cache), keeping the target.
    fn reopen_pictures(&mut self, features: crate::data::PictureFeatures) {
        let Some(ds) = &self.state.dataset else { return };
        let Some(root) = ds.pictures.as_ref().and_then(|p| p.root.clone()) else { return };
        let name = short_name(&root.display().to_string());
        let target = self.state.settings.target.clone();
        let options = crate::data::ImageOptions { features, ..Default::default() };
        self.start_load(name, target, move |progress| crate::data::read_label_folder_with(&root, options, progress));
    }

    /// `class_weight = balanced` for the chosen model, or logistic regression when none is.
    fn balance_classes(&mut self) {
        use crate::train::ModelKind;
        let s = &mut self.state.settings;
        let kind = s.model.unwrap_or(ModelKind::Logistic);
        if !kind.params().iter().any(|p| p.name == "class_weight") {
            self.state.error = Some(format!(
                "{} cannot weigh classes; every classifier can (logistic regression, trees, forests, boosting, \
                 the SVM, naive Bayes, nearest neighbours, the neural network).",
                kind.display_name()
            ));
            return;
        }
        let mut params =
            s.params.clone().filter(|p| p.model == kind).unwrap_or_else(|| crate::train::Params::defaults(kind));
        if params.set("class_weight", "balanced").is_ok() {
            (s.model, s.params) = (Some(kind), Some(params));
            self.state.notice = Some(format!(
                "Rare classes now count more for {} (class_weight = balanced): train to see their recall.",
                kind.display_name()
            ));
        }
    }

    /// Streams the open (too large) file again with a training sample of `rows` rows.
    fn resample(&mut self, rows: usize) {
        self.state.sample_rows = rows.max(10);
        if let Some(path) = self.state.streamed.as_ref().map(|s| s.path.clone()) {
            self.start_stream(path);
        }
    }

    /// Sets (or clears) probability calibration and retrains.
    fn calibrate(&mut self, method: Option<crate::train::calibration::Calibration>) {
        self.state.settings.calibration = method;
        self.start_training();
    }

    /// Starts the lesson of a class pack file.
    fn open_class_pack(&mut self, path: &std::path::Path) {
        match crate::project::ClassPack::read(path) {
            Ok(pack) => {
                let lesson = pack.lesson.clone();
                self.start_lesson(lesson, Some(pack));
            }
            Err(e) => self.state.error = Some(e.to_string()),
        }
    }

    pub(super) fn execute(&mut self, command: Command) {
        match command {
            Command::Show(panel) => self.state.panel = panel,
            Command::OpenSample(sample) => {
                let target = Some(sample.target.to_string());
                (self.state.data_ref, self.state.project) = (Some(format!("sample:{}", sample.id)), None);
                self.start_load(sample.title.to_string(), target, move |_| sample.load());
            }
            Command::PickFile => {
                if let Some(path) = self.options.picker.pick_data_file() {
                    self.execute(Command::OpenFile(path));
                }
            }
            Command::StartLesson(lesson) => self.start_lesson(*lesson, None),
            Command::PickClassPack => {
                if let Some(path) = self.options.picker.pick_data_file() {
                    self.execute(Command::OpenClassPack(path));
                }
            }
            Command::OpenClassPack(path) => self.open_class_pack(&path),
            Command::LeaveLesson => self.state.lesson = None,
            Command::ExportReport => self.export_report(),
            Command::PickExamplesFolder => {
                if let Some(path) = self.options.picker.pick_folder("Folder with one sub-folder per label") {
                    self.execute(Command::OpenFile(path));
                }
            }
            Command::Learn(topic) => self.state.learn = Some(topic),
            Command::Undo => self.undo_redo(false),
            Command::Redo => self.undo_redo(true),
            Command::OpenFile(path) => self.open_file(path),
            Command::Resample(rows) => self.resample(rows),
            Command::Train => self.start_training(),
            Command::BalanceClasses => self.balance_classes(),
            Command::PictureFeatures(features) => self.reopen_pictures(features),
            Command::TimeBudget(b) => self.state.settings.time_budget = b,
            Command::Calibrate(method) => self.calibrate(method),
            Command::TryAllModels => self.start_try_all(),
            Command::Cancel => {
                if let Some(flag) = &self.state.cancel {
                    flag.store(true, Ordering::Relaxed);
                }
            }
            Command::CancelLoad => self.cancel_load(),
            Command::FindAdapters => self.find_adapters(),
            Command::RetrainWithNewData => self.start_retrain(),
            Command::Promote => self.promote(),
            Command::KeepCurrent => {
                self.state.feedback.result = None;
                self.state.notice = Some("Kept the current model.".into());
            }
            Command::ServeVersion(bundle) => self.serve_version(bundle),
            Command::AddAnswers => self.start_live_check(),
            Command::SaveProject => self.save_project(),
            Command::OpenProject(dir) => self.open_project(dir),
            Command::LoadRuns => self.runs_job(|_| Ok(())),
            Command::PromoteRun(id) => self.runs_job(move |store| store.promote(id)),
            Command::DeleteRuns(ids) => self.runs_job(move |store| ids.iter().try_for_each(|&id| store.delete(id))),
            Command::TogglePause => {
                if let Some(p) = &self.state.net.pause {
                    p.fetch_xor(true, Ordering::Relaxed);
                }
            }
            Command::UseLeaderboardEntry(i) => {
                if let Some(o) = self.state.leaderboard.get(i).map(|e| e.outcome.clone()) {
                    self.state.set_outcome(o);
                }
            }
            Command::UseRun(i) => {
                if let Some(o) = self.state.runs.get(i).cloned() {
                    self.state.set_outcome(o);
                }
            }
            Command::Tune => self.start_tuning(),
            c @ (Command::ComputeImportance
            | Command::ComputeGroups(_)
            | Command::ComputeMitigation
            | Command::UseThresholds(_)
            | Command::ComputeLearningCurve
            | Command::ExplainSummary
            | Command::ExplainPdp(_)) => self.execute_insight(c),
            c @ (Command::Deploy
            | Command::StopServer
            | Command::TryPrediction
            | Command::SaveBundle
            | Command::SetIntendedUse(_)
            | Command::SaveCard
            | Command::PredictFile
            | Command::CheckServedData) => self.execute_deploy(c),
            Command::SetColumnKind(name, kind) => self.edit_data(move |ds| {
                // The column's encoding step follows its new kind (see `events`).
                Ok((ds.with_kind(&name, kind)?, format!("'{name}' is now treated as {}.", kind.label())))
            }),
            Command::Recipe(edit) => self.edit_recipe(edit),
            Command::Explore(c) => self.explore_command(c),
            Command::RecipeForm(form) => self.state.recipe.add = form,
        }
    }

    /// The Evaluate panel's explaining computations.
    fn execute_insight(&mut self, command: Command) {
        // Each of these predicts or explains rows; a forecast model forecasts series instead.
        if self.state.outcome.as_ref().is_some_and(|o| o.pipeline.forecast.is_some()) {
            self.state.notice = Some("Explaining rows is not for forecasts: see the forecast on Evaluate.".into());
            return;
        }
        match command {
            Command::ComputeImportance => self.start_importance(),
            Command::ComputeGroups(column) => self.start_groups(column),
            Command::ComputeMitigation => self.start_mitigation(),
            Command::UseThresholds(on) => {
                self.state.use_thresholds(on);
                if let Some(column) = self.state.eval_view.group.clone() {
                    self.start_groups(column);
                }
            }
            Command::ComputeLearningCurve => self.start_learning_curve(),
            Command::ExplainSummary => self.start_explain_summary(),
            Command::ExplainPdp(column) => self.start_pdp(column),
            _ => {}
        }
    }

    /// The Deploy panel: the server, saving the model and its card, predicting files.
    fn execute_deploy(&mut self, command: Command) {
        let forecast = self.state.outcome.as_ref().is_some_and(|o| o.pipeline.forecast.is_some());
        let predicts_rows = matches!(command, Command::TryPrediction | Command::PredictFile | Command::CheckServedData);
        if forecast && predicts_rows {
            self.state.notice =
                Some("A forecast forecasts series, not rows: deploy it, or save it and use cairn predict.".into());
            return;
        }
        match command {
            Command::Deploy => self.start_deploy(),
            Command::StopServer => {
                self.stop_metrics_poll();
                self.server = None; // dropping the handle stops the child process
                self.state.deploy = DeployStatus::Stopped;
                self.state.try_result = None;
            }
            Command::TryPrediction => self.try_prediction(),
            Command::SaveBundle => self.save_bundle(),
            Command::SetIntendedUse(text) => self.state.intended_use = text,
            Command::SaveCard => self.save_card(),
            Command::PredictFile => self.start_predict_file(),
            Command::CheckServedData => self.start_monitor_check(),
            _ => {}
        }
    }

    /// Applies an edit to the feature recipe (undoable) and says what changed.
    fn edit_recipe(&mut self, edit: features::RecipeEdit) {
        let state = &mut self.state;
        let (Some(ds), Some(profile)) = (&state.dataset, &state.profile) else { return };
        let target = state.settings.target.clone().unwrap_or_default();
        if let Some(note) = state.recipe.apply(edit, ds, profile, &target) {
            state.notice = Some(note);
        }
    }

    /// Replaces the open data by an edited copy (type override, dropped column, …), edited and
    /// re-profiled on a background thread; models trained before keep their own schema.
    fn edit_data(
        &mut self,
        edit: impl FnOnce(&Dataset) -> Result<(Dataset, String), crate::data::DataError> + Send + 'static,
    ) {
        let Some(ds) = self.state.dataset.clone() else { return };
        if self.state.loading.is_some() {
            return;
        }
        self.state.loading =
            Some(Busy { what: "Updating the table".into(), stage: String::new(), started: Instant::now() });
        let (tx, repaint) = (self.tx.clone(), self.repaint());
        std::thread::spawn(move || {
            let result = edit(&ds).map(|(new, note)| {
                let p = crate::data::profile(&new);
                (new, p, note)
            });
            tx.send(Event::Edited(result.map(Box::new).map_err(|e| e.to_string()))).ok();
            repaint();
        });
    }
}
