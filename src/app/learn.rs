//! "Learn more" windows: ideas a beginner meets, each explained in a few sentences with a small
//! picture where a picture explains better — what R² means, what overfitting looks like, what
//! one-hot encoding does to a column. The pictures are drawn from made-up numbers (said so),
//! and the R² shown under each is computed from the points drawn.

use super::Command;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    R2,
    Overfitting,
    OneHot,
}

impl Topic {
    pub const ALL: [Topic; 3] = [Topic::R2, Topic::Overfitting, Topic::OneHot];

    pub fn title(self) -> &'static str {
        match self {
            Topic::R2 => "What R² means",
            Topic::Overfitting => "What overfitting looks like",
            Topic::OneHot => "What one-hot encoding does to a column",
        }
    }

    /// "Learn more: what R² means" (the title, its first letter small).
    pub fn link_text(self) -> String {
        let title = self.title();
        let mut chars = title.chars();
        let first = chars.next().map(|c| c.to_lowercase().to_string()).unwrap_or_default();
        format!("Learn more: {first}{}", chars.as_str())
    }

    /// The topic that explains a glossary term further, if any.
    pub fn for_term(term: &str) -> Option<Topic> {
        match term {
            "R²" => Some(Topic::R2),
            "Overfitting" => Some(Topic::Overfitting),
            "One-hot encoding" => Some(Topic::OneHot),
            _ => None,
        }
    }
}

/// A link that opens the topic's window.
pub fn learn_link(ui: &mut egui::Ui, topic: Topic, cmds: &mut Vec<Command>) {
    if ui.link(topic.link_text()).on_hover_text("Opens a short explanation with a picture.").clicked() {
        cmds.push(Command::Learn(topic));
    }
}

/// The open topic's window (closing it clears `open`).
pub fn learn_window(ctx: &egui::Context, open: &mut Option<Topic>) {
    let Some(topic) = *open else { return };
    let mut shown = true;
    egui::Window::new(topic.title())
        .open(&mut shown)
        .default_width(520.0)
        .default_pos(egui::pos2(320.0, 110.0))
        .resizable(false)
        .show(ctx, |ui| {
            match topic {
                Topic::R2 => r2_ui(ui),
                Topic::Overfitting => overfitting_ui(ui),
                Topic::OneHot => one_hot_ui(ui),
            }
            ui.add_space(6.0);
            ui.label(egui::RichText::new("The pictures use made-up numbers.").small().weak());
        });
    if !shown {
        *open = None;
    }
}

/// A repeatable wobble in [-1, 1] (the pictures must not change from frame to frame).
fn wobble(i: usize) -> f64 {
    let x = (i as f64 * 12.9898).sin() * 43_758.545_3;
    2.0 * (x - x.floor()) - 1.0
}

fn r_squared(points: &[[f64; 2]]) -> f64 {
    let mean = points.iter().map(|p| p[0]).sum::<f64>() / points.len() as f64;
    let (errors, spread): (f64, f64) =
        points.iter().fold((0.0, 0.0), |(e, s), p| (e + (p[0] - p[1]).powi(2), s + (p[0] - mean).powi(2)));
    1.0 - errors / spread
}

fn r2_ui(ui: &mut egui::Ui) {
    ui.label(
        "R² compares the model's mistakes with those of a lazy guess: always predicting the average. \
         1 means no mistakes, 0 means no better than the average, below 0 means worse than it. \
         Each dot below is one test row: across, the true value; up, the prediction. A perfect model puts \
         every dot on the diagonal line.",
    );
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        for (name, noise) in [("r2_good", 0.6), ("r2_poor", 2.6)] {
            let points: Vec<[f64; 2]> = (0..80)
                .map(|i| {
                    let truth = 1.0 + 8.0 * (i as f64 / 79.0);
                    [truth, truth + noise * wobble(i)]
                })
                .collect();
            let r2 = r_squared(&points);
            ui.vertical(|ui| {
                Plot::new(name)
                    .width(240.0)
                    .height(200.0)
                    .data_aspect(1.0)
                    .allow_drag(false)
                    .allow_zoom(false)
                    .allow_scroll(false)
                    .x_axis_label("true value")
                    .y_axis_label("predicted")
                    .show(ui, |plot| {
                        plot.line(Line::new("perfect", PlotPoints::from(vec![[0.0, 0.0], [10.0, 10.0]])));
                        plot.points(Points::new("rows", PlotPoints::from(points)).radius(2.5));
                    });
                ui.label(if r2 > 0.8 {
                    format!("R² = {r2:.2}: the points hug the line.")
                } else {
                    format!("R² = {r2:.2}: they scatter far from it.")
                });
            });
        }
    });
}

fn overfitting_ui(ui: &mut egui::Ui) {
    ui.label(
        "A model that is too simple misses the pattern: its error is high on the training rows and on the \
         test rows. Making it more flexible (deeper trees, more rounds) lowers both — up to a point. Past it, \
         the model starts learning the training rows by heart, noise included: the training error keeps \
         falling while the test error rises again. That is overfitting. The test rows tell you where to stop.",
    );
    // Training error falls steadily; test error is U-shaped (lowest at depth 4).
    let train: Vec<[f64; 2]> = (1..=15).map(|d| [d as f64, 1.0 / (0.6 + 0.35 * d as f64)]).collect();
    let test: Vec<[f64; 2]> =
        (1..=15).map(|d| [d as f64, 1.0 / (0.6 + 0.35 * d as f64) + 0.012 * (d as f64 - 1.0).powi(2)]).collect();
    let best = test.iter().min_by(|a, b| a[1].total_cmp(&b[1])).map_or(5.0, |p| p[0]);
    Plot::new("overfitting")
        .width(500.0)
        .height(220.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .legend(Legend::default())
        .x_axis_label("how flexible the model is (e.g. tree depth)")
        .y_axis_label("error")
        .show(ui, |plot| {
            plot.line(Line::new("error on the training rows", PlotPoints::from(train)));
            plot.line(Line::new("error on the test rows", PlotPoints::from(test)));
            plot.vline(VLine::new("best on the test rows", best));
        });
    ui.label(format!(
        "Here the test error is lowest at depth {best:.0}; deeper models only memorise. On the Evaluate panel, \
         the learning curve shows the same gap for your model."
    ));
}

fn one_hot_ui(ui: &mut egui::Ui) {
    ui.label(
        "Models read numbers, not words. One-hot encoding turns a column of labels into one column per \
         label, holding 1 where the row has that label and 0 elsewhere — so no label counts as 'bigger' \
         than another. A label the model never saw in training gets 0 everywhere.",
    );
    ui.add_space(4.0);
    let rows = ["red", "green", "blue", "red"];
    let labels = ["blue", "green", "red"];
    ui.horizontal(|ui| {
        egui::Grid::new("one_hot_before").striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
            ui.strong("color");
            ui.end_row();
            for r in rows {
                ui.label(r);
                ui.end_row();
            }
        });
        ui.add_space(12.0);
        ui.label(egui::RichText::new("becomes").weak());
        ui.add_space(12.0);
        egui::Grid::new("one_hot_after").striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
            for l in labels {
                ui.strong(format!("color={l}"));
            }
            ui.end_row();
            for r in rows {
                for l in labels {
                    ui.label(if r == l { "1" } else { "0" });
                }
                ui.end_row();
            }
        });
    });
    ui.add_space(4.0);
    ui.label(
        "Many different labels make many columns: that is why Cairn suggests grouping rare labels, or \
         dropping ID-like columns, before one-hot encoding.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pictures_show_what_their_captions_say() {
        let points = |noise: f64| -> Vec<[f64; 2]> {
            (0..80)
                .map(|i| [1.0 + 8.0 * (i as f64 / 79.0), 1.0 + 8.0 * (i as f64 / 79.0) + noise * wobble(i)])
                .collect()
        };
        assert!(r_squared(&points(0.6)) > 0.8, "the good picture hugs the line");
        assert!(r_squared(&points(2.6)) < 0.8, "the poor one scatters");
        assert!((0..1000).all(|i| wobble(i).abs() <= 1.0));
        assert!(Topic::ALL.iter().all(|t| !t.title().is_empty()));
    }
}
