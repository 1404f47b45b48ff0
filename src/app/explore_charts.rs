//! The Explore view's charts, drawn from what `data::explore` computed: stacked bars, box plots,
//! the scatter with its drag-to-select box, the correlation heat map, and the small distribution
//! picture of each column in the profile table.

use super::Command;
use super::explore::{ExploreCommand, ExploreRequest, Selection};
use crate::data::explore::{self, BoxStats, Correlations, Histogram, RowCondition, Scatter};
use egui_plot::{Bar, BarChart, BoxElem, BoxPlot, BoxSpread, Legend, Plot, PlotPoints, Points, Polygon};

const PALETTE: [egui::Color32; 9] = [
    egui::Color32::from_rgb(90, 150, 230),
    egui::Color32::from_rgb(240, 150, 50),
    egui::Color32::from_rgb(90, 190, 110),
    egui::Color32::from_rgb(220, 90, 90),
    egui::Color32::from_rgb(170, 120, 220),
    egui::Color32::from_rgb(150, 110, 80),
    egui::Color32::from_rgb(230, 120, 190),
    egui::Color32::from_rgb(160, 160, 160),
    egui::Color32::from_rgb(200, 200, 80),
];

fn colour(i: usize, name: &str) -> egui::Color32 {
    if name == explore::MISSING || name == explore::OTHER {
        egui::Color32::from_gray(120)
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

pub(super) fn histogram_ui(ui: &mut egui::Ui, h: &Histogram, cmds: &mut Vec<Command>) {
    if h.labels.is_empty() {
        ui.label("No values to draw.");
        return;
    }
    ui.label(if h.lengths {
        "Lengths of the texts in characters, split by the colour column. Click a bar to select its rows."
    } else {
        "How many rows have each value, split by the colour column. Click a bar to select its rows."
    });
    let labels = h.labels.clone();
    let mut below = vec![0.0; h.labels.len()];
    let charts: Vec<BarChart> = h
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| {
            let bars: Vec<Bar> = (0..h.labels.len())
                .map(|b| {
                    let n = h.counts[g][b] as f64;
                    let bar = Bar::new(b as f64, n).base_offset(below[b]).width(0.9).name(&h.labels[b]);
                    below[b] += n;
                    bar
                })
                .collect();
            BarChart::new(name.clone(), bars).color(colour(g, name))
        })
        .collect();
    let response = Plot::new("explore_histogram")
        .height(300.0)
        .legend(Legend::default())
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .y_axis_label("rows")
        .x_axis_formatter(named_ticks(labels))
        .show(ui, |plot| charts.into_iter().for_each(|c| plot.bar_chart(c)));
    if response.response.clicked()
        && let Some(pos) = response.response.interact_pointer_pos()
    {
        let bar = response.transform.value_from_position(pos).x.round();
        if bar >= 0.0
            && let Some(c) = h.condition(bar as usize)
        {
            cmds.push(Command::Explore(ExploreCommand::Select(vec![c])));
        }
    }
}

pub(super) fn boxes_ui(ui: &mut egui::Ui, b: &[BoxStats], r: &ExploreRequest) {
    if b.is_empty() {
        ui.label("Pick a number column and a column to split it by.");
        return;
    }
    ui.label(format!(
        "The middle half of '{}' in each group (the box), its median (the line) and the range without outliers \
         (the whiskers).",
        r.x
    ));
    let names: Vec<String> = b.iter().map(|x| x.group.clone()).collect();
    let elems: Vec<BoxElem> = b
        .iter()
        .enumerate()
        .map(|(i, s)| {
            BoxElem::new(i as f64, BoxSpread::new(s.lower_whisker, s.q1, s.median, s.q3, s.upper_whisker))
                .name(format!("{} ({} rows, {} outliers)", s.group, s.rows, s.outliers))
                .fill(colour(i, &s.group).gamma_multiply(0.4))
                .stroke(egui::Stroke::new(1.5, colour(i, &s.group)))
        })
        .collect();
    Plot::new("explore_boxes")
        .height(300.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label(r.x.clone())
        .x_axis_formatter(named_ticks(names))
        .show(ui, |plot| plot.box_plot(BoxPlot::new(r.x.clone(), elems)));
}

/// The scatter; a drag draws a box and selects the rows inside it.
pub(super) fn scatter_ui(
    ui: &mut egui::Ui,
    s: &Scatter,
    r: &ExploreRequest,
    sel: Option<&Selection>,
    cmds: &mut Vec<Command>,
) {
    if s.x.is_empty() {
        ui.label("Pick two number columns.");
        return;
    }
    let thinned = if s.total > s.x.len() {
        format!(" Showing a random {} of the {} rows (enough to see the shape).", s.x.len(), s.total)
    } else {
        String::new()
    };
    ui.label(format!("Each dot is a row. Drag a box to select the rows inside it.{thinned}"));
    let drag_id = ui.make_persistent_id("explore_scatter_drag");
    let drag: Option<[f64; 4]> = ui.data(|d| d.get_temp(drag_id));
    // The box being dragged, else the selection's box when it is on these two columns.
    let shown_box = drag.or_else(|| match sel.map(|s| s.conditions.as_slice()) {
        Some([a, b]) if a.column == r.x && b.column == r.y => Some([a.min?, b.min?, a.max?, b.max?]),
        _ => None,
    });
    let response = Plot::new("explore_scatter")
        .height(340.0)
        .legend(Legend::default())
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_label(r.x.clone())
        .y_axis_label(r.y.clone())
        .show(ui, |plot| {
            for (g, name) in s.groups.iter().enumerate() {
                let pts: Vec<[f64; 2]> =
                    (0..s.x.len()).filter(|&i| s.group[i] as usize == g).map(|i| [s.x[i], s.y[i]]).collect();
                if !pts.is_empty() {
                    plot.points(Points::new(name.clone(), pts).radius(1.5).color(colour(g, name)));
                }
            }
            if let Some([x0, y0, x1, y1]) = shown_box {
                let corners = vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
                plot.polygon(
                    Polygon::new("selection", PlotPoints::from(corners))
                        .fill_color(egui::Color32::from_white_alpha(30)),
                );
            }
        });
    let resp = &response.response;
    // Where the scatter is on screen (the frame-time benchmark drags across it).
    ui.data_mut(|d| d.insert_temp(scatter_rect_id(), resp.rect));
    let at = |p: egui::Pos2| response.transform.value_from_position(p);
    if resp.drag_started()
        && let Some(p) = resp.interact_pointer_pos()
    {
        let v = at(p);
        ui.data_mut(|d| d.insert_temp(drag_id, [v.x, v.y, v.x, v.y]));
    } else if resp.dragged()
        && let (Some(p), Some([x0, y0, ..])) = (resp.interact_pointer_pos(), drag)
    {
        let v = at(p);
        ui.data_mut(|d| d.insert_temp(drag_id, [x0, y0, v.x, v.y]));
    } else if resp.drag_stopped()
        && let Some([x0, y0, x1, y1]) = drag
    {
        ui.data_mut(|d| d.remove::<[f64; 4]>(drag_id));
        if x0 != x1 && y0 != y1 {
            let cond = |column: &str, a: f64, b: f64| RowCondition {
                column: column.to_string(),
                min: Some(a.min(b)),
                max: Some(a.max(b)),
                values: vec![],
            };
            cmds.push(Command::Explore(ExploreCommand::Select(vec![cond(&r.x, x0, x1), cond(&r.y, y0, y1)])));
        }
    }
}

/// An axis that names the whole-number positions 0, 1, … by `names` (bars, boxes, groups).
pub(super) fn named_ticks(
    names: Vec<String>,
) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String {
    move |mark, _| {
        let i = mark.value.round();
        if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// The memory key of the scatter's last screen rectangle.
pub fn scatter_rect_id() -> egui::Id {
    egui::Id::unique("explore_scatter_rect")
}

/// Blue for negative, red for positive correlation, white at 0.
fn heat(r: f64) -> egui::Color32 {
    if !r.is_finite() {
        return egui::Color32::from_gray(90);
    }
    let t = r.abs().min(1.0) as f32;
    let (base, toward) = if r >= 0.0 { ((220.0, 70.0, 60.0), t) } else { ((60.0, 110.0, 220.0), t) };
    let mix = |a: f32, b: f32| (a + (b - a) * toward) as u8;
    egui::Color32::from_rgb(mix(245.0, base.0), mix(245.0, base.1), mix(245.0, base.2))
}

pub(super) fn correlations_ui(ui: &mut egui::Ui, c: &Correlations, spearman: bool) {
    if c.columns.len() < 2 {
        ui.label("Correlations need at least two number columns.");
        return;
    }
    let m = if spearman { &c.spearman } else { &c.pearson };
    ui.label(format!(
        "How strongly each pair of number columns moves together ({}; 1: perfectly together, −1: perfectly opposite, \
         0: no straight-line link), over {} rows.",
        if spearman { "Spearman's rank correlation" } else { "Pearson's r" },
        c.rows
    ));
    for s in &c.strongest {
        ui.label(egui::RichText::new(format!("• {s}")).strong());
    }
    let k = c.columns.len();
    let cell = (520.0 / k as f32).clamp(14.0, 44.0);
    let label_w = 150.0;
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(label_w + cell * k as f32, cell * k as f32 + 18.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional((cell * 0.38).clamp(8.0, 12.0));
    for (i, (column, row)) in c.columns.iter().zip(m).enumerate() {
        let y = rect.top() + 18.0 + i as f32 * cell;
        let name: String = column.chars().take(22).collect();
        painter.text(
            egui::pos2(rect.left() + label_w - 6.0, y + cell / 2.0),
            egui::Align2::RIGHT_CENTER,
            name,
            font.clone(),
            text,
        );
        painter.text(
            egui::pos2(rect.left() + label_w + i as f32 * cell + cell / 2.0, rect.top() + 8.0),
            egui::Align2::CENTER_CENTER,
            (i + 1).to_string(),
            font.clone(),
            text,
        );
        for (j, &value) in row.iter().enumerate() {
            let r = egui::Rect::from_min_size(
                egui::pos2(rect.left() + label_w + j as f32 * cell, y),
                egui::vec2(cell - 1.0, cell - 1.0),
            );
            painter.rect_filled(r, 0.0, heat(value));
            if cell >= 26.0 && value.is_finite() {
                painter.text(
                    r.center(),
                    egui::Align2::CENTER_CENTER,
                    format!("{value:.2}"),
                    font.clone(),
                    egui::Color32::BLACK,
                );
            }
        }
    }
    if let Some(p) = response.hover_pos() {
        let (j, i) = (((p.x - rect.left() - label_w) / cell).floor(), ((p.y - rect.top() - 18.0) / cell).floor());
        if i >= 0.0 && j >= 0.0 && (i as usize) < k && (j as usize) < k {
            let (i, j) = (i as usize, j as usize);
            response.on_hover_text(format!("{} and {}: {:.3}", c.columns[i], c.columns[j], m[i][j]));
        }
    }
    ui.label(egui::RichText::new("Columns are numbered in the order of the rows.").weak());
}

/// A column's small distribution picture for the profile table: bars of its histogram (numbers,
/// text lengths) or of its top categories.
pub fn sketch_ui(ui: &mut egui::Ui, c: &crate::data::ColumnProfile) {
    let counts: Vec<usize> =
        if c.histogram.is_empty() { c.top_values.iter().map(|t| t.1).collect() } else { c.histogram.clone() };
    let (rect, response) = ui.allocate_exact_size(egui::vec2(96.0, 18.0), egui::Sense::hover());
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
    if counts.is_empty() {
        return;
    }
    let w = rect.width() / counts.len() as f32;
    let painter = ui.painter_at(rect);
    let fill = egui::Color32::from_rgb(90, 150, 230);
    for (i, &n) in counts.iter().enumerate() {
        let h = (n as f32 / max) * rect.height();
        let x = rect.left() + i as f32 * w;
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(x + 0.5, rect.bottom() - h), egui::pos2(x + w - 0.5, rect.bottom())),
            0.0,
            fill,
        );
    }
    let what = match (&c.histogram.is_empty(), c.longest) {
        (true, _) => "the most frequent values".to_string(),
        (false, Some(l)) => format!("text lengths, 0 to {l} characters"),
        (false, None) => "values from smallest to largest".to_string(),
    };
    response.on_hover_text(format!("Distribution of '{}': {what}", c.name));
}
