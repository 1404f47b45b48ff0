//! `cairn`: the app with no arguments, the command line otherwise.

mod bench;
mod bench_gpu;
mod bench_import;
mod bench_serve;
mod cli;
mod cli_runs;
mod cli_teach;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let result = match args.command {
        Some(command) => cli::run(command),
        None => cairn::app::run_native().map_err(|e| anyhow::anyhow!("cannot open the window: {e}")),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
