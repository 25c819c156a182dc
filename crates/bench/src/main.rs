//! `bench journal [--events N] ...` or `bench api [--events N] ...`: one JSON object per scenario.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match bench::run(bench::Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
