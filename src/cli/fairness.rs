//! `cairn fairness BUNDLE DATA --group COL`: the model's metrics per group of rows and the gaps
//! between groups (fairlearn's definitions), as a table or one JSON object; and the model card
//! that `cairn export --card` writes (which can carry those group metrics).

use anyhow::Result;
use cairn::eval::fairness::fairness;
use cairn::eval::mitigation::equalise_true_positive_rates;
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
    /// Also fit per-group decision thresholds that bring every group's true-positive rate close
    /// to the model's overall one (two-class models), and show before/after.
    #[arg(long)]
    pub mitigate: bool,
    /// With --mitigate: write a copy of the bundle that decides with those thresholds.
    #[arg(long, value_name = "BUNDLE", requires = "mitigate")]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `--json` with `--mitigate`: the report's fields plus `mitigation`.
#[derive(serde::Serialize)]
struct WithMitigation<'a> {
    #[serde(flatten)]
    report: &'a cairn::eval::fairness::FairnessReport,
    mitigation: &'a cairn::eval::mitigation::Mitigation,
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle: Option<String>,
}

pub fn cmd_fairness(a: FairnessArgs) -> Result<()> {
    let (pipeline, _) = cairn::project::load_bundle(&a.bundle)?;
    let data = super::load(&a.data)?;
    let report = fairness(&pipeline, &data, &a.group, a.positive.as_deref())?;
    let mitigation = if a.mitigate {
        let (m, mitigated) = equalise_true_positive_rates(&pipeline, &data, &a.group, a.positive.as_deref())?;
        if let Some(out) = &a.out {
            cairn::project::save_bundle(&mitigated, out)?;
        }
        Some(m)
    } else {
        None
    };
    if a.json {
        match &mitigation {
            Some(m) => {
                let bundle = a.out.as_ref().map(|p| p.display().to_string());
                println!("{}", serde_json::to_string(&WithMitigation { report: &report, mitigation: m, bundle })?)
            }
            None => println!("{}", serde_json::to_string(&report)?),
        }
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
    if let Some(m) = &mitigation {
        println!("\nPer-group thresholds on the probability of '{}':", m.thresholds.positive);
        for (g, t) in &m.thresholds.thresholds {
            println!("  {g:<22} {t:.4}");
        }
        for (name, value) in &m.after.differences {
            println!("{name:<32} {:.4} -> {value:.4}", m.before.differences.get(name).copied().unwrap_or(f64::NAN));
        }
        println!("{}", m.reading);
        if let Some(out) = &a.out {
            println!("Wrote {} (it decides with these thresholds).", out.display());
        }
    }
    Ok(())
}

/// `cairn export --card FILE [--data DATA [--group COL]] [--intended-use TEXT]`.
pub struct CardArgs {
    pub file: PathBuf,
    pub bundle: PathBuf,
    pub data: Option<PathBuf>,
    pub group: Option<String>,
    pub intended_use: Option<String>,
}

pub fn write_card(pipeline: &cairn::train::Pipeline, a: &CardArgs) -> Result<()> {
    use cairn::eval::card::{CardInput, model_card};
    let data = a.data.as_deref().map(super::load).transpose()?;
    let warnings = match &data {
        Some(ds) => {
            let mut w = cairn::data::table_warnings(ds);
            w.extend(cairn::data::target_warnings(ds, &pipeline.target.name));
            w
        }
        None => Vec::new(),
    };
    let groups = match (&data, &a.group) {
        (Some(ds), Some(g)) => Some(fairness(pipeline, ds, g, None)?),
        _ => None,
    };
    let bundle_text = a.bundle.display().to_string();
    let path_text = a.data.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let input = CardInput {
        intended_use: a.intended_use.as_deref(),
        data: data.as_ref().map(|ds| (ds, path_text.as_str())),
        groups: groups.as_ref(),
        warnings: &warnings,
        bundle: Some(&bundle_text),
    };
    let md = model_card(pipeline, &input);
    cairn::project::write_atomically(&a.file, md.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", a.file.display()))?;
    eprintln!("Wrote the model card {}", a.file.display());
    Ok(())
}
