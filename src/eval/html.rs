//! The hand-in report: one self-contained HTML file (plots drawn as inline SVG, no scripts,
//! no network) with the data profile, the recipe, the model and its scores.

use super::{Detail, Report, curves, human_number, thin};
use crate::data::Profile;
use crate::train::Pipeline;
use crate::util::escape;
use std::fmt::Write;

/// What a report shows. Everything but the pipeline and its report is optional.
pub struct ReportInput<'a> {
    pub title: String,
    pub profile: Option<&'a Profile>,
    pub pipeline: &'a Pipeline,
    pub report: &'a Report,
    /// A lesson's title and its steps (title, done).
    pub lesson: Option<(String, Vec<(String, bool)>)>,
    /// The model card (Markdown, `eval::card::model_card`), shown at the end.
    pub card: Option<String>,
    /// Correlations of the data's number columns (a table after the data profile).
    pub correlations: Option<crate::data::explore::Correlations>,
}

/// The whole report as one HTML document.
pub fn html_report(input: &ReportInput) -> String {
    let p = input.pipeline;
    let mut h = String::new();
    write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{CSS}</style></head><body><h1>{t}</h1>",
        t = escape(&input.title)
    ).ok();
    write!(
        h,
        "<p class=\"sub\">Made with Cairn {} · {} {} · data fingerprint <code>{}</code></p>",
        env!("CARGO_PKG_VERSION"),
        escape(p.model_display_name()),
        escape(&p.goal()),
        &p.info.data_hash.get(..12).unwrap_or(&p.info.data_hash)
    )
    .ok();
    if let Some((title, steps)) = &input.lesson {
        let done = steps.iter().filter(|s| s.1).count();
        write!(h, "<h2>Lesson: {}</h2><p>{done} of {} steps done.</p><ol>", escape(title), steps.len()).ok();
        for (s, ok) in steps {
            write!(h, "<li>{} {}</li>", if *ok { "[done]" } else { "[not yet]" }, escape(s)).ok();
        }
        h.push_str("</ol>");
    }
    if let Some(prof) = input.profile {
        data_section(&mut h, prof);
    }
    if let Some(c) = &input.correlations {
        correlation_section(&mut h, c);
    }
    h.push_str("<h2>Recipe</h2><p>How the table became features, fitted on the training rows only.</p><ol>");
    for step in p.recipe.active() {
        write!(h, "<li>{}</li>", escape(&step.describe())).ok();
    }
    write!(h, "</ol><p>{} features in all.</p>", p.info.n_features).ok();
    write!(
        h,
        "<h2>Model</h2><p><b>{}</b>: {}</p><table><tr><th>setting</th><th>value</th></tr>",
        escape(p.model_display_name()),
        escape(p.model.kind().explain())
    )
    .ok();
    for (k, v) in &p.info.params.values {
        write!(h, "<tr><td>{}</td><td>{v}</td></tr>", escape(k)).ok();
    }
    write!(
        h,
        "</table><p>Trained on {} rows, tested on {} rows it never saw, in {:.2} s (seed {}).</p>",
        p.info.train_rows, p.info.test_rows, p.info.train_seconds, p.info.seed
    )
    .ok();
    h.push_str("<h2>Scores</h2><div class=\"cards\">");
    for (name, value, help) in input.report.metrics.cards() {
        write!(
            h,
            "<div class=\"card\"><div class=\"v\">{value:.3}</div><b>{name}</b><br><small>{}</small></div>",
            escape(help)
        )
        .ok();
    }
    write!(h, "</div><p>{}</p>", escape(&input.report.metrics.plain_words(&p.target.name))).ok();
    plots(&mut h, p, &input.report.detail);
    h.push_str("<h2>What the model leans on</h2><ol>");
    for (name, w) in p.top_features(8) {
        write!(h, "<li>{}: {}</li>", escape(&name), human_number(w)).ok();
    }
    h.push_str("</ol>");
    if let Some(card) = &input.card {
        write!(h, "<section class=\"modelcard\">{}</section>", super::card::card_html(card)).ok();
    }
    h.push_str("</body></html>\n");
    h
}

fn data_section(h: &mut String, prof: &Profile) {
    write!(
        h,
        "<h2>Data</h2><p>{} — {} rows × {} columns.</p><table><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>distribution</th><th>summary</th></tr>",
        escape(&prof.source),
        prof.rows,
        prof.columns
    ).ok();
    for c in &prof.column_profiles {
        let summary = match (c.min, c.max, c.mean) {
            (Some(lo), Some(hi), Some(m)) => {
                format!("{} … {}, mean {}", human_number(lo), human_number(hi), human_number(m))
            }
            _ => c.top_values.iter().take(3).map(|(v, n)| format!("{v} ({n})")).collect::<Vec<_>>().join(", "),
        };
        write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.name),
            c.kind.label(),
            c.missing,
            c.distinct_text(),
            sketch_svg(c),
            escape(&summary)
        )
        .ok();
    }
    h.push_str("</table>");
    if !prof.warnings.is_empty() {
        h.push_str("<h3>Things checked in the data</h3><ul>");
        for w in &prof.warnings {
            write!(h, "<li>{}</li>", escape(&w.message)).ok();
        }
        h.push_str("</ul>");
    }
}

fn plots(h: &mut String, p: &Pipeline, detail: &Detail) {
    match detail {
        Detail::Regression { actual, predicted } => {
            h.push_str("<h3>Predicted against actual</h3><p>Each dot is a test row; on the diagonal the prediction is exact.</p>");
            let points: Vec<(f64, f64)> = thin(actual.len(), 1500).map(|i| (actual[i], predicted[i])).collect();
            h.push_str(&scatter_svg(&points, &format!("actual {}", p.target.name), "predicted", true));
            let residuals: Vec<f64> = actual.iter().zip(predicted).map(|(a, b)| a - b).collect();
            h.push_str("<h3>Errors (actual − predicted)</h3><p>A narrow peak around 0 means small errors.</p>");
            h.push_str(&histogram_svg(&residuals, 30));
        }
        Detail::Classification { classes, confusion, actual, scores, .. } => {
            h.push_str("<h3>Confusion matrix</h3><p>Rows: the actual class; columns: the predicted class. The diagonal holds the right answers.</p><table><tr><th></th>");
            for c in classes {
                write!(h, "<th>{}</th>", escape(c)).ok();
            }
            h.push_str("</tr>");
            let max = confusion.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
            for (a, row) in confusion.iter().enumerate() {
                write!(h, "<tr><th>{}</th>", escape(&classes[a])).ok();
                for (pr, n) in row.iter().enumerate() {
                    let alpha = 0.1 + 0.8 * (*n as f64 / max);
                    let hue = if a == pr { "40,140,90" } else { "200,70,60" };
                    write!(h, "<td style=\"background:rgba({hue},{alpha:.2})\">{n}</td>").ok();
                }
                h.push_str("</tr>");
            }
            h.push_str("</table>");
            if classes.len() == 2 && scores.len() == actual.len() && !scores.is_empty() {
                let positive: Vec<bool> = actual.iter().map(|&a| a == 1).collect();
                let (roc, _, _) = curves(&positive, scores);
                let pts: Vec<(f64, f64)> = roc.iter().map(|p| (p[0], p[1])).collect();
                write!(
                    h,
                    "<h3>ROC curve (positive class: {})</h3><p>The closer to the top-left corner, the better the scores separate the classes; the diagonal is guessing.</p>",
                    escape(&classes[1])
                ).ok();
                h.push_str(&line_svg(&pts, "false positive rate", "true positive rate"));
            }
        }
        Detail::Clustering { sizes, .. } => {
            h.push_str("<h3>Cluster sizes</h3><ul>");
            for (c, n) in sizes.iter().enumerate() {
                write!(h, "<li>cluster {}: {n} rows</li>", c + 1).ok();
            }
            h.push_str("</ul>");
        }
    }
}

const W: f64 = 420.0;
const H: f64 = 300.0;
const M: f64 = 40.0;

fn frame(x_label: &str, y_label: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\"><rect x=\"{M}\" y=\"10\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#999\"/>{body}<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text><text x=\"12\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text></svg>",
        W - M - 10.0,
        H - M - 10.0,
        (W + M) / 2.0,
        H - 8.0,
        escape(x_label),
        H / 2.0,
        H / 2.0,
        escape(y_label)
    )
}

/// Maps a value in `lo..hi` onto a pixel range.
fn scale(v: f64, lo: f64, hi: f64, from: f64, to: f64) -> f64 {
    if hi > lo { from + (v - lo) / (hi - lo) * (to - from) } else { (from + to) / 2.0 }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn scatter_svg(points: &[(f64, f64)], x_label: &str, y_label: &str, diagonal: bool) -> String {
    let (lo, hi) = bounds(points.iter().flat_map(|p| [p.0, p.1]));
    let (x0, x1, y0, y1) = (M, W - 10.0, H - M, 10.0);
    let mut body = String::new();
    if diagonal && lo < hi {
        write!(body, "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#c33\" stroke-dasharray=\"4\"/>")
            .ok();
    }
    for &(x, y) in points {
        write!(
            body,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"1.6\" fill=\"#2a6fdb\" fill-opacity=\"0.5\"/>",
            scale(x, lo, hi, x0, x1),
            scale(y, lo, hi, y0, y1)
        )
        .ok();
    }
    write!(
        body,
        "<text x=\"{x0}\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
        y0 + 12.0,
        human_number(lo),
        x1,
        y0 + 12.0,
        human_number(hi)
    ).ok();
    frame(x_label, y_label, &body)
}

fn line_svg(points: &[(f64, f64)], x_label: &str, y_label: &str) -> String {
    let (x0, x1, y0, y1) = (M, W - 10.0, H - M, 10.0);
    let path: Vec<String> = points
        .iter()
        .map(|&(x, y)| format!("{:.1},{:.1}", scale(x, 0.0, 1.0, x0, x1), scale(y, 0.0, 1.0, y0, y1)))
        .collect();
    let body = format!(
        "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#999\" stroke-dasharray=\"4\"/><polyline fill=\"none\" stroke=\"#2a6fdb\" stroke-width=\"2\" points=\"{}\"/>",
        path.join(" ")
    );
    frame(x_label, y_label, &body)
}

/// A column's distribution picture, as in the app's profile table: its histogram (numbers, text
/// lengths) or its most frequent values, as small bars.
fn sketch_svg(c: &crate::data::ColumnProfile) -> String {
    let counts: Vec<usize> =
        if c.histogram.is_empty() { c.top_values.iter().map(|t| t.1).collect() } else { c.histogram.clone() };
    if counts.is_empty() {
        return String::new();
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let w = 96.0 / counts.len() as f64;
    let mut s = String::from("<svg width=\"96\" height=\"20\" viewBox=\"0 0 96 20\" role=\"img\">");
    for (i, &n) in counts.iter().enumerate() {
        let h = n as f64 / top * 20.0;
        write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#2a6fdb\"/>",
            i as f64 * w,
            20.0 - h,
            (w - 0.6).max(0.5)
        )
        .ok();
    }
    s.push_str("</svg>");
    s
}

/// The correlation table (Pearson's r, coloured by strength) and the strongest pairs in words.
fn correlation_section(h: &mut String, c: &crate::data::explore::Correlations) {
    if c.columns.len() < 2 {
        return;
    }
    write!(
        h,
        "<h2>Correlations</h2><p>Pearson's r between the number columns over {} rows (1: move together, −1: opposite, 0: no straight-line link).</p><ul>",
        c.rows
    )
    .ok();
    for s in &c.strongest {
        write!(h, "<li>{}</li>", escape(s)).ok();
    }
    h.push_str("</ul><table><tr><th></th>");
    for (i, _) in c.columns.iter().enumerate() {
        write!(h, "<th>{}</th>", i + 1).ok();
    }
    h.push_str("</tr>");
    for (i, name) in c.columns.iter().enumerate() {
        write!(h, "<tr><th>{} {}</th>", i + 1, escape(name)).ok();
        for r in &c.pearson[i] {
            let (shade, text) = if r.is_finite() {
                let a = (r.abs() * 0.8).min(0.8);
                let rgb = if *r >= 0.0 { "220,70,60" } else { "60,110,220" };
                (format!("background:rgba({rgb},{a:.2})"), format!("{r:.2}"))
            } else {
                (String::new(), "—".into())
            };
            write!(h, "<td style=\"{shade}\">{text}</td>").ok();
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

fn histogram_svg(values: &[f64], bins: usize) -> String {
    let (lo, hi) = bounds(values.iter().copied());
    let mut counts = vec![0usize; bins.max(1)];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let b = if hi > lo { (((v - lo) / (hi - lo)) * bins as f64) as usize } else { 0 };
        counts[b.min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (x0, x1, y0, y1) = (M, W - 10.0, H - M, 10.0);
    let width = (x1 - x0) / bins as f64;
    let mut body = String::new();
    for (i, &c) in counts.iter().enumerate() {
        let top_y = scale(c as f64, 0.0, top, y0, y1);
        write!(
            body,
            "<rect x=\"{:.1}\" y=\"{top_y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2a6fdb\"/>",
            x0 + i as f64 * width,
            width - 1.0,
            y0 - top_y
        )
        .ok();
    }
    write!(
        body,
        "<text x=\"{x0}\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{x1}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
        y0 + 12.0,
        human_number(lo),
        y0 + 12.0,
        human_number(hi)
    ).ok();
    frame("error", "test rows", &body)
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}\
h1{margin-bottom:0}.sub{color:#666}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.cards{display:flex;gap:12px;flex-wrap:wrap}\
.card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;width:190px}.card .v{font-size:1.6em}\
svg{display:block;margin:.5em 0}.modelcard{border-top:3px solid #4a9;margin-top:2.5em}";
