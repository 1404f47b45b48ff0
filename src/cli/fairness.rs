//! `cairn fairness BUNDLE DATA --group COL`: the model's metrics per group of rows and the gaps
//! between groups (fairlearn's definitions), as a table or one JSON object.

use anyhow::Result;
use cairn::eval::fairness::fairness;
use std::path::PathBuf;

/// The options of `cairn fairness`.
#[derive(clap::Args)]
pub struct FairnessArgs {
    /// The model bundle.
    pub bundle: PathBuf,
    /// Labelled rows (with the target column) and the group column.
    pub data: PathBuf,
    /// The column whose values form the groups (any column of DATA; a number column with many
    /// values is cut into quartiles).
    #[arg(long, value_name = "COLUMN")]
    pub group: String,
    /// The class counted as the selected outcome (classification; default: the last class).
    #[arg(long, value_name = "CLASS")]
    pub positive: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn cmd_fairness(a: FairnessArgs) -> Result<()> {
    let (pipeline, _) = cairn::project::load_bundle(&a.bundle)?;
    let data = super::load(&a.data)?;
    let report = fairness(&pipeline, &data, &a.group, a.positive.as_deref())?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let names: Vec<&String> = report.groups.first().map(|g| g.metrics.keys().collect()).unwrap_or_default();
    print!("{:<24} {:>7}", report.group_column, "rows");
    names.iter().for_each(|n| print!(" {:>19}", n));
    println!();
    for g in &report.groups {
        print!("{:<24} {:>7}", g.group, g.rows);
        names.iter().for_each(|n| print!(" {:>19.4}", g.metrics[*n]));
        println!();
    }
    for (name, value) in &report.differences {
        println!("{name:<32} {value:.4}");
    }
    println!("{}", report.reading);
    Ok(())
}
