//! Monitor panel: what the deployed model has been receiving. Reads the server's prediction
//! log (in the background) and compares the served rows with the training data, feature by
//! feature (drift), next to latency over time and the answers it gave.

use super::{AppState, Busy, Command, DeployStatus};
use crate::monitor::{DriftReport, ServedLog};
use egui_plot::{Bar, BarChart, Legend, Plot, Points};
use std::sync::Arc;

/// The last check of the served data.
#[derive(Clone, Debug)]
pub struct MonitorResult {
    pub log: ServedLog,
    pub drift: DriftReport,
    pub model: String,
    /// The training data's answers (the target column), to set the served ones against.
    pub reference_values: Vec<f64>,
    pub reference_labels: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct MonitorView {
    pub busy: Option<Busy>,
    pub result: Option<Arc<MonitorResult>>,
    /// The running server's `/metrics`, as read every second since it started.
    pub traffic: Traffic,
}

/// Scrapes of the server's counters over time (the last 15 minutes).
#[derive(Clone, Debug, Default)]
pub struct Traffic {
    start: Option<std::time::Instant>,
    pub points: Vec<(f64, crate::monitor::Snapshot)>,
}

/// Per interval between scrapes: time, requests/s, error %, p50 ms, p99 ms.
pub type TrafficRow = (f64, f64, f64, Option<f64>, Option<f64>);

impl Traffic {
    pub fn push(&mut self, s: crate::monitor::Snapshot) {
        let start = *self.start.get_or_insert_with(std::time::Instant::now);
        self.points.push((start.elapsed().as_secs_f64(), s));
        if self.points.len() > 900 {
            self.points.remove(0);
        }
    }

    /// Rates and latency percentiles of each interval between scrapes.
    pub fn rows(&self) -> Vec<TrafficRow> {
        self.points
            .windows(2)
            .map(|w| {
                let ((t0, a), (t1, b)) = (&w[0], &w[1]);
                let dt = (t1 - t0).max(1e-3);
                let requests = b.requests.saturating_sub(a.requests) as f64;
                let errors = b.errors.saturating_sub(a.errors) as f64;
                let window: Vec<(f64, f64)> = b
                    .latency_buckets
                    .iter()
                    .zip(&a.latency_buckets)
                    .map(|(&(le, nb), &(_, na))| (le, (nb - na).max(0.0)))
                    .collect();
                let ms = |q| crate::monitor::histogram_quantile(q, &window).map(|s| s * 1e3);
                let error_pct = if requests > 0.0 { 100.0 * errors / requests } else { 0.0 };
                (*t1, requests / dt, error_pct, ms(0.5), ms(0.99))
            })
            .collect()
    }
}

/// Request rate, latency p50/p99 and error rate of the running server over time.
fn traffic_ui(ui: &mut egui::Ui, traffic: &Traffic) {
    let rows = traffic.rows();
    if rows.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Live traffic (the server's /metrics, every second)").strong());
    let line = |name: &str, f: &dyn Fn(&TrafficRow) -> Option<f64>| {
        egui_plot::Line::new(name.to_string(), rows.iter().filter_map(|r| Some([r.0, f(r)?])).collect::<Vec<_>>())
    };
    ui.columns(3, |cols| {
        cols[0].label("requests per second");
        Plot::new("traffic-rate").height(130.0).show(&mut cols[0], |p| p.line(line("requests/s", &|r| Some(r.1))));
        cols[1].label("latency, ms (all routes)");
        Plot::new("traffic-latency").height(130.0).legend(Legend::default()).show(&mut cols[1], |p| {
            p.line(line("p50", &|r| r.3));
            p.line(line("p99", &|r| r.4));
        });
        cols[2].label("errors, % of prediction requests");
        Plot::new("traffic-errors")
            .height(130.0)
            .include_y(0.0)
            .show(&mut cols[2], |p| p.line(line("errors %", &|r| Some(r.2))));
    });
}

pub fn monitor_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    ui.heading("6 · Monitor");
    ui.label(
        "What the deployed model has been asked since it started: every request is logged beside its \
         bundle. Check the served rows against the training data to see whether the world has moved \
         away from what the model learned (data drift).",
    );
    let running = matches!(state.deploy, DeployStatus::Running { .. });
    if !running {
        ui.label(egui::RichText::new("Deploy a model first (panel 5); Monitor watches the running server.").italics());
    }
    ui.horizontal(|ui| {
        let busy = state.monitor.busy.is_some();
        if ui.add_enabled(running && !busy, egui::Button::new("Check the served data")).clicked() {
            cmds.push(Command::CheckServedData);
        }
        if let Some(b) = &state.monitor.busy {
            ui.spinner();
            ui.label(format!("{} … {:.1} s", b.what, b.started.elapsed().as_secs_f32()));
        }
    });
    traffic_ui(ui, &state.monitor.traffic);
    let Some(r) = &state.monitor.result else { return };
    let log = &r.log;
    let rows: usize = log.requests.iter().map(|q| q.2).sum();
    let mut lat: Vec<f64> = log.requests.iter().map(|q| q.1).collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat.get(((lat.len().saturating_sub(1)) as f64 * p).round() as usize).copied().unwrap_or(0.0);
    ui.add_space(6.0);
    ui.label(format!(
        "{}: {} requests, {rows} rows served; latency p50 {:.2} ms, p99 {:.2} ms.",
        r.model,
        log.requests.len(),
        pct(0.5),
        pct(0.99)
    ));
    let d = &r.drift;
    let verdict = if d.dataset_drift {
        format!(
            "Data drift: {} of {} features look different from the training data. The model may be out of date — \
             consider retraining on recent data.",
            d.drifted_features,
            d.features.len()
        )
    } else if d.drifted_features > 0 {
        format!(
            "{} of {} features moved; the data set as a whole still looks like the training data.",
            d.drifted_features,
            d.features.len()
        )
    } else {
        "No drift: the served rows look like the training data.".to_string()
    };
    ui.label(egui::RichText::new(verdict).strong());
    for line in &d.reading {
        ui.label(line);
    }
    egui::Grid::new("drift").striped(true).num_columns(6).spacing([18.0, 3.0]).show(ui, |ui| {
        for h in ["column", "test", "score", "threshold", "PSI", ""] {
            ui.strong(h);
        }
        ui.end_row();
        for f in &d.features {
            ui.label(&f.column);
            ui.label(f.method).on_hover_text(
                "ks / chi2: a statistical test, used up to 1 000 rows (drift when p < 0.05); wasserstein / \
                 jensen_shannon: a distance, used for more rows (drift when > 0.1).",
            );
            ui.label(format!("{:.4}", f.score));
            let p_value = f.method == "ks" || f.method == "chi2";
            ui.label(if p_value { format!("p < {}", f.threshold) } else { format!("> {}", f.threshold) });
            ui.label(format!("{:.3}", f.measures.get("psi").copied().unwrap_or(f64::NAN))).on_hover_text(
                "Population stability index: under 0.1 stable, 0.1–0.25 some change, over 0.25 a big shift.",
            );
            if f.drifted {
                ui.colored_label(egui::Color32::from_rgb(220, 80, 60), "drift");
            } else {
                ui.label("ok");
            }
            ui.end_row();
        }
    });
    let width = (ui.available_width() / 2.0 - 8.0).max(200.0);
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.label(egui::RichText::new("Latency of each request").strong());
            let pts: Vec<[f64; 2]> = log.requests.iter().map(|q| [q.0, q.1]).collect();
            Plot::new("latency")
                .width(width)
                .height(200.0)
                .x_axis_label("seconds since the first request")
                .y_axis_label("ms")
                .show(ui, |plot| plot.points(Points::new("requests", pts).radius(2.0)));
        });
        ui.vertical(|ui| {
            ui.label(egui::RichText::new("What the model answered, against the training data's answers").strong())
                .on_hover_text("Shares of rows: if the served answers lean very differently from the training data, the world (or the model's inputs) changed.");
            answers_plot(ui, r, width);
        });
    });
}

/// Served answers next to the training data's: shares per class, or histograms of values.
fn answers_plot(ui: &mut egui::Ui, r: &MonitorResult, width: f32) {
    let log = &r.log;
    let (served, training): (Vec<Bar>, Vec<Bar>) = if !log.labels.is_empty() {
        let mut classes: Vec<&String> = log.labels.iter().chain(&r.reference_labels).collect();
        classes.sort();
        classes.dedup();
        let share =
            |labels: &[String], c: &str| labels.iter().filter(|l| *l == c).count() as f64 / labels.len().max(1) as f64;
        let bars = |labels: &[String], offset: f64| -> Vec<Bar> {
            classes
                .iter()
                .enumerate()
                .map(|(i, c)| Bar::new(i as f64 + offset, share(labels, c)).name(*c).width(0.35))
                .collect()
        };
        (bars(&log.labels, 0.2), bars(&r.reference_labels, -0.2))
    } else {
        let all = log.values.iter().chain(&r.reference_values);
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let bins = 20;
        let w = ((hi - lo) / bins as f64).max(1e-12);
        let hist = |values: &[f64]| -> Vec<Bar> {
            let mut counts = vec![0usize; bins];
            values.iter().for_each(|v| counts[(((v - lo) / w) as usize).min(bins - 1)] += 1);
            let n = values.len().max(1) as f64;
            counts
                .iter()
                .enumerate()
                .map(|(b, &c)| Bar::new(lo + (b as f64 + 0.5) * w, c as f64 / n).width(w * 0.9))
                .collect()
        };
        (hist(&log.values), hist(&r.reference_values))
    };
    Plot::new("answers").width(width).height(200.0).legend(Legend::default()).y_axis_label("share of rows").show(
        ui,
        |plot| {
            plot.bar_chart(BarChart::new("training data", training).color(egui::Color32::from_rgb(90, 150, 230)));
            plot.bar_chart(BarChart::new("served", served).color(egui::Color32::from_rgb(240, 150, 50)));
        },
    );
}
