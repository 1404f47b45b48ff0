//! Commands for the beginner's path: `cairn recommend` (a user's top items).

use anyhow::Result;
use std::path::PathBuf;

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
            let id = ds.require(&rec.item_column)?;
            let title = ["title", "name"]
                .iter()
                .find_map(|n| ds.column(n))
                .ok_or_else(|| anyhow::anyhow!("'{}' has no 'title' or 'name' column to show", path.display()))?;
            (0..ds.n_rows()).map(|r| (id.cell_text(r), title.cell_text(r))).collect()
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
