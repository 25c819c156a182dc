//! `impact`: the IMPACT case journal's server and tools. A thin binary: parse, run, exit code.

use std::process::ExitCode;

use clap::Parser;

mod account;
mod backup;
mod bundle;
mod cli;
mod directory;
mod proofs;
mod region;
mod report;
mod subject_access;
mod tls;
mod witness;

fn main() -> ExitCode {
    cli::run(cli::Args::parse())
}
