//! Evaluate panel: metric cards in plain words, then the charts that explain them —
//! regression: predicted vs actual, residuals vs predicted, residual histogram;
//! classification: the confusion matrix (a cell's rows on click), and for two classes ROC and
//! precision–recall curves with a decision-threshold slider that updates the scores live.

use super::{AppState, Command, Panel};
use crate::eval::{self, Detail};
use egui_plot::{Bar, BarChart, Heatmap, Line, Plot, PlotPoint, PlotPoints, Points, Text};

/// Most points drawn in a scatter (about twice a plot's pixel width); larger sets are thinned.
const MAX_POINTS: usize = 2000;
/// Most rows listed for a confusion-matrix cell.
const MAX_LISTED: usize = 50;

/// The views of the Evaluate panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EvalTab {
    #[default]
    Scores,
    Importance,
    LearningCurve,
    WhatIf,
    Explanations,
    Groups,
    Compare,
}

impl EvalTab {
    const ALL: [EvalTab; 7] = [
        EvalTab::Scores,
        EvalTab::Importance,
        EvalTab::LearningCurve,
        EvalTab::WhatIf,
        EvalTab::Explanations,
        EvalTab::Groups,
        EvalTab::Compare,
    ];

    fn title(self) -> &'static str {
        match self {
            EvalTab::Scores => "Scores & plots",
            EvalTab::Importance => "Feature importance",
            EvalTab::LearningCurve => "Learning curve",
            EvalTab::WhatIf => "What if",
            EvalTab::Explanations => "Explanations",
            EvalTab::Groups => "Groups",
            EvalTab::Compare => "Compare runs",
        }
    }
}

/// What the user picked on this panel.
#[derive(Clone, Debug)]
pub struct EvalView {
    pub tab: EvalTab,
    /// Decision threshold on the positive class's score (binary classification).
    pub threshold: f64,
    /// The confusion-matrix cell (actual, predicted) whose rows are listed.
    pub cell: Option<(usize, usize)>,
    /// The row edited on the What-if tab.
    pub whatif: Option<super::whatif::WhatIf>,
    /// The two runs (indices into `AppState::runs`) on the Compare tab.
    pub compare: Option<(usize, usize)>,
    /// The user whose recommendations are listed (recommendation models).
    pub user: String,
    /// The column whose groups the Groups tab compares.
    pub group: Option<String>,
    /// A picture model's thumbnails and chosen picture.
    pub pictures: super::pictures::PictureView,
}

impl Default for EvalView {
    fn default() -> Self {
        EvalView {
            tab: EvalTab::Scores,
            threshold: 0.5,
            cell: None,
            whatif: None,
            compare: None,
            user: "1".into(),
            group: None,
            pictures: Default::default(),
        }
    }
}

pub fn evaluate_ui(ui: &mut egui::Ui, state: &mut AppState, cmds: &mut Vec<Command>) {
    ui.heading("4 · Evaluate");
    let Some(o) = state.outcome.clone() else {
        ui.label("Train a model first.");
        return;
    };
    let p = &o.pipeline;
    if let Some(f) = &p.forecast {
        // Importance, what-if, explanations and groups predict rows: not for a forecast.
        return super::forecast::forecast_ui(ui, state, &o, f);
    }
    ui.label(format!(
        "{} {}, scored on {} test rows it never saw during training.",
        p.model_display_name(),
        p.goal(),
        p.info.test_rows
    ));
    ui.horizontal_wrapped(|ui| {
        for tab in EvalTab::ALL {
            ui.selectable_value(&mut state.eval_view.tab, tab, tab.title());
        }
    });
    ui.separator();
    match state.eval_view.tab {
        EvalTab::Scores => {}
        EvalTab::Importance => return super::insight::importance_ui(ui, state, cmds),
        EvalTab::LearningCurve => return super::insight::learning_curve_ui(ui, state, cmds),
        EvalTab::WhatIf => return super::whatif::whatif_ui(ui, state),
        EvalTab::Groups => return super::groups::groups_ui(ui, state, cmds),
        EvalTab::Explanations => return super::explain::explanations_ui(ui, state, cmds),
        EvalTab::Compare => return super::compare::compare_ui(ui, state, cmds),
    }
    ui.add_space(6.0);
    cards_ui(ui, &o.report.metrics.cards());
    ui.add_space(4.0);
    ui.label(o.report.metrics.plain_words(&p.target.name));
    match o.report.metrics {
        crate::eval::Metrics::Regression { .. } => super::learn::learn_link(ui, super::learn::Topic::R2, cmds),
        crate::eval::Metrics::Classification { .. } => {
            super::learn::learn_link(ui, super::learn::Topic::PrecisionRecall, cmds)
        }
        crate::eval::Metrics::Clustering { .. } => {}
    }
    ui.add_space(8.0);

    match &o.report.detail {
        Detail::Regression { actual, predicted } => {
            if p.target.task == crate::train::Task::Recommendation {
                let titles = (state.data_ref.as_deref() == Some("sample:movies")).then(crate::project::movie_titles);
                recommendations_ui(ui, &mut state.eval_view.user, p, titles);
            }
            regression_ui(ui, &p.target.name, actual, predicted)
        }
        Detail::Classification { classes, confusion, actual, predicted, scores, reliability } => {
            if classes.len() == 2 && scores.len() == actual.len() && !scores.is_empty() {
                threshold_ui(ui, &mut state.eval_view, classes, actual, scores);
            }
            confusion_ui(ui, &mut state.eval_view, classes, confusion);
            if let Some((a, pr)) = state.eval_view.cell {
                cell_rows_ui(ui, state, &o, (a, pr), actual, predicted);
            }
            if !reliability.is_empty() {
                reliability_ui(ui, reliability, classes.len() == 2, p, cmds);
            }
        }
        Detail::Clustering { sizes, labels, table, .. } => clusters_ui(ui, &p.target.classes, sizes, labels, table),
    }

    ui.add_space(8.0);
    let how = match p.model.kind() {
        crate::train::ModelKind::Linear
        | crate::train::ModelKind::Ridge
        | crate::train::ModelKind::Lasso
        | crate::train::ModelKind::ElasticNet => {
            "The features with the largest weights. Numbers are standardised, so weights are comparable."
        }
        crate::train::ModelKind::Logistic | crate::train::ModelKind::Svm => {
            "The features with the largest weights (summed over classes)."
        }
        _ => "How much the model uses each feature (share of its splits, or how far apart the classes are).",
    };
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("What the model leans on most").strong()).on_hover_text(how);
        ui.label(egui::RichText::new("(how much each column moves the score: the Feature importance tab)").weak());
    });
    for (name, w) in p.top_features(5) {
        let sign = if w < 0.0 { "−" } else { "+" };
        ui.label(format!("{name}: {sign}{}", crate::eval::human_number(w.abs())));
    }
    ui.add_space(8.0);
    if ui.button("Next: Deploy").clicked() {
        cmds.push(Command::Show(Panel::Deploy));
    }
}

/// A user's top items, with titles when the data has them.
fn recommendations_ui(
    ui: &mut egui::Ui,
    user: &mut String,
    p: &crate::train::Pipeline,
    titles: Option<&std::collections::HashMap<String, String>>,
) {
    ui.label(egui::RichText::new("Recommendations").strong()).on_hover_text(
        "The items this user has not rated yet, ranked by the rating the model predicts they would give.",
    );
    ui.horizontal(|ui| {
        let label = ui.label("For user");
        ui.add(egui::TextEdit::singleline(user).desired_width(80.0)).labelled_by(label.id);
    });
    match p.recommend(user, 10) {
        Ok(rec) => {
            ui.label(if rec.known_user {
                format!("{} {} rated {} items in training; their top 10 of the rest:", rec.user_column, user, rec.rated)
            } else {
                format!("{} {} has no ratings in training: the 10 best-liked items overall.", rec.user_column, user)
            });
            egui::Grid::new("recommendations").striped(true).show(ui, |ui| {
                for (rank, (item, rating)) in rec.items.iter().enumerate() {
                    ui.label(format!("{}.", rank + 1));
                    let title = titles.and_then(|t| t.get(item)).map(|t| format!("  {t}")).unwrap_or_default();
                    ui.label(format!("{} {item}{title}", rec.item_column));
                    ui.label(format!("predicted rating {rating:.2}"));
                    ui.end_row();
                }
            });
        }
        Err(e) => {
            ui.label(e.to_string());
        }
    }
    ui.add_space(8.0);
}

fn cards_ui(ui: &mut egui::Ui, cards: &[(&str, f64, &str)]) {
    ui.horizontal_wrapped(|ui| {
        for (name, value, help) in cards {
            egui::Frame::group(ui.style()).inner_margin(10.0).show(ui, |ui| {
                ui.set_min_width(120.0);
                ui.vertical(|ui| {
                    ui.label(egui::RichText::new(*name).small());
                    let text =
                        if value.abs() >= 1000.0 { crate::eval::human_number(*value) } else { format!("{value:.3}") };
                    ui.label(egui::RichText::new(text).size(24.0).strong());
                })
                .response
                .on_hover_text(*help);
            });
        }
    });
}

/// The reliability diagram: per bin of predicted probability, the share that came true (on the
/// diagonal: the probabilities can be read as chances), the Brier score, and one click to
/// retrain with calibrated probabilities.
fn reliability_ui(
    ui: &mut egui::Ui,
    bins: &[[f64; 3]],
    binary: bool,
    p: &crate::train::Pipeline,
    cmds: &mut Vec<Command>,
) {
    ui.add_space(8.0);
    let what = if binary { "positive" } else { "right (the top class)" };
    ui.label(egui::RichText::new("Can the probabilities be trusted? (reliability diagram)").strong()).on_hover_text(
        format!(
            "Test rows grouped by the probability the model gave; each point is how often they really were {what}. \
             On the diagonal, \"70 %\" comes true 70 % of the time."
        ),
    );
    let gap: f64 =
        bins.iter().map(|b| (b[0] - b[1]).abs() * b[2]).sum::<f64>() / bins.iter().map(|b| b[2]).sum::<f64>().max(1.0);
    let brier = match p.metrics {
        crate::eval::Metrics::Classification { brier: Some(b), .. } => format!("Brier score {b:.4}; "),
        _ => String::new(),
    };
    let calibrated = p.calibrator.as_ref().map_or(String::new(), |c| {
        format!(" Calibrated ({}, on {} out-of-fold training rows).", c.method.name(), c.rows)
    });
    ui.label(format!(
        "{brier}on average the probabilities are {:.1} points away from what happened.{calibrated}",
        gap * 100.0
    ));
    let points: Vec<[f64; 2]> = bins.iter().map(|b| [b[0], b[1]]).collect();
    Plot::new("reliability")
        .width(320.0)
        .height(240.0)
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_label("predicted probability")
        .y_axis_label(format!("share {what}"))
        .show(ui, |plot| {
            plot.line(Line::new("perfectly calibrated", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]])));
            plot.line(Line::new("this model", PlotPoints::from(points.clone())));
            plot.points(Points::new("bins", points).radius(3.0));
        });
    if p.calibrator.is_none() {
        ui.horizontal(|ui| {
            if gap > 0.05 {
                ui.label(egui::RichText::new("The probabilities are off by more than 5 points.").strong());
            }
            if ui
                .button("Retrain with calibrated probabilities")
                .on_hover_text("Isotonic calibration on out-of-fold predictions of the training rows (5 more fits).")
                .clicked()
            {
                cmds.push(Command::Calibrate(Some(crate::train::calibration::Calibration::Isotonic)));
            }
        });
    }
}

fn regression_ui(ui: &mut egui::Ui, target: &str, actual: &[f64], predicted: &[f64]) {
    let idx: Vec<usize> = eval::thin(actual.len(), MAX_POINTS).collect();
    let lo = actual.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = actual.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = (ui.available_width() / 2.0 - 8.0).max(200.0);
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.label(egui::RichText::new("Predicted vs actual (points on the diagonal are perfect)").strong());
            let pts: Vec<[f64; 2]> = idx.iter().map(|&i| [actual[i], predicted[i]]).collect();
            Plot::new("pred_vs_actual")
                .width(width)
                .height(300.0)
                .x_axis_label(format!("actual {target}"))
                .y_axis_label("predicted")
                .show(ui, |plot| {
                    plot.points(Points::new("test rows", pts).radius(1.5));
                    plot.line(Line::new("perfect", PlotPoints::from(vec![[lo, lo], [hi, hi]])));
                });
        });
        ui.vertical(|ui| {
            ui.label(egui::RichText::new("Residuals vs predicted (a pattern means something is missed)").strong());
            let pts: Vec<[f64; 2]> = idx.iter().map(|&i| [predicted[i], actual[i] - predicted[i]]).collect();
            let (plo, phi) =
                predicted.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            Plot::new("residuals")
                .width(width)
                .height(300.0)
                .x_axis_label("predicted")
                .y_axis_label("actual − predicted")
                .show(ui, |plot| {
                    plot.points(Points::new("test rows", pts).radius(1.5));
                    plot.line(Line::new("zero", PlotPoints::from(vec![[plo, 0.0], [phi, 0.0]])));
                });
        });
    });
    ui.label(egui::RichText::new("How far off the predictions are (residual histogram)").strong());
    let residuals: Vec<f64> = actual.iter().zip(predicted).map(|(a, p)| a - p).collect();
    let (rlo, rhi) = residuals.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let bins = 40;
    let w = ((rhi - rlo) / bins as f64).max(1e-12);
    let mut counts = vec![0usize; bins];
    for r in &residuals {
        counts[(((r - rlo) / w) as usize).min(bins - 1)] += 1;
    }
    let bars: Vec<Bar> =
        counts.iter().enumerate().map(|(b, &c)| Bar::new(rlo + (b as f64 + 0.5) * w, c as f64).width(w)).collect();
    Plot::new("residual_hist").height(200.0).x_axis_label("actual − predicted").y_axis_label("test rows").show(
        ui,
        |plot| {
            plot.bar_chart(BarChart::new("residuals", bars));
        },
    );
}

/// Cluster sizes, and (when the data has a label column) which labels each cluster holds.
fn clusters_ui(ui: &mut egui::Ui, clusters: &[String], sizes: &[usize], labels: &[String], table: &[Vec<usize>]) {
    ui.label(egui::RichText::new("Test rows in each cluster").strong());
    let bars: Vec<Bar> = sizes
        .iter()
        .enumerate()
        .map(|(c, &n)| Bar::new(c as f64 + 1.0, n as f64).width(0.7).name(&clusters[c]))
        .collect();
    Plot::new("cluster_sizes").height(200.0).x_axis_label("cluster").y_axis_label("test rows").show(ui, |plot| {
        plot.bar_chart(BarChart::new("rows", bars));
    });
    if labels.is_empty() {
        return;
    }
    ui.label(egui::RichText::new("What each cluster holds (rows: cluster, columns: label)").strong()).on_hover_text(
        "The clusters were found without looking at the labels; a cluster made mostly of one label means the \
         model rediscovered that group on its own.",
    );
    egui::Grid::new("cluster_table").striped(true).show(ui, |ui| {
        ui.strong("");
        for l in labels {
            ui.strong(l);
        }
        ui.end_row();
        for (c, row) in table.iter().enumerate() {
            ui.label(&clusters[c]);
            for n in row {
                ui.label(n.to_string());
            }
            ui.end_row();
        }
    });
}

fn threshold_ui(ui: &mut egui::Ui, view: &mut EvalView, classes: &[String], actual: &[usize], scores: &[f64]) {
    let positive: Vec<bool> = actual.iter().map(|&a| a == 1).collect();
    let pos = &classes[1];
    ui.label(egui::RichText::new(format!("Decision threshold for '{pos}'")).strong()).on_hover_text(
        "A row is called positive when the model's score for it is at least the threshold. Lower it to \
         find more positives (recall) at the cost of more false alarms (precision).",
    );
    let label = ui.label("threshold");
    ui.add(egui::Slider::new(&mut view.threshold, 0.0..=1.0).fixed_decimals(2)).labelled_by(label.id);
    let at = eval::at_threshold(&positive, scores, view.threshold);
    cards_ui(
        ui,
        &[
            ("Accuracy at threshold", at.accuracy, "Share of test rows right at this threshold."),
            ("Precision at threshold", at.precision, "Of the rows called positive, the share that are."),
            ("Recall at threshold", at.recall, "Of the positive rows, the share called positive."),
            ("F1 at threshold", at.f1, "Harmonic mean of precision and recall."),
        ],
    );
    ui.label(format!(
        "At {:.2}: {} '{pos}' rows found, {} missed, {} false alarms.",
        view.threshold, at.confusion[1][1], at.confusion[1][0], at.confusion[0][1]
    ));
    let (roc, pr, ap) = eval::curves(&positive, scores);
    let auc = eval::roc_auc(&positive, scores);
    let width = (ui.available_width() / 2.0 - 8.0).max(200.0);
    // The current threshold's point on each curve.
    let fpr = at.confusion[0][1] as f64 / (at.confusion[0][0] + at.confusion[0][1]).max(1) as f64;
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.label(egui::RichText::new(format!("ROC curve (AUC {auc:.3})")).strong());
            Plot::new("roc")
                .width(width)
                .height(260.0)
                .data_aspect(1.0)
                .x_axis_label("false positive rate")
                .y_axis_label("true positive rate")
                .show(ui, |plot| {
                    plot.line(Line::new("ROC", PlotPoints::from(roc)));
                    plot.line(Line::new("chance", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]])));
                    plot.points(Points::new("threshold", vec![[fpr, at.recall]]).radius(5.0));
                });
        });
        ui.vertical(|ui| {
            ui.label(egui::RichText::new(format!("Precision–recall curve (average precision {ap:.3})")).strong());
            Plot::new("pr")
                .width(width)
                .height(260.0)
                .data_aspect(1.0)
                .x_axis_label("recall")
                .y_axis_label("precision")
                .show(ui, |plot| {
                    plot.line(Line::new("precision–recall", PlotPoints::from(pr)));
                    plot.points(Points::new("threshold", vec![[at.recall, at.precision]]).radius(5.0));
                });
        });
    });
    ui.add_space(6.0);
}

fn confusion_ui(ui: &mut egui::Ui, view: &mut EvalView, classes: &[String], confusion: &[Vec<usize>]) {
    ui.label(egui::RichText::new("Confusion matrix (rows: actual class, columns: predicted class)").strong())
        .on_hover_text("Click a cell to list its test rows.");
    let k = classes.len();
    // Heatmap rows are drawn bottom-up; put the first actual class on top.
    let values: Vec<f64> = (0..k).rev().flat_map(|a| confusion[a].iter().map(|&c| c as f64)).collect();
    let response = Plot::new("confusion")
        .height(300.0)
        .data_aspect(1.0)
        .show_grid(false)
        .show_axes(false)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            // counts are whole numbers: "35", not the default "35.0" that runs into its
            // neighbours once there are ten classes
            let counts = Heatmap::new(values, k).formatter(Box::new(|v| format!("{v:.0}")));
            plot.heatmap(counts.show_labels(true).at(PlotPoint::new(0.0, 0.0)));
            for (i, c) in classes.iter().enumerate() {
                // with many classes the column is named by the class alone (the title says
                // columns are predictions), or "pred. 0pred. 1…" runs together
                let column = if k > 4 { c.clone() } else { format!("pred. {c}") };
                plot.text(Text::new("predicted", PlotPoint::new(i as f64 + 0.5, -0.3), column));
                plot.text(
                    Text::new("actual", PlotPoint::new(-0.5, (k - 1 - i) as f64 + 0.5), c.clone())
                        .anchor(egui::Align2::RIGHT_CENTER),
                );
            }
        });
    if response.response.clicked()
        && let Some(pos) = response.response.interact_pointer_pos()
    {
        let v = response.transform.value_from_position(pos);
        if v.x >= 0.0 && v.y >= 0.0 && v.x < k as f64 && v.y < k as f64 {
            view.cell = Some((k - 1 - v.y as usize, v.x as usize));
        }
    }
    // The mistakes as buttons too (keyboard and screen-reader friendly).
    ui.horizontal_wrapped(|ui| {
        ui.label("Mistakes:");
        let mut any = false;
        for (a, row) in confusion.iter().enumerate() {
            for (pr, &n) in row.iter().enumerate() {
                if a != pr && n > 0 {
                    any = true;
                    if ui.button(format!("{} taken for {} ({n})", classes[a], classes[pr])).clicked() {
                        view.cell = Some((a, pr));
                    }
                }
            }
        }
        if !any {
            ui.label("none on the test rows.");
        }
    });
}

fn cell_rows_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    o: &crate::train::TrainOutcome,
    (a, pr): (usize, usize),
    actual: &[usize],
    predicted: &[usize],
) {
    let classes = &o.pipeline.target.classes;
    let (Some(ac), Some(pc)) = (classes.get(a), classes.get(pr)) else { return };
    let rows: Vec<usize> = (0..actual.len()).filter(|&i| actual[i] == a && predicted[i] == pr).collect();
    ui.label(
        egui::RichText::new(format!("Test rows that are '{ac}' and were predicted '{pc}': {}", rows.len())).strong(),
    );
    let Some(ds) = &state.dataset else { return };
    if ds.pictures.as_ref().is_some_and(|p| p.root.is_some()) {
        // Pictures: the thumbnails themselves (click one for its probabilities).
        let source: Vec<usize> =
            rows.iter().take(MAX_LISTED).filter_map(|&i| o.test_source_rows.get(i).copied()).collect();
        super::pictures::pictures_ui(ui, &mut state.eval_view.pictures, ds, &o.pipeline, &source);
        return;
    }
    let columns: Vec<String> = ds.column_names().into_iter().take(6).collect();
    egui::ScrollArea::vertical().id_salt("cell_rows").max_height(180.0).show(ui, |ui| {
        egui::Grid::new("cell_rows_grid").striped(true).show(ui, |ui| {
            ui.strong("row");
            for c in &columns {
                ui.strong(c);
            }
            ui.end_row();
            for &i in rows.iter().take(MAX_LISTED) {
                let Some(&src) = o.test_source_rows.get(i) else { continue };
                ui.label((src + 1).to_string());
                for c in &columns {
                    let text = ds.column(c).map(|col| col.values.display(src)).unwrap_or_default();
                    ui.label(truncate(&text, 40));
                }
                ui.end_row();
            }
        });
    });
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}
