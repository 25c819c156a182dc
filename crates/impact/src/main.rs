//! `impact`: the IMPACT case journal's server and tools. A thin binary: parse, run, exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a GraphQL answer is many small allocations, and
/// glibc's malloc and free took about 30% of the server's time on a page of the audit trail
/// (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bundle;
mod cli;
mod directory;
mod proofs;
mod report;

fn main() -> ExitCode {
    cli::run(cli::Args::parse())
}
