//! Deploy panel: one click writes the bundle and starts `cairn serve` as a child process on a free
//! port; the URL, a test prediction and Stop are shown. The child stops when the app exits.

use super::{AppState, Command};
use crate::monitor::{Snapshot, read_exposition};
use crate::train::Pipeline;
use crate::util::http_request;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum DeployStatus {
    Stopped,
    Starting,
    Running { url: String, bundle: PathBuf },
    Failed(String),
}

pub(super) enum DeployEvent {
    Started(Result<ServerHandle, String>),
    TryResult(Result<(u16, String), String>),
    /// The running server's numbers, read from its `/metrics` about once a second.
    Metrics(Snapshot),
    /// "Predict a file…": (bytes read, total bytes, rows done), then the outcome.
    BatchProgress(u64, u64, usize),
    BatchDone(Result<(usize, PathBuf), String>),
}

/// A file being predicted, or the last one's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchStatus {
    pub input: PathBuf,
    /// 0 … 1.
    pub progress: f32,
    pub rows: usize,
    /// `None` while running; then the message (written to …, or the error).
    pub done: Option<Result<String, String>>,
}

/// A model deployed in this session (newest last).
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub bundle: PathBuf,
    pub model: String,
    /// The headline test score, e.g. "R² 0.811".
    pub score: String,
}

/// Reads the server's `/metrics` every second until `stop` is set or the server is gone.
pub(super) fn poll_metrics(url: String, stop: Arc<AtomicBool>, send: impl Fn(Snapshot) + Send + 'static) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match http_request(&url, "GET", "/metrics", None) {
                Ok((200, text)) => send(read_exposition(&text)),
                _ => break,
            }
            std::thread::sleep(Duration::from_millis(1000));
        }
    });
}

/// A running `cairn serve` child process; dropping the handle stops it.
pub struct ServerHandle {
    pub url: String,
    pub bundle: PathBuf,
    /// The bundle's checksum, as written.
    pub checksum: String,
    child: Child,
    /// Held open: the server exits when it closes, so it never outlives the app.
    _stdin: Option<ChildStdin>,
}

impl ServerHandle {
    /// `Some(status)` if the process has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Writes the bundle into `dir` and starts `exe serve BUNDLE --port 0`, reading the address the
/// server prints once it listens.
pub(super) fn launch(exe: &Path, dir: &Path, pipeline: &Pipeline) -> Result<ServerHandle, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let bundle = dir.join(format!(
        "{}-{}-{stamp}.cairn",
        pipeline.target.name.replace(['/', '\\', ' '], "_"),
        pipeline.info.model
    ));
    let checksum = crate::project::save_bundle(pipeline, &bundle).map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .arg("serve")
        .arg(&bundle)
        .args(["--port", "0", "--host", "127.0.0.1", "--stop-with-parent"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let Some(stdout) = child.stdout.take() else {
        child.kill().ok();
        return Err("the server's output is not readable".into());
    };
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let url = line.trim().rsplit(' ').next().unwrap_or("").trim_end_matches('/').to_string();
    if read.is_err() || !url.starts_with("http://") {
        child.kill().ok();
        child.wait().ok();
        return Err(format!("the server did not start (it said: {:?})", line.trim()));
    }
    let stdin = child.stdin.take();
    Ok(ServerHandle { url, bundle, checksum, child, _stdin: stdin })
}

/// A running server: its address, a test call, Stop, and its live counters.
fn running_ui(ui: &mut egui::Ui, state: &AppState, url: &str, bundle: &std::path::Path, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.colored_label(egui::Color32::from_rgb(40, 160, 80), "Running at");
        ui.hyperlink(url);
    });
    ui.label(egui::RichText::new(format!("bundle: {}", bundle.display())).small().weak());
    ui.label(
        egui::RichText::new(format!(
            "curl -X POST {url}/predict -H 'content-type: application/json' -d '{{\"records\":[...]}}'"
        ))
        .monospace()
        .small(),
    );
    ui.horizontal(|ui| {
        if ui.button("Send a test prediction").clicked() {
            cmds.push(Command::TryPrediction);
        }
        if ui.button("Stop server").clicked() {
            cmds.push(Command::StopServer);
        }
    });
    if let Some(r) = &state.try_result {
        ui.label(egui::RichText::new(r).monospace());
    }
    if let Some(m) = &state.server_metrics {
        ui.add_space(6.0);
        ui.label(egui::RichText::new("Live (from the server's /metrics, every second)").strong());
        egui::Grid::new("server_metrics").num_columns(5).spacing([24.0, 4.0]).show(ui, |ui| {
            for h in ["requests", "errors", "rows predicted", "mean latency", "in flight"] {
                ui.label(egui::RichText::new(h).small());
            }
            ui.end_row();
            ui.label(m.requests.to_string());
            ui.label(m.errors.to_string());
            ui.label(m.predictions.to_string());
            ui.label(format!("{:.2} ms", m.mean_latency_ms));
            ui.label(m.in_flight.to_string());
            ui.end_row();
        });
        ui.label(
            egui::RichText::new(format!(
                "Also speaks MLflow (POST {url}/invocations) and KServe V2 (POST {url}/v2/models/…/infer); \
                 /metadata describes the inputs."
            ))
            .small()
            .weak(),
        );
    }
}

/// The versions deployed in this session, with a rollback button for each.
fn deployments_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    if state.deployments.is_empty() {
        return;
    }
    ui.add_space(10.0);
    ui.label(egui::RichText::new("Deployed in this session").strong());
    let running = match &state.deploy {
        DeployStatus::Running { bundle, .. } => Some(bundle),
        _ => None,
    };
    egui::Grid::new("deployments").striped(true).num_columns(4).spacing([18.0, 4.0]).show(ui, |ui| {
        for d in state.deployments.iter().rev() {
            ui.label(&d.model);
            ui.label(&d.score);
            let name = d.bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let live = running == Some(&d.bundle);
            ui.label(if live { format!("{name} (serving)") } else { name.clone() });
            // Rollback: the running server switches to this version without a restart.
            if running.is_some()
                && !live
                && ui
                    .button("Serve this version")
                    .on_hover_text(format!("The running server switches back to {name}"))
                    .clicked()
            {
                cmds.push(Command::ServeVersion(d.bundle.clone()));
            }
            ui.end_row();
        }
    });
}

/// The model card: what the model is for (typed here, saved with the model and the project) and
/// a button that writes the card.
fn card_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.add_space(10.0);
    ui.label(egui::RichText::new("Model card").strong());
    ui.label(
        "A model card tells the people who use the model what it is for, what data made it, how well it does \
         (overall and by group, from the Groups tab) and what it must not be trusted with.",
    );
    let mut text = state.intended_use.clone();
    let edit = egui::TextEdit::multiline(&mut text)
        .hint_text("Intended use: what the model is for, who uses its answers, and what it must not be used for")
        .desired_rows(3)
        .desired_width(f32::INFINITY);
    let response = ui.add(edit);
    super::features::name_for_screen_readers(
        &response,
        egui::accesskit::Role::MultilineTextInput,
        "Intended use",
        &text,
    );
    if response.changed() {
        cmds.push(Command::SetIntendedUse(text));
    }
    ui.horizontal(|ui| {
        let saving = state.saves.running(&super::saves::SaveKind::Card).is_some();
        if ui.add_enabled(!saving, egui::Button::new("Save the model card…")).clicked() {
            cmds.push(Command::SaveCard);
        }
        super::saves::saving_ui(ui, &state.saves, &super::saves::SaveKind::Card);
    });
}

/// The Deploy button (with why the last try failed) or the server starting; once it runs, its
/// address and bundle for the caller to draw.
pub(super) fn deploy_button_ui<'a>(
    ui: &mut egui::Ui,
    state: &'a AppState,
    cmds: &mut Vec<Command>,
) -> Option<(&'a str, &'a std::path::Path)> {
    match &state.deploy {
        DeployStatus::Stopped | DeployStatus::Failed(_) => {
            if ui.add(egui::Button::new("Deploy").min_size(egui::vec2(120.0, 32.0))).clicked() {
                cmds.push(Command::Deploy);
            }
            if let DeployStatus::Failed(msg) = &state.deploy {
                ui.colored_label(egui::Color32::from_rgb(220, 80, 60), format!("Deployment failed: {msg}"));
            }
            None
        }
        DeployStatus::Starting => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Starting the server…");
            });
            None
        }
        DeployStatus::Running { url, bundle } => Some((url.as_str(), bundle.as_path())),
    }
}

pub fn deploy_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.heading("5 · Deploy");
    let Some(o) = &state.outcome else {
        ui.label("Train a model first.");
        return;
    };
    if o.pipeline.forecast.is_some() {
        return super::forecast::deploy_note_ui(ui, state, cmds);
    }
    ui.label(format!(
        "Start a local prediction service for the {} model. Other programs can then send rows to it over HTTP, \
         and people can try it in a browser.",
        o.pipeline.model_display_name()
    ));
    ui.add_space(8.0);
    if let Some((url, bundle)) = deploy_button_ui(ui, state, cmds) {
        running_ui(ui, state, url, bundle, cmds);
    }
    deployments_ui(ui, state, cmds);
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        let saving = state.saves.running(&super::saves::SaveKind::Model).is_some();
        if ui.add_enabled(!saving, egui::Button::new("Save the model as a file…")).clicked() {
            cmds.push(Command::SaveBundle);
        }
        super::saves::saving_ui(ui, &state.saves, &super::saves::SaveKind::Model);
        let running = state.batch.as_ref().is_some_and(|b| b.done.is_none());
        if ui
            .add_enabled(!running, egui::Button::new("Predict a file…"))
            .on_hover_text(
                "Adds a prediction column to every row of a CSV file, read in chunks so any size works; no server needed.",
            )
            .clicked()
        {
            cmds.push(Command::PredictFile);
        }
    });
    card_ui(ui, state, cmds);
    if let Some(b) = &state.batch {
        let name = super::short_name(&b.input.display().to_string());
        match &b.done {
            None => {
                ui.add(egui::ProgressBar::new(b.progress).show_percentage().text(format!("{name}: {} rows", b.rows)));
            }
            Some(Ok(msg)) => {
                ui.colored_label(egui::Color32::from_rgb(40, 160, 80), msg);
            }
            Some(Err(e)) => {
                ui.colored_label(egui::Color32::from_rgb(220, 80, 60), format!("Predicting {name} failed: {e}"));
            }
        }
    }
}
