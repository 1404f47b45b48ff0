//! `cairn`: the app with no arguments, the command line otherwise.

mod cli;

use clap::Parser;

/// `cairn bench frames`: the app's own UI pass timed while a generated file imports (the UI is
/// named only here and in `app/`).
fn bench_frames(rows: usize, json: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("frames.csv");
    eprintln!("Writing {rows} rows × 20 columns …");
    cli::bench::import::generate_csv(&file, rows)?;
    let result = cairn::app::frames::frame_times(&file, dir.path()).map_err(anyhow::Error::msg)?;
    cli::bench::import::print_frame_times(&result, json);
    Ok(())
}

fn main() -> std::process::ExitCode {
    cairn::app::PROCESS_START.get_or_init(std::time::Instant::now);
    let args = cli::Cli::parse();
    let result = match args.command {
        Some(cli::Command::Bench { what, rows, json, .. }) if what == "frames" => bench_frames(rows, json),
        Some(command) => cli::run(command),
        None => match args.open {
            // Not a file: most likely a mistyped command.
            Some(path) if !path.exists() => {
                Err(anyhow::anyhow!("'{}' is neither a file nor a command (see `cairn --help`)", path.display()))
            }
            open => cairn::app::run_native(open).map_err(|e| anyhow::anyhow!("cannot open the window: {e}")),
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
