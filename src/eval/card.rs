//! The model card: one Markdown page that says what a model is for, what data made it, how it
//! turns rows into features, how well it does overall and by group, what it cannot be trusted
//! with, and how to reproduce it (`cairn export --card`).

use super::fairness::FairnessReport;
use crate::data::{Dataset, Warning};
use crate::train::Pipeline;
use std::fmt::Write;

/// What the card is written from besides the pipeline.
#[derive(Default)]
pub struct CardInput<'a> {
    /// What the model is for and who should use it, in the owner's words.
    pub intended_use: Option<&'a str>,
    /// The labelled data the card describes (its warnings), with its path for the reproduce line.
    pub data: Option<(&'a Dataset, &'a str)>,
    /// Metrics by the chosen group.
    pub groups: Option<&'a FairnessReport>,
    /// The profile's warnings about `data`.
    pub warnings: &'a [Warning],
    /// The bundle's path, for the reproduce line.
    pub bundle: Option<&'a str>,
}

/// Markdown with one `|`-table row per cell, pipes in cells escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The model card of `p` as Markdown.
pub fn model_card(p: &Pipeline, input: &CardInput) -> String {
    let mut md = String::new();
    let i = &p.info;
    writeln!(md, "# Model card: {} predicting '{}'\n", p.model_display_name(), p.target.name).ok();
    writeln!(md, "Made with Cairn {} · {} · seed {}.\n", i.app_version, p.target.task.name(), i.seed).ok();
    writeln!(md, "## Intended use\n").ok();
    match input.intended_use.or(Some(p.intended_use.as_str())) {
        Some(text) if !text.trim().is_empty() => writeln!(md, "{}\n", text.trim()).ok(),
        _ => writeln!(
            md,
            "_Not stated yet: say what the model is for, who uses its answers, and what it must not be used for._\n"
        )
        .ok(),
    };
    data_section(&mut md, p, input);
    writeln!(md, "## How rows become features (the recipe)\n").ok();
    for step in p.recipe.active() {
        writeln!(md, "1. {}", step.describe()).ok();
    }
    writeln!(md, "\n## Metrics on the held-out rows\n\n| metric | value | meaning |\n|---|---|---|").ok();
    for (name, value, meaning) in p.metrics.cards() {
        writeln!(md, "| {name} | {value:.4} | {meaning} |").ok();
    }
    writeln!(md, "\n{}\n", p.metrics.plain_words(&p.target.name)).ok();
    if let Some(g) = input.groups {
        groups_section(&mut md, g);
    }
    limits_section(&mut md, p, input);
    writeln!(md, "## How to reproduce\n").ok();
    let data = input.data.map_or("DATA.csv", |(_, path)| path);
    let bundle = input.bundle.unwrap_or("MODEL.cairn");
    writeln!(md, "```sh\ncairn run {bundle} --data {data}   # retrains from the bundle's manifest and compares\n```\n")
        .ok();
    writeln!(
        md,
        "The same data has the fingerprint `{}`; the same seed and settings give the same model.\n",
        i.data_hash
    )
    .ok();
    md
}

fn data_section(md: &mut String, p: &Pipeline, input: &CardInput) {
    let i = &p.info;
    writeln!(md, "## Data\n").ok();
    writeln!(md, "- Fingerprint (sha256 of the content): `{}`", i.data_hash).ok();
    writeln!(md, "- {} training rows, {} test rows ({:.0} % held out)", i.train_rows, i.test_rows, i.test_size * 100.0)
        .ok();
    let columns: Vec<String> = p.schema.columns.iter().map(|c| format!("`{}` ({})", c.name, c.kind.label())).collect();
    writeln!(md, "- Input columns ({}): {}", columns.len(), columns.join(", ")).ok();
    writeln!(md, "- {} features after the recipe", i.n_features).ok();
    if let Some((ds, path)) = input.data {
        writeln!(md, "- Described from `{path}`: {} rows × {} columns", ds.n_rows(), ds.columns.len()).ok();
    }
    if !input.warnings.is_empty() {
        writeln!(md, "\nWhat the data profile warned about:\n").ok();
        for w in input.warnings {
            writeln!(md, "- {}", w.message).ok();
        }
    }
    writeln!(md).ok();
}

fn groups_section(md: &mut String, g: &FairnessReport) {
    writeln!(md, "## Metrics by {}\n", g.group_column).ok();
    let names: Vec<&String> = g.groups.first().map(|x| x.metrics.keys().collect()).unwrap_or_default();
    let header: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    writeln!(md, "| {} | rows | {} |", cell(&g.group_column), header.join(" | ")).ok();
    writeln!(md, "|---|---|{}", "---|".repeat(names.len())).ok();
    for row in &g.groups {
        let values: Vec<String> = names.iter().map(|n| format!("{:.4}", row.metrics[*n])).collect();
        writeln!(md, "| {} | {} | {} |", cell(&row.group), row.rows, values.join(" | ")).ok();
    }
    writeln!(md).ok();
    for (name, value) in &g.differences {
        writeln!(md, "- {name}: {value:.4}").ok();
    }
    writeln!(md, "\n{}\n", g.reading).ok();
}

fn limits_section(md: &mut String, p: &Pipeline, input: &CardInput) {
    writeln!(md, "## Known limits\n").ok();
    writeln!(
        md,
        "- The scores hold for data like the training data. Check new data with `cairn monitor` (drift of each \
         input column, and live accuracy when true answers arrive) before trusting the model on it."
    )
    .ok();
    if !p.schema.personal.is_empty() {
        writeln!(
            md,
            "- Inputs that held personal data in training: {}. The served prediction log leaves them out unless \
             `--log-inputs all` is set.",
            p.schema.personal.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )
        .ok();
    }
    if let Some(t) = p.thresholds.as_ref().filter(|t| t.enabled) {
        let listed: Vec<String> = t.thresholds.iter().map(|(g, v)| format!("{} {v:.3}", cell(g))).collect();
        writeln!(
            md,
            "- It decides with one threshold per group of `{}` on the probability of '{}' ({}; others {:.2}), chosen \
             to even out the true-positive rates: predicting needs that column.",
            t.column,
            t.positive,
            listed.join(", "),
            t.default
        )
        .ok();
    }
    let personal: Vec<&Warning> = input.warnings.iter().filter(|w| w.kind == "personal_data").collect();
    if !personal.is_empty() {
        writeln!(md, "- The data holds personal data in {} column(s); see Data above.", personal.len()).ok();
    }
    if let Some(g) = input.groups.filter(|g| !g.small_groups.is_empty()) {
        writeln!(md, "- Groups too small to judge (under 30 rows): {}.", g.small_groups.join(", ")).ok();
    }
    writeln!(md).ok();
}

/// The card as HTML for the report: its headings one level down (the report has the page's
/// title), and any HTML inside the text (an intended use, a group name) shown as text, not run.
pub fn card_html(markdown: &str) -> String {
    use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let down = |l: HeadingLevel| match l {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    };
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(CowStr::from(t.into_string())),
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: down(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(down(level))),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_escape_pipes() {
        assert_eq!(super::cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn the_card_as_html_shows_markup_as_text() {
        let html = super::card_html(
            "# Card\n\n## Intended use\n\nFor *teachers*, not <script>alert(1)</script>\n\n<div>block</div>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h2>Card</h2>") && html.contains("<h3>Intended use</h3>"), "{html}");
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;div&gt;block") && !html.contains("<div>"), "{html}");
        assert!(html.contains("<em>teachers</em>") && html.contains("<td>2</td>"), "{html}");
    }
}
