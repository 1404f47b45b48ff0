//! UI frame times while a large file imports: the app's full egui pass plus tessellation (what
//! the UI thread does each frame), paced at 60 frames a second as a display would, idle, during
//! the background import, while the loaded table is scrolled, and on the Explore view: while each
//! chart is computed, then drawn, and while a box is dragged on the scatter (brushing) and its
//! selection counted. `cairn bench frames` runs it.

use super::{AppOptions, CairnApp, Command, FixedPicker};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

struct Window {
    ctx: egui::Context,
    app: CairnApp,
    started: Instant,
}

impl Window {
    /// One frame with `events`; returns its time on the UI thread in milliseconds.
    fn frame(&mut self, events: Vec<egui::Event>) -> f64 {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 900.0))),
            time: Some(self.started.elapsed().as_secs_f64()),
            events,
            ..Default::default()
        };
        let t = Instant::now();
        let app = &mut self.app;
        let mut output = self.ctx.run_ui(input, |ui| app.ui(ui));
        let _ = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        // No GPU here: the font atlas updates are not uploaded anywhere.
        output.textures_delta.clear();
        let spent = t.elapsed();
        std::thread::sleep(Duration::from_micros(16_667).saturating_sub(spent));
        spent.as_secs_f64() * 1e3
    }
}

fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms.get(((ms.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    json!({ "frames": ms.len(), "median_ms": at(0.5), "p95_ms": at(0.95), "max_ms": at(1.0) })
}

/// Opens `file` in a headless app and times its frames; `work_dir` holds the app's stores.
/// The result has `rows`, `import_seconds` and `idle`, `during_import`, `scrolling_loaded_table`
/// (each with `frames`, `median_ms`, `p95_ms`, `max_ms`).
pub fn frame_times(file: &Path, work_dir: &Path) -> Result<Value, String> {
    let app = CairnApp::new(AppOptions {
        picker: Box::new(FixedPicker { open: None, save: None }),
        deploy_dir: work_dir.to_path_buf(),
        runs_store: work_dir.join("runs.sqlite"),
        ..Default::default()
    });
    let mut w = Window { ctx: egui::Context::default(), app, started: Instant::now() };
    // Idle: the start screen, before anything is opened.
    let idle: Vec<f64> = (0..30).map(|_| w.frame(vec![])).collect();
    // Import: from the command until the table and its profile are shown.
    w.app.send(Command::OpenFile(file.to_path_buf()));
    let started = Instant::now();
    let mut during = Vec::new();
    while w.app.state.loading.is_some() || w.app.state.dataset.is_none() {
        if let Some(e) = &w.app.state.error {
            return Err(format!("the import failed: {e}"));
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err("the import did not finish in 5 minutes".into());
        }
        during.push(w.frame(vec![]));
    }
    let import_seconds = started.elapsed().as_secs_f64();
    // Scrolling the loaded table.
    let over_table = egui::pos2(700.0, 600.0);
    let scrolling: Vec<f64> = (0..120)
        .map(|_| {
            let wheel = egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Line,
                delta: egui::vec2(0.0, -5.0),
                modifiers: egui::Modifiers::NONE,
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
            };
            w.frame(vec![egui::Event::PointerMoved(over_table), wheel])
        })
        .collect();
    let explore = explore_frames(&mut w)?;
    Ok(json!({
        "rows": w.app.state.dataset.as_ref().map_or(0, |d| d.n_rows()),
        "import_seconds": import_seconds,
        "idle": summary(idle),
        "during_import": summary(during),
        "scrolling_loaded_table": summary(scrolling),
        "explore_computing": summary(explore.0),
        "explore_charts_shown": summary(explore.1),
        "explore_brushing": summary(explore.2),
        "explore_chart_seconds": explore.3,
    }))
}

/// The Explore view: frames while each chart is computed, while it is shown (hovered), and while
/// a box is dragged on the scatter; and the seconds each chart took to arrive.
#[allow(clippy::type_complexity)]
fn explore_frames(w: &mut Window) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>, Value), String> {
    use super::explore::{Chart, ExploreCommand, ExploreRequest};
    let numbers: Vec<String> = w.app.state.dataset.as_ref().map_or(vec![], |ds| {
        ds.columns.iter().filter(|c| c.kind == crate::data::ColumnKind::Numeric).map(|c| c.name.clone()).collect()
    });
    let (x, y) = (numbers.first().cloned().unwrap_or_default(), numbers.get(1).cloned().unwrap_or_default());
    w.app.send(Command::Explore(ExploreCommand::Open(true)));
    let (mut computing, mut shown, mut seconds) = (Vec::new(), Vec::new(), serde_json::Map::new());
    for chart in [Chart::Histogram, Chart::Boxes, Chart::Correlations, Chart::Scatter] {
        let want = ExploreRequest { chart, x: x.clone(), y: y.clone(), by: None };
        w.app.send(Command::Explore(ExploreCommand::Want(want)));
        let started = Instant::now();
        computing.push(w.frame(vec![]));
        while w.app.state.explore.busy || w.app.state.explore.result.as_ref().is_none_or(|(r, _)| r.chart != chart) {
            if started.elapsed() > Duration::from_secs(300) {
                return Err(format!("the {chart:?} chart did not arrive in 5 minutes"));
            }
            computing.push(w.frame(vec![]));
        }
        seconds.insert(format!("{chart:?}").to_lowercase(), json!(started.elapsed().as_secs_f64()));
        for i in 0..30 {
            shown.push(w.frame(vec![egui::Event::PointerMoved(egui::pos2(400.0 + 10.0 * i as f32, 500.0))]));
        }
    }
    // Brushing: press on the scatter, drag across it, release; then frames until the count shows.
    let rect: egui::Rect =
        w.ctx.data(|d| d.get_temp(super::explore_charts::scatter_rect_id())).ok_or("the scatter was not drawn")?;
    let (from, to) = (rect.lerp_inside(egui::vec2(0.3, 0.3)), rect.lerp_inside(egui::vec2(0.7, 0.7)));
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    let mut brushing = vec![w.frame(vec![egui::Event::PointerMoved(from)]), w.frame(vec![button(from, true)])];
    for k in 1..=40 {
        brushing.push(w.frame(vec![egui::Event::PointerMoved(from + (to - from) * (k as f32 / 40.0))]));
    }
    brushing.push(w.frame(vec![button(to, false)]));
    let started = Instant::now();
    while w.app.state.explore.selection.is_none() && started.elapsed() < Duration::from_secs(60) {
        brushing.push(w.frame(vec![]));
    }
    if w.app.state.explore.selection.is_none() {
        return Err("the brushed selection did not arrive (was the scatter under the pointer?)".into());
    }
    seconds.insert("selection".into(), json!(started.elapsed().as_secs_f64()));
    Ok((computing, shown, brushing, Value::Object(seconds)))
}
