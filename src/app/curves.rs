//! The neural network's live training: per-epoch loss curves drawn as they arrive, a reading
//! in plain words, Pause/Resume and Stop, and the device choice with the adapters found.

use super::{AppState, Command};
use crate::gpu::net::EpochStats;
use crate::gpu::{AdapterInfo, DeviceChoice};
use egui_plot::{Legend, Line, Plot, PlotPoints};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The live curves of the current (or last) neural-network training.
#[derive(Default)]
pub struct NetView {
    /// Every report so far: whole epochs, and a few within long epochs.
    pub epochs: Vec<EpochStats>,
    /// Set while a network trains; `true` pauses it between batches.
    pub pause: Option<Arc<AtomicBool>>,
    /// The GPU adapters wgpu found (looked up once, in the background).
    pub adapters: Option<Vec<AdapterInfo>>,
    pub looking: bool,
    /// The network predicts a number (R²) rather than a class (accuracy).
    pub regression: bool,
}

impl NetView {
    pub fn paused(&self) -> bool {
        self.pause.as_ref().is_some_and(|p| p.load(Ordering::Relaxed))
    }

    /// What `auto` trains on here, in words.
    fn auto_label(&self) -> String {
        match &self.adapters {
            None => "Automatic".into(),
            Some(a) => match a.iter().find(|a| !a.is_software()) {
                Some(gpu) => format!("Automatic (GPU: {})", gpu.name),
                None => "Automatic (CPU: no hardware GPU found)".into(),
            },
        }
    }
}

/// The device row of the Train panel's settings grid.
pub fn device_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    if state.net.adapters.is_none() && !state.net.looking {
        state.net.looking = true;
        cmds.push(Command::FindAdapters);
    }
    let found = match &state.net.adapters {
        None => "looking for GPUs…".to_string(),
        Some(a) if a.is_empty() => "No GPU adapter found.".into(),
        Some(a) => a.iter().map(AdapterInfo::describe).collect::<Vec<_>>().join("\n"),
    };
    let label = ui.label("Device").on_hover_text(format!(
        "Where neural networks and matrix factorisation train (other models use the CPU). Adapters found:\n{found}"
    ));
    let current = match state.settings.device {
        DeviceChoice::Auto => state.net.auto_label(),
        DeviceChoice::Cpu => "CPU".into(),
        DeviceChoice::Gpu => "GPU".into(),
    };
    egui::ComboBox::from_id_salt("device")
        .selected_text(current)
        .width(260.0)
        .show_ui(ui, |ui| {
            let auto = state.net.auto_label();
            ui.selectable_value(&mut state.settings.device, DeviceChoice::Auto, auto);
            ui.selectable_value(&mut state.settings.device, DeviceChoice::Cpu, "CPU");
            ui.selectable_value(&mut state.settings.device, DeviceChoice::Gpu, "GPU")
                .on_hover_text("Any adapter, a software one included (slow, but it proves the GPU path).");
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// Live curves, their reading and the Pause/Stop buttons.
pub fn curves_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let view = &state.net;
    let Some(last) = view.epochs.last() else { return };
    ui.add_space(8.0);
    let whole: Vec<&EpochStats> = view.epochs.iter().filter(|e| e.is_whole()).collect();
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(format!("Training curves · epoch {:.1}", last.epoch)).strong());
        if view.pause.is_some() {
            let text = if view.paused() { "Resume" } else { "Pause" };
            if ui.button(text).on_hover_text("Pause training between batches; Resume goes on.").clicked() {
                cmds.push(Command::TogglePause);
            }
            if ui.button("Stop").on_hover_text("Stop now and keep the best epoch's weights so far.").clicked() {
                cmds.push(Command::Cancel);
            }
        }
    });
    if let Some(e) = whole.last() {
        let metric = if view.regression { "R²" } else { "accuracy" };
        let val = match (e.val_loss, e.val_metric) {
            (Some(l), Some(m)) => format!(" · validation loss {l:.4} · validation {metric} {m:.3}"),
            _ => String::new(),
        };
        ui.label(format!("epoch {} · training loss {:.4}{val} · {:.2} s per epoch", e.epoch, e.train_loss, e.seconds));
    }
    let train: PlotPoints = view.epochs.iter().map(|e| [e.epoch, e.train_loss]).collect();
    let val: PlotPoints = whole.iter().filter_map(|e| e.val_loss.map(|v| [e.epoch, v])).collect();
    Plot::new("epoch_curves")
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label("epoch")
        .y_axis_label("loss")
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("training loss", train));
            plot.line(Line::new("validation loss", val));
        });
    if let Some(reading) = crate::eval::epoch_curve_reading(&view.epochs) {
        ui.label(reading);
    }
}
