//! `cairn explain BUNDLE INPUT`: why each row got its prediction (Shapley contributions per
//! input column, see `eval::explain`), as a CSV (streamed, written atomically with `-o`) or one
//! JSON object; `--pdp COLUMN` gives partial dependence and ICE curves instead.

use anyhow::{Context, Result};
use cairn::eval::explain::{Options, explain_rows, partial_dependence};
use cairn::project::load_bundle;
use cairn::serve::batch_explain::{explain_file, explain_file_to};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The options of `cairn explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    pub bundle: PathBuf,
    /// The rows to explain (CSV or any table Cairn reads; `-o`/stdout output streams a CSV).
    pub input: PathBuf,
    /// Output CSV (default: standard output); written atomically.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of a CSV.
    #[arg(long)]
    pub json: bool,
    /// Partial dependence and ICE curves of the output on this input column instead.
    #[arg(long, value_name = "COLUMN")]
    pub pdp: Option<String>,
    /// Explain this class (classification); default: each row's predicted class.
    #[arg(long)]
    pub class: Option<String>,
    /// Seed of the sampling estimate (models without exact explanations).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn cmd_explain(args: ExplainArgs) -> Result<()> {
    let (pipeline, _) = load_bundle(&args.bundle)?;
    let opts = Options { class: args.class.clone(), seed: args.seed, ..Options::default() };
    let input = args.input.as_path();
    if let Some(column) = &args.pdp {
        let data = crate::cli::load(input)?;
        let pd = partial_dependence(&pipeline, &data, column, &opts)
            .with_context(|| format!("cannot compute partial dependence on '{}'", input.display()))?;
        if args.json {
            println!("{}", serde_json::to_string(&pd)?);
        } else {
            println!("Partial dependence of {} on '{}'", pd.output, pd.column);
            let grid = serde_json::to_value(&pd.grid)?;
            for (g, avg) in grid.as_array().into_iter().flatten().zip(&pd.average) {
                println!("{g:>16}  {avg:.6}");
            }
        }
        return Ok(());
    }
    if args.json {
        let data = crate::cli::load(input)?;
        let e =
            explain_rows(&pipeline, &data, &opts).with_context(|| format!("cannot explain '{}'", input.display()))?;
        println!("{}", serde_json::to_string(&e.to_json())?);
        return Ok(());
    }
    explain_to_csv(&pipeline, input, args.out.as_deref(), &opts)
}

/// Streams the explained rows of `input` to `out` (atomically) or standard output.
pub fn explain_to_csv(
    pipeline: &cairn::train::Pipeline,
    input: &Path,
    out: Option<&Path>,
    opts: &Options,
) -> Result<()> {
    let mut progress = |_: u64, _: u64, rows: usize| eprint!("\rExplained {rows} rows");
    let done = match out {
        Some(path) => explain_file_to(pipeline, input, path, opts, &mut progress),
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let done = explain_file(pipeline, input, &mut stdout, opts, &mut progress);
            stdout.flush()?;
            done
        }
    }
    .with_context(|| format!("cannot explain '{}'", input.display()))?;
    eprintln!();
    eprintln!("prediction is {} ({:?}); base_value + the contrib_ columns add up to it", done.output, done.method);
    if let Some(path) = out {
        eprintln!("Wrote {} explained rows to {}", done.rows, path.display());
    }
    Ok(())
}
