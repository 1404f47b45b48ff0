//! `cairn bench frames`: the app's UI frames (egui's full pass plus tessellation, what the UI
//! thread does each frame) timed while a generated million-row CSV is imported and profiled in
//! the background, against idle frames of the same window in the same run, and then while the
//! loaded table is scrolled. Frames are paced at 60 per second, as a display would.

use anyhow::{Result, bail};
use cairn::app::{AppOptions, CairnApp, Command, FixedPicker};
use serde_json::json;
use std::time::{Duration, Instant};

struct Window {
    ctx: egui::Context,
    app: CairnApp,
    started: Instant,
}

impl Window {
    /// One frame with `events`; returns its time on the UI thread.
    fn frame(&mut self, events: Vec<egui::Event>) -> Duration {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 900.0))),
            time: Some(self.started.elapsed().as_secs_f64()),
            events,
            ..Default::default()
        };
        let t = Instant::now();
        let app = &mut self.app;
        let output = self.ctx.run_ui(input, |ui| app.ui(ui));
        let _ = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let spent = t.elapsed();
        // Paced like a 60 Hz display.
        std::thread::sleep(Duration::from_micros(16_667).saturating_sub(spent));
        spent
    }
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms.get(((ms.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    json!({ "frames": ms.len(), "median_ms": at(0.5), "p95_ms": at(0.95), "max_ms": at(1.0) })
}

pub fn bench_frames(rows: usize, as_json: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("frames.csv");
    eprintln!("Writing {rows} rows × 20 columns …");
    crate::bench_import::generate_csv(&file, rows)?;
    let app = CairnApp::new(AppOptions {
        picker: Box::new(FixedPicker { open: None, save: None }),
        deploy_dir: dir.path().to_path_buf(),
        runs_store: dir.path().join("runs.sqlite"),
        ..Default::default()
    });
    let mut w = Window { ctx: egui::Context::default(), app, started: Instant::now() };
    // Idle: the start screen, before anything is opened.
    let mut idle = Vec::new();
    for _ in 0..30 {
        idle.push(w.frame(vec![]).as_secs_f64() * 1e3);
    }
    // Import: from the command until the table and its profile are shown.
    w.app.send(Command::OpenFile(file.clone()));
    let started = Instant::now();
    let mut during = Vec::new();
    while w.app.state.loading.is_some() || w.app.state.dataset.is_none() {
        if let Some(e) = &w.app.state.error {
            bail!("the import failed: {e}");
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("the import did not finish in 5 minutes");
        }
        during.push(w.frame(vec![]).as_secs_f64() * 1e3);
    }
    let import_seconds = started.elapsed().as_secs_f64();
    // Scrolling the loaded million-row table.
    let mut scrolling = Vec::new();
    let over_table = egui::pos2(700.0, 600.0);
    for _ in 0..120 {
        let wheel = egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, -5.0),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
        };
        scrolling.push(w.frame(vec![egui::Event::PointerMoved(over_table), wheel]).as_secs_f64() * 1e3);
    }
    let rows_loaded = w.app.state.dataset.as_ref().map_or(0, |d| d.n_rows());
    let result = json!({
        "rows": rows_loaded,
        "import_seconds": import_seconds,
        "idle": summary(idle),
        "during_import": summary(during),
        "scrolling_loaded_table": summary(scrolling),
    });
    if as_json {
        println!("{result}");
        return Ok(());
    }
    println!("UI frame time (egui pass + tessellation), {rows_loaded} rows imported in {import_seconds:.2} s");
    println!("{:<28} {:>7} {:>10} {:>10} {:>10}", "", "frames", "median ms", "p95 ms", "max ms");
    for key in ["idle", "during_import", "scrolling_loaded_table"] {
        let s = &result[key];
        println!(
            "{:<28} {:>7} {:>10.2} {:>10.2} {:>10.2}",
            key.replace('_', " "),
            s["frames"],
            s["median_ms"].as_f64().unwrap_or(f64::NAN),
            s["p95_ms"].as_f64().unwrap_or(f64::NAN),
            s["max_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
