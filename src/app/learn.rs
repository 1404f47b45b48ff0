//! "Learn more" windows: ideas a beginner meets, each explained in a few sentences with a small
//! picture where a picture explains better — what R² means, what overfitting looks like, what
//! one-hot encoding does to a column, how precision and recall trade off, what scaling does.
//! The pictures are drawn from made-up numbers (said so),
//! and the R² shown under each is computed from the points drawn.

use super::Command;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    R2,
    Overfitting,
    OneHot,
    PrecisionRecall,
    Scaling,
    Fairness,
}

impl Topic {
    pub const ALL: [Topic; 6] =
        [Topic::R2, Topic::Overfitting, Topic::OneHot, Topic::PrecisionRecall, Topic::Scaling, Topic::Fairness];

    pub fn title(self) -> &'static str {
        match self {
            Topic::R2 => "What R² means",
            Topic::Overfitting => "What overfitting looks like",
            Topic::OneHot => "What one-hot encoding does to a column",
            Topic::PrecisionRecall => "How precision and recall trade off",
            Topic::Scaling => "What scaling does to columns",
            Topic::Fairness => "How fairness across groups is measured",
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
            "Precision" | "Recall" => Some(Topic::PrecisionRecall),
            "Scaling" => Some(Topic::Scaling),
            "Fairness" => Some(Topic::Fairness),
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
                Topic::PrecisionRecall => precision_recall_ui(ui),
                Topic::Scaling => scaling_ui(ui),
                Topic::Fairness => fairness_ui(ui),
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

/// Made-up spam scores: 50 spam messages score high, 150 ham messages low, with overlap.
/// Each is (score, is spam).
fn spam_scores() -> Vec<(f64, bool)> {
    let spam = (0..50).map(|i| ((0.72 + 0.3 * wobble(i)).clamp(0.0, 1.0), true));
    let ham = (0..150).map(|i| ((0.28 + 0.3 * wobble(i + 1000)).clamp(0.0, 1.0), false));
    spam.chain(ham).collect()
}

/// (true positives, false positives, false negatives) when scores ≥ `threshold` are flagged.
fn counts(scores: &[(f64, bool)], threshold: f64) -> (usize, usize, usize) {
    scores.iter().fold((0, 0, 0), |(tp, fp, fn_), &(s, spam)| match (s >= threshold, spam) {
        (true, true) => (tp + 1, fp, fn_),
        (true, false) => (tp, fp + 1, fn_),
        (false, true) => (tp, fp, fn_ + 1),
        (false, false) => (tp, fp, fn_),
    })
}

/// (precision, recall) at `threshold` (precision 1 when nothing is flagged).
fn precision_recall(scores: &[(f64, bool)], threshold: f64) -> (f64, f64) {
    let (tp, fp, fn_) = counts(scores, threshold);
    let precision = if tp + fp == 0 { 1.0 } else { tp as f64 / (tp + fp) as f64 };
    (precision, tp as f64 / (tp + fn_).max(1) as f64)
}

fn precision_recall_ui(ui: &mut egui::Ui) {
    ui.label(
        "A spam filter gives each message a score and flags it when the score is over a threshold. \
         Precision: of the flagged messages, the share that really are spam (high precision = few good \
         messages lost). Recall: of the real spam, the share that gets flagged (high recall = little spam \
         gets through). Moving the threshold trades one for the other.",
    );
    let scores = spam_scores();
    let (tp, fp, fn_) = counts(&scores, 0.5);
    ui.add_space(4.0);
    egui::Grid::new("pr_counts").striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
        ui.strong("At threshold 0.5, of 200 messages");
        ui.strong("count");
        ui.end_row();
        for (what, n) in [("spam caught", tp), ("good messages flagged as spam", fp), ("spam that got through", fn_)] {
            ui.label(what);
            ui.label(n.to_string());
            ui.end_row();
        }
    });
    let curve = |pick: fn((f64, f64)) -> f64| -> Vec<[f64; 2]> {
        (1..20).map(|t| t as f64 / 20.0).map(|t| [t, pick(precision_recall(&scores, t))]).collect()
    };
    Plot::new("precision_recall")
        .width(500.0)
        .height(200.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .include_y(0.0)
        .include_y(1.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftBottom))
        .x_axis_label("threshold")
        .y_axis_label("share")
        .show(ui, |plot| {
            plot.line(Line::new("precision", PlotPoints::from(curve(|pr| pr.0))));
            plot.line(Line::new("recall", PlotPoints::from(curve(|pr| pr.1))));
            plot.vline(VLine::new("threshold 0.5", 0.5));
        });
    let ((p5, r5), (p8, r8)) = (precision_recall(&scores, 0.5), precision_recall(&scores, 0.8));
    ui.label(format!(
        "At 0.5: precision {p5:.2}, recall {r5:.2}. At 0.8: precision {p8:.2}, recall {r8:.2} — fewer good \
         messages lost, more spam let through. On the Evaluate panel, the threshold slider does this to your model."
    ));
}

/// Made-up houses: (rooms, household income in dollars).
fn houses() -> Vec<[f64; 2]> {
    (0..40).map(|i| [4.0 + 2.5 * wobble(i), 60_000.0 + 45_000.0 * wobble(i + 500)]).collect()
}

/// Each column to mean 0 and standard deviation 1.
fn standardise(rows: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let n = rows.len().max(1) as f64;
    let stats: Vec<(f64, f64)> = (0..2)
        .map(|c| {
            let mean = rows.iter().map(|r| r[c]).sum::<f64>() / n;
            let sd = (rows.iter().map(|r| (r[c] - mean).powi(2)).sum::<f64>() / n).sqrt();
            (mean, if sd > 0.0 { sd } else { 1.0 })
        })
        .collect();
    rows.iter().map(|r| [(r[0] - stats[0].0) / stats[0].1, (r[1] - stats[1].0) / stats[1].1]).collect()
}

fn scaling_ui(ui: &mut egui::Ui) {
    ui.label(
        "Columns come in their own units: rooms go from 2 to 7, income from 15 000 to 105 000 dollars. \
         A model that measures distances (k-nearest neighbours, SVM) or penalises big weights (ridge, lasso, \
         neural networks) then sees income and hardly notices rooms: one extra room is as small as one extra \
         dollar. Standard scaling moves every column to mean 0 and spread 1, so each counts alike.",
    );
    ui.add_space(4.0);
    let raw = houses();
    let scaled = standardise(&raw);
    // Each column as a row of dots: rooms at height 1, income at height 0.
    let lanes = |rows: &[[f64; 2]], c: usize| -> Vec<[f64; 2]> { rows.iter().map(|r| [r[c], c as f64]).collect() };
    ui.horizontal(|ui| {
        for (name, rows, caption) in [
            ("scaling_before", &raw, "Before: on one axis, the rooms are a dot at 0."),
            ("scaling_after", &scaled, "After standard scaling: both spread alike."),
        ] {
            ui.vertical(|ui| {
                Plot::new(name)
                    .width(240.0)
                    .height(140.0)
                    .allow_drag(false)
                    .allow_zoom(false)
                    .allow_scroll(false)
                    .include_y(-0.5)
                    .include_y(1.5)
                    .show_y(false)
                    .y_axis_formatter(|mark, _| match mark.value {
                        0.0 => "rooms".into(),
                        1.0 => "income".into(),
                        _ => String::new(),
                    })
                    .show(ui, |plot| {
                        plot.points(Points::new("rooms", PlotPoints::from(lanes(rows, 0))).radius(3.0));
                        plot.points(Points::new("income", PlotPoints::from(lanes(rows, 1))).radius(3.0));
                    });
                ui.label(caption);
            });
        }
    });
    ui.label(
        "The recipe's Scale step does this with the training rows' mean and spread, and the model keeps them, \
         so new rows are scaled the same way. Trees and forests do not need it: they only compare values within a column.",
    );
}

/// Made-up loan applicants of two groups: (score, would really repay). The model scores group B
/// lower for the same people (a bias learned from past decisions).
fn applicants(group_b: bool) -> Vec<(f64, bool)> {
    let shift = if group_b { -0.12 } else { 0.0 };
    let good =
        (0..60).map(|i| ((0.68 + shift + 0.25 * wobble(i + if group_b { 500 } else { 0 })).clamp(0.0, 1.0), true));
    let poor =
        (0..40).map(|i| ((0.35 + shift + 0.25 * wobble(i + if group_b { 900 } else { 300 })).clamp(0.0, 1.0), false));
    good.chain(poor).collect()
}

/// (selection rate, true-positive rate, false-positive rate) at `threshold`.
fn group_rates(rows: &[(f64, bool)], threshold: f64) -> [f64; 3] {
    let (tp, fp, fn_) = counts(rows, threshold);
    let (pos, neg) = (tp + fn_, rows.len() - tp - fn_);
    [(tp + fp) as f64 / rows.len() as f64, tp as f64 / pos.max(1) as f64, fp as f64 / neg.max(1) as f64]
}

/// Group B's threshold (in steps of 0.01) whose true-positive rate is closest to group A's at 0.5.
fn fair_threshold_b() -> f64 {
    let target = group_rates(&applicants(false), 0.5)[1];
    let b = applicants(true);
    (10..=90)
        .map(|t| t as f64 / 100.0)
        .min_by(|&x, &y| {
            let e = |t: f64| ((group_rates(&b, t)[1] - target).abs(), (t - 0.5).abs());
            e(x).partial_cmp(&e(y)).unwrap_or(std::cmp::Ordering::Equal)
        })
        .unwrap_or(0.5)
}

fn fairness_ui(ui: &mut egui::Ui) {
    use egui_plot::{Bar, BarChart};
    ui.label(
        "A bank's model approves loans. Fairness measures compare how the model treats two groups of \
         applicants, 100 each. Selection rate: the share approved. True-positive rate: of the people who \
         would repay, the share approved. False-positive rate: of those who would not, the share approved.",
    );
    let (a, b) = (group_rates(&applicants(false), 0.5), group_rates(&applicants(true), 0.5));
    let names = ["selection rate", "true-positive rate", "false-positive rate"];
    let bars = |rates: [f64; 3], offset: f64| -> Vec<Bar> {
        rates.iter().enumerate().map(|(i, &r)| Bar::new(i as f64 + offset, r).width(0.32)).collect()
    };
    Plot::new("fairness_learn")
        .width(500.0)
        .height(190.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .include_y(0.0)
        .include_y(1.0)
        .legend(Legend::default())
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && (0.0..3.0).contains(&i) {
                names[i as usize].to_string()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("group A", bars(a, -0.17)));
            plot.bar_chart(BarChart::new("group B", bars(b, 0.17)));
        });
    let t = fair_threshold_b();
    let fixed = group_rates(&applicants(true), t);
    ui.label(format!(
        "Demographic parity difference: the gap in selection rate, {:.2} here ({:.0} % vs {:.0} %). Equal opportunity \
         difference: the gap in true-positive rate, {:.2} — good payers of group B are turned down more often. \
         Equalized odds difference: the larger of the true- and false-positive gaps, {:.2}.",
        (a[0] - b[0]).abs(),
        a[0] * 100.0,
        b[0] * 100.0,
        (a[1] - b[1]).abs(),
        (a[1] - b[1]).abs().max((a[2] - b[2]).abs()),
    ));
    ui.label(format!(
        "One fix: a lower approval threshold for group B ({t:.2} instead of 0.50) brings its true-positive rate to \
         {:.0} % (group A: {:.0} %). It needs the group at decision time, and it may raise the false-positive rate \
         (from {:.0} % to {:.0} %): every fix trades something, so people must choose which gap matters.",
        fixed[1] * 100.0,
        a[1] * 100.0,
        b[2] * 100.0,
        fixed[2] * 100.0
    ));
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
        // The fairness picture has a gap to show, and the lower threshold for B closes most of it.
        let (a, b) = (group_rates(&applicants(false), 0.5), group_rates(&applicants(true), 0.5));
        assert!(a[1] - b[1] > 0.1, "A {a:?} B {b:?}");
        let fixed = group_rates(&applicants(true), fair_threshold_b());
        assert!(fair_threshold_b() < 0.5 && (fixed[1] - a[1]).abs() < 0.05, "{fixed:?} vs {a:?}");
        // Raising the threshold raises precision and lowers recall, as the caption says.
        let scores = spam_scores();
        let ((p5, r5), (p8, r8)) = (precision_recall(&scores, 0.5), precision_recall(&scores, 0.8));
        assert!(p8 > p5 && r8 < r5, "0.5: {p5} {r5}; 0.8: {p8} {r8}");
        assert!(p5 < 1.0 && r5 < 1.0, "the picture has mistakes to trade");
        let (tp, fp, fn_) = counts(&scores, 0.5);
        assert_eq!(tp + fn_, 50);
        assert!(fp > 0);
        // Scaled columns have mean 0 and spread 1; the raw ones are far apart in size.
        let scaled = standardise(&houses());
        for c in 0..2 {
            let mean = scaled.iter().map(|r| r[c]).sum::<f64>() / 40.0;
            let var = scaled.iter().map(|r| r[c] * r[c]).sum::<f64>() / 40.0;
            assert!(mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-9, "column {c}: {mean} {var}");
        }
        assert!(houses().iter().all(|r| (1.5..=6.5).contains(&r[0]) && (15_000.0..=105_000.0).contains(&r[1])));
    }
}
