//! Commands for the beginner's path: `cairn recommend` (a user's top items), `cairn lesson
//! check/pack` (teachers' lesson files and class packs) and `cairn report` (the HTML hand-in).

use crate::cli::load;
use anyhow::Result;
use cairn::data::{format_number, profile};
use std::path::{Path, PathBuf};

/// The options of `cairn recommend`.
#[derive(clap::Args, Debug)]
pub struct RecommendArgs {
    /// A bundle trained with `--task recommendation`.
    pub bundle: PathBuf,
    /// The user, as written in the data's user column.
    pub user: String,
    /// How many items to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// A table describing the items (with the item column and a `title` or `name` column), to
    /// show titles next to the ids.
    #[arg(long)]
    pub items: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// Prints the user's top items, best first, with the predicted rating.
pub fn cmd_recommend(a: RecommendArgs) -> Result<()> {
    let (pipeline, _) = cairn::project::load_bundle(&a.bundle)?;
    let rec = pipeline.recommend(&a.user, a.top)?;
    let titles = match &a.items {
        Some(path) => {
            let ds = cairn::data::read_path(path)?;
            ds.require(&rec.item_column)?;
            cairn::project::item_titles(&ds, &rec.item_column)
                .ok_or_else(|| anyhow::anyhow!("'{}' has no 'title' or 'name' column to show", path.display()))?
        }
        None => std::collections::HashMap::new(),
    };
    let title = |item: &str| titles.get(item).cloned();
    if a.json {
        let items: Vec<_> = rec
            .items
            .iter()
            .map(|(item, r)| serde_json::json!({ "item": item, "title": title(item), "predicted_rating": r }))
            .collect();
        println!(
            "{}",
            serde_json::json!({"user": a.user, "known_user": rec.known_user, "rated_in_training": rec.rated, "items": items})
        );
        return Ok(());
    }
    if rec.known_user {
        println!(
            "Top {} {}s for {} {} (who rated {} in training):",
            rec.items.len(),
            rec.item_column,
            rec.user_column,
            a.user,
            rec.rated
        );
    } else {
        println!(
            "{} {} has no ratings in training: the {} best-liked {}s overall:",
            rec.user_column,
            a.user,
            rec.items.len(),
            rec.item_column
        );
    }
    for (rank, (item, r)) in rec.items.iter().enumerate() {
        let name = title(item).map(|t| format!(" {t}")).unwrap_or_default();
        println!("{:>3}. {item}{name}  (predicted rating {r:.2})", rank + 1);
    }
    Ok(())
}

/// The options of `cairn lesson`.
#[derive(clap::Args, Debug)]
pub struct LessonArgs {
    #[command(subcommand)]
    pub action: LessonAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum LessonAction {
    /// Check a lesson file: its fields, panels, goals and data (errors name the step and field).
    Check { lesson: PathBuf },
    /// Pack a lesson and its CSV into one class-pack file for students to open.
    Pack {
        lesson: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
    },
}

pub fn cmd_lesson(a: LessonArgs) -> Result<()> {
    match a.action {
        LessonAction::Check { lesson } => {
            // Packing reads the data too, so a missing or unreadable CSV is caught here.
            let pack = cairn::project::ClassPack::from_lesson_file(&lesson)?;
            let ds = pack.dataset()?;
            ds.require(&pack.lesson.target)?;
            println!(
                "{}: '{}', {} steps, data {} rows × {} columns, target '{}': OK",
                lesson.display(),
                pack.lesson.title,
                pack.lesson.steps.len(),
                ds.n_rows(),
                ds.n_cols(),
                pack.lesson.target
            );
        }
        LessonAction::Pack { lesson, out } => {
            let pack = cairn::project::ClassPack::from_lesson_file(&lesson)?;
            pack.dataset()?.require(&pack.lesson.target)?;
            cairn::project::write_atomically(&out, serde_json::to_string(&pack)?.as_bytes())?;
            eprintln!("Wrote {} ('{}' with its data)", out.display(), pack.lesson.title);
        }
    }
    Ok(())
}

/// The options of `cairn report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A trained bundle.
    pub bundle: PathBuf,
    /// Labelled data to score it on (e.g. a held-out test file) and to profile.
    pub data: PathBuf,
    /// Where to write the HTML file.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Add the model card's metrics by the groups of this column of DATA.
    #[arg(long, value_name = "COLUMN")]
    pub group: Option<String>,
    /// The model card's "Intended use" (default: the one saved in the bundle).
    #[arg(long, value_name = "TEXT")]
    pub intended_use: Option<String>,
}

/// Writes one self-contained HTML report: the data's profile, the recipe, the model and its
/// scores on DATA with plots.
pub fn cmd_report(a: ReportArgs) -> Result<()> {
    let (pipeline, _) = cairn::project::load_bundle(&a.bundle)?;
    let data = cairn::data::read_path(&a.data)?;
    let report = pipeline.evaluate(&data)?;
    let profile = cairn::data::profile(&data);
    let groups = a.group.as_deref().map(|g| cairn::eval::fairness::fairness(&pipeline, &data, g, None)).transpose()?;
    let mut warnings = profile.warnings.clone();
    warnings.extend(cairn::data::target_warnings(&data, &pipeline.target.name));
    let (bundle_text, data_text) = (a.bundle.display().to_string(), a.data.display().to_string());
    let card = cairn::eval::card::model_card(
        &pipeline,
        &cairn::eval::card::CardInput {
            intended_use: a.intended_use.as_deref(),
            data: Some((&data, &data_text)),
            groups: groups.as_ref(),
            warnings: &warnings,
            bundle: Some(&bundle_text),
        },
    );
    let html = cairn::eval::html::html_report(&cairn::eval::html::ReportInput {
        title: format!("{} — report", pipeline.goal()),
        profile: Some(&profile),
        pipeline: &pipeline,
        report: &report,
        lesson: None,
        card: Some(card),
        correlations: Some(cairn::data::explore::correlations(&data, &[])),
    });
    cairn::project::write_atomically(&a.out, html.as_bytes())?;
    eprintln!("Wrote {}", a.out.display());
    Ok(())
}

/// Prints the data profile (and, with a target, the warnings that depend on it).
pub fn cmd_inspect(path: &Path, target: Option<&str>, as_json: bool, large: &super::LargeFileArgs) -> Result<()> {
    let (data, mut prof) = if super::streams(path, large)? {
        let streamed = super::stream(path, large, 0.0, 42)?;
        (streamed.train, streamed.profile)
    } else {
        let data = load(path)?;
        let prof = profile(&data);
        (data, prof)
    };
    if let Some(t) = target {
        data.require(t)?;
        prof.warnings.extend(cairn::data::target_warnings(&data, t));
    }
    // The process ends right after: the system takes the table's memory back in one go, faster
    // than freeing it column by column.
    std::mem::forget(data);
    if as_json {
        println!("{}", serde_json::to_string(&prof)?);
        return Ok(());
    }
    println!("{}: {} rows × {} columns", prof.source, prof.rows, prof.columns);
    if let Some(s) = &prof.streamed {
        println!("{}", s.describe());
    }
    println!("{:<24} {:<12} {:>8} {:>9}  summary", "column", "type", "missing", "distinct");
    for c in &prof.column_profiles {
        let summary = match (c.min, c.max, c.mean) {
            (Some(min), Some(max), Some(mean)) => {
                format!(
                    "min {} · mean {} · max {}",
                    format_number(min),
                    cairn::eval::human_number(mean),
                    format_number(max)
                )
            }
            _ => c.top_values.iter().take(3).map(|(v, n)| format!("{v} ({n})")).collect::<Vec<_>>().join(", "),
        };
        let summary: String = summary.chars().take(80).collect();
        println!("{:<24} {:<12} {:>8} {:>9}  {summary}", c.name, c.kind.label(), c.missing, c.distinct_text());
    }
    for w in &prof.warnings {
        println!("! {}", w.message);
    }
    Ok(())
}
